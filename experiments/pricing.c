/* The pricing catalog: read once through the INI front end (which refuses a key given
 * twice) into a list of (section, key, value, line), then looked up by section. Keys
 * that are not numbers in their range where numbers are expected are errors at their
 * line when their section is asked for. */
#define _GNU_SOURCE
#include "experiments/pricing.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/inifile.h"

typedef struct {
  char *section, *key, *value;
  long line;
} entry;

struct pricing {
  char *path;
  entry *e;
  size_t n, cap;
};

static tr_err on_value(void *user, const char *section, const char *key, const char *value,
                       long line) {
  pricing *p = user;
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    entry *grown = realloc(p->e, cap * sizeof *grown);
    if (!grown) return tr_error_set(TR_ENOMEM, p->path, "out of memory");
    p->e = grown;
    p->cap = cap;
  }
  entry *e = &p->e[p->n];
  *e = (entry){strdup(section), strdup(key), strdup(value), line};
  if (!e->section || !e->key || !e->value) {
    free(e->section);
    free(e->key);
    free(e->value);
    return tr_error_set(TR_ENOMEM, p->path, "out of memory");
  }
  p->n++;
  return TR_OK;
}

#ifndef TRADEOFF_SOURCE_DIR
#define TRADEOFF_SOURCE_DIR ""
#endif

static bool readable(const char *path) { return access(path, R_OK) == 0; }

char *pricing_default_path(void) {
  const char *env = getenv("TRADEOFF_PRICING");
  if (env && *env) {
    if (readable(env)) return strdup(env);
    tr_error_set(TR_ECONFIG, "cost.pricing", "$TRADEOFF_PRICING names %s, which cannot be read", env);
    return NULL;
  }
  char exe[4096], *candidates[3] = {NULL, NULL, NULL};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    if (asprintf(&candidates[0], "%s/../share/tradeoff/pricing.ini", exe) < 0) candidates[0] = NULL;
  }
  if (*TRADEOFF_SOURCE_DIR && asprintf(&candidates[1], "%s/configs/pricing.ini", TRADEOFF_SOURCE_DIR) < 0)
    candidates[1] = NULL;
  candidates[2] = strdup("configs/pricing.ini");
  char *found = NULL;
  for (int i = 0; i < 3 && !found; i++)
    if (candidates[i] && readable(candidates[i])) found = strdup(candidates[i]);
  if (!found)
    tr_error_set(TR_ECONFIG, "cost.pricing",
                 "no pricing catalog found (set cost.pricing or $TRADEOFF_PRICING; looked for %s, %s and %s)",
                 candidates[0] ? candidates[0] : "share/tradeoff/pricing.ini",
                 candidates[1] ? candidates[1] : "the source tree's configs/pricing.ini", "configs/pricing.ini");
  for (int i = 0; i < 3; i++) free(candidates[i]);
  return found;
}

tr_err pricing_load(const char *path, pricing **out) {
  *out = NULL;
  pricing *p = calloc(1, sizeof *p);
  if (!p || !(p->path = strdup(path))) {
    free(p);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  tr_err rc = inifile_parse(path, "pricing catalog (cost.pricing)", on_value, p);
  if (rc != TR_OK) {
    pricing_free(&p);
    return rc;
  }
  *out = p;
  return TR_OK;
}

void pricing_free(pricing **pp) {
  pricing *p = pp ? *pp : NULL;
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->e[i].section);
    free(p->e[i].key);
    free(p->e[i].value);
  }
  free(p->e);
  free(p->path);
  free(p);
  *pp = NULL;
}

/* A numeric key of a section: its range, and whether it counts (a whole number). */
typedef struct {
  const char *key;
  double min, max;
  bool whole;
} num_key;

/* Whether text is a number of k's range (and whole where k says); *v gets it. */
static bool num_ok(const num_key *k, const char *text, double *v) {
  char *end;
  *v = strtod(text, &end);
  /* NaN, infinities and counts past INT_MAX are rejected too (found by fuzz_pricing),
   * and so are fractional counts (4.5 vCPUs read as 4) */
  return end != text && !*end && isfinite(*v) && *v >= k->min && *v <= k->max && (!k->whole || *v == floor(*v));
}

/* TR_ECONFIG "PATH:LINE: [SECTION] KEY: expected a (whole) number in [MIN, MAX], got 'V'". */
static tr_err num_error(const pricing *p, const entry *e, const char *section, const num_key *k) {
  return tr_error_at(TR_ECONFIG, p->path, e->line, "[%s] %s: expected a %s in [%.10g, %.10g], got '%s'", section,
                     e->key, k->whole ? "whole number" : "number", k->min, k->max, e->value);
}

/* Reads section want's numeric keys[0..n) into vals (NAN when absent), each in
 * [0, max] (and whole where said). `what` ("cost.instance" / "storage.backend") and name
 * say what was asked for in the unknown-section message. */
static tr_err read_section(const pricing *p, const char *want, const num_key *keys, size_t n,
                           double *vals, const char *what, const char *name) {
  for (size_t i = 0; i < n; i++) vals[i] = NAN;
  bool found = false;
  for (size_t k = 0; k < p->n; k++) {
    const entry *e = &p->e[k];
    if (strcmp(e->section, want) != 0) continue;
    found = true;
    for (size_t i = 0; i < n; i++) {
      if (strcmp(e->key, keys[i].key) != 0) continue;
      if (!num_ok(&keys[i], e->value, &vals[i])) return num_error(p, e, want, &keys[i]);
    }
  }
  if (!found)
    return tr_error_set(TR_ECONFIG, what, "unknown %s '%s' (no [%s] in %s)",
                        !strcmp(what, "cost.instance") ? "instance type" : "storage service", name,
                        want, p->path);
  return TR_OK;
}

