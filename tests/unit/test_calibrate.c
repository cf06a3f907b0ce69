/* experiments/calibrate.c on a local directory: the measurements are made and bounded,
 * the fit is sane, and the [storage] text is a job's section (loaded with the job
 * tables, every fitted key known and in range); the fits on synthetic measurements of
 * known parameters recover them, and malformed measurements are refused. No timing is
 * asserted. The s3:// path
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

/* ini, appended to a job, loads; its backend is backend and key is set to a finite
 * value > 0 (>= 0 for a key ending in "_per_request": a per-request cost may be 0). */
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
  bool zero_ok = strstr(key, "_per_request") != NULL;
  ck_assert_msg((v > 0 || (zero_ok && v == 0)) && isfinite(v), "%s = %g", key, v);
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
  ck_assert(r.n_shared >= 1 && r.shared_level >= 1); /* the shared stage measured */
  for (size_t k = 0; k < r.n_shared; k++) ck_assert(r.shared_size[k] <= (3u << 20) && r.shared_mb_s[k] > 0);
  ck_assert(!r.link_fitted || (r.link_ms >= 0 && r.link_mb_s > 0 && r.n_link >= 2));
  /* the budget, give or take one request of each reader at each level */
  ck_assert_msg(r.bytes_read <= o.max_bytes + 64u * (1u << 20), "%llu bytes", (unsigned long long)r.bytes_read);
  char *ini = calib_ini(&r);
  ck_assert_ptr_nonnull(strstr(ini, "; fit: time = "));
  ck_assert_ptr_nonnull(strstr(ini, r.date));
  check_section(ini, "efs", "efs.per_client_mib_s");
  check_section(ini, "efs", "efs.client_ms_per_request");
  ck_assert_ptr_nonnull(strstr(ini, "cannot\n; be faster than that local copy"));
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


/* A line with known parameters is recovered from exact points, a noisy one within the
 * noise; a negative intercept falls back to the floor; one point goes through it. */
START_TEST(fit_line_recovers) {
  const double a = 0.0004, b = 1.0 / 800e6; /* 0.4 ms + bytes / 800 MB/s */
  double x[6] = {65536, 262144, 1 << 20, 4 << 20, 16 << 20, 32 << 20}, y[6];
  for (int k = 0; k < 6; k++) y[k] = a + b * x[k];
  calib_line l;
  ck_assert_int_eq(calib_fit_line(x, y, 6, 0, &l), TR_OK);
  ck_assert_double_eq_tol(l.a, a, 1e-9);
  ck_assert_double_eq_tol(l.b * 1e9, b * 1e9, 1e-6);
  ck_assert(l.residual < 1e-9);
  /* +-3% alternating noise: the parameters within 10%, the residual about 3% */
  for (int k = 0; k < 6; k++) y[k] = (a + b * x[k]) * (k % 2 ? 1.03 : 0.97);
  ck_assert_int_eq(calib_fit_line(x, y, 6, 0, &l), TR_OK);
  ck_assert_double_eq_tol(l.a / a, 1.0, 0.10);
  ck_assert_double_eq_tol(l.b / b, 1.0, 0.10);
  ck_assert(l.residual > 0.01 && l.residual < 0.05);
  /* a pure rate with a small negative intercept from noise: the floor, the slope refitted */
  double x2[3] = {1e6, 2e6, 4e6}, y2[3] = {0.0009, 0.0020, 0.0041};
  ck_assert_int_eq(calib_fit_line(x2, y2, 3, 0.0001, &l), TR_OK);
  ck_assert(l.a == 0.0001 && l.b > 0);
  /* one point: through the floor and it */
  ck_assert_int_eq(calib_fit_line(x2, y2, 1, 0.0001, &l), TR_OK);
  ck_assert_double_eq_tol(l.a + l.b * x2[0], y2[0], 1e-12);
}
END_TEST

