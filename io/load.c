/* The path-based loader: picks a reader by the path's suffix (io/files.h), concatenates
 * the shards of a directory or glob in sorted order, and hands each rank its part (a
 * hyperslab of one HDF5 file, whole shard files, or a row range of a text file, which
 * cannot seek). Every data set it returns is non-empty with finite features and labels.
 * The readers below it know nothing of it. */
#include "io/load.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/files.h"
#include "io/h5io.h"
#include "io/npy.h"
#include "io/textdata.h"

/* Reads every HDF5 shard in paths[0..n) (already sorted), each validated as it is read,
 * and joins them: one allocation of the summed rows, each shard copied into its slice
 * (joining as they came copied everything loaded so far, per shard). Names come from the
 * first shard; labels when every shard has them. */
static tr_err load_shards(const char *what, char **paths, size_t n, const ds_load_opts *o,
                          ds_dataset **out) {
  if (n == 0) return tr_error_set(TR_EINPUT, what, "no HDF5 files (*.h5, *.hdf5) found");
  ds_dataset **parts = calloc(n, sizeof *parts);
  if (!parts) return tr_error_set(TR_ENOMEM, what, "out of memory");
  tr_err rc = TR_OK;
  size_t rows = 0;
  bool with_y = true;
  for (size_t i = 0; i < n && rc == TR_OK; i++) {
    if ((rc = ds_load(paths[i], o, &parts[i])) != TR_OK) break;
    if (parts[i]->cols != parts[0]->cols)
      rc = tr_error_set(TR_EINPUT, paths[i], "has %zu features, the first shard has %zu",
                        parts[i]->cols, parts[0]->cols);
    rows += parts[i]->rows;
    with_y = with_y && parts[i]->y;
  }
  ds_dataset *all = NULL;
  if (rc == TR_OK && n == 1) {
    all = parts[0];
    parts[0] = NULL;
  } else if (rc == TR_OK && !(all = ds_new(rows, parts[0]->cols, with_y))) {
    rc = tr_error_code();
  } else if (rc == TR_OK) {
    size_t cols = all->cols, at = 0;
    for (size_t i = 0; i < n; i++) {
      memcpy(all->X + at * cols, parts[i]->X, parts[i]->rows * cols * sizeof(float));
      if (with_y) memcpy(all->y + at, parts[i]->y, parts[i]->rows * sizeof(float));
      at += parts[i]->rows;
    }
    if ((rc = ds_set_feature_names(all, (const char *const *)parts[0]->feature_names)) == TR_OK)
      rc = ds_set_label_name(all, parts[0]->label_name);
    if (rc != TR_OK) ds_free(&all);
  }
  for (size_t i = 0; i < n; i++) ds_free(&parts[i]);
  free(parts);
  *out = all;
  return rc;
}

/* Reads one file by its format (no validation). */
static tr_err read_file(const char *path, const ds_load_opts *o, ds_dataset **out) {
  h5io_read_opts h = {o->x_dataset, o->y_dataset, o->row_start, o->row_count, o->threads};
  switch (ds_format_of(path)) {
    case DS_FORMAT_HDF5:
      return h5io_read(path, &h, out);
    case DS_FORMAT_CSV:
      return o->label_optional ? csv_read_features(path, o->label_column, out) : csv_read(path, o->label_column, out);
    case DS_FORMAT_LIBSVM:
      return libsvm_read(path, out);
    case DS_FORMAT_NPY:
      return npy_read(path, o->y_dataset, out);
    case DS_FORMAT_NPZ:
      return npz_read(path, o->x_dataset, o->y_dataset, out);
    case DS_FORMAT_UNKNOWN:
      break;
  }
  return tr_error_set(TR_EINPUT, path,
                      "unknown data format (expected .h5, .hdf5, .csv, .libsvm or .svm, "
                      "optionally .gz, .npy, .npz, or a directory of .h5 shards)");
}

/* Rejects empty data (unless allowed) and non-finite features or labels; frees *out on
 * error. */
static tr_err validate(const char *path, ds_dataset **out, bool allow_empty) {
  tr_err rc = TR_OK;
  if (!allow_empty && ((*out)->rows == 0 || (*out)->cols == 0))
    rc = tr_error_set(TR_EINPUT, path, "the data set is empty");
  else
    rc = ds_check_finite(*out, path);
  if (rc != TR_OK) ds_free(out);
  return rc;
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
  bool validated = false; /* shards are validated one by one as they are read */
  if (ds_is_shard_set(path)) {
    char **paths = NULL;
    size_t n = 0;
    if ((rc = ds_list_files(path, &paths, &n)) != TR_OK) return rc;
    if (parts > 1 && n >= (size_t)parts) { /* whole files per part (at least one) */
      size_t first, count;
      ds_part_range(n, part, parts, &first, &count);
      rc = load_shards(path, paths + first, count, &o, out);
      ds_free_files(&paths, n);
      return rc;
    }
    rc = load_shards(path, paths, n, &o, out);
    ds_free_files(&paths, n);
    validated = true;
  } else if (!ds_is_s3(path) && stat(path, &st) != 0) {
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
  if ((!validated && (rc = validate(path, out, false)) != TR_OK) || parts <= 1) return rc;
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
