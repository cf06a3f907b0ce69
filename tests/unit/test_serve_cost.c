/* Tests for experiments/serve_cost.c: percentiles, traffic profiles, target-tracking
 * autoscaling on known profiles, and the serverless, async and batch cost arithmetic,
 * each against numbers worked out by hand in the comments. */
#include <math.h>
#include <stdlib.h>

#include "experiments/serve_cost.h"
#include "testutil.h"

START_TEST(percentiles_interpolate_like_numpy) {
  /* numpy.percentile([1..10], [50, 95, 99, 0, 100]) = 5.5, 9.55, 9.91, 1, 10 */
  double v[10] = {7, 3, 10, 1, 5, 9, 2, 8, 4, 6};
  ck_assert_double_eq_tol(serve_percentile(v, 10, 50), 5.5, 1e-12);
  ck_assert_double_eq_tol(serve_percentile(v, 10, 95), 9.55, 1e-12);
  ck_assert_double_eq_tol(serve_percentile(v, 10, 99), 9.91, 1e-12);
  ck_assert_double_eq_tol(serve_percentile(v, 10, 0), 1, 1e-12);
  ck_assert_double_eq_tol(serve_percentile(v, 10, 100), 10, 1e-12);
  double one = 4;
  ck_assert_double_eq_tol(serve_percentile(&one, 1, 99), 4, 1e-12);
  ck_assert(isnan(serve_percentile(v, 0, 50)));
}
END_TEST

START_TEST(traffic_profiles) {
  double r[SERVE_MINUTES];
  serve_traffic t = {.kind = SERVE_CONSTANT, .rps = 7};
  serve_traffic_minutes(&t, r);
  ck_assert_double_eq(r[0], 7);
  ck_assert_double_eq(r[1439], 7);
  ck_assert_double_eq_tol(serve_mean_rps(r, SERVE_MINUTES), 7, 1e-12);
  serve_traffic d = {.kind = SERVE_DIURNAL};
  for (int h = 0; h < 24; h++) d.hourly[h] = h; /* mean of 0..23 = 11.5 */
  serve_traffic_minutes(&d, r);
  ck_assert_double_eq(r[59], 0);
  ck_assert_double_eq(r[60], 1);
  ck_assert_double_eq(r[1439], 23);
  ck_assert_double_eq_tol(serve_mean_rps(r, SERVE_MINUTES), 11.5, 1e-12);
  /* a 5-minute burst at 100 every 60 minutes over 10: mean (55 x 10 + 5 x 100) / 60 = 17.5 */
  serve_traffic s = {.kind = SERVE_SPIKY, .rps = 10, .spike_rps = 100, .spike_every_min = 60, .spike_minutes = 5};
  serve_traffic_minutes(&s, r);
  ck_assert_double_eq(r[0], 100);
  ck_assert_double_eq(r[4], 100);
  ck_assert_double_eq(r[5], 10);
  ck_assert_double_eq(r[125], 10);
  ck_assert_double_eq(r[124], 100);
  ck_assert_double_eq_tol(serve_mean_rps(r, SERVE_MINUTES), 17.5, 1e-12);
}
END_TEST

/* One hour at 10 req/s, one at 100, one at 10; 20 req/s per instance at 50% target =
 * 10 per instance: 1, then 10 (scale-out at minute 60), then 1 again at minute 120 (the
 * scale-in cooldown of 600 s has passed): 1 + 10 + 1 = 12 instance-hours, never overloaded. */
START_TEST(autoscaling_follows_a_step_profile) {
  double r[180];
  long counts[180];
  for (int m = 0; m < 180; m++) r[m] = m >= 60 && m < 120 ? 100 : 10;
  serve_autoscale a = {20, 0.5, 1, 20, 300, 600};
  serve_autoscale_result x = serve_autoscale_run(&a, r, 180, counts);
  ck_assert_double_eq_tol(x.instance_hours, 12, 1e-9);
  ck_assert_int_eq(x.peak_instances, 10);
  ck_assert_int_eq(x.min_seen, 1);
  ck_assert_int_eq(x.overloaded_minutes, 0);
  ck_assert_int_eq(counts[59], 1);
  ck_assert_int_eq(counts[60], 10);
  ck_assert_int_eq(counts[119], 10);
  ck_assert_int_eq(counts[120], 1);
}
END_TEST

