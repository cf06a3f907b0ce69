/* Writing a data set as an HDF5 data file: /X (float32, chunked, gzip or not), /y and
 * the feature_names attribute, in a file format h5py reads. Deflated chunks are
 * compressed by OpenMP threads and stored with H5Dwrite_chunk. libhdf5 creates the file
 * itself, under a fixed name in a private directory next to the target (tr_tmp_dir:
 * nothing planted there can be followed), and it is renamed into place, so no partial
 * file is ever visible. */
#define _GNU_SOURCE
#include "io/h5io.h"

#include <errno.h>
#include <hdf5.h>
#include <omp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/atomic_file.h"
#include "io/h5util.h"

/* Writes full-width row chunks of buf (rows x cols) compressed in parallel: OpenMP
 * threads deflate a batch of chunks with zlib (the format of HDF5's deflate filter) while
 * only this thread calls HDF5, storing each with H5Dwrite_chunk. Edge chunks are padded
 * with zeros to the full chunk size, as HDF5 stores them. */
static tr_err h5io_write_deflated(const char *path, hid_t ds, const char *name, hsize_t rows,
                                  hsize_t cols, hsize_t chunk_rows, int level, const float *buf) {
  size_t chunk_bytes = (size_t)(chunk_rows * cols) * sizeof(float);
  size_t n_chunks = (size_t)((rows + chunk_rows - 1) / chunk_rows);
  size_t batch = (size_t)omp_get_max_threads() * 4;
  uLong bound = compressBound((uLong)chunk_bytes);
  unsigned char *out = malloc(batch * bound);
  uLongf *sizes = malloc(batch * sizeof *sizes);
  float *edge = malloc(chunk_bytes);
  tr_err rc = TR_OK;
  if (!out || !sizes || !edge) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  for (size_t first = 0; rc == TR_OK && first < n_chunks; first += batch) {
    size_t count = n_chunks - first < batch ? n_chunks - first : batch;
    int zfail = 0;
#pragma omp parallel for schedule(dynamic) reduction(| : zfail)
    for (size_t k = 0; k < count; k++) {
      size_t c = first + k;
      hsize_t start = (hsize_t)c * chunk_rows;
      hsize_t have = rows - start < chunk_rows ? rows - start : chunk_rows;
      const float *src = buf + start * cols;
      if (have < chunk_rows) { /* at most one edge chunk, the last one */
        memset(edge, 0, chunk_bytes);
        memcpy(edge, src, (size_t)(have * cols) * sizeof(float));
        src = edge;
      }
      sizes[k] = bound;
      zfail |= compress2(out + k * bound, &sizes[k], (const Bytef *)src, (uLong)chunk_bytes,
                         level) != Z_OK;
    }
    if (zfail) {
      rc = tr_error_set(TR_ENOMEM, path, "zlib could not compress a chunk of '%s'", name);
      break;
    }
    for (size_t k = 0; k < count && rc == TR_OK; k++) {
      hsize_t offset[2] = {(hsize_t)(first + k) * chunk_rows, 0};
      if (H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, (size_t)sizes[k], out + k * bound) < 0)
        rc = tr_error_set(TR_EIO, path, "cannot write dataset '%s' (disk full?)", name);
    }
  }
  free(out);
  free(sizes);
  free(edge);
  return rc;
}

