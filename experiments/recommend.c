/* Ranking a sweep's runs for a target (see recommend.h). The reasons are built in
 * growing memory streams: a record's id or variant of any length fits. */
#define _GNU_SOURCE
#include "experiments/recommend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/json.h"
#include "common/path.h"
#include "experiments/provenance.h"

const char *recommend_check_query(const recommend_query *q) {
  if (!q->metric || !*q->metric) return "a metric is required";
  if (!isfinite(q->bound)) return "the target must be a finite number";
  if (!(q->deadline_h > 0)) return "the deadline must be positive";
  if (q->top < 1) return "top must be at least 1";
  if (results_lower_is_better(q->metric) == q->at_least)
    return q->at_least ? "lower is better: give the target with --max (a maximum)"
                       : "higher is better: give the target with --min (a minimum)";
  return NULL;
}

/* ---- total cost of ownership (issue 14: recommend --p99-ms) ---- */

static int by_tco(const void *x, const void *y) {
  const recommend_pick *a = x, *b = y;
  if (a->serve.tco_usd != b->serve.tco_usd) return a->serve.tco_usd < b->serve.tco_usd ? -1 : 1;
  return strcmp(a->r->id, b->r->id);
}

/* Why c's total cost of ownership wins over next's (NULL: c is the last shown). */
static char *why_tco(const recommend_query *q, const recommend_pick *c, const recommend_pick *next, size_t rank) {
  char *text = NULL, a[FMT_USD_LEN], b[FMT_USD_LEN], t[FMT_USD_LEN];
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return NULL;
  const serve_tco *s = &c->serve;
  fprintf(f, "%sTCO %s = training %s + %g months x %s/month on %s%s%s (p99 %.3g ms <= %g ms)",
          rank == 1 ? "the lowest total cost of ownership under the latency target; " : "",
          fmt_usd(s->tco_usd, t, sizeof t), fmt_usd(c->r->cost_usd, a, sizeof a), s->months,
          fmt_usd(s->usd_per_month, b, sizeof b), s->option, s->instance ? " " : "", s->instance ? s->instance : "",
          s->p99_ms, q->p99_ms);
  if (next) {
    double dc = next->serve.tco_usd - s->tco_usd;
    fprintf(f, "; %s cheaper than #%zu (%s)", fmt_usd(dc, a, sizeof a), rank + 1, next->r->id);
    double dtrain = c->r->cost_usd - next->r->cost_usd;
    if (dtrain > 0) fprintf(f, " although its training costs %s more", fmt_usd(dtrain, a, sizeof a));
  }
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* Where pick c's serving figures come from (recommend.h's serve_json and serve_basis);
 * false on ENOMEM. */
static bool serving_basis(const char *dir, recommend_pick *c) {
  const serve_tco *s = &c->serve;
  if (c->r->dir && *c->r->dir && !(c->serve_json = path_join3(dir, c->r->dir, SERVE_JSON))) return false;
  const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->traffic, "kind"));
  size_t len = 0;
  FILE *f = open_memstream(&c->serve_basis, &len);
  if (!f) return false;
  fprintf(f, "serving basis: %s; %s%s%s %s (%s); traffic %s, mean %.4g req/s, peak %.4g req/s",
          c->serve_json ? c->serve_json : "serve.json (the record names no directory)", s->option,
          s->instance ? " on " : "", s->instance ? s->instance : "", serve_basis_projected(s->basis) ? "projected" : "measured",
          s->basis ? s->basis : "no basis recorded", kind ? kind : "unrecorded",
          json_number_at(s->traffic, "mean_rps", NULL), json_number_at(s->traffic, "peak_rps", NULL));
  return fclose(f) == 0;
}

/* The error when runs meet the metric but none serves within the latency target. */
static tr_err explain_no_serving(const recommend_query *q, const run_records *rs, size_t meeting) {
  size_t served = 0;
  double fastest = INFINITY;
  for (size_t i = 0; i < rs->n; i++) {
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(rs->r[i].obj, "serve");
    if (!sv) continue;
    served++;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sv, "deployments")) {
      double p = json_number_at(e, "p99_ms", NULL);
      if (isfinite(p) && p < fastest) fastest = p;
    }
  }
  if (!served)
    return tr_error_set(TR_EINPUT, "recommend", "--p99-ms: no run has serving figures (sweep with kind = train+serve or a [serve] section)");
  return tr_error_set(TR_EIO, "recommend", "%zu runs meet %s %s %g but no deployment of theirs has p99 <= %g ms (the fastest: %.4g ms)",
                      meeting, q->metric, q->at_least ? ">=" : "<=", q->bound, q->p99_ms, fastest);
}

