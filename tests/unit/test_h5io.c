/* Tests for io/h5io.c: every malformed input (code and message naming the file), round
 * trips, every storage layout the reader handles (chunked gzip with and without shuffle,
 * chunks splitting columns, contiguous, float64, integer X, fallbacks), row ranges,
 * atomic writes, the info JSON, and the fixtures written by h5py. Fixtures of other
 * types are built here with the HDF5 C API. */
#define _GNU_SOURCE
#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "io/h5io.h"
#include "testutil.h"


static void setup(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tu_setup();
}

/* No HDF5 object of any file is left open. */
static void assert_no_open_handles(void) {
  ck_assert_int_eq(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* The call failed with code and a message that starts with the file's path. */
static void assert_error(tr_err rc, tr_err code, const char *path, const char *words) {
  ck_assert_int_eq(rc, code);
  ck_assert_int_eq(tr_error_code(), code);
  const char *msg = tr_error_message();
  ck_assert_msg(strncmp(msg, path, strlen(path)) == 0, "message '%s' does not name %s", msg, path);
  if (words) ck_assert_msg(strstr(msg, words) != NULL, "message '%s' lacks '%s'", msg, words);
  assert_no_open_handles();
}

/* ---------------------------------------------------------------- fixtures */

typedef struct {
  hid_t xtype; /* file type of X (0 = H5T_IEEE_F32LE) */
  int xrank;   /* 0 = 2 */
  hsize_t rows, cols;
  hsize_t chunk[2]; /* {0, 0} = contiguous */
  int deflate;      /* 0 = none */
  bool shuffle, fletcher32;
  bool partial;  /* write only the first half of the rows (unallocated chunks) */
  hid_t ytype;   /* 0 = no y */
  int yrank;     /* 1 or 2 (N x ycols) */
  hsize_t ycols; /* 0 = 1 */
  hsize_t yrows; /* 0 = rows */
  const char *xname, *yname;
} fx_spec;

static double xval(hsize_t i, hsize_t j) { return (double)(i * 100 + j) + 0.25; }
static double xval_int(hsize_t i, hsize_t j) { return (double)(i * 100 + j); }
static double yval(hsize_t i) { return (double)(i % 3); }

/* Writes an HDF5 file as described; X[i][j] = xval(i, j) (truncated for integer X). */
static void fx_write(const char *path, const fx_spec *s) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  int rank = s->xrank ? s->xrank : 2;
  hsize_t dims[3] = {s->rows, s->cols, 2};
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (s->chunk[0]) {
    hsize_t ch[3] = {s->chunk[0], s->chunk[1], 2};
    ck_assert_int_ge(H5Pset_chunk(dcpl, rank, ch), 0);
    if (s->shuffle) ck_assert_int_ge(H5Pset_shuffle(dcpl), 0);
    if (s->deflate) ck_assert_int_ge(H5Pset_deflate(dcpl, (unsigned)s->deflate), 0);
    if (s->fletcher32) ck_assert_int_ge(H5Pset_fletcher32(dcpl), 0);
  }
  hid_t xt = s->xtype ? s->xtype : H5T_IEEE_F32LE;
  hid_t x = H5Dcreate2(f, s->xname ? s->xname : "X", xt, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ck_assert_int_ge(x, 0);
  size_t n = (size_t)(s->rows * s->cols * (rank == 3 ? 2 : 1));
  double *buf = malloc((n ? n : 1) * sizeof *buf);
  for (size_t k = 0; k < n; k++) buf[k] = (double)k + 0.25;
  if (rank == 2)
    for (hsize_t i = 0; i < s->rows; i++)
      for (hsize_t j = 0; j < s->cols; j++) buf[i * s->cols + j] = xval(i, j);
  if (H5Tget_class(xt) == H5T_STRING) {
    /* a 2-D string X: the contents do not matter */
  } else if (s->partial) {
    hsize_t start[2] = {0, 0}, count[2] = {s->rows / 2, s->cols};
    hid_t fs = H5Dget_space(x), ms = H5Screate_simple(2, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    ck_assert_int_ge(H5Dwrite(x, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf), 0);
    H5Sclose(fs);
    H5Sclose(ms);
  } else if (n) {
    ck_assert_int_ge(H5Dwrite(x, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
  }
  free(buf);
  H5Dclose(x);
  H5Pclose(dcpl);
  H5Sclose(space);
  if (s->ytype) {
    hsize_t yrows = s->yrows ? s->yrows : s->rows, ycols = s->ycols ? s->ycols : 1;
    hsize_t ydims[2] = {yrows, ycols};
    hid_t ys = H5Screate_simple(s->yrank ? s->yrank : 1, ydims, NULL);
    hid_t y = H5Dcreate2(f, s->yname ? s->yname : "y", s->ytype, ys, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    ck_assert_int_ge(y, 0);
    double *yb = malloc((yrows * ycols + 1) * sizeof *yb);
    for (hsize_t i = 0; i < yrows * ycols; i++) yb[i] = yval(i / ycols);
    ck_assert_int_ge(H5Dwrite(y, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, yb), 0);
    free(yb);
    H5Dclose(y);
    H5Sclose(ys);
  }
  H5Fclose(f);
}

/* Reads rows [start, start+count) and checks every value against xval/yval. */
static void check_read(const char *path, const fx_spec *s, size_t start, size_t count,
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
      double want = s->partial && r >= s->rows / 2 ? 0.0 : integer ? xval_int(r, j) : xval(r, j);
      ck_assert_msg(d->X[i * d->cols + j] == (float)want, "X[%llu][%zu] = %g, want %g",
                    (unsigned long long)r, j, d->X[i * d->cols + j], want);
    }
  }
  if (s->ytype) {
    ck_assert_ptr_nonnull(d->y);
    for (size_t i = 0; i < n; i++) ck_assert_float_eq(d->y[i], (float)yval(start + i));
  } else {
    ck_assert_ptr_null(d->y);
  }
  ds_free(&d);
  assert_no_open_handles();
}

static char *fx_file(const char *name, const fx_spec *s) {
  char *p = tu_path(tu_dir, name);
  fx_write(p, s);
  return p;
}

/* ---------------------------------------------------------------- malformed input */

START_TEST(test_missing_file) {
  char *p = tu_path(tu_dir, "nope.h5");
  ds_dataset *d = (ds_dataset *)1;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, NULL);
  ck_assert_ptr_null(d);
  cJSON *j = NULL;
  tr_error_clear();
  assert_error(h5io_info(p, NULL, NULL, &j), TR_EINPUT, p, NULL);
  ck_assert_ptr_null(j);
  free(p);
}
END_TEST

START_TEST(test_not_hdf5) {
  char *p = tu_path(tu_dir, "text.h5");
  tu_write(p, "a,b,c\n1,2,3\n");
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "not an HDF5 file");
  ck_assert_ptr_null(d);
  tr_error_clear();
  assert_error(h5io_read(tu_dir, NULL, &d), TR_EINPUT, tu_dir, "directory");
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
  assert_error(rc, TR_EINPUT, p, NULL);
  free(p);
}
END_TEST

START_TEST(test_missing_x) {
  fx_spec s = {.rows = 10, .cols = 3, .xname = "Z"};
  char *p = fx_file("nox.h5", &s);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "no dataset 'X'");
  ck_assert_ptr_null(d);
  tr_error_clear();
  h5io_read_opts o = {.x_name = "group/missing"};
  assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "no dataset 'group/missing'");
  tr_error_clear();
  cJSON *j = NULL;
  assert_error(h5io_info(p, "W", NULL, &j), TR_EINPUT, p, "no dataset 'W'");
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
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "not a dataset");
  free(p);
}
END_TEST

