/* The data steps of a training run: load this rank's part of data.train (and data.test),
 * decide the task from the model type and every rank's labels and encode the labels as
 * class indexes, split train/validation/test, count test rows duplicated in train,
 * standardize with a scaler fitted on the training split over all ranks, and, for a job
 * with a [storage] section, wire the training batches through the storage stack. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "experiments/run_internal.h"
#include "io/load.h"

/* Loads data.<key> ("train" or "test"): this rank's part; labels required. */
static tr_err load(const run_state *r, const char *key, const char *path, ds_dataset **out) {
  const job *j = r->j;
  tr_err rc = job_check_path(j, key);
  if (rc != TR_OK) return rc;
  ds_load_opts o = {.x_dataset = j->data.x_dataset, .y_dataset = j->data.y_dataset,
                    .label_column = *j->data.label_column ? j->data.label_column : NULL};
  if ((rc = ds_load_part(path, &o, r->dist->rank, r->dist->size, out)) != TR_OK) return rc;
  if (!(*out)->y) {
    ds_free(out);
    return job_error(j, TR_EINPUT, "data", key, "%s has no labels", path);
  }
  return TR_OK;
}

/* The classes of every rank's labels, merged (sorted, distinct) on every rank. */
static tr_err merge_classes(run_state *r) {
  float *all = malloc((size_t)r->dist->size * (LABELS_MAX_CLASSES + 1) * sizeof(float));
  size_t n_all = 0;
  if (!all) return tr_error_set(TR_ENOMEM, "labels", "out of memory");
  tr_err rc = dist_allgather_floats(r->dist, r->classes, r->n_classes, all, &n_all);
  if (rc == TR_OK) r->n_classes = labels_merge(all, n_all, r->classes);
  free(all);
  return rc;
}

/* Replaces d's labels by class indexes; a value not among the classes is an error. */
static tr_err encode_labels(const run_state *r, ds_dataset *d, const char *key) {
  if (!d) return TR_OK;
  size_t bad = labels_encode(d->y, d->rows, r->classes, r->n_classes);
  if (bad == SIZE_MAX) return TR_OK;
  return job_error(r->j, TR_EINPUT, "data", key, "row %zu: label %g is not one of the training classes",
                   bad + 1, d->y[bad]);
}

/* Decides the task from the model type and every rank's labels (DESIGN.md: a mismatch
 * is exit 2). */
static tr_err decide_task(run_state *r, ds_dataset *all, ds_dataset *test) {
  const job *j = r->j;
  const char *type = cfg_str(j->src, "model", "type"); /* its name, for messages */
  size_t bad_row = SIZE_MAX;
  tr_err rc = labels_find(all->y, all->rows, r->classes, &r->n_classes, &bad_row);
  if (rc != TR_OK) return rc;
  bool integral = !dist_any(r->dist, bad_row != SIZE_MAX);
  if ((rc = merge_classes(r)) != TR_OK) return rc;
  int t = j->model.type, task = j->model.task;
  bool classify = t == JOB_LOGISTIC || t == JOB_SOFTMAX ||
                  (t == JOB_MLP && (task == JOB_TASK_CLASSIFICATION ||
                                    (task == JOB_TASK_AUTO && integral && r->n_classes <= LABELS_MAX_CLASSES)));
  if (t == JOB_LINEAR || !classify) {
    r->head = HEAD_REGRESSION;
    r->n_classes = 0;
    return TR_OK;
  }
  if (bad_row != SIZE_MAX)
    return job_error(j, TR_EINPUT, "data", "train",
                     "row %zu: label %g is not a whole number: %s needs class labels (use "
                     "model.type = linear, or mlp with model.task = regression, for a "
                     "real-valued target)", bad_row + 1, all->y[bad_row], type);
  if (!integral)
    return job_error(j, TR_EINPUT, "data", "train",
                     "another rank's labels are not whole numbers: %s needs class labels", type);
  if (r->n_classes > LABELS_MAX_CLASSES)
    return job_error(j, TR_EINPUT, "data", "train", "more than %d distinct labels", LABELS_MAX_CLASSES);
  if (r->n_classes < 2)
    return job_error(j, TR_EINPUT, "data", "train", "every label is %g: need at least 2 classes",
                     r->classes[0]);
  if (t == JOB_LOGISTIC && r->n_classes != 2)
    return job_error(j, TR_EINPUT, "model", "type",
                     "logistic needs 2 classes; the labels have %zu (use softmax or mlp)", r->n_classes);
  r->head = r->n_classes == 2 && t != JOB_SOFTMAX ? HEAD_BINARY : HEAD_MULTICLASS;
  rc = encode_labels(r, all, "train");
  return rc == TR_OK ? encode_labels(r, test, "test") : rc;
}

