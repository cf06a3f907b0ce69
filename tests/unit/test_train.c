/* Tests for trainer/train.c and trainer/checkpoint.c: each model family learns a problem
 * it can solve, L-BFGS converges, early stopping restores the best epoch, a non-finite
 * loss stops with its reason, the history's per-epoch training and validation metrics,
 * and an interrupted run resumed from its checkpoint ends bit-identical to an
 * uninterrupted one, history included. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/synth.h"
#include "testutil.h"
#include "trainer/checkpoint.h"
#include "trainer/metrics.h"
#include "trainer/train.h"

static train_params params(opt_kind kind, double lr, int epochs) {
  return (train_params){.optimizer = kind, .lr = lr, .tol = 1e-5, .batch_size = 32,
                        .epochs = epochs, .seed = 1, .schedule = SCHED_CONSTANT, .lr_gamma = 0.1,
                        .lr_step_epochs = 10,
                        .es = {.enabled = false, .monitor = "val_loss", .mode = "auto", .patience = 3,
                               .baseline = NAN, .stopping_threshold = NAN,
                               .divergence_threshold = NAN, .check_finite = true},
                        .restore_best = true};
}

static ds_dataset *classification(size_t rows, size_t features, int classes, uint64_t seed) {
  synth_params sp = synth_defaults();
  sp.rows = rows;
  sp.features = features;
  sp.classes = classes;
  sp.informative = features / 2 > 2 ? features / 2 : 2;
  sp.noise = 0;
  sp.class_sep = 2;
  sp.seed = seed;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  return d;
}

/* Trains a fresh net and returns accuracy on the training data. */
static double fit_accuracy(net_spec spec, loss_head head, ds_dataset *d, train_params p, train_outcome *oc) {
  net *n = net_new(&spec);
  rng_t r;
  rng_seed(&r, 7);
  net_init(n, &r, spec.n_hidden == 0);
  train_state *s = train_state_new(n, &p);
  ds_dataset none = *d;
  none.rows = 0;
  ck_assert_int_eq(train_fit(n, head, d, &none, &p, s, NULL, NULL, oc), TR_OK);
  size_t width = spec.outputs;
  float *pred = malloc(d->rows * width * sizeof(float));
  ck_assert_int_eq(train_predict(n, head, d, pred, NULL), TR_OK);
  double acc = train_metric(head, "accuracy", d, pred, width);
  free(pred);
  train_state_free(&s);
  net_free(&n);
  return acc;
}

START_TEST(logistic_sgd_and_lbfgs) {
  ds_dataset *d = classification(2000, 8, 2, 1);
  train_outcome oc;
  net_spec spec = {.inputs = 8, .outputs = 1};
  ck_assert_double_gt(fit_accuracy(spec, HEAD_BINARY, d, params(OPT_SGD, 0.1, 10), &oc), 0.85);
  ck_assert_double_gt(fit_accuracy(spec, HEAD_BINARY, d, params(OPT_LBFGS, 0, 200), &oc), 0.85);
  ck_assert_str_eq(oc.stop_reason, "converged");
  ck_assert_int_lt(oc.epochs_run, 200);
  ds_free(&d);
}
END_TEST

START_TEST(softmax_and_mlp_multiclass) {
  ds_dataset *d = classification(3000, 10, 4, 2);
  train_outcome oc;
  net_spec lin = {.inputs = 10, .outputs = 4};
  /* two clusters per class: a linear model does well above chance (0.25), not perfectly */
  ck_assert_double_gt(fit_accuracy(lin, HEAD_MULTICLASS, d, params(OPT_ADAM, 0.01, 20), &oc), 0.55);
  net_spec mlp = {.inputs = 10, .outputs = 4, .hidden = {32, 16}, .n_hidden = 2, .act = ACT_RELU};
  double acc_mlp = fit_accuracy(mlp, HEAD_MULTICLASS, d, params(OPT_ADAM, 0.003, 30), &oc);
  ck_assert_double_gt(acc_mlp, 0.9);
  ds_free(&d);
}
END_TEST

