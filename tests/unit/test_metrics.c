/* Tests for trainer/metrics.c against values computed with sklearn 1.2 for the same
 * vectors (ties, one class present, all-wrong predictions). Multiclass expectations come
 * from /usr/bin/python3 (sklearn 1.2.1) with pred = P.argmax(1), lab = range(K):
 *   precision_score(y, pred, average="macro", zero_division=0) (recall_score, f1_score
 *   alike), accuracy_score(y, pred), roc_auc_score(y, P, multi_class="ovr",
 *   average="macro", labels=lab), log_loss(y, P, eps=1e-15, labels=lab),
 *   confusion_matrix(y, pred, labels=lab).
 * The probabilities are multiples of 1/16 whose rows sum to exactly 1, so sklearn's
 * renormalization of the rows changes nothing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "testutil.h"
#include "trainer/metrics.h"

START_TEST(binary_matches_sklearn) {
  float y[] = {0, 0, 1, 1, 1, 0, 1, 0};
  float p[] = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f, 0.4f, 0.9f, 0.7f};
  metrics_binary m = metrics_binary_eval(y, p, 8);
  ck_assert_double_eq_tol(m.auc, 0.6875, 1e-12);  /* three-way tie at 0.4 */
  ck_assert_double_eq_tol(m.log_loss, 0.5782001863575765, 1e-6);
  ck_assert_double_eq_tol(m.accuracy, 0.625, 1e-12);
  ck_assert_double_eq_tol(m.precision, 2.0 / 3.0, 1e-12);
  ck_assert_double_eq_tol(m.recall, 0.5, 1e-12);
  ck_assert_double_eq_tol(m.f1, 0.5714285714285715, 1e-12);
  ck_assert_uint_eq(m.tp, 2);
  ck_assert_uint_eq(m.fp, 1);
  ck_assert_uint_eq(m.tn, 3);
  ck_assert_uint_eq(m.fn, 2);
}
END_TEST

START_TEST(all_wrong) {
  float y[] = {0, 1, 0, 1}, p[] = {0.9f, 0.1f, 0.8f, 0.2f};
  metrics_binary m = metrics_binary_eval(y, p, 4);
  ck_assert_double_eq_tol(m.auc, 0.0, 1e-12);
  ck_assert_double_eq_tol(m.accuracy, 0.0, 1e-12);
  ck_assert_double_eq_tol(m.f1, 0.0, 1e-12);  /* zero_division = 0 */
  ck_assert_double_eq_tol(m.log_loss, 1.9560115027140732, 1e-6);
}
END_TEST

START_TEST(ties_and_single_class) {
  float y[] = {0, 1, 0, 1}, p[] = {0.5f, 0.5f, 0.5f, 0.5f};
  ck_assert_double_eq_tol(metrics_auc(y, p, 4), 0.5, 1e-12);
  float one[] = {1, 1, 1};
  ck_assert(isnan(metrics_auc(one, p, 3)));
  /* any scores, not only probabilities: negatives, -0 tied with +0, infinities; ranks
     -1: 1, {-0, +0}: 2.5, inf: 4, so the positives' (2.5 + 4 - 3) / (2 x 2) */
  float s[] = {-0.0f, 0.0f, -1.0f, INFINITY};
  ck_assert_double_eq(metrics_auc(y, s, 4), 0.875);
  float big[] = {-1e30f, 3e38f, 1e-40f, -2e-40f}; /* y 0 1 0 1: ranks 1, 4, 3, 2 */
  ck_assert_double_eq(metrics_auc(y, big, 4), 0.75);
  float zero_p[] = {0.0f, 1.0f};
  float yy[] = {1, 0};
  /* clipping keeps log-loss finite for certain, wrong predictions */
  ck_assert(isfinite(metrics_log_loss(yy, zero_p, 2)));
  ck_assert_double_eq_tol(metrics_log_loss(yy, zero_p, 2), -log(1e-15), 1e-3);
}
END_TEST

START_TEST(nan_scores_give_nan_not_a_hang) {
  /* a diverged model's probabilities: the AUC must be NaN, quickly, and not an error */
  float y[] = {0, 1, 0, 1}, p[] = {NAN, NAN, 0.2f, NAN};
  ck_assert(isnan(metrics_auc(y, p, 4)));
  float P[] = {NAN, NAN, NAN, 0.5f, 0.25f, 0.25f, 0.2f, 0.7f, 0.1f};
  float y3[] = {0, 1, 2};
  metrics_multi m;
  tr_error_clear();
  ck_assert_int_eq(metrics_multi_eval(y3, P, 3, 3, &m), TR_OK);
  ck_assert(isnan(m.auc));
  ck_assert_int_eq(tr_error_code(), TR_OK);
  metrics_multi_free(&m);
}
END_TEST

