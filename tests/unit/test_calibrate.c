/* experiments/calibrate.c on a local directory: the measurements are made and bounded,
 * the fit is sane, and the [storage] text is a job's section (loaded with the job
 * tables, every fitted key known and in range). No timing is asserted. The s3:// path
 * is tests/integration/test_s3.sh. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/calibrate.h"
#include "experiments/job.h"
#include "testutil.h"

static void write_file(const char *dir, const char *name, size_t bytes) {
  char *p = tu_path(dir, name);
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  for (size_t i = 0; i < bytes; i++) fputc((int)(i * 31 % 251), f);
  fclose(f);
  free(p);
}

static void check_section(const char *ini, const char *backend, const char *key) {
  char *path = tu_path(tu_dir, "job.ini");
  FILE *f = fopen(path, "w");
  fprintf(f, "[data]\ntrain = x.h5\n%s", ini);
  fclose(f);
  job *j = job_load(path, NULL, 0);
  ck_assert_msg(j != NULL, "%s", tr_error_message());
  ck_assert_str_eq(cfg_str(j->src, "storage", "backend"), backend);
  ck_assert(cfg_is_set(j->src, "storage", key));
  double v = strtod(cfg_str(j->src, "storage", key), NULL);
  ck_assert(v > 0 && isfinite(v));
  job_free(&j);
  free(path);
}

START_TEST(directory) {
  write_file(tu_dir, "a.bin", 3u << 20);
  write_file(tu_dir, "b.bin", 2u << 20);
  write_file(tu_dir, "empty.bin", 0);
  calib_opts o = {.seconds = 0.5, .max_bytes = 64u << 20, .backend = NULL, .max_concurrency = 4};
  calib_result r;
  ck_assert_int_eq(calib_run(tu_dir, &o, &r), TR_OK);
  ck_assert_str_eq(r.backend, "efs");
  ck_assert_uint_eq(r.files, 2); /* the empty file is left out */
  ck_assert_uint_eq(r.n_open, 2);
  ck_assert(r.n_ttfb > 0 && r.n_sizes >= 2 && r.n_levels >= 1);
  ck_assert(r.size[r.n_sizes - 1] <= (3u << 20)); /* no request larger than the files */
  ck_assert(r.open_ms[0] <= r.open_ms[1] && r.open_ms[1] <= r.open_ms[2] && r.open_ms[2] <= r.open_ms[3]);
  ck_assert(r.ttfb_ms[1] >= 0 && r.first_byte_ms >= 0 && r.mb_per_s > 0 && r.residual >= 0);
  ck_assert(r.plateau_mb_s > 0 && r.plateau_level >= 1);
  /* the budget, give or take one request of each reader at each level */
  ck_assert_msg(r.bytes_read <= o.max_bytes + 64u * (1u << 20), "%llu bytes", (unsigned long long)r.bytes_read);
  char *ini = calib_ini(&r);
  ck_assert_ptr_nonnull(strstr(ini, "; fit: time = "));
  ck_assert_ptr_nonnull(strstr(ini, r.date));
  check_section(ini, "efs", "efs.per_client_mib_s");
  free(ini);
  o.backend = "fsx";
  ck_assert_int_eq(calib_run(tu_dir, &o, &r), TR_OK);
  ini = calib_ini(&r);
  check_section(ini, "fsx", "fsx.mb_per_s_per_tib");
  free(ini);
  /* written atomically */
  char *out = tu_path(tu_dir, "cal.ini");
  ck_assert_int_eq(calib_write(&r, out), TR_OK);
  char *text = tu_read(out);
  ck_assert_ptr_nonnull(strstr(text, "[storage]\nbackend = fsx\n"));
  free(text);
  free(out);
}
END_TEST

START_TEST(refusals) {
  calib_opts o = {.seconds = 1, .max_bytes = 1 << 20, .backend = NULL, .max_concurrency = 2};
  calib_result r;
  ck_assert_int_eq(calib_run("/no/such/dir", &o, &r), TR_EINPUT);
  tr_error_clear();
  ck_assert_int_eq(calib_run(tu_dir, &o, &r), TR_EINPUT); /* empty */
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no non-empty file"));
  tr_error_clear();
  o.backend = "s3"; /* a directory is not calibrated as object storage */
  ck_assert_int_eq(calib_run(tu_dir, &o, &r), TR_EUSAGE);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "efs or fsx for a directory"));
  tr_error_clear();
  o.backend = "nfs";
  ck_assert_ptr_nonnull(calib_check_opts(&o));
  o.backend = NULL;
  o.seconds = 0;
  ck_assert_ptr_nonnull(calib_check_opts(&o));
  o.seconds = NAN;
  ck_assert_ptr_nonnull(calib_check_opts(&o));
}
END_TEST

int main(void) {
  Suite *s = suite_create("calibrate");
  TCase *tc = tcase_create("calibrate");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, directory);
  tcase_add_test(tc, refusals);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
