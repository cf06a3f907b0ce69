/* serve-bench (see serve_bench.h): the measurements on infer.h's load generators, the
 * pricing on serve_cost.h's models, serve.json through cJSON. */
#define _GNU_SOURCE
#include "experiments/serve_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/atomic_file.h"
#include "common/host.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "common/rng.h"
#include "common/timer.h"
#include "experiments/provenance.h"
#include "experiments/rightsize.h"
#include "io/dataset.h"
#include "trainer/infer.h"

#define SERVE_LOADS 5        /* model loads timed: the first (cold) and the median */
#define SERVE_RATE_STEPS 8   /* bisection steps of the max-requests/s search */
#define SERVE_MAX_LEVELS 16
#define SERVE_STEP_SECONDS 10 /* longest run of arrivals of one rate step */

tr_err serve_check(const job *j, serve_traffic *t) {
  const job_serve *s = &j->serve;
  *t = (serve_traffic){.kind = s->traffic, .rps = s->rps, .spike_rps = s->spike_rps,
                       .spike_every_min = s->spike_every_min, .spike_minutes = s->spike_minutes};
  if (s->min_instances > s->max_instances)
    return job_error(j, TR_ECONFIG, "serve", "min_instances", "%ld is more than serve.max_instances (%ld)",
                     s->min_instances, s->max_instances);
  if (s->spike_minutes > s->spike_every_min)
    return job_error(j, TR_ECONFIG, "serve", "spike_minutes", "%g is longer than serve.spike_every_min (%g)",
                     s->spike_minutes, s->spike_every_min);
  if (s->traffic != SERVE_DIURNAL) {
    if (*s->diurnal)
      return job_error(j, TR_ECONFIG, "serve", "diurnal", "is given but serve.traffic is not diurnal");
    return TR_OK;
  }
  const char *c = s->diurnal;
  size_t n = 0;
  while (*c) {
    char *end;
    double v = strtod(c, &end);
    if (n == 24)
      return job_error(j, TR_ECONFIG, "serve", "diurnal", "expected 24 comma-separated requests/s (hours 0..23), got more");
    if (end == c || !isfinite(v) || v < 0 || v > 1e9)
      return job_error(j, TR_ECONFIG, "serve", "diurnal",
                       "expected 24 comma-separated requests/s in [0, 1e9] (hours 0..23), got '%s'", c);
    t->hourly[n++] = v;
    while (*end == ' ' || *end == '\t') end++;
    if (*end == ',') end++;
    else if (*end)
      return job_error(j, TR_ECONFIG, "serve", "diurnal", "expected a comma after value %zu, got '%s'", n, end);
    else break;
    c = end;
    while (*c == ' ' || *c == '\t') c++;
    if (!*c) return job_error(j, TR_ECONFIG, "serve", "diurnal", "a comma ends the list");
  }
  if (n != 24)
    return job_error(j, TR_ECONFIG, "serve", "diurnal", "expected 24 comma-separated requests/s (hours 0..23), got %zu", n);
  return TR_OK;
}

/* The instance types of serve.project (comma-separated) into out[0..*n) (pointers into
 * buf); false when there are more than SERVE_MAX_PROJECT or the list is longer than buf. */
#define SERVE_MAX_PROJECT 32
static bool project_list(const char *text, char *buf, size_t len, char **out, size_t *n) {
  *n = 0;
  if ((size_t)snprintf(buf, len, "%s", text) >= len) return false;
  for (char *save = NULL, *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
    if (*n == SERVE_MAX_PROJECT) return false;
    out[(*n)++] = tok;
  }
  return true;
}

/* The usd_per_hour and vcpus of [serving.<option>.<type>]: pricing_serving_value's errors. */
static tr_err instance_prices(const pricing *p, const char *option, const char *type, double *usd_h, double *vcpus) {
  char name[200];
  snprintf(name, sizeof name, "%s.%s", option, type);
  tr_err rc = pricing_serving_value(p, name, "usd_per_hour", usd_h);
  return rc == TR_OK ? pricing_serving_value(p, name, "vcpus", vcpus) : rc;
}

