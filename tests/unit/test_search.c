/* Tests for experiments/search.c: ASHA's promotions worked by hand on made-up curves
 * (better trials late, better trials early), the median rule's thresholds, the budget
 * refusing what would exceed it, Hyperband's brackets, and the records of decisions. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "experiments/search.h"
#include "testutil.h"

static search_params params(int kind, int min_epochs, int max_epochs) {
  return (search_params){.kind = kind, .eta = 3, .min_epochs = min_epochs, .max_epochs = max_epochs,
                         .prune_after = 1, .prune_startup = 1, .budget_usd = NAN, .seed = 1};
}

/* Runs the search to the end, one job at a time, trial t scoring value(t) at every
 * epoch; the jobs as "trial:rung" into seq. */
static void drive(search *s, double (*value)(size_t), char *seq, size_t n) {
  size_t len = 0;
  seq[0] = '\0';
  search_job job;
  search_step st;
  while ((st = search_next(s, &job)) == SEARCH_JOB) {
    len += (size_t)snprintf(seq + len, n - len, "%s%zu:%d", len ? " " : "", job.trial, job.rung);
    double curve[27];
    for (int e = 0; e < job.until_epoch; e++) curve[e] = value(job.trial);
    search_outcome o = {.epochs_run = job.until_epoch, .stop_reason = job.until_epoch == 9 ? "max_epochs" : "rung",
                        .value = value(job.trial), .usd = 0.01 * job.until_epoch, .epoch_usd = NAN, .curve = curve,
                        .n_curve = job.until_epoch};
    ck_assert_int_eq(search_report(s, &job, &o), TR_OK);
  }
  ck_assert_int_eq(st, SEARCH_DONE);
}

static double rising(size_t t) { return 0.5 + 0.01 * (double)t; }
static double falling(size_t t) { return 0.9 - 0.01 * (double)t; }

static const char *decision(const search *s, size_t t, int rung, char *buf, size_t n) {
  cJSON *o = search_trial_json(s, t);
  cJSON *r, *rungs = cJSON_GetObjectItem(o, "rungs");
  snprintf(buf, n, "none");
  cJSON_ArrayForEach(r, rungs) if (cJSON_GetObjectItem(r, "rung")->valueint == rung)
      snprintf(buf, n, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "decision")));
  cJSON_Delete(o);
  return buf;
}

/* Later trials better: each new trial is the best at rung 0 when it arrives, so ASHA
 * promotes it at once, and from trial 4 on through rung 1 to max_epochs. */
START_TEST(asha_rising) {
  search_params p = params(SEARCH_HALVING, 1, 9);
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 9, &s), TR_OK);
  char seq[512], d[32];
  drive(s, rising, seq, sizeof seq);
  ck_assert_str_eq(seq, "0:0 1:0 2:0 2:1 3:0 3:1 4:0 4:1 4:2 5:0 5:1 5:2 6:0 6:1 6:2 7:0 7:1 7:2 8:0 8:1 8:2");
  ck_assert_str_eq(decision(s, 0, 0, d, sizeof d), "stopped");
  ck_assert_str_eq(decision(s, 2, 0, d, sizeof d), "promoted");
  ck_assert_str_eq(decision(s, 2, 1, d, sizeof d), "stopped");
  ck_assert_str_eq(decision(s, 8, 2, d, sizeof d), "completed");
  cJSON *o = search_trial_json(s, 0);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")), "stopped");
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "rungs"), 0), "why"));
  ck_assert_str_eq(why, "not in the top 1/3 at rung 0: 9th of 9 (top 3 promoted)");
  cJSON_Delete(o);
  /* saved: t0, t1 stopped after 1 of 9 epochs ($0.01 each), t2, t3 after 3 ($0.04 each) */
  cJSON *sum = search_summary_json(s);
  ck_assert_double_eq_tol(json_number_at(sum, "cost_saved_by_pruning_usd", NULL), 2 * 8 * 0.01 + 2 * 6 * (0.04 / 3), 1e-12);
  ck_assert_double_eq_tol(json_number_at(sum, "spent_usd", NULL),
                          0.01 * (9 * 1 + 7 * 3 + 5 * 9), 1e-12); /* usd = 0.01 x until_epoch per job */
  cJSON_Delete(sum);
  search_free(&s);
}
END_TEST

/* Earlier trials better: a promotion waits until a trial is in the top 1/3 of those
 * that reached the rung, then goes before the next new trial. */
