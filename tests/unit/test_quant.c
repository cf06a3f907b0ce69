/* Tests for trainer/quant.c: the scale and rounding arithmetic on worked numbers, bf16
 * rounding, int8 and bf16 predictions through oneDNN against the float32 net (every
 * activation and head), batch-size invariance, the model.h5 variant's round trip, and
 * damaged or mismatched variants refused as TR_EINPUT. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "testutil.h"
#include "trainer/model_io.h"
#include "trainer/quant.h"
#include "trainer/train.h"

/* A net with weights large enough that its decisions are not coin flips. */
static net *make_net(net_spec s, uint64_t seed, float gain) {
  net *n = net_new(&s);
  rng_t r;
  rng_seed(&r, seed);
  net_init(n, &r, false);
  for (size_t i = 0; i < n->n_params; i++) n->params[i] *= gain;
  for (size_t l = 0; l < n->n_layers; l++) /* non-zero biases: their scaling is tested */
    for (size_t j = 0; j < n->layer[l].out; j++) n->params[n->layer[l].b_off + j] = 0.05f * (float)((int)j % 5 - 2);
  return n;
}

static float *normal_rows(size_t rows, size_t cols, uint64_t seed) {
  float *X = malloc(rows * cols * sizeof(float));
  rng_t r;
  rng_seed(&r, seed);
  for (size_t i = 0; i < rows * cols; i++) X[i] = (float)rng_normal(&r);
  return X;
}

/* fp32 logits of n on X through the trainer's forward pass. */
static void fp32_logits(const net *n, const float *X, size_t rows, float *out) {
  net_ws *ws = net_ws_new(n, rows);
  const float *z = net_forward(n, ws, X, rows, false, NULL);
  memcpy(out, z, rows * n->spec.outputs * sizeof(float));
  net_ws_free(&ws);
}

START_TEST(scale_arithmetic_worked) {
  /* W (3 x 2, row-major): column 0 is {0.5, -1.27, 0.3}, column 1 {0.2, 0.1, 0} */
  float W[] = {0.5f, 0.2f, -1.27f, 0.1f, 0.3f, 0.0f};
  ck_assert_float_eq_tol(quant_scale_of(W, 3, 2, 127), 0.01f, 1e-9f);      /* 1.27 / 127 */
  ck_assert_float_eq_tol(quant_scale_of(W + 1, 3, 2, 127), 0.2f / 127, 1e-9f);
  float zeros[3] = {0, 0, 0};
  ck_assert_float_eq(quant_scale_of(zeros, 3, 1, 127), 1.0f);             /* zeros stay zeros */
  float acts[] = {0.0f, 2.55f, 1.0f};
  ck_assert_float_eq_tol(quant_scale_of(acts, 3, 1, 255), 0.01f, 1e-9f);    /* u8 range */
  ck_assert_int_eq(quant_round(0.5f, 0.01f, -127, 127), 50);
  ck_assert_int_eq(quant_round(-1.27f, 0.01f, -127, 127), -127);
  ck_assert_int_eq(quant_round(0.3f, 0.01f, -127, 127), 30);
  ck_assert_int_eq(quant_round(0.025f, 0.01f, -127, 127), 3);   /* 2.5 rounds away from zero */
  ck_assert_int_eq(quant_round(-0.025f, 0.01f, -127, 127), -3);
  ck_assert_int_eq(quant_round(2.0f, 0.01f, -127, 127), 127);   /* saturated */
  ck_assert_int_eq(quant_round(-9.0f, 0.01f, -128, 127), -128);
  ck_assert_int_eq(quant_round(3.0f, 0.01f, 0, 255), 255);
  ck_assert_int_eq(quant_round(-1.0f, 0.01f, 0, 255), 0);
  ck_assert_int_eq(quant_round(NAN, 0.01f, -127, 127), -127);

  /* the same numbers through quant_build: a 3-input, 2-output linear net */
  net *n = net_new(&(net_spec){.inputs = 3, .outputs = 2});
  memcpy(n->params + n->layer[0].w_off, W, sizeof W);
  n->params[n->layer[0].b_off] = 0.25f;
  float X[] = {1.0f, -2.54f, 0.5f, 0.1f, 0.2f, 0.3f}; /* calibration: max |x| = 2.54 */
  quant_model *q = NULL;
  ck_assert_int_eq(quant_build(n, QUANT_INT8, X, 2, &q), TR_OK);
  const quant_layer *L = &q->layer[0];
  ck_assert_float_eq_tol(L->w_scale[0], 0.01f, 1e-9f);
  int8_t want[] = {50, 127, -127, 64, 30, 0}; /* 0.1 / (0.2 / 127) = 63.5 -> 64 */
  ck_assert_mem_eq(L->w, want, sizeof want);
  ck_assert_float_eq_tol(L->in_scale, 0.02f, 1e-9f);  /* 2.54 / 127 */
  ck_assert(!L->in_unsigned);
  ck_assert_float_eq(L->b[0], 0.25f);
  ck_assert_uint_eq(quant_bytes(q), 6 + 2 * 4 + 4 + 2 * 4); /* weights, scales, input scale, bias */
  /* dequantized: w * scale, within half a step of W */
  net *d = net_new(&n->spec);
  quant_dequantize(q, d);
  for (size_t i = 0; i < 6; i++) ck_assert_float_eq_tol(d->params[i], W[i], 0.5f * L->w_scale[i % 2] + 1e-7f);
  ck_assert_float_eq_tol(d->params[3], 64 * 0.2f / 127, 1e-7f);
  /* the kernel: logits of x = (1, 1, 1) from the integer arithmetic by hand:
     x_q = round(1 / 0.02) = 50 each; column 0: 50 * (50 - 127 + 30) = -2350, times
     0.02 * 0.01 = -0.47, plus 0.25 = -0.22 */
  quant_runner *r = NULL;
  ck_assert_int_eq(quant_runner_new(q, &r), TR_OK);
  float x1[] = {1, 1, 1}, z[2];
  ck_assert_int_eq(quant_runner_logits(r, x1, 1, z), TR_OK);
  ck_assert_float_eq_tol(z[0], -0.22f, 1e-5f);
  ck_assert_float_eq_tol(z[1], 50 * (127 + 64 + 0) * 0.02f * (0.2f / 127), 1e-5f);
  quant_runner_free(&r);
  quant_free(&q);
  net_free(&d);
  net_free(&n);
}
END_TEST

