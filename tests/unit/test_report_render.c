/* Tests for experiments/report_render.c on a hand-made sweep (report_fixture.h): the
 * summary sentences, notes, the table of runs and the Pareto set cheapest first in
 * Markdown and HTML, the figures each page shows, and user text escaped for each format. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "experiments/report.h"
#include "report_fixture.h"
#include "testutil.h"

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
  rf_full_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  char *md = render(&rep, report_write_md);
  ck_assert(rf_has(md, "## Summary\n\n- 8 runs: 6 train, 2 io-bench; 5 measured, 3 projected"));
  ck_assert(rf_has(md, "- Best auc: m1 (mlp, measured) with 0.9500, at \\$1.00 in 10.0 min.\n"));
  ck_assert(rf_has(md, "- Cheapest: a1 (baseline, measured) at \\$0.1000, auc 0.9000.\n"));
  ck_assert(rf_has(md, "- Fastest: a2 (baseline, measured) in 40.00 s.\n"));
  ck_assert(rf_has(md, "- Pareto set over (auc, cost, time): 5 of 6 runs.\n"));
  ck_assert(rf_has(md, "- Note: ms3: "));
  ck_assert(rf_has(md, "| id | variant | backend | ranks | instance | spot | label | figure label | auc | time | cost | "
                    "epochs | stop reason | Pareto | basis |\n"));
  ck_assert(rf_has(md, "| a1 | baseline | local | 1 | c5.4xlarge | on-demand | measured | baseline, local, 1 rank | 0.9000 | 60.00 s | \\$0.1000 | 6 "
                    "| patience | yes | measured (host not recorded), priced as c5.4xlarge |\n"));
  ck_assert(rf_has(md, "| ms3 | mlp | s3 | 1 | c5.4xlarge | on-demand | measured | mlp, s3, 1 rank | 0.9400 | 15.0 min | \\$2.00 | 20 | "
                    "max_epochs | no | measured (host not recorded), priced as c5.4xlarge |\n"));
  ck_assert(rf_has(md, "| io-s3 | - | s3 | 1 | c5.4xlarge | on-demand | projected | io-bench, s3, 1 rank | - | 4.00 s | \\$0.3000 | 2 | - | - "
                    "| projected (the storage model, virtual clock), priced as c5.4xlarge |\n"));
  ck_assert(rf_has(md, "| m2@c5.xlarge | mlp | local | 1 | c5.xlarge | on-demand | projected | mlp, local @c5.xlarge | 0.9500 | 11.7 min | "
                    "\\$0.5000 | 20 | patience | yes | projected (an Amdahl fit of runs measured), priced as c5.xlarge |\n"));
  ck_assert(rf_has(md, "- Where the 5 measured runs ran is not recorded (results older than provenance.host); prices are "
                    "those of the instance type each is priced as (c5.4xlarge).\n"));
  /* the Pareto set, cheapest first */
  const char *ps = strstr(md, "## Pareto set");
  ck_assert(rf_has(ps, "| id | variant | backend | ranks | instance | label | figure label | auc | time | cost |\n"));
  ck_assert(rf_has(ps, "| a1 | baseline | local | 1 | c5.4xlarge | measured | baseline, local, 1 rank | 0.9000 | 60.00 s | "
                    "\\$0.1000 |\n| a2 |"));
  ck_assert(rf_has(ps, "| m2@c5.xlarge | mlp | local | 1 | c5.xlarge | projected | mlp, local @c5.xlarge | 0.9500 |"));
  ck_assert(rf_has(ps, "| m2@c5.xlarge |"));
  ck_assert(strstr(ps, "| m2@c5.xlarge |") < strstr(ps, "| m1 |"));
  ck_assert(!strstr(ps, "| ms3 |"));
  for (int k = 0; k < REPORT_FIGURES; k++) {
    char want[128];
    snprintf(want, sizeof want, "(%s.png)", rep.fig[k].name);
    ck_assert(rf_has(md, want));
    snprintf(want, sizeof want, "([SVG](%s.svg))", rep.fig[k].name);
    ck_assert(rf_has(md, want));
  }

  char *html = render(&rep, report_write_html);
  ck_assert(rf_has(html, "<!DOCTYPE html>"));
  ck_assert(rf_has(html, "<style>"));
  ck_assert(!strstr(html, "http://") && !strstr(html, "https://") && !strstr(html, "<script"));
  ck_assert(rf_has(html, "<tr class=\"pareto\"><td>a1</td><td>baseline</td>"));
  ck_assert(rf_has(html, "<tr class=\"dominated\"><td>ms3</td>"));
  ck_assert(rf_has(html, "<tr class=\"pareto projected\"><td>m2@c5.xlarge</td>"));
  ck_assert(rf_has(html, "<tr class=\"other projected\"><td>io-s3</td>"));
  ck_assert(rf_has(html, "<td class=\"n\">0.9500</td>"));
  /* the names the figures give the runs, in both tables */
  ck_assert(rf_has(html, "<th>label</th><th>figure label</th><th>auc</th>"));
  ck_assert(rf_has(html, "<td>measured</td><td>baseline, local, 1 rank</td><td class=\"n\">0.9000</td>"));
  const char *hp = strstr(html, "<table class=\"pareto\">");
  ck_assert(rf_has(hp, "<th>label</th><th>figure label</th><th>auc</th>"));
  ck_assert(rf_has(hp, "<td>projected</td><td>mlp, local @c5.xlarge</td><td class=\"n\">0.9500</td>"));
  for (int k = 0; k < REPORT_FIGURES; k++) {
    char want[160];
    snprintf(want, sizeof want, "<img src=\"%s.png\" width=\"%d\" height=\"%d\"", rep.fig[k].name, rep.fig[k].width,
             rep.fig[k].height);
    ck_assert(rf_has(html, want));
  }
  free(md);
  free(html);
  report_free(&rep);

  /* user text is escaped: HTML entities, Markdown table pipes */
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "w");
  rf_train_run odd = rf_runs[0];
  odd.id = "<b>it's|odd</b>";
  odd.variant = "a&b";
  rf_train_line(f, &odd);
  fclose(f);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  md = render(&rep, report_write_md);
  html = render(&rep, report_write_html);
  ck_assert(rf_has(md, "| &lt;b&gt;it's\\|odd&lt;/b&gt; | a&amp;b |"));
  ck_assert(!strstr(md, "<b>it"));
  ck_assert(rf_has(html, "<td>&lt;b&gt;it&#39;s|odd&lt;/b&gt;</td><td>a&amp;b</td>"));
  ck_assert(!strstr(html, "<b>it"));
  free(md);
  free(html);
  report_free(&rep);
  free(p);
}
END_TEST

