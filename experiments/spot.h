/* Spot capacity: interruptions as a Poisson process (rate lambda per hour), each costing
 * the work since the last checkpoint plus a restart R. The expected wall time of W
 * seconds of work checkpointed every tau seconds of work (checkpoint cost C) is, per
 * segment of x = tau + C seconds (Daly 2006, exact for exponential failures):
 *     g(x) = e^(lambda R) (e^(lambda x) - 1) / lambda
 * and the recommended interval is Young/Daly's tau* = sqrt(2 C M), M = 1 / lambda.
 * Times are seconds, rates USD per hour. */
#ifndef TR_SPOT_H
#define TR_SPOT_H
#include <stdint.h>

#include "common/error.h"

typedef struct {
  double interruptions_per_h; /* lambda, >= 0 (0: on-demand-like, never interrupted) */
  double restart_s;           /* R: replacement instance + start-up + resume, >= 0 */
} spot_params;

/* NULL when p is usable, else a static message naming the bad field. */
const char *spot_check_param(const spot_params *p);

/* Mean time between interruptions, 1 / lambda, in seconds; INFINITY when lambda = 0. */
double spot_mtbi_s(const spot_params *p);

/* Expected wall time of work_s seconds of work with a checkpoint (ckpt_s) after every
 * interval_s seconds of work (the last whole interval's included; a shorter final piece
 * has none); interval_s = 0: no checkpoints, an interruption restarts from the start.
 * lambda = 0 gives work_s + checkpoints. NAN on invalid input, INFINITY on overflow. */
double spot_expected_time(const spot_params *p, double work_s, double interval_s, double ckpt_s);

/* Young/Daly's interval sqrt(2 ckpt_s M) in seconds of work; INFINITY when lambda = 0,
 * NAN on invalid input. */
double spot_young_daly(const spot_params *p, double ckpt_s);

/* checkpoint.every_epochs for epochs of epoch_s seconds: the neighbour of Young/Daly's
 * interval (in epochs, within 1..epochs) with the lower expected time for a run of
 * `epochs` epochs; 0 when lambda = 0 (nothing to insure against); -1 on invalid input. */
int spot_every_epochs(const spot_params *p, double epoch_s, double ckpt_s, int epochs);

/* One run priced both ways. Rates are for all nodes; other_usd (storage, requests) is
 * added to both prices. */
typedef struct {
  double work_s, interval_s, ckpt_s;
  double spot_usd_per_h, on_demand_usd_per_h, other_usd;
} spot_run;

typedef struct {
  double expected_s, expected_usd;   /* on spot, interruptions included */
  double on_demand_s, on_demand_usd; /* the same run never interrupted */
} spot_cost_out;

/* Fills out for run r. TR_EINTERNAL (with the reason) on invalid input. */
tr_err spot_cost(const spot_params *p, const spot_run *r, spot_cost_out *out);

/* Monte Carlo of the same process: `runs` seeded runs (common/rng.h), interruptions
 * also during checkpoints and restarts. Returns the mean wall time and, when sd_mean
 * is not NULL, its standard error; NAN on invalid input (runs < 1 included). */
double spot_simulate(const spot_params *p, double work_s, double interval_s, double ckpt_s,
                     long runs, uint64_t seed, double *sd_mean);
#endif
