/* Tests for experiments/report.c on hand-made sweeps: the metric choice, the gnuplot
 * datablocks of every figure (learning curves with the best epoch, the Pareto staircase,
 * speedup and efficiency, cost per rank count, the per-backend means), figures left out
 * with a reason, the Markdown and HTML tables, the files report_write() leaves (real
 * gnuplot), and the error paths: missing or malformed input, gnuplot missing, failing or
 * writing nothing, with nothing half-written left behind. */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomic_file.h"
#include "experiments/report.h"
#include "testutil.h"

typedef struct {
  const char *id, *variant, *label, *backend, *instance, *set;
  int ranks;
  double auc, cost, total_s, train_s;
  int epochs, best;
  double au;
} train_run;

/* One train line as `sweep` writes it: result.json plus the point. */
static void train_line(FILE *f, const train_run *t) {
  fprintf(f,
          "{\"job\": \"job\", \"task\": \"binary\", \"epochs_run\": %d, \"best_epoch\": %d, "
          "\"stop_reason\": \"%s\", \"test\": {\"accuracy\": 0.9, \"auc\": %.10g, \"log_loss\": 0.3}, "
          "\"time\": {\"total_s\": %.10g, \"train_s\": %.10g}, \"au_percent\": %g, "
          "\"parallel\": {\"ranks\": %d, \"threads_per_rank\": 1}, \"storage\": {\"backend\": \"%s\"}, "
          "\"cost\": {\"instance\": \"%s\", \"spot\": false, \"total_usd\": %.10g}, "
          "\"point\": {\"id\": \"%s\", \"variant\": \"%s\", \"kind\": \"train\", \"label\": \"%s\", "
          "\"ranks\": %d, \"set\": {%s}, \"dir\": \"points/%s\"}}\n",
          t->epochs, t->best, t->best < t->epochs ? "patience" : "max_epochs", t->auc, t->total_s, t->train_s,
          t->au, t->ranks, t->backend, t->instance, t->cost, t->id, t->variant, t->label, t->ranks, t->set, t->id);
}

static void io_line(FILE *f, const char *id, const char *backend, double epoch_s, double au, double cost) {
  fprintf(f,
          "{\"clock\": \"virtual\", \"backend\": \"%s\", \"workload\": {\"ranks\": 1}, \"epoch_s\": [%g, %g], "
          "\"train_au_mean_percentage\": %g, \"total_s\": %g, \"cost\": {\"instance\": \"c5.4xlarge\", "
          "\"total_usd\": %g}, \"point\": {\"id\": \"%s\", \"variant\": \"\", \"kind\": \"io-bench\", "
          "\"label\": \"projected\", \"ranks\": 1, \"set\": {\"storage.backend\": \"%s\"}, \"dir\": \"points/%s\"}}\n",
          backend, epoch_s, epoch_s, au, 2 * epoch_s, cost, id, backend, id);
}

/* DIR/points/ID/history.csv: the validation loss is lowest at epoch best. */
static void history(const char *dir, const char *id, int epochs, int best) {
  char *d = NULL, *p = NULL;
  ck_assert_int_ge(asprintf(&d, "%s/points/%s", dir, id), 0);
  ck_assert_int_eq(tr_mkdir_p(d), TR_OK);
  ck_assert_int_ge(asprintf(&p, "%s/history.csv", d), 0);
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs("epoch,train_loss,val_loss,val_auc,lr,epoch_s,io_wait_s,comm_s\n", f);
  for (int e = 1; e <= epochs; e++)
    fprintf(f, "%d,%.6f,%.6f,0.9,0.001,0.5,0,0\n", e, 1.0 / e, 1.0 / (e < best ? e : best) + 0.01 * (e > best ? e - best : 0));
  fclose(f);
  free(d);
  free(p);
}

static const train_run runs[] = {
    {"a1", "baseline", "measured", "local", "c5.4xlarge", "\"model.type\": \"logistic\"", 1, 0.90, 0.10, 60, 50, 6, 4, 90},
    {"a2", "baseline", "measured", "local", "c5.4xlarge", "\"model.type\": \"logistic\"", 2, 0.90, 0.12, 40, 30, 6, 4, 80},
    {"m1", "mlp", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 1, 0.95, 1.00, 600, 500, 20, 15, 95},
    {"m2", "mlp", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 2, 0.95, 1.10, 320, 250, 20, 15, 95},
    {"ms3", "mlp", "measured", "s3", "c5.4xlarge", "\"model.type\": \"mlp\", \"storage.backend\": \"s3\"", 1, 0.94,
     2.00, 900, 800, 20, 20, 60},
    {"m2@c5.xlarge", "mlp", "projected", "local", "c5.xlarge", "\"model.type\": \"mlp\"", 1, 0.95, 0.50, 700, 630, 20,
     15, 95},
};
#define N_RUNS (sizeof runs / sizeof *runs)

