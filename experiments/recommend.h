/* Recommendations from a sweep: the runs of DIR/results.jsonl that meet a target on a
 * metric (and a deadline), cheapest first, each with why it beats the next one, and
 * whether it is on the Pareto frontier of metric, cost and time. When none qualifies,
 * the error says the best that was achieved. */
#ifndef TR_RECOMMEND_H
#define TR_RECOMMEND_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "experiments/results.h"
#include "experiments/serve_bench.h"

typedef struct {
  const char *metric;  /* a test metric, au_percent or samples_per_s (results_metric) */
  double bound;
  bool at_least;       /* metric >= bound (higher is better), else metric <= bound */
  double deadline_h;   /* drop runs whose wall time exceeds it; INFINITY = none */
  size_t top;          /* at most this many picks, >= 1 */
  double p99_ms;       /* > 0: rank by total cost of ownership (training + the record's
                          serve.traffic.months of its cheapest deployment with p99 <= this;
                          runs without one are dropped); 0: by training cost */
} recommend_query;

typedef struct {
  const run_record *r;
  double metric;
  bool pareto;         /* not dominated in (metric, cost, time) */
  char *why;           /* why it is picked before the next one (malloc'd) */
  char basis[600];     /* where its numbers come from: "measured on CPU (...), priced as
                          TYPE", or "projected ... priced as TYPE" */
  serve_tco serve;     /* with p99_ms: the deployment and total cost of ownership */
  char *serve_json;    /* with p99_ms: DIR/<point.dir>/serve.json, the figures' file
                          (malloc'd; NULL when the record names no directory) */
  char *serve_basis;   /* with p99_ms: "serving basis: FILE; OPTION [INSTANCE] LABEL (BASIS);
                          traffic KIND, mean R req/s, peak P req/s" (malloc'd) */
} recommend_pick;

typedef struct {
  run_records rs;           /* the sweep's runs (the picks point into them) */
  recommend_pick *picks;    /* cheapest first */
  size_t n_picks;
  size_t n_qualifying;      /* runs that meet the target (n_picks <= top of them) */
} recommendation;

/* NULL when q is usable, else a static message. */
const char *recommend_check_query(const recommend_query *q);

/* Ranks the runs of dir for q into *out (free with recommend_free, also on error).
 * Errors: results_load's (TR_EINPUT); TR_EINPUT "no run in DIR reports METRIC";
 * TR_EIO when no run qualifies: "no run meets METRIC >= V: the best is X (id, $, s)",
 * or "K runs meet ... but none finishes within H h". */
tr_err recommend_runs(const char *dir, const recommend_query *q, recommendation *out);
void recommend_free(recommendation *rec);

/* The picks as a JSON array: rank, id, variant, backend, ranks, instance, spot, label,
 * basis, METRIC, time_s, cost_usd, pareto, why; with p99_ms also tco_usd, months,
 * serve_option, serve_instance, serve_usd_per_month, serve_p99_ms, and the serving basis:
 * serve_json (the serve.json its figures come from, or null), serve_label ("measured" or
 * "projected"), serve_deployment_basis (the deployment's basis), serve_traffic (the
 * profile: kind, mean_rps, peak_rps, ...). NULL on ENOMEM. */
cJSON *recommend_json(const recommendation *rec, const recommend_query *q);
#endif
