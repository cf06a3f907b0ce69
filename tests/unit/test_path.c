/* Tests for common/path.c and common/shell.c: joining, stems, default output
 * directories, and shell quoting that bash reads back as the same word. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/path.h"
#include "common/shell.h"
#include "testutil.h"

START_TEST(joins_and_stems) {
  char *p = path_join("runs/x", "result.json");
  ck_assert_str_eq(p, "runs/x/result.json");
  free(p);
  p = path_join("", "a");
  ck_assert_str_eq(p, "a");
  free(p);
  p = path_join3("out", "checkpoint", "checkpoint.h5");
  ck_assert_str_eq(p, "out/checkpoint/checkpoint.h5");
  free(p);
  p = path_stem("configs/demo.ini");
  ck_assert_str_eq(p, "demo");
  free(p);
  p = path_stem("a.b/.hidden");
  ck_assert_str_eq(p, ".hidden");
  free(p);
  p = path_default_out("configs/sweeps/demo.ini", "-io");
  ck_assert_str_eq(p, "runs/demo-io");
  free(p);
  /* a default output never leaves runs/ (a job named "...ini" used to write to runs/..) */
  const char *hostile[][2] = {{"...ini", "runs/unnamed"}, {"..", "runs/unnamed"}, {".ini", "runs/.ini"},
                              {"a/b/.", "runs/unnamed"}, {"x\ny $(z).ini", "runs/x_y___z_"},
                              {"..x.ini", "runs/..x"}};
  for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
    p = path_default_out(hostile[i][0], "");
    ck_assert_msg(!strcmp(p, hostile[i][1]), "%s -> %s", hostile[i][0], p);
    free(p);
  }
}
END_TEST

/* What bash prints for the quoted word (written into a script, as generated scripts
 * hold it). */
static char *bash_reads(const char *quoted) {
  char *dir = tu_tmpdir(), *script = tu_path(dir, "s.sh"), *cmd = NULL, *text = NULL, *out = NULL;
  ck_assert_int_ge(asprintf(&text, "printf %%s %s\n", quoted), 0);
  tu_write(script, text);
  ck_assert_int_ge(asprintf(&cmd, "bash '%s'", script), 0);
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  size_t cap = 0;
  ssize_t n = getdelim(&out, &cap, '\0', f);
  pclose(f);
  if (n < 0) {
    free(out);
    out = strdup("");
  }
  tu_rmrf(dir);
  free(dir);
  free(script);
  free(cmd);
  free(text);
  return out;
}

START_TEST(quoting) {
  const char *words[] = {"plain", "with space", "it's", "$(touch PWNED)", "`id`", "a\"b\\c", "line\nbreak\ttab",
                         "", "\x01\x7f", "'''"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
    char *q = sh_quote(words[i]);
    ck_assert_ptr_null(strchr(q, '\n'));
    char *back = bash_reads(q);
    ck_assert_msg(!strcmp(back, words[i]), "word %zu: %s came back as %s", i, q, back);
    free(back);
    free(q);
  }
  char *q = sh_quote("it's");
  ck_assert_str_eq(q, "'it'\\''s'");
  free(q);
}
END_TEST

int main(void) {
  Suite *s = suite_create("path");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, joins_and_stems);
  tcase_add_test(tc, quoting);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
