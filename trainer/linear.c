/* Minibatch SGD for linear and logistic regression. A batch's rows are gathered into a
 * contiguous buffer; the forward pass is one cblas_sgemv (z = Xb w), the gradient
 * another (Xb^T g). L2 is added to the gradient, L1 applied as a proximal
 * (soft-threshold) step so weights reach exact zeros. */
#include "trainer/linear.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/timer.h"
#include "trainer/metrics.h"

lin_model *lin_new(lin_task task, size_t features) {
  lin_model *m = calloc(1, sizeof *m);
  if (!m) return tr_check_alloc(NULL, "model");
  m->task = task;
  m->features = features;
  m->w = ds_alloc_floats(features);
  if (!m->w) lin_free(&m);
  return m ? m : tr_check_alloc(NULL, "model");
}

void lin_free(lin_model **m) {
  if (!m || !*m) return;
  free((*m)->w);
  free(*m);
  *m = NULL;
}

const char *lin_check_params(const lin_params *p) {
  if (!(p->lr > 0)) return "optimizer.lr must be positive";
  if (p->l1 < 0 || p->l2 < 0) return "optimizer.l1 and optimizer.l2 must not be negative";
  if (p->batch_size == 0) return "optimizer.batch_size must be at least 1";
  if (p->epochs < 1) return "optimizer.epochs must be at least 1";
  return NULL;
}

static inline float sigmoid(float z) {
  return z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
}

/* out = link(X w + b) for n rows of X (row-major, m->features columns). */
static void forward(const lin_model *m, const float *X, size_t n, float *out) {
  if (n == 0) return;
  cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)m->features, 1.0f, X,
              (int)m->features, m->w, 1, 0.0f, out, 1);
#pragma omp parallel for schedule(static) if (n > 4096)
  for (size_t i = 0; i < n; i++) {
    float z = out[i] + m->b;
    out[i] = m->task == TASK_BINARY ? sigmoid(z) : z;
  }
}

void lin_predict(const lin_model *m, const ds_dataset *d, float *out) {
  forward(m, d->X, d->rows, out);
}

double lin_loss(const lin_model *m, const float *y, const float *pred, size_t n) {
  if (m->task == TASK_BINARY) return metrics_log_loss(y, pred, n);
  return metrics_regression_eval(y, pred, n).mse;
}

double lin_metric(const lin_model *m, const char *name, const float *y, const float *pred,
                  size_t n) {
  if (m->task == TASK_BINARY) {
    metrics_binary b = metrics_binary_eval(y, pred, n);
    return metrics_binary_get(&b, name);
  }
  metrics_regression r = metrics_regression_eval(y, pred, n);
  return metrics_regression_get(&r, name);
}

/* One SGD step on the batch in Xb/yb; returns the batch's mean loss. */
static double sgd_step(lin_model *m, const lin_params *p, const float *Xb, const float *yb,
                       size_t n, float *pred, float *grad) {
  forward(m, Xb, n, pred);
  double loss = lin_loss(m, yb, pred, n), gb = 0;
  for (size_t i = 0; i < n; i++) {
    /* d loss / d z: p - y for log-loss with sigmoid; 2 (pred - y) for MSE */
    pred[i] = (m->task == TASK_BINARY ? 1.0f : 2.0f) * (pred[i] - yb[i]) / (float)n;
    gb += pred[i];
  }
  cblas_sgemv(CblasRowMajor, CblasTrans, (int)n, (int)m->features, 1.0f, Xb, (int)m->features,
              pred, 1, 0.0f, grad, 1);
  float lr = (float)p->lr, l2 = (float)p->l2, shrink = (float)(p->lr * p->l1);
  for (size_t j = 0; j < m->features; j++) {
    float w = m->w[j] - lr * (grad[j] + l2 * m->w[j]);
    if (shrink > 0) w = w > shrink ? w - shrink : w < -shrink ? w + shrink : 0.0f;
    m->w[j] = w;
  }
  m->b -= (float)(p->lr * gb);
  return loss;
}

