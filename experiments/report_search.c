/* The search part of a report (report_internal.h): for a sweep run as a search (its
 * records carry point.search, the sweep's totals in "search"), the figure of every
 * trial's validation metric per epoch (the column its rungs were decided on, from each
 * trial's history.csv), trials that ran to the end drawn solid, the ones the search
 * stopped at a rung grey, the pruned ones red and dashed with a cross where they were
 * stopped; and the notes: spent vs the budget, what was left unrun, and the cost saved by
 * pruning (what the stopped trials would have cost from where they stopped to
 * max_epochs, at their own measured cost per epoch). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/json.h"
#include "common/path.h"
#include "experiments/report_internal.h"
#include "experiments/runfiles.h"

static const cJSON *trial_of(const run_record *r) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(r->obj, "point"), "search");
}

/* The sweep's totals a search writes in every line. */
static const cJSON *totals_of(const run_record *r) {
  const cJSON *t = cJSON_GetObjectItem(r->obj, "search");
  return cJSON_IsObject(t) ? t : NULL;
}

/* The notes from the sweep's totals (the first record's "search"). */
static tr_err search_notes(report *rep, const cJSON *sum) {
  const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(sum, "search"));
  char spent[FMT_USD_LEN], budget[FMT_USD_LEN], saved[FMT_USD_LEN];
  fmt_usd(json_number_at(sum, "spent_usd", NULL), spent, sizeof spent);
  fmt_usd(json_number_at(sum, "cost_saved_by_pruning_usd", NULL), saved, sizeof saved);
  double b = json_number_at(sum, "budget_usd", NULL);
  tr_err rc = TR_OK;
  const cJSON *unrun = cJSON_GetObjectItem(sum, "left_unrun");
  int n_unrun = cJSON_GetArraySize(unrun);
  if (isnan(b)) {
    rc = report_note(rep, "Search (%s): %.0f of %.0f trials ran; spent %s (no budget).", kind ? kind : "?",
                     json_number_at(sum, "ran", NULL), json_number_at(sum, "trials", NULL), spent);
  } else {
    char ids[400] = "";
    size_t len = 0;
    const cJSON *u;
    int shown = 0;
    cJSON_ArrayForEach(u, unrun) {
      if (shown++ == 12) {
        fmt_append(ids, sizeof ids, &len, ", ...");
        break;
      }
      fmt_append(ids, sizeof ids, &len, "%s%s", shown > 1 ? ", " : "", cJSON_GetStringValue(u) ? cJSON_GetStringValue(u) : "?");
    }
    rc = report_note(rep, "Search (%s): spent %s of the budget %s (%.0f%%); %.0f of %.0f trials ran; left unrun by "
                     "the budget: %d%s%s%s.",
                     kind ? kind : "?", spent, fmt_usd(b, budget, sizeof budget),
                     b > 0 ? 100 * json_number_at(sum, "spent_usd", NULL) / b : 0, json_number_at(sum, "ran", NULL),
                     json_number_at(sum, "trials", NULL), n_unrun, n_unrun ? " (" : "", ids, n_unrun ? ")" : "");
  }
  if (rc == TR_OK)
    rc = report_note(rep, "Cost saved by pruning: %s, projected (what the trials the search stopped at a rung or "
                     "pruned would have cost to run on to max_epochs = %.0f, at their measured cost per epoch).", saved,
                     json_number_at(sum, "max_epochs", NULL));
  return rc;
}

