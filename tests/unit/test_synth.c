/* Tests for io/synth.c: shapes, determinism, class balance and separability, regression
 * signal, parameter checks. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "io/synth.h"
#include "testutil.h"

START_TEST(classification_shape_and_determinism) {
  synth_params p = synth_defaults();
  p.rows = 10000;
  p.features = 20;
  p.classes = 3;
  p.seed = 9;
  ds_dataset *a = NULL, *b = NULL;
  ck_assert_int_eq(synth_classification(&p, &a), TR_OK);
  omp_set_num_threads(1);
  ck_assert_int_eq(synth_classification(&p, &b), TR_OK);
  omp_set_num_threads(2);
  ck_assert_uint_eq(a->rows, 10000);
  ck_assert_uint_eq(a->cols, 20);
  ck_assert_mem_eq(a->X, b->X, a->rows * a->cols * sizeof(float));  /* thread count free */
  ck_assert_mem_eq(a->y, b->y, a->rows * sizeof(float));
  size_t counts[3] = {0};
  for (size_t i = 0; i < a->rows; i++) counts[(int)a->y[i]]++;
  for (int k = 0; k < 3; k++) ck_assert_uint_gt(counts[k], 3000);
  ck_assert_str_eq(a->feature_names[0], "informative_0");
  ck_assert_str_eq(a->feature_names[19], "noise_19");
  ds_free(&a);
  ds_free(&b);
}
END_TEST

START_TEST(weights_make_imbalance) {
  synth_params p = synth_defaults();
  p.rows = 20000;
  p.features = 8;
  double w[] = {0.9, 0.1};
  p.weights = w;
  p.noise = 0;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&p, &d), TR_OK);
  size_t pos = 0;
  for (size_t i = 0; i < d->rows; i++) pos += d->y[i] > 0;
  ck_assert_double_eq_tol((double)pos / d->rows, 0.1, 0.01);
  ds_free(&d);
}
END_TEST

START_TEST(classes_are_separable) {
  /* the informative features carry the class: class means differ clearly */
  synth_params p = synth_defaults();
  p.rows = 5000;
  p.features = 10;
  p.informative = 4;
  p.noise = 0;
  p.class_sep = 2.0;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&p, &d), TR_OK);
  double gap = 0;
  for (size_t j = 0; j < 4; j++) {
    double m[2] = {0}, n[2] = {0};
    for (size_t i = 0; i < d->rows; i++) {
      int c = (int)d->y[i];
      m[c] += d->X[i * d->cols + j];
      n[c]++;
    }
    gap += fabs(m[0] / n[0] - m[1] / n[1]);
  }
  ck_assert_double_gt(gap, 0.5);
  ds_free(&d);
}
END_TEST

START_TEST(regression_signal) {
  synth_params p = synth_defaults();
  p.rows = 2000;
  p.features = 6;
  p.informative = 3;
  p.noise = 0;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_regression(&p, &d), TR_OK);
  double var = 0, mean = 0;
  for (size_t i = 0; i < d->rows; i++) mean += d->y[i];
  mean /= d->rows;
  for (size_t i = 0; i < d->rows; i++) var += (d->y[i] - mean) * (d->y[i] - mean);
  ck_assert_double_gt(var / d->rows, 10.0);
  ds_free(&d);
}
END_TEST

START_TEST(bad_parameters) {
  synth_params p = synth_defaults();
  p.rows = 10;
  p.features = 3;
  p.informative = 5;
  ck_assert_ptr_nonnull(synth_check(&p, 0));
  p.informative = 1;
  p.classes = 3;  /* 2^1 < 3 */
  ck_assert_ptr_nonnull(synth_check(&p, 0));
  p.classes = 2;
  p.noise = 2;
  ck_assert_ptr_nonnull(synth_check(&p, 0));
  ck_assert_ptr_null(synth_check(&p, 1));  /* regression noise is a std, any >= 0 */
  ds_dataset *d = NULL;
  tr_error_clear();
  ck_assert_int_eq(synth_classification(&p, &d), TR_EUSAGE);
  ck_assert_ptr_null(d);
  tr_error_clear();
}
END_TEST

/* Issue "numeric flags finite and in range": `gen --weights inf,1` made every label the
 * last class (inf / inf is NaN); weights whose sum overflows did the same. */
START_TEST(weights_finite) {
  synth_params p = synth_defaults();
  p.rows = 10;
  p.features = 4;
  double w[2] = {INFINITY, 1};
  p.weights = w;
  ck_assert_str_eq(synth_check(&p, 0), "weights must be finite and not negative");
  w[0] = NAN;
  ck_assert_str_eq(synth_check(&p, 0), "weights must be finite and not negative");
  w[0] = w[1] = 1.5e308; /* each finite, their sum is not */
  ck_assert_str_eq(synth_check(&p, 0), "weights are too large (their sum is not finite)");
  w[0] = 0.9, w[1] = 0.1;
  ck_assert_ptr_null(synth_check(&p, 0));
  p.noise = INFINITY;
  ck_assert_ptr_nonnull(synth_check(&p, 1));
}
END_TEST

/* Issue "counts that overflow": rows x features, and the classification model's mixing
 * matrices (2 x classes x informative^2 doubles, allocated before the data), wrapped
 * around to small sizes for huge --features. */
START_TEST(sizes_overflow) {
  synth_params p = synth_defaults();
  p.rows = (size_t)1 << 40;
  p.features = (size_t)1 << 30;
  ck_assert_str_eq(synth_check(&p, 1), "rows x features is too large (more values than memory can address)");
  p.rows = 1;
  p.features = (size_t)1 << 34; /* default informative features/4 = 2^32: 2^64 x 4 doubles */
  ck_assert_ptr_null(synth_check(&p, 1));
  const char *msg = synth_check(&p, 0);
  ck_assert_ptr_nonnull(msg);
  ck_assert_ptr_nonnull(strstr(msg, "mixing matrices"));
  ds_dataset *d = NULL;
  tr_error_clear();
  ck_assert_int_eq(synth_classification(&p, &d), TR_EUSAGE);
  tr_error_clear();
  p.informative = 1000; /* fine: 2 x 2 x 10^6 doubles */
  ck_assert_ptr_null(synth_check(&p, 0));
}
END_TEST

int main(void) {
  Suite *s = suite_create("synth");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, classification_shape_and_determinism);
  tcase_add_test(tc, weights_make_imbalance);
  tcase_add_test(tc, weights_finite);
  tcase_add_test(tc, sizes_overflow);
  tcase_add_test(tc, classes_are_separable);
  tcase_add_test(tc, regression_signal);
  tcase_add_test(tc, bad_parameters);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
