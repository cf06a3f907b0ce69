/* `tradeoff train JOB.ini`: load and split the data, standardize, train, evaluate on
 * the test split, price the run, and write OUT/result.json and OUT/history.csv
 * (DESIGN.md "Outputs of train"), each atomically. */
#define _GNU_SOURCE
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <omp.h>
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
#include "experiments/job.h"
#include "experiments/pricing.h"
#include "io/dataset.h"
#include "io/split.h"
#include "trainer/linear.h"
#include "trainer/metrics.h"
#include "trainer/model_io.h"

static const char help[] =
    "usage: tradeoff train JOB.ini [--set SECTION.KEY=VALUE]... [--out DIR] [--resume]\n"
    "                      [--quiet]\n"
    "\n"
    "Trains the job's model, then writes OUT/result.json, OUT/history.csv and\n"
    "OUT/model.h5 (OUT defaults to runs/<job name>). Job file keys and their defaults:\n";

/* Everything one run needs, gathered so the steps below stay small. */
typedef struct {
  cfg *job;
  const char *job_path;
  char job_name[256];
  char *out_dir;
  bool quiet;
  ds_dataset *train, *val, *test;
  size_t duplicates;
  lin_task task;
  float class_values[2];  /* binary: the label values mapped to 0 and 1 */
  scaler scale;           /* fitted on the training split; cols == 0 if not standardized */
  tr_atomic history;
  progress prog;
  double t_start;
} run;

static tr_err check_exists(const cfg *job, const char *key) {
  const char *path = cfg_str(job, "data", key);
  struct stat st;
  if (!strpbrk(path, "*?[") && stat(path, &st) != 0)
    return cfg_error(job, TR_EINPUT, "data", key, "no such file or directory: %s", path);
  return TR_OK;
}

static tr_err load(const cfg *job, const char *key, ds_dataset **out) {
  tr_err rc = check_exists(job, key);
  if (rc != TR_OK) return rc;
  const char *label = cfg_str(job, "data", "label_column");
  ds_load_opts o = {.x_dataset = cfg_str(job, "data", "x_dataset"),
                    .y_dataset = cfg_str(job, "data", "y_dataset"),
                    .label_column = *label ? label : NULL,
                    .threads = (int)cfg_int(job, "optimizer", "threads")};
  if ((rc = ds_load(cfg_str(job, "data", key), &o, out)) != TR_OK) return rc;
  if (!(*out)->y) {
    ds_free(out);
    return cfg_error(job, TR_EINPUT, "data", key, "%s has no labels", cfg_str(job, "data", key));
  }
  return TR_OK;
}

