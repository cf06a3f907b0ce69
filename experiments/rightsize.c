/* Amdahl fit and projection of measured runs onto other instance types (rightsize.h). */
#include "experiments/rightsize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "experiments/cost.h"
#include "experiments/pricing.h"

rightsize_fit rightsize_amdahl(const double *cores, const double *seconds, size_t n) {
  rightsize_fit f = {0};
  /* linear regression of T on x = 1/p */
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; i++) {
    double x = 1.0 / cores[i];
    sx += x;
    sy += seconds[i];
    sxx += x * x;
    sxy += x * seconds[i];
  }
  double det = (double)n * sxx - sx * sx;
  if (n >= 2 && det > 1e-12 * sxx * (double)n) {
    f.b = ((double)n * sxy - sx * sy) / det;
    f.a = (sy - f.b * sx) / (double)n;
    f.fitted = true;
  }
  if (!f.fitted || f.a < 0 || f.b < 0) { /* clamp: keep the mean of T * p as the parallel part */
    bool clamp_serial = f.fitted && f.b >= 0;
    double mean_tp = 0, mean_t = 0;
    for (size_t i = 0; i < n; i++) {
      mean_tp += seconds[i] * cores[i] / (double)n;
      mean_t += seconds[i] / (double)n;
    }
    if (clamp_serial) {
      f.a = 0;
      f.b = mean_tp;
    } else if (f.fitted) { /* b < 0: no speedup at all: all serial */
      f.a = mean_t;
      f.b = 0;
    } else {
      f.a = 0;
      f.b = mean_tp;
    }
  }
  f.serial_fraction = f.a + f.b > 0 ? f.a / (f.a + f.b) : 0;
  return f;
}

double rightsize_time(const rightsize_fit *f, double cores) { return f->a + f->b / cores; }

/* A record's group: its variant and settings, without ranks and cost.* keys. */
static char *group_key(const cJSON *rec) {
  const cJSON *point = cJSON_GetObjectItemCaseSensitive(rec, "point");
  cJSON *key = cJSON_CreateObject();
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(point, "variant");
  cJSON_AddStringToObject(key, "variant", cJSON_IsString(v) ? v->valuestring : "");
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(point, "set"), *kv;
  cJSON_ArrayForEach(kv, set) {
    if (strncmp(kv->string, "cost.", 5) != 0 && cJSON_IsString(kv))
      cJSON_AddStringToObject(key, kv->string, kv->valuestring);
  }
  char *s = cJSON_PrintUnformatted(key);
  cJSON_Delete(key);
  return s;
}

static bool is_measured_train(const cJSON *rec) {
  const cJSON *point = cJSON_GetObjectItemCaseSensitive(rec, "point");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(point, "kind");
  const cJSON *label = cJSON_GetObjectItemCaseSensitive(point, "label");
  return rec && cJSON_IsString(kind) && !strcmp(kind->valuestring, "train") && cJSON_IsString(label) &&
         !strcmp(label->valuestring, "measured") && isfinite(json_number_at(rec, "time", "train_s"));
}

static double cores_of(const cJSON *rec) {
  double ranks = json_number_at(rec, "parallel", "ranks"), threads = json_number_at(rec, "parallel", "threads_per_rank");
  return (isfinite(ranks) ? ranks : 1) * (isfinite(threads) && threads > 0 ? threads : 1);
}

