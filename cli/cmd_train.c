/* `tradeoff train JOB.ini`: load and split the data, standardize, build the model the
 * job names, train it (checkpointing every N epochs and on SIGTERM/SIGINT), evaluate on
 * the test split, price the run, and write OUT/result.json, OUT/history.csv and
 * OUT/model.h5 (DESIGN.md "Outputs of train"), each atomically. */
#define _GNU_SOURCE
#include <getopt.h>
#include <glob.h>
#include <unistd.h>
#include <libgen.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timer.h"
#include "dist/dist.h"
#include "experiments/iostack.h"
#include "experiments/job.h"
#include "experiments/pricing.h"
#include "experiments/spot.h"
#include "io/dataset.h"
#include "io/split.h"
#include "trainer/checkpoint.h"
#include "trainer/metrics.h"
#include "trainer/model_io.h"
#include "trainer/stream.h"
#include "trainer/train.h"

static const char help[] =
    "usage: tradeoff train JOB.ini [--set SECTION.KEY=VALUE]... [--out DIR] [--resume]\n"
    "                      [--quiet]\n"
    "\n"
    "Trains the job's model, then writes OUT/result.json, OUT/history.csv and\n"
    "OUT/model.h5 (OUT defaults to runs/<job name>). Checkpoints go to checkpoint.dir\n"
    "(default OUT/checkpoint) every checkpoint.every_epochs epochs and on SIGTERM or\n"
    "SIGINT, after which the run exits 0 with stop_reason \"interrupted\"; --resume\n"
    "continues from the checkpoint to the result an uninterrupted run gives.\n"
    "Job file keys and their defaults:\n";

#define MAX_CLASSES 1000

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { stop_requested = sig; }

/* Everything one run needs, gathered so the steps below stay small. Under MPI each rank
 * holds its share of the rows in train/val/test; counts in results are global. */
typedef struct {
  dist_ctx *dist;
  cfg *job;
  const char *job_path;
  char job_name[256];
  char *out_dir, *ckpt_path, *job_text;
  bool quiet, resume;
  ds_dataset *train, *val, *test;
  size_t duplicates;
  loss_head head;
  float classes[MAX_CLASSES + 1];  /* label value of each class index */
  size_t n_classes;
  scaler scale;                /* fitted on the training split; cols == 0 if not standardized */
  progress prog;
  int every_epochs;
  double checkpoint_s, t_start;
  double resumed_s;            /* epoch time of the epochs a resumed run inherited */
  int checkpoints;             /* written by this process; checkpoint_s is their time */
  /* streaming (the job has a [storage] section): training batches come from storage */
  bool streaming;
  uint64_t *train_global;      /* global row of each local training row */
  iostack *io;
  stream *stream;
  train_source source;
} run;

/* True when the job sets any [storage] key: then every epoch streams its batches through
 * the emulated storage; otherwise the data set is loaded into memory once. */
static bool has_storage_section(const cfg *job) {
  for (size_t i = 0; i < job_options_count; i++)
    if (!strcmp(job_options[i].section, "storage") && cfg_is_set(job, "storage", job_options[i].key))
      return true;
  return false;
}