START_TEST(asha_falling) {
  search_params p = params(SEARCH_HALVING, 1, 9);
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 9, &s), TR_OK);
  char seq[512], d[32];
  drive(s, falling, seq, sizeof seq);
  ck_assert_str_eq(seq, "0:0 1:0 2:0 0:1 3:0 4:0 5:0 1:1 6:0 7:0 8:0 2:1 0:2");
  ck_assert_str_eq(decision(s, 1, 1, d, sizeof d), "stopped");
  ck_assert_str_eq(decision(s, 5, 0, d, sizeof d), "stopped");
  ck_assert_str_eq(decision(s, 0, 2, d, sizeof d), "completed");
  /* the same reports give the same decisions: a search replays exactly */
  search *again = NULL;
  ck_assert_int_eq(search_new(&p, 9, &again), TR_OK);
  char seq2[512];
  drive(again, falling, seq2, sizeof seq2);
  ck_assert_str_eq(seq, seq2);
  for (size_t t = 0; t < 9; t++) {
    cJSON *a = search_trial_json(s, t), *b = search_trial_json(again, t);
    ck_assert(cJSON_Compare(a, b, true));
    cJSON_Delete(a);
    cJSON_Delete(b);
  }
  search_free(&again);
  /* minimizing the same values reverses the ranking: the rising order's sequence */
  p.minimize = true;
  ck_assert_int_eq(search_new(&p, 9, &again), TR_OK);
  drive(again, falling, seq2, sizeof seq2);
  ck_assert_str_eq(seq2, "0:0 1:0 2:0 2:1 3:0 3:1 4:0 4:1 4:2 5:0 5:1 5:2 6:0 6:1 6:2 7:0 7:1 7:2 8:0 8:1 8:2");
  search_free(&again);
  search_free(&s);
}
END_TEST

/* A running trial's value is unknown: with nothing to promote yet and no new trial,
 * the search waits. */
START_TEST(waits_for_running) {
  search_params p = params(SEARCH_HALVING, 1, 9);
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 2, &s), TR_OK);
  search_job a, b, c;
  ck_assert_int_eq(search_next(s, &a), SEARCH_JOB);
  ck_assert_int_eq(search_next(s, &b), SEARCH_JOB);
  ck_assert_int_eq(search_next(s, &c), SEARCH_WAIT);
  search_outcome o = {.epochs_run = 1, .stop_reason = "rung", .value = 0.5, .usd = 0.01};
  ck_assert_int_eq(search_report(s, &b, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &c), SEARCH_WAIT);
  o.stop_reason = "patience"; /* stopped itself: done, it counts at the rung */
  ck_assert_int_eq(search_report(s, &a, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &c), SEARCH_DONE);
  cJSON *t = search_trial_json(s, 0);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t, "status")), "early_stopped");
  cJSON_Delete(t);
  search_free(&s);
}
END_TEST

/* The median rule: the median of the completed trials' values at each epoch from
 * prune_after on (not the last), once prune_startup trials have it. */
START_TEST(median_rule) {
  search_params p = params(SEARCH_GRID, 1, 4);
  p.prune_median = true;
  p.prune_after = 2;
  p.prune_startup = 2;
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 4, &s), TR_OK);
  search_job j0, j1, j2, j3;
  ck_assert_int_eq(search_next(s, &j0), SEARCH_JOB);
  ck_assert_int_eq(j0.until_epoch, 4);
  int n = -1;
  ck_assert_ptr_null(search_prune_curve(s, &j0, &n));
  ck_assert_int_eq(n, 0);
  double c0[] = {0.5, 0.6, 0.7, 0.8}, c1[] = {0.7, 0.8, 0.9, 1.0}, c2[] = {0.1, 0.2};
  search_outcome o = {.epochs_run = 4, .stop_reason = "max_epochs", .value = 0.8, .usd = 1, .curve = c0, .n_curve = 4};
  ck_assert_int_eq(search_report(s, &j0, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &j1), SEARCH_JOB);
  ck_assert_ptr_null(search_prune_curve(s, &j1, &n)); /* one completed trial: fewer than prune_startup */
  o.curve = c1;
  o.value = 1.0;
  ck_assert_int_eq(search_report(s, &j1, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &j2), SEARCH_JOB);
  double *below = search_prune_curve(s, &j2, &n);
  ck_assert_ptr_nonnull(below);
  ck_assert_int_eq(n, 4);
  ck_assert(isnan(below[0]) && isnan(below[3]));
  ck_assert_double_eq_tol(below[1], 0.7, 1e-12);
  ck_assert_double_eq_tol(below[2], 0.8, 1e-12);
  free(below);
  /* a pruned trial is not a completed one: the medians stay */
  search_outcome pr = {.epochs_run = 2, .stop_reason = "pruned", .value = 0.2, .median = 0.7, .usd = 0.5,
                       .epoch_usd = 0.2, .curve = c2, .n_curve = 2};
  ck_assert_int_eq(search_report(s, &j2, &pr), TR_OK);
  ck_assert_int_eq(search_next(s, &j3), SEARCH_JOB);
  below = search_prune_curve(s, &j3, &n);
  ck_assert_double_eq_tol(below[1], 0.7, 1e-12);
  free(below);
  cJSON *t = search_trial_json(s, 2);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t, "status")), "pruned");
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "rungs"), 0), "why"));
  ck_assert_ptr_nonnull(strstr(why, "pruned after epoch 2: 0.2 is worse than 0.7"));
  cJSON_Delete(t);
  /* what pruning saved: 2 more epochs at the measured 0.2 an epoch (start-up left out) */
  cJSON *sum = search_summary_json(s);
  ck_assert_double_eq_tol(json_number_at(sum, "cost_saved_by_pruning_usd", NULL), 0.4, 1e-12);
  cJSON_Delete(sum);
  search_free(&s);
}
END_TEST

