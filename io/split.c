/* Splitting, scaling and duplicate detection. Stratification sorts the row indices by
 * class, shuffles each class's rows, and cuts each class in the requested fractions,
 * as sklearn's StratifiedShuffleSplit does (up to rounding). */
#define _GNU_SOURCE
#include "io/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

void split_free(split_indices *s) {
  free(s->train);
  free(s->val);
  free(s->test);
  memset(s, 0, sizeof *s);
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

static int cmp_by_label(const void *a, const void *b, void *labels) {
  const float *y = labels;
  float x = y[*(const size_t *)a], z = y[*(const size_t *)b];
  if (x != z) return (x > z) - (x < z);
  return cmp_size(a, b);
}

/* Cuts group[0..n) into test, val, train (appending to out). */
static void cut(const size_t *group, size_t n, double val_f, double test_f, split_indices *o) {
  size_t nt = (size_t)llround((double)n * test_f), nv = (size_t)llround((double)n * val_f);
  if (nt + nv > n) nv = n - nt;
  memcpy(o->test + o->n_test, group, nt * sizeof(size_t));
  memcpy(o->val + o->n_val, group + nt, nv * sizeof(size_t));
  memcpy(o->train + o->n_train, group + nt + nv, (n - nt - nv) * sizeof(size_t));
  o->n_test += nt;
  o->n_val += nv;
  o->n_train += n - nt - nv;
}

tr_err split_make(const float *y, size_t n, double val_fraction, double test_fraction,
                  bool stratify, uint64_t seed, split_indices *out) {
  memset(out, 0, sizeof *out);
  size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
  out->train = malloc((n ? n : 1) * sizeof(size_t));
  out->val = malloc((n ? n : 1) * sizeof(size_t));
  out->test = malloc((n ? n : 1) * sizeof(size_t));
  if (!idx || !out->train || !out->val || !out->test) {
    free(idx);
    split_free(out);
    return tr_error_set(TR_ENOMEM, "split", "out of memory");
  }
  for (size_t i = 0; i < n; i++) idx[i] = i;
  rng_t r;
  rng_seed(&r, seed);
  if (stratify && y) {
    qsort_r(idx, n, sizeof(size_t), cmp_by_label, (void *)y);
    for (size_t start = 0; start < n;) {
      size_t end = start;
      while (end < n && y[idx[end]] == y[idx[start]]) end++;
      rng_shuffle(&r, idx + start, end - start);
      cut(idx + start, end - start, val_fraction, test_fraction, out);
      start = end;
    }
  } else {
    rng_shuffle(&r, idx, n);
    cut(idx, n, val_fraction, test_fraction, out);
  }
  free(idx);
  qsort(out->train, out->n_train, sizeof(size_t), cmp_size);
  qsort(out->val, out->n_val, sizeof(size_t), cmp_size);
  qsort(out->test, out->n_test, sizeof(size_t), cmp_size);
  const char *empty = out->n_train == 0                      ? "training"
                      : (val_fraction > 0 && out->n_val == 0)   ? "validation"
                      : (test_fraction > 0 && out->n_test == 0) ? "test"
                                                                : NULL;
  if (empty) {
    split_free(out);
    return tr_error_set(TR_EINPUT, "data", "%zu rows leave the %s split empty", n, empty);
  }
  return TR_OK;
}

tr_err scaler_fit(const ds_dataset *d, scaler *s) { return scaler_fit_parts(d, s, NULL, NULL); }

tr_err scaler_fit_parts(const ds_dataset *d, scaler *s, scaler_sum_fn sum, void *ctx) {
  size_t cols = d->cols;
  s->cols = cols;
  s->mean = calloc(cols + 1, sizeof(double)); /* + 1: the row count travels with the sums */
  s->scale = calloc(cols + 1, sizeof(double));
  /* two row-major passes (mean, then squared deviations) over fixed blocks of rows,
     each block summed in double, blocks combined in order: cache-friendly, and the
     result does not depend on the thread count */
  size_t block = 4096, nblocks = (d->rows + block - 1) / block;
  double *part = calloc((nblocks ? nblocks : 1) * cols + 1, sizeof(double));
  if (!s->mean || !s->scale || !part) {
    free(part);
    scaler_free(s);
    return tr_error_set(TR_ENOMEM, "scaler", "out of memory");
  }
  tr_err rc = TR_OK;
  double rows = 0;
  for (int pass = 0; pass < 2 && rc == TR_OK; pass++) {
    memset(part, 0, nblocks * cols * sizeof(double));
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nblocks; b++) {
      double *acc = part + b * cols;
      size_t end = (b + 1) * block < d->rows ? (b + 1) * block : d->rows;
      for (size_t i = b * block; i < end; i++) {
        const float *x = d->X + i * cols;
        if (pass == 0)
          for (size_t j = 0; j < cols; j++) acc[j] += x[j];
        else
          for (size_t j = 0; j < cols; j++) {
            double dv = x[j] - s->mean[j];
            acc[j] += dv * dv;
          }
      }
    }
    double *out = pass == 0 ? s->mean : s->scale;
    for (size_t b = 0; b < nblocks; b++)
      for (size_t j = 0; j < cols; j++) out[j] += part[b * cols + j];
    out[cols] = (double)d->rows;
    if (sum) rc = sum(out, cols + 1, ctx);
    rows = out[cols];
    for (size_t j = 0; j < cols; j++) out[j] = rows > 0 ? out[j] / rows : 0;
  }
  free(part);
  if (rc != TR_OK) {
    scaler_free(s);
    return rc;
  }
  for (size_t j = 0; j < cols; j++) {
    double sd = sqrt(s->scale[j]);
    s->scale[j] = sd > 1e-12 ? sd : 1.0;
  }
  return TR_OK;
}