START_TEST(regression_matches_sklearn) {
  float y[] = {3.0f, -0.5f, 2.0f, 7.0f}, p[] = {2.5f, 0.0f, 2.0f, 8.0f};
  metrics_regression m = metrics_regression_eval(y, p, 4);
  ck_assert_double_eq_tol(m.mse, 0.375, 1e-9);
  ck_assert_double_eq_tol(m.rmse, sqrt(0.375), 1e-9);
  ck_assert_double_eq_tol(m.mae, 0.5, 1e-9);
  ck_assert_double_eq_tol(m.r2, 0.9486081370449679, 1e-9);
  ck_assert_double_eq(metrics_regression_get(&m, "rmse"), m.rmse);
  ck_assert(isnan(metrics_regression_get(&m, "nope")));
  float c[] = {1, 1}, exact[] = {1, 1}, off[] = {1, 2};
  ck_assert_double_eq(metrics_regression_eval(c, exact, 2).r2, 1.0);
  ck_assert(isnan(metrics_regression_eval(c, off, 2).r2));
}
END_TEST

/* Expected multiclass values in metrics_multi order. */
typedef struct {
  double accuracy, precision, recall, f1, auc, log_loss;
} multi_expect;

/* Evaluates and compares with e (NaN auc: expects NaN) and the confusion matrix cm. */
static void check_multi(const float *y, const float *P, size_t n, int K, multi_expect e,
                        const size_t *cm, double tol) {
  metrics_multi m;
  ck_assert_int_eq(metrics_multi_eval(y, P, n, K, &m), TR_OK);
  ck_assert_int_eq(m.classes, K);
  ck_assert_double_eq_tol(m.accuracy, e.accuracy, 1e-12);
  ck_assert_double_eq_tol(m.precision, e.precision, 1e-12);
  ck_assert_double_eq_tol(m.recall, e.recall, 1e-12);
  ck_assert_double_eq_tol(m.f1, e.f1, 1e-12);
  if (isnan(e.auc))
    ck_assert(isnan(m.auc));
  else
    ck_assert_double_eq_tol(m.auc, e.auc, 1e-12);
  ck_assert_double_eq_tol(m.log_loss, e.log_loss, tol);
  for (int i = 0; i < K * K; i++) ck_assert_uint_eq(m.confusion[i], cm[i]);
  metrics_multi_free(&m);
}

START_TEST(multi_ties) {
  /* row 1 ties classes 0 and 1 (argmax: 0), row 5 ties 1 and 2 (argmax: 1); every column
   * has tied scores across rows */
  float y[] = {0, 1, 2, 2, 1, 0, 1, 2};
  float P[] = {.5f,  .25f, .25f, .375f, .375f, .25f,  .25f,  .25f, .5f,   .125f, .375f, .5f,
               .25f, .5f,  .25f, .25f,  .375f, .375f, .125f, .75f, .125f, .5f,   .25f,  .25f};
  size_t cm[] = {1, 1, 0, 1, 2, 0, 1, 0, 2};
  check_multi(y, P, 8, 3,
              (multi_expect){0.625, 0.6666666666666666, 0.611111111111111,
                             0.6222222222222222, 0.8249999999999998, 0.8517110962428838},
              cm, 1e-12);
}
END_TEST

START_TEST(multi_never_predicted) {
  /* class 2 is never predicted: its precision is 0 (zero_division=0) */
  float y[] = {0, 1, 2, 0, 1, 2};
  float P[] = {.75f, .125f, .125f, .25f,  .5f,   .25f, .5f,  .25f,  .25f,
               .375f, .375f, .25f, .125f, .625f, .25f, .25f, .375f, .375f};
  size_t cm[] = {2, 0, 0, 0, 2, 0, 1, 1, 0};
  check_multi(y, P, 6, 3,
              (multi_expect){0.6666666666666666, 0.4444444444444444, 0.6666666666666666,
                             0.5333333333333333, 0.8958333333333334, 0.7997976249001342},
              cm, 1e-12);
}
END_TEST