/* Decides the task from the model and labels; binary labels are mapped to 0/1. */
static tr_err prepare_labels(run *r, ds_dataset *all, ds_dataset *test) {
  const char *type = cfg_str(r->job, "model", "type");
  if (!strcmp(type, "linear")) {
    r->task = TASK_REGRESSION;
    return TR_OK;
  }
  if (strcmp(type, "logistic") != 0)
    return cfg_error(r->job, TR_ECONFIG, "model", "type",
                     "'%s' is not available in this version (use logistic or linear)", type);
  float lo = all->y[0], hi = all->y[0];
  for (size_t i = 0; i < all->rows; i++) {
    float v = all->y[i];
    if (v != floorf(v))
      return cfg_error(r->job, TR_EINPUT, "data", "train",
                       "row %zu: label %g is not an integer (logistic needs class labels; use "
                       "model.type = linear for a real-valued target)", i + 1, v);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  for (size_t i = 0; i < all->rows; i++)
    if (all->y[i] != lo && all->y[i] != hi)
      return cfg_error(r->job, TR_EINPUT, "data", "train",
                       "logistic needs exactly 2 classes; the labels have more (softmax "
                       "arrives with the trainer)");
  if (lo == hi)
    return cfg_error(r->job, TR_EINPUT, "data", "train", "every label is %g: need 2 classes", lo);
  r->task = TASK_BINARY;
  r->class_values[0] = lo;
  r->class_values[1] = hi;
  ds_dataset *parts[2] = {all, test};
  for (int k = 0; k < 2; k++) {
    if (!parts[k]) continue;
    for (size_t i = 0; i < parts[k]->rows; i++) {
      float v = parts[k]->y[i];
      if (v != lo && v != hi)
        return cfg_error(r->job, TR_EINPUT, "data", "test",
                         "row %zu: label %g is not one of the training classes %g, %g", i + 1,
                         v, lo, hi);
      parts[k]->y[i] = v == hi ? 1.0f : 0.0f;
    }
  }
  return TR_OK;
}

/* Loads train (and test), splits, counts leaked duplicates, standardizes. */
static tr_err prepare_data(run *r) {
  const cfg *job = r->job;
  ds_dataset *all = NULL, *test = NULL;
  tr_err rc = load(job, "train", &all);
  bool has_test = *cfg_str(job, "data", "test") != '\0';
  if (rc == TR_OK && has_test) rc = load(job, "test", &test);
  if (rc == TR_OK && test && test->cols != all->cols)
    rc = cfg_error(job, TR_EINPUT, "data", "test", "has %zu features, train has %zu", test->cols,
                   all->cols);
  if (rc == TR_OK) rc = prepare_labels(r, all, test);
  split_indices s = {0};
  if (rc == TR_OK)
    rc = split_make(all->y, all->rows, cfg_float(job, "data", "val_fraction"),
                    has_test ? 0.0 : cfg_float(job, "data", "test_fraction"),
                    cfg_bool(job, "data", "stratify") && r->task == TASK_BINARY,
                    (uint64_t)cfg_int(job, "data", "seed"), &s);
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
  r->duplicates = split_count_duplicates(r->train, r->test);
  if (r->duplicates)
    log_warn("%zu test rows are exact duplicates of training rows: test metrics are optimistic",
             r->duplicates);
  if (cfg_bool(job, "data", "standardize")) {
    if ((rc = scaler_fit(r->train, &r->scale)) != TR_OK) return rc;
    scaler_apply(&r->scale, r->train);
    scaler_apply(&r->scale, r->val);
    scaler_apply(&r->scale, r->test);
  }
  return TR_OK;
}

static void on_epoch(const lin_epoch *e, void *user) {
  run *r = user;
  fprintf(r->history.fp, "%d,%.9g,%.9g,%.9g,%.9g,%.6f,%.6f,%.6f\n", e->epoch, e->train_loss,
          e->val_loss, e->val_monitor, e->lr, e->epoch_s, e->io_wait_s, e->comm_s);
  progress_epoch(&r->prog, e->epoch, e->train_loss, e->val_loss, e->val_monitor);
}

static cJSON *metrics_json(const lin_model *m, const ds_dataset *d, bool with_confusion) {
  cJSON *o = cJSON_CreateObject();
  float *pred = ds_alloc_floats(d->rows ? d->rows : 1);
  if (!o || !pred) {
    free(pred);
    return o;
  }
  lin_predict(m, d, pred);
  if (m->task == TASK_BINARY) {
    metrics_binary b = metrics_binary_eval(d->y, pred, d->rows);
    json_add_number(o, "accuracy", b.accuracy);
    json_add_number(o, "precision", b.precision);
    json_add_number(o, "recall", b.recall);
    json_add_number(o, "f1", b.f1);
    json_add_number(o, "auc", b.auc);
    json_add_number(o, "log_loss", b.log_loss);
    if (with_confusion) {
      /* rows: true class 0, 1; columns: predicted class 0, 1 (sklearn's layout) */
      int cm[2][2] = {{(int)b.tn, (int)b.fp}, {(int)b.fn, (int)b.tp}};
      cJSON *rows = cJSON_AddArrayToObject(o, "confusion_matrix");
      for (int i = 0; i < 2; i++) cJSON_AddItemToArray(rows, cJSON_CreateIntArray(cm[i], 2));
    }
  } else {
    metrics_regression g = metrics_regression_eval(d->y, pred, d->rows);
    json_add_number(o, "mse", g.mse);
    json_add_number(o, "rmse", g.rmse);
    json_add_number(o, "mae", g.mae);
    json_add_number(o, "r2", g.r2);
  }
  free(pred);
  return o;
}

static cJSON *result_json(const run *r, const lin_model *m, const lin_outcome *oc,
                          const pricing_instance *it) {
  const cfg *job = r->job;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "job", r->job_name);
  cJSON_AddStringToObject(o, "task", r->task == TASK_BINARY ? "binary" : "regression");
  cJSON *model = cJSON_AddObjectToObject(o, "model");
  cJSON_AddStringToObject(model, "type", cfg_str(job, "model", "type"));
  cJSON_AddNumberToObject(model, "params", (double)m->features + 1);
  cJSON *data = cJSON_AddObjectToObject(o, "data");
  cJSON_AddNumberToObject(data, "train_rows", (double)r->train->rows);
  cJSON_AddNumberToObject(data, "val_rows", (double)r->val->rows);
  cJSON_AddNumberToObject(data, "test_rows", (double)r->test->rows);
  cJSON_AddNumberToObject(data, "features", (double)r->train->cols);
  if (r->task == TASK_BINARY) cJSON_AddNumberToObject(data, "classes", 2);
  else cJSON_AddNullToObject(data, "classes");
  cJSON_AddNumberToObject(data, "duplicate_rows_test_in_train", (double)r->duplicates);
  cJSON_AddNumberToObject(o, "epochs_run", oc->epochs_run);
  cJSON_AddNumberToObject(o, "best_epoch", oc->best_epoch);
  cJSON_AddStringToObject(o, "stop_reason", oc->stop_reason);
  cJSON_AddItemToObject(o, "val", r->val->rows ? metrics_json(m, r->val, false) : cJSON_CreateObject());
  cJSON_AddItemToObject(o, "test", r->test->rows ? metrics_json(m, r->test, true) : cJSON_CreateObject());
  double total_s = tr_now() - r->t_start;
  cJSON *t = cJSON_AddObjectToObject(o, "time");
  json_add_number(t, "total_s", total_s);
  json_add_number(t, "train_s", oc->train_s);
  json_add_number(t, "compute_s", oc->compute_s);
  json_add_number(t, "io_wait_s", 0.0);
  json_add_number(t, "comm_s", 0.0);
  json_add_number(t, "checkpoint_s", 0.0);
  cJSON *tp = cJSON_AddObjectToObject(o, "throughput");
  json_add_number(tp, "samples_per_s",
                  oc->train_s > 0 ? oc->epochs_run * (double)r->train->rows / oc->train_s : 0);
  json_add_number(o, "au_percent", oc->train_s > 0 ? 100.0 * oc->compute_s / oc->train_s : 0);
  cJSON *par = cJSON_AddObjectToObject(o, "parallel");
  cJSON_AddNumberToObject(par, "ranks", 1);
  long threads = cfg_int(job, "optimizer", "threads");
  cJSON_AddNumberToObject(par, "threads_per_rank", threads > 0 ? threads : omp_get_max_threads());
  cJSON *st = cJSON_AddObjectToObject(o, "storage");
  cJSON_AddStringToObject(st, "backend", cfg_str(job, "storage", "backend"));
  cJSON_AddNumberToObject(st, "bytes_read", 0);
  cJSON_AddNumberToObject(st, "requests", 0);
  cJSON_AddNumberToObject(st, "cache_hits", 0);
  bool spot = cfg_bool(job, "cost", "spot");
  long nodes = cfg_int(job, "cost", "nodes");
  double rate = pricing_rate(it, spot) * (double)nodes;
  double per_epoch = oc->epochs_run ? oc->train_s / oc->epochs_run : 0;
  int skipped = (int)cfg_int(job, "optimizer", "epochs") - oc->epochs_run;
  cJSON *c = cJSON_AddObjectToObject(o, "cost");
  cJSON_AddStringToObject(c, "instance", cfg_str(job, "cost", "instance"));
  cJSON_AddNumberToObject(c, "nodes", (double)nodes);
  cJSON_AddBoolToObject(c, "spot", spot);
  json_add_number(c, "rate_usd_per_h", rate);
  json_add_number(c, "compute_usd", rate * total_s / 3600.0);
  json_add_number(c, "storage_usd", 0.0);
  json_add_number(c, "requests_usd", 0.0);
  json_add_number(c, "total_usd", rate * total_s / 3600.0);
  json_add_number(c, "saved_by_early_stop_usd",
                  skipped > 0 ? rate * per_epoch * skipped / 3600.0 : 0.0);
  return o;
}

