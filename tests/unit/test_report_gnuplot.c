/* Tests for experiments/report_gnuplot.c: the script of a figure (both terminals, quoted
 * file names, none gnuplot reads as a pipe), a report into a directory named like a
 * gnuplot pipe with quotes in its variants and ids, names with quotes and @macros drawn
 * as they are (no macro expanded, no gnuplot code in a directory name run), the files report_write() leaves with real gnuplot (every figure as PNG and
 * SVG, the pages, stale figures removed, pages without figures), and gnuplot missing,
 * failing or writing nothing, with nothing half-written left behind. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "experiments/report.h"
#include "report_fixture.h"
#include "testutil.h"

START_TEST(gnuplot_script_sets_both_terminals) {
  report_figure f = {.name = "x", .title = "X", .width = 640, .height = 400, .data = "$d << EOD\n1 2\nEOD\n",
                     .body = "plot $d using 1:2 with lines"};
  char *s = report_gnuplot_script(&f, "/tmp/it's.png", "/tmp/x.svg");
  ck_assert(rf_has(s, "$d << EOD\n1 2\nEOD\n"));
  ck_assert(rf_has(s, "set terminal pngcairo size 640,400 noenhanced"));
  ck_assert(rf_has(s, "set terminal png size 640,400 noenhanced")); /* when pngcairo is missing */
  /* a quote is "\047": no ' but the literals' own, for gnuplot's macro expander */
  ck_assert(rf_has(s, "set output '/tmp/it'.\"\\047\".'s.png'\nplot $d using 1:2 with lines\nunset output\n"));
  ck_assert(rf_has(s, "set terminal svg size 640,400 noenhanced"));
  ck_assert(rf_has(s, "set output '/tmp/x.svg'\nplot $d using 1:2 with lines\nunset output\n"));
  free(s);
  /* `set output '|cmd'` is a pipe to /bin/sh: such a name is written as ./|cmd */
  s = report_gnuplot_script(&f, "|touch PWNED;x.png", "|x.svg");
  ck_assert(rf_has(s, "set output './|touch PWNED;x.png'\n"));
  ck_assert(rf_has(s, "set output './|x.svg'\n"));
  ck_assert(!strstr(s, "'|"));
  free(s);
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

/* A sweep directory named like a gnuplot pipe, a variant and an id with quotes: the
 * report is drawn and written there, and no shell ran the name. */
START_TEST(no_shell_through_the_output_path) {
  ck_assert_int_eq(chdir(tu_dir), 0); /* the name must be relative to start with | */
  const char *dir = "|touch PWNED;x";
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  rf_full_sweep(dir);
  char *p = tu_path(dir, "results.jsonl");
  FILE *f = fopen(p, "a");
  rf_train_run odd = rf_runs[2];
  odd.id = "q'1";
  odd.variant = "it's \\\"quoted\\\" ''";  /* JSON text of it's \"quoted\" '' */
  rf_train_line(f, &odd);
  fclose(f);
  rf_history(dir, "q'1", 5, 3);
  report rep;
  ck_assert_int_eq(report_load(dir, NULL, &rep), TR_OK);
  ck_assert_msg(report_write(&rep, dir, NULL) == TR_OK, "%s", tr_error_message());
  ck_assert(nonempty(dir, "report.html") && nonempty(dir, "report.md") && nonempty(dir, "learning-curves.png"));
  ck_assert(access("PWNED", F_OK) != 0 && access("x", F_OK) != 0);
  ck_assert_uint_eq(temporaries(dir), 0);
  report_free(&rep);
  free(p);
}
END_TEST

/* Real gnuplot, whose macro expander (@NAME, on by default) toggles at every ' of a
 * line: names with quotes and @ are drawn as they are, never expanded, and an output
 * directory whose name is gnuplot code (reached through @GPVAL_PWD, gnuplot's working
 * directory, when a quote unbalanced the line) runs nothing. */
START_TEST(no_macro_expansion_in_names) {
  ck_assert_int_eq(chdir(tu_dir), 0);
  rf_train_run runs[4] = {rf_runs[0], rf_runs[1], rf_runs[2], rf_runs[3]};
  runs[0].variant = runs[1].variant = "it's @GPVAL_PWD me@home";
  runs[2].variant = runs[3].variant = "q'.system(\\\"touch PWNED\\\").'"; /* JSON of q'.system("touch PWNED").' */
  rf_write_sweep(".", runs, 4);
  for (int i = 0; i < 4; i++) rf_history(".", runs[i].id, runs[i].epochs, runs[i].best);
  const char *out = "o'.system(\"touch ../PWNED\").'";
  report rep;
  ck_assert_int_eq(report_load(".", NULL, &rep), TR_OK);
  ck_assert_msg(report_write(&rep, out, NULL) == TR_OK, "%s", tr_error_message());
  ck_assert(access("PWNED", F_OK) != 0);
  char *planted = tu_path(out, "PWNED");
  ck_assert(access(planted, F_OK) != 0);
  free(planted);
  /* titles in the key (gnuplot strings), and labels beside points (datablock strings,
     where a double quote is written ') */
  static const char *const figures[] = {"learning-curves.svg", "speedup.svg", "metric-vs-cost.svg"};
  for (size_t k = 0; k < sizeof figures / sizeof *figures; k++) {
    char *svg = slurp(out, figures[k]);
    ck_assert_msg(rf_has(svg, "<text>it's @GPVAL_PWD me@home"), "%s", figures[k]);
    ck_assert_msg(rf_has(svg, k < 2 ? "<text>q'.system(\"touch PWNED\").'" : "<text>q'.system('touch PWNED').'"), "%s",
                  figures[k]);
    free(svg);
  }
  report_free(&rep);
}
END_TEST

