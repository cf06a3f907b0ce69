/* The storage layout of X, the feature matrix of an HDF5 data set (one file or a set of
 * shards), for a loader that reads X itself by byte ranges through an emulated object
 * store or file system rather than through libhdf5. Opening asks libhdf5 for metadata
 * only: X's shape, element type, filter pipeline, and where its bytes are (the address
 * of a contiguous X, or every chunk's address, stored size and filter mask, kept as a
 * row-major chunk grid per file; HDF5 1.10 tells chunk addresses quickly only through a
 * small probing file driver, see "chunk addresses"). From that, layout_plan turns a
 * batch of global rows into the byte ranges (extents) to read, without calling HDF5, and
 * layout_decode turns the bytes read back into float32 rows: float64 converted, deflate
 * inflated, shuffle undone. The chunk decoding (layout_unfilter) is also the one
 * io/h5io.c's parallel reader uses. */
#define _GNU_SOURCE
#include "io/layout.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "io/files.h"
#include "io/h5data.h"
#include "io/h5util.h"

typedef struct {
  uint64_t addr, size; /* absolute byte offset in the file, stored bytes */
  uint32_t mask;       /* filters skipped when the chunk was written */
} lay_chunk;

typedef struct {
  char *path;          /* NULL for a synthetic layout */
  uint64_t file_bytes; /* size of the file */
  uint64_t row0, rows; /* global first row, rows in the file */
  size_t elsize;       /* 4 (float32) or 8 (float64), little-endian */
  uint64_t data_bytes; /* X's bytes as stored */
  bool chunked;
  uint64_t offset;       /* contiguous: X's first byte */
  uint64_t crows, ccols; /* chunked: chunk shape */
  size_t nrc, ncc;       /* chunked: chunk grid (rows x columns of chunks) */
  lay_chunk *chunk;      /* chunked: nrc * ncc, row-major */
  int deflate_idx;       /* position in the filter pipeline, -1 when absent */
  int shuffle_idx;
} lay_file;

struct layout {
  lay_file *f;
  size_t nfiles, cols;
  uint64_t rows, data_bytes;
  size_t max_chunk_bytes; /* decoded size of the largest chunk (0: none) */
};

typedef struct {
  uint64_t row;
  size_t pos; /* position in the batch */
} lay_pair;

struct layout_scratch {
  z_stream zs;
  bool zs_ready;
  unsigned char *a, *b; /* decoding buffers of cap bytes each */
  size_t cap;
  /* The last batch decoded (when large): a copy of its rows and its (row, position)
   * pairs sorted by row, so each extent finds its rows by binary search. */
  uint64_t *batch;
  lay_pair *sorted;
  size_t batch_n, batch_cap;
};

/* Batches smaller than this are scanned whole for each extent. */
#define LAY_INDEX_MIN 64

/* ---------------------------------------------------------------- chunk decoding */

static bool lay_grow(layout_scratch *s, size_t bytes) {
  if (bytes <= s->cap) return true;
  unsigned char *a = malloc(bytes), *b = malloc(bytes);
  if (!a || !b) {
    free(a);
    free(b);
    return false;
  }
  free(s->a);
  free(s->b);
  s->a = a;
  s->b = b;
  s->cap = bytes;
  return true;
}

/* Inflates a zlib stream of n bytes into exactly cap bytes at dst. */
static bool lay_inflate(layout_scratch *s, const unsigned char *src, size_t n, unsigned char *dst,
                        size_t cap) {
  if (!s->zs_ready) {
    memset(&s->zs, 0, sizeof s->zs);
    if (inflateInit(&s->zs) != Z_OK) return false;
    s->zs_ready = true;
  } else if (inflateReset(&s->zs) != Z_OK) {
    return false;
  }
  s->zs.next_in = (unsigned char *)src;
  s->zs.avail_in = (uInt)n;
  s->zs.next_out = dst;
  s->zs.avail_out = (uInt)cap;
  int zrc = inflate(&s->zs, Z_FINISH);
  return zrc == Z_STREAM_END && s->zs.total_out == cap;
}

/* Undoes the HDF5 shuffle filter: byte b of element i was stored at b*count + i. */
static void lay_unshuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t es) {
  size_t n = bytes / es;
  if (es == 4) {
    const unsigned char *p0 = in, *p1 = in + n, *p2 = in + 2 * n, *p3 = in + 3 * n;
    for (size_t i = 0; i < n; i++) {
      out[4 * i] = p0[i];
      out[4 * i + 1] = p1[i];
      out[4 * i + 2] = p2[i];
      out[4 * i + 3] = p3[i];
    }
  } else {
    for (size_t b = 0; b < es; b++) {
      const unsigned char *p = in + b * n;
      for (size_t i = 0; i < n; i++) out[i * es + b] = p[i];
    }
  }
  memcpy(out + n * es, in + n * es, bytes - n * es); /* a partial element stays as is */
}

