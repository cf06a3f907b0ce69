/* An in-memory data set: a row-major float32 feature matrix (64-byte aligned) and one
 * float32 label or target per row, plus optional feature names. Every reader (HDF5,
 * CSV, LIBSVM, synthetic) produces one; ds_load() picks the reader from the path. */
#ifndef TR_DATASET_H
#define TR_DATASET_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
/* Transitional: ds_list_files, ds_free_files and ds_is_text_path moved to io/files.h.
 * Included here only for callers not yet switched (experiments/iostack.c); nothing in
 * the container depends on it. Remove once they include io/files.h themselves. */
#include "io/files.h"

typedef struct {
  size_t rows, cols;
  float *X;              /* rows * cols, row-major, 64-byte aligned */
  float *y;              /* rows values, or NULL when the data has no labels */
  char **feature_names;  /* cols strings, or NULL */
} ds_dataset;

/* A zero-filled data set (y allocated when with_y); NULL with TR_ENOMEM recorded. */
ds_dataset *ds_new(size_t rows, size_t cols, bool with_y);
/* Frees d and its parts; sets *d to NULL. Safe on NULL. */
void ds_free(ds_dataset **d);
/* 64-byte aligned, zero-filled array of n floats (free with free()); NULL on ENOMEM. */
float *ds_alloc_floats(size_t n);
/* Sets feature names (copied); names may be NULL to clear. */
tr_err ds_set_feature_names(ds_dataset *d, const char *const *names);
/* A new data set holding rows idx[0..n) of src, in that order (names copied). */
ds_dataset *ds_take_rows(const ds_dataset *src, const size_t *idx, size_t n);
/* A new data set: the rows of a followed by those of b (same cols). */
ds_dataset *ds_concat(const ds_dataset *a, const ds_dataset *b);
/* Part `part` of `parts` of n rows, as even as possible (the first n % parts parts get
 * one more): rows [*start, *start + *count). */
void ds_part_range(size_t n, int part, int parts, size_t *start, size_t *count);

/* TR_EINPUT "path: row R, feature J is NaN|Inf" for the first non-finite value. */
tr_err ds_check_finite(const ds_dataset *d, const char *path);

/* Options for ds_load(). Zero-initialized is valid: defaults "X"/"y", whole file,
 * label column "label"-or-last for CSV. */
typedef struct {
  const char *x_dataset;     /* HDF5 feature dataset, default "X" */
  const char *y_dataset;     /* HDF5 label dataset, default "y" */
  const char *label_column;  /* CSV: column name or 0-based index; NULL = default */
  size_t row_start;          /* HDF5 only: first row to read */
  size_t row_count;          /* HDF5 only: rows to read, 0 = to the end */
  int threads;               /* decompression threads, 0 = all */
} ds_load_opts;

/* Loads a data set by path: .h5 or .hdf5 (HDF5), .csv[.gz], .libsvm or .svm[.gz], or a
 * directory or glob of HDF5 shards concatenated in sorted order. Rejects empty data and
 * non-finite features (TR_EINPUT with file and row). */
tr_err ds_load(const char *path, const ds_load_opts *opts, ds_dataset **out);

/* Loads only part `part` of `parts` of the rows (one rank's share): a hyperslab of a
 * single HDF5 file; whole shard files when a directory or glob has at least `parts` of
 * them (file i to part i * parts / files); otherwise the part's row range of the
 * whole data. parts = 1 is ds_load(). A part may have 0 rows. */
tr_err ds_load_part(const char *path, const ds_load_opts *opts, int part, int parts,
                    ds_dataset **out);

#include <cjson/cJSON.h>
/* Adds label statistics of v[0..n) to lab: "counts" ({"0": n0, ...}) and "classes" when
 * every value is a whole number and at most LABELS_MAX_CLASSES are distinct, else "min",
 * "max", "mean". Sorts v in place. */
void ds_label_stats(cJSON *lab, double *v, size_t n);
/* {"dtype": "float32", ...ds_label_stats} for float labels; NULL on ENOMEM. */
cJSON *ds_label_summary(const float *y, size_t n);
#endif
