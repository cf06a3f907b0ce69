/* Tests for io/h5read.c (and the checks of io/h5data.c it applies): every malformed
 * input (code and message naming the file), every storage layout the reader handles
 * (chunked gzip with and without shuffle, chunks splitting columns, contiguous, float64,
 * integer X, fallbacks), row ranges, label types and feature names, batches of the
 * parallel reader, and the fixtures written by h5py. Fixtures of other types are built
 * with the HDF5 C API (testutil's tu_h5_write). */
#define _GNU_SOURCE
#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "io/h5io.h"
#include "io/info.h"
#include "testutil.h"

static void setup(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tu_setup();
}

static double xval_int(hsize_t i, hsize_t j) { return (double)(i * 100 + j); }

/* Reads rows [start, start+count) and checks every value against xval/yval. */
static void check_read(const char *path, const tu_h5_spec *s, size_t start, size_t count,
                       int threads) {
  h5io_read_opts o = {s->xname, s->yname, start, count, threads};
  ds_dataset *d = NULL;
  tr_err rc = h5io_read(path, &o, &d);
  ck_assert_msg(rc == TR_OK, "%s", tr_error_message());
  size_t n = count ? count : (size_t)s->rows - start;
  ck_assert_uint_eq(d->rows, n);
  ck_assert_uint_eq(d->cols, s->cols);
  bool integer = s->xtype && H5Tget_class(s->xtype) == H5T_INTEGER;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < d->cols; j++) {
      hsize_t r = start + i;
      double want = s->partial && r >= s->rows / 2 ? 0.0 : integer ? xval_int(r, j) : tu_h5_xval(r, j);
      ck_assert_msg(d->X[i * d->cols + j] == (float)want, "X[%llu][%zu] = %g, want %g",
                    (unsigned long long)r, j, d->X[i * d->cols + j], want);
    }
  }
  if (s->ytype) {
    ck_assert_ptr_nonnull(d->y);
    for (size_t i = 0; i < n; i++) ck_assert_float_eq(d->y[i], (float)tu_h5_yval(start + i));
  } else {
    ck_assert_ptr_null(d->y);
  }
  ds_free(&d);
  tu_h5_assert_closed();
}

/* ---------------------------------------------------------------- malformed input */

START_TEST(test_missing_file) {
  char *p = tu_path(tu_dir, "nope.h5");
  ds_dataset *d = (ds_dataset *)1;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, NULL);
  ck_assert_ptr_null(d);
  free(p);
}
END_TEST

START_TEST(test_not_hdf5) {
  char *p = tu_path(tu_dir, "text.h5");
  tu_write(p, "a,b,c\n1,2,3\n");
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "not an HDF5 file");
  ck_assert_ptr_null(d);
  tr_error_clear();
  tu_h5_assert_error(h5io_read(tu_dir, NULL, &d), TR_EINPUT, tu_dir, "directory");
  free(p);
}
END_TEST

START_TEST(test_truncated_file) {
  /* The HDF5 signature is there, the rest of the file is not. */
  FILE *in = fopen(TEST_DATA_DIR "/h5py_gzip.h5", "rb");
  ck_assert_ptr_nonnull(in);
  char head[1500];
  size_t got = fread(head, 1, sizeof head, in);
  fclose(in);
  char *p = tu_path(tu_dir, "truncated.h5");
  FILE *out = fopen(p, "wb");
  fwrite(head, 1, got, out);
  fclose(out);
  ds_dataset *d = NULL;
  tr_err rc = h5io_read(p, NULL, &d);
  ck_assert_ptr_null(d);
  ck_assert_msg(rc == TR_EINPUT, "code %d: %s", rc, tr_error_message());
  tu_h5_assert_error(rc, TR_EINPUT, p, NULL);
  free(p);
}
END_TEST

