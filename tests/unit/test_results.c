/* Tests for experiments/results.c: train and io-bench lines read into records, metric
 * lookup, malformed lines (file:line), and the Pareto filter on hand-made points. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results.h"
#include "testutil.h"

/* A train line: auc, total cost, wall time. */
static void train_line(FILE *f, const char *id, double auc, double usd, double s) {
  fprintf(f,
          "{\"point\": {\"id\": \"%s\", \"variant\": \"v\", \"kind\": \"train\", \"label\": "
          "\"measured\", \"set\": {\"model.type\": \"mlp\"}, \"dir\": \"points/%s\"}, "
          "\"test\": {\"auc\": %g, \"rmse\": null}, "
          "\"time\": {\"total_s\": %g, \"train_s\": %g}, \"epochs_run\": 4, \"best_epoch\": 3, "
          "\"stop_reason\": \"patience\", \"au_percent\": 97.5, \"parallel\": {\"ranks\": 2}, "
          "\"storage\": {\"backend\": \"s3\"}, \"cost\": {\"instance\": \"c5.xlarge\", "
          "\"spot\": true, \"total_usd\": %g}}\n",
          id, id, auc, s, s / 2, usd);
}

START_TEST(reads_train_and_io_lines) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  train_line(f, "p1", 0.9, 0.5, 100);
  fprintf(f, "\n{\"point\": {\"id\": \"p2\", \"kind\": \"io-bench\", \"label\": \"projected\"}, "
             "\"backend\": \"fsx\", \"workload\": {\"ranks\": 8}, \"total_s\": 30, "
             "\"epoch_s\": [20, 10], \"train_au_mean_percentage\": 66, "
             "\"cost\": {\"instance\": \"g5.xlarge\", \"spot\": false, \"total_usd\": 1.5}}\n");
  fclose(f);
  run_records rs;
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_OK);
  ck_assert_uint_eq(rs.n, 2);
  run_record *a = &rs.r[0], *b = &rs.r[1];
  ck_assert_str_eq(a->id, "p1");
  ck_assert_str_eq(a->backend, "s3");
  ck_assert_str_eq(a->dir, "points/p1");
  ck_assert_ptr_nonnull(a->set);
  ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(a->set, "model.type")->valuestring, "mlp");
  ck_assert(a->spot);
  ck_assert_int_eq(a->ranks, 2);
  ck_assert_double_eq_tol(a->epoch_s, 50.0 / 4, 1e-12);
  ck_assert_double_eq_tol(results_metric(a, "auc"), 0.9, 1e-12);
  ck_assert(isnan(results_metric(a, "rmse")));
  ck_assert(isnan(results_metric(a, "accuracy")));
  ck_assert_str_eq(b->kind, "io-bench");
  ck_assert_str_eq(b->label, "projected");
  ck_assert_ptr_null(b->set);
  ck_assert_str_eq(b->backend, "fsx");
  ck_assert_int_eq(b->ranks, 8);
  ck_assert_double_eq_tol(b->epoch_s, 15, 1e-12);
  ck_assert_double_eq_tol(b->au_percent, 66, 1e-12);
  ck_assert_double_eq_tol(results_metric(b, "au_percent"), 66, 1e-12);
  results_free(&rs);
  ck_assert_uint_eq(rs.n, 0);
  free(p);
}
END_TEST

START_TEST(spot_runs_ranked_by_expectation) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  fprintf(f, "{\"point\": {\"id\": \"s\", \"kind\": \"train\"}, \"time\": {\"total_s\": 100, \"train_s\": 90},"
             " \"cost\": {\"spot\": true, \"total_usd\": 1.0, \"spot_estimate\": {\"expected_time_s\": 130,"
             " \"expected_usd\": 1.4}}}\n");
  fclose(f);
  run_records rs;
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_OK);
  ck_assert_double_eq_tol(rs.r[0].cost_usd, 1.4, 1e-12);
  ck_assert_double_eq_tol(rs.r[0].time_s, 130, 1e-12);
  ck_assert(rs.r[0].spot_estimated && isnan(rs.r[0].spot_interruptions_per_h));
  results_free(&rs);
  free(p);
}
END_TEST