START_TEST(bf16_rounding) {
  ck_assert_uint_eq(quant_to_bf16(1.0f), 0x3f80);
  ck_assert_uint_eq(quant_to_bf16(1.00390625f), 0x3f80);   /* a tie: to even */
  ck_assert_uint_eq(quant_to_bf16(1.01171875f), 0x3f82);   /* a tie: to even (up) */
  ck_assert_uint_eq(quant_to_bf16(1.005f), 0x3f81);        /* nearest */
  ck_assert_uint_eq(quant_to_bf16(-2.0f), 0xc000);
  ck_assert_float_eq(quant_from_bf16(0x4049), 3.140625f);
  ck_assert(isnan(quant_from_bf16(quant_to_bf16(NAN))));
  ck_assert(isinf(quant_from_bf16(quant_to_bf16(INFINITY))));
  ck_assert_str_eq(quant_precision_name(QUANT_BF16), "bf16");
  ck_assert_int_eq(quant_precision_parse("int8"), QUANT_INT8);
  ck_assert_int_eq(quant_precision_parse("int4"), -1);
}
END_TEST

/* The variant's predictions against fp32 on rows it was not calibrated on: logits
 * with an RMS error within max_logit_err of their own RMS (the largest single error is
 * left unchecked: a row beyond the calibrated range saturates, min-max calibration's
 * known trade-off), mean absolute probability gap
 * within mean_prob_diff (classification), and the predicted classes agreeing on at least
 * min_agree of the rows. */