/* The summary says of the cheapest and the fastest run, as of the best, whether it was
 * measured or projected (an estimate). */
START_TEST(summary_says_measured_or_projected) {
  rf_train_run runs[2] = {rf_runs[2], rf_runs[5]};
  runs[1].total_s = 100; /* m2@c5.xlarge: projected, cheapest and fastest */
  rf_write_sweep(tu_dir, runs, 2);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  char *md = render(&rep, report_write_md), *html = render(&rep, report_write_html);
  ck_assert(rf_has(md, "- Best auc: m1 (mlp, measured) with 0.9500, at \\$1.00 in 10.0 min.\n"));
  ck_assert(rf_has(md, "- Cheapest: m2@c5.xlarge (mlp, projected) at \\$0.5000, auc 0.9500.\n"));
  ck_assert(rf_has(md, "- Fastest: m2@c5.xlarge (mlp, projected) in 100.00 s.\n"));
  ck_assert(rf_has(html, "<li>Cheapest: m2@c5.xlarge (mlp, projected) at $0.5000, auc 0.9500.</li>"));
  ck_assert(rf_has(html, "<li>Fastest: m2@c5.xlarge (mlp, projected) in 100.00 s.</li>"));
  free(md);
  free(html);
  report_free(&rep);

  /* no metric (io-bench runs only): the cheapest says so too */
  rf_io_only_sweep(tu_dir);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  md = render(&rep, report_write_md);
  ck_assert(rf_has(md, "- Cheapest: io-s3 (io-bench, projected) at \\$0.3000.\n"));
  ck_assert(rf_has(md, "- Fastest: io-s3 (io-bench, projected) in 4.00 s.\n"));
  free(md);
  report_free(&rep);
}
END_TEST

/* Every place user text reaches a page, with HTML in it: the sweep's directory, ids,
 * variants, backends, instances, labels, stop reasons, the metric (table heads, the
 * Pareto sentence, captions), notes and the reasons figures are left out. Neither page
 * holds the tag; Markdown's own syntax (links, code, emphasis) is escaped too. */
