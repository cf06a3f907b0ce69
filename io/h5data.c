/* The data files' schema in HDF5: the feature matrix X (2-D, numeric) and the labels y
 * (numeric or h5py's bool enum, N or N x 1 rows) opened with the same checks and messages
 * wherever they are read, X's storage layout (chunking, element type, filter pipeline),
 * hyperslab reads with HDF5's type conversion, y as doubles, and the feature_names
 * attribute. Shared by the reader (io/h5read.c), the byte-range layout (io/layout_open.c)
 * and `info` (io/info.c). */
#define _GNU_SOURCE
#include "io/h5data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/checked.h"
#include "common/log.h"
#include "io/h5util.h"

/* Opens dataset name; a missing one is an error when required, else *out = -1. */
tr_err h5data_open_dataset(const char *path, hid_t file, const char *name, bool required,
                           hid_t *out) {
  *out = H5I_INVALID_HID;
  /* H5Lexists fails (< 0) when an intermediate group is missing: same as absent. */
  htri_t ex = name[0] ? H5Lexists(file, name, H5P_DEFAULT) : 0;
  if (ex > 0) ex = H5Oexists_by_name(file, name, H5P_DEFAULT); /* dangling links */
  if (ex <= 0) return required ? tr_error_set(TR_EINPUT, path, "no dataset '%s'", name) : TR_OK;
  H5O_info_t info;
  if (H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return tr_error_set(TR_EHDF5, path, "cannot inspect '%s'", name);
  if (info.type != H5O_TYPE_DATASET)
    return tr_error_set(TR_EINPUT, path, "'%s' is not a dataset", name);
  *out = H5Dopen2(file, name, H5P_DEFAULT);
  if (*out < 0) return tr_error_set(TR_EHDF5, path, "cannot open dataset '%s'", name);
  return TR_OK;
}

/* Rank (at most 2 dimensions returned) and type class of a dataset. */
static tr_err h5data_shape(const char *path, const char *name, hid_t dset, int *rank,
                           hsize_t dims[2], H5T_class_t *cls) {
  hid_t space = H5Dget_space(dset), type = H5Dget_type(dset);
  tr_err rc = TR_OK;
  *rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  *cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
  dims[0] = dims[1] = 0;
  if (*rank < 0 || *cls == H5T_NO_CLASS)
    rc = tr_error_set(TR_EHDF5, path, "cannot inspect dataset '%s'", name);
  else if (*rank >= 1 && *rank <= 2 && H5Sget_simple_extent_dims(space, dims, NULL) < 0)
    rc = tr_error_set(TR_EHDF5, path, "cannot read the shape of '%s'", name);
  h5u_close(&space);
  h5u_close(&type);
  return rc;
}

/* What a dataset may decode to beyond what it stores: a dataset whose chunks were never
 * written reads as fill values, and a small one (a file being filled, a test) is fine. */
#define H5DATA_SLACK_BYTES ((size_t)64 << 20)
/* deflate, the filter that compresses best, stays below about 1032:1 */
#define H5DATA_MAX_RATIO 1100

/* Refuses a dataset that declares far more data (rows x cols elements) than its file
 * holds, before anything is allocated for it: the storage it has (H5Dget_storage_size,
 * at most the file's size, which a corrupt chunk index can overstate), times the
 * compression ratio its filters could reach, plus H5DATA_SLACK_BYTES. Datasets in
 * external files are not checked. */
static tr_err h5data_check_size(const char *path, const char *name, hid_t dset, hsize_t rows, hsize_t cols) {
  hid_t dcpl = H5Dget_create_plist(dset), type = H5Dget_type(dset), fid = H5Iget_file_id(dset);
  hsize_t fsize = 0;
  tr_err rc = TR_OK;
  if (dcpl < 0 || type < 0 || fid < 0 || H5Fget_filesize(fid, &fsize) < 0) {
    rc = tr_error_set(TR_EHDF5, path, "cannot inspect dataset '%s'", name);
    goto done;
  }
  if (H5Pget_external_count(dcpl) > 0 || H5Pget_layout(dcpl) == H5D_VIRTUAL) goto done;
  size_t elsize = H5Tget_size(type), declared, allowed;
  hsize_t stored = H5Dget_storage_size(dset);
  if (stored > fsize) stored = fsize;
  bool filtered = H5Pget_nfilters(dcpl) > 0;
  bool fits = checked_mul3((size_t)rows, (size_t)cols, elsize, &declared);
  checked_mul((size_t)stored, filtered ? H5DATA_MAX_RATIO : 1, &allowed);
  checked_add(allowed, H5DATA_SLACK_BYTES, &allowed);
  if (!fits || declared > allowed)
    rc = tr_error_set(TR_EINPUT, path,
                      "dataset '%s' declares %llu x %llu values (%.4g bytes) but the file holds %llu "
                      "bytes of its data (%llu bytes in all): truncated or corrupt",
                      name, (unsigned long long)rows, (unsigned long long)cols,
                      (double)rows * (double)cols * (double)elsize, (unsigned long long)stored,
                      (unsigned long long)fsize);
done:
  h5u_close(&fid);
  h5u_close(&type);
  h5u_close(&dcpl);
  return rc;
}

/* Checks that X is a 2-D numeric matrix with at least one column. */
tr_err h5data_check_x(const char *path, const char *name, hid_t x, hsize_t *rows, hsize_t *cols) {
  int rank;
  hsize_t dims[2];
  H5T_class_t cls;
  tr_err rc = h5data_shape(path, name, x, &rank, dims, &cls);
  if (rc != TR_OK) return rc;
  if (rank != 2)
    return tr_error_set(TR_EINPUT, path,
                        "dataset '%s' must be 2-D (rows x features) but has rank %d", name, rank);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    return tr_error_set(TR_EINPUT, path,
                        "dataset '%s' is not numeric (expected float32 or float64)", name);
  if (dims[1] == 0) return tr_error_set(TR_EINPUT, path, "dataset '%s' has no columns", name);
  if ((rc = h5data_check_size(path, name, x, dims[0], dims[1])) != TR_OK) return rc;
  *rows = dims[0];
  *cols = dims[1];
  return TR_OK;
}

/* Checks that y is numeric, of shape (rows,) or (rows, 1); returns its rank. */
static tr_err h5data_check_y(const char *path, const char *xname, const char *name, hid_t y,
                             hsize_t rows, int *rank) {
  hsize_t dims[2];
  H5T_class_t cls;
  tr_err rc = h5data_shape(path, name, y, rank, dims, &cls);
  if (rc != TR_OK) return rc;
  if (*rank != 1 && !(*rank == 2 && dims[1] == 1))
    return tr_error_set(TR_EINPUT, path, "dataset '%s' must have shape (N,) or (N, 1)", name);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER && cls != H5T_ENUM) /* h5py's bool: enum */
    return tr_error_set(TR_EINPUT, path, "dataset '%s' is not numeric (integer or float)", name);
  if (dims[0] != rows)
    return tr_error_set(TR_EINPUT, path, "'%s' has %llu rows but '%s' has %llu", xname,
                        (unsigned long long)rows, name, (unsigned long long)dims[0]);
  return h5data_check_size(path, name, y, rows, 1);
}

