/* Tests for common/dirlock.c: a second lock of a directory, from another process, fails
 * naming the holder's pid; released (or its holder gone) it can be taken again; the pid
 * is in DIR/.lock while held; a link planted at .lock is not followed; a child process
 * does not inherit the lock. */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/dirlock.h"
#include "testutil.h"

extern char **environ;

/* In a forked child: tries to lock dir. 0 when it got the lock, 1 when refused with
 * exactly message want (NULL: any), 2 otherwise. */
static int lock_from_child(const char *dir, const char *want) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    tr_error_clear();
    dirlock *l = NULL;
    tr_err rc = dirlock_take(dir, &l);
    if (rc == TR_OK) _exit(0);
    if (rc == TR_EUSAGE && !l && (!want || !strcmp(tr_error_message(), want))) _exit(1);
    fprintf(stderr, "child: %d %s\n", rc, tr_error_message());
    _exit(2);
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  return WEXITSTATUS(status);
}

START_TEST(second_lock_names_the_holder) {
  dirlock *l = NULL;
  ck_assert_int_eq(dirlock_take(tu_dir, &l), TR_OK);
  ck_assert_ptr_nonnull(l);
  char want[700], pid[32], *lock = tu_path(tu_dir, ".lock");
  snprintf(want, sizeof want, "%s is in use by pid %ld", tu_dir, (long)getpid());
  ck_assert_int_eq(lock_from_child(tu_dir, want), 1);
  snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  char *text = tu_read(lock);
  ck_assert_str_eq(text, pid);
  free(text);
  dirlock_free(&l);
  ck_assert_ptr_null(l);
  dirlock_free(&l); /* safe on NULL */
  text = tu_read(lock);
  ck_assert_str_eq(text, ""); /* released: no pid left behind */
  free(text);
  ck_assert_int_eq(lock_from_child(tu_dir, NULL), 0);
  /* a holder that died (the child above exited holding it) does not block */
  ck_assert_int_eq(dirlock_take(tu_dir, &l), TR_OK);
  dirlock_free(&l);
  free(lock);
}
END_TEST

START_TEST(a_planted_link_is_not_followed) {
  char *lock = tu_path(tu_dir, ".lock"), *outside = tu_path(tu_dir, "outside.txt");
  tu_write(outside, "precious");
  ck_assert_int_eq(symlink(outside, lock), 0);
  dirlock *l = NULL;
  ck_assert_int_eq(dirlock_take(tu_dir, &l), TR_EIO);
  ck_assert_ptr_null(l);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "/.lock: cannot lock: "));
  char *text = tu_read(outside);
  ck_assert_str_eq(text, "precious");
  free(text);
  tr_error_clear();
  char *missing = tu_path(tu_dir, "no/such/dir");
  ck_assert_int_eq(dirlock_take(missing, &l), TR_EIO);
  free(missing);
  free(outside);
  free(lock);
}
END_TEST

START_TEST(children_do_not_inherit_it) {
  /* a child that outlives the holder's lock (a sweep's point) must not keep it */
  dirlock *l = NULL;
  ck_assert_int_eq(dirlock_take(tu_dir, &l), TR_OK);
  pid_t child;
  char *argv[] = {"sleep", "30", NULL};
  ck_assert_int_eq(posix_spawnp(&child, "sleep", NULL, NULL, argv, environ), 0);
  dirlock_free(&l);
  int got = lock_from_child(tu_dir, NULL);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  ck_assert_int_eq(got, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dirlock");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, second_lock_names_the_holder);
  tcase_add_test(tc, a_planted_link_is_not_followed);
  tcase_add_test(tc, children_do_not_inherit_it);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
