/* Post-training quantization and low-precision inference on oneDNN (see quant.h).
 *
 * int8, layer l with input scale s_l (its 8-bit input a_q = a / s_l), weight scales
 * w_j (W_q[:, j] = W[:, j] / w_j) and bias b:
 *   acc_j = sum_i a_q[i] * W_q[i, j]                      (int32, oneDNN's VNNI kernel)
 *   z_j   = s_l * w_j * (acc_j + b_j / (s_l * w_j))       (oneDNN 2.x adds the bias to
 *                                                          the accumulator, then scales)
 * and a hidden layer's output goes out already requantized for layer l + 1:
 *   relu: round(relu(z_j) / s_{l+1}) as u8 (relu commutes with the positive scale, so
 *         it is folded into the output scale); tanh (s8) and sigmoid (u8): the eltwise
 *         post-op's own scale 1 / s_{l+1}. The last layer writes float32 logits.
 * The first layer's input is quantized by a oneDNN reorder (f32 -> s8, scale 1 / s_0). */
#include "trainer/quant.h"

#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

static const char *precision_names[] = {"fp32", "int8", "bf16"};

const char *quant_precision_name(quant_precision p) {
  return (unsigned)p < 3 ? precision_names[p] : "?";
}

int quant_precision_parse(const char *s) {
  for (int i = 0; i < 3; i++)
    if (s && !strcmp(s, precision_names[i])) return i;
  return -1;
}

/* ---- the host ---- */

/* Whether /proc/cpuinfo's flags line has flag (a whole word). */
static bool cpu_has_flag(const char *flag) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  char line[8192];
  bool found = false;
  size_t len = strlen(flag);
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5) != 0) continue;
    for (char *p = strstr(line, flag); p && !found; p = strstr(p + 1, flag))
      found = (p == line || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0');
    break;
  }
  fclose(f);
  return found;
}

const char *quant_isa_name(void) {
  switch (dnnl_get_effective_cpu_isa()) {
  case dnnl_cpu_isa_sse41: return "sse41";
  case dnnl_cpu_isa_avx: return "avx";
  case dnnl_cpu_isa_avx2: return "avx2";
  case dnnl_cpu_isa_avx512_core: return "avx512_core";
  case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
  case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
  default: return "other";
  }
}

tr_err quant_check_host(quant_precision p) {
  if (p != QUANT_BF16) return TR_OK;
  bool flags = cpu_has_flag("avx512_bf16") || cpu_has_flag("amx_bf16");
  /* oneDNN's dispatch ISA: a bitmask whose avx512_core_bf16 bits amx also has */
  unsigned isa = (unsigned)dnnl_get_effective_cpu_isa(), need = (unsigned)dnnl_cpu_isa_avx512_core_bf16;
  if (!flags)
    return tr_error_set(TR_EUSAGE, "bf16",
                        "this CPU has neither avx512_bf16 nor amx_bf16 (/proc/cpuinfo flags): bf16 "
                        "would be emulated, not faster; use --precision int8");
  if ((isa & need) != need)
    return tr_error_set(TR_EUSAGE, "bf16",
                        "oneDNN dispatches to %s here (DNNL_MAX_CPU_ISA?), which has no bf16 "
                        "instructions: bf16 would be emulated; use --precision int8",
                        quant_isa_name());
  return TR_OK;
}

/* ---- the arithmetic ---- */

float quant_scale_of(const float *v, size_t n, size_t stride, float qmax) {
  float m = 0;
  for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(v[i * stride]));
  return m > 0 && isfinite(m) ? m / qmax : 1.0f;
}

int quant_round(float x, float scale, int qmin, int qmax) {
  float q = roundf(x / scale);
  if (!(q >= (float)qmin)) return qmin; /* NaN too */
  if (q > (float)qmax) return qmax;
  return (int)q;
}

uint16_t quant_to_bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

