/* Tests for trainer/loss.c: values against closed forms, stability for extreme logits,
 * predictions. (Gradients are checked numerically in test_net.c.) */
#include <math.h>

#include "testutil.h"
#include "trainer/loss.h"

START_TEST(binary_cross_entropy) {
  float z[] = {0.0f, 2.0f, -3.0f}, y[] = {1, 0, 0}, d[3];
  double want = log(2) + (2 + log1p(exp(-2))) + log1p(exp(-3));
  ck_assert_double_eq_tol(loss_eval(HEAD_BINARY, z, y, 3, 1, d, 1.0f), want, 1e-6);
  ck_assert_float_eq_tol(d[0], -0.5f, 1e-6f);
  float big[] = {1000.0f, -1000.0f}, yb[] = {0, 1};
  double l = loss_eval(HEAD_BINARY, big, yb, 2, 1, NULL, 1.0f);
  ck_assert(isfinite(l));
  ck_assert_double_eq_tol(l, 2000.0, 1e-3);
  float p[2];
  loss_predict(HEAD_BINARY, big, 2, 1, p);
  ck_assert_float_eq(p[0], 1.0f);
  ck_assert_float_eq(p[1], 0.0f);
}
END_TEST

START_TEST(softmax_cross_entropy) {
  float z[] = {1, 2, 3, 1000, 0, 0}, y[] = {2, 0}, d[6], p[6];
  double lse = log(exp(1) + exp(2) + exp(3));
  ck_assert_double_eq_tol(loss_eval(HEAD_MULTICLASS, z, y, 2, 3, d, 0.5f), lse - 3 + 0.0, 1e-5);
  loss_predict(HEAD_MULTICLASS, z, 2, 3, p);
  ck_assert_float_eq_tol(p[0] + p[1] + p[2], 1.0f, 1e-6f);
  ck_assert_float_eq_tol(p[3], 1.0f, 1e-6f);
  ck_assert_float_eq_tol(d[2], 0.5f * (p[2] - 1), 1e-6f); /* scaled gradient */
}
END_TEST

START_TEST(squared_error) {
  float z[] = {1, 4}, y[] = {3, 4}, d[2];
  ck_assert_double_eq_tol(loss_eval(HEAD_REGRESSION, z, y, 2, 1, d, 0.5f), 4.0, 1e-9);
  ck_assert_float_eq(d[0], -2.0f);
  ck_assert_float_eq(d[1], 0.0f);
}
END_TEST

/* The one name of each head (model.h5's task, result.json's, quantize's messages). */
START_TEST(head_names) {
  ck_assert_str_eq(loss_head_name(HEAD_BINARY), "binary");
  ck_assert_str_eq(loss_head_name(HEAD_MULTICLASS), "multiclass");
  ck_assert_str_eq(loss_head_name(HEAD_REGRESSION), "regression");
  ck_assert_str_eq(loss_head_name((loss_head)LOSS_HEADS), "?");
}
END_TEST

int main(void) {
  Suite *s = suite_create("loss");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, binary_cross_entropy);
  tcase_add_test(tc, softmax_cross_entropy);
  tcase_add_test(tc, squared_error);
  tcase_add_test(tc, head_names);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
