/* Rank-invariant passes: row exchange, fixed micro-batches computed alone, and the exact
 * (fixed-point, integer-allreduced) sum of their gradients. See invariant.h for the
 * scheme; the pieces here are:
 *  - offsets: every split's rows numbered globally, rank r holding [off[r], off[r+1]);
 *  - assemble: the rows of a rank's micro-batches gathered in position order, the ones
 *    other ranks hold received with one MPI_Alltoallv (every rank knows the positions'
 *    rows, so nobody asks: each packs what the others need);
 *  - compute: micro-batches in parallel over threads, each with its own workspace (one
 *    thread per micro-batch, so every GEMM has the micro-batch's shape and runs alone);
 *  - exact_sum: the maximum |g| of each tensor (W or b of a layer) over all
 *    micro-batches (one small MPI_MAX, which also carries the stop flag), then each value
 *    g * 2^S rounded to an integer, |g * 2^S| < 2^(50 - h) for 2^h micro-batches so no
 *    sum overflows 2^50 and the rounding (the 2^52 + 2^51 trick, exact below 2^51) is
 *    vectorizable; one MPI_INT64_T sum; back to float as sum * 2^-S / rows. About 47 bits
 *    below each tensor's largest value survive, more than a float sum keeps. */
#include "trainer/invariant.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

#define MAX_THREADS 64
#define MAX_TENSORS (2 * NET_MAX_LAYERS)

/* The rows one rank computes in full passes over a split: chunks [j0, j1) of
 * INV_CHUNK_ROWS global rows, i.e. rows [a, b), assembled once. */
typedef struct {
  size_t n;      /* rows over all ranks */
  size_t *off;   /* ranks + 1 offsets */
  size_t j0, j1, a, b;
  float *X, *y;  /* (b - a) rows */
} fixed_set;

struct inv_fit {
  dist_ctx *dist;
  int K, me;
  size_t np, cols, width, batch, micro;
  size_t n_tensors, t_off[MAX_TENSORS + 1];
  const ds_dataset *train;
  size_t *toff, n_train, *perm;
  fixed_set fs[2];
  float *send, *recv;
  size_t send_cap, recv_cap;   /* floats */
  size_t *sc, *sd, *rcnt, *rd, *cur;
  float *Xm, *ym;              /* a step's rows of this rank */
  size_t m_cap, ym_cap;        /* floats */
  int threads;
  net_ws *ws[MAX_THREADS];
  float *dlogits[MAX_THREADS], *pred[MAX_THREADS];
  float *G;                    /* micro-batch gradients, n_params each */
  size_t G_cap;                /* micro-batches */
  double *loss;                /* per local micro-batch */
  int64_t *acc;
  double *slots;
  size_t loss_cap, acc_cap, slots_cap;
};

static tr_err oom(void) { return tr_error_set(TR_ENOMEM, "rank_invariant", "out of memory"); }

/* Grows *p to hold n elements of size sz. */
static bool reserve(void **p, size_t *cap, size_t n, size_t sz) {
  if (n <= *cap && *p) return true;
  size_t c = n > 2 * *cap ? n : 2 * *cap;
  void *q = realloc(*p, (c ? c : 1) * sz);
  if (!q) return false;
  *p = q;
  *cap = c;
  return true;
}

/* off[0..K] of local row counts (collective). */
static tr_err offsets(inv_fit *f, size_t local, size_t **off) {
  int64_t *c = calloc((size_t)f->K, sizeof(int64_t));
  *off = malloc(((size_t)f->K + 1) * sizeof(size_t));
  if (!c || !*off) {
    free(c);
    return oom();
  }
  c[f->me] = (int64_t)local;
  tr_err rc = dist_sum_i64(f->dist, c, (size_t)f->K);
  (*off)[0] = 0;
  for (int r = 0; r < f->K; r++) (*off)[r + 1] = (*off)[r] + (size_t)c[r];
  free(c);
  return rc;
}