/* The full sweep: 6 train lines (one projected), 2 io-bench lines; ms3 has no history. */
static void full_sweep(const char *dir) {
  char *p = tu_path(dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  for (size_t i = 0; i < N_RUNS; i++) train_line(f, &runs[i]);
  io_line(f, "io-s3", "s3", 2, 40, 0.3);
  io_line(f, "io-fsx", "fsx", 1, 90, 0.2);
  fclose(f);
  free(p);
  for (size_t i = 0; i < 4; i++) history(dir, runs[i].id, runs[i].epochs, runs[i].best);
}

static bool has(const char *text, const char *what) {
  if (text && strstr(text, what)) return true;
  fprintf(stderr, "missing \"%s\" in:\n%s\n", what, text ? text : "(null)");
  return false;
}

START_TEST(plans_every_figure) {
  full_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "auc");
  ck_assert_uint_eq(rep.rs.n, 8);
  /* a1 cheapest, a2 faster, m1 best auc, m2 faster, m2@ cheap projection; ms3 loses to m1 */
  bool want[8] = {false, false, false, false, true, false, true, true};
  for (size_t i = 0; i < rep.rs.n; i++) ck_assert_msg(rep.dominated[i] == want[i], "run %zu", i);
  for (int k = 0; k < REPORT_FIGURES; k++) ck_assert_msg(!rep.fig[k].omitted, "%s: %s", rep.fig[k].name, rep.fig[k].omitted);

  /* learning curves: 4 histories (ms3 has none: a note), best epochs marked */
  ck_assert_uint_eq(rep.n_curves, 4);
  const report_figure *lc = &rep.fig[REPORT_LEARNING_CURVES];
  ck_assert(has(lc->data, "$curve1 << EOD\n1 1 1\n2 0.5 0.5\n"));
  ck_assert(has(lc->data, "$best << EOD\n4 0.25 2062260\n4 0.25 16744206\n15 0.066667 2924588\n"));
  ck_assert(has(lc->body, "title 'a1 (baseline)'"));
  ck_assert(has(lc->body, "with points pt 7 ps 1.8 lc rgb variable title 'best epoch"));
  ck_assert_uint_eq(rep.n_notes, 1);
  ck_assert(has(rep.notes[0], "ms3: "));
  ck_assert(has(rep.notes[0], "points/ms3/history.csv does not exist"));

  /* metric vs cost: the staircase buys .90 for $0.10, then .95 for $0.50 */
  const report_figure *mc = &rep.fig[REPORT_METRIC_COST];
  ck_assert(has(mc->data, "$frontier << EOD\n0.1 0.9\n0.5 0.95\nEOD\n"));
  ck_assert(has(mc->data, "$pareto_measured << EOD\n0.1 0.9 \"a1\"\n0.12 0.9 \"a2\"\n1 0.95 \"m1\"\n1.1 0.95 \"m2\"\n"));
  ck_assert(has(mc->data, "$pareto_projected << EOD\n0.5 0.95 \"m2@c5.xlarge\"\nEOD"));
  ck_assert(has(mc->data, "$dominated_measured << EOD\n2 0.94 \"ms3\"\nEOD"));
  ck_assert(has(mc->data, "$dominated_projected << EOD\nEOD"));
  ck_assert(!strstr(mc->body, "$dominated_projected using")); /* an empty series is not plotted */
  ck_assert(has(mc->body, "with steps"));
  ck_assert(!strstr(mc->body, "set logscale x")); /* $0.10 .. $2.00: a linear axis */

  /* speedup = train_s(1) / train_s(k); efficiency = speedup / k */
  const report_figure *sp = &rep.fig[REPORT_SPEEDUP];
  ck_assert(has(sp->data, "$speedup1 << EOD\n1 1 1\n2 1.666666667 0.8333333333\nEOD"));
  ck_assert(has(sp->data, "$speedup2 << EOD\n1 1 1\n2 2 1\nEOD"));
  ck_assert(!strstr(sp->data, "$speedup3")); /* ms3 ran on one rank count only */
  ck_assert(has(sp->body, "x / 1 with lines dt 2 lc 'gray' title 'ideal'"));
  ck_assert(has(sp->body, "title 'baseline, local'"));
  ck_assert(has(sp->body, "set xtics (1, 2)"));

  const report_figure *cr = &rep.fig[REPORT_COST_RANKS];
  ck_assert(has(cr->data, "$cost1 << EOD\n1 0.1\n2 0.12\nEOD\n$cost2 << EOD\n1 1\n2 1.1\nEOD\n$cost3 << EOD\n1 2\nEOD"));
  ck_assert(has(cr->body, "title 'mlp, s3'"));

  /* storage: means per series and backend; '?' where a series did not run */
  const report_figure *st = &rep.fig[REPORT_STORAGE];
  ck_assert(has(st->data, "$epoch_s << EOD\n\"backend\" \"train: baseline\" \"train: mlp\" \"io-bench (virtual clock)\"\n"
                          "\"local\" 6.666666667 18.75 ?\n\"s3\" ? 40 2\n\"fsx\" ? ? 1\nEOD"));
  ck_assert(has(st->data, "$au_percent << EOD\n"));
  ck_assert(has(st->data, "\"local\" 85 95 ?\n"));
  ck_assert(has(st->data, "$cost_usd << EOD\n"));
  ck_assert(has(st->body, "set multiplot layout 1,3"));
  report_free(&rep);
  ck_assert_uint_eq(rep.rs.n, 0);
  report_free(&rep); /* twice is harmless */
}
END_TEST

