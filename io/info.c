/* Everything `tradeoff info` prints: a JSON description of a data file. HDF5 files are
 * described from their metadata (shape, element type, chunking, filters) and their
 * labels; CSV and LIBSVM files after loading them. Labels get counts per class when
 * every value is whole and there are at most LABELS_MAX_CLASSES of them, else their
 * range and mean. The only part of io/ that speaks JSON. */
#include "io/info.h"
#include "io/table.h"

#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "io/dataset.h"
#include "io/h5data.h"
#include "io/h5util.h"
#include "io/labels.h"
#include "io/files.h"
#include "io/load.h"

/* ---------------------------------------------------------------- labels */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Adds label statistics of v[0..n) to lab: "counts" ({"0": n0, ...}) and "classes" when
 * every value is a whole number and at most LABELS_MAX_CLASSES are distinct, else "min",
 * "max", "mean". Sorts v in place. */
static void label_stats(cJSON *lab, double *v, size_t n) {
  bool integral = n > 0;
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    integral = integral && isfinite(v[i]) && v[i] == floor(v[i]);
    sum += v[i];
    lo = fmin(lo, v[i]);
    hi = fmax(hi, v[i]);
  }
  size_t classes = 0;
  if (integral) {
    qsort(v, n, sizeof *v, cmp_double);
    for (size_t i = 0; i < n; i++) classes += i == 0 || v[i] != v[i - 1];
  }
  if (integral && classes <= LABELS_MAX_CLASSES) {
    cJSON *counts = cJSON_AddObjectToObject(lab, "counts");
    for (size_t i = 0, j; i < n; i = j) {
      for (j = i; j < n && v[j] == v[i]; j++) {
      }
      char key[32];
      snprintf(key, sizeof key, "%.0f", v[i] + 0.0); /* + 0.0: no "-0" */
      cJSON_AddNumberToObject(counts, key, (double)(j - i));
    }
    cJSON_AddNumberToObject(lab, "classes", (double)classes);
  } else {
    json_add_number(lab, "min", n ? lo : NAN);
    json_add_number(lab, "max", n ? hi : NAN);
    json_add_number(lab, "mean", n ? sum / (double)n : NAN);
  }
}

/* {"dtype": "float32", ...label_stats} for float labels; NULL on ENOMEM. */
static cJSON *label_summary(const float *y, size_t n) {
  cJSON *o = cJSON_CreateObject();
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!o || !v) {
    cJSON_Delete(o);
    free(v);
    return NULL;
  }
  cJSON_AddStringToObject(o, "dtype", "float32");
  for (size_t i = 0; i < n; i++) v[i] = y[i];
  label_stats(o, v, n);
  free(v);
  return o;
}

/* ---------------------------------------------------------------- HDF5 */

