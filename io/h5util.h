/* The HDF5 file helpers of io/ and trainer/ (data files, model.h5, checkpoint.h5): the
 * one place that silences HDF5's error printing and opens files read-only (with file
 * locking relaxed), a handle closer, in-memory files committed atomically, and whole
 * datasets and scalar/array attributes. The dataset/attribute helpers return a negative
 * value (herr_t) or false on failure; callers turn that into an error with the path. */
#ifndef TR_H5UTIL_H
#define TR_H5UTIL_H
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Stops HDF5 printing its error stack (errors are reported through tr_error instead).
 * Every open and create below calls it; call it before other HDF5 calls that may fail. */
void h5u_quiet(void);
/* Closes any HDF5 handle and sets *id invalid; safe on an invalid one. */
void h5u_close(hid_t *id);

/* H5Fopen read-only through fapl (-1: a default one) with HDF5's printing silenced and
 * file locking relaxed (file systems without locks: NFS, some Lustre mounts). No checks
 * and nothing recorded: negative on failure, for callers with their own messages. */
hid_t h5u_open_rdonly(const char *path, hid_t fapl);
/* Opens path read-only after checking it exists and is an HDF5 file: TR_EINPUT naming
 * the path when not (missing, a directory, not HDF5, truncated or corrupt), TR_EIO when
 * unreadable; *file = -1 on error. */
tr_err h5u_open(const char *path, hid_t *file);
/* The same through a file access property list of the caller's (-1: a default one). */
tr_err h5u_open_fapl(const char *path, hid_t fapl, hid_t *file);

/* A new HDF5 file in memory (core driver, no backing store) to build a model or
 * checkpoint in, HDF5's printing silenced; negative on failure. Finish it with
 * h5u_commit_image(). */
hid_t h5u_create_memory(void);
/* Closes f (always) and, when its building went well (ok), writes its image to path
 * atomically with our own writes (temporary file, fsync, rename): a full disk is a
 * clean TR_EIO naming path, and HDF5 never holds a half-written file. */
tr_err h5u_commit_image(hid_t f, bool ok, const char *path, const char *what);

/* Writes a 1-D (cols == 0) or 2-D dataset, creating intermediate groups. */
herr_t h5u_put_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, hsize_t rows,
                     hsize_t cols, const void *data);
/* Reads a whole dataset that must hold exactly n elements. */
bool h5u_get_array(hid_t loc, const char *name, hid_t mem_type, size_t n, void *out);

/* A scalar variable-length UTF-8 string attribute. */
herr_t h5u_put_string_attr(hid_t obj, const char *name, const char *value);
/* Copies the string attribute into out (truncated to len); false when absent. */
bool h5u_get_string_attr(hid_t obj, const char *name, char *out, size_t len);
/* A string attribute of any length (malloc'd; NULL when absent). */
char *h5u_get_string_attr_dup(hid_t obj, const char *name);

/* n longs as a 1-D attribute (scalar: one value as a scalar attribute). */
herr_t h5u_put_longs_attr(hid_t obj, const char *name, const long *v, size_t n, bool scalar);
/* Reads up to max longs; returns the count, or -1 when absent or too many. */
long h5u_get_longs_attr(hid_t obj, const char *name, long *v, size_t max);

/* n strings as a 1-D variable-length UTF-8 string attribute (h5py reads it as a list);
 * TR_EHDF5 naming path on failure. */
tr_err h5u_put_strings_attr(hid_t obj, const char *name, char *const *v, size_t n, const char *path);
/* Reads the string array attribute name, which must hold n strings (fixed or variable
 * length), into *v (n malloc'd strings; free with h5u_free_strings). Absent: *v = NULL;
 * another count: *v = NULL and a warning naming path. */
tr_err h5u_get_strings_attr(hid_t obj, const char *name, size_t n, char ***v, const char *path);
void h5u_free_strings(char **v, size_t n);

/* A scalar float64 attribute; reading it is false when absent or unreadable. */
herr_t h5u_put_double_attr(hid_t obj, const char *name, double v);
bool h5u_get_double_attr(hid_t obj, const char *name, double *v);
#endif
