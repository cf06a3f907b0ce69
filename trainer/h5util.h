/* Small HDF5 helpers for the trainer's own files (model.h5, checkpoint.h5): whole
 * datasets and scalar/array attributes. Each returns a negative value (herr_t) or false
 * on failure; callers turn that into an error with the file's path. */
#ifndef TR_H5UTIL_H
#define TR_H5UTIL_H
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* A new HDF5 file in memory (core driver, no backing store) to build a model or
 * checkpoint in; negative on failure. Finish it with h5u_commit_image(). */
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

herr_t h5u_put_string_attr(hid_t obj, const char *name, const char *value);
/* Copies the string attribute into out (truncated to len); false when absent. */
bool h5u_get_string_attr(hid_t obj, const char *name, char *out, size_t len);
/* A string attribute of any length (malloc'd; NULL when absent). */
char *h5u_get_string_attr_dup(hid_t obj, const char *name);

/* n longs as a 1-D attribute (scalar: one value as a scalar attribute). */
herr_t h5u_put_longs_attr(hid_t obj, const char *name, const long *v, size_t n, bool scalar);
/* Reads up to max longs; returns the count, or -1 when absent or too many. */
long h5u_get_longs_attr(hid_t obj, const char *name, long *v, size_t max);

herr_t h5u_put_double_attr(hid_t obj, const char *name, double v);
bool h5u_get_double_attr(hid_t obj, const char *name, double *v);
#endif