START_TEST(test_wrong_rank) {
  fx_spec s1 = {.rows = 10, .cols = 3, .xrank = 1};
  char *p1 = fx_file("rank1.h5", &s1);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p1, NULL, &d), TR_EINPUT, p1, "2-D");
  ck_assert_ptr_null(d);
  fx_spec s3 = {.rows = 10, .cols = 3, .xrank = 3};
  char *p3 = fx_file("rank3.h5", &s3);
  tr_error_clear();
  assert_error(h5io_read(p3, NULL, &d), TR_EINPUT, p3, "rank 3");
  cJSON *j = NULL;
  tr_error_clear();
  assert_error(h5io_info(p3, NULL, NULL, &j), TR_EINPUT, p3, "rank 3");
  free(p1);
  free(p3);
}
END_TEST

START_TEST(test_non_numeric_x) {
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  fx_spec s = {.rows = 4, .cols = 2, .xtype = str};
  char *p = fx_file("strx.h5", &s);
  H5Tclose(str);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "not numeric");
  ck_assert_ptr_null(d);
  free(p);
}
END_TEST

START_TEST(test_integer_x_is_converted) {
  fx_spec s = {.rows = 50, .cols = 4, .xtype = H5T_STD_I32LE, .chunk = {16, 4}, .deflate = 1};
  char *p = fx_file("intx.h5", &s);
  check_read(p, &s, 0, 0, 0);
  check_read(p, &s, 13, 20, 2);
  free(p);
}
END_TEST