float quant_from_bf16(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* ---- building ---- */

static bool layer_alloc(quant_layer *L, quant_precision p) {
  size_t nw = L->in * L->out;
  L->b = malloc(L->out * sizeof(float));
  if (p == QUANT_FP32) {
    L->w_f32 = malloc((nw ? nw : 1) * sizeof(float));
    return L->b && L->w_f32;
  }
  if (p == QUANT_INT8) {
    L->w = malloc(nw ? nw : 1);
    L->w_scale = malloc(L->out * sizeof(float));
    return L->b && L->w && L->w_scale;
  }
  L->w_bf16 = malloc((nw ? nw : 1) * sizeof(uint16_t));
  return L->b && L->w_bf16;
}

void quant_free(quant_model **qp) {
  quant_model *q = *qp;
  if (!q) return;
  for (size_t l = 0; l < q->n_layers; l++) {
    free(q->layer[l].w);
    free(q->layer[l].w_bf16);
    free(q->layer[l].w_f32);
    free(q->layer[l].w_scale);
    free(q->layer[l].b);
  }
  free(q);
  *qp = NULL;
}

/* A model of n's shape with its layers allocated (weights unset). */
static quant_model *model_new(const net_spec *spec, quant_precision p) {
  quant_model *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->precision = p;
  q->spec = *spec;
  q->n_layers = spec->n_hidden + 1;
  for (size_t l = 0; l < q->n_layers; l++) {
    quant_layer *L = &q->layer[l];
    L->in = l == 0 ? spec->inputs : spec->hidden[l - 1];
    L->out = l + 1 < q->n_layers ? spec->hidden[l] : spec->outputs;
    L->in_unsigned = l > 0 && spec->act != ACT_TANH;
    L->in_scale = 1;
    if (!layer_alloc(L, p)) {
      quant_free(&q);
      return NULL;
    }
  }
  return q;
}

/* The min-max range of each layer's input over the calibration rows: the features for
 * layer 0, the previous layer's activations after it. */
static tr_err calibrate(const net *n, quant_model *q, const float *X, size_t rows) {
  float amax[NET_MAX_LAYERS] = {0};
  const size_t chunk = 1024;
  net_ws *ws = net_ws_new(n, rows < chunk ? rows : chunk);
  if (!ws) return tr_error_code();
  for (size_t start = 0; start < rows; start += chunk) {
    size_t m = rows - start < chunk ? rows - start : chunk;
    const float *x = X + start * n->spec.inputs;
    net_forward(n, ws, x, m, false, NULL);
    for (size_t l = 0; l < q->n_layers; l++) {
      const float *a = l == 0 ? x : ws->act[l - 1];
      size_t w = q->layer[l].in;
      for (size_t i = 0; i < m * w; i++)
        if (isfinite(a[i])) amax[l] = fmaxf(amax[l], fabsf(a[i]));
    }
  }
  net_ws_free(&ws);
  for (size_t l = 0; l < q->n_layers; l++) {
    quant_layer *L = &q->layer[l];
    L->in_scale = amax[l] > 0 ? amax[l] / (L->in_unsigned ? 255.0f : 127.0f) : 1.0f;
  }
  q->calibration_rows = rows;
  return TR_OK;
}

tr_err quant_build(const net *n, quant_precision p, const float *X, size_t calib_rows, quant_model **out) {
  *out = NULL;
  if (p != QUANT_INT8 && p != QUANT_BF16 && p != QUANT_FP32)
    return tr_error_set(TR_EUSAGE, "quantize", "unknown precision %d", (int)p);
  tr_err rc = quant_check_host(p);
  if (rc != TR_OK) return rc;
  if (p == QUANT_INT8 && (!X || calib_rows == 0))
    return tr_error_set(TR_EINPUT, "quantize", "int8 needs calibration rows (none given)");
  quant_model *q = model_new(&n->spec, p);
  if (!q) return tr_error_set(TR_ENOMEM, "quantize", "out of memory");
  for (size_t l = 0; l < q->n_layers; l++) {
    quant_layer *L = &q->layer[l];
    const float *W = n->params + n->layer[l].w_off, *b = n->params + n->layer[l].b_off;
    memcpy(L->b, b, L->out * sizeof(float));
    if (p == QUANT_FP32) {
      memcpy(L->w_f32, W, L->in * L->out * sizeof(float));
      continue;
    }
    if (p == QUANT_BF16) {
      for (size_t i = 0; i < L->in * L->out; i++) L->w_bf16[i] = quant_to_bf16(W[i]);
      continue;
    }
    for (size_t j = 0; j < L->out; j++) L->w_scale[j] = quant_scale_of(W + j, L->in, L->out, 127.0f);
    for (size_t i = 0; i < L->in; i++)
      for (size_t j = 0; j < L->out; j++)
        L->w[i * L->out + j] = (int8_t)quant_round(W[i * L->out + j], L->w_scale[j], -127, 127);
  }
  if (p == QUANT_INT8 && (rc = calibrate(n, q, X, calib_rows)) != TR_OK) {
    quant_free(&q);
    return rc;
  }
  *out = q;
  return TR_OK;
}

void quant_dequantize(const quant_model *q, net *n) {
  for (size_t l = 0; l < q->n_layers; l++) {
    const quant_layer *L = &q->layer[l];
    float *W = n->params + n->layer[l].w_off, *b = n->params + n->layer[l].b_off;
    for (size_t i = 0; i < L->in; i++)
      for (size_t j = 0; j < L->out; j++) {
        size_t k = i * L->out + j;
        W[k] = q->precision == QUANT_INT8   ? (float)L->w[k] * L->w_scale[j]
               : q->precision == QUANT_BF16 ? quant_from_bf16(L->w_bf16[k])
                                            : L->w_f32[k];
      }
    memcpy(b, L->b, L->out * sizeof(float));
  }
}

size_t quant_bytes(const quant_model *q) {
  size_t bytes = 0;
  for (size_t l = 0; l < q->n_layers; l++) {
    const quant_layer *L = &q->layer[l];
    size_t nw = L->in * L->out;
    bytes += L->out * sizeof(float); /* bias */
    bytes += q->precision == QUANT_INT8   ? nw + L->out * sizeof(float) + sizeof(float)
             : q->precision == QUANT_BF16 ? nw * sizeof(uint16_t)
                                          : nw * sizeof(float);
  }
  return bytes;
}

size_t quant_fp32_bytes(const net *n) { return n->n_params * sizeof(float); }

/* ---- the file ---- */

herr_t quant_write(hid_t f, const quant_model *q) {
  if (q->precision != QUANT_INT8 && q->precision != QUANT_BF16) return -1; /* not a file precision */
  herr_t bad = 0;
  float in_scales[NET_MAX_LAYERS];
  for (size_t l = 0; l < q->n_layers; l++) {
    const quant_layer *L = &q->layer[l];
    char name[64];
    snprintf(name, sizeof name, "quant/%zu/W", l);
    if (q->precision == QUANT_INT8)
      bad |= h5u_put_array(f, name, H5T_STD_I8LE, H5T_NATIVE_INT8, L->in, L->out, L->w);
    else
      bad |= h5u_put_array(f, name, H5T_STD_U16LE, H5T_NATIVE_UINT16, L->in, L->out, L->w_bf16);
    snprintf(name, sizeof name, "quant/%zu/b", l);
    bad |= h5u_put_array(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, L->out, 0, L->b);
    if (q->precision == QUANT_INT8) {
      snprintf(name, sizeof name, "quant/%zu/w_scale", l);
      bad |= h5u_put_array(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, L->out, 0, L->w_scale);
    }
    in_scales[l] = L->in_scale;
  }
  if (q->precision == QUANT_INT8) {
    bad |= h5u_put_array(f, "quant/input_scales", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, q->n_layers, 0, in_scales);
    long rows = (long)q->calibration_rows;
    bad |= h5u_put_longs_attr(f, "calibration_rows", &rows, 1, true);
  }
  return bad;
}

/* Whether dataset name exists with integer type of size bytes (signedness sign) and
 * shape rows x cols (cols 0: 1-D). */
static bool int_dataset_ok(hid_t f, const char *name, size_t bytes, H5T_sign_t sign, size_t rows, size_t cols) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  if (ds < 0) return false;
  hid_t t = H5Dget_type(ds), s = H5Dget_space(ds);
  hsize_t dims[2] = {0, 0};
  int nd = s < 0 ? -1 : H5Sget_simple_extent_ndims(s);
  if (nd >= 1 && nd <= 2) H5Sget_simple_extent_dims(s, dims, NULL);
  bool ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == bytes && H5Tget_sign(t) == sign &&
            nd == (cols ? 2 : 1) && dims[0] == rows && dims[1] == cols;
  if (t >= 0) H5Tclose(t);
  if (s >= 0) H5Sclose(s);
  H5Dclose(ds);
  return ok;
}

