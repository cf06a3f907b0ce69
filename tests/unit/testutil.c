/* Test helpers: temporary directories and files for the Check suites. */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/error.h"

char *tu_dir;

void tu_setup(void) {
  tu_dir = tu_tmpdir();
  tr_error_clear();
}

void tu_teardown(void) {
  tu_rmrf(tu_dir);
  free(tu_dir);
  tu_dir = NULL;
  tr_error_clear();
}

char *tu_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char *tmpl = NULL;
  if (asprintf(&tmpl, "%s/tradeoff-test-XXXXXX", base ? base : "/tmp") < 0) abort();
  if (!mkdtemp(tmpl)) abort();
  return tmpl;
}

void tu_rmrf(const char *path) {
  char *cmd = NULL;
  if (asprintf(&cmd, "rm -rf '%s'", path) < 0) abort();
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
  free(cmd);
}

char *tu_path(const char *dir, const char *name) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, name) < 0) abort();
  return p;
}

void tu_write(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

void tu_write_gz(const char *path, const char *text) {
  gzFile g = gzopen(path, "wb");
  ck_assert_ptr_nonnull(g);
  gzputs(g, text);
  gzclose(g);
}

void tu_assert_input_error(const char *path, long line, const char *what) {
  ck_assert_int_eq(tr_error_code(), TR_EINPUT);
  char where[600];
  snprintf(where, sizeof where, "%s:%ld: ", path, line);
  const char *msg = tr_error_message();
  ck_assert_msg(strstr(msg, where) != NULL, "message \"%s\" lacks \"%s\"", msg, where);
  ck_assert_msg(strstr(msg, what) != NULL, "message \"%s\" lacks \"%s\"", msg, what);
}

int tu_run(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
