/* Tests for io/libsvm.c (libsvm_read): sparse rows to a dense matrix, labels, comments,
 * gzip, and one test per kind of malformed input, each with its "path:line". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/textdata.h"
#include "testutil.h"


/* Writes text to tu_dir/name and reads it; the caller frees the path. */
static tr_err read_text(const char *name, const char *text, ds_dataset **d, char **path) {
  *path = tu_path(tu_dir, name);
  tu_write(*path, text);
  tr_error_clear();
  return libsvm_read(*path, d);
}

/* Reads text that must fail with TR_EINPUT at "path:line:" and a message holding what. */
static void expect_error(const char *text, long line, const char *what) {
  char *path = NULL;
  ds_dataset *d = NULL;
  ck_assert_int_eq(read_text("bad.svm", text, &d, &path), TR_EINPUT);
  ck_assert_ptr_null(d);
  tu_assert_input_error(path, line, what);
  free(path);
}

START_TEST(test_dense_from_sparse) {
  char *path;
  ds_dataset *d = NULL;
  const char *text = "+1 1:0.5 3:2\n-1 2:-1.5\n1 4:7e-1 \n";
  ck_assert_int_eq(read_text("a.svm", text, &d, &path), TR_OK);
  ck_assert_uint_eq(d->rows, 3);
  ck_assert_uint_eq(d->cols, 4);
  const float want[12] = {0.5f, 0, 2, 0, 0, -1.5f, 0, 0, 0, 0, 0, 0.7f};
  for (int k = 0; k < 12; k++) ck_assert_float_eq(d->X[k], want[k]);
  ck_assert_float_eq(d->y[0], 1);
  ck_assert_float_eq(d->y[1], -1);
  ck_assert_float_eq(d->y[2], 1);
  ck_assert_ptr_null(d->feature_names);
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_comments_blank_crlf) {
  char *path;
  ds_dataset *d = NULL;
  const char *text = "# a comment\r\n\r\n2.5 1:1 2:2 # trailing\r\n   \n0\t2:3\r\n# end";
  ck_assert_int_eq(read_text("a.libsvm", text, &d, &path), TR_OK);
  ck_assert_uint_eq(d->rows, 2);
  ck_assert_uint_eq(d->cols, 2);
  ck_assert_float_eq(d->y[0], 2.5f);
  ck_assert_float_eq(d->y[1], 0);
  ck_assert_float_eq(d->X[0], 1);
  ck_assert_float_eq(d->X[1], 2);
  ck_assert_float_eq(d->X[2], 0);
  ck_assert_float_eq(d->X[3], 3);
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_gzip_many_rows) {
  /* Enough rows for the parallel passes; row i has feature (i % 50) + 1 = i. */
  size_t rows = 20000;
  char *text = malloc(rows * 32);
  size_t k = 0;
  for (size_t i = 0; i < rows; i++)
    k += (size_t)sprintf(text + k, "%d %zu:%zu\n", i % 2 ? 1 : -1, i % 50 + 1, i);
  char *path = tu_path(tu_dir, "big.svm.gz");
  tu_write_gz(path, text);
  free(text);
  ds_dataset *d = NULL;
  ck_assert_int_eq(libsvm_read(path, &d), TR_OK);
  ck_assert_uint_eq(d->rows, rows);
  ck_assert_uint_eq(d->cols, 50);
  for (size_t i = 0; i < rows; i++) {
    ck_assert_float_eq(d->y[i], i % 2 ? 1.0f : -1.0f);
    for (size_t j = 0; j < 50; j++)
      ck_assert_float_eq(d->X[i * 50 + j], j == i % 50 ? (float)i : 0.0f);
  }
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_missing_file) {
  char *path = tu_path(tu_dir, "nope.svm");
  ds_dataset *d = NULL;
  ck_assert_int_eq(libsvm_read(path, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), path));
  free(path);
}
END_TEST

START_TEST(test_index_zero) { expect_error("1 1:1\n1 0:1 2:3\n", 2, "feature index 0"); }
END_TEST

START_TEST(test_indices_not_increasing) {
  expect_error("1 1:1 3:1\n# c\n1 3:1 2:1\n", 3, "feature index 2 after 3");
  expect_error("1 2:1 2:1\n", 1, "strictly increasing");
}
END_TEST

START_TEST(test_non_numeric_label) {
  expect_error("1 1:1\nyes 1:1\n", 2, "non-numeric label \"yes\"");
  expect_error("1,2 1:1\n", 1, "non-numeric label");
}
END_TEST

START_TEST(test_non_numeric_index) {
  expect_error("1 a:1\n", 1, "non-numeric feature index \"a\"");
  expect_error("1 99999999999:1\n", 1, "too large");
}
END_TEST

