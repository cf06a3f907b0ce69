/* Serving-time inference (see infer.h): standardize a copy of the request, one forward
 * pass (float32 through the trainer's net, a quantized variant through its oneDNN
 * kernels, trainer/quant.h), the head's link; the load generators time it with the monotonic clock on OpenMP
 * threads, one workspace per thread. */
#define _GNU_SOURCE
#include "trainer/infer.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timer.h"
#include "io/dataset.h"
#include "trainer/loss.h"
#include "trainer/quant.h"

struct infer_ws {
  size_t max_rows;
  net_ws *net;
  quant_runner *q;   /* a quantized variant's kernels; NULL: float32 */
  float *x;          /* max_rows x inputs: the standardized request */
  float *shift, *mul; /* inputs: x' = (x - mean) * (1 / scale), in float (vectorizes) */
};

infer_ws *infer_ws_new(const model_file *mf, size_t max_rows) {
  infer_ws *ws = calloc(1, sizeof *ws);
  if (!ws) return tr_check_alloc(NULL, "inference");
  ws->max_rows = max_rows ? max_rows : 1;
  ws->net = net_ws_new(mf->model, ws->max_rows);
  size_t d = mf->model->spec.inputs;
  ws->x = ds_alloc_floats(ws->max_rows * d);
  ws->shift = ds_alloc_floats(d);
  ws->mul = ds_alloc_floats(d);
  if (mf->quant && quant_runner_new(mf->quant, &ws->q) != TR_OK) {
    infer_ws_free(&ws);
    return NULL;
  }
  if (!ws->net || !ws->x || !ws->shift || !ws->mul) {
    infer_ws_free(&ws);
    return tr_check_alloc(NULL, "inference");
  }
  for (size_t k = 0; k < d && mf->scale.cols == d; k++) {
    ws->shift[k] = (float)mf->scale.mean[k];
    ws->mul[k] = (float)(1.0 / mf->scale.scale[k]);
  }
  return ws;
}

void infer_ws_free(infer_ws **ws) {
  if (!ws || !*ws) return;
  net_ws_free(&(*ws)->net);
  quant_runner_free(&(*ws)->q);
  free((*ws)->x);
  free((*ws)->shift);
  free((*ws)->mul);
  free(*ws);
  *ws = NULL;
}

tr_err infer_rows(const model_file *mf, infer_ws *ws, const float *X, size_t rows, float *out) {
  const net *n = mf->model;
  size_t d = n->spec.inputs, width = n->spec.outputs;
  const float *in = X;
  if (mf->scale.cols == d) {
    const float *restrict shift = ws->shift, *restrict mul = ws->mul;
    for (size_t i = 0; i < rows; i++) {
      const float *restrict xi = X + i * d;
      float *restrict yi = ws->x + i * d;
      for (size_t k = 0; k < d; k++) yi[k] = (xi[k] - shift[k]) * mul[k];
    }
    in = ws->x;
  }
  if (ws->q) {
    tr_err rc = quant_runner_predict(ws->q, mf->head, in, rows, out);
    if (rc != TR_OK) return rc;
  } else {
    loss_predict(mf->head, net_forward(n, ws->net, in, rows, false, NULL), rows, width, out);
  }
  if (mf->head == HEAD_REGRESSION) target_scaler_invert(&mf->target, out, rows);
  return TR_OK;
}

const char *infer_precision(const model_file *mf) {
  return quant_precision_name(mf->quant ? mf->quant->precision : QUANT_FP32);
}

size_t infer_weight_bytes(const model_file *mf) {
  size_t weights = mf->quant ? quant_bytes(mf->quant) : mf->model->n_params * sizeof(float);
  return weights + 2 * mf->scale.cols * sizeof(double) +
         mf->n_classes * sizeof(float);
}

size_t infer_activation_bytes(const model_file *mf, size_t rows) {
  const net *n = mf->model;
  size_t floats = n->spec.inputs + n->spec.outputs; /* the standardized copy and the answer */
  for (size_t l = 0; l < n->n_layers; l++) floats += n->layer[l].out;
  return rows * floats * sizeof(float);
}

/* One buffer set per thread. */
typedef struct {
  infer_ws *ws;
  float *out;
  tr_err rc; /* the first failed request's (a oneDNN failure), else TR_OK */
} slot;

static tr_err slots_new(const model_file *mf, size_t n, size_t rows, slot **out) {
  slot *s = calloc(n, sizeof *s);
  bool ok = s != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    s[i].ws = infer_ws_new(mf, rows);
    s[i].out = ds_alloc_floats(rows * mf->model->spec.outputs);
    ok = s[i].ws && s[i].out;
  }
  *out = s;
  if (!ok) return tr_error_code() ? tr_error_code() : tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
  return TR_OK;
}

/* One request, its failure kept in the slot. */
static void serve_one(const model_file *mf, slot *sl, const float *X, size_t rows) {
  tr_err rc = infer_rows(mf, sl->ws, X, rows, sl->out);
  if (rc != TR_OK && sl->rc == TR_OK) sl->rc = rc;
}

/* rc, else the first slot's failure (recorded again on this thread: the error slot is
 * per thread, and the worker's message stayed on the worker). */
