/* Tests for io/info.c: the JSON of `tradeoff info` for HDF5 files (every field, integer,
 * real and absent labels, chunking and filters, the h5py fixtures, the reader's errors)
 * and for CSV and LIBSVM files (format, label counts or range, feature names). */
#include <cjson/cJSON.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/h5io.h"
#include "common/atomic_file.h"
#include "io/info.h"
#include "testutil.h"

static void setup(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tu_setup();
}

/* ---------------------------------------------------------------- HDF5 */

START_TEST(test_info_fields) {
  tu_h5_spec s = {.rows = 12, .cols = 3, .ytype = H5T_IEEE_F32LE}; /* contiguous, real labels */
  char *p = tu_h5_file("real.h5", &s);
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
  tu_h5_assert_closed();
}
END_TEST

START_TEST(test_info_float64_shuffle) {
  tu_h5_spec s = {.rows = 77, .cols = 5, .xtype = H5T_IEEE_F64LE, .chunk = {10, 2},
                  .deflate = 4, .shuffle = true, .ytype = H5T_IEEE_F64LE};
  char *p = tu_h5_file("f64.h5", &s);
  cJSON *j = NULL;
  ck_assert_int_eq(h5io_info(p, NULL, NULL, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dtype")->valuestring, "float64");
  ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "shuffle")));
  cJSON_Delete(j);
  free(p);
}
END_TEST

/* The reader's errors, with the path named and nothing left open. */
START_TEST(test_info_errors) {
  char *p = tu_path(tu_dir, "nope.h5");
  cJSON *j = (cJSON *)1;
  tu_h5_assert_error(h5io_info(p, NULL, NULL, &j), TR_EINPUT, p, NULL);
  ck_assert_ptr_null(j);
  free(p);
  tu_h5_spec z = {.rows = 10, .cols = 3, .xname = "Z"};
  p = tu_h5_file("nox.h5", &z);
  tr_error_clear();
  tu_h5_assert_error(h5io_info(p, "W", NULL, &j), TR_EINPUT, p, "no dataset 'W'");
  free(p);
  tu_h5_spec r3 = {.rows = 10, .cols = 3, .xrank = 3};
  p = tu_h5_file("rank3.h5", &r3);
  tr_error_clear();
  tu_h5_assert_error(h5io_info(p, NULL, NULL, &j), TR_EINPUT, p, "rank 3");
  free(p);
}
END_TEST

START_TEST(test_info_h5py_fixtures) {
  const char *files[] = {TEST_DATA_DIR "/h5py_gzip.h5", TEST_DATA_DIR "/h5py_shuffle.h5"};
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
  tu_h5_assert_closed();
}
END_TEST

/* ---------------------------------------------------------------- CSV, LIBSVM */

START_TEST(test_info_text) {
  char *csv = tu_path(tu_dir, "a.csv");
  tu_write(csv, "x,label\n1,0\n2,1\n3,1\n4,2\n5,1\n");
  cJSON *j = NULL;
  ck_assert_int_eq(info_text(csv, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "path")->valuestring, csv);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "csv");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 5);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "features")->valueint, 1);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dtype")->valuestring, "float32");
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "chunks")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "compression")));
  cJSON *lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dtype")->valuestring, "float32");
  ck_assert_int_eq(cJSON_GetObjectItem(lab, "classes")->valueint, 3);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(lab, "counts"), "1")->valueint, 3);
  cJSON *names = cJSON_GetObjectItem(j, "feature_names");
  ck_assert_int_eq(cJSON_GetArraySize(names), 1);
  ck_assert_str_eq(cJSON_GetArrayItem(names, 0)->valuestring, "x");
  cJSON_Delete(j);

  /* Real-valued labels: min, max, mean; LIBSVM has no feature names. */
  char *svm = tu_path(tu_dir, "a.libsvm");
  tu_write(svm, "0.5 1:1\n1.5 1:2 2:3\n");
  ck_assert_int_eq(info_text(svm, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "libsvm");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "features")->valueint, 2);
  lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_ptr_null(cJSON_GetObjectItem(lab, "counts"));
  ck_assert_double_eq(cJSON_GetObjectItem(lab, "min")->valuedouble, 0.5);
  ck_assert_double_eq(cJSON_GetObjectItem(lab, "max")->valuedouble, 1.5);
  ck_assert_double_eq(cJSON_GetObjectItem(lab, "mean")->valuedouble, 1.0);
  ck_assert_ptr_null(cJSON_GetObjectItem(j, "feature_names"));
  cJSON_Delete(j);

  /* The loader's errors. */
  char *bad = tu_path(tu_dir, "bad.csv");
  tu_write(bad, "x,label\n1,a,3\n"); /* ragged ("a" alone is a string label now) */
  j = NULL;
  ck_assert_int_eq(info_text(bad, &j), TR_EINPUT);
  ck_assert_ptr_null(j);
  free(csv);
  free(svm);
  free(bad);
}
END_TEST

