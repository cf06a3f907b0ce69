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

/* A served run (sweep kind = train+serve): its deployments' monthly cost and p99. */
static void served(FILE *f, const char *id, double auc, double usd, int months, double rt_usd, double rt_p99,
                   double sl_usd, const char *sl_p99) {
  fprintf(f,
          "{\"point\": {\"id\": \"%s\", \"variant\": \"v\", \"kind\": \"train\", \"label\": \"measured\", "
          "\"ranks\": 1, \"dir\": \"points/%s\"}, \"test\": {\"auc\": %g}, \"time\": {\"total_s\": 60, \"train_s\": 60}, "
          "\"storage\": {\"backend\": \"local\"}, \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": false, "
          "\"total_usd\": %g}, \"serve\": {\"traffic\": {\"kind\": \"spiky\", \"mean_rps\": 12.5, \"peak_rps\": 40, "
          "\"months\": %d}, \"deployments\": ["
          "{\"option\": \"realtime\", \"instance\": \"ml.c5.xlarge\", \"usd_per_month\": %g, \"p99_ms\": %g, "
          "\"basis\": \"projected (an Amdahl fit of closed-loop throughput measured on T at 1, 2 clients, scaled to 4 vCPUs)\"}, "
          "{\"option\": \"serverless\", \"instance\": null, \"usd_per_month\": %g, \"p99_ms\": %s, "
          "\"basis\": \"duration: this host's batch-1 mean\"}, "
          "{\"option\": \"batch\", \"instance\": \"ml.c5.xlarge\", \"usd_per_month\": 0.01, \"p99_ms\": null}]}}\n",
          id, id, auc, usd, months, rt_usd, rt_p99, sl_usd, sl_p99);
}

/* Total cost of ownership: cheap = $0.10 + 12 x $5.80 (serverless, p99 0.5 ms) = $69.70;
 * dear = $0.40 + 6 x $100 (real-time; its serverless cannot serve) = $600.40; weak has no
 * serving figures and drops out. A 2.5 ms target leaves dear's 3 ms endpoint out. */
START_TEST(total_cost_of_ownership) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  served(f, "dear", 0.95, 0.40, 6, 100, 3, 40, "null");
  served(f, "cheap", 0.91, 0.10, 12, 148.9, 2, 5.8, "0.5");
  line(f, "weak", 0.92, 0.01, 10);
  fclose(f);
  free(p);
  recommendation rec;
  recommend_query q = query(0.9);
  q.p99_ms = 10;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_uint_eq(rec.n_qualifying, 2);
  ck_assert_str_eq(rec.picks[0].r->id, "cheap");
  ck_assert_double_eq_tol(rec.picks[0].serve.tco_usd, 0.10 + 12 * 5.8, 1e-9);
  ck_assert_str_eq(rec.picks[0].serve.option, "serverless");
  ck_assert_ptr_null(rec.picks[0].serve.instance);
  ck_assert_str_eq(rec.picks[1].r->id, "dear");
  ck_assert_double_eq_tol(rec.picks[1].serve.tco_usd, 0.40 + 6 * 100, 1e-9);
  ck_assert_str_eq(rec.picks[1].serve.instance, "ml.c5.xlarge");
  ck_assert_ptr_nonnull(strstr(rec.picks[0].why, "the lowest total cost of ownership under the latency target; TCO $69.70 = "
                                                 "training $0.1000 + 12 months x $5.80/month on serverless (p99 0.5 ms <= 10 ms)"));
  ck_assert_ptr_nonnull(strstr(rec.picks[1].why, "6 months x $100.00/month on realtime ml.c5.xlarge"));
  /* review: the serving basis, printed and in the JSON: which serve.json, which
   * deployment, measured or projected, which traffic profile */
  char want[1200];
  snprintf(want, sizeof want, "serving basis: %s/points/cheap/serve.json; serverless measured (duration: this host's "
           "batch-1 mean); traffic spiky, mean 12.5 req/s, peak 40 req/s", tu_dir);
  ck_assert_str_eq(rec.picks[0].serve_basis, want);
  ck_assert_ptr_nonnull(strstr(rec.picks[1].serve_basis, "/points/dear/serve.json; realtime on ml.c5.xlarge projected (projected (an Amdahl"));
  cJSON *j = recommend_json(&rec, &q);
  ck_assert_double_eq_tol(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "tco_usd")), 600.4, 1e-9);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "serve_option")), "serverless");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "serve_label")), "measured");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "serve_label")), "projected");
  snprintf(want, sizeof want, "%s/points/cheap/serve.json", tu_dir);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "serve_json")), want);
  ck_assert_ptr_nonnull(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "serve_deployment_basis")),
                               "scaled to 4 vCPUs"));
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "serve_traffic"),
                                                            "kind")), "spiky");
  cJSON_Delete(j);
  recommend_free(&rec);
  q.p99_ms = 2.5;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_OK);
  ck_assert_uint_eq(rec.n_qualifying, 1);
  recommend_free(&rec);
  /* nothing that fast: the fastest deployment is said */
  q.p99_ms = 0.4;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "3 runs meet auc >= 0.9 but no deployment of theirs has p99 <= 0.4 ms (the fastest: 0.5 ms)"));
  recommend_free(&rec);
  tr_error_clear();
  /* without serving figures at all */
  p = tu_path(tu_dir, "results.jsonl");
  f = fopen(p, "w");
  line(f, "weak", 0.92, 0.01, 10);
  fclose(f);
  free(p);
  q.p99_ms = 50;
  ck_assert_int_eq(recommend_runs(tu_dir, &q, &rec), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "kind = train+serve"));
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
  tcase_add_test(tc, total_cost_of_ownership);
  tcase_add_test(tc, long_ids);
  tcase_add_test(tc, rounding_is_not_better);
  tcase_add_test(tc, small_metrics_compared_relatively);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
