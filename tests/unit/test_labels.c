/* Tests for io/labels.c: distinct classes sorted, the first non-integer row, merging the
 * classes of several parts, encoding and its refusal, the class limit. */
#include <stdint.h>
#include <stdlib.h>

#include "io/labels.h"
#include "testutil.h"

START_TEST(find_and_encode) {
  float y[] = {3, -1, 3, 7, -1, 7, 7};
  float classes[LABELS_MAX_CLASSES + 1];
  size_t n = 0, bad = 0;
  ck_assert_int_eq(labels_find(y, 7, classes, &n, &bad), TR_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert(classes[0] == -1 && classes[1] == 3 && classes[2] == 7);
  ck_assert_uint_eq(bad, SIZE_MAX);
  ck_assert_uint_eq(labels_encode(y, 7, classes, n), SIZE_MAX);
  ck_assert(y[0] == 1 && y[1] == 0 && y[3] == 2);
  float z[] = {1, 2.5f, 1};
  ck_assert_int_eq(labels_find(z, 3, classes, &n, &bad), TR_OK);
  ck_assert_uint_eq(bad, 1);
  float known[] = {0, 1}, other[] = {0, 1, 4, 1};
  ck_assert_uint_eq(labels_encode(other, 4, known, 2), 2); /* 4 is not a class */
}
END_TEST

START_TEST(merge_parts) {
  float all[] = {2, 5, 9, 0, 5, 2};
  float classes[LABELS_MAX_CLASSES + 1];
  ck_assert_uint_eq(labels_merge(all, 6, classes), 4);
  ck_assert(classes[0] == 0 && classes[1] == 2 && classes[2] == 5 && classes[3] == 9);
}
END_TEST

START_TEST(class_limit) {
  size_t n = LABELS_MAX_CLASSES + 50;
  float *y = malloc(n * sizeof *y), classes[LABELS_MAX_CLASSES + 1];
  for (size_t i = 0; i < n; i++) y[i] = (float)i;
  size_t k = 0, bad;
  ck_assert_int_eq(labels_find(y, n, classes, &k, &bad), TR_OK);
  ck_assert_uint_eq(k, LABELS_MAX_CLASSES + 1); /* stops at one more than the limit */
  free(y);
}
END_TEST

int main(void) {
  Suite *s = suite_create("labels");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, find_and_encode);
  tcase_add_test(tc, merge_parts);
  tcase_add_test(tc, class_limit);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