/* The first global row of this rank's block (ranks hold consecutive blocks in order). */
static tr_err first_global_row(const run *r, size_t local_rows, uint64_t *first) {
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

static tr_err check_exists(const cfg *job, const char *key) {
  const char *path = cfg_str(job, "data", key);
  struct stat st;
  if (!strpbrk(path, "*?[") && stat(path, &st) != 0)
    return cfg_error(job, TR_EINPUT, "data", key, "no such file or directory: %s", path);
  return TR_OK;
}

static tr_err load(const run *r, const char *key, ds_dataset **out) {
  const cfg *job = r->job;
  tr_err rc = check_exists(job, key);
  if (rc != TR_OK) return rc;
  const char *label = cfg_str(job, "data", "label_column");
  ds_load_opts o = {.x_dataset = cfg_str(job, "data", "x_dataset"),
                    .y_dataset = cfg_str(job, "data", "y_dataset"),
                    .label_column = *label ? label : NULL};
  if ((rc = ds_load_part(cfg_str(job, "data", key), &o, r->dist->rank, r->dist->size, out)) != TR_OK)
    return rc;
  if (!(*out)->y) {
    ds_free(out);
    return cfg_error(job, TR_EINPUT, "data", key, "%s has no labels", cfg_str(job, "data", key));
  }
  return TR_OK;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The distinct label values of d (sorted, at most MAX_CLASSES + 1) into classes. *bad_row
 * is the first row whose label is not a whole number (SIZE_MAX when none). */
static tr_err find_classes(const ds_dataset *d, float *classes, size_t *n, size_t *bad_row) {
  float *sorted = malloc((d->rows ? d->rows : 1) * sizeof(float));
  if (!sorted) return tr_error_set(TR_ENOMEM, "labels", "out of memory");
  *bad_row = SIZE_MAX;
  for (size_t i = 0; i < d->rows; i++) {
    if (d->y[i] != floorf(d->y[i]) && *bad_row == SIZE_MAX) *bad_row = i;
    sorted[i] = d->y[i];
  }
  qsort(sorted, d->rows, sizeof(float), cmp_float);
  *n = 0;
  for (size_t i = 0; i < d->rows && *n <= MAX_CLASSES; i++)
    if (i == 0 || sorted[i] != sorted[i - 1]) classes[(*n)++] = sorted[i];
  free(sorted);
  return TR_OK;
}

/* The classes of every rank's labels, merged (sorted, distinct) on every rank. */
static tr_err merge_classes(run *r) {
  float *all = malloc((size_t)r->dist->size * (MAX_CLASSES + 1) * sizeof(float));
  size_t n_all = 0;
  if (!all) return tr_error_set(TR_ENOMEM, "labels", "out of memory");
  tr_err rc = dist_allgather_floats(r->dist, r->classes, r->n_classes, all, &n_all);
  if (rc == TR_OK) {
    qsort(all, n_all, sizeof(float), cmp_float);
    r->n_classes = 0;
    for (size_t i = 0; i < n_all && r->n_classes <= MAX_CLASSES; i++)
      if (i == 0 || all[i] != all[i - 1]) r->classes[r->n_classes++] = all[i];
  }
  free(all);
  return rc;
}

/* Replaces labels by class indexes 0..K-1; a value not among the classes is an error. */
static tr_err encode_labels(const run *r, ds_dataset *d, const char *key) {
  for (size_t i = 0; d && i < d->rows; i++) {
    const float *hit = bsearch(&d->y[i], r->classes, r->n_classes, sizeof(float), cmp_float);
    if (!hit)
      return cfg_error(r->job, TR_EINPUT, "data", key,
                       "row %zu: label %g is not one of the training classes", i + 1, d->y[i]);
    d->y[i] = (float)(hit - r->classes);
  }
  return TR_OK;
}

/* Decides the task from the model type and every rank's labels (DESIGN.md: a mismatch
 * is exit 2). */
static tr_err decide_task(run *r, ds_dataset *all, ds_dataset *test) {
  const cfg *job = r->job;
  const char *type = cfg_str(job, "model", "type"), *task = cfg_str(job, "model", "task");
  size_t bad_row = SIZE_MAX;
  tr_err rc = find_classes(all, r->classes, &r->n_classes, &bad_row);
  if (rc != TR_OK) return rc;
  bool integral = !dist_any(r->dist, bad_row != SIZE_MAX);
  if ((rc = merge_classes(r)) != TR_OK) return rc;
  bool classify = !strcmp(type, "logistic") || !strcmp(type, "softmax") ||
                  (!strcmp(type, "mlp") && (!strcmp(task, "classification") ||
                                            (!strcmp(task, "auto") && integral &&
                                             r->n_classes <= MAX_CLASSES)));
  if (!strcmp(type, "linear") || !classify) {
    r->head = HEAD_REGRESSION;
    r->n_classes = 0;
    return TR_OK;
  }
  if (bad_row != SIZE_MAX)
    return cfg_error(job, TR_EINPUT, "data", "train",
                     "row %zu: label %g is not a whole number: %s needs class labels (use "
                     "model.type = linear, or mlp with model.task = regression, for a "
                     "real-valued target)", bad_row + 1, all->y[bad_row], type);
  if (!integral)
    return cfg_error(job, TR_EINPUT, "data", "train",
                     "another rank's labels are not whole numbers: %s needs class labels", type);
  if (r->n_classes > MAX_CLASSES)
    return cfg_error(job, TR_EINPUT, "data", "train", "more than %d distinct labels", MAX_CLASSES);
  if (r->n_classes < 2)
    return cfg_error(job, TR_EINPUT, "data", "train", "every label is %g: need at least 2 classes",
                     r->classes[0]);
  if (!strcmp(type, "logistic") && r->n_classes != 2)
    return cfg_error(job, TR_EINPUT, "model", "type",
                     "logistic needs 2 classes; the labels have %zu (use softmax or mlp)",
                     r->n_classes);
  r->head = r->n_classes == 2 && strcmp(type, "softmax") != 0 ? HEAD_BINARY : HEAD_MULTICLASS;
  rc = encode_labels(r, all, "train");
  return rc == TR_OK ? encode_labels(r, test, "test") : rc;
}

static tr_err sum_over_ranks(double *buf, size_t n, void *ctx) { return dist_sum_doubles(ctx, buf, n); }

/* Loads train (and test), splits, counts leaked duplicates, standardizes. */
static tr_err prepare_data(run *r) {
  const cfg *job = r->job;
  ds_dataset *all = NULL, *test = NULL;
  tr_err rc = load(r, "train", &all);
  bool has_test = *cfg_str(job, "data", "test") != '\0';
  if (rc == TR_OK && has_test) rc = load(r, "test", &test);
  if (rc == TR_OK && test && test->cols != all->cols)
    rc = cfg_error(job, TR_EINPUT, "data", "test", "has %zu features, train has %zu", test->cols,
                   all->cols);
  if (rc == TR_OK) rc = decide_task(r, all, test);
  split_indices s = {0};
  if (rc == TR_OK)
    rc = split_make(all->y, all->rows, cfg_float(job, "data", "val_fraction"),
                    has_test ? 0.0 : cfg_float(job, "data", "test_fraction"),
                    cfg_bool(job, "data", "stratify") && r->head != HEAD_REGRESSION,
                    /* each rank splits its own block, with its own stream of the seed */
                    (uint64_t)cfg_int(job, "data", "seed") ^ (0x9E3779B97F4A7C15ULL * (uint64_t)r->dist->rank),
                    &s);
  if (rc == TR_OK && r->streaming) {
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
  if (cfg_bool(job, "data", "standardize")) {
    if ((rc = scaler_fit_parts(r->train, &r->scale, sum_over_ranks, r->dist)) != TR_OK) return rc;
    scaler_apply(&r->scale, r->train);
    scaler_apply(&r->scale, r->val);
    scaler_apply(&r->scale, r->test);
  }
  return TR_OK;
}

static const char *const classification_metrics[] = {"val_loss", "val_accuracy", "val_precision",
                                                     "val_recall", "val_f1", "val_auc", "val_log_loss"};
static const char *const regression_metrics[] = {"val_loss", "val_mse", "val_rmse", "val_mae", "val_r2"};

static bool in_list(const char *s, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s, list[i])) return true;
  return false;
}

/* The net's shape from the job and the task. */
static tr_err build_spec(const run *r, net_spec *spec) {
  const cfg *job = r->job;
  const char *type = cfg_str(job, "model", "type"), *act = cfg_str(job, "model", "activation");
  memset(spec, 0, sizeof *spec);
  spec->inputs = r->train->cols;
  spec->outputs = r->head == HEAD_MULTICLASS ? r->n_classes : 1;
  spec->act = !strcmp(act, "tanh") ? ACT_TANH : !strcmp(act, "sigmoid") ? ACT_SIGMOID : ACT_RELU;
  if (!strcmp(type, "mlp")) {
    long hidden[NET_MAX_LAYERS];
    size_t n = cfg_list(job, "model", "hidden", hidden, NET_MAX_LAYERS);
    if (n > NET_MAX_LAYERS - 1)
      return cfg_error(job, TR_ECONFIG, "model", "hidden", "at most %d hidden layers", NET_MAX_LAYERS - 1);
    for (size_t i = 0; i < n; i++) spec->hidden[i] = (size_t)hidden[i];
    spec->n_hidden = n;
    spec->dropout = (float)cfg_float(job, "model", "dropout");
  } else if (cfg_float(job, "model", "dropout") > 0) {
    return cfg_error(job, TR_ECONFIG, "model", "dropout", "applies to model.type = mlp only");
  }
  return TR_OK;
}

static tr_err build_params(const run *r, train_params *p) {
  const cfg *job = r->job;
  const char *monitor = cfg_str(job, "early_stopping", "monitor");
  bool classify = r->head != HEAD_REGRESSION;
  if (classify ? !in_list(monitor, classification_metrics, 7) : !in_list(monitor, regression_metrics, 5))
    return cfg_error(job, TR_ECONFIG, "early_stopping", "monitor", "'%s' does not apply to a %s task",
                     monitor, classify ? "classification" : "regression");
  bool es_on = cfg_bool(job, "early_stopping", "enabled");
  size_t val_rows = 0;
  tr_err rc = dist_sum_size(r->dist, r->val->rows, &val_rows);
  if (rc != TR_OK) return rc;
  if (es_on && val_rows == 0 && strcmp(monitor, "val_loss") != 0)
    return cfg_error(job, TR_ECONFIG, "early_stopping", "monitor",
                     "%s needs a validation split (data.val_fraction > 0)", monitor);
  *p = (train_params){
      .optimizer = (opt_kind)opt_kind_from_name(cfg_str(job, "optimizer", "name")),
      .lr = cfg_float(job, "optimizer", "lr"),
      .l1 = cfg_float(job, "optimizer", "l1"),
      .l2 = cfg_float(job, "optimizer", "l2"),
      .tol = cfg_float(job, "optimizer", "tol"),
      .batch_size = (size_t)cfg_int(job, "optimizer", "batch_size"),
      .epochs = (int)cfg_int(job, "optimizer", "epochs"),
      .seed = (uint64_t)cfg_int(job, "data", "seed"),
      .schedule = (sched_kind)sched_kind_from_name(cfg_str(job, "optimizer", "schedule")),
      .lr_min = cfg_float(job, "optimizer", "lr_min"),
      .lr_gamma = cfg_float(job, "optimizer", "lr_gamma"),
      .lr_step_epochs = (int)cfg_int(job, "optimizer", "lr_step_epochs"),
      .lr_patience = (int)cfg_int(job, "optimizer", "lr_patience"),
      .es = {.enabled = es_on, .monitor = monitor, .mode = cfg_str(job, "early_stopping", "mode"),
             .patience = (int)cfg_int(job, "early_stopping", "patience"),
             .min_delta = cfg_float(job, "early_stopping", "min_delta"),
             .start_from_epoch = (int)cfg_int(job, "early_stopping", "start_from_epoch"),
             .baseline = cfg_float(job, "early_stopping", "baseline"),
             .stopping_threshold = cfg_float(job, "early_stopping", "stopping_threshold"),
             .divergence_threshold = cfg_float(job, "early_stopping", "divergence_threshold"),
             .check_finite = cfg_bool(job, "early_stopping", "check_finite")},
      .restore_best = cfg_bool(job, "early_stopping", "restore_best"),
      .stop = &stop_requested,
      .dist = r->dist,
  };
  if (p->optimizer == OPT_LBFGS && p->l1 > 0)
    return cfg_error(job, TR_ECONFIG, "optimizer", "l1",
                     "lbfgs does not handle an L1 penalty (use sgd, adam or adamw)");
  return TR_OK;
}

/* Training batches through the job's storage: the layout of data.train, the backend and
 * the loader; the training rows are then dropped from memory (every epoch reads them). */
static tr_err open_stream(run *r, train_params *p) {
  const cfg *job = r->job;
  if (p->optimizer == OPT_LBFGS)
    return cfg_error(job, TR_ECONFIG, "optimizer", "name",
                     "lbfgs is full-batch and reads the data from memory; a [storage] section "
                     "streams minibatches (use sgd, adam..., or remove [storage])");
  tr_err rc = iostack_open(job, NULL, r->dist->size, r->dist->local_size, false, &r->io);
  size_t total = 0;
  if (rc == TR_OK) rc = dist_sum_size(r->dist, r->train->rows + r->val->rows +
                                                   (*cfg_str(job, "data", "test") ? 0 : r->test->rows),
                                      &total);
  if (rc == TR_OK && total != layout_rows(r->io->L))
    rc = cfg_error(job, TR_EINPUT, "data", "train", "has %zu rows in its layout but %zu were loaded",
                   layout_rows(r->io->L), total);
  if (rc == TR_OK &&
      !(r->stream = stream_new(r->io->ld, r->io->L, r->train_global, r->train->rows,
                               r->scale.cols ? &r->scale : NULL, r->io->shuffle, r->io->transfer_bytes)))
    rc = tr_error_code();
  if (rc != TR_OK) return rc;
  r->source = stream_source(r->stream);
  p->source = &r->source;
  free(r->train->X);
  r->train->X = NULL;
  return TR_OK;
}

static tr_err on_epoch(const train_epoch *e, const net *n, const train_state *s, void *user) {
  run *r = user;
  progress_epoch(&r->prog, e->epoch, e->train_loss, e->val_loss, e->val_monitor);
  if (r->every_epochs > 0 && e->epoch % r->every_epochs == 0) {
    double t0 = tr_now();
    tr_err rc = ckpt_save(r->ckpt_path, n, s, r->job_text, r->dist);
    r->checkpoint_s += tr_now() - t0;
    r->checkpoints++;
    return rc;
  }
  return TR_OK;
}

static tr_err write_history(const char *path, const train_state *s, const char *monitor) {
  tr_atomic a;
  tr_err rc = tr_atomic_open(&a, path);
  if (rc != TR_OK) return rc;
  fprintf(a.fp, "epoch,train_loss,val_loss,%s,lr,epoch_s,io_wait_s,comm_s\n", monitor);
  for (int i = 0; i < s->epoch; i++) {
    const train_epoch *e = &s->history[i];
    fprintf(a.fp, "%d,%.9g,%.9g,%.9g,%.9g,%.6f,%.6f,%.6f\n", e->epoch, e->train_loss, e->val_loss,
            e->val_monitor, e->lr, e->epoch_s, e->io_wait_s, e->comm_s);
  }
  return tr_atomic_commit(&a);
}

/* Metrics of n on d over every rank's rows (collective: every rank calls it). */
static cJSON *metrics_json(const run *r, const net *n, const ds_dataset *d, bool with_confusion) {
  cJSON *o = cJSON_CreateObject();
  size_t width = n->spec.outputs, rows = 0;
  float *local = ds_alloc_floats(d->rows * width + 1), *y = NULL, *pred = NULL;
  if (!o || !local || train_predict(n, r->head, d, local, NULL) != TR_OK ||
      train_gather_predictions(r->dist, d, local, width, &y, &pred, &rows) != TR_OK || rows == 0) {
    free(local);
    free(y);
    free(pred);
    return o;
  }
  free(local);
  if (r->head == HEAD_REGRESSION) {
    metrics_regression g = metrics_regression_eval(y, pred, rows);
    json_add_number(o, "mse", g.mse);
    json_add_number(o, "rmse", g.rmse);
    json_add_number(o, "mae", g.mae);
    json_add_number(o, "r2", g.r2);
    free(y);
    free(pred);
    return o;
  }
  size_t K = r->n_classes;
  size_t *cm = calloc(K * K, sizeof(size_t));
  double v[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
  if (r->head == HEAD_BINARY) {
    metrics_binary b = metrics_binary_eval(y, pred, rows);
    double bv[] = {b.accuracy, b.precision, b.recall, b.f1, b.auc, b.log_loss};
    memcpy(v, bv, sizeof v);
    if (cm) cm[0] = b.tn, cm[1] = b.fp, cm[2] = b.fn, cm[3] = b.tp;
  } else {
    metrics_multi m;
    if (metrics_multi_eval(y, pred, rows, (int)K, &m) == TR_OK) {
      double mv[] = {m.accuracy, m.precision, m.recall, m.f1, m.auc, m.log_loss};
      memcpy(v, mv, sizeof v);
      if (cm) memcpy(cm, m.confusion, K * K * sizeof(size_t));
      metrics_multi_free(&m);
    }
  }
  const char *names[] = {"accuracy", "precision", "recall", "f1", "auc", "log_loss"};
  for (int i = 0; i < 6; i++) json_add_number(o, names[i], v[i]);
  if (with_confusion && cm) { /* rows: true class; columns: predicted (sklearn's layout) */
    cJSON *rows_json = cJSON_AddArrayToObject(o, "confusion_matrix");
    for (size_t i = 0; i < K; i++) {
      cJSON *row = cJSON_CreateArray();
      for (size_t j = 0; j < K; j++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)cm[i * K + j]));
      cJSON_AddItemToArray(rows_json, row);
    }
  }
  free(cm);
  free(y);
  free(pred);
  return o;
}