/* Minute 0 at 10 req/s (1 instance), minute 1 at 30 (3: scale-out), minutes 2..5 at 80
 * (8 wanted, but the 300 s scale-out cooldown holds 3 until minute 6: 80 > 3 x 20 is
 * overloaded for 4 minutes), minute 6 at 80 (8). Hours (1 + 5 x 3 + 8) / 60 = 0.4. */
START_TEST(autoscaling_cooldown_overloads) {
  double r[7] = {10, 30, 80, 80, 80, 80, 80};
  long counts[7];
  serve_autoscale a = {20, 0.5, 1, 20, 300, 600};
  serve_autoscale_result x = serve_autoscale_run(&a, r, 7, counts);
  ck_assert_int_eq(counts[1], 3);
  ck_assert_int_eq(counts[5], 3);
  ck_assert_int_eq(counts[6], 8);
  ck_assert_int_eq(x.overloaded_minutes, 4);
  ck_assert_double_eq_tol(x.instance_hours, 0.4, 1e-9);
  /* max_instances caps it: 2 at most, overloaded every minute above 40 req/s */
  serve_autoscale capped = {20, 0.5, 1, 2, 0, 0};
  x = serve_autoscale_run(&capped, r, 7, NULL);
  ck_assert_int_eq(x.peak_instances, 2);
  ck_assert_int_eq(x.overloaded_minutes, 5);
}
END_TEST

static serve_serverless base(void) {
  return (serve_serverless){.usd_per_gb_second = 0.00002, .usd_per_1m_requests = 0.20,
                            .provisioned_usd_per_gb_second = 0.0000048,
                            .provisioned_duration_usd_per_gb_second = 0.0000117,
                            .footprint_mb = 100, .runtime_mb = 512, .duration_ms = 2.3, .p99_ms = 4,
                            .cold_start_ms = 2050, .idle_s = 600, .max_concurrency = 200};
}

/* 10 req/s all day: 864,000 requests of 3 billed ms at 1 GB = 2,592 GB-s x $0.00002 =
 * $0.05184, plus 0.864M x $0.20 = $0.1728: $0.22464 a day; one cold start (the first). */
START_TEST(serverless_worked_numbers) {
  double r[SERVE_MINUTES];
  serve_traffic t = {.kind = SERVE_CONSTANT, .rps = 10};
  serve_traffic_minutes(&t, r);
  serve_serverless s = base();
  serve_serverless_result x = serve_serverless_run(&s, r, SERVE_MINUTES);
  ck_assert_int_eq(x.memory_gb, 1);
  ck_assert_double_eq_tol(x.usd_per_day, 0.22464, 1e-9);
  ck_assert_double_eq_tol(x.cold_starts_per_day, 1, 1e-12);
  ck_assert_double_eq_tol(x.p99_ms, 4, 1e-12);
  ck_assert(!x.throttled);
  /* provisioned concurrency 2: 2 x 1 GB x 86,400 s x $0.0000048 = $0.82944 held, the
   * compute at $0.0000117: 2,592 x 0.0000117 = $0.0303264, requests $0.1728; no cold start */
  s.provisioned = 2;
  x = serve_serverless_run(&s, r, SERVE_MINUTES);
  ck_assert_double_eq_tol(x.usd_per_day, 0.82944 + 0.0303264 + 0.1728, 1e-9);
  ck_assert_double_eq_tol(x.cold_starts_per_day, 0, 1e-12);
}
END_TEST

