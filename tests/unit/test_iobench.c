/* Tests for experiments/iobench.c: a virtual-clock benchmark of a synthetic data set
 * through S3 (io.json's DLIO fields, the modelled AU, requests billed for every rank),
 * a real-clock one through local storage, and the job errors located at their keys. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "experiments/iobench.h"
#include "experiments/results.h"
#include "io/h5io.h"
#include "io/synth.h"
#include "testutil.h"

#define CATALOG "cost.pricing=" TEST_DATA_DIR "/../../configs/pricing.ini"

static double num(const cJSON *o, const char *key) { return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key)); }

START_TEST(virtual_synthetic_s3) {
  const char *sets[] = {CATALOG, "storage.backend=s3", "workload.files=20", "workload.samples_per_file=50",
                        "workload.record_bytes=65536", "workload.batch_size=50", "workload.epochs=2",
                        "workload.computation_time=0.01", "workload.ranks=2", NULL};
  job *j = tu_job(sets);
  char *out = tu_path(tu_dir, "io");
  cJSON *r = NULL;
  ck_assert_int_eq(iobench_run(j, true, out, &r), TR_OK);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "clock")), "virtual");
  ck_assert_uint_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "train_au_percentage")), 2);
  double au = num(r, "train_au_mean_percentage");
  ck_assert(au > 0 && au <= 100);
  /* rank 0 reads half of the 1000 samples per epoch; the job bills both ranks' GETs */
  ck_assert(num(cJSON_GetObjectItem(r, "workload"), "samples") == 500);
  ck_assert(num(r, "requests") > 0 && num(r, "job_requests") == 2 * num(r, "requests"));
  ck_assert(num(cJSON_GetObjectItem(r, "cost"), "requests_usd") > 0);
  ck_assert(fabs(num(r, "compute_s") - 2 * 10 * 0.01) < 1e-9);
  ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "cost"), "spot")));
  /* io.json is what was returned */
  char *path = tu_path(out, "io.json");
  cJSON *written = NULL;
  ck_assert_int_eq(json_read_file(path, &written), TR_OK);
  ck_assert(cJSON_Compare(written, r, true));
  cJSON_Delete(written);
  cJSON_Delete(r);
  free(path);
  free(out);
  job_free(&j);
}
END_TEST

/* A spot-priced benchmark says so in io.json's cost (results read "spot": false without
 * it, and recommend showed "spot: no" for it), priced at the discounted rate. */
START_TEST(spot_priced) {
  const char *base[] = {CATALOG, "storage.backend=s3", "workload.files=4", "workload.samples_per_file=10",
                        "workload.batch_size=10", "workload.epochs=1", "workload.computation_time=0.01", NULL};
  const char *spot[] = {CATALOG, "storage.backend=s3", "workload.files=4", "workload.samples_per_file=10",
                        "workload.batch_size=10", "workload.epochs=1", "workload.computation_time=0.01",
                        "cost.spot=true", NULL};
  cJSON *od = NULL, *sp = NULL;
  char *out = tu_path(tu_dir, "io"), *out2 = tu_path(tu_dir, "io2");
  job *j = tu_job(base);
  ck_assert_int_eq(iobench_run(j, true, out, &od), TR_OK);
  job_free(&j);
  j = tu_job(spot);
  ck_assert_int_eq(iobench_run(j, true, out2, &sp), TR_OK);
  job_free(&j);
  const cJSON *c = cJSON_GetObjectItem(sp, "cost");
  ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "spot")));
  ck_assert(num(c, "rate_usd_per_h") < num(cJSON_GetObjectItem(od, "cost"), "rate_usd_per_h"));
  /* as a sweep's line, the record is a spot one */
  cJSON *line = cJSON_Duplicate(sp, true);
  cJSON *point = cJSON_AddObjectToObject(line, "point");
  cJSON_AddStringToObject(point, "id", "p0");
  cJSON_AddStringToObject(point, "kind", "io-bench");
  char *text = cJSON_PrintUnformatted(line), *jsonl = tu_path(tu_dir, "results.jsonl");
  tu_write(jsonl, text);
  run_records rs;
  ck_assert_int_eq(results_load(tu_dir, &rs), TR_OK);
  ck_assert(rs.n == 1 && rs.r[0].spot);
  results_free(&rs);
  free(text);
  free(jsonl);
  cJSON_Delete(line);
  cJSON_Delete(od);
  cJSON_Delete(sp);
  free(out);
  free(out2);
}
END_TEST