/* {"max", "mean"} of a per-rank value (collective). */
static cJSON *over_ranks(dist_ctx *dist, double v) {
  double mx = v, sum = v;
  dist_max_doubles(dist, &mx, 1);
  dist_sum_doubles(dist, &sum, 1);
  cJSON *o = cJSON_CreateObject();
  json_add_number(o, "max", mx);
  json_add_number(o, "mean", sum / (double)dist->size);
  return o;
}

/* The storage counters summed over ranks (collective). */
static stg_counters global_counters(const run *r) {
  stg_counters c = stg_stats(r->io->store);
  double v[9] = {(double)c.bytes, (double)c.ops, (double)c.requests, (double)c.cache_hits,
                 (double)c.lazy_bytes, (double)c.slowdowns, (double)c.retries,
                 (double)c.short_reads, c.preload_s};
  dist_sum_doubles(r->dist, v, 9);
  return (stg_counters){.bytes = (uint64_t)v[0], .ops = (uint64_t)v[1], .requests = (uint64_t)v[2],
                        .cache_hits = (uint64_t)v[3], .lazy_bytes = (uint64_t)v[4],
                        .slowdowns = (uint64_t)v[5], .retries = (uint64_t)v[6],
                        .short_reads = (uint64_t)v[7], .preload_s = v[8]};
}