START_TEST(test_info_describe_one_detector) {
  /* the suffix in any case picks HDF5; a directory of shards reads as "hdf5" */
  char *dir = tu_path(tu_dir, "shards");
  ck_assert_int_eq(tr_mkdir_p(dir), TR_OK);
  ds_dataset *d = ds_new(6, 2, true);
  char *upper = tu_path(tu_dir, "DATA.H5"), *part = tu_path(dir, "part-0.h5");
  ck_assert_int_eq(h5io_write(upper, d, NULL), TR_OK);
  ck_assert_int_eq(h5io_write(part, d, NULL), TR_OK);
  cJSON *j = NULL;
  ck_assert_int_eq(info_describe(upper, NULL, NULL, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dataset")->valuestring, "X"); /* described from metadata */
  cJSON_Delete(j);
  ck_assert_int_eq(info_describe(dir, NULL, NULL, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "hdf5");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 6);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "files")->valueint, 1);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dataset")->valuestring, "X"); /* described from metadata */
  cJSON_Delete(j);
  char *csv = tu_path(tu_dir, "T.CSV");
  tu_write(csv, "a,label\n1,0\n2,1\n");
  ck_assert_int_eq(info_describe(csv, NULL, NULL, &j), TR_OK);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "csv");
  cJSON_Delete(j);
  ds_free(&d);
  free(csv);
  free(upper);
  free(part);
  free(dir);
}
END_TEST

/* Writes a rows x cols shard (labels i % 3 when labelled) as dir/name. */
static void write_shard(const char *dir, const char *name, size_t rows, size_t cols, bool labelled) {
  ds_dataset *d = ds_new(rows, cols, labelled);
  for (size_t i = 0; labelled && i < rows; i++) d->y[i] = (float)(i % 3);
  char *p = tu_path(dir, name);
  ck_assert_int_eq(h5io_write(p, d, NULL), TR_OK);
  free(p);
  ds_free(&d);
}

