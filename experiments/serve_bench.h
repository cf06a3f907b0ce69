/* `tradeoff serve-bench MODEL.h5 [JOB.ini]` (issue 14): the serving side of a trained
 * model, measured on this host and priced. It loads the model through model_load (the
 * loader `predict` uses, so any model.h5 variant it reads is benchmarked the same way)
 * and measures: the load time from disk (the cold-start component), the memory footprint
 * (weights + activations), batch-1 latency percentiles with 1, 2, 4 .. cores concurrent
 * closed-loop clients, throughput at batch 1 .. serve.max_batch, and the highest
 * open-loop rate whose p95 stays within serve.p95_ms (Inference Recommender's
 * MaxInvocations). Warm-up requests are excluded and counted. From those figures and the
 * [serve] traffic profile it prices a real-time endpoint (target-tracking autoscaling),
 * serverless, asynchronous and batch transform (experiments/serve_cost.h) with the
 * catalog's [serving.*] prices, checked before anything is measured. OUT/serve.json
 * holds it all (DESIGN.md "serve.json"). */
#ifndef TR_SERVE_BENCH_H
#define TR_SERVE_BENCH_H
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "experiments/job.h"
#include "experiments/pricing.h"
#include "experiments/serve_cost.h"

#define SERVE_JSON "serve.json"
#define SERVE_FORMAT_VERSION 1

/* Checks j's [serve] keys beyond their types and fills *t: serve.diurnal must be 24
 * comma-separated numbers >= 0 when serve.traffic = diurnal (and is refused otherwise),
 * min_instances <= max_instances, spike_minutes <= spike_every_min. TR_ECONFIG at the
 * key's file:line. */
tr_err serve_check(const job *j, serve_traffic *t);

/* TR_OK when the catalog prices every deployment j asks for: [serving.realtime.I],
 * [serving.async.I], [serving.batch.I] (usd_per_hour, vcpus) for serve.instance,
 * [serving.realtime.T] for each serve.project type (only the real-time endpoint is
 * projected; async and batch run on serve.instance), and [serving.serverless]'s prices;
 * else pricing_serving_value's error, or TR_ECONFIG at serve.project's file:line for a
 * type without a real-time price or a list of more than 32 types. */
tr_err serve_check_prices(const job *j, const pricing *p);

/* Measures model_path, prices it for j and writes out_dir/serve.json (created; atomic).
 * *result gets serve.json's object (the caller frees it). Errors: serve_check's and
 * serve_check_prices's (before measuring), model_load's (TR_EINPUT: missing, corrupt,
 * another format version), TR_ENOMEM, TR_EIO. */
tr_err serve_bench_run(const job *j, const char *model_path, const char *out_dir, cJSON **result);

/* Each deployment names the catalog section it is priced from ("priced_from") and that
 * section's "source" and "as_of". Serverless holds the footprint at batch 1 (a container
 * serves one request at a time), not serve.max_batch's.
 * The deployments of serve.json's "deployments" priced again from a serve.json's measured
 * figures (`measured`: the object serve_bench_run wrote) for j's traffic and catalog: a
 * new array (the caller frees it), NULL with the error recorded. For sweeps and tests. */
cJSON *serve_price(const job *j, const pricing *p, const cJSON *measured);

/* What a sweep's record keeps of a serve.json (its "serve" object): p50_ms, p95_ms,
 * p99_ms, max_rps, load_ms, footprint_mb, precision, traffic (with months), deployments
 * (option, instance, basis, usd_per_month, usd_per_1m_requests, p99_ms, meets_p99,
 * priced_from, source, as_of) and cheapest. NULL on ENOMEM. */
cJSON *serve_summary(const cJSON *serve_json);

/* The total cost of ownership of a run: training plus `months` (the record's
 * traffic.months, default 12) of the cheapest deployment of `serve` (a serve_summary or
 * serve.json) whose p99_ms is at most p99_ms. False when none is. */
typedef struct {
  const char *option, *instance;  /* into serve; instance NULL for serverless */
  const char *basis;              /* into serve: the deployment's basis (NULL when absent) */
  const cJSON *traffic;           /* into serve: the profile it was priced for (NULL when absent) */
  double usd_per_month, p99_ms, months, tco_usd;
} serve_tco;
bool serve_tco_pick(const cJSON *serve, double p99_ms, double train_usd, serve_tco *out);

/* True when a deployment's basis says its capacity was projected onto another instance
 * ("projected (an Amdahl fit ..."), false when measured on the benchmark's host. */
bool serve_basis_projected(const char *basis);
#endif
