/* Measures the machine's single-precision GEMM rate through OpenBLAS (cblas_sgemm), the
 * peak that the MLP's training throughput is compared with (issue 3). For each shape and
 * thread count it times C = A * B (row-major, alpha 1, beta 0) over several trials of
 * at least ~50 ms each and prints one line of `key=value`s: GFLOP/s = 2*M*N*K / s / 1e9,
 * best and median of the trials.
 * Shapes: square 1024 (the peak), and the MLP's batch shapes for a batch of 256 rows:
 * layer 1 forward (256x256 . 256x256), layer 2 forward (256x256 . 256x128), and the
 * backward patterns of layer 1 (weight gradient X^T dY: trans A; input gradient
 * dY W^T: trans B).
 * Each shape runs through OpenBLAS (lib=openblas) and through oneDNN's matmul as the
 * trainer calls it (lib=onednn, trainer/dense.c: A B with a zero bias fused, A^T B
 * accumulated into C, A B^T), so the MLP's rate can be set against each library's peak.
 * Usage: bench_sgemm [THREADS...]   (default: 1 2) */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/timer.h"
#include "trainer/dense.h"

typedef struct {
  const char *name;
  int m, n, k;
  int trans_a, trans_b;
} bench_shape;

static const bench_shape bench_shapes[] = {
    {"square", 1024, 1024, 1024, 0, 0},
    {"mlp_fwd_l1", 256, 256, 256, 0, 0},
    {"mlp_fwd_l2", 256, 128, 256, 0, 0},
    {"mlp_bwd_dW_l1", 256, 256, 256, 1, 0},
    {"mlp_bwd_dX_l2", 256, 256, 128, 0, 1},
};

static int bench_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static float *bench_matrix(size_t n, unsigned *seed) {
  float *p = malloc(n * sizeof *p);
  if (!p) return NULL;
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1664525u + 1013904223u;
    p[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
  return p;
}

/* One C = op(A) op(B) call with row-major storage; op(A) is m x k, op(B) k x n. */
static void bench_call(const bench_shape *s, const float *a, const float *b, float *c) {
  int lda = s->trans_a ? s->m : s->k, ldb = s->trans_b ? s->k : s->n;
  cblas_sgemm(CblasRowMajor, s->trans_a ? CblasTrans : CblasNoTrans,
              s->trans_b ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f, a, lda, b, ldb,
              0.0f, c, s->n);
}

/* The same product through oneDNN (trainer/dense.c); false when it cannot run. */
static bool bench_call_dnnl(dense_ctx *d, const bench_shape *s, const float *a, const float *b,
                            float *c, const float *zero_bias) {
  if (!s->trans_a && !s->trans_b) /* C (m x n) = A (m x k) B (k x n) + 0 */
    return dense_forward(d, 0, a, b, zero_bias, c, (size_t)s->m, (size_t)s->k, (size_t)s->n, DENSE_NONE);
  if (s->trans_a) /* C (m x n) += A^T, A stored k x m, times B (k x n) */
    return dense_grad_w(d, 1, a, b, c, (size_t)s->k, (size_t)s->m, (size_t)s->n);
  /* C (m x n) = A (m x k) B^T, B stored n x k */
  return dense_grad_x(d, 2, a, b, c, (size_t)s->m, (size_t)s->n, (size_t)s->k);
}

int main(int argc, char **argv) {
  int threads[16] = {1, 2}, nthreads = 2;
  if (argc > 1) {
    nthreads = 0;
    for (int i = 1; i < argc && nthreads < 16; i++) {
      int t = atoi(argv[i]);
      if (t < 1 || t > 4096) {
        fprintf(stderr, "usage: %s [THREADS...] (each 1-4096)\n", argv[0]);
        return 2;
      }
      threads[nthreads++] = t;
    }
  }
  printf("openblas config=\"%s\" core=%s procs=%d\n", openblas_get_config(),
         openblas_get_corename(), openblas_get_num_procs());
  enum { TRIALS = 7 };
  for (int lib = 0; lib < 2; lib++)
  for (int ti = 0; ti < nthreads; ti++) {
    openblas_set_num_threads(threads[ti]);
    omp_set_num_threads(threads[ti]);
    for (size_t si = 0; si < sizeof bench_shapes / sizeof bench_shapes[0]; si++) {
      const bench_shape *s = &bench_shapes[si];
      unsigned seed = 12345u;
      float *a = bench_matrix((size_t)s->m * s->k, &seed);
      float *b = bench_matrix((size_t)s->k * s->n, &seed);
      float *c = bench_matrix((size_t)s->m * s->n, &seed);
      float *zero = calloc((size_t)s->n, sizeof(float));
      dense_ctx *d = lib ? dense_new() : NULL;
      if (lib && (!d || !zero || !bench_call_dnnl(d, s, a, b, c, zero))) {
        fprintf(stderr, "bench_sgemm: oneDNN cannot run %s\n", s->name);
        return 1;
      }
      if (!a || !b || !c) {
        fprintf(stderr, "bench_sgemm: out of memory\n");
        return 1;
      }
      double flop = 2.0 * s->m * s->n * s->k;
      /* Warm up (thread pool, caches), then size one trial to take at least ~50 ms. */
      int reps = 1;
      for (;;) {
        double t0 = tr_now();
        for (int r = 0; r < reps; r++)
          lib ? (void)bench_call_dnnl(d, s, a, b, c, zero) : bench_call(s, a, b, c);
        double dt = tr_now() - t0;
        if (dt >= 0.05) break;
        reps *= dt > 0.005 ? (int)(0.06 / dt) + 1 : 10;
      }
      double sec[TRIALS];
      for (int t = 0; t < TRIALS; t++) {
        double t0 = tr_now();
        for (int r = 0; r < reps; r++)
          lib ? (void)bench_call_dnnl(d, s, a, b, c, zero) : bench_call(s, a, b, c);
        sec[t] = (tr_now() - t0) / reps;
      }
      qsort(sec, TRIALS, sizeof sec[0], bench_cmp);
      printf("lib=%s shape=%s m=%d n=%d k=%d trans_a=%d trans_b=%d threads=%d reps=%d "
             "best_s=%.6g best_gflops=%.2f median_gflops=%.2f\n",
             lib ? "onednn" : "openblas", s->name, s->m, s->n, s->k, s->trans_a, s->trans_b, threads[ti], reps, sec[0],
             flop / sec[0] / 1e9, flop / sec[TRIALS / 2] / 1e9);
      fflush(stdout);
      free(a);
      free(b);
      free(c);
      free(zero);
      dense_free(&d);
    }
  }
  return 0;
}