START_TEST(multi_all_wrong) {
  /* row 0 gives its true class probability 0: clipped to 1e-15 */
  float y[] = {0, 1, 2, 0};
  float P[] = {0, 1, 0, .5f, .25f, .25f, .25f, .5f, .25f, .25f, .25f, .5f};
  size_t cm[] = {0, 1, 1, 1, 0, 0, 0, 1, 0};
  check_multi(y, P, 4, 3, (multi_expect){0, 0, 0, 0, 0.2638888888888889, 9.674414869567586},
              cm, 1e-12);
}
END_TEST

START_TEST(multi_class_absent) {
  /* class 2 is predicted once but absent from y: its one-vs-rest AUC has no positive row
   * (sklearn raises "Only one class present in y_true"), so the macro AUC is NaN */
  float y[] = {0, 1, 0, 1, 0};
  float P[] = {.5f,   .25f, .25f,  .25f, .5f,  .25f, .25f, .25f,
               .5f,   .125f, .75f, .125f, .625f, .25f, .125f};
  size_t cm[] = {2, 0, 1, 0, 2, 0, 0, 0, 0};
  check_multi(y, P, 5, 3,
              (multi_expect){0.8, 0.6666666666666666, 0.5555555555555555, 0.6,
                             NAN, 0.7060548847874595},
              cm, 1e-12);
  /* class 3 of 4 is in neither y nor the predictions: sklearn's macro averages (no labels
   * argument) leave it out, 0.8888... over classes 0-2 rather than 0.6666... over 0-3 */
  float y4[] = {0, 1, 0, 1, 2, 2};
  float P4[] = {.5f,   .25f,  .125f, .125f, .25f, .5f,   .125f, .125f,
                .5f,   .25f,  .125f, .125f, .375f, .25f, .25f,  .125f,
                .25f,  .125f, .5f,   .125f, .125f, .125f, .625f, .125f};
  size_t cm4[] = {2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0};
  check_multi(y4, P4, 6, 4,
              (multi_expect){0.8333333333333334, 0.8888888888888888, 0.8333333333333334,
                             0.8222222222222223, NAN, 0.7714811187675679},
              cm4, 1e-12);
}
END_TEST

START_TEST(multi_confusion_layout) {
  /* rows are true classes, columns predicted ones: true 0 predicted 2 is cm[0 * 3 + 2] */
  float y[] = {0, 0, 0, 1, 2, 2};
  float P[] = {.5f, .25f, .25f, .25f, .5f, .25f, .25f, .25f, .5f,
               .25f, .25f, .5f, .5f, .25f, .25f, .25f, .25f, .5f};
  size_t cm[] = {1, 1, 1, 0, 0, 1, 1, 0, 1};
  check_multi(y, P, 6, 3,
              (multi_expect){0.3333333333333333, 0.27777777777777773, 0.27777777777777773,
                             0.26666666666666666, 0.4666666666666666, 1.1552453009332422},
              cm, 1e-12);
  metrics_multi m;
  ck_assert_int_eq(metrics_multi_eval(y, P, 6, 3, &m), TR_OK);
  ck_assert_uint_eq(m.confusion[0 * 3 + 2], 1); /* row 2: true 0, predicted 2 */
  ck_assert_uint_eq(m.confusion[1 * 3 + 2], 1); /* row 3: true 1, predicted 2 */
  ck_assert_uint_eq(m.confusion[2 * 3 + 0], 1); /* row 4: true 2, predicted 0 */
  ck_assert_uint_eq(m.confusion[1 * 3 + 1], 0);
  ck_assert_double_eq(metrics_multi_get(&m, "accuracy"), m.accuracy);
  ck_assert_double_eq(metrics_multi_get(&m, "precision"), m.precision);
  ck_assert_double_eq(metrics_multi_get(&m, "recall"), m.recall);
  ck_assert_double_eq(metrics_multi_get(&m, "f1"), m.f1);
  ck_assert_double_eq(metrics_multi_get(&m, "auc"), m.auc);
  ck_assert_double_eq(metrics_multi_get(&m, "log_loss"), m.log_loss);
  ck_assert_double_eq(metrics_multi_get(&m, "loss"), m.log_loss);
  ck_assert(isnan(metrics_multi_get(&m, "mse")));
  /* without the AUC: every other value the same, the AUC NaN */
  metrics_multi w;
  ck_assert_int_eq(metrics_multi_eval_no_auc(y, P, 6, 3, &w), TR_OK);
  ck_assert(w.accuracy == m.accuracy && w.precision == m.precision && w.recall == m.recall &&
            w.f1 == m.f1 && w.log_loss == m.log_loss && isnan(w.auc));
  ck_assert_mem_eq(w.confusion, m.confusion, sizeof cm);
  metrics_multi_free(&w);
  metrics_multi_free(&m);
  ck_assert_ptr_null(m.confusion);
  metrics_multi_free(&m); /* safe twice */
}
END_TEST

