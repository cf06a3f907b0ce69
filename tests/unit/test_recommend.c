/* Tests for experiments/recommend.c: the cheapest qualifying runs first with why each
 * beats the next, the deadline, nothing qualifying (the best achieved said), bad
 * queries, JSON, and ids far longer than any fixed buffer (a 700-character id in
 * results.jsonl overflowed the old reason[600]). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/recommend.h"
#include "testutil.h"

static void line(FILE *f, const char *id, double auc, double usd, double s) {
  fprintf(f,
          "{\"point\": {\"id\": \"%s\", \"variant\": \"v\", \"kind\": \"train\", \"label\": \"measured\", "
          "\"ranks\": 1}, \"test\": {\"auc\": %g}, \"time\": {\"total_s\": %g, \"train_s\": %g}, "
          "\"storage\": {\"backend\": \"local\"}, \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": false, "
          "\"total_usd\": %g}, \"provenance\": {\"host\": {\"cpu\": \"Test CPU\", \"cores\": 2, \"ranks\": 1, "
          "\"threads_per_rank\": 2, \"priced_as\": \"c5.xlarge\"}}}\n",
          id, auc, s, s, usd);
}

static void write_results(const char *long_id) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  line(f, "cheap", 0.91, 0.10, 100);
  line(f, "dear", 0.95, 0.40, 50);
  line(f, "weak", 0.80, 0.01, 10);
  line(f, "slow", 0.93, 0.20, 7200 * 3);
  if (long_id) line(f, long_id, 0.92, 0.15, 90);
  fclose(f);
  free(p);
}

static recommend_query query(double min) {
  return (recommend_query){.metric = "auc", .bound = min, .at_least = true, .deadline_h = INFINITY, .top = 5};
}

START_TEST(cheapest_first_with_reasons) {
  write_results(NULL);
  recommendation rec;
  recommend_query q = query(0.9);
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_uint_eq(rec.n_qualifying, 3);
  ck_assert_uint_eq(rec.n_picks, 3);
  ck_assert_str_eq(rec.picks[0].r->id, "cheap");
  ck_assert_str_eq(rec.picks[1].r->id, "slow");
  ck_assert_str_eq(rec.picks[2].r->id, "dear");
  ck_assert_ptr_nonnull(strstr(rec.picks[0].why, "the cheapest run that meets the target; $0.1000 (50%) cheaper than #2 (slow)"));
  ck_assert_ptr_nonnull(strstr(rec.picks[1].why, "auc worse by 0.02"));
  ck_assert_ptr_nonnull(strstr(rec.picks[2].why, "the last of the top 5"));
  ck_assert(rec.picks[0].pareto && rec.picks[2].pareto);
  /* measured here, priced there: both said */
  ck_assert_str_eq(rec.picks[0].basis, "measured on Test CPU (2 cores, 1 x 2 threads), priced as c5.xlarge");
  cJSON *j = recommend_json(&rec, &q);
  ck_assert_int_eq(cJSON_GetArraySize(j), 3);
  ck_assert(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "auc")) == 0.91);
  ck_assert_ptr_nonnull(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "basis")), "priced as c5.xlarge"));
  cJSON_Delete(j);
  recommend_free(&rec);
  /* the deadline drops the 6-hour run */
  q.deadline_h = 1;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_uint_eq(rec.n_qualifying, 2);
  recommend_free(&rec);
}
END_TEST

START_TEST(none_qualifies) {
  write_results(NULL);
  recommendation rec;
  recommend_query q = query(0.99);
  tr_error_clear();
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_EIO);
  ck_assert_str_eq(tr_error_message(), "recommend: no run meets auc >= 0.99: the best is 0.95 (dear, $0.4000, 50.0 s)");
  recommend_free(&rec);
  tr_error_clear();
  q = query(0.9);
  q.deadline_h = 0.001;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "3 runs meet auc >= 0.9 but none finishes within 0.001 h"));
  recommend_free(&rec);
  tr_error_clear();
  q = query(0.5);
  q.metric = "rmse";
  q.at_least = false;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no run in"));
  recommend_free(&rec);
  tr_error_clear();
  q.at_least = true; /* a minimum for a lower-is-better metric */
  ck_assert_ptr_nonnull(recommend_check_query(&q));
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_EUSAGE);
  recommend_free(&rec);
  tr_error_clear();
}
END_TEST

START_TEST(rounding_is_not_better) {
  /* 1 and 2 ranks of one L-BFGS fit differ by a reduction order's rounding (1e-08): the
   * table shows 0.9190 for both, so the reason says the same, not "better by 1e-08" */
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  line(f, "two", 0.91900001, 0.10, 50);
  line(f, "one", 0.919, 0.20, 100);
  line(f, "worse", 0.9189, 0.30, 100);
  fclose(f);
  free(p);
  recommendation rec;
  recommend_query q = query(0.9);
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_uint_eq(rec.n_picks, 3);
  ck_assert_ptr_nonnull(strstr(rec.picks[0].why, ", same auc to 4 significant digits, 2.00x faster"));
  ck_assert_ptr_nonnull(strstr(rec.picks[1].why, "auc better by 0.0001"));
  recommend_free(&rec);
}
END_TEST

/* "The same" is relative: an mse of 1e-5 and one of 2e-5 (both 0.0000 to 4 decimals,
 * which called them the same) are 2x apart; 1.00001e-5 and 1e-5 agree to 4 digits. */
START_TEST(small_metrics_compared_relatively) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  static const struct {
    const char *id;
    double mse, usd;
  } runs[] = {{"a", 2e-5, 0.10}, {"b", 1e-5, 0.20}, {"c", 1.00001e-5, 0.30}};
  for (int i = 0; i < 3; i++)
    fprintf(f,
            "{\"point\": {\"id\": \"%s\", \"kind\": \"train\", \"label\": \"measured\"}, \"test\": "
            "{\"mse\": %g}, \"time\": {\"total_s\": 10}, \"cost\": {\"instance\": \"c5.xlarge\", "
            "\"total_usd\": %g}}\n",
            runs[i].id, runs[i].mse, runs[i].usd);
  fclose(f);
  free(p);
  recommendation rec;
  recommend_query q = {.metric = "mse", .bound = 1e-3, .at_least = false, .deadline_h = INFINITY, .top = 5};
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_uint_eq(rec.n_picks, 3);
  ck_assert_str_eq(rec.picks[0].r->id, "a");
  ck_assert_msg(strstr(rec.picks[0].why, ", mse worse by 1e-05"), "%s", rec.picks[0].why);
  ck_assert_msg(strstr(rec.picks[1].why, ", same mse to 4 significant digits"), "%s", rec.picks[1].why);
  recommend_free(&rec);
}
END_TEST

START_TEST(long_ids) {
  char id[2001];
  memset(id, 'x', 2000);
  id[2000] = '\0';
  write_results(id);
  recommendation rec;
  recommend_query q = query(0.9);
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_str_eq(rec.picks[1].r->id, id);
  ck_assert_ptr_nonnull(strstr(rec.picks[0].why, id)); /* "cheaper than #2 (xxx...)" */
  ck_assert(strlen(rec.picks[0].why) > 2000);
  recommend_free(&rec);
}
END_TEST

int main(void) {
  Suite *s = suite_create("recommend");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, cheapest_first_with_reasons);
  tcase_add_test(tc, none_qualifies);
  tcase_add_test(tc, long_ids);
  tcase_add_test(tc, rounding_is_not_better);
  tcase_add_test(tc, small_metrics_compared_relatively);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
