/* The report of a sweep, planning its figures: each as gnuplot datablocks (the data) and
 * the commands that draw them (the body), with a caption, or a sentence on why it is left
 * out. Learning curves (history.csv, best epoch marked), metric vs cost (the Pareto set
 * and its staircase) and the storage backends are planned here; speedup and cost vs ranks
 * in report_scaling.c. Nothing here runs gnuplot (report_gnuplot.c does). */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/report_internal.h"

/* At most this many learning curves in one figure (Pareto runs first). */
#define MAX_CURVES 12
/* Every point of metric-vs-cost carries its label up to this many points (else the
 * Pareto points only). */
#define MAX_LABELS 16
/* The plot area of metric-vs-cost in fractions of the figure (left, right, bottom, top):
 * fixed, as its axis ranges are, so that the labels are placed at the scale gnuplot draws
 * at; the key stands right of it. */
static const double mc_area[4] = {0.08, 0.70, 0.11, 0.91};
/* The labels' font (',8' of the figure's Sans, cairo): about this many pixels a character
 * and a line. */
#define LABEL_CHAR_PX 6.4
#define LABEL_LINE_PX 12.0

/* ---- shared by the figures (report_internal.h) ---------------------------------- */

/* Tableau 10, the matplotlib default cycle: one colour per run or configuration. */
static const unsigned palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

unsigned report_color(size_t i) { return palette[i % (sizeof palette / sizeof *palette)]; }

tr_err report_omit(report *rep, int k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = report_vprintf(fmt, ap);
  va_end(ap);
  if (!s) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  rep->fig[k].omitted = s;
  return TR_OK;
}

tr_err report_set_figure(report *rep, int k, char *data, char *body, char *caption) {
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

/* ---- learning curves ---------------------------------------------------------------- */

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
    return report_omit(rep, REPORT_LEARNING_CURVES, "no measured train run with a history.csv in %s%s", rep->dir,
                       rep->rs.n ? "" : " (no runs)");
  /* the Pareto runs first, then in the order of results.jsonl */
  report_curve *sorted = malloc(rep->n_curves * sizeof *sorted);
  if (!sorted) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  memcpy(sorted, rep->curves, rep->n_curves * sizeof *sorted);
  qsort_r(sorted, rep->n_curves, sizeof *sorted, by_pareto_then_index, rep);
  size_t shown = rep->n_curves < MAX_CURVES ? rep->n_curves : MAX_CURVES;
  report_buf d, b;
  if (report_bufs_open(&d, &b) != TR_OK) {
    free(sorted);
    return TR_ENOMEM;
  }
  size_t n_best = 0;
  for (size_t i = 0; i < shown; i++) {
    const report_curve *c = &sorted[i];
    fprintf(d.f, "$curve%zu << EOD\n", i + 1);
    for (size_t j = 0; j < c->n; j++) {
      report_gp_num(d.f, c->epoch[j]);
      fputc(' ', d.f);
      report_gp_num(d.f, c->train_loss[j]);
      fputc(' ', d.f);
      report_gp_num(d.f, c->val_loss[j]);
      fputc('\n', d.f);
    }
    fputs("EOD\n", d.f);
  }
  fputs("$best << EOD\n", d.f);
  for (size_t i = 0; i < shown; i++) {
    long j = best_row(rep, &sorted[i]);
    if (j < 0 || !isfinite(sorted[i].val_loss[j])) continue;
    report_gp_num(d.f, sorted[i].epoch[j]);
    fputc(' ', d.f);
    report_gp_num(d.f, sorted[i].val_loss[j]);
    fprintf(d.f, " %u\n", report_color(i));
    n_best++;
  }
  fputs("EOD\n", d.f);
  fputs("set title 'Learning curves (solid: train loss, dashed: validation loss)'\n"
        "set xlabel 'epoch'\nset ylabel 'loss'\nset grid\nset key outside right top\n"
        "set xtics nomirror\nset format x '%g'\nplot ",
        b.f);
  for (size_t i = 0; i < shown; i++) {
    fprintf(b.f, "$curve%zu using 1:2 with lines lw 2 lc rgb '#%06x' title ", i + 1, report_color(i));
    report_gp_quote(b.f, rep->labels[sorted[i].run]);
    fprintf(b.f, ", \\\n     $curve%zu using 1:3 with lines lw 2 dt 2 lc rgb '#%06x' notitle, \\\n     ", i + 1,
            report_color(i));
  }
  if (n_best)
    fputs("$best using 1:2:3 with points pt 7 ps 1.8 lc rgb variable "
          "title 'best epoch (weights kept)', \\\n     ",
          b.f);
  fputs("NaN with lines lw 2 lc 'black' title 'train loss', \\\n"
        "     NaN with lines lw 2 dt 2 lc 'black' title 'validation loss'\n",
        b.f);
  char *caption = report_printf(
      "Training and validation loss per epoch of %zu measured train run%s (history.csv); the filled dot marks the "
      "best epoch, whose weights early stopping kept.%s",
      shown, shown == 1 ? "" : "s",
      shown < rep->n_curves ? " Only the first runs are drawn (Pareto runs first); the table lists all." : "");
  free(sorted);
  if (shown < rep->n_curves) {
    tr_err rc = report_note(rep, "Learning curves: %zu of %zu runs drawn (Pareto runs first).", shown, rep->n_curves);
    if (rc != TR_OK) {
      free(caption);
      free(report_buf_close(&d));
      free(report_buf_close(&b));
      return rc;
    }
  }
  return report_set_figure(rep, REPORT_LEARNING_CURVES, report_buf_close(&d), report_buf_close(&b), caption);
}

