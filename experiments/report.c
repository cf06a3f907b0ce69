/* The report of a sweep. report_load() reads results.jsonl (experiments/results.h) and
 * the history.csv of every measured train run, picks the metric, runs the Pareto filter
 * and plans five figures, each as gnuplot datablocks plus the commands that draw them
 * (or a sentence on why it is left out: a figure without data is never drawn empty).
 * report_write() feeds each figure's script to a gnuplot child process that writes a PNG
 * and an SVG under temporary names, then writes report.md and report.html (inline CSS,
 * relative image paths, nothing fetched from a network) and renames everything into
 * place only when all of it succeeded. */
#define _GNU_SOURCE
#include "experiments/report.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/format.h"
#include "experiments/cost.h"

extern char **environ;

/* Tableau 10, the matplotlib default cycle: one colour per run or configuration. */
static const unsigned palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
#define N_COLORS (sizeof palette / sizeof *palette)
/* At most this many learning curves in one figure (Pareto runs first). */
#define MAX_CURVES 12
/* Every point of metric-vs-cost carries its id up to this many points (else the Pareto
 * points only). */
#define MAX_LABELS 16

static const struct {
  const char *name, *title;
  int width, height;
} figure_spec[REPORT_FIGURES] = {
    [REPORT_LEARNING_CURVES] = {"learning-curves", "Learning curves", 1000, 560},
    [REPORT_METRIC_COST] = {"metric-vs-cost", "Metric vs cost", 1000, 560},
    [REPORT_SPEEDUP] = {"speedup", "Speedup and efficiency vs ranks", 1100, 480},
    [REPORT_COST_RANKS] = {"cost-vs-ranks", "Cost vs ranks", 900, 520},
    [REPORT_STORAGE] = {"storage", "Storage backends: epoch time, AU and cost", 1200, 480},
};

/* Test metrics a record may carry, in the order the default choice prefers them. */
static const char *const known_metrics[] = {"auc", "rmse", "accuracy", "f1", "precision", "recall",
                                            "log_loss", "r2", "mse", "mae"};

/* ---- small helpers ---------------------------------------------------------------- */

static char *xstrdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xstrdup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) s = NULL;
  va_end(ap);
  return s;
}

static tr_err add_note(report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tr_err add_note(report *rep, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) s = NULL;
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

/* A single-quoted gnuplot string ('' stands for '; control characters become spaces). */
static void gp_quote(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputs("''", f);
    else fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
  }
  fputc('\'', f);
}

/* A double-quoted string in a datablock (quotes and backslashes become '). */
static void gp_datastr(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) fputc(*s == '"' || *s == '\\' ? '\'' : (unsigned char)*s < 0x20 ? ' ' : *s, f);
  fputc('"', f);
}

static void gp_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.10g", v);
  else fputs("NaN", f);
}


static void fmt_time(double s, char *buf, size_t n) {
  if (!isfinite(s)) snprintf(buf, n, "-");
  else if (s < 120) snprintf(buf, n, "%.2f s", s);
  else if (s < 7200) snprintf(buf, n, "%.1f min", s / 60);
  else snprintf(buf, n, "%.2f h", s / 3600);
}

static void fmt_metric(double v, char *buf, size_t n) {
  if (isfinite(v)) snprintf(buf, n, "%.4f", v);
  else snprintf(buf, n, "-");
}

static bool is_train(const run_record *r) { return !strcmp(r->kind, "train"); }
static bool is_measured(const run_record *r) { return !strcmp(r->label, "measured"); }

/* A membuf: text built with stdio. */
typedef struct {
  char *text;
  size_t len;
  FILE *f;
} membuf;

static tr_err mb_open(membuf *m) {
  m->text = NULL;
  m->len = 0;
  m->f = open_memstream(&m->text, &m->len);
  return m->f ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
}

/* Closes m and returns its text (NULL on a write failure). */
static char *mb_close(membuf *m) {
  bool bad = ferror(m->f) != 0;
  fclose(m->f);
  m->f = NULL;
  if (bad) {
    free(m->text);
    return NULL;
  }
  return m->text;
}

/* ---- loading ------------------------------------------------------------------------ */

/* Reads path (history.csv) into c; *missing when the file does not exist. */
static tr_err read_history(const char *path, report_curve *c, bool *missing) {
  *missing = false;
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) {
      *missing = true;
      return TR_OK;
    }
    return tr_error_set(TR_EIO, path, "cannot open: %s", strerror(errno));
  }
  char *line = NULL;
  size_t cap = 0, alloc = 0;
  long lineno = 0;
  tr_err rc = TR_OK;
  while (rc == TR_OK && getline(&line, &cap, f) > 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (lineno == 1) {
      if (strncmp(line, "epoch,train_loss,val_loss", 25) != 0)
        rc = tr_error_at(TR_EINPUT, path, 1, "expected the header epoch,train_loss,val_loss,... got '%.60s'", line);
      continue;
    }
    if (!*line) continue;
    double v[3];
    char *p = line, *end;
    for (int k = 0; k < 3 && rc == TR_OK; k++) {
      v[k] = strtod(p, &end);
      if (end == p || (k < 2 && *end != ',') || (k == 2 && *end != ',' && *end != '\0'))
        rc = tr_error_at(TR_EINPUT, path, lineno, "expected numbers epoch,train_loss,val_loss,... got '%.60s'", line);
      p = end + 1;
    }
    if (rc != TR_OK) break;
    if (c->n == alloc) {
      alloc = alloc ? 2 * alloc : 64;
      double *e = realloc(c->epoch, alloc * sizeof *e);
      if (e) c->epoch = e;
      double *t = realloc(c->train_loss, alloc * sizeof *t);
      if (t) c->train_loss = t;
      double *vl = realloc(c->val_loss, alloc * sizeof *vl);
      if (vl) c->val_loss = vl;
      if (!e || !t || !vl) {
        rc = tr_error_set(TR_ENOMEM, path, "out of memory");
        break;
      }
    }
    c->epoch[c->n] = v[0];
    c->train_loss[c->n] = v[1];
    c->val_loss[c->n] = v[2];
    c->n++;
  }
  if (rc == TR_OK && lineno == 0)
    rc = tr_error_at(TR_EINPUT, path, 1, "empty file (expected a header and one row per epoch)");
  free(line);
  fclose(f);
  return rc;
}

static void curve_free(report_curve *c) {
  free(c->epoch);
  free(c->train_loss);
  free(c->val_loss);
  memset(c, 0, sizeof *c);
}

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
        if (count_metric(&rep->rs, known_metrics[k]) && len < sizeof have)
          len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", len ? ", " : "", known_metrics[k]);
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
  return add_note(rep, "No run reports a test metric (io-bench runs only): no metric column, "
                       "no Pareto set and no metric-vs-cost figure.");
}

