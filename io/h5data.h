/* Internal to io/: an HDF5 data file's X and y as the readers see them (opening them
 * with the same checks and messages everywhere, the storage layout of X, hyperslab reads,
 * y as doubles, the feature names). Not for code outside io/: it exposes libhdf5's
 * handles. */
#ifndef TR_H5DATA_H
#define TR_H5DATA_H
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Opens dataset name; a missing one is TR_EINPUT when required, else *out = -1. */
tr_err h5data_open_dataset(const char *path, hid_t file, const char *name, bool required,
                           hid_t *out);

/* Checks that x is a 2-D numeric (integer or float) matrix with at least one column, and
 * that its file holds about as much as it declares: TR_EINPUT "path: dataset 'X'
 * declares R x C values ... but the file holds N bytes of its data" when the stored data
 * (times what its compression could reach, plus 64 MiB of unwritten chunks) is far less,
 * so nothing is allocated for rows a file does not have. */
tr_err h5data_check_x(const char *path, const char *name, hid_t x, hsize_t *rows, hsize_t *cols);

/* Opens path and its X xn (checked as h5data_check_x) and, when present (and yn is not
 * NULL: y not opened, *y left as it is), y yn (numeric,
 * (rows,) or (rows, 1), its size checked as X's; *yrank its rank; *y = -1 when absent). Handles left open on
 * error are the caller's to close (h5u_close). */
tr_err h5data_open_xy(const char *path, const char *xn, const char *yn, hid_t *file, hid_t *x,
                      hid_t *y, hsize_t *rows, hsize_t *cols, int *yrank);

/* Reads rows [r0, r0+n) of a rank-1 or rank-2 dataset (cols columns) as memtype into buf;
 * TR_EHDF5 naming the rows when HDF5 fails. */
tr_err h5data_read_slab(const char *path, const char *name, hid_t dset, int rank, hsize_t r0,
                        hsize_t n, hsize_t cols, hid_t memtype, void *buf);
/* Rows [r0, r0+n) of y (rank as from h5data_open_xy) as doubles into out[n]: integer
 * and float types converted by HDF5, enumerations (h5py's bool) by their values. */
tr_err h5data_read_y(const char *path, const char *name, hid_t y, int rank, hsize_t r0,
                     hsize_t n, double *out);

/* Reads the string array attribute feature_names of X into *names (cols malloc'd strings,
 * free with h5data_free_names); an absent or unusable attribute gives *names = NULL. */
tr_err h5data_get_names(const char *path, hid_t x, hsize_t cols, char ***names);
/* Frees names[0..cols) and names; safe on NULL. */
void h5data_free_names(char **names, hsize_t cols);

/* The storage layout, element type and filter pipeline of a dataset. */
typedef struct {
  H5D_layout_t layout;
  hsize_t chunk[2]; /* chunked only */
  size_t elsize;    /* bytes per element in the file */
  bool native_f32;  /* file type is the native float / double */
  bool native_f64;
  int deflate_idx; /* position in the filter pipeline, -1 when absent */
  int deflate_level;
  int shuffle_idx;
  bool shuffle_ok;   /* shuffle element size is the type size */
  int other_filters; /* filters we cannot undo ourselves */
  bool fletcher32;
  char other_name[64]; /* name of the first such filter */
  H5Z_filter_t other_id;
} h5data_layout;

/* Fills *l for dataset dset (named name in path); TR_EHDF5 when HDF5 cannot tell. */
tr_err h5data_get_layout(const char *path, const char *name, hid_t dset, h5data_layout *l);
#endif
