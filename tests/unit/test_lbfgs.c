/* Tests for trainer/lbfgs.c: converges on an ill-conditioned quadratic and on the
 * Rosenbrock function, reports convergence, and stalls cleanly on a bad objective. */
#include <math.h>

#include "testutil.h"
#include "trainer/lbfgs.h"

static double quadratic(const float *x, float *g, void *user) {
  (void)user;
  double f = 0;
  for (int i = 0; i < 10; i++) {
    double a = pow(10.0, i / 3.0), d = x[i] - (i - 4.5);
    f += 0.5 * a * d * d;
    g[i] = (float)(a * d);
  }
  return f;
}

static double rosenbrock(const float *x, float *g, void *user) {
  (void)user;
  double a = 1 - x[0], b = x[1] - (double)x[0] * x[0];
  g[0] = (float)(-2 * a - 400 * x[0] * b);
  g[1] = (float)(200 * b);
  return a * a + 100 * b * b;
}

static double nan_objective(const float *x, float *g, void *user) {
  (void)x;
  (void)user;
  g[0] = 1.0f;
  static int calls = 0;
  return calls++ == 0 ? 1.0 : NAN;
}

START_TEST(quadratic_converges) {
  lbfgs_state *s = lbfgs_new(10, 10);
  float x[10] = {0};
  lbfgs_result r = LBFGS_STEP;
  int it = 0;
  while (r == LBFGS_STEP && it++ < 200) r = lbfgs_iterate(s, x, quadratic, NULL, 1e-2, 0); /* float32 x: finer is noise */
  ck_assert_int_eq(r, LBFGS_CONVERGED);
  ck_assert_int_lt(it, 80); /* scipy L-BFGS-B (maxcor 10, gtol 1e-2) takes 60 here */
  for (int i = 0; i < 10; i++) /* |g_i| <= 1e-2 means |x_i - c_i| <= 1e-2 / a_i */
    ck_assert_float_eq_tol(x[i], (float)(i - 4.5), 1.1e-2f);
  lbfgs_free(&s);
  ck_assert_ptr_null(s);
}
END_TEST

START_TEST(rosenbrock_converges) {
  lbfgs_state *s = lbfgs_new(2, 10);
  float x[2] = {-1.2f, 1.0f};
  lbfgs_result r = LBFGS_STEP;
  for (int it = 0; r == LBFGS_STEP && it < 500; it++) r = lbfgs_iterate(s, x, rosenbrock, NULL, 1e-4, 0);
  ck_assert_int_ne(r, LBFGS_STEP);
  ck_assert_float_eq_tol(x[0], 1.0f, 2e-2f);
  ck_assert_float_eq_tol(x[1], 1.0f, 4e-2f);
  lbfgs_free(&s);
}
END_TEST

START_TEST(stalls_without_decrease) {
  lbfgs_state *s = lbfgs_new(1, 5);
  float x[1] = {3.0f};
  ck_assert_int_eq(lbfgs_iterate(s, x, nan_objective, NULL, 1e-9, 0), LBFGS_STALLED);
  ck_assert_float_eq(x[0], 3.0f);
  lbfgs_free(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("lbfgs");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, quadratic_converges);
  tcase_add_test(tc, rosenbrock_converges);
  tcase_add_test(tc, stalls_without_decrease);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