static bool meets(const recommend_query *q, double v) {
  return isfinite(v) && (q->at_least ? v >= q->bound : v <= q->bound);
}

static int by_cost(const void *x, const void *y) {
  const recommend_pick *a = x, *b = y;
  if (a->r->cost_usd != b->r->cost_usd) return a->r->cost_usd < b->r->cost_usd ? -1 : 1;
  if (a->r->time_s != b->r->time_s) return a->r->time_s < b->r->time_s ? -1 : 1;
  return strcmp(a->r->id, b->r->id);
}

/* Two metric values are the same when they agree to the 4 significant digits the table
 * shows (%.4g): they differ by at most half a unit of the 4th digit of the larger. */
#define METRIC_SAME_RELATIVE 5e-5

static bool same_metric(double a, double b) { return fabs(a - b) <= METRIC_SAME_RELATIVE * fmax(fabs(a), fabs(b)); }

/* Why pick c (rank `rank`, 1-based) before next (NULL: c is the last shown). */
static char *why(const recommend_query *q, const recommend_pick *c, const recommend_pick *next, size_t rank) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return NULL;
  if (rank == 1) fputs("the cheapest run that meets the target; ", f);
  if (!next) {
    fprintf(f, "the last of the top %zu", q->top);
  } else {
    double dc = next->r->cost_usd - c->r->cost_usd;
    double pct = next->r->cost_usd > 0 ? 100.0 * dc / next->r->cost_usd : 0;
    char usd[FMT_USD_LEN];
    fprintf(f, "%s (%.0f%%) cheaper than #%zu (%s)", fmt_usd(dc, usd, sizeof usd), pct, rank + 1, next->r->id);
    double dm = c->metric - next->metric;
    bool better = results_lower_is_better(q->metric) ? dm < 0 : dm > 0;
    /* The table shows the metric to 4 significant digits: a smaller difference (a
     * reduction order's rounding between rank counts) is not called better or worse;
     * relative, so that an mse of 1e-5 is not the same as 2e-5. */
    if (!same_metric(c->metric, next->metric))
      fprintf(f, ", %s %s by %.4g", q->metric, better ? "better" : "worse", fabs(dm));
    else
      fprintf(f, ", same %s to 4 significant digits", q->metric);
    if (c->r->time_s > 0 && next->r->time_s > 0) {
      double ratio = next->r->time_s / c->r->time_s;
      fprintf(f, ", %.2fx %s", ratio >= 1 ? ratio : 1 / ratio, ratio >= 1 ? "faster" : "slower");
    }
  }
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* The error when no run qualifies: the best achieved, or the deadline. */
static tr_err explain_none(const char *dir, const recommend_query *q, const run_records *rs) {
  const run_record *best = NULL;
  double best_v = NAN;
  size_t meeting = 0;
  for (size_t i = 0; i < rs->n; i++) {
    double v = results_metric(&rs->r[i], q->metric);
    if (!isfinite(v)) continue;
    if (meets(q, v)) meeting++;
    if (!best || (q->at_least ? v > best_v : v < best_v)) best = &rs->r[i], best_v = v;
  }
  const char *op = q->at_least ? ">=" : "<=";
  if (!best) return tr_error_set(TR_EINPUT, "recommend", "no run in %s reports %s", dir, q->metric);
  if (meeting)
    return tr_error_set(TR_EIO, "recommend", "%zu runs meet %s %s %g but none finishes within %g h", meeting,
                        q->metric, op, q->bound, q->deadline_h);
  char usd[FMT_USD_LEN];
  return tr_error_set(TR_EIO, "recommend", "no run meets %s %s %g: the best is %.4g (%s, %s, %.1f s)", q->metric,
                      op, q->bound, best_v, best->id, fmt_usd(best->cost_usd, usd, sizeof usd), best->time_s);
}