tr_err layout_unfilter(layout_scratch *s, const void *src, size_t n, size_t bytes, size_t es,
                       bool inflate, bool unshuffle, void *dst, const void **out) {
  const unsigned char *data = src;
  *out = NULL;
  if (!inflate && !unshuffle) {
    if (n != bytes) return TR_EINPUT;
    *out = src;
    return TR_OK;
  }
  if (!lay_grow(s, bytes)) return TR_ENOMEM;
  if (inflate) {
    if (n > UINT_MAX || bytes > UINT_MAX) return TR_EINPUT; /* HDF5 chunks are < 4 GiB */
    unsigned char *to = dst && !unshuffle ? dst : s->a;
    if (!lay_inflate(s, data, n, to, bytes)) return TR_EINPUT;
    data = to;
  } else if (n != bytes) {
    return TR_EINPUT;
  }
  if (unshuffle) {
    unsigned char *to = data == s->a ? s->b : s->a;
    lay_unshuffle(data, to, bytes, es ? es : 1);
    data = to;
  }
  *out = data;
  return TR_OK;
}

layout_scratch *layout_scratch_new(const layout *L) {
  layout_scratch *s = calloc(1, sizeof *s);
  if (s && L && !lay_grow(s, L->max_chunk_bytes)) layout_scratch_free(&s);
  return tr_check_alloc(s, "decoding scratch");
}

void layout_scratch_free(layout_scratch **s) {
  if (!*s) return;
  if ((*s)->zs_ready) inflateEnd(&(*s)->zs);
  free((*s)->a);
  free((*s)->b);
  free((*s)->batch);
  free((*s)->sorted);
  free(*s);
  *s = NULL;
}

/* ---------------------------------------------------------------- opening */

/* libhdf5 before 1.14.4 reports chunk addresses without the user block (HDF5 issue
 * #3003, fixed by PR #4236); H5Dget_offset has always included it. */
static bool lay_chunk_addr_relative(void) {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return maj < 1 || (maj == 1 && (min < 14 || (min == 14 && rel < 4)));
}

/* "float32", "big-endian float64", "int32", ... */
static void lay_type_name(hid_t x, char *buf, size_t cap) {
  hid_t type = H5Dget_type(x);
  H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
  size_t bits = type < 0 ? 0 : 8 * H5Tget_size(type);
  const char *order = type >= 0 && H5Tget_order(type) == H5T_ORDER_BE ? "big-endian " : "";
  if (cls == H5T_INTEGER)
    snprintf(buf, cap, "%s%sint%zu", order, H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
  else if (cls == H5T_FLOAT)
    snprintf(buf, cap, "%sfloat%zu", order, bits);
  else
    snprintf(buf, cap, "a non-numeric type");
  h5u_close(&type);
}

/* ---------------------------------------------------------------- chunk addresses */

/* libhdf5 1.10 finds a chunk's address (H5Dget_chunk_info_by_coord) by iterating over
 * the chunks until it meets it: O(chunks) a call, O(chunks^2) a file (12 s for 40,000
 * chunks). H5Dread_chunk instead looks the chunk up in the index (O(log chunks)) and
 * reads it with one raw-data read of the virtual file driver. So layout_open opens the
 * file with a small read-only driver (below) whose raw-data reads, while armed, only note
 * their address (absolute: the user block included) and size: every chunk's address
 * from metadata alone, nothing of X read. HDF5 1.13 and later changed the driver
 * interface; there the chunks are located with H5Dget_chunk_info_by_coord. */
#if H5_VERS_MAJOR == 1 && H5_VERS_MINOR >= 10 && H5_VERS_MINOR <= 12
#define LAY_PROBE 1
#include <fcntl.h>
#include <unistd.h>

typedef struct {
  bool armed; /* note raw-data reads instead of reading */
  int reads;
  haddr_t addr;
  size_t size;
} lay_probe;

typedef struct {
  lay_probe *probe;
} lay_probe_info; /* the driver's part of the file access property list */

typedef struct {
  H5FD_t pub; /* first: the part HDF5 sees */
  int fd;
  dev_t dev;
  ino_t ino;
  haddr_t eoa, eof;
  lay_probe *probe;
} lay_probe_file;

static H5FD_t *lay_probe_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
  if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT | H5F_ACC_EXCL)) return NULL;
  const lay_probe_info *info = H5Pget_driver_info(fapl);
  lay_probe_file *f = NULL;
  struct stat st;
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  if (fstat(fd, &st) != 0 || !(f = calloc(1, sizeof *f))) {
    close(fd);
    return NULL;
  }
  f->fd = fd;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  f->eof = (haddr_t)st.st_size;
  f->probe = info ? info->probe : NULL;
  return &f->pub;
}

static herr_t lay_probe_close(H5FD_t *file) {
  lay_probe_file *f = (lay_probe_file *)file;
  int rc = close(f->fd);
  free(f);
  return rc == 0 ? 0 : -1;
}