/* ---- metric vs cost ----------------------------------------------------------------- */

typedef struct {
  double cost, metric;
  size_t run;
} mc_point;

static int by_cost(const void *a, const void *b) {
  const mc_point *x = a, *y = b;
  if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
  return x->run < y->run ? -1 : x->run > y->run;
}

/* Datablock $name of the points p[0..n): cost metric (the labels are in mc_labels' blocks). */
static void mc_block(FILE *f, const char *name, const mc_point *p, size_t n) {
  fprintf(f, "$%s << EOD\n", name);
  for (size_t i = 0; i < n; i++) {
    report_gp_num(f, p[i].cost);
    fputc(' ', f);
    report_gp_num(f, p[i].metric);
    fputc('\n', f);
  }
  fputs("EOD\n", f);
}

/* An axis as the figure draws it: its range, linear or logarithmic. */
typedef struct {
  double lo, hi;
  bool log;
} mc_axis;

/* Where v stands on a, 0 at lo to 1 at hi; and back. */
static double axis_frac(const mc_axis *a, double v) {
  return a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : (v - a->lo) / (a->hi - a->lo);
}
static double axis_value(const mc_axis *a, double t) {
  return a->log ? pow(10, log10(a->lo) + t * (log10(a->hi) - log10(a->lo))) : a->lo + t * (a->hi - a->lo);
}

/* The range of values min..max with a margin of lo_pad and hi_pad of the span (in decades
 * on a log axis); one value: a range around it. */
static mc_axis axis_of(double min, double max, bool log, double lo_pad, double hi_pad) {
  mc_axis a = {min, max, log};
  if (log) {
    double span = log10(max) - log10(min);
    a.lo = pow(10, log10(min) - lo_pad * span);
    a.hi = pow(10, log10(max) + hi_pad * span);
  } else if (min == max) {
    a.lo = min > 0 ? min * 0.5 : min - 1;
    a.hi = min > 0 ? min * 1.5 : min + 1;
  } else {
    a.lo = min - lo_pad * (max - min);
    a.hi = max + hi_pad * (max - min);
  }
  return a;
}

/* Characters of UTF-8 text. */
static size_t text_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
  return n;
}

