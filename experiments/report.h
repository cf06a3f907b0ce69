/* The report of a sweep: figures drawn by gnuplot (PNG and SVG) and report.html /
 * report.md with a summary, the table of runs and the Pareto set. report_load() reads
 * the sweep (results.jsonl through experiments/results.h, each train run's history.csv)
 * and plans every figure as gnuplot data and commands, or says why a figure is left out;
 * report_write() runs gnuplot and writes the files, each atomically. */
#ifndef TR_REPORT_H
#define TR_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"
#include "experiments/results.h"

/* The figures, in the order the report shows them. */
enum {
  REPORT_LEARNING_CURVES, /* train and val loss per epoch, best epoch marked */
  REPORT_METRIC_COST,     /* metric vs cost, Pareto frontier, dominated points */
  REPORT_SPEEDUP,         /* speedup and efficiency vs ranks */
  REPORT_COST_RANKS,      /* cost vs ranks */
  REPORT_STORAGE,         /* epoch time, AU and cost per storage backend */
  REPORT_SERVE_LATENCY,   /* serving: p99 latency vs cost per month, per deployment option */
  REPORT_SERVE_OPTIONS,   /* serving: cost per 1M requests by deployment option */
  REPORT_SEARCH,          /* a search's trials: validation metric per epoch, pruned ones marked */
  REPORT_FIGURES
};

typedef struct {
  const char *name;   /* file stem: NAME.png and NAME.svg */
  const char *title;
  int width, height;  /* pixels of the PNG (the SVG has the same size) */
  char *caption;      /* what the figure shows (HTML-free text) */
  char *data;         /* gnuplot datablocks ($name << EOD ... EOD) */
  char *body;         /* gnuplot commands that draw the figure from the datablocks */
  char *omitted;      /* why the figure is left out; NULL when it is drawn */
} report_figure;

typedef struct {
  size_t run;                          /* index of the record */
  size_t n;                            /* rows of history.csv */
  double *epoch, *train_loss, *val_loss;
} report_curve;

typedef struct {
  char *dir;                /* the sweep's directory */
  run_records rs;
  char metric[32];          /* the metric of the table and the Pareto filter; "" when none */
  bool *dominated;          /* results_pareto() over metric (all true without one) */
  char **labels;            /* per record: what tells it apart from the other runs ("mlp, 2
                               ranks", "mlp @c5.xlarge"), unique (an id suffix where needed) */
  char **config_labels;     /* per record: the same without the rank count (a configuration
                               the scaling figures follow across rank counts); not unique */
  report_curve *curves;     /* learning curves of measured train runs */
  size_t n_curves;
  report_figure fig[REPORT_FIGURES];
  char **notes;             /* remarks the report shows under its summary */
  size_t n_notes;
} report;

/* Reads DIR/results.jsonl and the history.csv of each measured train run, chooses the
 * metric (metric, or NULL: auc when runs report it, else rmse, else the first test
 * metric found) and plans the figures. Errors (rep is left empty): TR_EINPUT for a
 * missing or malformed results.jsonl or history.csv ("FILE:LINE: ..."), no runs, or a
 * metric no run reports. */
tr_err report_load(const char *dir, const char *metric, report *rep);

/* The gnuplot script that draws f into png and svg (malloc'd; NULL on ENOMEM). */
char *report_gnuplot_script(const report_figure *f, const char *png, const char *svg);

/* Write the report as Markdown / as one self-contained HTML page (inline CSS; the
 * images NAME.png sit next to it). Return TR_EIO when f reports a write error. */
tr_err report_write_md(const report *rep, FILE *f);
tr_err report_write_html(const report *rep, FILE *f);

/* Draws the figures with gnuplot (program `gnuplot`; NULL: $TRADEOFF_GNUPLOT or
 * "gnuplot") and writes out_dir/NAME.png, NAME.svg, report.md and report.html, each
 * under a temporary name first: on any failure none of them is replaced. Figures a
 * previous report drew that this one leaves out are removed. TR_EIO when gnuplot
 * cannot be started or fails (its stderr in the message), or a write fails. */
tr_err report_write(const report *rep, const char *out_dir, const char *gnuplot);

/* Frees everything report_load() made; safe on a zeroed or freed report. */
void report_free(report *rep);
#endif
