/* Tests for io/files.c: the suffix tests (any case, .gz), the glob test, shard sets, and
 * the sorted file lists of a directory (HDF5 names only) and of a glob, with their
 * errors. No file is read. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/files.h"
#include "testutil.h"

START_TEST(format_by_suffix) {
  ck_assert_int_eq(ds_format_of("a.h5"), DS_FORMAT_HDF5);
  ck_assert_int_eq(ds_format_of("dir/A.HDF5"), DS_FORMAT_HDF5);
  ck_assert_int_eq(ds_format_of("a.csv"), DS_FORMAT_CSV);
  ck_assert_int_eq(ds_format_of("a.CSV.gz"), DS_FORMAT_CSV);
  ck_assert_int_eq(ds_format_of("a.libsvm"), DS_FORMAT_LIBSVM);
  ck_assert_int_eq(ds_format_of("a.svm.gz"), DS_FORMAT_LIBSVM);
  ck_assert_int_eq(ds_format_of("a.h5.gz"), DS_FORMAT_UNKNOWN);
  ck_assert_int_eq(ds_format_of("a.parquet"), DS_FORMAT_UNKNOWN);
  ck_assert_int_eq(ds_format_of("h5"), DS_FORMAT_UNKNOWN);
  ck_assert(ds_is_text_path("x.Csv"));
  ck_assert(ds_is_text_path("x.libsvm.gz"));
  ck_assert(!ds_is_text_path("x.h5"));
}
END_TEST

START_TEST(globs_and_shard_sets) {
  ck_assert(ds_is_glob("d/part-*.h5"));
  ck_assert(ds_is_glob("d/part-?.h5"));
  ck_assert(ds_is_glob("d/part-[01].h5"));
  ck_assert(!ds_is_glob("d/part-0.h5"));
  ck_assert(ds_is_shard_set(tu_dir));
  ck_assert(ds_is_shard_set("/nonexistent/*.h5")); /* a pattern, whether it matches or not */
  char *f = tu_path(tu_dir, "a.h5");
  tu_write(f, "x");
  ck_assert(!ds_is_shard_set(f));
  ck_assert(!ds_is_shard_set("/nonexistent/a.h5"));
  free(f);
}
END_TEST

START_TEST(lists_sorted_hdf5_shards) {
  const char *names[] = {"part-2.h5", "part-0.h5", "notes.txt", "part-1.HDF5", "x.csv"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char *p = tu_path(tu_dir, names[i]);
    tu_write(p, "x");
    free(p);
  }
  char **paths = NULL;
  size_t n = 0;
  ck_assert_int_eq(ds_list_files(tu_dir, &paths, &n), TR_OK);
  ck_assert_uint_eq(n, 3);
  const char *want[] = {"part-0.h5", "part-1.HDF5", "part-2.h5"};
  for (size_t i = 0; i < n; i++) {
    char *p = tu_path(tu_dir, want[i]);
    ck_assert_str_eq(paths[i], p);
    free(p);
  }
  ds_free_files(&paths, n);
  ck_assert_ptr_null(paths);
  ds_free_files(&paths, 0); /* safe on NULL */

  char *pattern = tu_path(tu_dir, "part-[12]*");
  ck_assert_int_eq(ds_list_files(pattern, &paths, &n), TR_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_ptr_nonnull(strstr(paths[0], "part-1.HDF5"));
  ck_assert_ptr_nonnull(strstr(paths[1], "part-2.h5"));
  ds_free_files(&paths, n);
  free(pattern);

  /* Any other path is a list of itself, unchecked. */
  ck_assert_int_eq(ds_list_files("/nonexistent/a.csv", &paths, &n), TR_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(paths[0], "/nonexistent/a.csv");
  ds_free_files(&paths, n);
}
END_TEST

START_TEST(list_errors) {
  char **paths = (char **)1;
  size_t n = 7;
  ck_assert_int_eq(ds_list_files(tu_dir, &paths, &n), TR_EINPUT);
  ck_assert_ptr_null(paths);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no HDF5 files (*.h5, *.hdf5) found"));
  tr_error_clear();
  char *pattern = tu_path(tu_dir, "none-*.h5");
  ck_assert_int_eq(ds_list_files(pattern, &paths, &n), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no file matches"));
  free(pattern);
}
END_TEST

int main(void) {
  Suite *s = suite_create("files");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, format_by_suffix);
  tcase_add_test(tc, globs_and_shard_sets);
  tcase_add_test(tc, lists_sorted_hdf5_shards);
  tcase_add_test(tc, list_errors);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
