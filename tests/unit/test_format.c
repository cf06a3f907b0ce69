/* Tests for common/format.c: dollars and durations at every scale; appending to a fixed
 * buffer never runs past it. */
#include <math.h>
#include <string.h>

#include "common/format.h"
#include "testutil.h"

START_TEST(dollars) {
  char buf[FMT_USD_LEN];
  ck_assert_str_eq(fmt_usd(12.345, buf, sizeof buf), "$12.35");
  ck_assert_str_eq(fmt_usd(0.01234, buf, sizeof buf), "$0.0123");
  ck_assert_str_eq(fmt_usd(4.56e-6, buf, sizeof buf), "$4.56e-06");
  ck_assert_str_eq(fmt_usd(0, buf, sizeof buf), "$0.0000");
  ck_assert_str_eq(fmt_usd(-2.5, buf, sizeof buf), "$-2.50");
  ck_assert_str_eq(fmt_usd(NAN, buf, sizeof buf), "-");
  ck_assert_str_eq(fmt_usd(INFINITY, buf, sizeof buf), "-");
}
END_TEST

START_TEST(durations) {
  char buf[FMT_DURATION_LEN];
  ck_assert_str_eq(fmt_duration(0.523, buf, sizeof buf), "0.52 s");
  ck_assert_str_eq(fmt_duration(95.27, buf, sizeof buf), "95.27 s");
  ck_assert_str_eq(fmt_duration(750, buf, sizeof buf), "12.5 min");
  ck_assert_str_eq(fmt_duration(11520, buf, sizeof buf), "3.20 h");
  ck_assert_str_eq(fmt_duration(NAN, buf, sizeof buf), "-");
}
END_TEST

START_TEST(append_is_clamped) {
  char buf[8];
  memset(buf, 'x', sizeof buf);
  size_t len = 0;
  fmt_append(buf, sizeof buf, &len, "%s", "ab");
  ck_assert_str_eq(buf, "ab");
  ck_assert_uint_eq(len, 2);
  fmt_append(buf, sizeof buf, &len, "|%d", 12345); /* cut at the end of buf */
  ck_assert_str_eq(buf, "ab|1234");
  ck_assert_uint_eq(len, 7);
  for (int i = 0; i < 100; i++) fmt_append(buf, sizeof buf, &len, "more"); /* full: nothing */
  ck_assert_str_eq(buf, "ab|1234");
  ck_assert_uint_eq(len, 7);
  fmt_append(buf, 0, &len, "x"); /* no room at all */
  ck_assert_str_eq(buf, "ab|1234");
}
END_TEST

int main(void) {
  Suite *s = suite_create("format");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, dollars);
  tcase_add_test(tc, durations);
  tcase_add_test(tc, append_is_clamped);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
