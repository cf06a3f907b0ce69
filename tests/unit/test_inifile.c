/* Tests for common/inifile.c: values reach the handler with their lines, the earlier of
 * a handler's error and a syntax error wins, long lines, long section names, keys given
 * twice and binary files are refused, a missing file names what it was for, and text in
 * memory is read the same way. */
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

/* Text in memory goes through the same checks, named as the caller says. */
START_TEST(text_in_memory) {
  record r = {0};
  ck_assert_int_eq(inifile_parse_text("[a]\nx = 1\n[b]\ny=2\n", "the checkpoint", on_value, &r), TR_OK);
  ck_assert_str_eq(r.seen, "2:[a]x=1;4:[b]y=2;");
  record s = {0};
  tr_error_clear();
  ck_assert_int_eq(inifile_parse_text("[a]\nx = 1\nx = 2\n", "the checkpoint", on_value, &s), TR_ECONFIG);
  ck_assert_str_eq(tr_error_message(), "the checkpoint:3: a.x is set twice (first at the checkpoint:2)");
  tr_error_clear();
  ck_assert_int_eq(inifile_parse_text("[a]\nbroken\n", "the checkpoint", on_value, &s), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "the checkpoint:2: syntax error"));
  tr_error_clear();
}
END_TEST

/* inih keeps 49 bytes of a section name: two long names sharing a prefix were one
 * section. Names up to INIFILE_MAX_SECTION pass whole; longer ones are refused at their
 * line, wherever inih would take the line for a section (not in a comment; an indented
 * line after a key continues its value, see duplicate_keys). */
START_TEST(section_names) {
  char text[512], name[80];
  memset(name, 's', sizeof name);
  name[INIFILE_MAX_SECTION] = '\0';
  record r = {0};
  snprintf(text, sizeof text, "[%s]\nx = 1\n", name);
  ck_assert_int_eq(parse(text, &r), TR_OK);
  char want[128];
  snprintf(want, sizeof want, "2:[%s]x=1;", name);
  ck_assert_str_eq(r.seen, want);
  memset(&r, 0, sizeof r);
  name[INIFILE_MAX_SECTION] = 'a';
  name[INIFILE_MAX_SECTION + 1] = '\0';
  snprintf(text, sizeof text, "; a comment [%s]\n[a]\n\n  [%s] ; c\n", name, name);
  tr_error_clear();
  ck_assert_int_eq(parse(text, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:4: section name longer than 48 characters: [ssss"));
  ck_assert_str_eq(r.seen, ""); /* nothing was passed on */
  snprintf(text, sizeof text, "\xEF\xBB\xBF[%s]\n", name); /* after a byte-order mark */
  tr_error_clear();
  ck_assert_int_eq(parse(text, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:1: section name longer than"));
  tr_error_clear();
}
END_TEST

/* A key given twice in a section, also when the section is opened again or the value
 * continues on an indented line (inih passes the key again), is refused at the second
 * line, naming the first; the same key in another section is another key. */
START_TEST(duplicate_keys) {
  record r = {0};
  ck_assert_int_eq(parse("[a]\nx = 1\n[b]\nx = 2\n[a]\ny = 3\n", &r), TR_OK);
  ck_assert_str_eq(r.seen, "2:[a]x=1;4:[b]x=2;6:[a]y=3;");
  static const char *const cases[][2] = {
      {"[a]\nx = 1\ny = 2\nx = 3\n", "f.ini:4: a.x is set twice (first at "},
      {"[a]\nx = 1\n[b]\ny = 2\n[a]\nx = 3\n", "f.ini:6: a.x is set twice (first at "},
      {"[a]\nx = 1\n  continued\n", "f.ini:3: a.x is set twice (first at "},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    memset(&r, 0, sizeof r);
    tr_error_clear();
    ck_assert_int_eq(parse(cases[i][0], &r), TR_ECONFIG);
    ck_assert_msg(strstr(tr_error_message(), cases[i][1]), "case %zu: %s", i, tr_error_message());
    ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:2)"));
  }
  /* many keys: the set grows and still finds the first */
  char *text = malloc(64 * 1024);
  size_t len = (size_t)sprintf(text, "[big]\n");
  for (int k = 0; k < 3000; k++) len += (size_t)sprintf(text + len, "k%d = %d\n", k, k);
  sprintf(text + len, "k1234 = again\n");
  memset(&r, 0, sizeof r);
  tr_error_clear();
  ck_assert_int_eq(parse(text, &r), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:3002: big.k1234 is set twice (first at "));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "f.ini:1236)"));
  free(text);
  tr_error_clear();
}
END_TEST

int main(void) {
  Suite *s = suite_create("inifile");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, values_with_lines);
  tcase_add_test(tc, first_error_wins);
  tcase_add_test(tc, refused_files);
  tcase_add_test(tc, text_in_memory);
  tcase_add_test(tc, section_names);
  tcase_add_test(tc, duplicate_keys);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
