/* The read-only S3 file driver of libhdf5 (see h5s3.h): H5FD_class_t of HDF5 1.10-1.12
 * (the interface io/layout_open.c's probe uses too), a block cache for metadata. */
#define _GNU_SOURCE
#include "io/h5s3.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3client.h"

#if H5_VERS_MAJOR == 1 && H5_VERS_MINOR >= 10 && H5_VERS_MINOR <= 12
#define H5S3_BLOCK (256u << 10) /* a metadata GET */
#define H5S3_BLOCKS 16          /* cached per file (4 MiB) */

typedef struct {
  uint64_t index; /* block number, UINT64_MAX when empty */
  uint64_t used;  /* last use (LRU) */
  size_t len;
  unsigned char *data;
} h5s3_block;

typedef struct {
  H5FD_t pub; /* first: the part HDF5 sees */
  char *url, *bucket, *key;
  haddr_t eoa, eof;
  s3c_client *client;
  h5s3_block block[H5S3_BLOCKS];
  uint64_t clock;
} h5s3_file;

static H5FD_t *h5s3_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
  (void)fapl;
  (void)maxaddr;
  if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT | H5F_ACC_EXCL)) return NULL;
  s3c_client *c = s3c_acquire(); /* held while the file is open: new s3.* keys of a later
                                    job in this process do not pull it from under the file */
  if (!c) return NULL;
  h5s3_file *f = calloc(1, sizeof *f);
  if (!f || !(f->url = strdup(name))) {
    free(f);
    s3c_release(c);
    return NULL;
  }
  uint64_t size = 0;
  if (s3c_parse_url(name, &f->bucket, &f->key) != TR_OK ||
      s3c_head(c, f->bucket, f->key, &size) != TR_OK) {
    free(f->bucket);
    free(f->key);
    free(f->url);
    free(f);
    s3c_release(c);
    return NULL; /* the error is recorded in this thread, naming the object */
  }
  f->client = c;
  f->eof = (haddr_t)size;
  for (int i = 0; i < H5S3_BLOCKS; i++) f->block[i].index = UINT64_MAX;
  return &f->pub;
}

static herr_t h5s3_close(H5FD_t *file) {
  h5s3_file *f = (h5s3_file *)file;
  for (int i = 0; i < H5S3_BLOCKS; i++) free(f->block[i].data);
  s3c_release(f->client);
  free(f->bucket);
  free(f->key);
  free(f->url);
  free(f);
  return 0;
}

static int h5s3_cmp(const H5FD_t *a, const H5FD_t *b) {
  return strcmp(((const h5s3_file *)a)->url, ((const h5s3_file *)b)->url);
}

static herr_t h5s3_query(const H5FD_t *file, unsigned long *flags) {
  (void)file;
  *flags = H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE;
  return 0;
}

static haddr_t h5s3_get_eoa(const H5FD_t *file, H5FD_mem_t type) {
  (void)type;
  return ((const h5s3_file *)file)->eoa;
}

static herr_t h5s3_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr) {
  (void)type;
  ((h5s3_file *)file)->eoa = addr;
  return 0;
}

static haddr_t h5s3_get_eof(const H5FD_t *file, H5FD_mem_t type) {
  (void)type;
  return ((const h5s3_file *)file)->eof;
}

/* Block k of f, fetched on a miss (least recently used slot); NULL on a failed GET. */
static h5s3_block *h5s3_get_block(h5s3_file *f, uint64_t k) {
  h5s3_block *slot = &f->block[0];
  for (int i = 0; i < H5S3_BLOCKS; i++) {
    if (f->block[i].index == k) {
      f->block[i].used = ++f->clock;
      return &f->block[i];
    }
    if (f->block[i].used < slot->used) slot = &f->block[i];
  }
  uint64_t off = k * H5S3_BLOCK;
  size_t len = (size_t)(f->eof - off < H5S3_BLOCK ? f->eof - off : H5S3_BLOCK);
  if (!slot->data && !(slot->data = malloc(H5S3_BLOCK))) return NULL;
  slot->index = UINT64_MAX;
  if (s3c_get(f->client, f->bucket, f->key, off, len, slot->data, NULL) != TR_OK) return NULL;
  slot->index = k;
  slot->len = len;
  slot->used = ++f->clock;
  return slot;
}

static herr_t h5s3_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                        void *buf) {
  (void)dxpl;
  h5s3_file *f = (h5s3_file *)file;
  unsigned char *p = buf;
  if (addr >= f->eof) {
    memset(p, 0, size);
    return 0;
  }
  if (addr + size > f->eof) { /* past the end: zeros, as the sec2 driver does */
    size_t past = (size_t)(addr + size - f->eof);
    memset(p + size - past, 0, past);
    size -= past;
  }
  if (type == H5FD_MEM_DRAW && size >= H5S3_BLOCK)
    return s3c_get(f->client, f->bucket, f->key, addr, size, p, NULL) == TR_OK ? 0 : -1;
  while (size > 0) {
    h5s3_block *b = h5s3_get_block(f, addr / H5S3_BLOCK);
    if (!b) return -1;
    size_t in = (size_t)(addr % H5S3_BLOCK), n = b->len - in < size ? b->len - in : size;
    if (b->len <= in) return -1;
    memcpy(p, b->data + in, n);
    p += n;
    addr += n;
    size -= n;
  }
  return 0;
}

static herr_t h5s3_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                         const void *buf) {
  (void)file, (void)type, (void)dxpl, (void)addr, (void)size, (void)buf;
  return -1; /* read-only */
}

static const H5FD_class_t h5s3_class = {
    .name = "tradeoff_s3",
    .maxaddr = (haddr_t)INT64_MAX,
    .fc_degree = H5F_CLOSE_WEAK,
    .open = h5s3_open,
    .close = h5s3_close,
    .cmp = h5s3_cmp,
    .query = h5s3_query,
    .get_eoa = h5s3_get_eoa,
    .set_eoa = h5s3_set_eoa,
    .get_eof = h5s3_get_eof,
    .read = h5s3_read,
    .write = h5s3_write,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

hid_t h5s3_fapl(void) {
  static hid_t driver = H5I_INVALID_HID; /* registered once, for the process */
  if (driver < 0) driver = H5FDregister(&h5s3_class);
  hid_t fapl = driver >= 0 ? H5Pcreate(H5P_FILE_ACCESS) : H5I_INVALID_HID;
  if (fapl >= 0 && H5Pset_driver(fapl, driver, NULL) < 0) {
    H5Pclose(fapl);
    fapl = H5I_INVALID_HID;
  }
  return fapl;
}
#else
hid_t h5s3_fapl(void) { return H5I_INVALID_HID; /* HDF5 1.13+ changed the driver interface */ }
#endif
