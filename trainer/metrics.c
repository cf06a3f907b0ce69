/* Classification and regression metrics. AUC sorts the scores once and averages the
 * ranks of tied scores, which gives ties half credit as sklearn's roc_auc_score. */
#define _GNU_SOURCE
#include "trainer/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double clip(double p) { return p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p; }

double metrics_log_loss(const float *y, const float *p, size_t n) {
  double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (size_t i = 0; i < n; i++) {
    double q = clip(p[i]);
    sum -= y[i] > 0.5f ? log(q) : log(1 - q);
  }
  return n ? sum / (double)n : NAN;
}

static int cmp_score(const void *a, const void *b, void *scores) {
  const float *s = scores;
  float x = s[*(const size_t *)a], y = s[*(const size_t *)b];
  return (x > y) - (x < y);
}

double metrics_auc(const float *y, const float *s, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) pos += y[i] > 0.5f;
  size_t neg = n - pos;
  if (pos == 0 || neg == 0) return NAN;
  size_t *idx = malloc(n * sizeof(size_t));
  if (!idx) return NAN;
  for (size_t i = 0; i < n; i++) idx[i] = i;
  qsort_r(idx, n, sizeof(size_t), cmp_score, (void *)s);
  double rank_sum = 0;  /* sum of (1-based, tie-averaged) ranks of the positives */
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && s[idx[j]] == s[idx[i]]) j++;
    double avg_rank = 0.5 * (double)(i + 1 + j);
    for (size_t k = i; k < j; k++)
      if (y[idx[k]] > 0.5f) rank_sum += avg_rank;
    i = j;
  }
  free(idx);
  return (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) / ((double)pos * (double)neg);
}

metrics_binary metrics_binary_eval(const float *y, const float *p, size_t n) {
  metrics_binary m;
  memset(&m, 0, sizeof m);
  for (size_t i = 0; i < n; i++) {
    int truth = y[i] > 0.5f, guess = p[i] >= 0.5f;
    m.tp += truth && guess;
    m.fp += !truth && guess;
    m.tn += !truth && !guess;
    m.fn += truth && !guess;
  }
  m.accuracy = n ? (double)(m.tp + m.tn) / (double)n : NAN;
  m.precision = m.tp + m.fp ? (double)m.tp / (double)(m.tp + m.fp) : 0;
  m.recall = m.tp + m.fn ? (double)m.tp / (double)(m.tp + m.fn) : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  m.auc = metrics_auc(y, p, n);
  m.log_loss = metrics_log_loss(y, p, n);
  return m;
}

metrics_regression metrics_regression_eval(const float *y, const float *pred, size_t n) {
  metrics_regression m = {NAN, NAN, NAN, NAN};
  if (!n) return m;
  double mean = 0, se = 0, ae = 0, tot = 0;
  for (size_t i = 0; i < n; i++) mean += y[i];
  mean /= (double)n;
  for (size_t i = 0; i < n; i++) {
    double e = (double)y[i] - pred[i], d = (double)y[i] - mean;
    se += e * e;
    ae += fabs(e);
    tot += d * d;
  }
  m.mse = se / (double)n;
  m.rmse = sqrt(m.mse);
  m.mae = ae / (double)n;
  m.r2 = tot > 0 ? 1 - se / tot : (se == 0 ? 1.0 : NAN);
  return m;
}

double metrics_binary_get(const metrics_binary *m, const char *name) {
  if (!strcmp(name, "accuracy")) return m->accuracy;
  if (!strcmp(name, "precision")) return m->precision;
  if (!strcmp(name, "recall")) return m->recall;
  if (!strcmp(name, "f1")) return m->f1;
  if (!strcmp(name, "auc")) return m->auc;
  if (!strcmp(name, "log_loss") || !strcmp(name, "loss")) return m->log_loss;
  return NAN;
}

double metrics_regression_get(const metrics_regression *m, const char *name) {
  if (!strcmp(name, "mse") || !strcmp(name, "loss")) return m->mse;
  if (!strcmp(name, "rmse")) return m->rmse;
  if (!strcmp(name, "mae")) return m->mae;
  if (!strcmp(name, "r2")) return m->r2;
  return NAN;
}