static const char *task_name(loss_head h) {
  return h == HEAD_BINARY ? "binary" : h == HEAD_MULTICLASS ? "multiclass" : "regression";
}

/* cost.spot_estimate, for cost.spot = true: this run's expected time and price on spot
 * capacity at its checkpoint interval, against on-demand, and Young/Daly's interval
 * (experiments/spot.h). The work W is what the run measured: its epochs (history) plus
 * the time outside the epoch loop; C is this process's mean checkpoint write. */
static void spot_json(cJSON *c, const run *r, const train_state *s, const train_outcome *oc,
                      const pricing_instance *it, double total_s, double other_usd, long nodes) {
  spot_params sp = {.interruptions_per_h = cfg_float(r->job, "cost", "spot_interruptions_per_h"),
                    .restart_s = cfg_float(r->job, "cost", "spot_restart_s")};
  double epochs_s = 0;
  for (int i = 0; i < s->epoch; i++) epochs_s += s->history[i].epoch_s;
  double epoch_s = s->epoch ? epochs_s / s->epoch : 0;
  double ckpt_s = r->checkpoints ? r->checkpoint_s / r->checkpoints : NAN;
  bool interrupted = !strcmp(oc->stop_reason, "interrupted"); /* its checkpoint came after fit */
  double outside = fmax(0, total_s - oc->train_s - (interrupted && r->checkpoints ? ckpt_s : 0));
  spot_run run = {.work_s = epochs_s + outside, .interval_s = r->every_epochs * epoch_s,
                  .ckpt_s = isnan(ckpt_s) ? 0 : ckpt_s,
                  .spot_usd_per_h = pricing_rate(it, true) * (double)nodes,
                  .on_demand_usd_per_h = pricing_rate(it, false) * (double)nodes,
                  .other_usd = other_usd};
  spot_cost_out e = {NAN, NAN, NAN, NAN};
  if (spot_cost(&sp, &run, &e) != TR_OK) tr_error_clear(); /* the job table keeps inputs valid */
  int every = isnan(ckpt_s) || epoch_s <= 0 ? -1 : spot_every_epochs(&sp, epoch_s, ckpt_s, s->epoch);
  cJSON *o = cJSON_AddObjectToObject(c, "spot_estimate"); /* cost.spot is the contract's bool */
  json_add_number(o, "interruptions_per_h", sp.interruptions_per_h);
  json_add_number(o, "mtbi_h", spot_mtbi_s(&sp) / 3600.0);
  json_add_number(o, "restart_s", sp.restart_s);
  json_add_number(o, "work_s", run.work_s);
  json_add_number(o, "checkpoint_s", ckpt_s);
  json_add_number(o, "checkpoint_interval_s", r->every_epochs > 0 ? run.interval_s : NAN);
  json_add_number(o, "recommended_interval_s", isnan(ckpt_s) ? NAN : spot_young_daly(&sp, ckpt_s));
  if (every >= 0) cJSON_AddNumberToObject(o, "recommended_every_epochs", every);
  else cJSON_AddNullToObject(o, "recommended_every_epochs");
  json_add_number(o, "expected_time_s", e.expected_s);
  json_add_number(o, "expected_usd", e.expected_usd);
  json_add_number(o, "on_demand_time_s", e.on_demand_s);
  json_add_number(o, "on_demand_usd", e.on_demand_usd);
}