/* 64-bit LCG shared with the Python script that computed the expectations. */
static uint64_t lcg_next(uint64_t *x) {
  *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
  return *x >> 33;
}

START_TEST(multi_large_lcg) {
  /* n = 20000 (above the OpenMP threshold), K = 4; each row cuts 16/16 at 3 sorted points
   * in 0..16 (many ties, zeros to clip); y = argmax on an even draw, else a random class.
   * Python: cuts = sorted(nxt() % 17 for _ in range(3)); P[i] = diff([0]+cuts+[16]) / 16;
   *         y[i] = P[i].argmax() if nxt() % 2 == 0 else nxt() % 4   (seed 42) */
  enum { N = 20000, K = 4 };
  float *y = malloc(N * sizeof(float)), *P = malloc(N * K * sizeof(float));
  ck_assert(y && P);
  uint64_t x = 42;
  for (size_t i = 0; i < N; i++) {
    uint64_t cut[K + 1] = {0};
    for (int j = 1; j < K; j++) {
      uint64_t c = lcg_next(&x) % 17;
      int at = j;
      while (at > 1 && cut[at - 1] > c) cut[at] = cut[at - 1], at--;
      cut[at] = c;
    }
    cut[K] = 16;
    int best = 0;
    for (int j = 0; j < K; j++) {
      P[i * K + j] = (float)(cut[j + 1] - cut[j]) / 16.0f;
      if (P[i * K + j] > P[i * K + best]) best = j;
    }
    y[i] = lcg_next(&x) % 2 == 0 ? (float)best : (float)(lcg_next(&x) % K);
  }
  ck_assert_float_eq(P[0], 0.1875f); /* first rows as printed by the script */
  ck_assert_float_eq(P[2], 0.4375f);
  ck_assert_float_eq(y[0], 2.0f);
  ck_assert_float_eq(y[1], 3.0f);
  size_t cm[] = {3306, 661, 647, 549, 651, 3428, 665, 583,
                 670,  703, 3101, 540, 639, 672,  641, 2544};
  check_multi(y, P, N, K,
              (multi_expect){0.61895, 0.6180422909529262, 0.6170360382545327,
                             0.6173446934260651, 0.7392116228510145, 3.190794880548103},
              cm, 1e-9);
  free(y);
  free(P);
}
END_TEST

START_TEST(multi_errors) {
  float P[] = {.5f, .5f, .5f, .5f};
  metrics_multi m;
  float out_of_range[] = {0, 2}, fraction[] = {0, 0.5f}, negative[] = {-1, 0};
  float nan_label[] = {0, NAN};
  const float *bad[] = {out_of_range, fraction, negative, nan_label};
  for (int i = 0; i < 4; i++) {
    tr_error_clear();
    ck_assert_int_eq(metrics_multi_eval(bad[i], P, 2, 2, &m), TR_EINPUT);
    ck_assert_int_eq(tr_error_code(), TR_EINPUT);
    ck_assert_ptr_null(m.confusion);
    metrics_multi_free(&m);
  }
  tr_error_clear();
  ck_assert_int_eq(metrics_multi_eval(out_of_range, P, 2, 0, &m), TR_EINPUT);
  ck_assert_ptr_null(m.confusion);
  tr_error_clear();
  /* no rows: every metric is NaN, the confusion matrix is all zero */
  ck_assert_int_eq(metrics_multi_eval(NULL, NULL, 0, 2, &m), TR_OK);
  ck_assert(isnan(m.accuracy) && isnan(m.precision) && isnan(m.f1));
  ck_assert(isnan(m.auc) && isnan(m.log_loss));
  for (int i = 0; i < 4; i++) ck_assert_uint_eq(m.confusion[i], 0);
  metrics_multi_free(&m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, binary_matches_sklearn);
  tcase_add_test(tc, all_wrong);
  tcase_add_test(tc, ties_and_single_class);
  tcase_add_test(tc, regression_matches_sklearn);
  tcase_add_test(tc, nan_scores_give_nan_not_a_hang);
  tcase_add_test(tc, multi_ties);
  tcase_add_test(tc, multi_never_predicted);
  tcase_add_test(tc, multi_all_wrong);
  tcase_add_test(tc, multi_class_absent);
  tcase_add_test(tc, multi_confusion_layout);
  tcase_add_test(tc, multi_large_lcg);
  tcase_add_test(tc, multi_errors);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
