/* oneDNN matmul primitives for the dense layers (see dense.h). Each cache entry holds a
 * primitive and its memory objects (created without data; the pointers are set at every
 * call); two entries per (layer, product) serve the full batch and the epoch's last,
 * shorter one without rebuilding. */
#include "trainer/dense.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/net.h"

enum { P_FWD, P_GW, P_GX, P_COUNT, SLOTS = 2, ARGS = 4 };

typedef struct {
  size_t rows, in, out;
  int act;
  dnnl_primitive_t prim;
  dnnl_memory_t mem[ARGS];  /* src, weights, dst, bias (forward only) */
  int n_mem;
  unsigned long used;
} dense_entry;

struct dense_ctx {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dense_entry e[NET_MAX_LAYERS][P_COUNT][SLOTS];
  unsigned long clock;
};

static void entry_clear(dense_entry *e) {
  for (int i = 0; i < e->n_mem; i++) dnnl_memory_destroy(e->mem[i]);
  if (e->prim) dnnl_primitive_destroy(e->prim);
  memset(e, 0, sizeof *e);
}

dense_ctx *dense_new(void) {
  dense_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  if (dnnl_engine_create(&c->engine, dnnl_cpu, 0) != dnnl_success) {
    free(c);
    return NULL;
  }
  if (dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags) != dnnl_success) {
    dnnl_engine_destroy(c->engine);
    free(c);
    return NULL;
  }
  return c;
}

void dense_free(dense_ctx **pc) {
  dense_ctx *c = pc ? *pc : NULL;
  if (!c) return;
  for (size_t l = 0; l < NET_MAX_LAYERS; l++)
    for (int p = 0; p < P_COUNT; p++)
      for (int s = 0; s < SLOTS; s++) entry_clear(&c->e[l][p][s]);
  dnnl_stream_destroy(c->stream);
  dnnl_engine_destroy(c->engine);
  free(c);
  *pc = NULL;
}

/* A 2-D f32 descriptor rows x cols with the given strides. */
static bool md2(dnnl_memory_desc_t *md, size_t rows, size_t cols, size_t s0, size_t s1) {
  dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)cols}, strides = {(dnnl_dim_t)s0, (dnnl_dim_t)s1};
  return dnnl_memory_desc_init_by_strides(md, 2, dims, dnnl_f32, strides) == dnnl_success;
}

/* Builds entry e for product p: the matmul src (M x K) . weights (K x N) -> dst (M x N). */
static bool entry_build(dense_ctx *c, dense_entry *e, int p, size_t rows, size_t in, size_t out, int act) {
  dnnl_memory_desc_t src, wei, dst, bias;
  bool ok;
  if (p == P_FWD) /* X (rows x in) . W (in x out) -> Y */
    ok = md2(&src, rows, in, in, 1) && md2(&wei, in, out, out, 1) && md2(&dst, rows, out, out, 1) &&
         md2(&bias, 1, out, out, 1);
  else if (p == P_GW) /* X^T (in x rows, a strided view) . dY (rows x out) -> dW */
    ok = md2(&src, in, rows, 1, in) && md2(&wei, rows, out, out, 1) && md2(&dst, in, out, out, 1);
  else /* dY (rows x out) . W^T (out x in, a strided view) -> dX */
    ok = md2(&src, rows, out, out, 1) && md2(&wei, out, in, 1, out) && md2(&dst, rows, in, in, 1);
  if (!ok) return false;
  dnnl_matmul_desc_t d;
  if (dnnl_matmul_desc_init(&d, &src, &wei, p == P_FWD ? &bias : NULL, &dst) != dnnl_success) return false;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  ok = dnnl_primitive_attr_create(&attr) == dnnl_success && dnnl_post_ops_create(&po) == dnnl_success;
  static const dnnl_alg_kind_t algs[] = {dnnl_alg_kind_undef, dnnl_eltwise_relu, dnnl_eltwise_tanh,
                                         dnnl_eltwise_logistic};
  if (ok && p == P_FWD && act != DENSE_NONE)
    ok = dnnl_post_ops_append_eltwise(po, 1.0f, algs[act], 0.0f, 0.0f) == dnnl_success;
  if (ok && p == P_GW) ok = dnnl_post_ops_append_sum(po, 1.0f) == dnnl_success; /* dW += */
  if (ok) ok = dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
  dnnl_primitive_desc_t pd = NULL;
  if (ok) ok = dnnl_primitive_desc_create(&pd, &d, attr, c->engine, NULL) == dnnl_success;
  if (po) dnnl_post_ops_destroy(po);
  if (attr) dnnl_primitive_attr_destroy(attr);
  if (ok) ok = dnnl_primitive_create(&e->prim, pd) == dnnl_success;
  if (pd) dnnl_primitive_desc_destroy(pd);
  const dnnl_memory_desc_t *mds[ARGS] = {&src, &wei, &dst, &bias};
  e->n_mem = 0;
  for (int i = 0; ok && i < (p == P_FWD ? 4 : 3); i++) {
    ok = dnnl_memory_create(&e->mem[i], mds[i], c->engine, DNNL_MEMORY_NONE) == dnnl_success;
    if (ok) e->n_mem++;
  }
  if (!ok) {
    entry_clear(e);
    return false;
  }
  e->rows = rows, e->in = in, e->out = out, e->act = act;
  return true;
}

/* Runs product p with the given buffers (src, weights, dst, bias). */
static bool run(dense_ctx *c, size_t layer, int p, size_t rows, size_t in, size_t out, int act,
                const float *src, const float *wei, float *dst, const float *bias) {
  if (!c || layer >= NET_MAX_LAYERS || rows == 0) return false;
  dense_entry *slots = c->e[layer][p], *e = NULL;
  for (int s = 0; s < SLOTS && !e; s++)
    if (slots[s].prim && slots[s].rows == rows && slots[s].in == in && slots[s].out == out &&
        slots[s].act == act)
      e = &slots[s];
  if (!e) { /* the least recently used slot */
    e = &slots[0];
    for (int s = 1; s < SLOTS; s++)
      if (slots[s].used < e->used) e = &slots[s];
    entry_clear(e);
    if (!entry_build(c, e, p, rows, in, out, act)) return false;
  }
  e->used = ++c->clock;
  void *ptrs[ARGS] = {(void *)src, (void *)wei, dst, (void *)bias};
  static const int names[ARGS] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS};
  dnnl_exec_arg_t args[ARGS];
  for (int i = 0; i < e->n_mem; i++) {
    if (dnnl_memory_set_data_handle(e->mem[i], ptrs[i]) != dnnl_success) return false;
    args[i] = (dnnl_exec_arg_t){names[i], e->mem[i]};
  }
  return dnnl_primitive_execute(e->prim, c->stream, e->n_mem, args) == dnnl_success &&
         dnnl_stream_wait(c->stream) == dnnl_success;
}

bool dense_forward(dense_ctx *c, size_t layer, const float *X, const float *W, const float *b,
                   float *Y, size_t rows, size_t in, size_t out, dense_act act) {
  return run(c, layer, P_FWD, rows, in, out, act, X, W, Y, b);
}

bool dense_grad_w(dense_ctx *c, size_t layer, const float *X, const float *dY, float *dW,
                  size_t rows, size_t in, size_t out) {
  return run(c, layer, P_GW, rows, in, out, DENSE_NONE, X, dY, dW, NULL);
}

bool dense_grad_x(dense_ctx *c, size_t layer, const float *dY, const float *W, float *dX,
                  size_t rows, size_t in, size_t out) {
  return run(c, layer, P_GX, rows, in, out, DENSE_NONE, dY, W, dX, NULL);
}