tr_err report_plan_search(report *rep) {
  const cJSON *sum = NULL;
  size_t n = 0;
  for (size_t i = 0; i < rep->rs.n; i++)
    if (totals_of(&rep->rs.r[i])) {
      n++;
      if (!sum) sum = totals_of(&rep->rs.r[i]);
    }
  if (n == 0) return report_omit(rep, REPORT_SEARCH, "not a search (no record has the search's totals)");
  tr_err rc = search_notes(rep, sum);
  if (rc != TR_OK) return rc;
  const char *metric = rep->metric;
  if (!*metric) return report_omit(rep, REPORT_SEARCH, "no metric to draw");
  char column[64];
  runfiles_val_column(metric, column, sizeof column);
  report_buf d, b;
  if (report_bufs_open(&d, &b) != TR_OK) return TR_ENOMEM;
  char title[128]; /* the metric comes from the records or --metric: quoted like every string */
  snprintf(title, sizeof title, "Search: validation %s per epoch of every trial", column + 4);
  fputs("set title ", b.f);
  report_gp_quote(b.f, title);
  fputs("\nset xlabel 'epoch'\nset ylabel ", b.f);
  report_gp_quote(b.f, column);
  fputs("\nset grid\nset key outside right top\nset xtics nomirror\nset format x '%g'\nplot ", b.f);
  size_t drawn = 0, pruned = 0, stopped = 0, colored = 0;
  for (size_t i = 0; i < rep->rs.n; i++) {
    const run_record *r = &rep->rs.r[i];
    const cJSON *t = trial_of(r);
    if (!totals_of(r) || !r->dir || strcmp(r->label, "measured") != 0) continue;
    char *path = path_join3(rep->dir, r->dir, RUNFILES_HISTORY);
    double *v = NULL;
    size_t rows = 0;
    if (!path || runfiles_read_column(path, column, &v, &rows) != TR_OK) tr_error_clear();
    free(path);
    if (rows == 0) {
      free(v);
      continue;
    }
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(t, "status"));
    bool is_pruned = status && !strcmp(status, "pruned"), is_stopped = status && !strcmp(status, "stopped");
    fprintf(d.f, "$trial%zu << EOD\n", drawn + 1);
    for (size_t j = 0; j < rows; j++) {
      fprintf(d.f, "%zu ", j + 1);
      report_gp_num(d.f, v[j]);
      fputc('\n', d.f);
    }
    fputs("EOD\n", d.f);
    if (is_pruned || is_stopped) {
      fprintf(d.f, "$end%zu << EOD\n%zu ", drawn + 1, rows);
      report_gp_num(d.f, v[rows - 1]);
      fputs("\nEOD\n", d.f);
    }
    free(v);
    drawn++;
    if (is_pruned) {
      pruned++;
      fprintf(b.f, "$trial%zu using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' notitle, \\\n     "
                   "$end%zu using 1:2 with points pt 2 ps 1.6 lc rgb '#d62728' notitle, \\\n     ", drawn, drawn);
    } else if (is_stopped) {
      stopped++;
      fprintf(b.f, "$trial%zu using 1:2 with lines lw 1 lc rgb '#9a9a9a' notitle, \\\n     "
                   "$end%zu using 1:2 with points pt 6 ps 1.0 lc rgb '#9a9a9a' notitle, \\\n     ", drawn, drawn);
    } else {
      if (report_color(colored) == 0x7f7f7f) colored++; /* grey is the stopped trials' */
      fprintf(b.f, "$trial%zu using 1:2 with lines lw 2 lc rgb '#%06x' title ", drawn, report_color(colored++));
      report_gp_quote(b.f, rep->labels[i]);
      fputs(", \\\n     ", b.f);
    }
  }
  fprintf(b.f, "NaN with lines lw 1 lc rgb '#9a9a9a' title 'stopped at a rung (%zu)', \\\n"
               "     NaN with linespoints lw 1.5 dt 2 pt 2 lc rgb '#d62728' title 'pruned (%zu)'\n",
          stopped, pruned);
  if (drawn == 0) {
    free(report_buf_close(&d));
    free(report_buf_close(&b));
    return report_omit(rep, REPORT_SEARCH, "no trial has a %s column in its history.csv", column);
  }
  char *caption = report_printf(
      "The validation %s of each of the %zu trials per epoch (history.csv), the values the search decided on: trials "
      "that ran to the end in colour, %zu stopped at a rung (grey, circle where they stopped) and %zu pruned by the "
      "median rule (red, dashed, a cross where they stopped).",
      column + 4, drawn, stopped, pruned);
  return report_set_figure(rep, REPORT_SEARCH, report_buf_close(&d), report_buf_close(&b), caption);
}
