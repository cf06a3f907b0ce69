/* Tests for common/atomic_file.c: a file appears only on commit; aborts and failures
 * leave nothing; temporaries are fresh, unpredictable names that never follow a planted
 * link, with the usual permissions; private directories and their removal; removing a
 * file durably; the directory synced after every rename and removal; whole files read
 * back; mkdir -p. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "testutil.h"

/* fsync() of this suite: the kernel's, counting the syncs of each directory. */
static struct {
  dev_t dev;
  ino_t ino;
  int syncs;
} watched;

int fsync(int fd) {
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == watched.dev && st.st_ino == watched.ino)
    watched.syncs++;
  return (int)syscall(SYS_fsync, fd);
}

/* Counts the syncs of dir from now on. */
static void watch_dir(const char *dir) {
  struct stat st;
  ck_assert_int_eq(stat(dir, &st), 0);
  watched.dev = st.st_dev;
  watched.ino = st.st_ino;
  watched.syncs = 0;
}

/* Every way a file appears or goes syncs its directory after the rename or removal. */
START_TEST(directory_synced_after_rename_and_remove) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "result.json"), *h5 = tu_path(dir, "model.h5"), *made = NULL;
  watch_dir(dir);
  tr_atomic a;
  ck_assert_int_eq(tr_atomic_open(&a, p), TR_OK);
  fputs("{}", a.fp);
  ck_assert_int_eq(tr_atomic_commit(&a), TR_OK);
  ck_assert_int_eq(watched.syncs, 1);
  ck_assert_int_eq(tr_tmp_dir(h5, &made), TR_OK);
  char *inside = tu_path(made, "data.h5");
  tu_write(inside, "x");
  ck_assert_int_eq(tr_rename_durable(inside, h5), TR_OK);
  ck_assert_int_eq(watched.syncs, 2);
  tr_tmp_dir_remove(made);
  ck_assert_int_eq(tr_remove_durable(p), TR_OK);
  ck_assert_int_eq(watched.syncs, 3);
  ck_assert_int_eq(tr_remove_durable(p), TR_OK); /* gone already: nothing removed, nothing synced */
  ck_assert_int_eq(watched.syncs, 3);
  tu_rmrf(dir);
  free(inside);
  free(made);
  free(h5);
  free(p);
  free(dir);
}
END_TEST

START_TEST(commit_and_abort) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "out.json");
  tr_atomic a;
  ck_assert_int_eq(tr_atomic_open(&a, p), TR_OK);
  fputs("{}", a.fp);
  ck_assert_int_ne(access(p, F_OK), 0);  /* not visible before commit */
  ck_assert_int_eq(tr_atomic_commit(&a), TR_OK);
  ck_assert_int_eq(access(p, F_OK), 0);
  unlink(p);
  ck_assert_int_eq(tr_atomic_open(&a, p), TR_OK);
  char *tmp = strdup(a.tmp_path);
  fputs("partial", a.fp);
  tr_atomic_abort(&a);
  ck_assert_int_ne(access(p, F_OK), 0);
  ck_assert_int_ne(access(tmp, F_OK), 0);
  tr_atomic_abort(&a);  /* safe on a cleared struct */
  free(tmp);
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

START_TEST(open_fails_cleanly) {
  tr_atomic a;
  tr_error_clear();
  ck_assert_int_eq(tr_atomic_open(&a, "/nonexistent-dir/x.json"), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "/nonexistent-dir/x.json: cannot create"));
  ck_assert_ptr_null(a.fp);
  tr_error_clear();
}
END_TEST