tr_err serve_check_prices(const job *j, const pricing *p) {
  /* serve.instance serves every instance option; a serve.project type only the real-time
     endpoint (async and batch are priced on serve.instance alone), so only its real-time
     price is asked for, and a type the catalog lacks is named as serve.project's */
  static const char *const options[] = {"realtime", "async", "batch"};
  double usd_h, vcpus;
  tr_err rc = TR_OK;
  for (size_t i = 0; rc == TR_OK && i < 3; i++) rc = instance_prices(p, options[i], j->serve.instance, &usd_h, &vcpus);
  char buf[1024], *types[SERVE_MAX_PROJECT];
  size_t n;
  if (rc == TR_OK && !project_list(j->serve.project, buf, sizeof buf, types, &n))
    rc = job_error(j, TR_ECONFIG, "serve", "project", "at most %d instance types in at most %zu characters",
                   SERVE_MAX_PROJECT, sizeof buf - 1);
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    char name[200];
    snprintf(name, sizeof name, "realtime.%s", types[i]);
    if (!pricing_has_serving(p, name))
      rc = job_error(j, TR_ECONFIG, "serve", "project",
                     "'%s' has no real-time price ([serving.realtime.%s] in %s) to project the endpoint onto",
                     types[i], types[i], pricing_path(p));
    else
      rc = instance_prices(p, "realtime", types[i], &usd_h, &vcpus);
  }
  static const char *const keys[] = {"usd_per_gb_second", "usd_per_1m_requests", "provisioned_usd_per_gb_second",
                                     "provisioned_duration_usd_per_gb_second"};
  double v;
  for (size_t i = 0; rc == TR_OK && i < 4; i++) rc = pricing_serving_value(p, "serverless", keys[i], &v);
  return rc;
}

/* ---- measuring ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* {"p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"} of lat[0..n) seconds into o. */
static void add_percentiles(cJSON *o, double *lat, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += lat[i];
  json_add_number(o, "p50_ms", 1e3 * serve_percentile(lat, n, 50));
  json_add_number(o, "p95_ms", 1e3 * serve_percentile(lat, n, 95));
  json_add_number(o, "p99_ms", 1e3 * serve_percentile(lat, n, 99));
  json_add_number(o, "max_ms", n ? 1e3 * lat[n - 1] : NAN);
  json_add_number(o, "mean_ms", n ? 1e3 * sum / (double)n : NAN);
}

/* Raw rows to send: standard normal in the model's standardized space, mapped back
 * through its scaler (so the requests look like its training data), seeded. */
static float *request_pool(const model_file *mf, size_t rows) {
  size_t d = mf->model->spec.inputs;
  float *X = ds_alloc_floats(rows * d);
  if (!X) return tr_check_alloc(NULL, "serve-bench");
  rng_t r;
  rng_seed(&r, 14);
  for (size_t i = 0; i < rows; i++)
    for (size_t k = 0; k < d; k++) {
      double z = rng_normal(&r);
      X[i * d + k] = mf->scale.cols == d ? (float)(z * mf->scale.scale[k] + mf->scale.mean[k]) : (float)z;
    }
  return X;
}

/* Model load times (ms): the first, then the median of SERVE_LOADS. mf gets the last load. */
static tr_err time_loads(const char *path, model_file *mf, double *first_ms, double *median_ms) {
  double ms[SERVE_LOADS];
  for (int i = 0; i < SERVE_LOADS; i++) {
    double t0 = tr_now();
    tr_err rc = model_load(path, mf);
    ms[i] = 1e3 * (tr_now() - t0);
    if (rc != TR_OK) return rc;
    if (i + 1 < SERVE_LOADS) model_file_free(mf);
  }
  *first_ms = ms[0];
  qsort(ms, SERVE_LOADS, sizeof *ms, cmp_double);
  *median_ms = ms[SERVE_LOADS / 2];
  return TR_OK;
}

/* "latency": one entry per client count 1, 2, 4 .. max_clients (and max_clients). */
static tr_err measure_latency(const model_file *mf, const infer_pool *pool, const job_serve *s,
                              size_t max_clients, cJSON *arr) {
  size_t levels[SERVE_MAX_LEVELS], n = 0;
  for (size_t c = 1; c < max_clients && n + 1 < SERVE_MAX_LEVELS; c *= 2) levels[n++] = c;
  levels[n++] = max_clients;
  size_t req = (size_t)s->requests;
  double *lat = malloc(max_clients * req * sizeof *lat);
  if (!lat) return tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
  tr_err rc = TR_OK;
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    size_t c = levels[i];
    log_info("serve-bench: batch-1 latency, %zu client%s x %zu requests (+%ld warm-up each)", c,
             c == 1 ? "" : "s", req, s->warmup);
    double wall;
    rc = infer_closed_loop(mf, pool, c, (size_t)s->warmup, req, lat, &wall);
    if (rc != TR_OK) break;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "clients", (double)c);
    cJSON_AddNumberToObject(o, "requests", (double)(c * req));
    cJSON_AddNumberToObject(o, "warmup_requests", (double)(c * (size_t)s->warmup));
    add_percentiles(o, lat, c * req);
    json_add_number(o, "throughput_rps", wall > 0 ? (double)(c * req) / wall : NAN);
  }
  free(lat);
  return rc;
}

