/* `tradeoff quantize` (quantize.h): load the fp32 model, load the job's splits with the
 * code `train` uses and check that they are the model's (features, task, classes, the
 * training split's standardization), calibrate on evenly spaced training rows, save the
 * variant, then time and score fp32 and the variant on the same rows. fp32 runs the
 * trainer's forward pass as `predict` does (oneDNN's f32 matmul for batches, OpenBLAS's
 * sgemv for one row or one output: trainer/net.c), the variant oneDNN's low-precision
 * kernels. */
#include "experiments/quantize.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/host.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timer.h"
#include "experiments/job.h"
#include "experiments/run_splits.h"
#include "experiments/serve_cost.h"
#include "io/h5util.h"
#include "trainer/metrics.h"
#include "trainer/model_io.h"
#include "trainer/train.h"

const char *quantize_check_opts(const quantize_opts *o) {
  if (!o->model_path || !*o->model_path) return "MODEL.h5 is required";
  if (o->precision != QUANT_INT8 && o->precision != QUANT_BF16) return "--precision must be int8 or bf16";
  if (!o->out_path || !*o->out_path) return "--out is required";
  if (o->calibration_rows < 1 || o->calibration_rows > QUANTIZE_MAX_CALIBRATION_ROWS)
    return "--calibration-rows must be 1 .. 1000000";
  if (o->batch < 1 || o->batch > 65536) return "--batch must be 1 .. 65536";
  if (o->latency_requests < 1 || o->latency_requests > 1000000) return "--requests must be 1 .. 1000000";
  return NULL;
}

/* The resolved job text a model file keeps (malloc'd; NULL when it has none). */
static char *stored_job(const char *path) {
  hid_t f = h5u_open_rdonly(path, H5I_INVALID_HID);
  if (f < 0) return NULL;
  char *text = h5u_get_string_attr_dup(f, "job");
  H5Fclose(f);
  if (text && !*text) {
    free(text);
    text = NULL;
  }
  return text;
}

/* The job's data must be the model's: its features, task, classes and (within float
 * rounding) the standardization fitted on its training split. */
static tr_err check_fit(const model_file *mf, const run_splits *s, const char *job_name) {
  const char *mp = "quantize";
  if (s->train->cols != mf->model->spec.inputs)
    return tr_error_set(TR_EINPUT, mp, "%s's data has %zu features, the model %zu: not the model's job", job_name,
                        s->train->cols, mf->model->spec.inputs);
  if (s->head != mf->head)
    return tr_error_set(TR_EINPUT, mp, "%s's data makes a %s task, the model is %s: not the model's job", job_name,
                        loss_head_name(s->head), loss_head_name(mf->head));
  if (mf->head != HEAD_REGRESSION) {
    bool same = s->n_classes == mf->n_classes;
    for (size_t k = 0; same && k < s->n_classes; k++) same = s->classes[k] == mf->classes[k];
    if (!same)
      return tr_error_set(TR_EINPUT, mp, "%s's labels are not the model's classes: not the model's job", job_name);
  }
  if ((s->scale.cols != 0) != (mf->scale.cols != 0))
    return tr_error_set(TR_EINPUT, mp, "%s %s standardize but the model %s: not the model's job", job_name,
                        s->scale.cols ? "does" : "does not", mf->scale.cols ? "does" : "does not");
  for (size_t c = 0; c < s->scale.cols; c++) {
    double dm = fabs(s->scale.mean[c] - mf->scale.mean[c]), ds = fabs(s->scale.scale[c] - mf->scale.scale[c]);
    if (dm > 1e-6 * (1 + fabs(mf->scale.mean[c])) || ds > 1e-6 * (1 + fabs(mf->scale.scale[c])))
      return tr_error_set(TR_EINPUT, mp,
                          "%s's training split standardizes feature %zu with mean %g scale %g, the model "
                          "with %g, %g: not the data the model was trained on",
                          job_name, c + 1, s->scale.mean[c], s->scale.scale[c], mf->scale.mean[c],
                          mf->scale.scale[c]);
  }
  return TR_OK;
}

/* k rows of d evenly spaced over it (all rows when k >= d->rows), malloc'd. */
static float *calibration_rows(const ds_dataset *d, size_t *k) {
  if (*k > d->rows) *k = d->rows;
  float *X = ds_alloc_floats(*k * d->cols + 1);
  if (!X) return NULL;
  for (size_t i = 0; i < *k; i++) {
    size_t row = (size_t)((double)i * (double)d->rows / (double)*k);
    memcpy(X + i * d->cols, d->X + row * d->cols, d->cols * sizeof(float));
  }
  return X;
}