static bool finite_positive(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!(v[i] > 0) || !isfinite(v[i])) return false;
  return true;
}

static bool all_finite(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) return false;
  return true;
}

tr_err quant_read(hid_t f, const char *path, quant_precision p, const net_spec *spec, quant_model **out) {
  *out = NULL;
  if (p != QUANT_INT8 && p != QUANT_BF16)
    return tr_error_set(TR_EINPUT, path, "model precision %s has no quantized weights", quant_precision_name(p));
  if (H5Lexists(f, "quant", H5P_DEFAULT) <= 0)
    return tr_error_set(TR_EINPUT, path, "model file says precision = \"%s\" but has no /quant group (damaged)",
                        quant_precision_name(p));
  quant_model *q = model_new(spec, p);
  if (!q) return tr_error_set(TR_ENOMEM, path, "out of memory");
  float in_scales[NET_MAX_LAYERS];
  long rows = 0;
  tr_err rc = TR_OK;
  if (p == QUANT_INT8 &&
      (!h5u_get_array(f, "quant/input_scales", H5T_NATIVE_FLOAT, q->n_layers, in_scales) ||
       !finite_positive(in_scales, q->n_layers)))
    rc = tr_error_set(TR_EINPUT, path, "quant/input_scales is missing, not %zu values or not positive (damaged)",
                      q->n_layers);
  if (rc == TR_OK && p == QUANT_INT8) {
    h5u_get_longs_attr(f, "calibration_rows", &rows, 1);
    q->calibration_rows = rows > 0 ? (size_t)rows : 0;
  }
  for (size_t l = 0; rc == TR_OK && l < q->n_layers; l++) {
    quant_layer *L = &q->layer[l];
    char name[64];
    snprintf(name, sizeof name, "quant/%zu/W", l);
    bool ok = p == QUANT_INT8 ? int_dataset_ok(f, name, 1, H5T_SGN_2, L->in, L->out) &&
                                    h5u_get_array(f, name, H5T_NATIVE_INT8, L->in * L->out, L->w)
                              : int_dataset_ok(f, name, 2, H5T_SGN_NONE, L->in, L->out) &&
                                    h5u_get_array(f, name, H5T_NATIVE_UINT16, L->in * L->out, L->w_bf16);
    if (!ok) {
      rc = tr_error_set(TR_EINPUT, path, "'%s' is missing or not %s %zu x %zu (damaged or another model)", name,
                        p == QUANT_INT8 ? "int8" : "bf16 (uint16)", L->in, L->out);
      break;
    }
    snprintf(name, sizeof name, "quant/%zu/b", l);
    if (!h5u_get_array(f, name, H5T_NATIVE_FLOAT, L->out, L->b) || !all_finite(L->b, L->out)) {
      rc = tr_error_set(TR_EINPUT, path, "'%s' is missing, not %zu values or not finite (damaged)", name, L->out);
      break;
    }
    if (p == QUANT_INT8) {
      snprintf(name, sizeof name, "quant/%zu/w_scale", l);
      if (!h5u_get_array(f, name, H5T_NATIVE_FLOAT, L->out, L->w_scale) || !finite_positive(L->w_scale, L->out)) {
        rc = tr_error_set(TR_EINPUT, path, "'%s' is missing, not %zu values or not positive (damaged)", name,
                          L->out);
        break;
      }
      L->in_scale = in_scales[l];
      for (size_t i = 0; i < L->in * L->out; i++)
        if (L->w[i] == -128) { /* symmetric weights are in [-127, 127] */
          rc = tr_error_set(TR_EINPUT, path, "'%s' holds -128, outside symmetric int8 (damaged)", name);
          break;
        }
    }
  }
  if (rc == TR_OK) rc = quant_check_host(p);
  if (rc != TR_OK) {
    quant_free(&q);
    return rc;
  }
  *out = q;
  return TR_OK;
}