START_TEST(mlp_solves_xor) {
  /* two informative dimensions, two clusters per class: the XOR no linear model fits */
  synth_params sp = synth_defaults();
  sp.rows = 2000;
  sp.features = 2;
  sp.informative = 2;
  sp.redundant = 0;
  sp.noise = 0;
  sp.class_sep = 3;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  train_outcome oc;
  net_spec lin = {.inputs = 2, .outputs = 1};
  double acc_lin = fit_accuracy(lin, HEAD_BINARY, d, params(OPT_LBFGS, 0, 100), &oc);
  net_spec mlp = {.inputs = 2, .outputs = 1, .hidden = {16}, .n_hidden = 1, .act = ACT_TANH};
  double acc_mlp = fit_accuracy(mlp, HEAD_BINARY, d, params(OPT_ADAM, 0.01, 40), &oc);
  ck_assert_double_gt(acc_mlp, 0.9);
  ck_assert_double_gt(acc_mlp, acc_lin + 0.2);
  ds_free(&d);
}
END_TEST

/* Records the history rows the callback sees. */
typedef struct {
  int calls;
  double last_val;
  volatile sig_atomic_t *stop;
  int stop_after;
} probe;

static tr_err on_epoch(const train_epoch *e, const net *n, const train_state *s, void *user) {
  (void)n;
  (void)s;
  probe *pr = user;
  pr->calls++;
  pr->last_val = e->val_loss;
  if (pr->stop && e->epoch == pr->stop_after) *pr->stop = 1;
  return TR_OK;
}

START_TEST(early_stopping_restores_best) {
  synth_params sp = synth_defaults();
  sp.rows = 400;
  sp.features = 60;
  sp.informative = 2;
  sp.noise = 0.3;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  ds_dataset train = *d, val = *d;
  train.rows = val.rows = 200;
  val.X = d->X + 200 * d->cols;
  val.y = d->y + 200;
  net_spec spec = {.inputs = 60, .outputs = 1, .hidden = {64}, .n_hidden = 1};
  net *n = net_new(&spec);
  rng_t r;
  rng_seed(&r, 1);
  net_init(n, &r, false);
  train_params p = params(OPT_ADAM, 0.01, 200);
  p.es.enabled = true;
  train_state *s = train_state_new(n, &p);
  probe pr = {0};
  train_outcome oc;
  ck_assert_int_eq(train_fit(n, HEAD_BINARY, &train, &val, &p, s, on_epoch, &pr, &oc), TR_OK);
  ck_assert_str_eq(oc.stop_reason, "patience");
  ck_assert_int_eq(pr.calls, oc.epochs_run);
  ck_assert_int_eq(oc.epochs_run, oc.best_epoch + 3);
  double last_loss;
  train_restore_best(n, s, &p, false);
  float *pred = malloc(200 * sizeof(float));
  train_predict(n, HEAD_BINARY, &val, pred, &last_loss);
  ck_assert_double_eq_tol(last_loss, s->history[oc.best_epoch - 1].val_loss, 1e-9);
  ck_assert_double_lt(last_loss, pr.last_val);
  free(pred);
  train_state_free(&s);
  net_free(&n);
  ds_free(&d);
}
END_TEST

START_TEST(non_finite_loss_stops) {
  ds_dataset *d = ds_new(64, 2, true);
  for (size_t i = 0; i < 128; i++) d->X[i] = (float)(i % 7) * 1e18f;
  for (size_t i = 0; i < 64; i++) d->y[i] = (float)(i % 2) * 1e18f;
  ds_dataset none = *d;
  none.rows = 0;
  net_spec spec = {.inputs = 2, .outputs = 1};
  net *n = net_new(&spec);
  train_params p = params(OPT_SGD, 10, 5);
  train_state *s = train_state_new(n, &p);
  train_outcome oc;
  ck_assert_int_eq(train_fit(n, HEAD_REGRESSION, d, &none, &p, s, NULL, NULL, &oc), TR_ENUMERIC);
  ck_assert_str_eq(oc.stop_reason, "non_finite");
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "non-finite"));
  train_state_free(&s);
  net_free(&n);
  ds_free(&d);
}
END_TEST