/* The labels of metric-vs-cost, placed (report_place_labels) at the figure's scale: the
 * Pareto points' first, then the others' while there are at most MAX_LABELS points.
 * Writes the datablocks $label_right, $label_left (Pareto) and $label_right_dominated,
 * $label_left_dominated (x y "text": right of its point, or left of it and right-aligned)
 * and $leaders (point x y, label x y) into d, the plot clauses that draw the leaders into
 * lead (drawn under the markers) and those of the labels into text; *left_out: labels
 * with no place clear of the others (not drawn), of *labelled. TR_ENOMEM (recorded). */
static tr_err mc_labels(const report *rep, const mc_point *all, size_t n_all, const mc_axis *ax, const mc_axis *ay,
                        FILE *d, FILE *lead, FILE *text, size_t *left_out, size_t *labelled) {
  const report_figure *fig = &rep->fig[REPORT_METRIC_COST];
  double w = (mc_area[1] - mc_area[0]) * fig->width, h = (mc_area[3] - mc_area[2]) * fig->height;
  report_label_box *l = calloc(n_all ? n_all : 1, sizeof *l);
  size_t *of = calloc(n_all ? n_all : 1, sizeof *of);
  double *mk = calloc(2 * (n_all ? n_all : 1), sizeof *mk);
  size_t n = 0, n_mk = 0;
  tr_err rc = l && of && mk ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n_all; i++) {
    if (ax->log && !(all[i].cost > 0)) continue; /* not drawn on a log axis */
    double x = axis_frac(ax, all[i].cost) * w, y = axis_frac(ay, all[i].metric) * h;
    mk[2 * n_mk] = x, mk[2 * n_mk + 1] = y, n_mk++;
    bool dominated = rep->dominated[all[i].run];
    if (dominated && n_all > MAX_LABELS) continue;
    l[n] = (report_label_box){.x = x, .y = y, .w = LABEL_CHAR_PX * (double)text_chars(rep->labels[all[i].run]) + 2,
                              .h = LABEL_LINE_PX, .priority = dominated};
    of[n++] = all[i].run;
  }
  if (rc == TR_OK) rc = report_place_labels(l, n, mk, n_mk, w, h);
  *labelled = n;
  *left_out = 0;
  for (size_t j = 0; rc == TR_OK && j < n; j++) *left_out += !l[j].placed;
  if (rc == TR_OK) {
    static const char *const blocks[4] = {"label_right", "label_left", "label_right_dominated",
                                          "label_left_dominated"};
    size_t counts[4] = {0}, leaders = 0;
    for (int k = 0; k < 4; k++) {
      fprintf(d, "$%s << EOD\n", blocks[k]);
      for (size_t j = 0; j < n; j++) {
        if (!l[j].placed || (rep->dominated[of[j]] ? 2 : 0) + l[j].left_of != k) continue;
        report_gp_num(d, axis_value(ax, l[j].lx / w));
        fputc(' ', d);
        report_gp_num(d, axis_value(ay, l[j].ly / h));
        fputc(' ', d);
        report_gp_datastr(d, rep->labels[of[j]]);
        fputc('\n', d);
        counts[k]++;
      }
      fputs("EOD\n", d);
    }
    fputs("$leaders << EOD\n", d);
    for (size_t j = 0; j < n; j++) {
      if (!l[j].placed || !l[j].leader) continue;
      const double v[4] = {axis_value(ax, l[j].x / w), axis_value(ay, l[j].y / h), axis_value(ax, l[j].lx / w),
                           axis_value(ay, l[j].ly / h)};
      for (int k = 0; k < 4; k++) {
        if (k) fputc(' ', d);
        report_gp_num(d, v[k]);
      }
      fputc('\n', d);
      leaders++;
    }
    fputs("EOD\n", d);
    if (leaders)
      fputs(", \\\n     $leaders using 1:2:($3-$1):($4-$2) with vectors nohead lw 1 lc rgb '#bbbbbb' notitle", lead);
    for (int k = 0; k < 4; k++)
      if (counts[k])
        fprintf(text, ", \\\n     $%s using 1:2:3 with labels %s font ',8' tc rgb '%s' notitle", blocks[k],
                k % 2 ? "right" : "left", k < 2 ? "#222222" : "#888888");
  }
  free(l);
  free(of);
  free(mk);
  return rc;
}