/* "throughput": rows/s at batch 1, 2, 4 .. max_batch, one caller (OpenBLAS threads). */
static tr_err measure_throughput(const model_file *mf, const infer_pool *pool, const job_serve *s, cJSON *arr) {
  tr_err rc = TR_OK;
  log_info("serve-bench: throughput at batch 1 .. %ld (%.2g s each, %ld BLAS thread%s)", s->max_batch, s->batch_seconds,
           s->threads, s->threads == 1 ? "" : "s");
  for (size_t b = 1; rc == TR_OK; b = b * 2 > (size_t)s->max_batch && b < (size_t)s->max_batch ? (size_t)s->max_batch : b * 2) {
    double rows_s;
    size_t reps;
    rc = infer_batch_throughput(mf, pool, b, (int)s->threads, s->warmup > 0 ? 3 : 0, 5, s->batch_seconds, &rows_s, &reps);
    if (rc != TR_OK) break;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "batch", (double)b);
    cJSON_AddNumberToObject(o, "rows_per_s", rows_s);
    cJSON_AddNumberToObject(o, "ms_per_batch", 1e3 * (double)b / rows_s);
    cJSON_AddNumberToObject(o, "batches_timed", (double)reps);
    if (b >= (size_t)s->max_batch) break;
  }
  return rc;
}

/* "max_rps": bisection over open-loop rates in (0, ceiling] for the highest whose p95 is
 * within serve.p95_ms, `workers` workers; each step's figures in "steps". */
static tr_err measure_max_rps(const model_file *mf, const infer_pool *pool, const job_serve *s,
                              size_t workers, double ceiling, cJSON *o) {
  size_t req = (size_t)s->requests;
  double *lat = malloc(req * sizeof *lat);
  if (!lat) return tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
  cJSON *steps = cJSON_AddArrayToObject(o, "steps");
  double lo = 0, hi = ceiling, best = 0, best_p95 = NAN, best_p99 = NAN;
  tr_err rc = TR_OK;
  log_info("serve-bench: max requests/s with p95 <= %g ms (%zu workers, up to %d steps of up to %zu requests)",
           s->p95_ms, workers, SERVE_RATE_STEPS, req);
  for (int step = 0; rc == TR_OK && step < SERVE_RATE_STEPS; step++) {
    double rate = step == 0 ? hi : 0.5 * (lo + hi);
    /* a slow model's step is bounded: at most SERVE_STEP_SECONDS of arrivals (and at
       least 20 requests), its warm-up likewise */
    size_t n = (size_t)fmin((double)req, fmax(20.0, rate * SERVE_STEP_SECONDS));
    size_t warm = (size_t)fmin((double)s->warmup, fmax(0.0, rate * SERVE_STEP_SECONDS / 10));
    if ((rc = infer_open_loop(mf, pool, workers, rate, warm, n, lat)) != TR_OK) break;
    cJSON *st = cJSON_CreateObject();
    cJSON_AddItemToArray(steps, st);
    cJSON_AddNumberToObject(st, "rps", rate);
    cJSON_AddNumberToObject(st, "requests", (double)n);
    add_percentiles(st, lat, n);
    double p95 = json_number_at(st, "p95_ms", NULL);
    bool ok = p95 <= s->p95_ms;
    cJSON_AddBoolToObject(st, "meets_p95", ok);
    if (ok && rate > best) {
      best = rate;
      best_p95 = p95;
      best_p99 = json_number_at(st, "p99_ms", NULL);
    }
    if (ok) lo = rate;
    else hi = rate;
    if (ok && step == 0) break; /* the closed-loop ceiling itself holds */
  }
  free(lat);
  json_add_number(o, "p95_target_ms", s->p95_ms);
  json_add_number(o, "rps", best);
  json_add_number(o, "p95_ms", best_p95);
  json_add_number(o, "p99_ms", best_p99);
  cJSON_AddNumberToObject(o, "workers", (double)workers);
  cJSON_AddNumberToObject(o, "requests_per_step", (double)req);
  return rc;
}

/* ---- pricing ---- */

/* A capacity measured on this host's cores scaled to vcpus: by an Amdahl fit of the
 * closed-loop throughput (seconds per request at C clients = a + b / C), labelled. */
typedef struct {
  double ratio;     /* capacity there / capacity here */
  char basis[256];
} scaling;

