/* `tradeoff recommend DIR --metric NAME --min VALUE`: the cheapest runs of a sweep that
 * meet a target (and a deadline), each with why it beats the next one; a clear message
 * (exit 1) when none qualifies. Reads DIR/results.jsonl through experiments/results.h. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"
#include "experiments/cost.h"
#include "experiments/results.h"

static const char help[] =
    "usage: tradeoff recommend DIR --metric NAME (--min VALUE | --max VALUE)\n"
    "                          [--deadline-h H] [--top N] [--json]\n"
    "\n"
    "Ranks the runs of a sweep (DIR/results.jsonl) that meet the target by total cost,\n"
    "cheapest first, and says why each beats the next one. The metric is one of the\n"
    "test metrics (auc, accuracy, f1, precision, recall, log_loss; rmse, mse, mae, r2)\n"
    "or au_percent / samples_per_s; --min for higher-is-better metrics, --max for\n"
    "lower-is-better ones (loss, rmse, mse, mae). --deadline-h drops runs whose wall\n"
    "time exceeds H hours. Exit 1 when no run qualifies.\n";

typedef struct {
  const char *dir, *metric;
  double bound, deadline_h;
  bool has_min, has_max, json;
  size_t top;
} args;

static tr_err parse(int argc, char **argv, args *a, bool *help_only) {
  static const struct option longopts[] = {
      {"metric", required_argument, 0, 'M'}, {"min", required_argument, 0, 'n'},
      {"max", required_argument, 0, 'x'},    {"deadline-h", required_argument, 0, 'd'},
      {"top", required_argument, 0, 't'},    {"json", no_argument, 0, 'j'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  a->top = 5;
  a->deadline_h = INFINITY;
  int opt;
  opterr = 0;
  optind = 1;
  tr_err rc = TR_OK;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'M': a->metric = optarg; break;
    case 'n': a->has_min = true; rc = cli_parse_double("recommend", "--min", optarg, -1e300, 1e300, &a->bound); break;
    case 'x': a->has_max = true; rc = cli_parse_double("recommend", "--max", optarg, -1e300, 1e300, &a->bound); break;
    case 'd': rc = cli_parse_double("recommend", "--deadline-h", optarg, 1e-9, 1e9, &a->deadline_h); break;
    case 't': rc = cli_parse_size("recommend", "--top", optarg, 1, &a->top); break;
    case 'j': a->json = true; break;
    case 'h': *help_only = true; return TR_OK;
    default: return cli_bad_option("recommend", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "recommend", "expected one sweep directory (see tradeoff recommend --help)");
  a->dir = argv[optind];
  if (!a->metric) return tr_error_set(TR_EUSAGE, "recommend", "--metric NAME is required");
  bool lower = results_lower_is_better(a->metric);
  if (a->has_min == a->has_max)
    return tr_error_set(TR_EUSAGE, "recommend", "give the target as %s VALUE", lower ? "--max" : "--min");
  if (lower && a->has_min)
    return tr_error_set(TR_EUSAGE, "recommend", "%s: lower is better: give the target with --max", a->metric);
  if (!lower && a->has_max)
    return tr_error_set(TR_EUSAGE, "recommend", "%s: higher is better: give the target with --min", a->metric);
  return TR_OK;
}

static bool meets(const args *a, double v) { return isfinite(v) && (a->has_min ? v >= a->bound : v <= a->bound); }

typedef struct {
  const run_record *r;
  double metric;
  bool pareto;
} candidate;

static int by_cost(const void *x, const void *y) {
  const candidate *a = x, *b = y;
  if (a->r->cost_usd != b->r->cost_usd) return a->r->cost_usd < b->r->cost_usd ? -1 : 1;
  if (a->r->time_s != b->r->time_s) return a->r->time_s < b->r->time_s ? -1 : 1;
  return strcmp(a->r->id, b->r->id);
}


static void fmt_time(double s, char *buf, size_t n) {
  if (s < 120) snprintf(buf, n, "%.1f s", s);
  else if (s < 7200) snprintf(buf, n, "%.1f min", s / 60);
  else snprintf(buf, n, "%.2f h", s / 3600);
}

/* Why candidate c (ranked just before next) is the better pick. */
static void why(const args *a, const candidate *c, const candidate *next, bool first, char *buf, size_t n) {
  size_t len = 0;
  if (first) len += (size_t)snprintf(buf, n, "the cheapest run that meets the target; ");
  if (!next) {
    snprintf(buf + len, n - len, "the last of the top %zu", a->top);
    return;
  }
  double dc = next->r->cost_usd - c->r->cost_usd;
  double pct = next->r->cost_usd > 0 ? 100.0 * dc / next->r->cost_usd : 0;
  char usd[32];
  cost_format_usd(dc, usd, sizeof usd);
  len += (size_t)snprintf(buf + len, n - len, "%s (%.0f%%) cheaper than #next (%s)", usd, pct, next->r->id);
  double dm = c->metric - next->metric;
  bool better_metric = results_lower_is_better(a->metric) ? dm < 0 : dm > 0;
  if (fabs(dm) > 0)
    len += (size_t)snprintf(buf + len, n - len, ", %s %s by %.4g", a->metric, better_metric ? "better" : "worse",
                            fabs(dm));
  else
    len += (size_t)snprintf(buf + len, n - len, ", same %s", a->metric);
  if (c->r->time_s > 0 && next->r->time_s > 0) {
    double ratio = next->r->time_s / c->r->time_s;
    snprintf(buf + len, n - len, ", %.2fx %s", ratio >= 1 ? ratio : 1 / ratio, ratio >= 1 ? "faster" : "slower");
  }
}

