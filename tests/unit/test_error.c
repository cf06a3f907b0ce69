/* Tests for common/error.c: first error wins, locations, exit codes, thread carry. */
#include <string.h>

#include "common/error.h"
#include "testutil.h"

START_TEST(first_error_is_kept) {
  tr_error_clear();
  ck_assert_int_eq(tr_error_code(), TR_OK);
  ck_assert_str_eq(tr_error_message(), "");
  ck_assert_int_eq(tr_error_at(TR_EINPUT, "a.csv", 12, "ragged row"), TR_EINPUT);
  tr_error_set(TR_EIO, "b", "later");
  ck_assert_int_eq(tr_error_code(), TR_EINPUT);
  ck_assert_str_eq(tr_error_message(), "a.csv:12: ragged row");
  tr_error_clear();
  tr_error_at(TR_EINPUT, "a.csv", 0, "missing");
  ck_assert_str_eq(tr_error_message(), "a.csv: missing");
  tr_error_clear();
  tr_error_set(TR_ECONFIG, NULL, "plain");
  ck_assert_str_eq(tr_error_message(), "plain");
  tr_error_clear();
}
END_TEST

START_TEST(exit_codes) {
  ck_assert_int_eq(tr_exit_code(TR_OK), 0);
  ck_assert_int_eq(tr_exit_code(TR_EUSAGE), 2);
  ck_assert_int_eq(tr_exit_code(TR_ECONFIG), 2);
  ck_assert_int_eq(tr_exit_code(TR_EINPUT), 2);
  ck_assert_int_eq(tr_exit_code(TR_EIO), 1);
  ck_assert_int_eq(tr_exit_code(TR_ENUMERIC), 1);
  ck_assert_int_eq(tr_exit_code(TR_EMPI), 1);
  for (int e = TR_OK; e <= TR_EINTERNAL; e++) ck_assert(strlen(tr_strerror((tr_err)e)) > 0);
}
END_TEST

START_TEST(save_and_restore) {
  tr_error_clear();
  tr_error_set(TR_ENUMERIC, "epoch 3", "NaN");
  tr_error saved;
  tr_error_save(&saved);
  tr_error_clear();
  ck_assert_int_eq(tr_error_restore(&saved), TR_ENUMERIC);
  ck_assert_str_eq(tr_error_message(), "epoch 3: NaN");
  tr_error_clear();
}
END_TEST

int main(void) {
  Suite *s = suite_create("error");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, first_error_is_kept);
  tcase_add_test(tc, exit_codes);
  tcase_add_test(tc, save_and_restore);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
