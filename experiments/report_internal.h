/* Internal to experiments/report*.c: what the parts of the report share. report.c loads
 * the sweep and owns the small text helpers, report_plan.c and report_scaling.c plan the
 * figures, report_gnuplot.c quotes for and runs gnuplot and places the files,
 * report_render.c writes Markdown and HTML. Not for code outside experiments/report*. */
#ifndef TR_REPORT_INTERNAL_H
#define TR_REPORT_INTERNAL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "experiments/report.h"

/* ---- report.c: text helpers ---- */

/* A malloc'd string formatted as printf / vprintf do; NULL on ENOMEM (nothing recorded). */
char *report_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *report_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Appends a formatted remark to rep->notes; TR_ENOMEM (recorded) when it cannot. */
tr_err report_note(report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text built with stdio: report_buf_open() starts an empty one (TR_ENOMEM recorded on
 * failure), report_buf_close() ends it and returns the malloc'd text, NULL when a write
 * failed. report_bufs_open() opens two (none stays open on failure). */
typedef struct {
  char *text;
  size_t len;
  FILE *f;
} report_buf;
tr_err report_buf_open(report_buf *m);
char *report_buf_close(report_buf *m);
tr_err report_bufs_open(report_buf *a, report_buf *b);

/* The kind and label of a record, as `sweep` writes them. */
static inline bool report_is_train(const run_record *r) { return !strcmp(r->kind, "train"); }
static inline bool report_is_measured(const run_record *r) { return !strcmp(r->label, "measured"); }

/* ---- report_plan.c: planning the figures ---- */

/* Plans every figure of rep (loaded records, metric, Pareto flags and curves set): fills
 * each rep->fig[k] with data, body and caption, or its omitted reason; may add notes.
 * TR_ENOMEM (recorded) on failure; what was planned stays for report_free(). */
tr_err report_plan(report *rep);

/* Marks figure k as left out with a formatted reason; TR_ENOMEM when it cannot. */
tr_err report_omit(report *rep, int k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Stores data, body and caption of figure k (takes ownership of all three; any NULL
 * frees the others and is TR_ENOMEM). */
tr_err report_set_figure(report *rep, int k, char *data, char *body, char *caption);

/* The i-th colour of the cycle (Tableau 10, matplotlib's default), as 0xRRGGBB. */
unsigned report_color(size_t i);

/* ---- report_scaling.c ---- */

/* Plans the speedup and cost-vs-ranks figures from the measured train runs grouped by
 * everything but their rank count (or says why they are left out). TR_ENOMEM on failure. */
tr_err report_plan_scaling(report *rep);
/* The search figure and its notes (spent vs budget, left unrun, cost saved by pruning)
 * for a sweep whose records carry point.search (report_search.c). */
tr_err report_plan_search(report *rep);

/* ---- report_serve.c ---- */

/* Plans the serving figures (latency vs cost, cost per 1M requests by option) from the
 * records' "serve" objects, or leaves both out saying no run was served. TR_ENOMEM. */
tr_err report_plan_serve(report *rep);

/* ---- report_label.c: naming the runs, placing the names ---- */

/* Fills rep->labels and rep->config_labels (records loaded) from what differs between
 * the runs: the variant, the settings that differ within a variant (shortened: "mlp",
 * "lr 0.01"), the backend, the instance, "2 ranks", "spot", "@INSTANCE" for projected
 * runs; an id suffix where runs are alike in every way. TR_ENOMEM (recorded). */
tr_err report_label_runs(report *rep);

/* A label beside a point of a figure, in pixels from the plot area's bottom left corner. */
typedef struct {
  double x, y;   /* in: the point */
  double w, h;   /* in: the label's size */
  int priority;  /* in: lower is placed first (nearest its point) */
  double lx, ly; /* out: the text's anchor: its left edge (right edge when left_of), its middle */
  bool left_of;  /* out: the label stands left of its point (right-aligned at lx) */
  bool leader;   /* out: moved more than a line from its point: draw a line between them */
  bool placed;   /* out: false when no place is clear of the other labels: not drawn */
} report_label_box;

/* Places the labels b[0..n) in a width x height plot area so that none overlaps another
 * or one of the markers (n_markers (x, y) pairs, every point drawn): in the order of
 * priority, x, then y from the top, each beside its point, else pushed down or up a line
 * at a time: inside the area and clear of the other labels, and of the markers too where
 * it can be; a label with no such place is left out (placed false), never overprinted.
 * TR_ENOMEM (recorded) leaves b unplaced. */
tr_err report_place_labels(report_label_box *b, size_t n, const double *markers, size_t n_markers, double width,
                           double height);

/* ---- report_gnuplot.c: gnuplot syntax ---- */

/* s as a gnuplot string expression of single-quoted literals, where nothing is ever
 * substituted (backquotes, @macros), joined by "\047" for each quote: 'it'."\047".'s'
 * (no ' character but the literals' own, which gnuplot's macro expander counts to tell
 * quoted text; control characters: spaces). For titles, labels and output names. */
void report_gp_quote(FILE *f, const char *s);
/* s as a double-quoted string in a datablock (quotes and backslashes become '). */
void report_gp_datastr(FILE *f, const char *s);
/* v as a datablock number (%.10g; NaN when not finite). */
void report_gp_num(FILE *f, double v);
#endif
