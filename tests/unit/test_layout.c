/* Tests for io/layout.c and io/layout_open.c: for files written by h5io_write (chunked,
 * deflate 0 and 4) and by h5py (tests/data/layout_*.h5, see make_layout_fixtures.py:
 * contiguous float32 and float64, chunks splitting columns with gzip + shuffle, chunks
 * written with filters skipped, float64 shuffle-only chunks under the three chunk indexes
 * of libver latest, a user block), and for shard sets of them, random batches of rows
 * (unsorted, with duplicates) are planned, their extents read with plain pread and
 * decoded, and the rows compared bit for bit with h5io_read / ds_load. Also: blocks,
 * max_bytes merging, the synthetic layout, corrupt chunks. The errors at open are
 * test_layout_open.c's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/rng.h"
#include "io/dataset.h"
#include "io/h5io.h"
#include "io/layout.h"
#include "io/load.h"
#include "testutil.h"

#define FX(name) TEST_DATA_DIR "/" name

static void setup(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tu_setup();
}

static layout *open_ok(const char *path, const char *x_name) {
  layout *L = NULL;
  tr_err rc = layout_open(path, x_name, &L);
  ck_assert_msg(rc == TR_OK, "%s: %s", path, tr_error_message());
  ck_assert_ptr_nonnull(L);
  tu_h5_assert_closed();
  return L;
}

/* The reference rows: h5io_read for one file (x_name), ds_load for a shard set. */
static ds_dataset *reference(const char *path, const char *x_name, bool set) {
  ds_dataset *d = NULL;
  tr_err rc;
  if (set) {
    rc = ds_load(path, NULL, &d);
  } else {
    h5io_read_opts o = {.x_name = x_name};
    rc = h5io_read(path, &o, &d);
  }
  ck_assert_msg(rc == TR_OK, "%s", tr_error_message());
  return d;
}

/* The plan for rows[0..n), which must succeed; *m extents. */
static layout_extent *plan(const layout *L, const uint64_t *rows, size_t n, size_t max_bytes,
                           size_t *m) {
  layout_extent *ext = NULL;
  tr_err rc = layout_plan(L, rows, n, max_bytes, &ext, m);
  ck_assert_msg(rc == TR_OK, "%s", tr_error_message());
  return ext;
}

/* Extent e holds rows [row0, row0 + rows), columns [col0, col0 + cols) of a file. */
static void assert_extent(const layout_extent *e, uint32_t file, uint64_t row0, uint64_t rows,
                          uint32_t col0, uint32_t cols, int32_t chunk) {
  ck_assert_msg(e->file == file && e->row0 == row0 && e->rows == rows && e->col0 == col0 &&
                    e->cols == cols && e->chunk == chunk,
                "extent of file %u rows %llu+%llu columns %u+%u chunk %d", e->file,
                (unsigned long long)e->row0, (unsigned long long)e->rows, e->col0, e->cols,
                e->chunk);
}

