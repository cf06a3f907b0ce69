/* Tests for common/inifile.c: values reach the handler with their lines, the earlier of
 * a handler's error and a syntax error wins, long lines and binary files are refused,
 * and a missing file names what it was for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/inifile.h"
#include "testutil.h"

typedef struct {
  char seen[512];
  long refuse_line;  /* the handler fails on this line (0: never) */
} record;

static tr_err on_value(void *user, const char *section, const char *key, const char *value, long line) {
  record *r = user;
  size_t len = strlen(r->seen);
  snprintf(r->seen + len, sizeof r->seen - len, "%ld:[%s]%s=%s;", line, section, key, value);
  if (line == r->refuse_line) return tr_error_set(TR_ECONFIG, "handler", "refused line %ld", line);
  return TR_OK;
}

static tr_err parse(const char *text, record *r) {
  char *p = tu_path(tu_dir, "f.ini");
  tu_write(p, text);
  tr_err rc = inifile_parse(p, "test file", on_value, r);
  free(p);
  return rc;
}

START_TEST(values_with_lines) {
  record r = {0};
  ck_assert_int_eq(parse("; comment\n[a]\nx = 1\n\n[b.c]\ny = two words ; inline\n", &r), TR_OK);
  ck_assert_str_eq(r.seen, "3:[a]x=1;6:[b.c]y=two words;");
}
END_TEST

START_TEST(first_error_wins) {
  record r = {.refuse_line = 3};
  tr_error_clear();
  ck_assert_int_eq(parse("[a]\nx = 1\ny = 2\nbroken line\n", &r), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "handler: refused line 3");
  record s = {.refuse_line = 4};
  tr_error_clear();
  ck_assert_int_eq(parse("[a]\nbroken line\nx = 1\ny = 2\n", &s), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:2: syntax error"));
  tr_error_clear();
}
END_TEST

START_TEST(refused_files) {
  record r = {0};
  char text[400] = "[a]\nx = ";
  memset(text + strlen(text), 'v', 300);
  tr_error_clear();
  ck_assert_int_eq(parse(text, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:2: line longer than"));
  ck_assert_str_eq(r.seen, ""); /* nothing was passed on */
  tr_error_clear();
  ck_assert_int_eq(inifile_parse("/no/such.ini", "test file", on_value, &r), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "/no/such.ini: cannot open test file: No such file or directory");
  tr_error_clear();
  char *p = tu_path(tu_dir, "bin.ini");
  FILE *f = fopen(p, "wb");
  fwrite("[a]\nx=\0\n", 1, 8, f);
  fclose(f);
  ck_assert_int_eq(inifile_parse(p, "test file", on_value, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "not a text file"));
  tr_error_clear();
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("inifile");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, values_with_lines);
  tcase_add_test(tc, first_error_wins);
  tcase_add_test(tc, refused_files);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