tr_err recommend_runs(const char *dir, const recommend_query *q, recommendation *out) {
  memset(out, 0, sizeof *out);
  const char *bad = recommend_check_query(q);
  if (bad) return tr_error_set(TR_EUSAGE, "recommend", "%s", bad);
  tr_err rc = results_load(dir, &out->rs);
  if (rc != TR_OK) return rc;
  size_t n = out->rs.n;
  recommend_pick *c = calloc(n ? n : 1, sizeof *c);
  bool *dominated = calloc(n ? n : 1, sizeof *dominated);
  if (!c || !dominated) {
    free(c);
    free(dominated);
    return tr_error_set(TR_ENOMEM, "recommend", "out of memory");
  }
  results_pareto(out->rs.r, n, q->metric, dominated);
  size_t k = 0, meeting = 0;
  bool tco = q->p99_ms > 0;
  for (size_t i = 0; i < n; i++) {
    double v = results_metric(&out->rs.r[i], q->metric);
    if (!meets(q, v) || out->rs.r[i].time_s > q->deadline_h * 3600.0) continue;
    meeting++;
    recommend_pick pk = {.r = &out->rs.r[i], .metric = v, .pareto = !dominated[i]};
    if (!tco || serve_tco_pick(cJSON_GetObjectItemCaseSensitive(pk.r->obj, "serve"), q->p99_ms, pk.r->cost_usd, &pk.serve))
      c[k++] = pk;
  }
  free(dominated);
  out->picks = c;
  out->n_qualifying = k;
  if (meeting == 0) return explain_none(dir, q, &out->rs);
  if (k == 0) return explain_no_serving(q, &out->rs, meeting);
  qsort(c, k, sizeof *c, tco ? by_tco : by_cost);
  out->n_picks = k < q->top ? k : q->top;
  for (size_t i = 0; i < out->n_picks; i++) {
    const recommend_pick *next = i + 1 < k ? &c[i + 1] : NULL;
    if (!(c[i].why = tco ? why_tco(q, &c[i], next, i + 1) : why(q, &c[i], next, i + 1)) ||
        (tco && !serving_basis(dir, &c[i])))
      return tr_error_set(TR_ENOMEM, "recommend", "out of memory");
    provenance_record_basis(c[i].r, NULL, c[i].basis, sizeof c[i].basis);
  }
  return TR_OK;
}

void recommend_free(recommendation *rec) {
  for (size_t i = 0; rec->picks && i < rec->n_qualifying; i++) {
    free(rec->picks[i].why);
    free(rec->picks[i].serve_json);
    free(rec->picks[i].serve_basis);
  }
  free(rec->picks);
  results_free(&rec->rs);
  memset(rec, 0, sizeof *rec);
}

cJSON *recommend_json(const recommendation *rec, const recommend_query *q) {
  cJSON *list = cJSON_CreateArray();
  for (size_t i = 0; list && i < rec->n_picks; i++) {
    const recommend_pick *c = &rec->picks[i];
    const run_record *r = c->r;
    cJSON *o = cJSON_CreateObject();
    if (!o) {
      cJSON_Delete(list);
      return NULL;
    }
    cJSON_AddNumberToObject(o, "rank", (double)(i + 1));
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "variant", r->variant);
    cJSON_AddStringToObject(o, "backend", r->backend);
    cJSON_AddNumberToObject(o, "ranks", r->ranks);
    cJSON_AddStringToObject(o, "instance", r->instance);
    cJSON_AddBoolToObject(o, "spot", r->spot);
    cJSON_AddStringToObject(o, "label", r->label);
    cJSON_AddStringToObject(o, "basis", c->basis);
    json_add_number(o, q->metric, c->metric);
    json_add_number(o, "time_s", r->time_s);
    json_add_number(o, "cost_usd", r->cost_usd);
    cJSON_AddBoolToObject(o, "pareto", c->pareto);
    cJSON_AddStringToObject(o, "why", c->why);
    if (q->p99_ms > 0) {
      json_add_number(o, "tco_usd", c->serve.tco_usd);
      json_add_number(o, "months", c->serve.months);
      cJSON_AddStringToObject(o, "serve_option", c->serve.option);
      if (c->serve.instance) cJSON_AddStringToObject(o, "serve_instance", c->serve.instance);
      else cJSON_AddNullToObject(o, "serve_instance");
      json_add_number(o, "serve_usd_per_month", c->serve.usd_per_month);
      json_add_number(o, "serve_p99_ms", c->serve.p99_ms);
      if (c->serve_json) cJSON_AddStringToObject(o, "serve_json", c->serve_json);
      else cJSON_AddNullToObject(o, "serve_json");
      cJSON_AddStringToObject(o, "serve_label", serve_basis_projected(c->serve.basis) ? "projected" : "measured");
      if (c->serve.basis) cJSON_AddStringToObject(o, "serve_deployment_basis", c->serve.basis);
      else cJSON_AddNullToObject(o, "serve_deployment_basis");
      cJSON_AddItemToObject(o, "serve_traffic", c->serve.traffic ? cJSON_Duplicate(c->serve.traffic, 1) : cJSON_CreateNull());
    }
    cJSON_AddItemToArray(list, o);
  }
  return list;
}