/* The rank holding global row t (off[owner] <= t < off[owner + 1]). */
static int owner(const size_t *off, int K, size_t t) {
  int lo = 0, hi = K; /* the last r with off[r] <= t */
  while (hi - lo > 1) {
    int mid = lo + (hi - lo) / 2;
    if (off[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Micro-batches [*j0, *j1) of M for rank q: consecutive, as even as possible. */
static void mb_range(size_t M, int q, int K, size_t *j0, size_t *j1) {
  *j0 = M * (size_t)q / (size_t)K;
  *j1 = M * (size_t)(q + 1) / (size_t)K;
}

static size_t pos_of(size_t j, size_t m, size_t n) { return j * m < n ? j * m : n; }

/* Gathers into X, y the rows of this rank's positions (rows idx[p], or p when idx is
 * NULL, of d, whose rows are off[me] .. off[me + 1]) in position order: positions [0, n)
 * in micro-batches of m, handed out by mb_range (collective). */
static tr_err assemble(inv_fit *f, const ds_dataset *d, const size_t *off, const size_t *idx, size_t n,
                       size_t m, float *X, float *y) {
  int K = f->K, me = f->me;
  size_t cols = d->cols, w = cols + 1, M = (n + m - 1) / m, lo = off[me], hi = off[me + 1];
  size_t j0, j1;
  mb_range(M, me, K, &j0, &j1);
  size_t a = pos_of(j0, m, n), b = pos_of(j1, m, n);
  for (int q = 0; q < K; q++) f->sc[q] = f->rcnt[q] = 0;
  for (int q = 0; q < K; q++) { /* what this rank sends to q: its rows among q's */
    if (q == me) continue;
    size_t q0, q1;
    mb_range(M, q, K, &q0, &q1);
    for (size_t p = pos_of(q0, m, n); p < pos_of(q1, m, n); p++) {
      size_t t = idx ? idx[p] : p;
      if (t >= lo && t < hi) f->sc[q] += w;
    }
  }
  for (size_t p = a; p < b; p++) {
    size_t t = idx ? idx[p] : p;
    if (t < lo || t >= hi) f->rcnt[owner(off, K, t)] += w;
  }
  size_t st = 0, rt = 0;
  for (int q = 0; q < K; q++) {
    f->sd[q] = st, st += f->sc[q];
    f->rd[q] = rt, rt += f->rcnt[q];
  }
  if (!reserve((void **)&f->send, &f->send_cap, st, sizeof(float)) ||
      !reserve((void **)&f->recv, &f->recv_cap, rt, sizeof(float)))
    return oom();
  for (int q = 0; q < K; q++) {
    if (q == me || !f->sc[q]) continue;
    size_t q0, q1, at = f->sd[q];
    mb_range(M, q, K, &q0, &q1);
    for (size_t p = pos_of(q0, m, n); p < pos_of(q1, m, n); p++) {
      size_t t = idx ? idx[p] : p;
      if (t < lo || t >= hi) continue;
      memcpy(f->send + at, d->X + (t - lo) * cols, cols * sizeof(float));
      f->send[at + cols] = d->y ? d->y[t - lo] : 0.0f;
      at += w;
    }
  }
  if (K > 1) { /* every rank takes part, also when nothing moves for it */
    tr_err rc = dist_alltoallv_floats(f->dist, f->send, f->sc, f->sd, f->recv, f->rcnt, f->rd);
    if (rc != TR_OK) return rc;
  }
  for (int q = 0; q < K; q++) f->cur[q] = f->rd[q];
  for (size_t p = a; p < b; p++) {
    size_t t = idx ? idx[p] : p, i = p - a;
    if (t >= lo && t < hi) {
      memcpy(X + i * cols, d->X + (t - lo) * cols, cols * sizeof(float));
      y[i] = d->y ? d->y[t - lo] : 0.0f;
    } else {
      int o = owner(off, K, t);
      memcpy(X + i * cols, f->recv + f->cur[o], cols * sizeof(float));
      y[i] = f->recv[f->cur[o] + cols];
      f->cur[o] += w;
    }
  }
  return TR_OK;
}

static bool ensure_mb(inv_fit *f, size_t count, size_t M, bool grads) {
  if (grads && !reserve((void **)&f->G, &f->G_cap, count, f->np * sizeof(float))) return false;
  return reserve((void **)&f->loss, &f->loss_cap, count ? count : 1, sizeof(double)) &&
         reserve((void **)&f->acc, &f->acc_cap, f->np + M, sizeof(int64_t)) &&
         reserve((void **)&f->slots, &f->slots_cap, M ? M : 1, sizeof(double));
}

/* Micro-batches k = 0 .. count-1 of this rank (global index j0 + k): rows
 * [k m, min((k+1) m, total)) of X, y. Training mode draws dropout from stream key + j0 + k
 * of *drop. Losses into f->loss[k], gradients into f->G + k n_params (when grads),
 * predictions of row i into pred_all at rowid[i] (or first + i) when pred_all. */
static void compute(inv_fit *f, const net *n, loss_head head, const float *X, const float *y, size_t total,
                    size_t m, size_t j0, size_t count, const rng_t *drop, uint64_t key, bool grads,
                    const size_t *rowid, size_t first, float *pred_all) {
  size_t cols = f->cols, width = f->width, np = f->np;
#pragma omp parallel for schedule(dynamic, 1) num_threads(f->threads)
  for (size_t k = 0; k < count; k++) {
    int t = omp_get_thread_num();
    size_t r0 = k * m, rows = total - r0 < m ? total - r0 : m;
    rng_t rng;
    if (drop) rng = rng_split(drop, key + j0 + k);
    const float *logits = net_forward(n, f->ws[t], X + r0 * cols, rows, drop != NULL, drop ? &rng : NULL);
    f->loss[k] = loss_eval(head, logits, y + r0, rows, width, grads ? f->dlogits[t] : NULL, 1.0f);
    if (pred_all) {
      loss_predict(head, logits, rows, width, f->pred[t]);
      for (size_t i = 0; i < rows; i++) {
        size_t g = rowid ? rowid[r0 + i] : first + r0 + i;
        memcpy(pred_all + g * width, f->pred[t] + i * width, width * sizeof(float));
      }
    }
    if (grads) {
      float *Gk = f->G + k * np;
      memset(Gk, 0, np * sizeof(float));
      net_backward(n, f->ws[t], X + r0 * cols, rows, f->dlogits[t], Gk);
    }
  }
}

#define MAGIC 6755399441055744.0 /* 2^52 + 2^51: v + MAGIC rounds v to an integer for |v| < 2^51 */

static int64_t bits_of(double v) {
  int64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

static double double_of(int64_t b) {
  double v;
  memcpy(&v, &b, sizeof v);
  return v;
}

/* acc[i] += round(g[i] * sc) for i in [0, len) (|g[i] * sc| < 2^51). */
static void add_fixed(int64_t *restrict acc, const float *restrict g, size_t len, double sc) {
  const int64_t mb = bits_of(MAGIC);
  for (size_t i = 0; i < len; i++) {
    double v = (double)g[i] * sc + MAGIC;
    int64_t b;
    memcpy(&b, &v, sizeof b);
    acc[i] += b - mb;
  }
}

/* The exact sum over all ranks' micro-batches (count here, global j0 .. j0+count of M)
 * of f->G and f->loss: grad = sum * scale (when grad), *loss_sum = the losses added in
 * micro-batch order. stop travels in the first collective; *stopped then ends it. */
static tr_err exact_sum(inv_fit *f, size_t count, size_t j0, size_t M, double scale, bool stop, float *grad,
                        double *loss_sum, bool *stopped) {
  size_t np = f->np, nt = f->n_tensors;
  double mx[MAX_TENSORS + 1];
  for (size_t t = 0; t < nt; t++) {
    float m = 0, nan = 0; /* nan: g * 0 is NaN for a NaN or infinite g, else 0 */
    for (size_t k = 0; k < count; k++) {
      const float *restrict g = f->G + k * np;
#pragma omp simd reduction(max : m) reduction(+ : nan)
      for (size_t i = f->t_off[t]; i < f->t_off[t + 1]; i++) {
        float a = fabsf(g[i]);
        m = a > m ? a : m;
        nan += g[i] * 0.0f;
      }
    }
    mx[t] = nan == 0 ? m : INFINITY; /* the tensor is not finite */
  }
  mx[nt] = stop ? 1.0 : 0.0;
  tr_err rc = dist_max_doubles(f->dist, mx, nt + 1);
  if (rc != TR_OK) return rc;
  *stopped = mx[nt] > 0;
  if (*stopped) return TR_OK;
  int h = 0;
  while (((size_t)1 << h) < M) h++;
  double sc[MAX_TENSORS], inv[MAX_TENSORS];
  for (size_t t = 0; t < nt; t++) {
    int e = 0;
    if (mx[t] > 0 && isfinite(mx[t])) frexp(mx[t], &e); /* mx < 2^e */
    sc[t] = ldexp(1.0, 50 - h - e);
    inv[t] = ldexp(1.0, e + h - 50) * scale;
  }
  memset(f->acc, 0, (np + M) * sizeof(int64_t));
  for (size_t t = 0; t < nt; t++) {
    if (!isfinite(mx[t])) continue;
    size_t o = f->t_off[t], len = f->t_off[t + 1] - o;
    for (size_t k = 0; k < count; k++) add_fixed(f->acc + o, f->G + k * np + o, len, sc[t]);
  }
  for (size_t k = 0; k < count; k++) f->acc[np + j0 + k] = bits_of(f->loss[k]);
  if ((rc = dist_sum_i64(f->dist, f->acc, np + M)) != TR_OK) return rc;
  for (size_t t = 0; t < nt && grad; t++)
    for (size_t i = f->t_off[t]; i < f->t_off[t + 1]; i++)
      grad[i] = isfinite(mx[t]) ? (float)((double)f->acc[i] * inv[t]) : NAN;
  double s = 0;
  for (size_t j = 0; j < M; j++) s += double_of(f->acc[np + j]);
  *loss_sum = s;
  return TR_OK;
}

/* The losses f->loss[0..count) of micro-batches j0.. of M, added over ranks in
 * micro-batch order (slots: exact). */
static tr_err slot_sum(inv_fit *f, size_t count, size_t j0, size_t M, double *loss_sum) {
  for (size_t j = 0; j < M; j++) f->slots[j] = -0.0;
  for (size_t k = 0; k < count; k++) f->slots[j0 + k] = f->loss[k];
  tr_err rc = dist_sum_doubles(f->dist, f->slots, M);
  double s = 0;
  for (size_t j = 0; j < M; j++) s += f->slots[j];
  if (loss_sum) *loss_sum = s;
  return rc;
}

static tr_err fixed_init(inv_fit *f, fixed_set *s, const ds_dataset *d) {
  tr_err rc = offsets(f, d->rows, &s->off);
  if (rc != TR_OK) return rc;
  s->n = s->off[f->K];
  size_t M = (s->n + INV_CHUNK_ROWS - 1) / INV_CHUNK_ROWS;
  mb_range(M, f->me, f->K, &s->j0, &s->j1);
  s->a = pos_of(s->j0, INV_CHUNK_ROWS, s->n);
  s->b = pos_of(s->j1, INV_CHUNK_ROWS, s->n);
  s->X = ds_alloc_floats((s->b - s->a) * d->cols + 1);
  s->y = ds_alloc_floats(s->b - s->a + 1);
  if (!s->X || !s->y) return oom();
  return assemble(f, d, s->off, NULL, s->n, INV_CHUNK_ROWS, s->X, s->y);
}

static void fixed_free(fixed_set *s) {
  free(s->off);
  free(s->X);
  free(s->y);
  memset(s, 0, sizeof *s);
}

/* The pieces that do not depend on the data (collective only through nothing). */
static inv_fit *fit_alloc(const net *n, dist_ctx *dist, size_t cols, size_t work_rows) {
  inv_fit *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->dist = dist;
  f->K = dist ? dist->size : 1;
  f->me = dist ? dist->rank : 0;
  f->np = n->n_params;
  f->cols = cols;
  f->width = n->spec.outputs;
  for (size_t l = 0; l < n->n_layers; l++) {
    f->t_off[2 * l] = n->layer[l].w_off;
    f->t_off[2 * l + 1] = n->layer[l].b_off;
  }
  f->n_tensors = 2 * n->n_layers;
  f->t_off[f->n_tensors] = n->n_params;
  size_t K = (size_t)f->K;
  f->sc = calloc(5 * K, sizeof(size_t));
  f->threads = omp_get_max_threads();
  if (f->threads > MAX_THREADS) f->threads = MAX_THREADS;
  bool ok = f->sc != NULL;
  if (ok) f->sd = f->sc + K, f->rcnt = f->sc + 2 * K, f->rd = f->sc + 3 * K, f->cur = f->sc + 4 * K;
  /* OpenBLAS for every micro-batch: oneDNN's path runs only outside a parallel region
   * (net.c), so at 1 thread it would be taken and at 3 not, and the bits would follow
   * the thread count. */
  for (int t = 0; ok && t < f->threads; t++) {
    ok = (f->ws[t] = net_ws_new_with(n, work_rows, NET_KERNELS_OPENBLAS)) && (f->dlogits[t] = ds_alloc_floats(work_rows * f->width)) &&
         (f->pred[t] = ds_alloc_floats(work_rows * f->width));
  }
  if (!ok) {
    inv_fit_free(&f);
    return NULL;
  }
  return f;
}

inv_fit *inv_fit_new(const net *n, dist_ctx *dist, const ds_dataset *train, const ds_dataset *val,
                     size_t batch, size_t micro, bool full_batch) {
  size_t m = micro < batch ? micro : batch, work = m > INV_CHUNK_ROWS ? m : INV_CHUNK_ROWS;
  inv_fit *f = fit_alloc(n, dist, train->cols, work);
  if (!f) {
    oom();
    return NULL;
  }
  f->batch = batch;
  f->micro = m ? m : 1;
  f->train = train;
  tr_err rc = offsets(f, train->rows, &f->toff);
  if (rc == TR_OK) {
    f->n_train = f->toff[f->K];
    if (!(f->perm = malloc((f->n_train ? f->n_train : 1) * sizeof(size_t)))) rc = oom();
  }
  if (rc == TR_OK) rc = fixed_init(f, &f->fs[INV_VAL], val);
  if (rc == TR_OK && full_batch) rc = fixed_init(f, &f->fs[INV_TRAIN], train);
  if (rc != TR_OK) {
    inv_fit_free(&f);
    return NULL;
  }
  return f;
}

void inv_fit_free(inv_fit **fp) {
  if (!fp || !*fp) return;
  inv_fit *f = *fp;
  for (int i = 0; i < 2; i++) fixed_free(&f->fs[i]);
  free(f->toff);
  free(f->perm);
  free(f->send);
  free(f->recv);
  free(f->sc);
  free(f->Xm);
  free(f->ym);
  for (int t = 0; t < MAX_THREADS; t++) {
    net_ws_free(&f->ws[t]);
    free(f->dlogits[t]);
    free(f->pred[t]);
  }
  free(f->G);
  free(f->loss);
  free(f->acc);
  free(f->slots);
  free(f);
  *fp = NULL;
}

size_t inv_steps(const inv_fit *f) { return (f->n_train + f->batch - 1) / f->batch; }

size_t inv_rows(const inv_fit *f, inv_set set) { return set == INV_TRAIN ? f->n_train : f->fs[INV_VAL].n; }

/* The generators of an epoch: its order (stream 2 epoch) and dropout (2 epoch + 1). */
static rng_t epoch_rng(uint64_t seed, int epoch, int which) {
  rng_t root;
  rng_seed(&root, seed);
  rng_t base = rng_split(&root, 0x52414e4b494e56ULL); /* "RANKINV" */
  return rng_split(&base, 2 * (uint64_t)epoch + (uint64_t)which);
}

tr_err inv_epoch_order(inv_fit *f, uint64_t seed, int epoch) {
  rng_t r = epoch_rng(seed, epoch, 0);
  for (size_t i = 0; i < f->n_train; i++) f->perm[i] = i;
  rng_shuffle(&r, f->perm, f->n_train);
  return TR_OK;
}

tr_err inv_step(inv_fit *f, const net *n, loss_head head, uint64_t seed, int epoch, size_t step, bool stop,
                float *grad, double *loss_sum, size_t *rows, bool *stopped, float *pred_all) {
  size_t B = f->batch, m = f->micro, p0 = step * B;
  size_t nb = f->n_train - p0 < B ? f->n_train - p0 : B, M = (nb + m - 1) / m;
  size_t mstep = (B + m - 1) / m, j0, j1;
  mb_range(M, f->me, f->K, &j0, &j1);
  size_t a = pos_of(j0, m, nb), b = pos_of(j1, m, nb), mine = b - a;
  if (!reserve((void **)&f->Xm, &f->m_cap, mine * f->cols, sizeof(float)) ||
      !reserve((void **)&f->ym, &f->ym_cap, mine, sizeof(float)))
    return oom();
  if (!ensure_mb(f, j1 - j0, M, true)) return oom();
  tr_err rc = assemble(f, f->train, f->toff, f->perm + p0, nb, m, f->Xm, f->ym);
  if (rc != TR_OK) return rc;
  rng_t drop = epoch_rng(seed, epoch, 1);
  compute(f, n, head, f->Xm, f->ym, mine, m, j0, j1 - j0, &drop, (uint64_t)step * mstep, true,
          f->perm + p0 + a, 0, pred_all);
  rc = exact_sum(f, j1 - j0, j0, M, nb ? 1.0 / (double)nb : 0, stop, grad, loss_sum, stopped);
  *rows = nb;
  return rc;
}

tr_err inv_full_pass(inv_fit *f, inv_set set, const net *n, loss_head head, float *grad, double *loss_sum,
                     float *pred_all) {
  fixed_set *s = &f->fs[set];
  if (!s->off) return tr_error_set(TR_EINTERNAL, "rank_invariant", "the set was not prepared");
  size_t M = (s->n + INV_CHUNK_ROWS - 1) / INV_CHUNK_ROWS, count = s->j1 - s->j0;
  if (!ensure_mb(f, count, M, grad != NULL)) return oom();
  compute(f, n, head, s->X, s->y, s->b - s->a, INV_CHUNK_ROWS, s->j0, count, NULL, 0, grad != NULL, NULL,
          s->a, pred_all);
  double sum = 0;
  bool stopped = false;
  tr_err rc = grad ? exact_sum(f, count, s->j0, M, s->n ? 1.0 / (double)s->n : 0, false, grad, &sum, &stopped)
                   : slot_sum(f, count, s->j0, M, &sum);
  if (loss_sum) *loss_sum = sum;
  return rc;
}

void inv_clear(float *pred_all, size_t n) {
  for (size_t i = 0; i < n; i++) pred_all[i] = -0.0f;
}

tr_err inv_share(dist_ctx *dist, float *pred_all, size_t n) { return dist_sum_floats(dist, pred_all, n); }

static tr_err predict_all(dist_ctx *dist, const net *n, loss_head head, const ds_dataset *d, float **y_all,
                          float **pred_all, size_t *rows_all);

/* Metrics' collectives are not training communication: time.comm_s leaves them out, as
 * train_gather_predictions does (train.c's UNCOUNTED). */
tr_err inv_predict_all(dist_ctx *dist, const net *n, loss_head head, const ds_dataset *d, float **y_all,
                       float **pred_all, size_t *rows_all) {
  double comm_before = dist ? dist->comm_s : 0;
  tr_err rc = predict_all(dist, n, head, d, y_all, pred_all, rows_all);
  if (dist) dist->comm_s = comm_before;
  return rc;
}

static tr_err predict_all(dist_ctx *dist, const net *n, loss_head head, const ds_dataset *d, float **y_all,
                          float **pred_all, size_t *rows_all) {
  *y_all = *pred_all = NULL;
  *rows_all = 0;
  inv_fit *f = fit_alloc(n, dist, d->cols, INV_CHUNK_ROWS);
  if (!f) return oom();
  tr_err rc = fixed_init(f, &f->fs[INV_VAL], d);
  size_t total = f->fs[INV_VAL].n, got = 0, width = n->spec.outputs;
  if (rc == TR_OK) {
    *y_all = malloc((total ? total : 1) * sizeof(float));
    *pred_all = malloc((total ? total : 1) * width * sizeof(float));
    if (!*y_all || !*pred_all) rc = oom();
  }
  /* labels in global row order (rank order), as train_gather_predictions gives them */
  if (rc == TR_OK) rc = dist_allgather_floats(dist, d->y, d->rows, *y_all, &got);
  if (rc == TR_OK) {
    inv_clear(*pred_all, total * width);
    rc = inv_full_pass(f, INV_VAL, n, head, NULL, NULL, *pred_all);
  }
  if (rc == TR_OK) rc = inv_share(dist, *pred_all, total * width);
  inv_fit_free(&f);
  if (rc != TR_OK) {
    free(*y_all);
    free(*pred_all);
    *y_all = *pred_all = NULL;
    return rc;
  }
  *rows_all = total;
  return TR_OK;
}
