/* The report of a sweep, loading. report_load() reads results.jsonl (experiments/results.h)
 * and the history.csv of every measured train run, picks the metric, runs the Pareto filter
 * and hands the figures to report_plan.c; report_free() undoes all of it. The parts of the
 * report (report_internal.h): report_plan.c and report_scaling.c plan five figures as
 * gnuplot datablocks plus the commands that draw them (or a sentence on why one is left
 * out: a figure without data is never drawn empty), report_gnuplot.c runs gnuplot and
 * places the files, report_render.c writes report.md and report.html. This file also keeps
 * the small text helpers the parts share. */
#define _GNU_SOURCE
#include "experiments/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/path.h"
#include "experiments/report_internal.h"
#include "experiments/runfiles.h"

static const struct {
  const char *name, *title;
  int width, height;
} figure_spec[REPORT_FIGURES] = {
    [REPORT_LEARNING_CURVES] = {"learning-curves", "Learning curves", 1000, 560},
    [REPORT_METRIC_COST] = {"metric-vs-cost", "Metric vs cost", 1000, 560},
    [REPORT_SPEEDUP] = {"speedup", "Speedup and efficiency vs ranks", 1100, 480},
    [REPORT_COST_RANKS] = {"cost-vs-ranks", "Cost vs ranks", 900, 520},
    [REPORT_STORAGE] = {"storage", "Storage backends: epoch time, AU and cost", 1200, 480},
    [REPORT_SERVE_LATENCY] = {"serve-latency-vs-cost", "Serving: latency vs cost", 1000, 560},
    [REPORT_SERVE_OPTIONS] = {"serve-cost-per-1m", "Serving: cost per 1M requests by option", 1100, 520},
    [REPORT_SEARCH] = {"search-curves", "Search: the trials' validation curves", 1000, 560},
};

/* Test metrics a record may carry, in the order the default choice prefers them. */
static const char *const known_metrics[] = {"auc", "rmse", "accuracy", "f1", "precision", "recall",
                                            "log_loss", "r2", "mse", "mae"};

/* ---- text helpers (report_internal.h) --------------------------------------------- */

char *report_vprintf(const char *fmt, va_list ap) {
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) s = NULL;
  return s;
}

char *report_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = report_vprintf(fmt, ap);
  va_end(ap);
  return s;
}

tr_err report_note(report *rep, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = report_vprintf(fmt, ap);
  va_end(ap);
  char **grown = s ? realloc(rep->notes, (rep->n_notes + 1) * sizeof *grown) : NULL;
  if (!grown) {
    free(s);
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  rep->notes = grown;
  rep->notes[rep->n_notes++] = s;
  return TR_OK;
}

tr_err report_buf_open(report_buf *m) {
  m->text = NULL;
  m->len = 0;
  m->f = open_memstream(&m->text, &m->len);
  return m->f ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
}

char *report_buf_close(report_buf *m) {
  bool bad = ferror(m->f) != 0;
  fclose(m->f);
  m->f = NULL;
  if (bad) {
    free(m->text);
    return NULL;
  }
  return m->text;
}

tr_err report_bufs_open(report_buf *a, report_buf *b) {
  tr_err rc = report_buf_open(a);
  if (rc == TR_OK && (rc = report_buf_open(b)) != TR_OK) free(report_buf_close(a));
  return rc;
}

/* ---- learning curves (history.csv, read by experiments/runfiles.c) ----------------- */

static void curve_free(report_curve *c) {
  free(c->epoch);
  free(c->train_loss);
  free(c->val_loss);
  memset(c, 0, sizeof *c);
}

/* ---- loading ------------------------------------------------------------------------ */

static size_t count_metric(const run_records *rs, const char *name) {
  size_t n = 0;
  for (size_t i = 0; i < rs->n; i++)
    if (isfinite(results_metric(&rs->r[i], name))) n++;
  return n;
}

static tr_err choose_metric(report *rep, const char *wanted) {
  if (wanted) {
    if (strlen(wanted) >= sizeof rep->metric)
      return tr_error_set(TR_EUSAGE, "report", "--metric: unknown metric '%.40s'", wanted);
    if (count_metric(&rep->rs, wanted) == 0) {
      char have[256] = "";
      size_t len = 0;
      for (size_t k = 0; k < sizeof known_metrics / sizeof *known_metrics; k++)
        if (count_metric(&rep->rs, known_metrics[k]))
          fmt_append(have, sizeof have, &len, "%s%s", len ? ", " : "", known_metrics[k]);
      return tr_error_set(TR_EUSAGE, "report", "--metric %s: no run in %s reports it (%s%s)", wanted, rep->dir,
                          len ? "they report: " : "no run reports a test metric", have);
    }
    snprintf(rep->metric, sizeof rep->metric, "%s", wanted);
    return TR_OK;
  }
  /* the sweep's own `metric`, when its runs report it */
  const cJSON *sweep_metric = rep->rs.n ? cJSON_GetObjectItemCaseSensitive(
                                              cJSON_GetObjectItemCaseSensitive(rep->rs.r[0].obj, "point"), "metric")
                                        : NULL;
  if (cJSON_IsString(sweep_metric) && strlen(sweep_metric->valuestring) < sizeof rep->metric &&
      count_metric(&rep->rs, sweep_metric->valuestring)) {
    snprintf(rep->metric, sizeof rep->metric, "%s", sweep_metric->valuestring);
    return TR_OK;
  }
  for (size_t k = 0; k < sizeof known_metrics / sizeof *known_metrics; k++) {
    if (count_metric(&rep->rs, known_metrics[k])) {
      snprintf(rep->metric, sizeof rep->metric, "%s", known_metrics[k]);
      return TR_OK;
    }
  }
  return report_note(rep, "No run reports a test metric (io-bench runs only): no metric column, "
                     "no Pareto set and no metric-vs-cost figure.");
}

static tr_err load_curves(report *rep) {
  rep->curves = calloc(rep->rs.n ? rep->rs.n : 1, sizeof *rep->curves);
  if (!rep->curves) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; i < rep->rs.n; i++) {
    const run_record *r = &rep->rs.r[i];
    if (!report_is_train(r) || !report_is_measured(r)) continue;
    if (!*r->dir) {
      tr_err rc = report_note(rep, "%s has no run directory (point.dir): no learning curve.", r->id);
      if (rc != TR_OK) return rc;
      continue;
    }
    char *path = path_join3(rep->dir, r->dir, RUNFILES_HISTORY);
    if (!path) return tr_error_code();
    report_curve *c = &rep->curves[rep->n_curves];
    c->run = i;
    bool missing;
    runfiles_history h;
    tr_err rc = runfiles_read_history(path, &h, &missing);
    c->n = h.n; /* the curve takes the columns over */
    c->epoch = h.epoch;
    c->train_loss = h.train_loss;
    c->val_loss = h.val_loss;
    if (rc == TR_OK && (missing || c->n == 0)) {
      rc = report_note(rep, "%s: %s %s: no learning curve.", r->id, path, missing ? "does not exist" : "has no epochs");
      curve_free(c);
    } else if (rc == TR_OK) {
      rep->n_curves++;
    } else {
      curve_free(c);
    }
    free(path);
    if (rc != TR_OK) return rc;
  }
  return TR_OK;
}

