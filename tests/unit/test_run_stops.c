/* Tests for experiments/run_stops.c: --prune-below's parser, and the before-epoch
 * decisions (a rung, a prune against the median curve, a budget's projection and its
 * 50/80/100% alerts) on made-up histories. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timer.h"
#include "experiments/run_stops.h"
#include "testutil.h"

START_TEST(prune_parse) {
  run_prune p;
  ck_assert_int_eq(run_prune_parse("val_auc:3=0.9,1=0.5", &p), TR_OK);
  ck_assert_str_eq(p.column, "val_auc");
  ck_assert(!p.minimize);
  ck_assert_int_eq(p.n, 3);
  ck_assert_double_eq(p.below[0], 0.5);
  ck_assert(isnan(p.below[1]));
  ck_assert_double_eq(p.below[2], 0.9);
  run_prune_free(&p);
  ck_assert_int_eq(run_prune_parse("val_loss:2=1e-3", &p), TR_OK);
  ck_assert(p.minimize);
  run_prune_free(&p);
  static const char *const bad[][2] = {
      {"auc:1=0.5", "expected COLUMN:EPOCH=VALUE"}, {"val_auc", "expected COLUMN"},
      {"val_auc:", "expected EPOCH=VALUE"},         {"val_auc:0=1", "expected EPOCH=VALUE"},
      {"val_auc:1=", "expected a finite number"},   {"val_auc:1=nan", "expected a finite number"},
      {"val_auc:1=0.5,", "expected EPOCH=VALUE"},   {"val_auc:1=0.5;2=1", "expected a finite number"},
      {"val_auc:2=1,2=1", "epoch 2 is given twice"}, {"val_auc:99999999=1", "expected EPOCH=VALUE"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    tr_error_clear();
    ck_assert_int_eq(run_prune_parse(bad[i][0], &p), TR_EUSAGE);
    ck_assert_msg(strstr(tr_error_message(), bad[i][1]) != NULL, "%s: %s", bad[i][0], tr_error_message());
    ck_assert_ptr_null(p.below);
  }
}
END_TEST

static train_state *state_with(int epochs, const double *val_auc, double epoch_s) {
  train_state *s = calloc(1, sizeof *s);
  s->history = calloc((size_t)epochs + 1, sizeof *s->history);
  for (int i = 0; i < epochs; i++) {
    s->history[i].epoch = i + 1;
    s->history[i].val_m[1] = val_auc[i]; /* binary: accuracy, auc */
    s->history[i].val_loss = 1.0 - val_auc[i];
    s->history[i].epoch_s = epoch_s;
  }
  s->epoch = epochs;
  return s;
}

static void state_free(train_state *s) {
  free(s->history);
  free(s);
}

START_TEST(rung_and_prune) {
  run_prune p;
  ck_assert_int_eq(run_prune_parse("val_auc:2=0.8,3=0.85", &p), TR_OK);
  run_stops st = {.until_epoch = 4, .prune = &p, .budget_usd = NAN};
  ck_assert_int_eq(run_stops_init(&st, HEAD_BINARY, "val_loss"), TR_OK);
  ck_assert_int_eq(st.prune_col, 1);
  double good[] = {0.7, 0.82, 0.9, 0.91}, bad[] = {0.7, 0.82, 0.84};
  train_state *s = state_with(4, good, 1);
  for (int e = 1; e <= 4; e++) {
    s->epoch = e - 1;
    ck_assert_int_eq(run_stops_before_epoch(&st, e, s), TRAIN_GO);
  }
  s->epoch = 4;
  ck_assert_int_eq(run_stops_before_epoch(&st, 5, s), TRAIN_STOP_RUNG);
  state_free(s);
  s = state_with(3, bad, 1);
  ck_assert_int_eq(run_stops_before_epoch(&st, 4, s), TRAIN_STOP_PRUNED); /* 0.84 < 0.85 after epoch 3 */
  ck_assert_int_eq(st.pruned_epoch, 3);
  ck_assert_double_eq(st.pruned_median, 0.85);
  cJSON *res = cJSON_CreateObject(), *cost = cJSON_AddObjectToObject(res, "cost");
  run_stops_json(&st, 0.1, 3, false, res, cost);
  ck_assert_double_eq(json_number_at(res, "pruned", "epoch"), 3);
  ck_assert_ptr_null(cJSON_GetObjectItem(cost, "budget")); /* no budget */
  cJSON_Delete(res);
  state_free(s);
  /* a column the history does not have */
  run_prune_free(&p);
  ck_assert_int_eq(run_prune_parse("val_r2:2=0.8", &p), TR_OK);
  run_stops other = {.prune = &p, .budget_usd = NAN};
  ck_assert_int_eq(run_stops_init(&other, HEAD_BINARY, "val_loss"), TR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "history has no val_r2 (it has val_loss, val_accuracy, val_auc)"));
  run_prune_free(&p);
}
END_TEST