static tr_err plan_metric_cost(report *rep) {
  const char *m = rep->metric;
  if (!*m) return report_omit(rep, REPORT_METRIC_COST, "no run reports a test metric");
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
    int g = (rep->dominated[i] ? 2 : 0) + (report_is_measured(r) ? 0 : 1);
    groups[g][cnt[g]++] = p;
    if (r->cost_usd > 0 && r->cost_usd < lo) lo = r->cost_usd;
    if (r->cost_usd > hi) hi = r->cost_usd;
    c_min = fmin(c_min, r->cost_usd), c_max = fmax(c_max, r->cost_usd);
    m_min = fmin(m_min, v), m_max = fmax(m_max, v);
  }
  tr_err rc = ok ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
  if (rc == TR_OK && n_all == 0) rc = report_omit(rep, REPORT_METRIC_COST, "no run reports both %s and a cost", m);
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
  report_buf d, b, labels;
  if ((rc = report_bufs_open(&d, &b)) != TR_OK) goto done;
  if ((rc = report_buf_open(&labels)) != TR_OK) {
    free(report_buf_close(&d));
    free(report_buf_close(&b));
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
  mc_block(d.f, "frontier", front, n_front);
  for (int g = 0; g < 4; g++) mc_block(d.f, names[g], groups[g], cnt[g]);
  fputs("set title ", b.f);
  char *t = report_printf("test %s vs cost per run (%s is better)", m, lower ? "lower" : "higher");
  report_gp_quote(b.f, t ? t : m);
  free(t);
  fputs("\nset xlabel 'cost per run (USD)'\nset ylabel ", b.f);
  report_gp_quote(b.f, m);
  /* fixed margins and ranges: the scale the labels were placed at */
  bool logx = isfinite(lo) && hi / lo > 30;
  mc_axis ax = axis_of(logx ? lo : c_min, c_max, logx, 0.04, 0.08);
  mc_axis ay = m_min == m_max ? (mc_axis){m_min - 0.05 * fabs(m_min) - 0.01, m_max + 0.05 * fabs(m_max) + 0.01, false}
                              : axis_of(m_min, m_max, false, 0.08, 0.10);
  fprintf(b.f, "\nset grid\nset key outside right top\nset format x '%%g'\n"
               "set lmargin at screen %g\nset rmargin at screen %g\nset bmargin at screen %g\n"
               "set tmargin at screen %g\n",
          mc_area[0], mc_area[1], mc_area[2], mc_area[3]);
  if (logx) fputs("set logscale x\n", b.f);
  fprintf(b.f, "set xrange [%.10g:%.10g]\nset yrange [%.10g:%.10g]\n", ax.lo, ax.hi, ay.lo, ay.hi);
  fputs("plot $frontier using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'Pareto frontier (metric, cost)'", b.f);
  /* labels next to the Pareto points, and next to every point while they stay legible */
  size_t left_out = 0, labelled = 0;
  rc = mc_labels(rep, all, n_all, &ax, &ay, d.f, b.f, labels.f, &left_out, &labelled);
  for (int g = 0; g < 4; g++)
    if (cnt[g]) fprintf(b.f, ", \\\n     $%s using 1:2 with points %s", names[g], styles[g]);
  char *text = report_buf_close(&labels);
  fprintf(b.f, "%s\n", text ? text : "");
  if (!text && rc == TR_OK) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  free(text);
  char *caption = report_printf(
      "Test %s against the total cost of each run, each labelled by what sets it apart from the other runs (the "
      "tables give each run's label beside its id, in their \"figure label\" column). Filled markers: the "
      "Pareto set over (%s, cost, time), no other run is as good in all three and better in one; open markers: "
      "dominated runs; triangles: projected (estimated) runs. The green staircase is the best %s each budget "
      "buys. A Pareto run that looks dominated here is faster than the runs that beat it.%s",
      m, m, m, left_out ? " Labels with no room clear of the others are left out" : "");
  if (caption && left_out) { /* NULL when out of memory: report_set_figure says so */
    char *full = report_printf("%s (%zu of %zu).", caption, left_out, labelled);
    free(caption);
    caption = full;
  }
  if (rc == TR_OK) rc = report_set_figure(rep, REPORT_METRIC_COST, report_buf_close(&d), report_buf_close(&b), caption);
  else {
    free(caption);
    free(report_buf_close(&d));
    free(report_buf_close(&b));
  }
done:
  free(all);
  free(front);
  for (int g = 0; g < 4; g++) free(groups[g]);
  return rc;
}


