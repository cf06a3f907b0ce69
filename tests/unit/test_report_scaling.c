/* Tests for experiments/report_scaling.c on hand-made sweeps (report_fixture.h): speedup
 * and efficiency per configuration, cost per rank count, the group labels, the figures
 * left out when the runs do not differ in ranks, and the note on the test metric across
 * rank counts (equal by construction under optimizer.rank_invariant). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "experiments/report.h"
#include "report_fixture.h"
#include "testutil.h"

START_TEST(speedup_and_cost_per_rank_count) {
  rf_full_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  /* speedup = train_s(1) / train_s(k); efficiency = speedup / k */
  const report_figure *sp = &rep.fig[REPORT_SPEEDUP];
  ck_assert(!sp->omitted);
  ck_assert(rf_has(sp->data, "$speedup1 << EOD\n1 1 1\n2 1.666666667 0.8333333333\nEOD"));
  ck_assert(rf_has(sp->data, "$speedup2 << EOD\n1 1 1\n2 2 1\nEOD"));
  ck_assert(!strstr(sp->data, "$speedup3")); /* ms3 ran on one rank count only */
  ck_assert(rf_has(sp->body, "x / 1 with lines dt 2 lc 'gray' title 'ideal'"));
  ck_assert(rf_has(sp->body, "title 'baseline, local'"));
  ck_assert(rf_has(sp->body, "set xtics (1, 2)"));

  const report_figure *cr = &rep.fig[REPORT_COST_RANKS];
  ck_assert(!cr->omitted);
  ck_assert(rf_has(cr->data, "$cost1 << EOD\n1 0.1\n2 0.12\nEOD\n$cost2 << EOD\n1 1\n2 1.1\nEOD\n$cost3 << EOD\n1 2\nEOD"));
  ck_assert(rf_has(cr->body, "title 'mlp, s3'"));
  report_free(&rep);
}
END_TEST

/* One rank count: no speedup or cost-vs-ranks figure, and why; no train run at all. */
START_TEST(omits_scaling_without_rank_counts) {
  rf_one_rank_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert(rf_has(rep.fig[REPORT_SPEEDUP].omitted, "every train run used 1 rank: speedup needs runs that differ in ranks"));
  ck_assert(rf_has(rep.fig[REPORT_COST_RANKS].omitted, "every train run used 1 rank"));
  ck_assert_ptr_null(rep.fig[REPORT_SPEEDUP].data);
  report_free(&rep);

  rf_io_only_sweep(tu_dir);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert(rf_has(rep.fig[REPORT_SPEEDUP].omitted, "no measured train run"));
  report_free(&rep);
}
END_TEST

/* The test metric across rank counts: equal by construction under rank_invariant (said
 * so), a spread without it (said so too), nothing when equal without the guarantee. */
static bool has_note(const report *rep, const char *what) {
  for (size_t i = 0; i < rep->n_notes; i++)
    if (strstr(rep->notes[i], what)) return true;
  return false;
}

START_TEST(notes_metric_across_rank_counts) {
  const char *inv = "\"provenance\": {\"job\": {\"optimizer\": {\"rank_invariant\": \"true\"}}}";
  const rf_train_run runs[] = {
      {"i1", "inv", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 1, 0.93, 1.0, 60, 50, 6, 4, 90, false, inv},
      {"i2", "inv", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 2, 0.93, 1.2, 40, 30, 6, 4, 90, false, inv},
      {"i3", "inv", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 3, 0.93, 1.4, 30, 25, 6, 4, 90, false, inv},
      {"p1", "plain", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 1, 0.91, 1.0, 60, 50, 6, 4, 90, false, NULL},
      {"p2", "plain", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 2, 0.92, 1.2, 40, 30, 6, 4, 90, false, NULL},
  };
  rf_write_sweep(tu_dir, runs, 5);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, "auc", &rep), TR_OK);
  ck_assert(has_note(&rep, "rank_invariant = true, so its runs on 1 to 3 ranks have the same weights bit for bit "
                           "and its test auc (0.9300) is equal by construction"));
  ck_assert(has_note(&rep, "test auc ranges from 0.9100 to 0.9200 across rank counts"));
  report_free(&rep);
  rf_full_sweep(tu_dir); /* equal metrics without the key: no note about them */
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert(!has_note(&rep, "across rank counts") && !has_note(&rep, "by construction"));
  report_free(&rep);
}
END_TEST

int main(void) {
  Suite *s = suite_create("report_scaling");
  TCase *tc = tcase_create("report_scaling");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, speedup_and_cost_per_rank_count);
  tcase_add_test(tc, omits_scaling_without_rank_counts);
  tcase_add_test(tc, notes_metric_across_rank_counts);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