static tr_err load_curves(report *rep) {
  rep->curves = calloc(rep->rs.n ? rep->rs.n : 1, sizeof *rep->curves);
  if (!rep->curves) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; i < rep->rs.n; i++) {
    const run_record *r = &rep->rs.r[i];
    if (!is_train(r) || !is_measured(r)) continue;
    if (!*r->dir) {
      tr_err rc = add_note(rep, "%s has no run directory (point.dir): no learning curve.", r->id);
      if (rc != TR_OK) return rc;
      continue;
    }
    char *path = xstrdup_printf("%s/%s/history.csv", rep->dir, r->dir);
    if (!path) return tr_error_set(TR_ENOMEM, "report", "out of memory");
    report_curve *c = &rep->curves[rep->n_curves];
    c->run = i;
    bool missing;
    tr_err rc = read_history(path, c, &missing);
    if (rc == TR_OK && (missing || c->n == 0)) {
      rc = add_note(rep, "%s: %s %s: no learning curve.", r->id, path, missing ? "does not exist" : "has no epochs");
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

/* ---- figures ------------------------------------------------------------------------ */

static tr_err omit(report *rep, int k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static tr_err omit(report *rep, int k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) s = NULL;
  va_end(ap);
  if (!s) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  rep->fig[k].omitted = s;
  return TR_OK;
}

/* Stores data, body and caption of figure k (takes ownership of all three). */
static tr_err set_figure(report *rep, int k, char *data, char *body, char *caption) {
  if (!data || !body || !caption) {
    free(data);
    free(body);
    free(caption);
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  rep->fig[k].data = data;
  rep->fig[k].body = body;
  rep->fig[k].caption = caption;
  return TR_OK;
}

/* The row of curve c whose epoch is the run's best epoch; -1 when none. */
static long best_row(const report *rep, const report_curve *c) {
  int best = rep->rs.r[c->run].best_epoch;
  for (size_t j = 0; j < c->n; j++)
    if ((int)c->epoch[j] == best) return (long)j;
  return -1;
}

static int by_pareto_then_index(const void *a, const void *b, void *ctx) {
  const report *rep = ctx;
  const report_curve *x = a, *y = b;
  bool dx = rep->dominated[x->run], dy = rep->dominated[y->run];
  if (dx != dy) return dx ? 1 : -1;
  return x->run < y->run ? -1 : x->run > y->run;
}

static tr_err plan_learning_curves(report *rep) {
  if (rep->n_curves == 0)
    return omit(rep, REPORT_LEARNING_CURVES, "no measured train run with a history.csv in %s%s", rep->dir,
                rep->rs.n ? "" : " (no runs)");
  /* the Pareto runs first, then in the order of results.jsonl */
  report_curve *sorted = malloc(rep->n_curves * sizeof *sorted);
  if (!sorted) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  memcpy(sorted, rep->curves, rep->n_curves * sizeof *sorted);
  qsort_r(sorted, rep->n_curves, sizeof *sorted, by_pareto_then_index, rep);
  size_t shown = rep->n_curves < MAX_CURVES ? rep->n_curves : MAX_CURVES;
  membuf d, b;
  if (mb_open(&d) != TR_OK) {
    free(sorted);
    return TR_ENOMEM;
  }
  if (mb_open(&b) != TR_OK) {
    free(mb_close(&d));
    free(sorted);
    return TR_ENOMEM;
  }
  size_t n_best = 0;
  for (size_t i = 0; i < shown; i++) {
    const report_curve *c = &sorted[i];
    fprintf(d.f, "$curve%zu << EOD\n", i + 1);
    for (size_t j = 0; j < c->n; j++) {
      gp_num(d.f, c->epoch[j]);
      fputc(' ', d.f);
      gp_num(d.f, c->train_loss[j]);
      fputc(' ', d.f);
      gp_num(d.f, c->val_loss[j]);
      fputc('\n', d.f);
    }
    fputs("EOD\n", d.f);
  }
  fputs("$best << EOD\n", d.f);
  for (size_t i = 0; i < shown; i++) {
    long j = best_row(rep, &sorted[i]);
    if (j < 0 || !isfinite(sorted[i].val_loss[j])) continue;
    gp_num(d.f, sorted[i].epoch[j]);
    fputc(' ', d.f);
    gp_num(d.f, sorted[i].val_loss[j]);
    fprintf(d.f, " %u\n", palette[i % N_COLORS]);
    n_best++;
  }
  fputs("EOD\n", d.f);
  fputs("set title 'Learning curves (solid: train loss, dashed: validation loss)'\n"
        "set xlabel 'epoch'\nset ylabel 'loss'\nset grid\nset key outside right top\n"
        "set xtics nomirror\nset format x '%g'\nplot ",
        b.f);
  for (size_t i = 0; i < shown; i++) {
    const run_record *r = &rep->rs.r[sorted[i].run];
    char *t = xstrdup_printf("%s%s%s%s", r->id, *r->variant ? " (" : "", r->variant, *r->variant ? ")" : "");
    if (!t) continue;
    fprintf(b.f, "$curve%zu using 1:2 with lines lw 2 lc rgb '#%06x' title ", i + 1, palette[i % N_COLORS]);
    gp_quote(b.f, t);
    fprintf(b.f, ", \\\n     $curve%zu using 1:3 with lines lw 2 dt 2 lc rgb '#%06x' notitle, \\\n     ", i + 1,
            palette[i % N_COLORS]);
    free(t);
  }
  if (n_best)
    fputs("$best using 1:2:3 with points pt 7 ps 1.8 lc rgb variable "
          "title 'best epoch (weights kept)', \\\n     ",
          b.f);
  fputs("NaN with lines lw 2 lc 'black' title 'train loss', \\\n"
        "     NaN with lines lw 2 dt 2 lc 'black' title 'validation loss'\n",
        b.f);
  char *caption = xstrdup_printf(
      "Training and validation loss per epoch of %zu measured train run%s (history.csv); the filled dot marks the "
      "best epoch, whose weights early stopping kept.%s",
      shown, shown == 1 ? "" : "s",
      shown < rep->n_curves ? " Only the first runs are drawn (Pareto runs first); the table lists all." : "");
  free(sorted);
  if (shown < rep->n_curves) {
    tr_err rc = add_note(rep, "Learning curves: %zu of %zu runs drawn (Pareto runs first).", shown, rep->n_curves);
    if (rc != TR_OK) {
      free(caption);
      free(mb_close(&d));
      free(mb_close(&b));
      return rc;
    }
  }
  return set_figure(rep, REPORT_LEARNING_CURVES, mb_close(&d), mb_close(&b), caption);
}

typedef struct {
  double cost, metric;
  size_t run;
} mc_point;

static int by_cost(const void *a, const void *b) {
  const mc_point *x = a, *y = b;
  if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
  return x->run < y->run ? -1 : x->run > y->run;
}

static void mc_block(FILE *f, const char *name, const mc_point *p, size_t n, bool with_id, const report *rep) {
  fprintf(f, "$%s << EOD\n", name);
  for (size_t i = 0; i < n; i++) {
    gp_num(f, p[i].cost);
    fputc(' ', f);
    gp_num(f, p[i].metric);
    if (with_id) {
      fputc(' ', f);
      gp_datastr(f, rep->rs.r[p[i].run].id);
    }
    fputc('\n', f);
  }
  fputs("EOD\n", f);
}

static tr_err plan_metric_cost(report *rep) {
  const char *m = rep->metric;
  if (!*m) return omit(rep, REPORT_METRIC_COST, "no run reports a test metric");
  size_t n = rep->rs.n;
  mc_point *all = calloc(n ? n : 1, sizeof *all), *groups[4], *front = calloc(n ? n : 1, sizeof *front);
  size_t cnt[4] = {0}, n_front = 0, n_all = 0;
  for (int g = 0; g < 4; g++) groups[g] = calloc(n ? n : 1, sizeof *groups[g]);
  bool ok = all && front && groups[0] && groups[1] && groups[2] && groups[3];
  double lo = INFINITY, hi = 0, c_min = INFINITY, c_max = -INFINITY, m_min = INFINITY, m_max = -INFINITY;
  for (size_t i = 0; ok && i < n; i++) {
    const run_record *r = &rep->rs.r[i];
    double v = results_metric(r, m);
    if (!isfinite(v) || !isfinite(r->cost_usd)) continue;
    mc_point p = {r->cost_usd, v, i};
    all[n_all++] = p;
    int g = (rep->dominated[i] ? 2 : 0) + (is_measured(r) ? 0 : 1);
    groups[g][cnt[g]++] = p;
    if (r->cost_usd > 0 && r->cost_usd < lo) lo = r->cost_usd;
    if (r->cost_usd > hi) hi = r->cost_usd;
    c_min = fmin(c_min, r->cost_usd), c_max = fmax(c_max, r->cost_usd);
    m_min = fmin(m_min, v), m_max = fmax(m_max, v);
  }
  tr_err rc = ok ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
  if (rc == TR_OK && n_all == 0) rc = omit(rep, REPORT_METRIC_COST, "no run reports both %s and a cost", m);
  if (rc != TR_OK || n_all == 0) goto done;
  /* the frontier in (metric, cost): the Pareto runs that improve the metric as the
   * budget grows, drawn as a staircase (the best metric a budget buys) */
  bool lower = results_lower_is_better(m);
  qsort(all, n_all, sizeof *all, by_cost);
  for (size_t i = 0; i < n_all; i++) {
    if (rep->dominated[all[i].run]) continue;
    double v = all[i].metric;
    if (n_front && !(lower ? v < front[n_front - 1].metric : v > front[n_front - 1].metric)) continue;
    front[n_front++] = all[i];
  }
  membuf d, b;
  if ((rc = mb_open(&d)) != TR_OK) goto done;
  if ((rc = mb_open(&b)) != TR_OK) {
    free(mb_close(&d));
    goto done;
  }
  static const char *const names[4] = {"pareto_measured", "pareto_projected", "dominated_measured",
                                       "dominated_projected"};
  static const char *const styles[4] = {
      "pt 7 ps 1.6 lc rgb '#1f77b4' title 'Pareto, measured'",
      "pt 9 ps 1.8 lc rgb '#ff7f0e' title 'Pareto, projected'",
      "pt 6 ps 1.4 lc rgb '#888888' title 'dominated, measured'",
      "pt 8 ps 1.4 lc rgb '#aaaaaa' title 'dominated, projected'",
  };
  mc_block(d.f, "frontier", front, n_front, false, rep);
  for (int g = 0; g < 4; g++) mc_block(d.f, names[g], groups[g], cnt[g], true, rep);
  fputs("set title ", b.f);
  char *t = xstrdup_printf("test %s vs cost per run (%s is better)", m, lower ? "lower" : "higher");
  gp_quote(b.f, t ? t : m);
  free(t);
  fputs("\nset xlabel 'cost per run (USD)'\nset ylabel ", b.f);
  gp_quote(b.f, m);
  fputs("\nset grid\nset key outside right top\nset offsets graph 0.02, graph 0.12, graph 0.08, graph 0.08\n"
        "set format x '%g'\n", b.f);
  if (isfinite(lo) && hi / lo > 30) fputs("set logscale x\n", b.f);
  /* one cost or one metric value: a range around it (gnuplot warns about an empty one) */
  if (c_min == c_max)
    fprintf(b.f, "set xrange [%.10g:%.10g]\n", c_min > 0 ? c_min * 0.5 : c_min - 1,
            c_min > 0 ? c_min * 1.5 : c_min + 1);
  if (m_min == m_max)
    fprintf(b.f, "set yrange [%.10g:%.10g]\n", m_min - 0.05 * fabs(m_min) - 0.01, m_max + 0.05 * fabs(m_max) + 0.01);
  fputs("plot $frontier using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'Pareto frontier (metric, cost)'", b.f);
  for (int g = 0; g < 4; g++)
    if (cnt[g]) fprintf(b.f, ", \\\n     $%s using 1:2 with points %s", names[g], styles[g]);
  /* ids next to the Pareto points, and next to every point while they stay legible */
  for (int g = 0; g < 4; g++)
    if (cnt[g] && (g < 2 || n_all <= MAX_LABELS))
      fprintf(b.f, ", \\\n     $%s using 1:2:3 with labels left offset char 1,0.6 font ',8' tc rgb '%s' notitle",
              names[g], g < 2 ? "#222222" : "#888888");
  fputc('\n', b.f);
  char *caption = xstrdup_printf(
      "Test %s against the total cost of each run. Filled markers: the Pareto set over (%s, cost, time), no other "
      "run is as good in all three and better in one; open markers: dominated runs; triangles: projected "
      "(estimated) runs. The green staircase is the best %s each budget buys. A Pareto run that looks dominated "
      "here is faster than the runs that beat it.",
      m, m, m);
  rc = set_figure(rep, REPORT_METRIC_COST, mb_close(&d), mb_close(&b), caption);
done:
  free(all);
  free(front);
  for (int g = 0; g < 4; g++) free(groups[g]);
  return rc;
}

/* Scaling: measured train runs grouped by everything but their rank count. */
typedef struct {
  int ranks;
  double train_s, cost;
  int n;
} rank_point;

typedef struct {
  char *key;
  char *label;
  const run_record *first;
  rank_point *p;
  size_t n, cap;
} scale_group;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "k=v, k=v" of r's point.set in key order, without "ranks" (malloc'd). */
static char *set_text(const run_record *r) {
  size_t n = 0;
  const cJSON *it;
  char **kv = calloc((size_t)cJSON_GetArraySize(r->set) + 1, sizeof *kv);
  if (!kv) return NULL;
  cJSON_ArrayForEach(it, r->set) {
    if (!it->string || !strcmp(it->string, "ranks")) continue;
    char *v = cJSON_IsString(it) ? strdup(it->valuestring) : cJSON_PrintUnformatted(it);
    kv[n] = v ? xstrdup_printf("%s=%s", it->string, v) : NULL;
    free(v);
    if (kv[n]) n++;
  }
  qsort(kv, n, sizeof *kv, cmp_str);
  membuf m;
  char *out = NULL;
  if (mb_open(&m) == TR_OK) {
    for (size_t i = 0; i < n; i++) fprintf(m.f, "%s%s", i ? ", " : "", kv[i]);
    out = mb_close(&m);
  }
  for (size_t i = 0; i < n; i++) free(kv[i]);
  free(kv);
  return out;
}

static int by_ranks(const void *a, const void *b) {
  const rank_point *x = a, *y = b;
  return (x->ranks > y->ranks) - (x->ranks < y->ranks);
}

static void groups_free(scale_group *g, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(g[i].key);
    free(g[i].label);
    free(g[i].p);
  }
  free(g);
}

/* Groups the measured train runs; points of equal rank count are averaged. */
static tr_err scale_groups(const report *rep, scale_group **out, size_t *n_out, int *distinct_ranks) {
  size_t n = 0;
  scale_group *g = calloc(rep->rs.n ? rep->rs.n : 1, sizeof *g);
  if (!g) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  int ranks_seen[64], n_seen = 0;
  for (size_t i = 0; i < rep->rs.n; i++) {
    const run_record *r = &rep->rs.r[i];
    if (!is_train(r) || !is_measured(r) || !(r->train_s > 0) || !isfinite(r->cost_usd)) continue;
    char *set = set_text(r);
    char *key = set ? xstrdup_printf("%s\x1f%s\x1f%s\x1f%d\x1f%s", r->variant, r->backend, r->instance, r->spot, set)
                    : NULL;
    free(set);
    if (!key) {
      groups_free(g, n);
      return tr_error_set(TR_ENOMEM, "report", "out of memory");
    }
    size_t k = 0;
    while (k < n && strcmp(g[k].key, key) != 0) k++;
    if (k == n) {
      g[n].key = key;
      g[n].first = r;
      n++;
    } else {
      free(key);
    }
    size_t j = 0;
    while (j < g[k].n && g[k].p[j].ranks != r->ranks) j++;
    if (j == g[k].n) {
      if (g[k].n == g[k].cap) {
        size_t cap = g[k].cap ? 2 * g[k].cap : 4;
        rank_point *grown = realloc(g[k].p, cap * sizeof *grown);
        if (!grown) {
          groups_free(g, n);
          return tr_error_set(TR_ENOMEM, "report", "out of memory");
        }
        g[k].p = grown;
        g[k].cap = cap;
      }
      g[k].p[g[k].n++] = (rank_point){r->ranks, 0, 0, 0};
    }
    g[k].p[j].train_s += r->train_s;
    g[k].p[j].cost += r->cost_usd;
    g[k].p[j].n++;
    int s = 0;
    while (s < n_seen && ranks_seen[s] != r->ranks) s++;
    if (s == n_seen && n_seen < 64) ranks_seen[n_seen++] = r->ranks;
  }
  for (size_t k = 0; k < n; k++) {
    for (size_t j = 0; j < g[k].n; j++) {
      g[k].p[j].train_s /= g[k].p[j].n;
      g[k].p[j].cost /= g[k].p[j].n;
    }
    qsort(g[k].p, g[k].n, sizeof *g[k].p, by_ranks);
  }
  /* labels: the variant, plus what else tells the groups apart */
  bool differ_backend = false, differ_instance = false, differ_spot = false;
  for (size_t k = 1; k < n; k++) {
    differ_backend |= strcmp(g[k].first->backend, g[0].first->backend) != 0;
    differ_instance |= strcmp(g[k].first->instance, g[0].first->instance) != 0;
    differ_spot |= g[k].first->spot != g[0].first->spot;
  }
  for (size_t k = 0; k < n; k++) {
    const run_record *r = g[k].first;
    g[k].label = xstrdup_printf("%s%s%s%s%s%s", *r->variant ? r->variant : "runs", differ_backend ? ", " : "",
                                differ_backend ? r->backend : "", differ_instance ? ", " : "",
                                differ_instance ? r->instance : "",
                                differ_spot ? (r->spot ? ", spot" : ", on-demand") : "");
  }
  for (size_t k = 0; k < n; k++) {
    bool dup = false;
    for (size_t j = 0; j < n; j++) dup |= j != k && g[j].label && g[k].label && !strcmp(g[j].label, g[k].label);
    if (dup) {
      char *set = set_text(g[k].first);
      char *l = set ? xstrdup_printf("%s (%s)", g[k].label, *set ? set : g[k].first->id) : NULL;
      free(set);
      if (l) {
        free(g[k].label);
        g[k].label = l;
      }
    }
  }
  for (size_t k = 0; k < n; k++)
    if (!g[k].label) {
      groups_free(g, n);
      return tr_error_set(TR_ENOMEM, "report", "out of memory");
    }
  *out = g;
  *n_out = n;
  *distinct_ranks = n_seen;
  return TR_OK;
}

static void xtics_ranks(FILE *f, const scale_group *g, size_t n, int *max_ranks) {
  int seen[64], n_seen = 0;
  *max_ranks = 1;
  for (size_t k = 0; k < n; k++)
    for (size_t j = 0; j < g[k].n; j++) {
      int r = g[k].p[j].ranks, s = 0;
      while (s < n_seen && seen[s] != r) s++;
      if (s == n_seen && n_seen < 64) seen[n_seen++] = r;
      if (r > *max_ranks) *max_ranks = r;
    }
  fputs("set xtics (", f);
  for (int s = 0; s < n_seen; s++) fprintf(f, "%s%d", s ? ", " : "", seen[s]);
  fputs(")\n", f);
}

static tr_err plan_scaling(report *rep) {
  scale_group *g = NULL;
  size_t n = 0;
  int distinct = 0;
  tr_err rc = scale_groups(rep, &g, &n, &distinct);
  if (rc != TR_OK) return rc;
  if (n == 0) {
    rc = omit(rep, REPORT_SPEEDUP, "no measured train run with a training time");
    if (rc == TR_OK) rc = omit(rep, REPORT_COST_RANKS, "no measured train run with a training time");
    groups_free(g, n);
    return rc;
  }
  if (distinct < 2) {
    int r = g[0].p[0].ranks;
    rc = omit(rep, REPORT_SPEEDUP, "every train run used %d rank%s: speedup needs runs that differ in ranks", r,
              r == 1 ? "" : "s");
    if (rc == TR_OK)
      rc = omit(rep, REPORT_COST_RANKS, "every train run used %d rank%s: nothing to compare", r, r == 1 ? "" : "s");
    groups_free(g, n);
    return rc;
  }
  /* speedup and efficiency: groups run on two rank counts or more */
  size_t multi = 0;
  bool all_base1 = true;
  int common_base = 0;
  for (size_t k = 0; k < n; k++)
    if (g[k].n >= 2) {
      multi++;
      if (g[k].p[0].ranks != 1) all_base1 = false;
      common_base = common_base == 0 || common_base == g[k].p[0].ranks ? g[k].p[0].ranks : -1;
    }
  if (multi == 0) {
    rc = omit(rep, REPORT_SPEEDUP,
              "no configuration was run on more than one rank count (the rank counts belong to different "
              "variants, backends or instances)");
  } else {
    membuf d, b;
    if ((rc = mb_open(&d)) != TR_OK) goto cost;
    if ((rc = mb_open(&b)) != TR_OK) {
      free(mb_close(&d));
      goto cost;
    }
    size_t idx = 0;
    for (size_t k = 0; k < n; k++) {
      if (g[k].n < 2) continue;
      idx++;
      fprintf(d.f, "$speedup%zu << EOD\n", idx);
      double base_t = g[k].p[0].train_s;
      int base_r = g[k].p[0].ranks;
      for (size_t j = 0; j < g[k].n; j++) {
        double s = base_t / g[k].p[j].train_s;
        fprintf(d.f, "%d ", g[k].p[j].ranks);
        gp_num(d.f, s);
        fputc(' ', d.f);
        gp_num(d.f, s * base_r / g[k].p[j].ranks);
        fputc('\n', d.f);
      }
      fputs("EOD\n", d.f);
    }
    int max_r;
    fputs("set multiplot layout 1,2 title 'Speedup and parallel efficiency vs ranks'\n", b.f);
    xtics_ranks(b.f, g, n, &max_r);
    fprintf(b.f, "set xrange [0:%g]\nset xlabel 'ranks'\nset grid\nset key top left\n", max_r + 0.5);
    fprintf(b.f, "set ylabel 'speedup (train_s of the fewest ranks / train_s)'\nset yrange [0:*]\nplot ");
    if (common_base > 0) fprintf(b.f, "x / %d with lines dt 2 lc 'gray' title 'ideal', ", common_base);
    idx = 0;
    for (size_t k = 0; k < n; k++) {
      if (g[k].n < 2) continue;
      fprintf(b.f, "%s$speedup%zu using 1:2 with linespoints lw 2 pt 7 lc rgb '#%06x' title ", idx ? ", " : "", idx + 1,
              palette[k % N_COLORS]);
      gp_quote(b.f, g[k].label);
      idx++;
    }
    fputs("\nset ylabel 'parallel efficiency (speedup x fewest ranks / ranks)'\nset yrange [0:1.25<*]\n"
          "plot 1 with lines dt 2 lc 'gray' title 'ideal'",
          b.f);
    idx = 0;
    for (size_t k = 0; k < n; k++) {
      if (g[k].n < 2) continue;
      fprintf(b.f, ", $speedup%zu using 1:3 with linespoints lw 2 pt 7 lc rgb '#%06x' notitle", ++idx,
              palette[k % N_COLORS]);
    }
    fputs("\nunset multiplot\n", b.f);
    char *caption = xstrdup_printf(
        "Speedup = training time on the fewest ranks / training time on k ranks%s, and parallel efficiency = "
        "speedup x fewest ranks / k, for each configuration (variant, backend, instance, spot and the sweep's "
        "other settings) measured on more than one rank count; repeated runs are averaged.",
        all_base1 ? " (train_s at 1 rank / train_s at k)" : "");
    rc = set_figure(rep, REPORT_SPEEDUP, mb_close(&d), mb_close(&b), caption);
    if (rc == TR_OK && !all_base1)
      rc = add_note(rep, "Speedup: some configurations have no 1-rank run; their speedup is relative to their "
                         "fewest ranks.");
  }
cost:
  if (rc == TR_OK) {
    membuf d, b;
    if ((rc = mb_open(&d)) != TR_OK) goto out;
    if ((rc = mb_open(&b)) != TR_OK) {
      free(mb_close(&d));
      goto out;
    }
    for (size_t k = 0; k < n; k++) {
      fprintf(d.f, "$cost%zu << EOD\n", k + 1);
      for (size_t j = 0; j < g[k].n; j++) {
        fprintf(d.f, "%d ", g[k].p[j].ranks);
        gp_num(d.f, g[k].p[j].cost);
        fputc('\n', d.f);
      }
      fputs("EOD\n", d.f);
    }
    int max_r;
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < n; k++)
      for (size_t j = 0; j < g[k].n; j++) {
        if (g[k].p[j].cost > 0 && g[k].p[j].cost < lo) lo = g[k].p[j].cost;
        if (g[k].p[j].cost > hi) hi = g[k].p[j].cost;
      }
    bool logy = isfinite(lo) && hi / lo > 30;
    fputs("set title 'Cost per run vs ranks'\n", b.f);
    xtics_ranks(b.f, g, n, &max_r);
    fprintf(b.f, "set xrange [0:%g]\n%s\nset xlabel 'ranks'\nset ylabel 'cost per run (USD%s)'\n"
                 "set format y '%%g'\nset grid\nset key outside right top\nplot ",
            max_r + 0.5, logy ? "set logscale y" : "set yrange [0:*]", logy ? ", log scale" : "");
    for (size_t k = 0; k < n; k++) {
      fprintf(b.f, "%s$cost%zu using 1:2 with linespoints lw 2 pt 7 ps 1.4 lc rgb '#%06x' title ",
              k ? ", \\\n     " : "", k + 1, palette[k % N_COLORS]);
      gp_quote(b.f, g[k].label);
    }
    fputc('\n', b.f);
    char *caption = xstrdup_printf(
        "Total cost of a run (instance rate x nodes x wall time, plus storage and requests) against its rank "
        "count, one line per configuration; measured train runs only, repeated runs averaged.");
    rc = set_figure(rep, REPORT_COST_RANKS, mb_close(&d), mb_close(&b), caption);
  }
out:
  groups_free(g, n);
  return rc;
}

