/* Tests for io/h5util.c: the checked open (missing file, directory, not HDF5, truncated
 * file, each TR_EINPUT naming the path), the unchecked read-only open (nothing recorded,
 * file locking relaxed on the caller's property list), closing any handle, and the
 * in-memory files committed atomically with their dataset and attribute helpers. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "io/h5util.h"
#include "testutil.h"

static void setup(void) {
  h5u_quiet();
  tu_setup();
}

/* h5u_open failed with TR_EINPUT naming path, the message holding words, *f = -1. */
static void open_fails(const char *path, const char *words) {
  hid_t f = 7;
  tr_error_clear();
  tu_h5_assert_error(h5u_open(path, &f), TR_EINPUT, path, words);
  ck_assert_int_lt(f, 0);
}

START_TEST(test_open_checks) {
  char *p = tu_path(tu_dir, "missing.h5");
  open_fails(p, "cannot open: No such file or directory");
  free(p);
  open_fails(tu_dir, "is a directory, not an HDF5 file");
  p = tu_path(tu_dir, "text.h5");
  tu_write(p, "a,b\n1,2\n");
  open_fails(p, "not an HDF5 file");
  free(p);
  /* The HDF5 signature is there, the rest of the file is not. */
  FILE *in = fopen(TEST_DATA_DIR "/h5py_gzip.h5", "rb");
  ck_assert_ptr_nonnull(in);
  char head[1500];
  size_t got = fread(head, 1, sizeof head, in);
  fclose(in);
  p = tu_path(tu_dir, "truncated.h5");
  FILE *out = fopen(p, "wb");
  fwrite(head, 1, got, out);
  fclose(out);
  open_fails(p, "truncated or corrupt");
  free(p);

  hid_t f = H5I_INVALID_HID;
  tr_error_clear();
  ck_assert_int_eq(h5u_open(TEST_DATA_DIR "/h5py_gzip.h5", &f), TR_OK);
  unsigned intent = 0;
  ck_assert_int_ge(H5Fget_intent(f, &intent), 0);
  ck_assert_uint_eq(intent, H5F_ACC_RDONLY);
  h5u_close(&f);
  ck_assert_int_eq(f, H5I_INVALID_HID);
  h5u_close(&f); /* safe on an invalid handle */
  tu_h5_assert_closed();
}
END_TEST

START_TEST(test_open_rdonly) {
  char *p = tu_path(tu_dir, "missing.h5");
  ck_assert_int_lt(h5u_open_rdonly(p, H5I_INVALID_HID), 0);
  ck_assert_int_eq(tr_error_code(), TR_OK); /* the caller words the error */
  free(p);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  hid_t f = h5u_open_rdonly(TEST_DATA_DIR "/h5py_gzip.h5", fapl);
  ck_assert_int_ge(f, 0);
#if H5_VERSION_GE(1, 10, 7)
  hbool_t use = false, ignore = false;
  ck_assert_int_ge(H5Pget_file_locking(fapl, &use, &ignore), 0);
  ck_assert(use && ignore); /* locks used where the file system has them, else not */
#endif
  h5u_close(&f);
  h5u_close(&fapl);
  tu_h5_assert_closed();
}
END_TEST

