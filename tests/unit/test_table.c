/* Tests for io/table.c: typing CSV columns (numeric, categorical by content or by name,
 * data.categorical = none), missing-value markers, quoted cells, string labels (sorted
 * classes, a test file's labels by the training names), and each malformed input. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/table.h"
#include "testutil.h"

static tbl *read_ok(const char *text, const tbl_opts *o) {
  char *path = tu_path(tu_dir, "t.csv");
  tu_write(path, text);
  tbl *t = NULL;
  tr_err rc = tbl_read_csv(path, o, &t);
  if (rc != TR_OK) ck_abort_msg("tbl_read_csv: %s", tr_error_message());
  free(path);
  return t;
}

static void read_bad(const char *text, const tbl_opts *o, long line, const char *what) {
  char *path = tu_path(tu_dir, "bad.csv");
  tu_write(path, text);
  tbl *t = NULL;
  tr_error_clear();
  ck_assert_int_eq(tbl_read_csv(path, o, &t), TR_EINPUT);
  ck_assert_ptr_null(t);
  if (line > 0) {
    tu_assert_input_error(path, line, what);
  } else {
    ck_assert_msg(strstr(tr_error_message(), what), "message '%s' lacks '%s'", tr_error_message(), what);
  }
  free(path);
}

START_TEST(test_types_and_missing) {
  tbl *t = read_ok("age,city,zip,label\n"
                   "41,london,10,yes\n"
                   ",\"paris\",NA,no\n"
                   "33,\"new york, ny\",?,yes\n"
                   "nan,London,null,no\n"
                   "29,\"say \"\"hi\"\"\",11,yes\n",
                   NULL);
  ck_assert_uint_eq(t->rows, 5);
  ck_assert_uint_eq(t->cols, 4);
  ck_assert_uint_eq(t->label, 3);
  ck_assert_int_eq(t->col[0].kind, TBL_NUMERIC);
  ck_assert_int_eq(t->col[1].kind, TBL_CATEGORICAL);
  ck_assert_int_eq(t->col[2].kind, TBL_NUMERIC); /* integers stay numeric unless named */
  ck_assert_uint_eq(t->col[0].missing, 2);       /* empty and "nan" (NaN is a marker, any case) */
  ck_assert_uint_eq(t->col[2].missing, 3);       /* NA ? null */
  ck_assert_uint_eq(t->col[1].n_levels, 5);      /* case matters in categories: London != london */
  ck_assert_str_eq(t->col[1].levels[(size_t)t->v[2 * 4 + 1]], "new york, ny");
  ck_assert_str_eq(t->col[1].levels[(size_t)t->v[4 * 4 + 1]], "say \"hi\"");
  ck_assert(isnan(t->v[1 * 4 + 0]));
  ck_assert_float_eq(t->v[0], 41.0f);
  ck_assert_int_eq(t->line[4], 6);
  float y[5];
  char **names = NULL;
  size_t n = 0;
  ck_assert_int_eq(tbl_labels(t, NULL, 0, y, &names, &n), TR_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(names[0], "no"); /* sorted, so the encoding is the same whatever the order */
  ck_assert_str_eq(names[1], "yes");
  ck_assert_float_eq(y[0], 1.0f);
  ck_assert_float_eq(y[1], 0.0f);
  tbl_free_names(names, n);
  tbl_free(&t);
}
END_TEST

START_TEST(test_named_categorical_and_none) {
  tbl_opts o = {.categorical = (char *[]){"zip"}, .n_categorical = 1};
  tbl *t = read_ok("zip,x,label\n10,1,0\n11,2,1\n10,3,0\n", &o);
  ck_assert_int_eq(t->col[0].kind, TBL_CATEGORICAL);
  ck_assert_uint_eq(t->col[0].n_levels, 2);
  ck_assert_str_eq(t->col[0].levels[0], "10");
  ck_assert_int_eq(t->col[1].kind, TBL_NUMERIC);
  tbl_free(&t);
  /* none: the old strict reader for features */
  tbl_opts none = {.no_auto = true};
  read_bad("a,b,label\n1,2,0\n3,x,1\n", &none, 3, "non-numeric value \"x\" in column 2 \"b\"");
  /* a named column must exist */
  tbl_opts missing = {.categorical = (char *[]){"nope"}, .n_categorical = 1};
  read_bad("a,label\n1,0\n", &missing, 1, "categorical column \"nope\" is not in the header");
}
END_TEST

START_TEST(test_custom_na_values) {
  tbl_opts o = {.na_values = "-999, missing"};
  tbl *t = read_ok("a,b,label\n-999,MISSING,0\nNA,x,1\n", &o);
  ck_assert(isnan(t->v[0]));
  ck_assert_uint_eq(t->col[1].missing, 1);
  ck_assert_int_eq(t->col[0].kind, TBL_CATEGORICAL); /* "NA" is text once not a marker */
  tbl_free(&t);
}
END_TEST

