/* Tests for experiments/pricing.c: lookups in the shipped catalog and malformed ones. */
#include <stdlib.h>
#include <string.h>

#include "experiments/pricing.h"
#include "testutil.h"

#define CATALOG TEST_DATA_DIR "/../../configs/pricing.ini"

/* Loads the catalog at path and looks type up in it: the first error. */
static tr_err find(const char *path, const char *type, pricing_instance *it) {
  pricing *p = NULL;
  tr_err rc = pricing_load(path, &p);
  if (rc == TR_OK) rc = pricing_find_instance(p, type, it);
  pricing_free(&p);
  return rc;
}

START_TEST(shipped_catalog) {
  pricing_instance it;
  ck_assert_int_eq(find(CATALOG, "c5.4xlarge", &it), TR_OK);
  ck_assert_double_eq_tol(it.usd_per_hour, 0.68, 1e-12);
  ck_assert_int_eq(it.vcpus, 16);
  ck_assert_double_eq_tol(pricing_rate(&it, false), 0.68, 1e-12);
  ck_assert_double_eq_tol(pricing_rate(&it, true), 0.68 * (1 - it.spot_discount), 1e-12);
  ck_assert_int_eq(find(CATALOG, "p4d.24xlarge", &it), TR_OK);
  ck_assert_int_eq(it.gpus, 8);
}
END_TEST

START_TEST(one_read_many_lookups) {
  pricing *p = NULL;
  ck_assert_int_eq(pricing_load(CATALOG, &p), TR_OK);
  pricing_instance it;
  double usd;
  ck_assert_int_eq(pricing_find_instance(p, "c5.xlarge", &it), TR_OK);
  ck_assert_int_eq(pricing_find_instance(p, "c5.4xlarge", &it), TR_OK);
  ck_assert_int_eq(pricing_storage_price(p, "s3", "usd_per_1k_get", &usd), TR_OK);
  ck_assert_double_eq_tol(usd, 0.0004, 1e-12);
  ck_assert_int_eq(pricing_storage_price(p, "fsx.SCRATCH_2", "usd_per_gb_month", &usd), TR_OK);
  tr_error_clear();
  ck_assert_int_eq(pricing_storage_price(p, "tape", "usd_per_gb_month", &usd), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "storage.backend: unknown storage service 'tape'"));
  tr_error_clear();
  pricing_free(&p);
  ck_assert_ptr_null(p);
  pricing_free(&p); /* NULL-safe */
}
END_TEST

