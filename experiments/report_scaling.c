/* The report of a sweep, its scaling figures: the measured train runs grouped by
 * everything but their rank count (variant, backend, instance, spot and the sweep's other
 * settings; repeated runs averaged), drawn as speedup and parallel efficiency vs ranks and
 * as cost per run vs ranks, or left out with the reason (one rank count, no group run on
 * two). */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/report_internal.h"

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
  /* the test metric over the group's runs, and whether every run was rank_invariant */
  double metric_lo, metric_hi;
  bool invariant;
} scale_group;

/* True when r was trained with optimizer.rank_invariant (result.json's
 * parallel.rank_invariant, else the resolved job's key; older results have neither). */
static bool run_invariant(const run_record *r) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(r->obj, "parallel");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "rank_invariant");
  if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
  const cJSON *job = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->obj, "provenance"), "job");
  v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(job, "optimizer"), "rank_invariant");
  return cJSON_IsString(v) && !strcmp(v->valuestring, "true");
}

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
    kv[n] = v ? report_printf("%s=%s", it->string, v) : NULL;
    free(v);
    if (kv[n]) n++;
  }
  qsort(kv, n, sizeof *kv, cmp_str);
  report_buf m;
  char *out = NULL;
  if (report_buf_open(&m) == TR_OK) {
    for (size_t i = 0; i < n; i++) fprintf(m.f, "%s%s", i ? ", " : "", kv[i]);
    out = report_buf_close(&m);
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

/* Labels the groups by their first run's configuration label (report_label.c: what tells
 * it apart from the others but its rank count); where two groups still read the same,
 * the settings (or the id) follow. A label left NULL: out of memory. */
static void label_groups(const report *rep, scale_group *g, size_t n) {
  for (size_t k = 0; k < n; k++) g[k].label = strdup(rep->config_labels[g[k].first - rep->rs.r]);
  for (size_t k = 0; k < n; k++) {
    bool dup = false;
    for (size_t j = 0; j < n; j++) dup |= j != k && g[j].label && g[k].label && !strcmp(g[j].label, g[k].label);
    if (dup) {
      char *set = set_text(g[k].first);
      char *l = set ? report_printf("%s (%s)", g[k].label, *set ? set : g[k].first->id) : NULL;
      free(set);
      if (l) {
        free(g[k].label);
        g[k].label = l;
      }
    }
  }
}

/* Groups the measured train runs; points of equal rank count are averaged. */
static tr_err scale_groups(const report *rep, scale_group **out, size_t *n_out, int *distinct_ranks) {
  size_t n = 0;
  scale_group *g = calloc(rep->rs.n ? rep->rs.n : 1, sizeof *g);
  if (!g) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  int ranks_seen[64], n_seen = 0;
  for (size_t i = 0; i < rep->rs.n; i++) {
    const run_record *r = &rep->rs.r[i];
    if (!report_is_train(r) || !report_is_measured(r) || !(r->train_s > 0) || !isfinite(r->cost_usd)) continue;
    char *set = set_text(r);
    char *key = set ? report_printf("%s\x1f%s\x1f%s\x1f%d\x1f%s", r->variant, r->backend, r->instance, r->spot, set)
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
      g[n].metric_lo = INFINITY, g[n].metric_hi = -INFINITY, g[n].invariant = true;
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
    double mv = *rep->metric ? results_metric(r, rep->metric) : NAN;
    if (isfinite(mv)) {
      g[k].metric_lo = fmin(g[k].metric_lo, mv);
      g[k].metric_hi = fmax(g[k].metric_hi, mv);
    }
    g[k].invariant = g[k].invariant && run_invariant(r);
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
  label_groups(rep, g, n);
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

/* Speedup and efficiency of the groups run on two rank counts or more. */
static tr_err plan_speedup(report *rep, const scale_group *g, size_t n) {
  size_t multi = 0;
  bool all_base1 = true;
  int common_base = 0;
  for (size_t k = 0; k < n; k++)
    if (g[k].n >= 2) {
      multi++;
      if (g[k].p[0].ranks != 1) all_base1 = false;
      common_base = common_base == 0 || common_base == g[k].p[0].ranks ? g[k].p[0].ranks : -1;
    }
  if (multi == 0)
    return report_omit(rep, REPORT_SPEEDUP,
                       "no configuration was run on more than one rank count (the rank counts belong to different "
                       "variants, backends or instances)");
  report_buf d, b;
  tr_err rc = report_bufs_open(&d, &b);
  if (rc != TR_OK) return rc;
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
      report_gp_num(d.f, s);
      fputc(' ', d.f);
      report_gp_num(d.f, s * base_r / g[k].p[j].ranks);
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
            report_color(k));
    report_gp_quote(b.f, g[k].label);
    idx++;
  }
  fputs("\nset ylabel 'parallel efficiency (speedup x fewest ranks / ranks)'\nset yrange [0:1.25<*]\n"
        "plot 1 with lines dt 2 lc 'gray' title 'ideal'",
        b.f);
  idx = 0;
  for (size_t k = 0; k < n; k++) {
    if (g[k].n < 2) continue;
    fprintf(b.f, ", $speedup%zu using 1:3 with linespoints lw 2 pt 7 lc rgb '#%06x' notitle", ++idx, report_color(k));
  }
  fputs("\nunset multiplot\n", b.f);
  char *caption = report_printf(
      "Speedup = training time on the fewest ranks / training time on k ranks%s, and parallel efficiency = "
      "speedup x fewest ranks / k, for each configuration (variant, backend, instance, spot and the sweep's "
      "other settings) measured on more than one rank count; repeated runs are averaged.",
      all_base1 ? " (train_s at 1 rank / train_s at k)" : "");
  rc = report_set_figure(rep, REPORT_SPEEDUP, report_buf_close(&d), report_buf_close(&b), caption);
  if (rc == TR_OK && !all_base1)
    rc = report_note(rep, "Speedup: some configurations have no 1-rank run; their speedup is relative to their "
                     "fewest ranks.");
  return rc;
}

/* Cost per run against the rank count, one line per group. */
static tr_err plan_cost_ranks(report *rep, const scale_group *g, size_t n) {
  report_buf d, b;
  tr_err rc = report_bufs_open(&d, &b);
  if (rc != TR_OK) return rc;
  for (size_t k = 0; k < n; k++) {
    fprintf(d.f, "$cost%zu << EOD\n", k + 1);
    for (size_t j = 0; j < g[k].n; j++) {
      fprintf(d.f, "%d ", g[k].p[j].ranks);
      report_gp_num(d.f, g[k].p[j].cost);
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
            k ? ", \\\n     " : "", k + 1, report_color(k));
    report_gp_quote(b.f, g[k].label);
  }
  fputc('\n', b.f);
  char *caption = report_printf(
      "Total cost of a run (instance rate x nodes x wall time, plus storage and requests) against its rank "
      "count, one line per configuration; measured train runs only, repeated runs averaged.");
  return report_set_figure(rep, REPORT_COST_RANKS, report_buf_close(&d), report_buf_close(&b), caption);
}

/* What the test metric does across rank counts, per group run on several: equal by
 * construction under rank_invariant (the same weights bit for bit), else the spread. */
static tr_err note_metric_across_ranks(report *rep, const scale_group *g, size_t n) {
  tr_err rc = TR_OK;
  for (size_t k = 0; k < n && rc == TR_OK; k++) {
    if (g[k].n < 2 || !(g[k].metric_lo <= g[k].metric_hi)) continue;
    if (g[k].invariant && g[k].metric_lo == g[k].metric_hi)
      rc = report_note(rep, "Scaling: %s was trained with optimizer.rank_invariant = true, so its runs on %d to %d "
                       "ranks have the same weights bit for bit and its test %s (%.4f) is equal by construction: "
                       "only time and cost differ.", g[k].label, g[k].p[0].ranks, g[k].p[g[k].n - 1].ranks,
                       rep->metric, g[k].metric_lo);
    else if (g[k].invariant)
      rc = report_note(rep, "Scaling: %s was trained with optimizer.rank_invariant = true, yet its test %s ranges "
                       "from %.4f to %.4f across rank counts: the runs differ in threads per rank or "
                       "micro_batch, which the guarantee holds fixed.", g[k].label, rep->metric, g[k].metric_lo,
                       g[k].metric_hi);
    else if (g[k].metric_lo != g[k].metric_hi)
      rc = report_note(rep, "Scaling: %s's test %s ranges from %.4f to %.4f across rank counts: each rank count "
                       "shuffles and sums in its own order (statistically equivalent runs, not identical ones; "
                       "optimizer.rank_invariant = true makes them identical).", g[k].label, rep->metric,
                       g[k].metric_lo, g[k].metric_hi);
  }
  return rc;
}

tr_err report_plan_scaling(report *rep) {
  scale_group *g = NULL;
  size_t n = 0;
  int distinct = 0;
  tr_err rc = scale_groups(rep, &g, &n, &distinct);
  if (rc != TR_OK) return rc;
  if (n == 0) {
    rc = report_omit(rep, REPORT_SPEEDUP, "no measured train run with a training time");
    if (rc == TR_OK) rc = report_omit(rep, REPORT_COST_RANKS, "no measured train run with a training time");
  } else if (distinct < 2) {
    int r = g[0].p[0].ranks;
    rc = report_omit(rep, REPORT_SPEEDUP, "every train run used %d rank%s: speedup needs runs that differ in ranks",
                     r, r == 1 ? "" : "s");
    if (rc == TR_OK)
      rc = report_omit(rep, REPORT_COST_RANKS, "every train run used %d rank%s: nothing to compare", r,
                       r == 1 ? "" : "s");
  } else {
    rc = plan_speedup(rep, g, n);
    if (rc == TR_OK) rc = plan_cost_ranks(rep, g, n);
    if (rc == TR_OK) rc = note_metric_across_ranks(rep, g, n);
  }
  groups_free(g, n);
  return rc;
}
