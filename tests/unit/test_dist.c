/* Tests for dist/dist.c as a singleton (the collectives under mpirun are exercised by
 * tests/integration/test_mpi.sh): start-up, thread share, collectives that are identities
 * on one rank. Also the shard ranges the ranks read (io/dataset.c). */
#include "dist/dist.h"
#include "io/dataset.h"
#include "testutil.h"

START_TEST(shards_cover_rows) {
  size_t sizes[] = {0, 1, 7, 100, 1001};
  for (size_t k = 0; k < 5; k++) {
    for (int ranks = 1; ranks <= 8; ranks++) {
      size_t next = 0, lo = (size_t)-1, hi = 0;
      for (int r = 0; r < ranks; r++) {
        size_t start, count;
        ds_part_range(sizes[k], r, ranks, &start, &count);
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

/* The optimizer's shards: contiguous, in rank order, covering every parameter, sizes
 * within one of each other (also with fewer parameters than ranks). */
START_TEST(shard_counts_cover_parameters) {
  size_t sizes[] = {0, 2, 7, 99978, 100001};
  for (size_t k = 0; k < 5; k++)
    for (int ranks = 1; ranks <= 8; ranks++) {
      dist_ctx ctx = {.rank = 0, .size = ranks, .local_size = ranks};
      size_t counts[8], total = 0, lo = (size_t)-1, hi = 0;
      dist_shard_counts(&ctx, sizes[k], counts);
      for (int r = 0; r < ranks; r++) {
        ck_assert_uint_eq(dist_shard_offset(counts, r), total);
        total += counts[r];
        lo = counts[r] < lo ? counts[r] : lo;
        hi = counts[r] > hi ? counts[r] : hi;
      }
      ck_assert_uint_eq(total, sizes[k]);
      ck_assert_uint_le(hi - lo, 1);
    }
  size_t one[1];
  dist_shard_counts(NULL, 9, one);
  ck_assert_uint_eq(one[0], 9);
}
END_TEST

START_TEST(singleton_init) {
  dist_ctx ctx;
  int argc = 0;
  char **argv = NULL;
  ck_assert_int_eq(dist_init(&argc, &argv, &ctx), TR_OK);
  ck_assert_int_eq(ctx.rank, 0);
  ck_assert_int_eq(ctx.size, 1);
  ck_assert_int_eq(ctx.local_size, 1);
  ck_assert_int_eq(dist_threads_per_rank(&ctx, 3), 3);
  ck_assert_int_ge(dist_threads_per_rank(&ctx, 0), 1);
  float f[2] = {1.5f, 2.5f}, all[2];
  size_t n = 0;
  ck_assert_int_eq(dist_sum_floats(&ctx, f, 2), TR_OK);
  ck_assert_float_eq(f[1], 2.5f);
  ck_assert_int_eq(dist_allgather_floats(&ctx, f, 2, all, &n), TR_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_float_eq(all[0], 1.5f);
  int64_t big[2] = {(int64_t)1 << 62, -3};
  ck_assert_int_eq(dist_sum_i64(&ctx, big, 2), TR_OK);
  ck_assert(big[0] == (int64_t)1 << 62 && big[1] == -3);
  float send[3] = {1, 2, 3}, recv[3] = {0};
  size_t cnt[1] = {3}, at[1] = {0};
  ck_assert_int_eq(dist_alltoallv_floats(&ctx, send, cnt, at, recv, cnt, at), TR_OK);
  ck_assert_float_eq(recv[2], 3.0f);
  /* the sharded update's calls: one rank holds the one shard */
  dist_shards sh;
  ck_assert_int_eq(dist_shards_new(&ctx, 5, &sh), TR_OK);
  ck_assert_uint_eq(sh.counts[0], 5);
  ck_assert_int_eq(sh.mpi_counts[0], 5);
  ck_assert_int_eq(sh.mpi_displs[0], 0);
  float grads[5] = {1, 2, 3, 4, 5}, mine[5] = {0};
  ck_assert_int_eq(dist_sum_scatter_floats(&ctx, grads, &sh, mine), TR_OK);
  ck_assert_float_eq(mine[4], 5.0f);
  ck_assert_int_eq(dist_gather_shards_floats(&ctx, grads, &sh), TR_OK);
  ck_assert_float_eq(grads[0], 1.0f);
  dist_shards_free(&sh);
  ck_assert_ptr_null(sh.counts);
  dist_req req;
  ck_assert_int_eq(dist_isum_floats(&ctx, f, 2, &req), TR_OK);
  ck_assert(!req.active);
  ck_assert_int_eq(dist_wait(&ctx, &req), TR_OK);
  ck_assert_float_eq(f[0], 1.5f);
  ck_assert(dist_any(&ctx, true));
  ck_assert(!dist_any(&ctx, false));
  ck_assert(!dist_any(NULL, false));
  dist_finalize();
}
END_TEST

int main(void) {
  Suite *s = suite_create("dist");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, shards_cover_rows);
  tcase_add_test(tc, shard_counts_cover_parameters);
  tcase_add_test(tc, singleton_init);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
