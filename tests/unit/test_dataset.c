/* Tests for io/dataset.c: allocation, row selection, finiteness check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "testutil.h"

static ds_dataset *counting(size_t rows, size_t cols, float start) {
  ds_dataset *d = ds_new(rows, cols, true);
  for (size_t k = 0; k < rows * cols; k++) d->X[k] = start + (float)k;
  for (size_t i = 0; i < rows; i++) d->y[i] = (float)(i % 2);
  return d;
}

START_TEST(new_is_aligned_and_zeroed) {
  ds_dataset *d = ds_new(3, 5, true);
  ck_assert_ptr_nonnull(d);
  ck_assert_uint_eq((uintptr_t)d->X % 64, 0);
  for (int k = 0; k < 15; k++) ck_assert_float_eq(d->X[k], 0.0f);
  ds_free(&d);
  ck_assert_ptr_null(d);
  ds_free(&d);  /* safe twice */
}
END_TEST

/* Issue "counts that overflow": n floats whose bytes (+ the alignment pad) wrap around
 * became a 64-byte buffer. */
START_TEST(sizes_that_overflow) {
  ck_assert_ptr_null(ds_alloc_floats(SIZE_MAX / 4));      /* + 63 wraps */
  ck_assert_ptr_null(ds_alloc_floats((SIZE_MAX >> 2) + 2)); /* x 4 wraps to 4 */
  tr_error_clear();
  ck_assert_ptr_null(ds_new((size_t)1 << 40, (size_t)1 << 30, true));
  ck_assert_int_eq(tr_error_code(), TR_ENOMEM);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "is too large"));
  tr_error_clear();
}
END_TEST

START_TEST(take_rows) {
  ds_dataset *a = counting(4, 2, 0);
  const char *names[] = {"f0", "f1"};
  ds_set_feature_names(a, names);
  size_t idx[] = {3, 1};
  ds_dataset *t = ds_take_rows(a, idx, 2);
  ck_assert_float_eq(t->X[0], 6.0f);
  ck_assert_float_eq(t->X[3], 3.0f);
  ck_assert_float_eq(t->y[0], 1.0f);
  ck_assert_str_eq(t->feature_names[1], "f1");
  ds_free(&a);
  ds_free(&t);
}
END_TEST

START_TEST(finite_check_names_row_and_column) {
  ds_dataset *d = counting(3, 4, 0);
  ck_assert_int_eq(ds_check_finite(d, "x.h5"), TR_OK);
  d->X[2 * 4 + 1] = INFINITY;
  ck_assert_int_eq(ds_check_finite(d, "x.h5"), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "x.h5: row 3, feature 2 is Inf");
  /* labels too, the first row at fault named */
  d->y[1] = NAN;
  tr_error_clear();
  ck_assert_int_eq(ds_check_finite(d, "x.h5"), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "x.h5: row 2, label is NaN");
  d->X[2 * 4 + 1] = 0;
  d->y[1] = 0;
  d->y[2] = INFINITY;
  tr_error_clear();
  ck_assert_int_eq(ds_check_finite(d, "x.h5"), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "x.h5: row 3, label is Inf");
  d->X[2 * 4] = NAN; /* same row: the feature */
  tr_error_clear();
  ck_assert_int_eq(ds_check_finite(d, "x.h5"), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "x.h5: row 3, feature 1 is NaN");
  ds_free(&d);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dataset");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, new_is_aligned_and_zeroed);
  tcase_add_test(tc, sizes_that_overflow);
  tcase_add_test(tc, take_rows);
  tcase_add_test(tc, finite_check_names_row_and_column);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
