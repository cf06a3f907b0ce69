/* Tests for experiments/rightsize.c: the Amdahl fit recovers a known serial fraction,
 * degenerate inputs, and a projection priced from the catalog. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/rightsize.h"
#include "testutil.h"

#define CATALOG TEST_DATA_DIR "/../../configs/pricing.ini"

START_TEST(amdahl_fit) {
  /* T(p) = 10 + 90 / p exactly: serial fraction 0.1 */
  double cores[] = {1, 2, 4, 8}, secs[4];
  for (int i = 0; i < 4; i++) secs[i] = 10 + 90 / cores[i];
  rightsize_fit f = rightsize_amdahl(cores, secs, 4);
  ck_assert(f.fitted);
  ck_assert_double_eq_tol(f.a, 10, 1e-9);
  ck_assert_double_eq_tol(f.b, 90, 1e-9);
  ck_assert_double_eq_tol(f.serial_fraction, 0.1, 1e-12);
  ck_assert_double_eq_tol(rightsize_time(&f, 16), 10 + 90.0 / 16, 1e-9);
  /* one core count: linear scaling assumed, not fitted */
  double one_c[] = {2, 2}, one_t[] = {50, 54};
  f = rightsize_amdahl(one_c, one_t, 2);
  ck_assert(!f.fitted);
  ck_assert_double_eq_tol(rightsize_time(&f, 4), 26, 1e-9);
  /* superlinear noise (negative serial part) is clamped to 0 */
  double c2[] = {1, 2}, t2[] = {100, 45};
  f = rightsize_amdahl(c2, t2, 2);
  ck_assert(f.a == 0 && f.b > 0);
  /* slower with more cores: all serial */
  double t3[] = {100, 120};
  f = rightsize_amdahl(c2, t3, 2);
  ck_assert(f.b == 0 && f.a > 0);
}
END_TEST

static cJSON *record(const char *id, int ranks, int threads, double train_s) {
  char text[800];
  snprintf(text, sizeof text,
           "{\"point\": {\"id\": \"%s\", \"variant\": \"mlp\", \"kind\": \"train\", \"label\": \"measured\","
           " \"set\": {\"cost.instance\": \"c5.xlarge\"}}, \"time\": {\"train_s\": %g, \"total_s\": %g},"
           " \"parallel\": {\"ranks\": %d, \"threads_per_rank\": %d}, \"throughput\": {\"samples_per_s\": 1000},"
           " \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": false, \"storage_usd\": 0, \"requests_usd\": 0.5,"
           " \"total_usd\": 1}}",
           id, train_s, train_s + 10, ranks, threads);
  return cJSON_Parse(text);
}

START_TEST(projection) {
  cJSON *recs[3] = {record("p1", 1, 1, 100), record("p2", 2, 1, 55), NULL};
  char *path = tu_path(tu_dir, "out.jsonl");
  FILE *f = fopen(path, "w");
  const char *types[] = {"c5.4xlarge"};
  ck_assert_int_eq(rightsize_project(recs, 3, types, 1, CATALOG, f), TR_OK);
  fclose(f);
  f = fopen(path, "r");
  char line[8192];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_null(fgets(line + strlen(line), 10, f)); /* one group, one type: one line */
  fclose(f);
  cJSON *o = cJSON_Parse(line);
  /* fit: T = 10 + 90/p; c5.4xlarge has 16 vCPUs: 15.625 s of training + 10 s else */
  double train = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "time"), "train_s")->valuedouble;
  double total = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "time"), "total_s")->valuedouble;
  ck_assert_double_eq_tol(train, 10 + 90.0 / 16, 1e-9);
  ck_assert_double_eq_tol(total, 10 + 90.0 / 16 + 10, 1e-9);
  cJSON *c = cJSON_GetObjectItem(o, "cost");
  ck_assert_str_eq(cJSON_GetObjectItem(c, "instance")->valuestring, "c5.4xlarge");
  ck_assert_double_eq_tol(cJSON_GetObjectItem(c, "total_usd")->valuedouble, 0.68 * total / 3600 + 0.5, 1e-12);
  cJSON *pt = cJSON_GetObjectItem(o, "point");
  ck_assert_str_eq(cJSON_GetObjectItem(pt, "label")->valuestring, "projected");
  ck_assert_str_eq(cJSON_GetObjectItem(pt, "id")->valuestring, "p2@c5.4xlarge");
  ck_assert_str_eq(cJSON_GetObjectItem(pt, "projected_from")->valuestring, "p2");
  ck_assert_double_eq_tol(cJSON_GetObjectItem(cJSON_GetObjectItem(pt, "amdahl"), "serial_fraction")->valuedouble,
                          0.1, 1e-9);
  cJSON_Delete(o);
  /* one core count measured: no fit, no projection (it would assume perfect scaling) */
  cJSON *alone[1] = {record("q1", 1, 1, 100)};
  f = fopen(path, "w");
  ck_assert_int_eq(rightsize_project(alone, 1, types, 1, CATALOG, f), TR_OK);
  ck_assert_int_eq(ftell(f), 0);
  fclose(f);
  cJSON_Delete(alone[0]);
  /* an unknown instance type is a configuration error */
  f = fopen(path, "w");
  const char *bad[] = {"z9.huge"};
  tr_error_clear();
  ck_assert_int_eq(rightsize_project(recs, 3, bad, 1, CATALOG, f), TR_ECONFIG);
  fclose(f);
  tr_error_clear();
  cJSON_Delete(recs[0]);
  cJSON_Delete(recs[1]);
  free(path);
}
END_TEST

START_TEST(spot_needs_a_discount) {
  /* a spot run is projected only onto types whose catalog entry gives a spot_discount:
   * an absent one would price spot at the on-demand rate */
  char *cat = tu_path(tu_dir, "p.ini");
  tu_write(cat, "[instance.nodisc]\nusd_per_hour = 1\nvcpus = 4\n"
                "[instance.disc]\nusd_per_hour = 1\nvcpus = 4\nspot_discount = 0.6\n");
  cJSON *recs[2] = {record("p1", 1, 1, 100), record("p2", 2, 1, 55)};
  for (int i = 0; i < 2; i++)
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(recs[i], "cost"), "spot", cJSON_CreateTrue());
  char *path = tu_path(tu_dir, "out.jsonl");
  FILE *f = fopen(path, "w");
  const char *types[] = {"nodisc", "disc"};
  ck_assert_int_eq(rightsize_project(recs, 2, types, 2, cat, f), TR_OK);
  fclose(f);
  f = fopen(path, "r");
  char line[8192];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_null(fgets(line + strlen(line), 10, f)); /* only onto "disc" */
  fclose(f);
  cJSON *o = cJSON_Parse(line);
  cJSON *c = cJSON_GetObjectItem(o, "cost");
  ck_assert_str_eq(cJSON_GetObjectItem(c, "instance")->valuestring, "disc");
  ck_assert_double_eq_tol(cJSON_GetObjectItem(c, "rate_usd_per_h")->valuedouble, 0.4, 1e-12);
  cJSON_Delete(o);
  cJSON_Delete(recs[0]);
  cJSON_Delete(recs[1]);
  free(path);
  free(cat);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rightsize");
  TCase *tc = tcase_create("rightsize");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, amdahl_fit);
  tcase_add_test(tc, projection);
  tcase_add_test(tc, spot_needs_a_discount);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