START_TEST(test_missing_x) {
  tu_h5_spec s = {.rows = 10, .cols = 3, .xname = "Z"};
  char *p = tu_h5_file("nox.h5", &s);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "no dataset 'X'");
  ck_assert_ptr_null(d);
  tr_error_clear();
  h5io_read_opts o = {.x_name = "group/missing"};
  tu_h5_assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "no dataset 'group/missing'");
  /* A configurable name finds it. */
  s.xname = "Z";
  check_read(p, &s, 0, 0, 0);
  free(p);
}
END_TEST

START_TEST(test_x_is_group) {
  char *p = tu_path(tu_dir, "group.h5");
  hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(H5Gcreate2(f, "X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Fclose(f);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "not a dataset");
  free(p);
}
END_TEST

START_TEST(test_wrong_rank) {
  tu_h5_spec s1 = {.rows = 10, .cols = 3, .xrank = 1};
  char *p1 = tu_h5_file("rank1.h5", &s1);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p1, NULL, &d), TR_EINPUT, p1, "2-D");
  ck_assert_ptr_null(d);
  tu_h5_spec s3 = {.rows = 10, .cols = 3, .xrank = 3};
  char *p3 = tu_h5_file("rank3.h5", &s3);
  tr_error_clear();
  tu_h5_assert_error(h5io_read(p3, NULL, &d), TR_EINPUT, p3, "rank 3");
  free(p1);
  free(p3);
}
END_TEST

START_TEST(test_non_numeric_x) {
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  tu_h5_spec s = {.rows = 4, .cols = 2, .xtype = str};
  char *p = tu_h5_file("strx.h5", &s);
  H5Tclose(str);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "not numeric");
  ck_assert_ptr_null(d);
  free(p);
}
END_TEST

START_TEST(test_row_count_mismatch) {
  tu_h5_spec s = {.rows = 10, .cols = 3, .ytype = H5T_STD_I64LE, .yrows = 9};
  char *p = tu_h5_file("mismatch.h5", &s);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "'X' has 10 rows but 'y' has 9");
  ck_assert_ptr_null(d);
  free(p);
}
END_TEST

START_TEST(test_bad_y_shape) {
  tu_h5_spec s = {.rows = 10, .cols = 3, .ytype = H5T_IEEE_F32LE, .yrank = 2, .ycols = 2};
  char *p = tu_h5_file("y2.h5", &s);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "(N, 1)");
  free(p);
}
END_TEST

START_TEST(test_non_numeric_y) {
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 4);
  tu_h5_spec s = {.rows = 6, .cols = 2};
  char *p = tu_h5_file("stry.h5", &s);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  hsize_t n = 6;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  H5Dclose(H5Dcreate2(f, "y", str, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Sclose(sp);
  H5Tclose(str);
  H5Fclose(f);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "'y' is not numeric");
  free(p);
}
END_TEST

START_TEST(test_empty_range) {
  tu_h5_spec s = {.rows = 10, .cols = 3, .chunk = {4, 3}, .deflate = 6};
  char *p = tu_h5_file("range.h5", &s);
  ds_dataset *d = NULL;
  h5io_read_opts o = {.row_start = 10};
  tu_h5_assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "empty row range");
  ck_assert_ptr_null(d);
  tu_h5_spec e = {.rows = 0, .cols = 3};
  char *pe = tu_h5_file("empty.h5", &e);
  tr_error_clear();
  tu_h5_assert_error(h5io_read(pe, NULL, &d), TR_EINPUT, pe, "empty row range");
  free(p);
  free(pe);
}
END_TEST

START_TEST(test_range_past_end) {
  tu_h5_spec s = {.rows = 10, .cols = 3, .chunk = {4, 3}, .deflate = 6};
  char *p = tu_h5_file("range.h5", &s);
  ds_dataset *d = NULL;
  h5io_read_opts o = {.row_start = 5, .row_count = 6};
  tu_h5_assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "past the end");
  ck_assert_ptr_null(d);
  tr_error_clear();
  o = (h5io_read_opts){.row_start = 11};
  tu_h5_assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "past the end");
  tr_error_clear();
  o = (h5io_read_opts){.row_start = 1, .row_count = (size_t)-1};
  tu_h5_assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "past the end");
  /* The last row exactly is fine. */
  check_read(p, &s, 9, 1, 0);
  free(p);
}
END_TEST

