/* Tests for experiments/report_plan.c on hand-made sweeps (report_fixture.h): the gnuplot
 * datablocks and commands of the learning curves (best epoch marked), metric vs cost (the
 * Pareto staircase, dominated and projected points) and the per-backend storage means,
 * and the figures left out with a reason. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "experiments/report.h"
#include "report_fixture.h"
#include "testutil.h"

START_TEST(plans_every_figure) {
  rf_full_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  for (int k = 0; k < REPORT_FIGURES; k++) ck_assert_msg(!rep.fig[k].omitted, "%s: %s", rep.fig[k].name, rep.fig[k].omitted);

  /* serving (a1 and m1 were served): latency vs cost draws the options that can serve the
     profile (m1's serverless p99 is null, batch has none), cost per 1M every option that can
     serve the profile (m1's serverless cannot: no bar) */
  const report_figure *sl = &rep.fig[REPORT_SERVE_LATENCY];
  ck_assert(rf_has(sl->data, "$lc_0 << EOD\n148.9 2 \"baseline, local, 1 rank\"\n297.8 3 \"mlp, local, 1 rank\"\nEOD\n"));
  ck_assert(rf_has(sl->data, "$lc_1 << EOD\n5.8 0.5 \"baseline, local, 1 rank\"\nEOD\n"));
  ck_assert(rf_has(sl->data, "$lc_2 << EOD\nEOD\n"));
  ck_assert(rf_has(sl->body, "title 'realtime ml.c5.xlarge'"));
  ck_assert(!strstr(sl->body, "$lc_2 using")); /* batch: nothing drawn */
  const report_figure *so = &rep.fig[REPORT_SERVE_OPTIONS];
  ck_assert(rf_has(so->data, "$per1m << EOD\n\"run\" \"realtime ml.c5.xlarge\" \"serverless\" \"batch ml.c5.xlarge\"\n"
                             "\"baseline, local, 1 rank\" 5.5 0.25 0.02\n\"mlp, local, 1 rank\" 5.5 ? 0.02\nEOD\n"));
  ck_assert(rf_has(so->body, "plot for [c=2:4] $per1m using c:xtic(1) title columnheader"));

  /* learning curves: 4 histories, best epochs marked */
  const report_figure *lc = &rep.fig[REPORT_LEARNING_CURVES];
  ck_assert(rf_has(lc->data, "$curve1 << EOD\n1 1 1\n2 0.5 0.5\n"));
  ck_assert(rf_has(lc->data, "$best << EOD\n4 0.25 2062260\n4 0.25 16744206\n15 0.066667 2924588\n"));
  ck_assert(rf_has(lc->body, "title 'baseline, local, 1 rank'")); /* what sets it apart, not its id */
  ck_assert(!strstr(lc->body, "a1"));
  ck_assert(rf_has(lc->body, "with points pt 7 ps 1.8 lc rgb variable title 'best epoch"));

  /* the search: every trial's val_auc per epoch, a1 pruned (red, a cross where it stopped) */
  const report_figure *sc = &rep.fig[REPORT_SEARCH];
  ck_assert(rf_has(sc->data, "$trial1 << EOD\n1 0.9\n2 0.9\n"));
  ck_assert(rf_has(sc->data, "$end1 << EOD\n6 0.9\nEOD"));
  ck_assert(rf_has(sc->body, "$end1 using 1:2 with points pt 2"));
  ck_assert(rf_has(sc->body, "title 'pruned (1)'"));
  ck_assert(rf_has(sc->body, "set ylabel 'val_auc'"));
  bool spent = false, saved = false;
  for (size_t i = 0; i < rep.n_notes; i++) {
    spent = spent || strstr(rep.notes[i], "Search (halving): spent $2.50 of the budget $3.00 (83%); 4 of 5 trials ran; "
                                          "left unrun by the budget: 1 (p0005).");
    saved = saved || strstr(rep.notes[i], "Cost saved by pruning: $0.2500");
  }
  ck_assert_msg(spent && saved, "%s", rep.n_notes ? rep.notes[0] : "no notes");

  /* metric vs cost: the staircase buys .90 for $0.10, then .95 for $0.50 */
  const report_figure *mc = &rep.fig[REPORT_METRIC_COST];
  ck_assert(rf_has(mc->data, "$frontier << EOD\n0.1 0.9\n0.5 0.95\nEOD\n"));
  /* the points: cost metric (a1, a2, m1, m2; m2@c5.xlarge; ms3), no id, which nothing plots */
  ck_assert(rf_has(mc->data, "$pareto_measured << EOD\n0.1 0.9\n0.12 0.9\n1 0.95\n1.1 0.95\nEOD"));
  ck_assert(rf_has(mc->data, "$pareto_projected << EOD\n0.5 0.95\nEOD"));
  ck_assert(rf_has(mc->data, "$dominated_measured << EOD\n2 0.94\nEOD"));
  ck_assert(rf_has(mc->data, "$dominated_projected << EOD\nEOD"));
  ck_assert(!strstr(mc->body, "$dominated_projected using")); /* an empty series is not plotted */
  ck_assert(rf_has(mc->body, "with steps"));
  /* labels: what sets each run apart, beside its point; no id anywhere in the figure */
  ck_assert(rf_has(mc->data, " \"baseline, local, 1 rank\"\n"));
  ck_assert(rf_has(mc->data, " \"mlp, local @c5.xlarge\"\n"));
  ck_assert(rf_has(mc->data, " \"mlp, s3, 1 rank\"\n"));
  ck_assert(!strstr(mc->data, "\"a1\"") && !strstr(mc->data, "\"ms3\"") && !strstr(mc->body, "a1"));
  ck_assert(rf_has(mc->body, "$label_right using 1:2:3 with labels left font ',8' tc rgb '#222222' notitle"));
  ck_assert(!strstr(mc->body, "set logscale x")); /* $0.10 .. $2.00: a linear axis */
  /* the caption sends the reader to the tables' column of these labels, not to the ids */
  ck_assert(rf_has(mc->caption, "(the tables give each run's label beside its id, in their \"figure label\" column)"));
  ck_assert(!strstr(mc->caption, "gives their ids"));

  /* storage: means per series and backend; '?' where a series did not run */
  const report_figure *st = &rep.fig[REPORT_STORAGE];
  ck_assert(rf_has(st->data, "$epoch_s << EOD\n\"backend\" \"train: baseline\" \"train: mlp\" \"io-bench (virtual clock)\"\n"
                             "\"local\" 6.666666667 18.75 ?\n\"s3\" ? 40 2\n\"fsx\" ? ? 1\nEOD"));
  ck_assert(rf_has(st->data, "$au_percent << EOD\n"));
  ck_assert(rf_has(st->data, "\"local\" 85 95 ?\n"));
  ck_assert(rf_has(st->data, "$cost_usd << EOD\n"));
  ck_assert(rf_has(st->body, "set multiplot layout 1,3"));
  report_free(&rep);
}
END_TEST

/* One backend: no storage figure; io-bench runs only: no learning curve, no metric. */
START_TEST(omits_figures_without_data) {
  rf_one_rank_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert(!rep.fig[REPORT_LEARNING_CURVES].omitted && !rep.fig[REPORT_METRIC_COST].omitted);
  ck_assert(rf_has(rep.fig[REPORT_STORAGE].omitted, "every run read from 'local'"));
  report_free(&rep);

  rf_io_only_sweep(tu_dir);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert(rf_has(rep.fig[REPORT_LEARNING_CURVES].omitted, "no measured train run with a history.csv"));
  ck_assert(rf_has(rep.fig[REPORT_METRIC_COST].omitted, "no run reports a test metric"));
  ck_assert(rf_has(rep.fig[REPORT_SERVE_LATENCY].omitted, "no run was serve-benched"));
  ck_assert(rf_has(rep.fig[REPORT_SERVE_OPTIONS].omitted, "kind = train+serve"));
  report_free(&rep);
}
END_TEST

int main(void) {
  Suite *s = suite_create("report_plan");
  TCase *tc = tcase_create("report_plan");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, plans_every_figure);
  tcase_add_test(tc, omits_figures_without_data);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