START_TEST(gnuplot_script_sets_both_terminals) {
  report_figure f = {.name = "x", .title = "X", .width = 640, .height = 400, .data = "$d << EOD\n1 2\nEOD\n",
                     .body = "plot $d using 1:2 with lines"};
  char *s = report_gnuplot_script(&f, "/tmp/it's.png", "/tmp/x.svg");
  ck_assert(has(s, "$d << EOD\n1 2\nEOD\n"));
  ck_assert(has(s, "set terminal pngcairo size 640,400 noenhanced"));
  ck_assert(has(s, "set terminal png size 640,400 noenhanced")); /* when pngcairo is missing */
  ck_assert(has(s, "set output '/tmp/it''s.png'\nplot $d using 1:2 with lines\nunset output\n"));
  ck_assert(has(s, "set terminal svg size 640,400 noenhanced"));
  ck_assert(has(s, "set output '/tmp/x.svg'\nplot $d using 1:2 with lines\nunset output\n"));
  free(s);
}
END_TEST

/* One rank count, one backend: no speedup, cost-vs-ranks or storage figure, and why. */
START_TEST(omits_figures_without_data) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  train_line(f, &runs[0]);
  train_line(f, &runs[2]);
  fclose(f);
  history(tu_dir, "a1", 6, 4);
  history(tu_dir, "m1", 20, 15);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert(!rep.fig[REPORT_LEARNING_CURVES].omitted && !rep.fig[REPORT_METRIC_COST].omitted);
  ck_assert(has(rep.fig[REPORT_SPEEDUP].omitted, "every train run used 1 rank: speedup needs runs that differ in ranks"));
  ck_assert(has(rep.fig[REPORT_COST_RANKS].omitted, "every train run used 1 rank"));
  ck_assert(has(rep.fig[REPORT_STORAGE].omitted, "every run read from 'local'"));
  ck_assert_ptr_null(rep.fig[REPORT_SPEEDUP].data);
  report_free(&rep);

  /* io-bench runs only, one backend: no metric, every figure left out */
  f = fopen(p, "w");
  io_line(f, "io-s3", "s3", 2, 40, 0.3);
  fclose(f);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "");
  ck_assert(rep.dominated[0]);
  ck_assert(has(rep.fig[REPORT_LEARNING_CURVES].omitted, "no measured train run with a history.csv"));
  ck_assert(has(rep.fig[REPORT_METRIC_COST].omitted, "no run reports a test metric"));
  ck_assert(has(rep.fig[REPORT_SPEEDUP].omitted, "no measured train run"));
  ck_assert(has(rep.notes[0], "No run reports a test metric"));
  char *out = tu_path(tu_dir, "out");
  ck_assert_int_eq(report_write(&rep, out, NULL), TR_OK);
  char *html_path = tu_path(out, "report.html");
  FILE *h = fopen(html_path, "r");
  ck_assert_ptr_nonnull(h);
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, h);
  buf[n] = '\0';
  fclose(h);
  ck_assert(!strstr(buf, "<img")); /* nothing drawn: no image to break */
  ck_assert(has(buf, "Not drawn: every run read from &#39;s3&#39;: nothing to compare."));
  report_free(&rep);
  free(html_path);
  free(out);
  free(p);
}
END_TEST

