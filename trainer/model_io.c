/* Model files in HDF5 (layout in model_io.h). Written to a temporary name and renamed,
 * so an interrupted save never leaves a model that looks complete. */
#include "trainer/model_io.h"

#include <hdf5.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "io/h5util.h"

#define FORMAT "tradeoff-model"
#define FORMAT_VERSION 3 /* 3: regression targets standardized (2 still loads) */

static const char *act_names[] = {"relu", "tanh", "sigmoid"};

tr_err model_save(const char *path, const net *n, const model_meta *m) {
  loss_head head = m->head;
  const scaler *sc = m->scale;
  const float *classes = m->classes;
  size_t n_classes = m->n_classes;
  const char *model_type = m->model_type, *job_text = m->job_text;
  hid_t f = h5u_create_memory();
  if (f < 0) return tr_error_set(TR_EHDF5, path, "cannot build the model file");
  long version = FORMAT_VERSION, features = (long)n->spec.inputs, outputs = (long)n->spec.outputs;
  long hidden[NET_MAX_LAYERS];
  for (size_t i = 0; i < n->spec.n_hidden; i++) hidden[i] = (long)n->spec.hidden[i];
  herr_t bad = 0;
  bad |= h5u_put_string_attr(f, "format", FORMAT);
  bad |= h5u_put_longs_attr(f, "format_version", &version, 1, true);
  bad |= h5u_put_string_attr(f, "model_type", model_type);
  bad |= h5u_put_string_attr(f, "task", loss_head_name(head));
  bad |= h5u_put_longs_attr(f, "features", &features, 1, true);
  bad |= h5u_put_longs_attr(f, "outputs", &outputs, 1, true);
  bad |= h5u_put_longs_attr(f, "hidden", hidden, n->spec.n_hidden, false);
  bad |= h5u_put_string_attr(f, "activation", act_names[n->spec.act]);
  bad |= h5u_put_double_attr(f, "dropout", n->spec.dropout);
  bad |= h5u_put_string_attr(f, "created_by", "tradeoff " TRADEOFF_VERSION);
  bad |= h5u_put_string_attr(f, "job", job_text ? job_text : "");
  bad |= h5u_put_string_attr(f, "precision", quant_precision_name(m->quant ? m->quant->precision : QUANT_FP32));
  if (m->quant) bad |= quant_write(f, m->quant);
  for (size_t l = 0; !m->quant && l < n->n_layers; l++) {
    const net_layer *L = &n->layer[l];
    char name[64];
    snprintf(name, sizeof name, "layers/%zu/W", l);
    bad |= h5u_put_array(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, L->in, L->out, n->params + L->w_off);
    snprintf(name, sizeof name, "layers/%zu/b", l);
    bad |= h5u_put_array(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, L->out, 0, n->params + L->b_off);
  }
  if (sc && sc->cols) {
    bad |= h5u_put_array(f, "scaler/mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sc->cols, 0, sc->mean);
    bad |= h5u_put_array(f, "scaler/scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sc->cols, 0, sc->scale);
  }
  if (classes && n_classes)
    bad |= h5u_put_array(f, "classes", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n_classes, 0, classes);
  if (m->feature_names && h5u_put_strings_attr(f, "feature_names", m->feature_names, n->spec.inputs, path) != TR_OK)
    bad = -1;
  if (m->label_column) bad |= h5u_put_string_attr(f, "label_column", m->label_column);
  bad |= h5u_put_string_attr(f, "x_dataset", m->x_dataset ? m->x_dataset : "X");
  bad |= h5u_put_string_attr(f, "y_dataset", m->y_dataset ? m->y_dataset : "y");
  if (m->class_names && classes && n_classes &&
      h5u_put_strings_attr(f, "class_names", m->class_names, n_classes, path) != TR_OK)
    bad = -1;
  if (m->prep) bad |= prep_h5_save(f, m->prep);
  if (head == HEAD_REGRESSION) {
    bad |= h5u_put_double_attr(f, "target_mean", m->target.mean);
    bad |= h5u_put_double_attr(f, "target_scale", m->target.scale);
  }
  return h5u_commit_image(f, bad >= 0, path, "model file");
}

/* Reads exactly n floats of dataset name, or records why not. */
static tr_err get_floats(hid_t loc, const char *path, const char *name, float *v, size_t n) {
  if (!h5u_get_array(loc, name, H5T_NATIVE_FLOAT, n, v))
    return tr_error_set(TR_EINPUT, path, "'%s' is missing or has the wrong size (want %zu values)",
                        name, n);
  return TR_OK;
}

static int index_of(const char *const *names, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], s)) return i;
  return -1;
}