START_TEST(test_info_two_shards) {
  /* labels of both shards, each counted once: 0,1,2,0 and 0,1,2 */
  char *dir = tu_path(tu_dir, "two");
  ck_assert_int_eq(tr_mkdir_p(dir), TR_OK);
  write_shard(dir, "part-0.h5", 4, 3, true);
  write_shard(dir, "part-1.h5", 3, 3, true);
  cJSON *j = NULL;
  ck_assert_int_eq(info_describe(dir, NULL, NULL, &j), TR_OK);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 7);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "files")->valueint, 2);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "features")->valueint, 3);
  cJSON *lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dataset")->valuestring, "y");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dtype")->valuestring, "float32");
  cJSON *counts = cJSON_GetObjectItem(lab, "counts");
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "0")->valueint, 3);
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "1")->valueint, 2);
  ck_assert_int_eq(cJSON_GetObjectItem(counts, "2")->valueint, 2);
  ck_assert_int_eq(cJSON_GetObjectItem(lab, "classes")->valueint, 3);
  cJSON_Delete(j);

  /* one shard without y: the set has no labels */
  char *nolab = tu_path(tu_dir, "nolabels");
  ck_assert_int_eq(tr_mkdir_p(nolab), TR_OK);
  write_shard(nolab, "part-0.h5", 4, 3, true);
  write_shard(nolab, "part-1.h5", 3, 3, false);
  ck_assert_int_eq(info_describe(nolab, NULL, NULL, &j), TR_OK);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 7);
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "labels")));
  cJSON_Delete(j);
  char *first = tu_path(nolab, "part-0.h5");
  ck_assert_int_eq(remove(first), 0); /* the first without y */
  write_shard(nolab, "part-0.h5", 4, 3, false);
  write_shard(nolab, "part-1.h5", 3, 3, true);
  ck_assert_int_eq(info_describe(nolab, NULL, NULL, &j), TR_OK);
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "labels")));
  cJSON_Delete(j);

  /* shards with different column counts */
  char *ragged = tu_path(tu_dir, "ragged");
  ck_assert_int_eq(tr_mkdir_p(ragged), TR_OK);
  write_shard(ragged, "part-0.h5", 4, 3, true);
  write_shard(ragged, "part-1.h5", 3, 5, true);
  tr_error_clear();
  ck_assert_int_eq(info_describe(ragged, NULL, NULL, &j), TR_EINPUT);
  ck_assert_ptr_null(j);
  char *p0 = tu_path(ragged, "part-0.h5"), *p1 = tu_path(ragged, "part-1.h5"), want[900];
  snprintf(want, sizeof want, "%s: has 5 columns, %s has 3", p1, p0);
  ck_assert_str_eq(tr_error_message(), want);
  tr_error_clear();
  free(p0);
  free(p1);
  free(first);
  free(ragged);
  free(nolab);
  free(dir);
}
END_TEST

/* Review: an HDF5 file with string labels went through the table reader's view, which
 * called X float32 with no chunks or compression whatever the file held; X is described
 * from its metadata (float64, chunked, gzip) and the labels as strings. */
START_TEST(test_info_h5_string_labels) {
  char *p = tu_path(tu_dir, "strlab.h5");
  hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {6, 2}, chunk[2] = {3, 2};
  hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_deflate(dcpl, 4);
  hid_t x = H5Dcreate2(f, "X", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  double xv[12];
  for (int i = 0; i < 12; i++) xv[i] = i * 0.5;
  ck_assert_int_ge(H5Dwrite(x, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, xv), 0);
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 3);
  hid_t ysp = H5Screate_simple(1, dims, NULL);
  hid_t y = H5Dcreate2(f, "y", str, ysp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char yv[6][3] = {"no", "yes", "no", "no", "yes", "no"};
  ck_assert_int_ge(H5Dwrite(y, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, yv), 0);
  H5Dclose(y), H5Sclose(ysp), H5Tclose(str), H5Dclose(x), H5Pclose(dcpl), H5Sclose(sp), H5Fclose(f);
  cJSON *j = NULL;
  ck_assert_msg(info_describe(p, NULL, NULL, &j) == TR_OK, "%s", tr_error_message());
  ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "hdf5");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dataset")->valuestring, "X");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "dtype")->valuestring, "float64");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "layout")->valuestring, "chunked");
  ck_assert_int_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chunks"), 0)->valueint, 3);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "compression")->valuestring, "gzip");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "rows")->valueint, 6);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "features")->valueint, 2);
  cJSON *lab = cJSON_GetObjectItem(j, "labels");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dataset")->valuestring, "y");
  ck_assert_str_eq(cJSON_GetObjectItem(lab, "dtype")->valuestring, "string");
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(lab, "counts"), "no")->valueint, 4);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(lab, "counts"), "yes")->valueint, 2);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(lab, "classes")), 2);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "columns")), 3);
  ck_assert_ptr_nonnull(cJSON_GetObjectItem(j, "label_column"));
  cJSON_Delete(j);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("info");
  TCase *tc = tcase_create("info");
  tcase_add_checked_fixture(tc, setup, tu_teardown);
  tcase_add_test(tc, test_info_fields);
  tcase_add_test(tc, test_info_float64_shuffle);
  tcase_add_test(tc, test_info_errors);
  tcase_add_test(tc, test_info_h5py_fixtures);
  tcase_add_test(tc, test_info_text);
  tcase_add_test(tc, test_info_two_shards);
  tcase_add_test(tc, test_info_describe_one_detector);
  tcase_add_test(tc, test_info_h5_string_labels);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