START_TEST(temporaries_never_follow_links) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "out.json"), *outside = tu_path(dir, "outside.txt");
  tu_write(outside, "precious");
  tu_plant_tmp_links(p, outside);
  tr_atomic a;
  ck_assert_int_eq(tr_atomic_open(&a, p), TR_OK);
  /* PATH.tmp. and six letters or digits */
  size_t n = strlen(p);
  ck_assert_uint_eq(strlen(a.tmp_path), n + 11);
  ck_assert(!strncmp(a.tmp_path, p, n) && !strncmp(a.tmp_path + n, ".tmp.", 5));
  ck_assert_uint_eq(strspn(a.tmp_path + n + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 6);
  ck_assert_str_ne(a.tmp_path + n + 5, "AAAAAA"); /* the planted one was skipped */
  fputs("{}", a.fp);
  ck_assert_int_eq(tr_atomic_commit(&a), TR_OK);
  char *text = tu_read(p);
  ck_assert_str_eq(text, "{}");
  tu_assert_links_unfollowed(p, outside, "precious");
  /* a private directory: the same, mode 0700 */
  char *d = tu_path(dir, "model.h5"), *made = NULL;
  tu_plant_tmp_links(d, outside);
  ck_assert_int_eq(tr_tmp_dir(d, &made), TR_OK);
  struct stat st;
  ck_assert(lstat(made, &st) == 0 && S_ISDIR(st.st_mode));
  ck_assert_int_eq(st.st_mode & 0777, 0700);
  ck_assert(!strncmp(made, d, strlen(d)) && strcmp(made + strlen(d), ".tmp.AAAAAA") != 0);
  tu_assert_links_unfollowed(d, outside, "precious");
  /* removed with what it holds; a link in it is removed, not followed */
  char *inside = tu_path(made, "data.h5"), *link = tu_path(made, "link");
  tu_write(inside, "x");
  ck_assert_int_eq(symlink(outside, link), 0);
  tr_tmp_dir_remove(made);
  ck_assert_int_ne(lstat(made, &st), 0);
  char *still = tu_read(outside);
  ck_assert_str_eq(still, "precious");
  tr_tmp_dir_remove(made); /* gone: nothing to do */
  tr_tmp_dir_remove(NULL);
  free(still);
  free(inside);
  free(link);
  free(made);
  free(d);
  free(text);
  tu_rmrf(dir);
  free(outside);
  free(p);
  free(dir);
}
END_TEST

START_TEST(temporaries_keep_normal_permissions) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "out.csv");
  mode_t old = umask(022);
  tr_atomic a;
  struct stat st;
  ck_assert_int_eq(tr_atomic_open(&a, p), TR_OK);
  ck_assert_int_eq(tr_atomic_commit(&a), TR_OK);
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0644);
  umask(027);
  ck_assert_int_eq(tr_atomic_open(&a, p), TR_OK);
  ck_assert_int_eq(tr_atomic_commit(&a), TR_OK);
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0640);
  umask(old);
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

START_TEST(remove_durable) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "result.json"), *sub = tu_path(dir, "sub");
  ck_assert_int_eq(tr_remove_durable(p), TR_OK); /* absent: nothing to do */
  tu_write(p, "{}");
  ck_assert_int_eq(tr_remove_durable(p), TR_OK);
  ck_assert_int_ne(access(p, F_OK), 0);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  tr_error_clear();
  ck_assert_int_eq(tr_remove_durable(sub), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "sub: cannot remove: "));
  tr_error_clear();
  tu_rmrf(dir);
  free(sub);
  free(p);
  free(dir);
}
END_TEST

START_TEST(read_text_whole_files) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "big.txt"), *text = NULL;
  size_t n = 10000, len = 0; /* more than one read buffer */
  char *want = malloc(n + 1);
  for (size_t i = 0; i < n; i++) want[i] = (char)('a' + i % 26);
  want[n] = '\0';
  tu_write(p, want);
  ck_assert_int_eq(tr_read_text(p, &text, &len), TR_READ_OK);
  ck_assert_uint_eq(len, n);
  ck_assert_str_eq(text, want);
  free(text);
  tu_write(p, "");
  ck_assert_int_eq(tr_read_text(p, &text, NULL), TR_READ_OK);
  ck_assert_str_eq(text, "");
  free(text);
  FILE *f = fopen(p, "wb");
  fwrite("ab\0cd", 1, 5, f);
  fclose(f);
  ck_assert_int_eq(tr_read_text(p, &text, &len), TR_READ_NUL);
  ck_assert_ptr_null(text);
  ck_assert_int_eq(tr_read_text(dir, &text, NULL), TR_READ_IO); /* a directory opens, reads fail */
  ck_assert_int_eq(errno, EISDIR);
  unlink(p);
  ck_assert_int_eq(tr_read_text(p, &text, NULL), TR_READ_OPEN);
  ck_assert_int_eq(errno, ENOENT);
  ck_assert_ptr_null(text);
  tu_rmrf(dir);
  free(want);
  free(p);
  free(dir);
}
END_TEST

START_TEST(mkdir_p) {
  char *dir = tu_tmpdir(), *deep = tu_path(dir, "a/b/c");
  ck_assert_int_eq(tr_mkdir_p(deep), TR_OK);
  ck_assert_int_eq(tr_mkdir_p(deep), TR_OK);
  struct stat st;
  ck_assert_int_eq(stat(deep, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  tu_rmrf(dir);
  free(deep);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("atomic_file");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, commit_and_abort);
  tcase_add_test(tc, open_fails_cleanly);
  tcase_add_test(tc, temporaries_never_follow_links);
  tcase_add_test(tc, temporaries_keep_normal_permissions);
  tcase_add_test(tc, remove_durable);
  tcase_add_test(tc, directory_synced_after_rename_and_remove);
  tcase_add_test(tc, read_text_whole_files);
  tcase_add_test(tc, mkdir_p);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