/* The bytes of extent e, read with pread from its file. */
static unsigned char *read_extent(const layout *L, const layout_extent *e) {
  unsigned char *buf = malloc(e->bytes ? e->bytes : 1);
  int fd = open(layout_file_path(L, e->file), O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(pread(fd, buf, e->bytes, (off_t)e->offset), (ssize_t)e->bytes);
  close(fd);
  return buf;
}

/* Checks the plan's invariants: order, chunk extents once each, raw extents of whole rows
 * within max_bytes (or one row), every extent inside its file. */
static void check_plan(const layout *L, const layout_extent *ext, size_t m, size_t max_bytes) {
  for (size_t k = 0; k < m; k++) {
    const layout_extent *e = &ext[k];
    ck_assert_uint_lt(e->file, layout_files(L));
    ck_assert_uint_le(e->offset + e->bytes, layout_file_bytes(L, e->file));
    ck_assert_uint_ge(e->row0, layout_file_row0(L, e->file));
    ck_assert_uint_le(e->row0 + e->rows,
                      layout_file_row0(L, e->file) + layout_file_rows(L, e->file));
    ck_assert_uint_le(e->col0 + e->cols, layout_cols(L));
    if (k > 0) {
      const layout_extent *p = &ext[k - 1];
      ck_assert(p->file < e->file || (p->file == e->file && p->offset + p->bytes <= e->offset));
    }
    if (e->chunk < 0) {
      ck_assert_uint_eq(e->cols, layout_cols(L));
      ck_assert_uint_eq(e->bytes % e->rows, 0);
      ck_assert(e->rows == 1 || e->bytes <= max_bytes);
    }
  }
}

/* Plans a batch of n random rows (unsorted, with duplicates), reads and decodes every
 * extent, and compares the batch with the reference bit for bit. */
static void check_batch(const layout *L, const ds_dataset *ref, uint64_t seed, size_t n,
                        size_t max_bytes, layout_scratch *s) {
  size_t cols = layout_cols(L);
  ck_assert_uint_eq(layout_rows(L), ref->rows);
  ck_assert_uint_eq(cols, ref->cols);
  rng_t g;
  rng_seed(&g, seed);
  uint64_t *rows = malloc(n * sizeof *rows);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = rng_below(&g, ref->rows);
    if (i > 0 && rng_below(&g, 4) == 0) r = rows[rng_below(&g, i)]; /* a duplicate */
    if (i > 0 && rng_below(&g, 4) == 0 && rows[i - 1] + 1 < ref->rows) r = rows[i - 1] + 1;
    rows[i] = r;
  }
  size_t m = 0;
  layout_extent *ext = plan(L, rows, n, max_bytes, &m);
  ck_assert_uint_gt(m, 0);
  check_plan(L, ext, m, max_bytes);
  float *X = malloc(n * cols * sizeof *X);
  for (size_t k = 0; k < n * cols; k++) X[k] = NAN;
  for (size_t k = 0; k < m; k++) {
    unsigned char *bytes = read_extent(L, &ext[k]);
    tr_err rc = layout_decode(L, &ext[k], bytes, rows, n, X, s);
    ck_assert_msg(rc == TR_OK, "%s", tr_error_message());
    free(bytes);
  }
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(memcmp(X + i * cols, ref->X + rows[i] * cols, cols * sizeof *X) == 0,
                  "batch row %zu (row %llu) differs", i, (unsigned long long)rows[i]);
  free(X);
  free(ext);
  free(rows);
}

/* Batches of several sizes and extent limits over the layout of path. */
static void check_file(const char *path, const char *x_name, bool set) {
  layout *L = open_ok(path, x_name);
  ds_dataset *ref = reference(path, x_name, set);
  size_t sizes[] = {1, 7, 64, 300};
  size_t limits[] = {0, 100, 4096, (size_t)1 << 20};
  /* One scratch for all batches: its index of the last batch must follow the rows. */
  layout_scratch *s = layout_scratch_new(L);
  ck_assert_ptr_nonnull(s);
  for (size_t a = 0; a < 4; a++)
    for (size_t b = 0; b < 4; b++) check_batch(L, ref, 1000 + 10 * a + b, sizes[a], limits[b], s);
  layout_scratch_free(&s);
  ck_assert_ptr_null(s);
  /* Every row once, in order: the whole data set. */
  uint64_t *all = malloc(ref->rows * sizeof *all);
  for (size_t i = 0; i < ref->rows; i++) all[i] = i;
  size_t m = 0;
  layout_extent *ext = plan(L, all, ref->rows, (size_t)1 << 30, &m);
  uint64_t covered = 0;
  for (size_t k = 0; k < m; k++)
    if (ext[k].col0 == 0) covered += ext[k].rows;
  ck_assert_uint_eq(covered, ref->rows); /* each row in one extent of the first column */
  free(ext);
  free(all);
  ds_free(&ref);
  layout_free(&L);
  ck_assert_ptr_null(L);
}