/* What an epoch's metrics are checked against: the weights' own predictions. */
typedef struct {
  loss_head head;
  const ds_dataset *train, *val;
  target_scaler target;
  const char *names[TRAIN_MAX_METRICS];
  int k;
  double tol;            /* train_m against the reference (another row blocking of the GEMMs) */
  bool train_same_epoch; /* lbfgs: the epoch's final weights; else the epoch's start (lr ~ 0) */
  bool dropout;          /* train_m from dropped-out passes: must differ from the reference */
  double start[TRAIN_MAX_METRICS];
  int epochs;
} metric_probe;

/* The metrics of n's predictions for d, regression values in the target's units. */
static void metrics_of(const metric_probe *mp, const net *n, const ds_dataset *d, double *out) {
  size_t width = n->spec.outputs;
  float *pred = malloc(d->rows * width * sizeof(float)), *y = malloc(d->rows * sizeof(float));
  ck_assert_int_eq(train_predict(n, mp->head, d, pred, NULL), TR_OK);
  memcpy(y, d->y, d->rows * sizeof(float));
  if (mp->head == HEAD_REGRESSION) {
    target_scaler_invert(&mp->target, y, d->rows);
    target_scaler_invert(&mp->target, pred, d->rows);
  }
  ds_dataset view = {.rows = d->rows, .y = y};
  for (int m = 0; m < mp->k; m++) out[m] = train_metric(mp->head, mp->names[m], &view, pred, width);
  free(pred);
  free(y);
}

static tr_err check_metrics(const train_epoch *e, const net *n, const train_state *s, void *user) {
  (void)s;
  metric_probe *mp = user;
  double train_now[TRAIN_MAX_METRICS], val_now[TRAIN_MAX_METRICS];
  metrics_of(mp, n, mp->train, train_now);
  metrics_of(mp, n, mp->val, val_now);
  const double *ref = mp->train_same_epoch ? train_now : mp->start;
  for (int m = 0; m < mp->k; m++) {
    ck_assert_msg(e->val_m[m] == val_now[m], "epoch %d val_%s %.9g, predicted %.9g", e->epoch,
                  mp->names[m], e->val_m[m], val_now[m]);
    ck_assert(isfinite(e->train_m[m]));
    if (mp->dropout) continue;
    ck_assert_msg(fabs(e->train_m[m] - ref[m]) <= mp->tol * fmax(1, fabs(ref[m])),
                  "epoch %d train_%s %.9g, predicted %.9g", e->epoch, mp->names[m], e->train_m[m], ref[m]);
  }
  if (mp->dropout) ck_assert(e->train_m[1] != ref[1]);
  memcpy(mp->start, train_now, sizeof train_now);
  mp->epochs++;
  return TR_OK;
}

/* Fits spec on the first 800 rows of d, validating on the rest, checking every epoch's
 * metrics with mp. */
static void fit_checking_metrics(net_spec spec, train_params p, ds_dataset *d, metric_probe *mp) {
  ds_dataset train = *d, val = *d;
  train.rows = 800;
  val.rows = d->rows - 800;
  val.X = d->X + 800 * d->cols;
  val.y = d->y + 800;
  mp->train = &train;
  mp->val = &val;
  mp->k = train_history_metrics(mp->head, p.es.monitor, mp->names);
  p.target = mp->target;
  net *n = net_new(&spec);
  rng_t r;
  rng_seed(&r, 5);
  net_init(n, &r, spec.n_hidden == 0);
  metrics_of(mp, n, &train, mp->start); /* the weights the first epoch starts from */
  train_state *s = train_state_new(n, &p);
  train_outcome oc;
  ck_assert_int_eq(train_fit(n, mp->head, &train, &val, &p, s, check_metrics, mp, &oc), TR_OK);
  ck_assert_int_eq(mp->epochs, oc.epochs_run);
  ck_assert_int_ge(mp->epochs, 2);
  train_state_free(&s);
  net_free(&n);
}