/* One projected line: base's record with times and cost on instance type `it`. */
static cJSON *projected(const cJSON *base, const rightsize_fit *f, const char *type,
                        const pricing_instance *it, const double *cores, size_t n_cores) {
  cJSON *o = cJSON_Duplicate(base, true);
  if (!o) return NULL;
  double train = json_number_at(base, "time", "train_s"), total = json_number_at(base, "time", "total_s");
  double p = it->vcpus > 0 ? it->vcpus : 1, train2 = rightsize_time(f, p);
  double total2 = (isfinite(total) && total > train ? total - train : 0) + train2; /* + start-up etc. */
  cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
  cJSON_DeleteItemFromObject(t, "train_s");
  cJSON_DeleteItemFromObject(t, "total_s");
  json_add_number(t, "train_s", train2);
  json_add_number(t, "total_s", total2);
  double sps = json_number_at(base, "throughput", "samples_per_s");
  cJSON *tp = cJSON_GetObjectItemCaseSensitive(o, "throughput");
  if (tp && isfinite(sps)) {
    cJSON_DeleteItemFromObject(tp, "samples_per_s");
    json_add_number(tp, "samples_per_s", sps * train / train2);
  }
  const cJSON *bc = cJSON_GetObjectItemCaseSensitive(base, "cost");
  bool spot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bc, "spot"));
  double rate = pricing_rate(it, spot), storage = json_number_at(base, "cost", "storage_usd");
  double requests = json_number_at(base, "cost", "requests_usd");
  storage = isfinite(storage) && total > 0 ? storage * total2 / total : 0;
  requests = isfinite(requests) ? requests : 0;
  cost_storage_out parts = {storage, requests};
  cost_run_usd run_usd = cost_run(rate, total2, &parts);
  cJSON_ReplaceItemInObject(o, "cost", cost_json(type, 1, spot, rate, &run_usd));
  cJSON *par = cJSON_GetObjectItemCaseSensitive(o, "parallel");
  if (par) {
    cJSON_DeleteItemFromObject(par, "ranks");
    cJSON_DeleteItemFromObject(par, "threads_per_rank");
    cJSON_AddNumberToObject(par, "ranks", 1);
    cJSON_AddNumberToObject(par, "threads_per_rank", p);
  }
  /* the host the base run was measured on stays; its price is now this type's */
  cJSON *host = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "provenance"), "host");
  if (host) cJSON_ReplaceItemInObject(host, "priced_as", cJSON_CreateString(type));
  cJSON *point = cJSON_GetObjectItemCaseSensitive(o, "point");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(point, "id");
  char new_id[160];
  snprintf(new_id, sizeof new_id, "%s@%s", cJSON_IsString(id) ? id->valuestring : "?", type);
  cJSON_AddStringToObject(point, "projected_from", cJSON_IsString(id) ? id->valuestring : "?");
  cJSON_ReplaceItemInObject(point, "id", cJSON_CreateString(new_id));
  cJSON_ReplaceItemInObject(point, "label", cJSON_CreateString("projected"));
  cJSON *am = cJSON_AddObjectToObject(point, "amdahl");
  json_add_number(am, "serial_s", f->a);
  json_add_number(am, "parallel_s", f->b);
  json_add_number(am, "serial_fraction", f->serial_fraction);
  cJSON_AddBoolToObject(am, "fitted", f->fitted);
  cJSON_AddItemToObject(am, "cores_measured", cJSON_CreateDoubleArray(cores, (int)n_cores));
  cJSON_AddNumberToObject(am, "cores_projected", p);
  cJSON_AddStringToObject(am, "assumes", "this machine's speed per core");
  return o;
}

tr_err rightsize_project(cJSON *const *records, size_t n, const char *const *instances,
                         size_t n_instances, const char *pricing_path, FILE *out) {
  pricing_instance *its = calloc(n_instances ? n_instances : 1, sizeof *its);
  char **keys = calloc(n ? n : 1, sizeof *keys);
  double *cores = malloc((n ? n : 1) * sizeof *cores), *secs = malloc((n ? n : 1) * sizeof *secs);
  bool *done = calloc(n ? n : 1, sizeof *done);
  bool *has_spot = calloc(n_instances ? n_instances : 1, sizeof *has_spot);
  tr_err rc = its && keys && cores && secs && done && has_spot ? TR_OK : tr_error_set(TR_ENOMEM, "rightsize", "out of memory");
  pricing *prices = NULL;
  if (rc == TR_OK && n_instances) rc = pricing_load(pricing_path, &prices);
  for (size_t k = 0; rc == TR_OK && k < n_instances; k++) {
    rc = pricing_find_instance(prices, instances[k], &its[k]);
    has_spot[k] = rc == TR_OK && pricing_require_spot(prices, instances[k]) == TR_OK;
    if (rc == TR_OK) tr_error_clear();
  }
  pricing_free(&prices);
  for (size_t i = 0; rc == TR_OK && i < n; i++)
    if (is_measured_train(records[i])) keys[i] = group_key(records[i]);
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    if (!keys[i] || done[i]) continue;
    size_t m = 0, base = i;
    for (size_t j = i; j < n; j++) {
      if (!keys[j] || strcmp(keys[j], keys[i]) != 0) continue;
      done[j] = true;
      cores[m] = cores_of(records[j]);
      secs[m++] = json_number_at(records[j], "time", "train_s");
      if (cores_of(records[j]) > cores_of(records[base])) base = j;
    }
    rightsize_fit f = rightsize_amdahl(cores, secs, m);
    if (!f.fitted) { /* one core count: a projection would only assume perfect scaling */
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(records[base], "point"), "id");
      log_warn("rightsizing: %s was measured at one core count only: not projected (measure it at two or "
               "more, e.g. ranks = 1, 2 in the sweep's [grid], for an Amdahl fit)",
               cJSON_IsString(id) ? id->valuestring : "a run");
      continue;
    }
    const cJSON *base_id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(records[base], "point"), "id");
    bool spot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(records[base], "cost"), "spot"));
    for (size_t k = 0; k < n_instances; k++) {
      if (spot && !has_spot[k]) { /* an absent discount would price spot as on-demand */
        log_warn("rightsizing: %s runs on spot and the catalog's [instance.%s] has no spot_discount: not projected onto it",
                 cJSON_IsString(base_id) ? base_id->valuestring : "a run", instances[k]);
        continue;
      }
      cJSON *o = projected(records[base], &f, instances[k], &its[k], cores, m);
      if (rc == TR_OK) rc = o ? json_write_line(out, o, "results.jsonl") : tr_error_set(TR_ENOMEM, "rightsize", "out of memory");
      cJSON_Delete(o);
    }
  }
  for (size_t i = 0; keys && i < n; i++) free(keys[i]);
  free(keys);
  free(its);
  free(cores);
  free(secs);
  free(done);
  free(has_spot);
  return rc;
}
