/* Tests for io/layout_open.c: every error layout_open reports, with the file named and
 * nothing left open: missing and non-HDF5 files, no such dataset, wrong rank, integer
 * and big-endian X, compact storage, unwritten chunks, unsupported filters, shards whose
 * column counts differ, empty directories and globs. Files that open are test_layout.c's. */
#include <hdf5.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "io/layout.h"
#include "testutil.h"

#define FX(name) TEST_DATA_DIR "/" name

static void setup(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tu_setup();
}

/* layout_open failed with TR_EINPUT, a message starting with `named` and holding words. */
static void open_fails(const char *path, const char *x_name, const char *named, const char *words) {
  layout *L = (layout *)1;
  tr_error_clear();
  ck_assert_int_eq(layout_open(path, x_name, &L), TR_EINPUT);
  ck_assert_ptr_null(L);
  const char *msg = tr_error_message();
  ck_assert_msg(strncmp(msg, named, strlen(named)) == 0, "'%s' does not start with %s", msg, named);
  ck_assert_msg(strstr(msg, words) != NULL, "'%s' lacks '%s'", msg, words);
  tu_h5_assert_closed();
}

/* An HDF5 file with one dataset "X" written through the C API. */
static void write_x(const char *path, hid_t type, int rank, const hsize_t *dims, H5D_layout_t lay,
                    const hsize_t *chunk, bool partial) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  ck_assert_int_ge(H5Pset_layout(dcpl, lay), 0);
  if (chunk) ck_assert_int_ge(H5Pset_chunk(dcpl, rank, chunk), 0);
  hid_t x = H5Dcreate2(f, "X", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ck_assert_int_ge(x, 0);
  hsize_t n = 1;
  for (int k = 0; k < rank; k++) n *= dims[k];
  double *v = calloc(n, sizeof *v);
  hid_t fs = H5Dget_space(x), ms = H5Screate_simple(rank, dims, NULL);
  if (partial) { /* the first row only: the other chunks are never allocated */
    hsize_t start[2] = {0, 0}, count[2] = {1, dims[1]};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    H5Sclose(ms);
    ms = H5Screate_simple(2, count, NULL);
  }
  ck_assert_int_ge(H5Dwrite(x, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, v), 0);
  free(v);
  H5Sclose(fs);
  H5Sclose(ms);
  H5Dclose(x);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
}

START_TEST(test_open_errors) {
  char *p = tu_path(tu_dir, "missing.h5");
  open_fails(p, NULL, p, "cannot open");
  free(p);

  p = tu_path(tu_dir, "text.h5");
  tu_write(p, "x,y\n1,2\n");
  open_fails(p, NULL, p, "not an HDF5 file");
  free(p);

  open_fails(FX("layout_contig_f32.h5"), "nope", FX("layout_contig_f32.h5"), "no dataset 'nope'");

  /* Files of 40 x 3 values written with the C API. */
  const struct {
    const char *name;
    hid_t type;
    int rank;
    H5D_layout_t lay;
    const char *words;
  } bad[] = {
      {"rank1.h5", H5T_IEEE_F32LE, 1, H5D_CONTIGUOUS, "must be 2-D"},
      {"int.h5", H5T_STD_I32LE, 2, H5D_CONTIGUOUS, "is int32, not float32 or float64"},
      {"bigendian.h5", H5T_IEEE_F32BE, 2, H5D_CONTIGUOUS, "is big-endian float32"},
      {"compact.h5", H5T_IEEE_F32LE, 2, H5D_COMPACT, "compact storage"},
      {"partial.h5", H5T_IEEE_F32LE, 2, H5D_CHUNKED, "at row 10, column 0 is not stored"},
  };
  hsize_t dims[2] = {40, 3}, chunk[2] = {10, 3};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    p = tu_path(tu_dir, bad[k].name);
    bool chunked = bad[k].lay == H5D_CHUNKED;
    write_x(p, bad[k].type, bad[k].rank, dims, bad[k].lay, chunked ? chunk : NULL, chunked);
    open_fails(p, NULL, p, bad[k].words);
    free(p);
  }

  open_fails(FX("layout_fletcher.h5"), NULL, FX("layout_fletcher.h5"), "filter fletcher32");

  /* Shards whose column counts differ: the message names the odd one. */
  char *dir = tu_path(tu_dir, "mixed");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  char *a = tu_path(dir, "a.h5"), *b = tu_path(dir, "b.h5");
  tu_h5_spec wide = {.rows = 30, .cols = 7, .chunk = {10, 7}, .deflate = 1};
  tu_h5_spec narrow = {.rows = 30, .cols = 5, .chunk = {10, 5}, .deflate = 1};
  tu_h5_write(a, &wide);
  tu_h5_write(b, &narrow);
  open_fails(dir, NULL, b, "has 5 columns");
  free(a);
  free(b);
  free(dir);

  /* An empty directory, a glob that matches nothing. */
  dir = tu_path(tu_dir, "empty");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  open_fails(dir, NULL, dir, "no HDF5 files");
  free(dir);
  p = tu_path(tu_dir, "none-*.h5");
  open_fails(p, NULL, p, "no file matches");
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("layout_open");
  TCase *t = tcase_create("errors");
  tcase_add_checked_fixture(t, setup, tu_teardown);
  tcase_add_test(t, test_open_errors);
  suite_add_tcase(s, t);
  return tu_run(s);
}
