/* The cost of a run: the instances (rate x wall time) plus the storage bill priced from
 * the pricing catalog (configs/pricing.ini). The backends say what they bill in units
 * (io/storage.h stg_bill: GB-hours stored, thousands of GETs, GB read, MiB/s-hours
 * provisioned; for example FSx bills its provisioned capacity and its linked S3 bucket);
 * this module only prices the lines, so it knows no backend by name. A GB-month (and a MiB/s-month) is 730 hours,
 * as AWS prorates. */
#ifndef TR_COST_H
#define TR_COST_H
#include <cjson/cJSON.h>
#include <stddef.h>

#include "common/error.h"
#include "experiments/pricing.h"
#include "io/storage.h"

#define COST_HOURS_PER_MONTH 730.0

typedef struct {
  double storage_usd, requests_usd;
} cost_storage_out;

/* Prices bill b from catalog p. Errors: those of pricing_find_storage (a service the
 * catalog lacks: TR_ECONFIG "storage.backend: unknown storage service 'NAME'"), and
 * TR_ECONFIG "CATALOG: [storage.S] has no KEY" for a line whose unit S has no price. */
tr_err cost_storage(const pricing *p, const stg_bill *b, cost_storage_out *out);

/* The cost of one run: the instances (rate in USD per hour for all its nodes, spot
 * discount applied, x wall seconds / 3600) plus the storage and its requests. */
typedef struct {
  double compute_usd, storage_usd, requests_usd, total_usd;
} cost_run_usd;
cost_run_usd cost_run(double rate_usd_per_h, double seconds, const cost_storage_out *storage);
/* Adds compute_usd, storage_usd, requests_usd and total_usd to a result's "cost" object. */
void cost_run_to_json(const cost_run_usd *c, cJSON *cost);
#endif
