/* Post-training quantization of a net (linear, logistic, softmax, mlp) and its
 * low-precision inference on oneDNN's kernels: int8 with one symmetric scale per output
 * neuron for the weights (max |W[:, j]| / 127) and one per layer for the activations,
 * calibrated (min-max, as PyTorch's default observer) on training rows; int32
 * accumulation, the bias, the activation and the requantization to the next layer's
 * 8 bits fused into one matmul primitive per layer. bf16 (weights and activations in
 * bfloat16, f32 accumulation) only on CPUs that have it (AVX512_BF16 or AMX): elsewhere
 * it is refused, never emulated. The quantized model is immutable; a quant_runner holds
 * one caller's primitives and buffers (one per thread). */
#ifndef TR_QUANT_H
#define TR_QUANT_H
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "trainer/loss.h"
#include "trainer/net.h"

typedef enum { QUANT_FP32, QUANT_INT8, QUANT_BF16 } quant_precision;

/* "fp32", "int8", "bf16". */
const char *quant_precision_name(quant_precision p);
/* The precision named s, or -1. */
int quant_precision_parse(const char *s);

/* TR_OK when this host can run p for real; else TR_EUSAGE saying what the CPU lacks
 * (bf16 without AVX512_BF16/AMX in /proc/cpuinfo's flags or in oneDNN's ISA). */
tr_err quant_check_host(quant_precision p);
/* A line naming the CPU ISA oneDNN dispatches to ("avx512_core_bf16"...), static. */
const char *quant_isa_name(void);

/* The arithmetic, exposed for tests: the symmetric scale of values v[0..n) strided by
 * stride for qmax levels (max |v| / qmax; 1 when all are 0, so zeros stay zeros), and
 * x quantized with it (round half away from zero, saturated to [qmin, qmax]; 0 ..
 * qmax for unsigned). */
float quant_scale_of(const float *v, size_t n, size_t stride, float qmax);
int quant_round(float x, float scale, int qmin, int qmax);
/* bfloat16 bits of x (round to nearest even) and back. */
uint16_t quant_to_bf16(float x);
float quant_from_bf16(uint16_t b);

typedef struct {
  size_t in, out;
  int8_t *w;          /* int8: in x out row-major, w = round(W / w_scale[j]) */
  uint16_t *w_bf16;   /* bf16: in x out bits */
  float *w_f32;       /* fp32 (a measuring reference, never saved): in x out */
  float *w_scale;     /* int8: out (per output neuron) */
  float *b;           /* out, float32 */
  float in_scale;     /* int8: the scale of this layer's 8-bit input */
  bool in_unsigned;   /* int8: the input is u8 (after relu or sigmoid), else s8 */
} quant_layer;

typedef struct {
  quant_precision precision;
  net_spec spec;
  size_t n_layers;
  quant_layer layer[NET_MAX_LAYERS];
  size_t calibration_rows;   /* int8: rows the activation ranges were taken on */
} quant_model;

/* Quantizes n to p (QUANT_INT8 or QUANT_BF16; QUANT_FP32 copies the weights for
 * oneDNN's f32 matmul, a reference that separates the kernel from the precision when
 * measuring, and that quant_write refuses) with activation ranges from the first
 * calib_rows rows of X (rows x inputs; standardized as the net was trained; int8 needs
 * at least one). TR_EUSAGE for a precision the host cannot run, TR_ENOMEM. */
tr_err quant_build(const net *n, quant_precision p, const float *X, size_t calib_rows, quant_model **out);
void quant_free(quant_model **q);

/* The float32 weights the quantized ones stand for (W = w * w_scale, bf16 widened) into
 * n->params (n of q's spec), so a net built from a quantized file is never zeros. */
void quant_dequantize(const quant_model *q, net *n);

/* Bytes of the model's parameters as stored: weights, scales, biases. fp32 of a net:
 * quant_fp32_bytes. */
size_t quant_bytes(const quant_model *q);
size_t quant_fp32_bytes(const net *n);

/* HDF5: the /quant group (quant/<l>/W int8 or bf16 bits as uint16, quant/<l>/b
 * float32, int8: quant/<l>/w_scale float32 and the dataset quant/input_scales,
 * one per layer, and calibration_rows). Write returns < 0 on failure. Read checks every
 * shape, type and value against spec (TR_EINPUT naming path: "damaged") and checks the
 * host (quant_check_host). */
herr_t quant_write(hid_t f, const quant_model *q);
tr_err quant_read(hid_t f, const char *path, quant_precision p, const net_spec *spec, quant_model **out);

/* One caller's oneDNN engine, stream, primitives (made per batch size on first use,
 * a few kept) and buffers. Not for concurrent use: one per thread. */
typedef struct quant_runner quant_runner;
tr_err quant_runner_new(const quant_model *q, quant_runner **out);
void quant_runner_free(quant_runner **r);

/* The logits of rows X (rows x inputs, float32) into logits (rows x outputs) through
 * the low-precision kernels. TR_EINTERNAL naming the oneDNN call that failed. */
tr_err quant_runner_logits(quant_runner *r, const float *X, size_t rows, float *logits);
/* As quant_runner_logits then loss_predict for head: probabilities or values. */
tr_err quant_runner_predict(quant_runner *r, loss_head head, const float *X, size_t rows, float *out);
#endif