static int lay_probe_cmp(const H5FD_t *a, const H5FD_t *b) {
  const lay_probe_file *x = (const lay_probe_file *)a, *y = (const lay_probe_file *)b;
  if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
  return (x->ino > y->ino) - (x->ino < y->ino);
}

static herr_t lay_probe_query(const H5FD_t *file, unsigned long *flags) {
  *flags = H5FD_FEAT_ACCUMULATE_METADATA; /* no data sieving: raw reads stay whole */
  return 0;
}

static haddr_t lay_probe_get_eoa(const H5FD_t *file, H5FD_mem_t type) {
  return ((const lay_probe_file *)file)->eoa;
}

static herr_t lay_probe_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr) {
  ((lay_probe_file *)file)->eoa = addr;
  return 0;
}

static haddr_t lay_probe_get_eof(const H5FD_t *file, H5FD_mem_t type) {
  return ((const lay_probe_file *)file)->eof;
}

static herr_t lay_probe_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                             void *buf) {
  lay_probe_file *f = (lay_probe_file *)file;
  if (type == H5FD_MEM_DRAW && f->probe && f->probe->armed) {
    f->probe->reads++;
    f->probe->addr = addr;
    f->probe->size = size;
    return 0;
  }
  unsigned char *p = buf;
  while (size > 0) {
    ssize_t got = pread(f->fd, p, size, (off_t)addr);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) { /* past the end of the file: zeros, as the sec2 driver does */
      memset(p, 0, size);
      break;
    }
    p += got;
    addr += (haddr_t)got;
    size -= (size_t)got;
  }
  return 0;
}

static herr_t lay_probe_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                              const void *buf) {
  return -1; /* read-only */
}

