/* Tests for common/checked.c: products and sums that fit are exact, those that do not
 * say so and saturate, whatever the order of the factors. */
#include <stdint.h>

#include "common/checked.h"
#include "testutil.h"

START_TEST(fits) {
  size_t v = 0;
  ck_assert(checked_mul(3, 7, &v));
  ck_assert_uint_eq(v, 21);
  ck_assert(checked_mul(0, SIZE_MAX, &v));
  ck_assert_uint_eq(v, 0);
  ck_assert(checked_mul3(1u << 20, 1u << 20, 1u << 20, &v));
  ck_assert_uint_eq(v, (size_t)1 << 60);
  ck_assert(checked_add(SIZE_MAX - 1, 1, &v));
  ck_assert_uint_eq(v, SIZE_MAX);
}
END_TEST

START_TEST(overflows) {
  size_t v = 0;
  /* 2^33 x 2^33 wraps to 0 in plain arithmetic */
  ck_assert(!checked_mul((size_t)1 << 33, (size_t)1 << 33, &v));
  ck_assert_uint_eq(v, SIZE_MAX);
  ck_assert(!checked_mul3(2, (size_t)1 << 62, 2, &v));
  ck_assert_uint_eq(v, SIZE_MAX);
  ck_assert(checked_mul3((size_t)1 << 40, (size_t)1 << 40, 0, &v)); /* a zero factor: 0 */
  ck_assert_uint_eq(v, 0);
  ck_assert(!checked_add(SIZE_MAX, 1, &v));
  ck_assert_uint_eq(v, SIZE_MAX);
}
END_TEST

int main(void) {
  Suite *s = suite_create("checked");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, fits);
  tcase_add_test(tc, overflows);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