/* Regression runs: rmse by default, lower is better, the staircase goes down. */
START_TEST(regression_uses_rmse) {
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  const double rmse[3] = {0.50, 0.30, 0.40}, usd[3] = {0.1, 0.5, 0.9};
  for (int i = 0; i < 3; i++)
    fprintf(f,
            "{\"task\": \"regression\", \"test\": {\"mse\": %g, \"rmse\": %g, \"mae\": 0.2, \"r2\": 0.8}, "
            "\"time\": {\"total_s\": 10, \"train_s\": 9}, \"epochs_run\": 3, \"best_epoch\": 3, "
            "\"cost\": {\"total_usd\": %g}, \"point\": {\"id\": \"r%d\", \"kind\": \"train\"}}\n",
            rmse[i] * rmse[i], rmse[i], usd[i], i);
  fclose(f);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "rmse");
  ck_assert(!rep.dominated[0] && !rep.dominated[1] && rep.dominated[2]);
  ck_assert(has(rep.fig[REPORT_METRIC_COST].data, "$frontier << EOD\n0.1 0.5\n0.5 0.3\nEOD"));
  ck_assert(has(rep.fig[REPORT_METRIC_COST].body, "lower is better"));
  /* no point.dir: no learning curve, said in a note */
  ck_assert(has(rep.notes[0], "r0 has no run directory"));
  report_free(&rep);
  ck_assert_int_eq(report_load(tu_dir, "r2", &rep), TR_OK);
  ck_assert_str_eq(rep.metric, "r2");
  report_free(&rep);
  free(p);
}
END_TEST

/* The text write() produces (malloc'd); not inlined, where GCC 12 mistakes the
 * memstream's buffer for a local. */
__attribute__((noinline)) static char *render(const report *rep, tr_err (*write)(const report *, FILE *)) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  ck_assert_int_eq(write(rep, f), TR_OK);
  fclose(f);
  return text;
}

START_TEST(tables_in_markdown_and_html) {
  full_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  char *md = render(&rep, report_write_md);
  ck_assert(has(md, "## Summary\n\n- 8 runs: 6 train, 2 io-bench; 5 measured, 3 projected"));
  ck_assert(has(md, "- Best auc: m1 (mlp, measured) with 0.9500, at \\$1.00 in 10.0 min.\n"));
  ck_assert(has(md, "- Cheapest: a1 (baseline) at \\$0.1000, auc 0.9000.\n"));
  ck_assert(has(md, "- Pareto set over (auc, cost, time): 5 of 6 runs.\n"));
  ck_assert(has(md, "- Note: ms3: "));
  ck_assert(has(md, "| id | variant | backend | ranks | instance | spot | label | auc | time | cost | epochs | "
                    "stop reason | Pareto |\n"));
  ck_assert(has(md, "| a1 | baseline | local | 1 | c5.4xlarge | on-demand | measured | 0.9000 | 60.00 s | \\$0.1000 | 6 "
                    "| patience | yes |\n"));
  ck_assert(has(md, "| ms3 | mlp | s3 | 1 | c5.4xlarge | on-demand | measured | 0.9400 | 15.0 min | \\$2.00 | 20 | "
                    "max_epochs | no |\n"));
  ck_assert(has(md, "| io-s3 | - | s3 | 1 | c5.4xlarge | on-demand | projected | - | 4.00 s | \\$0.3000 | 2 | - | - |\n"));
  /* the Pareto set, cheapest first */
  const char *ps = strstr(md, "## Pareto set");
  ck_assert(has(ps, "| a1 | baseline | local | 1 | c5.4xlarge | measured | 0.9000 | 60.00 s | \\$0.1000 |\n"
                    "| a2 |"));
  ck_assert(has(ps, "| m2@c5.xlarge |"));
  ck_assert(strstr(ps, "| m2@c5.xlarge |") < strstr(ps, "| m1 |"));
  ck_assert(!strstr(ps, "| ms3 |"));
  for (int k = 0; k < REPORT_FIGURES; k++) {
    char want[128];
    snprintf(want, sizeof want, "(%s.png)", rep.fig[k].name);
    ck_assert(has(md, want));
    snprintf(want, sizeof want, "([SVG](%s.svg))", rep.fig[k].name);
    ck_assert(has(md, want));
  }

  char *html = render(&rep, report_write_html);
  ck_assert(has(html, "<!DOCTYPE html>"));
  ck_assert(has(html, "<style>"));
  ck_assert(!strstr(html, "http://") && !strstr(html, "https://") && !strstr(html, "<script"));
  ck_assert(has(html, "<tr class=\"pareto\"><td>a1</td><td>baseline</td>"));
  ck_assert(has(html, "<tr class=\"dominated\"><td>ms3</td>"));
  ck_assert(has(html, "<tr class=\"pareto projected\"><td>m2@c5.xlarge</td>"));
  ck_assert(has(html, "<tr class=\"other projected\"><td>io-s3</td>"));
  ck_assert(has(html, "<td class=\"n\">0.9500</td>"));
  for (int k = 0; k < REPORT_FIGURES; k++) {
    char want[160];
    snprintf(want, sizeof want, "<img src=\"%s.png\" width=\"%d\" height=\"%d\"", rep.fig[k].name, rep.fig[k].width,
             rep.fig[k].height);
    ck_assert(has(html, want));
  }
  free(md);
  free(html);
  report_free(&rep);

  /* user text is escaped: HTML entities, Markdown table pipes */
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  train_run odd = runs[0];
  odd.id = "<b>it's|odd</b>";
  odd.variant = "a&b";
  train_line(f, &odd);
  fclose(f);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  md = render(&rep, report_write_md);
  html = render(&rep, report_write_html);
  ck_assert(has(md, "| <b>it's\\|odd</b> | a&b |"));
  ck_assert(has(html, "<td>&lt;b&gt;it&#39;s|odd&lt;/b&gt;</td><td>a&amp;b</td>"));
  ck_assert(!strstr(html, "<b>it"));
  free(md);
  free(html);
  report_free(&rep);
  free(p);
}
END_TEST

