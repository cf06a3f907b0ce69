/* Tests for trainer/early_stop.c, one rule at a time: mode, patience, min_delta,
 * baseline, start_from_epoch, check_finite, stopping and divergence thresholds. */
#include <math.h>

#include "testutil.h"
#include "trainer/early_stop.h"

static es_config cfg(const char *monitor, const char *mode, int patience, double min_delta) {
  return (es_config){.enabled = true, .monitor = monitor, .mode = mode, .patience = patience,
                     .min_delta = min_delta, .baseline = NAN, .stopping_threshold = NAN,
                     .divergence_threshold = NAN, .check_finite = true};
}

START_TEST(auto_mode) {
  ck_assert(es_auto_minimize("val_loss"));
  ck_assert(es_auto_minimize("val_rmse"));
  ck_assert(es_auto_minimize("val_log_loss"));
  ck_assert(!es_auto_minimize("val_accuracy"));
  ck_assert(!es_auto_minimize("val_auc"));
  es_config c = cfg("val_auc", "auto", 2, 0);
  ck_assert(es_init(&c).maximize);
  c.mode = "min";
  ck_assert(!es_init(&c).maximize);
}
END_TEST

START_TEST(patience_counts_epochs_without_improvement) {
  es_config c = cfg("val_loss", "auto", 2, 0);
  es_state s = es_init(&c);
  bool imp;
  ck_assert_int_eq(es_after_epoch(&s, 1, 1.0, &imp), ES_CONTINUE);
  ck_assert(imp);
  ck_assert_int_eq(es_after_epoch(&s, 2, 0.9, &imp), ES_CONTINUE);
  ck_assert_int_eq(es_after_epoch(&s, 3, 0.95, &imp), ES_CONTINUE);
  ck_assert(!imp);
  ck_assert_int_eq(es_after_epoch(&s, 4, 0.92, &imp), ES_PATIENCE);
  ck_assert_int_eq(s.best_epoch, 2);
  ck_assert_str_eq(es_reason(ES_PATIENCE), "patience");
}
END_TEST

START_TEST(min_delta_must_be_beaten) {
  es_config c = cfg("val_accuracy", "auto", 1, 0.01);
  es_state s = es_init(&c);
  ck_assert_int_eq(es_after_epoch(&s, 1, 0.80, NULL), ES_CONTINUE);
  ck_assert_int_eq(es_after_epoch(&s, 2, 0.805, NULL), ES_PATIENCE); /* +0.005 <= 0.01 */
  ck_assert_double_eq(s.best, 0.80);
}
END_TEST

START_TEST(baseline_must_be_beaten) {
  es_config c = cfg("val_accuracy", "max", 2, 0);
  c.baseline = 0.9;
  es_state s = es_init(&c);
  bool imp;
  ck_assert_int_eq(es_after_epoch(&s, 1, 0.5, &imp), ES_CONTINUE);
  ck_assert(imp); /* still the best so far, kept for restore_best */
  ck_assert_int_eq(es_after_epoch(&s, 2, 0.6, &imp), ES_PATIENCE); /* improving, below baseline */
  c.baseline = 0.55;
  s = es_init(&c);
  es_after_epoch(&s, 1, 0.5, NULL);
  ck_assert_int_eq(es_after_epoch(&s, 2, 0.6, NULL), ES_CONTINUE); /* beats baseline: reset */
  ck_assert_int_eq(s.wait, 0);
}
END_TEST

START_TEST(warmup_is_not_monitored) {
  es_config c = cfg("val_loss", "min", 1, 0);
  c.start_from_epoch = 2;
  es_state s = es_init(&c);
  ck_assert_int_eq(es_after_epoch(&s, 1, 5.0, NULL), ES_CONTINUE);
  ck_assert_int_eq(es_after_epoch(&s, 2, NAN, NULL), ES_CONTINUE); /* even NaN */
  ck_assert_int_eq(s.best_epoch, 0);
  ck_assert_int_eq(es_after_epoch(&s, 3, 7.0, NULL), ES_CONTINUE);
  ck_assert_int_eq(s.best_epoch, 3);
  ck_assert_int_eq(es_after_epoch(&s, 4, 8.0, NULL), ES_PATIENCE);
}
END_TEST

START_TEST(check_finite) {
  es_config c = cfg("val_loss", "min", 5, 0);
  es_state s = es_init(&c);
  es_after_epoch(&s, 1, 1.0, NULL);
  ck_assert_int_eq(es_after_epoch(&s, 2, INFINITY, NULL), ES_NON_FINITE);
  ck_assert_str_eq(es_reason(ES_NON_FINITE), "non_finite");
  c.check_finite = false;
  s = es_init(&c);
  es_after_epoch(&s, 1, 1.0, NULL);
  ck_assert_int_eq(es_after_epoch(&s, 2, NAN, NULL), ES_CONTINUE);
}
END_TEST

START_TEST(thresholds) {
  es_config c = cfg("val_accuracy", "auto", 10, 0);
  c.stopping_threshold = 0.95;
  es_state s = es_init(&c);
  ck_assert_int_eq(es_after_epoch(&s, 1, 0.90, NULL), ES_CONTINUE);
  ck_assert_int_eq(es_after_epoch(&s, 2, 0.95, NULL), ES_THRESHOLD);
  c = cfg("val_loss", "auto", 10, 0);
  c.divergence_threshold = 5.0;
  s = es_init(&c);
  ck_assert_int_eq(es_after_epoch(&s, 1, 4.0, NULL), ES_CONTINUE);
  ck_assert_int_eq(es_after_epoch(&s, 2, 5.5, NULL), ES_DIVERGENCE);
  ck_assert_str_eq(es_reason(ES_DIVERGENCE), "divergence");
}
END_TEST

START_TEST(disabled_tracks_best_but_never_stops) {
  es_config c = cfg("val_loss", "min", 1, 0);
  c.enabled = false;
  es_state s = es_init(&c);
  es_after_epoch(&s, 1, 1.0, NULL);
  ck_assert_int_eq(es_after_epoch(&s, 2, 2.0, NULL), ES_CONTINUE);
  ck_assert_int_eq(es_after_epoch(&s, 3, NAN, NULL), ES_CONTINUE);
  ck_assert_int_eq(s.best_epoch, 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("early_stop");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, auto_mode);
  tcase_add_test(tc, patience_counts_epochs_without_improvement);
  tcase_add_test(tc, min_delta_must_be_beaten);
  tcase_add_test(tc, baseline_must_be_beaten);
  tcase_add_test(tc, warmup_is_not_monitored);
  tcase_add_test(tc, check_finite);
  tcase_add_test(tc, thresholds);
  tcase_add_test(tc, disabled_tracks_best_but_never_stops);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
