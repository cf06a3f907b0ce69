/* Where the rows of a data set's feature matrix X lie in its HDF5 file(s), from metadata
 * only, so that a loader can read them by byte ranges itself and turn the bytes back
 * into float32 rows (layout_plan, then layout_decode per extent read). */
#ifndef TR_LAYOUT_H
#define TR_LAYOUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct layout layout;

/* The storage layout of X in a data set: an HDF5 file (.h5/.hdf5), or a directory or glob
 * of HDF5 shards in ds_load()'s sorted order (global row = rows of earlier files + row in
 * the file). Metadata only. TR_EINPUT naming the file: missing, not HDF5, no such
 * dataset, not 2-D, not little-endian float32/float64, compact or external storage,
 * filters other than deflate/shuffle, unallocated chunks, a column count that differs
 * from the first file's, no rows at all. x_name NULL = "X". *out = NULL on error. */
tr_err layout_open(const char *path, const char *x_name, layout **out);

/* A layout without files (for projections): `files` files of `rows_per_file` rows of
 * `cols` float32 values, stored contiguously at offset 0. NULL when out of memory
 * (TR_ENOMEM) or when a count is 0 or the total bytes overflow (TR_EINPUT). */
layout *layout_synthetic(size_t files, size_t rows_per_file, size_t cols);

/* Frees *L and sets it NULL; safe on NULL. */
void layout_free(layout **L);

/* Total rows over all files. */
size_t layout_rows(const layout *L);
/* Columns of X (the same in every file). */
size_t layout_cols(const layout *L);
/* Number of files (shards). */
size_t layout_files(const layout *L);
/* Path of file k (owned by L); NULL for a synthetic layout. */
const char *layout_file_path(const layout *L, size_t k);
/* Size of file k in bytes (for a synthetic layout, its data bytes). */
uint64_t layout_file_bytes(const layout *L, size_t k);
/* First global row of file k and its row count. */
uint64_t layout_file_row0(const layout *L, size_t k);
uint64_t layout_file_rows(const layout *L, size_t k);
/* True when file k stores X in chunks (false: contiguous). */
bool layout_file_chunked(const layout *L, size_t k);
/* True when a row of file k can be read alone (contiguous X, or unfiltered chunks as
 * wide as X); false when reading a row means reading (and inflating) its chunks. */
bool layout_file_row_reads(const layout *L, size_t k);
/* Bytes of X as stored (sum of the chunks' stored sizes, or rows x row bytes when
 * contiguous) over all files. */
uint64_t layout_data_bytes(const layout *L);

/* Storage blocks, the natural unit of sequential reading: for a chunked file one row of
 * chunks (all chunks covering rows [r0, r1)); for a contiguous one a run of whole rows of
 * at most block_bytes (at least one row), never crossing a file. Blocks are numbered in
 * global row order. Both calls take O(files). */
size_t layout_blocks(const layout *L, size_t block_bytes);
/* Global rows [*r0, *r1) of block b (b < layout_blocks(L, block_bytes)). */
void layout_block_rows(const layout *L, size_t block_bytes, size_t b, uint64_t *r0, uint64_t *r1);

/* The first global row after the block holding row (O(log files)); L's rows when row is
 * past the end. */
uint64_t layout_block_end(const layout *L, size_t block_bytes, uint64_t row);

typedef struct {
  uint32_t file;        /* index in the file set */
  uint64_t offset;      /* byte offset in that file */
  uint64_t bytes;       /* bytes to read */
  uint64_t row0, rows;  /* global rows this extent holds: [row0, row0 + rows) */
  uint32_t col0, cols;  /* columns it holds (a chunk may cover only some columns) */
  int32_t chunk;        /* chunk index in the file (row-major over the chunk grid), -1 for
                           raw contiguous rows */
  uint32_t filter_mask; /* HDF5 per-chunk filter mask (bit i: filter i was skipped) */
} layout_extent;

/* The extents to read for global rows rows[0..n) (any order, duplicates allowed): raw
 * rows adjacent in the file merge into one extent of at most max_bytes (but at least one
 * row); every needed chunk appears once, whole. *ext is malloc'd (caller frees; NULL
 * when n = 0), ordered by file then offset. TR_EINTERNAL for a row past the end.
 * O(n log n), no HDF5 calls. */
tr_err layout_plan(const layout *L, const uint64_t *rows, size_t n, size_t max_bytes,
                   layout_extent **ext, size_t *n_ext);

/* Per-thread decoding scratch (a zlib stream, chunk buffers grown on demand, an index of
 * the last batch). L may be NULL; given, the buffers are sized for its largest chunk.
 * NULL on ENOMEM. */
typedef struct layout_scratch layout_scratch;
layout_scratch *layout_scratch_new(const layout *L);
/* Frees *s and sets it NULL; safe on NULL. */
void layout_scratch_free(layout_scratch **s);

/* True when extent e's bytes are the float32 rows of batch positions [*pos, *pos +
 * e->rows) exactly (raw rows, each once, in order): a reader can then read them straight
 * into X + *pos * cols, with no decode. */
bool layout_in_place(const layout *L, const layout_extent *e, const uint64_t *rows, size_t n,
                     layout_scratch *s, size_t *pos);
/* Writes into X (n x cols float32, row i = rows[i]) the values extent e holds for every
 * batch row it covers, decoding bytes (the e->bytes read from storage): float64
 * converted, deflate inflated, shuffle undone (honouring e->filter_mask). TR_EINPUT
 * "file: chunk C: corrupt data" when the bytes do not decode to the chunk's size.
 * s may be NULL for raw extents (chunk -1). Cost: a batch of 64 rows or more is indexed
 * in s once (O(n log n), redone when the rows change), then each call costs one memcmp
 * of the rows plus O(log n + rows found); smaller batches are scanned (O(n)). */
tr_err layout_decode(const layout *L, const layout_extent *e, const void *bytes,
                     const uint64_t *rows, size_t n, float *X, layout_scratch *s);

/* Undoes an HDF5 chunk's filters (shared with io/h5read.c): inflates the n bytes at src
 * when `inflate`, then unshuffles elements of es bytes when `unshuffle`, giving exactly
 * `bytes` bytes at *out: src itself when neither applies, dst when only inflate does and
 * dst is given, else s's buffer. Returns TR_OK, TR_EINPUT (the data do not decode to
 * `bytes` bytes) or TR_ENOMEM without recording them (worker threads call it). */
tr_err layout_unfilter(layout_scratch *s, const void *src, size_t n, size_t bytes, size_t es,
                       bool inflate, bool unshuffle, void *dst, const void **out);
#endif