/* ---- the oneDNN runner ---- */

#define RUNNER_SLOTS 4        /* batch sizes kept with their primitives */
#define RUNNER_CHUNK 4096     /* larger calls go through in chunks of this many rows */

typedef struct {
  size_t rows;                          /* 0: empty */
  dnnl_primitive_t in_reorder;          /* f32 -> s8 / bf16 */
  dnnl_memory_t x, x_q;                 /* user input (f32, handle set per call), quantized */
  dnnl_primitive_t mm[NET_MAX_LAYERS];
  dnnl_memory_t w[NET_MAX_LAYERS], b[NET_MAX_LAYERS], dst[NET_MAX_LAYERS];
} runner_slot;

struct quant_runner {
  const quant_model *q;
  dnnl_engine_t eng;
  dnnl_stream_t stream;
  float *bias[NET_MAX_LAYERS];          /* int8: b / (s_l * w_j); bf16: b */
  float *out_scales[NET_MAX_LAYERS];    /* int8 */
  size_t next;                          /* slot to replace next */
  runner_slot slot[RUNNER_SLOTS];
};

static tr_err dnnl_fail(dnnl_status_t s, const char *what) {
  return tr_error_set(TR_EINTERNAL, "oneDNN", "%s failed: %s", what, dnnl_status2str(s));
}
#define DN(call, what)                                                                                   \
  do {                                                                                                   \
    dnnl_status_t s_ = (call);                                                                           \
    if (s_ != dnnl_success) return dnnl_fail(s_, what);                                                  \
  } while (0)

