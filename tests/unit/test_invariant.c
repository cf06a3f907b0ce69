/* Rank-invariant passes in one process: the exact micro-batch sum equals the plain
 * gradient to float accuracy, does not depend on the thread count (each micro-batch is
 * computed alone), full passes and inv_predict_all give train_predict's predictions, the
 * epoch order is a function of (seed, epoch), dropout masks are drawn per micro-batch.
 * One process (no MPI: a NULL dist context). Identity across rank counts is tested
 * under mpirun (tests/integration/
 * test_rank_invariant.sh). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trainer/invariant.h"
#include "trainer/train.h"


/* A 3-class data set of rows x 5 and an MLP 5-12-6-3. */
static ds_dataset *data(size_t rows, uint64_t seed) {
  ds_dataset *d = ds_new(rows, 5, true);
  rng_t r;
  rng_seed(&r, seed);
  for (size_t i = 0; i < rows; i++) {
    for (size_t j = 0; j < 5; j++) d->X[i * 5 + j] = (float)rng_normal(&r);
    d->y[i] = (float)(d->X[i * 5] > 0.5f ? 2 : d->X[i * 5 + 1] > 0 ? 1 : 0);
  }
  return d;
}

static net *model(float dropout) {
  net_spec s = {.inputs = 5, .outputs = 3, .hidden = {12, 6}, .n_hidden = 2, .act = ACT_RELU, .dropout = dropout};
  net *n = net_new(&s);
  rng_t r;
  rng_seed(&r, 7);
  net_init(n, &r, false);
  for (size_t i = 0; i < n->n_params; i++) n->params[i] += 0.01f * (float)(i % 7); /* non-zero biases */
  return n;
}

/* The mean gradient of rows idx[0..k) of d, one plain pass in double. */
static void reference_grad(const net *n, const ds_dataset *d, const size_t *idx, size_t k, double *g) {
  net_ws *ws = net_ws_new(n, 1);
  float *dl = ds_alloc_floats(3), *gr = ds_alloc_floats(n->n_params);
  memset(g, 0, n->n_params * sizeof(double));
  for (size_t i = 0; i < k; i++) {
    const float *X = d->X + idx[i] * 5;
    const float *logits = net_forward(n, ws, X, 1, false, NULL);
    loss_eval(HEAD_MULTICLASS, logits, d->y + idx[i], 1, 3, dl, 1.0f);
    memset(gr, 0, n->n_params * sizeof(float));
    net_backward(n, ws, X, 1, dl, gr);
    for (size_t p = 0; p < n->n_params; p++) g[p] += gr[p] / (double)k;
  }
  net_ws_free(&ws);
  free(dl);
  free(gr);
}

/* The rows a step computed: their predictions are no longer -0.0 (inv_clear). */
static size_t rows_written(const float *pred, size_t rows, size_t *out) {
  size_t k = 0;
  for (size_t i = 0; i < rows; i++)
    if (!(pred[i * 3] == 0 && signbit(pred[i * 3]))) out[k++] = i;
  return k;
}

START_TEST(step_is_the_mean_gradient) {
  ds_dataset *d = data(300, 1), *v = data(50, 2);
  net *n = model(0);
  inv_fit *f = inv_fit_new(n, NULL, d, v, 64, 16, false);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(inv_steps(f), 5); /* ceil(300 / 64) */
  ck_assert_uint_eq(inv_rows(f, INV_TRAIN), 300);
  ck_assert_uint_eq(inv_rows(f, INV_VAL), 50);
  ck_assert_int_eq(inv_epoch_order(f, 3, 1), TR_OK);
  float *g = ds_alloc_floats(n->n_params), *pred = ds_alloc_floats(300 * 3);
  double *ref = calloc(n->n_params, sizeof(double)), loss = 0;
  size_t rows = 0, seen[300];
  bool stopped = true;
  inv_clear(pred, 300 * 3);
  /* the last step has 300 - 4 * 64 = 44 rows: micro-batches of 16, 16 and 12 */
  ck_assert_int_eq(inv_step(f, n, HEAD_MULTICLASS, 3, 1, 4, false, g, &loss, &rows, &stopped, pred), TR_OK);
  ck_assert(!stopped);
  ck_assert_uint_eq(rows, 44);
  ck_assert_uint_eq(rows_written(pred, 300, seen), 44);
  reference_grad(n, d, seen, 44, ref);
  for (size_t i = 0; i < n->n_params; i++) ck_assert_double_eq_tol(g[i], ref[i], 1e-5 + 1e-4 * fabs(ref[i]));
  ck_assert(loss > 0 && isfinite(loss));
  /* a stop on this rank is every rank's: nothing else is computed into grad */
  ck_assert_int_eq(inv_step(f, n, HEAD_MULTICLASS, 3, 1, 0, true, g, &loss, &rows, &stopped, pred), TR_OK);
  ck_assert(stopped);
  free(ref);
  free(g);
  free(pred);
  inv_fit_free(&f);
  net_free(&n);
  ds_free(&d);
  ds_free(&v);
}
END_TEST