/* The training metrics are the epoch's running values from the steps' own forward
 * passes: with a learning rate too small to move a float weight, every batch (31 of them,
 * the last one short) sees the epoch's starting weights, so they equal that model's
 * metrics over the training rows; lbfgs's are its final objective evaluation's, the
 * epoch's end weights. The validation metrics are the end weights', in the target's units
 * for regression, and every one of them is checked every epoch. */
START_TEST(history_metrics_per_epoch) {
  ds_dataset *d = classification(1000, 8, 2, 6);
  net_spec mlp = {.inputs = 8, .outputs = 1, .hidden = {16}, .n_hidden = 1, .act = ACT_TANH};
  train_params p = params(OPT_SGD, 1e-30, 3);
  p.batch_size = 26;
  p.es.monitor = "val_precision";
  metric_probe bin = {.head = HEAD_BINARY, .tol = 1e-4};
  fit_checking_metrics(mlp, p, d, &bin);
  ck_assert_int_eq(bin.k, 3);
  ck_assert_str_eq(bin.names[2], "precision");
  /* with dropout the training metrics are the dropped-out passes' (Keras'), not the
     model's */
  mlp.dropout = 0.5f;
  metric_probe drop = {.head = HEAD_BINARY, .dropout = true};
  fit_checking_metrics(mlp, p, d, &drop);
  ds_free(&d);

  d = classification(1000, 6, 3, 7);
  net_spec soft = {.inputs = 6, .outputs = 3};
  metric_probe multi = {.head = HEAD_MULTICLASS, .train_same_epoch = true};
  fit_checking_metrics(soft, params(OPT_LBFGS, 0, 6), d, &multi);
  ck_assert_int_eq(multi.k, 2);
  ds_free(&d);

  synth_params sp = synth_defaults();
  sp.rows = 1000;
  sp.features = 5;
  sp.informative = 3;
  ck_assert_int_eq(synth_regression(&sp, &d), TR_OK);
  target_scaler t = {100, 10};
  target_scaler_apply(&t, d->y, d->rows); /* the trainer sees standardized labels */
  net_spec lin = {.inputs = 5, .outputs = 1};
  p = params(OPT_ADAM, 1e-30, 3);
  p.es.monitor = "val_mae";
  metric_probe reg = {.head = HEAD_REGRESSION, .target = t, .tol = 1e-5};
  fit_checking_metrics(lin, p, d, &reg);
  ck_assert_int_eq(reg.k, 3);
  metric_probe reg_lbfgs = {.head = HEAD_REGRESSION, .target = t, .train_same_epoch = true};
  fit_checking_metrics(lin, params(OPT_LBFGS, 0, 4), d, &reg_lbfgs);
  ds_free(&d);
}
END_TEST

/* Runs to the end, optionally interrupted after `stop_after` epochs, checkpointed and
 * resumed in a fresh net and state; returns the final parameters (malloc'd) and the 8
 * history rows in hist. */
