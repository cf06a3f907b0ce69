/* Dense layers: forward Y = X W + b, backward dW += X^T dY, db += colsum(dY),
 * dX = dY W^T, through oneDNN's matmul (trainer/dense.c, bias and activation fused into
 * the forward product) or CBLAS sgemm/sgemv (single outputs, callers' parallel regions,
 * NET_KERNELS_OPENBLAS, or when oneDNN fails). Activation derivatives are taken from the outputs
 * (relu: y > 0, tanh: 1 - y^2, sigmoid: y (1 - y)), so no pre-activations are stored. */
#include "trainer/net.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/checked.h"
#include "io/dataset.h"
#include "trainer/dense.h"

const char *net_check_spec(const net_spec *s) {
  if (s->inputs == 0) return "the data has no features";
  if (s->outputs == 0) return "the model has no outputs";
  if (s->n_hidden > NET_MAX_LAYERS - 1) return "model.hidden has too many layers";
  for (size_t i = 0; i < s->n_hidden; i++)
    if (s->hidden[i] == 0) return "model.hidden widths must be at least 1";
  if (!(s->dropout >= 0 && s->dropout < 1)) return "model.dropout must be in [0, 1)";
  /* the parameters (weights and biases of every layer) must be countable: a model file
   * can declare any widths */
  size_t in = s->inputs, total = 0, w;
  for (size_t l = 0; l <= s->n_hidden; l++) {
    size_t out = l < s->n_hidden ? s->hidden[l] : s->outputs;
    if (!checked_mul(in, out, &w) || !checked_add(total, w, &total) || !checked_add(total, out, &total) ||
        !checked_mul(total, sizeof(float), &w))
      return "the model has more parameters than memory can address";
    in = out;
  }
  return NULL;
}

net *net_new(const net_spec *s) {
  const char *bad = net_check_spec(s);
  if (bad) {
    tr_error_set(TR_ECONFIG, "model", "%s", bad);
    return NULL;
  }
  net *n = calloc(1, sizeof *n);
  if (!n) return tr_check_alloc(NULL, "model");
  n->spec = *s;
  n->n_layers = s->n_hidden + 1;
  size_t in = s->inputs, off = 0;
  for (size_t l = 0; l < n->n_layers; l++) {
    size_t out = l < s->n_hidden ? s->hidden[l] : s->outputs;
    n->layer[l] = (net_layer){.in = in, .out = out, .w_off = off, .b_off = off + in * out};
    off += in * out + out;
    in = out;
  }
  n->n_params = off;
  n->params = ds_alloc_floats(off);
  n->decay = calloc(off, 1);
  if (!n->params || !n->decay) {
    net_free(&n);
    return tr_check_alloc(NULL, "model");
  }
  for (size_t l = 0; l < n->n_layers; l++)
    memset(n->decay + n->layer[l].w_off, 1, n->layer[l].in * n->layer[l].out);
  return n;
}

void net_free(net **n) {
  if (!n || !*n) return;
  free((*n)->params);
  free((*n)->decay);
  free(*n);
  *n = NULL;
}