/* Every figure left out: the pages are written, with no image to break. */
START_TEST(writes_pages_without_figures) {
  rf_io_only_sweep(tu_dir);
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);
  for (int k = 0; k < REPORT_FIGURES; k++) ck_assert_ptr_nonnull(rep.fig[k].omitted);
  char *out = tu_path(tu_dir, "out");
  ck_assert_int_eq(report_write(&rep, out, NULL), TR_OK);
  char *html = slurp(out, "report.html");
  ck_assert_ptr_nonnull(html);
  ck_assert(!strstr(html, "<img")); /* nothing drawn: no image to break */
  ck_assert(rf_has(html, "Not drawn: every run read from &#39;s3&#39;: nothing to compare."));
  free(html);
  report_free(&rep);
  free(out);
}
END_TEST

/* Real gnuplot: every figure as PNG and SVG, the pages, nothing temporary left; ids
 * with quotes and pipes go through gnuplot's strings too. */
START_TEST(writes_figures_and_pages) {
  rf_full_sweep(tu_dir);
  char *p = tu_path(tu_dir, "results.jsonl");
  FILE *f = fopen(p, "a");
  rf_train_run odd = rf_runs[2];
  odd.id = "it's \\\"odd\\\"|"; /* JSON text of the id it's "odd"| */
  rf_train_line(f, &odd);
  fclose(f);
  rf_history(tu_dir, "it's \"odd\"|", 5, 3);
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
    ck_assert(rf_has(svg, "<svg"));
    ck_assert(rf_has(svg, "</svg>"));
    free(svg);
  }
  ck_assert(nonempty(out, "report.md") && nonempty(out, "report.html"));
  ck_assert_uint_eq(temporaries(out), 0);
  report_free(&rep);

  /* a figure the next report leaves out is removed with it, not left stale */
  f = fopen(p, "w");
  rf_train_line(f, &rf_runs[0]);
  rf_train_line(f, &rf_runs[2]);
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
  rf_full_sweep(tu_dir);
  char *out = tu_path(tu_dir, "out");
  ck_assert_int_eq(tr_mkdir_p(out), TR_OK);
  char *old = tu_path(out, "report.html");
  tu_write(old, "previous report\n");
  report rep;
  ck_assert_int_eq(report_load(tu_dir, NULL, &rep), TR_OK);

  ck_assert_int_eq(report_write(&rep, out, "/no/such/gnuplot"), TR_EIO);
  ck_assert(rf_has(tr_error_message(), "cannot run gnuplot ('/no/such/gnuplot'): No such file or directory"));

  char *fake = tu_path(tu_dir, "fake-gnuplot");
  tu_write(fake, "#!/bin/sh\ncat >/dev/null\necho '         plot $d with nonsense' >&2\necho '              ^' >&2\n"
                 "echo 'line 12: unrecognized plot option' >&2\nexit 1\n");
  ck_assert_int_eq(chmod(fake, 0755), 0);
  tr_error_clear();
  ck_assert_int_eq(report_write(&rep, out, fake), TR_EIO);
  ck_assert(rf_has(tr_error_message(),
                "gnuplot failed drawing learning-curves.png (exit 1): line 12: unrecognized plot option (at: plot $d with "
                "nonsense)"));

  tu_write(fake, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
  tr_error_clear();
  setenv("TRADEOFF_GNUPLOT", fake, 1); /* the environment names the program too */
  ck_assert_int_eq(report_write(&rep, out, NULL), TR_EIO);
  unsetenv("TRADEOFF_GNUPLOT");
  ck_assert(rf_has(tr_error_message(), "gnuplot wrote no learning-curves.png"));

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

int main(void) {
  Suite *s = suite_create("report_gnuplot");
  TCase *tc = tcase_create("report_gnuplot");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, gnuplot_script_sets_both_terminals);
  tcase_add_test(tc, no_shell_through_the_output_path);
  tcase_add_test(tc, no_macro_expansion_in_names);
  tcase_add_test(tc, writes_pages_without_figures);
  tcase_add_test(tc, writes_figures_and_pages);
  tcase_add_test(tc, gnuplot_failures);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