START_TEST(test_corrupt_chunk) {
  /* A deflate chunk holding garbage: the parallel decoder reports it. */
  char *p = tu_path(tu_dir, "corrupt.h5");
  tu_h5_spec s = {.rows = 20, .cols = 2, .chunk = {10, 2}, .deflate = 6};
  tu_h5_write(p, &s);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t x = H5Dopen2(f, "X", H5P_DEFAULT);
  hsize_t off[2] = {10, 0};
  unsigned char junk[64];
  for (int i = 0; i < 64; i++) junk[i] = (unsigned char)(i * 37 + 11);
  ck_assert_int_ge(H5Dwrite_chunk(x, H5P_DEFAULT, 0, off, sizeof junk, junk), 0);
  H5Dclose(x);
  H5Fclose(f);
  ds_dataset *d = NULL;
  tu_h5_assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "row 10");
  ck_assert_ptr_null(d);
  /* Rows in the intact chunk still read. */
  tr_error_clear();
  check_read(p, &s, 0, 10, 2);
  free(p);
}
END_TEST

/* ---------------------------------------------------------------- layouts and ranges */

START_TEST(test_integer_x_is_converted) {
  tu_h5_spec s = {.rows = 50, .cols = 4, .xtype = H5T_STD_I32LE, .chunk = {16, 4}, .deflate = 1};
  char *p = tu_h5_file("intx.h5", &s);
  check_read(p, &s, 0, 0, 0);
  check_read(p, &s, 13, 20, 2);
  free(p);
}
END_TEST

START_TEST(test_float64_x) {
  tu_h5_spec s = {.rows = 77,
               .cols = 5,
               .xtype = H5T_IEEE_F64LE,
               .chunk = {10, 2},
               .deflate = 4,
               .shuffle = true,
               .ytype = H5T_IEEE_F64LE};
  char *p = tu_h5_file("f64.h5", &s);
  check_read(p, &s, 0, 0, 0);
  check_read(p, &s, 9, 31, 2);
  tu_h5_spec c = {.rows = 40, .cols = 3, .xtype = H5T_IEEE_F64LE}; /* contiguous */
  char *pc = tu_h5_file("f64c.h5", &c);
  check_read(pc, &c, 0, 0, 1);
  check_read(pc, &c, 5, 7, 1);
  free(p);
  free(pc);
}
END_TEST

START_TEST(test_label_types) {
  tu_h5_spec s = {.rows = 30, .cols = 2, .chunk = {8, 2}, .deflate = 1, .ytype = H5T_STD_I64LE};
  char *p = tu_h5_file("i64.h5", &s);
  check_read(p, &s, 0, 0, 0);
  s.ytype = H5T_STD_U8LE;
  char *pu = tu_h5_file("u8.h5", &s);
  check_read(pu, &s, 3, 10, 0);
  s.ytype = H5T_STD_I32BE;
  s.yrank = 2; /* N x 1 */
  char *pn = tu_h5_file("nx1.h5", &s);
  check_read(pn, &s, 0, 0, 0);
  check_read(pn, &s, 7, 9, 2);
  free(p);
  free(pu);
  free(pn);
}
END_TEST

