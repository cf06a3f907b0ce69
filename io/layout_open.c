/* Building a layout: where the rows of X, the feature matrix of an HDF5 data set (one
 * file or a set of shards), lie in its file(s), from metadata only. Opening asks libhdf5
 * for X's shape, element type, filter pipeline, and where its bytes are (the address of
 * a contiguous X, or every chunk's address, stored size and filter mask, kept as a
 * row-major chunk grid per file; HDF5 1.10 tells chunk addresses quickly only through a
 * small probing file driver, see "chunk addresses"). Also the synthetic layouts of
 * projections, and freeing. Planning and decoding are io/layout.c. */
#define _GNU_SOURCE
#include "io/layout.h"

#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/files.h"
#include "io/h5data.h"
#include "io/h5util.h"
#include "io/layout_internal.h"
#include "io/s3client.h"

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
  fapl = s3c_is_url(path) ? H5I_INVALID_HID : lay_probe_fapl(probe, &driver); /* S3: h5s3 */
  if (fapl < 0) probe = NULL;
#endif
  hsize_t rows = 0, ncols = 0;
  h5data_layout hl;
  char tname[48];
  uint64_t file_bytes = 0;
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
  if ((rc = ds_path_size(path, &file_bytes)) != TR_OK) goto done;
  F->file_bytes = file_bytes;
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