void model_file_free(model_file *mf) {
  if (mf->model) h5u_free_strings(mf->feature_names, mf->model->spec.inputs);
  mf->feature_names = NULL;
  free(mf->x_dataset);
  free(mf->y_dataset);
  mf->x_dataset = mf->y_dataset = NULL;
  net_free(&mf->model);
  quant_free(&mf->quant);
  scaler_free(&mf->scale);
  h5u_free_strings(mf->class_names, mf->n_classes);
  mf->class_names = NULL;
  prep_free(&mf->prep);
  free(mf->classes);
  mf->classes = NULL;
}

/* The number of values of attribute name of obj; -1 when it is absent. */
static long attr_points(hid_t obj, const char *name) {
  if (H5Aexists(obj, name) <= 0) return -1;
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT), space = attr < 0 ? H5I_INVALID_HID : H5Aget_space(attr);
  hssize_t n = space < 0 ? 0 : H5Sget_simple_extent_npoints(space);
  if (space >= 0) H5Sclose(space);
  if (attr >= 0) H5Aclose(attr);
  return n < 0 ? 0 : (long)n;
}

/* A regression's target scaler (format 3): target_mean finite, target_scale finite > 0. */
static tr_err read_target(hid_t f, const char *path, target_scaler *t) {
  if (!h5u_get_double_attr(f, "target_mean", &t->mean))
    return tr_error_set(TR_EINPUT, path, "regression model file has no target_mean (damaged)");
  if (!h5u_get_double_attr(f, "target_scale", &t->scale))
    return tr_error_set(TR_EINPUT, path, "regression model file has no target_scale (damaged)");
  if (!isfinite(t->mean))
    return tr_error_set(TR_EINPUT, path, "model file's target_mean is %g, not a finite number (damaged)", t->mean);
  if (!(t->scale > 0) || !isfinite(t->scale))
    return tr_error_set(TR_EINPUT, path, "model file's target_scale is %g, not a positive finite number (damaged)",
                        t->scale);
  return TR_OK;
}

/* The precision attribute (absent: fp32); a quantized variant's /quant group into
 * out->quant and its dequantized weights into out->model. */
static tr_err read_precision(hid_t f, const char *path, model_file *out) {
  char name[16] = "fp32";
  if (H5Aexists(f, "precision") > 0 && !h5u_get_string_attr(f, "precision", name, sizeof name))
    return tr_error_set(TR_EINPUT, path, "model file's precision is not a short string (damaged)");
  int p = quant_precision_parse(name);
  if (p < 0) return tr_error_set(TR_EINPUT, path, "model precision \"%s\"; this tradeoff reads fp32, int8, bf16", name);
  if (p == QUANT_FP32) return TR_OK;
  tr_err rc = quant_read(f, path, (quant_precision)p, &out->model->spec, &out->quant);
  if (rc == TR_OK) quant_dequantize(out->quant, out->model);
  return rc;
}

