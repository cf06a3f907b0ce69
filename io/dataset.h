/* An in-memory data set: a row-major float32 feature matrix (64-byte aligned) and one
 * float32 label or target per row, plus optional feature names. Every reader (HDF5,
 * CSV, LIBSVM, synthetic) produces one; io/load.h picks the reader for a path. */
#ifndef TR_DATASET_H
#define TR_DATASET_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct {
  size_t rows, cols;
  float *X;              /* rows * cols, row-major, 64-byte aligned */
  float *y;              /* rows values, or NULL when the data has no labels */
  char **feature_names;  /* cols strings, or NULL */
  char *label_name;      /* the label column's name when the file names it (CSV), or NULL */
} ds_dataset;

/* A zero-filled data set (y allocated when with_y); NULL with TR_ENOMEM recorded. */
ds_dataset *ds_new(size_t rows, size_t cols, bool with_y);
/* Frees d and its parts; sets *d to NULL. Safe on NULL. */
void ds_free(ds_dataset **d);
/* 64-byte aligned, zero-filled array of n floats (free with free()); NULL on ENOMEM or
 * when n floats are more bytes than a size_t holds. */
float *ds_alloc_floats(size_t n);
/* Sets feature names (copied); names may be NULL to clear. */
tr_err ds_set_feature_names(ds_dataset *d, const char *const *names);
/* Sets the label column's name (copied; NULL clears it). */
tr_err ds_set_label_name(ds_dataset *d, const char *name);
/* A new data set holding rows idx[0..n) of src, in that order (names copied). */
ds_dataset *ds_take_rows(const ds_dataset *src, const size_t *idx, size_t n);
/* Part `part` of `parts` of n rows, as even as possible (the first n % parts parts get
 * one more): rows [*start, *start + *count). */
void ds_part_range(size_t n, int part, int parts, size_t *start, size_t *count);

/* TR_EINPUT "path: row R, feature J is NaN|Inf" or "path: row R, label is NaN|Inf" for
 * the first row (1-based) holding a non-finite feature or label (the feature when a row
 * has both). */
tr_err ds_check_finite(const ds_dataset *d, const char *path);
#endif
