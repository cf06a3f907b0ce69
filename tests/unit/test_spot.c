/* Tests for experiments/spot.c: the expected-time formula against the Monte Carlo of the
 * same process (within 4 standard errors), Young/Daly against worked numbers and against
 * the formula's own minimum, the cost of a run both ways, and edge cases (no
 * interruptions, no checkpoints, invalid inputs). */
#include <math.h>
#include <string.h>

#include "experiments/spot.h"
#include "testutil.h"

static const spot_params daily = {.interruptions_per_h = 1.0 / 24, .restart_s = 120};

START_TEST(formula_matches_simulation) {
  /* (rate per h, restart, work, interval, checkpoint): from mild to harsh (M = 2 tau),
     with a final piece shorter than the interval, without checkpoints, without restart */
  static const double cases[][5] = {
      {1.0 / 24, 120, 36000, 3600, 60},  /* 10 h, hourly checkpoints, one interruption a day */
      {3, 30, 3000, 300, 10},            /* M = 1200 s: a few interruptions per run */
      {6, 60, 2000, 300, 20},            /* M = 600 s = 2 tau: every segment often fails */
      {3, 30, 1000, 300, 10},            /* 3 intervals and a 100 s piece without checkpoint */
      {2, 20, 900, 0, 0},                /* no checkpoints: an interruption restarts all */
      {12, 0, 600, 60, 5},               /* no restart cost */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const double *c = cases[i];
    spot_params p = {.interruptions_per_h = c[0], .restart_s = c[1]};
    double se, sim = spot_simulate(&p, c[2], c[3], c[4], 20000, 42 + i, &se);
    double formula = spot_expected_time(&p, c[2], c[3], c[4]);
    ck_assert_msg(isfinite(formula) && se > 0, "case %zu", i);
    ck_assert_msg(fabs(sim - formula) < 4 * se, "case %zu: simulated %.2f +- %.2f, formula %.2f", i,
                  sim, se, formula);
    /* interruptions only ever add time */
    ck_assert(formula > c[2] + floor(c[3] > 0 ? c[2] / c[3] : 0) * c[4]);
  }
  /* the same seed gives the same simulation */
  double a = spot_simulate(&daily, 36000, 3600, 60, 100, 7, NULL),
         b = spot_simulate(&daily, 36000, 3600, 60, 100, 7, NULL);
  ck_assert(a == b);
}
END_TEST

START_TEST(worked_numbers) {
  /* 10 h of work, a 60 s checkpoint every hour, one interruption a day, 120 s restart:
     10 segments of g(3660 s) = e^(120/86400) (e^(3660/86400) - 1) * 86400 = 3743.82 s */
  ck_assert_double_eq_tol(spot_expected_time(&daily, 36000, 3600, 60), 37438.233, 1e-3);
  /* Daly's (W / tau) g(tau + C) is the same when tau divides W */
  double l = 1.0 / 86400, g = exp(l * 120) * expm1(l * 3660) / l;
  ck_assert_double_eq_tol(spot_expected_time(&daily, 36000, 3600, 60), 36000.0 / 3600 * g, 1e-6);
  ck_assert_double_eq_tol(spot_mtbi_s(&daily), 86400, 1e-9);
}
END_TEST

START_TEST(young_daly) {
  /* sqrt(2 x 60 s x 24 h) = sqrt(10,368,000) = 3219.94 s, 53.7 minutes */
  ck_assert_double_eq_tol(spot_young_daly(&daily, 60), 3219.9379, 1e-3);
  /* the default rate (-ln(0.95)/720 per hour, the Spot Instance Advisor's <5% monthly
     band): M = 14,045 h; a 10 s checkpoint gives sqrt(2 x 10 x 5.056e7 s) = 31,800 s */
  spot_params dflt = {.interruptions_per_h = 0.0000712, .restart_s = 120};
  ck_assert_double_eq_tol(spot_mtbi_s(&dflt) / 3600, 14044.94, 0.01);
  ck_assert_double_eq_tol(spot_young_daly(&dflt, 10), 31799.93, 0.01);
  /* it sits at the formula's minimum: within 0.1% of the best time over a fine grid */
  double best = INFINITY, best_tau = 0;
  for (double tau = 300; tau <= 20000; tau += 10) {
    double t = spot_expected_time(&daily, 360000, tau, 60);
    if (t < best) best = t, best_tau = tau;
  }
  double at_yd = spot_expected_time(&daily, 360000, spot_young_daly(&daily, 60), 60);
  ck_assert_msg(at_yd < best * 1.001, "Young/Daly %.1f s, best %.1f s at tau %.0f", at_yd, best, best_tau);
  ck_assert(fabs(best_tau - 3220) < 0.1 * 3220);
  /* in epochs of 600 s: tau* = 5.37 epochs; 5 or 6, whichever the formula prefers */
  int k = spot_every_epochs(&daily, 600, 60, 100);
  ck_assert(k == 5 || k == 6);
  int other = k == 5 ? 6 : 5;
  ck_assert(spot_expected_time(&daily, 60000, k * 600.0, 60) <=
            spot_expected_time(&daily, 60000, other * 600.0, 60));
  ck_assert_int_eq(spot_every_epochs(&daily, 600, 60, 3), 3);   /* at most the run */
  ck_assert_int_eq(spot_every_epochs(&daily, 1e6, 60, 10), 1);  /* at least one epoch */
}
END_TEST

