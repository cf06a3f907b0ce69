/* Tests for experiments/cost.c: every storage formula against numbers worked by hand
 * from the shipped catalog's prices (S3 $0.023/GB-month and $0.0004 per 1,000 GETs, EFS
 * $0.30/GB-month and $0.03/GB read, FSx SCRATCH_2 $0.14/GB-month). */
#include <string.h>

#include "experiments/cost.h"
#include "testutil.h"

#define CATALOG TEST_DATA_DIR "/../../configs/pricing.ini"

static cost_storage_out price(cost_storage_in in) {
  cost_storage_out out;
  ck_assert_int_eq(cost_storage(CATALOG, &in, &out), TR_OK);
  return out;
}

START_TEST(s3_storage_and_gets) {
  /* 100 GB for 2 hours: 100 x 0.023 x 2/730; a million GETs: 1000 x 0.0004 */
  cost_storage_out o = price((cost_storage_in){.backend = "s3", .data_gb = 100, .hours = 2,
                                               .requests = 1000000});
  ck_assert_double_eq_tol(o.storage_usd, 0.0063013699, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 0.4, 1e-12);
}
END_TEST

START_TEST(efs_storage_and_elastic_reads) {
  cost_storage_out o = price((cost_storage_in){.backend = "efs", .data_gb = 100, .hours = 2,
                                               .read_gb = 500, .efs_elastic = true});
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 15.0, 1e-9);
  o = price((cost_storage_in){.backend = "efs", .data_gb = 100, .hours = 2, .read_gb = 500});
  ck_assert_double_eq_tol(o.requests_usd, 0.0, 1e-12); /* bursting: no per-GB charge */
}
END_TEST

START_TEST(fsx_capacity_plus_bucket) {
  /* 1.2 TiB provisioned: 1228.8 GB x 0.14 x 2/730, plus the bucket's 100 GB and its
     2,000 GETs */
  cost_storage_out o = price((cost_storage_in){.backend = "fsx", .fsx_deployment = "SCRATCH_2",
                                               .data_gb = 100, .fsx_capacity_tib = 1.2,
                                               .hours = 2, .requests = 2000});
  ck_assert_double_eq_tol(o.storage_usd, 0.4713205479 + 0.0063013699, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 0.0008, 1e-12);
  o = price((cost_storage_in){.backend = "fsx", .fsx_deployment = "PERSISTENT_1000",
                              .fsx_capacity_tib = 2.4, .hours = 730});
  ck_assert_double_eq_tol(o.storage_usd, 2.4 * 1024 * 0.60, 1e-9); /* one month */
}
END_TEST

START_TEST(local_and_errors) {
  cost_storage_out o = price((cost_storage_in){.backend = "local", .data_gb = 100, .hours = 2,
                                               .requests = 99});
  ck_assert(o.storage_usd == 0 && o.requests_usd == 0);
  o = price((cost_storage_in){.backend = "null", .data_gb = 100, .hours = 2});
  ck_assert(o.storage_usd == 0 && o.requests_usd == 0);
  cost_storage_in in = {.backend = "fsx", .fsx_deployment = "PERSISTENT_9", .hours = 1};
  tr_error_clear();
  ck_assert_int_eq(cost_storage(CATALOG, &in, &o), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "unknown storage service 'fsx.PERSISTENT_9'"));
  in.backend = "s3";
  tr_error_clear();
  ck_assert_int_eq(cost_storage("/no/catalog.ini", &in, &o), TR_ECONFIG);
}
END_TEST

START_TEST(run_cost) {
  /* 2 x c5.4xlarge ($0.68/h each) for 30 minutes, plus storage and GETs */
  cost_storage_out st = {.storage_usd = 0.25, .requests_usd = 0.05};
  cost_run_usd c = cost_run(2 * 0.68, 1800, &st);
  ck_assert_double_eq_tol(c.compute_usd, 0.68, 1e-12);
  ck_assert_double_eq_tol(c.total_usd, 0.68 + 0.25 + 0.05, 1e-12);
  c = cost_run(0.17, 7200, NULL);
  ck_assert_double_eq_tol(c.total_usd, 0.34, 1e-12);
  char buf[32];
  cost_format_usd(12.345, buf, sizeof buf);
  ck_assert_str_eq(buf, "$12.35");
  cost_format_usd(0.01234, buf, sizeof buf);
  ck_assert_str_eq(buf, "$0.0123");
  cost_format_usd(4.56e-6, buf, sizeof buf);
  ck_assert_str_eq(buf, "$4.56e-06");
}
END_TEST

int main(void) {
  Suite *s = suite_create("cost");
  TCase *tc = tcase_create("cost");
  tcase_add_test(tc, s3_storage_and_gets);
  tcase_add_test(tc, efs_storage_and_elastic_reads);
  tcase_add_test(tc, fsx_capacity_plus_bucket);
  tcase_add_test(tc, local_and_errors);
  tcase_add_test(tc, run_cost);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