void scaler_apply(const scaler *s, ds_dataset *d) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < d->rows; i++) {
    float *x = d->X + i * d->cols;
    for (size_t j = 0; j < d->cols; j++) x[j] = (float)((x[j] - s->mean[j]) / s->scale[j]);
  }
}

void scaler_free(scaler *s) {
  free(s->mean);
  free(s->scale);
  memset(s, 0, sizeof *s);
}

static uint64_t row_hash(const ds_dataset *d, size_t i) {
  uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
  const unsigned char *p = (const unsigned char *)(d->X + i * d->cols);
  for (size_t k = 0; k < d->cols * sizeof(float); k++) h = (h ^ p[k]) * 1099511628211ULL;
  if (d->y) {
    p = (const unsigned char *)(d->y + i);
    for (size_t k = 0; k < sizeof(float); k++) h = (h ^ p[k]) * 1099511628211ULL;
  }
  return h;
}

static bool rows_equal(const ds_dataset *a, size_t i, const ds_dataset *b, size_t j) {
  if (memcmp(a->X + i * a->cols, b->X + j * b->cols, a->cols * sizeof(float)) != 0) return false;
  return !a->y || !b->y || a->y[i] == b->y[j];
}

size_t split_count_duplicates(const ds_dataset *a, const ds_dataset *b) {
  if (a->cols != b->cols || a->rows == 0 || b->rows == 0) return 0;
  size_t cap = 1;
  while (cap < 2 * a->rows) cap <<= 1;
  size_t *slot = malloc(cap * sizeof(size_t));  /* row index + 1, 0 = empty */
  uint64_t *hash = malloc(cap * sizeof(uint64_t));
  if (!slot || !hash) {
    free(slot);
    free(hash);
    return 0;
  }
  memset(slot, 0, cap * sizeof(size_t));
  for (size_t i = 0; i < a->rows; i++) {
    uint64_t h = row_hash(a, i);
    size_t k = h & (cap - 1);
    while (slot[k]) k = (k + 1) & (cap - 1);
    slot[k] = i + 1;
    hash[k] = h;
  }
  size_t dup = 0;
#pragma omp parallel for reduction(+ : dup) schedule(static)
  for (size_t j = 0; j < b->rows; j++) {
    uint64_t h = row_hash(b, j);
    for (size_t k = h & (cap - 1); slot[k]; k = (k + 1) & (cap - 1)) {
      if (hash[k] == h && rows_equal(a, slot[k] - 1, b, j)) {
        dup++;
        break;
      }
    }
  }
  free(slot);
  free(hash);
  return dup;
}

tr_err target_scaler_fit_parts(const float *y, size_t n, target_scaler *t, scaler_sum_fn sum, void *ctx) {
  /* y as a one-column data set (read only; no labels, no names): the feature scaler's
     passes, block sums, row count and constant rule */
  const ds_dataset column = {.rows = n, .cols = 1, .X = (float *)y};
  scaler s;
  tr_err rc = scaler_fit_parts(&column, &s, sum, ctx);
  if (rc != TR_OK) return rc;
  *t = (target_scaler){.mean = s.mean[0], .scale = s.scale[0]};
  scaler_free(&s);
  return TR_OK;
}

void target_scaler_apply(const target_scaler *t, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = (float)((y[i] - t->mean) / t->scale);
}

void target_scaler_invert(const target_scaler *t, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = (float)(y[i] * t->scale + t->mean);
}
