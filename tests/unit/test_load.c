/* Tests for io/load.c: the format dispatch by suffix, unknown formats and missing files,
 * directories and globs of HDF5 shards loaded in sorted order, shards that disagree,
 * non-finite labels refused in every format. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
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

/* Writes shard part-<s>.h5 of dir: rows x 2, X from start, labels start + i (none when
 * !labelled), feature names "f<s>_0", "f<s>_1". */
static void write_shard(const char *dir, int s, size_t rows, float start, bool labelled) {
  ds_dataset *d = ds_new(rows, 2, labelled);
  for (size_t k = 0; k < rows * 2; k++) d->X[k] = start + (float)k;
  for (size_t i = 0; labelled && i < rows; i++) d->y[i] = start + (float)i;
  char n0[16], n1[16], name[64];
  snprintf(n0, sizeof n0, "f%d_0", s);
  snprintf(n1, sizeof n1, "f%d_1", s);
  const char *names[] = {n0, n1};
  ck_assert_int_eq(ds_set_feature_names(d, names), TR_OK);
  snprintf(name, sizeof name, "part-%d.h5", s);
  char *p = tu_path(dir, name);
  h5io_write_opts o = {0};
  ck_assert_int_eq(h5io_write(p, d, &o), TR_OK);
  free(p);
  ds_free(&d);
}

