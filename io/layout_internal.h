/* Internal to io/layout.c and io/layout_open.c: the representation of a layout (where
 * X's bytes lie in each file), which layout_open.c builds from HDF5 metadata (or
 * synthesizes) and layout.c plans and decodes from without calling HDF5. */
#ifndef TR_LAYOUT_INTERNAL_H
#define TR_LAYOUT_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/layout.h"

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
#endif
