/* The storage stack a job reads through: the data set's layout, the backend of
 * [storage] and the batch loader, built from the typed job in one place for `train` and
 * `io-bench`, plus the storage part of their results (counters and cost). */
#ifndef TR_IOSTACK_H
#define TR_IOSTACK_H
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "experiments/cost.h"
#include "experiments/job.h"
#include "io/layout.h"
#include "io/loader.h"
#include "io/storage.h"

typedef struct {
  layout *L;
  stg *store;
  loader *ld;
  loader_shuffle shuffle;  /* storage.shuffle, `auto` resolved for the backend */
  size_t transfer_bytes;   /* storage.transfer_kib (object storage at the default: its
                              range), also the block size of block shuffle */
  uint64_t data_bytes;     /* bytes of the data set's files */
  stg_env env;             /* what the storage model shares */
  int backend;             /* the registry index read through: storage.backend, or s3real
                              for s3:// data on the real clock (iostack_backend) */
} iostack;

/* The backend a job reads through: data in s3:// is read from the bucket (s3real) on the
 * real clock whatever the emulated backend (local, s3: the files are there), or, on the
 * virtual clock, emulated by the job's model (s3real is modelled by s3). -1 with
 * TR_ECONFIG located at storage.backend when the pair makes no sense (efs or fsx over
 * an s3:// path on the real clock: they emulate a file system from local files). */
int iostack_backend(const job *j, bool virtual_clock);

/* Builds the stack for j over L (taken over; NULL = the layout of data.train, which
 * must exist and be HDF5: TR_EINPUT located at data.train otherwise), for rank `rank` of
 * `ranks` sharing the budgets, `ranks_per_node` per instance; the storage's waits end on a
 * stop request (stop may be NULL; see stg_set_stop). On the real clock, runs the FSx
 * preload when asked (the virtual clock's caller runs loader_preload at its own time). */
tr_err iostack_open(const job *j, layout *L, int rank, int ranks, int ranks_per_node, bool virtual_clock,
                    const volatile sig_atomic_t *stop, iostack **out);
void iostack_free(iostack **s);

/* Before a real-clock run: projects one epoch of this plan (global rows rows[0..n) in
 * storage order, batch_rows per batch, compute_s of compute per batch, 0 = unknown) on
 * the virtual clock, and when the plan is pathological -- far more requests than files
 * and an epoch several times what storage.shuffle = block would take, or an epoch many
 * times its compute -- logs one warning with the projection and the setting that fixes
 * it. Quiet otherwise; never fails the run (out of memory: no warning). */
void iostack_warn_plan(const job *j, const iostack *s, const uint64_t *rows, size_t n, size_t batch_rows,
                       double compute_s);

/* The counters as result.json's "storage" object: backend, bytes_read, requests,
 * cache_hits, then the model's details (lazy_bytes, slowdowns, retries, preload_s...). */
cJSON *iostack_json(const char *backend, const stg_counters *c);

/* The storage cost of holding this stack's data for hours with counters c (the job's,
 * every rank's), priced from catalog p. */
tr_err iostack_cost(const iostack *s, const pricing *p, double hours, const stg_counters *c,
                    cost_storage_out *out);
#endif
