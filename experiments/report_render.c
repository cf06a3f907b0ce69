/* The report of a sweep as text: report.md (GitHub Markdown) and report.html (one page,
 * inline CSS, relative image paths, nothing fetched from a network, no script). Both show
 * the same summary sentences, notes, the table of runs, the Pareto set cheapest first and
 * the figures (or why each is left out). Every string that reaches a page goes through the
 * format's escaper (md_text, html_text): ids, variants, backends, instances, labels, stop
 * reasons, the metric, the sweep's directory, notes, captions and reasons a figure is
 * left out all hold user text, and Markdown renderers pass raw HTML through. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "experiments/provenance.h"
#include "experiments/report_internal.h"

/* ---- shared by both formats -------------------------------------------------------- */

static void fmt_metric(double v, char *buf, size_t n) {
  if (isfinite(v)) snprintf(buf, n, "%.4f", v);
  else snprintf(buf, n, "-");
}

/* Text for Markdown, user text or not: renderers pass raw HTML through, so HTML's
 * specials become entities; Markdown's inline syntax (code, emphasis, links and images,
 * table pipes, math, strikethrough, headings, escapes) is backslash-escaped (but for an
 * underscore inside a word, which CommonMark never reads as emphasis); line breaks
 * and other control characters become spaces. */
static void md_text(FILE *f, const char *s) {
  for (const char *start = s; *s; s++) {
    unsigned char c = (unsigned char)*s;
    /* an underscore inside a word (max_epochs) is never emphasis: kept as it is */
    if (c == '_' && s > start && isalnum((unsigned char)s[-1]) && isalnum((unsigned char)s[1])) {
      fputc(c, f);
      continue;
    }
    switch (c) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '$': case '~': case '#':
      fputc('\\', f);
      fputc(c, f);
      break;
    default: fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
    }
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
  char ranks[16], metric[32], time[32], cost[32], epochs[16], basis[400];
  const char *variant, *backend, *instance, *spot, *stop, *pareto;
} row_cells;

static void cells_of(const report *rep, size_t i, row_cells *c) {
  const run_record *r = &rep->rs.r[i];
  snprintf(c->ranks, sizeof c->ranks, "%d", r->ranks);
  fmt_metric(*rep->metric ? results_metric(r, rep->metric) : NAN, c->metric, sizeof c->metric);
  fmt_duration(r->time_s, c->time, sizeof c->time);
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
  provenance_record_basis(r, c->instance, c->basis, sizeof c->basis);
}

/* The table of runs: "label" says measured or projected, "figure label" is the name the
 * figures give the run (rep->labels: what sets it apart from the other runs). */
static const char *const columns[] = {"id",     "variant", "backend", "ranks",  "instance",    "spot",
                                      "label",  "figure label", "METRIC", "time", "cost", "epochs",
                                      "stop reason", "Pareto", "basis"};
#define N_COLUMNS (sizeof columns / sizeof *columns)
/* Which of them are numbers (right-aligned). */
static const bool numeric_columns[N_COLUMNS] = {[3] = true, [8] = true, [9] = true, [10] = true, [11] = true};

/* The name the figures give run i. */
static const char *figure_label(const report *rep, size_t i) {
  return rep->labels && rep->labels[i] ? rep->labels[i] : "-";
}

static const char *column_name(const report *rep, size_t k) {
  return strcmp(columns[k], "METRIC") ? columns[k] : *rep->metric ? rep->metric : "metric";
}

static void row_values(const report *rep, size_t i, const row_cells *c, const char **v) {
  const run_record *r = &rep->rs.r[i];
  const char *vals[N_COLUMNS] = {r->id,     c->variant, c->backend, c->ranks, c->instance, c->spot,
                                 r->label,  figure_label(rep, i), c->metric, c->time, c->cost,
                                 c->epochs, c->stop,   c->pareto,  c->basis};
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

/* A host record in a few words: "vm (AMD EPYC, 2 cores, 23.5 GiB)". */
static void host_text(const cJSON *h, char *buf, size_t n) {
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "name"));
  const char *cpu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "cpu"));
  double cores = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "cores"));
  double mem = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "memory_gib"));
  size_t len = 0;
  *buf = '\0';
  fmt_append(buf, n, &len, "%s (%s", name ? name : "unnamed", cpu ? cpu : "CPU not recorded");
  if (isfinite(cores)) fmt_append(buf, n, &len, ", %g cores", cores);
  if (isfinite(mem)) fmt_append(buf, n, &len, ", %.1f GiB", mem);
  fmt_append(buf, n, &len, ")");
}

