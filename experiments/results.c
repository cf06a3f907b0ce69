/* Reading results.jsonl into flat records (train and io-bench lines alike), metric
 * lookup and the Pareto filter. */
#define _GNU_SOURCE
#include "experiments/results.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/path.h"

static const char *str_at(const cJSON *o, const char *a, const char *b, const char *def) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  return cJSON_IsString(x) ? x->valuestring : def;
}

/* A count at o.a(.b) into *out: def when absent, false when it is not a whole number in
 * [0, INT_MAX] (casting 1e300 or NaN to int is undefined). */
static bool count_at(const cJSON *o, const char *a, const char *b, int def, int *out) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  *out = def;
  if (!cJSON_IsNumber(x)) return true;
  double v = x->valuedouble;
  if (!(v >= 0 && v <= INT_MAX) || v != floor(v)) return false;
  *out = (int)v;
  return true;
}

/* The flat fields of one line; NULL, or why it is not a run record. */
static const char *record_of(cJSON *o, run_record *r) {
  memset(r, 0, sizeof *r);
  r->obj = o;
  const cJSON *point = cJSON_GetObjectItemCaseSensitive(o, "point");
  if (!cJSON_IsObject(point) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "cost")))
    return "not a run record (needs \"point\" and \"cost\" objects)";
  r->id = str_at(o, "point", "id", "");
  r->variant = str_at(o, "point", "variant", "");
  r->kind = str_at(o, "point", "kind", "train");
  r->label = str_at(o, "point", "label", "measured");
  r->dir = str_at(o, "point", "dir", "");
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(point, "set");
  r->set = cJSON_IsObject(set) ? set : NULL;
  r->instance = str_at(o, "cost", "instance", "");
  const cJSON *host = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "provenance"), "host");
  r->host = cJSON_IsObject(host) ? host : NULL;
  r->spot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "cost"), "spot"));
  r->cost_usd = json_number_at(o, "cost", "total_usd");
  if (!strcmp(r->kind, "io-bench")) {
    r->backend = str_at(o, "backend", NULL, "");
    r->stop_reason = "";
    if (!count_at(o, "workload", "ranks", 1, &r->ranks)) return "not a run record (workload.ranks is not a whole number)";
    r->time_s = json_number_at(o, "total_s", NULL);
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(o, "epoch_s");
    int n = cJSON_IsArray(ep) ? cJSON_GetArraySize(ep) : 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      const cJSON *e = cJSON_GetArrayItem(ep, i);
      if (!cJSON_IsNumber(e)) return "not a run record (epoch_s holds something other than numbers)";
      sum += e->valuedouble;
    }
    r->train_s = sum;
    r->epochs_run = n;
    r->epoch_s = n ? sum / n : NAN;
    r->au_percent = json_number_at(o, "train_au_mean_percentage", NULL);
  } else {
    r->backend = str_at(o, "storage", "backend", "");
    r->stop_reason = str_at(o, "stop_reason", NULL, "");
    if (!count_at(o, "parallel", "ranks", 1, &r->ranks)) return "not a run record (parallel.ranks is not a whole number)";
    r->time_s = json_number_at(o, "time", "total_s");
    r->train_s = json_number_at(o, "time", "train_s");
    if (!count_at(o, "epochs_run", NULL, 0, &r->epochs_run) || !count_at(o, "best_epoch", NULL, 0, &r->best_epoch))
      return "not a run record (epochs_run or best_epoch is not a whole number)";
    r->epoch_s = r->epochs_run > 0 ? r->train_s / r->epochs_run : NAN;
    r->au_percent = json_number_at(o, "au_percent", NULL);
  }
  if (r->ranks < 1) r->ranks = 1;
  /* a spot run is ranked by what it is expected to take and cost with interruptions */
  const cJSON *spot = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "cost"), "spot_estimate");
  double exp_usd = json_number_at(spot, "expected_usd", NULL), exp_s = json_number_at(spot, "expected_time_s", NULL);
  if (isfinite(exp_usd) && isfinite(exp_s)) {
    r->cost_usd = exp_usd;
    r->time_s = exp_s;
    r->spot_estimated = true;
  }
  r->spot_interruptions_per_h = json_number_at(spot, "interruptions_per_h", NULL);
  return isfinite(r->cost_usd) ? NULL : "not a run record (cost.total_usd is not a finite number)";
}