/* Replaces the placeholder "#next" by the rank of the next candidate. */
static void set_next_rank(char *buf, size_t rank) {
  char *p = strstr(buf, "#next");
  if (!p) return;
  char tail[512];
  snprintf(tail, sizeof tail, "%s", p + 5);
  sprintf(p, "#%zu%s", rank, tail);
}

static tr_err explain_none(const args *a, const run_records *rs) {
  const run_record *best = NULL;
  double best_v = NAN;
  size_t meeting = 0;
  for (size_t i = 0; i < rs->n; i++) {
    double v = results_metric(&rs->r[i], a->metric);
    if (!isfinite(v)) continue;
    if (meets(a, v)) meeting++;
    bool better = !best || (a->has_min ? v > best_v : v < best_v);
    if (better) best = &rs->r[i], best_v = v;
  }
  if (!best)
    return tr_error_set(TR_EINPUT, "recommend", "no run in %s reports %s", a->dir, a->metric);
  if (meeting)
    return tr_error_set(TR_EIO, "recommend",
                        "%zu runs meet %s %s %g but none finishes within %g h", meeting, a->metric,
                        a->has_min ? ">=" : "<=", a->bound, a->deadline_h);
  char usd[32];
  cost_format_usd(best->cost_usd, usd, sizeof usd);
  return tr_error_set(TR_EIO, "recommend", "no run meets %s %s %g: the best is %.4g (%s, %s, %.1f s)",
                      a->metric, a->has_min ? ">=" : "<=", a->bound, best_v, best->id, usd, best->time_s);
}

static tr_err recommend(const args *a) {
  run_records rs;
  tr_err rc = results_load(a->dir, &rs);
  if (rc != TR_OK) return rc;
  candidate *c = calloc(rs.n ? rs.n : 1, sizeof *c);
  bool *dominated = calloc(rs.n ? rs.n : 1, sizeof *dominated);
  if (!c || !dominated) {
    free(c);
    free(dominated);
    results_free(&rs);
    return tr_error_set(TR_ENOMEM, "recommend", "out of memory");
  }
  results_pareto(rs.r, rs.n, a->metric, dominated);
  size_t n = 0;
  for (size_t i = 0; i < rs.n; i++) {
    double v = results_metric(&rs.r[i], a->metric);
    if (meets(a, v) && rs.r[i].time_s <= a->deadline_h * 3600.0)
      c[n++] = (candidate){&rs.r[i], v, !dominated[i]};
  }
  if (n == 0) {
    rc = explain_none(a, &rs);
  } else {
    qsort(c, n, sizeof *c, by_cost);
    size_t shown = n < a->top ? n : a->top;
    cJSON *list = a->json ? cJSON_CreateArray() : NULL;
    if (!a->json)
      printf("%zu of %zu runs meet %s %s %g%s; the %zu cheapest:\n\n"
             "%-3s %-22s %-10s %-7s %5s %-12s %-4s %-9s %9s %10s %12s\n",
             n, rs.n, a->metric, a->has_min ? ">=" : "<=", a->bound,
             isfinite(a->deadline_h) ? " within the deadline" : "", shown, "#", "id", "variant",
             "backend", "ranks", "instance", "spot", "label", a->metric, "time", "cost");
    for (size_t i = 0; i < shown; i++) {
      const run_record *r = c[i].r;
      char reason[600], t[32], usd[32];
      why(a, &c[i], i + 1 < n ? &c[i + 1] : NULL, i == 0, reason, sizeof reason);
      set_next_rank(reason, i + 2);
      fmt_time(r->time_s, t, sizeof t);
      cost_format_usd(r->cost_usd, usd, sizeof usd);
      if (list) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "rank", (double)(i + 1));
        cJSON_AddStringToObject(o, "id", r->id);
        cJSON_AddStringToObject(o, "variant", r->variant);
        cJSON_AddStringToObject(o, "backend", r->backend);
        cJSON_AddNumberToObject(o, "ranks", r->ranks);
        cJSON_AddStringToObject(o, "instance", r->instance);
        cJSON_AddBoolToObject(o, "spot", r->spot);
        cJSON_AddStringToObject(o, "label", r->label);
        json_add_number(o, a->metric, c[i].metric);
        json_add_number(o, "time_s", r->time_s);
        json_add_number(o, "cost_usd", r->cost_usd);
        cJSON_AddBoolToObject(o, "pareto", c[i].pareto);
        cJSON_AddStringToObject(o, "why", reason);
        cJSON_AddItemToArray(list, o);
      } else {
        printf("%-3zu %-22s %-10s %-7s %5d %-12s %-4s %-9s %9.4f %10s %12s\n", i + 1, r->id,
               *r->variant ? r->variant : "-", r->backend, r->ranks, r->instance, r->spot ? "yes" : "no",
               r->label, c[i].metric, t, usd);
        printf("    why: %s%s\n", reason, c[i].pareto ? "; on the Pareto frontier" : "");
      }
    }
    if (list) {
      rc = json_print(list);
      cJSON_Delete(list);
    }
  }
  free(c);
  free(dominated);
  results_free(&rs);
  return rc;
}

tr_err cmd_recommend(int argc, char **argv) {
  args a = {0};
  bool help_only = false;
  tr_err rc = parse(argc, argv, &a, &help_only);
  if (rc == TR_OK && help_only) fputs(help, stdout);
  else if (rc == TR_OK) rc = recommend(&a);
  return rc;
}
