/* Prices a storage bill line by line (see cost.h) and sums a run's cost. */
#include "experiments/cost.h"

#include "common/json.h"

static const char *price_key(stg_unit u) {
  switch (u) {
  case STG_GB_HOURS: return "usd_per_gb_month";
  case STG_THOUSAND_GETS: return "usd_per_1k_get";
  case STG_GB_READ: return "usd_per_gb_read";
  case STG_MIB_S_HOURS: return "usd_per_mib_s_month";
  }
  return "?";
}

tr_err cost_storage(const pricing *p, const stg_bill *b, cost_storage_out *out) {
  out->storage_usd = out->requests_usd = 0;
  for (size_t i = 0; i < b->n; i++) {
    const stg_bill_line *l = &b->line[i];
    double price;
    tr_err rc = pricing_storage_price(p, l->service, price_key(l->unit), &price);
    if (rc != TR_OK) { /* never a partial sum */
      out->storage_usd = out->requests_usd = 0;
      return rc;
    }
    bool per_month = l->unit == STG_GB_HOURS || l->unit == STG_MIB_S_HOURS; /* hours priced by the month */
    double usd = (per_month ? l->quantity / COST_HOURS_PER_MONTH : l->quantity) * price;
    *(l->request ? &out->requests_usd : &out->storage_usd) += usd;
  }
  return TR_OK;
}

tr_err cost_check_prices(const pricing *p, const char *instance, bool spot, const stg_bill *b) {
  tr_err rc = spot ? pricing_require_spot(p, instance) : TR_OK;
  cost_storage_out unused;
  return rc == TR_OK ? cost_storage(p, b, &unused) : rc;
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

cJSON *cost_json(const char *instance, long nodes, bool spot, double rate_usd_per_h, const cost_run_usd *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "instance", instance);
  cJSON_AddNumberToObject(o, "nodes", (double)nodes);
  cJSON_AddBoolToObject(o, "spot", spot);
  json_add_number(o, "rate_usd_per_h", rate_usd_per_h);
  cost_run_to_json(c, o);
  return o;
}
