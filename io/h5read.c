/* Reading HDF5 data files (/X and /y, as h5py and `tradeoff gen` write them) into a data
 * set. Reading is the hot path of every training run, so for the common layout (chunked,
 * deflate with or without shuffle, native float32/float64) the main thread pulls the raw
 * compressed chunks out of the file with H5Dread_chunk, in batches, while OpenMP threads
 * inflate the previous batch with zlib (through layout_unfilter) and scatter the rows
 * into the output. HDF5 (serial build) is only ever called from the calling thread; the
 * worker threads run zlib and memcpy only. Every other layout, filter or type
 * (contiguous, big-endian, integer X, szip, fletcher32, ...) is read by the fallback, a
 * plain hyperslab H5Dread that converts to float32. Integer X is accepted and converted
 * to float32. */
#define _GNU_SOURCE
#include "io/h5io.h"

#include <hdf5.h>
#include <omp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/checked.h"
#include "common/log.h"
#include "io/h5data.h"
#include "io/h5util.h"
#include "io/layout.h"

#define H5IO_BATCH_BYTES ((size_t)16 << 20) /* compressed bytes read per batch */
#define H5IO_FIRST_BATCH_BYTES ((size_t)1 << 20)

/* True when the chunk-by-chunk reader below can decode this dataset. */
static bool h5io_fast_ok(const h5data_layout *l) {
  if (l->layout != H5D_CHUNKED || l->other_filters) return false;
  if (!l->native_f32 && !l->native_f64) return false;
  if (l->shuffle_idx >= 0 && !l->shuffle_ok) return false;
  /* Writing applies filters in order: shuffle must have run before deflate. */
  if (l->shuffle_idx >= 0 && l->deflate_idx >= 0 && l->shuffle_idx > l->deflate_idx) return false;
  return l->chunk[0] > 0 && l->chunk[1] > 0;
}

/* ---------------------------------------------------------------- parallel chunk reader */

typedef struct {
  hsize_t off[2]; /* chunk origin (row, column) */
  hsize_t nbytes; /* stored (compressed) size */
  size_t pos;     /* offset in its batch buffer */
  uint32_t mask;  /* filters skipped for this chunk */
} h5io_chunk;

typedef struct {
  const h5data_layout *l;
  hsize_t r0, r1, cols; /* output rows [r0, r1) of X, all columns */
  size_t chunk_bytes;
  float *out;
} h5io_fast;

/* Decodes one chunk and copies its rows within [r0, r1) into the output: TR_OK, or
 * TR_EINPUT (corrupt data) or TR_ENOMEM, unrecorded (runs on the worker threads). */
static tr_err h5io_decode(const h5io_fast *f, layout_scratch *w, const h5io_chunk *c,
                          const unsigned char *src) {
  const h5data_layout *l = f->l;
  hsize_t cr = l->chunk[0], cc = l->chunk[1], row0 = c->off[0], col0 = c->off[1];
  hsize_t i0 = (row0 < f->r0 ? f->r0 : row0) - row0;
  hsize_t i1 = (row0 + cr > f->r1 ? f->r1 : row0 + cr) - row0;
  hsize_t ncol = col0 + cc > f->cols ? f->cols - col0 : cc;
  bool inflating = l->deflate_idx >= 0 && !(c->mask & (1u << l->deflate_idx));
  bool unshuffling = l->shuffle_idx >= 0 && !(c->mask & (1u << l->shuffle_idx));
  /* A float32 chunk of whole rows inside the range inflates straight into place. */
  bool direct = l->native_f32 && cc == f->cols && i0 == 0 && i1 == cr && !unshuffling;
  void *dst = direct ? f->out + (row0 - f->r0) * f->cols : NULL;
  const void *decoded;
  tr_err rc = layout_unfilter(w, src, (size_t)c->nbytes, f->chunk_bytes, l->elsize, inflating,
                              unshuffling, dst, &decoded);
  if (rc != TR_OK || decoded == dst) return rc;
  const unsigned char *data = decoded;
  float *out = f->out + (row0 + i0 - f->r0) * f->cols + col0;
  if (l->native_f32) {
    const float *s = (const float *)data + i0 * cc;
    if (ncol == 1) {
      for (hsize_t i = i0; i < i1; i++, s += cc, out += f->cols) out[0] = s[0];
    } else if (ncol == 2) {
      for (hsize_t i = i0; i < i1; i++, s += cc, out += f->cols) {
        out[0] = s[0];
        out[1] = s[1];
      }
    } else {
      for (hsize_t i = i0; i < i1; i++, s += cc, out += f->cols)
        memcpy(out, s, ncol * sizeof(float));
    }
  } else {
    const double *s = (const double *)data + i0 * cc;
    for (hsize_t i = i0; i < i1; i++, s += cc, out += f->cols)
      for (hsize_t j = 0; j < ncol; j++) out[j] = (float)s[j];
  }
  return TR_OK;
}

