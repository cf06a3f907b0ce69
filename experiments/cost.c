/* Storage cost formulas (see cost.h), one branch per backend. */
#include "experiments/cost.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "experiments/pricing.h"

tr_err cost_storage(const char *pricing_path, const cost_storage_in *in, cost_storage_out *out) {
  out->storage_usd = out->requests_usd = 0;
  bool s3 = !strcmp(in->backend, "s3"), efs = !strcmp(in->backend, "efs"),
       fsx = !strcmp(in->backend, "fsx");
  if (!s3 && !efs && !fsx) return TR_OK;
  double months = in->hours / COST_HOURS_PER_MONTH;
  pricing_storage p;
  tr_err rc;
  if (efs) {
    if ((rc = pricing_find_storage(pricing_path, "efs", &p)) != TR_OK) return rc;
    out->storage_usd = in->data_gb * p.usd_per_gb_month * months;
    out->requests_usd = in->efs_elastic ? in->read_gb * p.usd_per_gb_read : 0;
    return TR_OK;
  }
  /* s3, and the bucket behind fsx */
  if ((rc = pricing_find_storage(pricing_path, "s3", &p)) != TR_OK) return rc;
  out->storage_usd = in->data_gb * p.usd_per_gb_month * months;
  out->requests_usd = (double)in->requests / 1000.0 * p.usd_per_1k_get;
  if (fsx) {
    char name[96];
    snprintf(name, sizeof name, "fsx.%s", in->fsx_deployment);
    if ((rc = pricing_find_storage(pricing_path, name, &p)) != TR_OK) return rc;
    out->storage_usd += in->fsx_capacity_tib * 1024.0 * p.usd_per_gb_month * months;
  }
  return TR_OK;
}

void cost_format_usd(double v, char *buf, size_t n) {
  if (!isfinite(v)) snprintf(buf, n, "-");
  else if (fabs(v) >= 1) snprintf(buf, n, "$%.2f", v);
  else if (fabs(v) >= 1e-3 || v == 0) snprintf(buf, n, "$%.4f", v);
  else snprintf(buf, n, "$%.3g", v);
}

cost_run_usd cost_run(double rate_usd_per_h, double seconds, const cost_storage_out *storage) {
  cost_run_usd c = {.compute_usd = rate_usd_per_h * seconds / 3600.0,
                    .storage_usd = storage ? storage->storage_usd : 0,
                    .requests_usd = storage ? storage->requests_usd : 0};
  c.total_usd = c.compute_usd + c.storage_usd + c.requests_usd;
  return c;
}

void cost_run_to_json(const cost_run_usd *c, cJSON *cost) {
  json_add_number(cost, "compute_usd", c->compute_usd);
  json_add_number(cost, "storage_usd", c->storage_usd);
  json_add_number(cost, "requests_usd", c->requests_usd);
  json_add_number(cost, "total_usd", c->total_usd);
}