int net_init_from_name(const char *name) {
  static const char *names[] = {"he", "torch", "sklearn"};
  for (int i = 0; i < 3; i++)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

void net_init(net *n, rng_t *rng, bool zero_init) {
  net_init_scheme scheme = n->spec.init;
  memset(n->params, 0, n->n_params * sizeof(float));
  if (zero_init) return;
  for (size_t l = 0; l < n->n_layers; l++) {
    const net_layer *L = &n->layer[l];
    float *W = n->params + L->w_off, *b = n->params + L->b_off;
    size_t nw = L->in * L->out;
    bool hidden = l + 1 < n->n_layers;
    if (scheme != NET_INIT_HE) { /* the peers: weights then biases, uniform */
      double f = n->spec.act == ACT_SIGMOID ? 2.0 : 6.0;
      double a = scheme == NET_INIT_TORCH ? 1.0 / sqrt((double)L->in)
                                          : sqrt(f / (double)(L->in + L->out));
      for (size_t k = 0; k < nw; k++) W[k] = (float)(a * (2 * rng_uniform(rng) - 1));
      for (size_t k = 0; k < L->out; k++) b[k] = (float)(a * (2 * rng_uniform(rng) - 1));
    } else if (hidden && n->spec.act == ACT_RELU) {
      double sd = sqrt(2.0 / (double)L->in); /* He */
      for (size_t k = 0; k < nw; k++) W[k] = (float)(sd * rng_normal(rng));
    } else {
      double a = sqrt(6.0 / (double)(L->in + L->out)); /* Xavier/Glorot uniform */
      for (size_t k = 0; k < nw; k++) W[k] = (float)(a * (2 * rng_uniform(rng) - 1));
    }
  }
}

net_ws *net_ws_new(const net *n, size_t max_rows) { return net_ws_new_with(n, max_rows, NET_KERNELS_AUTO); }

net_ws *net_ws_new_with(const net *n, size_t max_rows, net_kernels kernels) {
  net_ws *ws = calloc(1, sizeof *ws);
  if (!ws) return tr_check_alloc(NULL, "workspace");
  ws->max_rows = max_rows;
  if (kernels == NET_KERNELS_AUTO) ws->dense = dense_new(); /* NULL: OpenBLAS */
  size_t widest = n->spec.inputs;
  bool ok = true;
  for (size_t l = 0; l < n->n_layers; l++) {
    size_t out = n->layer[l].out;
    widest = out > widest ? out : widest;
    ok &= (ws->act[l] = ds_alloc_floats(max_rows * out)) != NULL;
    if (l + 1 < n->n_layers && n->spec.dropout > 0)
      ok &= (ws->mask[l] = ds_alloc_floats(max_rows * out)) != NULL;
  }
  ok &= (ws->delta[0] = ds_alloc_floats(max_rows * widest)) != NULL;
  ok &= (ws->delta[1] = ds_alloc_floats(max_rows * widest)) != NULL;
  if (!ok) {
    net_ws_free(&ws);
    return tr_check_alloc(NULL, "workspace");
  }
  return ws;
}

void net_ws_free(net_ws **ws) {
  if (!ws || !*ws) return;
  for (size_t l = 0; l < NET_MAX_LAYERS; l++) {
    free((*ws)->act[l]);
    free((*ws)->mask[l]);
  }
  free((*ws)->delta[0]);
  free((*ws)->delta[1]);
  dense_free(&(*ws)->dense);
  free(*ws);
  *ws = NULL;
}

/* Elementwise work is parallel only when large enough to pay for the threads, and
 * never nested inside a caller's parallel region (full-batch chunks). An if clause on a
 * `parallel for simd` names parallel: unmodified it also turns simd off below the
 * threshold (OpenMP 5.0; GCC then emits a scalar loop for small batches). */
#define PAR_MIN 16384

static void bias_activate(float *Y, const float *b, size_t rows, size_t out, bool hidden,
                          net_act act) {
  size_t total = rows * out;
  /* one branch-free inner loop per case, so the compiler vectorizes it */
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
  for (size_t i = 0; i < rows; i++) {
    float *restrict y = Y + i * out;
    if (!hidden) {
      for (size_t j = 0; j < out; j++) y[j] += b[j];
    } else if (act == ACT_RELU) {
      for (size_t j = 0; j < out; j++) {
        float v = y[j] + b[j];
        y[j] = v > 0.0f ? v : 0.0f;
      }
    } else if (act == ACT_TANH) {
      for (size_t j = 0; j < out; j++) y[j] = tanhf(y[j] + b[j]);
    } else {
      for (size_t j = 0; j < out; j++) y[j] = 1.0f / (1.0f + expf(-(y[j] + b[j])));
    }
  }
}

static void dropout(float *Y, float *mask, size_t total, float p, rng_t *rng) {
  float keep = 1.0f / (1.0f - p);
  for (size_t k = 0; k < total; k++) mask[k] = rng_uniform(rng) >= p ? keep : 0.0f;
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
  for (size_t k = 0; k < total; k++) Y[k] *= mask[k];
}

/* oneDNN for this layer: a context, a matrix (not a vector) product, and not inside a
 * caller's parallel region (one workspace per thread there, OpenBLAS single-threaded). */
static bool use_dense(const net_ws *ws, const net_layer *L) {
  return ws->dense && L->out > 1 && !omp_in_parallel();
}

const float *net_forward(const net *n, net_ws *ws, const float *X, size_t rows, bool train,
                         rng_t *rng) {
  static const dense_act fused[] = {[ACT_RELU] = DENSE_RELU, [ACT_TANH] = DENSE_TANH,
                                    [ACT_SIGMOID] = DENSE_SIGMOID};
  const float *in = X;
  for (size_t l = 0; l < n->n_layers; l++) {
    const net_layer *L = &n->layer[l];
    float *Y = ws->act[l];
    bool hidden = l + 1 < n->n_layers;
    bool fused_done = rows > 1 && use_dense(ws, L) &&
                      dense_forward(ws->dense, l, in, n->params + L->w_off, n->params + L->b_off, Y,
                                    rows, L->in, L->out, hidden ? fused[n->spec.act] : DENSE_NONE);
    if (!fused_done) {
      if (L->out == 1) /* a single output (linear, logistic heads): matrix-vector is faster */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)L->in, 1.0f, in, (int)L->in,
                    n->params + L->w_off, 1, 0.0f, Y, 1);
      else if (rows == 1) /* one row (a served request): y = W^T x, matrix-vector again */
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)L->in, (int)L->out, 1.0f, n->params + L->w_off,
                    (int)L->out, in, 1, 0.0f, Y, 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)L->out, (int)L->in,
                    1.0f, in, (int)L->in, n->params + L->w_off, (int)L->out, 0.0f, Y, (int)L->out);
      bias_activate(Y, n->params + L->b_off, rows, L->out, hidden, n->spec.act);
    }
    if (hidden && train && n->spec.dropout > 0)
      dropout(Y, ws->mask[l], rows * L->out, n->spec.dropout, rng);
    in = Y;
  }
  return ws->act[n->n_layers - 1];
}