/* Appends s to the list (at most max entries, each n long) unless it is there; whether
 * it was new (a new one past max is only counted). */
static bool list_add(char (*list)[160], size_t max, size_t *count, const char *s) {
  for (size_t k = 0; k < *count && k < max; k++)
    if (!strcmp(list[k], s)) return false;
  if (*count < max) snprintf(list[*count], sizeof *list, "%s", s);
  (*count)++;
  return true;
}

/* "a, b, c" of a list (its first max entries, "..." for the rest) into buf. */
static void list_text(char (*list)[160], size_t max, size_t count, char *buf, size_t n) {
  size_t len = 0;
  *buf = '\0';
  for (size_t k = 0; k < count && k < max; k++) fmt_append(buf, n, &len, "%s%s", k ? ", " : "", list[k]);
  if (count > max) fmt_append(buf, n, &len, ", ...");
}

/* The summary's sentence on where the measured runs' times come from (the host they ran
 * on, provenance.host) and their prices (the instance types they are priced as);
 * malloc'd, NULL without measured runs (*oom set when out of memory). */
static char *measured_where(const report *rep, bool *oom) {
  enum { MAX_LISTED = 4 };
  char hosts[MAX_LISTED][160], instances[MAX_LISTED][160], h[160], hl[700], il[700];
  size_t n_meas = 0, n_unknown = 0, n_hosts = 0, n_inst = 0;
  for (size_t i = 0; i < rep->rs.n; i++) {
    const run_record *r = &rep->rs.r[i];
    if (!report_is_measured(r)) continue;
    n_meas++;
    list_add(instances, MAX_LISTED, &n_inst, *r->instance ? r->instance : "-");
    if (!r->host) {
      n_unknown++;
      continue;
    }
    host_text(r->host, h, sizeof h);
    list_add(hosts, MAX_LISTED, &n_hosts, h);
  }
  if (n_meas == 0) return NULL;
  list_text(hosts, MAX_LISTED, n_hosts, hl, sizeof hl);
  list_text(instances, MAX_LISTED, n_inst, il, sizeof il);
  char *s;
  if (n_hosts == 0)
    s = report_printf("Where the %zu measured run%s ran is not recorded (results older than provenance.host); "
                      "prices are those of the instance type each is priced as (%s).",
                      n_meas, n_meas == 1 ? "" : "s", il);
  else
    s = report_printf("Measured here, priced there: times were measured on %s%s%s%s; prices are those of the "
                      "instance type each run is priced as (%s), not of th%s host%s.%s",
                      n_hosts == 1 ? "host " : "", n_hosts == 1 ? "" : "these hosts: ", hl,
                      n_hosts == 1 ? "" : " (the basis column gives each run's CPU)", il,
                      n_hosts == 1 ? "at" : "ose", n_hosts == 1 ? "" : "s",
                      n_unknown ? " Some measured runs do not record their host (older results)." : "");
  if (!s) *oom = true;
  return s;
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
    if (report_is_train(r)) n_train++;
    else n_io++;
    if (report_is_measured(r)) {
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
  char **l = calloc(9, sizeof *l);
  if (!l) return NULL;
  size_t k = 0;
  char usd[32], t[32], mv[32];
  l[k++] = report_printf("%zu runs: %zu train, %zu io-bench; %zu measured, %zu projected (estimates, not "
                         "measured).",
                         rs->n, n_train, n_io, n_meas, rs->n - n_meas);
  bool oom = false;
  char *where = measured_where(rep, &oom);
  if (where || oom) l[k++] = where;
  if (*rep->metric)
    l[k++] = report_printf("Metric: test %s (%s is better), reported by %zu run%s.", rep->metric,
                           lower ? "lower" : "higher", n_metric, n_metric == 1 ? "" : "s");
  if (best) {
    fmt_metric(best_v, mv, sizeof mv);
    fmt_usd(best->cost_usd, usd, sizeof usd);
    fmt_duration(best->time_s, t, sizeof t);
    l[k++] = report_printf("Best %s: %s (%s, %s) with %s, at %s in %s.", rep->metric, best->id,
                           *best->variant ? best->variant : best->kind, best->label, mv, usd, t);
  }
  if (cheap) {
    const char *what = *cheap->variant ? cheap->variant : cheap->kind;
    fmt_usd(cheap->cost_usd, usd, sizeof usd);
    fmt_metric(*rep->metric ? results_metric(cheap, rep->metric) : NAN, mv, sizeof mv);
    if (*rep->metric)
      l[k++] = report_printf("Cheapest: %s (%s, %s) at %s, %s %s.", cheap->id, what, cheap->label, usd, rep->metric,
                             mv);
    else
      l[k++] = report_printf("Cheapest: %s (%s, %s) at %s.", cheap->id, what, cheap->label, usd);
  }
  if (fast) {
    fmt_duration(fast->time_s, t, sizeof t);
    l[k++] = report_printf("Fastest: %s (%s, %s) in %s.", fast->id, *fast->variant ? fast->variant : fast->kind,
                           fast->label, t);
  }
  if (*rep->metric)
    l[k++] = report_printf("Pareto set over (%s, cost, time): %zu of %zu runs.", rep->metric, n_pareto, n_metric);
  fmt_usd(spent, usd, sizeof usd);
  l[k++] = report_printf("Measured runs cost %s in total.", usd);
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

/* The cells of a run's row in the Pareto table. */
#define N_PARETO_COLUMNS 10
static void pareto_values(const report *rep, size_t i, const row_cells *c, const char **v) {
  const run_record *r = &rep->rs.r[i];
  const char *vals[N_PARETO_COLUMNS] = {r->id,    c->variant,           c->backend, c->ranks, c->instance,
                                        r->label, figure_label(rep, i), c->metric,  c->time,  c->cost};
  memcpy(v, vals, sizeof vals);
}

/* The summary's list in one format: the sentences, the notes and the figures left out
 * with why, each string through the format's escaper, each item between its opening
 * (item, note, figure) and end. */
typedef struct {
  void (*text)(FILE *f, const char *s);
  const char *item, *note, *figure, *left_out, *end;
} summary_markup;

static void summary_item(FILE *f, const summary_markup *m, const char *open, const char *text, const char *why) {
  fputs(open, f);
  m->text(f, text);
  if (why) {
    fputs(m->left_out, f);
    m->text(f, why);
    fputc('.', f);
  }
  fputs(m->end, f);
}

static void summary_items(FILE *f, const report *rep, char **sum, const summary_markup *m) {
  for (size_t i = 0; sum[i]; i++) summary_item(f, m, m->item, sum[i], NULL);
  for (size_t i = 0; i < rep->n_notes; i++) summary_item(f, m, m->note, rep->notes[i], NULL);
  for (int k = 0; k < REPORT_FIGURES; k++)
    if (rep->fig[k].omitted) summary_item(f, m, m->figure, rep->fig[k].title, rep->fig[k].omitted);
}

/* A page format: its parts in order (summary, runs, Pareto set, figures). */
typedef struct {
  void (*summary)(FILE *f, const report *rep, char **sum);
  void (*runs)(FILE *f, const report *rep);
  void (*pareto)(FILE *f, const report *rep, const size_t *par, size_t n_par);
  void (*figures)(FILE *f, const report *rep);
} page_format;

static tr_err write_page(const report *rep, FILE *f, const page_format *pf) {
  char **sum = summary_lines(rep);
  size_t n_par = 0, *par = pareto_runs(rep, &n_par);
  if (!sum || !par) {
    lines_free(sum);
    free(par);
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  pf->summary(f, rep, sum);
  pf->runs(f, rep);
  pf->pareto(f, rep, par, n_par);
  pf->figures(f, rep);
  lines_free(sum);
  free(par);
  return fflush(f) == 0 && !ferror(f) ? TR_OK : tr_error_set(TR_EIO, "report", "write failed: %s", strerror(errno));
}

/* ---- Markdown ----------------------------------------------------------------------- */

static void md_row(FILE *f, const char *const *v, size_t n) {
  fputc('|', f);
  for (size_t k = 0; k < n; k++) {
    fputc(' ', f);
    md_text(f, v[k]);
    fputs(" |", f);
  }
  fputc('\n', f);
}

static void md_summary(FILE *f, const report *rep, char **sum) {
  fputs("# Tradeoff report: ", f);
  md_text(f, rep->dir);
  fputs("\n\n## Summary\n\n", f);
  static const summary_markup markdown = {md_text, "- ", "- Note: ", "- Figure \"", "\" left out: ", "\n"};
  summary_items(f, rep, sum, &markdown);
}

static void md_runs(FILE *f, const report *rep) {
  fputs("\n## Runs\n\n|", f);
  for (size_t k = 0; k < N_COLUMNS; k++) {
    fputc(' ', f);
    md_text(f, column_name(rep, k));
    fputs(" |", f);
  }
  fputs("\n|", f);
  for (size_t k = 0; k < N_COLUMNS; k++) fputs(numeric_columns[k] ? " ---: |" : " --- |", f);
  fputc('\n', f);
  for (size_t i = 0; i < rep->rs.n; i++) {
    row_cells c;
    const char *v[N_COLUMNS];
    cells_of(rep, i, &c);
    row_values(rep, i, &c, v);
    md_row(f, v, N_COLUMNS);
  }
}

static void md_pareto(FILE *f, const report *rep, const size_t *par, size_t n_par) {
  fputs("\n## Pareto set\n\n", f);
  if (!*rep->metric) {
    fputs("No run reports a test metric: no Pareto set.\n", f);
    return;
  }
  fputs("Runs no other run beats in ", f);
  md_text(f, rep->metric);
  fputs(", cost and time at once, cheapest first.\n\n"
        "| id | variant | backend | ranks | instance | label | figure label | ",
        f);
  md_text(f, rep->metric);
  fputs(" | time | cost |\n", f);
  fputs("| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: | ---: |\n", f);
  for (size_t j = 0; j < n_par; j++) {
    row_cells c;
    const char *v[N_PARETO_COLUMNS];
    cells_of(rep, par[j], &c);
    pareto_values(rep, par[j], &c, v);
    md_row(f, v, N_PARETO_COLUMNS);
  }
}

static void md_figures(FILE *f, const report *rep) {
  fputs("\n## Figures\n", f);
  for (int k = 0; k < REPORT_FIGURES; k++) {
    const report_figure *g = &rep->fig[k];
    fputs("\n### ", f);
    md_text(f, g->title);
    fputs("\n\n", f);
    if (g->omitted) {
      fputs("Not drawn: ", f);
      md_text(f, g->omitted);
      fputs(".\n", f);
      continue;
    }
    fputs("![", f);
    md_text(f, g->title);
    fprintf(f, "](%s.png)\n\n", g->name); /* names are the report's own: learning-curves... */
    md_text(f, g->caption);
    fprintf(f, " ([SVG](%s.svg))\n", g->name);
  }
}

tr_err report_write_md(const report *rep, FILE *f) {
  static const page_format markdown = {md_summary, md_runs, md_pareto, md_figures};
  return write_page(rep, f, &markdown);
}

/* ---- HTML --------------------------------------------------------------------------- */

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1480px;"
    "padding:0 1em;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:.9em;margin:.6em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;white-space:nowrap}"
    "th{background:#f2f4f7}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "table.runs{display:block;overflow-x:auto}table.runs td:last-child{white-space:normal;min-width:16em}"
    "tr.dominated td{color:#777}tr.pareto td:first-child{font-weight:600}"
    ".projected{font-style:italic}.note{color:#8a5a00}.omitted{color:#8a5a00;font-style:italic}"
    "figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:.9em;color:#444;max-width:70em}code{background:#f4f4f4;padding:0 .2em}";

static void html_table_head(FILE *f, const char *cls, const char *const *names, size_t n) {
  fprintf(f, "<table class=\"%s\">\n<tr>", cls);
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

static void html_summary(FILE *f, const report *rep, char **sum) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Tradeoff report: ",
        f);
  html_text(f, rep->dir);
  fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Tradeoff report</h1>\n<p>Sweep <code>", css);
  html_text(f, rep->dir);
  fputs("</code> (results.jsonl), written by <code>tradeoff report</code>.</p>\n"
        "<h2 id=\"summary\">Summary</h2>\n<ul>\n",
        f);
  static const summary_markup html = {html_text, "<li>", "<li class=\"note\">Note: ",
                                      "<li class=\"omitted\">Figure &ldquo;", "&rdquo; left out: ", "</li>\n"};
  summary_items(f, rep, sum, &html);
  fputs("</ul>\n", f);
}

static void html_runs(FILE *f, const report *rep) {
  fputs("<h2 id=\"runs\">Runs</h2>\n", f);
  const char *names[N_COLUMNS];
  for (size_t k = 0; k < N_COLUMNS; k++) names[k] = column_name(rep, k);
  html_table_head(f, "runs", names, N_COLUMNS);
  for (size_t i = 0; i < rep->rs.n; i++) {
    row_cells c;
    const char *v[N_COLUMNS];
    cells_of(rep, i, &c);
    row_values(rep, i, &c, v);
    char cls[48];
    const char *kind = !strcmp(c.pareto, "yes") ? "pareto" : !strcmp(c.pareto, "no") ? "dominated" : "other";
    snprintf(cls, sizeof cls, "%s%s", kind, report_is_measured(&rep->rs.r[i]) ? "" : " projected");
    html_row(f, cls, v, N_COLUMNS, numeric_columns);
  }
  fputs("</table>\n", f);
}

static void html_pareto(FILE *f, const report *rep, const size_t *par, size_t n_par) {
  fputs("<h2 id=\"pareto\">Pareto set</h2>\n", f);
  if (!*rep->metric) {
    fputs("<p>No run reports a test metric: no Pareto set.</p>\n", f);
    return;
  }
  fputs("<p>Runs no other run beats in ", f);
  html_text(f, rep->metric);
  fputs(", cost and time at once, cheapest first.</p>\n", f);
  const char *pn[N_PARETO_COLUMNS] = {"id",    "variant",      "backend",   "ranks", "instance",
                                      "label", "figure label", rep->metric, "time",  "cost"};
  bool pnum[N_PARETO_COLUMNS] = {0, 0, 0, 1, 0, 0, 0, 1, 1, 1};
  html_table_head(f, "pareto", pn, N_PARETO_COLUMNS);
  for (size_t j = 0; j < n_par; j++) {
    row_cells c;
    const char *v[N_PARETO_COLUMNS];
    cells_of(rep, par[j], &c);
    pareto_values(rep, par[j], &c, v);
    html_row(f, report_is_measured(&rep->rs.r[par[j]]) ? "pareto" : "pareto projected", v, N_PARETO_COLUMNS, pnum);
  }
  fputs("</table>\n", f);
}

static void html_figures(FILE *f, const report *rep) {
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
    fprintf(f, "<figure>\n<a href=\"%s.svg\"><img src=\"%s.png\" width=\"%d\" height=\"%d\" alt=\"", g->name,
            g->name, g->width, g->height);
    html_text(f, g->title);
    fputs("\"></a>\n<figcaption>", f);
    html_text(f, g->caption);
    fprintf(f, " (<a href=\"%s.svg\">SVG</a>)</figcaption>\n</figure>\n", g->name);
  }
  fputs("</body>\n</html>\n", f);
}

tr_err report_write_html(const report *rep, FILE *f) {
  static const page_format html = {html_summary, html_runs, html_pareto, html_figures};
  return write_page(rep, f, &html);
}
