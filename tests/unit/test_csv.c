/* Tests for io/csv.c (csv_read, and csv_read_features for rows to predict) and the
 * number parsing it shares with the LIBSVM reader (io/textread.c): label selection, line
 * endings, quoting, gzip, exact values, real data sets, and one test per kind of
 * malformed input, for both readers. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/rng.h"
#include "io/load.h"
#include "io/textdata.h"
#include "io/textread.h"
#include "testutil.h"


/* Writes text to tu_dir/name and reads it; the caller frees the path. */
static tr_err read_text(const char *name, const char *text, const char *label,
                        ds_dataset **d, char **path) {
  *path = tu_path(tu_dir, name);
  tu_write(*path, text);
  tr_error_clear();
  return csv_read(*path, label, d);
}

/* Reads text that must fail with TR_EINPUT at "path:line:" and a message holding what. */
static void expect_error(const char *text, const char *label, long line, const char *what) {
  char *path = NULL;
  ds_dataset *d = NULL;
  tr_err rc = read_text("bad.csv", text, label, &d, &path);
  ck_assert_int_eq(rc, TR_EINPUT);
  ck_assert_ptr_null(d);
  tu_assert_input_error(path, line, what);
  free(path);
}

START_TEST(test_default_label_named) {
  char *path;
  ds_dataset *d = NULL;
  ck_assert_int_eq(read_text("a.csv", "a,label,b\n1,0,2\n3,1,4\n", NULL, &d, &path), TR_OK);
  ck_assert_uint_eq(d->rows, 2);
  ck_assert_uint_eq(d->cols, 2);
  ck_assert_float_eq(d->X[0], 1);
  ck_assert_float_eq(d->X[1], 2);
  ck_assert_float_eq(d->X[2], 3);
  ck_assert_float_eq(d->X[3], 4);
  ck_assert_float_eq(d->y[0], 0);
  ck_assert_float_eq(d->y[1], 1);
  ck_assert_str_eq(d->feature_names[0], "a");
  ck_assert_str_eq(d->feature_names[1], "b");
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_default_label_last) {
  char *path;
  ds_dataset *d = NULL;
  ck_assert_int_eq(read_text("a.csv", "x,y,target\n1,2,5\n", NULL, &d, &path), TR_OK);
  ck_assert_uint_eq(d->rows, 1);
  ck_assert_uint_eq(d->cols, 2);
  ck_assert_float_eq(d->y[0], 5);
  ck_assert_str_eq(d->feature_names[0], "x");
  ck_assert_str_eq(d->feature_names[1], "y");
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_label_by_name_and_index) {
  char *path;
  ds_dataset *d = NULL;
  const char *text = "p,q,label\n1,2,3\n4,5,6\n";
  ck_assert_int_eq(read_text("a.csv", text, "q", &d, &path), TR_OK);
  ck_assert_float_eq(d->y[0], 2);
  ck_assert_float_eq(d->y[1], 5);
  ck_assert_float_eq(d->X[1], 3);
  ck_assert_str_eq(d->feature_names[0], "p");
  ck_assert_str_eq(d->feature_names[1], "label");
  ds_free(&d);
  free(path);
  ck_assert_int_eq(read_text("b.csv", text, "0", &d, &path), TR_OK);
  ck_assert_float_eq(d->y[0], 1);
  ck_assert_float_eq(d->y[1], 4);
  ck_assert_float_eq(d->X[0], 2);
  ck_assert_float_eq(d->X[3], 6);
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_crlf_spaces_quotes) {
  char *path;
  ds_dataset *d = NULL;
  /* CRLF, quoted names (one with a comma), spaces around cells, a blank line, no
   * final newline, a quoted number and signs. */
  const char *text = "\"a\", \"b,c\" ,\"label\"\r\n 1.5 , -2 ,0\r\n\r\n+3,\"4\",  1  ";
  ck_assert_int_eq(read_text("a.csv", text, NULL, &d, &path), TR_OK);
  ck_assert_uint_eq(d->rows, 2);
  ck_assert_uint_eq(d->cols, 2);
  ck_assert_str_eq(d->feature_names[0], "a");
  ck_assert_str_eq(d->feature_names[1], "b,c");
  ck_assert_float_eq(d->X[0], 1.5f);
  ck_assert_float_eq(d->X[1], -2);
  ck_assert_float_eq(d->X[2], 3);
  ck_assert_float_eq(d->X[3], 4);
  ck_assert_float_eq(d->y[1], 1);
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_gzip) {
  char *path = tu_path(tu_dir, "a.csv.gz");
  tu_write_gz(path, "f1,f2,label\n0.25,1e3,1\n-0.5,2E-2,0\n");
  ds_dataset *d = NULL;
  ck_assert_int_eq(csv_read(path, NULL, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 2);
  ck_assert_float_eq(d->X[0], 0.25f);
  ck_assert_float_eq(d->X[1], 1000);
  ck_assert_float_eq(d->X[3], 0.02f);
  ck_assert_float_eq(d->y[0], 1);
  ds_free(&d);
  free(path);
}
END_TEST

START_TEST(test_nan_inf_cells) {
  char *path;
  ds_dataset *d = NULL;
  ck_assert_int_eq(
      read_text("a.csv", "a,b,c,label\nnan,inf,-Infinity,0\nNaN,-inf,INF,1\n", NULL, &d, &path),
      TR_OK);
  ck_assert(isnan(d->X[0]));
  ck_assert(isinf(d->X[1]) && d->X[1] > 0);
  ck_assert(isinf(d->X[2]) && d->X[2] < 0);
  ck_assert(isnan(d->X[3]));
  ck_assert(isinf(d->X[4]) && d->X[4] < 0);
  ds_free(&d);
  /* ds_load() rejects them, naming the row. */
  tr_error_clear();
  ck_assert_int_eq(ds_load(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "row 1"));
  free(path);
  /* So does a NaN or Inf label: classes (it was encoded as a class of its own) or a
     regression target (it made the target's mean NaN). csv_read parses them. */
  ck_assert_int_eq(read_text("l.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,-nan\n", NULL, &d, &path), TR_OK);
  ck_assert(isnan(d->y[2]));
  ds_free(&d);
  ck_assert_int_eq(ds_load(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "l.csv: row 3, label is NaN"));
  free(path);
  ck_assert_int_eq(read_text("t.csv", "price,x\n1.5,2\ninf,4\n", "price", &d, &path), TR_OK);
  ds_free(&d);
  tr_error_clear();
  ds_load_opts o = {.label_column = "price"};
  ck_assert_int_eq(ds_load(path, &o, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "t.csv: row 2, label is Inf"));
  free(path);
}
END_TEST

/* A random decimal string: sign, 1-25 digits with a point somewhere, maybe an
 * exponent in [-45, 45]. */
static void random_decimal(rng_t *r, char *s) {
  int n = 0;
  uint64_t kind = rng_below(r, 3);
  if (rng_below(r, 2)) s[n++] = '-';
  int digits = 1 + (int)rng_below(r, kind == 0 ? 9 : 25);
  int point = (int)rng_below(r, (uint64_t)digits + 1);
  for (int i = 0; i < digits; i++) {
    if (i == point && i > 0) s[n++] = '.';
    s[n++] = (char)('0' + rng_below(r, 10));
  }
  if (kind == 2) n += sprintf(s + n, "e%d", (int)rng_below(r, 91) - 45);
  s[n] = '\0';
}

START_TEST(test_numbers_equal_strtod) {
  const char *fixed[] = {"1e-30",   "3.4e38",   "-1.2345678", "0.1",  "9007199254740993",
                         "123456789012345678901234567890",     "2.2250738585072014e-308",
                         "4.9e-324", "1e400",   "-0",         "0e999", "1.7976931348623157e308",
                         ".5",       "5.",       "+7",          "1E+2", "00012.50"};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    double a, b = strtod(fixed[i], NULL);
    ck_assert_msg(txt_parse_number(fixed[i], fixed[i] + strlen(fixed[i]), &a), "%s", fixed[i]);
    ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "%s: %.17g != %.17g", fixed[i], a, b);
  }
  rng_t r;
  rng_seed(&r, 42);
  char s[64];
  for (int i = 0; i < 200000; i++) {
    random_decimal(&r, s);
    double a, b = strtod(s, NULL);
    ck_assert_msg(txt_parse_number(s, s + strlen(s), &a), "%s", s);
    ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "%s: %.17g != %.17g", s, a, b);
  }
}
END_TEST