static tr_err slots_rc(const slot *s, size_t n, tr_err rc) {
  for (size_t i = 0; rc == TR_OK && s && i < n; i++)
    if (s[i].rc != TR_OK)
      return tr_error_set(s[i].rc, "serve-bench", "a request failed on worker %zu (%s)", i,
                          tr_strerror(s[i].rc));
  return rc;
}

static void slots_free(slot *s, size_t n) {
  for (size_t i = 0; s && i < n; i++) {
    infer_ws_free(&s[i].ws);
    free(s[i].out);
  }
  free(s);
}

static const float *pool_row(const model_file *mf, const infer_pool *p, size_t i) {
  return p->X + (i % p->pool_rows) * mf->model->spec.inputs;
}

tr_err infer_closed_loop(const model_file *mf, const infer_pool *p, size_t clients,
                         size_t warmup, size_t requests, double *lat, double *wall_s) {
  slot *s;
  tr_err rc = slots_new(mf, clients, 1, &s);
  double *first = calloc(clients, sizeof *first), *last = calloc(clients, sizeof *last);
  if (rc == TR_OK && (!first || !last)) rc = tr_error_set(TR_ENOMEM, "serve-bench", "out of memory");
  if (rc == TR_OK) {
#pragma omp parallel num_threads((int)clients)
    {
      size_t c = (size_t)omp_get_thread_num();
      omp_set_num_threads(1); /* each client's BLAS calls single-threaded (a team of one is
                                 not "in parallel" to OpenBLAS, which would fork) */
      if (c < clients) { /* the runtime may give fewer threads: their clients are not run */
        for (size_t i = 0; i < warmup; i++) serve_one(mf, &s[c], pool_row(mf, p, c + i * clients), 1);
#pragma omp barrier
        first[c] = tr_now();
        for (size_t i = 0; i < requests; i++) {
          double t0 = tr_now();
          serve_one(mf, &s[c], pool_row(mf, p, c + (warmup + i) * clients), 1);
          lat[c * requests + i] = tr_now() - t0;
        }
        last[c] = tr_now();
      }
    }
    double t0 = INFINITY, t1 = 0;
    for (size_t c = 0; c < clients; c++) {
      if (first[c] == 0) rc = tr_error_set(TR_EINTERNAL, "serve-bench", "OpenMP gave fewer than %zu threads", clients);
      t0 = first[c] < t0 ? first[c] : t0;
      t1 = last[c] > t1 ? last[c] : t1;
    }
    *wall_s = t1 - t0;
  }
  free(first);
  free(last);
  rc = slots_rc(s, clients, rc);
  slots_free(s, clients);
  return rc;
}

/* Sleeps until monotonic time t (seconds, tr_now's clock), spinning the last 50 us. */
static void wait_until(double t) {
  for (;;) {
    double left = t - tr_now();
    if (left <= 0) return;
    if (left > 5e-5) {
      double sleep = left - 5e-5;
      struct timespec ts = {(time_t)sleep, (long)((sleep - floor(sleep)) * 1e9)};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    }
  }
}

tr_err infer_open_loop(const model_file *mf, const infer_pool *p, size_t workers, double rate,
                       size_t warmup, size_t n, double *lat) {
  if (!(rate > 0)) return tr_error_set(TR_EINTERNAL, "serve-bench", "open loop: rate %g", rate);
  slot *s;
  tr_err rc = slots_new(mf, workers, 1, &s);
  size_t next = 0, total = warmup + n;
  if (rc == TR_OK) {
    double start = tr_now() + 1e-3; /* every worker is waiting before the first arrival */
#pragma omp parallel num_threads((int)workers)
    {
      size_t w = (size_t)omp_get_thread_num();
      omp_set_num_threads(1);
      for (;;) {
        size_t i;
#pragma omp atomic capture
        i = next++;
        if (i >= total) break;
        double arrival = start + (double)i / rate;
        wait_until(arrival);
        serve_one(mf, &s[w], pool_row(mf, p, i), 1);
        if (i >= warmup) lat[i - warmup] = tr_now() - arrival;
      }
    }
  }
  rc = slots_rc(s, workers, rc);
  slots_free(s, workers);
  return rc;
}

tr_err infer_batch_throughput(const model_file *mf, const infer_pool *p, size_t batch, int threads,
                              size_t warmup, size_t min_reps, double min_seconds,
                              double *rows_per_s, size_t *reps) {
  if (batch > p->pool_rows)
    return tr_error_set(TR_EINTERNAL, "serve-bench", "batch %zu > %zu pooled rows", batch, p->pool_rows);
  slot *s;
  tr_err rc = slots_new(mf, 1, batch, &s);
  int saved = omp_get_max_threads();
  if (threads > 0) omp_set_num_threads(threads); /* OpenBLAS (OpenMP build) follows it */
  if (rc == TR_OK) {
    for (size_t i = 0; i < warmup; i++) serve_one(mf, s, p->X, batch);
    size_t r = 0;
    double t0 = tr_now(), t;
    do {
      serve_one(mf, s, p->X, batch);
      r++;
      t = tr_now() - t0;
    } while (r < min_reps || t < min_seconds);
    *rows_per_s = (double)(r * batch) / t;
    *reps = r;
  }
  omp_set_num_threads(saved);
  rc = slots_rc(s, 1, rc);
  slots_free(s, 1);
  return rc;
}
