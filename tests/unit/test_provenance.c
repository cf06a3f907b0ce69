/* Tests for experiments/provenance.c: a record's basis in words for measured, projected
 * and spot-estimated runs (a spot run's time and cost are a model's expectation, and
 * its basis says so with the rate it assumed), and a result's provenance object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/provenance.h"
#include "experiments/results.h"
#include "testutil.h"

#define HOST "\"provenance\": {\"host\": {\"cpu\": \"Test CPU\", \"cores\": 4, \"ranks\": 2, \"threads_per_rank\": 2}}"

/* The records of the lines written to tu_dir/results.jsonl. */
static void load(const char *lines, run_records *rs) {
  char *p = tu_path(tu_dir, "results.jsonl");
  tu_write(p, lines);
  free(p);
  ck_assert_int_eq(results_load(tu_dir, rs), TR_OK);
}

START_TEST(spot_estimate_is_said) {
  run_records rs;
  load("{\"point\": {\"id\": \"od\", \"kind\": \"train\", \"label\": \"measured\"}, \"time\": {\"total_s\": 100},"
       " \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": false, \"total_usd\": 1}, " HOST "}\n"
       "{\"point\": {\"id\": \"sp\", \"kind\": \"train\", \"label\": \"measured\"}, \"time\": {\"total_s\": 100},"
       " \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": true, \"total_usd\": 0.3, \"spot_estimate\":"
       " {\"interruptions_per_h\": 0.5, \"expected_time_s\": 130, \"expected_usd\": 0.4}}, " HOST "}\n"
       "{\"point\": {\"id\": \"old\", \"kind\": \"train\", \"label\": \"measured\"}, \"time\": {\"total_s\": 100},"
       " \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": true, \"total_usd\": 0.3, \"spot_estimate\":"
       " {\"expected_time_s\": 130, \"expected_usd\": 0.4}}}\n",
       &rs);
  ck_assert_uint_eq(rs.n, 3);
  char buf[600];
  provenance_record_basis(&rs.r[0], NULL, buf, sizeof buf);
  ck_assert_str_eq(buf, "measured on Test CPU (4 cores, 2 x 2 threads), priced as c5.xlarge");
  ck_assert(!rs.r[0].spot_estimated);
  ck_assert(rs.r[1].spot_estimated && rs.r[1].time_s == 130);
  provenance_record_basis(&rs.r[1], NULL, buf, sizeof buf);
  ck_assert_str_eq(buf, "measured on Test CPU (4 cores, 2 x 2 threads), priced as c5.xlarge; spot: expected time "
                        "and cost under 0.5 interruptions/h (a model, not measured)");
  provenance_record_basis(&rs.r[2], "m5.large", buf, sizeof buf); /* no rate recorded, no host */
  ck_assert_str_eq(buf, "measured (host not recorded), priced as m5.large; spot: expected time and cost under "
                        "interruptions (a model, not measured)");
  /* a short buffer is cut, never overrun */
  char small[40];
  provenance_record_basis(&rs.r[1], NULL, small, sizeof small);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);
  results_free(&rs);
}
END_TEST

START_TEST(projected_bases) {
  run_records rs;
  load("{\"point\": {\"id\": \"p@c5.xlarge\", \"kind\": \"train\", \"label\": \"projected\", \"amdahl\":"
       " {\"cores_measured\": [1, 2], \"cores_projected\": 4}}, \"time\": {\"total_s\": 10},"
       " \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": false, \"total_usd\": 1}, " HOST "}\n"
       "{\"point\": {\"id\": \"io\", \"kind\": \"io-bench\", \"label\": \"projected\"}, \"total_s\": 10,"
       " \"cost\": {\"instance\": \"c5.xlarge\", \"spot\": true, \"total_usd\": 1}}\n",
       &rs);
  char buf[600];
  provenance_record_basis(&rs.r[0], NULL, buf, sizeof buf);
  ck_assert_str_eq(buf, "projected (an Amdahl fit of runs measured on Test CPU at 1, 2 cores, scaled to 4 cores), "
                        "priced as c5.xlarge");
  provenance_record_basis(&rs.r[1], NULL, buf, sizeof buf);
  ck_assert_str_eq(buf, "projected (the storage model, virtual clock), priced as c5.xlarge");
  ck_assert(rs.r[1].spot && !rs.r[1].spot_estimated); /* spot-priced, no expectation: nothing to say */
  results_free(&rs);
}
END_TEST

int main(void) {
  Suite *s = suite_create("provenance");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, spot_estimate_is_said);
  tcase_add_test(tc, projected_bases);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