/* Block b of block_bytes-byte blocks holds rows [r0, r1). */
static void assert_block(const layout *L, size_t block_bytes, size_t b, uint64_t r0, uint64_t r1) {
  uint64_t got0, got1;
  layout_block_rows(L, block_bytes, b, &got0, &got1);
  ck_assert_msg(got0 == r0 && got1 == r1, "block %zu: [%llu, %llu), want [%llu, %llu)", b,
                (unsigned long long)got0, (unsigned long long)got1, (unsigned long long)r0,
                (unsigned long long)r1);
}

/* A random data set written by h5io_write. */
static void write_random(const char *path, size_t rows, size_t cols, int deflate, size_t chunk_rows,
                         uint64_t seed) {
  ds_dataset *d = ds_new(rows, cols, true);
  rng_t g;
  rng_seed(&g, seed);
  for (size_t k = 0; k < rows * cols; k++) d->X[k] = (float)rng_normal(&g);
  for (size_t i = 0; i < rows; i++) d->y[i] = (float)(i % 2);
  h5io_write_opts o = {deflate, chunk_rows};
  ck_assert_msg(h5io_write(path, d, &o) == TR_OK, "%s", tr_error_message());
  ds_free(&d);
}

/* ---------------------------------------------------------------- files by h5io_write */

START_TEST(test_h5io_written) {
  for (int deflate = 0; deflate <= 4; deflate += 4) {
    char *p = tu_path(tu_dir, deflate ? "gzip.h5" : "plain.h5");
    write_random(p, 1000, 13, deflate, 64, 7 + deflate);
    layout *L = open_ok(p, NULL);
    ck_assert_uint_eq(layout_rows(L), 1000);
    ck_assert_uint_eq(layout_cols(L), 13);
    ck_assert_uint_eq(layout_files(L), 1);
    ck_assert_str_eq(layout_file_path(L, 0), p);
    ck_assert(layout_file_chunked(L, 0));
    /* 16 chunks of 64 rows (the last one partial, but stored full size). */
    ck_assert_uint_eq(layout_blocks(L, 0), 16);
    ck_assert_uint_eq(layout_blocks(L, (size_t)1 << 30), 16);
    assert_block(L, 0, 15, 960, 1000);
    assert_block(L, 0, 3, 192, 256);
    if (deflate)
      ck_assert_uint_lt(layout_data_bytes(L), 16 * 64 * 13 * 4);
    else
      ck_assert_uint_eq(layout_data_bytes(L), 16 * 64 * 13 * 4);
    ck_assert_uint_lt(layout_data_bytes(L), layout_file_bytes(L, 0));
    /* One row: compressed, the chunk holding it, all columns; unfiltered full-width
       chunks hold rows as raw bytes, so just the row */
    uint64_t row = 700;
    size_t m = 0;
    layout_extent *ext = plan(L, &row, 1, 0, &m);
    ck_assert_uint_eq(m, 1);
    if (deflate) {
      assert_extent(&ext[0], 0, 640, 64, 0, 13, 10);
    } else {
      assert_extent(&ext[0], 0, 700, 1, 0, 13, -1);
      ck_assert_uint_eq(ext[0].bytes, 13 * 4);
    }
    free(ext);
    /* raw rows merge within a chunk, never across two */
    uint64_t two[] = {62, 63, 64, 65};
    ext = plan(L, two, 4, 1 << 20, &m);
    ck_assert_uint_eq(m, deflate ? 2 : 2);
    if (!deflate) {
      assert_extent(&ext[0], 0, 62, 2, 0, 13, -1);
      assert_extent(&ext[1], 0, 64, 2, 0, 13, -1);
    }
    free(ext);
    layout_free(&L);
    check_file(p, NULL, false);
    free(p);
  }
}
END_TEST