/* ---- storage backends --------------------------------------------------------------- */

/* The runs the storage figure shows: its series (train runs of one variant, io-bench runs
 * measured or on the virtual clock), its backends, and the series and backend of each run
 * used (use[i]). */
typedef struct {
  const char **backends; /* borrowed from the records */
  char **series;
  size_t *ser_of, *be_of;
  bool *use;
  size_t nb, ns;
} storage_runs;

static void storage_runs_free(storage_runs *s) {
  for (size_t k = 0; s->series && k < s->ns; k++) free(s->series[k]);
  free(s->series);
  free(s->backends);
  free(s->ser_of);
  free(s->be_of);
  free(s->use);
}

static tr_err storage_collect(const report *rep, storage_runs *s) {
  size_t n = rep->rs.n;
  memset(s, 0, sizeof *s);
  s->backends = calloc(n ? n : 1, sizeof *s->backends);
  s->series = calloc(n ? n : 1, sizeof *s->series);
  s->ser_of = calloc(n ? n : 1, sizeof *s->ser_of);
  s->be_of = calloc(n ? n : 1, sizeof *s->be_of);
  s->use = calloc(n ? n : 1, sizeof *s->use);
  if (!s->backends || !s->series || !s->ser_of || !s->be_of || !s->use)
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; i < n; i++) {
    const run_record *r = &rep->rs.r[i];
    /* projected train lines are rightsizing estimates (other instances), not storage data */
    if (!*r->backend || (report_is_train(r) && !report_is_measured(r))) continue;
    char *name = report_is_train(r) ? report_printf("train%s%s", *r->variant ? ": " : "", r->variant)
                                    : report_printf("io-bench%s%s%s", *r->variant ? ": " : "", r->variant,
                                                    report_is_measured(r) ? "" : " (virtual clock)");
    if (!name) return tr_error_set(TR_ENOMEM, "report", "out of memory");
    size_t k = 0;
    while (k < s->ns && strcmp(s->series[k], name) != 0) k++;
    if (k == s->ns) s->series[s->ns++] = name;
    else free(name);
    size_t b = 0;
    while (b < s->nb && strcmp(s->backends[b], r->backend) != 0) b++;
    if (b == s->nb) s->backends[s->nb++] = r->backend;
    s->ser_of[i] = k;
    s->be_of[i] = b;
    s->use[i] = true;
  }
  return TR_OK;
}

/* Datablock $name of quantity q (0 epoch_s, 1 au_percent, 2 cost_usd): one row per
 * backend, the mean of each series ('?' where it has none). Whether any mean exists;
 * *ymax: the largest (0 when none is positive). */
static bool storage_block(FILE *d, const report *rep, const storage_runs *s, int q, const char *name,
                          double *ymax) {
  bool any = false;
  *ymax = 0;
  fprintf(d, "$%s << EOD\n\"backend\"", name);
  for (size_t k = 0; k < s->ns; k++) {
    fputc(' ', d);
    report_gp_datastr(d, s->series[k]);
  }
  fputc('\n', d);
  for (size_t bi = 0; bi < s->nb; bi++) {
    report_gp_datastr(d, s->backends[bi]);
    for (size_t k = 0; k < s->ns; k++) {
      double sum = 0;
      int cnt = 0;
      for (size_t i = 0; i < rep->rs.n; i++) {
        if (!s->use[i] || s->ser_of[i] != k || s->be_of[i] != bi) continue;
        const run_record *r = &rep->rs.r[i];
        double v = q == 0 ? r->epoch_s : q == 1 ? r->au_percent : r->cost_usd;
        if (isfinite(v)) sum += v, cnt++;
      }
      if (cnt) {
        fputc(' ', d);
        report_gp_num(d, sum / cnt);
        if (sum / cnt > *ymax) *ymax = sum / cnt;
        any = true;
      } else {
        fputs(" ?", d);
      }
    }
    fputc('\n', d);
  }
  fputs("EOD\n", d);
  return any;
}