static void slot_clear(runner_slot *s) {
  if (s->in_reorder) dnnl_primitive_destroy(s->in_reorder);
  if (s->x) dnnl_memory_destroy(s->x);
  if (s->x_q) dnnl_memory_destroy(s->x_q);
  for (int l = 0; l < NET_MAX_LAYERS; l++) {
    if (s->mm[l]) dnnl_primitive_destroy(s->mm[l]);
    if (s->w[l]) dnnl_memory_destroy(s->w[l]);
    if (s->b[l]) dnnl_memory_destroy(s->b[l]);
    if (s->dst[l]) dnnl_memory_destroy(s->dst[l]);
  }
  memset(s, 0, sizeof *s);
}

void quant_runner_free(quant_runner **rp) {
  quant_runner *r = *rp;
  if (!r) return;
  for (int i = 0; i < RUNNER_SLOTS; i++) slot_clear(&r->slot[i]);
  for (int l = 0; l < NET_MAX_LAYERS; l++) {
    free(r->bias[l]);
    free(r->out_scales[l]);
  }
  if (r->stream) dnnl_stream_destroy(r->stream);
  if (r->eng) dnnl_engine_destroy(r->eng);
  free(r);
  *rp = NULL;
}

tr_err quant_runner_new(const quant_model *q, quant_runner **out) {
  *out = NULL;
  quant_runner *r = calloc(1, sizeof *r);
  if (!r) return tr_error_set(TR_ENOMEM, "quantize", "out of memory");
  r->q = q;
  tr_err rc = TR_OK;
  dnnl_status_t s = dnnl_engine_create(&r->eng, dnnl_cpu, 0);
  if (s == dnnl_success) s = dnnl_stream_create(&r->stream, r->eng, dnnl_stream_default_flags);
  if (s != dnnl_success) rc = dnnl_fail(s, "creating the CPU engine");
  for (size_t l = 0; rc == TR_OK && l < q->n_layers; l++) {
    const quant_layer *L = &q->layer[l];
    r->bias[l] = malloc(L->out * sizeof(float));
    r->out_scales[l] = malloc(L->out * sizeof(float));
    if (!r->bias[l] || !r->out_scales[l]) {
      rc = tr_error_set(TR_ENOMEM, "quantize", "out of memory");
      break;
    }
    bool last = l + 1 == q->n_layers;
    float next = last ? 1.0f : q->layer[l + 1].in_scale;
    for (size_t j = 0; j < L->out; j++) {
      if (q->precision != QUANT_INT8) {
        r->bias[l][j] = L->b[j];
        continue;
      }
      float sw = L->in_scale * L->w_scale[j];
      r->bias[l][j] = L->b[j] / sw;
      /* relu is folded (it commutes with a positive scale); tanh and sigmoid take the
         requantization in their post-op's scale */
      r->out_scales[l][j] = !last && q->spec.act == ACT_RELU ? sw / next : sw;
    }
  }
  if (rc != TR_OK) {
    quant_runner_free(&r);
    return rc;
  }
  *out = r;
  return TR_OK;
}

