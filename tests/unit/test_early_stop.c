/* Tests for trainer/early_stop.c: mode resolution, patience, min_delta, warm-up. */
#include <math.h>

#include "testutil.h"
#include "trainer/early_stop.h"

START_TEST(auto_mode) {
  ck_assert(es_auto_minimize("val_loss"));
  ck_assert(es_auto_minimize("val_rmse"));
  ck_assert(es_auto_minimize("val_log_loss"));
  ck_assert(!es_auto_minimize("val_accuracy"));
  ck_assert(!es_auto_minimize("val_auc"));
  ck_assert(es_init(true, "val_auc", "auto", 2, 0, 0).maximize);
  ck_assert(!es_init(true, "val_auc", "min", 2, 0, 0).maximize);
}
END_TEST

START_TEST(patience_counts_epochs_without_improvement) {
  es_state s = es_init(true, "val_loss", "auto", 2, 0.0, 0);
  double v[] = {1.0, 0.9, 0.95, 0.92};
  ck_assert(es_update(&s, 1, v[0]));
  ck_assert(es_update(&s, 2, v[1]));
  ck_assert(!es_update(&s, 3, v[2]));
  ck_assert(!es_should_stop(&s, 3));
  ck_assert(!es_update(&s, 4, v[3]));
  ck_assert(es_should_stop(&s, 4));
  ck_assert_int_eq(s.best_epoch, 2);
}
END_TEST

START_TEST(min_delta_must_be_beaten) {
  es_state s = es_init(true, "val_accuracy", "auto", 1, 0.01, 0);
  ck_assert(es_update(&s, 1, 0.80));
  ck_assert(!es_update(&s, 2, 0.805));  /* +0.005 is not more than 0.01 */
  ck_assert(es_should_stop(&s, 2));
  ck_assert(!isnan(s.best));
  ck_assert_double_eq(s.best, 0.80);
}
END_TEST

START_TEST(nan_never_improves_and_warmup_is_ignored) {
  es_state s = es_init(true, "val_loss", "min", 1, 0, 2);
  ck_assert(!es_update(&s, 1, 5.0));
  ck_assert(!es_update(&s, 2, 6.0));
  ck_assert(!es_should_stop(&s, 2));
  ck_assert(es_update(&s, 3, 7.0));   /* first monitored epoch sets the best */
  ck_assert(!es_update(&s, 4, NAN));
  ck_assert(es_should_stop(&s, 4));
  es_state off = es_init(false, "val_loss", "min", 1, 0, 0);
  es_update(&off, 1, 1.0);
  es_update(&off, 2, 2.0);
  ck_assert(!es_should_stop(&off, 2));
}
END_TEST

int main(void) {
  Suite *s = suite_create("early_stop");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, auto_mode);
  tcase_add_test(tc, patience_counts_epochs_without_improvement);
  tcase_add_test(tc, min_delta_must_be_beaten);
  tcase_add_test(tc, nan_never_improves_and_warmup_is_ignored);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
