/* Tests for experiments/run.c, run_data.c, run_params.c and run_result.c: the job's
 * translation into the net's shape and the trainer's parameters (each refusal located
 * at its key), and whole runs through run_train on generated data: the outputs and the
 * result object, the task decision, an interrupted run and its resume, streaming
 * through the storage stack. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "experiments/run.h"
#include "experiments/runfiles.h"
#include "io/h5io.h"
#include "io/synth.h"
#include "testutil.h"

#define CATALOG "cost.pricing=" TEST_DATA_DIR "/../../configs/pricing.ini"

START_TEST(net_spec_from_job) {
  const char *mlp[] = {"model.type=mlp", "model.hidden=16,8", "model.activation=sigmoid", "model.dropout=0.25", NULL};
  job *j = tu_job(mlp);
  net_spec spec;
  ck_assert_int_eq(run_net_spec(j, 10, 3, &spec), TR_OK);
  ck_assert_uint_eq(spec.inputs, 10);
  ck_assert_uint_eq(spec.outputs, 3);
  ck_assert_uint_eq(spec.n_hidden, 2);
  ck_assert_uint_eq(spec.hidden[0], 16);
  ck_assert_int_eq(spec.act, ACT_SIGMOID);
  ck_assert(fabsf(spec.dropout - 0.25f) < 1e-7f);
  job_free(&j);
  const char *deep[] = {"model.type=mlp", "model.hidden=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", NULL};
  j = tu_job(deep);
  tr_error_clear();
  ck_assert_int_eq(run_net_spec(j, 4, 1, &spec), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "model.hidden: at most 15 hidden layers");
  job_free(&j);
  const char *dropout[] = {"model.type=logistic", "model.dropout=0.5", NULL};
  j = tu_job(dropout);
  tr_error_clear();
  ck_assert_int_eq(run_net_spec(j, 4, 1, &spec), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "model.dropout: applies to model.type = mlp only");
  tr_error_clear();
  job_free(&j);
  /* model.init: torch by default, each scheme by name, an error for linear models
     (they start at zero) only when it is set */
  const char *plain[] = {"model.type=mlp", NULL}, *sk[] = {"model.type=mlp", "model.init=sklearn", NULL},
             *he[] = {"model.type=mlp", "model.init=he", NULL}, *lin[] = {"model.type=logistic", NULL},
             *lin_init[] = {"model.type=logistic", "model.init=torch", NULL};
  const char **cases[] = {plain, sk, he, lin};
  net_init_scheme want[] = {NET_INIT_TORCH, NET_INIT_SKLEARN, NET_INIT_HE, NET_INIT_TORCH};
  for (int c = 0; c < 4; c++) {
    j = tu_job(cases[c]);
    ck_assert_int_eq(run_net_spec(j, 4, 3, &spec), TR_OK);
    ck_assert_int_eq(spec.init, want[c]);
    job_free(&j);
  }
  j = tu_job(lin_init);
  tr_error_clear();
  ck_assert_int_eq(run_net_spec(j, 4, 1, &spec), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "model.init: applies to model.type = mlp only");
  tr_error_clear();
  job_free(&j);
}
END_TEST