static dnnl_data_type_t act_type(const quant_model *q, size_t l) {
  if (q->precision == QUANT_FP32) return dnnl_f32;
  if (q->precision == QUANT_BF16) return dnnl_bf16;
  return q->layer[l].in_unsigned ? dnnl_u8 : dnnl_s8;
}

static dnnl_alg_kind_t act_alg(net_act a) {
  return a == ACT_TANH ? dnnl_eltwise_tanh : a == ACT_SIGMOID ? dnnl_eltwise_logistic : dnnl_eltwise_relu;
}

/* A reorder of src_md into dst_md (attr may be NULL), created and run once when run. */
static tr_err reorder(quant_runner *r, dnnl_memory_t from, dnnl_memory_t to, const_dnnl_primitive_attr_t attr,
                      dnnl_primitive_t *keep) {
  const dnnl_memory_desc_t *fmd, *tmd;
  DN(dnnl_memory_get_memory_desc(from, &fmd), "memory desc");
  DN(dnnl_memory_get_memory_desc(to, &tmd), "memory desc");
  dnnl_primitive_desc_t pd;
  DN(dnnl_reorder_primitive_desc_create(&pd, fmd, r->eng, tmd, r->eng, attr), "reorder primitive desc");
  dnnl_primitive_t p;
  dnnl_status_t s = dnnl_primitive_create(&p, pd);
  dnnl_primitive_desc_destroy(pd);
  if (s != dnnl_success) return dnnl_fail(s, "reorder primitive");
  if (keep) {
    *keep = p;
    return TR_OK;
  }
  dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  s = dnnl_primitive_execute(p, r->stream, 2, args);
  if (s == dnnl_success) s = dnnl_stream_wait(r->stream);
  dnnl_primitive_destroy(p);
  return s == dnnl_success ? TR_OK : dnnl_fail(s, "weights reorder");
}

/* Layer l's matmul for M rows into slot s: its primitive, its weights reordered into the
 * layout the kernel chose, its bias and its destination. */
