/* Times the trainer's gradient allreduce (dist_sum_floats: MPI_Allreduce, MPI_SUM, in
 * place) on float buffers of 1 to 4M floats, for the alpha-beta model of issue 4's
 * scaling projection. Run it under `mpirun -n P`.
 *
 * Per size: a few warm-up calls, then REPS timed calls. Each call starts right after an
 * MPI_Barrier, every rank times its own call, and a call's time is the slowest rank's
 * (the collective is done when the last rank has its result). Rank 0 prints one CSV line
 * per size: floats,bytes,reps,median_s,min_s,p90_s (median, minimum and 90th percentile
 * over the reps). The buffer holds zeros, so the sums never reach inf or denormals.
 * Sizes: powers of two from 1 to 4,194,304 floats, plus 100,365 (the MLP 256-128 on 256
 * features, 10 classes: 100,362 parameters + loss, row count and stop flag).
 * The rep count per size aims at about TARGET seconds of timed calls, within [20, 2000]
 * (all ranks agree on it).
 *
 * Usage: mpirun -n P bench_allreduce [TARGET_S]     (default 0.25) */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timer.h"
#include "dist/dist.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int fail(dist_ctx *ctx, const char *what) {
  fprintf(stderr, "bench_allreduce: [rank %d] %s: %s\n", ctx->rank, what, tr_error_message());
  dist_abort(1);
  return 1;
}

int main(int argc, char **argv) {
  dist_ctx ctx;
  if (dist_init(&argc, &argv, &ctx) != TR_OK) {
    fprintf(stderr, "bench_allreduce: MPI start-up failed\n");
    return 1;
  }
  double target = argc > 1 ? atof(argv[1]) : 0.25;
  if (!(target > 0)) target = 0.25;
  enum { MAX_REPS = 2000, MIN_REPS = 20, WARMUP = 5 };
  const size_t max_n = (size_t)1 << 22, mlp_n = 100365;
  float *buf = malloc(max_n * sizeof *buf);
  double *t = malloc(MAX_REPS * sizeof *t);
  if (!buf || !t) {
    fprintf(stderr, "bench_allreduce: out of memory\n");
    dist_abort(1);
  }

  /* correctness once: each rank contributes rank + 1 */
  for (size_t i = 0; i < 1024; i++) buf[i] = (float)(ctx.rank + 1);
  if (dist_sum_floats(&ctx, buf, 1024) != TR_OK) return fail(&ctx, "check");
  float want = (float)ctx.size * (float)(ctx.size + 1) / 2.0f;
  for (size_t i = 0; i < 1024; i++)
    if (buf[i] != want) {
      fprintf(stderr, "bench_allreduce: [rank %d] wrong sum %g, want %g\n", ctx.rank, buf[i], want);
      dist_abort(1);
    }
  memset(buf, 0, max_n * sizeof *buf);

  size_t sizes[32];
  int ns = 0;
  for (size_t n = 1; n <= max_n; n *= 2) {
    if (n / 2 < mlp_n && mlp_n < n) sizes[ns++] = mlp_n;
    sizes[ns++] = n;
  }
  if (ctx.rank == 0) {
    printf("# bench_allreduce: ranks=%d local_ranks=%d (MPI_Allreduce float sum, in place)\n",
           ctx.size, ctx.local_size);
    printf("floats,bytes,reps,median_s,min_s,p90_s\n");
    fflush(stdout);
  }
  for (int s = 0; s < ns; s++) {
    size_t n = sizes[s];
    double w0 = tr_now();
    for (int i = 0; i < WARMUP; i++) {
      MPI_Barrier(MPI_COMM_WORLD);
      if (dist_sum_floats(&ctx, buf, n) != TR_OK) return fail(&ctx, "warm-up");
    }
    double per = (tr_now() - w0) / WARMUP;
    if (dist_max_doubles(&ctx, &per, 1) != TR_OK) return fail(&ctx, "rep count");
    int reps = per > 0 ? (int)(target / per) : MAX_REPS;
    reps = reps < MIN_REPS ? MIN_REPS : reps > MAX_REPS ? MAX_REPS : reps;
    for (int i = 0; i < reps; i++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = tr_now();
      if (dist_sum_floats(&ctx, buf, n) != TR_OK) return fail(&ctx, "allreduce");
      t[i] = tr_now() - t0;
    }
    /* a call's time is its slowest rank's */
    if (dist_max_doubles(&ctx, t, (size_t)reps) != TR_OK) return fail(&ctx, "gather times");
    if (ctx.rank == 0) {
      qsort(t, (size_t)reps, sizeof *t, cmp_double);
      printf("%zu,%zu,%d,%.9f,%.9f,%.9f\n", n, n * sizeof(float), reps, t[reps / 2], t[0],
             t[(int)(0.9 * (reps - 1))]);
      fflush(stdout);
    }
  }
  free(buf);
  free(t);
  dist_finalize();
  return 0;
}
