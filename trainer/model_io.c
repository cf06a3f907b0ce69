/* Model files in HDF5 (layout in model_io.h). Written to a temporary name and renamed,
 * so an interrupted save never leaves a model that looks complete. */
#include "trainer/model_io.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"

#define FORMAT "tradeoff-model"
#define FORMAT_VERSION 1

static herr_t put_string_attr(hid_t obj, const char *name, const char *value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, &value);
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  return rc;
}

static herr_t put_long_attr(hid_t obj, const char *name, long value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, H5T_NATIVE_LONG, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : H5Awrite(attr, H5T_NATIVE_LONG, &value);
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  return rc;
}

/* Writes a 1-D or 2-D dataset (dims[1] == 0 means 1-D) of the given memory type. */
static herr_t put_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                        hsize_t rows, hsize_t cols, const void *data) {
  hsize_t dims[2] = {rows, cols};
  hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t ds = H5Dcreate2(loc, name, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(lcpl);
  H5Sclose(space);
  return rc;
}

tr_err model_save(const char *path, const lin_model *m, const scaler *sc, const float classes[2],
                  const char *model_type, const char *job_text) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char *tmp = tr_tmp_name(path);
  if (!tmp) return tr_error_set(TR_ENOMEM, path, "out of memory");
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) {
    free(tmp);
    return tr_error_set(TR_EIO, path, "cannot create model file");
  }
  herr_t bad = 0;
  bad |= put_string_attr(f, "format", FORMAT);
  bad |= put_long_attr(f, "format_version", FORMAT_VERSION);
  bad |= put_string_attr(f, "model_type", model_type);
  bad |= put_string_attr(f, "task", m->task == TASK_BINARY ? "binary" : "regression");
  bad |= put_long_attr(f, "features", (long)m->features);
  bad |= put_string_attr(f, "created_by", "tradeoff " TRADEOFF_VERSION);
  bad |= put_string_attr(f, "job", job_text ? job_text : "");
  bad |= put_array(f, "layers/0/W", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, m->features, 1, m->w);
  bad |= put_array(f, "layers/0/b", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, 0, &m->b);
  if (sc && sc->cols) {
    bad |= put_array(f, "scaler/mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sc->cols, 0, sc->mean);
    bad |= put_array(f, "scaler/scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sc->cols, 0, sc->scale);
  }
  if (m->task == TASK_BINARY)
    bad |= put_array(f, "classes", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, 0, classes);
  bad |= H5Fclose(f);
  tr_err rc = TR_OK;
  if (bad < 0) {
    remove(tmp);
    rc = tr_error_set(TR_EHDF5, path, "cannot write model file");
  } else {
    rc = tr_rename_durable(tmp, path);
  }
  free(tmp);
  return rc;
}

static bool get_string_attr(hid_t obj, const char *name, char *out, size_t len) {
  if (H5Aexists(obj, name) <= 0) return false;
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  char *value = NULL;
  bool ok = attr >= 0 && H5Aread(attr, type, &value) >= 0 && value;
  if (ok) snprintf(out, len, "%s", value);
  if (value) H5free_memory(value);
  H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  return ok;
}

/* Reads a whole dataset of n elements into out (converted to mem_type). */
static bool get_array(hid_t f, const char *name, hid_t mem_type, size_t n, void *out) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  if (ds < 0) return false;
  hid_t space = H5Dget_space(ds);
  bool ok = (size_t)H5Sget_simple_extent_npoints(space) == n &&
            H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
  H5Sclose(space);
  H5Dclose(ds);
  return ok;
}

void model_file_free(model_file *mf) {
  lin_free(&mf->model);
  scaler_free(&mf->scale);
}

tr_err model_load(const char *path, model_file *out) {
  memset(out, 0, sizeof *out);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  FILE *probe = fopen(path, "rb");
  if (!probe) return tr_error_set(TR_EINPUT, path, "no such model file");
  fclose(probe);
  if (H5Fis_hdf5(path) <= 0) return tr_error_set(TR_EINPUT, path, "not an HDF5 file");
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return tr_error_set(TR_EINPUT, path, "cannot open model file");
  char format[64] = "", task[32] = "";
  long version = 0, features = 0;
  tr_err rc = TR_OK;
  if (!get_string_attr(f, "format", format, sizeof format) || strcmp(format, FORMAT) != 0) {
    rc = tr_error_set(TR_EINPUT, path, "not a tradeoff model file (no format = \"" FORMAT "\")");
    goto done;
  }
  hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
  if (a >= 0) {
    H5Aread(a, H5T_NATIVE_LONG, &version);
    H5Aclose(a);
  }
  if ((a = H5Aopen(f, "features", H5P_DEFAULT)) >= 0) {
    H5Aread(a, H5T_NATIVE_LONG, &features);
    H5Aclose(a);
  }
  if (version != FORMAT_VERSION) {
    rc = tr_error_set(TR_EINPUT, path, "model format version %ld; this tradeoff reads version %d",
                      version, FORMAT_VERSION);
    goto done;
  }
  get_string_attr(f, "task", task, sizeof task);
  get_string_attr(f, "model_type", out->model_type, sizeof out->model_type);
  if (features <= 0 || (strcmp(task, "binary") && strcmp(task, "regression"))) {
    rc = tr_error_set(TR_EINPUT, path, "model file has no valid task or feature count");
    goto done;
  }
  out->model = lin_new(!strcmp(task, "binary") ? TASK_BINARY : TASK_REGRESSION, (size_t)features);
  if (!out->model) {
    rc = tr_error_code();
    goto done;
  }
  if (!get_array(f, "layers/0/W", H5T_NATIVE_FLOAT, (size_t)features, out->model->w) ||
      !get_array(f, "layers/0/b", H5T_NATIVE_FLOAT, 1, &out->model->b) ||
      (out->model->task == TASK_BINARY &&
       !get_array(f, "classes", H5T_NATIVE_FLOAT, 2, out->classes))) {
    rc = tr_error_set(TR_EINPUT, path, "model file lacks its weights or classes");
    goto done;
  }
  if (H5Lexists(f, "scaler", H5P_DEFAULT) > 0) {
    out->scale.cols = (size_t)features;
    out->scale.mean = malloc((size_t)features * sizeof(double));
    out->scale.scale = malloc((size_t)features * sizeof(double));
    if (!out->scale.mean || !out->scale.scale ||
        !get_array(f, "scaler/mean", H5T_NATIVE_DOUBLE, (size_t)features, out->scale.mean) ||
        !get_array(f, "scaler/scale", H5T_NATIVE_DOUBLE, (size_t)features, out->scale.scale))
      rc = tr_error_set(TR_EINPUT, path, "model file has a damaged scaler");
  }
done:
  H5Fclose(f);
  if (rc != TR_OK) model_file_free(out);
  return rc;
}