START_TEST(train_params_from_job) {
  const char *sets[] = {"optimizer.name=nesterov", "optimizer.lr=0.05", "optimizer.batch_size=64",
                        "optimizer.schedule=step", "early_stopping.patience=7", "early_stopping.monitor=val_auc",
                        "data.seed=9", NULL};
  job *j = tu_job(sets);
  train_params p;
  ck_assert_int_eq(run_train_params(j, HEAD_BINARY, 100, NULL, &p), TR_OK);
  ck_assert_int_eq(p.optimizer, OPT_NESTEROV);
  ck_assert(p.lr == 0.05 && p.batch_size == 64 && p.seed == 9);
  ck_assert_int_eq(p.schedule, SCHED_STEP);
  ck_assert_int_eq(p.es.patience, 7);
  ck_assert_str_eq(p.es.monitor, "val_auc");
  ck_assert_ptr_null(p.source);
  /* a classification metric on a regression task */
  tr_error_clear();
  ck_assert_int_eq(run_train_params(j, HEAD_REGRESSION, 100, NULL, &p), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "early_stopping.monitor: 'val_auc' does not apply to a regression task");
  /* a monitored metric other than val_loss needs a validation split */
  tr_error_clear();
  ck_assert_int_eq(run_train_params(j, HEAD_BINARY, 0, NULL, &p), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "needs a validation split"));
  tr_error_clear();
  job_free(&j);
  /* train_check_param's refusals, located at the key */
  const char *l1[] = {"optimizer.name=lbfgs", "optimizer.l1=0.1", NULL};
  j = tu_job(l1);
  ck_assert_int_eq(run_train_params(j, HEAD_BINARY, 10, NULL, &p), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "optimizer.l1: lbfgs does not handle an L1 penalty (use sgd, adam or adamw)");
  tr_error_clear();
  job_free(&j);
  const char *lbfgs[] = {"optimizer.name=lbfgs", NULL};
  j = tu_job(lbfgs);
  train_source src = {0};
  ck_assert_int_eq(run_train_params(j, HEAD_BINARY, 10, &src, &p), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "optimizer.name: lbfgs is full-batch"));
  tr_error_clear();
  job_free(&j);
}
END_TEST

/* A classification set of rows x 6 (3 classes when classes == 3) in tu_dir/name. */
static char *write_data(const char *name, size_t rows, int classes) {
  synth_params sp = synth_defaults();
  sp.rows = rows;
  sp.features = 6;
  sp.classes = classes;
  sp.informative = 4;
  sp.class_sep = 2;
  sp.seed = 3;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  char *path = tu_path(tu_dir, name);
  h5io_write_opts w = {0};
  ck_assert_int_eq(h5io_write(path, d, &w), TR_OK);
  ds_free(&d);
  return path;
}

static double num(const cJSON *o, const char *a, const char *b) {
  const cJSON *x = cJSON_GetObjectItem(o, a);
  return cJSON_GetNumberValue(b ? cJSON_GetObjectItem(x, b) : x);
}

/* Runs sets (NULL-terminated) with train = data into tu_dir/out; the result object. */
static tr_err run(const char *data, const char *const *sets, bool resume, volatile sig_atomic_t *stop,
                  const char *out, cJSON **result) {
  const char *all[32];
  char train[600];
  snprintf(train, sizeof train, "data.train=%s", data);
  size_t n = 0;
  all[n++] = train;
  all[n++] = CATALOG;
  for (size_t i = 0; sets[i]; i++) all[n++] = sets[i];
  all[n] = NULL;
  job *j = tu_job(all);
  char *out_dir = tu_path(tu_dir, out);
  run_opts o = {.name = "unit", .out_dir = out_dir, .resume = resume, .stop = stop};
  dist_ctx dist = {.rank = 0, .size = 1, .local_size = 1};
  tr_err rc = run_train(j, &o, &dist, result);
  job_free(&j);
  free(out_dir);
  return rc;
}

