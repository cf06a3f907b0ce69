/* Classification and regression metrics. AUC sorts the scores once (a radix sort of
 * 32-bit order-preserving keys) and averages the ranks of tied scores, which gives ties
 * half credit as sklearn's roc_auc_score; the multiclass AUC is the mean of one-vs-rest
 * binary AUCs, one class per OpenMP task. */
#define _GNU_SOURCE
#include "trainer/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static double clip(double p) { return p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p; }

/* Precision, recall and F1 of one class from its counts; 0 when undefined (sklearn's
 * zero_division=0). */
static void prf(size_t tp, size_t fp, size_t fn, double *precision, double *recall,
                double *f1) {
  double p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
  double r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
  *precision = p;
  *recall = r;
  *f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
}

double metrics_log_loss(const float *y, const float *p, size_t n) {
  double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (size_t i = 0; i < n; i++) {
    double q = clip(p[i]);
    sum -= y[i] > 0.5f ? log(q) : log(1 - q);
  }
  return n ? sum / (double)n : NAN;
}

/* A key whose unsigned order is the numeric order of the (non-NaN) score f; -0 and +0
 * get the same key. */
static uint32_t score_key(float f) {
  if (f == 0) f = 0; /* -0 as +0 */
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u & 0x80000000u ? ~u : u | 0x80000000u;
}

/* Sorts a[0..n) ascending by the high 32 bits (LSD radix, a byte a pass, stable; tmp
 * holds n). An even number of passes leaves the result in a. */
static void sort_high32(uint64_t *a, uint64_t *tmp, size_t n) {
  for (int shift = 32; shift < 64; shift += 8) {
    size_t at[257] = {0};
    for (size_t i = 0; i < n; i++) at[((a[i] >> shift) & 0xff) + 1]++;
    for (int d = 0; d < 256; d++) at[d + 1] += at[d];
    for (size_t i = 0; i < n; i++) tmp[at[(a[i] >> shift) & 0xff]++] = a[i];
    uint64_t *t = a;
    a = tmp;
    tmp = t;
  }
}

double metrics_auc(const float *y, const float *s, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(s[i])) return NAN; /* no ranking of NaN scores (a diverged model) */
    pos += y[i] > 0.5f;
  }
  size_t neg = n - pos;
  if (pos == 0 || neg == 0) return NAN;
  /* (score key << 32) | label: sorted by the score, ties together */
  uint64_t *key = malloc(2 * n * sizeof(uint64_t));
  if (!key) return NAN;
  for (size_t i = 0; i < n; i++) key[i] = (uint64_t)score_key(s[i]) << 32 | (y[i] > 0.5f);
  sort_high32(key, key + n, n);
  double rank_sum = 0;  /* sum of (1-based, tie-averaged) ranks of the positives */
  for (size_t i = 0; i < n;) {
    size_t j = i + 1; /* a tie group has at least one member */
    while (j < n && key[j] >> 32 == key[i] >> 32) j++;
    double avg_rank = 0.5 * (double)(i + 1 + j);
    for (size_t k = i; k < j; k++)
      if (key[k] & 1) rank_sum += avg_rank;
    i = j;
  }
  free(key);
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
  prf(m.tp, m.fp, m.fn, &m.precision, &m.recall, &m.f1);
  m.auc = metrics_auc(y, p, n);
  m.log_loss = metrics_log_loss(y, p, n);
  return m;
}

/* One-vs-rest AUC of each class k into auc[k] (NaN when y has no row, or only rows, of
 * class k: the counts are the confusion row sums). Returns 0, or -1 when memory ran out:
 * metrics_auc() returns NaN both for a single class and for a failed malloc, so a NaN
 * where both classes are present is its allocation failure. */
static int ovr_auc(const float *y, const float *P, size_t n, int K, const size_t *true_count,
                   double *auc) {
  int oom = 0;
  /* one class per iteration; each holds 2 float columns here and 2 x n keys in metrics_auc */
#pragma omp parallel for reduction(|| : oom) schedule(dynamic, 1) if (n > 10000)
  for (int k = 0; k < K; k++) {
    auc[k] = NAN;
    if (true_count[k] == 0 || true_count[k] == n) continue;
    float *yk = malloc(2 * n * sizeof(float));
    if (!yk) {
      oom = 1;
      continue;
    }
    float *sk = yk + n;
    bool nan_scores = false;
    for (size_t i = 0; i < n; i++) {
      yk[i] = (int)y[i] == k ? 1.0f : 0.0f;
      sk[i] = P[i * (size_t)K + (size_t)k];
      nan_scores = nan_scores || isnan(sk[i]);
    }
    auc[k] = metrics_auc(yk, sk, n);
    /* both classes are present, so a NaN AUC means NaN scores or no memory */
    oom = oom || (isnan(auc[k]) && !nan_scores);
    free(yk);
  }
  return oom ? -1 : 0;
}