START_TEST(test_not_numbers) {
  const char *bad[] = {"",    "-",   "+",   ".",      "e5",  "1e",   "1e+", "1.5x", "0x1A",
                       "1-2", "1.2.3", "nanx", "infinit", "abc", "1_0", "--1", "1 2"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    double v;
    ck_assert_msg(!txt_parse_number(bad[i], bad[i] + strlen(bad[i]), &v), "%s", bad[i]);
  }
}
END_TEST

START_TEST(test_csv_values_exact) {
  /* 3000 rows of random decimals, parsed in parallel; each float equals strtod's
   * double rounded to float. */
  rng_t r;
  rng_seed(&r, 7);
  size_t rows = 3000, cols = 5;
  char *text = malloc(rows * (cols + 1) * 64 + 64);
  float *want = malloc(rows * cols * sizeof *want);
  size_t n = (size_t)sprintf(text, "c0,c1,c2,c3,c4,label\n");
  for (size_t i = 0; i < rows; i++) {
    for (size_t j = 0; j < cols; j++) {
      char s[64];
      random_decimal(&r, s);
      want[i * cols + j] = (float)strtod(s, NULL);
      n += (size_t)sprintf(text + n, "%s,", s);
    }
    n += (size_t)sprintf(text + n, "%zu\n", i % 3);
  }
  char *path;
  ds_dataset *d = NULL;
  ck_assert_int_eq(read_text("a.csv", text, NULL, &d, &path), TR_OK);
  ck_assert_uint_eq(d->rows, rows);
  ck_assert_uint_eq(d->cols, cols);
  for (size_t k = 0; k < rows * cols; k++)
    ck_assert_msg(memcmp(&d->X[k], &want[k], sizeof(float)) == 0, "cell %zu", k);
  for (size_t i = 0; i < rows; i++) ck_assert_float_eq(d->y[i], (float)(i % 3));
  ds_free(&d);
  free(path);
  free(text);
  free(want);
}
END_TEST

