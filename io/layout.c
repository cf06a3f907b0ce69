/* Planning and decoding reads of X by byte ranges, for a loader that reads through an
 * emulated object store or file system rather than through libhdf5 (the layout itself
 * comes from io/layout_open.c). layout_plan turns a batch of global rows into the byte
 * ranges (extents) to read, without calling HDF5; layout_decode turns the bytes read
 * back into float32 rows: float64 converted, deflate inflated, shuffle undone. The chunk
 * decoding (layout_unfilter) is also the one io/h5read.c's parallel reader uses. */
#include "io/layout.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/layout_internal.h"

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
