/* Reads instance prices from the INI pricing catalog with inih. Only the section asked
 * for is kept; keys that are not numbers where numbers are expected are errors. */
#include "experiments/pricing.h"

#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One section's numeric keys, read with inih. */
typedef struct {
  const char *want;            /* the section, "instance.<type>" or "storage.<name>" */
  const char *const *keys;     /* numeric keys to read */
  size_t n_keys;
  double *vals;                /* n_keys values (NAN when absent) */
  double max_of[8];            /* per key: largest allowed value */
  bool found;
  char bad_key[64];
} lookup;

static int on_value(void *user, const char *section, const char *key, const char *value) {
  lookup *l = user;
  if (strcmp(section, l->want) != 0) return 1;
  l->found = true;
  for (size_t i = 0; i < l->n_keys; i++) {
    if (strcmp(key, l->keys[i]) != 0) continue;
    char *end;
    double v = strtod(value, &end);
    /* NaN, infinities and counts past INT_MAX are rejected too (found by fuzz_pricing) */
    if (end == value || *end || !isfinite(v) || v < 0 || v > l->max_of[i]) {
      snprintf(l->bad_key, sizeof l->bad_key, "%s", key);
      return 0;
    }
    l->vals[i] = v;
  }
  return 1;
}

/* Reads section want's keys into vals. Errors as pricing_find_instance's; what/name
 * describe the section for the "unknown" message. */
static tr_err read_section(const char *path, lookup *l, const char *what, const char *name) {
  for (size_t i = 0; i < l->n_keys; i++) l->vals[i] = NAN;
  int rc = ini_parse(path, on_value, l);
  if (rc == -1) return tr_error_set(TR_ECONFIG, path, "cannot open pricing catalog (cost.pricing)");
  if (rc == -2) return tr_error_set(TR_ENOMEM, path, "out of memory");
  if (rc > 0 && l->bad_key[0])
    return tr_error_at(TR_ECONFIG, path, rc, "[%s] %s: expected a non-negative number%s", l->want,
                       l->bad_key, strcmp(l->bad_key, "spot_discount") ? "" : " in [0, 1]");
  if (rc > 0) return tr_error_at(TR_ECONFIG, path, rc, "syntax error");
  if (!l->found)
    return tr_error_set(TR_ECONFIG, what, "unknown %s '%s' (no [%s] in %s)",
                        !strcmp(what, "cost.instance") ? "instance type" : "storage service", name,
                        l->want, path);
  return TR_OK;
}

static double or_zero(double v) { return isnan(v) ? 0 : v; }

tr_err pricing_find_instance(const char *path, const char *type, pricing_instance *out) {
  memset(out, 0, sizeof *out);
  char want[160];
  snprintf(want, sizeof want, "instance.%s", type);
  static const char *const keys[] = {"usd_per_hour", "spot_discount", "vcpus", "gpus", "memory_gib"};
  double v[5];
  lookup l = {.want = want, .keys = keys, .n_keys = 5, .vals = v,
              .max_of = {HUGE_VAL, 1, INT_MAX, INT_MAX, HUGE_VAL}};
  tr_err rc = read_section(path, &l, "cost.instance", type);
  if (rc != TR_OK) return rc;
  if (isnan(v[0])) return tr_error_set(TR_ECONFIG, path, "[%s] has no usd_per_hour", want);
  *out = (pricing_instance){.usd_per_hour = v[0], .spot_discount = or_zero(v[1]),
                            .vcpus = (int)or_zero(v[2]), .gpus = (int)or_zero(v[3]),
                            .memory_gib = or_zero(v[4])};
  return TR_OK;
}

tr_err pricing_find_storage(const char *path, const char *name, pricing_storage *out) {
  memset(out, 0, sizeof *out);
  char want[160];
  snprintf(want, sizeof want, "storage.%s", name);
  static const char *const keys[] = {"usd_per_gb_month", "usd_per_1k_get", "usd_per_gb_read"};
  double v[3];
  lookup l = {.want = want, .keys = keys, .n_keys = 3, .vals = v,
              .max_of = {HUGE_VAL, HUGE_VAL, HUGE_VAL}};
  tr_err rc = read_section(path, &l, "storage.backend", name);
  if (rc != TR_OK) return rc;
  *out = (pricing_storage){.usd_per_gb_month = or_zero(v[0]), .usd_per_1k_get = or_zero(v[1]),
                           .usd_per_gb_read = or_zero(v[2])};
  return TR_OK;
}

double pricing_rate(const pricing_instance *it, bool spot) {
  return it->usd_per_hour * (spot ? 1.0 - it->spot_discount : 1.0);
}