static float *run_maybe_interrupted(ds_dataset *train, ds_dataset *val, int stop_after, size_t *np,
                                    train_epoch hist[8]) {
  net_spec spec = {.inputs = train->cols, .outputs = 3, .hidden = {16}, .n_hidden = 1, .dropout = 0.2f};
  train_params p = params(OPT_ADAM, 0.01, 8);
  p.es.enabled = true;
  p.es.monitor = "val_auc"; /* a third metric besides the headline accuracy and f1 */
  p.es.patience = 100;
  p.schedule = SCHED_PLATEAU;
  p.lr_patience = 1;
  volatile sig_atomic_t stop = 0;
  p.stop = &stop;
  net *n = net_new(&spec);
  rng_t r;
  rng_seed(&r, 3);
  net_init(n, &r, false);
  train_state *s = train_state_new(n, &p);
  probe pr = {.stop = stop_after ? &stop : NULL, .stop_after = stop_after};
  train_outcome oc;
  ck_assert_int_eq(train_fit(n, HEAD_MULTICLASS, train, val, &p, s, on_epoch, &pr, &oc), TR_OK);
  if (stop_after) {
    ck_assert_str_eq(oc.stop_reason, "interrupted");
    ck_assert_int_eq(s->epoch, stop_after);
    char *path = tu_path(tu_dir, "ckpt.h5");
    ck_assert_int_eq(ckpt_save(path, n, s, "job", NULL), TR_OK);
    train_state_free(&s);
    net_free(&n);
    n = net_new(&spec);
    s = train_state_new(n, &p);
    ck_assert_int_eq(ckpt_load(path, n, s, "other job", NULL), TR_EINPUT);
    tr_error_clear();
    ck_assert_int_eq(ckpt_load(path, n, s, "job", NULL), TR_OK);
    ck_assert_int_eq(s->epoch, stop_after);
    stop = 0;
    ck_assert_int_eq(train_fit(n, HEAD_MULTICLASS, train, val, &p, s, NULL, NULL, &oc), TR_OK);
    free(path);
  }
  ck_assert_int_eq(s->epoch, 8);
  memcpy(hist, s->history, 8 * sizeof *hist);
  train_restore_best(n, s, &p, false);
  *np = n->n_params;
  float *out = malloc(n->n_params * sizeof(float));
  memcpy(out, n->params, n->n_params * sizeof(float));
  train_state_free(&s);
  net_free(&n);
  return out;
}

START_TEST(resume_is_bit_identical) {
  ds_dataset *d = classification(1200, 6, 3, 4);
  ds_dataset train = *d, val = *d;
  train.rows = 1000;
  val.rows = 200;
  val.X = d->X + 1000 * d->cols;
  val.y = d->y + 1000;
  size_t n1, n2;
  train_epoch ha[8], hb[8];
  float *whole = run_maybe_interrupted(&train, &val, 0, &n1, ha);
  float *resumed = run_maybe_interrupted(&train, &val, 3, &n2, hb);
  ck_assert_uint_eq(n1, n2);
  ck_assert_mem_eq(whole, resumed, n1 * sizeof(float));
  /* the history but its timings: the epochs before the checkpoint come from it */
  for (int e = 0; e < 8; e++) {
    ck_assert(ha[e].epoch == hb[e].epoch && ha[e].train_loss == hb[e].train_loss &&
              ha[e].val_loss == hb[e].val_loss && ha[e].val_monitor == hb[e].val_monitor &&
              ha[e].lr == hb[e].lr);
    ck_assert_mem_eq(ha[e].train_m, hb[e].train_m, sizeof ha[e].train_m);
    ck_assert_mem_eq(ha[e].val_m, hb[e].val_m, sizeof ha[e].val_m);
    for (int m = 0; m < 3; m++) ck_assert(isfinite(ha[e].train_m[m]) && isfinite(ha[e].val_m[m]));
    ck_assert(ha[e].val_monitor == ha[e].val_m[2]); /* val_auc is the third */
  }
  free(whole);
  free(resumed);
  ds_free(&d);
}
END_TEST