START_TEST(no_interruptions) {
  spot_params never = {.interruptions_per_h = 0, .restart_s = 120};
  ck_assert(isinf(spot_mtbi_s(&never)) && isinf(spot_young_daly(&never, 10)));
  /* W + checkpoints: 3 after 30, 60 and 90 s of 100 s; 4 when 25 s divides 100 s */
  ck_assert_double_eq_tol(spot_expected_time(&never, 100, 30, 2), 106, 1e-12);
  ck_assert_double_eq_tol(spot_expected_time(&never, 100, 25, 2), 108, 1e-12);
  ck_assert_double_eq_tol(spot_expected_time(&never, 100, 0, 2), 100, 1e-12);   /* none */
  ck_assert_double_eq_tol(spot_expected_time(&never, 100, 500, 2), 100, 1e-12); /* none */
  ck_assert_double_eq_tol(spot_expected_time(&never, 0, 30, 2), 0, 1e-12);
  /* W = k tau in floating point still counts k checkpoints */
  ck_assert_double_eq_tol(spot_expected_time(&never, 0.1 * 30, 0.1 * 3, 1), 3.0 + 10, 1e-9);
  double se;
  ck_assert_double_eq_tol(spot_simulate(&never, 100, 30, 2, 5, 1, &se), 106, 1e-12);
  ck_assert(se == 0);
  ck_assert_int_eq(spot_every_epochs(&never, 60, 5, 10), 0);
  /* a tiny rate approaches the same limit */
  spot_params tiny = {.interruptions_per_h = 1e-12, .restart_s = 120};
  ck_assert_double_eq_tol(spot_expected_time(&tiny, 100, 30, 2), 106, 1e-6);
}
END_TEST

START_TEST(cost_both_ways) {
  /* c5.4xlarge: $0.68 on demand, $0.2584 on spot (62% off); $0.01 of storage */
  spot_run r = {.work_s = 36000, .interval_s = 3600, .ckpt_s = 60, .spot_usd_per_h = 0.2584,
                .on_demand_usd_per_h = 0.68, .other_usd = 0.01};
  spot_cost_out o;
  ck_assert_int_eq(spot_cost(&daily, &r, &o), TR_OK);
  ck_assert_double_eq_tol(o.expected_s, 37438.233, 1e-3);
  ck_assert_double_eq_tol(o.expected_usd, 0.2584 * 37438.233 / 3600 + 0.01, 1e-6);
  ck_assert_double_eq_tol(o.on_demand_s, 36600, 1e-9);
  ck_assert_double_eq_tol(o.on_demand_usd, 0.68 * 36600 / 3600 + 0.01, 1e-9);
  ck_assert(o.expected_usd < o.on_demand_usd);
}
END_TEST

START_TEST(invalid_inputs) {
  spot_params neg = {.interruptions_per_h = -1, .restart_s = 0},
              nan_rate = {.interruptions_per_h = NAN, .restart_s = 0},
              neg_restart = {.interruptions_per_h = 1, .restart_s = -5};
  ck_assert_ptr_null(spot_check_param(&daily));
  ck_assert(strstr(spot_check_param(&neg), "spot_interruptions_per_h") != NULL);
  ck_assert(strstr(spot_check_param(&nan_rate), "spot_interruptions_per_h") != NULL);
  ck_assert(strstr(spot_check_param(&neg_restart), "spot_restart_s") != NULL);
  ck_assert_ptr_nonnull(spot_check_param(NULL));
  ck_assert(isnan(spot_expected_time(&neg, 100, 10, 1)));
  ck_assert(isnan(spot_expected_time(&daily, -1, 10, 1)));
  ck_assert(isnan(spot_expected_time(&daily, 100, -10, 1)));
  ck_assert(isnan(spot_expected_time(&daily, 100, NAN, 1)));
  ck_assert(isnan(spot_expected_time(&daily, 100, 10, -1)));
  ck_assert(isnan(spot_expected_time(&daily, INFINITY, 10, 1)));
  ck_assert(isnan(spot_young_daly(&daily, -1)) && isnan(spot_young_daly(&neg_restart, 1)));
  ck_assert(isnan(spot_mtbi_s(&neg)));
  ck_assert(isnan(spot_simulate(&daily, 100, 10, 1, 0, 1, NULL)));
  ck_assert(isnan(spot_simulate(&neg, 100, 10, 1, 10, 1, NULL)));
  ck_assert_int_eq(spot_every_epochs(&daily, 0, 60, 10), -1);
  ck_assert_int_eq(spot_every_epochs(&daily, 60, -1, 10), -1);
  ck_assert_int_eq(spot_every_epochs(&daily, 60, 1, 0), -1);
  spot_run r = {.work_s = -1, .interval_s = 10};
  spot_cost_out o;
  ck_assert_int_eq(spot_cost(&daily, &r, &o), TR_EINTERNAL);
  tr_error_clear();
  r = (spot_run){.work_s = 100, .interval_s = 10, .spot_usd_per_h = NAN};
  ck_assert_int_eq(spot_cost(&daily, &r, &o), TR_EINTERNAL);
  tr_error_clear();
  ck_assert_int_eq(spot_cost(&neg, &r, &o), TR_EINTERNAL);
  ck_assert(strstr(tr_error_message(), "spot_interruptions_per_h") != NULL);
  tr_error_clear();
  /* a rate so high the run practically never ends: infinite, not NaN */
  spot_params storm = {.interruptions_per_h = 3600, .restart_s = 0};
  ck_assert(isinf(spot_expected_time(&storm, 1e6, 0, 0)));
}
END_TEST

int main(void) {
  Suite *s = suite_create("spot");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, formula_matches_simulation);
  tcase_add_test(tc, worked_numbers);
  tcase_add_test(tc, young_daly);
  tcase_add_test(tc, no_interruptions);
  tcase_add_test(tc, cost_both_ways);
  tcase_add_test(tc, invalid_inputs);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
