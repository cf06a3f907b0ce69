/* Benchmark driver for the ROC AUC (trainer/metrics.c metrics_auc, a radix sort of
 * order-preserving 32-bit score keys) beside the sort it replaced (qsort_r over row
 * indices, kept here as the baseline): both on the same N scores (random labels, scores
 * in [0, 1), a fifth of them rounded to 2 decimals for tie groups), best and median of
 * REPEATS calls each, and whether the two AUCs are bit-identical. One "key=value ..."
 * line for bench/bench_metrics.sh, which times sklearn's roc_auc_score on the same data.
 * Usage: bench_metrics [N=14400] [REPEATS=200] [SEED=1] [SCORES_OUT]
 * SCORES_OUT, when given, receives the labels and scores as "y,s" lines for the peer. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/timer.h"
#include "trainer/metrics.h"

static int bench_cmp_score(const void *a, const void *b, void *scores) {
  const float *s = scores;
  float x = s[*(const size_t *)a], y = s[*(const size_t *)b];
  return (x > y) - (x < y);
}

/* The baseline: tie-averaged rank sum over an index sort (the code before 7acc4eb). */
static double qsort_auc(const float *y, const float *s, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) pos += y[i] > 0.5f;
  size_t neg = n - pos, *idx = malloc(n * sizeof *idx);
  if (!idx || !pos || !neg) {
    free(idx);
    return NAN;
  }
  for (size_t i = 0; i < n; i++) idx[i] = i;
  qsort_r(idx, n, sizeof *idx, bench_cmp_score, (void *)s);
  double rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && s[idx[j]] == s[idx[i]]) j++;
    double avg_rank = 0.5 * (double)(i + 1 + j);
    for (size_t k = i; k < j; k++)
      if (y[idx[k]] > 0.5f) rank_sum += avg_rank;
    i = j;
  }
  free(idx);
  return (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) / ((double)pos * (double)neg);
}

static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* best and median of `repeats` calls of fn, in ms; the last AUC into *auc */
static void time_auc(double (*fn)(const float *, const float *, size_t), const float *y, const float *s,
                     size_t n, int repeats, double *t, double *best, double *median, double *auc) {
  for (int r = 0; r < repeats; r++) {
    double t0 = tr_now();
    *auc = fn(y, s, n);
    t[r] = 1e3 * (tr_now() - t0);
  }
  qsort(t, (size_t)repeats, sizeof *t, bench_cmp_double);
  *best = t[0];
  *median = t[repeats / 2];
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 14400;
  int repeats = argc > 2 ? atoi(argv[2]) : 200;
  unsigned seed = argc > 3 ? (unsigned)atoi(argv[3]) : 1;
  if (n < 2 || repeats < 1) {
    fprintf(stderr, "usage: %s [N>=2] [REPEATS>=1] [SEED] [SCORES_OUT]\n", argv[0]);
    return 2;
  }
  float *y = malloc(n * sizeof *y), *s = malloc(n * sizeof *s);
  double *t = malloc((size_t)repeats * sizeof *t);
  if (!y || !s || !t) return 1;
  srand(seed);
  for (size_t i = 0; i < n; i++) {
    y[i] = (float)(rand() % 2);
    float v = (float)rand() / ((float)RAND_MAX + 1.0f) * 0.7f + 0.3f * y[i];
    s[i] = rand() % 5 == 0 ? roundf(v * 100) / 100 : v;
  }
  if (argc > 4) {
    FILE *f = fopen(argv[4], "w");
    if (!f) {
      perror(argv[4]);
      return 1;
    }
    for (size_t i = 0; i < n; i++) fprintf(f, "%.0f,%.9g\n", y[i], s[i]);
    fclose(f);
  }
  double rb, rm, ra, qb, qm, qa;
  time_auc(metrics_auc, y, s, n, repeats, t, &rb, &rm, &ra);
  time_auc(qsort_auc, y, s, n, repeats, t, &qb, &qm, &qa);
  printf("rows=%zu repeats=%d radix_best_ms=%.4f radix_median_ms=%.4f qsort_best_ms=%.4f "
         "qsort_median_ms=%.4f auc=%.17g identical=%s\n",
         n, repeats, rb, rm, qb, qm, ra, ra == qa ? "yes" : "no");
  free(y);
  free(s);
  free(t);
  return ra == qa ? 0 : 1;
}