/* Storage: per backend, the mean epoch time, AU and cost of each series of runs (train
 * runs of one variant, io-bench runs measured or on the virtual clock). */
static tr_err plan_storage(report *rep) {
  size_t n = rep->rs.n;
  const char **backends = calloc(n ? n : 1, sizeof *backends);
  char **series = calloc(n ? n : 1, sizeof *series);
  size_t *ser_of = calloc(n ? n : 1, sizeof *ser_of), *be_of = calloc(n ? n : 1, sizeof *be_of);
  bool *use = calloc(n ? n : 1, sizeof *use);
  size_t nb = 0, ns = 0;
  tr_err rc = backends && series && ser_of && be_of && use ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    const run_record *r = &rep->rs.r[i];
    /* projected train lines are rightsizing estimates (other instances), not storage data */
    if (!*r->backend || (is_train(r) && !is_measured(r))) continue;
    char *s = is_train(r) ? xstrdup_printf("train%s%s", *r->variant ? ": " : "", r->variant)
                          : xstrdup_printf("io-bench%s%s%s", *r->variant ? ": " : "", r->variant,
                                           is_measured(r) ? "" : " (virtual clock)");
    if (!s) {
      rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
      break;
    }
    size_t k = 0;
    while (k < ns && strcmp(series[k], s) != 0) k++;
    if (k == ns) series[ns++] = s;
    else free(s);
    size_t b = 0;
    while (b < nb && strcmp(backends[b], r->backend) != 0) b++;
    if (b == nb) backends[nb++] = r->backend;
    ser_of[i] = k;
    be_of[i] = b;
    use[i] = true;
  }
  if (rc == TR_OK && nb == 0) rc = omit(rep, REPORT_STORAGE, "no run names a storage backend");
  else if (rc == TR_OK && nb == 1)
    rc = omit(rep, REPORT_STORAGE, "every run read from '%s': nothing to compare", backends[0]);
  else if (rc == TR_OK) {
    membuf d, b;
    rc = mb_open(&d);
    if (rc == TR_OK && (rc = mb_open(&b)) != TR_OK) free(mb_close(&d));
    static const char *const blocks[3] = {"epoch_s", "au_percent", "cost_usd"};
    static const char *const titles[3] = {"mean epoch time (s)", "accelerator utilization AU (%)",
                                          "cost per run (USD)"};
    int panels = 0;
    for (int q = 0; rc == TR_OK && q < 3; q++) {
      double ymax = 0;
      bool any = false;
      fprintf(d.f, "$%s << EOD\n\"backend\"", blocks[q]);
      for (size_t k = 0; k < ns; k++) {
        fputc(' ', d.f);
        gp_datastr(d.f, series[k]);
      }
      fputc('\n', d.f);
      for (size_t bi = 0; bi < nb; bi++) {
        gp_datastr(d.f, backends[bi]);
        for (size_t k = 0; k < ns; k++) {
          double sum = 0;
          int cnt = 0;
          for (size_t i = 0; i < n; i++) {
            if (!use[i] || ser_of[i] != k || be_of[i] != bi) continue;
            const run_record *r = &rep->rs.r[i];
            double v = q == 0 ? r->epoch_s : q == 1 ? r->au_percent : r->cost_usd;
            if (isfinite(v)) sum += v, cnt++;
          }
          if (cnt) {
            fputc(' ', d.f);
            gp_num(d.f, sum / cnt);
            if (sum / cnt > ymax) ymax = sum / cnt;
            any = true;
          } else {
            fputs(" ?", d.f);
          }
        }
        fputc('\n', d.f);
      }
      fputs("EOD\n", d.f);
      if (!any) continue;
      if (panels++ == 0)
        fputs("set multiplot layout 1,PANELS title 'Storage backends (mean over the runs of each series)'\n"
              "set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
              "set datafile missing '?'\nset grid ytics\nset xtics nomirror\nset key top left\n",
              b.f);
      else
        fputs("unset key\n", b.f);
      fputs("set title ", b.f);
      gp_quote(b.f, titles[q]);
      fprintf(b.f, "\nset yrange [0:%.10g]\n", q == 1 ? 115.0 : ymax > 0 ? ymax * 1.3 : 1.0);
      fprintf(b.f, "plot for [c=2:%zu] $%s using c:xtic(1) title columnheader\n", ns + 1, blocks[q]);
    }
    if (rc == TR_OK) {
      fputs("unset multiplot\n", b.f);
      char *body = mb_close(&b);
      /* the panel count is known only now */
      char *at = body ? strstr(body, "PANELS") : NULL;
      if (at) {
        char digit = (char)('0' + panels);
        memmove(at + 1, at + 6, strlen(at + 6) + 1);
        *at = digit;
      }
      char *caption = xstrdup_printf(
          "For each storage backend, the mean epoch time, AU (compute time / wall time of the epochs, DLIO's "
          "accelerator utilization) and total cost of the runs of each series: train runs per variant, io-bench "
          "runs (virtual clock: projected). Missing bars: that series did not run on that backend.");
      rc = set_figure(rep, REPORT_STORAGE, mb_close(&d), body, caption);
      if (rc == TR_OK && panels == 0) {
        free(rep->fig[REPORT_STORAGE].data);
        free(rep->fig[REPORT_STORAGE].body);
        free(rep->fig[REPORT_STORAGE].caption);
        rep->fig[REPORT_STORAGE].data = rep->fig[REPORT_STORAGE].body = rep->fig[REPORT_STORAGE].caption = NULL;
        rc = omit(rep, REPORT_STORAGE, "no run reports an epoch time, AU or cost");
      }
    } else if (d.f) {
      free(mb_close(&d));
      free(mb_close(&b));
    }
  }
  for (size_t k = 0; series && k < ns; k++) free(series[k]);
  free(series);
  free(backends);
  free(ser_of);
  free(be_of);
  free(use);
  return rc;
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
  if (rc == TR_OK) rc = plan_learning_curves(rep);
  if (rc == TR_OK) rc = plan_metric_cost(rep);
  if (rc == TR_OK) rc = plan_scaling(rep);
  if (rc == TR_OK) rc = plan_storage(rep);
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
  free(rep->dominated);
  results_free(&rep->rs);
  free(rep->dir);
  memset(rep, 0, sizeof *rep);
}

