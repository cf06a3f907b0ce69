/* Tests for common/json.c: non-finite numbers become null, files are atomic, whole
 * files read back (one document, nothing after it, no NUL byte), JSON lines written. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "common/json.h"
#include "testutil.h"

START_TEST(nan_is_null_and_file_written) {
  cJSON *o = cJSON_CreateObject();
  json_add_number(o, "a", 1.5);
  json_add_number(o, "b", NAN);
  json_add_number(o, "c", INFINITY);
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "b")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "c")));
  char *dir = tu_tmpdir(), *p = tu_path(dir, "r.json");
  ck_assert_int_eq(json_write_file(p, o), TR_OK);
  FILE *f = fopen(p, "r");
  char buf[256] = {0};
  fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  cJSON *back = cJSON_Parse(buf);
  ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(back, "a")), 1.5);
  cJSON_Delete(back);
  cJSON_Delete(o);
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

START_TEST(result_json_never_follows_a_planted_link) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "result.json"), *outside = tu_path(dir, "outside.txt");
  tu_write(outside, "precious");
  tu_plant_tmp_links(p, outside);
  cJSON *o = cJSON_CreateObject();
  json_add_number(o, "a", 1);
  ck_assert_int_eq(json_write_file(p, o), TR_OK);
  tu_assert_links_unfollowed(p, outside, "precious");
  cJSON *back = NULL;
  ck_assert_int_eq(json_read_file(p, &back), TR_OK);
  ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(back, "a")), 1);
  cJSON_Delete(back);
  cJSON_Delete(o);
  tu_rmrf(dir);
  free(outside);
  free(p);
  free(dir);
}
END_TEST

START_TEST(read_and_lines) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "x.json");
  cJSON *o = NULL;
  tr_error_clear();
  ck_assert_int_eq(json_read_file(p, &o), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "x.json: cannot open"));
  tr_error_clear();
  tu_write(p, "{\"a\": [1, 2");
  ck_assert_int_eq(json_read_file(p, &o), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "x.json: not valid JSON"));
  tr_error_clear();
  /* one document: garbage or a second record after it is not read as the first */
  const char *glued[] = {"{\"a\": 1}xyz", "{\"a\": 1}\n{\"b\": 2}\n", "{\"a\": 1} ,"};
  for (size_t i = 0; i < sizeof glued / sizeof glued[0]; i++) {
    tr_error_clear();
    tu_write(p, glued[i]);
    ck_assert_int_eq(json_read_file(p, &o), TR_EINPUT);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(tr_error_message(), "x.json: not valid JSON"));
  }
  /* a NUL byte does not end the file early: what follows it is not dropped silently */
  tr_error_clear();
  FILE *nul = fopen(p, "wb");
  fwrite("{\"a\": 1}\0{\"b\": 2}", 1, 17, nul);
  fclose(nul);
  ck_assert_int_eq(json_read_file(p, &o), TR_EINPUT);
  ck_assert_ptr_null(o);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "x.json: not valid JSON (it holds a NUL byte)"));
  tr_error_clear();
  tu_write(p, "{\"a\": [1, 2]}\n");
  ck_assert_int_eq(json_read_file(p, &o), TR_OK);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "a")), 2);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(json_write_line(f, o, "mem"), TR_OK);
  ck_assert_int_eq(json_write_line(f, o, "mem"), TR_OK);
  fclose(f);
  ck_assert_str_eq(buf, "{\"a\":[1,2]}\n{\"a\":[1,2]}\n");
  free(buf);
  cJSON_Delete(o);
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

START_TEST(number_at_one_or_two_levels) {
  cJSON *o = cJSON_Parse("{\"a\": 2.5, \"t\": {\"b\": 7, \"s\": \"x\"}, \"n\": null}");
  ck_assert(json_number_at(o, "a", NULL) == 2.5);
  ck_assert(json_number_at(o, "t", "b") == 7);
  ck_assert(isnan(json_number_at(o, "t", "s")));    /* not a number */
  ck_assert(isnan(json_number_at(o, "t", "none"))); /* absent */
  ck_assert(isnan(json_number_at(o, "n", NULL)));
  ck_assert(isnan(json_number_at(o, "T", "b")));    /* keys are case-sensitive */
  ck_assert(isnan(json_number_at(o, "a", "b")));    /* a is not an object */
  ck_assert(isnan(json_number_at(NULL, "a", NULL)));
  cJSON_Delete(o);
}
END_TEST

int main(void) {
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, nan_is_null_and_file_written);
  tcase_add_test(tc, result_json_never_follows_a_planted_link);
  tcase_add_test(tc, read_and_lines);
  tcase_add_test(tc, number_at_one_or_two_levels);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