/* One of the two ways to predict: fp32 through the trainer's forward pass, or the
 * variant through its runner. */
typedef struct {
  const net *n;
  net_ws *ws;
  quant_runner *qr;
  loss_head head;
} predictor;

static tr_err predict_rows(predictor *p, const float *X, size_t rows, float *out) {
  if (p->qr) return quant_runner_predict(p->qr, p->head, X, rows, out);
  size_t in = p->n->spec.inputs, width = p->n->spec.outputs;
  for (size_t start = 0; start < rows; start += p->ws->max_rows) {
    size_t m = rows - start < p->ws->max_rows ? rows - start : p->ws->max_rows;
    const float *logits = net_forward(p->n, p->ws, X + start * in, m, false, NULL);
    loss_predict(p->head, logits, m, width, out + start * width);
  }
  return TR_OK;
}

/* Batch-1 latency over requests calls after a warm-up (percentiles in ms) and the
 * throughput at batch rows (the best of 5 timed rounds of >= 0.2 s each), into o. */
static tr_err time_predictor(predictor *p, const float *X, size_t avail, size_t batch, size_t requests,
                             cJSON *o) {
  size_t in = p->n->spec.inputs, width = p->n->spec.outputs;
  float *buf = ds_alloc_floats(batch * in), *out = ds_alloc_floats(batch * width);
  double *lat = malloc(requests * sizeof(double));
  tr_err rc = buf && out && lat ? TR_OK : tr_error_set(TR_ENOMEM, "quantize", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < batch; i++) /* the batch from the test rows, cycled */
    memcpy(buf + i * in, X + (i % avail) * in, in * sizeof(float));
  size_t warm = requests / 10 + 10;
  for (size_t i = 0; rc == TR_OK && i < warm + requests; i++) {
    double t0 = tr_now();
    rc = predict_rows(p, X + (i % avail) * in, 1, out);
    if (i >= warm) lat[i - warm] = (tr_now() - t0) * 1e3;
  }
  double best = 0;
  for (int round = 0; rc == TR_OK && round < 6; round++) { /* round 0 is the warm-up */
    size_t calls = 0;
    double t0 = tr_now(), t;
    do {
      rc = predict_rows(p, buf, batch, out);
      calls++;
    } while (rc == TR_OK && (t = tr_now() - t0) < 0.2);
    if (round > 0 && rc == TR_OK) best = fmax(best, (double)(calls * batch) / t);
  }
  if (rc == TR_OK) {
    cJSON *l = cJSON_AddObjectToObject(o, "latency_batch1");
    cJSON_AddNumberToObject(l, "requests", (double)requests);
    cJSON_AddNumberToObject(l, "warmup_requests", (double)warm);
    json_add_number(l, "p50_ms", serve_percentile(lat, requests, 50)); /* serve-bench's definition; sorts lat */
    json_add_number(l, "p99_ms", serve_percentile(lat, requests, 99));
    json_add_number(l, "min_ms", lat[0]);
    cJSON *t = cJSON_AddObjectToObject(o, "throughput");
    cJSON_AddNumberToObject(t, "batch", (double)batch);
    json_add_number(t, "rows_per_s", best);
  }
  free(buf);
  free(out);
  free(lat);
  return rc;
}

/* The test metrics of pred against d's labels (regression in the target's units). */
static void add_test_metrics(cJSON *o, const run_splits *s, const float *pred, size_t width) {
  const ds_dataset *d = s->test;
  if (!d->rows) return;
  if (s->head == HEAD_BINARY) {
    metrics_binary m = metrics_binary_eval(d->y, pred, d->rows);
    json_add_number(o, "accuracy", m.accuracy);
    json_add_number(o, "auc", m.auc);
    json_add_number(o, "log_loss", m.log_loss);
  } else if (s->head == HEAD_MULTICLASS) {
    metrics_multi m;
    if (metrics_multi_eval_no_auc(d->y, pred, d->rows, (int)width, &m) != TR_OK) return;
    json_add_number(o, "accuracy", m.accuracy);
    json_add_number(o, "log_loss", m.log_loss);
    metrics_multi_free(&m);
  } else {
    float *y = malloc(d->rows * sizeof(float)), *p = malloc(d->rows * sizeof(float));
    if (y && p) {
      memcpy(y, d->y, d->rows * sizeof(float));
      memcpy(p, pred, d->rows * sizeof(float));
      target_scaler_invert(&s->target, y, d->rows);
      target_scaler_invert(&s->target, p, d->rows);
      metrics_regression m = metrics_regression_eval(y, p, d->rows);
      json_add_number(o, "rmse", m.rmse);
      json_add_number(o, "mae", m.mae);
      json_add_number(o, "r2", m.r2);
    }
    free(y);
    free(p);
  }
}