START_TEST(test_bool_labels) {
  /* h5py stores numpy bool as an enum over int8 (FALSE = 0, TRUE = 1). */
  tu_h5_spec s = {.rows = 21, .cols = 2, .chunk = {4, 2}, .deflate = 1};
  char *p = tu_h5_file("bool.h5", &s);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
  int8_t no = 0, yes = 1;
  H5Tenum_insert(t, "FALSE", &no);
  H5Tenum_insert(t, "TRUE", &yes);
  hsize_t n = 21;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t y = H5Dcreate2(f, "y", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int8_t v[21];
  for (int i = 0; i < 21; i++) v[i] = (int8_t)(i % 3 == 0);
  ck_assert_int_ge(H5Dwrite(y, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
  H5Dclose(y);
  H5Sclose(sp);
  H5Tclose(t);
  H5Fclose(f);
  ds_dataset *d = NULL;
  h5io_read_opts o = {.row_start = 2, .row_count = 10};
  ck_assert_msg(h5io_read(p, &o, &d) == TR_OK, "%s", tr_error_message());
  for (int i = 0; i < 10; i++) ck_assert_float_eq(d->y[i], (float)((i + 2) % 3 == 0));
  ds_free(&d);
  cJSON *j = NULL;
  ck_assert_int_eq(h5io_info(p, NULL, NULL, &j), TR_OK);
  cJSON *lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dtype")->valuestring, "bool");
  cJSON *counts = cJSON_GetObjectItem(lab, "counts");
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "0")->valueint, 14);
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "1")->valueint, 7);
  cJSON_Delete(j);
  tu_h5_assert_closed();
  free(p);
}
END_TEST

/* Adds a fixed-length (NULL-padded, as numpy 'S' arrays) string attribute to X. */
static void add_fixed_names(const char *path, const char *padded, size_t width, hsize_t n) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t x = H5Dopen2(f, "X", H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, width);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t a = H5Acreate2(x, "feature_names", t, sp, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(H5Awrite(a, t, padded), 0);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  H5Dclose(x);
  H5Fclose(f);
}

START_TEST(test_fixed_length_names) {
  tu_h5_spec s = {.rows = 5, .cols = 3};
  char *p = tu_h5_file("fixed.h5", &s);
  add_fixed_names(p, "alpha\0b\0\0\0\0\0gammas", 6, 3); /* "gammas" fills all 6 */
  ds_dataset *d = NULL;
  ck_assert_int_eq(h5io_read(p, NULL, &d), TR_OK);
  ck_assert_ptr_nonnull(d->feature_names);
  ck_assert_str_eq(d->feature_names[0], "alpha");
  ck_assert_str_eq(d->feature_names[1], "b");
  ck_assert_str_eq(d->feature_names[2], "gammas");
  ds_free(&d);
  /* A names attribute of the wrong length is ignored (with a warning). */
  char *q = tu_h5_file("fewnames.h5", &s);
  add_fixed_names(q, "ab", 1, 2);
  ck_assert_int_eq(h5io_read(q, NULL, &d), TR_OK);
  ck_assert_ptr_null(d->feature_names);
  ds_free(&d);
  tu_h5_assert_closed();
  free(p);
  free(q);
}
END_TEST

START_TEST(test_missing_y) {
  tu_h5_spec s = {.rows = 25, .cols = 4, .chunk = {5, 4}, .deflate = 2};
  char *p = tu_h5_file("noy.h5", &s);
  check_read(p, &s, 0, 0, 0);
  /* A configured y name that is absent also gives no labels. */
  s.yname = "labels";
  check_read(p, &s, 2, 3, 0);
  free(p);
}
END_TEST

START_TEST(test_row_ranges_split_columns) {
  /* 103 x 11 with 7 x 3 chunks: partial chunks at the bottom and the right edge. */
  tu_h5_spec specs[] = {
      {.rows = 103,
       .cols = 11,
       .chunk = {7, 3},
       .deflate = 5,
       .shuffle = true,
       .ytype = H5T_STD_I16LE},
      {.rows = 103, .cols = 11, .chunk = {7, 3}, .deflate = 5, .ytype = H5T_IEEE_F32LE},
      {.rows = 103, .cols = 11, .chunk = {7, 11}, .deflate = 3, .ytype = H5T_STD_I8LE},
      {.rows = 103, .cols = 11, .chunk = {10, 4}},                  /* chunked, no filter */
      {.rows = 103, .cols = 11, .chunk = {10, 4}, .shuffle = true}, /* shuffle only */
      {.rows = 103, .cols = 11, .chunk = {1, 1}, .deflate = 1},
      {.rows = 103, .cols = 11}, /* contiguous */
      {.rows = 103, .cols = 11, .chunk = {8, 3}, .deflate = 4, .fletcher32 = true},
      {.rows = 103, .cols = 11, .chunk = {8, 3}, .deflate = 4, .xtype = H5T_IEEE_F32BE},
  };
  size_t ranges[][2] = {{0, 0},  {0, 1},   {6, 2},   {7, 7},   {5, 20},
                        {13, 0}, {100, 3}, {102, 1}, {1, 101}, {50, 0}};
  for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
    char name[32];
    snprintf(name, sizeof name, "split%zu.h5", k);
    char *p = tu_h5_file(name, &specs[k]);
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
      for (int t = 1; t <= 3; t++) check_read(p, &specs[k], ranges[r][0], ranges[r][1], t);
    free(p);
  }
}
END_TEST

