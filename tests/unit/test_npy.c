/* Tests for io/npy.c: the .npy header of every version (1.0, 2.0, 3.0) and each way it
 * can be malformed, dtypes and byte orders, the labels' file beside X, and .npz archives
 * (stored and deflated members, named arrays, feature names, a member missing or
 * damaged), written here byte by byte and with libzip. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "io/load.h"
#include "io/npy.h"
#include "testutil.h"

/* A .npy image: magic, version, the header dict padded to 64 bytes, data. */
static unsigned char *npy_image(int major, const char *dict, const void *data, size_t nbytes, size_t *len) {
  size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
  size_t hlen = (pre + dl + 1 + 63) / 64 * 64 - pre;
  *len = pre + hlen + nbytes;
  unsigned char *b = calloc(1, *len);
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (unsigned char)major;
  b[7] = 0;
  if (major == 1) {
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
  } else {
    for (int k = 0; k < 4; k++) b[8 + k] = (unsigned char)(hlen >> (8 * k));
  }
  memset(b + pre, ' ', hlen);
  memcpy(b + pre, dict, dl);
  b[pre + hlen - 1] = '\n';
  if (nbytes) memcpy(b + pre + hlen, data, nbytes);
  return b;
}

static void write_bytes(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(b, 1, n, f), n);
  fclose(f);
}

static char *write_npy(const char *name, int major, const char *dict, const void *data, size_t nbytes) {
  size_t len;
  unsigned char *b = npy_image(major, dict, data, nbytes, &len);
  char *path = tu_path(tu_dir, name);
  write_bytes(path, b, len);
  free(b);
  return path;
}

static void header_bad(const unsigned char *b, size_t len, const char *what) {
  npy_header h;
  tr_error_clear();
  ck_assert_int_eq(npy_parse_header(b, len, "x.npy", &h), TR_EINPUT);
  ck_assert_msg(strstr(tr_error_message(), what), "message '%s' lacks '%s'", tr_error_message(), what);
}

static void dict_bad(const char *dict, size_t nbytes, const char *what) {
  size_t len;
  unsigned char *b = npy_image(1, dict, NULL, 0, &len);
  unsigned char *full = calloc(1, len + nbytes);
  memcpy(full, b, len);
  header_bad(full, len + nbytes, what);
  free(b);
  free(full);
}

START_TEST(test_header_versions) {
  for (int major = 1; major <= 3; major++) {
    size_t len;
    double v[6] = {0};
    unsigned char *b = npy_image(major, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", v, sizeof v, &len);
    npy_header h;
    ck_assert_int_eq(npy_parse_header(b, len, "x.npy", &h), TR_OK);
    ck_assert_int_eq(h.major, major);
    ck_assert_int_eq(h.kind, 'f');
    ck_assert_uint_eq(h.itemsize, 8);
    ck_assert_uint_eq(h.ndim, 2);
    ck_assert_uint_eq(h.shape[0], 3);
    ck_assert_uint_eq(h.shape[1], 2);
    ck_assert_uint_eq(h.data_offset % 64, 0);
    ck_assert_uint_eq(h.data_bytes, 48);
    free(b);
  }
  /* keys in any order, double quotes, a 1-tuple, no trailing comma */
  size_t len;
  int64_t y[4] = {0};
  unsigned char *b = npy_image(1, "{\"shape\": (4,), \"fortran_order\": True, \"descr\": \">i8\"}", y, sizeof y, &len);
  npy_header h;
  ck_assert_int_eq(npy_parse_header(b, len, "x.npy", &h), TR_OK);
  ck_assert_uint_eq(h.ndim, 1);
  ck_assert(h.fortran_order);
  ck_assert_int_eq(h.byteorder, '>');
  free(b);
}
END_TEST

START_TEST(test_header_malformed) {
  header_bad((const unsigned char *)"NUMPY\x01\x00xxxxxxxxxx", 16, "no \\x93NUMPY magic");
  header_bad((const unsigned char *)"\x93NUMPY\x04\x00\x10\x00", 10, "version 4.0");
  header_bad((const unsigned char *)"\x93NUMPY\x01\x00\xff\x00{", 11, "longer than the file");
  dict_bad("{'descr': '<f8', 'fortran_order': False}", 0, "lacks 'shape'");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", 8, "unexpected or repeated key 'x'");
  dict_bad("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", 8, "repeated key 'descr'");
  dict_bad("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,)}", 8, "structured array");
  dict_bad("{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}", 16, "dtype '<c16' is not supported");
  dict_bad("{'descr': 'O', 'fortran_order': False, 'shape': (1,)}", 8, "dtype 'O'");
  dict_bad("{'descr': '<f8', 'fortran_order': maybe, 'shape': (1,)}", 8, "fortran_order is not True or False");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2)}", 64, "more than 2 dimensions");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1, x)}", 8, "malformed shape");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}", 8, "malformed shape");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 8, "too large");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (10,)}", 8, "truncated: the shape needs 80 bytes");
  dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk", 8, "text after the dictionary");
  dict_bad("['descr']", 8, "not a dictionary");
  dict_bad("{'descr' '<f8'}", 8, "no ':'");
  dict_bad("{'descr': '<f8' 'fortran_order': False}", 8, "expected ',' or '}'");
}
END_TEST