/* The class a row's prediction picks (binary: p >= 0.5). */
static size_t argmax(const float *p, size_t width, loss_head head) {
  if (head == HEAD_BINARY) return p[0] >= 0.5f;
  size_t best = 0;
  for (size_t k = 1; k < width; k++)
    if (p[k] > p[best]) best = k;
  return best;
}

/* The variant's test predictions against fp32's: argmax agreement, prediction gaps. */
static void add_agreement(cJSON *o, const float *ref, const float *q, size_t rows, size_t width, loss_head head) {
  size_t agree = 0;
  double max_diff = 0, sum_diff = 0;
  for (size_t i = 0; i < rows; i++) {
    if (head != HEAD_REGRESSION) agree += argmax(ref + i * width, width, head) == argmax(q + i * width, width, head);
    for (size_t k = 0; k < width; k++) {
      double d = fabs((double)ref[i * width + k] - q[i * width + k]);
      max_diff = fmax(max_diff, d);
      sum_diff += d;
    }
  }
  cJSON *a = cJSON_AddObjectToObject(o, "vs_fp32");
  if (head != HEAD_REGRESSION) json_add_number(a, "argmax_agreement", rows ? (double)agree / (double)rows : NAN);
  json_add_number(a, head == HEAD_REGRESSION ? "max_abs_diff" : "max_abs_prob_diff", max_diff);
  json_add_number(a, head == HEAD_REGRESSION ? "mean_abs_diff" : "mean_abs_prob_diff",
                  rows ? sum_diff / (double)(rows * width) : NAN);
}

static long file_bytes(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The change of every test metric of the variant against fp32's (accuracy also in
 * percentage points). */
static void add_changes(cJSON *o, const cJSON *ref, const cJSON *q) {
  cJSON *c = cJSON_AddObjectToObject(o, "test_change");
  const cJSON *m;
  cJSON_ArrayForEach(m, ref) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, m->string);
    if (!cJSON_IsNumber(m) || !cJSON_IsNumber(v)) continue;
    json_add_number(c, m->string, v->valuedouble - m->valuedouble);
    if (!strcmp(m->string, "accuracy")) json_add_number(c, "accuracy_points", 100 * (v->valuedouble - m->valuedouble));
  }
}

/* One precision's entry: sizes, timings, test metrics (pred_out: its test predictions). */
static tr_err measure(predictor *p, const char *precision, const char *kernel, size_t bytes, long fbytes,
                      const run_splits *s, const quantize_opts *o, float *pred_out, cJSON *entry) {
  cJSON_AddStringToObject(entry, "precision", precision);
  cJSON_AddStringToObject(entry, "kernel", kernel);
  cJSON_AddNumberToObject(entry, "param_bytes", (double)bytes);
  if (fbytes >= 0) cJSON_AddNumberToObject(entry, "file_bytes", (double)fbytes);
  const ds_dataset *d = s->test->rows ? s->test : s->train;
  tr_err rc = time_predictor(p, d->X, d->rows, o->batch, o->latency_requests, entry);
  if (rc == TR_OK && s->test->rows) rc = predict_rows(p, s->test->X, s->test->rows, pred_out);
  if (rc == TR_OK) add_test_metrics(cJSON_AddObjectToObject(entry, "test"), s, pred_out, p->n->spec.outputs);
  return rc;
}

/* fp32 on oneDNN's f32 matmul too: the same kernel library at full precision, so that
 * the variant's gain can be split into kernel and precision (timings only). */
