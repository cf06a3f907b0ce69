/* HDF5 data files: /X (float32 or float64, N x D, contiguous or chunked, gzip or not)
 * and /y (any integer or float type, N or N x 1), as h5py writes them. Reading is
 * io/h5read.c, writing io/h5write.c; `info` describes them (io/info.h). */
#ifndef TR_H5IO_H
#define TR_H5IO_H
#include <stddef.h>

#include "common/error.h"
#include "io/dataset.h"

typedef struct {
  const char *x_name;  /* default "X" */
  const char *y_name;  /* default "y"; a missing y dataset gives y = NULL */
  size_t row_start;    /* first row */
  size_t row_count;    /* 0 = to the end */
  int threads;         /* threads inflating gzip chunks in parallel, 0 = all */
} h5io_read_opts;

/* Reads rows [row_start, row_start+row_count) of X and y into a new data set.
 * Errors (TR_EINPUT with the path): missing file, not HDF5, missing X, wrong rank,
 * non-float X, X/y row counts that differ, empty range, range past the end. */
tr_err h5io_read(const char *path, const h5io_read_opts *opts, ds_dataset **out);

/* Rows and columns of the 2-D dataset x_name (default "X") without reading it. */
tr_err h5io_shape_of(const char *path, const char *x_name, size_t *rows, size_t *cols);

typedef struct {
  int deflate;        /* 0 = no compression, 1-9 gzip level */
  size_t chunk_rows;  /* rows per chunk, 0 = about 1 MiB chunks */
} h5io_write_opts;

/* Writes d as /X (float32, chunked), /y (float32, when d->y) and the attribute
 * feature_names on /X (when set), atomically (temporary file, then rename). */
tr_err h5io_write(const char *path, const ds_dataset *d, const h5io_write_opts *opts);
#endif
