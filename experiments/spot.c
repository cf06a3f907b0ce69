/* The spot-capacity model: what interruptions cost a checkpointed training run, so a
 * user can weigh the spot discount against the lost work and restarts, and pick the
 * checkpoint interval. Interruptions arrive as a Poisson process of rate lambda (no
 * warning acted on: the work since the last checkpoint is lost); each is followed by a
 * restart of R seconds (a replacement instance, start-up, loading the checkpoint) that
 * an interruption may itself cut short. The work is cut into segments of tau seconds,
 * each followed by a checkpoint of C seconds; a segment of x = tau + C seconds is done
 * once it runs x seconds without an interruption.
 *
 * Derivation of the expected time of one segment (the formula of Daly 2006, "A higher
 * order estimate of the optimum checkpoint interval for restart dumps", Future
 * Generation Computer Systems 22(3), eq. for T_w, which is exact for exponential
 * failures): the number of failed attempts is geometric with mean e^(lambda x) - 1; a
 * failed attempt lasts E[t | t < x] = 1/lambda - x / (e^(lambda x) - 1); each failure
 * then costs a restart that must itself run R seconds uninterrupted, which takes
 * (e^(lambda R) - 1) / lambda on average. Summing:
 *   x + (e^(lambda x) - 1) / lambda - x + (e^(lambda x) - 1)(e^(lambda R) - 1) / lambda
 *   = e^(lambda R) (e^(lambda x) - 1) / lambda = g(x).
 * A run of W seconds is n = floor(W / tau) segments of tau + C and a final piece of
 * W - n tau without a checkpoint, so E[T] = n g(tau + C) + g(W - n tau); when tau divides
 * W this is Daly's (W / tau) g(tau + C). For lambda -> 0, g(x) -> x.
 *
 * The interval minimizing E[T] is close to Young's (1974) first-order tau* = sqrt(2 C M),
 * M = 1 / lambda, for C << M; Daly 2006 shows the higher-order terms matter only when
 * C is a sizeable fraction of M. spot_simulate() runs the process itself, which the
 * unit tests use to check the formula. */
#include "experiments/spot.h"

#include <math.h>
#include <stdbool.h>

#include "common/rng.h"

static double lambda_per_s(const spot_params *p) { return p->interruptions_per_h / 3600.0; }

const char *spot_check_param(const spot_params *p) {
  if (!p) return "spot: no parameters";
  if (!isfinite(p->interruptions_per_h) || p->interruptions_per_h < 0)
    return "cost.spot_interruptions_per_h: must be a finite number >= 0";
  if (!isfinite(p->restart_s) || p->restart_s < 0)
    return "cost.spot_restart_s: must be a finite number >= 0";
  return NULL;
}

double spot_mtbi_s(const spot_params *p) {
  if (spot_check_param(p)) return NAN;
  return p->interruptions_per_h > 0 ? 1.0 / lambda_per_s(p) : INFINITY;
}

/* True when the run's shape is usable: work >= 0, interval >= 0 (0 = none), C >= 0. */
static bool shape_ok(double work_s, double interval_s, double ckpt_s) {
  return isfinite(work_s) && work_s >= 0 && interval_s >= 0 && !isnan(interval_s) &&
         isfinite(ckpt_s) && ckpt_s >= 0;
}

/* Expected time to get x seconds done uninterrupted, restarts included. */
static double segment_time(double lambda, double restart_s, double x) {
  if (x <= 0) return 0;
  if (lambda == 0) return x;
  return exp(lambda * restart_s) * expm1(lambda * x) / lambda;
}

/* Whole segments (each followed by a checkpoint) and the final piece without one. */
static void split_work(double work_s, double interval_s, double *n, double *rest) {
  if (interval_s <= 0 || !isfinite(interval_s)) {
    *n = 0;
    *rest = work_s;
    return;
  }
  /* a relative epsilon so that W = k tau computed in floating point counts k intervals */
  *n = floor(work_s / interval_s * (1 + 1e-12));
  *rest = fmax(0.0, work_s - *n * interval_s);
  if (*rest <= 1e-12 * work_s) *rest = 0;
}