/* Main thread only: reads the raw chunks [first, end) into buf. */
static bool h5io_read_batch(hid_t dset, h5io_chunk *ch, size_t first, size_t end,
                            unsigned char *buf) {
  for (size_t k = first; k < end; k++) {
    uint32_t mask = 0;
    if (H5Dread_chunk(dset, H5P_DEFAULT, ch[k].off, &mask, buf + ch[k].pos) < 0) return false;
    ch[k].mask = mask;
  }
  return true;
}

/* Reads rows [r0, r0+n) of a chunked X with the parallel decoder. Sets *handled false
 * (and reads nothing) when some chunk is not stored (fill values): the caller falls back. */
static tr_err h5io_read_fast(const char *path, const char *name, hid_t x, const h5data_layout *l,
                             hsize_t r0, hsize_t n, hsize_t cols, int threads, float *out,
                             bool *handled) {
  *handled = false;
  hsize_t cr = l->chunk[0], cc = l->chunk[1];
  hsize_t ci0 = r0 / cr, ci1 = (r0 + n - 1) / cr + 1, ncj = (cols + cc - 1) / cc;
  if (cr > SIZE_MAX / cc / l->elsize || cr * cc * l->elsize > UINT32_MAX) return TR_OK;
  size_t nch = (size_t)((ci1 - ci0) * ncj), chunk_bytes = (size_t)(cr * cc * l->elsize);
  h5io_chunk *ch = calloc(nch ? nch : 1, sizeof *ch);
  size_t *batch = calloc(nch + 1, sizeof *batch); /* batch b = chunks [batch[b], batch[b+1]) */
  unsigned char *buf[2] = {NULL, NULL};
  layout_scratch **w = NULL; /* one per thread, made by the thread */
  int nt = 0;
  tr_err rc = TR_OK;
  if (!ch || !batch) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  hsize_t fsize = 0;
  hid_t fid = H5Iget_file_id(x);
  if (fid < 0 || H5Fget_filesize(fid, &fsize) < 0) fsize = (hsize_t)-1; /* no check */
  h5u_close(&fid);
  /* Chunks in row-block order (keeps the output rows being filled in cache); each
   * batch holds about H5IO_BATCH_BYTES of compressed data. */
  size_t nbatch = 0, fill = 0, cap = 0, k = 0;
  for (hsize_t ci = ci0; ci < ci1; ci++) {
    for (hsize_t cj = 0; cj < ncj; cj++, k++) {
      h5io_chunk *c = &ch[k];
      c->off[0] = ci * cr;
      c->off[1] = cj * cc;
      if (H5Dget_chunk_storage_size(x, c->off, &c->nbytes) < 0 || c->nbytes == 0) goto done;
      /* A corrupt chunk index can claim any size; no chunk is larger than the file
       * (found by fuzz_h5io: a 4 GiB buffer for a 48 KiB file). */
      if (c->nbytes > fsize) {
        rc = tr_error_set(TR_EINPUT, path,
                          "corrupt chunk index of '%s': the chunk at row %llu, column %llu "
                          "claims %llu bytes, more than the file holds",
                          name, (unsigned long long)c->off[0], (unsigned long long)c->off[1],
                          (unsigned long long)c->nbytes);
        goto done;
      }
      size_t need = ((size_t)c->nbytes + 63) / 64 * 64;
      /* The first batch is read before any thread can start: keep it small. */
      if (k == 0 || fill + need > (nbatch == 1 ? H5IO_FIRST_BATCH_BYTES : H5IO_BATCH_BYTES)) {
        batch[nbatch++] = k;
        fill = 0;
      }
      c->pos = fill;
      fill += need;
      if (fill > cap) cap = fill;
    }
  }
  batch[nbatch] = nch;
  *handled = true;

  nt = threads > 0 ? threads : omp_get_max_threads();
  if ((size_t)nt > nch) nt = (int)nch;
  if (nt < 1) nt = 1;
  buf[0] = malloc(cap);
  buf[1] = nbatch > 1 ? malloc(cap) : NULL;
  w = calloc((size_t)nt, sizeof *w);
  if (!buf[0] || (nbatch > 1 && !buf[1]) || !w) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  h5io_fast f = {l, r0, r0 + n, cols, chunk_bytes, out};
  int stop = 0;            /* 1: HDF5 failed, 2: a chunk did not decode, 3: no memory */
  size_t bad = (size_t)-1; /* the first chunk that failed */
  if (!h5io_read_batch(x, ch, batch[0], batch[1], buf[0])) {
    stop = 1;
    bad = batch[0];
  }
#pragma omp parallel num_threads(nt)
  {
    layout_scratch **me = &w[omp_get_thread_num()];
    for (size_t b = 0; b < nbatch; b++) {
      /* The calling thread (the only one allowed into HDF5) reads the next batch into
       * the other buffer, then joins the decoding of this one. */
#pragma omp master
      {
        int s;
#pragma omp atomic read
        s = stop;
        if (b + 1 < nbatch && !s &&
            !h5io_read_batch(x, ch, batch[b + 1], batch[b + 2], buf[(b + 1) & 1])) {
#pragma omp critical(h5io_fail)
          if (!stop) {
            bad = batch[b + 1];
#pragma omp atomic write
            stop = 1;
          }
        }
      }
#pragma omp for schedule(dynamic, 1)
      for (size_t i = batch[b]; i < batch[b + 1]; i++) {
        int s;
#pragma omp atomic read
        s = stop;
        if (s) continue;
        if (!*me) *me = layout_scratch_new(NULL);
        tr_err drc = *me ? h5io_decode(&f, *me, &ch[i], buf[b & 1] + ch[i].pos) : TR_ENOMEM;
        if (drc != TR_OK) {
#pragma omp critical(h5io_fail)
          if (!stop) {
            bad = i;
#pragma omp atomic write
            stop = drc == TR_ENOMEM ? 3 : 2;
          }
        }
      }
    }
  }
  if (stop == 1)
    rc = tr_error_set(TR_EHDF5, path, "cannot read the chunk of '%s' at row %llu, column %llu",
                      name, (unsigned long long)ch[bad].off[0], (unsigned long long)ch[bad].off[1]);
  else if (stop == 2)
    rc = tr_error_set(TR_EINPUT, path, "corrupt compressed chunk of '%s' at row %llu, column %llu",
                      name, (unsigned long long)ch[bad].off[0], (unsigned long long)ch[bad].off[1]);
  else if (stop == 3)
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
done:
  if (w)
    for (int t = 0; t < nt; t++) layout_scratch_free(&w[t]);
  free(w);
  free(buf[0]);
  free(buf[1]);
  free(batch);
  free(ch);
  return rc;
}