static tr_err read_model(hid_t f, const char *path, model_file *out) {
  char format[64] = "", task[32] = "", act[32] = "relu";
  long version = 0, features = 0, outputs = 0, hidden[NET_MAX_LAYERS];
  if (!h5u_get_string_attr(f, "format", format, sizeof format) || strcmp(format, FORMAT) != 0)
    return tr_error_set(TR_EINPUT, path, "not a tradeoff model file (no format = \"" FORMAT "\")");
  h5u_get_longs_attr(f, "format_version", &version, 1);
  if (version != FORMAT_VERSION && version != 2)
    return tr_error_set(TR_EINPUT, path, "model format version %ld; this tradeoff reads versions 2 and %d",
                        version, FORMAT_VERSION);
  h5u_get_string_attr(f, "task", task, sizeof task);
  h5u_get_string_attr(f, "activation", act, sizeof act);
  h5u_get_string_attr(f, "model_type", out->model_type, sizeof out->model_type);
  long n_hidden = h5u_get_longs_attr(f, "hidden", hidden, NET_MAX_LAYERS - 1);
  int head = -1, activation = index_of(act_names, 3, act);
  for (int h = 0; h < LOSS_HEADS; h++)
    if (!strcmp(task, loss_head_name((loss_head)h))) head = h;
  if (h5u_get_longs_attr(f, "features", &features, 1) != 1 || h5u_get_longs_attr(f, "outputs", &outputs, 1) != 1 ||
      features <= 0 || outputs <= 0 || outputs > MODEL_MAX_OUTPUTS || n_hidden < 0 || head < 0 ||
      activation < 0)
    return tr_error_set(TR_EINPUT, path, "model file has damaged metadata");
  net_spec spec = {.inputs = (size_t)features, .outputs = (size_t)outputs,
                   .n_hidden = (size_t)n_hidden, .act = (net_act)activation};
  for (long i = 0; i < n_hidden; i++) spec.hidden[i] = hidden[i] > 0 ? (size_t)hidden[i] : 0;
  double dropout = 0;
  h5u_get_double_attr(f, "dropout", &dropout);
  spec.dropout = (float)dropout;
  out->head = (loss_head)head;
  out->target = TARGET_SCALER_NONE;
  if (head == HEAD_REGRESSION && version >= 3) {
    tr_err trc = read_target(f, path, &out->target);
    if (trc != TR_OK) return trc;
  }
  if (!(out->model = net_new(&spec))) return tr_error_code();
  h5u_get_string_attr(f, "label_column", out->label_column, sizeof out->label_column);
  if (!(out->x_dataset = h5u_get_string_attr_dup(f, "x_dataset"))) out->x_dataset = strdup("X");
  if (!(out->y_dataset = h5u_get_string_attr_dup(f, "y_dataset"))) out->y_dataset = strdup("y");
  if (!out->x_dataset || !out->y_dataset) return tr_error_set(TR_ENOMEM, path, "out of memory");
  long n_names = attr_points(f, "feature_names");
  if (n_names >= 0 && n_names != features) /* the data files' reader would drop them, said */
    return tr_error_set(TR_EINPUT, path, "model file has %ld feature_names for %ld features (damaged)", n_names,
                        features);
  tr_err nrc = h5u_get_strings_attr(f, "feature_names", (size_t)features, &out->feature_names, path);
  if (nrc != TR_OK) return nrc;
  if (n_names >= 0 && !out->feature_names) /* not strings */
    return tr_error_set(TR_EINPUT, path, "model file's feature_names are not strings (damaged)");
  tr_err qrc = read_precision(f, path, out);
  if (qrc != TR_OK) return qrc;
  for (size_t l = 0; !out->quant && l < out->model->n_layers; l++) {
    const net_layer *L = &out->model->layer[l];
    char name[64];
    snprintf(name, sizeof name, "layers/%zu/W", l);
    tr_err rc = get_floats(f, path, name, out->model->params + L->w_off, L->in * L->out);
    snprintf(name, sizeof name, "layers/%zu/b", l);
    if (rc == TR_OK) rc = get_floats(f, path, name, out->model->params + L->b_off, L->out);
    if (rc != TR_OK) return rc;
  }
  if (head != HEAD_REGRESSION) {
    out->n_classes = head == HEAD_BINARY ? 2 : (size_t)outputs;
    if (!(out->classes = malloc(out->n_classes * sizeof(float))))
      return tr_error_set(TR_ENOMEM, path, "out of memory");
    tr_err rc = get_floats(f, path, "classes", out->classes, out->n_classes);
    if (rc == TR_OK) rc = h5u_get_strings_attr(f, "class_names", out->n_classes, &out->class_names, path);
    if (rc != TR_OK) return rc;
  }
  tr_err prc = prep_h5_load(f, path, &out->prep);
  if (prc != TR_OK) return prc;
  if (out->prep && out->prep->outputs != (size_t)features)
    return tr_error_set(TR_EINPUT, path, "model file's /prep makes %zu features for a model of %ld (damaged)",
                        out->prep->outputs, features);
  if (H5Lexists(f, "scaler", H5P_DEFAULT) > 0) {
    out->scale.cols = (size_t)features;
    out->scale.mean = malloc((size_t)features * sizeof(double));
    out->scale.scale = malloc((size_t)features * sizeof(double));
    if (!out->scale.mean || !out->scale.scale ||
        !h5u_get_array(f, "scaler/mean", H5T_NATIVE_DOUBLE, (size_t)features, out->scale.mean) ||
        !h5u_get_array(f, "scaler/scale", H5T_NATIVE_DOUBLE, (size_t)features, out->scale.scale))
      return tr_error_set(TR_EINPUT, path, "model file has a damaged scaler");
  }
  return TR_OK;
}

tr_err model_load(const char *path, model_file *out) {
  memset(out, 0, sizeof *out);
  h5u_quiet();
  FILE *probe = fopen(path, "rb");
  if (!probe) return tr_error_set(TR_EINPUT, path, "no such model file");
  fclose(probe);
  if (H5Fis_hdf5(path) <= 0) return tr_error_set(TR_EINPUT, path, "not an HDF5 file");
  hid_t f = h5u_open_rdonly(path, H5I_INVALID_HID);
  if (f < 0) return tr_error_set(TR_EINPUT, path, "cannot open model file");
  tr_err rc = read_model(f, path, out);
  H5Fclose(f);
  if (rc != TR_OK) model_file_free(out);
  return rc;
}
