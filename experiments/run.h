/* One training run (`tradeoff train`) as a library call: the typed job and an MPI
 * context in, OUT/model.h5, OUT/history.csv and OUT/result.json out (rank 0 writes;
 * DESIGN.md "Outputs of train"), and result.json's object back. The steps live in
 * small modules: run_data.c (load, labels and task, split, scaling, the storage
 * stream), run_params.c (job -> model and optimizer parameters), run_result.c (the
 * result object), run.c (the loop with checkpoints and the outputs). */
#ifndef TR_RUN_H
#define TR_RUN_H
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "dist/dist.h"
#include "experiments/job.h"
#include "experiments/run_stops.h"
#include "trainer/loss.h"
#include "trainer/net.h"
#include "trainer/train.h"

/* Prepared data kept between runs in one process (run_cache.c): a sweep's worker
 * (`tradeoff worker`) loads, splits and standardizes a data set once and its later jobs
 * of the same data key borrow it. */
typedef struct run_cache run_cache;

/* A cache of at most max_entries data keys (least recently used dropped). NULL on ENOMEM. */
run_cache *run_cache_new(size_t max_entries);
void run_cache_free(run_cache **c);
/* The data sets prepared (loads) and borrowed (reuses) so far. */
size_t run_cache_loads(const run_cache *c);
size_t run_cache_reuses(const run_cache *c);
/* The data key of j's prepared data (16 hex digits: the [data] keys, model.type and
 * model.task, the data files' identity); false when j is not cached (a streaming job,
 * more than one rank, data in a directory or glob of shards). */
bool run_cache_key(const job *j, const dist_ctx *dist, char key[17]);

typedef struct {
  const char *name;              /* result.json's "job": the job file's stem */
  const char *out_dir;           /* OUT (created when the job and data are good) */
  bool resume;                   /* continue from the checkpoint */
  bool force;                    /* replace the run OUT holds (else that is TR_EUSAGE) */
  volatile sig_atomic_t *stop;   /* non-zero (a signal number) asks for a checkpoint and a
                                    clean stop with stop_reason "interrupted"; may be NULL */
  /* called on rank 0 as the epochs start and after every epoch, for progress (each may
     be NULL) */
  void (*on_start)(void *user);
  void (*on_epoch)(void *user, const train_epoch *e);
  /* rank 0, after every minibatch step: epoch (1-based), steps done, the epoch's steps */
  void (*on_step)(void *user, int epoch, size_t step, size_t steps);
  void *user;
  /* a search's stops (run_stops.h): 0 / NULL = none. until_epoch stops the run after
     that epoch with stop_reason "rung", prune with "pruned"; both write the checkpoint
     and the outputs, and --resume (with a later until_epoch) continues the run */
  int until_epoch;
  const run_prune *prune;
  /* a worker's (run_cache.h): prepared data borrowed from and kept in cache (NULL:
     loaded by this run and freed with it); billed_before_s seconds before this call
     billed to the run as if it had started then (a worker's own start-up, billed to
     its first job; result.json time.billed_before_s) */
  run_cache *cache;
  double billed_before_s;
} run_opts;

/* Runs j on every rank of dist (collective). *result gets result.json's object on every
 * rank (other ranks' without "provenance"; the caller frees it; NULL when the run failed
 * before it had one, and on rank 0 when the outputs could not be written). The outputs
 * are a set (runfiles.h). A run that went non-finite still writes its outputs, then
 * returns TR_ENUMERIC. A stop request (o->stop) ends the run cleanly with TR_OK: during
 * the epochs with a checkpoint and the outputs (stop_reason "interrupted"); before the
 * first (the storage's preload) with no outputs and *result NULL. Errors: the job's
 * and the data's (TR_ECONFIG / TR_EINPUT located at the job key), TR_EIO, TR_EMPI... */
tr_err run_train(const job *j, const run_opts *o, dist_ctx *dist, cJSON **result);

/* The net's shape from the job: inputs features, and the head's outputs (1, or K
 * classes). TR_ECONFIG located at model.hidden (more than NET_MAX_LAYERS - 1) or
 * model.dropout (dropout on a model other than mlp). */
tr_err run_net_spec(const job *j, size_t inputs, size_t outputs, net_spec *spec);

/* The trainer's parameters from the job, for the task's head, with val_rows validation
 * rows over all ranks and batches from source (NULL: from memory; else the stream's,
 * filled in later); dist and stop are left NULL for the caller. TR_ECONFIG located at
 * the key: a monitored metric the task does not have, a metric other than val_loss
 * without a validation split, and what train_check_param() refuses. */
tr_err run_train_params(const job *j, loss_head head, size_t val_rows, const train_source *source,
                        train_params *p);
#endif