static tr_err sum_over_ranks(double *buf, size_t n, void *ctx) { return dist_sum_doubles(ctx, buf, n); }

/* The first global row of this rank's block (ranks hold consecutive blocks in order). */
static tr_err first_global_row(const run_state *r, size_t local_rows, uint64_t *first) {
  int size = r->dist->size;
  double *counts = calloc((size_t)size, sizeof(double));
  if (!counts) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  counts[r->dist->rank] = (double)local_rows;
  tr_err rc = dist_sum_doubles(r->dist, counts, (size_t)size);
  *first = 0;
  for (int i = 0; i < r->dist->rank; i++) *first += (uint64_t)counts[i];
  free(counts);
  return rc;
}

tr_err run_prepare_data(run_state *r) {
  const job *j = r->j;
  ds_dataset *all = NULL, *test = NULL;
  tr_err rc = load(r, "train", j->data.train, &all);
  bool has_test = *j->data.test != '\0';
  if (rc == TR_OK && has_test) rc = load(r, "test", j->data.test, &test);
  if (rc == TR_OK && test && test->cols != all->cols)
    rc = job_error(j, TR_EINPUT, "data", "test", "has %zu features, train has %zu", test->cols, all->cols);
  if (rc == TR_OK) rc = decide_task(r, all, test);
  split_indices s = {0};
  if (rc == TR_OK)
    rc = split_make(all->y, all->rows, j->data.val_fraction, has_test ? 0.0 : j->data.test_fraction,
                    j->data.stratify && r->head != HEAD_REGRESSION,
                    /* each rank splits its own block, with its own stream of the seed */
                    (uint64_t)j->data.seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)r->dist->rank), &s);
  if (rc == TR_OK && j->streams) {
    uint64_t first = 0;
    rc = first_global_row(r, all->rows, &first);
    if (rc == TR_OK && !(r->train_global = malloc((s.n_train ? s.n_train : 1) * sizeof(uint64_t))))
      rc = tr_error_set(TR_ENOMEM, "train", "out of memory");
    for (size_t i = 0; rc == TR_OK && i < s.n_train; i++) r->train_global[i] = first + s.train[i];
  }
  if (rc == TR_OK) {
    r->train = ds_take_rows(all, s.train, s.n_train);
    r->val = ds_take_rows(all, s.val, s.n_val);
    r->test = test ? test : ds_take_rows(all, s.test, s.n_test);
    test = NULL;
    if (!r->train || !r->val || !r->test) rc = tr_error_code();
  }
  split_free(&s);
  ds_free(&all);
  ds_free(&test);
  if (rc != TR_OK) return rc;
  /* duplicates are found within each rank's block (a row and its copy on different
     ranks are not compared), then counted over all ranks */
  if ((rc = dist_sum_size(r->dist, split_count_duplicates(r->train, r->test), &r->duplicates)) != TR_OK)
    return rc;
  if (r->duplicates)
    log_warn("%zu test rows are exact duplicates of training rows: test metrics are optimistic",
             r->duplicates);
  if (j->data.standardize) {
    if ((rc = scaler_fit_parts(r->train, &r->scale, sum_over_ranks, r->dist)) != TR_OK) return rc;
    scaler_apply(&r->scale, r->train);
    scaler_apply(&r->scale, r->val);
    scaler_apply(&r->scale, r->test);
  }
  return TR_OK;
}

tr_err run_open_stream(run_state *r) {
  const job *j = r->j;
  tr_err rc = iostack_open(j, NULL, r->dist->size, r->dist->local_size, false, r->o->stop, &r->io);
  size_t total = 0;
  bool has_test = *j->data.test != '\0';
  if (rc == TR_OK)
    rc = dist_sum_size(r->dist, r->train->rows + r->val->rows + (has_test ? 0 : r->test->rows), &total);
  if (rc == TR_OK && total != layout_rows(r->io->L))
    rc = job_error(j, TR_EINPUT, "data", "train", "has %zu rows in its layout but %zu were loaded",
                   layout_rows(r->io->L), total);
  if (rc == TR_OK &&
      !(r->stream = stream_new(r->io->ld, r->io->L, r->train_global, r->train->rows,
                               r->scale.cols ? &r->scale : NULL, r->io->shuffle, r->io->transfer_bytes)))
    rc = tr_error_code();
  if (rc != TR_OK) return rc;
  r->source = stream_source(r->stream);
  free(r->train->X);
  r->train->X = NULL;
  return TR_OK;
}