static void check_agreement(net_spec spec, loss_head head, quant_precision p, double max_logit_err,
                            double mean_prob_diff, double min_agree) {
  const size_t rows = 600, calib = 300;
  net *n = make_net(spec, 11, 2.0f);
  float *X = normal_rows(rows + calib, spec.inputs, 5);
  size_t w = spec.outputs;
  float *ref = malloc(rows * w * sizeof(float)), *got = malloc(rows * w * sizeof(float));
  fp32_logits(n, X + calib * spec.inputs, rows, ref);
  quant_model *q = NULL;
  ck_assert_int_eq(quant_build(n, p, X, calib, &q), TR_OK);
  quant_runner *r = NULL;
  ck_assert_int_eq(quant_runner_new(q, &r), TR_OK);
  ck_assert_int_eq(quant_runner_logits(r, X + calib * spec.inputs, rows, got), TR_OK);
  double ss = 0, se = 0;
  for (size_t i = 0; i < rows * w; i++) {
    ss += (double)ref[i] * ref[i];
    se += ((double)ref[i] - got[i]) * ((double)ref[i] - got[i]);
  }
  double worst = sqrt(se / ss);
  ck_assert_msg(worst <= max_logit_err, "%s: RMS logit error %g of the RMS > %g", quant_precision_name(p), worst,
                max_logit_err);
  if (head != HEAD_REGRESSION) {
    loss_predict(head, ref, rows, w, ref);
    loss_predict(head, got, rows, w, got);
    double gap = 0;
    size_t agree = 0;
    for (size_t i = 0; i < rows; i++) {
      size_t a = 0, b = 0;
      for (size_t k = 0; k < w; k++) {
        gap += fabs((double)ref[i * w + k] - got[i * w + k]);
        if (ref[i * w + k] > ref[i * w + a]) a = k;
        if (got[i * w + k] > got[i * w + b]) b = k;
      }
      if (head == HEAD_BINARY) {
        a = ref[i] >= 0.5f;
        b = got[i] >= 0.5f;
      }
      agree += a == b;
    }
    gap /= (double)(rows * w);
    ck_assert_msg(gap <= mean_prob_diff, "%s: mean probability gap %g > %g", quant_precision_name(p), gap,
                  mean_prob_diff);
    ck_assert_msg((double)agree / rows >= min_agree, "%s: argmax agreement %g < %g", quant_precision_name(p),
                  (double)agree / rows, min_agree);
  }
  quant_runner_free(&r);
  quant_free(&q);
  free(ref);
  free(got);
  free(X);
  net_free(&n);
}

START_TEST(int8_matches_fp32) {
  /* every activation (relu: u8 with the scale folded; tanh: s8; sigmoid: u8 post-op
     scale) and every head; a linear model too */
  check_agreement((net_spec){.inputs = 48, .outputs = 6, .hidden = {64, 32}, .n_hidden = 2, .act = ACT_RELU},
                  HEAD_MULTICLASS, QUANT_INT8, 0.05, 0.01, 0.97);
  check_agreement((net_spec){.inputs = 40, .outputs = 1, .hidden = {32}, .n_hidden = 1, .act = ACT_TANH},
                  HEAD_BINARY, QUANT_INT8, 0.05, 0.01, 0.97);
  check_agreement((net_spec){.inputs = 40, .outputs = 3, .hidden = {32}, .n_hidden = 1, .act = ACT_SIGMOID},
                  HEAD_MULTICLASS, QUANT_INT8, 0.05, 0.01, 0.97);
  check_agreement((net_spec){.inputs = 30, .outputs = 1}, HEAD_REGRESSION, QUANT_INT8, 0.05, 0, 0);
  check_agreement((net_spec){.inputs = 30, .outputs = 1}, HEAD_BINARY, QUANT_INT8, 0.05, 0.01, 0.97);
}
END_TEST

START_TEST(bf16_matches_fp32) {
  if (quant_check_host(QUANT_BF16) != TR_OK) { /* refused, as it must be without bf16 */
    ck_assert_int_eq(tr_error_code(), TR_EUSAGE);
    ck_assert_ptr_nonnull(strstr(tr_error_message(), "bf16"));
    net *n = make_net((net_spec){.inputs = 4, .outputs = 1}, 1, 1);
    quant_model *q = NULL;
    tr_error_clear();
    ck_assert_int_eq(quant_build(n, QUANT_BF16, NULL, 0, &q), TR_EUSAGE);
    net_free(&n);
    return;
  }
  check_agreement((net_spec){.inputs = 48, .outputs = 6, .hidden = {64, 32}, .n_hidden = 2, .act = ACT_RELU},
                  HEAD_MULTICLASS, QUANT_BF16, 0.02, 0.005, 0.98);
  check_agreement((net_spec){.inputs = 40, .outputs = 1, .hidden = {32}, .n_hidden = 1, .act = ACT_TANH},
                  HEAD_REGRESSION, QUANT_BF16, 0.02, 0, 0);
}
END_TEST

START_TEST(fp32_reference_matches_net) {
  /* the oneDNN f32 reference computes what net_forward does (float rounding apart) */
  check_agreement((net_spec){.inputs = 48, .outputs = 6, .hidden = {64, 32}, .n_hidden = 2, .act = ACT_TANH},
                  HEAD_MULTICLASS, QUANT_FP32, 1e-5, 1e-6, 1.0);
}
END_TEST

