/* Reads instance prices from the INI pricing catalog with inih. Only the section asked
 * for is kept; keys that are not numbers where numbers are expected are errors. */
#include "experiments/pricing.h"

#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *want;  /* "instance.<type>" */
  pricing_instance *out;
  bool found, has_rate;
  int bad_line;
  char bad_key[64];
} lookup;

static int on_value(void *user, const char *section, const char *key, const char *value) {
  lookup *l = user;
  if (strcmp(section, l->want) != 0) return 1;
  l->found = true;
  static const char *numeric[] = {"usd_per_hour", "spot_discount", "vcpus", "gpus", "memory_gib"};
  for (size_t i = 0; i < sizeof numeric / sizeof *numeric; i++) {
    if (strcmp(key, numeric[i]) != 0) continue;
    char *end;
    double v = strtod(value, &end);
    /* NaN, infinities and counts past INT_MAX are rejected too (a count is converted
     * to int below; found by fuzz_pricing). */
    if (end == value || *end || !isfinite(v) || v < 0 || (i == 1 && v > 1) ||
        ((i == 2 || i == 3) && v > INT_MAX)) {
      snprintf(l->bad_key, sizeof l->bad_key, "%s", key);
      return 0;
    }
    switch (i) {
    case 0: l->out->usd_per_hour = v; l->has_rate = true; break;
    case 1: l->out->spot_discount = v; break;
    case 2: l->out->vcpus = (int)v; break;
    case 3: l->out->gpus = (int)v; break;
    case 4: l->out->memory_gib = v; break;
    }
  }
  return 1;
}

tr_err pricing_find_instance(const char *path, const char *type, pricing_instance *out) {
  memset(out, 0, sizeof *out);
  char want[160];
  snprintf(want, sizeof want, "instance.%s", type);
  lookup l = {.want = want, .out = out};
  int rc = ini_parse(path, on_value, &l);
  if (rc == -1) return tr_error_set(TR_ECONFIG, path, "cannot open pricing catalog (cost.pricing)");
  if (rc == -2) return tr_error_set(TR_ENOMEM, path, "out of memory");
  if (rc > 0 && l.bad_key[0])
    return tr_error_at(TR_ECONFIG, path, rc, "[%s] %s: expected a non-negative number%s", want,
                       l.bad_key, strcmp(l.bad_key, "spot_discount") ? "" : " in [0, 1]");
  if (rc > 0) return tr_error_at(TR_ECONFIG, path, rc, "syntax error");
  if (!l.found)
    return tr_error_set(TR_ECONFIG, "cost.instance", "unknown instance type '%s' (no [%s] in %s)",
                        type, want, path);
  if (!l.has_rate) return tr_error_set(TR_ECONFIG, path, "[%s] has no usd_per_hour", want);
  return TR_OK;
}

double pricing_rate(const pricing_instance *it, bool spot) {
  return it->usd_per_hour * (spot ? 1.0 - it->spot_discount : 1.0);
}