/* metrics_multi_eval(), the one-vs-rest AUC only when with_auc (else NaN). */
static tr_err multi_eval(const float *y, const float *P, size_t n, int K, bool with_auc,
                         metrics_multi *out) {
  *out = (metrics_multi){.classes = K, .accuracy = NAN, .precision = NAN, .recall = NAN,
                         .f1 = NAN, .auc = NAN, .log_loss = NAN, .confusion = NULL};
  if (K < 1) return tr_error_at(TR_EINPUT, __FILE__, __LINE__, "metrics: %d classes", K);
  size_t k = (size_t)K;
  tr_err rc = TR_OK;
  size_t *cm = calloc(k * k, sizeof *cm);
  size_t *count = calloc(2 * k, sizeof *count); /* rows of each true, then predicted, class */
  double *auc = malloc(k * sizeof *auc);
  if (!cm || !count || !auc) {
    rc = tr_error_at(TR_ENOMEM, __FILE__, __LINE__, "metrics: %zu classes", k);
    goto done;
  }
  double loss = 0;
  for (size_t i = 0; i < n; i++) {
    float v = y[i];
    if (!(v >= 0 && v < (float)K && v == floorf(v))) {
      rc = tr_error_at(TR_EINPUT, __FILE__, __LINE__,
                       "metrics: label %g of row %zu is not a class in 0..%d", v, i, K - 1);
      goto done;
    }
    const float *row = P + i * k;
    size_t t = (size_t)v, best = 0;
    for (size_t j = 1; j < k; j++)
      if (row[j] > row[best]) best = j;
    cm[t * k + best]++;
    loss -= log(clip(row[t]));
  }
  for (size_t t = 0; t < k; t++)
    for (size_t j = 0; j < k; j++) {
      count[t] += cm[t * k + j];
      count[k + j] += cm[t * k + j];
    }
  for (size_t c = 0; c < k; c++) auc[c] = NAN;
  if (with_auc && ovr_auc(y, P, n, K, count, auc)) {
    rc = tr_error_at(TR_ENOMEM, __FILE__, __LINE__, "metrics: AUC of %zu rows", n);
    goto done;
  }
  size_t correct = 0, labels = 0;
  double psum = 0, rsum = 0, fsum = 0, auc_sum = 0;
  for (size_t c = 0; c < k; c++) {
    size_t tp = cm[c * k + c];
    correct += tp;
    auc_sum += auc[c];
    if (count[c] == 0 && count[k + c] == 0) continue; /* in neither y nor the predictions */
    double p, r, f;
    prf(tp, count[k + c] - tp, count[c] - tp, &p, &r, &f);
    psum += p;
    rsum += r;
    fsum += f;
    labels++;
  }
  if (n) {
    out->accuracy = (double)correct / (double)n;
    out->precision = psum / (double)labels;
    out->recall = rsum / (double)labels;
    out->f1 = fsum / (double)labels;
    out->auc = auc_sum / (double)k;
    out->log_loss = loss / (double)n;
  }
  out->confusion = cm;
  cm = NULL;
done:
  free(cm);
  free(count);
  free(auc);
  return rc;
}

tr_err metrics_multi_eval(const float *y, const float *P, size_t n, int K, metrics_multi *out) {
  return multi_eval(y, P, n, K, true, out);
}

tr_err metrics_multi_eval_no_auc(const float *y, const float *P, size_t n, int K, metrics_multi *out) {
  return multi_eval(y, P, n, K, false, out);
}

void metrics_multi_free(metrics_multi *m) {
  free(m->confusion);
  m->confusion = NULL;
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

/* A classification score by name (shared by the binary and multiclass getters). */
static double classification_get(const char *name, double accuracy, double precision,
                                 double recall, double f1, double auc, double log_loss) {
  if (!strcmp(name, "accuracy")) return accuracy;
  if (!strcmp(name, "precision")) return precision;
  if (!strcmp(name, "recall")) return recall;
  if (!strcmp(name, "f1")) return f1;
  if (!strcmp(name, "auc")) return auc;
  if (!strcmp(name, "log_loss") || !strcmp(name, "loss")) return log_loss;
  return NAN;
}

double metrics_binary_get(const metrics_binary *m, const char *name) {
  return classification_get(name, m->accuracy, m->precision, m->recall, m->f1, m->auc, m->log_loss);
}

double metrics_regression_get(const metrics_regression *m, const char *name) {
  if (!strcmp(name, "mse") || !strcmp(name, "loss")) return m->mse;
  if (!strcmp(name, "rmse")) return m->rmse;
  if (!strcmp(name, "mae")) return m->mae;
  if (!strcmp(name, "r2")) return m->r2;
  return NAN;
}

double metrics_multi_get(const metrics_multi *m, const char *name) {
  return classification_get(name, m->accuracy, m->precision, m->recall, m->f1, m->auc, m->log_loss);
}