/* ---- gnuplot -------------------------------------------------------------------- */

char *report_gnuplot_script(const report_figure *f, const char *png, const char *svg) {
  membuf m;
  if (mb_open(&m) != TR_OK) return NULL;
  fputs("# written by tradeoff report\n", m.f);
  fputs(f->data ? f->data : "", m.f);
  fprintf(m.f,
          "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
          "  set terminal pngcairo size %d,%d noenhanced font 'Sans,10' background '#ffffff'\n"
          "} else {\n"
          "  set terminal png size %d,%d noenhanced\n"
          "}\n"
          "set output ",
          f->width, f->height, f->width, f->height);
  gp_quote(m.f, png);
  fprintf(m.f, "\n%s\nunset output\nreset\n", f->body ? f->body : "");
  fprintf(m.f, "set terminal svg size %d,%d noenhanced font 'Sans,10' background '#ffffff'\nset output ", f->width,
          f->height);
  gp_quote(m.f, svg);
  fprintf(m.f, "\n%s\nunset output\n", f->body ? f->body : "");
  return mb_close(&m);
}

/* One line from gnuplot's stderr: its last message, and the command it names. */
static void gnuplot_error(const char *err, char *buf, size_t n) {
  const char *lines[3] = {NULL, NULL, NULL};
  size_t lens[3] = {0, 0, 0}, count = 0;
  const char *first = NULL;
  size_t first_len = 0;
  for (const char *p = err; *p;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    const char *s = p;
    size_t l = len;
    while (l && (*s == ' ' || *s == '\t')) s++, l--;
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\r' || s[l - 1] == '\t')) l--;
    if (l && !(l == 1 && *s == '^')) {
      if (!first) first = s, first_len = l;
      lines[0] = lines[1], lens[0] = lens[1];
      lines[1] = lines[2], lens[1] = lens[2];
      lines[2] = s, lens[2] = l;
      count++;
    }
    p = e ? e + 1 : p + len;
  }
  if (!count) {
    snprintf(buf, n, "no message");
    return;
  }
  int w = (int)(lens[2] > 300 ? 300 : lens[2]);
  if (count >= 2 && first != lines[2])
    snprintf(buf, n, "%.*s (at: %.*s)", w, lines[2], (int)(first_len > 160 ? 160 : first_len), first);
  else
    snprintf(buf, n, "%.*s", w, lines[2]);
}

