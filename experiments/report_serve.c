/* The serving figures of a report (issue 14), from the "serve" object sweep writes into
 * the records of train+serve points: latency vs serving cost (one point per run and
 * deployment option that can serve the profile: p99 latency against USD per month, both
 * log scales) and cost per 1M requests by option (clustered bars: one cluster per run,
 * one bar per option). Every label reaches gnuplot through the report's quoting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "experiments/report_internal.h"

#define SERVE_MAX_OPTIONS 16

/* "realtime ml.c5.xlarge", "serverless": the option's name in the figures (malloc'd). */
static char *option_name(const cJSON *d) {
  const char *o = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "option"));
  const char *i = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "instance"));
  return report_printf("%s%s%s", o ? o : "?", i ? " " : "", i ? i : "");
}

static const cJSON *serve_of(const report *rep, size_t i) {
  return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep->rs.r[i].obj, "serve"), "deployments");
}

typedef struct {
  char *name[SERVE_MAX_OPTIONS];
  size_t n;
} options;

static void options_free(options *o) {
  for (size_t k = 0; k < o->n; k++) free(o->name[k]);
  o->n = 0;
}

/* The options the served runs report, in first-seen order; the count of served runs. */
static tr_err collect(const report *rep, options *o, size_t *served) {
  *served = 0;
  o->n = 0;
  for (size_t i = 0; i < rep->rs.n; i++) {
    const cJSON *deps = serve_of(rep, i), *d;
    if (!deps) continue;
    (*served)++;
    cJSON_ArrayForEach(d, deps) {
      char *name = option_name(d);
      if (!name) return tr_error_set(TR_ENOMEM, "report", "out of memory");
      size_t k = 0;
      while (k < o->n && strcmp(o->name[k], name) != 0) k++;
      if (k == o->n && o->n < SERVE_MAX_OPTIONS) o->name[o->n++] = name;
      else free(name);
    }
  }
  return TR_OK;
}

/* Deployment `option` of record i, or NULL. */
static const cJSON *find(const report *rep, size_t i, const char *option) {
  const cJSON *d;
  cJSON_ArrayForEach(d, serve_of(rep, i)) {
    char *name = option_name(d);
    bool same = name && !strcmp(name, option);
    free(name);
    if (same) return d;
  }
  return NULL;
}

/* Latency vs cost: $lc_K (x usd_per_month, y p99_ms, "run label") per option K. */
static tr_err latency_cost(report *rep, const options *o) {
  report_buf d, b;
  tr_err rc = report_bufs_open(&d, &b);
  if (rc != TR_OK) return rc;
  size_t points = 0;
  fputs("set logscale xy\nset grid\nset key outside right top\nset xlabel 'serving cost (USD per month)'\n"
        "set ylabel 'p99 latency (ms)'\nset title ",
        b.f);
  report_gp_quote(b.f, "Serving: p99 latency vs cost per month at the [serve] traffic profile");
  fputs("\nplot ", b.f);
  size_t drawn = 0;
  for (size_t k = 0; k < o->n; k++) {
    size_t rows = 0;
    fprintf(d.f, "$lc_%zu << EOD\n", k);
    for (size_t i = 0; i < rep->rs.n; i++) {
      const cJSON *e = find(rep, i, o->name[k]);
      double usd = json_number_at(e, "usd_per_month", NULL), p99 = json_number_at(e, "p99_ms", NULL);
      if (!e || !(usd > 0) || !(p99 > 0)) continue; /* cannot serve the profile: not drawn */
      report_gp_num(d.f, usd);
      fputc(' ', d.f);
      report_gp_num(d.f, p99);
      fputc(' ', d.f);
      report_gp_datastr(d.f, rep->labels[i]);
      fputc('\n', d.f);
      rows++;
    }
    fputs("EOD\n", d.f);
    if (!rows) continue;
    points += rows;
    unsigned c = report_color(k);
    fprintf(b.f, "%s$lc_%zu using 1:2 with points pt 7 ps 1.5 lc rgb '#%06x' title ", drawn++ ? ", \\\n  " : "", k, c);
    report_gp_quote(b.f, o->name[k]);
    fprintf(b.f, ", $lc_%zu using 1:2:3 with labels offset char 1,0.6 left font ',9' notitle", k);
  }
  fputc('\n', b.f);
  char *caption = report_printf(
      "Each point is one run on one deployment option that can serve the traffic profile: its p99 latency "
      "(measured by serve-bench; serverless: the cold-start latency when over 1%% of requests start cold) "
      "against its serving cost per month. Options that cannot serve it (overloaded, throttled, queued or "
      "offline) are not drawn.");
  char *data = report_buf_close(&d), *body = report_buf_close(&b);
  if (drawn == 0) {
    free(data);
    free(body);
    free(caption);
    return report_omit(rep, REPORT_SERVE_LATENCY, "no served run has a deployment that meets its traffic");
  }
  return report_set_figure(rep, REPORT_SERVE_LATENCY, data, body, caption);
}

