/* Tests for io/h5write.c: round trips through the reader (gzip levels, chunk sizes,
 * labels, UTF-8 feature names, thousands of names stored densely), the default chunking,
 * bad options, and atomic writes (no temporary file left behind, nothing partial
 * visible). The chunking written is inspected with h5io_info. */
#define _GNU_SOURCE
#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "io/h5io.h"
#include "io/info.h"
#include "testutil.h"

static void setup(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tu_setup();
}

START_TEST(test_round_trip) {
  int levels[] = {0, 6};
  for (int k = 0; k < 2; k++) {
    ds_dataset *d = ds_new(1000, 5, true);
    for (size_t i = 0; i < 1000; i++) {
      for (size_t j = 0; j < 5; j++) d->X[i * 5 + j] = (float)tu_h5_xval(i, j);
      d->y[i] = (float)i * 0.5f;
    }
    const char *names[] = {"alpha", "beta", "gamma", "délta", ""};
    ck_assert_int_eq(ds_set_feature_names(d, names), TR_OK);
    char *p = tu_path(tu_dir, levels[k] ? "rt6.h5" : "rt0.h5");
    h5io_write_opts w = {.deflate = levels[k], .chunk_rows = 128};
    ck_assert_msg(h5io_write(p, d, &w) == TR_OK, "%s", tr_error_message());
    tu_h5_assert_closed();
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
  tu_h5_assert_closed();
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
  tu_h5_assert_closed();
}
END_TEST

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
  tu_h5_assert_error(h5io_write(p, d, &w), TR_EIO, p, NULL);
  ck_assert_int_eq(count_tmp_files(tu_dir), 0);
  /* The temporary is created, but renaming over a directory fails: it is removed. */
  char *sub = tu_path(tu_dir, "adir");
  char *cmd = NULL;
  ck_assert_int_ge(asprintf(&cmd, "mkdir -p '%s/x'", sub), 0);
  ck_assert_int_eq(system(cmd), 0);
  tr_error_clear();
  tu_h5_assert_error(h5io_write(sub, d, &w), TR_EIO, sub, NULL);
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

START_TEST(test_write_never_follows_a_planted_link) {
  /* libhdf5 creates the file itself: in a private directory, never at a planted name */
  ds_dataset *d = ds_new(10, 2, true);
  for (size_t i = 0; i < 20; i++) d->X[i] = (float)i;
  char *p = tu_path(tu_dir, "out.h5"), *outside = tu_path(tu_dir, "outside.txt");
  tu_write(outside, "precious");
  tu_plant_tmp_links(p, outside);
  ck_assert_msg(h5io_write(p, d, NULL) == TR_OK, "%s", tr_error_message());
  tu_assert_links_unfollowed(p, outside, "precious");
  ds_dataset *r = NULL;
  ck_assert_int_eq(h5io_read(p, NULL, &r), TR_OK);
  ck_assert_float_eq(r->X[19], 19.0f);
  ds_free(&r);
  ck_assert_int_eq(count_tmp_files(tu_dir), 2); /* the two planted links, nothing else */
  free(outside);
  free(p);
  ds_free(&d);
}
END_TEST

static Suite *h5write_suite(void) {
  Suite *s = suite_create("h5write");
  TCase *tc = tcase_create("write");
  tcase_add_checked_fixture(tc, setup, tu_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_write_defaults);
  tcase_add_test(tc, test_many_feature_names);
  tcase_add_test(tc, test_atomic_write_failure);
  tcase_add_test(tc, test_write_never_follows_a_planted_link);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(h5write_suite()); }