/* Runs gnuplot with script on its stdin; TR_EIO with its stderr when it fails. */
static tr_err run_gnuplot(const char *prog, const char *script, const char *what) {
  FILE *in = tmpfile(), *err = tmpfile();
  if (!in || !err) {
    int e = errno;
    if (in) fclose(in);
    if (err) fclose(err);
    return tr_error_set(TR_EIO, "report", "cannot create a temporary file: %s", strerror(e));
  }
  tr_err rc = TR_OK;
  if (fputs(script, in) < 0 || fflush(in) != 0 || fseek(in, 0, SEEK_SET) != 0)
    rc = tr_error_set(TR_EIO, "report", "cannot write the gnuplot script: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  bool fa_ok = rc == TR_OK && posix_spawn_file_actions_init(&fa) == 0;
  if (rc == TR_OK && !fa_ok) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  pid_t pid = 0;
  if (rc == TR_OK) {
    posix_spawn_file_actions_adddup2(&fa, fileno(in), 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(err), 1);
    posix_spawn_file_actions_adddup2(&fa, fileno(err), 2);
    char *argv[] = {(char *)prog, NULL};
    int e = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    if (e != 0)
      rc = tr_error_set(TR_EIO, "report",
                        "cannot run gnuplot ('%s'): %s (install gnuplot-nox, or set TRADEOFF_GNUPLOT)", prog,
                        strerror(e));
  }
  if (fa_ok) posix_spawn_file_actions_destroy(&fa);
  if (rc == TR_OK) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        rc = tr_error_set(TR_EIO, "report", "waiting for gnuplot: %s", strerror(errno));
        break;
      }
    }
    char text[65536];
    size_t len = 0;
    if (rc == TR_OK && fseek(err, 0, SEEK_SET) == 0) len = fread(text, 1, sizeof text - 1, err);
    text[len] = '\0';
    if (rc == TR_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      char msg[512];
      gnuplot_error(text, msg, sizeof msg);
      if (WIFEXITED(status))
        rc = tr_error_set(TR_EIO, "report", "gnuplot failed drawing %s (exit %d): %s", what, WEXITSTATUS(status), msg);
      else
        rc = tr_error_set(TR_EIO, "report", "gnuplot was killed by signal %d drawing %s", WTERMSIG(status), what);
    } else if (rc == TR_OK && len) {
      for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strspn(line, " \t\r^") < strlen(line))
          log_warn("gnuplot, drawing %s: %s", what, line + strspn(line, " \t"));
    }
  }
  fclose(in);
  fclose(err);
  return rc;
}