/* Rows [r0, r0+n) of X as float32, through the fast reader when it applies. */
static tr_err h5io_read_x(const char *path, const char *name, hid_t x, hsize_t r0, hsize_t n,
                          hsize_t cols, int threads, float *out) {
  h5data_layout l;
  tr_err rc = h5data_get_layout(path, name, x, &l);
  if (rc != TR_OK) return rc;
  if (h5io_fast_ok(&l)) {
    bool handled;
    rc = h5io_read_fast(path, name, x, &l, r0, n, cols, threads, out, &handled);
    if (rc != TR_OK || handled) return rc;
    log_debug("%s: '%s' has unallocated chunks, reading it through H5Dread", path, name);
  }
  return h5data_read_slab(path, name, x, 2, r0, n, cols, H5T_NATIVE_FLOAT, out);
}

/* ---------------------------------------------------------------- read */

/* Asks for transparent huge pages on a large buffer about to be filled: 512 times fewer
 * page faults (the kernel default on many systems is madvise-only). A hint: errors are
 * ignored. */
static void h5io_huge_pages(void *p, size_t bytes) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (!p || bytes < 4 * huge) return;
  uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

/* As ds_new(), but X is not zero-filled: every element is about to be overwritten, and
 * leaving the pages untouched lets the decoding threads fault them in in parallel
 * (zero-filling 100 MB serially costs more than a tenth of a fast read). */