static scaling scale_to(const cJSON *measured, double vcpus) {
  scaling sc = {1, ""};
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(measured, "latency"), *e;
  double cores = json_number_at(cJSON_GetObjectItemCaseSensitive(measured, "provenance"), "host", "cores");
  const char *cpu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(measured, "provenance"), "host"), "cpu"));
  double c[SERVE_MAX_LEVELS], t[SERVE_MAX_LEVELS];
  size_t n = 0;
  char clients[96] = "";
  size_t len = 0;
  cJSON_ArrayForEach(e, lat) {
    double cl = json_number_at(e, "clients", NULL), rps = json_number_at(e, "throughput_rps", NULL);
    if (n < SERVE_MAX_LEVELS && cl > 0 && rps > 0) {
      c[n] = cl;
      t[n++] = 1.0 / rps;
      len += (size_t)snprintf(clients + len, len < sizeof clients ? sizeof clients - len : 0, "%s%g", n > 1 ? ", " : "", cl);
    }
  }
  if (n == 0 || !(cores > 0)) cores = n ? c[n - 1] : vcpus;
  if (vcpus == cores || n == 0) {
    snprintf(sc.basis, sizeof sc.basis, "measured on %s (%g cores)", cpu ? cpu : "this host", cores);
    return sc;
  }
  rightsize_fit f = rightsize_amdahl(c, t, n);
  if (!f.fitted) {
    snprintf(sc.basis, sizeof sc.basis, "measured on %s (%g cores), not projected to %g vCPUs (one client count measured)",
             cpu ? cpu : "this host", cores, vcpus);
    return sc;
  }
  sc.ratio = rightsize_time(&f, cores) / rightsize_time(&f, vcpus);
  snprintf(sc.basis, sizeof sc.basis,
           "projected (an Amdahl fit of closed-loop throughput measured on %s at %s clients, scaled to %g vCPUs)",
           cpu ? cpu : "this host", clients, vcpus);
  return sc;
}

static double warm_p99(const cJSON *measured) {
  return json_number_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(measured, "latency"), 0), "p99_ms", NULL);
}

static double best_rows_per_s(const cJSON *measured) {
  double best = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(measured, "throughput")) {
    double r = json_number_at(e, "rows_per_s", NULL);
    if (r > best) best = r;
  }
  return best;
}

/* A string or null. */
static void add_text(cJSON *o, const char *key, const char *text) {
  if (text) cJSON_AddStringToObject(o, key, text);
  else cJSON_AddNullToObject(o, key);
}

/* One deployment, priced from [serving.<priced>] of p: what its prices are and where
 * they come from ("priced_from", and the section's "source" and "as_of", null when the
 * catalog gives none), beside its figures. */
static cJSON *deployment(cJSON *arr, const pricing *p, const char *priced, const char *option, const char *instance,
                         const char *basis, double usd_day, double requests_day, double p99_ms, bool meets,
                         const char *why) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToArray(arr, o);
  cJSON_AddStringToObject(o, "option", option);
  char section[220], from[4400];
  snprintf(section, sizeof section, "serving.%s", priced);
  snprintf(from, sizeof from, "[%s] of %s", section, pricing_path(p));
  cJSON_AddStringToObject(o, "priced_from", from);
  add_text(o, "source", pricing_text(p, section, "source"));
  add_text(o, "as_of", pricing_text(p, section, "as_of"));
  if (instance) cJSON_AddStringToObject(o, "instance", instance);
  else cJSON_AddNullToObject(o, "instance");
  cJSON_AddStringToObject(o, "basis", basis);
  json_add_number(o, "usd_per_month", usd_day * SERVE_DAYS_PER_MONTH);
  json_add_number(o, "usd_per_1m_requests", requests_day > 0 ? usd_day / (requests_day / 1e6) : NAN);
  json_add_number(o, "p99_ms", p99_ms);
  cJSON_AddBoolToObject(o, "meets_p99", meets);
  cJSON_AddStringToObject(o, "why", why);
  return o;
}

/* The real-time endpoint on `type`, autoscaled over the day's rates. */
static tr_err price_realtime(const job *j, const pricing *p, const cJSON *measured, const double *rate,
                             double requests_day, const char *type, cJSON *arr) {
  const job_serve *s = &j->serve;
  char name[200], why[512];
  snprintf(name, sizeof name, "realtime.%s", type);
  double usd_h, vcpus;
  tr_err rc = instance_prices(p, "realtime", type, &usd_h, &vcpus);
  if (rc != TR_OK) return rc;
  scaling sc = scale_to(measured, vcpus);
  double cap = json_number_at(measured, "capacity", "rps") * sc.ratio;
  serve_autoscale a = {cap, s->target_utilization, s->min_instances, s->max_instances,
                       s->scale_out_cooldown_s, s->scale_in_cooldown_s};
  serve_autoscale_result r = serve_autoscale_run(&a, rate, SERVE_MINUTES, NULL);
  double p99 = json_number_at(measured, "capacity", "p99_ms");
  if (!isfinite(p99)) p99 = warm_p99(measured);
  bool meets = cap > 0 && r.overloaded_minutes == 0 && p99 <= s->p99_ms;
  if (!(cap > 0)) snprintf(why, sizeof why, "no rate met p95 <= %g ms on this host", s->p95_ms);
  else if (r.overloaded_minutes)
    snprintf(why, sizeof why, "%zu minutes a day above %ld instances x %.0f req/s (max_instances or the scale-out cooldown)",
             r.overloaded_minutes, r.peak_instances, cap);
  else
    snprintf(why, sizeof why, "%ld..%ld instances (target %.0f req/s each = %.0f%% of %.0f), %.1f instance-hours/day; p99 %.3g ms at max load",
             r.min_seen, r.peak_instances, cap * s->target_utilization, 100 * s->target_utilization, cap,
             r.instance_hours, p99);
  /* p99_ms is null where the option cannot serve the profile (recommend skips it) */
  cJSON *o = deployment(arr, p, name, "realtime", type, sc.basis, r.instance_hours * usd_h, requests_day,
                        cap > 0 && !r.overloaded_minutes ? p99 : NAN, meets, why);
  cJSON_AddStringToObject(o, "assumes", "a scale-out takes effect in the minute it is decided (no alarm or "
                                        "instance launch delay): spikes shorter than a launch are served better "
                                        "than a real endpoint would");
  json_add_number(o, "capacity_rps_per_instance", cap);
  cJSON_AddNumberToObject(o, "instances_min", (double)r.min_seen);
  cJSON_AddNumberToObject(o, "instances_max", (double)r.peak_instances);
  json_add_number(o, "instance_hours_per_day", r.instance_hours);
  return TR_OK;
}