START_TEST(fit_line_refuses) {
  double x[2] = {1e6, 2e6}, y[2] = {0.001, 0.002};
  calib_line l;
  ck_assert_int_eq(calib_fit_line(x, y, 0, 0, &l), TR_EINPUT);
  tr_error_clear();
  double bad[] = {0, -1, NAN, INFINITY};
  for (size_t k = 0; k < 4; k++) {
    double xs[2] = {x[0], bad[k]}, ys[2] = {bad[k], y[1]};
    ck_assert_int_eq(calib_fit_line(xs, y, 2, 0, &l), TR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tr_error_message(), "measurement 1"));
    tr_error_clear();
    ck_assert_int_eq(calib_fit_line(x, ys, 2, 0, &l), TR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tr_error_message(), "measurement 0"));
    tr_error_clear();
  }
  ck_assert_int_eq(calib_fit_line(x, y, 2, -1, &l), TR_EINPUT);
  tr_error_clear();
  ck_assert_int_eq(calib_fit_line(x, y, 2, NAN, &l), TR_EINPUT);
  tr_error_clear();
}
END_TEST

/* The measurements a target with known parameters gives: one connection a + b / r;
 * k connections min(k b / (a + b / r), b / (c + b / P)). */
static void synthetic(calib_result *r, double a_s, double r_bps, double c_s, double p_bps, int top_level) {
  memset(r, 0, sizeof *r);
  snprintf(r->backend, sizeof r->backend, "s3");
  static const uint64_t sizes[CALIB_SIZES] = {64u << 10, 256u << 10, 1u << 20, 4u << 20, 16u << 20, 32u << 20};
  r->ttfb_ms[1] = 1000.0 * (a_s + 4096 / r_bps);
  for (size_t k = 0; k < CALIB_SIZES; k++) {
    r->size[k] = sizes[k];
    r->size_ms[k] = 1000.0 * (a_s + (double)sizes[k] / r_bps);
  }
  r->n_sizes = CALIB_SIZES;
  for (int k = 1; k <= top_level; k *= 2) {
    double b = 4u << 20, conns = k * b / (a_s + b / r_bps), link = b / (c_s + b / p_bps);
    r->level[r->n_levels] = k;
    r->level_mb_s[r->n_levels++] = (conns < link ? conns : link) / 1e6;
  }
  r->shared_level = top_level;
  for (size_t k = 0; k < 4; k++) {
    double b = (double)sizes[k], conns = top_level * b / (a_s + b / r_bps), link = b / (c_s + b / p_bps);
    r->shared_size[k] = sizes[k];
    r->shared_mb_s[r->n_shared++] = (conns < link ? conns : link) / 1e6;
  }
}

/* The line of `key` in ini ends with the label `note`. */
static void check_label(const char *ini, const char *key, const char *note) {
  char head[96];
  snprintf(head, sizeof head, "\n%s = ", key);
  const char *at = strstr(ini, head);
  ck_assert_msg(at != NULL, "no %s in:\n%s", key, ini);
  const char *eol = strchr(at + 1, '\n');
  size_t n = strlen(note);
  ck_assert_msg(eol && (size_t)(eol - at) > n && !strncmp(eol - n, note, n), "%s is not labelled \"%s\":\n%s", key,
                note, ini);
}

START_TEST(fit_recovers_the_shared_stage) {
  /* a server that serves one request at a time: 0.5 ms + bytes / 1 GB/s per connection,
     0.45 ms + bytes / 1.1 GB/s shared by all (s3rver's shape) */
  calib_result r;
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  ck_assert_int_eq(calib_fit(&r), TR_OK);
  ck_assert_double_eq_tol(r.first_byte_ms, 0.5, 1e-6);
  ck_assert_double_eq_tol(r.mb_per_s, 1000, 1e-3);
  ck_assert(r.bandwidth_fitted && r.residual < 1e-9);
  ck_assert(r.flattened); /* 1, 2, 4, 8 readers: no more than one connection's */
  ck_assert(r.link_fitted);
  ck_assert_uint_eq(r.n_link, 4);
  ck_assert_double_eq_tol(r.link_ms, 0.45, 1e-6);
  ck_assert_double_eq_tol(r.link_mb_s, 1100, 1e-3);
  ck_assert(r.link_residual < 1e-9);
  /* the section carries them with their keys */
  char *ini = calib_ini(&r);
  ck_assert_ptr_nonnull(strstr(ini, "s3.link_ms_per_request = 0.45  ; fitted"));
  ck_assert_ptr_nonnull(strstr(ini, "s3.instance_gbps = 8.8  ; fitted"));
  ck_assert_ptr_nonnull(strstr(ini, "s3.open_ms = 0  ;"));
  check_section(ini, "s3", "s3.link_ms_per_request");
  check_label(ini, "s3.first_byte_ms", "  ; fitted: one-connection intercept");
  check_label(ini, "s3.mb_per_s_per_connection", "  ; fitted: one-connection rate");
  free(ini);
  /* efs: the latency is the one-reader intercept less the shared cost */
  snprintf(r.backend, sizeof r.backend, "efs");
  ini = calib_ini(&r);
  ck_assert_ptr_nonnull(strstr(ini, "efs.latency_ms = 0.05  ;"));
  ck_assert_ptr_nonnull(strstr(ini, "efs.client_ms_per_request = 0.45  ; fitted"));
  check_section(ini, "efs", "efs.client_ms_per_request");
  check_label(ini, "efs.open_ms", "  ; measured: open p50");
  free(ini);
  /* fsx: the intercept is its latency, the open p50 its open cost */
  snprintf(r.backend, sizeof r.backend, "fsx");
  ini = calib_ini(&r);
  check_label(ini, "fsx.latency_ms", "  ; fitted: one-connection intercept");
  check_label(ini, "fsx.open_ms", "  ; measured: open p50");
  check_section(ini, "fsx", "fsx.latency_ms");
  free(ini);
}
END_TEST