START_TEST(test_malformed) {
  read_bad("a,b,label\n1,2,0\n3,4\n", NULL, 3, "row has 2 cells, header has 3");
  read_bad("a,b,label\n1,2,0\n3,4,1,5\n", NULL, 3, "row has 4 cells, header has 3");
  read_bad("a,b,label\n1,\"open,0\n", NULL, 2, "unterminated quote");
  read_bad("a,b,label\n1,\"x\"y,0\n", NULL, 2, "text after a closing quote");
  read_bad("a,b,label\n", NULL, 2, "no data rows");
  read_bad("", NULL, 1, "empty file");
  read_bad("a,b,label\n1,2,0\n1,inf,1\n", NULL, 0, "row 2, feature 2 is Inf");
  read_bad("a,b,label\n1,2,0\n1,2,-inf\n", NULL, 0, "row 2, label is Inf");
  tbl_opts nan_is_number = {.na_values = "NA"};
  read_bad("a,label\nnan,0\n", &nan_is_number, 0, "row 1, feature 1 is NaN");
}
END_TEST

START_TEST(test_labels_of_test_file) {
  tbl *t = read_ok("a,label\n1,cat\n2,dog\n", NULL);
  float y[2];
  char *known[] = {"bird", "cat", "dog"};
  char **names = NULL;
  size_t n = 0;
  ck_assert_int_eq(tbl_labels(t, known, 3, y, &names, &n), TR_OK);
  ck_assert_ptr_null(names);
  ck_assert_float_eq(y[0], 1.0f);
  ck_assert_float_eq(y[1], 2.0f);
  tbl_free(&t);
  t = read_ok("a,label\n1,cat\n2,cow\n", NULL);
  ck_assert_int_eq(tbl_labels(t, known, 3, y, &names, &n), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), ":3: label \"cow\" is not one of the training classes"));
  tbl_free(&t);
  t = read_ok("a,label\n1,cat\n2,\n", NULL);
  tr_error_clear();
  ck_assert_int_eq(tbl_labels(t, NULL, 0, y, &names, &n), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), ":3: row 2, label is missing"));
  tbl_free(&t);
}
END_TEST

START_TEST(test_optional_label_and_from_dataset) {
  tbl_opts o = {.label_column = "label", .label_optional = true};
  tbl *t = read_ok("b,a\n1,x\n", &o);
  ck_assert_uint_eq(t->label, SIZE_MAX);
  ck_assert_uint_eq(tbl_find(t, "a"), 1);
  ck_assert_uint_eq(tbl_find(t, "zz"), SIZE_MAX);
  const char *cats[2];
  ck_assert_uint_eq(tbl_categorical_names(t, cats), 1);
  ck_assert_str_eq(cats[0], "a");
  tbl_free(&t);
  ds_dataset *d = ds_new(2, 2, false);
  d->X[3] = 7;
  ck_assert_int_eq(tbl_from_dataset(d, "d.h5", &t), TR_OK);
  ck_assert_str_eq(t->col[1].name, "x1");
  ck_assert_float_eq(t->v[3], 7.0f);
  ck_assert_int_eq(t->col[0].kind, TBL_NUMERIC);
  tbl_free(&t);
  ds_free(&d);
}
END_TEST

/* Many rows (the parallel pass) and the first bad line whatever the thread count. */
START_TEST(test_parallel_first_bad_line) {
  size_t n = 20000;
  char *text = malloc(n * 24 + 64), *p = text;
  p += sprintf(p, "a,c,label\n");
  for (size_t i = 0; i < n; i++) p += sprintf(p, "%zu,%s,%zu\n", i, i % 3 ? "u" : "v", i % 2);
  tbl *t = read_ok(text, NULL);
  ck_assert_uint_eq(t->rows, n);
  ck_assert_uint_eq(t->col[1].n_levels, 2);
  ck_assert_float_eq(t->v[(n - 1) * 3], (float)(n - 1));
  tbl_free(&t);
  char *bad = strstr(text, "\n17001,");
  bad[6] = ';';
  read_bad(text, NULL, 17003, "row has 2 cells, header has 3");
  free(text);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("table");
  TCase *tc = tcase_create("table");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, test_types_and_missing);
  tcase_add_test(tc, test_named_categorical_and_none);
  tcase_add_test(tc, test_custom_na_values);
  tcase_add_test(tc, test_malformed);
  tcase_add_test(tc, test_labels_of_test_file);
  tcase_add_test(tc, test_optional_label_and_from_dataset);
  tcase_add_test(tc, test_parallel_first_bad_line);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(suite()); }