static cJSON *result_json(const run *r, const net *n, const train_params *p, const train_state *s,
                          const train_outcome *oc, const pricing_instance *it) {
  const cfg *job = r->job;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "job", r->job_name);
  cJSON_AddStringToObject(o, "task", task_name(r->head));
  cJSON *model = cJSON_AddObjectToObject(o, "model");
  cJSON_AddStringToObject(model, "type", cfg_str(job, "model", "type"));
  cJSON_AddNumberToObject(model, "params", (double)n->n_params);
  cJSON_AddStringToObject(model, "optimizer", cfg_str(job, "optimizer", "name"));
  size_t train_rows = 0, val_rows = 0, test_rows = 0;
  dist_sum_size(r->dist, r->train->rows, &train_rows);
  dist_sum_size(r->dist, r->val->rows, &val_rows);
  dist_sum_size(r->dist, r->test->rows, &test_rows);
  cJSON *data = cJSON_AddObjectToObject(o, "data");
  cJSON_AddNumberToObject(data, "train_rows", (double)train_rows);
  cJSON_AddNumberToObject(data, "val_rows", (double)val_rows);
  cJSON_AddNumberToObject(data, "test_rows", (double)test_rows);
  cJSON_AddNumberToObject(data, "features", (double)r->train->cols);
  if (r->head != HEAD_REGRESSION) cJSON_AddNumberToObject(data, "classes", (double)r->n_classes);
  else cJSON_AddNullToObject(data, "classes");
  cJSON_AddNumberToObject(data, "duplicate_rows_test_in_train", (double)r->duplicates);
  cJSON_AddNumberToObject(o, "epochs_run", oc->epochs_run);
  cJSON_AddNumberToObject(o, "epochs_max", p->epochs);
  cJSON_AddNumberToObject(o, "best_epoch", oc->best_epoch);
  cJSON_AddStringToObject(o, "stop_reason", oc->stop_reason);
  cJSON_AddItemToObject(o, "val", metrics_json(r, n, r->val, false));
  cJSON_AddItemToObject(o, "test", metrics_json(r, n, r->test, true));
  /* a resumed run counts the epochs it inherited too (as train_s does) */
  double total_s = tr_now() - r->t_start + r->resumed_s;
  cJSON *t = cJSON_AddObjectToObject(o, "time");
  json_add_number(t, "total_s", total_s);
  json_add_number(t, "train_s", oc->train_s);
  json_add_number(t, "compute_s", oc->compute_s);
  json_add_number(t, "io_wait_s", oc->io_wait_s);
  json_add_number(t, "comm_s", r->dist->comm_s);
  json_add_number(t, "checkpoint_s", r->checkpoint_s);
  double rate_samples = oc->train_s > 0 ? oc->epochs_run * (double)train_rows / oc->train_s : 0;
  cJSON *tp = cJSON_AddObjectToObject(o, "throughput");
  json_add_number(tp, "samples_per_s", rate_samples);
  json_add_number(tp, "gflops", rate_samples * net_train_flops_per_row(n) / 1e9);
  json_add_number(o, "au_percent", oc->train_s > 0 ? fmin(100.0, 100.0 * oc->compute_s / oc->train_s) : 0);
  cJSON *par = cJSON_AddObjectToObject(o, "parallel");
  cJSON_AddNumberToObject(par, "ranks", r->dist->size);
  cJSON_AddNumberToObject(par, "threads_per_rank", omp_get_max_threads());
  cJSON *per_rank = cJSON_AddObjectToObject(par, "per_rank");
  cJSON_AddItemToObject(per_rank, "compute_s", over_ranks(r->dist, oc->compute_s));
  cJSON_AddItemToObject(per_rank, "comm_s", over_ranks(r->dist, r->dist->comm_s));
  cJSON_AddItemToObject(per_rank, "io_wait_s", over_ranks(r->dist, oc->io_wait_s));
  cJSON_AddBoolToObject(par, "weights_identical", true); /* checked after every epoch */
  cost_storage_out sc = {0, 0};
  if (r->io) {
    stg_counters c = global_counters(r);
    cJSON_AddItemToObject(o, "storage", iostack_json(cfg_str(job, "storage", "backend"), &c));
    if (iostack_cost(r->io, job, total_s / 3600.0, &c, &sc) != TR_OK) {
      log_warn("no storage cost: %s", tr_error_message());
      tr_error_clear();
    }
  } else { /* loaded into memory once: the bytes of the data (features and labels) */
    cJSON *st = cJSON_AddObjectToObject(o, "storage");
    cJSON_AddStringToObject(st, "backend", cfg_str(job, "storage", "backend"));
    size_t rows = train_rows + val_rows + test_rows;
    cJSON_AddNumberToObject(st, "bytes_read", (double)(rows * (r->train->cols + 1) * sizeof(float)));
    cJSON_AddNumberToObject(st, "requests", 0);
    cJSON_AddNumberToObject(st, "cache_hits", 0);
  }
  bool spot = cfg_bool(job, "cost", "spot");
  long nodes = cfg_int(job, "cost", "nodes");
  double rate = pricing_rate(it, spot) * (double)nodes;
  double per_epoch = oc->epochs_run ? oc->train_s / oc->epochs_run : 0;
  /* what early stopping saved: epochs it cut (a converged solver or a failure is not
     early stopping) */
  bool early = !strcmp(oc->stop_reason, "patience") || !strcmp(oc->stop_reason, "threshold");
  int skipped = early ? p->epochs - oc->epochs_run : 0;
  cJSON *c = cJSON_AddObjectToObject(o, "cost");
  cJSON_AddStringToObject(c, "instance", cfg_str(job, "cost", "instance"));
  cJSON_AddNumberToObject(c, "nodes", (double)nodes);
  cJSON_AddBoolToObject(c, "spot", spot);
  json_add_number(c, "rate_usd_per_h", rate);
  cost_run_usd run_usd = cost_run(rate, total_s, &sc);
  cost_run_to_json(&run_usd, c);
  cJSON_AddNumberToObject(c, "epochs_saved_by_early_stop", skipped);
  json_add_number(c, "saved_by_early_stop_usd", rate * per_epoch * skipped / 3600.0);
  if (spot) spot_json(c, r, s, oc, it, total_s, sc.storage_usd + sc.requests_usd, nodes);
  return o;
}

