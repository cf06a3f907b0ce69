/* NumPy files: .npy (one array; the format of numpy.lib.format, versions 1.0, 2.0 and
 * 3.0) and .npz (a zip archive of .npy members, as numpy.savez and savez_compressed
 * write it, read with libzip). Features are a 2-D float32 or float64 array in C order;
 * labels a 1-D (or N x 1) array of any integer, bool or float type. A .npy is
 * memory-mapped and converted once into the data set's float32 matrix. */
#ifndef TR_NPY_H
#define TR_NPY_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "io/dataset.h"

/* A parsed .npy header. */
typedef struct {
  int major, minor;        /* format version */
  char byteorder;          /* '<', '>' or '|' ('=' is read as the machine's, little) */
  char kind;               /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool, 'U' unicode */
  size_t itemsize;         /* bytes per element (U: 4 per character) */
  bool fortran_order;
  size_t ndim;             /* 0, 1 or 2 */
  size_t shape[2];
  size_t data_offset;      /* bytes before the array data */
  size_t data_bytes;       /* shape product x itemsize */
} npy_header;

/* Parses the header at buf[0..len) (len: the bytes available, the file's size). The
 * dictionary is read as the spec writes it ('descr', 'fortran_order', 'shape', exactly
 * these keys; a Python literal of strings, True/False and a tuple of integers). TR_EINPUT
 * "path: ..." for a bad magic, an unknown version, a header longer than the file, a
 * malformed or incomplete dictionary, a structured or unsupported dtype, more than two
 * dimensions, or data shorter than the shape needs. */
tr_err npy_parse_header(const unsigned char *buf, size_t len, const char *path, npy_header *h);

/* Reads path (.npy, X) and its labels: y_dataset ending in ".npy" names the labels' file
 * (beside X unless it holds a '/'); any other y_dataset but "y" names <dir>/<y_dataset>.npy;
 * "y" or NULL takes X's file name with its first letter X or x made y (X_train.npy ->
 * y_train.npy) when that file exists, else no labels. TR_EINPUT naming the file at
 * fault (npy_parse_header's errors; X not 2-D float32/float64 in C order; labels not
 * 1-D numbers, or another row count). */
tr_err npy_read(const char *path, const char *y_dataset, ds_dataset **out);

/* Reads the arrays x_name and y_name (default "X" and "y"; the members <name>.npy) of the
 * .npz at path, and feature_names.npy (a 1-D unicode array) when present. No y member:
 * no labels. TR_EINPUT for a file that is not a zip archive, no x member (the members
 * are listed), a damaged member, and npy_read's checks. */
tr_err npz_read(const char *path, const char *x_name, const char *y_name, ds_dataset **out);
#endif