START_TEST(whole_run_outputs) {
  char *data = write_data("bin.h5", 1200, 2);
  const char *sets[] = {"model.type=logistic", "optimizer.epochs=4", "early_stopping.enabled=false", NULL};
  cJSON *r = NULL;
  ck_assert_int_eq(run(data, sets, false, NULL, "out", &r), TR_OK);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "task")), "binary");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "job")), "unit");
  ck_assert(num(r, "epochs_run", NULL) == 4);
  ck_assert(num(r, "data", "train_rows") + num(r, "data", "val_rows") + num(r, "data", "test_rows") == 1200);
  ck_assert(num(r, "test", "accuracy") > 0.8);
  /* a linear model's largest coefficients, by feature */
  const cJSON *top = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "coefficients"), "top");
  ck_assert_int_eq(cJSON_GetArraySize(top), 6);
  ck_assert(fabs(num(cJSON_GetArrayItem(top, 0), "coefficient", NULL)) >= fabs(num(cJSON_GetArrayItem(top, 5), "coefficient", NULL)));
  ck_assert(num(r, "cost", "total_usd") > 0);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "stop_reason")), "max_epochs");
  const char *digest = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "data"), "test_rows_digest"));
  ck_assert_uint_eq(strlen(digest), 16);
  /* provenance: the host it was measured on beside the instance it is priced as, the
     resolved job, the overrides, the data file */
  const cJSON *prov = cJSON_GetObjectItem(r, "provenance"), *host = cJSON_GetObjectItem(prov, "host");
  ck_assert(cJSON_IsString(cJSON_GetObjectItem(host, "cpu")) && num(prov, "host", "cores") >= 1);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(host, "priced_as")), "c5.4xlarge");
  ck_assert_uint_eq(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(prov, "start_time"))), 20);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(prov, "job"), "optimizer"), "epochs")), "4");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(prov, "job"), "storage"), "s3.first_byte_ms")), "45");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(prov, "overrides")), 5);
  const cJSON *train = cJSON_GetObjectItem(cJSON_GetObjectItem(prov, "data"), "train");
  ck_assert(num(train, "files", NULL) == 1 && num(train, "bytes", NULL) > 1200 * 6 * 4);
  char *dir = tu_path(tu_dir, "out");
  ck_assert(tu_exists(dir, RUNFILES_RESULT) && tu_exists(dir, RUNFILES_MODEL) && tu_exists(dir, RUNFILES_HISTORY));
  ck_assert(tu_exists(dir, "checkpoint/" RUNFILES_CHECKPOINT));
  /* the written result is the returned one; history.csv has one row per epoch */
  char *path = tu_path(dir, RUNFILES_RESULT), *hist = tu_path(dir, RUNFILES_HISTORY);
  cJSON *written = NULL;
  ck_assert_int_eq(json_read_file(path, &written), TR_OK);
  ck_assert(cJSON_Compare(written, r, true));
  runfiles_history h;
  bool missing;
  ck_assert_int_eq(runfiles_read_history(hist, &h, &missing), TR_OK);
  ck_assert(!missing && h.n == 4 && h.epoch[3] == 4);
  runfiles_history_free(&h);
  cJSON_Delete(written);
  cJSON_Delete(r);
  free(path);
  free(hist);
  free(dir);
  free(data);
}
END_TEST

START_TEST(task_and_label_errors) {
  char *data = write_data("three.h5", 600, 3);
  const char *logistic[] = {"model.type=logistic", "optimizer.epochs=2", NULL};
  cJSON *r = NULL;
  tr_error_clear();
  ck_assert_int_eq(run(data, logistic, false, NULL, "o1", &r), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "model.type: logistic needs 2 classes; the labels have 3 (use softmax or mlp)");
  ck_assert_ptr_null(r);
  ck_assert(!tu_exists(tu_dir, "o1")); /* a rejected job leaves nothing behind */
  tr_error_clear();
  const char *softmax[] = {"model.type=softmax", "optimizer.epochs=2", NULL};
  ck_assert_int_eq(run(data, softmax, false, NULL, "o2", &r), TR_OK);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "task")), "multiclass");
  ck_assert(num(r, "data", "classes") == 3);
  /* sklearn's classification_report per class, and labelled confusion matrices for val
     and test; supports add up to the rows */
  for (int k = 0; k < 2; k++) {
    const cJSON *m = cJSON_GetObjectItem(r, k ? "test" : "val");
    const cJSON *per = cJSON_GetObjectItem(m, "per_class");
    ck_assert_int_eq(cJSON_GetArraySize(per), 3);
    double support = 0;
    for (int c = 0; c < 3; c++) {
      const cJSON *e = cJSON_GetArrayItem(per, c);
      ck_assert(num(e, "class", NULL) == c);
      ck_assert(num(e, "precision", NULL) >= 0 && num(e, "recall", NULL) <= 1);
      support += num(e, "support", NULL);
    }
    ck_assert(support == num(r, "data", k ? "test_rows" : "val_rows"));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "confusion_labels")), 3);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "confusion_matrix")), 3);
  }
  cJSON_Delete(r);
  const char *linear[] = {"model.type=linear", "optimizer.epochs=2", "early_stopping.monitor=val_rmse", NULL};
  ck_assert_int_eq(run(data, linear, false, NULL, "o3", &r), TR_OK);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "task")), "regression");
  ck_assert(isfinite(num(r, "test", "rmse")));
  cJSON_Delete(r);
  tr_error_clear();
  const char *missing[] = {"optimizer.epochs=2", NULL};
  ck_assert_int_eq(run("/no/such.h5", missing, false, NULL, "o4", &r), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "data.train: no such file or directory: /no/such.h5");
  tr_error_clear();
  free(data);
}
END_TEST

