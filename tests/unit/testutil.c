/* Test helpers: temporary directories and files for the Check suites. */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "common/error.h"
#include "experiments/job.h"

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

bool tu_exists(const char *dir, const char *name) {
  char *p = tu_path(dir, name);
  struct stat st;
  bool ok = stat(p, &st) == 0;
  free(p);
  return ok;
}

char *tu_read(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot read %s", path);
  char *text = NULL;
  size_t cap = 0;
  if (getdelim(&text, &cap, '\0', f) < 0) {
    free(text);
    text = strdup("");
  }
  fclose(f);
  return text;
}

job *tu_job(const char *const *sets) {
  size_t n = 0;
  while (sets && sets[n]) n++;
  job *j = job_load(NULL, (char *const *)sets, n);
  ck_assert_msg(j != NULL, "%s", tr_error_message());
  return j;
}

/* The jobs behind the instances tu_stg made (their parameter blocks). */
static struct {
  stg *s;
  job *j;
} made[64];

stg *tu_stg(const char *name, const char *const *sets, bool virtual_clock, uint64_t data_bytes) {
  job *j = tu_job(sets);
  stg_env env = {.ranks = 1, .ranks_per_node = 1, .data_bytes = data_bytes};
  stg *s = stg_new(stg_backend_index(name), &j->storage.model, &env, virtual_clock);
  ck_assert_msg(s != NULL, "%s", tr_error_message());
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
    if (!made[i].s) {
      made[i].s = s;
      made[i].j = j;
      return s;
    }
  ck_abort_msg("tu_stg: too many instances alive");
  return NULL;
}

void tu_stg_free(stg **s) {
  for (size_t i = 0; *s && i < sizeof made / sizeof made[0]; i++)
    if (made[i].s == *s) {
      stg_free(s);
      job_free(&made[i].j);
      made[i].s = NULL;
    }
}