static tr_err parse_args(int argc, char **argv, run *r, char ***sets, size_t *n_sets,
                         bool *help_only) {
  static const struct option longopts[] = {
      {"set", required_argument, 0, 's'}, {"out", required_argument, 0, 'o'},
      {"resume", no_argument, 0, 'r'},    {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
  *sets = calloc((size_t)argc, sizeof(char *));
  if (!*sets) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
    switch (opt) {
    case 's': (*sets)[(*n_sets)++] = optarg; break;
    case 'o': free(r->out_dir); r->out_dir = strdup(optarg); break;
    case 'r': r->resume = true; break;
    case 'q': r->quiet = true; break;
    case 'h': *help_only = true; return TR_OK;
    default: return cli_bad_option("train", argv, opt);
    }
  }
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "train", "expected one JOB.ini (see tradeoff train --help)");
  r->job_path = argv[optind];
  char *copy = strdup(r->job_path);
  if (!copy) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  snprintf(r->job_name, sizeof r->job_name, "%s", basename(copy));
  free(copy);
  char *dot = strrchr(r->job_name, '.');
  if (dot && dot != r->job_name) *dot = '\0';
  if (!r->out_dir && asprintf(&r->out_dir, "runs/%s", r->job_name) < 0) r->out_dir = NULL;
  return r->out_dir ? TR_OK : tr_error_set(TR_ENOMEM, "train", "out of memory");
}