/* Bursts above a base load that never stops: after each burst the extra containers sit
 * idle for idle_s and are reclaimed, so the next burst starts them cold again. 1 s per
 * request: 1 req/s needs 1 container, 5 req/s 5. Minutes 30-34 and 90-94 burst; idle 10
 * minutes: 1 (the first) + 4 + 4 = 9 cold starts. */
START_TEST(serverless_bursts_start_cold_again) {
  double r[120];
  for (size_t m = 0; m < 120; m++) r[m] = (m >= 30 && m < 35) || (m >= 90 && m < 95) ? 5 : 1;
  serve_serverless s = base();
  s.duration_ms = 1000;
  serve_serverless_result x = serve_serverless_run(&s, r, 120);
  ck_assert_double_eq_tol(x.cold_starts_per_day, 9, 1e-12);
  ck_assert_int_eq(x.peak_concurrency, 5);
  /* bursts 5 minutes apart, within idle_s: the containers stay warm, 1 + 4 */
  for (size_t m = 0; m < 120; m++) r[m] = (m >= 30 && m < 35) || (m >= 40 && m < 45) ? 5 : 1;
  x = serve_serverless_run(&s, r, 120);
  ck_assert_double_eq_tol(x.cold_starts_per_day, 5, 1e-12);
}
END_TEST

START_TEST(serverless_tiers_and_cold_starts) {
  double r[SERVE_MINUTES];
  serve_traffic t = {.kind = SERVE_CONSTANT, .rps = 0.001}; /* a request every 1,000 s > 600 s idle */
  serve_traffic_minutes(&t, r);
  serve_serverless s = base();
  serve_serverless_result x = serve_serverless_run(&s, r, SERVE_MINUTES);
  ck_assert_double_eq_tol(x.cold_fraction, 1, 1e-12); /* every request is cold */
  ck_assert_double_eq_tol(x.p99_ms, 2050 + 2.3, 1e-9);
  s.footprint_mb = 1600; /* 1,600 + 512 MB: the 3 GB tier */
  ck_assert_int_eq(serve_serverless_run(&s, r, SERVE_MINUTES).memory_gb, 3);
  s.footprint_mb = 6000; /* 6,512 MB: no tier */
  ck_assert_int_eq(serve_serverless_run(&s, r, SERVE_MINUTES).memory_gb, 0);
  /* 100,000 req/s x 2.3 ms = 230 concurrent requests, above the 200 limit */
  s = base();
  serve_traffic big = {.kind = SERVE_CONSTANT, .rps = 100000};
  serve_traffic_minutes(&big, r);
  x = serve_serverless_run(&s, r, SERVE_MINUTES);
  ck_assert_int_eq(x.peak_concurrency, 230);
  ck_assert(x.throttled);
}
END_TEST

START_TEST(async_and_batch_hours) {
  double r[120];
  for (int m = 0; m < 120; m++) r[m] = m < 60 ? 30 : 0;
  /* 60 minutes of ceil(30 / 20) = 2 instances, then none: 2 instance-hours */
  ck_assert_double_eq_tol(serve_async_hours(20, r, 120), 2, 1e-12);
  /* 1M rows at 1,000 rows/s on 2 instances: 500 s each + 300 s start-up, x 2 = 1,600 s */
  ck_assert_double_eq_tol(serve_batch_hours(1e6, 1000, 2, 300), 1600.0 / 3600.0, 1e-12);
  ck_assert_double_eq(serve_batch_hours(0, 1000, 2, 300), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("serve_cost");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, percentiles_interpolate_like_numpy);
  tcase_add_test(tc, traffic_profiles);
  tcase_add_test(tc, autoscaling_follows_a_step_profile);
  tcase_add_test(tc, autoscaling_cooldown_overloads);
  tcase_add_test(tc, serverless_worked_numbers);
  tcase_add_test(tc, serverless_tiers_and_cold_starts);
  tcase_add_test(tc, serverless_bursts_start_cold_again);
  tcase_add_test(tc, async_and_batch_hours);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
