/* The in-memory data set and the path-based loader that picks a reader (HDF5, CSV,
 * LIBSVM, a directory or glob of HDF5 shards). */
#define _GNU_SOURCE
#include "io/dataset.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "io/files.h"
#include "io/h5io.h"
#include "io/labels.h"
#include "io/textdata.h"

float *ds_alloc_floats(size_t n) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  float *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

ds_dataset *ds_new(size_t rows, size_t cols, bool with_y) {
  ds_dataset *d = calloc(1, sizeof *d);
  if (!d) return tr_check_alloc(NULL, "data set");
  d->rows = rows;
  d->cols = cols;
  if (cols && rows > SIZE_MAX / sizeof(float) / cols) {
    free(d);
    tr_error_set(TR_ENOMEM, "data set", "%zu x %zu is too large", rows, cols);
    return NULL;
  }
  d->X = ds_alloc_floats(rows * cols);
  d->y = with_y ? ds_alloc_floats(rows) : NULL;
  if (!d->X || (with_y && !d->y)) {
    ds_free(&d);
    return tr_check_alloc(NULL, "data set");
  }
  return d;
}

static void free_names(char **names, size_t n) {
  if (!names) return;
  for (size_t j = 0; j < n; j++) free(names[j]);
  free(names);
}

void ds_free(ds_dataset **d) {
  if (!d || !*d) return;
  free((*d)->X);
  free((*d)->y);
  free_names((*d)->feature_names, (*d)->cols);
  free(*d);
  *d = NULL;
}

tr_err ds_set_feature_names(ds_dataset *d, const char *const *names) {
  free_names(d->feature_names, d->cols);
  d->feature_names = NULL;
  if (!names) return TR_OK;
  d->feature_names = calloc(d->cols ? d->cols : 1, sizeof(char *));
  if (!d->feature_names) return tr_error_set(TR_ENOMEM, "feature names", "out of memory");
  for (size_t j = 0; j < d->cols; j++) {
    d->feature_names[j] = strdup(names[j] ? names[j] : "");
    if (!d->feature_names[j]) return tr_error_set(TR_ENOMEM, "feature names", "out of memory");
  }
  return TR_OK;
}

ds_dataset *ds_take_rows(const ds_dataset *src, const size_t *idx, size_t n) {
  ds_dataset *d = ds_new(n, src->cols, src->y != NULL);
  if (!d) return NULL;
  for (size_t i = 0; i < n; i++) {
    memcpy(d->X + i * src->cols, src->X + idx[i] * src->cols, src->cols * sizeof(float));
    if (src->y) d->y[i] = src->y[idx[i]];
  }
  if (ds_set_feature_names(d, (const char *const *)src->feature_names) != TR_OK) ds_free(&d);
  return d;
}

ds_dataset *ds_concat(const ds_dataset *a, const ds_dataset *b) {
  ds_dataset *d = ds_new(a->rows + b->rows, a->cols, a->y && b->y);
  if (!d) return NULL;
  memcpy(d->X, a->X, a->rows * a->cols * sizeof(float));
  memcpy(d->X + a->rows * a->cols, b->X, b->rows * b->cols * sizeof(float));
  if (d->y) {
    memcpy(d->y, a->y, a->rows * sizeof(float));
    memcpy(d->y + a->rows, b->y, b->rows * sizeof(float));
  }
  if (ds_set_feature_names(d, (const char *const *)a->feature_names) != TR_OK) ds_free(&d);
  return d;
}

tr_err ds_check_finite(const ds_dataset *d, const char *path) {
  size_t n = d->rows * d->cols;
  size_t bad = n;
#pragma omp parallel for reduction(min : bad) schedule(static)
  for (size_t k = 0; k < n; k++)
    if (!isfinite(d->X[k]) && k < bad) bad = k;
  if (bad == n) return TR_OK;
  return tr_error_set(TR_EINPUT, path, "row %zu, feature %zu is %s", bad / d->cols + 1,
                      bad % d->cols + 1, isnan(d->X[bad]) ? "NaN" : "Inf");
}

/* Reads every HDF5 shard in paths[0..n) (already sorted) and concatenates them. */
static tr_err load_shards(const char *what, char **paths, size_t n, const ds_load_opts *o,
                          ds_dataset **out) {
  if (n == 0) return tr_error_set(TR_EINPUT, what, "no HDF5 files (*.h5, *.hdf5) found");
  ds_dataset *all = NULL;
  for (size_t i = 0; i < n; i++) {
    ds_dataset *part = NULL;
    tr_err rc = ds_load(paths[i], o, &part);
    if (rc != TR_OK) {
      ds_free(&all);
      return rc;
    }
    if (all && part->cols != all->cols) {
      rc = tr_error_set(TR_EINPUT, paths[i], "has %zu features, the first shard has %zu",
                        part->cols, all->cols);
      ds_free(&all);
      ds_free(&part);
      return rc;
    }
    if (!all) {
      all = part;
      continue;
    }
    ds_dataset *joined = ds_concat(all, part);
    ds_free(&all);
    ds_free(&part);
    if (!joined) return tr_error_code();
    all = joined;
  }
  *out = all;
  return TR_OK;
}