static tr_err setup_run(run *r) {
  const cfg *job = r->job;
  r->streaming = has_storage_section(job);
  omp_set_num_threads(dist_threads_per_rank(r->dist, (int)cfg_int(job, "optimizer", "threads")));
  const char *dir = cfg_str(job, "checkpoint", "dir");
  char *ckpt_dir = NULL;
  if (asprintf(&ckpt_dir, "%s", *dir ? dir : r->out_dir) < 0 ||
      (!*dir && (free(ckpt_dir), asprintf(&ckpt_dir, "%s/checkpoint", r->out_dir) < 0)) ||
      asprintf(&r->ckpt_path, "%s/checkpoint.h5", ckpt_dir) < 0 || !(r->job_text = cfg_dump(job))) {
    free(ckpt_dir);
    return tr_error_set(TR_ENOMEM, "train", "out of memory");
  }
  r->every_epochs = (int)cfg_int(job, "checkpoint", "every_epochs");
  free(ckpt_dir);
  return TR_OK;
}

/* Creates OUT and the checkpoint directory (once the job and data are known good, so a
 * rejected job leaves nothing behind). */
static tr_err make_dirs(const run *r) {
  char *ckpt_dir = strdup(r->ckpt_path);
  if (!ckpt_dir) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  char *slash = strrchr(ckpt_dir, '/');
  if (slash) *slash = '\0';
  tr_err rc = tr_mkdir_p(r->out_dir);
  if (rc == TR_OK && slash) rc = tr_mkdir_p(ckpt_dir);
  if (rc == TR_OK && r->dist->rank == 0) {
    /* a run killed while writing (kill -9, power loss) leaves its temporaries: the
       complete files were never replaced, so the temporaries are only clutter */
    const char *names[] = {"result.json", "history.csv", "model.h5"};
    for (int i = 0; i < 4; i++) {
      char *pattern = NULL;
      if (i < 3 ? asprintf(&pattern, "%s/%s.tmp.*", r->out_dir, names[i]) < 0
                : asprintf(&pattern, "%s.tmp.*", r->ckpt_path) < 0)
        break;
      glob_t g;
      if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; k++) unlink(g.gl_pathv[k]);
        globfree(&g);
      }
      free(pattern);
    }
  }
  free(ckpt_dir);
  return rc;
}

/* Writes model.h5, history.csv and result.json (in that order: result.json last, so its
 * presence means the run's outputs are complete). */
static tr_err write_outputs(const run *r, const net *n, const train_params *p,
                            const train_state *s, const train_outcome *oc,
                            const pricing_instance *it) {
  char *model_path = NULL, *hist_path = NULL, *result_path = NULL;
  tr_err rc = TR_OK;
  bool writer = r->dist->rank == 0;
  cJSON *result = result_json(r, n, p, s, oc, it); /* collective: every rank takes part */
  if (!writer) {
    cJSON_Delete(result);
    return TR_OK;
  }
  if (asprintf(&model_path, "%s/model.h5", r->out_dir) < 0 ||
      asprintf(&hist_path, "%s/history.csv", r->out_dir) < 0 ||
      asprintf(&result_path, "%s/result.json", r->out_dir) < 0)
    rc = tr_error_set(TR_ENOMEM, "train", "out of memory");
  if (rc == TR_OK && !train_params_finite(n)) /* never a silent NaN model */
    log_warn("no model.h5: the weights are not finite (no epoch ended with good weights)");
  else if (rc == TR_OK)
    rc = model_save(model_path, n, r->head, &r->scale, r->n_classes ? r->classes : NULL,
                    r->n_classes, cfg_str(r->job, "model", "type"), r->job_text);
  if (rc == TR_OK) rc = write_history(hist_path, s, p->es.monitor);
  if (rc == TR_OK) rc = json_write_file(result_path, result);
  if (rc == TR_OK && !r->quiet) {
    cJSON *test = cJSON_GetObjectItem(result, "test"), *cost = cJSON_GetObjectItem(result, "cost");
    const char *key = r->head == HEAD_REGRESSION ? "rmse" : "accuracy";
    log_info("train: %d epochs (best %d, %s), test %s %.4f, %.2fs, $%.6f; wrote %s", oc->epochs_run,
             oc->best_epoch, oc->stop_reason, key, cJSON_GetNumberValue(cJSON_GetObjectItem(test, key)),
             oc->train_s, cJSON_GetNumberValue(cJSON_GetObjectItem(cost, "total_usd")), result_path);
  }
  cJSON_Delete(result);
  free(model_path);
  free(hist_path);
  free(result_path);
  return rc;
}

