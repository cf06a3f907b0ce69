/* Tests for io/prep.c: statistics fitted on the given rows only (a category and a value
 * that only the test rows hold must not reach the fit: the leak test), each imputation
 * strategy against numpy's/sklearn's definitions, max_categories grouping, unknown
 * categories counted and encoded as other, indicators, columns matched by name, fail,
 * and the /prep group written and read back. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "io/prep.h"
#include "io/table.h"
#include "testutil.h"

static tbl *table(const char *text) {
  char *path = tu_path(tu_dir, "t.csv");
  tu_write(path, text);
  tbl *t = NULL;
  if (tbl_read_csv(path, NULL, &t) != TR_OK) ck_abort_msg("%s", tr_error_message());
  free(path);
  return t;
}

static size_t out_col(const prep *p, const char *name) {
  for (size_t k = 0; k < p->outputs; k++)
    if (!strcmp(p->out_names[k], name)) return k;
  ck_abort_msg("no output column %s", name);
  return 0;
}

/* Rows 0-3 train; rows 4-5 play the test rows: a city (tokyo) and an income (1e6) only
 * there. A fit that saw them would keep tokyo and move the mean far from 25. */
static const char *LEAK =
    "income,city,label\n"
    "10,london,0\n"
    "20,paris,1\n"
    "30,london,0\n"
    "40,paris,1\n"
    "1000000,tokyo,0\n"
    ",tokyo,1\n";

START_TEST(test_fitted_on_training_rows_only) {
  tbl *t = table(LEAK);
  size_t train[] = {0, 1, 2, 3}, test[] = {4, 5};
  prep *p = NULL;
  prep_params pp = {.impute = PREP_MEAN};
  ck_assert_int_eq(prep_fit(t, train, 4, &pp, NULL, &p), TR_OK);
  ck_assert_double_eq(p->col[0].fill, 25.0);
  ck_assert_uint_eq(p->col[1].n_kept, 2); /* london, paris: never tokyo */
  ck_assert_uint_eq(p->outputs, 4);       /* income, city=london, city=paris, city=other */
  ck_assert_str_eq(p->out_names[3], "city=other");
  ck_assert_uint_eq(p->fit_rows, 4);
  ds_dataset *d = NULL;
  size_t unknown[2] = {0, 0}, imputed = 0;
  ck_assert_int_eq(prep_apply(p, t, test, 2, &d, unknown, &imputed), TR_OK);
  ck_assert_uint_eq(unknown[1], 2); /* tokyo twice, counted */
  ck_assert_uint_eq(imputed, 1);
  ck_assert_float_eq(d->X[0], 1000000.0f);
  ck_assert_float_eq(d->X[4 + 0], 25.0f); /* the training mean, not the test rows' */
  ck_assert_float_eq(d->X[out_col(p, "city=other")], 1.0f);
  ck_assert_float_eq(d->X[out_col(p, "city=london")], 0.0f);
  ds_free(&d);
  prep_free(&p);
  /* the same fit over every row does see them: the test above can fail */
  size_t all[] = {0, 1, 2, 3, 4, 5};
  ck_assert_int_eq(prep_fit(t, all, 6, &pp, NULL, &p), TR_OK);
  ck_assert_double_ne(p->col[0].fill, 25.0);
  ck_assert_uint_eq(p->col[1].n_kept, 3);
  prep_free(&p);
  tbl_free(&t);
}
END_TEST

START_TEST(test_strategies) {
  tbl *t = table("a,c,label\n1,x,0\n2,y,0\n2,y,0\n7,z,1\n,,1\n");
  size_t rows[] = {0, 1, 2, 3, 4};
  prep *p = NULL;
  double want[] = {3.0, 2.0, 2.0}; /* mean, median, most frequent of 1 2 2 7 */
  for (int s = PREP_MEAN; s <= PREP_MOST_FREQUENT; s++) {
    prep_params pp = {.impute = s, .add_indicator = true};
    ck_assert_int_eq(prep_fit(t, rows, 5, &pp, NULL, &p), TR_OK);
    ck_assert_double_eq(p->col[0].fill, want[s]);
    ck_assert_str_eq(p->col[1].fill_level, "y"); /* categorical: most frequent whatever s */
    ck_assert(p->col[0].indicator && p->col[1].indicator);
    ds_dataset *d = NULL;
    ck_assert_int_eq(prep_apply(p, t, NULL, 0, &d, NULL, NULL), TR_OK);
    ck_assert_float_eq(d->X[4 * p->outputs + out_col(p, "a")], (float)want[s]);
    ck_assert_float_eq(d->X[4 * p->outputs + out_col(p, "a_missing")], 1.0f);
    ck_assert_float_eq(d->X[4 * p->outputs + out_col(p, "c=y")], 1.0f);
    ck_assert_float_eq(d->X[0 * p->outputs + out_col(p, "c_missing")], 0.0f);
    ds_free(&d);
    prep_free(&p);
  }
  /* an even count: the median is the mean of the middle two (numpy) */
  prep_params med = {.impute = PREP_MEDIAN};
  size_t four[] = {0, 1, 2, 3};
  ck_assert_int_eq(prep_fit(t, (size_t[]){0, 3}, 2, &med, NULL, &p), TR_OK);
  ck_assert_double_eq(p->col[0].fill, 4.0);
  prep_free(&p);
  /* no missing training cell: no indicator even when asked */
  prep_params ind = {.impute = PREP_MEAN, .add_indicator = true};
  ck_assert_int_eq(prep_fit(t, four, 4, &ind, NULL, &p), TR_OK);
  ck_assert(!p->col[0].indicator);
  prep_free(&p);
  /* fail: the missing cell's line */
  prep_params fail = {.impute = PREP_FAIL};
  tr_error_clear();
  ck_assert_int_eq(prep_fit(t, rows, 5, &fail, NULL, &p), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "t.csv:6: empty cell in column 1 \"a\" (data.impute = fail)"));
  tr_error_clear();
  ck_assert_int_eq(prep_check_missing(t), TR_EINPUT);
  tbl_free(&t);
}
END_TEST

