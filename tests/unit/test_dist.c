/* Tests for dist/dist.c: shard ranges cover every row once, balanced to one row;
 * singleton MPI start-up. */
#include "dist/dist.h"
#include "testutil.h"

START_TEST(shards_cover_rows) {
  size_t sizes[] = {0, 1, 7, 100, 1001};
  for (size_t k = 0; k < 5; k++) {
    for (int ranks = 1; ranks <= 8; ranks++) {
      size_t next = 0, lo = (size_t)-1, hi = 0;
      for (int r = 0; r < ranks; r++) {
        size_t start, count;
        dist_shard_range(sizes[k], r, ranks, &start, &count);
        ck_assert_uint_eq(start, next);
        next = start + count;
        lo = count < lo ? count : lo;
        hi = count > hi ? count : hi;
      }
      ck_assert_uint_eq(next, sizes[k]);
      ck_assert_uint_le(hi - lo, 1);
    }
  }
}
END_TEST

START_TEST(singleton_init) {
  dist_ctx ctx;
  int argc = 0;
  char **argv = NULL;
  ck_assert_int_eq(dist_init(&argc, &argv, &ctx), TR_OK);
  ck_assert_int_eq(ctx.rank, 0);
  ck_assert_int_eq(ctx.size, 1);
  dist_finalize();
}
END_TEST

int main(void) {
  Suite *s = suite_create("dist");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, shards_cover_rows);
  tcase_add_test(tc, singleton_init);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
