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

/* The standardization of a regression target, fitted on the training split: the model
 * learns (y - mean) / scale and its outputs are mapped back (scale 1, mean 0: none). */
typedef struct {
  double mean, scale;
} target_scaler;
#define TARGET_SCALER_NONE ((target_scaler){0.0, 1.0})

/* Fits t on y[0..n): scaler_fit_parts on y as one column (every part's rows through
 * sum; a constant target gets scale 1). */
tr_err target_scaler_fit_parts(const float *y, size_t n, target_scaler *t, scaler_sum_fn sum, void *ctx);
/* y = (y - mean) / scale, in place. */
void target_scaler_apply(const target_scaler *t, float *y, size_t n);
/* y = y * scale + mean, in place (predictions back in the target's units). */
void target_scaler_invert(const target_scaler *t, float *y, size_t n);

/* Rows of b that are byte-for-byte equal (features and label) to a row of a. */
size_t split_count_duplicates(const ds_dataset *a, const ds_dataset *b);
#endif
