/* Loading a data set by path: the format dispatch over the readers (HDF5, CSV, LIBSVM)
 * and over the shards of a directory or glob, one rank's part of it, and the checks every
 * loaded data set passes (not empty, finite features and labels). */
#ifndef TR_LOAD_H
#define TR_LOAD_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "io/dataset.h"

/* Options for ds_load(). Zero-initialized is valid: defaults "X"/"y", whole file,
 * label column "label"-or-last for CSV. */
typedef struct {
  const char *x_dataset;     /* HDF5 feature dataset, default "X" */
  const char *y_dataset;     /* HDF5 label dataset, default "y" */
  const char *label_column;  /* CSV: column name or 0-based index; NULL = default */
  bool label_optional;       /* CSV: a label column that is not there means no labels
                                (rows to predict), not an error (csv_read_features) */
  size_t row_start;          /* HDF5 only: first row to read */
  size_t row_count;          /* HDF5 only: rows to read, 0 = to the end */
  int threads;               /* decompression threads, 0 = all */
} ds_load_opts;

/* Loads a data set by path: .h5 or .hdf5 (HDF5), .csv[.gz], .libsvm or .svm[.gz], or a
 * directory or glob of HDF5 shards concatenated in sorted order. Rejects empty data and
 * non-finite features or labels (TR_EINPUT with file and row). */
tr_err ds_load(const char *path, const ds_load_opts *opts, ds_dataset **out);

/* Loads only part `part` of `parts` of the rows (one rank's share): a hyperslab of a
 * single HDF5 file; whole shard files when a directory or glob has at least `parts` of
 * them (file i to part i * parts / files); otherwise the part's row range of the
 * whole data. parts = 1 is ds_load(). A part may have 0 rows. */
tr_err ds_load_part(const char *path, const ds_load_opts *opts, int part, int parts,
                    ds_dataset **out);
#endif
