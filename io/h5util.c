/* HDF5 helpers shared by io/'s data files and the trainer's model files and checkpoints:
 * every read-only open goes through h5u_open_rdonly, so HDF5's error printing is off and
 * file locking is relaxed the same way everywhere. Strings are variable-length UTF-8,
 * which h5py reads as str. */
#include "io/h5util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "io/h5s3.h"
#include "io/s3client.h"

void h5u_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void h5u_close(hid_t *id) {
  if (*id < 0) return;
  switch (H5Iget_type(*id)) {
    case H5I_FILE:
      H5Fclose(*id);
      break;
    case H5I_DATASET:
      H5Dclose(*id);
      break;
    case H5I_DATASPACE:
      H5Sclose(*id);
      break;
    case H5I_DATATYPE:
      H5Tclose(*id);
      break;
    case H5I_ATTR:
      H5Aclose(*id);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(*id);
      break;
    case H5I_GROUP:
      H5Gclose(*id);
      break;
    default:
      H5Idec_ref(*id);
      break;
  }
  *id = H5I_INVALID_HID;
}

hid_t h5u_open_rdonly(const char *path, hid_t fapl) {
  h5u_quiet();
  if (s3c_is_url(path)) { /* an object in S3: our S3 driver, whatever fapl says */
    hid_t s3 = h5s3_fapl();
    hid_t file = s3 < 0 ? H5I_INVALID_HID : H5Fopen(path, H5F_ACC_RDONLY, s3);
    h5u_close(&s3);
    return file;
  }
  hid_t own = fapl < 0 ? H5Pcreate(H5P_FILE_ACCESS) : H5I_INVALID_HID;
  if (fapl < 0) fapl = own;
  if (fapl < 0) return H5I_INVALID_HID;
#if H5_VERSION_GE(1, 10, 7)
  /* Read-only: tolerate file systems without locks (NFS, some Lustre mounts). */
  H5Pset_file_locking(fapl, true, true);
#endif
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  h5u_close(&own);
  return file;
}

tr_err h5u_open(const char *path, hid_t *file) {
  return h5u_open_fapl(path, H5I_INVALID_HID, file);
}

tr_err h5u_open_fapl(const char *path, hid_t fapl, hid_t *file) {
  *file = H5I_INVALID_HID;
  h5u_quiet();
  if (s3c_is_url(path)) {
    tr_err before = tr_error_code();
    if ((*file = h5u_open_rdonly(path, fapl)) >= 0) return TR_OK;
    if (before == TR_OK && tr_error_code() != TR_OK) return tr_error_code(); /* the S3 client named the object */
    return tr_error_set(TR_EINPUT, path, "cannot open as HDF5 (not an HDF5 file, truncated or corrupt?)");
  }
  struct stat st;
  if (stat(path, &st) != 0)
    return tr_error_set(errno == ENOENT ? TR_EINPUT : TR_EIO, path, "cannot open: %s",
                        strerror(errno));
  if (S_ISDIR(st.st_mode)) return tr_error_set(TR_EINPUT, path, "is a directory, not an HDF5 file");
  if (access(path, R_OK) != 0)
    return tr_error_set(TR_EIO, path, "cannot read: %s", strerror(errno));
  if (H5Fis_hdf5(path) <= 0) return tr_error_set(TR_EINPUT, path, "not an HDF5 file");
  if ((*file = h5u_open_rdonly(path, fapl)) < 0)
    return tr_error_set(TR_EINPUT, path, "cannot open as HDF5 (truncated or corrupt file?)");
  return TR_OK;
}

hid_t h5u_create_memory(void) {
  h5u_quiet();
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  hid_t f = H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 ? -1
            : H5Fcreate("in-memory.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return f;
}

tr_err h5u_commit_image(hid_t f, bool ok, const char *path, const char *what) {
  ssize_t n = ok && H5Fflush(f, H5F_SCOPE_LOCAL) >= 0 ? H5Fget_file_image(f, NULL, 0) : -1;
  void *image = n > 0 ? malloc((size_t)n) : NULL;
  if (image && H5Fget_file_image(f, image, (size_t)n) != n) n = -1;
  bool closed = H5Fclose(f) >= 0;
  tr_err rc = TR_OK;
  if (!ok || n <= 0 || !closed) {
    rc = tr_error_set(TR_EHDF5, path, "cannot build the %s", what);
  } else if (!image) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  } else {
    tr_atomic a;
    if ((rc = tr_atomic_open(&a, path)) == TR_OK) {
      if (fwrite(image, 1, (size_t)n, a.fp) != (size_t)n) {
        /* tr_atomic_commit reports the stream's error (ENOSPC, EFBIG...) */
      }
      rc = tr_atomic_commit(&a);
    }
  }
  free(image);
  return rc;
}

static hid_t utf8_string_type(void) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

herr_t h5u_put_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, hsize_t rows,
                     hsize_t cols, const void *data) {
  hsize_t dims[2] = {rows, cols};
  hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t ds = H5Dcreate2(loc, name, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = ds < 0 ? -1 : rows ? H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0;
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(lcpl);
  H5Sclose(space);
  return rc;
}

bool h5u_get_array(hid_t loc, const char *name, hid_t mem_type, size_t n, void *out) {
  hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
  if (ds < 0) return false;
  hid_t space = H5Dget_space(ds);
  bool ok = (size_t)H5Sget_simple_extent_npoints(space) == n &&
            (n == 0 || H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
  H5Sclose(space);
  H5Dclose(ds);
  return ok;
}

herr_t h5u_put_string_attr(hid_t obj, const char *name, const char *value) {
  hid_t type = utf8_string_type(), space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, &value);
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  return rc;
}

char *h5u_get_string_attr_dup(hid_t obj, const char *name) {
  if (H5Aexists(obj, name) <= 0) return NULL;
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT), type = utf8_string_type();
  char *value = NULL, *copy = NULL;
  if (attr >= 0 && H5Aread(attr, type, &value) >= 0 && value) copy = strdup(value);
  if (value) H5free_memory(value);
  H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  return copy;
}