/* The budget: a job whose projection (the measured cost per epoch) would take spent +
 * reserved over it never starts; the trial is left unrun; the first job, with nothing
 * measured, starts. */
START_TEST(budget_refuses) {
  search_params p = params(SEARCH_GRID, 1, 10);
  p.budget_usd = 1.0;
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 4, &s), TR_OK);
  search_job j;
  search_outcome o = {.epochs_run = 10, .stop_reason = "max_epochs", .value = 0.5, .usd = 0.4};
  ck_assert_int_eq(search_next(s, &j), SEARCH_JOB);
  ck_assert_double_eq_tol(search_budget_left(s, &j), 1.0, 1e-12);
  ck_assert_int_eq(search_report(s, &j, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &j), SEARCH_JOB); /* 0.4 + 0.4 <= 1 */
  ck_assert_uint_eq(j.trial, 1);
  ck_assert_double_eq_tol(j.reserved_usd, 0.4, 1e-12);
  search_job k;
  ck_assert_int_eq(search_next(s, &k), SEARCH_WAIT); /* 0.4 spent + 0.4 reserved + 0.4 > 1: trials 2, 3 refused */
  ck_assert_int_eq(search_report(s, &j, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &k), SEARCH_DONE);
  cJSON *sum = search_summary_json(s);
  ck_assert_double_eq_tol(json_number_at(sum, "spent_usd", NULL), 0.8, 1e-12);
  cJSON *unrun = cJSON_GetObjectItem(sum, "left_unrun");
  ck_assert_int_eq(cJSON_GetArraySize(unrun), 2);
  ck_assert_int_eq(cJSON_GetArrayItem(unrun, 0)->valueint, 2);
  cJSON_Delete(sum);
  cJSON *t = search_trial_json(s, 3);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t, "status")), "budget");
  cJSON_Delete(t);
  search_free(&s);
}
END_TEST

/* Hyperband over 27 trials, epochs 1..27: four brackets starting at 1, 3, 9 and 27
 * epochs with Hyperband's shares 27:12:6:4 of the trials (15, 7, 3, 2). */
/* Under a budget, one job until a job has said what it costs; then the projection is the
 * jobs' start-up plus the epochs at the measured cost of one. */
START_TEST(budget_projects_startup) {
  search_params p = params(SEARCH_HALVING, 1, 9);
  p.budget_usd = 10;
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 6, &s), TR_OK);
  search_job a, b;
  ck_assert_int_eq(search_next(s, &a), SEARCH_JOB);
  ck_assert_double_eq(a.reserved_usd, 0);
  ck_assert_int_eq(search_next(s, &b), SEARCH_WAIT); /* nothing measured: no second job yet */
  search_outcome o = {.epochs_run = 1, .stop_reason = "rung", .value = 0.5, .usd = 0.5, .epoch_usd = 0.1};
  ck_assert_int_eq(search_report(s, &a, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &b), SEARCH_JOB);
  ck_assert_double_eq_tol(b.reserved_usd, 0.4 + 0.1, 1e-12); /* start-up 0.5 - 0.1, one epoch */
  search_job c;
  ck_assert_int_eq(search_next(s, &c), SEARCH_JOB); /* measured now: jobs run side by side */
  search_free(&s);
}
END_TEST