/* ---- Markdown and HTML -------------------------------------------------------------- */

static void md_cell(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '|' || *s == '$') fprintf(f, "\\%c", *s);
    else if (*s == '\n' || *s == '\r') fputc(' ', f);
    else fputc(*s, f);
  }
}

static void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fputc(*s, f);
    }
  }
}

/* Cells of one run's row, shared by both formats. */
typedef struct {
  char ranks[16], metric[32], time[32], cost[32], epochs[16];
  const char *variant, *backend, *instance, *spot, *stop, *pareto;
} row_cells;

static void cells_of(const report *rep, size_t i, row_cells *c) {
  const run_record *r = &rep->rs.r[i];
  snprintf(c->ranks, sizeof c->ranks, "%d", r->ranks);
  fmt_metric(*rep->metric ? results_metric(r, rep->metric) : NAN, c->metric, sizeof c->metric);
  fmt_time(r->time_s, c->time, sizeof c->time);
  fmt_usd(r->cost_usd, c->cost, sizeof c->cost);
  if (r->epochs_run > 0) snprintf(c->epochs, sizeof c->epochs, "%d", r->epochs_run);
  else snprintf(c->epochs, sizeof c->epochs, "-");
  c->variant = *r->variant ? r->variant : "-";
  c->backend = *r->backend ? r->backend : "-";
  c->instance = *r->instance ? r->instance : "-";
  c->spot = r->spot ? "spot" : "on-demand";
  c->stop = *r->stop_reason ? r->stop_reason : "-";
  bool has = *rep->metric && isfinite(results_metric(r, rep->metric));
  c->pareto = !has ? "-" : rep->dominated[i] ? "no" : "yes";
}

static const char *const columns[] = {"id", "variant", "backend", "ranks", "instance", "spot", "label", "METRIC",
                                      "time", "cost", "epochs", "stop reason", "Pareto"};
#define N_COLUMNS (sizeof columns / sizeof *columns)

static const char *column_name(const report *rep, size_t k) {
  return strcmp(columns[k], "METRIC") ? columns[k] : *rep->metric ? rep->metric : "metric";
}

static void row_values(const report *rep, size_t i, const row_cells *c, const char **v) {
  const run_record *r = &rep->rs.r[i];
  const char *vals[N_COLUMNS] = {r->id,     c->variant, c->backend, c->ranks,  c->instance, c->spot,  r->label,
                                 c->metric, c->time,    c->cost,    c->epochs, c->stop,     c->pareto};
  memcpy(v, vals, sizeof vals);
}

/* Indices of the Pareto runs, cheapest first (malloc'd; *n set). */
static size_t *pareto_runs(const report *rep, size_t *n) {
  size_t *idx = malloc((rep->rs.n ? rep->rs.n : 1) * sizeof *idx);
  *n = 0;
  if (!idx) return NULL;
  for (size_t i = 0; i < rep->rs.n; i++)
    if (*rep->metric && !rep->dominated[i]) idx[(*n)++] = i;
  for (size_t a = 1; a < *n; a++)
    for (size_t b = a; b > 0 && rep->rs.r[idx[b]].cost_usd < rep->rs.r[idx[b - 1]].cost_usd; b--) {
      size_t t = idx[b];
      idx[b] = idx[b - 1];
      idx[b - 1] = t;
    }
  return idx;
}