START_TEST(test_h5io_written_shards) {
  char *dir = tu_path(tu_dir, "shards");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  const char *names[] = {"part-2.h5", "part-0.h5", "part-1.hdf5"};
  size_t rows[] = {77, 130, 64};
  for (int k = 0; k < 3; k++) {
    char *p = tu_path(dir, names[k]);
    write_random(p, rows[k], 6, k == 1 ? 0 : 3, 20, 40 + (uint64_t)k);
    free(p);
  }
  layout *L = open_ok(dir, NULL);
  ck_assert_uint_eq(layout_files(L), 3);
  ck_assert_uint_eq(layout_rows(L), 271);
  /* ds_load's order: sorted by name. */
  ck_assert(strstr(layout_file_path(L, 0), "part-0.h5"));
  ck_assert(strstr(layout_file_path(L, 1), "part-1.hdf5"));
  ck_assert(strstr(layout_file_path(L, 2), "part-2.h5"));
  ck_assert_uint_eq(layout_file_row0(L, 1), 130);
  ck_assert_uint_eq(layout_file_row0(L, 2), 194);
  /* Blocks: 7 + 4 + 4 chunk rows of 20, never crossing a file. */
  ck_assert_uint_eq(layout_blocks(L, 0), 15);
  assert_block(L, 0, 6, 120, 130);
  assert_block(L, 0, 7, 130, 150);
  assert_block(L, 0, 14, 254, 271);
  layout_free(&L);
  check_file(dir, NULL, true);
  free(dir);
}
END_TEST

/* ---------------------------------------------------------------- files by h5py */

START_TEST(test_h5py_contiguous) {
  layout *L = open_ok(FX("layout_contig_f32.h5"), NULL);
  ck_assert(!layout_file_chunked(L, 0));
  ck_assert_uint_eq(layout_rows(L), 120);
  ck_assert_uint_eq(layout_data_bytes(L), 120 * 7 * 4);
  /* Rows of 28 bytes: 280-byte blocks are 10 rows, 0 means one row per block. */
  ck_assert_uint_eq(layout_blocks(L, 280), 12);
  ck_assert_uint_eq(layout_blocks(L, 290), 12);
  ck_assert_uint_eq(layout_blocks(L, 279), 14); /* 9 rows a block */
  ck_assert_uint_eq(layout_blocks(L, 0), 120);
  ck_assert_uint_eq(layout_blocks(L, (size_t)1 << 20), 1);
  assert_block(L, 280, 3, 30, 40);
  assert_block(L, 279, 13, 117, 120);
  assert_block(L, 280, 12, 120, 120); /* past the end */
  layout_free(&L);
  check_file(FX("layout_contig_f32.h5"), NULL, false);
  L = open_ok(FX("layout_contig_f64.h5"), NULL);
  ck_assert_uint_eq(layout_data_bytes(L), 90 * 7 * 8);
  ck_assert_uint_eq(layout_blocks(L, 560), 9);
  uint64_t row = 5;
  size_t m = 0;
  layout_extent *ext = plan(L, &row, 1, 0, &m);
  ck_assert_uint_eq(m, 1);
  ck_assert_uint_eq(ext[0].bytes, 56);
  ck_assert_int_eq(ext[0].chunk, -1);
  free(ext);
  layout_free(&L);
  check_file(FX("layout_contig_f64.h5"), NULL, false);
}
END_TEST