START_TEST(real_local_file) {
  synth_params sp = synth_defaults();
  sp.rows = 2000;
  sp.features = 16;
  ds_dataset *d = NULL;
  ck_assert_int_eq(synth_classification(&sp, &d), TR_OK);
  char *h5 = tu_path(tu_dir, "d.h5"), train[600];
  h5io_write_opts w = {0};
  ck_assert_int_eq(h5io_write(h5, d, &w), TR_OK);
  ds_free(&d);
  snprintf(train, sizeof train, "data.train=%s", h5);
  const char *sets[] = {CATALOG, train, "storage.backend=local", "workload.batch_size=100", NULL};
  job *j = tu_job(sets);
  char *out = tu_path(tu_dir, "io");
  cJSON *r = NULL;
  ck_assert_int_eq(iobench_run(j, false, out, &r), TR_OK);
  ck_assert(num(r, "bytes_read") >= 2000 * 16 * 4);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "train_au_meet_expectation")), "fail"); /* no compute */
  cJSON_Delete(r);
  job_free(&j);
  /* compute measured by a train run that has none */
  char *run = tu_path(tu_dir, "run"), from[600];
  snprintf(from, sizeof from, "workload.compute_from=%s", run);
  const char *measured[] = {CATALOG, train, "storage.backend=local", from, NULL};
  j = tu_job(measured);
  tr_error_clear();
  ck_assert_int_eq(iobench_run(j, false, out, &r), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "workload.compute_from:"));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "has no measured compute"));
  tr_error_clear();
  job_free(&j);
  free(run);
  free(out);
  free(h5);
}
END_TEST

/* compute_from of a 2-rank run: time.compute_s is rank 0's, over half the rows that
 * data.train_rows counts, so the per-sample compute is 2 x compute_s / (epochs x rows). */
START_TEST(compute_from_ranks) {
  char *run = tu_path(tu_dir, "run"), *res = tu_path(run, "result.json"), from[600];
  ck_assert_int_eq(mkdir(run, 0755), 0);
  tu_write(res, "{\"epochs_run\": 4, \"data\": {\"train_rows\": 1000}, \"time\": {\"compute_s\": 2.0},"
                " \"parallel\": {\"ranks\": 2}}");
  snprintf(from, sizeof from, "workload.compute_from=%s", run);
  const char *sets[] = {CATALOG, "workload.files=4", "workload.samples_per_file=10", "workload.batch_size=10",
                        "workload.epochs=1", from, NULL};
  job *j = tu_job(sets);
  char *out = tu_path(tu_dir, "io");
  cJSON *r = NULL;
  ck_assert_int_eq(iobench_run(j, true, out, &r), TR_OK);
  /* 2 s x 2 ranks / (4 epochs x 1000 rows) = 1 ms a sample, 10 ms a batch of 10 */
  ck_assert_double_eq_tol(num(cJSON_GetObjectItem(r, "workload"), "computation_time"), 0.01, 1e-12);
  cJSON_Delete(r);
  job_free(&j);
  /* a result without parallel.ranks is one rank's */
  tu_write(res, "{\"epochs_run\": 4, \"data\": {\"train_rows\": 1000}, \"time\": {\"compute_s\": 2.0}}");
  j = tu_job(sets);
  ck_assert_int_eq(iobench_run(j, true, out, &r), TR_OK);
  ck_assert_double_eq_tol(num(cJSON_GetObjectItem(r, "workload"), "computation_time"), 0.005, 1e-12);
  cJSON_Delete(r);
  job_free(&j);
  free(out);
  free(res);
  free(run);
}
END_TEST

/* A price the benchmark is billed that the catalog lacks is refused before it runs, as
 * train refuses it (one check), naming the catalog and the key. */
