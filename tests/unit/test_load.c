/* Tests for io/load.c: the format dispatch by suffix, unknown formats and missing files,
 * directories and globs of HDF5 shards loaded in sorted order, shards that disagree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "io/h5io.h"
#include "io/load.h"
#include "testutil.h"

static ds_dataset *counting(size_t rows, size_t cols, float start) {
  ds_dataset *d = ds_new(rows, cols, true);
  for (size_t k = 0; k < rows * cols; k++) d->X[k] = start + (float)k;
  for (size_t i = 0; i < rows; i++) d->y[i] = (float)(i % 2);
  return d;
}

START_TEST(load_dispatches_by_extension) {
  char *csv = tu_path(tu_dir, "a.csv"), *other = tu_path(tu_dir, "a.parquet");
  tu_write(csv, "x,label\n1,0\n2,1\n");
  tu_write(other, "PAR1");
  ds_dataset *d = NULL;
  ck_assert_int_eq(ds_load(csv, NULL, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 2);
  ds_free(&d);
  ck_assert_int_eq(ds_load(other, NULL, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "unknown data format"));
  tr_error_clear();
  ck_assert_int_eq(ds_load("/nonexistent/x.h5", NULL, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no such file"));
  free(csv);
  free(other);
}
END_TEST

START_TEST(load_shards_in_sorted_order) {
  char *sub = tu_path(tu_dir, "shards");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", sub);
  ck_assert_int_eq(system(cmd), 0);
  /* written out of order: part-00001 first */
  for (int s = 1; s >= 0; s--) {
    ds_dataset *d = counting(3, 2, (float)(s * 1000));
    char name[64];
    snprintf(name, sizeof name, "shards/part-%05d.h5", s);
    char *p = tu_path(tu_dir, name);
    h5io_write_opts o = {.deflate = 1};
    ck_assert_int_eq(h5io_write(p, d, &o), TR_OK);
    free(p);
    ds_free(&d);
  }
  ds_dataset *all = NULL;
  ck_assert_int_eq(ds_load(sub, NULL, &all), TR_OK);
  ck_assert_uint_eq(all->rows, 6);
  ck_assert_float_eq(all->X[0], 0.0f);
  ck_assert_float_eq(all->X[6], 1000.0f);
  ds_free(&all);
  char *pattern = tu_path(tu_dir, "shards/part-*.h5");
  ck_assert_int_eq(ds_load(pattern, NULL, &all), TR_OK);
  ck_assert_uint_eq(all->rows, 6);
  ds_free(&all);
  free(pattern);
  pattern = tu_path(tu_dir, "shards/none-*.h5");
  ck_assert_int_eq(ds_load(pattern, NULL, &all), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no file matches"));
  free(pattern);
  free(sub);
}
END_TEST

START_TEST(empty_directory_and_mismatched_shards) {
  ds_dataset *d = NULL;
  ck_assert_int_eq(ds_load(tu_dir, NULL, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no HDF5 files"));
  tr_error_clear();
  ds_dataset *a = counting(2, 2, 0), *b = counting(2, 3, 0);
  char *pa = tu_path(tu_dir, "a.h5"), *pb = tu_path(tu_dir, "b.h5");
  h5io_write_opts o = {0};
  h5io_write(pa, a, &o);
  h5io_write(pb, b, &o);
  ck_assert_int_eq(ds_load(tu_dir, NULL, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "b.h5: has 3 features, the first shard has 2"));
  free(pa);
  free(pb);
  ds_free(&a);
  ds_free(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("load");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, load_dispatches_by_extension);
  tcase_add_test(tc, load_shards_in_sorted_order);
  tcase_add_test(tc, empty_directory_and_mismatched_shards);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