START_TEST(test_read_dtypes_and_labels) {
  float x32[6] = {1, 2, 3, 4, 5, 6};
  char *x = write_npy("X_train.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", x32, sizeof x32);
  uint8_t y8[3] = {0, 1, 1};
  char *y = write_npy("y_train.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", y8, 3);
  ds_dataset *d = NULL;
  ck_assert_int_eq(npy_read(x, NULL, &d), TR_OK); /* y_train.npy beside X_train.npy */
  ck_assert_uint_eq(d->rows, 3);
  ck_assert_uint_eq(d->cols, 2);
  ck_assert_float_eq(d->X[5], 6.0f);
  ck_assert_ptr_nonnull(d->y);
  ck_assert_float_eq(d->y[2], 1.0f);
  ds_free(&d);
  /* big-endian float64, signed labels named by y_dataset */
  unsigned char be[16];
  double v[2] = {-1.5, 1e10};
  for (int i = 0; i < 2; i++) {
    unsigned char *p = (unsigned char *)&v[i];
    for (int k = 0; k < 8; k++) be[i * 8 + k] = p[7 - k];
  }
  char *xb = write_npy("feat.npy", 2, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 1), }", be, 16);
  int16_t lab[2] = {-3, 7};
  char *lp = write_npy("lab.npy", 3, "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 1), }", lab, 4);
  ck_assert_int_eq(npy_read(xb, "lab.npy", &d), TR_OK);
  ck_assert_float_eq(d->X[0], -1.5f);
  ck_assert_float_eq(d->X[1], 1e10f);
  ck_assert_float_eq(d->y[0], -3.0f);
  ds_free(&d);
  ck_assert_int_eq(npy_read(xb, "lab", &d), TR_OK); /* the .npy is implied */
  ds_free(&d);
  ck_assert_int_eq(npy_read(xb, NULL, &d), TR_OK); /* feat.npy: no default labels file */
  ck_assert_ptr_null(d->y);
  ds_free(&d);
  tr_error_clear();
  ck_assert_int_eq(npy_read(xb, "nope.npy", &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "nope.npy: no such labels file"));
  /* labels of another length; X not float; Fortran order; through ds_load (exit 2 path) */
  tr_error_clear();
  ck_assert_int_eq(npy_read(x, "lab.npy", &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "has 2 labels for 3 rows"));
  char *xi = write_npy("Xi.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }", lab, 4);
  tr_error_clear();
  ck_assert_int_eq(npy_read(xi, NULL, &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "float32 or float64"));
  char *xf = write_npy("Xf.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", x32, sizeof x32);
  tr_error_clear();
  ck_assert_int_eq(ds_load(xf, NULL, &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "Fortran order"));
  char *x1 = write_npy("X1.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", x32, sizeof x32);
  tr_error_clear();
  ck_assert_int_eq(ds_load(x1, NULL, &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "2-D"));
  free(x);
  free(y);
  free(xb);
  free(lp);
  free(xi);
  free(xf);
  free(x1);
}
END_TEST