START_TEST(fit_without_a_shared_cost) {
  /* object storage that scales out: 30 ms + bytes / 90 MB/s per connection, a 1.25 GB/s
     link that only carries bytes. The small requests stay connection-bound at 32 readers
     (left out of the shared fit); the large ones give the link's rate and no cost. */
  calib_result r;
  synthetic(&r, 0.030, 90e6, 0, 1.25e9, 32);
  ck_assert_int_eq(calib_fit(&r), TR_OK);
  ck_assert(!r.shared_bound[0] && !r.shared_bound[1]);
  ck_assert(r.link_fitted || r.n_link < 2);
  if (r.link_fitted) {
    ck_assert(r.link_ms < 0.05);
    ck_assert_double_eq_tol(r.link_mb_s, 1250, 1250 * 0.05);
  }
  char *ini = calib_ini(&r);
  check_section(ini, "s3", "s3.instance_gbps");
  free(ini);
  /* still rising at the last level: no shared point at all, the plateau a lower bound */
  synthetic(&r, 0.030, 90e6, 0, 1e12, 4);
  ck_assert_int_eq(calib_fit(&r), TR_OK);
  ck_assert(!r.flattened && !r.link_fitted && r.n_link == 0);
  ini = calib_ini(&r);
  ck_assert_ptr_nonnull(strstr(ini, "a lower bound"));
  ck_assert_ptr_nonnull(strstr(ini, "s3.link_ms_per_request = 0  ; assumed"));
  free(ini);
  /* efs without a shared cost: its latency is the one-connection intercept */
  snprintf(r.backend, sizeof r.backend, "efs");
  ini = calib_ini(&r);
  check_label(ini, "efs.latency_ms", "  ; fitted: one-connection intercept");
  free(ini);
}
END_TEST

START_TEST(fit_refuses_malformed) {
  calib_result r;
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.n_sizes = 0;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  tr_error_clear();
  r.n_sizes = CALIB_SIZES + 1;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  tr_error_clear();
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.size_ms[2] = NAN;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "measurement 2"));
  tr_error_clear();
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.size[0] = 0;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  tr_error_clear();
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.level_mb_s[1] = -3;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "level 1"));
  tr_error_clear();
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.shared_mb_s[3] = INFINITY;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "shared stage point 3"));
  tr_error_clear();
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.shared_level = 0;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  tr_error_clear();
  synthetic(&r, 0.0005, 1e9, 0.00045, 1.1e9, 8);
  r.n_levels = CALIB_LEVELS + 1;
  ck_assert_int_eq(calib_fit(&r), TR_EINPUT);
  tr_error_clear();
}
END_TEST

int main(void) {
  Suite *s = suite_create("calibrate");
  TCase *tc = tcase_create("calibrate");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, directory);
  tcase_add_test(tc, refusals);
  tcase_add_test(tc, fit_line_recovers);
  tcase_add_test(tc, fit_line_refuses);
  tcase_add_test(tc, fit_recovers_the_shared_stage);
  tcase_add_test(tc, fit_without_a_shared_cost);
  tcase_add_test(tc, fit_refuses_malformed);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