static const char *dtype_name(hid_t type, char *buf, size_t cap) {
  H5T_class_t cls = H5Tget_class(type);
  size_t bits = H5Tget_size(type) * 8;
  if (cls == H5T_FLOAT)
    snprintf(buf, cap, "float%zu", bits);
  else if (cls == H5T_INTEGER)
    snprintf(buf, cap, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
  else if (cls == H5T_ENUM)
    snprintf(buf, cap, "%s", H5Tget_nmembers(type) == 2 && bits == 8 ? "bool" : "enum");
  else if (cls == H5T_STRING)
    snprintf(buf, cap, "string");
  else
    snprintf(buf, cap, "other");
  return buf;
}

/* labels: dtype plus (with stats) counts/classes (integer values, few distinct) or
 * min/max/mean, which reads them. */
static tr_err label_info(const char *path, const char *name, hid_t y, int rank, hsize_t rows,
                         bool stats, cJSON *lab) {
  char tbuf[32];
  hid_t type = H5Dget_type(y);
  if (type < 0) return tr_error_set(TR_EHDF5, path, "cannot inspect '%s'", name);
  cJSON_AddStringToObject(lab, "dtype", dtype_name(type, tbuf, sizeof tbuf));
  h5u_close(&type);
  if (!stats) return TR_OK;
  double *v = malloc((rows ? rows : 1) * sizeof *v);
  if (!v) return tr_error_set(TR_ENOMEM, path, "out of memory");
  tr_err rc = rows ? h5data_read_y(path, name, y, rank, 0, rows, v) : TR_OK;
  if (rc != TR_OK) {
    free(v);
    return rc;
  }
  label_stats(lab, v, (size_t)rows);
  free(v);
  return TR_OK;
}

/* What describe_h5 says of the labels. */
typedef enum {
  LABELS_STATS, /* dataset, dtype and label_stats (reads y) */
  LABELS_TYPE,  /* dataset and dtype only (y is not read) */
  LABELS_NONE,  /* y is not opened ("labels" null, for the caller to fill) */
} labels_mode;

/* h5io_info, the labels as mode says. */
static tr_err describe_h5(const char *path, const char *x_name, const char *y_name, labels_mode mode, cJSON **out) {
  const char *xn = x_name ? x_name : "X", *yn = mode == LABELS_NONE ? NULL : y_name ? y_name : "y";
  hid_t file = H5I_INVALID_HID, x = H5I_INVALID_HID, y = H5I_INVALID_HID, type = -1;
  hsize_t rows = 0, cols = 0;
  char **names = NULL;
  cJSON *j = NULL;
  int yrank = 0;
  tr_err rc;
  *out = NULL;
  if ((rc = h5data_open_xy(path, xn, yn, &file, &x, &y, &rows, &cols, &yrank)) != TR_OK) goto done;
  h5data_layout l;
  if ((rc = h5data_get_layout(path, xn, x, &l)) != TR_OK) goto done;
  if ((type = H5Dget_type(x)) < 0) {
    rc = tr_error_set(TR_EHDF5, path, "cannot inspect '%s'", xn);
    goto done;
  }
  if (!(j = cJSON_CreateObject())) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  char tbuf[32];
  cJSON_AddStringToObject(j, "path", path);
  cJSON_AddStringToObject(j, "dataset", xn);
  cJSON_AddNumberToObject(j, "rows", (double)rows);
  cJSON_AddNumberToObject(j, "features", (double)cols);
  cJSON_AddStringToObject(j, "dtype", dtype_name(type, tbuf, sizeof tbuf));
  cJSON_AddStringToObject(j, "layout",
                          l.layout == H5D_CHUNKED   ? "chunked"
                          : l.layout == H5D_COMPACT ? "compact"
                                                    : "contiguous");
  if (l.layout == H5D_CHUNKED) {
    cJSON *c = cJSON_AddArrayToObject(j, "chunks");
    cJSON_AddItemToArray(c, cJSON_CreateNumber((double)l.chunk[0]));
    cJSON_AddItemToArray(c, cJSON_CreateNumber((double)l.chunk[1]));
  } else {
    cJSON_AddNullToObject(j, "chunks");
  }
  if (l.deflate_idx >= 0) {
    cJSON_AddStringToObject(j, "compression", "gzip");
    cJSON_AddNumberToObject(j, "compression_level", l.deflate_level);
  } else if (l.other_filters && !(l.other_filters == 1 && l.fletcher32)) {
    cJSON_AddStringToObject(j, "compression",
                            l.other_id == H5Z_FILTER_SZIP ? "szip"
                            : l.other_id == 32000         ? "lzf"
                            : l.other_name[0]             ? l.other_name
                                                          : "unknown");
  } else {
    cJSON_AddNullToObject(j, "compression");
  }
  cJSON_AddBoolToObject(j, "shuffle", l.shuffle_idx >= 0);
  cJSON_AddBoolToObject(j, "fletcher32", l.fletcher32);
  if (y >= 0) {
    cJSON *lab = cJSON_AddObjectToObject(j, "labels");
    cJSON_AddStringToObject(lab, "dataset", yn);
    if ((rc = label_info(path, yn, y, yrank, rows, mode == LABELS_STATS, lab)) != TR_OK) goto done;
  } else {
    cJSON_AddNullToObject(j, "labels");
  }
  if ((rc = h5data_get_names(path, x, cols, &names)) != TR_OK) goto done;
  if (names) {
    cJSON *a = cJSON_AddArrayToObject(j, "feature_names");
    for (hsize_t k = 0; k < cols; k++) cJSON_AddItemToArray(a, cJSON_CreateString(names[k]));
  }
done:
  h5data_free_names(names, cols);
  h5u_close(&type);
  h5u_close(&y);
  h5u_close(&x);
  h5u_close(&file);
  if (rc == TR_OK)
    *out = j;
  else
    cJSON_Delete(j);
  return rc;
}

tr_err h5io_info(const char *path, const char *x_name, const char *y_name, cJSON **out) {
  return describe_h5(path, x_name, y_name, LABELS_STATS, out);
}

/* ---------------------------------------------------------------- CSV, LIBSVM */

static int cmp_flt(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Per raw column of a CSV table: name, type, missing cells, cardinality (distinct values
 * that are not missing). */
static cJSON *table_columns(const tbl *t) {
  cJSON *cols = cJSON_CreateArray();
  float *v = malloc((t->rows ? t->rows : 1) * sizeof *v);
  for (size_t j = 0; j < t->cols; j++) {
    const tbl_column *c = &t->col[j];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", c->name);
    cJSON_AddStringToObject(e, "type", j == t->label ? (c->kind == TBL_NUMERIC ? "label (numeric)" : "label (string)")
                                       : c->kind == TBL_NUMERIC ? "numeric" : "categorical");
    cJSON_AddNumberToObject(e, "missing", (double)c->missing);
    size_t distinct = c->n_levels;
    if (c->kind == TBL_NUMERIC && v) {
      size_t k = 0;
      for (size_t i = 0; i < t->rows; i++)
        if (!isnan(t->v[i * t->cols + j])) v[k++] = t->v[i * t->cols + j];
      qsort(v, k, sizeof *v, cmp_flt);
      distinct = 0;
      for (size_t i = 0; i < k; i++) distinct += i == 0 || v[i] != v[i - 1];
    }
    cJSON_AddNumberToObject(e, "cardinality", (double)distinct);
    cJSON_AddItemToArray(cols, e);
  }
  free(v);
  return cols;
}

/* A CSV file, or an HDF5 file with string labels, as a typed table (io/table.h): the
 * columns' types, missing cells and cardinality; labels summarized as for HDF5 (string
 * labels: counts per value). X's dtype is the table's (float32), so info_h5_strings
 * takes only the labels and columns of an HDF5 file from here. */
static tr_err info_table(const char *path, const char *x_name, const char *y_name, cJSON **out) {
  tbl *t = NULL;
  bool h5 = ds_format_of(path) == DS_FORMAT_HDF5;
  tr_err rc = h5 ? tbl_read_hdf5(path, &(tbl_h5_opts){.x_dataset = x_name, .y_dataset = y_name}, &t)
                 : tbl_read_csv(path, &(tbl_opts){.label_optional = false}, &t);
  if (rc != TR_OK) return rc;
  float *y = malloc((t->rows ? t->rows : 1) * sizeof *y);
  char **names = NULL;
  size_t n_names = 0;
  if (!y) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  if (rc == TR_OK) rc = tbl_labels(t, NULL, 0, y, &names, &n_names);
  if (rc != TR_OK) {
    free(y);
    tbl_free(&t);
    return rc;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "path", path);
  cJSON_AddStringToObject(o, "format", h5 ? "hdf5" : "csv");
  cJSON_AddNumberToObject(o, "rows", (double)t->rows);
  cJSON_AddNumberToObject(o, "features", (double)(t->cols - 1));
  cJSON_AddStringToObject(o, "dtype", "float32");
  cJSON_AddNullToObject(o, "chunks");
  cJSON_AddNullToObject(o, "compression");
  if (names) {
    cJSON *lab = cJSON_CreateObject(), *counts = cJSON_CreateObject();
    cJSON_AddStringToObject(lab, "dtype", "string");
    size_t *n = calloc(n_names, sizeof *n);
    for (size_t i = 0; n && i < t->rows; i++) n[(size_t)y[i]]++;
    for (size_t k = 0; n && k < n_names; k++) cJSON_AddNumberToObject(counts, names[k], (double)n[k]);
    free(n);
    cJSON_AddItemToObject(lab, "counts", counts);
    cJSON_AddItemToObject(lab, "classes", cJSON_CreateStringArray((const char *const *)names, (int)n_names));
    cJSON_AddItemToObject(o, "labels", lab);
  } else {
    cJSON_AddItemToObject(o, "labels", label_summary(y, t->rows));
  }
  cJSON *fn = cJSON_AddArrayToObject(o, "feature_names");
  for (size_t j = 0; j < t->cols; j++)
    if (j != t->label) cJSON_AddItemToArray(fn, cJSON_CreateString(t->col[j].name));
  cJSON_AddStringToObject(o, "label_column", t->col[t->label].name);
  cJSON_AddItemToObject(o, "columns", table_columns(t));
  tbl_free_names(names, n_names);
  free(y);
  tbl_free(&t);
  *out = o;
  return TR_OK;
}

tr_err info_text(const char *path, cJSON **out) {
  if (ds_format_of(path) == DS_FORMAT_CSV) return info_table(path, NULL, NULL, out);
  ds_dataset *d = NULL;
  tr_err rc = ds_load(path, NULL, &d);
  if (rc != TR_OK) return rc;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "path", path);
  ds_format f = ds_format_of(path);
  cJSON_AddStringToObject(o, "format", f == DS_FORMAT_NPY ? "npy" : f == DS_FORMAT_NPZ ? "npz" : f == DS_FORMAT_LIBSVM ? "libsvm" : "hdf5");
  cJSON_AddNumberToObject(o, "rows", (double)d->rows);
  cJSON_AddNumberToObject(o, "features", (double)d->cols);
  cJSON_AddStringToObject(o, "dtype", "float32");
  cJSON_AddNullToObject(o, "chunks");
  cJSON_AddNullToObject(o, "compression");
  cJSON_AddItemToObject(o, "labels", d->y ? label_summary(d->y, d->rows) : cJSON_CreateNull());
  if (d->feature_names)
    cJSON_AddItemToObject(o, "feature_names",
                          cJSON_CreateStringArray((const char *const *)d->feature_names,
                                                  (int)d->cols));
  ds_free(&d);
  *out = o;
  return TR_OK;
}

/* A set of HDF5 shards from metadata and labels only (X is never read): the first
 * shard's description (dataset, dtype, layout, compression, names; its labels not read),
 * then the set's path, files and rows, and the labels of every shard, each read once.
 * Each shard's X must have the first's columns. */
static tr_err info_shards(const char *path, const char *x_name, const char *y_name, cJSON **out) {
  const char *xn = x_name ? x_name : "X", *yn = y_name ? y_name : "y";
  char **files = NULL;
  size_t n = 0, total = 0, cap = 0;
  double *ys = NULL;
  bool labelled = true;
  cJSON *j = NULL;
  *out = NULL;
  tr_err rc = ds_list_files(path, &files, &n);
  if (rc == TR_OK) rc = describe_h5(files[0], xn, yn, LABELS_TYPE, &j);
  hsize_t cols0 = 0;
  for (size_t k = 0; rc == TR_OK && k < n; k++) {
    hid_t file = H5I_INVALID_HID, x = H5I_INVALID_HID, y = H5I_INVALID_HID;
    hsize_t rows = 0, cols = 0;
    int yrank = 0;
    rc = h5data_open_xy(files[k], xn, yn, &file, &x, &y, &rows, &cols, &yrank);
    if (rc == TR_OK && k == 0) cols0 = cols;
    if (rc == TR_OK && cols != cols0)
      rc = tr_error_set(TR_EINPUT, files[k], "has %llu columns, %s has %llu", (unsigned long long)cols, files[0],
                        (unsigned long long)cols0);
    if (rc == TR_OK && y < 0) labelled = false;
    if (rc == TR_OK && labelled && rows) {
      if (total + rows > cap) {
        size_t grown = 2 * (total + rows);
        double *v = realloc(ys, grown * sizeof *v);
        if (!v) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
        else ys = v, cap = grown;
      }
      if (rc == TR_OK) rc = h5data_read_y(files[k], yn, y, yrank, 0, rows, ys + total);
    }
    total += rows;
    h5u_close(&y);
    h5u_close(&x);
    h5u_close(&file);
  }
  if (rc == TR_OK) {
    cJSON_ReplaceItemInObject(j, "path", cJSON_CreateString(path));
    cJSON_AddStringToObject(j, "format", "hdf5");
    cJSON_AddNumberToObject(j, "files", (double)n);
    cJSON_ReplaceItemInObject(j, "rows", cJSON_CreateNumber((double)total));
    cJSON *lab = cJSON_GetObjectItemCaseSensitive(j, "labels"); /* dataset, dtype */
    if (labelled && cJSON_IsObject(lab))
      label_stats(lab, ys, total);
    else
      cJSON_ReplaceItemInObject(j, "labels", cJSON_CreateNull());
  }
  free(ys);
  ds_free_files(&files, n);
  if (rc != TR_OK) {
    cJSON_Delete(j);
    return rc;
  }
  *out = j;
  return TR_OK;
}

/* An HDF5 file whose labels are strings: X described from its metadata as any HDF5 file
 * (its dtype, layout, chunks, filters: the table reader converts X to float32, which is
 * not what the file holds), the labels and columns from the table's view (counts per
 * string value). */
static tr_err info_h5_strings(const char *path, const char *x_name, const char *y_name, cJSON **out) {
  cJSON *j = NULL, *t = NULL;
  *out = NULL;
  tr_err rc = describe_h5(path, x_name, y_name, LABELS_NONE, &j);
  if (rc == TR_OK) rc = info_table(path, x_name, y_name, &t);
  if (rc != TR_OK) {
    cJSON_Delete(j);
    cJSON_Delete(t);
    return rc;
  }
  cJSON_AddStringToObject(j, "format", "hdf5");
  cJSON *lab = cJSON_DetachItemFromObject(t, "labels");
  cJSON_AddItemToObject(lab, "dataset", cJSON_CreateString(y_name ? y_name : "y"));
  cJSON_ReplaceItemInObject(j, "labels", lab);
  static const char *const keep[] = {"label_column", "columns"};
  for (size_t i = 0; i < 2; i++) cJSON_AddItemToObject(j, keep[i], cJSON_DetachItemFromObject(t, keep[i]));
  cJSON_Delete(t);
  *out = j;
  return TR_OK;
}

tr_err info_describe(const char *path, const char *x_name, const char *y_name, cJSON **out) {
  if (ds_is_shard_set(path)) return info_shards(path, x_name, y_name, out);
  /* string labels: X from its metadata, the labels and columns from the table's view */
  if (ds_format_of(path) == DS_FORMAT_HDF5 && tbl_hdf5_wants_table(path, y_name, 0)) return info_h5_strings(path, x_name, y_name, out);
  if (ds_format_of(path) == DS_FORMAT_HDF5) return h5io_info(path, x_name, y_name, out);
  return info_text(path, out);
}
