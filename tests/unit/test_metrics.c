/* Tests for trainer/metrics.c against values computed with sklearn 1.2 for the same
 * vectors (ties, one class present, all-wrong predictions). */
#include <math.h>

#include "testutil.h"
#include "trainer/metrics.h"

START_TEST(binary_matches_sklearn) {
  float y[] = {0, 0, 1, 1, 1, 0, 1, 0};
  float p[] = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f, 0.4f, 0.9f, 0.7f};
  metrics_binary m = metrics_binary_eval(y, p, 8);
  ck_assert_double_eq_tol(m.auc, 0.6875, 1e-12);  /* three-way tie at 0.4 */
  ck_assert_double_eq_tol(m.log_loss, 0.5782001863575765, 1e-6);
  ck_assert_double_eq_tol(m.accuracy, 0.625, 1e-12);
  ck_assert_double_eq_tol(m.precision, 2.0 / 3.0, 1e-12);
  ck_assert_double_eq_tol(m.recall, 0.5, 1e-12);
  ck_assert_double_eq_tol(m.f1, 0.5714285714285715, 1e-12);
  ck_assert_uint_eq(m.tp, 2);
  ck_assert_uint_eq(m.fp, 1);
  ck_assert_uint_eq(m.tn, 3);
  ck_assert_uint_eq(m.fn, 2);
}
END_TEST

START_TEST(all_wrong) {
  float y[] = {0, 1, 0, 1}, p[] = {0.9f, 0.1f, 0.8f, 0.2f};
  metrics_binary m = metrics_binary_eval(y, p, 4);
  ck_assert_double_eq_tol(m.auc, 0.0, 1e-12);
  ck_assert_double_eq_tol(m.accuracy, 0.0, 1e-12);
  ck_assert_double_eq_tol(m.f1, 0.0, 1e-12);  /* zero_division = 0 */
  ck_assert_double_eq_tol(m.log_loss, 1.9560115027140732, 1e-6);
}
END_TEST

START_TEST(ties_and_single_class) {
  float y[] = {0, 1, 0, 1}, p[] = {0.5f, 0.5f, 0.5f, 0.5f};
  ck_assert_double_eq_tol(metrics_auc(y, p, 4), 0.5, 1e-12);
  float one[] = {1, 1, 1};
  ck_assert(isnan(metrics_auc(one, p, 3)));
  float zero_p[] = {0.0f, 1.0f};
  float yy[] = {1, 0};
  /* clipping keeps log-loss finite for certain, wrong predictions */
  ck_assert(isfinite(metrics_log_loss(yy, zero_p, 2)));
  ck_assert_double_eq_tol(metrics_log_loss(yy, zero_p, 2), -log(1e-15), 1e-3);
}
END_TEST

START_TEST(regression_matches_sklearn) {
  float y[] = {3.0f, -0.5f, 2.0f, 7.0f}, p[] = {2.5f, 0.0f, 2.0f, 8.0f};
  metrics_regression m = metrics_regression_eval(y, p, 4);
  ck_assert_double_eq_tol(m.mse, 0.375, 1e-9);
  ck_assert_double_eq_tol(m.rmse, sqrt(0.375), 1e-9);
  ck_assert_double_eq_tol(m.mae, 0.5, 1e-9);
  ck_assert_double_eq_tol(m.r2, 0.9486081370449679, 1e-9);
  ck_assert_double_eq(metrics_regression_get(&m, "rmse"), m.rmse);
  ck_assert(isnan(metrics_regression_get(&m, "nope")));
  float c[] = {1, 1}, exact[] = {1, 1}, off[] = {1, 2};
  ck_assert_double_eq(metrics_regression_eval(c, exact, 2).r2, 1.0);
  ck_assert(isnan(metrics_regression_eval(c, off, 2).r2));
}
END_TEST

int main(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, binary_matches_sklearn);
  tcase_add_test(tc, all_wrong);
  tcase_add_test(tc, ties_and_single_class);
  tcase_add_test(tc, regression_matches_sklearn);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