tr_err results_load(const char *dir, run_records *out) {
  memset(out, 0, sizeof *out);
  char *path = NULL;
  if (!(path = path_join(dir, "results.jsonl"))) return tr_error_code();
  FILE *f = fopen(path, "r");
  if (!f) {
    tr_err rc = tr_error_set(TR_EINPUT, path, "cannot open (is %s a sweep's output directory?)", dir);
    free(path);
    return rc;
  }
  char *line = NULL;
  size_t cap = 0, cap_r = 0;
  long lineno = 0;
  tr_err rc = TR_OK;
  while (getline(&line, &cap, f) > 0) {
    lineno++;
    if (strspn(line, " \t\r\n") == strlen(line)) continue;
    cJSON *o = cJSON_Parse(line);
    run_record rec;
    const char *bad = !o                  ? "not valid JSON"
                      : !cJSON_IsObject(o) ? "not a run record (needs \"point\" and \"cost\" objects)"
                                           : record_of(o, &rec);
    if (bad) {
      cJSON_Delete(o);
      rc = tr_error_at(TR_EINPUT, path, lineno, "%s", bad);
      break;
    }
    if (out->n == cap_r) {
      cap_r = cap_r ? 2 * cap_r : 16;
      run_record *grown = realloc(out->r, cap_r * sizeof *grown);
      if (!grown) {
        cJSON_Delete(o);
        rc = tr_error_set(TR_ENOMEM, path, "out of memory");
        break;
      }
      out->r = grown;
    }
    out->r[out->n++] = rec;
  }
  free(line);
  fclose(f);
  free(path);
  if (rc != TR_OK) results_free(out);
  return rc;
}

void results_free(run_records *rs) {
  for (size_t i = 0; i < rs->n; i++) cJSON_Delete(rs->r[i].obj);
  free(rs->r);
  rs->r = NULL;
  rs->n = 0;
}

double results_metric(const run_record *r, const char *name) {
  if (!strcmp(name, "au_percent")) return r->au_percent;
  if (!strcmp(name, "samples_per_s")) {
    double v = json_number_at(r->obj, "throughput", "samples_per_s");
    return isnan(v) ? json_number_at(r->obj, "train_throughput_samples_per_second", NULL) : v;
  }
  return json_number_at(r->obj, "test", name);
}

/* As experiments/run_result.c writes "test" (and results_metric reads the last two). */
const char *const results_metric_names[] = {"accuracy", "precision", "recall", "f1",  "auc",
                                            "log_loss", "mse",       "rmse",   "mae", "r2",
                                            "au_percent", "samples_per_s", NULL};

bool results_metric_known(const char *name) {
  for (size_t i = 0; results_metric_names[i]; i++)
    if (!strcmp(name, results_metric_names[i])) return true;
  return false;
}

bool results_lower_is_better(const char *name) {
  static const char *const lower[] = {"loss", "log_loss", "mse", "rmse", "mae"};
  for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
    if (!strcmp(name, lower[i])) return true;
  return false;
}

void results_pareto(const run_record *r, size_t n, const char *metric, bool *dominated) {
  double sign = results_lower_is_better(metric) ? -1.0 : 1.0;
  for (size_t i = 0; i < n; i++) {
    double mi = sign * results_metric(&r[i], metric);
    dominated[i] = isnan(mi) || isnan(r[i].cost_usd) || isnan(r[i].time_s);
    for (size_t j = 0; j < n && !dominated[i]; j++) {
      double mj = sign * results_metric(&r[j], metric);
      if (j == i || isnan(mj)) continue;
      bool no_worse = mj >= mi && r[j].cost_usd <= r[i].cost_usd && r[j].time_s <= r[i].time_s;
      bool better = mj > mi || r[j].cost_usd < r[i].cost_usd || r[j].time_s < r[i].time_s;
      dominated[i] = no_worse && better;
    }
  }
}