static tr_err measure_reference(const net *n, loss_head head, const run_splits *s, const quantize_opts *o,
                                cJSON *r) {
  quant_model *ref = NULL;
  quant_runner *qr = NULL;
  tr_err rc = quant_build(n, QUANT_FP32, NULL, 0, &ref);
  if (rc == TR_OK) rc = quant_runner_new(ref, &qr);
  if (rc == TR_OK) {
    cJSON *e = cJSON_AddObjectToObject(r, "reference_fp32_onednn");
    cJSON_AddStringToObject(e, "kernel", "oneDNN matmul f32 x f32 -> f32");
    predictor p = {.n = n, .qr = qr, .head = head};
    const ds_dataset *d = s->test->rows ? s->test : s->train;
    rc = time_predictor(&p, d->X, d->rows, o->batch, o->latency_requests, e);
  }
  quant_runner_free(&qr);
  quant_free(&ref);
  return rc;
}

static char *default_json(const char *out) {
  size_t n = strlen(out);
  bool h5 = n > 3 && !strcmp(out + n - 3, ".h5");
  char *p = malloc(n + 6);
  if (!p) return NULL;
  memcpy(p, out, h5 ? n - 3 : n);
  strcpy(p + (h5 ? n - 3 : n), ".json");
  return p;
}