/* An archive of (name, image) members, stored or deflated. */
static char *write_npz(const char *name, const char *const *members, unsigned char *const *images, const size_t *lens,
                       size_t n, bool deflate) {
  char *path = tu_path(tu_dir, name);
  int err;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
  ck_assert_ptr_nonnull(z);
  for (size_t i = 0; i < n; i++) {
    zip_source_t *s = zip_source_buffer(z, images[i], lens[i], 0);
    zip_int64_t idx = zip_file_add(z, members[i], s, ZIP_FL_OVERWRITE);
    ck_assert_int_ge(idx, 0);
    zip_set_file_compression(z, (zip_uint64_t)idx, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  ck_assert_int_eq(zip_close(z), 0);
  return path;
}

START_TEST(test_npz) {
  double X[4] = {1, 2, 3, 4};
  int64_t y[2] = {0, 1};
  uint32_t names[2 * 3] = {'a', 0, 0, 0x00e9, 'b', 'c'}; /* "a", "ébc" as <U3 */
  size_t lx, ly, ln;
  unsigned char *ix = npy_image(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", X, sizeof X, &lx);
  unsigned char *iy = npy_image(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", y, sizeof y, &ly);
  unsigned char *in = npy_image(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", names, sizeof names, &ln);
  const char *m[] = {"X.npy", "y.npy", "feature_names.npy"};
  unsigned char *im[] = {ix, iy, in};
  size_t lens[] = {lx, ly, ln};
  for (int deflate = 0; deflate <= 1; deflate++) {
    char *p = write_npz(deflate ? "c.npz" : "s.npz", m, im, lens, 3, deflate);
    ds_dataset *d = NULL;
    ck_assert_int_eq(npz_read(p, NULL, NULL, &d), TR_OK);
    ck_assert_uint_eq(d->rows, 2);
    ck_assert_float_eq(d->X[3], 4.0f);
    ck_assert_float_eq(d->y[1], 1.0f);
    ck_assert_str_eq(d->feature_names[0], "a");
    ck_assert_str_eq(d->feature_names[1], "\xc3\xa9" "bc");
    ds_free(&d);
    free(p);
  }
  /* other array names; a missing X lists the members */
  const char *m2[] = {"train_x.npy", "train_y.npy"};
  char *p2 = write_npz("named.npz", m2, im, lens, 2, false);
  ds_dataset *d = NULL;
  ck_assert_int_eq(npz_read(p2, "train_x", "train_y", &d), TR_OK);
  ck_assert_ptr_nonnull(d->y);
  ds_free(&d);
  tr_error_clear();
  ck_assert_int_eq(npz_read(p2, NULL, NULL, &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "has no array 'X' (data.x_dataset); its members: train_x.npy, train_y.npy"));
  /* a damaged member (a flipped byte of stored data fails its CRC), not a zip at all */
  char *dmg = tu_path(tu_dir, "dmg.npz");
  FILE *f = fopen(p2, "rb"); /* binary: not tu_read, which reads text */
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  size_t sz = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *raw = malloc(sz);
  ck_assert_uint_eq(fread(raw, 1, sz, f), sz);
  fclose(f);
  ck_assert_uint_gt(sz, 200);
  raw[200] ^= 0x55; /* inside train_x.npy's data */
  write_bytes(dmg, raw, sz);
  tr_error_clear();
  ck_assert_int_eq(npz_read(dmg, "train_x", "train_y", &d), TR_EINPUT);
  ck_assert_ptr_null(d);
  char *nz = tu_path(tu_dir, "not.npz");
  tu_write(nz, "hello");
  tr_error_clear();
  ck_assert_int_eq(ds_load(nz, NULL, &d), TR_EINPUT);
  ck_assert(strstr(tr_error_message(), "not a readable .npz"));
  free(raw);
  free(dmg);
  free(nz);
  free(p2);
  free(ix);
  free(iy);
  free(in);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("npy");
  TCase *tc = tcase_create("npy");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, test_header_versions);
  tcase_add_test(tc, test_header_malformed);
  tcase_add_test(tc, test_read_dtypes_and_labels);
  tcase_add_test(tc, test_npz);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(suite()); }