START_TEST(shards_joined_whole) {
  /* three shards of 2, 3 and 1 rows: every value in order, the first shard's names */
  char *dir = tu_path(tu_dir, "three");
  ck_assert_int_eq(tr_mkdir_p(dir), TR_OK);
  const size_t rows[] = {2, 3, 1};
  for (int s = 0; s < 3; s++) write_shard(dir, s, rows[s], (float)(s * 100), true);
  ds_dataset *d = NULL;
  ck_assert_int_eq(ds_load(dir, NULL, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 6);
  ck_assert_uint_eq(d->cols, 2);
  for (size_t s = 0, at = 0; s < 3; at += rows[s], s++)
    for (size_t i = 0; i < rows[s]; i++) {
      ck_assert_float_eq(d->X[(at + i) * 2], (float)(s * 100 + 2 * i));
      ck_assert_float_eq(d->X[(at + i) * 2 + 1], (float)(s * 100 + 2 * i + 1));
      ck_assert_float_eq(d->y[at + i], (float)(s * 100 + i));
    }
  ck_assert_str_eq(d->feature_names[0], "f0_0");
  ck_assert_str_eq(d->feature_names[1], "f0_1");
  ds_free(&d);
  /* whole files per part: part 1 of 3 is the second shard */
  ck_assert_int_eq(ds_load_part(dir, NULL, 1, 3, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 3);
  ck_assert_float_eq(d->X[0], 100.0f);
  ck_assert_float_eq(d->y[2], 102.0f);
  ck_assert_str_eq(d->feature_names[0], "f1_0");
  ds_free(&d);
  /* fewer files than parts: a row range of the whole (part 3 of 4: rows 4..5) */
  ck_assert_int_eq(ds_load_part(dir, NULL, 3, 4, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 1);
  ck_assert_float_eq(d->X[0], 200.0f);
  ds_free(&d);
  /* a shard without labels: the set has none */
  write_shard(dir, 1, 3, 100, false);
  ck_assert_int_eq(ds_load(dir, NULL, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 6);
  ck_assert_ptr_null(d->y);
  ck_assert_float_eq(d->X[2 * 2], 100.0f);
  ds_free(&d);
  free(dir);
}
END_TEST

/* Writes text to tu_dir/name; ds_load must refuse it with TR_EINPUT "PATH: want". */
static void expect_refused(const char *name, const char *text, const char *want) {
  char *path = tu_path(tu_dir, name), msg[600];
  tu_write(path, text);
  ds_dataset *d = NULL;
  tr_error_clear();
  ck_assert_int_eq(ds_load(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  snprintf(msg, sizeof msg, "%s: %s", path, want);
  ck_assert_str_eq(tr_error_message(), msg);
  tr_error_clear();
  free(path);
}

/* Writes d to tu_dir/name as HDF5; ds_load must refuse it with "PATH: want". */
static void expect_h5_refused(const char *name, const ds_dataset *d, const char *want) {
  char *path = tu_path(tu_dir, name), msg[600];
  h5io_write_opts o = {0};
  ck_assert_int_eq(h5io_write(path, d, &o), TR_OK);
  ds_dataset *got = NULL;
  tr_error_clear();
  ck_assert_int_eq(ds_load(path, NULL, &got), TR_EINPUT);
  ck_assert_ptr_null(got);
  snprintf(msg, sizeof msg, "%s: %s", path, want);
  ck_assert_str_eq(tr_error_message(), msg);
  tr_error_clear();
  free(path);
}

START_TEST(non_finite_labels_refused) {
  /* classification: a NaN label was encoded as a class of its own, an Inf one too */
  expect_refused("cls_nan.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,nan\n", "row 3, label is NaN");
  expect_refused("cls_inf.csv", "a,b,label\n1,2,0\n3,4,inf\n5,6,1\n", "row 2, label is Inf");
  expect_refused("cls_nan.libsvm", "1 1:1\nNaN 1:2\n0 2:1\n", "row 2, label is NaN");
  /* regression: one NaN target made the target scaler's mean NaN */
  expect_refused("reg_nan.csv", "x,y\n0.5,1.25\n1.5,NaN\n", "row 2, label is NaN");
  expect_refused("reg_inf.svm", "-inf 1:0.5 2:3\n2.75 1:1\n", "row 1, label is Inf");
  /* the first row at fault is named, feature or label */
  expect_refused("both.csv", "a,b,label\n1,2,0\n1,2,inf\nnan,2,1\n", "row 2, label is Inf");
  expect_refused("both2.csv", "a,b,label\n1,nan,0\n1,2,inf\n", "row 1, feature 2 is NaN");

  ds_dataset *d = counting(4, 2, 0); /* labels 0, 1, 0, 1 */
  d->y[3] = NAN;
  expect_h5_refused("cls_nan.h5", d, "row 4, label is NaN");
  for (size_t i = 0; i < 4; i++) d->y[i] = 0.25f * (float)i; /* regression targets */
  d->y[1] = -INFINITY;
  expect_h5_refused("reg_inf.h5", d, "row 2, label is Inf");
  ds_free(&d);

  /* a shard set names the shard and its row */
  char *sub = tu_path(tu_dir, "labels"), cmd[600];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", sub);
  ck_assert_int_eq(system(cmd), 0);
  for (int s = 0; s < 2; s++) {
    ds_dataset *part = counting(3, 2, (float)(s * 100));
    if (s == 1) part->y[2] = NAN;
    char name[64];
    snprintf(name, sizeof name, "labels/part-%d.h5", s);
    char *p = tu_path(tu_dir, name);
    h5io_write_opts o = {0};
    ck_assert_int_eq(h5io_write(p, part, &o), TR_OK);
    free(p);
    ds_free(&part);
  }
  ds_dataset *all = NULL;
  tr_error_clear();
  ck_assert_int_eq(ds_load(sub, NULL, &all), TR_EINPUT);
  ck_assert_ptr_null(all);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "part-1.h5: row 3, label is NaN"));
  tr_error_clear();
  free(sub);

  /* rows to predict have no labels: nothing to check, the features load */
  char *path = tu_path(tu_dir, "predict.csv");
  tu_write(path, "a,b\n1,2\n3,4\n");
  ds_load_opts po = {.label_optional = true};
  ck_assert_int_eq(ds_load(path, &po, &all), TR_OK);
  ck_assert_ptr_null(all->y);
  ds_free(&all);
  free(path);
}
END_TEST

int main(void) {
  Suite *s = suite_create("load");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, load_dispatches_by_extension);
  tcase_add_test(tc, load_shards_in_sorted_order);
  tcase_add_test(tc, empty_directory_and_mismatched_shards);
  tcase_add_test(tc, non_finite_labels_refused);
  tcase_add_test(tc, shards_joined_whole);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