static bool nonempty(const char *dir, const char *name) {
  char *p = tu_path(dir, name);
  struct stat st;
  bool ok = stat(p, &st) == 0 && st.st_size > 0;
  free(p);
  return ok;
}

static size_t temporaries(const char *dir) {
  DIR *d = opendir(dir);
  size_t n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".tmp.")) n++;
  if (d) closedir(d);
  return n;
}

static char *slurp(const char *dir, const char *name) {
  char *p = tu_path(dir, name), *text = NULL;
  size_t cap = 0;
  FILE *f = fopen(p, "r");
  free(p);
  if (!f) return NULL;
  if (getdelim(&text, &cap, '\0', f) < 0) {
    free(text);
    text = NULL;
  }
  fclose(f);
  return text;
}

/* Real gnuplot: every figure as PNG and SVG, the pages, nothing temporary left; ids
 * with quotes and pipes go through gnuplot's strings too. */
START_TEST(writes_figures_and_pages) {
  full_sweep(tu_dir);
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "a");
  train_run odd = runs[2];
  odd.id = "it's \\\"odd\\\"|"; /* JSON text of the id it's "odd"| */
  train_line(f, &odd);
  fclose(f);
  history(tu_dir, "it's \"odd\"|", 5, 3);
  char *out = tu_path(tu_dir, "report/out");
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_int_eq(report_write(&rep, out, NULL), TR_OK);
  for (int k = 0; k < REPORT_FIGURES; k++) {
    char name[64];
    snprintf(name, sizeof name, "%s.png", rep.fig[k].name);
    ck_assert_msg(nonempty(out, name), "%s", name);
    char *png = slurp(out, name);
    ck_assert(png && !memcmp(png, "\x89PNG", 4));
    free(png);
    snprintf(name, sizeof name, "%s.svg", rep.fig[k].name);
    ck_assert_msg(nonempty(out, name), "%s", name);
    char *svg = slurp(out, name);
    ck_assert(has(svg, "<svg"));
    ck_assert(has(svg, "</svg>"));
    free(svg);
  }
  ck_assert(nonempty(out, "report.md") && nonempty(out, "report.html"));
  ck_assert_uint_eq(temporaries(out), 0);
  report_free(&rep);

  /* a figure the next report leaves out is removed with it, not left stale */
  f = fopen(p, "w");
  train_line(f, &runs[0]);
  train_line(f, &runs[2]);
  fclose(f);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  ck_assert_int_eq(report_write(&rep, out, NULL), TR_OK);
  ck_assert(nonempty(out, "metric-vs-cost.png"));
  ck_assert(!nonempty(out, "speedup.png") && !nonempty(out, "storage.svg"));
  char *html = slurp(out, "report.html");
  ck_assert(!strstr(html, "speedup.png"));
  free(html);
  report_free(&rep);
  free(out);
  free(p);
}
END_TEST