/* One step's gradient and loss with `threads` threads (dropout when drop). */
static void step_with(int threads, float drop, uint64_t seed, int epoch, size_t step, float *g, double *loss,
                      size_t *seen, size_t *k) {
  omp_set_num_threads(threads);
  ds_dataset *d = data(500, 1), *v = data(10, 2);
  net *n = model(drop);
  inv_fit *f = inv_fit_new(n, NULL, d, v, 128, 8, false);
  float *pred = ds_alloc_floats(500 * 3);
  size_t rows;
  bool stopped;
  inv_clear(pred, 500 * 3);
  ck_assert_int_eq(inv_epoch_order(f, seed, epoch), TR_OK);
  ck_assert_int_eq(inv_step(f, n, HEAD_MULTICLASS, seed, epoch, step, false, g, loss, &rows, &stopped, pred), TR_OK);
  if (seen) *k = rows_written(pred, 500, seen);
  free(pred);
  inv_fit_free(&f);
  net_free(&n);
  ds_free(&d);
  ds_free(&v);
  omp_set_num_threads(1);
}

START_TEST(threads_do_not_change_a_bit) {
  for (int drop = 0; drop < 2; drop++) {
    float a[300], b[300]; /* 5*12+12 + 12*6+6 + 6*3+3 = 171 parameters */
    double la, lb;
    step_with(1, drop ? 0.5f : 0, 4, 2, 1, a, &la, NULL, NULL);
    step_with(3, drop ? 0.5f : 0, 4, 2, 1, b, &lb, NULL, NULL);
    ck_assert(memcmp(a, b, 171 * sizeof(float)) == 0);
    ck_assert(la == lb);
  }
}
END_TEST

START_TEST(order_and_masks_come_from_seed_epoch_step) {
  float a[300], b[300];
  double la, lb;
  size_t sa[500], sb[500], ka, kb;
  step_with(1, 0.5f, 4, 2, 1, a, &la, sa, &ka);
  step_with(1, 0.5f, 4, 2, 1, b, &lb, sb, &kb);
  ck_assert(ka == 128 && kb == 128 && memcmp(sa, sb, sizeof(size_t) * 128) == 0 && la == lb);
  ck_assert(memcmp(a, b, 171 * sizeof(float)) == 0);
  step_with(1, 0.5f, 4, 3, 1, b, &lb, sb, &kb); /* another epoch: other rows */
  ck_assert(memcmp(sa, sb, sizeof(size_t) * 128) != 0);
  step_with(1, 0.5f, 5, 2, 1, b, &lb, sb, &kb); /* another seed: other rows */
  ck_assert(memcmp(sa, sb, sizeof(size_t) * 128) != 0);
}
END_TEST