/* Reads rows [r0, r0+n) of a rank-1 or rank-2 dataset (cols columns) as memtype. */
tr_err h5data_read_slab(const char *path, const char *name, hid_t dset, int rank, hsize_t r0,
                        hsize_t n, hsize_t cols, hid_t memtype, void *buf) {
  hsize_t start[2] = {r0, 0}, count[2] = {n, cols};
  hid_t fspace = H5Dget_space(dset), mspace = H5Screate_simple(rank, count, NULL);
  tr_err rc = TR_OK;
  if (fspace < 0 || mspace < 0 ||
      H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf) < 0)
    rc = tr_error_set(TR_EHDF5, path, "cannot read rows %llu-%llu of '%s'", (unsigned long long)r0,
                      (unsigned long long)(r0 + n), name);
  h5u_close(&mspace);
  h5u_close(&fspace);
  return rc;
}

/* Rows [r0, r0+n) of y as doubles: integer and float types through HDF5's conversion,
 * enumerations (h5py stores bool as an enum over int8) through their integer values. */
tr_err h5data_read_y(const char *path, const char *name, hid_t y, int rank, hsize_t r0,
                     hsize_t n, double *out) {
  hid_t type = H5Dget_type(y), mem = H5I_INVALID_HID, base = H5I_INVALID_HID;
  tr_err rc = TR_OK;
  H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
  if (cls != H5T_ENUM) {
    h5u_close(&type);
    return h5data_read_slab(path, name, y, rank, r0, n, 1, H5T_NATIVE_DOUBLE, out);
  }
  mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
  base = mem < 0 ? H5I_INVALID_HID : H5Tget_super(mem);
  size_t sz = base < 0 ? 0 : H5Tget_size(base);
  bool sign = base >= 0 && H5Tget_sign(base) == H5T_SGN_2;
  if (sz != 1 && sz != 2 && sz != 4 && sz != 8) {
    rc = tr_error_set(TR_EHDF5, path, "cannot read the enumeration '%s'", name);
    goto done;
  }
  /* Read the raw values into out, then widen them in place from the end (element i
   * occupies bytes [i*sz, i*sz+sz), never past out[i]). */
  if ((rc = h5data_read_slab(path, name, y, rank, r0, n, 1, mem, out)) != TR_OK) goto done;
  for (hsize_t k = n; k-- > 0;) {
    const unsigned char *p = (const unsigned char *)out + k * sz;
    double v;
    if (sz == 1) {
      uint8_t u;
      memcpy(&u, p, 1);
      v = sign ? (double)(int8_t)u : (double)u;
    } else if (sz == 2) {
      uint16_t u;
      memcpy(&u, p, 2);
      v = sign ? (double)(int16_t)u : (double)u;
    } else if (sz == 4) {
      uint32_t u;
      memcpy(&u, p, 4);
      v = sign ? (double)(int32_t)u : (double)u;
    } else {
      uint64_t u;
      memcpy(&u, p, 8);
      v = sign ? (double)(int64_t)u : (double)u;
    }
    out[k] = v;
  }
done:
  h5u_close(&base);
  h5u_close(&mem);
  h5u_close(&type);
  return rc;
}