tr_err quantize_run(const quantize_opts *o, cJSON **report) {
  *report = NULL;
  const char *bad = quantize_check_opts(o);
  if (bad) return tr_error_set(TR_EUSAGE, "quantize", "%s", bad);
  tr_err rc = quant_check_host(o->precision);
  if (rc != TR_OK) return rc;
  struct stat st, ms;
  bool exists = stat(o->out_path, &st) == 0;
  if (exists && stat(o->model_path, &ms) == 0 && st.st_dev == ms.st_dev && st.st_ino == ms.st_ino)
    return tr_error_set(TR_EUSAGE, o->out_path, "is MODEL.h5 itself: the variant needs its own --out");
  if (!o->force && exists)
    return tr_error_set(TR_EUSAGE, o->out_path, "exists (use --force to replace it)");
  char *json_path = o->json_path ? strdup(o->json_path) : default_json(o->out_path);
  if (!json_path) return tr_error_set(TR_ENOMEM, "quantize", "out of memory");
  model_file mf;
  if ((rc = model_load(o->model_path, &mf)) != TR_OK) {
    free(json_path);
    return rc;
  }
  job *j = NULL;
  char *text = NULL;
  const char *job_name = o->job_path;
  if (mf.quant)
    rc = tr_error_set(TR_EINPUT, o->model_path, "is already %s: quantize the fp32 model",
                      quant_precision_name(mf.quant->precision));
  else if (o->job_path)
    j = job_load(o->job_path, NULL, 0);
  else if ((text = stored_job(o->model_path)))
    j = job_load_text(text, (job_name = "the model's stored job"));
  else
    rc = tr_error_set(TR_EUSAGE, o->model_path, "keeps no job: give JOB.ini");
  if (rc == TR_OK && !j) rc = tr_error_code();
  run_splits s = {0};
  quant_model *q = NULL;
  quant_runner *qr = NULL;
  net_ws *ws = NULL;
  float *calib = NULL, *ref = NULL, *qpred = NULL;
  size_t k = o->calibration_rows;
  if (rc == TR_OK) rc = run_load_splits(j, &s);
  if (rc == TR_OK) rc = check_fit(&mf, &s, job_name);
  if (rc == TR_OK && !(calib = calibration_rows(s.train, &k))) rc = tr_error_code();
  if (rc == TR_OK) {
    log_info("quantize: %s to %s, calibrating on %zu training rows", o->model_path,
             quant_precision_name(o->precision), k);
    rc = quant_build(mf.model, o->precision, calib, k, &q);
  }
  if (rc == TR_OK) {
    model_meta meta = {.head = mf.head, .scale = &mf.scale, .target = mf.target, .classes = mf.classes,
                       .n_classes = mf.n_classes, .model_type = mf.model_type, .job_text = text,
                       .feature_names = mf.feature_names, .label_column = mf.label_column,
                       .x_dataset = mf.x_dataset, .y_dataset = mf.y_dataset, .quant = q,
                       .prep = mf.prep, .class_names = mf.class_names}; /* all but the weights as in fp32 */
    char *jt = text ? NULL : job_text(j);
    if (!text) meta.job_text = jt;
    rc = model_save(o->out_path, mf.model, &meta);
    free(jt);
  }
  size_t width = mf.model->spec.outputs, test_rows = s.test ? s.test->rows : 0;
  if (rc == TR_OK && (!(ws = net_ws_new(mf.model, 1024)))) rc = tr_error_code();
  if (rc == TR_OK) rc = quant_runner_new(q, &qr);
  if (rc == TR_OK && (!(ref = ds_alloc_floats(test_rows * width + 1)) || !(qpred = ds_alloc_floats(test_rows * width + 1))))
    rc = tr_error_set(TR_ENOMEM, "quantize", "out of memory");
  cJSON *r = rc == TR_OK ? cJSON_CreateObject() : NULL;
  if (rc == TR_OK && !r) rc = tr_error_set(TR_ENOMEM, "quantize", "out of memory");
  if (rc == TR_OK) {
    host_info h;
    host_describe(&h);
    cJSON_AddStringToObject(r, "model", o->model_path);
    cJSON_AddStringToObject(r, "out", o->out_path);
    cJSON_AddStringToObject(r, "job", o->job_path ? o->job_path : "(stored in the model)");
    cJSON_AddStringToObject(r, "task", loss_head_name(mf.head));
    cJSON *ho = cJSON_AddObjectToObject(r, "host");
    cJSON_AddStringToObject(ho, "name", h.name);
    cJSON_AddStringToObject(ho, "cpu", h.cpu);
    cJSON_AddNumberToObject(ho, "cores", h.cores);
    cJSON_AddNumberToObject(ho, "threads", train_threads());
    cJSON_AddStringToObject(ho, "onednn_isa", quant_isa_name());
    cJSON_AddNumberToObject(r, "calibration_rows", (double)k);
    cJSON_AddNumberToObject(r, "test_rows", (double)test_rows);
    cJSON *list = cJSON_AddArrayToObject(r, "precisions");
    cJSON *e32 = cJSON_CreateObject(), *eq = cJSON_CreateObject();
    cJSON_AddItemToArray(list, e32);
    cJSON_AddItemToArray(list, eq);
    predictor p32 = {.n = mf.model, .ws = ws, .head = mf.head}, pq = {.n = mf.model, .qr = qr, .head = mf.head};
    rc = measure(&p32, "fp32", "the trainer's forward pass, as predict runs it (oneDNN f32 matmul for batches, OpenBLAS sgemv for one row)", quant_fp32_bytes(mf.model),
                 file_bytes(o->model_path), &s, o, ref, e32);
    if (rc == TR_OK)
      rc = measure(&pq, quant_precision_name(o->precision),
                   o->precision == QUANT_INT8 ? "oneDNN matmul u8/s8 x s8 -> s32, per-channel scales"
                                              : "oneDNN matmul bf16 x bf16 -> f32",
                   quant_bytes(q), file_bytes(o->out_path), &s, o, qpred, eq);
    if (rc == TR_OK) rc = measure_reference(mf.model, mf.head, &s, o, r);
    if (rc == TR_OK) {
      add_changes(eq, cJSON_GetObjectItem(e32, "test"), cJSON_GetObjectItem(eq, "test"));
      if (mf.head == HEAD_REGRESSION) { /* the gaps in the target's units, as the metrics */
        target_scaler_invert(&s.target, ref, test_rows);
        target_scaler_invert(&s.target, qpred, test_rows);
      }
      if (test_rows) add_agreement(eq, ref, qpred, test_rows, width, mf.head);
      double t32 = json_number_at(e32, "throughput", "rows_per_s"), tq = json_number_at(eq, "throughput", "rows_per_s");
      double l32 = json_number_at(e32, "latency_batch1", "p50_ms"), lq = json_number_at(eq, "latency_batch1", "p50_ms");
      cJSON *ratio = cJSON_AddObjectToObject(eq, "vs_fp32_speed");
      json_add_number(ratio, "throughput_ratio", t32 > 0 ? tq / t32 : NAN);
      json_add_number(ratio, "latency_p50_ratio", l32 > 0 ? lq / l32 : NAN);
      json_add_number(ratio, "size_ratio", (double)quant_bytes(q) / (double)quant_fp32_bytes(mf.model));
      rc = json_write_file(json_path, r);
    }
    if (rc == TR_OK) cJSON_AddStringToObject(r, "report", json_path);
  }
  if (rc == TR_OK) *report = r;
  else cJSON_Delete(r);
  quant_runner_free(&qr);
  quant_free(&q);
  net_ws_free(&ws);
  free(calib);
  free(ref);
  free(qpred);
  free(text);
  free(json_path);
  run_splits_free(&s);
  job_free(&j);
  model_file_free(&mf);
  return rc;
}