/* Reads one file by its format (no validation). */
static tr_err read_file(const char *path, const ds_load_opts *o, ds_dataset **out) {
  h5io_read_opts h = {o->x_dataset, o->y_dataset, o->row_start, o->row_count, o->threads};
  switch (ds_format_of(path)) {
    case DS_FORMAT_HDF5:
      return h5io_read(path, &h, out);
    case DS_FORMAT_CSV:
      return csv_read(path, o->label_column, out);
    case DS_FORMAT_LIBSVM:
      return libsvm_read(path, out);
    case DS_FORMAT_UNKNOWN:
      break;
  }
  return tr_error_set(TR_EINPUT, path,
                      "unknown data format (expected .h5, .hdf5, .csv, .libsvm or .svm, "
                      "optionally .gz, or a directory of .h5 shards)");
}

/* Rejects empty data (unless allowed) and non-finite features; frees *out on error. */
static tr_err validate(const char *path, ds_dataset **out, bool allow_empty) {
  tr_err rc = TR_OK;
  if (!allow_empty && ((*out)->rows == 0 || (*out)->cols == 0))
    rc = tr_error_set(TR_EINPUT, path, "the data set is empty");
  else
    rc = ds_check_finite(*out, path);
  if (rc != TR_OK) ds_free(out);
  return rc;
}

void ds_part_range(size_t n, int part, int parts, size_t *start, size_t *count) {
  size_t base = n / (size_t)parts, extra = n % (size_t)parts, r = (size_t)part;
  *start = r * base + (r < extra ? r : extra);
  *count = base + (r < extra ? 1 : 0);
}

tr_err ds_load(const char *path, const ds_load_opts *opts, ds_dataset **out) {
  return ds_load_part(path, opts, 0, 1, out);
}

tr_err ds_load_part(const char *path, const ds_load_opts *opts, int part, int parts,
                    ds_dataset **out) {
  ds_load_opts o = opts ? *opts : (ds_load_opts){0};
  *out = NULL;
  struct stat st;
  tr_err rc;
  if (ds_is_shard_set(path)) {
    char **paths = NULL;
    size_t n = 0;
    if ((rc = ds_list_files(path, &paths, &n)) != TR_OK) return rc;
    if (parts > 1 && n >= (size_t)parts) { /* whole files per part */
      size_t first, count;
      ds_part_range(n, part, parts, &first, &count);
      rc = load_shards(path, paths + first, count, &o, out);
      ds_free_files(&paths, n);
      return rc == TR_OK ? validate(path, out, false) : rc;
    }
    rc = load_shards(path, paths, n, &o, out);
    ds_free_files(&paths, n);
  } else if (stat(path, &st) != 0) {
    return tr_error_set(TR_EINPUT, path, "no such file");
  } else if (parts > 1 && ds_format_of(path) == DS_FORMAT_HDF5) { /* a hyperslab of one file */
    size_t rows, cols, start, count;
    if ((rc = h5io_shape_of(path, o.x_dataset, &rows, &cols)) != TR_OK) return rc;
    if (rows == 0 || cols == 0) return tr_error_set(TR_EINPUT, path, "the data set is empty");
    ds_part_range(rows, part, parts, &start, &count);
    if (count == 0) {
      *out = ds_new(0, cols, true);
      return *out ? TR_OK : tr_error_code();
    }
    o.row_start = start;
    o.row_count = count;
    rc = read_file(path, &o, out);
    return rc == TR_OK ? validate(path, out, false) : rc;
  } else {
    rc = read_file(path, &o, out);
  }
  if (rc != TR_OK) return rc;
  if ((rc = validate(path, out, false)) != TR_OK || parts <= 1) return rc;
  size_t start, count; /* text formats cannot seek rows: take this part's range */
  ds_part_range((*out)->rows, part, parts, &start, &count);
  size_t *idx = malloc((count ? count : 1) * sizeof(size_t));
  if (!idx) {
    ds_free(out);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  for (size_t i = 0; i < count; i++) idx[i] = start + i;
  ds_dataset *mine = ds_take_rows(*out, idx, count);
  free(idx);
  ds_free(out);
  *out = mine;
  return mine ? TR_OK : tr_error_code();
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void ds_label_stats(cJSON *lab, double *v, size_t n) {
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

cJSON *ds_label_summary(const float *y, size_t n) {
  cJSON *o = cJSON_CreateObject();
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!o || !v) {
    cJSON_Delete(o);
    free(v);
    return NULL;
  }
  cJSON_AddStringToObject(o, "dtype", "float32");
  for (size_t i = 0; i < n; i++) v[i] = y[i];
  ds_label_stats(o, v, n);
  free(v);
  return o;
}
