/* Tests for experiments/iostack.c: storage.shuffle = auto and the default transfer
 * resolved per backend (object storage in blocks and its range, file systems per
 * sample), and the warning before a pathological plan (the case: 20 shards of
 * ~1 MB read one GET per row) with the setting that fixes it, silent for a sane plan. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/iostack.h"
#include "testutil.h"

/* The stack of a job with sets over 20 synthetic files of 1000 rows of 1 KiB. */
static iostack *stack(const char **sets, job **j) {
  *j = tu_job(sets);
  layout *L = layout_synthetic(20, 1000, 256);
  ck_assert_ptr_nonnull(L);
  iostack *io = NULL;
  ck_assert_int_eq(iostack_open(*j, L, 0, 1, 1, true, NULL, &io), TR_OK);
  return io;
}

START_TEST(auto_follows_the_backend) {
  const char *s3[] = {"storage.backend=s3", NULL}, *efs[] = {"storage.backend=efs", NULL};
  const char *set[] = {"storage.backend=s3", "storage.shuffle=sample", "storage.transfer_kib=64", NULL};
  job *j;
  iostack *io = stack(s3, &j);
  ck_assert_int_eq(io->shuffle, LOADER_FILE);
  ck_assert_uint_eq(io->transfer_bytes, 8u << 20); /* s3.range_mib */
  iostack_free(&io);
  job_free(&j);
  io = stack(efs, &j);
  ck_assert_int_eq(io->shuffle, LOADER_SAMPLE);
  ck_assert_uint_eq(io->transfer_bytes, 256u << 10);
  iostack_free(&io);
  job_free(&j);
  io = stack(set, &j); /* what a job says is kept */
  ck_assert_int_eq(io->shuffle, LOADER_SAMPLE);
  ck_assert_uint_eq(io->transfer_bytes, 64u << 10);
  iostack_free(&io);
  job_free(&j);
}
END_TEST

/* What iostack_warn_plan wrote to stderr for the job with sets. */
static char *warning_of(const char **sets) {
  job *j;
  iostack *io = stack(sets, &j);
  uint64_t *rows = malloc(20000 * sizeof *rows);
  for (size_t i = 0; i < 20000; i++) rows[i] = i;
  char *path = tu_path(tu_dir, "stderr.txt");
  fflush(stderr);
  int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert(saved >= 0 && fd >= 0);
  dup2(fd, STDERR_FILENO);
  iostack_warn_plan(j, io, rows, 20000, 64, 0.0);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(fd);
  close(saved);
  char *text = tu_read(path);
  free(path);
  free(rows);
  iostack_free(&io);
  job_free(&j);
  return text;
}

START_TEST(pathological_plan_warns_once) {
  const char *sample[] = {"storage.backend=s3", "storage.shuffle=sample", NULL};
  char *w = warning_of(sample);
  ck_assert_msg(strstr(w, "pathological plan on s3") && strstr(w, "storage.shuffle = file projects"), "%s", w);
  ck_assert_msg(strstr(w, "of 20 files an epoch"), "%s", w); /* about a GET per row */
  ck_assert_ptr_eq(strchr(w, '\n'), w + strlen(w) - 1); /* one line */
  free(w);
  const char *sane[] = {"storage.backend=s3", NULL}; /* auto: file */
  w = warning_of(sane);
  ck_assert_str_eq(w, "");
  free(w);
  const char *efs[] = {"storage.backend=efs", "storage.shuffle=sample", NULL}; /* cheap per sample */
  w = warning_of(efs);
  ck_assert_str_eq(w, "");
  free(w);
}
END_TEST

int main(void) {
  Suite *s = suite_create("iostack");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, auto_follows_the_backend);
  tcase_add_test(tc, pathological_plan_warns_once);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