START_TEST(missing_prices_refused) {
  char *cat = tu_path(tu_dir, "p.ini"), pricing[600];
  tu_write(cat, "[instance.c5.4xlarge]\nusd_per_hour = 0.68\n[storage.s3]\nusd_per_1k_get = 0.0004\n");
  snprintf(pricing, sizeof pricing, "cost.pricing=%s", cat);
  const char *s3[] = {pricing, "storage.backend=s3", "workload.files=4", NULL};
  const char *spot[] = {pricing, "storage.backend=local", "workload.files=4", "cost.spot=true", NULL};
  char *out = tu_path(tu_dir, "io");
  cJSON *r = NULL;
  job *j = tu_job(s3);
  tr_error_clear();
  ck_assert_int_eq(iobench_run(j, true, out, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "p.ini: [storage.s3] has no usd_per_gb_month"));
  ck_assert(!tu_exists(tu_dir, "io"));
  tr_error_clear();
  job_free(&j);
  j = tu_job(spot);
  ck_assert_int_eq(iobench_run(j, true, out, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "[instance.c5.4xlarge] has no spot_discount"));
  ck_assert(!tu_exists(tu_dir, "io"));
  tr_error_clear();
  job_free(&j);
  free(out);
  free(cat);
}
END_TEST

/* The instances priced are the nodes the storage model shares among (ranks /
 * ranks_per_node, rounded up) unless cost.nodes says otherwise (it priced 1 node while
 * the model simulated 8). */
START_TEST(nodes_follow_the_model) {
  const char *derived[] = {CATALOG, "workload.files=4", "workload.samples_per_file=10", "workload.batch_size=10",
                           "workload.epochs=1", "workload.computation_time=0.01", "workload.ranks=8",
                           "workload.ranks_per_node=3", NULL};
  const char *given[] = {CATALOG, "workload.files=4", "workload.samples_per_file=10", "workload.batch_size=10",
                         "workload.epochs=1", "workload.computation_time=0.01", "workload.ranks=8",
                         "workload.ranks_per_node=3", "cost.nodes=1", NULL};
  const char *one[] = {CATALOG, "workload.files=4", "workload.samples_per_file=10", "workload.batch_size=10",
                       "workload.epochs=1", "workload.computation_time=0.01", NULL};
  char *out = tu_path(tu_dir, "io");
  cJSON *a = NULL, *b = NULL, *c = NULL;
  job *j = tu_job(derived);
  ck_assert_int_eq(iobench_run(j, true, out, &a), TR_OK);
  job_free(&j);
  j = tu_job(given);
  ck_assert_int_eq(iobench_run(j, true, out, &b), TR_OK);
  job_free(&j);
  j = tu_job(one);
  ck_assert_int_eq(iobench_run(j, true, out, &c), TR_OK);
  job_free(&j);
  const cJSON *ca = cJSON_GetObjectItem(a, "cost"), *cb = cJSON_GetObjectItem(b, "cost"), *cc = cJSON_GetObjectItem(c, "cost");
  ck_assert(num(ca, "nodes") == 3 && num(cb, "nodes") == 1 && num(cc, "nodes") == 1);
  ck_assert_double_eq_tol(num(ca, "rate_usd_per_h"), 3 * num(cb, "rate_usd_per_h"), 1e-12);
  ck_assert_double_eq_tol(num(cc, "rate_usd_per_h"), num(cb, "rate_usd_per_h"), 1e-12);
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(c);
  free(out);
}
END_TEST

START_TEST(job_errors) {
  const char *none[] = {CATALOG, NULL};
  job *j = tu_job(none);
  cJSON *r = NULL;
  char *out = tu_path(tu_dir, "io");
  tr_error_clear();
  ck_assert_int_eq(iobench_run(j, false, out, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "data.train: io-bench needs data.train"));
  tr_error_clear();
  job_free(&j);
  const char *synthetic[] = {CATALOG, "workload.files=4", NULL};
  j = tu_job(synthetic);
  ck_assert_int_eq(iobench_run(j, false, out, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "workload.files: a synthetic data set has no bytes"));
  tr_error_clear();
  ck_assert_ptr_null(r);
  job_free(&j);
  free(out);
}
END_TEST

int main(void) {
  Suite *s = suite_create("iobench");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, virtual_synthetic_s3);
  tcase_add_test(tc, real_local_file);
  tcase_add_test(tc, spot_priced);
  tcase_add_test(tc, job_errors);
  tcase_add_test(tc, compute_from_ranks);
  tcase_add_test(tc, missing_prices_refused);
  tcase_add_test(tc, nodes_follow_the_model);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
