/* Deployment options priced from serve-bench's measured figures and a traffic profile
 * (issue 14): a real-time endpoint whose instance count follows target-tracking
 * autoscaling, serverless (memory tier, GB-seconds, requests, cold starts, provisioned
 * concurrency), asynchronous (a queue, scale to zero) and nightly batch transform. The
 * day is simulated minute by minute (1440 steps); a month is 730 hours (AWS's). Pure
 * arithmetic on the numbers given: the caller measures and reads the catalog. */
#ifndef TR_SERVE_COST_H
#define TR_SERVE_COST_H
#include <stdbool.h>
#include <stddef.h>

#define SERVE_MINUTES 1440
#define SERVE_DAYS_PER_MONTH (730.0 / 24.0)

typedef enum { SERVE_CONSTANT, SERVE_DIURNAL, SERVE_SPIKY } serve_traffic_kind;

typedef struct {
  int kind;             /* serve_traffic_kind */
  double rps;           /* constant: the rate; spiky: the rate between bursts */
  double hourly[24];    /* diurnal: requests/s in each hour of the day (UTC 0..23) */
  double spike_rps;     /* spiky: the rate during a burst */
  double spike_every_min, spike_minutes; /* spiky: a burst starts every N minutes, lasts M */
} serve_traffic;

/* Requests/s in each minute of a day. */
void serve_traffic_minutes(const serve_traffic *t, double rate[SERVE_MINUTES]);

/* Target tracking on invocations per instance (SageMaker's SageMakerVariantInvocationsPerInstance):
 * each minute the desired count is ceil(rate / target), target = capacity_rps x
 * target_utilization, within [min, max]; a scale-out waits scale_out_cooldown_s after the
 * last scale-out, a scale-in scale_in_cooldown_s after the last scaling of either kind. */
typedef struct {
  double capacity_rps;        /* one instance's requests/s under the latency target */
  double target_utilization;  /* (0, 1] */
  long min_instances, max_instances;
  double scale_out_cooldown_s, scale_in_cooldown_s;
} serve_autoscale;

typedef struct {
  double instance_hours;      /* over the minutes simulated */
  long peak_instances, min_seen;
  size_t overloaded_minutes;  /* minutes whose rate exceeded count x capacity_rps */
} serve_autoscale_result;

/* Simulates minutes steps of rate (starting at min_instances); counts (may be NULL)
 * gets each minute's instance count. */
serve_autoscale_result serve_autoscale_run(const serve_autoscale *a, const double *rate,
                                           size_t minutes, long *counts);

/* Serverless. */
typedef struct {
  double usd_per_gb_second, usd_per_1m_requests;
  double provisioned_usd_per_gb_second;          /* provisioned capacity, per GB-s held */
  double provisioned_duration_usd_per_gb_second; /* compute on provisioned capacity */
  double footprint_mb;       /* measured: weights + activations */
  double runtime_mb;         /* assumed: the serving container's own memory */
  double duration_ms;        /* measured: one request's compute (batch 1, mean) */
  double p99_ms;             /* measured: warm p99 */
  double cold_start_ms;      /* measured model load + assumed container start */
  double idle_s;             /* assumed: a container idle this long is reclaimed */
  long provisioned;          /* provisioned concurrency (0: none) */
  long max_concurrency;      /* the endpoint's limit */
} serve_serverless;

typedef struct {
  int memory_gb;             /* tier 1..6; 0: the model does not fit in 6 GB */
  double usd_per_day;
  double cold_starts_per_day, cold_fraction;
  double p99_ms;             /* warm p99, or the cold start when > 1% of requests are cold */
  long peak_concurrency;
  bool throttled;            /* peak concurrency above max_concurrency */
} serve_serverless_result;

serve_serverless_result serve_serverless_run(const serve_serverless *s, const double *rate, size_t minutes);

/* Asynchronous: instances scale with the queue, to zero in idle minutes:
 * ceil(rate / capacity) instances in each minute with traffic. Instance hours. */
double serve_async_hours(double capacity_rps, const double *rate, size_t minutes);

/* Batch transform of rows rows at rows_per_s per instance on `instances` instances, plus
 * startup_s per instance (billed): instance hours of one job. */
double serve_batch_hours(double rows, double rows_per_s, long instances, double startup_s);

/* Percentile p (0..100) of v[0..n) with linear interpolation between closest ranks
 * (numpy's default): sorts v in place. NaN for n == 0. */
double serve_percentile(double *v, size_t n, double p);

/* The mean of rate[0..minutes) and the requests it makes in those minutes. */
double serve_mean_rps(const double *rate, size_t minutes);
#endif
