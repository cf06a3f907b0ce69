/* Internal to io/: the HDF5 helpers of io/h5io.c that io/layout.c shares (opening
 * datasets with the same checks and messages, and the storage layout of X). Not for
 * code outside io/: it exposes libhdf5's handles. */
#ifndef TR_H5IO_INTERNAL_H
#define TR_H5IO_INTERNAL_H
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Opens dataset name; a missing one is TR_EINPUT when required, else *out = -1. */
tr_err h5io_open_dataset(const char *path, hid_t file, const char *name, bool required, hid_t *out);

/* Checks that x is a 2-D numeric (integer or float) matrix with at least one column. */
tr_err h5io_check_x(const char *path, const char *name, hid_t x, hsize_t *rows, hsize_t *cols);

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
} h5io_layout;

/* Fills *l for dataset dset (named name in path); TR_EHDF5 when HDF5 cannot tell. */
tr_err h5io_get_layout(const char *path, const char *name, hid_t dset, h5io_layout *l);
#endif