/* The memory a serverless container holds: the weights and the activations of the batch
 * it serves. A serverless endpoint hands each container one request at a time (batch 1),
 * so not serve.max_batch's activations; from "memory"'s weights_bytes and
 * activations_bytes_batch1, else (an older serve.json) its footprint_mb. */
static double serverless_footprint_mb(const cJSON *measured) {
  const cJSON *mem = cJSON_GetObjectItemCaseSensitive(measured, "memory");
  double w = json_number_at(mem, "weights_bytes", NULL), a1 = json_number_at(mem, "activations_bytes_batch1", NULL);
  if (isfinite(w) && isfinite(a1)) return (w + a1) / (1024.0 * 1024.0);
  return json_number_at(mem, "footprint_mb", NULL);
}

cJSON *serve_price(const job *j, const pricing *p, const cJSON *measured) {
  const job_serve *s = &j->serve;
  serve_traffic t;
  if (serve_check(j, &t) != TR_OK || serve_check_prices(j, p) != TR_OK) return NULL;
  double rate[SERVE_MINUTES];
  serve_traffic_minutes(&t, rate);
  double requests_day = serve_mean_rps(rate, SERVE_MINUTES) * 86400.0;
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return tr_check_alloc(NULL, "serve-bench");
  char buf[1024], *types[SERVE_MAX_PROJECT];
  size_t n_types;
  project_list(s->project, buf, sizeof buf, types, &n_types); /* checked: it fits */
  tr_err rc = price_realtime(j, p, measured, rate, requests_day, s->instance, arr);
  for (size_t i = 0; rc == TR_OK && i < n_types; i++)
    if (strcmp(types[i], s->instance) != 0) rc = price_realtime(j, p, measured, rate, requests_day, types[i], arr);

  /* serverless */
  serve_serverless sv = {.footprint_mb = serverless_footprint_mb(measured),
                         .runtime_mb = s->serverless_runtime_mb,
                         .duration_ms = json_number_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(measured, "latency"), 0), "mean_ms", NULL),
                         .p99_ms = warm_p99(measured),
                         .cold_start_ms = json_number_at(measured, "load", "load_ms") + s->container_start_ms,
                         .idle_s = s->serverless_idle_s, .provisioned = s->provisioned_concurrency,
                         .max_concurrency = s->serverless_max_concurrency};
  if (rc == TR_OK) rc = pricing_serving_value(p, "serverless", "usd_per_gb_second", &sv.usd_per_gb_second);
  if (rc == TR_OK) rc = pricing_serving_value(p, "serverless", "usd_per_1m_requests", &sv.usd_per_1m_requests);
  if (rc == TR_OK) rc = pricing_serving_value(p, "serverless", "provisioned_usd_per_gb_second", &sv.provisioned_usd_per_gb_second);
  if (rc == TR_OK)
    rc = pricing_serving_value(p, "serverless", "provisioned_duration_usd_per_gb_second", &sv.provisioned_duration_usd_per_gb_second);
  if (rc == TR_OK) {
    serve_serverless_result r = serve_serverless_run(&sv, rate, SERVE_MINUTES);
    char why[512], basis[512];
    bool meets = r.memory_gb > 0 && !r.throttled && r.p99_ms <= s->p99_ms;
    if (!r.memory_gb) snprintf(why, sizeof why, "%.0f MB do not fit the 6 GB tier", sv.footprint_mb + sv.runtime_mb);
    else if (r.throttled)
      snprintf(why, sizeof why, "needs %ld concurrent containers, above the limit %ld", r.peak_concurrency, sv.max_concurrency);
    else
      snprintf(why, sizeof why, "%d GB tier, %.3g ms billed per request, %.0f cold starts/day (%.2g%% of requests, %.0f ms each: load + assumed container start)%s",
               r.memory_gb, ceil(sv.duration_ms), r.cold_starts_per_day, 100 * r.cold_fraction, sv.cold_start_ms,
               sv.provisioned ? ", provisioned concurrency" : "");
    snprintf(basis, sizeof basis,
             "duration: this host's batch-1 mean (one request per container; a container's CPU share is assumed "
             "equal to this host's); memory: the model's footprint at batch 1 (weights + one request's "
             "activations) + %g MB runtime (assumed); cold starts: a "
             "container idle for %g s is reclaimed (assumed)",
             sv.runtime_mb, sv.idle_s);
    cJSON *o = deployment(arr, p, "serverless", "serverless", NULL, basis, r.usd_per_day, requests_day,
                          r.memory_gb && !r.throttled ? r.p99_ms : NAN, meets, why);
    cJSON_AddNumberToObject(o, "memory_gb", r.memory_gb);
    json_add_number(o, "footprint_mb", sv.footprint_mb);
    json_add_number(o, "cold_starts_per_day", r.cold_starts_per_day);
    cJSON_AddNumberToObject(o, "provisioned_concurrency", (double)sv.provisioned);
    cJSON_AddNumberToObject(o, "peak_concurrency", (double)r.peak_concurrency);
  }

  /* asynchronous and batch transform on serve.instance (serve.project types are priced
     as real-time endpoints only) */
  char name[200];
  double usd_h = NAN, vcpus = NAN;
  snprintf(name, sizeof name, "async.%s", s->instance);
  if (rc == TR_OK) rc = instance_prices(p, "async", s->instance, &usd_h, &vcpus);
  if (rc == TR_OK) {
    scaling sc = scale_to(measured, vcpus);
    double cap = json_number_at(measured, "capacity", "rps") * sc.ratio;
    double h = cap > 0 ? serve_async_hours(cap, rate, SERVE_MINUTES) : NAN;
    char why[256];
    snprintf(why, sizeof why, "%.1f instance-hours/day, to zero when idle; requests queue (no latency bound)", h);
    deployment(arr, p, name, "async", s->instance, sc.basis, h * usd_h, requests_day, NAN, false, why);
  }
  snprintf(name, sizeof name, "batch.%s", s->instance);
  if (rc == TR_OK) rc = instance_prices(p, "batch", s->instance, &usd_h, &vcpus);
  if (rc == TR_OK) {
    scaling sc = scale_to(measured, vcpus);
    double rows = s->batch_rows > 0 ? s->batch_rows : requests_day, rps = best_rows_per_s(measured) * sc.ratio;
    double h = rps > 0 ? serve_batch_hours(rows, rps, s->batch_instances, s->batch_startup_s) : NAN;
    char why[256];
    snprintf(why, sizeof why, "%.3g rows nightly at %.0f rows/s per instance x %ld (+%g s start-up): %.2f instance-hours; answers up to a day late",
             rows, rps, s->batch_instances, s->batch_startup_s, h);
    cJSON *o = deployment(arr, p, name, "batch", s->instance, sc.basis, h * usd_h, rows, NAN, false, why);
    json_add_number(o, "rows_per_night", rows);
  }
  if (rc != TR_OK) {
    cJSON_Delete(arr);
    return NULL;
  }
  return arr;
}