START_TEST(batch_size_invariant) {
  /* rows one at a time, in a batch, and past the 4096-row chunk give the same logits */
  net_spec spec = {.inputs = 20, .outputs = 4, .hidden = {16}, .n_hidden = 1, .act = ACT_RELU};
  net *n = make_net(spec, 3, 2.0f);
  size_t rows = 4100;
  float *X = normal_rows(rows, spec.inputs, 9);
  quant_model *q = NULL;
  ck_assert_int_eq(quant_build(n, QUANT_INT8, X, 100, &q), TR_OK);
  quant_runner *r = NULL;
  ck_assert_int_eq(quant_runner_new(q, &r), TR_OK);
  float *all = malloc(rows * 4 * sizeof(float)), one[4], seven[7 * 4];
  ck_assert_int_eq(quant_runner_logits(r, X, rows, all), TR_OK);
  ck_assert_int_eq(quant_runner_logits(r, X + 4093 * 20, 7, seven), TR_OK);
  for (size_t i = 0; i < 7; i++)
    for (int k = 0; k < 4; k++) ck_assert_msg(fabsf(seven[i * 4 + k] - all[(4093 + i) * 4 + k]) < 1e-5f, "row %zu k %d: %g vs %g", 4093 + i, k, seven[i * 4 + k], all[(4093 + i) * 4 + k]);
  size_t probe[] = {0, 1, 2048, 4099};
  for (int t = 0; t < 4; t++) {
    ck_assert_int_eq(quant_runner_logits(r, X + probe[t] * 20, 1, one), TR_OK);
    for (int k = 0; k < 4; k++) ck_assert_float_eq_tol(one[k], all[probe[t] * 4 + k], 1e-5f);
  }
  quant_runner_free(&r);
  quant_free(&q);
  free(all);
  free(X);
  net_free(&n);
}
END_TEST

/* An int8 variant of a small mlp saved at p; its float32 net in *np, its calibration
 * and test rows in *Xp (64 rows). */
static void save_variant(const char *p, net **np, float **Xp, quant_model **qp) {
  net_spec spec = {.inputs = 5, .outputs = 3, .hidden = {8}, .n_hidden = 1, .act = ACT_RELU};
  *np = make_net(spec, 7, 2.0f);
  *Xp = normal_rows(64, 5, 2);
  ck_assert_int_eq(quant_build(*np, QUANT_INT8, *Xp, 64, qp), TR_OK);
  float classes[3] = {0, 1, 2};
  ck_assert_int_eq(model_save(p, *np, &(model_meta){.head = HEAD_MULTICLASS, .classes = classes, .n_classes = 3,
                                                     .model_type = "mlp", .quant = *qp}),
                   TR_OK);
}

START_TEST(variant_round_trip) {
  char *p = tu_path(tu_dir, "m8.h5");
  net *n;
  float *X;
  quant_model *q;
  save_variant(p, &n, &X, &q);
  model_file mf;
  ck_assert_int_eq(model_load(p, &mf), TR_OK);
  ck_assert_ptr_nonnull(mf.quant);
  ck_assert_int_eq(mf.quant->precision, QUANT_INT8);
  ck_assert_uint_eq(mf.quant->calibration_rows, 64);
  for (size_t l = 0; l < 2; l++) {
    ck_assert_mem_eq(mf.quant->layer[l].w, q->layer[l].w, q->layer[l].in * q->layer[l].out);
    ck_assert_mem_eq(mf.quant->layer[l].w_scale, q->layer[l].w_scale, q->layer[l].out * sizeof(float));
    ck_assert_float_eq(mf.quant->layer[l].in_scale, q->layer[l].in_scale);
  }
  ck_assert(mf.quant->layer[1].in_unsigned);
  /* the loaded net holds the dequantized weights, not zeros */
  const quant_layer *L = &q->layer[0];
  ck_assert_float_eq(mf.model->params[mf.model->layer[0].w_off + 7], (float)L->w[7] * L->w_scale[7 % 8]);
  /* the loaded variant predicts what the built one does */
  quant_runner *a = NULL, *b = NULL;
  ck_assert_int_eq(quant_runner_new(q, &a), TR_OK);
  ck_assert_int_eq(quant_runner_new(mf.quant, &b), TR_OK);
  float za[64 * 3], zb[64 * 3];
  ck_assert_int_eq(quant_runner_logits(a, X, 64, za), TR_OK);
  ck_assert_int_eq(quant_runner_logits(b, X, 64, zb), TR_OK);
  ck_assert_mem_eq(za, zb, sizeof za);
  /* an fp32 file says so, and loads no quant group */
  char *p32 = tu_path(tu_dir, "m32.h5");
  ck_assert_int_eq(model_save(p32, n, &(model_meta){.head = HEAD_MULTICLASS, .classes = (float[3]){0, 1, 2},
                                                     .n_classes = 3, .model_type = "mlp"}),
                   TR_OK);
  model_file m32;
  ck_assert_int_eq(model_load(p32, &m32), TR_OK);
  ck_assert_ptr_null(m32.quant);
  model_file_free(&m32);
  quant_runner_free(&a);
  quant_runner_free(&b);
  model_file_free(&mf);
  quant_free(&q);
  net_free(&n);
  free(X);
  free(p32);
  free(p);
}
END_TEST

