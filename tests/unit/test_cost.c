/* Tests for experiments/cost.c: every backend's bill (io/backends/, through stg_bill_of)
 * priced against numbers worked by hand from the shipped catalog's prices (S3
 * $0.023/GB-month and $0.0004 per 1,000 GETs, EFS $0.30/GB-month, $0.03/GB read and $6.00
 * per MiB/s-month provisioned, FSx SCRATCH_2 $0.14/GB-month, PERSISTENT_1000 $0.60),
 * hand-made bills and catalogs without a price, and a run's total. */
#include <string.h>

#include "experiments/cost.h"
#include "experiments/job.h"
#include "io/storage_backend.h"
#include "testutil.h"

#define CATALOG TEST_DATA_DIR "/../../configs/pricing.ini"
#define GB 1073741824.0

static pricing *catalog;

static void load_catalog(void) { ck_assert_int_eq(pricing_load(CATALOG, &catalog), TR_OK); }
static void free_catalog(void) { pricing_free(&catalog); }

/* The bill of backend `name` (with job overrides sets) holding data_gb for hours after
 * requests GETs and read_gb read. */
static stg_bill bill_of(const char *name, char *const *sets, size_t n_sets, double data_gb,
                        double hours, uint64_t requests, double read_gb) {
  job *j = job_load(NULL, sets, n_sets);
  ck_assert_ptr_nonnull(j);
  stg_env env = {.ranks = 1, .ranks_per_node = 1, .data_bytes = (uint64_t)(data_gb * GB)};
  stg *s = stg_new(stg_backend_index(name), &j->storage.model, &env, true);
  ck_assert_ptr_nonnull(s);
  stg_counters c = {.requests = requests, .bytes = (uint64_t)(read_gb * GB)};
  stg_bill b;
  stg_bill_of(s, hours, &c, &b);
  stg_free(&s);
  job_free(&j);
  return b;
}

/* bill_of, priced from the shipped catalog. */
static cost_storage_out bill(const char *name, char *const *sets, size_t n_sets, double data_gb,
                             double hours, uint64_t requests, double read_gb) {
  stg_bill b = bill_of(name, sets, n_sets, data_gb, hours, requests, read_gb);
  cost_storage_out out;
  ck_assert_int_eq(cost_storage(catalog, &b, &out), TR_OK);
  return out;
}

START_TEST(s3_storage_and_gets) {
  /* 100 GB for 2 hours: 100 x 0.023 x 2/730; a million GETs: 1000 x 0.0004 */
  cost_storage_out o = bill("s3", NULL, 0, 100, 2, 1000000, 0);
  ck_assert_double_eq_tol(o.storage_usd, 0.0063013699, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 0.4, 1e-12);
}
END_TEST

START_TEST(efs_storage_and_elastic_reads) {
  cost_storage_out o = bill("efs", NULL, 0, 100, 2, 0, 500); /* elastic is the default */
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 15.0, 1e-9);
  char *bursting[] = {"storage.efs.mode=bursting"};
  o = bill("efs", bursting, 1, 100, 2, 0, 500);
  ck_assert_double_eq_tol(o.requests_usd, 0.0, 1e-12); /* bursting: no per-GB charge */
}
END_TEST

START_TEST(efs_provisioned_throughput) {
  /* 128 MiB/s (the default) less the 50 KiB/s per GiB the 100 GB include: 123.12 MiB/s x
     2 h x $6.00 / 730, plus the storage; storage, not requests: it is paid used or not */
  char *provisioned[] = {"storage.efs.mode=provisioned"};
  cost_storage_out o = bill("efs", provisioned, 1, 100, 2, 0, 500);
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808 + 2.0238441781, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 0.0, 1e-12); /* no per-GB read charge */
  /* one hour of 128 MiB/s on almost no data: ~$1.05, more than a c5.4xlarge ($0.68) */
  o = bill("efs", provisioned, 1, 1e-6, 1, 0, 0);
  ck_assert_double_eq_tol(o.storage_usd, 128 * 6.00 / 730, 1e-6);
  /* 10 TiB stored include 500 MiB/s: 128 provisioned cost nothing more */
  char *covered[] = {"storage.efs.mode=provisioned", "storage.efs.stored_gib=10240"};
  o = bill("efs", covered, 2, 100, 2, 0, 0);
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808, 1e-9);
  /* the other modes buy no throughput */
  char *bursting[] = {"storage.efs.mode=bursting"};
  o = bill("efs", bursting, 1, 100, 2, 0, 0);
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808, 1e-9);
  o = bill("efs", NULL, 0, 100, 2, 0, 0);
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808, 1e-9);
}
END_TEST