/* run() in a worker's way: through cache, stopping after until (0: none). */
static tr_err run_cached(const char *data, const char *const *sets, bool resume, int until, run_cache *cache,
                         const char *out, cJSON **result) {
  const char *all[32];
  char train[600];
  snprintf(train, sizeof train, "data.train=%s", data);
  size_t n = 0;
  all[n++] = train;
  all[n++] = CATALOG;
  for (size_t i = 0; sets[i]; i++) all[n++] = sets[i];
  all[n] = NULL;
  job *j = tu_job(all);
  char *out_dir = tu_path(tu_dir, out);
  run_opts o = {.name = "unit", .out_dir = out_dir, .resume = resume, .force = !resume, .until_epoch = until,
                .cache = cache};
  dist_ctx dist = {.rank = 0, .size = 1, .local_size = 1};
  tr_err rc = run_train(j, &o, &dist, result);
  job_free(&j);
  free(out_dir);
  return rc;
}

static const char *worker_data(const cJSON *r) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "worker"), "data"));
}

START_TEST(cached_data_gives_the_uncached_result) {
  /* a worker's runs (sweep_worker.c): the second job of a data key borrows the first's
     prepared data, and a trial stopped at a rung and resumed through the cache ends where
     the same trial run without one (loading at every job) ends; another model type, another
     val_fraction and a rewritten file are other keys, each its own load */
  char *data = write_data("bin.h5", 800, 2);
  const char *mlp[] = {"model.type=mlp", "model.hidden=8", "optimizer.epochs=4", "early_stopping.enabled=false", NULL};
  run_cache *c = run_cache_new(2);
  cJSON *a = NULL, *b = NULL;
  ck_assert_int_eq(run_cached(data, mlp, false, 2, c, "ca", &a), TR_OK);
  ck_assert_str_eq(worker_data(a), "loaded");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(a, "stop_reason")), "rung");
  cJSON_Delete(a);
  ck_assert_int_eq(run_cached(data, mlp, true, 4, c, "ca", &a), TR_OK);
  ck_assert_str_eq(worker_data(a), "reused");
  ck_assert_uint_eq(run_cache_loads(c), 1);
  ck_assert_uint_eq(run_cache_reuses(c), 1);
  ck_assert_int_eq(run_cached(data, mlp, false, 2, NULL, "cb", &b), TR_OK);
  ck_assert_ptr_null(cJSON_GetObjectItem(b, "worker"));
  cJSON_Delete(b);
  ck_assert_int_eq(run_cached(data, mlp, true, 4, NULL, "cb", &b), TR_OK);
  ck_assert(num(a, "epochs_run", NULL) == 4 && num(b, "epochs_run", NULL) == 4);
  ck_assert(num(a, "test", "log_loss") == num(b, "test", "log_loss"));
  ck_assert(num(a, "val", "auc") == num(b, "val", "auc"));
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "data"), "test_rows_digest")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "data"), "test_rows_digest")));
  cJSON_Delete(a);
  cJSON_Delete(b);
  const char *lin[] = {"model.type=logistic", "optimizer.epochs=2", NULL};
  ck_assert_int_eq(run_cached(data, lin, false, 0, c, "cl", &a), TR_OK);
  ck_assert_str_eq(worker_data(a), "loaded");
  cJSON_Delete(a);
  const char *val[] = {"model.type=mlp", "model.hidden=8", "optimizer.epochs=2", "data.val_fraction=0.3", NULL};
  ck_assert_int_eq(run_cached(data, val, false, 0, c, "cv", &a), TR_OK);
  ck_assert_str_eq(worker_data(a), "loaded");
  ck_assert(num(cJSON_GetObjectItem(a, "data"), "val_rows", NULL) > 150); /* 0.3, not the cached 0.1 */
  cJSON_Delete(a);
  ck_assert_uint_eq(run_cache_loads(c), 3);
  /* the file rewritten in place: another key, the new rows loaded */
  char key1[17], key2[17];
  char train[600];
  snprintf(train, sizeof train, "data.train=%s", data);
  const char *keyed[] = {train, CATALOG, "model.type=logistic", NULL};
  job *j = tu_job(keyed);
  dist_ctx dist = {.rank = 0, .size = 1, .local_size = 1}, two = {.rank = 0, .size = 2, .local_size = 2};
  ck_assert(run_cache_key(j, &dist, key1));
  ck_assert(!run_cache_key(j, &two, key2)); /* several ranks: never cached */
  free(write_data("bin.h5", 500, 2));
  ck_assert(run_cache_key(j, &dist, key2));
  ck_assert_str_ne(key1, key2);
  job_free(&j);
  /* a directory of shards: no stat names its contents, so never cached */
  char *shards = tu_path(tu_dir, "shards");
  ck_assert_int_eq(mkdir(shards, 0755), 0);
  free(write_data("shards/part-00000.h5", 300, 2));
  snprintf(train, sizeof train, "data.train=%s", shards);
  j = tu_job(keyed);
  ck_assert(!run_cache_key(j, &dist, key2));
  job_free(&j);
  free(shards);
  ck_assert_int_eq(run_cached(data, lin, false, 0, c, "cl", &a), TR_OK);
  ck_assert_str_eq(worker_data(a), "loaded");
  ck_assert(num(cJSON_GetObjectItem(a, "data"), "train_rows", NULL) + num(cJSON_GetObjectItem(a, "data"), "val_rows", NULL) +
                num(cJSON_GetObjectItem(a, "data"), "test_rows", NULL) == 500);
  cJSON_Delete(a);
  ck_assert_uint_eq(run_cache_loads(c), 4);
  run_cache_free(&c);
  ck_assert_ptr_null(c);
  free(data);
}
END_TEST

