/* Would overlapping the gradient allreduce with the backward pass pay on this machine?
 * The end of the MLP benchmark's step (issue 3's 256-128 MLP on 256 features, 10
 * classes, 128 rows per rank at 2 ranks), timed three ways under `mpirun -n 2`:
 *
 *   compute   the backward's work left once layers 1 and 2 have their gradients: the
 *             input gradient of layer 1 (128 x 128 by 128 x 256) and layer 0's weight
 *             gradient (256 x 128 by 128 x 256), OpenBLAS sgemm, in SLICES column blocks
 *   blocking  compute, then one MPI_Allreduce of all 99,981 values (today's fused buffer)
 *   overlap   MPI_Iallreduce of layers 1 and 2 (34,186 values + 3) before the compute,
 *             MPI_Test after every slice (Open MPI's shared-memory transport progresses
 *             only inside MPI calls), MPI_Wait, then MPI_Allreduce of layer 0 (65,792
 *             values: the largest layer is the last one the backward finishes)
 *
 * Every iteration starts after an MPI_Barrier, so the figures hold no waiting for a late
 * rank: they are the collectives' own cost, the part an overlap could hide. Prints, from
 * rank 0, the median and minimum over REPS iterations of each mode (microseconds) and
 * the communication each exposes (mode - compute).
 *
 * Then the optimizer's share: Adam (trainer/optim.c, one thread) over all 99,978
 * parameters, as every rank runs it after an allreduce, and over this rank's shard, as
 * the sharded update runs it (both ranks at once, as in training); best of REPS.
 *
 * Usage: mpirun -n 2 bench_overlap_probe [REPS] [SLICES]     (default 2000, 4) */
#include <cblas.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/timer.h"
#include "trainer/optim.h"

enum { ROWS = 128, IN0 = 256, H1 = 256, H2 = 128, OUT = 10 };
enum { N_L0 = IN0 * H1 + H1, N_L12 = H1 * H2 + H2 + H2 * OUT + OUT, N_ALL = N_L0 + N_L12 + 3 };

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The remaining backward: dX1 = dY1 W1^T, then dW0 += X^T dY0 in slices column blocks,
 * with MPI_Test on req (when not NULL) after each piece. */