/* No price in the catalog comes near this (USD per hour, per GB-month, per 1,000 GETs,
 * per GB read, per MiB/s-month); a larger one is a typo and would make every cost meaningless. */
#define PRICING_MAX_USD 1e6

static double or_zero(double v) { return isnan(v) ? 0 : v; }

const char *pricing_path(const pricing *p) { return p->path; }

const char *pricing_text(const pricing *p, const char *section, const char *key) {
  for (size_t k = 0; k < p->n; k++)
    if (!strcmp(p->e[k].section, section) && !strcmp(p->e[k].key, key)) return p->e[k].value;
  return NULL;
}

bool pricing_has_serving(const pricing *p, const char *option) {
  for (size_t k = 0; k < p->n; k++)
    if (!strncmp(p->e[k].section, "serving.", 8) && !strcmp(p->e[k].section + 8, option)) return true;
  return false;
}

bool pricing_has_instance(const pricing *p, const char *type) {
  for (size_t k = 0; k < p->n; k++)
    if (!strncmp(p->e[k].section, "instance.", 9) && !strcmp(p->e[k].section + 9, type)) return true;
  return false;
}

tr_err pricing_find_instance(const pricing *p, const char *type, pricing_instance *out) {
  memset(out, 0, sizeof *out);
  char want[160];
  snprintf(want, sizeof want, "instance.%s", type);
  /* a type has at least one vCPU: rightsizing and serving divide by it */
  static const num_key keys[] = {{"usd_per_hour", 0, PRICING_MAX_USD, false},
                                 {"spot_discount", 0, 1, false},
                                 {"vcpus", 1, INT_MAX, true},
                                 {"gpus", 0, INT_MAX, true},
                                 {"memory_gib", 0, 1e9, false}};
  double v[5];
  tr_err rc = read_section(p, want, keys, 5, v, "cost.instance", type);
  if (rc != TR_OK) return rc;
  if (isnan(v[0])) return tr_error_set(TR_ECONFIG, p->path, "[%s] has no usd_per_hour", want);
  *out = (pricing_instance){.usd_per_hour = v[0], .spot_discount = or_zero(v[1]),
                            .vcpus = (int)or_zero(v[2]), .gpus = (int)or_zero(v[3]),
                            .memory_gib = or_zero(v[4])};
  return TR_OK;
}

static const num_key storage_keys[] = {{"usd_per_gb_month", 0, PRICING_MAX_USD, false},
                                       {"usd_per_1k_get", 0, PRICING_MAX_USD, false},
                                       {"usd_per_gb_read", 0, PRICING_MAX_USD, false},
                                       {"usd_per_mib_s_month", 0, PRICING_MAX_USD, false}};
enum { N_STORAGE_KEYS = sizeof storage_keys / sizeof *storage_keys };

tr_err pricing_storage_price(const pricing *p, const char *name, const char *key, double *usd) {
  *usd = NAN;
  char want[160];
  snprintf(want, sizeof want, "storage.%s", name);
  double v[N_STORAGE_KEYS];
  tr_err rc = read_section(p, want, storage_keys, N_STORAGE_KEYS, v, "storage.backend", name);
  if (rc != TR_OK) return rc;
  for (size_t i = 0; i < N_STORAGE_KEYS; i++)
    if (!strcmp(key, storage_keys[i].key)) *usd = v[i];
  if (isnan(*usd)) return tr_error_set(TR_ECONFIG, p->path, "[%s] has no %s", want, key);
  return TR_OK;
}

tr_err pricing_require_spot(const pricing *p, const char *type) {
  char want[160];
  snprintf(want, sizeof want, "instance.%s", type);
  for (size_t k = 0; k < p->n; k++)
    if (!strcmp(p->e[k].section, want) && !strcmp(p->e[k].key, "spot_discount")) return TR_OK;
  return tr_error_set(TR_ECONFIG, p->path, "[%s] has no spot_discount, which cost.spot = true needs", want);
}

double pricing_rate(const pricing_instance *it, bool spot) {
  return it->usd_per_hour * (spot ? 1.0 - it->spot_discount : 1.0);
}

tr_err pricing_serving_value(const pricing *p, const char *option, const char *key, double *v) {
  *v = NAN;
  char want[200];
  snprintf(want, sizeof want, "serving.%s", option);
  bool found = false;
  for (size_t k = 0; k < p->n; k++) {
    const entry *e = &p->e[k];
    if (strcmp(e->section, want) != 0) continue;
    found = true;
    if (strcmp(e->key, key) != 0) continue;
    /* vcpus scales the measured capacity onto the instance: a whole number >= 1 */
    num_key k = strcmp(key, "vcpus") ? (num_key){key, 0, PRICING_MAX_USD, false} : (num_key){key, 1, PRICING_MAX_USD, true};
    double x;
    if (!num_ok(&k, e->value, &x)) return num_error(p, e, want, &k);
    *v = x;
    return TR_OK;
  }
  if (!found)
    return tr_error_set(TR_ECONFIG, "serve.instance", "unknown serving option '%s' (no [%s] in %s)", option, want, p->path);
  return tr_error_set(TR_ECONFIG, p->path, "[%s] has no %s", want, key);
}