START_TEST(test_row_count_mismatch) {
  fx_spec s = {.rows = 10, .cols = 3, .ytype = H5T_STD_I64LE, .yrows = 9};
  char *p = fx_file("mismatch.h5", &s);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "'X' has 10 rows but 'y' has 9");
  ck_assert_ptr_null(d);
  free(p);
}
END_TEST

START_TEST(test_bad_y_shape) {
  fx_spec s = {.rows = 10, .cols = 3, .ytype = H5T_IEEE_F32LE, .yrank = 2, .ycols = 2};
  char *p = fx_file("y2.h5", &s);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "(N, 1)");
  free(p);
}
END_TEST

START_TEST(test_empty_range) {
  fx_spec s = {.rows = 10, .cols = 3, .chunk = {4, 3}, .deflate = 6};
  char *p = fx_file("range.h5", &s);
  ds_dataset *d = NULL;
  h5io_read_opts o = {.row_start = 10};
  assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "empty row range");
  ck_assert_ptr_null(d);
  fx_spec e = {.rows = 0, .cols = 3};
  char *pe = fx_file("empty.h5", &e);
  tr_error_clear();
  assert_error(h5io_read(pe, NULL, &d), TR_EINPUT, pe, "empty row range");
  free(p);
  free(pe);
}
END_TEST

START_TEST(test_range_past_end) {
  fx_spec s = {.rows = 10, .cols = 3, .chunk = {4, 3}, .deflate = 6};
  char *p = fx_file("range.h5", &s);
  ds_dataset *d = NULL;
  h5io_read_opts o = {.row_start = 5, .row_count = 6};
  assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "past the end");
  ck_assert_ptr_null(d);
  tr_error_clear();
  o = (h5io_read_opts){.row_start = 11};
  assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "past the end");
  tr_error_clear();
  o = (h5io_read_opts){.row_start = 1, .row_count = (size_t)-1};
  assert_error(h5io_read(p, &o, &d), TR_EINPUT, p, "past the end");
  /* The last row exactly is fine. */
  check_read(p, &s, 9, 1, 0);
  free(p);
}
END_TEST

START_TEST(test_corrupt_chunk) {
  /* A deflate chunk holding garbage: the parallel decoder reports it. */
  char *p = tu_path(tu_dir, "corrupt.h5");
  fx_spec s = {.rows = 20, .cols = 2, .chunk = {10, 2}, .deflate = 6};
  fx_write(p, &s);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t x = H5Dopen2(f, "X", H5P_DEFAULT);
  hsize_t off[2] = {10, 0};
  unsigned char junk[64];
  for (int i = 0; i < 64; i++) junk[i] = (unsigned char)(i * 37 + 11);
  ck_assert_int_ge(H5Dwrite_chunk(x, H5P_DEFAULT, 0, off, sizeof junk, junk), 0);
  H5Dclose(x);
  H5Fclose(f);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "row 10");
  ck_assert_ptr_null(d);
  /* Rows in the intact chunk still read. */
  tr_error_clear();
  check_read(p, &s, 0, 10, 2);
  free(p);
}
END_TEST

/* ---------------------------------------------------------------- layouts and ranges */

/* Found with `gen --features 8192`: the names of thousands of features exceed the 64 KiB
 * an attribute may take in the old file format; they are now stored densely. */
