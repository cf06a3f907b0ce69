/* Internal to the run modules (experiments/run*.c): the state of one training run, shared
 * by its steps. Under MPI each rank holds its share of the rows in train/val/test;
 * counts in results are global. */
#ifndef TR_RUN_INTERNAL_H
#define TR_RUN_INTERNAL_H
#include <cjson/cJSON.h>
#include <time.h>

#include "common/dirlock.h"
#include "experiments/iostack.h"
#include "experiments/pricing.h"
#include "experiments/run.h"
#include "io/dataset.h"
#include "io/labels.h"
#include "io/prep.h"
#include "io/split.h"
#include "trainer/stream.h"

typedef struct {
  const job *j;
  const run_opts *o;
  dist_ctx *dist;
  pricing *prices;
  pricing_instance instance;
  char *ckpt_path, *job_text;
  dirlock *lock;               /* OUT's, held by rank 0 from make_dirs to the end */
  ds_dataset *train, *val, *test;
  size_t duplicates;
  char test_digest[17];        /* of the test rows: their sorted global ids and labels (and
                                  a separate test file's name) */
  loss_head head;
  float classes[LABELS_MAX_CLASSES + 1];  /* label value of each class index */
  size_t n_classes;
  char **class_names;          /* string labels: the value of each class index (sorted);
                                  NULL for numeric labels */
  size_t n_class_names;
  prep *prep;                  /* CSV data: imputation and one-hot encoding fitted on the
                                  training split (run_data.c); NULL for other formats */
  double *prep_counts;         /* with prep, over all ranks: per split (train, val, test)
                                  the cells imputed, then per split and input column the
                                  cells whose category training never saw (3 + 3 x n_cols) */
  char *prep_fit_on;           /* what the statistics were fitted on, for result.json */
  scaler scale;                /* fitted on the training split; cols == 0 if not standardized */
  target_scaler target;        /* regression with data.standardize: the target's, fitted on
                                  the training split; else TARGET_SCALER_NONE */
  double checkpoint_s, t_start;
  time_t started;              /* wall-clock start (provenance) */
  double resumed_s;            /* epoch time of the epochs a resumed run inherited */
  int checkpoints;             /* written by this process; checkpoint_s is their time */
  int checkpoint_epoch;        /* the epoch of the last one it wrote */
  /* streaming (the job has a [storage] section): training batches come from storage */
  uint64_t *train_global;      /* global row of each local training row */
  uint64_t *job_train;         /* every rank's training rows (global, sorted): the job's plan */
  size_t *job_train_at;        /* rank q's are job_train[job_train_at[q] .. job_train_at[q + 1]) */
  iostack *io;
  stream *stream;
  train_source source;
  run_stops stops;             /* the before-epoch stops: rung, prune, budget */
  /* with a run_cache (run.h): the prepared-data fields above (train, val, test, the
     labels, prep, scalers...) belong to the cache, not to this run */
  bool borrowed;
  bool data_reused;            /* borrowed from an earlier run's load (else loaded by this one) */
  char data_key[17];           /* the cache key ("" without a cache) */
} run_state;

/* Loads train (and test), decides the task and encodes the labels, splits, counts
 * test rows duplicated in train, standardizes (run_data.c). Collective. */
tr_err run_prepare_data(run_state *r);

/* Frees what run_prepare_data set in r (the splits, scaler, prep, class names) and
 * clears those fields (run_data.c). */
void run_data_free(run_state *r);

/* run_prepare_data through cache c: a key c holds is borrowed (no load), else the data
 * is prepared and kept in c under its key (r->borrowed either way); without a key
 * (run_cache_key false) or c NULL, plain run_prepare_data (run_cache.c). */
tr_err run_cache_prepare(run_cache *c, run_state *r);

/* Training batches through the job's storage: the layout of data.train, the backend and
 * the loader, into r->source; the training rows' features are then dropped from memory
 * (every epoch reads them) (run_data.c). Collective. */
tr_err run_open_stream(run_state *r);

/* result.json's object for the finished (or interrupted, or failed) fit (run_result.c).
 * Collective: every rank takes part in the sums; only rank 0's (the one written) has
 * "provenance". */
tr_err run_result_json(run_state *r, const net *n, const train_params *p, const train_state *s,
                       const train_outcome *oc, cJSON **out);
#endif