/* The figure: one histogram panel per quantity some run reports. */
static tr_err storage_figure(report *rep, const storage_runs *s) {
  report_buf d, b;
  tr_err rc = report_bufs_open(&d, &b);
  if (rc != TR_OK) return rc;
  static const char *const blocks[3] = {"epoch_s", "au_percent", "cost_usd"};
  static const char *const titles[3] = {"mean epoch time (s)", "accelerator utilization AU (%)",
                                        "cost per run (USD)"};
  int panels = 0;
  for (int q = 0; q < 3; q++) {
    double ymax;
    if (!storage_block(d.f, rep, s, q, blocks[q], &ymax)) continue;
    if (panels++ == 0)
      fputs("set multiplot layout 1,PANELS title 'Storage backends (mean over the runs of each series)'\n"
            "set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
            "set datafile missing '?'\nset grid ytics\nset xtics nomirror\nset key top left\n",
            b.f);
    else
      fputs("unset key\n", b.f);
    fputs("set title ", b.f);
    report_gp_quote(b.f, titles[q]);
    fprintf(b.f, "\nset yrange [0:%.10g]\n", q == 1 ? 115.0 : ymax > 0 ? ymax * 1.3 : 1.0);
    fprintf(b.f, "plot for [c=2:%zu] $%s using c:xtic(1) title columnheader\n", s->ns + 1, blocks[q]);
  }
  fputs("unset multiplot\n", b.f);
  char *body = report_buf_close(&b);
  /* the panel count is known only now */
  char *at = body ? strstr(body, "PANELS") : NULL;
  if (at) {
    char digit = (char)('0' + panels);
    memmove(at + 1, at + 6, strlen(at + 6) + 1);
    *at = digit;
  }
  char *caption = report_printf(
      "For each storage backend, the mean epoch time, AU (compute time / wall time of the epochs, DLIO's "
      "accelerator utilization) and total cost of the runs of each series: train runs per variant, io-bench "
      "runs (virtual clock: projected). Missing bars: that series did not run on that backend.");
  rc = report_set_figure(rep, REPORT_STORAGE, report_buf_close(&d), body, caption);
  if (rc == TR_OK && panels == 0) {
    free(rep->fig[REPORT_STORAGE].data);
    free(rep->fig[REPORT_STORAGE].body);
    free(rep->fig[REPORT_STORAGE].caption);
    rep->fig[REPORT_STORAGE].data = rep->fig[REPORT_STORAGE].body = rep->fig[REPORT_STORAGE].caption = NULL;
    rc = report_omit(rep, REPORT_STORAGE, "no run reports an epoch time, AU or cost");
  }
  return rc;
}

/* Storage: per backend, the mean epoch time, AU and cost of each series of runs. */
static tr_err plan_storage(report *rep) {
  storage_runs s;
  tr_err rc = storage_collect(rep, &s);
  if (rc == TR_OK && s.nb == 0) rc = report_omit(rep, REPORT_STORAGE, "no run names a storage backend");
  else if (rc == TR_OK && s.nb == 1)
    rc = report_omit(rep, REPORT_STORAGE, "every run read from '%s': nothing to compare", s.backends[0]);
  else if (rc == TR_OK)
    rc = storage_figure(rep, &s);
  storage_runs_free(&s);
  return rc;
}

tr_err report_plan(report *rep) {
  tr_err rc = plan_learning_curves(rep);
  if (rc == TR_OK) rc = plan_metric_cost(rep);
  if (rc == TR_OK) rc = report_plan_scaling(rep);
  if (rc == TR_OK) rc = plan_storage(rep);
  if (rc == TR_OK) rc = report_plan_serve(rep);
  if (rc == TR_OK) rc = report_plan_search(rep);
  return rc;
}