START_TEST(test_many_feature_names) {
  size_t cols = 9000;
  ds_dataset *d = ds_new(2, cols, true);
  char **names = calloc(cols + 1, sizeof(char *));
  for (size_t j = 0; j < cols; j++) {
    names[j] = malloc(16);
    snprintf(names[j], 16, "pixel_%zu", j);
  }
  ck_assert_int_eq(ds_set_feature_names(d, (const char *const *)names), TR_OK);
  char *p = tu_path(tu_dir, "wide.h5");
  ck_assert_msg(h5io_write(p, d, NULL) == TR_OK, "%s", tr_error_message());
  ds_dataset *r = NULL;
  ck_assert_int_eq(h5io_read(p, NULL, &r), TR_OK);
  ck_assert_ptr_nonnull(r->feature_names);
  ck_assert_str_eq(r->feature_names[cols - 1], "pixel_8999");
  ds_free(&r);
  ds_free(&d);
  for (size_t j = 0; j < cols; j++) free(names[j]);
  free(names);
  free(p);
}
END_TEST

START_TEST(test_round_trip) {
  int levels[] = {0, 6};
  for (int k = 0; k < 2; k++) {
    ds_dataset *d = ds_new(1000, 5, true);
    for (size_t i = 0; i < 1000; i++) {
      for (size_t j = 0; j < 5; j++) d->X[i * 5 + j] = (float)xval(i, j);
      d->y[i] = (float)i * 0.5f;
    }
    const char *names[] = {"alpha", "beta", "gamma", "délta", ""};
    ck_assert_int_eq(ds_set_feature_names(d, names), TR_OK);
    char *p = tu_path(tu_dir, levels[k] ? "rt6.h5" : "rt0.h5");
    h5io_write_opts w = {.deflate = levels[k], .chunk_rows = 128};
    ck_assert_msg(h5io_write(p, d, &w) == TR_OK, "%s", tr_error_message());
    assert_no_open_handles();
    ds_dataset *r = NULL;
    ck_assert_int_eq(h5io_read(p, NULL, &r), TR_OK);
    ck_assert_uint_eq(r->rows, 1000);
    ck_assert_uint_eq(r->cols, 5);
    ck_assert_mem_eq(r->X, d->X, 1000 * 5 * sizeof(float));
    ck_assert_mem_eq(r->y, d->y, 1000 * sizeof(float));
    ck_assert_ptr_nonnull(r->feature_names);
    for (int j = 0; j < 5; j++) ck_assert_str_eq(r->feature_names[j], names[j]);
    ds_free(&r);
    cJSON *j = NULL;
    ck_assert_int_eq(h5io_info(p, NULL, NULL, &j), TR_OK);
    cJSON *c = cJSON_GetObjectItem(j, "chunks");
    ck_assert_int_eq(cJSON_GetArrayItem(c, 0)->valueint, 128);
    ck_assert_int_eq(cJSON_GetArrayItem(c, 1)->valueint, 5);
    cJSON *comp = cJSON_GetObjectItem(j, "compression");
    if (levels[k]) {
      ck_assert_str_eq(comp->valuestring, "gzip");
      ck_assert_int_eq(cJSON_GetObjectItem(j, "compression_level")->valueint, 6);
    } else {
      ck_assert(cJSON_IsNull(comp));
    }
    cJSON_Delete(j);
    ds_free(&d);
    free(p);
  }
  assert_no_open_handles();
}
END_TEST

START_TEST(test_write_defaults) {
  /* chunk_rows 0: about 1 MiB chunks, capped at the row count; no y, no names. */
  ds_dataset *d = ds_new(300000, 2, false);
  for (size_t k = 0; k < 600000; k++) d->X[k] = (float)k;
  char *p = tu_path(tu_dir, "defaults.h5");
  ck_assert_int_eq(h5io_write(p, d, NULL), TR_OK);
  cJSON *j = NULL;
  ck_assert_int_eq(h5io_info(p, NULL, NULL, &j), TR_OK);
  cJSON *c = cJSON_GetObjectItem(j, "chunks");
  ck_assert_int_eq(cJSON_GetArrayItem(c, 0)->valueint, 131072);
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "labels")));
  ck_assert_ptr_null(cJSON_GetObjectItem(j, "feature_names"));
  cJSON_Delete(j);
  ds_dataset *r = NULL;
  ck_assert_int_eq(h5io_read(p, NULL, &r), TR_OK);
  ck_assert_mem_eq(r->X, d->X, 600000 * sizeof(float));
  ck_assert_ptr_null(r->y);
  ck_assert_ptr_null(r->feature_names);
  ds_free(&r);
  /* A small data set: one chunk of all rows; bad deflate level rejected. */
  ds_dataset *s = ds_new(3, 2, true);
  h5io_write_opts w = {.deflate = 10};
  ck_assert_int_eq(h5io_write(p, s, &w), TR_ECONFIG);
  w.deflate = 9;
  ck_assert_int_eq(h5io_write(p, s, &w), TR_OK);
  ck_assert_int_eq(h5io_read(p, NULL, &r), TR_OK);
  ck_assert_uint_eq(r->rows, 3);
  ds_free(&r);
  ds_free(&s);
  ds_free(&d);
  free(p);
  assert_no_open_handles();
}
END_TEST