START_TEST(user_html_never_reaches_a_page) {
  static const char tag[] = "<img src=x onerror=alert(1)>";
  char *dir = tu_path(tu_dir, tag), *p = tu_path(dir, "results.jsonl");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 2; i++)
    fprintf(f,
            "{\"job\": \"%s\", \"task\": \"binary\", \"epochs_run\": 3, \"best_epoch\": 2, \"stop_reason\": \"%s\", "
            "\"test\": {\"%s\": %d}, \"time\": {\"total_s\": %d, \"train_s\": 5}, \"au_percent\": 50, "
            "\"parallel\": {\"ranks\": 1}, \"storage\": {\"backend\": \"%s\"}, "
            "\"cost\": {\"instance\": \"%s\", \"total_usd\": %d}, \"point\": {\"id\": \"%s%d\", \"variant\": \"%s\", "
            "\"kind\": \"train\", \"label\": \"measured\", \"ranks\": 1, \"metric\": \"%s\", "
            "\"set\": {\"model.type\": \"%s\"}, \"dir\": \"points/%d\"}}\n",
            tag, tag, tag, i + 1, 10 - i, tag, tag, 1 + i, tag, i,
            i ? "[x](javascript:alert(1)) `y` *z*" : tag, tag, tag, i);
  fclose(f);
  report rep;
  ck_assert_int_eq(report_load(dir, NULL, &rep), TR_OK);
  ck_assert_str_eq(rep.metric, tag);
  char *md = render(&rep, report_write_md), *html = render(&rep, report_write_html);
  ck_assert_msg(!strstr(md, "<img"), "raw HTML in report.md: %.300s", strstr(md, "<img"));
  for (const char *at = html; (at = strstr(at, "<img")); at++) /* only the figures' own */
    ck_assert_msg(!strncmp(at, "<img src=\"", 10), "raw HTML in report.html: %.300s", at);
  ck_assert(rf_has(md, "| &lt;img src=x onerror=alert(1)&gt;0 | &lt;img src=x onerror=alert(1)&gt; |"));
  ck_assert(rf_has(html, "<td>&lt;img src=x onerror=alert(1)&gt;0</td>"));
  ck_assert(rf_has(md, "| \\[x\\](javascript:alert(1)) \\`y\\` \\*z\\* |"));
  /* the figure label column (the variants that tell the runs apart) too */
  ck_assert(rf_has(md, "| measured | \\[x\\](javascript:alert(1)) \\`y\\` \\*z\\* |"));
  ck_assert(rf_has(html, "<td>measured</td><td>&lt;img src=x onerror=alert(1)&gt;</td>"));
  free(md);
  free(html);
  report_free(&rep);
  free(p);
  free(dir);
}
END_TEST

/* Measured rows say the host their time comes from and the instance type their price is
 * for, in the table and, when one host ran them all, in the summary; host text is user
 * text, escaped on both pages. */
START_TEST(measured_here_priced_there) {
#define HOST(name, cpu, ranks) \
  "\"provenance\": {\"host\": {\"name\": \"" name "\", \"cpu\": \"" cpu "\", \"cores\": 4, " \
  "\"memory_gib\": 15.5, \"ranks\": " #ranks ", \"threads_per_rank\": 2, \"priced_as\": \"c5.4xlarge\"}}"
  rf_train_run runs[3] = {rf_runs[0], rf_runs[1], rf_runs[5]};
  runs[0].extra = HOST("n1", "Xeon <i>|*", 1);
  runs[1].extra = HOST("n1", "Xeon <i>|*", 2);
  runs[2].extra = HOST("n1", "Xeon <i>|*", 2); /* projected from a run of n1's */
  rf_write_sweep(tu_dir, runs, 3);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  char *md = render(&rep, report_write_md), *html = render(&rep, report_write_html);
  ck_assert(rf_has(md, "- Measured here, priced there: times were measured on host n1 (Xeon &lt;i&gt;\\|\\*, 4 cores, "
                    "15.5 GiB); prices are those of the instance type each run is priced as (c5.4xlarge), not of that "
                    "host.\n"));
  ck_assert(rf_has(md, "| measured on Xeon &lt;i&gt;\\|\\* (4 cores, 2 x 2 threads), priced as c5.4xlarge |\n"));
  ck_assert(rf_has(md, "| projected (an Amdahl fit of runs measured on Xeon &lt;i&gt;\\|\\*), priced as c5.xlarge |\n"));
  ck_assert(rf_has(html, "<li>Measured here, priced there: times were measured on host n1 (Xeon &lt;i&gt;|*, 4 cores"));
  ck_assert(rf_has(html, "<th>basis</th></tr>"));
  ck_assert(rf_has(html, "<td>measured on Xeon &lt;i&gt;|* (4 cores, 1 x 2 threads), priced as c5.4xlarge</td></tr>"));
  ck_assert(!strstr(md, "<i>") && !strstr(html, "<i>"));
  free(md);
  free(html);
  report_free(&rep);

  /* two hosts, and a run from before provenance.host */
  runs[1].extra = HOST("n2", "EPYC", 2);
  runs[2] = rf_runs[2];
  rf_write_sweep(tu_dir, runs, 3);
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  md = render(&rep, report_write_md);
  ck_assert(rf_has(md, "- Measured here, priced there: times were measured on these hosts: n1 (Xeon &lt;i&gt;\\|\\*, 4 "
                    "cores, 15.5 GiB), n2 (EPYC, 4 cores, 15.5 GiB) (the basis column gives each run's CPU); prices are "
                    "those of the instance type each run is priced as (c5.4xlarge), not of those hosts. Some measured "
                    "runs do not record their host (older results).\n"));
  ck_assert(rf_has(md, "| measured (host not recorded), priced as c5.4xlarge |\n"));
  free(md);
  report_free(&rep);
#undef HOST
}
END_TEST

int main(void) {
  Suite *s = suite_create("report_render");
  TCase *tc = tcase_create("report_render");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, tables_in_markdown_and_html);
  tcase_add_test(tc, summary_says_measured_or_projected);
  tcase_add_test(tc, user_html_never_reaches_a_page);
  tcase_add_test(tc, measured_here_priced_there);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