START_TEST(checkpoint_errors) {
  char *p = tu_path(tu_dir, "c.h5");
  net_spec spec = {.inputs = 3, .outputs = 1};
  net *n = net_new(&spec);
  train_params tp = params(OPT_SGD, 0.1, 5);
  train_state *s = train_state_new(n, &tp);
  ck_assert_int_eq(ckpt_load(p, n, s, NULL, NULL), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no checkpoint to resume from"));
  tr_error_clear();
  ck_assert_int_eq(ckpt_save(p, n, s, NULL, NULL), TR_OK);
  net_spec bigger = {.inputs = 4, .outputs = 1};
  net *m = net_new(&bigger);
  train_state *t = train_state_new(m, &tp);
  ck_assert_int_eq(ckpt_load(p, m, t, NULL, NULL), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "parameters"));
  tr_error_clear();
  /* a version 1 checkpoint (no per-epoch metrics in its history) is refused by name */
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
  long one = 1;
  ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_LONG, &one), 0);
  H5Aclose(a);
  H5Fclose(f);
  ck_assert_int_eq(ckpt_load(p, n, s, NULL, NULL), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "checkpoint format version 1 was written by an older tradeoff"));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "without --resume"));
  tr_error_clear();
  tu_write(p, "garbage");
  ck_assert_int_eq(ckpt_load(p, n, s, NULL, NULL), TR_EINPUT);
  train_state_free(&s);
  train_state_free(&t);
  net_free(&n);
  net_free(&m);
  free(p);
}
END_TEST

START_TEST(check_param) {
  train_params p = params(OPT_ADAM, 0.01, 5);
  const char *key = "unset";
  ck_assert_ptr_null(train_check_param(&p, &key));
  ck_assert_ptr_null(key);
  p.optimizer = OPT_LBFGS;
  p.l1 = 0.1;
  ck_assert_ptr_nonnull(strstr(train_check_param(&p, &key), "lbfgs does not handle an L1 penalty"));
  ck_assert_str_eq(key, "optimizer.l1");
  /* train_fit refuses it too: lbfgs has no proximal step, it used to ignore l1 */
  ds_dataset *d = classification(200, 4, 2, 3);
  net_spec spec = {.inputs = 4, .outputs = 1};
  net *n = net_new(&spec);
  train_state *s = train_state_new(n, &p);
  train_outcome oc;
  tr_error_clear();
  ck_assert_int_eq(train_fit(n, HEAD_BINARY, d, d, &p, s, NULL, NULL, &oc), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "optimizer.l1: lbfgs does not handle"));
  tr_error_clear();
  train_state_free(&s);
  net_free(&n);
  ds_free(&d);
  p.l1 = 0;
  train_source src = {0};
  p.source = &src;
  ck_assert_ptr_nonnull(strstr(train_check_param(&p, &key), "lbfgs is full-batch"));
  ck_assert_str_eq(key, "optimizer.name");
  p = params(OPT_SGD, 0, 5);
  ck_assert_ptr_nonnull(train_check_param(&p, &key));
  ck_assert_str_eq(key, "optimizer.lr");
  p = params(OPT_SGD, 0.1, 5);
  p.batch_size = 0;
  ck_assert_ptr_nonnull(train_check_param(&p, NULL));
  p = params(OPT_SGD, 0.1, 5);
  p.l2 = -1;
  ck_assert_ptr_nonnull(train_check_param(&p, &key));
  ck_assert_str_eq(key, "optimizer.l2");
  p = params(OPT_SGD, 0.1, 5);
  p.es.patience = -1;
  ck_assert_ptr_nonnull(train_check_param(&p, &key));
  ck_assert_str_eq(key, "early_stopping.patience");
}
END_TEST

int main(void) {
  Suite *s = suite_create("train");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, logistic_sgd_and_lbfgs);
  tcase_add_test(tc, softmax_and_mlp_multiclass);
  tcase_add_test(tc, mlp_solves_xor);
  tcase_add_test(tc, early_stopping_restores_best);
  tcase_add_test(tc, non_finite_loss_stops);
  tcase_add_test(tc, history_metrics_per_epoch);
  tcase_add_test(tc, resume_is_bit_identical);
  tcase_add_test(tc, checkpoint_errors);
  tcase_add_test(tc, check_param);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