/* Cost per 1M requests: $per1m, one row per served run, one column per option. */
static tr_err per_million(report *rep, const options *o) {
  report_buf d, b;
  tr_err rc = report_bufs_open(&d, &b);
  if (rc != TR_OK) return rc;
  fputs("$per1m << EOD\n\"run\"", d.f);
  for (size_t k = 0; k < o->n; k++) {
    fputc(' ', d.f);
    report_gp_datastr(d.f, o->name[k]);
  }
  fputc('\n', d.f);
  double ymax = 0;
  for (size_t i = 0; i < rep->rs.n; i++) {
    if (!serve_of(rep, i)) continue;
    report_gp_datastr(d.f, rep->labels[i]);
    for (size_t k = 0; k < o->n; k++) {
      const cJSON *dep = find(rep, i, o->name[k]);
      double v = json_number_at(dep, "usd_per_1m_requests", NULL);
      /* an endpoint or serverless option that cannot serve the profile (overloaded,
         throttled: p99_ms null) has no bar: its price would be too low for the traffic */
      bool cannot = dep && strncmp(o->name[k], "batch", 5) != 0 && !isfinite(json_number_at(dep, "p99_ms", NULL));
      if (v > 0 && !cannot) {
        fputc(' ', d.f);
        report_gp_num(d.f, v);
        ymax = v > ymax ? v : ymax;
      } else {
        fputs(" ?", d.f);
      }
    }
    fputc('\n', d.f);
  }
  fputs("EOD\n", d.f);
  fputs("set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
        "set datafile missing '?'\nset logscale y\nset grid ytics\nset key outside right top\n"
        "set ylabel 'USD per 1M requests (log scale)'\nset title ",
        b.f);
  report_gp_quote(b.f, "Serving: cost per 1M requests by deployment option");
  fprintf(b.f, "\nset yrange [*:%.10g]\nplot for [c=2:%zu] $per1m using c:xtic(1) title columnheader\n",
          ymax > 0 ? ymax * 3 : 1.0, o->n + 1);
  char *caption = report_printf(
      "For each served run, the cost of 1M requests on each deployment option at the [serve] traffic "
      "profile (a real-time endpoint's instance-hours, serverless GB-seconds and requests, an asynchronous "
      "endpoint's busy instance-hours, a nightly batch transform), from the catalog's [serving.*] prices; "
      "a projection onto another instance type is named by it. Missing bars: not priced for that run, or the option cannot serve the profile "
      "(an endpoint at max_instances still overloaded, serverless throttled).");
  return report_set_figure(rep, REPORT_SERVE_OPTIONS, report_buf_close(&d), report_buf_close(&b), caption);
}

tr_err report_plan_serve(report *rep) {
  options o;
  size_t served;
  tr_err rc = collect(rep, &o, &served);
  if (rc == TR_OK && (served == 0 || o.n == 0)) {
    const char *why = "no run was serve-benched (sweep with kind = train+serve or a [serve] section)";
    rc = report_omit(rep, REPORT_SERVE_LATENCY, "%s", why);
    if (rc == TR_OK) rc = report_omit(rep, REPORT_SERVE_OPTIONS, "%s", why);
  } else if (rc == TR_OK) {
    rc = latency_cost(rep, &o);
    if (rc == TR_OK) rc = per_million(rep, &o);
  }
  options_free(&o);
  return rc;
}