/* ---------------------------------------------------------------- storage layout */

tr_err h5data_get_layout(const char *path, const char *name, hid_t dset, h5data_layout *l) {
  memset(l, 0, sizeof *l);
  l->deflate_idx = l->shuffle_idx = l->deflate_level = -1;
  hid_t type = H5Dget_type(dset), dcpl = H5Dget_create_plist(dset);
  tr_err rc = TR_OK;
  if (type < 0 || dcpl < 0) {
    rc = tr_error_set(TR_EHDF5, path, "cannot inspect dataset '%s'", name);
    goto done;
  }
  l->elsize = H5Tget_size(type);
  l->native_f32 = H5Tequal(type, H5T_NATIVE_FLOAT) > 0;
  l->native_f64 = H5Tequal(type, H5T_NATIVE_DOUBLE) > 0;
  l->layout = H5Pget_layout(dcpl);
  if (l->layout != H5D_CHUNKED) goto done;
  if (H5Pget_chunk(dcpl, 2, l->chunk) != 2) {
    rc = tr_error_set(TR_EHDF5, path, "cannot read the chunk shape of '%s'", name);
    goto done;
  }
  int nf = H5Pget_nfilters(dcpl);
  for (int i = 0; i < nf; i++) {
    unsigned flags, cd[8];
    size_t ncd = 8;
    char fname[64] = "";
    H5Z_filter_t id =
        H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof fname, fname, NULL);
    if (id == H5Z_FILTER_DEFLATE) {
      l->deflate_idx = i;
      l->deflate_level = ncd >= 1 ? (int)cd[0] : -1;
    } else if (id == H5Z_FILTER_SHUFFLE) {
      l->shuffle_idx = i;
      l->shuffle_ok = ncd < 1 || cd[0] == l->elsize;
    } else {
      if (id == H5Z_FILTER_FLETCHER32) l->fletcher32 = true;
      if (l->other_filters++ == 0) {
        l->other_id = id;
        snprintf(l->other_name, sizeof l->other_name, "%s", fname);
      }
    }
  }
done:
  h5u_close(&dcpl);
  h5u_close(&type);
  return rc;
}

/* ---------------------------------------------------------------- feature names */

void h5data_free_names(char **names, hsize_t cols) { h5u_free_strings(names, (size_t)cols); }

/* Reads the string array attribute feature_names of X into names[cols] (malloc'd,
 * free with h5data_free_names). Absent or unusable attributes give *names = NULL. */
tr_err h5data_get_names(const char *path, hid_t x, hsize_t cols, char ***names) {
  return h5u_get_strings_attr(x, "feature_names", (size_t)cols, names, path);
}

/* Opens path and its X (checked: 2-D, numeric) and, when present, y (checked against X's
 * rows). Handles left open on error are closed by the caller's cleanup. */
tr_err h5data_open_xy(const char *path, const char *xn, const char *yn, hid_t *file, hid_t *x,
                      hid_t *y, hsize_t *rows, hsize_t *cols, int *yrank) {
  tr_err rc = h5u_open(path, file);
  if (rc == TR_OK) rc = h5data_open_dataset(path, *file, xn, true, x);
  if (rc == TR_OK) rc = h5data_check_x(path, xn, *x, rows, cols);
  if (rc == TR_OK && yn) rc = h5data_open_dataset(path, *file, yn, false, y);
  if (rc == TR_OK && *y >= 0) rc = h5data_check_y(path, xn, yn, *y, *rows, yrank);
  return rc;
}

