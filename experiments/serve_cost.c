/* The deployment cost models of serve_cost.h: a minute-by-minute day for each option. */
#include "experiments/serve_cost.h"

#include <math.h>
#include <stdlib.h>

void serve_traffic_minutes(const serve_traffic *t, double rate[SERVE_MINUTES]) {
  for (size_t m = 0; m < SERVE_MINUTES; m++) {
    if (t->kind == SERVE_DIURNAL) rate[m] = t->hourly[m / 60];
    else if (t->kind == SERVE_SPIKY && t->spike_every_min > 0 &&
             fmod((double)m, t->spike_every_min) < t->spike_minutes)
      rate[m] = t->spike_rps;
    else rate[m] = t->rps;
  }
}

static long clamp_count(double want, long lo, long hi) {
  if (want < (double)lo) return lo;
  if (want > (double)hi) return hi;
  return (long)want;
}

serve_autoscale_result serve_autoscale_run(const serve_autoscale *a, const double *rate,
                                           size_t minutes, long *counts) {
  serve_autoscale_result r = {0, a->min_instances, a->min_instances, 0};
  double target = a->capacity_rps * a->target_utilization;
  long n = a->min_instances;
  double last_out = -INFINITY, last_any = -INFINITY;
  for (size_t m = 0; m < minutes; m++) {
    double now = 60.0 * (double)m;
    long want = clamp_count(target > 0 ? ceil(rate[m] / target - 1e-9) : (double)a->max_instances,
                            a->min_instances, a->max_instances);
    if (want > n && now - last_out >= a->scale_out_cooldown_s) {
      n = want;
      last_out = last_any = now;
    } else if (want < n && now - last_any >= a->scale_in_cooldown_s) {
      n = want;
      last_any = now;
    }
    if (counts) counts[m] = n;
    r.instance_hours += (double)n / 60.0;
    if (n > r.peak_instances) r.peak_instances = n;
    if (n < r.min_seen) r.min_seen = n;
    if (rate[m] > (double)n * a->capacity_rps * (1 + 1e-12)) r.overloaded_minutes++;
  }
  return r;
}

serve_serverless_result serve_serverless_run(const serve_serverless *s, const double *rate, size_t minutes) {
  serve_serverless_result r = {0};
  double mb = s->footprint_mb + s->runtime_mb;
  r.memory_gb = mb <= 1024 ? 1 : (int)ceil(mb / 1024.0);
  if (r.memory_gb > 6) {
    r.memory_gb = 0;
    return r;
  }
  double gb = r.memory_gb, dur_s = ceil(s->duration_ms) / 1000.0; /* billed per ms */
  double requests = 0, compute_gb_s = 0, cold = 0;
  long warm = s->provisioned; /* containers warm now */
  /* last_full: the last minute that needed every warm container; containers above the
     need for idle_s since then are reclaimed, so the next burst starts them cold again */
  double idle_m = s->idle_s / 60.0, last_busy = -INFINITY, last_full = -INFINITY;
  for (size_t m = 0; m < minutes; m++) {
    double n = rate[m] * 60.0;
    if (n <= 0) {
      if ((double)m - last_busy >= idle_m) warm = s->provisioned;
      continue;
    }
    requests += n;
    compute_gb_s += n * dur_s * gb;
    /* Little's law: the containers busy at once; at least one while traffic lasts */
    long need = (long)ceil(rate[m] * s->duration_ms / 1000.0);
    if (need < 1) need = 1;
    if (need > r.peak_concurrency) r.peak_concurrency = need;
    if (need < warm && (double)m - last_full >= idle_m) warm = need > s->provisioned ? need : s->provisioned;
    if (1.0 / rate[m] > s->idle_s) { /* the gaps outlast a container: every request is cold */
      if (need > s->provisioned) cold += n;
    } else if (need > warm) {
      cold += (double)(need - warm);
      warm = need;
    }
    if (need >= warm) last_full = (double)m;
    last_busy = (double)m;
  }
  r.throttled = r.peak_concurrency > s->max_concurrency;
  double pc_gb_s = (double)s->provisioned * gb * 60.0 * (double)minutes;
  double duration_price = s->provisioned > 0 ? s->provisioned_duration_usd_per_gb_second : s->usd_per_gb_second;
  r.usd_per_day = compute_gb_s * duration_price + pc_gb_s * s->provisioned_usd_per_gb_second +
                  requests / 1e6 * s->usd_per_1m_requests;
  r.cold_starts_per_day = cold;
  r.cold_fraction = requests > 0 ? cold / requests : 0;
  r.p99_ms = r.cold_fraction > 0.01 ? s->cold_start_ms + s->duration_ms : s->p99_ms;
  return r;
}

double serve_async_hours(double capacity_rps, const double *rate, size_t minutes) {
  double h = 0;
  for (size_t m = 0; m < minutes; m++)
    if (rate[m] > 0) h += ceil(rate[m] / capacity_rps - 1e-9) / 60.0;
  return h;
}

double serve_batch_hours(double rows, double rows_per_s, long instances, double startup_s) {
  if (rows <= 0) return 0;
  return (rows / rows_per_s / (double)instances + startup_s) * (double)instances / 3600.0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double serve_percentile(double *v, size_t n, double p) {
  if (n == 0) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  double pos = p / 100.0 * (double)(n - 1);
  size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
  return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

double serve_mean_rps(const double *rate, size_t minutes) {
  double s = 0;
  for (size_t m = 0; m < minutes; m++) s += rate[m];
  return minutes ? s / (double)minutes : 0;
}