START_TEST(interrupted_then_resumed) {
  char *data = write_data("bin.h5", 800, 2);
  const char *sets[] = {"model.type=mlp", "model.hidden=8", "optimizer.epochs=3", "early_stopping.enabled=false", NULL};
  volatile sig_atomic_t stop = 15; /* asked to stop before the first epoch ends */
  cJSON *r = NULL;
  ck_assert_int_eq(run(data, sets, false, &stop, "out", &r), TR_OK);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "stop_reason")), "interrupted");
  cJSON_Delete(r);
  char *dir = tu_path(tu_dir, "out");
  ck_assert(tu_exists(dir, "checkpoint/" RUNFILES_CHECKPOINT));
  stop = 0;
  ck_assert_int_eq(run(data, sets, true, &stop, "out", &r), TR_OK);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "stop_reason")), "max_epochs");
  ck_assert(num(r, "epochs_run", NULL) == 3);
  cJSON *uninterrupted = NULL;
  ck_assert_int_eq(run(data, sets, false, NULL, "ref", &uninterrupted), TR_OK);
  ck_assert(num(r, "test", "log_loss") == num(uninterrupted, "test", "log_loss"));
  cJSON_Delete(uninterrupted);
  cJSON_Delete(r);
  free(dir);
  free(data);
}
END_TEST