static const H5FD_class_t lay_probe_class = {
    .name = "tradeoff_layout_probe",
    .maxaddr = (haddr_t)INT64_MAX,
    .fc_degree = H5F_CLOSE_WEAK,
    .fapl_size = sizeof(lay_probe_info),
    .open = lay_probe_open,
    .close = lay_probe_close,
    .cmp = lay_probe_cmp,
    .query = lay_probe_query,
    .get_eoa = lay_probe_get_eoa,
    .set_eoa = lay_probe_set_eoa,
    .get_eof = lay_probe_get_eof,
    .read = lay_probe_read,
    .write = lay_probe_write,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

/* The probing driver, registered for one file (*driver to unregister after closing it),
 * in a new file access property list; -1 when HDF5 refuses (then *driver = -1 too). */
static hid_t lay_probe_fapl(lay_probe *probe, hid_t *driver) {
  lay_probe_info info = {probe};
  hid_t fapl = H5I_INVALID_HID;
  *driver = H5FDregister(&lay_probe_class);
  if (*driver >= 0 && (fapl = H5Pcreate(H5P_FILE_ACCESS)) >= 0 &&
      H5Pset_driver(fapl, *driver, &info) < 0)
    h5u_close(&fapl);
  if (fapl < 0 && *driver >= 0) {
    H5FDunregister(*driver);
    *driver = H5I_INVALID_HID;
  }
  return fapl;
}

/* The address of the stored chunk at off (size bytes): from the raw-data read of
 * H5Dread_chunk. False when that did not show it (the caller asks HDF5 directly). */
static bool lay_probe_chunk(lay_probe *probe, hid_t x, const hsize_t off[2], hsize_t size,
                            unsigned char **buf, size_t *cap, haddr_t *addr, unsigned *mask) {
  if (!probe || size == 0 || size > SIZE_MAX) return false;
  if (size > *cap) {
    unsigned char *grown = realloc(*buf, (size_t)size); /* never written: only noted */
    if (!grown) return false;
    *buf = grown;
    *cap = (size_t)size;
  }
  uint32_t m = 0;
  probe->armed = true;
  probe->reads = 0;
  herr_t e = H5Dread_chunk(x, H5P_DEFAULT, off, &m, *buf);
  probe->armed = false;
  if (e < 0 || probe->reads != 1 || probe->size != size) return false;
  *addr = probe->addr;
  *mask = m;
  return true;
}
#else
typedef struct lay_probe lay_probe; /* no probing driver */
#endif

/* The chunk grid of a chunked X with a pipeline of deflate and shuffle only. */
static tr_err lay_chunks(const char *path, const char *name, hid_t file, hid_t x,
                         const h5data_layout *hl, uint64_t cols, lay_probe *probe, lay_file *F) {
  if (hl->other_filters) {
    const char *f = hl->fletcher32 ? "fletcher32" : hl->other_name[0] ? hl->other_name : "?";
    return tr_error_set(TR_EINPUT, path,
                        "dataset '%s' uses the filter %s (id %d); reading by byte ranges "
                        "supports only deflate (gzip) and shuffle",
                        name, f, (int)hl->other_id);
  }
  if (hl->shuffle_idx >= 0 && !hl->shuffle_ok)
    return tr_error_set(TR_EINPUT, path, "dataset '%s': shuffle's element size is not %zu bytes",
                        name, hl->elsize);
  if (hl->shuffle_idx >= 0 && hl->deflate_idx >= 0 && hl->shuffle_idx > hl->deflate_idx)
    return tr_error_set(TR_EINPUT, path, "dataset '%s' applies shuffle after deflate", name);
  uint64_t cr = hl->chunk[0], cc = hl->chunk[1];
  if (cr == 0 || cc == 0 || cr > UINT32_MAX / cc / F->elsize)
    return tr_error_set(TR_EINPUT, path, "dataset '%s' has chunks of %llu x %llu values", name,
                        (unsigned long long)cr, (unsigned long long)cc);
  F->chunked = true;
  F->crows = cr;
  F->ccols = cc;
  F->deflate_idx = hl->deflate_idx;
  F->shuffle_idx = hl->shuffle_idx;
  F->nrc = (size_t)((F->rows + cr - 1) / cr);
  F->ncc = (size_t)((cols + cc - 1) / cc);
  if (F->nrc > INT32_MAX / F->ncc)
    return tr_error_set(TR_EINPUT, path, "dataset '%s' has more than 2^31 chunks", name);
  if (!(F->chunk = calloc(F->nrc * F->ncc + 1, sizeof *F->chunk)))
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  hsize_t base = 0; /* what H5Dget_chunk_info_by_coord's addresses lack */
  hid_t fcpl = lay_chunk_addr_relative() ? H5Fget_create_plist(file) : H5I_INVALID_HID;
  if (fcpl >= 0 && H5Pget_userblock(fcpl, &base) < 0) base = 0;
  h5u_close(&fcpl);
  unsigned char *buf = NULL;
  size_t cap = 0;
  tr_err rc = TR_OK;
  for (size_t k = 0; k < F->nrc * F->ncc && rc == TR_OK; k++) {
    hsize_t off[2] = {(hsize_t)(k / F->ncc) * cr, (hsize_t)(k % F->ncc) * cc}, size = 0;
    haddr_t addr = HADDR_UNDEF;
    unsigned mask = 0;
    bool found = false;
#ifdef LAY_PROBE
    found = H5Dget_chunk_storage_size(x, off, &size) >= 0 &&
            lay_probe_chunk(probe, x, off, size, &buf, &cap, &addr, &mask);
#endif
    if (!found) {
      if (H5Dget_chunk_info_by_coord(x, off, &mask, &addr, &size) < 0) {
        rc =
            tr_error_set(TR_EHDF5, path, "cannot locate the chunk of '%s' at row %llu, column %llu",
                         name, (unsigned long long)off[0], (unsigned long long)off[1]);
        break;
      }
      if (addr != HADDR_UNDEF) addr += base;
    }
    if (addr == HADDR_UNDEF || size == 0) {
      rc = tr_error_set(TR_EINPUT, path,
                        "the chunk of '%s' at row %llu, column %llu is not stored "
                        "(never written); rewrite the file with every chunk written",
                        name, (unsigned long long)off[0], (unsigned long long)off[1]);
      break;
    }
    lay_chunk *c = &F->chunk[k];
    c->addr = (uint64_t)addr;
    c->size = size;
    c->mask = mask;
    if (c->addr > F->file_bytes || c->size > F->file_bytes - c->addr)
      rc = tr_error_set(TR_EINPUT, path,
                        "corrupt chunk index of '%s': the chunk at row %llu, column %llu "
                        "lies past the end of the file",
                        name, (unsigned long long)off[0], (unsigned long long)off[1]);
    F->data_bytes += size;
  }
  free(buf);
  return rc;
}

/* Where X's bytes are in one file (F->path set); *cols = its column count. */
static tr_err lay_open_file(const char *name, lay_file *F, uint64_t *cols) {
  const char *path = F->path;
  hid_t file = H5I_INVALID_HID, x = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  hid_t fapl = H5I_INVALID_HID, driver = H5I_INVALID_HID;
  lay_probe *probe = NULL;
#ifdef LAY_PROBE
  lay_probe probing = {0};
  probe = &probing;
  fapl = lay_probe_fapl(probe, &driver);
  if (fapl < 0) probe = NULL;
#endif
  hsize_t rows = 0, ncols = 0;
  h5data_layout hl;
  char tname[48];
  struct stat st;
  tr_err rc;
  F->deflate_idx = F->shuffle_idx = -1;
  if ((rc = h5u_open_fapl(path, fapl, &file)) != TR_OK ||
      (rc = h5data_open_dataset(path, file, name, true, &x)) != TR_OK ||
      (rc = h5data_check_x(path, name, x, &rows, &ncols)) != TR_OK ||
      (rc = h5data_get_layout(path, name, x, &hl)) != TR_OK)
    goto done;
  if (!hl.native_f32 && !hl.native_f64) {
    lay_type_name(x, tname, sizeof tname);
    rc = tr_error_set(TR_EINPUT, path, "dataset '%s' is %s, not float32 or float64", name, tname);
    goto done;
  }
  if (stat(path, &st) != 0) {
    rc = tr_error_set(TR_EIO, path, "cannot stat: %s", strerror(errno));
    goto done;
  }
  F->file_bytes = (uint64_t)st.st_size;
  F->rows = rows;
  F->elsize = hl.elsize;
  *cols = ncols;
  if (ncols > UINT32_MAX || rows > UINT64_MAX / 8 / ncols) {
    rc = tr_error_set(TR_EINPUT, path, "dataset '%s' is too large (%llu x %llu)", name,
                      (unsigned long long)rows, (unsigned long long)ncols);
    goto done;
  }
  if (hl.layout == H5D_CHUNKED) {
    rc = lay_chunks(path, name, file, x, &hl, ncols, probe, F);
  } else if (hl.layout == H5D_CONTIGUOUS) {
    F->data_bytes = rows * ncols * hl.elsize;
    haddr_t addr = rows ? H5Dget_offset(x) : 0;
    if ((dcpl = H5Dget_create_plist(x)) < 0 || H5Pget_external_count(dcpl) != 0)
      rc = tr_error_set(TR_EINPUT, path, "dataset '%s' is stored in external files", name);
    else if (addr == HADDR_UNDEF)
      rc = tr_error_set(TR_EINPUT, path, "dataset '%s' has no storage (never written)", name);
    else if (addr > F->file_bytes || F->data_bytes > F->file_bytes - addr)
      rc = tr_error_set(TR_EINPUT, path, "dataset '%s' ends past the end of the file (truncated?)",
                        name);
    F->offset = addr;
  } else {
    rc = tr_error_set(TR_EINPUT, path,
                      "dataset '%s' uses %s storage; reading by byte ranges needs contiguous or "
                      "chunked storage",
                      name, hl.layout == H5D_COMPACT ? "compact" : "virtual");
  }
done:
  h5u_close(&dcpl);
  h5u_close(&x);
  h5u_close(&file);
  h5u_close(&fapl);
  if (driver >= 0) H5FDunregister(driver);
  return rc;
}

static void lay_sum(layout *L) {
  L->rows = L->data_bytes = 0;
  L->max_chunk_bytes = 0;
  for (size_t k = 0; k < L->nfiles; k++) {
    lay_file *F = &L->f[k];
    F->row0 = L->rows;
    L->rows += F->rows;
    L->data_bytes += F->data_bytes;
    size_t cb = F->chunked ? (size_t)(F->crows * F->ccols * F->elsize) : 0;
    if (cb > L->max_chunk_bytes) L->max_chunk_bytes = cb;
  }
}

tr_err layout_open(const char *path, const char *x_name, layout **out) {
  const char *name = x_name ? x_name : "X";
  char **paths = NULL;
  size_t n = 0;
  *out = NULL;
  tr_err rc = ds_list_files(path, &paths, &n);
  if (rc != TR_OK) return rc;
  layout *L = calloc(1, sizeof *L);
  if (!L || !(L->f = calloc(n, sizeof *L->f))) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  if (n > UINT32_MAX) {
    rc = tr_error_set(TR_EINPUT, path, "more than 2^32 files");
    goto done;
  }
  L->nfiles = n;
  for (size_t k = 0; k < n; k++) {
    lay_file *F = &L->f[k];
    uint64_t cols = 0;
    F->path = paths[k]; /* L's now */
    paths[k] = NULL;
    if ((rc = lay_open_file(name, F, &cols)) != TR_OK) goto done;
    if (k > 0 && cols != L->cols) {
      rc = tr_error_set(TR_EINPUT, F->path, "dataset '%s' has %llu columns, %s has %zu", name,
                        (unsigned long long)cols, L->f[0].path, L->cols);
      goto done;
    }
    L->cols = (size_t)cols;
  }
  lay_sum(L);
  if (L->rows == 0) rc = tr_error_set(TR_EINPUT, path, "dataset '%s' has no rows", name);
done:
  ds_free_files(&paths, n);
  if (rc != TR_OK)
    layout_free(&L);
  else
    *out = L;
  return rc;
}

layout *layout_synthetic(size_t files, size_t rows_per_file, size_t cols) {
  if (!files || !rows_per_file || !cols || files > UINT32_MAX || cols > UINT32_MAX ||
      rows_per_file > UINT64_MAX / 4 / cols / files) {
    tr_error_set(TR_EINPUT, NULL, "a synthetic layout of %zu x %zu x %zu is empty or too large",
                 files, rows_per_file, cols);
    return NULL;
  }
  layout *L = calloc(1, sizeof *L);
  if (L && !(L->f = calloc(files, sizeof *L->f))) layout_free(&L);
  if (!tr_check_alloc(L, "synthetic layout")) return NULL;
  L->nfiles = files;
  L->cols = cols;
  for (size_t k = 0; k < files; k++) {
    lay_file *F = &L->f[k];
    F->rows = rows_per_file;
    F->elsize = sizeof(float);
    F->data_bytes = F->file_bytes = (uint64_t)rows_per_file * cols * sizeof(float);
    F->deflate_idx = F->shuffle_idx = -1;
  }
  lay_sum(L);
  return L;
}

void layout_free(layout **L) {
  if (!*L) return;
  for (size_t k = 0; k < (*L)->nfiles; k++) {
    free((*L)->f[k].path);
    free((*L)->f[k].chunk);
  }
  free((*L)->f);
  free(*L);
  *L = NULL;
}

/* ---------------------------------------------------------------- queries */

size_t layout_rows(const layout *L) { return (size_t)L->rows; }
size_t layout_cols(const layout *L) { return L->cols; }
size_t layout_files(const layout *L) { return L->nfiles; }
const char *layout_file_path(const layout *L, size_t k) { return L->f[k].path; }
uint64_t layout_file_bytes(const layout *L, size_t k) { return L->f[k].file_bytes; }
uint64_t layout_file_row0(const layout *L, size_t k) { return L->f[k].row0; }
uint64_t layout_file_rows(const layout *L, size_t k) { return L->f[k].rows; }
bool layout_file_chunked(const layout *L, size_t k) { return L->f[k].chunked; }
uint64_t layout_data_bytes(const layout *L) { return L->data_bytes; }

/* Rows per block of file F and its number of blocks. */
static uint64_t lay_file_blocks(const layout *L, const lay_file *F, size_t block_bytes,
                                uint64_t *per) {
  if (F->chunked) {
    *per = F->crows;
    return F->nrc;
  }
  uint64_t r = block_bytes / (L->cols * F->elsize);
  *per = r ? r : 1;
  return (F->rows + *per - 1) / *per;
}

size_t layout_blocks(const layout *L, size_t block_bytes) {
  uint64_t n = 0, per;
  for (size_t k = 0; k < L->nfiles; k++) n += lay_file_blocks(L, &L->f[k], block_bytes, &per);
  return (size_t)n;
}

void layout_block_rows(const layout *L, size_t block_bytes, size_t b, uint64_t *r0, uint64_t *r1) {
  uint64_t left = b, per;
  for (size_t k = 0; k < L->nfiles; k++) {
    const lay_file *F = &L->f[k];
    uint64_t nb = lay_file_blocks(L, F, block_bytes, &per);
    if (left < nb) {
      *r0 = F->row0 + left * per;
      *r1 = F->row0 + (left * per + per < F->rows ? left * per + per : F->rows);
      return;
    }
    left -= nb;
  }
  *r0 = *r1 = L->rows; /* past the last block */
}

/* ---------------------------------------------------------------- planning */

static int lay_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int lay_cmp_extent(const void *a, const void *b) {
  const layout_extent *x = a, *y = b;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

/* The file holding global row r (< L->rows): the last file starting at or before r. */
static size_t lay_file_of(const layout *L, uint64_t r) {
  size_t lo = 0, hi = L->nfiles; /* answer in [lo, hi) */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (L->f[mid].row0 <= r)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

uint64_t layout_block_end(const layout *L, size_t block_bytes, uint64_t row) {
  if (row >= L->rows) return L->rows;
  const lay_file *F = &L->f[lay_file_of(L, row)];
  uint64_t per, loc = row - F->row0;
  lay_file_blocks(L, F, block_bytes, &per);
  uint64_t end = (loc / per + 1) * per;
  return F->row0 + (end < F->rows ? end : F->rows);
}

typedef struct {
  layout_extent *v;
  size_t n, cap;
} lay_list;

static bool lay_push(lay_list *l, layout_extent e) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    layout_extent *v = realloc(l->v, cap * sizeof *v);
    if (!v) return false;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = e;
  return true;
}

/* Chunks without filters, as wide as X, hold whole rows as raw bytes at fixed places: a
 * row is read alone rather than with its whole chunk. */
static bool lay_raw_chunks(const lay_file *F) {
  return F->chunked && F->ncc == 1 && F->deflate_idx < 0 && F->shuffle_idx < 0;
}

bool layout_file_row_reads(const layout *L, size_t k) {
  return !L->f[k].chunked || lay_raw_chunks(&L->f[k]);
}

tr_err layout_plan(const layout *L, const uint64_t *rows, size_t n, size_t max_bytes,
                   layout_extent **ext, size_t *n_ext) {
  *ext = NULL;
  *n_ext = 0;
  if (n == 0) return TR_OK;
  uint64_t *r = malloc(n * sizeof *r);
  lay_list out = {0};
  if (!r) return tr_error_set(TR_ENOMEM, NULL, "out of memory");
  memcpy(r, rows, n * sizeof *r);
  qsort(r, n, sizeof *r, lay_cmp_u64);
  if (r[n - 1] >= L->rows) {
    tr_err rc = tr_error_set(TR_EINTERNAL, NULL, "row %llu is past the end of the data (%llu rows)",
                             (unsigned long long)r[n - 1], (unsigned long long)L->rows);
    free(r);
    return rc;
  }
  size_t m = 1; /* unique rows */
  for (size_t i = 1; i < n; i++)
    if (r[i] != r[m - 1]) r[m++] = r[i];
  size_t k = lay_file_of(L, r[0]);
  bool ok = true;
  for (size_t i = 0; i < m && ok;) {
    if (r[i] >= L->f[k].row0 + L->f[k].rows) k = lay_file_of(L, r[i]);
    const lay_file *F = &L->f[k];
    uint64_t loc = r[i] - F->row0;
    bool raw_chunks = lay_raw_chunks(F);
    if (!F->chunked || raw_chunks) {
      uint64_t rb = L->cols * F->elsize, most = max_bytes / rb, cnt = 1, base = F->offset, end = F->rows;
      if (raw_chunks) { /* rows [first, end) of the file are in this chunk */
        uint64_t first = loc / F->crows * F->crows;
        base = F->chunk[loc / F->crows].addr - first * rb;
        end = first + F->crows < F->rows ? first + F->crows : F->rows;
      }
      if (most < 1) most = 1;
      while (i + cnt < m && cnt < most && r[i + cnt] == r[i] + cnt && loc + cnt < end) cnt++;
      ok = lay_push(&out, (layout_extent){.file = (uint32_t)k,
                                          .offset = base + loc * rb,
                                          .bytes = cnt * rb,
                                          .row0 = r[i],
                                          .rows = cnt,
                                          .col0 = 0,
                                          .cols = (uint32_t)L->cols,
                                          .chunk = -1});
      i += cnt;
      continue;
    }
    size_t ri = (size_t)(loc / F->crows);
    uint64_t first = ri * F->crows, end = first + F->crows < F->rows ? first + F->crows : F->rows;
    for (size_t cj = 0; cj < F->ncc && ok; cj++) {
      size_t c = ri * F->ncc + cj;
      uint64_t col0 = cj * F->ccols;
      ok = lay_push(&out,
                    (layout_extent){
                        .file = (uint32_t)k,
                        .offset = F->chunk[c].addr,
                        .bytes = F->chunk[c].size,
                        .row0 = F->row0 + first,
                        .rows = end - first,
                        .col0 = (uint32_t)col0,
                        .cols = (uint32_t)(col0 + F->ccols < L->cols ? F->ccols : L->cols - col0),
                        .chunk = (int32_t)c,
                        .filter_mask = F->chunk[c].mask,
                    });
    }
    while (i < m && r[i] < F->row0 + end) i++;
  }
  free(r);
  if (!ok) {
    free(out.v);
    return tr_error_set(TR_ENOMEM, NULL, "out of memory");
  }
  qsort(out.v, out.n, sizeof *out.v, lay_cmp_extent);
  *ext = out.v;
  *n_ext = out.n;
  return TR_OK;
}

/* ---------------------------------------------------------------- decoding */

/* n values of es bytes (float32 or float64, little-endian, any alignment) as float32. */
static void lay_put(float *out, const unsigned char *src, size_t n, size_t es) {
  if (es == sizeof(float)) {
    memcpy(out, src, n * sizeof(float));
    return;
  }
  for (size_t j = 0; j < n; j++) {
    double v;
    memcpy(&v, src + j * sizeof v, sizeof v);
    out[j] = (float)v;
  }
}

static int lay_cmp_pair(const void *a, const void *b) {
  const lay_pair *x = a, *y = b;
  if (x->row != y->row) return x->row < y->row ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Makes s's index describe the batch rows[0..n): kept when the rows are the same as last
 * time (one memcmp), else rebuilt in O(n log n). False when out of memory. */
static bool lay_index(layout_scratch *s, const uint64_t *rows, size_t n) {
  if (s->batch_n == n && memcmp(s->batch, rows, n * sizeof *rows) == 0) return true;
  s->batch_n = 0;
  if (n > s->batch_cap) {
    uint64_t *b = realloc(s->batch, n * sizeof *b);
    if (b) s->batch = b;
    lay_pair *p = b ? realloc(s->sorted, n * sizeof *p) : NULL;
    if (!p) return false;
    s->sorted = p;
    s->batch_cap = n;
  }
  memcpy(s->batch, rows, n * sizeof *rows);
  for (size_t i = 0; i < n; i++) s->sorted[i] = (lay_pair){rows[i], i};
  qsort(s->sorted, n, sizeof *s->sorted, lay_cmp_pair);
  s->batch_n = n;
  return true;
}

/* The batch positions whose rows fall in [r0, r0 + nr): by s's index of the batch, or
 * by scanning rows when the batch is small or there is no scratch. */
typedef struct {
  const uint64_t *rows; /* scanning: rows[i..n) are left */
  size_t i, n;
  const lay_pair *p, *end; /* by index: pairs [p, end) are left */
  uint64_t r0, nr;
} lay_hits;

static lay_hits lay_hits_of(layout_scratch *s, const uint64_t *rows, size_t n, uint64_t r0,
                            uint64_t nr) {
  lay_hits h = {.rows = rows, .n = n, .r0 = r0, .nr = nr};
  if (!s || n < LAY_INDEX_MIN || !lay_index(s, rows, n)) return h;
  size_t lo = 0, hi = n; /* the first pair with row >= r0 */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->sorted[mid].row < r0)
      lo = mid + 1;
    else
      hi = mid;
  }
  h.rows = NULL;
  h.p = s->sorted + lo;
  h.end = s->sorted + n;
  return h;
}

/* The next hit: batch position *i, row *d of the range. False when there are no more. */
static bool lay_hits_next(lay_hits *h, size_t *i, uint64_t *d) {
  if (!h->rows) {
    if (h->p == h->end || h->p->row - h->r0 >= h->nr) return false;
    *i = h->p->pos;
    *d = h->p->row - h->r0;
    h->p++;
    return true;
  }
  for (; h->i < h->n; h->i++) {
    uint64_t k = h->rows[h->i] - h->r0; /* wraps for rows before r0 */
    if (k < h->nr) {
      *i = h->i++;
      *d = k;
      return true;
    }
  }
  return false;
}

bool layout_in_place(const layout *L, const layout_extent *e, const uint64_t *rows, size_t n,
                     layout_scratch *s, size_t *pos) {
  if (e->chunk >= 0 || e->file >= L->nfiles || L->f[e->file].elsize != sizeof(float)) return false;
  lay_hits h = lay_hits_of(s, rows, n, e->row0, e->rows);
  size_t i, first = 0;
  uint64_t d, count = 0;
  while (lay_hits_next(&h, &i, &d)) {
    if (count == 0) {
      if (d > i) return false;
      first = i - (size_t)d;
    }
    if (i != first + d) return false;
    count++;
  }
  if (count != e->rows || first + e->rows > n) return false;
  *pos = first;
  return true;
}

tr_err layout_decode(const layout *L, const layout_extent *e, const void *bytes,
                     const uint64_t *rows, size_t n, float *X, layout_scratch *s) {
  if (e->file >= L->nfiles)
    return tr_error_set(TR_EINTERNAL, NULL, "extent of file %u, the layout has %zu", e->file,
                        L->nfiles);
  const lay_file *F = &L->f[e->file];
  const char *where = F->path ? F->path : "synthetic layout";
  const unsigned char *src = bytes;
  size_t es = F->elsize, cols = L->cols, i;
  uint64_t d;
  if (e->chunk < 0) {
    uint64_t rb = cols * es;
    if ((F->chunked && !lay_raw_chunks(F)) || e->row0 < F->row0 || e->row0 - F->row0 > F->rows ||
        e->rows > F->rows - (e->row0 - F->row0) || e->bytes != e->rows * rb)
      return tr_error_set(TR_EINTERNAL, where, "the extent does not match the layout");
    lay_hits h = lay_hits_of(s, rows, n, e->row0, e->rows);
    while (lay_hits_next(&h, &i, &d)) lay_put(X + i * cols, src + d * rb, cols, es);
    return TR_OK;
  }
  size_t c = (size_t)e->chunk;
  if (!F->chunked || c >= F->nrc * F->ncc || e->row0 != F->row0 + (c / F->ncc) * F->crows ||
      e->col0 != (c % F->ncc) * F->ccols || e->col0 + e->cols > cols || e->rows > F->crows)
    return tr_error_set(TR_EINTERNAL, where, "the extent of chunk %zu does not match the layout",
                        c);
  lay_hits h = lay_hits_of(s, rows, n, e->row0, e->rows);
  if (!lay_hits_next(&h, &i, &d)) return TR_OK; /* no batch row in this chunk */
  if (!s) return tr_error_set(TR_EINTERNAL, where, "no decoding scratch");
  bool inflate = F->deflate_idx >= 0 && !(e->filter_mask & (1u << F->deflate_idx));
  bool unshuffle = F->shuffle_idx >= 0 && !(e->filter_mask & (1u << F->shuffle_idx));
  size_t row_bytes = (size_t)F->ccols * es;
  const void *data;
  tr_err rc = layout_unfilter(s, bytes, (size_t)e->bytes, (size_t)F->crows * row_bytes, es, inflate,
                              unshuffle, NULL, &data);
  if (rc == TR_EINPUT) return tr_error_set(rc, where, "chunk %zu: corrupt data", c);
  if (rc != TR_OK) return tr_error_set(rc, where, "out of memory");
  do lay_put(X + i * cols + e->col0, (const unsigned char *)data + d * row_bytes, e->cols, es);
  while (lay_hits_next(&h, &i, &d));
  return TR_OK;
}
