/* Tests for io/split.c: sizes, disjointness, stratification, seeds, scaler, duplicates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/split.h"
#include "testutil.h"

static float *labels(size_t n, size_t positives) {
  float *y = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) y[i] = i < positives ? 1.0f : 0.0f;
  return y;
}

START_TEST(sizes_and_disjoint) {
  float *y = labels(1000, 500);
  split_indices s;
  ck_assert_int_eq(split_make(y, 1000, 0.1, 0.2, false, 1, &s), TR_OK);
  ck_assert_uint_eq(s.n_test, 200);
  ck_assert_uint_eq(s.n_val, 100);
  ck_assert_uint_eq(s.n_train, 700);
  int *seen = calloc(1000, sizeof(int));
  for (size_t i = 0; i < s.n_train; i++) seen[s.train[i]]++;
  for (size_t i = 0; i < s.n_val; i++) seen[s.val[i]]++;
  for (size_t i = 0; i < s.n_test; i++) seen[s.test[i]]++;
  for (int i = 0; i < 1000; i++) ck_assert_int_eq(seen[i], 1);
  for (size_t i = 1; i < s.n_train; i++) ck_assert_uint_lt(s.train[i - 1], s.train[i]);
  free(seen);
  split_free(&s);
  free(y);
}
END_TEST

START_TEST(stratified_keeps_proportions) {
  float *y = labels(1000, 100);  /* 10% positives */
  split_indices s;
  ck_assert_int_eq(split_make(y, 1000, 0.1, 0.2, true, 5, &s), TR_OK);
  size_t pos_test = 0, pos_val = 0;
  for (size_t i = 0; i < s.n_test; i++) pos_test += y[s.test[i]] > 0;
  for (size_t i = 0; i < s.n_val; i++) pos_val += y[s.val[i]] > 0;
  ck_assert_uint_eq(pos_test, 20);
  ck_assert_uint_eq(pos_val, 10);
  split_free(&s);
  free(y);
}
END_TEST

START_TEST(seed_decides) {
  float *y = labels(100, 50);
  split_indices a, b, c;
  split_make(y, 100, 0.1, 0.2, false, 1, &a);
  split_make(y, 100, 0.1, 0.2, false, 1, &b);
  split_make(y, 100, 0.1, 0.2, false, 2, &c);
  ck_assert_mem_eq(a.test, b.test, a.n_test * sizeof(size_t));
  ck_assert(memcmp(a.test, c.test, a.n_test * sizeof(size_t)) != 0);
  split_free(&a);
  split_free(&b);
  split_free(&c);
  free(y);
}
END_TEST

START_TEST(too_few_rows) {
  float y[] = {0, 1};
  split_indices s;
  tr_error_clear();
  ck_assert_int_eq(split_make(y, 2, 0.1, 0.2, false, 1, &s), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "empty"));
  tr_error_clear();
}
END_TEST

START_TEST(scaler_standardizes_train) {
  ds_dataset *d = ds_new(4, 2, false);
  float x[] = {1, 5, 2, 5, 3, 5, 4, 5};  /* column 1 is constant */
  memcpy(d->X, x, sizeof x);
  scaler sc;
  ck_assert_int_eq(scaler_fit(d, &sc), TR_OK);
  ck_assert_double_eq_tol(sc.mean[0], 2.5, 1e-12);
  ck_assert_double_eq_tol(sc.scale[0], sqrt(1.25), 1e-12);
  ck_assert_double_eq(sc.scale[1], 1.0);
  scaler_apply(&sc, d);
  double sum = 0, sq = 0;
  for (int i = 0; i < 4; i++) {
    sum += d->X[i * 2];
    sq += d->X[i * 2] * d->X[i * 2];
    ck_assert_float_eq(d->X[i * 2 + 1], 0.0f);
  }
  ck_assert_double_eq_tol(sum, 0, 1e-6);
  ck_assert_double_eq_tol(sq / 4, 1, 1e-6);
  scaler_free(&sc);
  ds_free(&d);
}
END_TEST

/* A scaler_sum_fn for one part: counts its calls, changes nothing. */
static tr_err count_sums(double *buf, size_t n, void *ctx) {
  (void)buf;
  (void)n;
  ++*(int *)ctx;
  return TR_OK;
}

START_TEST(target_scaler_is_one_column) {
  /* the target's scaler is the feature scaler on y as one column, bit for bit, past one
     block of 4,096 rows (the blocks are summed in order) */
  size_t n = 10000;
  ds_dataset *d = ds_new(n, 1, false);
  float *y = malloc(n * sizeof *y);
  for (size_t i = 0; i < n; i++) y[i] = d->X[i] = 1000.0f + (float)((i * 7919) % 1013) / 7.0f;
  scaler sc;
  ck_assert_int_eq(scaler_fit(d, &sc), TR_OK);
  target_scaler t;
  int calls = 0;
  ck_assert_int_eq(target_scaler_fit_parts(y, n, &t, count_sums, &calls), TR_OK);
  ck_assert_int_eq(calls, 2); /* the mean, then the deviations */
  ck_assert(t.mean == sc.mean[0] && t.scale == sc.scale[0]);
  ck_assert_int_eq(target_scaler_fit_parts(y, n, &t, NULL, NULL), TR_OK);
  ck_assert(t.mean == sc.mean[0] && t.scale == sc.scale[0]);
  scaler_free(&sc);
  /* a constant target gets scale 1; no rows, mean 0 and scale 1 */
  for (size_t i = 0; i < 5; i++) y[i] = 3.5f;
  ck_assert_int_eq(target_scaler_fit_parts(y, 5, &t, NULL, NULL), TR_OK);
  ck_assert(t.mean == 3.5 && t.scale == 1.0);
  ck_assert_int_eq(target_scaler_fit_parts(y, 0, &t, NULL, NULL), TR_OK);
  ck_assert(t.mean == 0.0 && t.scale == 1.0);
  free(y);
  ds_free(&d);
}
END_TEST

START_TEST(duplicates_counted) {
  ds_dataset *a = ds_new(3, 2, true), *b = ds_new(3, 2, true);
  float xa[] = {1, 2, 3, 4, 5, 6}, xb[] = {3, 4, 9, 9, 5, 6};
  memcpy(a->X, xa, sizeof xa);
  memcpy(b->X, xb, sizeof xb);
  a->y[0] = 0, a->y[1] = 1, a->y[2] = 0;
  b->y[0] = 1, b->y[1] = 0, b->y[2] = 1;  /* row 2 matches features but not the label */
  ck_assert_uint_eq(split_count_duplicates(a, b), 1);
  b->y[2] = 0;
  ck_assert_uint_eq(split_count_duplicates(a, b), 2);
  ds_free(&a);
  ds_free(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("split");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, sizes_and_disjoint);
  tcase_add_test(tc, stratified_keeps_proportions);
  tcase_add_test(tc, seed_decides);
  tcase_add_test(tc, too_few_rows);
  tcase_add_test(tc, scaler_standardizes_train);
  tcase_add_test(tc, target_scaler_is_one_column);
  tcase_add_test(tc, duplicates_counted);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