/* The cheapest deployment that meets the p99 target, or null. */
static void add_cheapest(cJSON *o, const cJSON *deps) {
  const cJSON *e, *best = NULL;
  cJSON_ArrayForEach(e, deps) {
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "meets_p99"))) continue;
    if (!best || json_number_at(e, "usd_per_month", NULL) < json_number_at(best, "usd_per_month", NULL)) best = e;
  }
  cJSON_AddItemToObject(o, "cheapest", best ? cJSON_Duplicate(best, 1) : cJSON_CreateNull());
}

static cJSON *traffic_json(const job *j, const serve_traffic *t) {
  double rate[SERVE_MINUTES], peak = 0;
  serve_traffic_minutes(t, rate);
  for (size_t m = 0; m < SERVE_MINUTES; m++) peak = rate[m] > peak ? rate[m] : peak;
  cJSON *o = cJSON_CreateObject();
  static const char *const kinds[] = {"constant", "diurnal", "spiky"};
  cJSON_AddStringToObject(o, "kind", kinds[t->kind]);
  double mean = serve_mean_rps(rate, SERVE_MINUTES);
  json_add_number(o, "mean_rps", mean);
  json_add_number(o, "peak_rps", peak);
  json_add_number(o, "requests_per_month", mean * 86400.0 * SERVE_DAYS_PER_MONTH);
  json_add_number(o, "p99_target_ms", j->serve.p99_ms);
  cJSON_AddNumberToObject(o, "months", (double)j->serve.months);
  return o;
}