START_TEST(test_float64_x) {
  fx_spec s = {.rows = 77,
               .cols = 5,
               .xtype = H5T_IEEE_F64LE,
               .chunk = {10, 2},
               .deflate = 4,
               .shuffle = true,
               .ytype = H5T_IEEE_F64LE};
  char *p = fx_file("f64.h5", &s);
  check_read(p, &s, 0, 0, 0);
  check_read(p, &s, 9, 31, 2);
  cJSON *j = NULL;
  ck_assert_int_eq(h5io_info(p, NULL, NULL, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dtype")->valuestring, "float64");
  ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "shuffle")));
  cJSON_Delete(j);
  fx_spec c = {.rows = 40, .cols = 3, .xtype = H5T_IEEE_F64LE}; /* contiguous */
  char *pc = fx_file("f64c.h5", &c);
  check_read(pc, &c, 0, 0, 1);
  check_read(pc, &c, 5, 7, 1);
  free(p);
  free(pc);
}
END_TEST

START_TEST(test_label_types) {
  fx_spec s = {.rows = 30, .cols = 2, .chunk = {8, 2}, .deflate = 1, .ytype = H5T_STD_I64LE};
  char *p = fx_file("i64.h5", &s);
  check_read(p, &s, 0, 0, 0);
  s.ytype = H5T_STD_U8LE;
  char *pu = fx_file("u8.h5", &s);
  check_read(pu, &s, 3, 10, 0);
  s.ytype = H5T_STD_I32BE;
  s.yrank = 2; /* N x 1 */
  char *pn = fx_file("nx1.h5", &s);
  check_read(pn, &s, 0, 0, 0);
  check_read(pn, &s, 7, 9, 2);
  free(p);
  free(pu);
  free(pn);
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
  fx_spec s = {.rows = 5, .cols = 3};
  char *p = fx_file("fixed.h5", &s);
  add_fixed_names(p, "alpha\0b\0\0\0\0\0gammas", 6, 3); /* "gammas" fills all 6 */
  ds_dataset *d = NULL;
  ck_assert_int_eq(h5io_read(p, NULL, &d), TR_OK);
  ck_assert_ptr_nonnull(d->feature_names);
  ck_assert_str_eq(d->feature_names[0], "alpha");
  ck_assert_str_eq(d->feature_names[1], "b");
  ck_assert_str_eq(d->feature_names[2], "gammas");
  ds_free(&d);
  /* A names attribute of the wrong length is ignored (with a warning). */
  char *q = fx_file("fewnames.h5", &s);
  add_fixed_names(q, "ab", 1, 2);
  ck_assert_int_eq(h5io_read(q, NULL, &d), TR_OK);
  ck_assert_ptr_null(d->feature_names);
  ds_free(&d);
  assert_no_open_handles();
  free(p);
  free(q);
}
END_TEST