START_TEST(test_memory_file_round_trip) {
  char *p = tu_path(tu_dir, "built.h5");
  hid_t f = h5u_create_memory();
  ck_assert_int_ge(f, 0);
  long one = 42, three[3] = {1, -2, 3};
  float m[6] = {1, 2, 3, 4, 5, 6};
  herr_t bad = 0;
  bad |= h5u_put_string_attr(f, "name", "délta");
  bad |= h5u_put_longs_attr(f, "one", &one, 1, true);
  bad |= h5u_put_longs_attr(f, "three", three, 3, false);
  bad |= h5u_put_longs_attr(f, "none", NULL, 0, false);
  bad |= h5u_put_double_attr(f, "rate", 0.25);
  bad |= h5u_put_array(f, "group/sub/m", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, 3, m);
  bad |= h5u_put_array(f, "empty", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 0, 0, NULL);
  ck_assert_int_ge(bad, 0);
  ck_assert_int_eq(h5u_commit_image(f, true, p, "test file"), TR_OK);

  f = h5u_open_rdonly(p, H5I_INVALID_HID);
  ck_assert_int_ge(f, 0);
  char s[4];
  ck_assert(h5u_get_string_attr(f, "name", s, sizeof s));
  ck_assert_str_eq(s, "d\xc3\xa9"); /* truncated to fit */
  char *dup = h5u_get_string_attr_dup(f, "name");
  ck_assert_str_eq(dup, "délta");
  free(dup);
  ck_assert_ptr_null(h5u_get_string_attr_dup(f, "absent"));
  long v[3] = {0};
  ck_assert_int_eq(h5u_get_longs_attr(f, "one", v, 1), 1);
  ck_assert_int_eq(v[0], 42);
  ck_assert_int_eq(h5u_get_longs_attr(f, "three", v, 3), 3);
  ck_assert_int_eq(v[1], -2);
  ck_assert_int_eq(h5u_get_longs_attr(f, "three", v, 2), -1); /* too many */
  ck_assert_int_eq(h5u_get_longs_attr(f, "none", v, 3), 0);
  ck_assert_int_eq(h5u_get_longs_attr(f, "absent", v, 3), -1);
  double rate = 0;
  ck_assert(h5u_get_double_attr(f, "rate", &rate));
  ck_assert_double_eq(rate, 0.25);
  ck_assert(!h5u_get_double_attr(f, "absent", &rate));
  float back[6] = {0};
  ck_assert(h5u_get_array(f, "group/sub/m", H5T_NATIVE_FLOAT, 6, back));
  ck_assert_mem_eq(back, m, sizeof m);
  ck_assert(!h5u_get_array(f, "group/sub/m", H5T_NATIVE_FLOAT, 5, back)); /* wrong size */
  ck_assert(!h5u_get_array(f, "absent", H5T_NATIVE_FLOAT, 6, back));
  ck_assert(h5u_get_array(f, "empty", H5T_NATIVE_FLOAT, 0, back));
  h5u_close(&f);
  tu_h5_assert_closed();
  free(p);
}
END_TEST

START_TEST(test_commit_never_follows_a_planted_link) {
  char *p = tu_path(tu_dir, "model.h5"), *outside = tu_path(tu_dir, "outside.txt");
  tu_write(outside, "precious");
  tu_plant_tmp_links(p, outside);
  hid_t f = h5u_create_memory();
  ck_assert_int_ge(f, 0);
  ck_assert_int_ge(h5u_put_double_attr(f, "rate", 0.5), 0);
  ck_assert_int_eq(h5u_commit_image(f, true, p, "model file"), TR_OK);
  tu_assert_links_unfollowed(p, outside, "precious");
  f = h5u_open_rdonly(p, H5I_INVALID_HID);
  double rate = 0;
  ck_assert(f >= 0 && h5u_get_double_attr(f, "rate", &rate) && rate == 0.5);
  h5u_close(&f);
  tu_h5_assert_closed();
  free(outside);
  free(p);
}
END_TEST

START_TEST(test_commit_failures) {
  /* A failed build writes nothing; a failed write names the path. */
  char *p = tu_path(tu_dir, "never.h5");
  hid_t f = h5u_create_memory();
  ck_assert_int_ge(f, 0);
  tu_h5_assert_error(h5u_commit_image(f, false, p, "model file"), TR_EHDF5, p,
                     "cannot build the model file");
  ck_assert_int_ne(access(p, F_OK), 0);
  free(p);
  p = tu_path(tu_dir, "no/such/dir/x.h5");
  f = h5u_create_memory();
  tr_error_clear();
  tu_h5_assert_error(h5u_commit_image(f, true, p, "checkpoint"), TR_EIO, p, NULL);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("h5util");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, tu_teardown);
  tcase_add_test(tc, test_open_checks);
  tcase_add_test(tc, test_open_rdonly);
  tcase_add_test(tc, test_memory_file_round_trip);
  tcase_add_test(tc, test_commit_never_follows_a_planted_link);
  tcase_add_test(tc, test_commit_failures);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