START_TEST(test_h5py_split_columns) {
  layout *L = open_ok(FX("layout_split.h5"), NULL);
  ck_assert(layout_file_chunked(L, 0));
  ck_assert_uint_eq(layout_blocks(L, 0), 4);
  /* Row 77: the second row of chunks, three chunks of columns 0-2, 3-5, 6. */
  uint64_t rows[] = {77, 60, 77};
  size_t m = 0;
  layout_extent *ext = plan(L, rows, 3, 0, &m);
  ck_assert_uint_eq(m, 3);
  bool seen[3] = {false, false, false};
  for (size_t k = 0; k < m; k++) {
    ck_assert_int_ge(ext[k].chunk, 3);
    ck_assert_int_le(ext[k].chunk, 5);
    int j = ext[k].chunk - 3;
    seen[j] = true;
    assert_extent(&ext[k], 0, 50, 50, 3 * (uint32_t)j, j == 2 ? 1 : 3, 3 + j);
    ck_assert_uint_eq(ext[k].filter_mask, 0);
    ck_assert_uint_lt(ext[k].bytes, 50 * 3 * 4 + 64);
  }
  ck_assert(seen[0] && seen[1] && seen[2]);
  free(ext);
  layout_free(&L);
  check_file(FX("layout_split.h5"), NULL, false);

  /* Xm: two chunks were written with filters skipped (masks 0b11 and 0b10). */
  L = open_ok(FX("layout_split.h5"), "Xm");
  uint64_t all[200];
  for (size_t i = 0; i < 200; i++) all[i] = i;
  ext = plan(L, all, 200, 0, &m);
  ck_assert_uint_eq(m, 12);
  for (size_t k = 0; k < m; k++) {
    unsigned want = ext[k].chunk == 4 ? 3 : ext[k].chunk == 6 ? 2 : 0;
    ck_assert_uint_eq(ext[k].filter_mask, want);
    if (want == 3) ck_assert_uint_eq(ext[k].bytes, 50 * 3 * 4);
  }
  free(ext);
  layout_free(&L);
  check_file(FX("layout_split.h5"), "Xm", false);
}
END_TEST

START_TEST(test_h5py_chunk_indexes) {
  /* libver latest: fixed array (X), extensible array (Xe), version 2 B-tree (Xb). */
  const char *names[] = {"X", "Xe", "Xb"};
  for (int k = 0; k < 3; k++) {
    layout *L = open_ok(FX("layout_f64_shuffle.h5"), names[k]);
    size_t rows = k == 0 ? 101 : 45;
    ck_assert_uint_eq(layout_rows(L), rows);
    ck_assert_uint_eq(layout_blocks(L, 0), (rows + 15) / 16);
    /* float64 chunks of 16 x 4, shuffled, not compressed: all stored at full size. */
    ck_assert_uint_eq(layout_data_bytes(L), (rows + 15) / 16 * 2 * 16 * 4 * 8);
    layout_free(&L);
    check_file(FX("layout_f64_shuffle.h5"), names[k], false);
  }
}
END_TEST

START_TEST(test_h5py_userblock) {
  /* A 512-byte user block: HDF5 1.10 reports chunk addresses without it. */
  layout *L = open_ok(FX("layout_userblock.h5"), "Xc");
  uint64_t row = 0;
  size_t m = 0;
  layout_extent *ext = plan(L, &row, 1, 0, &m);
  ck_assert_uint_eq(m, 1);
  ck_assert_uint_gt(ext[0].offset, 512);
  free(ext);
  layout_free(&L);
  check_file(FX("layout_userblock.h5"), "Xc", false);
  check_file(FX("layout_userblock.h5"), NULL, false);
}
END_TEST

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  ck_assert(in && out);
  char buf[8192];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, in)) > 0)
    ck_assert_uint_eq(fwrite(buf, 1, got, out), got);
  fclose(in);
  ck_assert_int_eq(fclose(out), 0);
}

