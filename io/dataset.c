/* The in-memory data set every reader fills and every consumer uses: allocation (X 64-byte
 * aligned for the vector loops), feature names, row selection, the
 * parts ranks share, and the finiteness check (features and labels). It calls no reader. */
#define _GNU_SOURCE
#include "io/dataset.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/checked.h"

float *ds_alloc_floats(size_t n) {
  size_t bytes;
  if (!checked_mul(n, sizeof(float), &bytes) || !checked_add(bytes, 63, &bytes)) return NULL;
  bytes = bytes / 64 * 64;
  if (bytes == 0) bytes = 64;
  float *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

ds_dataset *ds_new(size_t rows, size_t cols, bool with_y) {
  ds_dataset *d = calloc(1, sizeof *d);
  if (!d) return tr_check_alloc(NULL, "data set");
  d->rows = rows;
  d->cols = cols;
  size_t n;
  if (!checked_mul3(rows, cols, sizeof(float), &n)) {
    free(d);
    tr_error_set(TR_ENOMEM, "data set", "%zu x %zu is too large", rows, cols);
    return NULL;
  }
  d->X = ds_alloc_floats(rows * cols);
  d->y = with_y ? ds_alloc_floats(rows) : NULL;
  if (!d->X || (with_y && !d->y)) {
    ds_free(&d);
    return tr_check_alloc(NULL, "data set");
  }
  return d;
}

static void free_names(char **names, size_t n) {
  if (!names) return;
  for (size_t j = 0; j < n; j++) free(names[j]);
  free(names);
}

void ds_free(ds_dataset **d) {
  if (!d || !*d) return;
  free((*d)->X);
  free((*d)->y);
  free_names((*d)->feature_names, (*d)->cols);
  free((*d)->label_name);
  free(*d);
  *d = NULL;
}

tr_err ds_set_feature_names(ds_dataset *d, const char *const *names) {
  free_names(d->feature_names, d->cols);
  d->feature_names = NULL;
  if (!names) return TR_OK;
  d->feature_names = calloc(d->cols ? d->cols : 1, sizeof(char *));
  if (!d->feature_names) return tr_error_set(TR_ENOMEM, "feature names", "out of memory");
  for (size_t j = 0; j < d->cols; j++) {
    d->feature_names[j] = strdup(names[j] ? names[j] : "");
    if (!d->feature_names[j]) return tr_error_set(TR_ENOMEM, "feature names", "out of memory");
  }
  return TR_OK;
}

tr_err ds_set_label_name(ds_dataset *d, const char *name) {
  free(d->label_name);
  d->label_name = NULL;
  if (name && !(d->label_name = strdup(name))) return tr_error_set(TR_ENOMEM, "label name", "out of memory");
  return TR_OK;
}

ds_dataset *ds_take_rows(const ds_dataset *src, const size_t *idx, size_t n) {
  ds_dataset *d = ds_new(n, src->cols, src->y != NULL);
  if (!d) return NULL;
  for (size_t i = 0; i < n; i++) {
    memcpy(d->X + i * src->cols, src->X + idx[i] * src->cols, src->cols * sizeof(float));
    if (src->y) d->y[i] = src->y[idx[i]];
  }
  if (ds_set_feature_names(d, (const char *const *)src->feature_names) != TR_OK ||
      ds_set_label_name(d, src->label_name) != TR_OK)
    ds_free(&d);
  return d;
}

tr_err ds_check_finite(const ds_dataset *d, const char *path) {
  size_t n = d->rows * d->cols;
  size_t bad = n, bad_y = d->rows;
#pragma omp parallel for reduction(min : bad) schedule(static)
  for (size_t k = 0; k < n; k++)
    if (!isfinite(d->X[k]) && k < bad) bad = k;
  /* labels too: a NaN label became a class of its own (labels_encode's bsearch finds
     it) and a NaN target made the target scaler's mean NaN */
  if (d->y) {
#pragma omp parallel for reduction(min : bad_y) schedule(static)
    for (size_t i = 0; i < d->rows; i++)
      if (!isfinite(d->y[i]) && i < bad_y) bad_y = i;
  }
  size_t bad_row = bad < n ? bad / d->cols : d->rows; /* the first row at fault wins */
  if (bad_y < bad_row)
    return tr_error_set(TR_EINPUT, path, "row %zu, label is %s", bad_y + 1,
                        isnan(d->y[bad_y]) ? "NaN" : "Inf");
  if (bad == n) return TR_OK;
  return tr_error_set(TR_EINPUT, path, "row %zu, feature %zu is %s", bad / d->cols + 1,
                      bad % d->cols + 1, isnan(d->X[bad]) ? "NaN" : "Inf");
}

void ds_part_range(size_t n, int part, int parts, size_t *start, size_t *count) {
  size_t base = n / (size_t)parts, extra = n % (size_t)parts, r = (size_t)part;
  *start = r * base + (r < extra ? r : extra);
  *count = base + (r < extra ? 1 : 0);
}