START_TEST(test_non_numeric_value) {
  expect_error("1 1:1\n\n1 1:2 4:x\n", 3, "non-numeric value \"x\" for feature 4");
  expect_error("1 1:\n", 1, "non-numeric value \"\" for feature 1");
}
END_TEST

START_TEST(test_missing_colon) { expect_error("1 1:1\n0 3\n", 2, "no ':'"); }
END_TEST

START_TEST(test_no_rows) {
  expect_error("", 1, "no data rows");
  expect_error("# only\n\n# comments\n", 4, "no data rows");
}
END_TEST

START_TEST(test_truncated_gzip) {
  size_t rows = 3000;
  char *text = malloc(rows * 48);
  size_t k = 0;
  for (size_t i = 0; i < rows; i++)
    k += (size_t)sprintf(text + k, "%zu 1:%zu 7:0.%zu\n", i % 2, i * 7919 % 1000, i);
  char *path = tu_path(tu_dir, "t.svm.gz");
  tu_write_gz(path, text);
  free(text);
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  ck_assert_int_eq(truncate(path, size / 2), 0);
  ds_dataset *d = NULL;
  ck_assert_int_eq(libsvm_read(path, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  char where[600];
  snprintf(where, sizeof where, "%s:", path);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), where));
  ck_assert_int_gt(atol(strstr(tr_error_message(), where) + strlen(where)), 1);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "truncated gzip"));
  free(path);
}
END_TEST

START_TEST(test_first_bad_line_parallel) {
  size_t rows = 30000;
  char *text = malloc(rows * 16);
  size_t k = 0;
  for (size_t i = 0; i < rows; i++)
    k += (size_t)sprintf(text + k, "%s", i == 20000 ? "1 0:1\n" : i == 12345 ? "1 2:1 1:1\n"
                                                                              : "1 1:1 2:2\n");
  expect_error(text, 12346, "after 2");
  free(text);
}
END_TEST

/* In the child of tu_run_limited: reads the file arg names; 0 when that is refused as too
 * sparse at line 3, the line of the largest index. */
static int refused_sparse(void *arg) {
  ds_dataset *d = NULL;
  tr_error_clear();
  tr_err rc = libsvm_read(arg, &d);
  char want[600];
  snprintf(want, sizeof want, "%s:3: feature index 100000000 declares a dense 6 x 100000000 matrix (2.4 GB)",
           (const char *)arg);
  bool ok = rc == TR_EINPUT && strstr(tr_error_message(), want) && strstr(tr_error_message(), "too sparse");
  if (!ok) fprintf(stderr, "%s\n", rc == TR_OK ? "loaded" : tr_error_message());
  ds_free(&d);
  return ok ? 0 : 1;
}

/* Issue "files declaring far more rows than they hold": one index of 1e8 in a 200-byte
 * file made a dense 6 x 1e8 matrix (2.4 GB, zero-filled: exit 1, out of memory); now it
 * is bad input at the line of that index, before any allocation (checked in a child with
 * 256 MiB more address space than the test). A sparse file within 1024 times its text,
 * or 256 MiB, still loads. */
START_TEST(test_sparse_out_of_proportion) {
  char *path = tu_path(tu_dir, "sparse.svm");
  tu_write(path, "1 1:0.5 2:1\n0 2:1.5\n1 3:1 100000000:2\n0 1:1\n1 2:2\n0 1:3\n");
  ck_assert_int_eq(tu_run_limited(256, refused_sparse, path), 0);
  /* 3 rows, index 1e6: 12 MB dense from 40 bytes of text, within the 256 MiB floor */
  ds_dataset *d = NULL;
  tu_write(path, "1 1:0.5\n0 1000000:1\n1 2:1\n");
  ck_assert_int_eq(libsvm_read(path, &d), TR_OK);
  ck_assert_uint_eq(d->cols, 1000000);
  ck_assert_float_eq(d->X[1 * 1000000 + 999999], 1.0f);
  ds_free(&d);
  free(path);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("libsvm");
  TCase *tc = tcase_create("libsvm");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_dense_from_sparse);
  tcase_add_test(tc, test_comments_blank_crlf);
  tcase_add_test(tc, test_gzip_many_rows);
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_index_zero);
  tcase_add_test(tc, test_indices_not_increasing);
  tcase_add_test(tc, test_non_numeric_label);
  tcase_add_test(tc, test_non_numeric_index);
  tcase_add_test(tc, test_non_numeric_value);
  tcase_add_test(tc, test_missing_colon);
  tcase_add_test(tc, test_no_rows);
  tcase_add_test(tc, test_truncated_gzip);
  tcase_add_test(tc, test_first_bad_line_parallel);
  tcase_add_test(tc, test_sparse_out_of_proportion);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(suite()); }
