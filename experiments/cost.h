/* The cost of a run: the instances (rate x wall time) plus the storage bill priced from
 * the pricing catalog (configs/pricing.ini). The backends say what they bill in units
 * (io/storage.h stg_bill: GB-hours stored, thousands of GETs, GB read, MiB/s-hours
 * provisioned; for example FSx bills its provisioned capacity and its linked S3 bucket);
 * this module only prices the lines, so it knows no backend by name. A GB-month (and a MiB/s-month) is 730 hours,
 * as AWS prorates. */
#ifndef TR_COST_H
#define TR_COST_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "experiments/pricing.h"
#include "io/storage.h"

#define COST_HOURS_PER_MONTH 730.0

typedef struct {
  double storage_usd, requests_usd;
} cost_storage_out;

/* Prices bill b from catalog p, every line or none (out is 0 on error). Errors: those of
 * pricing_storage_price (a service the catalog lacks: TR_ECONFIG "storage.backend:
 * unknown storage service 'NAME'"; a price a line needs that its section lacks: "PATH:
 * [storage.NAME] has no KEY"). */
tr_err cost_storage(const pricing *p, const stg_bill *b, cost_storage_out *out);

/* Checks, before a run, that catalog p prices everything the run will be billed: the
 * spot_discount of instance type `instance` when spot (pricing_require_spot), and every
 * line of the backend's bill b (built with any counters: which lines, not how much). The
 * errors of pricing_require_spot and cost_storage (TR_ECONFIG, naming the catalog and
 * the missing section or key), so a run never ends with a price silently $0. */
tr_err cost_check_prices(const pricing *p, const char *instance, bool spot, const stg_bill *b);

/* The cost of one run: the instances (rate in USD per hour for all its nodes, spot
 * discount applied, x wall seconds / 3600) plus the storage and its requests. */
typedef struct {
  double compute_usd, storage_usd, requests_usd, total_usd;
} cost_run_usd;
cost_run_usd cost_run(double rate_usd_per_h, double seconds, const cost_storage_out *storage);
/* Adds compute_usd, storage_usd, requests_usd and total_usd to a result's "cost" object. */
void cost_run_to_json(const cost_run_usd *c, cJSON *cost);
/* A result's "cost" object, as result.json, io.json and projections write it: {"instance",
 * "nodes", "spot", "rate_usd_per_h" (all nodes, spot discount applied), "compute_usd",
 * "storage_usd", "requests_usd", "total_usd"}. NULL on ENOMEM. */
cJSON *cost_json(const char *instance, long nodes, bool spot, double rate_usd_per_h, const cost_run_usd *c);
#endif