START_TEST(missing_prices_are_errors) {
  /* a catalog without the provisioned-throughput price (or any price a line is in) would
     bill it at 0: refused, naming the catalog, the service and the key */
  char *dir = tu_tmpdir(), *path = tu_path(dir, "p.ini");
  tu_write(path, "[storage.efs]\nusd_per_gb_month = 0.30\n");
  pricing *p = NULL;
  ck_assert_int_eq(pricing_load(path, &p), TR_OK);
  char *provisioned[] = {"storage.efs.mode=provisioned"}, *bursting[] = {"storage.efs.mode=bursting"};
  stg_bill b = bill_of("efs", provisioned, 1, 100, 2, 0, 0);
  cost_storage_out o;
  char want[600];
  tr_error_clear();
  ck_assert_int_eq(cost_storage(p, &b, &o), TR_ECONFIG);
  snprintf(want, sizeof want, "%s: [storage.efs] has no usd_per_mib_s_month", path);
  ck_assert_str_eq(tr_error_message(), want);
  tr_error_clear();
  b = bill_of("efs", NULL, 0, 100, 2, 0, 1); /* elastic: its reads */
  ck_assert_int_eq(cost_storage(p, &b, &o), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "[storage.efs] has no usd_per_gb_read"));
  tr_error_clear();
  b = bill_of("efs", bursting, 1, 100, 2, 0, 1); /* bursting bills the storage alone */
  ck_assert_int_eq(cost_storage(p, &b, &o), TR_OK);
  ck_assert_double_eq_tol(o.storage_usd, 0.0821917808, 1e-9);
  pricing_free(&p);
  tu_rmrf(dir);
  free(path);
  free(dir);
}
END_TEST

START_TEST(fsx_capacity_plus_bucket) {
  /* 1.2 TiB provisioned (the smallest that holds 100 GB): 1228.8 GB x 0.14 x 2/730, plus
     the bucket's 100 GB and its 2,000 GETs */
  cost_storage_out o = bill("fsx", NULL, 0, 100, 2, 2000, 0);
  ck_assert_double_eq_tol(o.storage_usd, 0.4713205479 + 0.0063013699, 1e-9);
  ck_assert_double_eq_tol(o.requests_usd, 0.0008, 1e-12);
  char *persistent[] = {"storage.fsx.deployment=PERSISTENT_1000", "storage.fsx.capacity_tib=2.4"};
  o = bill("fsx", persistent, 2, 0, 730, 0, 0);
  ck_assert_double_eq_tol(o.storage_usd, 2.4 * 1024 * 0.60, 1e-9); /* one month */
  /* capacity steps of 2.4 TiB after 1.2: 2 TiB of data needs 3.6 TiB */
  o = bill("fsx", NULL, 0, 2048, 730, 0, 0);
  ck_assert_double_eq_tol(o.storage_usd, 3.6 * 1024 * 0.14 + 2048 * 0.023, 1e-6);
}
END_TEST

START_TEST(local_null_and_every_backend) {
  cost_storage_out o = bill("local", NULL, 0, 100, 2, 99, 1);
  ck_assert(o.storage_usd == 0 && o.requests_usd == 0);
  o = bill("null", NULL, 0, 100, 2, 0, 0);
  ck_assert(o.storage_usd == 0 && o.requests_usd == 0);
  /* every registered backend's bill prices from the shipped catalog */
  for (size_t i = 0; i < stg_backend_count(); i++) bill(stg_backend_name(i), NULL, 0, 10, 1, 10, 1);
}
END_TEST

