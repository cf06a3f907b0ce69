/* The DLIO-style storage benchmark (`tradeoff io-bench`): the loader reads one rank's
 * share of the data set through the job's [storage] backend for workload.epochs epochs
 * while an emulated accelerator spends workload.computation_time on every batch (a
 * sleep, as DLIO does); AU = compute time / epoch time. On the virtual clock the same
 * loader and backend model run as a discrete-event simulation, in no time and without
 * the data (workload.files describes a synthetic data set). The result is io.json with
 * DLIO's names (DESIGN.md). */
#ifndef TR_IOBENCH_H
#define TR_IOBENCH_H
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "experiments/job.h"

/* Runs the benchmark of j and writes out_dir/io.json (out_dir created). *result gets
 * io.json's object (the caller frees it). Errors: the job's (TR_ECONFIG / TR_EINPUT
 * located at the key: no data.train nor workload.files, a synthetic data set on the real
 * clock, a workload.compute_from without measured compute), the storage's, TR_EIO. */
tr_err iobench_run(const job *j, bool virtual_clock, const char *out_dir, cJSON **result);

/* Where a real-clock run is: after every batch (the caller throttles what it shows). */
typedef struct {
  int epoch, epochs;          /* 1-based */
  size_t batch, batches;      /* batches done in this epoch, of */
  uint64_t requests, bytes;   /* this rank's so far */
  double elapsed_s;           /* since the first epoch started */
} iobench_tick;
typedef void (*iobench_progress)(void *ctx, const iobench_tick *t);

/* iobench_run, calling progress(ctx, tick) after every batch of a real-clock run
 * (progress may be NULL). */
tr_err iobench_run_with(const job *j, bool virtual_clock, const char *out_dir, iobench_progress progress,
                        void *ctx, cJSON **result);
#endif
