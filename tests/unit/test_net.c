/* Tests for trainer/net.c: shapes, initialization (each scheme), and numerical gradient
 * checks of the backward pass for every activation, with and without hidden layers, and
 * dropout, on each kernel path (oneDNN's matmul, OpenBLAS), which must also agree. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trainer/loss.h"
#include "trainer/net.h"

/* Sum of losses of net on X/y (no dropout unless rng given, replayed from a copy). */
static double total_loss(const net *n, net_ws *ws, const float *X, const float *y, size_t rows,
                         loss_head h, const rng_t *rng) {
  rng_t r = rng ? *rng : (rng_t){{0}};
  const float *logits = net_forward(n, ws, X, rows, rng != NULL, rng ? &r : NULL);
  return loss_eval(h, logits, y, rows, n->spec.outputs, NULL, 1.0f);
}

/* Compares backward's gradient with central differences (in double) on every parameter
 * (or a sample of them for larger nets). */
static void gradient_check_with(net_spec spec, loss_head h, bool with_dropout, net_kernels kernels) {
  if (!with_dropout) spec.dropout = 0;
  net *n = net_new(&spec);
  ck_assert_ptr_nonnull(n);
  rng_t rng;
  rng_seed(&rng, 11);
  net_init(n, &rng, false);
  for (size_t i = 0; i < n->n_params; i++) n->params[i] += 0.05f * (float)rng_normal(&rng); /* nonzero biases */
  size_t rows = 7;
  float *X = malloc(rows * spec.inputs * sizeof(float)), *y = malloc(rows * sizeof(float));
  for (size_t k = 0; k < rows * spec.inputs; k++) X[k] = (float)rng_normal(&rng);
  for (size_t i = 0; i < rows; i++)
    y[i] = h == HEAD_REGRESSION ? (float)rng_normal(&rng) : (float)(i % spec.outputs == 0 ? i % 2 : i % spec.outputs);
  if (h == HEAD_BINARY) for (size_t i = 0; i < rows; i++) y[i] = (float)(i % 2);
  net_ws *ws = net_ws_new_with(n, rows, kernels);
  ck_assert_ptr_nonnull(ws);
  if (kernels == NET_KERNELS_AUTO) ck_assert_ptr_nonnull(ws->dense); /* oneDNN started */
  rng_t drop;
  rng_seed(&drop, 5);
  rng_t replay = drop;
  const float *logits = net_forward(n, ws, X, rows, with_dropout, with_dropout ? &replay : NULL);
  float *dl = calloc(rows * spec.outputs, sizeof(float)), *g = calloc(n->n_params, sizeof(float));
  loss_eval(h, logits, y, rows, spec.outputs, dl, 1.0f);
  net_backward(n, ws, X, rows, dl, g);
  size_t stride = n->n_params > 400 ? n->n_params / 200 : 1;
  for (size_t i = 0; i < n->n_params; i += stride) {
    float saved = n->params[i];
    double eps = 1e-3; /* small enough not to cross a ReLU kink, large for float32 */
    n->params[i] = saved + (float)eps;
    double up = total_loss(n, ws, X, y, rows, h, with_dropout ? &drop : NULL);
    n->params[i] = saved - (float)eps;
    double down = total_loss(n, ws, X, y, rows, h, with_dropout ? &drop : NULL);
    n->params[i] = saved;
    double numeric = (up - down) / (2 * eps);
    ck_assert_msg(fabs(numeric - g[i]) <= 2e-2 * fmax(1.0, fabs(numeric)),
                  "param %zu: backward %g, numeric %g", i, g[i], numeric);
  }
  free(X);
  free(y);
  free(dl);
  free(g);
  net_ws_free(&ws);
  net_free(&n);
}

static void gradient_check(net_spec spec, loss_head h, bool with_dropout) {
  gradient_check_with(spec, h, with_dropout, NET_KERNELS_AUTO);
  gradient_check_with(spec, h, with_dropout, NET_KERNELS_OPENBLAS);
}

START_TEST(gradients_linear_models) {
  net_spec s = {.inputs = 5, .outputs = 1};
  gradient_check(s, HEAD_BINARY, false);      /* logistic */
  gradient_check(s, HEAD_REGRESSION, false);  /* linear */
  s.outputs = 4;
  gradient_check(s, HEAD_MULTICLASS, false);  /* softmax */
}
END_TEST