START_TEST(test_non_numeric_y) {
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 4);
  fx_spec s = {.rows = 6, .cols = 2};
  char *p = fx_file("stry.h5", &s);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  hsize_t n = 6;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  H5Dclose(H5Dcreate2(f, "y", str, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Sclose(sp);
  H5Tclose(str);
  H5Fclose(f);
  ds_dataset *d = NULL;
  assert_error(h5io_read(p, NULL, &d), TR_EINPUT, p, "'y' is not numeric");
  free(p);
}
END_TEST

START_TEST(test_bool_labels) {
  /* h5py stores numpy bool as an enum over int8 (FALSE = 0, TRUE = 1). */
  fx_spec s = {.rows = 21, .cols = 2, .chunk = {4, 2}, .deflate = 1};
  char *p = fx_file("bool.h5", &s);
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
  assert_no_open_handles();
  free(p);
}
END_TEST

START_TEST(test_missing_y) {
  fx_spec s = {.rows = 25, .cols = 4, .chunk = {5, 4}, .deflate = 2};
  char *p = fx_file("noy.h5", &s);
  check_read(p, &s, 0, 0, 0);
  /* A configured y name that is absent also gives no labels. */
  s.yname = "labels";
  check_read(p, &s, 2, 3, 0);
  free(p);
}
END_TEST

START_TEST(test_row_ranges_split_columns) {
  /* 103 x 11 with 7 x 3 chunks: partial chunks at the bottom and the right edge. */
  fx_spec specs[] = {
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
    char *p = fx_file(name, &specs[k]);
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
      for (int t = 1; t <= 3; t++) check_read(p, &specs[k], ranges[r][0], ranges[r][1], t);
    free(p);
  }
}
END_TEST

START_TEST(test_unallocated_chunks) {
  /* Only the first half was written: the rest reads as the fill value (0). */
  fx_spec s = {.rows = 60, .cols = 4, .chunk = {10, 4}, .deflate = 3, .partial = true};
  char *p = fx_file("partial.h5", &s);
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
  assert_no_open_handles();
}
END_TEST

/* ---------------------------------------------------------------- atomic writes */

static int count_tmp_files(const char *where) {
  DIR *dd = opendir(where);
  ck_assert_ptr_nonnull(dd);
  int n = 0;
  for (struct dirent *e; (e = readdir(dd));) n += strstr(e->d_name, ".tmp.") != NULL;
  closedir(dd);
  return n;
}

START_TEST(test_atomic_write_failure) {
  ds_dataset *d = ds_new(10, 2, true);
  char *p = tu_path(tu_dir, "no/such/dir/out.h5");
  h5io_write_opts w = {.deflate = 6};
  assert_error(h5io_write(p, d, &w), TR_EIO, p, NULL);
  ck_assert_int_eq(count_tmp_files(tu_dir), 0);
  /* The temporary is created, but renaming over a directory fails: it is removed. */
  char *sub = tu_path(tu_dir, "adir");
  char *cmd = NULL;
  ck_assert_int_ge(asprintf(&cmd, "mkdir -p '%s/x'", sub), 0);
  ck_assert_int_eq(system(cmd), 0);
  tr_error_clear();
  assert_error(h5io_write(sub, d, &w), TR_EIO, sub, NULL);
  ck_assert_int_eq(count_tmp_files(tu_dir), 0);
  /* A successful write leaves only the file. */
  char *ok = tu_path(tu_dir, "ok.h5");
  ck_assert_int_eq(h5io_write(ok, d, &w), TR_OK);
  ck_assert_int_eq(count_tmp_files(tu_dir), 0);
  ck_assert_int_eq(access(ok, R_OK), 0);
  free(cmd);
  free(sub);
  free(ok);
  free(p);
  ds_free(&d);
}
END_TEST

/* ---------------------------------------------------------------- info */

START_TEST(test_info_fields) {
  fx_spec s = {.rows = 12, .cols = 3, .ytype = H5T_IEEE_F32LE}; /* contiguous, real labels */
  char *p = fx_file("real.h5", &s);
  cJSON *j = NULL;
  ck_assert_int_eq(h5io_info(p, NULL, NULL, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "path")->valuestring, p);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 12);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "features")->valueint, 3);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dtype")->valuestring, "float32");
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "chunks")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "compression")));
  ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "shuffle")));
  cJSON *lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dtype")->valuestring, "float32");
  /* yval is integral (i % 3): counts even for a float dtype */
  ck_assert_int_eq(cJSON_GetObjectItem(lab, "classes")->valueint, 3);
  cJSON_Delete(j);
  free(p);

  /* Real-valued labels: min, max, mean. */
  char *pr = tu_path(tu_dir, "reg.h5");
  ds_dataset *d = ds_new(4, 1, true);
  float yv[] = {0.5f, -1.5f, 2.0f, 3.0f};
  memcpy(d->y, yv, sizeof yv);
  ck_assert_int_eq(h5io_write(pr, d, NULL), TR_OK);
  ck_assert_int_eq(h5io_info(pr, NULL, NULL, &j), TR_OK);
  lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_double_eq(cJSON_GetObjectItem(lab, "min")->valuedouble, -1.5);
  ck_assert_double_eq(cJSON_GetObjectItem(lab, "max")->valuedouble, 3.0);
  ck_assert_double_eq(cJSON_GetObjectItem(lab, "mean")->valuedouble, 1.0);
  ck_assert_ptr_null(cJSON_GetObjectItem(lab, "counts"));
  cJSON_Delete(j);
  ds_free(&d);
  free(pr);
  assert_no_open_handles();
}
END_TEST

