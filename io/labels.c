/* Class labels (see labels.h): sorting, de-duplicating and binary search over float
 * label values. */
#include "io/labels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The distinct values of sorted v[0..n), at most LABELS_MAX_CLASSES + 1, into out. */
static size_t distinct(const float *v, size_t n, float *out) {
  size_t k = 0;
  for (size_t i = 0; i < n && k <= LABELS_MAX_CLASSES; i++)
    if (i == 0 || v[i] != v[i - 1]) out[k++] = v[i];
  return k;
}

tr_err labels_find(const float *y, size_t n, float *classes, size_t *n_classes, size_t *bad_row) {
  float *sorted = malloc((n ? n : 1) * sizeof(float));
  if (!sorted) return tr_error_set(TR_ENOMEM, "labels", "out of memory");
  *bad_row = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    if (y[i] != floorf(y[i]) && *bad_row == SIZE_MAX) *bad_row = i;
    sorted[i] = y[i];
  }
  qsort(sorted, n, sizeof(float), cmp_float);
  *n_classes = distinct(sorted, n, classes);
  free(sorted);
  return TR_OK;
}

size_t labels_merge(float *all, size_t n_all, float *classes) {
  qsort(all, n_all, sizeof(float), cmp_float);
  return distinct(all, n_all, classes);
}

size_t labels_encode(float *y, size_t n, const float *classes, size_t n_classes) {
  for (size_t i = 0; i < n; i++) {
    const float *hit = bsearch(&y[i], classes, n_classes, sizeof(float), cmp_float);
    if (!hit) return i;
    y[i] = (float)(hit - classes);
  }
  return SIZE_MAX;
}
