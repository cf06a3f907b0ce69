/* `tradeoff info`: a JSON description of a data file (jq-friendly). The only io/ header
 * that exposes JSON (cJSON). */
#ifndef TR_INFO_H
#define TR_INFO_H
#include <cjson/cJSON.h>

#include "common/error.h"

/* An HDF5 data file from its metadata and labels: path, dataset, rows, features, dtype,
 * layout, chunks, compression (and compression_level), shuffle, fletcher32, labels
 * (dataset, dtype, then counts and classes for whole-valued labels, else min, max, mean;
 * null without y) and feature_names when stored. x_name/y_name NULL = "X"/"y".
 * *out is the caller's (cJSON_Delete); NULL on error (the errors of h5io_read). */
tr_err h5io_info(const char *path, const char *x_name, const char *y_name, cJSON **out);

/* A data set read whole with ds_load() (a CSV or LIBSVM file, or a set of HDF5 shards):
 * path, format, rows, features, dtype, chunks and compression (null), labels (dtype,
 * then as for HDF5) and feature_names when the data has them. *out is the caller's; the
 * errors are ds_load()'s. */
tr_err info_text(const char *path, cJSON **out);

/* `tradeoff info PATH`: h5io_info for one HDF5 file (whose labels are strings: X as
 * h5io_info describes it, with "format" "hdf5", labels {dataset, dtype "string", counts,
 * classes} and the table's label_column and columns); for a directory or glob of shards
 * the same from metadata and labels only (X is never read; "files" and the total
 * "rows" added); info_text for text files. The format is told by io/files.h's one
 * detector (ds_format_of, any case). */
tr_err info_describe(const char *path, const char *x_name, const char *y_name, cJSON **out);
#endif
