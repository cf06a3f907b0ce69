/* Prices a storage bill line by line (see cost.h) and sums a run's cost. */
#include "experiments/cost.h"

#include <math.h>

#include "common/json.h"

tr_err cost_storage(const pricing *p, const stg_bill *b, cost_storage_out *out) {
  out->storage_usd = out->requests_usd = 0;
  for (size_t i = 0; i < b->n; i++) {
    const stg_bill_line *l = &b->line[i];
    pricing_storage price;
    tr_err rc = pricing_find_storage(p, l->service, &price);
    if (rc != TR_OK) return rc;
    double per = NAN, quantity = l->quantity; /* the unit's price, quantity in its unit */
    const char *key = "";
    switch (l->unit) {
    case STG_GB_HOURS: per = price.usd_per_gb_month, key = "usd_per_gb_month", quantity /= COST_HOURS_PER_MONTH; break;
    case STG_THOUSAND_GETS: per = price.usd_per_1k_get, key = "usd_per_1k_get"; break;
    case STG_GB_READ: per = price.usd_per_gb_read, key = "usd_per_gb_read"; break;
    case STG_MIB_S_HOURS: per = price.usd_per_mib_s_month, key = "usd_per_mib_s_month", quantity /= COST_HOURS_PER_MONTH; break;
    }
    if (isnan(per)) /* billed but not priced: a cost silently too low */
      return tr_error_set(TR_ECONFIG, pricing_path(p), "[storage.%s] has no %s", l->service, key);
    double usd = quantity * per;
    *(l->request ? &out->requests_usd : &out->storage_usd) += usd;
  }
  return TR_OK;
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