/* gnuplot missing, failing or writing nothing: TR_EIO with what it said; the previous
 * report stays as it was and no temporary is left. */
START_TEST(gnuplot_failures) {
  full_sweep(tu_dir);
  char *out = tu_path(tu_dir, "out");
  ck_assert_int_eq(tr_mkdir_p(out), TR_OK);
  char *old = tu_path(out, "report.html");
  tu_write(old, "previous report\n");
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);

  ck_assert_int_eq(report_write(&rep, out, "/no/such/gnuplot"), TR_EIO);
  ck_assert(has(tr_error_message(), "cannot run gnuplot ('/no/such/gnuplot'): No such file or directory"));

  char *fake = tu_path(tu_dir, "fake-gnuplot");
  tu_write(fake, "#!/bin/sh\ncat >/dev/null\necho '         plot $d with nonsense' >&2\necho '              ^' >&2\n"
                 "echo 'line 12: unrecognized plot option' >&2\nexit 1\n");
  ck_assert_int_eq(chmod(fake, 0755), 0);
  tr_error_clear();
  ck_assert_int_eq(report_write(&rep, out, fake), TR_EIO);
  ck_assert(has(tr_error_message(),
                "gnuplot failed drawing learning-curves.png (exit 1): line 12: unrecognized plot option (at: plot $d with "
                "nonsense)"));

  tu_write(fake, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
  tr_error_clear();
  setenv("TRADEOFF_GNUPLOT", fake, 1); /* the environment names the program too */
  ck_assert_int_eq(report_write(&rep, out, NULL), TR_EIO);
  unsetenv("TRADEOFF_GNUPLOT");
  ck_assert(has(tr_error_message(), "gnuplot wrote no learning-curves.png"));

  char *html = slurp(out, "report.html");
  ck_assert_str_eq(html, "previous report\n");
  ck_assert(!nonempty(out, "report.md") && !nonempty(out, "learning-curves.png"));
  ck_assert_uint_eq(temporaries(out), 0);
  free(html);
  report_free(&rep);
  free(fake);
  free(old);
  free(out);
}
END_TEST

START_TEST(input_errors) {
  report rep;
  char *missing = tu_path(tu_dir, "nope");
  ck_assert_int_eq(report_load(missing, NULL, &rep), TR_EINPUT);
  ck_assert(has(tr_error_message(), "nope/results.jsonl: cannot open"));
  free(missing);

  char *p = tu_path(tu_dir, "results.jsonl");
  tu_write(p, "");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  ck_assert(has(tr_error_message(), "results.jsonl has no runs"));

  FILE *f = fopen(p, "w");
  train_line(f, &runs[0]);
  fputs("{\"point\": {\"id\": \"x\"}, \"cost\": \n", f);
  fclose(f);
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(p, 2, "not valid JSON");

  f = fopen(p, "w");
  train_line(f, &runs[0]);
  fclose(f);
  history(tu_dir, "a1", 6, 4);
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, "r2", &rep), TR_EUSAGE);
  ck_assert(has(tr_error_message(), "--metric r2: no run in"));
  ck_assert(has(tr_error_message(), "they report: auc, accuracy, log_loss"));

  char *h = tu_path(tu_dir, "points/a1/history.csv");
  tu_write(h, "step,loss\n1,0.5\n");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(h, 1, "expected the header epoch,train_loss,val_loss");
  tu_write(h, "epoch,train_loss,val_loss,val_auc\n1,0.5,0.6,0.9\n2,0.4,oops,0.9\n");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(h, 3, "expected numbers");
  tu_write(h, "");
  tr_error_clear();
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_EINPUT);
  tu_assert_input_error(h, 1, "empty file");
  free(h);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("report");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, plans_every_figure);
  tcase_add_test(tc, gnuplot_script_sets_both_terminals);
  tcase_add_test(tc, omits_figures_without_data);
  tcase_add_test(tc, regression_uses_rmse);
  tcase_add_test(tc, tables_in_markdown_and_html);
  tcase_add_test(tc, writes_figures_and_pages);
  tcase_add_test(tc, gnuplot_failures);
  tcase_add_test(tc, input_errors);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