static cJSON *model_json(const char *path, const model_file *mf) {
  cJSON *o = cJSON_CreateObject(), *h = cJSON_CreateArray();
  cJSON_AddStringToObject(o, "path", path);
  cJSON_AddStringToObject(o, "model_type", mf->model_type);
  cJSON_AddStringToObject(o, "precision", infer_precision(mf));
  cJSON_AddNumberToObject(o, "features", (double)mf->model->spec.inputs);
  cJSON_AddNumberToObject(o, "outputs", (double)mf->model->spec.outputs);
  for (size_t i = 0; i < mf->model->spec.n_hidden; i++) cJSON_AddItemToArray(h, cJSON_CreateNumber((double)mf->model->spec.hidden[i]));
  cJSON_AddItemToObject(o, "hidden", h);
  cJSON_AddNumberToObject(o, "params", (double)mf->model->n_params);
  return o;
}

tr_err serve_bench_run(const job *j, const char *model_path, const char *out_dir, cJSON **result) {
  *result = NULL;
  const job_serve *s = &j->serve;
  serve_traffic t;
  pricing *p = NULL;
  tr_err rc = serve_check(j, &t);
  if (rc == TR_OK) rc = pricing_load(j->cost.pricing, &p);
  if (rc == TR_OK) rc = serve_check_prices(j, p); /* before anything is measured */
  if (rc != TR_OK) {
    pricing_free(&p);
    return rc;
  }
  time_t start = time(NULL);
  model_file mf;
  double load_ms, load_median_ms;
  if ((rc = time_loads(model_path, &mf, &load_ms, &load_median_ms)) != TR_OK) {
    pricing_free(&p);
    return rc;
  }
  host_info host;
  host_describe(&host);
  size_t cores = host.cores > 0 ? (size_t)host.cores : 1;
  size_t max_clients = s->clients > 0 ? (size_t)s->clients : cores;
  job_serve sv = *s;
  if (sv.threads == 0) sv.threads = (long)cores;
  s = &sv;
  size_t pool_rows = (size_t)s->max_batch > 1024 ? (size_t)s->max_batch : 1024;
  float *X = request_pool(&mf, pool_rows);
  cJSON *o = cJSON_CreateObject();
  if (!X || !o) rc = tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
  infer_pool pool = {X, pool_rows};
  if (rc == TR_OK) {
    cJSON_AddStringToObject(o, "format", "tradeoff-serve");
    cJSON_AddNumberToObject(o, "format_version", SERVE_FORMAT_VERSION);
    cJSON_AddStringToObject(o, "precision", infer_precision(&mf));
    cJSON_AddItemToObject(o, "model", model_json(model_path, &mf));
    cJSON *prov = provenance_json(j, start, 1, (int)cores);
    cJSON *ph = cJSON_GetObjectItemCaseSensitive(prov, "host");
    if (ph) cJSON_ReplaceItemInObject(ph, "priced_as", cJSON_CreateString(s->instance));
    cJSON_AddItemToObject(o, "provenance", prov);
    /* a model with /prep (CSV training data) takes raw columns in predict; the requests
       here are its encoded feature rows, so the encoding is not in the latencies */
    cJSON_AddStringToObject(o, "requests",
                            mf.prep ? "encoded feature rows: the model's raw-column encoding (/prep: imputation, "
                                      "one-hot) that predict applies is not timed"
                                    : "feature rows drawn around the training data's scaler, seeded");
    if (mf.prep)
      log_warn("serve-bench: %s encodes raw columns (/prep) before its net; the requests are encoded rows, "
               "so that encoding is not in the latencies", model_path);
    cJSON_AddStringToObject(o, "warmup",
                            "the first serve.warmup requests of every client and every rate step, and 3 batches of "
                            "every batch size, run before timing and not recorded");
    cJSON *load = cJSON_AddObjectToObject(o, "load");
    json_add_number(load, "load_ms", load_ms);
    json_add_number(load, "load_ms_median", load_median_ms);
    cJSON_AddNumberToObject(load, "loads", SERVE_LOADS);
    cJSON_AddStringToObject(load, "note", "model_load from disk; the file may be in the page cache (the first load is reported as the cold one)");
    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    size_t w = infer_weight_bytes(&mf), a1 = infer_activation_bytes(&mf, 1), ab = infer_activation_bytes(&mf, (size_t)s->max_batch);
    cJSON_AddNumberToObject(mem, "weights_bytes", (double)w);
    cJSON_AddNumberToObject(mem, "activations_bytes_batch1", (double)a1);
    cJSON_AddNumberToObject(mem, "activations_bytes_max_batch", (double)ab);
    cJSON_AddNumberToObject(mem, "max_batch", (double)s->max_batch);
    cJSON_AddNumberToObject(o, "throughput_threads", (double)s->threads);
    json_add_number(mem, "footprint_mb", (double)(w + (ab > a1 * max_clients ? ab : a1 * max_clients)) / (1024.0 * 1024.0));
    json_add_number(mem, "footprint_mb_batch1", (double)(w + a1) / (1024.0 * 1024.0)); /* a serverless container's */
    rc = measure_latency(&mf, &pool, s, max_clients, cJSON_AddArrayToObject(o, "latency"));
  }
  if (rc == TR_OK) rc = measure_throughput(&mf, &pool, s, cJSON_AddArrayToObject(o, "throughput"));
  if (rc == TR_OK) {
    double ceiling = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "latency")) {
      double r = json_number_at(e, "throughput_rps", NULL);
      if (r > ceiling) ceiling = r;
    }
    rc = measure_max_rps(&mf, &pool, s, cores, ceiling, cJSON_AddObjectToObject(o, "capacity"));
  }
  if (rc == TR_OK) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
      json_add_number(cJSON_GetObjectItemCaseSensitive(o, "memory"), "peak_rss_mb", (double)ru.ru_maxrss / 1024.0);
    cJSON_AddItemToObject(o, "traffic", traffic_json(j, &t));
    cJSON *deps = serve_price(j, p, o);
    if (!deps) rc = tr_error_code();
    else {
      cJSON_AddItemToObject(o, "deployments", deps);
      add_cheapest(o, deps);
    }
  }
  if (rc == TR_OK) { /* flat copies for jq and pandas */
    const cJSON *l1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "latency"), 0);
    json_add_number(o, "p50_ms", json_number_at(l1, "p50_ms", NULL));
    json_add_number(o, "p95_ms", json_number_at(l1, "p95_ms", NULL));
    json_add_number(o, "p99_ms", json_number_at(l1, "p99_ms", NULL));
    json_add_number(o, "max_rps", json_number_at(o, "capacity", "rps"));
    json_add_number(o, "load_ms", load_ms);
    json_add_number(o, "footprint_mb", json_number_at(o, "memory", "footprint_mb"));
    char *path = NULL;
    if ((rc = tr_mkdir_p(out_dir)) == TR_OK && !(path = path_join(out_dir, SERVE_JSON))) rc = tr_error_code();
    if (rc == TR_OK) rc = json_write_file(path, o);
    free(path);
  }
  free(X);
  model_file_free(&mf);
  pricing_free(&p);
  if (rc != TR_OK) cJSON_Delete(o);
  else *result = o;
  return rc;
}