START_TEST(full_pass_and_predictions) {
  ds_dataset *d = data(2500, 3), *v = data(1100, 4); /* chunks of 1024, 1024, 452 */
  net *n = model(0.3f);  /* dropout: never in a full pass */
  inv_fit *f = inv_fit_new(n, NULL, d, v, 256, 32, true);
  ck_assert_ptr_nonnull(f);
  float *g = ds_alloc_floats(n->n_params), *pred = ds_alloc_floats(2500 * 3), *want = ds_alloc_floats(2500 * 3);
  double loss = 0, want_loss = 0, *ref = calloc(n->n_params, sizeof(double));
  inv_clear(pred, 2500 * 3);
  ck_assert_int_eq(inv_full_pass(f, INV_TRAIN, n, HEAD_MULTICLASS, g, &loss, pred), TR_OK);
  ck_assert_int_eq(train_predict(n, HEAD_MULTICLASS, d, want, &want_loss), TR_OK);
  for (size_t i = 0; i < 2500 * 3; i++) ck_assert_float_eq_tol(pred[i], want[i], 1e-6);
  ck_assert_double_eq_tol(loss / 2500, want_loss, 1e-9);
  size_t *all = malloc(2500 * sizeof(size_t));
  for (size_t i = 0; i < 2500; i++) all[i] = i;
  reference_grad(n, d, all, 2500, ref);
  for (size_t i = 0; i < n->n_params; i++) ck_assert_double_eq_tol(g[i], ref[i], 1e-5 + 1e-4 * fabs(ref[i]));
  /* validation: loss only, no gradient */
  double vloss = 0, vwant = 0;
  ck_assert_int_eq(inv_full_pass(f, INV_VAL, n, HEAD_MULTICLASS, NULL, &vloss, NULL), TR_OK);
  float *vp = ds_alloc_floats(1100 * 3);
  ck_assert_int_eq(train_predict(n, HEAD_MULTICLASS, v, vp, &vwant), TR_OK);
  ck_assert_double_eq_tol(vloss / 1100, vwant, 1e-9);
  /* inv_predict_all: train_gather_predictions' contract */
  float *y_all = NULL, *p_all = NULL;
  size_t rows = 0;
  ck_assert_int_eq(inv_predict_all(NULL, n, HEAD_MULTICLASS, v, &y_all, &p_all, &rows), TR_OK);
  ck_assert_uint_eq(rows, 1100);
  ck_assert(memcmp(y_all, v->y, 1100 * sizeof(float)) == 0);
  for (size_t i = 0; i < 1100 * 3; i++) ck_assert_float_eq_tol(p_all[i], vp[i], 1e-6);
  free(y_all);
  free(p_all);
  free(vp);
  free(all);
  free(ref);
  free(g);
  free(pred);
  free(want);
  inv_fit_free(&f);
  net_free(&n);
  ds_free(&d);
  ds_free(&v);
}
END_TEST

START_TEST(non_finite_gradients_stay_non_finite) {
  ds_dataset *d = data(64, 1), *v = data(0, 2);
  net *n = model(0);
  n->params[n->layer[2].b_off] = NAN; /* a NaN logit: NaN loss and gradients */
  inv_fit *f = inv_fit_new(n, NULL, d, v, 64, 16, false);
  float *g = ds_alloc_floats(n->n_params), *pred = ds_alloc_floats(64 * 3);
  double loss;
  size_t rows;
  bool stopped;
  ck_assert_int_eq(inv_epoch_order(f, 1, 1), TR_OK);
  ck_assert_int_eq(inv_step(f, n, HEAD_MULTICLASS, 1, 1, 0, false, g, &loss, &rows, &stopped, pred), TR_OK);
  ck_assert(isnan(g[n->layer[2].b_off]) && isnan(g[n->layer[0].w_off]) && !isfinite(loss));
  free(g);
  free(pred);
  inv_fit_free(&f);
  net_free(&n);
  ds_free(&d);
  ds_free(&v);
}
END_TEST

int main(void) {
  Suite *s = suite_create("invariant");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, step_is_the_mean_gradient);
  tcase_add_test(tc, threads_do_not_change_a_bit);
  tcase_add_test(tc, order_and_masks_come_from_seed_epoch_step);
  tcase_add_test(tc, full_pass_and_predictions);
  tcase_add_test(tc, non_finite_gradients_stay_non_finite);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