START_TEST(test_max_categories) {
  /* a:4 b:3 c:2 d:1; max_categories 3 keeps a, b and groups c and d as other */
  tbl *t = table("k,label\na,0\na,0\na,0\na,1\nb,1\nb,1\nb,0\nc,0\nc,1\nd,1\n");
  size_t rows[10];
  for (size_t i = 0; i < 10; i++) rows[i] = i;
  prep *p = NULL;
  prep_params pp = {.impute = PREP_MEAN, .max_categories = 3};
  ck_assert_ptr_null(prep_check_param(&pp));
  ck_assert_int_eq(prep_fit(t, rows, 10, &pp, NULL, &p), TR_OK);
  ck_assert_uint_eq(p->outputs, 3);
  ck_assert_str_eq(p->out_names[0], "k=a");
  ck_assert_str_eq(p->out_names[1], "k=b");
  ck_assert_str_eq(p->out_names[2], "k=other");
  ck_assert_uint_eq(p->col[0].n_rare, 2);
  ds_dataset *d = NULL;
  size_t unknown = 0;
  ck_assert_int_eq(prep_apply(p, t, NULL, 0, &d, &unknown, NULL), TR_OK);
  ck_assert_uint_eq(unknown, 0); /* rare is not unknown */
  ck_assert_float_eq(d->X[9 * 3 + 2], 1.0f);
  ds_free(&d);
  prep_free(&p);
  prep_params one = {.max_categories = 1};
  ck_assert_ptr_nonnull(prep_check_param(&one));
  tbl_free(&t);
}
END_TEST

START_TEST(test_by_name) {
  tbl *t = table("a,c,label\n1,x,0\n2,y,1\n");
  prep *p = NULL;
  prep_params pp = {.impute = PREP_MEAN};
  ck_assert_int_eq(prep_fit(t, (size_t[]){0, 1}, 2, &pp, NULL, &p), TR_OK);
  tbl *other = table("extra,c,a,label\n5,y,3,0\n");
  ds_dataset *d = NULL;
  ck_assert_int_eq(prep_apply(p, other, NULL, 0, &d, NULL, NULL), TR_OK);
  ck_assert_float_eq(d->X[0], 3.0f);
  ck_assert_float_eq(d->X[out_col(p, "c=y")], 1.0f);
  ds_free(&d);
  tbl_free(&other);
  other = table("c,label\ny,1\n");
  tr_error_clear();
  ck_assert_int_eq(prep_apply(p, other, NULL, 0, &d, NULL, NULL), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "has no column \"a\""));
  tbl_free(&other);
  other = table("a,c\nzzz,x\n");
  tr_error_clear();
  ck_assert_int_eq(prep_apply(p, other, NULL, 0, &d, NULL, NULL), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "column \"a\" holds text"));
  tbl_free(&other);
  /* review: the file and line of the first cell that is not a number (numbers and an
   * empty cell before it), not the first distinct value */
  other = table("a,c\n4,x\n\"\",y\n7,x\nn/a,x\nzzz,y\n");
  tr_error_clear();
  ck_assert_int_eq(prep_apply(p, other, NULL, 0, &d, NULL, NULL), TR_EINPUT);
  char want[600];
  snprintf(want, sizeof want, "%s/t.csv:5: column \"a\" holds text (\"n/a\"); the model's \"a\" is numeric", tu_dir);
  ck_assert_str_eq(tr_error_message(), want);
  tbl_free(&other);
  prep_free(&p);
  tbl_free(&t);
}
END_TEST