/* Creates a chunked float32 dataset (rank 1 or 2) and writes buf into it. */
static tr_err h5io_write_dataset(const char *path, hid_t file, const char *name, int rank,
                                 const hsize_t dims[2], hsize_t chunk_rows, int deflate,
                                 const float *buf, hid_t *out) {
  hid_t space = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  tr_err rc = TR_OK;
  *out = H5I_INVALID_HID;
  hsize_t chunk[2] = {chunk_rows, rank == 2 ? dims[1] : 1};
  bool chunked = dims[0] > 0 && (rank == 1 || dims[1] > 0);
  if (space < 0 || dcpl < 0 || (chunked && H5Pset_chunk(dcpl, rank, chunk) < 0) ||
      (chunked && deflate > 0 && H5Pset_deflate(dcpl, (unsigned)deflate) < 0)) {
    rc = tr_error_set(TR_EHDF5, path, "cannot set up dataset '%s'", name);
    goto done;
  }
  *out = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (*out < 0) {
    rc = tr_error_set(TR_EHDF5, path, "cannot create dataset '%s'", name);
    goto done;
  }
  if (chunked && deflate > 0 && H5Tequal(H5T_NATIVE_FLOAT, H5T_IEEE_F32LE) > 0)
    rc = h5io_write_deflated(path, *out, name, dims[0], rank == 2 ? dims[1] : 1, chunk_rows,
                             deflate, buf);
  else if (chunked && H5Dwrite(*out, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    rc = tr_error_set(TR_EIO, path, "cannot write dataset '%s' (disk full?)", name);
done:
  h5u_close(&dcpl);
  h5u_close(&space);
  return rc;
}

tr_err h5io_write(const char *path, const ds_dataset *d, const h5io_write_opts *opts) {
  h5io_write_opts o = opts ? *opts : (h5io_write_opts){0};
  h5u_quiet();
  if (o.deflate < 0 || o.deflate > 9)
    return tr_error_set(TR_ECONFIG, path, "deflate level %d is not in 0-9", o.deflate);
  if (!d || (d->rows && d->cols && !d->X))
    return tr_error_set(TR_EINTERNAL, path, "no data to write");
  size_t row_bytes = d->cols * sizeof(float);
  hsize_t chunk_rows =
      o.chunk_rows ? o.chunk_rows : (row_bytes ? ((size_t)1 << 20) / row_bytes : 1);
  if (chunk_rows < 1) chunk_rows = 1;
  if (chunk_rows > d->rows) chunk_rows = d->rows ? d->rows : 1;
  if (row_bytes && chunk_rows > (UINT32_MAX - 1) / row_bytes)
    return tr_error_set(TR_EINPUT, path, "chunks of %llu rows x %zu features exceed 4 GiB",
                        (unsigned long long)chunk_rows, d->cols);

  char *tmp_dir = NULL, *tmp = NULL;
  tr_err rc = tr_tmp_dir(path, &tmp_dir);
  if (rc != TR_OK) return rc;
  if (asprintf(&tmp, "%s/data.h5", tmp_dir) < 0) {
    tr_tmp_dir_remove(tmp_dir);
    free(tmp_dir);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  hid_t file = H5I_INVALID_HID, x = H5I_INVALID_HID, y = H5I_INVALID_HID;
  errno = 0;
  /* the HDF5 1.8 file format at least: it stores attributes larger than 64 KiB (the
     feature names of a few thousand features) densely; h5py reads it */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) >= 0)
    file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
  h5u_close(&fapl);
  if (file < 0) {
    int e = errno;
    rc = tr_error_set(TR_EIO, path, "cannot create: %s",
                      e ? strerror(e) : "HDF5 could not create the file");
    goto done;
  }
  hsize_t dims[2] = {d->rows, d->cols};
  if ((rc = h5io_write_dataset(path, file, "X", 2, dims, chunk_rows, o.deflate, d->X, &x)))
    goto done;
  if (d->y && (rc = h5io_write_dataset(path, file, "y", 1, dims, chunk_rows, o.deflate, d->y, &y)))
    goto done;
  if (d->feature_names && d->cols &&
      (rc = h5u_put_strings_attr(x, "feature_names", d->feature_names, d->cols, path)) != TR_OK)
    goto done;
  h5u_close(&y);
  h5u_close(&x);
  errno = 0;
  if (H5Fclose(file) < 0) {
    int e = errno;
    file = H5I_INVALID_HID;
    rc = tr_error_set(TR_EIO, path, "cannot finish writing: %s", e ? strerror(e) : "disk full?");
    goto done;
  }
  file = H5I_INVALID_HID;
  rc = tr_rename_durable(tmp, path);
done:
  h5u_close(&y);
  h5u_close(&x);
  h5u_close(&file);
  tr_tmp_dir_remove(tmp_dir); /* and what libhdf5 left in it after a failure */
  free(tmp_dir);
  free(tmp);
  return rc;
}