/* $36/h: a second is $0.01. 30 s billed with 10 s epochs: spent $0.30, the next epoch
 * projects $0.40. */
START_TEST(budget_projection) {
  double v[] = {0.5, 0.5, 0.5};
  train_state *s = state_with(3, v, 10);
  run_stops st = {.budget_usd = 0.45, .rate_usd_per_h = 36, .t_start = tr_now() - 30};
  ck_assert_int_eq(run_stops_init(&st, HEAD_BINARY, "val_loss"), TR_OK);
  ck_assert_int_eq(run_stops_before_epoch(&st, 4, s), TRAIN_GO);
  ck_assert_int_eq(st.n_alerts, 1); /* 0.30 >= 50% of 0.45 */
  ck_assert_int_eq(st.alert[0].percent, 50);
  ck_assert_int_eq(st.alert[0].epoch, 3);
  st.budget_usd = 0.38;
  st.n_alerts = 0;
  ck_assert_int_eq(run_stops_before_epoch(&st, 4, s), TRAIN_STOP_BUDGET); /* projected 0.40 > 0.38 */
  ck_assert(st.projected_usd > 0.38 && st.projected_usd < 0.41);
  /* a resumed run's inherited epochs are billed too */
  run_stops r = {.budget_usd = 0.45, .rate_usd_per_h = 36, .t_start = tr_now() - 6, .resumed_s = 30};
  ck_assert_int_eq(run_stops_init(&r, HEAD_BINARY, "val_loss"), TR_OK);
  ck_assert_int_eq(run_stops_before_epoch(&r, 4, s), TRAIN_STOP_BUDGET); /* 0.36 + 0.10 > 0.45 */
  /* the final cost records the alerts it reached */
  cJSON *res = cJSON_CreateObject(), *cost = cJSON_AddObjectToObject(res, "cost");
  run_stops_json(&st, 0.39, 3, true, res, cost);
  cJSON *b = cJSON_GetObjectItem(cost, "budget");
  ck_assert_ptr_nonnull(b);
  ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(b, "stopped")));
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(b, "alerts")), 3); /* 0.39 >= 100% of 0.38 */
  ck_assert_double_eq_tol(json_number_at(b, "percent", NULL), 100 * 0.39 / 0.38, 1e-9);
  cJSON_Delete(res);
  /* before the first epoch there is no mean: only the cost so far counts */
  train_state *fresh = state_with(0, v, 0);
  run_stops f = {.budget_usd = 1, .rate_usd_per_h = 36, .t_start = tr_now()};
  ck_assert_int_eq(run_stops_init(&f, HEAD_BINARY, "val_loss"), TR_OK);
  ck_assert_int_eq(run_stops_before_epoch(&f, 1, fresh), TRAIN_GO);
  ck_assert_int_eq(f.n_alerts, 0);
  state_free(fresh);
  state_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("run_stops");
  TCase *tc = tcase_create("run_stops");
  tcase_add_test(tc, prune_parse);
  tcase_add_test(tc, rung_and_prune);
  tcase_add_test(tc, budget_projection);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
