/* Which files a data path names: the HDF5 shards of a directory or of a glob pattern,
 * in sorted order, and the data format a file's suffix names. The one "is this a glob"
 * test of the project (io/, cli/ and experiments/ alike). No file is opened. s3:// URLs
 * name objects in S3: a prefix of HDF5 shards or one object. */
#ifndef TR_FILES_H
#define TR_FILES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum { DS_FORMAT_UNKNOWN, DS_FORMAT_HDF5, DS_FORMAT_CSV, DS_FORMAT_LIBSVM, DS_FORMAT_NPY, DS_FORMAT_NPZ } ds_format;

/* The format path's suffix names, in any case: .h5 or .hdf5 (HDF5), .csv or .csv.gz
 * (CSV), .libsvm, .svm, .libsvm.gz or .svm.gz (LIBSVM), .npy, .npz (NumPy); else
 * DS_FORMAT_UNKNOWN. */
ds_format ds_format_of(const char *path);
/* True when path names a text format ds_load() parses (CSV or LIBSVM, .gz or not). */
bool ds_is_text_path(const char *path);

/* True when path is an s3:// URL (an object or a prefix in S3). */
bool ds_is_s3(const char *path);

/* True when path is a glob pattern (holds '*', '?' or '['). */
bool ds_is_glob(const char *path);
/* True when path names a set of shards: a glob pattern, an existing directory, or an
 * s3:// URL that does not end in .h5/.hdf5 (a prefix). */
bool ds_is_shard_set(const char *path);

/* The files ds_load() reads for path, in its order: the HDF5 shards (*.h5, *.hdf5) of a
 * directory or the matches of a glob, sorted; any other path is a one-file list of itself
 * (not checked). *paths is malloc'd (free with ds_free_files); TR_EINPUT when a
 * directory or glob has no HDF5 file. */
tr_err ds_list_files(const char *path, char ***paths, size_t *n);
/* The size in bytes of a file, or of an s3:// object (from the listing, else a HEAD).
 * TR_EINPUT naming path when it does not exist. */
tr_err ds_path_size(const char *path, uint64_t *size);
/* Frees a list from ds_list_files() and sets *paths to NULL. Safe on NULL. */
void ds_free_files(char ***paths, size_t n);
#endif