static tr_err make_layer(quant_runner *r, runner_slot *s, size_t l, size_t M) {
  const quant_model *q = r->q;
  const quant_layer *L = &q->layer[l];
  bool last = l + 1 == q->n_layers, int8 = q->precision == QUANT_INT8;
  dnnl_data_type_t wt = int8 ? dnnl_s8 : q->precision == QUANT_BF16 ? dnnl_bf16 : dnnl_f32, dt = last ? dnnl_f32 : act_type(q, l + 1);
  dnnl_dims_t src_d = {(dnnl_dim_t)M, (dnnl_dim_t)L->in}, w_d = {(dnnl_dim_t)L->in, (dnnl_dim_t)L->out},
              b_d = {1, (dnnl_dim_t)L->out}, dst_d = {(dnnl_dim_t)M, (dnnl_dim_t)L->out};
  dnnl_memory_desc_t src_md, w_any, w_user, b_md, dst_md;
  DN(dnnl_memory_desc_init_by_tag(&src_md, 2, src_d, act_type(q, l), dnnl_ab), "src desc");
  DN(dnnl_memory_desc_init_by_tag(&w_any, 2, w_d, wt, dnnl_format_tag_any), "weights desc");
  DN(dnnl_memory_desc_init_by_tag(&w_user, 2, w_d, wt, dnnl_ab), "weights desc");
  DN(dnnl_memory_desc_init_by_tag(&b_md, 2, b_d, dnnl_f32, dnnl_ab), "bias desc");
  DN(dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_d, dt, dnnl_ab), "dst desc");
  dnnl_matmul_desc_t md;
  DN(dnnl_matmul_desc_init(&md, &src_md, &w_any, &b_md, &dst_md), "matmul desc");
  dnnl_primitive_attr_t attr;
  DN(dnnl_primitive_attr_create(&attr), "attr");
  dnnl_post_ops_t po = NULL;
  dnnl_status_t st = dnnl_success;
  if (int8) st = dnnl_primitive_attr_set_output_scales(attr, (dnnl_dim_t)L->out, 1 << 1, r->out_scales[l]);
  if (st == dnnl_success && !last) {
    float post_scale = int8 && q->spec.act != ACT_RELU ? 1.0f / q->layer[l + 1].in_scale : 1.0f;
    st = dnnl_post_ops_create(&po);
    if (st == dnnl_success) st = dnnl_post_ops_append_eltwise(po, post_scale, act_alg(q->spec.act), 0.f, 0.f);
    if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(attr, po);
  }
  dnnl_primitive_desc_t pd = NULL;
  if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &md, attr, r->eng, NULL);
  if (po) dnnl_post_ops_destroy(po);
  dnnl_primitive_attr_destroy(attr);
  if (st != dnnl_success)
    return dnnl_fail(st, int8 ? "int8 matmul (u8/s8 x s8 -> s32)" : q->precision == QUANT_BF16 ? "bf16 matmul" : "f32 matmul");
  const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  dnnl_memory_t user = NULL;
  st = dnnl_primitive_create(&s->mm[l], pd);
  if (st == dnnl_success) st = dnnl_memory_create(&s->w[l], w_md, r->eng, DNNL_MEMORY_ALLOCATE);
  if (st == dnnl_success)
    st = dnnl_memory_create(&user, &w_user, r->eng,
                            int8 ? (void *)L->w : L->w_bf16 ? (void *)L->w_bf16 : (void *)L->w_f32);
  if (st == dnnl_success) st = dnnl_memory_create(&s->b[l], &b_md, r->eng, r->bias[l]);
  if (st == dnnl_success && !last) st = dnnl_memory_create(&s->dst[l], &dst_md, r->eng, DNNL_MEMORY_ALLOCATE);
  if (st == dnnl_success && last) st = dnnl_memory_create(&s->dst[l], &dst_md, r->eng, DNNL_MEMORY_NONE);
  dnnl_primitive_desc_destroy(pd);
  tr_err rc = st == dnnl_success ? reorder(r, user, s->w[l], NULL, NULL) : dnnl_fail(st, "matmul memory");
  if (user) dnnl_memory_destroy(user);
  return rc;
}