tr_err lin_fit(lin_model *m, const ds_dataset *train, const ds_dataset *val,
               const lin_params *p, lin_epoch_fn on_epoch, void *user, lin_outcome *out) {
  const char *bad = lin_check_params(p);
  if (bad) return tr_error_set(TR_ECONFIG, "optimizer", "%s", bad);
  if (p->threads > 0) omp_set_num_threads(p->threads);
  size_t n = train->rows, d = m->features, bs = p->batch_size < n ? p->batch_size : n;
  size_t *order = malloc(n * sizeof(size_t));
  float *Xb = ds_alloc_floats(bs * d), *yb = ds_alloc_floats(bs), *pred = ds_alloc_floats(bs);
  float *grad = ds_alloc_floats(d), *best_w = ds_alloc_floats(d);
  float *val_pred = ds_alloc_floats(val->rows ? val->rows : 1);
  tr_err rc = TR_OK;
  if (!order || !Xb || !yb || !pred || !grad || !best_w || !val_pred) {
    rc = tr_error_set(TR_ENOMEM, "training", "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) order[i] = i;
  rng_t r;
  rng_seed(&r, p->seed);
  rng_t shuffle_rng = rng_split(&r, 1);
  es_state es = p->es;
  const char *monitor = strncmp(p->monitor, "val_", 4) == 0 ? p->monitor + 4 : p->monitor;
  float best_b = m->b;
  memcpy(best_w, m->w, d * sizeof(float));
  memset(out, 0, sizeof *out);
  out->stop_reason = "max_epochs";
  double t_start = tr_now();
  for (int epoch = 1; epoch <= p->epochs; epoch++) {
    double t_epoch = tr_now(), loss_sum = 0;
    rng_shuffle(&shuffle_rng, order, n);
    for (size_t start = 0; start < n; start += bs) {
      size_t nb = start + bs <= n ? bs : n - start;
      for (size_t i = 0; i < nb; i++) {
        memcpy(Xb + i * d, train->X + order[start + i] * d, d * sizeof(float));
        yb[i] = train->y[order[start + i]];
      }
      loss_sum += sgd_step(m, p, Xb, yb, nb, pred, grad) * (double)nb;
    }
    lin_epoch e = {.epoch = epoch, .train_loss = loss_sum / (double)n, .lr = p->lr};
    if (val->rows) {
      lin_predict(m, val, val_pred);
      e.val_loss = lin_loss(m, val->y, val_pred, val->rows);
      e.val_monitor = strcmp(monitor, "loss") == 0
                          ? e.val_loss
                          : lin_metric(m, monitor, val->y, val_pred, val->rows);
    } else {
      e.val_loss = e.val_monitor = NAN;
    }
    e.epoch_s = tr_now() - t_epoch;
    out->compute_s += e.epoch_s;
    out->epochs_run = epoch;
    double watched = val->rows ? e.val_monitor : e.train_loss;
    if (es_update(&es, epoch, watched)) {
      memcpy(best_w, m->w, d * sizeof(float));
      best_b = m->b;
    }
    if (on_epoch) on_epoch(&e, user);
    if (!isfinite(e.train_loss)) {
      out->stop_reason = "non_finite";
      rc = tr_error_set(TR_ENUMERIC, "training",
                        "the training loss became non-finite at epoch %d (lower optimizer.lr?)",
                        epoch);
      break;
    }
    if (es_should_stop(&es, epoch)) {
      out->stop_reason = "patience";
      break;
    }
  }
  out->best_epoch = es.best_epoch ? es.best_epoch : out->epochs_run;
  if (p->restore_best && es.best_epoch) {
    memcpy(m->w, best_w, d * sizeof(float));
    m->b = best_b;
  }
  out->train_s = tr_now() - t_start;
done:
  free(order);
  free(Xb);
  free(yb);
  free(pred);
  free(grad);
  free(best_w);
  free(val_pred);
  return rc;
}