START_TEST(test_h5_round_trip) {
  tbl *t = table(LEAK);
  prep *p = NULL, *q = NULL;
  prep_params pp = {.impute = PREP_MEDIAN, .add_indicator = true, .max_categories = 2};
  ck_assert_int_eq(prep_fit(t, (size_t[]){0, 1, 2, 3, 5}, 5, &pp, "NA,-1", &p), TR_OK);
  hid_t f = h5u_create_memory();
  ck_assert_int_ge(prep_h5_save(f, p), 0);
  ck_assert_int_eq(prep_h5_load(f, "mem.h5", &q), TR_OK);
  ck_assert_ptr_nonnull(q);
  ck_assert_uint_eq(q->outputs, p->outputs);
  for (size_t k = 0; k < p->outputs; k++) ck_assert_str_eq(q->out_names[k], p->out_names[k]);
  ck_assert_double_eq(q->col[0].fill, p->col[0].fill);
  ck_assert_str_eq(q->na_values, "NA,-1");
  ck_assert_int_eq(q->p.impute, PREP_MEDIAN);
  ck_assert_uint_eq(q->col[1].n_rare, p->col[1].n_rare);
  ck_assert_str_eq(q->col[1].fill_level, p->col[1].fill_level);
  ds_dataset *a = NULL, *b = NULL;
  ck_assert_int_eq(prep_apply(p, t, NULL, 0, &a, NULL, NULL), TR_OK);
  ck_assert_int_eq(prep_apply(q, t, NULL, 0, &b, NULL, NULL), TR_OK);
  ck_assert_mem_eq(a->X, b->X, a->rows * a->cols * sizeof(float));
  ds_free(&a);
  ds_free(&b);
  prep_free(&q);
  H5Fclose(f);
  /* a file without /prep has none */
  f = h5u_create_memory();
  ck_assert_int_eq(prep_h5_load(f, "mem.h5", &q), TR_OK);
  ck_assert_ptr_null(q);
  H5Fclose(f);
  prep_free(&p);
  tbl_free(&t);
}
END_TEST

/* A categorical column without a value in the training rows keeps no category: after a
 * round trip through /prep (which then holds no list) every cell encodes as other (a
 * fuzz_table find: bsearch on the absent list). */
/* A damaged /prep (an unknown imputation, an unknown column kind) is refused, never read
 * as some default. */
START_TEST(test_h5_damaged) {
  tbl *t = table(LEAK);
  prep *p = NULL, *q = NULL;
  prep_params pp = {.impute = PREP_MEDIAN};
  ck_assert_int_eq(prep_fit(t, (size_t[]){0, 1, 2, 3, 5}, 5, &pp, "NA", &p), TR_OK);
  hid_t f = h5u_create_memory();
  ck_assert_int_ge(prep_h5_save(f, p), 0);
  hid_t g = H5Gopen2(f, "prep", H5P_DEFAULT);
  ck_assert_int_ge(g, 0);
  H5Adelete(g, "impute");
  ck_assert_int_ge(h5u_put_string_attr(g, "impute", "bogus"), 0);
  H5Gclose(g);
  ck_assert_int_eq(prep_h5_load(f, "mem.h5", &q), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "damaged"));
  ck_assert_ptr_null(q);
  tr_error_clear();
  H5Fclose(f);
  prep_free(&p);
  tbl_free(&t);
}
END_TEST

START_TEST(test_no_training_category) {
  tbl *t = table("a,c,label\n1,,0\n2,,1\n3,x,0\n");
  prep *p = NULL, *q = NULL;
  prep_params pp = {.impute = PREP_MEAN};
  ck_assert_int_eq(prep_fit(t, (size_t[]){0, 1}, 2, &pp, NULL, &p), TR_OK);
  ck_assert_uint_eq(p->col[1].n_kept, 0);
  ck_assert_ptr_null(p->col[1].fill_level);
  hid_t f = h5u_create_memory();
  ck_assert_int_ge(prep_h5_save(f, p), 0);
  ck_assert_int_eq(prep_h5_load(f, "mem.h5", &q), TR_OK);
  ck_assert_ptr_null(q->col[1].kept);
  ds_dataset *d = NULL;
  size_t unknown[2] = {0, 0};
  ck_assert_int_eq(prep_apply(q, t, NULL, 0, &d, unknown, NULL), TR_OK);
  ck_assert_uint_eq(q->outputs, 2);
  ck_assert_float_eq(d->X[1], 1.0f);     /* missing -> other */
  ck_assert_float_eq(d->X[2 * 2 + 1], 1.0f);
  ck_assert_uint_eq(unknown[1], 1);      /* x was never seen */
  ds_free(&d);
  H5Fclose(f);
  prep_free(&q);
  prep_free(&p);
  tbl_free(&t);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("prep");
  TCase *tc = tcase_create("prep");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, test_fitted_on_training_rows_only);
  tcase_add_test(tc, test_strategies);
  tcase_add_test(tc, test_max_categories);
  tcase_add_test(tc, test_by_name);
  tcase_add_test(tc, test_h5_round_trip);
  tcase_add_test(tc, test_no_training_category);
  tcase_add_test(tc, test_h5_damaged);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(suite()); }