START_TEST(test_real_data) {
  ds_dataset *d = NULL;
  ck_assert_int_eq(csv_read(TEST_DATA_DIR "/iris.csv", NULL, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 150);
  ck_assert_uint_eq(d->cols, 4);
  double sum = 0;
  for (size_t i = 0; i < d->rows; i++) sum += d->y[i];
  ck_assert_double_eq(sum, 150);
  ck_assert_str_eq(d->feature_names[0], "sepal_length_cm");
  ck_assert_float_eq(d->X[0], 5.1f);
  ds_free(&d);
  ck_assert_int_eq(csv_read(TEST_DATA_DIR "/wine.csv", NULL, &d), TR_OK);
  ck_assert_uint_eq(d->rows, 178);
  ck_assert_uint_eq(d->cols, 13);
  sum = 0;
  for (size_t i = 0; i < d->rows; i++) sum += d->y[i];
  ck_assert_double_eq(sum, 167);
  ck_assert_str_eq(d->feature_names[12], "proline");
  ck_assert_float_eq(d->X[12], 1065);
  ds_free(&d);
}
END_TEST

START_TEST(test_missing_file) {
  char *path = tu_path(tu_dir, "nope.csv");
  ds_dataset *d = NULL;
  ck_assert_int_eq(csv_read(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), path));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "cannot open"));
  free(path);
}
END_TEST

START_TEST(test_empty_file) { expect_error("", NULL, 1, "empty file"); }
END_TEST

START_TEST(test_header_only) {
  expect_error("a,b,label\n", NULL, 2, "no data rows");
  expect_error("a,b,label", NULL, 2, "no data rows");
}
END_TEST

START_TEST(test_ragged_row) {
  expect_error("a,b,c,d,label\n1,2,3,4,5\n1,2,3\n", NULL, 3, "row has 3 cells, header has 5");
  expect_error("a,label\n1,2\n\n1,2,3\n", NULL, 4, "row has 3 cells, header has 2");
}
END_TEST

START_TEST(test_non_numeric_cell) {
  expect_error("a,width,label\n1,2,0\n1,abc,0\n", NULL, 3, "non-numeric value \"abc\"");
  expect_error("a,width,label\n1,2,0\n1,abc,0\n", NULL, 3, "\"width\"");
  expect_error("a,width,label\r\n1,2,0\r\n1,2.5.1,0\r\n", NULL, 3, "\"width\"");
}
END_TEST

START_TEST(test_empty_cell) {
  expect_error("a,b,label\n1,2,0\n1,,0\n", NULL, 3, "empty cell in column 2 \"b\"");
  expect_error("a,b,label\n1,2,\n", NULL, 2, "empty cell in column 3 \"label\"");
}
END_TEST

START_TEST(test_label_not_found) {
  expect_error("a,b,c\n1,2,3\n", "target", 1, "label column \"target\" not found");
  expect_error("a,b,c\n1,2,3\n", "3", 1, "out of range");
}
END_TEST

