/* Train/validation/test splits (seeded, optionally stratified by class), feature
 * standardization fitted on the training split, and the leakage guard that counts
 * test rows duplicated in the training rows. */
#ifndef TR_SPLIT_H
#define TR_SPLIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"

typedef struct {
  size_t *train, *val, *test;  /* row indices (malloc'd) */
  size_t n_train, n_val, n_test;
} split_indices;

/* Shuffles rows 0..n) with seed and cuts round(n*test_fraction) test rows and
 * round(n*val_fraction) validation rows; the rest train. With stratify (y required),
 * every class is cut in the same proportions. Indices within each part are sorted.
 * TR_EINPUT when a part would be empty although its fraction is positive, or no
 * training rows remain. */
tr_err split_make(const float *y, size_t n, double val_fraction, double test_fraction,
                  bool stratify, uint64_t seed, split_indices *out);
void split_free(split_indices *s);

/* Per-feature mean and standard deviation (a constant feature gets scale 1). */
typedef struct {
  size_t cols;
  double *mean, *scale;
} scaler;

/* Fits on d (accumulating in double). */
tr_err scaler_fit(const ds_dataset *d, scaler *s);

/* Sums buf[0..n) over the parts of a data set held elsewhere (MPI ranks), in place. */
typedef tr_err (*scaler_sum_fn)(double *buf, size_t n, void *ctx);

/* As scaler_fit, over the union of every part's rows: local sums are combined with sum
 * (NULL: d is all the data), so every part gets the same scaler. */
tr_err scaler_fit_parts(const ds_dataset *d, scaler *s, scaler_sum_fn sum, void *ctx);
/* x = (x - mean) / scale for every row of d; d->cols must equal s->cols. */
void scaler_apply(const scaler *s, ds_dataset *d);
void scaler_free(scaler *s);

/* Rows of b that are byte-for-byte equal (features and label) to a row of a. */
size_t split_count_duplicates(const ds_dataset *a, const ds_dataset *b);
#endif