/* ---------------------------------------------------------------- h5py fixtures */

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

/* Found by fuzz_h5io: a mutated chunk index claiming a 4 GiB chunk in a small file made
 * the reader allocate that much; now it is a corrupt-file error. */
START_TEST(test_fuzz_chunk_size_past_file) {
  const char *path = TEST_DATA_DIR "/../fuzz/corpus/h5io/oom-chunk-size.h5";
  ds_dataset *d = NULL;
  h5io_read_opts o = {.threads = 1};
  tr_error_clear();
  tr_err rc = h5io_read(path, &o, &d);
  ck_assert_ptr_null(d);
  assert_error(rc, TR_EINPUT, path, "more than the file holds");
  tr_error_clear();
}
END_TEST

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

  cJSON *j = NULL;
  ck_assert_int_eq(h5io_info(files[0], NULL, NULL, &j), TR_OK);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 1000);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "features")->valueint, 8);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dtype")->valuestring, "float32");
  cJSON *c = cJSON_GetObjectItem(j, "chunks");
  ck_assert_int_eq(cJSON_GetArrayItem(c, 0)->valueint, 100);
  ck_assert_int_eq(cJSON_GetArrayItem(c, 1)->valueint, 8);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "compression")->valuestring, "gzip");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "compression_level")->valueint, 4);
  ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "shuffle")));
  cJSON *lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dtype")->valuestring, "int64");
  cJSON *counts = cJSON_GetObjectItem(lab, "counts");
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "0")->valueint, 361);
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "1")->valueint, 324);
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "2")->valueint, 315);
  ck_assert_int_eq(cJSON_GetObjectItem(lab, "classes")->valueint, 3);
  cJSON *names = cJSON_GetObjectItem(j, "feature_names");
  ck_assert_int_eq(cJSON_GetArraySize(names), 8);
  ck_assert_str_eq(cJSON_GetArrayItem(names, 3)->valuestring, "f3");
  cJSON_Delete(j);
  ck_assert_int_eq(h5io_info(files[1], NULL, NULL, &j), TR_OK);
  ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "shuffle")));
  c = cJSON_GetObjectItem(j, "chunks");
  ck_assert_int_eq(cJSON_GetArrayItem(c, 1)->valueint, 3);
  cJSON_Delete(j);
  assert_no_open_handles();
}
END_TEST

static Suite *h5io_suite(void) {
  Suite *s = suite_create("h5io");
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
  tcase_add_test(err, test_atomic_write_failure);
  suite_add_tcase(s, err);
  TCase *rd = tcase_create("read_write");
  tcase_add_checked_fixture(rd, setup, tu_teardown);
  tcase_set_timeout(rd, 120);
  tcase_add_test(rd, test_integer_x_is_converted);
  tcase_add_test(rd, test_round_trip);
  tcase_add_test(rd, test_many_feature_names);
  tcase_add_test(rd, test_write_defaults);
  tcase_add_test(rd, test_float64_x);
  tcase_add_test(rd, test_label_types);
  tcase_add_test(rd, test_bool_labels);
  tcase_add_test(rd, test_fixed_length_names);
  tcase_add_test(rd, test_missing_y);
  tcase_add_test(rd, test_row_ranges_split_columns);
  tcase_add_test(rd, test_unallocated_chunks);
  tcase_add_test(rd, test_large_many_batches);
  tcase_add_test(rd, test_info_fields);
  tcase_add_test(rd, test_h5py_fixtures);
  tcase_add_test(rd, test_fuzz_chunk_size_past_file);
  suite_add_tcase(s, rd);
  return s;
}

int main(void) { return tu_run(h5io_suite()); }