bool h5u_get_string_attr(hid_t obj, const char *name, char *out, size_t len) {
  char *v = h5u_get_string_attr_dup(obj, name);
  if (!v) return false;
  snprintf(out, len, "%s", v);
  free(v);
  return true;
}

herr_t h5u_put_longs_attr(hid_t obj, const char *name, const long *v, size_t n, bool scalar) {
  hsize_t dims = n;
  hid_t space = scalar ? H5Screate(H5S_SCALAR)
                       : n ? H5Screate_simple(1, &dims, NULL) : H5Screate(H5S_NULL);
  hid_t attr = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : (n || scalar) ? H5Awrite(attr, H5T_NATIVE_LONG, v) : 0;
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  return rc;
}

long h5u_get_longs_attr(hid_t obj, const char *name, long *v, size_t max) {
  if (H5Aexists(obj, name) <= 0) return -1;
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT), space = H5Aget_space(attr);
  long count = H5Sget_simple_extent_type(space) == H5S_NULL ? 0 : (long)H5Sget_select_npoints(space);
  if (count < 0 || (size_t)count > max || (count && H5Aread(attr, H5T_NATIVE_LONG, v) < 0)) count = -1;
  H5Sclose(space);
  H5Aclose(attr);
  return count;
}

herr_t h5u_put_double_attr(hid_t obj, const char *name, double v) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : H5Awrite(attr, H5T_NATIVE_DOUBLE, &v);
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  return rc;
}

bool h5u_get_double_attr(hid_t obj, const char *name, double *v) {
  if (H5Aexists(obj, name) <= 0) return false;
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  bool ok = attr >= 0 && H5Aread(attr, H5T_NATIVE_DOUBLE, v) >= 0;
  if (attr >= 0) H5Aclose(attr);
  return ok;
}

void h5u_free_strings(char **v, size_t n) {
  if (!v) return;
  for (size_t j = 0; j < n; j++) free(v[j]);
  free(v);
}

tr_err h5u_put_strings_attr(hid_t obj, const char *name, char *const *v, size_t n, const char *path) {
  hsize_t dims = n;
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, &dims, NULL), attr = -1;
  tr_err rc = TR_OK;
  if (type < 0 || space < 0 || H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0 ||
      (attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(attr, type, v) < 0)
    rc = tr_error_set(TR_EHDF5, path, "cannot write the attribute %s", name);
  h5u_close(&attr);
  h5u_close(&space);
  h5u_close(&type);
  return rc;
}

tr_err h5u_get_strings_attr(hid_t x, const char *name, size_t cols, char ***names, const char *path) {
  *names = NULL;
  if (H5Aexists(x, name) <= 0) return TR_OK;
  hid_t attr = H5Aopen(x, name, H5P_DEFAULT);
  hid_t type = attr < 0 ? -1 : H5Aget_type(attr), space = attr < 0 ? -1 : H5Aget_space(attr);
  hid_t mem = H5I_INVALID_HID;
  char **v = NULL, *fixed = NULL;
  tr_err rc = TR_OK;
  if (attr < 0 || type < 0 || space < 0) {
    rc = tr_error_set(TR_EHDF5, path, "cannot open the attribute %s", name);
    goto done;
  }
  hssize_t npts = H5Sget_simple_extent_npoints(space);
  if (H5Tget_class(type) != H5T_STRING || npts != (hssize_t)cols) {
    log_warn("%s: ignoring attribute %s (not %zu strings)", path, name, cols);
    goto done;
  }
  v = calloc(cols, sizeof *v);
  mem = H5Tcopy(H5T_C_S1);
  if (!v || mem < 0 || H5Tset_cset(mem, H5Tget_cset(type)) < 0) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  if (H5Tis_variable_str(type) > 0) {
    char **raw = calloc(cols, sizeof *raw);
    if (!raw || H5Tset_size(mem, H5T_VARIABLE) < 0 || H5Aread(attr, mem, raw) < 0) {
      free(raw);
      rc = tr_error_set(TR_EHDF5, path, "cannot read the attribute %s", name);
      goto done;
    }
    for (size_t j = 0; j < cols && rc == TR_OK; j++)
      if (!(v[j] = strdup(raw[j] ? raw[j] : "")))
        rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
    free(raw);
  } else {
    size_t sz = H5Tget_size(type) + 1;
    fixed = calloc(cols, sz);
    if (!fixed || H5Tset_size(mem, sz) < 0 || H5Tset_strpad(mem, H5T_STR_NULLTERM) < 0 ||
        H5Aread(attr, mem, fixed) < 0) {
      rc = tr_error_set(TR_EHDF5, path, "cannot read the attribute %s", name);
      goto done;
    }
    for (size_t j = 0; j < cols && rc == TR_OK; j++)
      if (!(v[j] = strndup(fixed + j * sz, sz)))
        rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  if (rc == TR_OK) {
    *names = v;
    v = NULL;
  }
done:
  h5u_free_strings(v, cols);
  free(fixed);
  h5u_close(&mem);
  h5u_close(&space);
  h5u_close(&type);
  h5u_close(&attr);
  return rc;
}