START_TEST(streamed_through_storage) {
  char *data = write_data("bin.h5", 1000, 2);
  const char *memory[] = {"model.type=logistic", "optimizer.name=adam", "optimizer.epochs=3",
                          "early_stopping.enabled=false", NULL};
  const char *streamed[] = {"model.type=logistic", "optimizer.name=adam", "optimizer.epochs=3",
                            "early_stopping.enabled=false", "storage.backend=local", NULL};
  cJSON *a = NULL, *b = NULL;
  ck_assert_int_eq(run(data, memory, false, NULL, "mem", &a), TR_OK);
  ck_assert_int_eq(run(data, streamed, false, NULL, "stream", &b), TR_OK);
  /* the same batches in the same order: the same model */
  ck_assert(num(a, "test", "log_loss") == num(b, "test", "log_loss"));
  const cJSON *st = cJSON_GetObjectItem(b, "storage");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(st, "backend")), "local");
  ck_assert(cJSON_GetNumberValue(cJSON_GetObjectItem(st, "read_ops")) > 0);
  cJSON_Delete(a);
  cJSON_Delete(b);
  /* lbfgs cannot stream */
  const char *lbfgs[] = {"optimizer.name=lbfgs", "storage.backend=s3", NULL};
  tr_error_clear();
  ck_assert_int_eq(run(data, lbfgs, false, NULL, "no", &a), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "optimizer.name: lbfgs is full-batch"));
  tr_error_clear();
  free(data);
}
END_TEST

static const char *digest_of(const cJSON *r) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "data"), "test_rows_digest"));
}

/* data.test_rows_digest says "the same test rows": their labels are in it (it hashed the
 * row ids only, so a split of other labels, or any test file of as many rows, had the
 * same digest), and so is a separate test file's name. */
START_TEST(test_rows_digest_covers_labels) {
  char *a = write_data("a.h5", 600, 2), *b = tu_path(tu_dir, "b.h5"), *c = tu_path(tu_dir, "c.h5");
  ds_dataset *d = NULL;
  synth_params sp = synth_defaults();
  sp.rows = 600;
  sp.features = 6;
  sp.seed = 3;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  for (size_t i = 0; i < d->rows; i++) d->y[i] = 1 - d->y[i]; /* other labels, as many rows */
  h5io_write_opts w = {0};
  ck_assert_int_eq(h5io_write(b, d, &w), TR_OK);
  ck_assert_int_eq(h5io_write(c, d, &w), TR_OK); /* the same rows under another name */
  ds_free(&d);
  /* split (a regression, unstratified: the same test ids whatever the labels) */
  const char *linear[] = {"model.type=linear", "optimizer.epochs=1", NULL};
  cJSON *ra = NULL, *rb = NULL, *ra2 = NULL;
  ck_assert_int_eq(run(a, linear, false, NULL, "sa", &ra), TR_OK);
  ck_assert_int_eq(run(b, linear, false, NULL, "sb", &rb), TR_OK);
  ck_assert_int_eq(run(a, linear, false, NULL, "sa2", &ra2), TR_OK);
  ck_assert_str_eq(digest_of(ra), digest_of(ra2));
  ck_assert_str_ne(digest_of(ra), digest_of(rb));
  cJSON_Delete(ra);
  cJSON_Delete(rb);
  cJSON_Delete(ra2);
  /* separate test files of 600 rows each */
  char ta[600], tb[600], tc[600];
  snprintf(ta, sizeof ta, "data.test=%s", a);
  snprintf(tb, sizeof tb, "data.test=%s", b);
  snprintf(tc, sizeof tc, "data.test=%s", c);
  const char *with_a[] = {"model.type=logistic", "optimizer.epochs=1", ta, NULL};
  const char *with_b[] = {"model.type=logistic", "optimizer.epochs=1", tb, NULL};
  const char *with_c[] = {"model.type=logistic", "optimizer.epochs=1", tc, NULL};
  cJSON *fa = NULL, *fb = NULL, *fc = NULL, *fa2 = NULL;
  ck_assert_int_eq(run(a, with_a, false, NULL, "fa", &fa), TR_OK);
  ck_assert_int_eq(run(b, with_a, false, NULL, "fa2", &fa2), TR_OK); /* another train file */
  ck_assert_int_eq(run(a, with_b, false, NULL, "fb", &fb), TR_OK);
  ck_assert_int_eq(run(a, with_c, false, NULL, "fc", &fc), TR_OK);
  ck_assert_str_eq(digest_of(fa), digest_of(fa2));
  ck_assert_str_ne(digest_of(fa), digest_of(fb));
  ck_assert_str_ne(digest_of(fb), digest_of(fc));
  cJSON_Delete(fa);
  cJSON_Delete(fa2);
  cJSON_Delete(fb);
  cJSON_Delete(fc);
  free(a);
  free(b);
  free(c);
}
END_TEST

