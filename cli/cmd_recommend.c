/* `tradeoff recommend DIR --metric NAME --min VALUE`: parses the arguments, asks the
 * recommender (experiments/recommend.h) and prints its picks as a table or JSON; exit 1
 * with the best achieved when no run qualifies. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/format.h"
#include "common/json.h"
#include "experiments/recommend.h"

static const char help[] =
    "usage: tradeoff recommend DIR --metric NAME (--min VALUE | --max VALUE)\n"
    "                          [--deadline-h H] [--p99-ms MS] [--top N] [--json]\n"
    "\n"
    "Ranks the runs of a sweep (DIR/results.jsonl) that meet the target by total cost,\n"
    "cheapest first, and says why each beats the next one. The metric is one of the\n"
    "test metrics (auc, accuracy, f1, precision, recall, log_loss; rmse, mse, mae, r2)\n"
    "or au_percent / samples_per_s; --min for higher-is-better metrics, --max for\n"
    "lower-is-better ones (loss, rmse, mse, mae). --deadline-h drops runs whose wall\n"
    "time exceeds H hours. --p99-ms ranks by total cost of ownership instead: training\n"
    "plus serve.months of the cheapest deployment whose p99 latency is at most MS (sweeps\n"
    "with kind = train+serve or a [serve] section). Exit 1 when no run qualifies.\n";

typedef struct {
  const char *dir;
  recommend_query q;
  bool has_min, has_max, json, help;
} args;

static tr_err parse(int argc, char **argv, args *a) {
  static const struct option longopts[] = {
      {"metric", required_argument, 0, 'M'}, {"min", required_argument, 0, 'n'},
      {"max", required_argument, 0, 'x'},    {"deadline-h", required_argument, 0, 'd'},
      {"top", required_argument, 0, 't'},    {"json", no_argument, 0, 'j'},
      {"p99-ms", required_argument, 0, 'p'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  a->q.top = 5;
  a->q.deadline_h = INFINITY;
  int opt;
  opterr = 0;
  optind = 1;
  tr_err rc = TR_OK;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'M': a->q.metric = optarg; break;
    case 'n': a->has_min = true; rc = cli_parse_double("recommend", "--min", optarg, -1e300, 1e300, &a->q.bound); break;
    case 'x': a->has_max = true; rc = cli_parse_double("recommend", "--max", optarg, -1e300, 1e300, &a->q.bound); break;
    case 'd': rc = cli_parse_double("recommend", "--deadline-h", optarg, 1e-9, 1e9, &a->q.deadline_h); break;
    case 't': rc = cli_parse_size("recommend", "--top", optarg, 1, SIZE_MAX, &a->q.top); break;
    case 'j': a->json = true; break;
    case 'p': rc = cli_parse_double("recommend", "--p99-ms", optarg, 1e-6, 1e9, &a->q.p99_ms); break;
    case 'h': a->help = true; return TR_OK;
    default: return cli_bad_option("recommend", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "recommend", "expected one sweep directory (see tradeoff recommend --help)");
  a->dir = argv[optind];
  if (!a->q.metric) return tr_error_set(TR_EUSAGE, "recommend", "--metric NAME is required");
  if (!results_metric_known(a->q.metric))
    return tr_error_set(TR_EUSAGE, "recommend", "--metric: unknown metric '%s' (see tradeoff recommend --help)",
                        a->q.metric);
  bool lower = results_lower_is_better(a->q.metric);
  if (a->has_min == a->has_max)
    return tr_error_set(TR_EUSAGE, "recommend", "give the target as %s VALUE", lower ? "--max" : "--min");
  a->q.at_least = a->has_min;
  const char *bad = recommend_check_query(&a->q); /* here: --min for a lower-is-better metric, or --max */
  if (bad) return tr_error_set(TR_EUSAGE, "recommend", "%s: %s", a->q.metric, bad);
  return TR_OK;
}

/* "    serving: TCO $X over N months; serverless $Y/month, p99 Z ms" */
static void print_serving(const recommend_pick *c) {
  char tco[FMT_USD_LEN], month[FMT_USD_LEN];
  printf("    serving: TCO %s over %g months; %s%s%s %s/month, p99 %.4g ms\n",
         fmt_usd(c->serve.tco_usd, tco, sizeof tco), c->serve.months, c->serve.option, c->serve.instance ? " " : "",
         c->serve.instance ? c->serve.instance : "", fmt_usd(c->serve.usd_per_month, month, sizeof month), c->serve.p99_ms);
}

static void print_table(const args *a, const recommendation *rec) {
  const recommend_query *q = &a->q;
  printf("%zu of %zu runs meet %s %s %g%s; the %zu cheapest:\n\n"
         "%-3s %-22s %-10s %-7s %5s %-12s %-4s %-9s %10s %10s %12s\n",
         rec->n_qualifying, rec->rs.n, q->metric, q->at_least ? ">=" : "<=", q->bound,
         isfinite(q->deadline_h) ? " within the deadline" : "", rec->n_picks, "#", "id", "variant", "backend",
         "ranks", "instance", "spot", "label", q->metric, "time", "cost");
  for (size_t i = 0; i < rec->n_picks; i++) {
    const recommend_pick *c = &rec->picks[i];
    const run_record *r = c->r;
    char t[FMT_DURATION_LEN], usd[FMT_USD_LEN];
    /* the metric to 4 significant digits, trailing zeros kept (recommend's "same" is to
       those digits); "-1.234e-05" is 10 wide */
    printf("%-3zu %-22s %-10s %-7s %5d %-12s %-4s %-9s %#10.4g %10s %12s\n", i + 1, r->id,
           *r->variant ? r->variant : "-", r->backend, r->ranks, r->instance, r->spot ? "yes" : "no", r->label,
           c->metric, fmt_duration(r->time_s, t, sizeof t), fmt_usd(r->cost_usd, usd, sizeof usd));
    printf("    why: %s%s\n", c->why, c->pareto ? "; on the Pareto frontier" : "");
    if (q->p99_ms > 0) {
      print_serving(c);
      printf("    %s\n", c->serve_basis);
    }
    printf("    %s\n", c->basis);
  }
}

tr_err cmd_recommend(int argc, char **argv) {
  args a = {0};
  tr_err rc = parse(argc, argv, &a);
  if (rc != TR_OK || a.help) {
    if (a.help) fputs(help, stdout);
    return rc;
  }
  recommendation rec;
  rc = recommend_runs(a.dir, &a.q, &rec);
  if (rc == TR_OK && a.json) {
    cJSON *list = recommend_json(&rec, &a.q);
    rc = list ? json_print(list) : tr_error_set(TR_ENOMEM, "recommend", "out of memory");
    cJSON_Delete(list);
  } else if (rc == TR_OK) {
    print_table(&a, &rec);
  }
  recommend_free(&rec);
  return rc;
}