/* Summary sentences, shared by both formats (each malloc'd; NULL-terminated array). */
static char **summary_lines(const report *rep) {
  const run_records *rs = &rep->rs;
  size_t n_train = 0, n_io = 0, n_meas = 0, n_pareto = 0, n_metric = 0;
  double spent = 0;
  const run_record *best = NULL, *cheap = NULL, *fast = NULL;
  double best_v = NAN;
  bool lower = *rep->metric && results_lower_is_better(rep->metric);
  for (size_t i = 0; i < rs->n; i++) {
    const run_record *r = &rs->r[i];
    if (is_train(r)) n_train++;
    else n_io++;
    if (is_measured(r)) {
      n_meas++;
      if (isfinite(r->cost_usd)) spent += r->cost_usd;
    }
    double v = *rep->metric ? results_metric(r, rep->metric) : NAN;
    if (*rep->metric && !isfinite(v)) continue;
    n_metric++;
    if (*rep->metric && !rep->dominated[i]) n_pareto++;
    if (*rep->metric && (!best || (lower ? v < best_v : v > best_v))) best = r, best_v = v;
    if (isfinite(r->cost_usd) && (!cheap || r->cost_usd < cheap->cost_usd)) cheap = r;
    if (isfinite(r->time_s) && (!fast || r->time_s < fast->time_s)) fast = r;
  }
  char **l = calloc(8, sizeof *l);
  if (!l) return NULL;
  size_t k = 0;
  char usd[32], t[32], mv[32];
  l[k++] = xstrdup_printf("%zu runs: %zu train, %zu io-bench; %zu measured, %zu projected (estimates, not "
                          "measured).",
                          rs->n, n_train, n_io, n_meas, rs->n - n_meas);
  if (*rep->metric)
    l[k++] = xstrdup_printf("Metric: test %s (%s is better), reported by %zu run%s.", rep->metric,
                            lower ? "lower" : "higher", n_metric, n_metric == 1 ? "" : "s");
  if (best) {
    fmt_metric(best_v, mv, sizeof mv);
    fmt_usd(best->cost_usd, usd, sizeof usd);
    fmt_time(best->time_s, t, sizeof t);
    l[k++] = xstrdup_printf("Best %s: %s (%s, %s) with %s, at %s in %s.", rep->metric, best->id,
                            *best->variant ? best->variant : best->kind, best->label, mv, usd, t);
  }
  if (cheap) {
    const char *what = *cheap->variant ? cheap->variant : cheap->kind;
    fmt_usd(cheap->cost_usd, usd, sizeof usd);
    fmt_metric(*rep->metric ? results_metric(cheap, rep->metric) : NAN, mv, sizeof mv);
    if (*rep->metric)
      l[k++] = xstrdup_printf("Cheapest: %s (%s) at %s, %s %s.", cheap->id, what, usd, rep->metric, mv);
    else
      l[k++] = xstrdup_printf("Cheapest: %s (%s) at %s.", cheap->id, what, usd);
  }
  if (fast) {
    fmt_time(fast->time_s, t, sizeof t);
    l[k++] = xstrdup_printf("Fastest: %s (%s) in %s.", fast->id, *fast->variant ? fast->variant : fast->kind, t);
  }
  if (*rep->metric)
    l[k++] = xstrdup_printf("Pareto set over (%s, cost, time): %zu of %zu runs.", rep->metric, n_pareto, n_metric);
  fmt_usd(spent, usd, sizeof usd);
  l[k++] = xstrdup_printf("Measured runs cost %s in total.", usd);
  for (size_t i = 0; i < k; i++)
    if (!l[i]) {
      for (size_t j = 0; j < k; j++) free(l[j]);
      free(l);
      return NULL;
    }
  return l;
}

static void lines_free(char **l) {
  for (size_t i = 0; l && l[i]; i++) free(l[i]);
  free(l);
}

static tr_err finish(FILE *f, char **lines, size_t *idx) {
  lines_free(lines);
  free(idx);
  return fflush(f) == 0 && !ferror(f) ? TR_OK : tr_error_set(TR_EIO, "report", "write failed: %s", strerror(errno));
}