START_TEST(test_unallocated_chunks) {
  /* Only the first half was written: the rest reads as the fill value (0). */
  tu_h5_spec s = {.rows = 60, .cols = 4, .chunk = {10, 4}, .deflate = 3, .partial = true};
  char *p = tu_h5_file("partial.h5", &s);
  check_read(p, &s, 0, 0, 2);
  check_read(p, &s, 25, 10, 2);
  free(p);
}
END_TEST

START_TEST(test_large_many_batches) {
  /* Enough compressed data for several read batches of the parallel reader. */
  ds_dataset *d = ds_new(200000, 24, true);
  uint32_t st = 12345;
  for (size_t k = 0; k < d->rows * d->cols; k++) {
    st = st * 1664525u + 1013904223u;
    d->X[k] = (float)(st >> 8) / 65536.0f;
  }
  for (size_t i = 0; i < d->rows; i++) d->y[i] = (float)(i % 7);
  char *p = tu_path(tu_dir, "large.h5");
  h5io_write_opts w = {.deflate = 1, .chunk_rows = 3000};
  ck_assert_int_eq(h5io_write(p, d, &w), TR_OK);
  for (int t = 0; t <= 2; t++) {
    ds_dataset *r = NULL;
    h5io_read_opts o = {.threads = t};
    ck_assert_int_eq(h5io_read(p, &o, &r), TR_OK);
    ck_assert_mem_eq(r->X, d->X, d->rows * d->cols * sizeof(float));
    ck_assert_mem_eq(r->y, d->y, d->rows * sizeof(float));
    ds_free(&r);
    o = (h5io_read_opts){.row_start = 12345, .row_count = 150000, .threads = t};
    ck_assert_int_eq(h5io_read(p, &o, &r), TR_OK);
    ck_assert_mem_eq(r->X, d->X + 12345 * d->cols, 150000 * d->cols * sizeof(float));
    ds_free(&r);
  }
  ds_free(&d);
  free(p);
  tu_h5_assert_closed();
}
END_TEST

static void check_h5py_data(const ds_dataset *d) {
  ck_assert_uint_eq(d->rows, 1000);
  ck_assert_uint_eq(d->cols, 8);
  /* Values printed by tests/data/make_h5py_fixtures.py */
  ck_assert_float_eq(d->X[0], 0.6479062f);
  ck_assert_float_eq(d->X[999 * 8 + 7], 1.3623683f);
  ck_assert_float_eq(d->X[123 * 8 + 5], 0.3204827f);
  double sx = 0, sy = 0;
  for (size_t k = 0; k < 8000; k++) sx += d->X[k];
  for (size_t i = 0; i < 1000; i++) sy += d->y[i];
  ck_assert_double_eq_tol(sx, -84.15860472944587, 1e-6);
  ck_assert_double_eq(sy, 954.0);
}