/* A catalog that lacks a price the run is billed is refused before training (it was a
 * warning and storage_usd 0 after the whole run; a missing spot_discount priced
 * on-demand as spot), naming the catalog and the key; nothing is left behind. */
START_TEST(missing_prices_refused_before_training) {
  char *data = write_data("bin.h5", 400, 2), *cat = tu_path(tu_dir, "p.ini"), pricing[600];
  tu_write(cat, "[instance.c5.4xlarge]\nusd_per_hour = 0.68\n[storage.s3]\nusd_per_gb_month = 0.023\n");
  snprintf(pricing, sizeof pricing, "cost.pricing=%s", cat);
  const char *s3[] = {pricing, "model.type=logistic", "optimizer.name=adam", "optimizer.epochs=1",
                      "storage.backend=s3", NULL};
  cJSON *r = NULL;
  tr_error_clear();
  ck_assert_int_eq(run(data, s3, false, NULL, "o1", &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini: [storage.s3] has no usd_per_1k_get"));
  ck_assert_ptr_null(r);
  ck_assert(!tu_exists(tu_dir, "o1"));
  tr_error_clear();
  const char *spot[] = {pricing, "model.type=logistic", "optimizer.epochs=1", "cost.spot=true", NULL};
  ck_assert_int_eq(run(data, spot, false, NULL, "o2", &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini: [instance.c5.4xlarge] has no spot_discount, which cost.spot = true needs"));
  ck_assert(!tu_exists(tu_dir, "o2"));
  tr_error_clear();
  const char *on_demand[] = {pricing, "model.type=logistic", "optimizer.epochs=1", NULL};
  ck_assert_int_eq(run(data, on_demand, false, NULL, "o3", &r), TR_OK);
  ck_assert(num(r, "cost", "total_usd") > 0);
  cJSON_Delete(r);
  free(cat);
  free(data);
}
END_TEST

int main(void) {
  Suite *s = suite_create("run");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, net_spec_from_job);
  tcase_add_test(tc, train_params_from_job);
  tcase_add_test(tc, whole_run_outputs);
  tcase_add_test(tc, task_and_label_errors);
  tcase_add_test(tc, interrupted_then_resumed);
  tcase_add_test(tc, cached_data_gives_the_uncached_result);
  tcase_add_test(tc, streamed_through_storage);
  tcase_add_test(tc, missing_prices_refused_before_training);
  tcase_add_test(tc, test_rows_digest_covers_labels);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
