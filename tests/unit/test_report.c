/* Tests for experiments/report.c (loading) on hand-made sweeps (report_fixture.h): the
 * records, the Pareto flags, the learning curves read from history.csv and the notes on
 * the missing ones, the metric choice (the sweep's, auc, rmse, --metric), and the input
 * errors: missing or malformed results.jsonl or history.csv, a metric no run reports. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/report.h"
#include "report_fixture.h"
#include "testutil.h"

START_TEST(loads_sweep) {
  rf_full_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "auc");
  ck_assert_uint_eq(rep.rs.n, 8);
  /* a1 cheapest, a2 faster, m1 best auc, m2 faster, m2@ cheap projection; ms3 loses to m1 */
  bool want[8] = {false, false, false, false, true, false, true, true};
  for (size_t i = 0; i < rep.rs.n; i++) ck_assert_msg(rep.dominated[i] == want[i], "run %zu", i);
  /* 4 histories (ms3 has none: a note) */
  ck_assert_uint_eq(rep.n_curves, 4);
  ck_assert_uint_eq(rep.n_notes, 3); /* and the search's two (report_search.c) */
  ck_assert(rf_has(rep.notes[0], "ms3: "));
  ck_assert(rf_has(rep.notes[0], "points/ms3/history.csv does not exist"));
  report_free(&rep);
  ck_assert_uint_eq(rep.rs.n, 0);
  report_free(&rep); /* twice is harmless */
}
END_TEST

/* DIR "" is the current directory for the histories too, as for results.jsonl (joined
 * with path_join: points/a1/history.csv, never /points/a1/history.csv). */
START_TEST(empty_dir_is_the_current_directory) {
  ck_assert_int_eq(chdir(tu_dir), 0);
  rf_full_sweep(".");
  report rep;
  ck_assert_int_eq(report_load("", NULL, &rep), TR_OK);
  ck_assert_uint_eq(rep.rs.n, 8);
  ck_assert_uint_eq(rep.n_curves, 4);
  ck_assert_uint_eq(rep.n_notes, 3);
  ck_assert(rf_has(rep.notes[0], "ms3: points/ms3/history.csv does not exist"));
  report_free(&rep);
}
END_TEST

/* io-bench runs only: no metric, every run dominated, said in a note. */
START_TEST(no_metric) {
  rf_io_only_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "");
  ck_assert(rep.dominated[0]);
  ck_assert(rf_has(rep.notes[0], "No run reports a test metric"));
  report_free(&rep);
}
END_TEST

/* Regression runs: rmse by default, lower is better, the staircase goes down. */
START_TEST(regression_uses_rmse) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  const double rmse[3] = {0.50, 0.30, 0.40}, usd[3] = {0.1, 0.5, 0.9};
  for (int i = 0; i < 3; i++)
    fprintf(f,
            "{\"task\": \"regression\", \"test\": {\"mse\": %g, \"rmse\": %g, \"mae\": 0.2, \"r2\": 0.8}, "
            "\"time\": {\"total_s\": 10, \"train_s\": 9}, \"epochs_run\": 3, \"best_epoch\": 3, "
            "\"cost\": {\"total_usd\": %g}, \"point\": {\"id\": \"r%d\", \"kind\": \"train\"}}\n",
            rmse[i] * rmse[i], rmse[i], usd[i], i);
  fclose(f);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "rmse");
  ck_assert(!rep.dominated[0] && !rep.dominated[1] && rep.dominated[2]);
  ck_assert(rf_has(rep.fig[REPORT_METRIC_COST].data, "$frontier << EOD\n0.1 0.5\n0.5 0.3\nEOD"));
  ck_assert(rf_has(rep.fig[REPORT_METRIC_COST].body, "lower is better"));
  /* no point.dir: no learning curve, said in a note */
  ck_assert(rf_has(rep.notes[0], "r0 has no run directory"));
  report_free(&rep);
  ck_assert_int_eq(report_load(tu_dir, "r2", &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "r2");
  report_free(&rep);
  free(p);
}
END_TEST

START_TEST(input_errors) {
  report rep;
  char *missing = tu_path(tu_dir, "nope");
  ck_assert_int_eq(report_load(missing, NULL, &rep), TR_EINPUT);
  ck_assert(rf_has(tr_error_message(), "nope/results.jsonl: cannot open"));
  free(missing);

  char *p = tu_path(tu_dir, "results.jsonl");
  tu_write(p, "");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  ck_assert(rf_has(tr_error_message(), "results.jsonl has no runs"));

  FILE *f = fopen(p, "w");
  rf_train_line(f, &rf_runs[0]);
  fputs("{\"point\": {\"id\": \"x\"}, \"cost\": \n", f);
  fclose(f);
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(p, 2, "not valid JSON");

  f = fopen(p, "w");
  rf_train_line(f, &rf_runs[0]);
  fclose(f);
  rf_history(tu_dir, "a1", 6, 4);
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, "r2", &rep), TR_EUSAGE);
  ck_assert(rf_has(tr_error_message(), "--metric r2: no run in"));
  ck_assert(rf_has(tr_error_message(), "they report: auc, accuracy, log_loss"));

  char *h = tu_path(tu_dir, "points/a1/history.csv");
  tu_write(h, "step,loss\n1,0.5\n");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(h, 1, "expected the header epoch,train_loss,val_loss");
  tu_write(h, "epoch,train_loss,val_loss,val_auc\n1,0.5,0.6,0.9\n2,0.4,oops,0.9\n");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(h, 3, "expected numbers");
  tu_write(h, "");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(h, 1, "empty file");
  free(h);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("report");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, loads_sweep);
  tcase_add_test(tc, empty_dir_is_the_current_directory);
  tcase_add_test(tc, no_metric);
  tcase_add_test(tc, regression_uses_rmse);
  tcase_add_test(tc, input_errors);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