START_TEST(test_h5py_fixtures) {
  const char *files[] = {TEST_DATA_DIR "/h5py_gzip.h5", TEST_DATA_DIR "/h5py_shuffle.h5"};
  ds_dataset *ref = NULL;
  for (int k = 0; k < 2; k++) {
    for (int t = 1; t <= 2; t++) {
      ds_dataset *d = NULL;
      h5io_read_opts o = {.threads = t};
      ck_assert_msg(h5io_read(files[k], &o, &d) == TR_OK, "%s", tr_error_message());
      check_h5py_data(d);
      if (!ref) {
        ref = d;
        continue;
      }
      ck_assert_mem_eq(d->X, ref->X, 8000 * sizeof(float));
      ds_free(&d);
    }
    /* A range crossing chunk boundaries (and, in the shuffle file, split columns). */
    ds_dataset *d = NULL;
    h5io_read_opts o = {.row_start = 95, .row_count = 140};
    ck_assert_int_eq(h5io_read(files[k], &o, &d), TR_OK);
    ck_assert_mem_eq(d->X, ref->X + 95 * 8, 140 * 8 * sizeof(float));
    ck_assert_mem_eq(d->y, ref->y + 95, 140 * sizeof(float));
    ds_free(&d);
  }
  ck_assert_ptr_nonnull(ref->feature_names);
  ck_assert_str_eq(ref->feature_names[0], "f0");
  ck_assert_str_eq(ref->feature_names[7], "f7");
  ds_free(&ref);

  tu_h5_assert_closed();
}
END_TEST

/* Found by fuzz_h5io: a mutated chunk index claiming a 4 GiB chunk in a small file made
 * the reader allocate that much; now it is a corrupt-file error. */
START_TEST(test_fuzz_chunk_size_past_file) {
  const char *path = TEST_DATA_DIR "/../fuzz/corpus/h5io/oom-chunk-size.h5";
  ds_dataset *d = NULL;
  h5io_read_opts o = {.threads = 1};
  tr_error_clear();
  tr_err rc = h5io_read(path, &o, &d);
  ck_assert_ptr_null(d);
  tu_h5_assert_error(rc, TR_EINPUT, path, "more than the file holds");
  tr_error_clear();
}
END_TEST

/* An HDF5 file whose X (rows x cols float32) and y are declared but never written:
 * chunked and deflated, or contiguous (late allocation: no storage at all). */
static char *declared_only(const char *name, hsize_t rows, hsize_t cols, bool chunked) {
  char *p = tu_path(tu_dir, name);
  hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {rows, cols}, chunk[2] = {1024, cols}, ychunk[1] = {1024};
  hid_t xs = H5Screate_simple(2, dims, NULL), ys = H5Screate_simple(1, dims, NULL);
  hid_t xp = H5Pcreate(H5P_DATASET_CREATE), yp = H5Pcreate(H5P_DATASET_CREATE);
  if (chunked) {
    H5Pset_chunk(xp, 2, chunk);
    H5Pset_deflate(xp, 4);
    H5Pset_chunk(yp, 1, ychunk);
  }
  hid_t x = H5Dcreate2(f, "X", H5T_IEEE_F32LE, xs, H5P_DEFAULT, xp, H5P_DEFAULT);
  hid_t y = H5Dcreate2(f, "y", H5T_IEEE_F64LE, ys, H5P_DEFAULT, yp, H5P_DEFAULT);
  ck_assert(f >= 0 && x >= 0 && y >= 0);
  H5Dclose(y);
  H5Dclose(x);
  H5Pclose(yp);
  H5Pclose(xp);
  H5Sclose(ys);
  H5Sclose(xs);
  H5Fclose(f);
  return p;
}

/* In the child of tu_run_limited: reads (arg[1] 'r'), describes ('i') or sizes ('s') the
 * file arg[0]; 0 when that is the declared-size error naming the file. */
static int refused_declared(void *arg) {
  const char *const *a = arg;
  ds_dataset *d = NULL;
  cJSON *info = NULL;
  size_t rows, cols;
  h5io_read_opts o = {.threads = 1};
  tr_error_clear();
  tr_err rc = a[1][0] == 'r' ? h5io_read(a[0], &o, &d)
              : a[1][0] == 'i' ? h5io_info(a[0], NULL, NULL, &info)
                               : h5io_shape_of(a[0], NULL, &rows, &cols);
  ds_free(&d);
  cJSON_Delete(info);
  bool ok = rc == TR_EINPUT && !strncmp(tr_error_message(), a[0], strlen(a[0])) &&
            strstr(tr_error_message(), "dataset 'X' declares 1073741824 x 16 values") &&
            strstr(tr_error_message(), "truncated or corrupt");
  if (!ok) fprintf(stderr, "%s: %s\n", a[1], tr_error_message());
  return ok ? 0 : 1;
}