/* delta *= f'(activation output y) (and the dropout mask) for hidden layer l. With
 * dropout y holds a * mask, so a = y / mask where the unit was kept. */
static void activation_grad(const net *n, const net_ws *ws, size_t l, float *delta, size_t rows) {
  size_t total = rows * n->layer[l].out;
  const float *restrict y = ws->act[l], *restrict mask = ws->mask[l];
  net_act act = n->spec.act;
  if (act == ACT_RELU && !mask) {
#pragma omp parallel for simd schedule(static) if (parallel : total > PAR_MIN)
    for (size_t k = 0; k < total; k++) delta[k] = y[k] > 0.0f ? delta[k] : 0.0f;
  } else if (act == ACT_RELU) {
#pragma omp parallel for simd schedule(static) if (parallel : total > PAR_MIN)
    for (size_t k = 0; k < total; k++) delta[k] = y[k] > 0.0f ? delta[k] * mask[k] : 0.0f;
  } else {
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
    for (size_t k = 0; k < total; k++) {
      float m = mask ? mask[k] : 1.0f, a = m > 0.0f ? y[k] / m : 0.0f;
      float d = act == ACT_TANH ? 1.0f - a * a : a * (1.0f - a);
      delta[k] *= m * d;
    }
  }
}

void net_backward(const net *n, net_ws *ws, const float *X, size_t rows, const float *dlogits,
                  float *grads) {
  const float *delta = dlogits;
  int flip = 0;
  for (size_t l = n->n_layers; l-- > 0;) {
    const net_layer *L = &n->layer[l];
    const float *in = l == 0 ? X : ws->act[l - 1];
    bool dense = use_dense(ws, L);
    if (dense && dense_grad_w(ws->dense, l, in, delta, grads + L->w_off, rows, L->in, L->out)) {
      /* accumulated */
    } else if (L->out == 1)
      cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)L->in, 1.0f, in, (int)L->in, delta, 1,
                  1.0f, grads + L->w_off, 1);
    else
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->in, (int)L->out, (int)rows,
                  1.0f, in, (int)L->in, delta, (int)L->out, 1.0f, grads + L->w_off, (int)L->out);
    float *restrict db = grads + L->b_off;
    for (size_t i = 0; i < rows; i++) {
      const float *restrict d = delta + i * L->out;
      for (size_t j = 0; j < L->out; j++) db[j] += d[j];
    }
    if (l == 0) break; /* no gradient w.r.t. the data */
    float *prev = ws->delta[flip];
    flip ^= 1;
    if (!dense || !dense_grad_x(ws->dense, l, delta, n->params + L->w_off, prev, rows, L->in, L->out))
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)L->in, (int)L->out, 1.0f,
                  delta, (int)L->out, n->params + L->w_off, (int)L->out, 0.0f, prev, (int)L->in);
    activation_grad(n, ws, l - 1, prev, rows);
    delta = prev;
  }
}

double net_flops_per_row(const net *n) {
  double f = 0;
  for (size_t l = 0; l < n->n_layers; l++) f += 2.0 * (double)n->layer[l].in * n->layer[l].out;
  return f;
}

double net_train_flops_per_row(const net *n) {
  double f = 2 * net_flops_per_row(n); /* forward, and the weight gradients */
  for (size_t l = 1; l < n->n_layers; l++) f += 2.0 * (double)n->layer[l].in * n->layer[l].out;
  return f; /* plus input gradients of every layer but the first */
}