tr_err report_write_md(const report *rep, FILE *f) {
  char **sum = summary_lines(rep);
  size_t n_par = 0, *par = pareto_runs(rep, &n_par);
  if (!sum || !par) {
    lines_free(sum);
    free(par);
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  fputs("# Tradeoff report: ", f);
  md_cell(f, rep->dir);
  fputs("\n\n## Summary\n\n", f);
  for (size_t i = 0; sum[i]; i++) {
    fputs("- ", f);
    md_cell(f, sum[i]);
    fputc('\n', f);
  }
  for (size_t i = 0; i < rep->n_notes; i++) {
    fputs("- Note: ", f);
    md_cell(f, rep->notes[i]);
    fputc('\n', f);
  }
  for (int k = 0; k < REPORT_FIGURES; k++)
    if (rep->fig[k].omitted) fprintf(f, "- Figure \"%s\" left out: %s.\n", rep->fig[k].title, rep->fig[k].omitted);
  fputs("\n## Runs\n\n|", f);
  for (size_t k = 0; k < N_COLUMNS; k++) fprintf(f, " %s |", column_name(rep, k));
  fputs("\n|", f);
  for (size_t k = 0; k < N_COLUMNS; k++) fputs(k == 3 || (k >= 7 && k <= 10) ? " ---: |" : " --- |", f);
  fputc('\n', f);
  for (size_t i = 0; i < rep->rs.n; i++) {
    row_cells c;
    const char *v[N_COLUMNS];
    cells_of(rep, i, &c);
    row_values(rep, i, &c, v);
    fputc('|', f);
    for (size_t k = 0; k < N_COLUMNS; k++) {
      fputc(' ', f);
      md_cell(f, v[k]);
      fputs(" |", f);
    }
    fputc('\n', f);
  }
  fputs("\n## Pareto set\n\n", f);
  if (!*rep->metric) {
    fputs("No run reports a test metric: no Pareto set.\n", f);
  } else {
    fprintf(f, "Runs no other run beats in %s, cost and time at once, cheapest first.\n\n", rep->metric);
    fprintf(f, "| id | variant | backend | ranks | instance | label | %s | time | cost |\n", rep->metric);
    fputs("| --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: |\n", f);
    for (size_t j = 0; j < n_par; j++) {
      row_cells c;
      size_t i = par[j];
      cells_of(rep, i, &c);
      const char *v[] = {rep->rs.r[i].id, c.variant, c.backend, c.ranks, c.instance, rep->rs.r[i].label, c.metric,
                         c.time, c.cost};
      fputc('|', f);
      for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        fputc(' ', f);
        md_cell(f, v[k]);
        fputs(" |", f);
      }
      fputc('\n', f);
    }
  }
  fputs("\n## Figures\n", f);
  for (int k = 0; k < REPORT_FIGURES; k++) {
    const report_figure *g = &rep->fig[k];
    fprintf(f, "\n### %s\n\n", g->title);
    if (g->omitted) {
      fprintf(f, "Not drawn: %s.\n", g->omitted);
      continue;
    }
    fprintf(f, "![%s](%s.png)\n\n%s ([SVG](%s.svg))\n", g->title, g->name, g->caption, g->name);
  }
  return finish(f, sum, par);
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1240px;"
    "padding:0 1em;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:.9em;margin:.6em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;white-space:nowrap}"
    "th{background:#f2f4f7}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.dominated td{color:#777}tr.pareto td:first-child{font-weight:600}"
    ".projected{font-style:italic}.note{color:#8a5a00}.omitted{color:#8a5a00;font-style:italic}"
    "figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:.9em;color:#444;max-width:70em}code{background:#f4f4f4;padding:0 .2em}";

static void html_table_head(FILE *f, const char *const *names, size_t n) {
  fputs("<table>\n<tr>", f);
  for (size_t k = 0; k < n; k++) {
    fputs("<th>", f);
    html_text(f, names[k]);
    fputs("</th>", f);
  }
  fputs("</tr>\n", f);
}

static void html_row(FILE *f, const char *cls, const char *const *v, size_t n, const bool *numeric) {
  fprintf(f, "<tr class=\"%s\">", cls);
  for (size_t k = 0; k < n; k++) {
    fputs(numeric[k] ? "<td class=\"n\">" : "<td>", f);
    html_text(f, v[k]);
    fputs("</td>", f);
  }
  fputs("</tr>\n", f);
}

tr_err report_write_html(const report *rep, FILE *f) {
  char **sum = summary_lines(rep);
  size_t n_par = 0, *par = pareto_runs(rep, &n_par);
  if (!sum || !par) {
    lines_free(sum);
    free(par);
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Tradeoff report: ",
        f);
  html_text(f, rep->dir);
  fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Tradeoff report</h1>\n<p>Sweep <code>", css);
  html_text(f, rep->dir);
  fputs("</code> (results.jsonl), written by <code>tradeoff report</code>.</p>\n"
        "<h2 id=\"summary\">Summary</h2>\n<ul>\n",
        f);
  for (size_t i = 0; sum[i]; i++) {
    fputs("<li>", f);
    html_text(f, sum[i]);
    fputs("</li>\n", f);
  }
  for (size_t i = 0; i < rep->n_notes; i++) {
    fputs("<li class=\"note\">Note: ", f);
    html_text(f, rep->notes[i]);
    fputs("</li>\n", f);
  }
  for (int k = 0; k < REPORT_FIGURES; k++) {
    if (!rep->fig[k].omitted) continue;
    fputs("<li class=\"omitted\">Figure &ldquo;", f);
    html_text(f, rep->fig[k].title);
    fputs("&rdquo; left out: ", f);
    html_text(f, rep->fig[k].omitted);
    fputs(".</li>\n", f);
  }
  fputs("</ul>\n<h2 id=\"runs\">Runs</h2>\n", f);
  const char *names[N_COLUMNS];
  bool numeric[N_COLUMNS] = {0};
  for (size_t k = 0; k < N_COLUMNS; k++) {
    names[k] = column_name(rep, k);
    numeric[k] = k == 3 || (k >= 7 && k <= 10);
  }
  html_table_head(f, names, N_COLUMNS);
  for (size_t i = 0; i < rep->rs.n; i++) {
    row_cells c;
    const char *v[N_COLUMNS];
    cells_of(rep, i, &c);
    row_values(rep, i, &c, v);
    char cls[48];
    const char *kind = !strcmp(c.pareto, "yes") ? "pareto" : !strcmp(c.pareto, "no") ? "dominated" : "other";
    snprintf(cls, sizeof cls, "%s%s", kind, is_measured(&rep->rs.r[i]) ? "" : " projected");
    html_row(f, cls, v, N_COLUMNS, numeric);
  }
  fputs("</table>\n<h2 id=\"pareto\">Pareto set</h2>\n", f);
  if (!*rep->metric) {
    fputs("<p>No run reports a test metric: no Pareto set.</p>\n", f);
  } else {
    fputs("<p>Runs no other run beats in ", f);
    html_text(f, rep->metric);
    fputs(", cost and time at once, cheapest first.</p>\n", f);
    const char *pn[] = {"id", "variant", "backend", "ranks", "instance", "label", rep->metric, "time", "cost"};
    bool pnum[] = {0, 0, 0, 1, 0, 0, 1, 1, 1};
    html_table_head(f, pn, 9);
    for (size_t j = 0; j < n_par; j++) {
      row_cells c;
      size_t i = par[j];
      cells_of(rep, i, &c);
      const char *v[] = {rep->rs.r[i].id, c.variant, c.backend, c.ranks, c.instance, rep->rs.r[i].label, c.metric,
                         c.time, c.cost};
      html_row(f, is_measured(&rep->rs.r[i]) ? "pareto" : "pareto projected", v, 9, pnum);
    }
    fputs("</table>\n", f);
  }
  fputs("<h2 id=\"figures\">Figures</h2>\n", f);
  for (int k = 0; k < REPORT_FIGURES; k++) {
    const report_figure *g = &rep->fig[k];
    fprintf(f, "<h3 id=\"%s\">", g->name);
    html_text(f, g->title);
    fputs("</h3>\n", f);
    if (g->omitted) {
      fputs("<p class=\"omitted\">Not drawn: ", f);
      html_text(f, g->omitted);
      fputs(".</p>\n", f);
      continue;
    }
    fprintf(f, "<figure>\n<a href=\"%s.svg\"><img src=\"%s.png\" width=\"%d\" height=\"%d\" alt=\"", g->name, g->name,
            g->width, g->height);
    html_text(f, g->title);
    fputs("\"></a>\n<figcaption>", f);
    html_text(f, g->caption);
    fprintf(f, " (<a href=\"%s.svg\">SVG</a>)</figcaption>\n</figure>\n", g->name);
  }
  fputs("</body>\n</html>\n", f);
  return finish(f, sum, par);
}

/* ---- writing ---------------------------------------------------------------------- */

tr_err report_write(const report *rep, const char *out_dir, const char *gnuplot) {
  if (!gnuplot) gnuplot = getenv("TRADEOFF_GNUPLOT");
  if (!gnuplot || !*gnuplot) gnuplot = "gnuplot";
  tr_err rc = tr_mkdir_p(out_dir);
  if (rc != TR_OK) return rc;
  char *final[REPORT_FIGURES][2] = {{NULL}}, *tmp[REPORT_FIGURES][2] = {{NULL}};
  static const char *const ext[2] = {"png", "svg"};
  for (int k = 0; rc == TR_OK && k < REPORT_FIGURES; k++) {
    for (int e = 0; e < 2; e++) {
      final[k][e] = xstrdup_printf("%s/%s.%s", out_dir, rep->fig[k].name, ext[e]);
      tmp[k][e] = final[k][e] ? tr_tmp_name(final[k][e]) : NULL;
      if (!tmp[k][e]) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
    }
  }
  for (int k = 0; rc == TR_OK && k < REPORT_FIGURES; k++) {
    if (rep->fig[k].omitted) continue;
    char *script = report_gnuplot_script(&rep->fig[k], tmp[k][0], tmp[k][1]);
    if (!script) {
      rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
      break;
    }
    char what[64];
    snprintf(what, sizeof what, "%s.png", rep->fig[k].name);
    rc = run_gnuplot(gnuplot, script, what);
    free(script);
    for (int e = 0; rc == TR_OK && e < 2; e++) {
      struct stat st;
      if (stat(tmp[k][e], &st) != 0 || st.st_size == 0)
        rc = tr_error_set(TR_EIO, "report", "gnuplot wrote no %s.%s (is its %s terminal missing?)", rep->fig[k].name,
                          ext[e], e ? "svg" : "png");
    }
  }
  tr_atomic md = {0}, html = {0};
  char *md_path = xstrdup_printf("%s/report.md", out_dir), *html_path = xstrdup_printf("%s/report.html", out_dir);
  if (rc == TR_OK && (!md_path || !html_path)) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  if (rc == TR_OK) rc = tr_atomic_open(&md, md_path);
  if (rc == TR_OK) rc = report_write_md(rep, md.fp);
  if (rc == TR_OK) rc = tr_atomic_open(&html, html_path);
  if (rc == TR_OK) rc = report_write_html(rep, html.fp);
  /* everything is written: move the figures into place, then the pages that show them */
  for (int k = 0; rc == TR_OK && k < REPORT_FIGURES; k++)
    for (int e = 0; rc == TR_OK && e < 2 && !rep->fig[k].omitted; e++) rc = tr_rename_durable(tmp[k][e], final[k][e]);
  if (rc == TR_OK) rc = tr_atomic_commit(&md);
  if (rc == TR_OK) rc = tr_atomic_commit(&html);
  if (rc != TR_OK) {
    tr_atomic_abort(&md);
    tr_atomic_abort(&html);
  }
  for (int k = 0; k < REPORT_FIGURES; k++)
    for (int e = 0; e < 2; e++) {
      if (tmp[k][e]) unlink(tmp[k][e]);
      /* a figure an earlier report drew and this one leaves out would mislead */
      if (rc == TR_OK && rep->fig[k].omitted && final[k][e]) unlink(final[k][e]);
      free(tmp[k][e]);
      free(final[k][e]);
    }
  free(md_path);
  free(html_path);
  return rc;
}
