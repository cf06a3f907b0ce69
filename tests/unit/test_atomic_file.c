/* Tests for common/atomic_file.c: a file appears only on commit; aborts and failures
 * leave nothing; mkdir -p. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "testutil.h"

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
  tcase_add_test(tc, mkdir_p);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