START_TEST(errors) {
  pricing_instance it;
  tr_error_clear();
  ck_assert_int_eq(find(CATALOG, "c5.huge", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "cost.instance: unknown instance type 'c5.huge'"));
  tr_error_clear();
  ck_assert_int_eq(find("/nonexistent.ini", "c5.xlarge", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "cannot open pricing catalog"));
  char *dir = tu_tmpdir(), *p = tu_path(dir, "p.ini");
  tu_write(p, "[instance.x1]\nvcpus = 4\nusd_per_hour = cheap\n");
  tr_error_clear();
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:3: [instance.x1] usd_per_hour"));
  tu_write(p, "[instance.x1]\nspot_discount = 1.5\nusd_per_hour = 1\n");
  tr_error_clear();
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:2:"));
  /* Found by fuzz_pricing: a count past INT_MAX was converted to int (undefined), and
   * NaN or infinite values were accepted. */
  tu_write(p, "[instance.x1]\nusd_per_hour = 1\nvcpus = 7777777777777777\n");
  tr_error_clear();
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:3: [instance.x1] vcpus"));
  tu_write(p, "[instance.x1]\nusd_per_hour = nan\n");
  tr_error_clear();
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  tu_write(p, "[instance.x1]\nusd_per_hour = 1\ngpus = inf\n");
  tr_error_clear();
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  tu_write(p, "[instance.x1]\nvcpus = 4\n");
  tr_error_clear();
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "has no usd_per_hour"));
  tr_error_clear();
  /* a syntax error anywhere refuses the whole catalog, at its line */
  tu_write(p, "[instance.x1]\nusd_per_hour = 1\n[broken\n");
  ck_assert_int_eq(find(p, "x1", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:3: syntax error"));
  tr_error_clear();
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

/* Loads text as a catalog at dir/p.ini and looks x1 up: the first error's code. */
static tr_err find_in(const char *text, pricing_instance *it) {
  char *p = tu_path(tu_dir, "p.ini");
  tu_write(p, text);
  tr_error_clear();
  tr_err rc = find(p, "x1", it);
  free(p);
  return rc;
}

/* Issue "duplicate keys": a price given twice silently took the last value; now the
 * catalog is refused at the second line, naming the first, also across a reopened
 * section. */
START_TEST(duplicate_keys) {
  pricing_instance it;
  ck_assert_int_eq(find_in("[instance.x1]\nusd_per_hour = 1\nvcpus = 4\nusd_per_hour = 0.1\n", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:4: instance.x1.usd_per_hour is set twice (first at "));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:2)"));
  ck_assert_int_eq(find_in("[instance.x1]\nusd_per_hour = 1\n[instance.x2]\nusd_per_hour = 2\n"
                           "[instance.x1]\nusd_per_hour = 3\n", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:6: instance.x1.usd_per_hour is set twice"));
  /* the same key in two sections is two prices */
  ck_assert_int_eq(find_in("[instance.x1]\nusd_per_hour = 1\n[instance.x2]\nusd_per_hour = 2\n", &it), TR_OK);
  ck_assert_double_eq(it.usd_per_hour, 1);
  tr_error_clear();
}
END_TEST

/* Issue "long lines split silently": a key after a long comment took effect (here a
 * cheaper price); the catalog is refused at that line. */
START_TEST(long_lines) {
  char text[400] = "[instance.x1]\nusd_per_hour = 1\n; ";
  size_t len = strlen(text);
  memset(text + len, '-', 210);
  strcpy(text + len + 210, "spot_discount = 0.99\n");
  pricing_instance it;
  ck_assert_int_eq(find_in(text, &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:3: line longer than"));
  tr_error_clear();
}
END_TEST

/* Issue "numeric keys finite and in range": fractional counts were truncated (4.5
 * vCPUs read as 4) and any finite price was taken (1e300 made every cost infinite). */
START_TEST(values_in_range) {
  pricing_instance it;
  static const char *const bad[][2] = {
      {"vcpus = 4.5", "p.ini:3: [instance.x1] vcpus: expected a whole number in [1, 2147483647], got '4.5'"},
      /* review: a type of no vCPUs divided rightsizing's time by zero */
      {"vcpus = 0", "p.ini:3: [instance.x1] vcpus: expected a whole number in [1, 2147483647], got '0'"},
      {"vcpus = -2", "p.ini:3: [instance.x1] vcpus: expected a whole number in [1, 2147483647], got '-2'"},
      {"gpus = 0.5", "p.ini:3: [instance.x1] gpus: expected a whole number"},
      {"memory_gib = 1e300", "p.ini:3: [instance.x1] memory_gib: expected a number in [0, 1000000000]"},
      {"spot_discount = -0", NULL}, /* -0 is 0 */
      {"usd_per_hour = 2", "p.ini:3: instance.x1.usd_per_hour is set twice"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[200];
    snprintf(text, sizeof text, "[instance.x1]\nusd_per_hour = 1\n%s\n", bad[i][0]);
    tr_err rc = find_in(text, &it);
    if (!bad[i][1]) {
      ck_assert_msg(rc == TR_OK, "%s: %s", bad[i][0], tr_error_message());
      continue;
    }
    ck_assert_int_eq(rc, TR_ECONFIG);
    ck_assert_msg(strstr(tr_error_message(), bad[i][1]), "%s: %s", bad[i][0], tr_error_message());
  }
  ck_assert_int_eq(find_in("[instance.x1]\nusd_per_hour = 1e300\n", &it), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:2: [instance.x1] usd_per_hour: expected a number in [0, 1000000]"));
  ck_assert_int_eq(find_in("[instance.x1]\nusd_per_hour = 1\nvcpus = 96\ngpus = 8\n", &it), TR_OK);
  ck_assert_int_eq(it.vcpus, 96);
  ck_assert_int_eq(it.gpus, 8);
  pricing *p = NULL;
  char *path = tu_path(tu_dir, "p.ini");
  tu_write(path, "[storage.s3]\nusd_per_1k_get = inf\n");
  ck_assert_int_eq(pricing_load(path, &p), TR_OK);
  double usd;
  tr_error_clear();
  ck_assert_int_eq(pricing_storage_price(p, "s3", "usd_per_gb_month", &usd), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini:2: [storage.s3] usd_per_1k_get"));
  ck_assert(!pricing_has_instance(p, "s3"));
  pricing_free(&p);
  /* a serving instance's vcpus likewise: whole, at least 1, at its line */
  static const char *const bad_vcpus[] = {"0", "0.5", "2.5", "-1"};
  for (size_t i = 0; i < 4; i++) {
    char text[200];
    snprintf(text, sizeof text, "[serving.realtime.x]\nusd_per_hour = 1\nvcpus = %s\n", bad_vcpus[i]);
    tu_write(path, text);
    ck_assert_int_eq(pricing_load(path, &p), TR_OK);
    tr_error_clear();
    ck_assert_int_eq(pricing_serving_value(p, "realtime.x", "vcpus", &usd), TR_ECONFIG);
    char want[600];
    snprintf(want, sizeof want, "%s:3: [serving.realtime.x] vcpus: expected a whole number in [1, 1000000], got '%s'",
             path, bad_vcpus[i]);
    ck_assert_msg(!strcmp(tr_error_message(), want), "%s", tr_error_message());
    pricing_free(&p);
  }
  free(path);
  tr_error_clear();
}
END_TEST

int main(void) {
  Suite *s = suite_create("pricing");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, shipped_catalog);
  tcase_add_test(tc, one_read_many_lookups);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, duplicate_keys);
  tcase_add_test(tc, long_lines);
  tcase_add_test(tc, values_in_range);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