static tr_err parse_args(int argc, char **argv, run *r, char ***sets, size_t *n_sets,
                         bool *resume, bool *help_only) {
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
    case 'o': r->out_dir = strdup(optarg); break;
    case 'r': *resume = true; break;
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

static tr_err check_supported(const cfg *job, bool resume) {
  if (strcmp(cfg_str(job, "storage", "backend"), "local") != 0)
    return cfg_error(job, TR_ECONFIG, "storage", "backend",
                     "only 'local' is available in this version");
  if (strcmp(cfg_str(job, "optimizer", "name"), "sgd") != 0)
    return cfg_error(job, TR_ECONFIG, "optimizer", "name",
                     "only 'sgd' is available in this version");
  if (resume)
    return tr_error_set(TR_EUSAGE, "--resume", "no checkpoint to resume from (checkpoints are "
                                               "not written by this version)");
  return TR_OK;
}

static tr_err train_and_report(run *r) {
  const cfg *job = r->job;
  pricing_instance it;
  tr_err rc = pricing_find_instance(cfg_str(job, "cost", "pricing"), cfg_str(job, "cost", "instance"), &it);
  if (rc == TR_OK) rc = prepare_data(r);
  if (rc != TR_OK) return rc;
  const char *monitor = cfg_str(job, "early_stopping", "monitor");
  bool metric_ok = r->task == TASK_BINARY
                       ? strcmp(monitor, "val_mse") && strcmp(monitor, "val_rmse") &&
                             strcmp(monitor, "val_mae") && strcmp(monitor, "val_r2")
                       : !strcmp(monitor, "val_loss") || !strcmp(monitor, "val_mse") ||
                             !strcmp(monitor, "val_rmse") || !strcmp(monitor, "val_mae") ||
                             !strcmp(monitor, "val_r2");
  if (!metric_ok)
    return cfg_error(job, TR_ECONFIG, "early_stopping", "monitor", "'%s' does not apply to a %s task",
                     monitor, r->task == TASK_BINARY ? "binary" : "regression");
  lin_params p = {
      .lr = cfg_float(job, "optimizer", "lr"),
      .l1 = cfg_float(job, "optimizer", "l1"),
      .l2 = cfg_float(job, "optimizer", "l2"),
      .batch_size = (size_t)cfg_int(job, "optimizer", "batch_size"),
      .epochs = (int)cfg_int(job, "optimizer", "epochs"),
      .seed = (uint64_t)cfg_int(job, "data", "seed"),
      .threads = (int)cfg_int(job, "optimizer", "threads"),
      .monitor = monitor,
      .es = es_init(cfg_bool(job, "early_stopping", "enabled"), monitor,
                    cfg_str(job, "early_stopping", "mode"),
                    (int)cfg_int(job, "early_stopping", "patience"),
                    cfg_float(job, "early_stopping", "min_delta"),
                    (int)cfg_int(job, "early_stopping", "start_from_epoch")),
      .restore_best = cfg_bool(job, "early_stopping", "restore_best"),
  };
  char *hist_path = NULL, *result_path = NULL, *model_path = NULL, *job_text = NULL;
  lin_model *m = lin_new(r->task, r->train->cols);
  if (!m || (rc = tr_mkdir_p(r->out_dir)) != TR_OK) goto done;
  if (asprintf(&hist_path, "%s/history.csv", r->out_dir) < 0 ||
      asprintf(&result_path, "%s/result.json", r->out_dir) < 0 ||
      asprintf(&model_path, "%s/model.h5", r->out_dir) < 0 || !(job_text = cfg_dump(job))) {
    rc = tr_error_set(TR_ENOMEM, "train", "out of memory");
    goto done;
  }
  if ((rc = tr_atomic_open(&r->history, hist_path)) != TR_OK) goto done;
  fprintf(r->history.fp, "epoch,train_loss,val_loss,%s,lr,epoch_s,io_wait_s,comm_s\n", monitor);
  r->prog = progress_start(p.epochs, monitor, r->quiet);
  lin_outcome oc;
  rc = lin_fit(m, r->train, r->val, &p, on_epoch, r, &oc);
  progress_end(&r->prog);
  if (rc != TR_OK) goto done;
  if ((rc = tr_atomic_commit(&r->history)) != TR_OK) goto done;
  rc = model_save(model_path, m, &r->scale, r->class_values, cfg_str(job, "model", "type"), job_text);
  if (rc != TR_OK) goto done;
  cJSON *result = result_json(r, m, &oc, &it);
  rc = json_write_file(result_path, result);
  if (rc == TR_OK && !r->quiet) {
    cJSON *test = cJSON_GetObjectItem(result, "test");
    cJSON *cost = cJSON_GetObjectItem(result, "cost");
    const char *key = r->task == TASK_BINARY ? "accuracy" : "rmse";
    log_info("train: %d epochs (best %d, %s), test %s %.4f, %.2fs, $%.6f; wrote %s", oc.epochs_run,
             oc.best_epoch, oc.stop_reason, key,
             cJSON_GetNumberValue(cJSON_GetObjectItem(test, key)), oc.train_s,
             cJSON_GetNumberValue(cJSON_GetObjectItem(cost, "total_usd")), result_path);
  }
  cJSON_Delete(result);
done:
  tr_atomic_abort(&r->history);
  lin_free(&m);
  free(hist_path);
  free(result_path);
  free(model_path);
  free(job_text);
  return rc;
}

tr_err cmd_train(int argc, char **argv) {
  run r = {.t_start = tr_now()};
  char **sets = NULL;
  size_t n_sets = 0;
  bool resume = false, help_only = false;
  tr_err rc = parse_args(argc, argv, &r, &sets, &n_sets, &resume, &help_only);
  if (rc == TR_OK && help_only) {
    fputs(help, stdout);
    cfg_print_help(job_options, job_options_count, stdout);
  } else if (rc == TR_OK) {
    log_set_quiet(r.quiet);
    r.job = job_load(r.job_path, sets, n_sets);
    rc = r.job ? check_supported(r.job, resume) : tr_error_code();
    if (rc == TR_OK) rc = train_and_report(&r);
  }
  cfg_free(&r.job);
  ds_free(&r.train);
  ds_free(&r.val);
  ds_free(&r.test);
  scaler_free(&r.scale);
  free(r.out_dir);
  free(sets);
  return rc;
}
