/* `tradeoff report DIR [--out DIR2] [--metric NAME]`: the figures (gnuplot, PNG and
 * SVG) and report.html / report.md of a sweep's output directory, through
 * experiments/report.h. Prints the path of report.html on stdout. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "common/log.h"
#include "experiments/report.h"

static const char help[] =
    "usage: tradeoff report DIR [--out DIR2] [--metric NAME]\n"
    "\n"
    "Reads a sweep's DIR/results.jsonl (and each train run's history.csv) and writes to\n"
    "DIR2 (default DIR), drawn by gnuplot as PNG and SVG:\n"
    "  learning-curves   train and validation loss per epoch, best epoch marked\n"
    "  metric-vs-cost    the metric against cost, Pareto frontier, dominated runs marked\n"
    "  speedup           speedup and parallel efficiency vs ranks\n"
    "  cost-vs-ranks     cost per run vs ranks\n"
    "  storage           epoch time, AU and cost per storage backend\n"
    "and report.html (self-contained apart from the images next to it, viewable offline)\n"
    "and report.md: a summary, the table of runs, the Pareto set and the figures. A figure\n"
    "without data is left out and the report says why. Every file is written under a\n"
    "temporary name and renamed into place once all of them are complete.\n"
    "\n"
    "  --out DIR2      where to write (created when missing)\n"
    "  --metric NAME   test metric of the table, the Pareto set and metric-vs-cost\n"
    "                  (auc, accuracy, f1, precision, recall, log_loss; rmse, mse, mae,\n"
    "                  r2; au_percent, samples_per_s). Default: auc when the runs report\n"
    "                  it, else rmse\n"
    "\n"
    "gnuplot is run as `gnuplot` (from PATH) or $TRADEOFF_GNUPLOT. Exit 2 for a missing\n"
    "or malformed DIR/results.jsonl or history.csv, 1 when gnuplot or a write fails.\n";

tr_err cmd_report(int argc, char **argv) {
  static const struct option longopts[] = {{"out", required_argument, 0, 'o'},
                                           {"metric", required_argument, 0, 'm'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  const char *out = NULL, *metric = NULL;
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'o': out = optarg; break;
    case 'm': metric = optarg; break;
    case 'h': fputs(help, stdout); return TR_OK;
    default: return cli_bad_option("report", argv, opt);
    }
  }
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "report", "expected one sweep directory (see tradeoff report --help)");
  const char *dir = argv[optind];
  if (!out) out = dir;
  report rep;
  tr_err rc = report_load(dir, metric, &rep);
  if (rc != TR_OK) return rc;
  rc = report_write(&rep, out, NULL);
  if (rc == TR_OK) {
    int drawn = 0;
    for (int k = 0; k < REPORT_FIGURES; k++) {
      if (!rep.fig[k].omitted) drawn++;
      else log_info("report: %s left out: %s", rep.fig[k].name, rep.fig[k].omitted);
    }
    log_info("report: %zu run%s, %d of %d figures, metric %s", rep.rs.n, rep.rs.n == 1 ? "" : "s", drawn,
             REPORT_FIGURES, *rep.metric ? rep.metric : "none");
    printf("%s/report.html\n", out);
  }
  report_free(&rep);
  return rc;
}