START_TEST(test_h5py_shards) {
  /* Three shards of different layouts: contiguous float32, chunked split columns,
   * contiguous float64. */
  char *dir = tu_path(tu_dir, "set");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  const char *from[] = {FX("layout_contig_f32.h5"), FX("layout_split.h5"),
                        FX("layout_contig_f64.h5")};
  const char *to[] = {"a.h5", "b.h5", "c.h5"};
  for (int k = 0; k < 3; k++) {
    char *p = tu_path(dir, to[k]);
    copy_file(from[k], p);
    free(p);
  }
  char *readme = tu_path(dir, "README.txt");
  tu_write(readme, "not a shard\n"); /* ignored */
  free(readme);
  layout *L = open_ok(dir, NULL);
  ck_assert_uint_eq(layout_files(L), 3);
  ck_assert_uint_eq(layout_rows(L), 410);
  ck_assert_uint_eq(layout_file_row0(L, 1), 120);
  ck_assert_uint_eq(layout_file_row0(L, 2), 320);
  ck_assert(!layout_file_chunked(L, 0) && layout_file_chunked(L, 1) && !layout_file_chunked(L, 2));
  /* 280-byte blocks: 12 of 10 float32 rows, 4 chunk rows, 18 of 5 float64 rows. */
  ck_assert_uint_eq(layout_blocks(L, 280), 34);
  uint64_t r0, r1, prev = 0;
  for (size_t b = 0; b < 34; b++) {
    layout_block_rows(L, 280, b, &r0, &r1);
    ck_assert_uint_eq(r0, prev);
    ck_assert_uint_gt(r1, r0);
    ck_assert(!(r0 < 120 && r1 > 120) && !(r0 < 320 && r1 > 320)); /* within a file */
    prev = r1;
  }
  ck_assert_uint_eq(prev, 410);
  assert_block(L, 280, 12, 120, 170);
  assert_block(L, 280, 16, 320, 325);
  /* Adjacent rows across a file boundary are two extents. */
  uint64_t rows[] = {320, 318, 319, 321};
  size_t m = 0;
  layout_extent *ext = plan(L, rows, 4, 1 << 20, &m);
  ck_assert_uint_eq(m, 4); /* three chunks of file 1, one run of file 2 */
  assert_extent(&ext[3], 2, 320, 2, 0, 7, -1);
  free(ext);
  layout_free(&L);
  check_file(dir, NULL, true);
  char *glob = tu_path(dir, "*.h5");
  check_file(glob, NULL, true);
  free(glob);
  free(dir);
}
END_TEST

/* ---------------------------------------------------------------- planning */

START_TEST(test_max_bytes_merging) {
  layout *L = open_ok(FX("layout_contig_f32.h5"), NULL);
  uint64_t rows[] = {30, 19, 10, 11, 12, 13, 14, 15, 16, 17, 18, 12, 30};
  layout_extent *ext = NULL;
  size_t m = 0;
  /* Runs of at most 3 rows (84 bytes). */
  ext = plan(L, rows, 13, 84, &m);
  ck_assert_uint_eq(m, 5);
  uint64_t want_row0[] = {10, 13, 16, 19, 30}, want_rows[] = {3, 3, 3, 1, 1};
  for (size_t k = 0; k < m; k++) {
    ck_assert_uint_eq(ext[k].row0, want_row0[k]);
    ck_assert_uint_eq(ext[k].rows, want_rows[k]);
    ck_assert_uint_eq(ext[k].bytes, 28 * want_rows[k]);
    ck_assert_uint_eq(ext[k].offset, ext[0].offset + 28 * (want_row0[k] - 10));
  }
  free(ext);
  /* Less than a row: one row each. 100 bytes: 3 rows. Plenty: one run and one row. */
  size_t limits[] = {0, 27, 100, (size_t)1 << 20}, want[] = {11, 11, 5, 2};
  for (int k = 0; k < 4; k++) {
    ext = plan(L, rows, 13, limits[k], &m);
    ck_assert_uint_eq(m, want[k]);
    free(ext);
  }
  /* No rows: no extents. */
  ext = plan(L, rows, 0, 0, &m);
  ck_assert_uint_eq(m, 0);
  free(ext);
  /* A row past the end is a caller's bug. */
  uint64_t bad[] = {3, 120};
  ck_assert_int_eq(layout_plan(L, bad, 2, 0, &ext, &m), TR_EINTERNAL);
  ck_assert_ptr_null(ext);
  layout_free(&L);
  layout_free(&L); /* safe on NULL */
}
END_TEST