/* The slot for M rows: found, or built in the next one (replacing what it held). */
static tr_err slot_for(quant_runner *r, size_t M, runner_slot **out) {
  for (int i = 0; i < RUNNER_SLOTS; i++)
    if (r->slot[i].rows == M) {
      *out = &r->slot[i];
      return TR_OK;
    }
  runner_slot *s = &r->slot[r->next];
  r->next = (r->next + 1) % RUNNER_SLOTS;
  slot_clear(s);
  const quant_model *q = r->q;
  dnnl_dims_t x_d = {(dnnl_dim_t)M, (dnnl_dim_t)q->spec.inputs};
  dnnl_memory_desc_t x_md, xq_md;
  DN(dnnl_memory_desc_init_by_tag(&x_md, 2, x_d, dnnl_f32, dnnl_ab), "input desc");
  DN(dnnl_memory_desc_init_by_tag(&xq_md, 2, x_d, act_type(q, 0), dnnl_ab), "input desc");
  DN(dnnl_memory_create(&s->x, &x_md, r->eng, DNNL_MEMORY_NONE), "input memory");
  if (q->precision != QUANT_FP32) /* f32 goes into the first matmul as it is */
    DN(dnnl_memory_create(&s->x_q, &xq_md, r->eng, DNNL_MEMORY_ALLOCATE), "input memory");
  dnnl_primitive_attr_t attr = NULL;
  if (q->precision == QUANT_INT8) {
    float inv = 1.0f / q->layer[0].in_scale;
    DN(dnnl_primitive_attr_create(&attr), "attr");
    dnnl_status_t st = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &inv);
    if (st != dnnl_success) {
      dnnl_primitive_attr_destroy(attr);
      return dnnl_fail(st, "input scale");
    }
  }
  tr_err rc = s->x_q ? reorder(r, s->x, s->x_q, attr, &s->in_reorder) : TR_OK;
  if (attr) dnnl_primitive_attr_destroy(attr);
  for (size_t l = 0; rc == TR_OK && l < q->n_layers; l++) rc = make_layer(r, s, l, M);
  if (rc != TR_OK) {
    slot_clear(s);
    return rc;
  }
  s->rows = M;
  *out = s;
  return TR_OK;
}

/* One chunk of at most RUNNER_CHUNK rows. */
static tr_err run_chunk(quant_runner *r, const float *X, size_t M, float *logits) {
  runner_slot *s;
  tr_err rc = slot_for(r, M, &s);
  if (rc != TR_OK) return rc;
  size_t last = r->q->n_layers - 1;
  DN(dnnl_memory_set_data_handle(s->x, (void *)X), "input handle");
  DN(dnnl_memory_set_data_handle(s->dst[last], logits), "output handle");
  dnnl_exec_arg_t rargs[] = {{DNNL_ARG_FROM, s->x}, {DNNL_ARG_TO, s->x_q}};
  if (s->in_reorder) DN(dnnl_primitive_execute(s->in_reorder, r->stream, 2, rargs), "input quantization");
  for (size_t l = 0; l <= last; l++) {
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, l ? s->dst[l - 1] : s->x_q ? s->x_q : s->x},
                              {DNNL_ARG_WEIGHTS, s->w[l]},
                              {DNNL_ARG_BIAS, s->b[l]},
                              {DNNL_ARG_DST, s->dst[l]}};
    DN(dnnl_primitive_execute(s->mm[l], r->stream, 4, args), "matmul");
  }
  DN(dnnl_stream_wait(r->stream), "stream wait");
  return TR_OK;
}

tr_err quant_runner_logits(quant_runner *r, const float *X, size_t rows, float *logits) {
  size_t in = r->q->spec.inputs, out = r->q->spec.outputs;
  for (size_t start = 0; start < rows; start += RUNNER_CHUNK) {
    size_t m = rows - start < RUNNER_CHUNK ? rows - start : RUNNER_CHUNK;
    tr_err rc = run_chunk(r, X + start * in, m, logits + start * out);
    if (rc != TR_OK) return rc;
  }
  return TR_OK;
}

tr_err quant_runner_predict(quant_runner *r, loss_head head, const float *X, size_t rows, float *out) {
  tr_err rc = quant_runner_logits(r, X, rows, out);
  if (rc == TR_OK) loss_predict(head, out, rows, r->q->spec.outputs, out);
  return rc;
}