START_TEST(test_truncated_gzip) {
  /* A real .gz cut in half: zlib reports an unexpected end of file. */
  char *path = tu_path(tu_dir, "t.csv.gz");
  size_t n = 2000;
  char *text = malloc(n * 40 + 64);
  size_t k = (size_t)sprintf(text, "a,b,label\n");
  rng_t r;
  rng_seed(&r, 3);
  for (size_t i = 0; i < n; i++)
    k += (size_t)sprintf(text + k, "%.6f,%.6f,%d\n", rng_normal(&r), rng_normal(&r), (int)(i % 2));
  tu_write_gz(path, text);
  free(text);
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  ck_assert_int_eq(truncate(path, size / 2), 0);
  ds_dataset *d = NULL;
  ck_assert_int_eq(csv_read(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  char where[600];
  snprintf(where, sizeof where, "%s:", path);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), where));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "truncated gzip"));
  /* The line number is where the data stops: a positive number after "path:". */
  ck_assert_int_gt(atol(strstr(tr_error_message(), where) + strlen(where)), 1);
  /* Cut inside the 8-byte trailer: still noticed. */
  tu_write_gz(path, "a,label\n1,2\n");
  f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fclose(f);
  ck_assert_int_eq(truncate(path, size - 3), 0);
  tr_error_clear();
  ck_assert_int_eq(csv_read(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "truncated gzip"));
  free(path);
}
END_TEST

START_TEST(test_corrupt_gzip) {
  char *path = tu_path(tu_dir, "c.csv.gz");
  size_t n = 20000;
  char *text = malloc(n * 40 + 64);
  size_t k = (size_t)sprintf(text, "a,b,label\n");
  rng_t r;
  rng_seed(&r, 5);
  for (size_t i = 0; i < n; i++)
    k += (size_t)sprintf(text + k, "%.6f,%.6f,%d\n", rng_normal(&r), rng_normal(&r), (int)(i % 2));
  tu_write_gz(path, text);
  free(text);
  FILE *f = fopen(path, "r+b");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, size / 2, SEEK_SET);
  for (int i = 0; i < 16; i++) fputc(0xff, f);
  fclose(f);
  ds_dataset *d = NULL;
  ck_assert_int_eq(csv_read(path, NULL, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), path));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "corrupt gzip"));
  free(path);
}
END_TEST

START_TEST(test_first_bad_line_parallel) {
  /* Bad rows far apart: whatever thread finds one first, the earliest is reported. */
  size_t rows = 40000;
  char *text = malloc(rows * 16 + 64);
  size_t k = (size_t)sprintf(text, "a,b,label\n");
  for (size_t i = 0; i < rows; i++) {
    const char *row = i == 30000 ? "1,x,0\n" : i == 25000 ? "1,2\n" : "1.25,2.5,1\n";
    k += (size_t)sprintf(text + k, "%s", row);
  }
  expect_error(text, NULL, 25002, "row has 2 cells");
  free(text);
}
END_TEST

/* Reads text with csv_read_features (label optional); must fail with TR_EINPUT at
 * "path:line:" and a message holding what. */