/* layout_block_end agrees with the block table, row by row, across files. */
START_TEST(test_block_end) {
  layout *L = layout_synthetic(3, 50, 64); /* 256-byte rows: 16-row blocks of 4 KiB */
  size_t nb = layout_blocks(L, 4096);
  for (size_t b = 0; b < nb; b++) {
    uint64_t r0, r1;
    layout_block_rows(L, 4096, b, &r0, &r1);
    for (uint64_t r = r0; r < r1; r++) ck_assert_uint_eq(layout_block_end(L, 4096, r), r1);
  }
  ck_assert_uint_eq(layout_block_end(L, 4096, 150), 150);
  ck_assert_uint_eq(layout_block_end(L, 4096, 49), 50); /* a block never crosses a file */
  layout_free(&L);
}
END_TEST

START_TEST(test_synthetic) {
  layout *L = layout_synthetic(3, 10, 4);
  ck_assert_ptr_nonnull(L);
  ck_assert_uint_eq(layout_rows(L), 30);
  ck_assert_uint_eq(layout_cols(L), 4);
  ck_assert_uint_eq(layout_files(L), 3);
  ck_assert_ptr_null(layout_file_path(L, 1));
  ck_assert_uint_eq(layout_file_bytes(L, 2), 160);
  ck_assert_uint_eq(layout_data_bytes(L), 480);
  ck_assert_uint_eq(layout_blocks(L, 64), 9); /* 4 rows a block: 3 per file */
  assert_block(L, 64, 2, 8, 10);
  assert_block(L, 64, 3, 10, 14);
  /* Row 15 is row 5 of file 1, at byte 80; rows 8-11 split at the file boundary. */
  uint64_t rows[] = {15, 11, 8, 9, 10};
  size_t m = 0;
  layout_extent *ext = plan(L, rows, 5, 1 << 20, &m);
  ck_assert_uint_eq(m, 3);
  assert_extent(&ext[0], 0, 8, 2, 0, 4, -1);
  assert_extent(&ext[1], 1, 10, 2, 0, 4, -1);
  assert_extent(&ext[2], 1, 15, 1, 0, 4, -1);
  ck_assert(ext[0].offset == 128 && ext[1].offset == 0 && ext[2].offset == 80);
  ck_assert(ext[0].bytes == 32 && ext[1].bytes == 32 && ext[2].bytes == 16);
  /* Decoding synthetic bytes. */
  float bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8}, X[5 * 4];
  for (int k = 0; k < 20; k++) X[k] = -1;
  ck_assert_int_eq(layout_decode(L, &ext[1], bytes, rows, 5, X, NULL), TR_OK);
  ck_assert_float_eq(X[1 * 4], 5); /* rows[1] = 11 is the second row of the extent */
  ck_assert_float_eq(X[4 * 4 + 3], 4);
  ck_assert_float_eq(X[0], -1);
  free(ext);
  layout_free(&L);
  ck_assert_ptr_null(L);
  tr_error_clear();
  ck_assert_ptr_null(layout_synthetic(0, 10, 4));
  ck_assert_ptr_null(layout_synthetic(2, 10, 0));
  ck_assert_ptr_null(layout_synthetic(SIZE_MAX, SIZE_MAX, 4));
}
END_TEST

/* ---------------------------------------------------------------- decoding */