static void compute(const float *X, const float *dY1, const float *W1, float *dX1, float *dW0, int slices,
                    MPI_Request *req) {
  int flag = 0;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ROWS, H1, H2, 1.0f, dY1, H2, W1, H2, 0.0f, dX1, H1);
  if (req) MPI_Test(req, &flag, MPI_STATUS_IGNORE);
  int cols = H1 / slices;
  for (int s = 0; s < slices; s++) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, IN0, cols, ROWS, 1.0f, X, IN0, dX1 + s * cols, H1,
                1.0f, dW0 + s * cols, H1);
    if (req) MPI_Test(req, &flag, MPI_STATUS_IGNORE);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int reps = argc > 1 ? atoi(argv[1]) : 2000, slices = argc > 2 ? atoi(argv[2]) : 4;
  if (reps < 10) reps = 10;
  if (slices < 1 || H1 % slices) slices = 4;
  float *X = calloc(ROWS * IN0, sizeof(float)), *dY1 = calloc(ROWS * H2, sizeof(float));
  float *W1 = calloc(H1 * H2, sizeof(float)), *dX1 = calloc(ROWS * H1, sizeof(float));
  float *g = calloc(N_ALL, sizeof(float)); /* the gradient buffer: layer 0, then 1 and 2 */
  double *t[3];
  for (int m = 0; m < 3; m++) t[m] = malloc((size_t)reps * sizeof(double));
  if (!X || !dY1 || !W1 || !dX1 || !g || !t[0] || !t[1] || !t[2]) {
    fprintf(stderr, "bench_overlap_probe: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (int i = 0; i < ROWS * IN0; i++) X[i] = (float)(i % 7) * 0.01f;
  for (int i = 0; i < ROWS * H2; i++) dY1[i] = (float)(i % 5) * 0.01f;
  for (int i = 0; i < H1 * H2; i++) W1[i] = (float)(i % 3) * 0.01f;
  for (int it = -20; it < reps; it++) { /* 20 warm-up rounds */
    for (int m = 0; m < 3; m++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = tr_now();
      if (m == 0) {
        compute(X, dY1, W1, dX1, g, slices, NULL);
      } else if (m == 1) {
        compute(X, dY1, W1, dX1, g, slices, NULL);
        MPI_Allreduce(MPI_IN_PLACE, g, N_ALL, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      } else {
        MPI_Request req;
        MPI_Iallreduce(MPI_IN_PLACE, g + N_L0, N_L12 + 3, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &req);
        compute(X, dY1, W1, dX1, g, slices, &req);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        MPI_Allreduce(MPI_IN_PLACE, g, N_L0, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      }
      double dt = tr_now() - t0, slowest = 0;
      MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (it >= 0) t[m][it] = slowest;
      for (int i = 0; i < N_ALL; i++) g[i] = 0; /* sums stay zero: no denormals, no inf */
    }
  }
  if (rank == 0) {
    double med[3], mn[3];
    for (int m = 0; m < 3; m++) {
      qsort(t[m], (size_t)reps, sizeof(double), cmp);
      med[m] = 1e6 * t[m][reps / 2], mn[m] = 1e6 * t[m][0];
    }
    printf("ranks %d, reps %d, slices %d (medians; minimums in brackets), microseconds\n", size, reps, slices);
    printf("compute only: %.1f [%.1f]\n", med[0], mn[0]);
    printf("blocking: compute + MPI_Allreduce(%d): %.1f [%.1f], exposed communication %.1f\n", N_ALL, med[1], mn[1],
           med[1] - med[0]);
    printf("overlap: MPI_Iallreduce(%d) during the compute, MPI_Test per slice, MPI_Allreduce(%d) after: %.1f [%.1f], "
           "exposed communication %.1f\n", N_L12 + 3, N_L0, med[2], mn[2], med[2] - med[0]);
  }
  /* the optimizer: whole, then this rank's shard (trainer/train.c's partition) */
  size_t np = N_L0 + N_L12, lo = np / (size_t)size * (size_t)rank + ((size_t)rank < np % (size_t)size ? (size_t)rank : np % (size_t)size);
  size_t hi = lo + np / (size_t)size + ((size_t)rank < np % (size_t)size);
  opt_state *o = opt_new(OPT_ADAM, np, 0, 1e-4);
  float *p = calloc(np, sizeof(float));
  unsigned char *decay = malloc(np);
  if (!o || !p || !decay) MPI_Abort(MPI_COMM_WORLD, 1);
  for (size_t i = 0; i < np; i++) /* no zero gradients: their moments would decay to denormals */
    p[i] = 0.01f * (float)(1 + i % 7), g[i] = 0.001f * (float)(1 + i % 5), decay[i] = 1;
  double best_all = 1e9, best_shard = 1e9;
  for (int it = 0; it < reps; it++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = tr_now();
    opt_step(o, p, g, decay, 1e-3);
    double t1 = tr_now();
    opt_step_range(o, p, g + lo, decay, 1e-3, lo, hi);
    double t2 = tr_now();
    best_all = t1 - t0 < best_all ? t1 - t0 : best_all;
    best_shard = t2 - t1 < best_shard ? t2 - t1 : best_shard;
  }
  double worst[2] = {best_all, best_shard}, got[2];
  MPI_Reduce(worst, got, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0)
    printf("update (adam, 1 thread, best of %d, slower rank): all %zu parameters %.1f us, one rank's shard of %zu %.1f us\n",
           reps, np, 1e6 * got[0], hi - lo, 1e6 * got[1]);
  opt_free(&o);
  free(p);
  free(decay);
  MPI_Finalize();
  return 0;
}