cJSON *serve_summary(const cJSON *sj) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return tr_check_alloc(NULL, "serve-bench");
  static const char *const flat[] = {"p50_ms", "p95_ms", "p99_ms", "max_rps", "load_ms", "footprint_mb"};
  for (size_t i = 0; i < sizeof flat / sizeof *flat; i++) json_add_number(o, flat[i], json_number_at(sj, flat[i], NULL));
  const char *prec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sj, "precision"));
  cJSON_AddStringToObject(o, "precision", prec ? prec : "fp32");
  const cJSON *tr = cJSON_GetObjectItemCaseSensitive(sj, "traffic");
  cJSON_AddItemToObject(o, "traffic", tr ? cJSON_Duplicate(tr, 1) : cJSON_CreateNull());
  cJSON *deps = cJSON_AddArrayToObject(o, "deployments");
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sj, "deployments")) {
    cJSON *d = cJSON_CreateObject();
    static const char *const keep[] = {"option", "instance", "basis", "usd_per_month", "usd_per_1m_requests",
                                       "p99_ms", "meets_p99", "priced_from", "source", "as_of"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, keep[i]);
      if (v) cJSON_AddItemToObject(d, keep[i], cJSON_Duplicate(v, 1));
    }
    cJSON_AddItemToArray(deps, d);
  }
  const cJSON *best = cJSON_GetObjectItemCaseSensitive(sj, "cheapest");
  cJSON_AddItemToObject(o, "cheapest", best ? cJSON_Duplicate(best, 1) : cJSON_CreateNull());
  return o;
}

bool serve_basis_projected(const char *basis) { return basis && !strncmp(basis, "projected", 9); }

bool serve_tco_pick(const cJSON *serve, double p99_ms, double train_usd, serve_tco *out) {
  memset(out, 0, sizeof *out);
  out->usd_per_month = INFINITY;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(serve, "deployments")) {
    double p99 = json_number_at(e, "p99_ms", NULL), usd = json_number_at(e, "usd_per_month", NULL);
    if (!isfinite(p99) || !(p99 <= p99_ms) || !isfinite(usd) || usd >= out->usd_per_month) continue;
    out->usd_per_month = usd;
    out->p99_ms = p99;
    out->option = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "option"));
    out->instance = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "instance"));
    out->basis = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "basis"));
  }
  out->traffic = cJSON_GetObjectItemCaseSensitive(serve, "traffic");
  out->months = json_number_at(cJSON_GetObjectItemCaseSensitive(serve, "traffic"), "months", NULL);
  if (!isfinite(out->months)) out->months = 12;
  if (!out->option) return false;
  out->tco_usd = train_usd + out->months * out->usd_per_month;
  return true;
}