/* Issue "files declaring far more rows than they hold": a 2^30 x 16 X (64 GiB) in a file
 * of a few KiB made the reader allocate it (exit 1, out of memory, or filling 64 GiB of
 * fill values) and info allocate its 8 GiB of labels; now it is bad input naming the
 * file and what it declares, before any allocation (checked in a child whose address
 * space is 256 MiB more than the test's). */
START_TEST(test_declared_far_more_than_stored) {
  const char *files[] = {"declared-chunked.h5", "declared-contiguous.h5"};
  for (int k = 0; k < 2; k++) {
    char *p = declared_only(files[k], (hsize_t)1 << 30, 16, k == 0);
    const char *read[] = {p, "read"}, *info[] = {p, "info"}, *shape[] = {p, "shape"};
    ck_assert_int_eq(tu_run_limited(256, refused_declared, read), 0);
    ck_assert_int_eq(tu_run_limited(256, refused_declared, info), 0);
    ck_assert_int_eq(tu_run_limited(256, refused_declared, shape), 0);
    free(p);
  }
  /* what fits in the slack (16 MiB declared, nothing stored) still reads as fill values */
  char *p = declared_only("declared-small.h5", (hsize_t)1 << 18, 16, true);
  ds_dataset *d = NULL;
  h5io_read_opts o = {.threads = 1};
  ck_assert_int_eq(h5io_read(p, &o, &d), TR_OK);
  ck_assert_uint_eq(d->rows, (size_t)1 << 18);
  ck_assert_float_eq(d->X[12345], 0.0f);
  ds_free(&d);
  free(p);
  tu_h5_assert_closed();
}
END_TEST

static Suite *h5read_suite(void) {
  Suite *s = suite_create("h5read");
  TCase *err = tcase_create("errors");
  tcase_add_checked_fixture(err, setup, tu_teardown);
  tcase_add_test(err, test_missing_file);
  tcase_add_test(err, test_not_hdf5);
  tcase_add_test(err, test_truncated_file);
  tcase_add_test(err, test_missing_x);
  tcase_add_test(err, test_x_is_group);
  tcase_add_test(err, test_wrong_rank);
  tcase_add_test(err, test_non_numeric_x);
  tcase_add_test(err, test_row_count_mismatch);
  tcase_add_test(err, test_bad_y_shape);
  tcase_add_test(err, test_non_numeric_y);
  tcase_add_test(err, test_empty_range);
  tcase_add_test(err, test_range_past_end);
  tcase_add_test(err, test_corrupt_chunk);
  suite_add_tcase(s, err);
  TCase *rd = tcase_create("read");
  tcase_add_checked_fixture(rd, setup, tu_teardown);
  tcase_set_timeout(rd, 120);
  tcase_add_test(rd, test_integer_x_is_converted);
  tcase_add_test(rd, test_float64_x);
  tcase_add_test(rd, test_label_types);
  tcase_add_test(rd, test_bool_labels);
  tcase_add_test(rd, test_fixed_length_names);
  tcase_add_test(rd, test_missing_y);
  tcase_add_test(rd, test_row_ranges_split_columns);
  tcase_add_test(rd, test_unallocated_chunks);
  tcase_add_test(rd, test_large_many_batches);
  tcase_add_test(rd, test_h5py_fixtures);
  tcase_add_test(rd, test_fuzz_chunk_size_past_file);
  tcase_add_test(rd, test_declared_far_more_than_stored);
  suite_add_tcase(s, rd);
  return s;
}

int main(void) { return tu_run(h5read_suite()); }
