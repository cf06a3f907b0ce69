/* Tests for common/json.c: non-finite numbers become null, files are atomic. */
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

int main(void) {
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, nan_is_null_and_file_written);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