START_TEST(gradients_mlp_each_activation) {
  net_act acts[] = {ACT_RELU, ACT_TANH, ACT_SIGMOID};
  for (int a = 0; a < 3; a++) {
    net_spec s = {.inputs = 6, .outputs = 3, .hidden = {8, 5}, .n_hidden = 2, .act = acts[a]};
    gradient_check(s, HEAD_MULTICLASS, false);
    s.outputs = 1;
    gradient_check(s, HEAD_REGRESSION, false);
  }
}
END_TEST

START_TEST(gradients_with_dropout) {
  net_spec s = {.inputs = 4, .outputs = 1, .hidden = {16}, .n_hidden = 1, .act = ACT_TANH, .dropout = 0.3f};
  gradient_check(s, HEAD_BINARY, true);
}
END_TEST

START_TEST(layout_and_init) {
  net_spec s = {.inputs = 100, .outputs = 10, .hidden = {256, 128}, .n_hidden = 2, .act = ACT_RELU};
  net *n = net_new(&s);
  ck_assert_uint_eq(n->n_params, 100 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  ck_assert_uint_eq(n->layer[1].w_off, 100 * 256 + 256);
  ck_assert_int_eq(n->decay[n->layer[0].b_off], 0);
  ck_assert_int_eq(n->decay[n->layer[0].w_off], 1);
  rng_t r;
  rng_seed(&r, 1);
  net_init(n, &r, false);
  double sq = 0;
  for (size_t k = 0; k < 100 * 256; k++) sq += n->params[k] * n->params[k];
  ck_assert_double_eq_tol(sq / (100 * 256), 2.0 / 100, 0.002); /* He: variance 2/fan_in */
  ck_assert_float_eq(n->params[n->layer[0].b_off], 0.0f);
  double lim = sqrt(6.0 / (128 + 10));
  for (size_t k = 0; k < 128 * 10; k++) ck_assert(fabs(n->params[n->layer[2].w_off + k]) <= lim);
  net_init(n, &r, true);
  for (size_t k = 0; k < n->n_params; k++) ck_assert_float_eq(n->params[k], 0.0f);
  ck_assert_double_eq(net_flops_per_row(n), 2.0 * (100 * 256 + 256 * 128 + 128 * 10));
  net_free(&n);
  ck_assert_ptr_null(n);
}
END_TEST

/* The two kernel paths compute the same forward and backward passes (to float32
 * rounding) on a batch of the benchmark's shape, and the last, shorter batch after it
 * (a second cached primitive). */
START_TEST(kernels_agree) {
  net_spec s = {.inputs = 40, .outputs = 10, .hidden = {64, 32}, .n_hidden = 2, .act = ACT_RELU};
  net *n = net_new(&s);
  rng_t r;
  rng_seed(&r, 3);
  net_init(n, &r, false);
  size_t rows = 256;
  float *X = malloc(rows * s.inputs * sizeof(float)), *dl = malloc(rows * s.outputs * sizeof(float));
  for (size_t k = 0; k < rows * s.inputs; k++) X[k] = (float)rng_normal(&r);
  for (size_t k = 0; k < rows * s.outputs; k++) dl[k] = (float)rng_normal(&r) / rows;
  net_ws *a = net_ws_new_with(n, rows, NET_KERNELS_AUTO), *b = net_ws_new_with(n, rows, NET_KERNELS_OPENBLAS);
  ck_assert_ptr_nonnull(a->dense);
  ck_assert_ptr_null(b->dense);
  float *ga = calloc(n->n_params, sizeof(float)), *gb = calloc(n->n_params, sizeof(float));
  size_t sizes[] = {rows, 100, rows};
  for (int t = 0; t < 3; t++) {
    size_t m = sizes[t];
    const float *ya = net_forward(n, a, X, m, false, NULL), *yb = net_forward(n, b, X, m, false, NULL);
    for (size_t k = 0; k < m * s.outputs; k++)
      ck_assert_msg(fabsf(ya[k] - yb[k]) <= 1e-4f * fmaxf(1.0f, fabsf(yb[k])), "logit %zu: %g vs %g", k, ya[k], yb[k]);
    net_backward(n, a, X, m, dl, ga); /* accumulates: both sums grow alike */
    net_backward(n, b, X, m, dl, gb);
    for (size_t i = 0; i < n->n_params; i++)
      ck_assert_msg(fabsf(ga[i] - gb[i]) <= 1e-4f * fmaxf(1.0f, fabsf(gb[i])), "grad %zu: %g vs %g", i, ga[i], gb[i]);
  }
  free(X);
  free(dl);
  free(ga);
  free(gb);
  net_ws_free(&a);
  net_ws_free(&b);
  net_free(&n);
}
END_TEST

/* model.init = torch and sklearn: uniform weights and biases within each scheme's bound,
 * filling it (the largest draw is near the bound), with the right variance. */
START_TEST(peer_init_schemes) {
  net_spec s = {.inputs = 100, .outputs = 10, .hidden = {256, 128}, .n_hidden = 2, .act = ACT_RELU};
  for (int scheme = NET_INIT_TORCH; scheme <= NET_INIT_SKLEARN; scheme++) {
    s.init = (net_init_scheme)scheme;
    net *n = net_new(&s);
    rng_t r;
    rng_seed(&r, 2);
    net_init(n, &r, false);
    for (size_t l = 0; l < n->n_layers; l++) {
      const net_layer *L = &n->layer[l];
      double a = scheme == NET_INIT_TORCH ? 1 / sqrt((double)L->in) : sqrt(6.0 / (double)(L->in + L->out));
      double sq = 0, top = 0;
      for (size_t k = 0; k < L->in * L->out; k++) {
        double w = n->params[L->w_off + k];
        ck_assert(fabs(w) <= a);
        sq += w * w;
        top = fmax(top, fabs(w));
      }
      ck_assert_double_eq_tol(sq / (double)(L->in * L->out), a * a / 3, 0.1 * a * a / 3);
      ck_assert(top > 0.95 * a);
      double bsum = 0;
      for (size_t k = 0; k < L->out; k++) {
        ck_assert(fabs(n->params[L->b_off + k]) <= a);
        bsum += fabs(n->params[L->b_off + k]);
      }
      ck_assert(bsum > 0); /* biases drawn too */
    }
    net_init(n, &r, true); /* zero_init still wins */
    for (size_t k = 0; k < n->n_params; k++) ck_assert_float_eq(n->params[k], 0.0f);
    net_free(&n);
  }
  ck_assert_int_eq(net_init_from_name("torch"), NET_INIT_TORCH);
  ck_assert_int_eq(net_init_from_name("sklearn"), NET_INIT_SKLEARN);
  ck_assert_int_eq(net_init_from_name("he"), NET_INIT_HE);
  ck_assert_int_eq(net_init_from_name("glorot"), -1);
}
END_TEST

START_TEST(bad_specs) {
  net_spec s = {.inputs = 0, .outputs = 1};
  ck_assert_ptr_nonnull(net_check_spec(&s));
  s.inputs = 3;
  s.n_hidden = 1;
  s.hidden[0] = 0;
  ck_assert_ptr_nonnull(net_check_spec(&s));
  s.hidden[0] = 4;
  s.dropout = 1.0f;
  ck_assert_ptr_nonnull(net_check_spec(&s));
  tr_error_clear();
  ck_assert_ptr_null(net_new(&s));
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  tr_error_clear();
  /* Issue "counts that overflow": a model file may declare any widths; 2^40 inputs x
   * 2^30 units wrapped around to a small parameter count (and writes past it). */
  s.dropout = 0;
  s.inputs = (size_t)1 << 40;
  s.hidden[0] = (size_t)1 << 30;
  ck_assert_str_eq(net_check_spec(&s), "the model has more parameters than memory can address");
  s.hidden[0] = 1;
  s.inputs = (size_t)1 << 62; /* fits a size_t, its bytes do not */
  ck_assert_ptr_nonnull(net_check_spec(&s));
  ck_assert_ptr_null(net_new(&s));
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  tr_error_clear();
}
END_TEST

int main(void) {
  Suite *s = suite_create("net");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, gradients_linear_models);
  tcase_add_test(tc, gradients_mlp_each_activation);
  tcase_add_test(tc, gradients_with_dropout);
  tcase_add_test(tc, layout_and_init);
  tcase_add_test(tc, bad_specs);
  tcase_add_test(tc, kernels_agree);
  tcase_add_test(tc, peer_init_schemes);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