static tr_err train_and_report(run *r) {
  pricing_instance it;
  tr_err rc = pricing_find_instance(cfg_str(r->job, "cost", "pricing"),
                                    cfg_str(r->job, "cost", "instance"), &it);
  if (rc == TR_OK) rc = setup_run(r);
  if (rc == TR_OK) rc = prepare_data(r);
  net_spec spec;
  train_params p;
  if (rc == TR_OK) rc = build_spec(r, &spec);
  if (rc == TR_OK) rc = build_params(r, &p);
  if (rc == TR_OK && r->streaming) rc = open_stream(r, &p);
  if (rc != TR_OK) return rc;
  net *n = net_new(&spec);
  train_state *s = n ? train_state_new(n, &p) : NULL;
  if (!n || !s) {
    rc = tr_error_code();
    goto done;
  }
  rng_t init_rng;
  rng_seed(&init_rng, p.seed ^ 0x5eedULL);
  net_init(n, &init_rng, spec.n_hidden == 0); /* linear models start at zero, as sklearn */
  memcpy(s->best_params, n->params, n->n_params * sizeof(float));
  if (r->resume && (rc = ckpt_load(r->ckpt_path, n, s, r->job_text, r->dist)) != TR_OK) goto done;
  if (r->resume) log_info("train: resuming after epoch %d from %s", s->epoch, r->ckpt_path);
  for (int i = 0; i < s->epoch; i++) r->resumed_s += s->history[i].epoch_s;
  if ((rc = make_dirs(r)) != TR_OK) goto done;
  struct sigaction sa = {.sa_handler = on_signal}, old_term, old_int;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGINT, &sa, &old_int);
  r->prog = progress_start(p.epochs, p.es.monitor, r->quiet || r->dist->rank != 0);
  train_outcome oc;
  rc = train_fit(n, r->head, r->train, r->val, &p, s, on_epoch, r, &oc);
  progress_end(&r->prog);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGINT, &old_int, NULL);
  bool interrupted = !strcmp(oc.stop_reason, "interrupted");
  if (interrupted) {
    double t0 = tr_now();
    tr_err crc = ckpt_save(r->ckpt_path, n, s, r->job_text, r->dist);
    r->checkpoint_s += tr_now() - t0;
    r->checkpoints++;
    if (crc != TR_OK) {
      rc = crc;
      goto done;
    }
    log_info("train: interrupted by signal %d after epoch %d; checkpoint %s (continue with --resume)",
             (int)stop_requested, s->epoch, r->ckpt_path);
  }
  if (rc != TR_OK && rc != TR_ENUMERIC) goto done;
  /* the epoch the saved weights are from; after a numerical failure, the last good one */
  oc.best_epoch = train_restore_best(n, s, &p, rc == TR_ENUMERIC);
  /* a diverged run still records what happened, then exits 1 */
  tr_error saved;
  tr_error_save(&saved);
  tr_error_clear();
  tr_err wrc = write_outputs(r, n, &p, s, &oc, &it);
  tr_error_clear();
  tr_error_restore(&saved);
  if (wrc != TR_OK && rc == TR_OK) rc = wrc;
done:
  train_state_free(&s);
  net_free(&n);
  return rc;
}

tr_err cmd_train(int argc, char **argv, dist_ctx *dist) {
  run r = {.t_start = tr_now(), .dist = dist};
  char **sets = NULL;
  size_t n_sets = 0;
  bool help_only = false;
  tr_err rc = parse_args(argc, argv, &r, &sets, &n_sets, &help_only);
  if (rc == TR_OK && help_only) {
    fputs(help, stdout);
    cfg_print_help(job_options, job_options_count, stdout);
  } else if (rc == TR_OK) {
    log_set_quiet(r.quiet || dist->rank != 0); /* rank 0 speaks for the job */
    log_set_rank(dist->size > 1 ? dist->rank : -1);
    r.job = job_load(r.job_path, sets, n_sets);
    rc = r.job ? train_and_report(&r) : tr_error_code();
  }
  stream_free(&r.stream);
  iostack_free(&r.io);
  free(r.train_global);
  cfg_free(&r.job);
  ds_free(&r.train);
  ds_free(&r.val);
  ds_free(&r.test);
  scaler_free(&r.scale);
  free(r.out_dir);
  free(r.ckpt_path);
  free(r.job_text);
  free(sets);
  return rc;
}