START_TEST(test_corrupt_chunk) {
  const char *path = FX("layout_split.h5");
  layout *L = open_ok(path, NULL);
  uint64_t row = 120;
  size_t m = 0;
  layout_extent *ext = plan(L, &row, 1, 0, &m);
  unsigned char *bytes = read_extent(L, &ext[0]);
  layout_scratch *s = layout_scratch_new(L);
  float X[7];
  memset(bytes + 2, 0x5a, 20); /* zlib header intact, data not */
  tr_err rc = layout_decode(L, &ext[0], bytes, &row, 1, X, s);
  ck_assert_int_eq(rc, TR_EINPUT);
  char want[600];
  snprintf(want, sizeof want, "%s: chunk %d: corrupt data", path, ext[0].chunk);
  ck_assert_str_eq(tr_error_message(), want);
  free(bytes);
  /* A short read: the stream ends early. */
  tr_error_clear();
  bytes = read_extent(L, &ext[0]);
  layout_extent cut = ext[0];
  cut.bytes -= 10;
  ck_assert_int_eq(layout_decode(L, &cut, bytes, &row, 1, X, s), TR_EINPUT);
  /* A chunk no batch row falls in is not decoded at all. */
  tr_error_clear();
  uint64_t other = 3;
  ck_assert_int_eq(layout_decode(L, &ext[0], "junk", &other, 1, X, s), TR_OK);
  free(bytes);
  free(ext);
  layout_free(&L);
  /* An uncompressed (shuffled) chunk of the wrong size. */
  L = open_ok(FX("layout_f64_shuffle.h5"), NULL);
  ck_assert_int_eq(layout_plan(L, &row, 1, 0, &ext, &m), TR_EINTERNAL); /* 120 >= 101 */
  row = 100;
  ext = plan(L, &row, 1, 0, &m);
  tr_error_clear();
  bytes = read_extent(L, &ext[0]);
  cut = ext[0];
  cut.bytes -= 8;
  ck_assert_int_eq(layout_decode(L, &cut, bytes, &row, 1, X, s), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "corrupt data"));
  free(bytes);
  free(ext);
  layout_free(&L);
  layout_scratch_free(&s);
}
END_TEST

START_TEST(test_unfilter) {
  layout_scratch *s = layout_scratch_new(NULL);
  ck_assert_ptr_nonnull(s);
  const void *out = NULL;
  const char src[8] = "abcdefg";
  ck_assert_int_eq(layout_unfilter(s, src, 8, 8, 4, false, false, NULL, &out), TR_OK);
  ck_assert_ptr_eq(out, src);
  ck_assert_int_eq(layout_unfilter(s, src, 7, 8, 4, false, false, NULL, &out), TR_EINPUT);
  /* Shuffle of two 4-byte elements: bytes 0,4,1,5,2,6,3,7 -> 0..7. */
  const unsigned char shuf[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  ck_assert_int_eq(layout_unfilter(s, shuf, 8, 8, 4, false, true, NULL, &out), TR_OK);
  for (int k = 0; k < 8; k++) ck_assert_uint_eq(((const unsigned char *)out)[k], k);
  ck_assert_int_eq(layout_unfilter(s, src, 8, 8, 4, true, false, NULL, &out), TR_EINPUT);
  layout_scratch_free(&s);
  ck_assert_ptr_null(s);
  layout_scratch_free(&s); /* safe on NULL */
}
END_TEST

static Suite *layout_suite(void) {
  Suite *s = suite_create("layout");
  TCase *t = tcase_create("layout");
  tcase_add_checked_fixture(t, setup, tu_teardown);
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_h5io_written);
  tcase_add_test(t, test_h5io_written_shards);
  tcase_add_test(t, test_h5py_contiguous);
  tcase_add_test(t, test_h5py_split_columns);
  tcase_add_test(t, test_h5py_chunk_indexes);
  tcase_add_test(t, test_h5py_userblock);
  tcase_add_test(t, test_h5py_shards);
  tcase_add_test(t, test_max_bytes_merging);
  tcase_add_test(t, test_synthetic);
  tcase_add_test(t, test_block_end);
  tcase_add_test(t, test_corrupt_chunk);
  tcase_add_test(t, test_unfilter);
  suite_add_tcase(s, t);
  return s;
}

int main(void) { return tu_run(layout_suite()); }