tr_err report_load(const char *dir, const char *metric, report *rep) {
  memset(rep, 0, sizeof *rep);
  for (int k = 0; k < REPORT_FIGURES; k++) {
    rep->fig[k].name = figure_spec[k].name;
    rep->fig[k].title = figure_spec[k].title;
    rep->fig[k].width = figure_spec[k].width;
    rep->fig[k].height = figure_spec[k].height;
  }
  rep->dir = strdup(dir);
  if (!rep->dir) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  tr_err rc = results_load(dir, &rep->rs);
  if (rc == TR_OK && rep->rs.n == 0)
    rc = tr_error_set(TR_EINPUT, dir, "results.jsonl has no runs (has the sweep run?)");
  if (rc == TR_OK) rc = choose_metric(rep, metric);
  if (rc == TR_OK) {
    rep->dominated = calloc(rep->rs.n, sizeof *rep->dominated);
    if (!rep->dominated) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  if (rc == TR_OK) {
    if (*rep->metric) results_pareto(rep->rs.r, rep->rs.n, rep->metric, rep->dominated);
    else
      for (size_t i = 0; i < rep->rs.n; i++) rep->dominated[i] = true;
  }
  if (rc == TR_OK) rc = load_curves(rep);
  if (rc == TR_OK) rc = report_label_runs(rep);
  if (rc == TR_OK) rc = report_plan(rep);
  if (rc != TR_OK) report_free(rep);
  return rc;
}

void report_free(report *rep) {
  for (size_t i = 0; i < rep->n_curves; i++) curve_free(&rep->curves[i]);
  free(rep->curves);
  for (size_t i = 0; i < rep->n_notes; i++) free(rep->notes[i]);
  free(rep->notes);
  for (int k = 0; k < REPORT_FIGURES; k++) {
    free(rep->fig[k].caption);
    free(rep->fig[k].data);
    free(rep->fig[k].body);
    free(rep->fig[k].omitted);
  }
  for (size_t i = 0; i < rep->rs.n; i++) {
    if (rep->labels) free(rep->labels[i]);
    if (rep->config_labels) free(rep->config_labels[i]);
  }
  free(rep->labels);
  free(rep->config_labels);
  free(rep->dominated);
  results_free(&rep->rs);
  free(rep->dir);
  memset(rep, 0, sizeof *rep);
}