double spot_expected_time(const spot_params *p, double work_s, double interval_s, double ckpt_s) {
  if (spot_check_param(p) || !shape_ok(work_s, interval_s, ckpt_s)) return NAN;
  double n, rest, lambda = lambda_per_s(p);
  split_work(work_s, interval_s, &n, &rest);
  double t = segment_time(lambda, p->restart_s, rest);
  if (n > 0) t += n * segment_time(lambda, p->restart_s, interval_s + ckpt_s);
  return t;
}

double spot_young_daly(const spot_params *p, double ckpt_s) {
  if (spot_check_param(p) || !isfinite(ckpt_s) || ckpt_s < 0) return NAN;
  return sqrt(2.0 * ckpt_s * spot_mtbi_s(p));
}

int spot_every_epochs(const spot_params *p, double epoch_s, double ckpt_s, int epochs) {
  double tau = spot_young_daly(p, ckpt_s);
  if (isnan(tau) || !isfinite(epoch_s) || epoch_s <= 0 || epochs < 1) return -1;
  if (p->interruptions_per_h == 0) return 0;
  double k = tau / epoch_s, work = epoch_s * epochs;
  int lo = (int)fmin(fmax(floor(k), 1), epochs), hi = (int)fmin(fmax(ceil(k), 1), epochs);
  double t_lo = spot_expected_time(p, work, lo * epoch_s, ckpt_s);
  double t_hi = spot_expected_time(p, work, hi * epoch_s, ckpt_s);
  return t_hi < t_lo ? hi : lo;
}

tr_err spot_cost(const spot_params *p, const spot_run *r, spot_cost_out *out) {
  const char *bad = spot_check_param(p);
  if (bad) return tr_error_set(TR_EINTERNAL, "spot", "%s", bad);
  if (!shape_ok(r->work_s, r->interval_s, r->ckpt_s) || !(r->spot_usd_per_h >= 0) ||
      !(r->on_demand_usd_per_h >= 0) || !(r->other_usd >= 0))
    return tr_error_set(TR_EINTERNAL, "spot", "invalid run (negative or non-finite time or price)");
  spot_params never = {.interruptions_per_h = 0, .restart_s = 0};
  out->expected_s = spot_expected_time(p, r->work_s, r->interval_s, r->ckpt_s);
  out->on_demand_s = spot_expected_time(&never, r->work_s, r->interval_s, r->ckpt_s);
  out->expected_usd = r->spot_usd_per_h * out->expected_s / 3600.0 + r->other_usd;
  out->on_demand_usd = r->on_demand_usd_per_h * out->on_demand_s / 3600.0 + r->other_usd;
  return TR_OK;
}

/* Exponential waiting time of rate lambda (> 0). */
static double draw_exp(rng_t *g, double lambda) { return -log1p(-rng_uniform(g)) / lambda; }

/* Wall time to get one segment of x seconds done, restarts included. */
static double simulate_segment(rng_t *g, double lambda, double restart_s, double x) {
  double t = 0;
  for (;;) {
    double a = draw_exp(g, lambda);
    if (a >= x) return t + x;
    t += a; /* the attempt's work is lost */
    for (;;) { /* the restart runs until it gets R seconds uninterrupted */
      double b = draw_exp(g, lambda);
      if (b >= restart_s) {
        t += restart_s;
        break;
      }
      t += b;
    }
  }
}

double spot_simulate(const spot_params *p, double work_s, double interval_s, double ckpt_s,
                     long runs, uint64_t seed, double *sd_mean) {
  if (spot_check_param(p) || !shape_ok(work_s, interval_s, ckpt_s) || runs < 1) return NAN;
  double n, rest, lambda = lambda_per_s(p);
  split_work(work_s, interval_s, &n, &rest);
  if (lambda == 0) {
    if (sd_mean) *sd_mean = 0;
    return n * (interval_s + ckpt_s) + rest;
  }
  rng_t g;
  rng_seed(&g, seed);
  double mean = 0, m2 = 0; /* Welford */
  for (long i = 0; i < runs; i++) {
    double t = rest > 0 ? simulate_segment(&g, lambda, p->restart_s, rest) : 0;
    for (double s = 0; s < n; s++) t += simulate_segment(&g, lambda, p->restart_s, interval_s + ckpt_s);
    double d = t - mean;
    mean += d / (double)(i + 1);
    m2 += d * (t - mean);
  }
  if (sd_mean) *sd_mean = runs > 1 ? sqrt(m2 / (double)(runs - 1) / (double)runs) : NAN;
  return mean;
}
