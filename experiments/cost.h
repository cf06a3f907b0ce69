/* The storage part of a run's cost, from the pricing catalog (configs/pricing.ini):
 *   s3    data GB x GB-month price x hours / 730  +  GETs / 1000 x GET price
 *   efs   data GB x GB-month price x hours / 730  +  GB read x read price (elastic mode)
 *   fsx   capacity GB x the deployment's GB-month price x hours / 730 (capacity is
 *         provisioned, used or not)  +  the linked S3 bucket's storage and its GETs
 *         (lazy loads and preload)
 *   local, null: 0 (the instance's own disk is in its hourly rate).
 * GB are 2^30 bytes; a month is 730 hours, as AWS prorates. */
#ifndef TR_COST_H
#define TR_COST_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define COST_HOURS_PER_MONTH 730.0

typedef struct {
  const char *backend;        /* local | null | s3 | efs | fsx */
  const char *fsx_deployment; /* fsx only */
  double data_gb;             /* size of the data set */
  double fsx_capacity_tib;    /* fsx only */
  double hours;               /* how long the storage is held: the run's wall time */
  uint64_t requests;          /* billable GETs */
  double read_gb;             /* GB read (EFS elastic) */
  bool efs_elastic;
} cost_storage_in;

typedef struct {
  double storage_usd, requests_usd;
} cost_storage_out;

/* The cost of one run: the instances (rate in USD per hour for all its nodes, spot
 * discount applied, x wall seconds / 3600) plus the storage and its requests. */
typedef struct {
  double compute_usd, storage_usd, requests_usd, total_usd;
} cost_run_usd;
cost_run_usd cost_run(double rate_usd_per_h, double seconds, const cost_storage_out *storage);
/* Adds compute_usd, storage_usd, requests_usd and total_usd to a result's "cost" object. */
void cost_run_to_json(const cost_run_usd *c, cJSON *cost);

/* Dollars readable at any scale into buf: $12.35, $0.0123, $4.56e-06 ("-" for NaN). */
void cost_format_usd(double v, char *buf, size_t n);

/* Prices in for the catalog at pricing_path. Errors: those of pricing_find_storage. */
tr_err cost_storage(const char *pricing_path, const cost_storage_in *in, cost_storage_out *out);
#endif