START_TEST(hyperband_brackets) {
  search_params p = params(SEARCH_HYPERBAND, 1, 27);
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 27, &s), TR_OK);
  size_t count[4] = {0};
  for (size_t t = 0; t < 27; t++) count[search_bracket(s, t)]++;
  ck_assert_uint_eq(count[0], 15);
  ck_assert_uint_eq(count[1], 7);
  ck_assert_uint_eq(count[2], 3);
  ck_assert_uint_eq(count[3], 2);
  static const int start[4] = {1, 3, 9, 27};
  search_job j;
  for (size_t t = 0; t < 27; t++) {
    ck_assert_int_eq(search_next(s, &j), SEARCH_JOB);
    ck_assert_int_eq(j.until_epoch, start[search_bracket(s, j.trial)]);
  }
  cJSON *sum = search_summary_json(s);
  ck_assert_int_eq((int)json_number_at(sum, "brackets", NULL), 4);
  cJSON_Delete(sum);
  search_free(&s);
  /* another seed deals them out otherwise */
  p.seed = 2;
  search *b = NULL;
  ck_assert_int_eq(search_new(&p, 27, &b), TR_OK);
  bool differs = false;
  ck_assert_int_eq(search_new(&(search_params){.kind = SEARCH_HYPERBAND, .eta = 3, .min_epochs = 1, .max_epochs = 27,
                                               .prune_after = 1, .prune_startup = 1, .budget_usd = NAN, .seed = 1},
                              27, &s), TR_OK);
  for (size_t t = 0; t < 27; t++) differs = differs || search_bracket(s, t) != search_bracket(b, t);
  ck_assert(differs);
  search_free(&s);
  search_free(&b);
}
END_TEST

/* Hyperband decides a rung once every trial of its bracket has reached it (synchronous
 * successive halving): with later trials better, no trial of a bracket goes on before the
 * last of its bracket arrived, and then exactly the top floor(n / eta) do, the last ones. */
START_TEST(hyperband_rungs_complete) {
  search_params p = params(SEARCH_HYPERBAND, 1, 27);
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 27, &s), TR_OK);
  char seq[2048];
  drive(s, rising, seq, sizeof seq);
  for (int b = 0; b < 3; b++) {
    size_t n = 0, last_start = 0, first_next = SIZE_MAX, promoted = 0, pos = 0;
    size_t members[27], n_members = 0;
    for (size_t t = 0; t < 27; t++)
      if (search_bracket(s, t) == b) members[n_members++] = t;
    for (char *tok = seq; *tok; pos++) {
      size_t t = strtoul(tok, &tok, 10);
      int rung = (int)strtol(tok + 1, &tok, 10);
      while (*tok == ' ') tok++;
      if (search_bracket(s, t) != b) continue;
      if (rung == 0) n++, last_start = pos;
      if (rung == 1) {
        promoted++;
        if (pos < first_next) first_next = pos;
        ck_assert_msg(t >= members[n_members - n_members / 3], "bracket %d: trial %zu promoted, not in the top", b, t);
      }
    }
    ck_assert_uint_eq(n, n_members);
    ck_assert_uint_eq(promoted, n_members / 3);
    if (promoted) ck_assert_msg(first_next > last_start, "bracket %d promoted before its rung was complete: %s", b, seq);
  }
  search_free(&s);
}
END_TEST

START_TEST(bad_params) {
  search_params p = params(SEARCH_HALVING, 5, 3);
  search *s = NULL;
  ck_assert_int_eq(search_new(&p, 3, &s), TR_ECONFIG);
  ck_assert_ptr_null(s);
  p = params(SEARCH_HALVING, 1, 3);
  p.eta = 1;
  ck_assert_ptr_nonnull(search_check_param(&p));
  p.eta = 3;
  ck_assert_int_eq(search_new(&p, 0, &s), TR_ECONFIG);
  /* a failed run: no value, the trial is done */
  ck_assert_int_eq(search_new(&p, 1, &s), TR_OK);
  search_job j;
  ck_assert_int_eq(search_next(s, &j), SEARCH_JOB);
  search_outcome o = {.failed = true};
  ck_assert_int_eq(search_report(s, &j, &o), TR_OK);
  ck_assert_int_eq(search_next(s, &j), SEARCH_DONE);
  cJSON *t = search_trial_json(s, 0);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t, "status")), "failed");
  cJSON_Delete(t);
  search_free(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("search");
  TCase *tc = tcase_create("search");
  tcase_add_test(tc, asha_rising);
  tcase_add_test(tc, asha_falling);
  tcase_add_test(tc, waits_for_running);
  tcase_add_test(tc, median_rule);
  tcase_add_test(tc, budget_refuses);
  tcase_add_test(tc, budget_projects_startup);
  tcase_add_test(tc, hyperband_brackets);
  tcase_add_test(tc, hyperband_rungs_complete);
  tcase_add_test(tc, bad_params);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