static void expect_features_error(const char *text, const char *label, long line, const char *what) {
  char *path = tu_path(tu_dir, "predict.csv");
  tu_write(path, text);
  ds_dataset *d = NULL;
  tr_error_clear();
  ck_assert_int_eq(csv_read_features(path, label, &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  tu_assert_input_error(path, line, what);
  free(path);
}

START_TEST(test_features_malformed) {
  /* the optional-label reader refuses what csv_read refuses, at the same line */
  expect_features_error("a,b,c\n1,2,3\n1,2\n", NULL, 3, "row has 2 cells, header has 3");
  expect_features_error("a,b,label\n1,2,0\n1,2,3,4\n", NULL, 3, "row has 4 cells, header has 3");
  expect_features_error("a,width\n1,2\n1,abc\n", NULL, 3, "non-numeric value \"abc\" in column 2 \"width\"");
  expect_features_error("a,b\n1,\n", "b", 2, "empty cell in column 2 \"b\"");
  expect_features_error("", NULL, 1, "empty file");
  expect_features_error("", "target", 1, "empty file");
  expect_features_error("a,b\n", NULL, 2, "no data rows");
  expect_features_error("a,b,label", "label", 2, "no data rows");
  expect_features_error("a,b\n1,2\n", "7", 1, "label column index 7 is out of range");
  expect_features_error("label\n1\n", NULL, 1, "no feature columns besides the label");
}
END_TEST

START_TEST(test_features_missing_column) {
  /* a named label column not in the header: every column is a feature, no labels */
  char *path = tu_path(tu_dir, "rows.csv");
  tu_write(path, "a,b,c\n1,2,3\n4,5,6\n");
  ds_dataset *d = NULL;
  ck_assert_int_eq(csv_read_features(path, "target", &d), TR_OK);
  ck_assert_uint_eq(d->rows, 2);
  ck_assert_uint_eq(d->cols, 3);
  ck_assert_ptr_null(d->y);
  ck_assert_ptr_null(d->label_name);
  ck_assert_str_eq(d->feature_names[2], "c");
  ck_assert_float_eq(d->X[5], 6.0f);
  ds_free(&d);
  /* no "label" column by default: the same */
  ck_assert_int_eq(csv_read_features(path, NULL, &d), TR_OK);
  ck_assert_uint_eq(d->cols, 3);
  ck_assert_ptr_null(d->y);
  ds_free(&d);
  /* a column that is there is the label, as csv_read takes it */
  ck_assert_int_eq(csv_read_features(path, "b", &d), TR_OK);
  ck_assert_uint_eq(d->cols, 2);
  ck_assert_str_eq(d->label_name, "b");
  ck_assert_float_eq(d->y[1], 5.0f);
  ck_assert_float_eq(d->X[3], 6.0f);
  ds_free(&d);
  /* csv_read refuses the missing column */
  tr_error_clear();
  ck_assert_int_eq(csv_read(path, "target", &d), TR_EINPUT);
  tu_assert_input_error(path, 1, "label column \"target\" not found");
  free(path);
}
END_TEST

/* Reads the CSV file arg names; 0 when it loads as 1 row of 99,999 named features. */
static int read_wide(void *arg) {
  ds_dataset *d = NULL;
  tr_err rc = csv_read(arg, NULL, &d);
  int ok = rc == TR_OK && d->rows == 1 && d->cols == 99999 && !strcmp(d->feature_names[99998], "column_99998");
  if (!ok) fprintf(stderr, "wide header: %s\n", rc == TR_OK ? "wrong shape" : tr_error_message());
  ds_free(&d);
  return ok ? 0 : 1;
}

/* Issue "quadratic memory on wide CSV headers": each column name's buffer was the rest
 * of the line, so a 1.1 MB file with 100,000 columns peaked at ~420 MB and needed ~55 GB
 * of address space. It must load in 64 MiB more than the test process maps. */
START_TEST(test_wide_header_memory) {
  size_t cols = 100000;
  char *text = malloc(cols * 24 + 64);
  size_t k = 0;
  for (size_t j = 0; j < cols; j++) k += (size_t)sprintf(text + k, "%scolumn_%zu", j ? "," : "", j);
  text[k++] = '\n';
  for (size_t j = 0; j < cols; j++) k += (size_t)sprintf(text + k, "%s%zu", j ? "," : "", j % 2);
  text[k++] = '\n';
  text[k] = '\0';
  char *path = tu_path(tu_dir, "wide.csv");
  tu_write(path, text);
  free(text);
  ck_assert_int_eq(tu_run_limited(64, read_wide, path), 0);
  free(path);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("csv");
  TCase *tc = tcase_create("csv");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_default_label_named);
  tcase_add_test(tc, test_default_label_last);
  tcase_add_test(tc, test_label_by_name_and_index);
  tcase_add_test(tc, test_crlf_spaces_quotes);
  tcase_add_test(tc, test_gzip);
  tcase_add_test(tc, test_nan_inf_cells);
  tcase_add_test(tc, test_numbers_equal_strtod);
  tcase_add_test(tc, test_not_numbers);
  tcase_add_test(tc, test_csv_values_exact);
  tcase_add_test(tc, test_real_data);
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_empty_file);
  tcase_add_test(tc, test_header_only);
  tcase_add_test(tc, test_ragged_row);
  tcase_add_test(tc, test_non_numeric_cell);
  tcase_add_test(tc, test_empty_cell);
  tcase_add_test(tc, test_label_not_found);
  tcase_add_test(tc, test_truncated_gzip);
  tcase_add_test(tc, test_corrupt_gzip);
  tcase_add_test(tc, test_first_bad_line_parallel);
  tcase_add_test(tc, test_wide_header_memory);
  tcase_add_test(tc, test_features_malformed);
  tcase_add_test(tc, test_features_missing_column);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(suite()); }
