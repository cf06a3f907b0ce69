/* Tests for trainer/linear.c: logistic regression learns a separable problem, linear
 * regression recovers coefficients, L1 gives exact zeros, early stopping and
 * restore_best, non-finite loss. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/synth.h"
#include "testutil.h"
#include "trainer/linear.h"
#include "trainer/metrics.h"

static lin_params params(int epochs) {
  return (lin_params){.lr = 0.1, .batch_size = 32, .epochs = epochs, .seed = 1,
                      .monitor = "val_loss",
                      .es = es_init(false, "val_loss", "auto", 3, 0, 0), .restore_best = true};
}

static int epochs_seen;
static void count(const lin_epoch *e, void *user) {
  (void)user;
  epochs_seen = e->epoch;
}

START_TEST(logistic_learns) {
  synth_params sp = synth_defaults();
  sp.rows = 3000;
  sp.features = 10;
  sp.informative = 6;  /* with 2 informative dims the 4 clusters can form an XOR */
  sp.noise = 0;
  sp.class_sep = 2;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  ds_dataset val = *d;
  val.rows = 0;
  lin_model *m = lin_new(TASK_BINARY, d->cols);
  lin_params p = params(10);
  lin_outcome oc;
  ck_assert_int_eq(lin_fit(m, d, &val, &p, count, NULL, &oc), TR_OK);
  ck_assert_int_eq(epochs_seen, 10);
  ck_assert_str_eq(oc.stop_reason, "max_epochs");
  float *pred = ds_alloc_floats(d->rows);
  lin_predict(m, d, pred);
  metrics_binary b = metrics_binary_eval(d->y, pred, d->rows);
  ck_assert_double_gt(b.accuracy, 0.8);
  ck_assert_double_gt(b.auc, 0.85);
  free(pred);
  lin_free(&m);
  ck_assert_ptr_null(m);
  ds_free(&d);
}
END_TEST

START_TEST(linear_recovers_coefficients_and_l1_zeros) {
  ds_dataset *d = ds_new(2000, 3, true);
  for (size_t i = 0; i < d->rows; i++) {
    float *x = d->X + i * 3;
    x[0] = (float)((i * 37 % 101) / 50.0 - 1);
    x[1] = (float)((i * 53 % 97) / 48.0 - 1);
    x[2] = (float)((i * 71 % 89) / 44.0 - 1);
    d->y[i] = 2.0f * x[0] - 3.0f * x[1] + 0.5f;  /* x[2] is irrelevant */
  }
  ds_dataset val = *d;
  val.rows = 0;
  lin_model *m = lin_new(TASK_REGRESSION, 3);
  lin_params p = params(60);
  p.lr = 0.05;
  lin_outcome oc;
  ck_assert_int_eq(lin_fit(m, d, &val, &p, NULL, NULL, &oc), TR_OK);
  ck_assert_double_eq_tol(m->w[0], 2.0, 0.05);
  ck_assert_double_eq_tol(m->w[1], -3.0, 0.05);
  ck_assert_double_eq_tol(m->b, 0.5, 0.05);
  lin_free(&m);
  m = lin_new(TASK_REGRESSION, 3);
  p.l1 = 0.05;
  ck_assert_int_eq(lin_fit(m, d, &val, &p, NULL, NULL, &oc), TR_OK);
  ck_assert_float_eq(m->w[2], 0.0f);  /* proximal step gives an exact zero */
  ck_assert_float_ne(m->w[0], 0.0f);
  lin_free(&m);
  ds_free(&d);
}
END_TEST

START_TEST(early_stopping_restores_best) {
  synth_params sp = synth_defaults();
  sp.rows = 400;
  sp.features = 50;
  sp.informative = 2;
  sp.noise = 0.3;  /* noisy and wide: validation loss soon gets worse */
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  ds_dataset train = *d, val = *d;
  train.rows = 200;
  val.rows = 200;
  val.X = d->X + 200 * d->cols;
  val.y = d->y + 200;
  lin_model *m = lin_new(TASK_BINARY, d->cols);
  lin_params p = params(200);
  p.lr = 0.5;
  p.batch_size = 8;
  p.es = es_init(true, "val_loss", "auto", 3, 0, 0);
  lin_outcome oc;
  ck_assert_int_eq(lin_fit(m, &train, &val, &p, NULL, NULL, &oc), TR_OK);
  ck_assert_str_eq(oc.stop_reason, "patience");
  ck_assert_int_lt(oc.epochs_run, 200);
  ck_assert_int_eq(oc.epochs_run, oc.best_epoch + 3);
  lin_free(&m);
  ds_free(&d);
}
END_TEST

START_TEST(divergence_is_reported) {
  ds_dataset *d = ds_new(100, 2, true);
  for (size_t i = 0; i < 200; i++) d->X[i] = (float)(i % 7) * 1e18f;
  for (size_t i = 0; i < 100; i++) d->y[i] = (float)(i % 2) * 1e18f;
  ds_dataset val = *d;
  val.rows = 0;
  lin_model *m = lin_new(TASK_REGRESSION, 2);
  lin_params p = params(5);
  p.lr = 10;
  lin_outcome oc;
  tr_error_clear();
  ck_assert_int_eq(lin_fit(m, d, &val, &p, NULL, NULL, &oc), TR_ENUMERIC);
  ck_assert_str_eq(oc.stop_reason, "non_finite");
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "non-finite"));
  tr_error_clear();
  p.batch_size = 0;
  ck_assert_ptr_nonnull(lin_check_params(&p));
  lin_free(&m);
  ds_free(&d);
}
END_TEST

int main(void) {
  Suite *s = suite_create("linear");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, logistic_learns);
  tcase_add_test(tc, linear_recovers_coefficients_and_l1_zeros);
  tcase_add_test(tc, early_stopping_restores_best);
  tcase_add_test(tc, divergence_is_reported);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