/* Damages a saved variant with edit, then expects model_load to refuse it naming what. */
typedef void (*damage_fn)(hid_t f);
static void expect_refused(damage_fn edit, const char *what) {
  char *p = tu_path(tu_dir, "bad.h5");
  net *n;
  float *X;
  quant_model *q;
  save_variant(p, &n, &X, &q);
  h5u_quiet();
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  ck_assert(f >= 0);
  edit(f);
  H5Fclose(f);
  model_file mf;
  tr_error_clear();
  ck_assert_int_eq(model_load(p, &mf), TR_EINPUT);
  ck_assert_msg(strstr(tr_error_message(), what) && strstr(tr_error_message(), p), "'%s' lacks '%s' or the path",
                tr_error_message(), what);
  tr_error_clear();
  quant_free(&q);
  net_free(&n);
  free(X);
  free(p);
}

static void replace_array(hid_t f, const char *name, hid_t ft, hid_t mt, hsize_t rows, hsize_t cols, const void *v) {
  H5Ldelete(f, name, H5P_DEFAULT);
  ck_assert(h5u_put_array(f, name, ft, mt, rows, cols, v) >= 0);
}
static void bad_precision(hid_t f) {
  H5Adelete(f, "precision");
  h5u_put_string_attr(f, "precision", "int4");
}
static void no_group(hid_t f) { H5Ldelete(f, "quant", H5P_DEFAULT); }
static void no_scale(hid_t f) { H5Ldelete(f, "quant/1/w_scale", H5P_DEFAULT); }
static void negative_scale(hid_t f) {
  float s[3] = {0.1f, -0.1f, 0.1f};
  replace_array(f, "quant/1/w_scale", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, 0, s);
}
static void float_weights(hid_t f) {
  float w[5 * 8] = {0};
  replace_array(f, "quant/0/W", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 5, 8, w);
}
static void transposed_weights(hid_t f) {
  int8_t w[5 * 8] = {0};
  replace_array(f, "quant/0/W", H5T_STD_I8LE, H5T_NATIVE_INT8, 8, 5, w);
}
static void minus_128(hid_t f) {
  int8_t w[8 * 3] = {0};
  w[4] = -128;
  replace_array(f, "quant/1/W", H5T_STD_I8LE, H5T_NATIVE_INT8, 8, 3, w);
}
static void zero_input_scale(hid_t f) {
  float s[2] = {0.1f, 0.0f};
  replace_array(f, "quant/input_scales", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, 0, s);
}
static void nan_bias(hid_t f) {
  float b[3] = {0, NAN, 0};
  replace_array(f, "quant/1/b", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, 0, b);
}
static void another_shape(hid_t f) { /* the metadata of a wider hidden layer */
  long hidden = 9;
  H5Adelete(f, "hidden");
  h5u_put_longs_attr(f, "hidden", &hidden, 1, false);
}

START_TEST(damaged_variants_refused) {
  expect_refused(bad_precision, "precision \"int4\"");
  expect_refused(no_group, "no /quant group");
  expect_refused(no_scale, "quant/1/w_scale");
  expect_refused(negative_scale, "not positive");
  expect_refused(float_weights, "not int8 5 x 8");
  expect_refused(transposed_weights, "not int8 5 x 8");
  expect_refused(minus_128, "-128");
  expect_refused(zero_input_scale, "input_scales");
  expect_refused(nan_bias, "quant/1/b");
  expect_refused(another_shape, "quant/0/W");
}
END_TEST

int main(void) {
  Suite *s = suite_create("quant");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, scale_arithmetic_worked);
  tcase_add_test(tc, bf16_rounding);
  tcase_add_test(tc, int8_matches_fp32);
  tcase_add_test(tc, bf16_matches_fp32);
  tcase_add_test(tc, fp32_reference_matches_net);
  tcase_add_test(tc, batch_size_invariant);
  tcase_add_test(tc, variant_round_trip);
  tcase_add_test(tc, damaged_variants_refused);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