static ds_dataset *h5io_new_dataset(const char *path, size_t rows, size_t cols, bool with_y) {
  size_t bytes;
  if (!checked_mul3(rows, cols, sizeof(float), &bytes) || !checked_add(bytes, 63, &bytes)) {
    tr_error_set(TR_ENOMEM, path, "%zu x %zu is too large", rows, cols);
    return NULL;
  }
  ds_dataset *d = calloc(1, sizeof *d);
  bytes = bytes / 64 * 64;
  if (d) {
    d->rows = rows;
    d->cols = cols;
    d->X = aligned_alloc(64, bytes); /* freed by ds_free() with free() */
    h5io_huge_pages(d->X, bytes);
    d->y = with_y ? ds_alloc_floats(rows) : NULL;
  }
  if (!d || !d->X || (with_y && !d->y)) {
    ds_free(&d);
    tr_error_set(TR_ENOMEM, path, "out of memory for %zu x %zu values", rows, cols);
    return NULL;
  }
  return d;
}

tr_err h5io_read(const char *path, const h5io_read_opts *opts, ds_dataset **out) {
  h5io_read_opts o = opts ? *opts : (h5io_read_opts){0};
  const char *xn = o.x_name ? o.x_name : "X", *yn = o.y_name ? o.y_name : "y";
  hid_t file = H5I_INVALID_HID, x = H5I_INVALID_HID, y = H5I_INVALID_HID;
  ds_dataset *d = NULL;
  char **names = NULL;
  hsize_t rows = 0, cols = 0;
  int yrank = 0;
  tr_err rc;
  *out = NULL;
  if ((rc = h5data_open_xy(path, xn, yn, &file, &x, &y, &rows, &cols, &yrank)) != TR_OK) goto done;

  if (o.row_start > rows) {
    rc = tr_error_set(TR_EINPUT, path, "first row %zu is past the end of '%s' (%llu rows)",
                      o.row_start, xn, (unsigned long long)rows);
    goto done;
  }
  if (o.row_count > rows - o.row_start) {
    rc = tr_error_set(TR_EINPUT, path, "rows %zu to %zu run past the end of '%s' (%llu rows)",
                      o.row_start, o.row_start + o.row_count - 1, xn, (unsigned long long)rows);
    goto done;
  }
  hsize_t n = o.row_count ? o.row_count : rows - o.row_start;
  if (n == 0) {
    rc = tr_error_set(TR_EINPUT, path, "empty row range: '%s' has %llu rows, starting at %zu", xn,
                      (unsigned long long)rows, o.row_start);
    goto done;
  }
  if (!(d = h5io_new_dataset(path, (size_t)n, (size_t)cols, y >= 0))) {
    rc = TR_ENOMEM;
    goto done;
  }
  if ((rc = h5io_read_x(path, xn, x, o.row_start, n, cols, o.threads, d->X)) != TR_OK) goto done;
  if (y >= 0) {
    double *yv = malloc((size_t)n * sizeof *yv);
    if (!yv) {
      rc = tr_error_set(TR_ENOMEM, path, "out of memory");
      goto done;
    }
    rc = h5data_read_y(path, yn, y, yrank, o.row_start, n, yv);
    for (hsize_t i = 0; i < n && rc == TR_OK; i++) d->y[i] = (float)yv[i];
    free(yv);
    if (rc != TR_OK) goto done;
  }
  if ((rc = h5data_get_names(path, x, cols, &names)) != TR_OK) goto done;
  if (names) rc = ds_set_feature_names(d, (const char *const *)names);
done:
  h5data_free_names(names, cols);
  h5u_close(&y);
  h5u_close(&x);
  h5u_close(&file);
  if (rc == TR_OK)
    *out = d;
  else
    ds_free(&d);
  return rc;
}

tr_err h5io_shape_of(const char *path, const char *x_name, size_t *rows, size_t *cols) {
  const char *xn = x_name ? x_name : "X";
  hid_t file = H5I_INVALID_HID, x = H5I_INVALID_HID;
  hsize_t r = 0, c = 0;
  tr_err rc = h5u_open(path, &file);
  if (rc == TR_OK) rc = h5data_open_dataset(path, file, xn, true, &x);
  if (rc == TR_OK) rc = h5data_check_x(path, xn, x, &r, &c);
  h5u_close(&x);
  h5u_close(&file);
  *rows = (size_t)r;
  *cols = (size_t)c;
  return rc;
}