START_TEST(hand_made_bills) {
  stg_bill b = {0};
  stg_bill_add(&b, "s3", STG_GB_HOURS, 730.0, false);    /* one GB-month */
  stg_bill_add(&b, "s3", STG_THOUSAND_GETS, 10, true);
  stg_bill_add(&b, "efs", STG_GB_READ, 2, true);
  cost_storage_out o;
  ck_assert_int_eq(cost_storage(catalog, &b, &o), TR_OK);
  ck_assert_double_eq_tol(o.storage_usd, 0.023, 1e-12);
  ck_assert_double_eq_tol(o.requests_usd, 0.004 + 0.06, 1e-12);
  stg_bill unknown = {0};
  stg_bill_add(&unknown, "fsx.PERSISTENT_9", STG_GB_HOURS, 1, false);
  tr_error_clear();
  ck_assert_int_eq(cost_storage(catalog, &unknown, &o), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "unknown storage service 'fsx.PERSISTENT_9'"));
  tr_error_clear();
  stg_bill none = {0};
  ck_assert_int_eq(cost_storage(catalog, &none, &o), TR_OK);
  ck_assert(o.storage_usd == 0 && o.requests_usd == 0);
}
END_TEST

/* A line whose price its section lacks is an error naming the catalog and the key, and
 * nothing is priced (it stopped at the missing line with a partial sum, and an absent
 * key was $0); the run-time check refuses it too, and a spot run without a discount. */
START_TEST(missing_prices) {
  char *dir = tu_tmpdir(), *path = tu_path(dir, "p.ini");
  tu_write(path, "[instance.x1]\nusd_per_hour = 1\n[instance.x2]\nusd_per_hour = 1\nspot_discount = 0.5\n"
                 "[storage.s3]\nusd_per_gb_month = 0.023\n[storage.efs]\nusd_per_gb_month = 0.30\n");
  pricing *p = NULL;
  ck_assert_int_eq(pricing_load(path, &p), TR_OK);
  stg_bill b = {0};
  stg_bill_add(&b, "s3", STG_GB_HOURS, 730.0, false);
  stg_bill_add(&b, "s3", STG_THOUSAND_GETS, 10, true);
  cost_storage_out o;
  tr_error_clear();
  ck_assert_int_eq(cost_storage(p, &b, &o), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini: [storage.s3] has no usd_per_1k_get"));
  ck_assert(o.storage_usd == 0 && o.requests_usd == 0);
  tr_error_clear();
  ck_assert_int_eq(cost_check_prices(p, "x1", false, &b), TR_ECONFIG);
  tr_error_clear();
  stg_bill efs = {0};
  stg_bill_add(&efs, "efs", STG_GB_HOURS, 730.0, false);
  ck_assert_int_eq(cost_check_prices(p, "x1", false, &efs), TR_OK);
  ck_assert_int_eq(cost_check_prices(p, "x1", true, &efs), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini: [instance.x1] has no spot_discount, which cost.spot = true needs"));
  tr_error_clear();
  ck_assert_int_eq(cost_check_prices(p, "x2", true, &efs), TR_OK);
  stg_bill_add(&efs, "efs", STG_GB_READ, 1, true); /* elastic reads, unpriced here */
  ck_assert_int_eq(cost_check_prices(p, "x2", true, &efs), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "[storage.efs] has no usd_per_gb_read"));
  tr_error_clear();
  pricing_free(&p);
  tu_rmrf(dir);
  free(path);
  free(dir);
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
}
END_TEST

int main(void) {
  Suite *s = suite_create("cost");
  TCase *tc = tcase_create("cost");
  tcase_add_checked_fixture(tc, load_catalog, free_catalog);
  tcase_add_test(tc, s3_storage_and_gets);
  tcase_add_test(tc, efs_storage_and_elastic_reads);
  tcase_add_test(tc, efs_provisioned_throughput);
  tcase_add_test(tc, missing_prices_are_errors);
  tcase_add_test(tc, fsx_capacity_plus_bucket);
  tcase_add_test(tc, local_null_and_every_backend);
  tcase_add_test(tc, hand_made_bills);
  tcase_add_test(tc, missing_prices);
  tcase_add_test(tc, run_cost);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
