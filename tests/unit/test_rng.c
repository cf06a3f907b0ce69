/* Tests for common/rng.c: reproducibility, independent streams, distributions. */
#include <math.h>
#include <stdlib.h>

#include "common/rng.h"
#include "testutil.h"

START_TEST(same_seed_same_stream) {
  rng_t a, b;
  rng_seed(&a, 42);
  rng_seed(&b, 42);
  for (int i = 0; i < 100; i++) ck_assert_uint_eq(rng_u64(&a), rng_u64(&b));
  rng_seed(&b, 43);
  ck_assert_uint_ne(rng_u64(&a), rng_u64(&b));
}
END_TEST

START_TEST(split_streams_differ_and_do_not_advance_parent) {
  rng_t root, copy;
  rng_seed(&root, 7);
  copy = root;
  rng_t s1 = rng_split(&root, 1), s2 = rng_split(&root, 2), s1b = rng_split(&root, 1);
  ck_assert_uint_eq(root.s[0], copy.s[0]);
  uint64_t a = rng_u64(&s1), b = rng_u64(&s2);
  ck_assert_uint_ne(a, b);
  ck_assert_uint_eq(a, rng_u64(&s1b));
}
END_TEST

START_TEST(distributions) {
  rng_t r;
  rng_seed(&r, 1);
  double sum = 0, sq = 0;
  int n = 200000, counts[5] = {0};
  for (int i = 0; i < n; i++) {
    double u = rng_uniform(&r);
    ck_assert(u >= 0 && u < 1);
    double z = rng_normal(&r);
    sum += z;
    sq += z * z;
    counts[rng_below(&r, 5)]++;
  }
  ck_assert_double_eq_tol(sum / n, 0.0, 0.01);
  ck_assert_double_eq_tol(sq / n, 1.0, 0.02);
  for (int k = 0; k < 5; k++) ck_assert_int_gt(counts[k], n / 5 - 1500);
}
END_TEST

START_TEST(shuffle_is_a_permutation) {
  rng_t r;
  rng_seed(&r, 3);
  size_t idx[100];
  int seen[100] = {0};
  for (size_t i = 0; i < 100; i++) idx[i] = i;
  rng_shuffle(&r, idx, 100);
  size_t moved = 0;
  for (size_t i = 0; i < 100; i++) {
    seen[idx[i]]++;
    moved += idx[i] != i;
  }
  for (int i = 0; i < 100; i++) ck_assert_int_eq(seen[i], 1);
  ck_assert_uint_gt(moved, 50);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rng");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, same_seed_same_stream);
  tcase_add_test(tc, split_streams_differ_and_do_not_advance_parent);
  tcase_add_test(tc, distributions);
  tcase_add_test(tc, shuffle_is_a_permutation);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
