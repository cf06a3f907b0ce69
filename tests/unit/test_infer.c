/* Tests for trainer/infer.c: serving predictions equal the batch predict path
 * (train_predict on standardized data), for binary, multiclass and regression heads;
 * the memory arithmetic; the load generators record every timed request. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "trainer/infer.h"
#include "trainer/train.h"
#include "testutil.h"

/* A model_file around a random net with a scaler (inputs d, outputs k, one hidden layer). */
static model_file fake(size_t d, size_t k, loss_head head) {
  model_file mf;
  memset(&mf, 0, sizeof mf);
  net_spec s = {.inputs = d, .outputs = k, .hidden = {8}, .n_hidden = 1, .act = ACT_RELU};
  mf.model = net_new(&s);
  ck_assert_ptr_nonnull(mf.model);
  rng_t r;
  rng_seed(&r, 3);
  net_init(mf.model, &r, false);
  mf.head = head;
  mf.scale.cols = d;
  mf.scale.mean = calloc(d, sizeof(double));
  mf.scale.scale = calloc(d, sizeof(double));
  for (size_t i = 0; i < d; i++) {
    mf.scale.mean[i] = 0.5 * (double)i;
    mf.scale.scale[i] = 1.0 + (double)i;
  }
  mf.target = head == HEAD_REGRESSION ? (target_scaler){10.0, 3.0} : TARGET_SCALER_NONE;
  return mf;
}

static void release(model_file *mf) {
  net_free(&mf->model);
  free(mf->scale.mean);
  free(mf->scale.scale);
}

static void check_head(loss_head head, size_t k) {
  size_t d = 5, rows = 37;
  model_file mf = fake(d, k, head);
  ds_dataset *ds = ds_new(rows, d, false);
  ck_assert_ptr_nonnull(ds);
  float *raw = malloc(rows * d * sizeof *raw), *a = malloc(rows * k * sizeof *a), *b = malloc(rows * k * sizeof *b);
  for (size_t i = 0; i < rows * d; i++) raw[i] = ds->X[i] = (float)sin((double)i) * 4;
  scaler_apply(&mf.scale, ds);
  ck_assert_int_eq(train_predict(mf.model, head, ds, b, NULL), TR_OK);
  if (head == HEAD_REGRESSION) target_scaler_invert(&mf.target, b, rows);
  infer_ws *ws = infer_ws_new(&mf, rows);
  ck_assert_ptr_nonnull(ws);
  infer_rows(&mf, ws, raw, rows, a);
  for (size_t i = 0; i < rows * k; i++) ck_assert_double_eq_tol(a[i], b[i], 1e-5 * (1 + fabs(b[i])));
  infer_rows(&mf, ws, raw + d, 1, a); /* one row alone: the same as in the batch */
  for (size_t c = 0; c < k; c++) ck_assert_double_eq_tol(a[c], b[k + c], 1e-5 * (1 + fabs(b[k + c])));
  infer_ws_free(&ws);
  ck_assert_ptr_null(ws);
  free(raw);
  free(a);
  free(b);
  ds_free(&ds);
  release(&mf);
}

START_TEST(matches_batch_predict) {
  check_head(HEAD_BINARY, 1);
  check_head(HEAD_MULTICLASS, 4);
  check_head(HEAD_REGRESSION, 1);
}
END_TEST

/* 3 inputs, 4 hidden, 1 output: (3x4 + 4) + (4x1 + 1) = 21 parameters = 84 bytes, the
 * scaler 2 x 3 doubles = 48, 2 class values = 8: 140. Activations per row: input copy 3 +
 * answer 1 + layer outputs 4 + 1 = 9 floats: 36 bytes a row. */
START_TEST(memory_arithmetic) {
  model_file mf = fake(3, 1, HEAD_BINARY);
  mf.model->spec.hidden[0] = 4;
  net_spec s = {.inputs = 3, .outputs = 1, .hidden = {4}, .n_hidden = 1, .act = ACT_RELU};
  net_free(&mf.model);
  mf.model = net_new(&s);
  float classes[2] = {0, 1};
  mf.classes = classes;
  mf.n_classes = 2;
  ck_assert_uint_eq(infer_weight_bytes(&mf), 140);
  ck_assert_uint_eq(infer_activation_bytes(&mf, 1), 36);
  ck_assert_uint_eq(infer_activation_bytes(&mf, 2), 72);
  ck_assert_str_eq(infer_precision(&mf), "fp32");
  release(&mf);
}
END_TEST

START_TEST(load_generators_record_every_request) {
  model_file mf = fake(5, 1, HEAD_BINARY);
  float X[64 * 5];
  for (size_t i = 0; i < 64 * 5; i++) X[i] = (float)i / 50;
  infer_pool p = {X, 64};
  double lat[2 * 25], wall = -1;
  for (size_t i = 0; i < 50; i++) lat[i] = -1;
  ck_assert_int_eq(infer_closed_loop(&mf, &p, 2, 3, 25, lat, &wall), TR_OK);
  for (size_t i = 0; i < 50; i++) ck_assert(lat[i] >= 0 && isfinite(lat[i]));
  ck_assert(wall >= 0);
  for (size_t i = 0; i < 50; i++) lat[i] = -1;
  ck_assert_int_eq(infer_open_loop(&mf, &p, 2, 20000, 5, 40, lat), TR_OK);
  for (size_t i = 0; i < 40; i++) ck_assert(lat[i] >= 0 && isfinite(lat[i]));
  double rows_s;
  size_t reps;
  ck_assert_int_eq(infer_batch_throughput(&mf, &p, 64, 1, 1, 3, 0, &rows_s, &reps), TR_OK);
  ck_assert_uint_ge(reps, 3);
  ck_assert(rows_s > 0);
  ck_assert_int_eq(infer_batch_throughput(&mf, &p, 65, 1, 0, 1, 0, &rows_s, &reps), TR_EINTERNAL);
  release(&mf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("infer");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, matches_batch_predict);
  tcase_add_test(tc, memory_arithmetic);
  tcase_add_test(tc, load_generators_record_every_request);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