START_TEST(malformed_lines) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  train_line(f, "p1", 0.9, 0.5, 100);
  fprintf(f, "{\"point\": {\"id\": \"p2\"}, \"test\": {}\n");
  fclose(f);
  run_records rs;
  tr_error_clear();
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "results.jsonl:2: not valid JSON"));
  f = fopen(p, "w");
  fprintf(f, "{\"test\": {\"auc\": 1}, \"cost\": {\"total_usd\": 1}}\n");
  fclose(f);
  tr_error_clear();
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "results.jsonl:1: not a run record"));
  /* Found by fuzz_results: counts were cast to int whatever they held (1e300 and NaN
   * are undefined), and epoch_s entries that are not numbers read as 0. */
  static const char *const bad[][2] = {
      {"{\"point\": {}, \"cost\": {\"total_usd\": 1}, \"parallel\": {\"ranks\": 1e300}}", "parallel.ranks"},
      {"{\"point\": {}, \"cost\": {\"total_usd\": 1}, \"epochs_run\": 2.5}", "epochs_run"},
      {"{\"point\": {}, \"cost\": {\"total_usd\": 1}, \"best_epoch\": -1}", "best_epoch"},
      {"{\"point\": {\"kind\": \"io-bench\"}, \"cost\": {\"total_usd\": 1}, \"workload\": {\"ranks\": -3e9}}", "workload.ranks"},
      {"{\"point\": {\"kind\": \"io-bench\"}, \"cost\": {\"total_usd\": 1}, \"epoch_s\": [1, \"x\"]}", "epoch_s"},
      {"{\"point\": {}, \"cost\": {\"total_usd\": \"1\"}}", "cost.total_usd"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f = fopen(p, "w");
    train_line(f, "p1", 0.9, 0.5, 100);
    fprintf(f, "%s\n", bad[i][0]);
    fclose(f);
    tr_error_clear();
    ck_assert_int_eq(results_load(tu_dir, &rs), TR_EINPUT);
    ck_assert_msg(strstr(tr_error_message(), "results.jsonl:2: not a run record ("), "%s", tr_error_message());
    ck_assert_msg(strstr(tr_error_message(), bad[i][1]), "%s", tr_error_message());
  }
  /* absent counts are the defaults: 1 rank, 0 epochs */
  f = fopen(p, "w");
  fprintf(f, "{\"point\": {}, \"cost\": {\"total_usd\": 1}}\n");
  fclose(f);
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_OK);
  ck_assert_int_eq(rs.r[0].ranks, 1);
  ck_assert_int_eq(rs.r[0].epochs_run, 0);
  results_free(&rs);
  tr_error_clear();
  ck_assert_int_eq(results_load("/no/such/sweep", &rs), TR_EINPUT);
  free(p);
}
END_TEST

START_TEST(pareto_frontier) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  train_line(f, "cheap", 0.80, 0.10, 60);    /* frontier: cheapest and fastest */
  train_line(f, "best", 0.95, 1.00, 600);    /* frontier: best metric */
  train_line(f, "worse", 0.79, 0.20, 70);    /* dominated by cheap */
  train_line(f, "mid", 0.90, 0.50, 50);      /* frontier: fastest */
  train_line(f, "tie", 0.80, 0.10, 60);      /* equal to cheap: neither dominates */
  fclose(f);
  run_records rs;
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_OK);
  bool dom[5];
  results_pareto(rs.r, rs.n, "auc", dom);
  ck_assert(!dom[0] && !dom[1] && dom[2] && !dom[3] && !dom[4]);
  /* a metric that is absent dominates nothing */
  results_pareto(rs.r, rs.n, "r2", dom);
  for (int i = 0; i < 5; i++) ck_assert(dom[i]);
  ck_assert(results_lower_is_better("rmse"));
  ck_assert(!results_lower_is_better("auc"));
  results_free(&rs);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("results");
  TCase *tc = tcase_create("results");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, reads_train_and_io_lines);
  tcase_add_test(tc, malformed_lines);
  tcase_add_test(tc, spot_runs_ranked_by_expectation);
  tcase_add_test(tc, pareto_frontier);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
