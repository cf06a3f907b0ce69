/* Numerically stable losses: BCE from logits as max(z,0) - z y + log1p(exp(-|z|)),
 * softmax cross-entropy with the row maximum subtracted. */
#include "trainer/loss.h"

#include <math.h>
#include <stdbool.h>

const char *loss_head_name(loss_head h) {
  static const char *const names[LOSS_HEADS] = {"binary", "multiclass", "regression"};
  return (unsigned)h < LOSS_HEADS ? names[h] : "?";
}

double loss_eval(loss_head h, const float *logits, const float *y, size_t rows, size_t width,
                 float *dlogits, float scale) {
  double sum = 0;
  /* serial: a parallel reduction would sum in thread-arrival order, and the result feeds
   * early stopping; callers parallelize over row chunks instead */
  for (size_t i = 0; i < rows; i++) {
    const float *z = logits + i * width;
    if (h == HEAD_BINARY) {
      /* one exponential serves the loss and the sigmoid: e = exp(-|z|) */
      float zi = z[0], t = y[i], e = expf(-fabsf(zi));
      sum += (double)(fmaxf(zi, 0.0f) - zi * t) + (double)log1pf(e);
      if (dlogits) {
        float p = zi >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
        dlogits[i] = (p - t) * scale;
      }
    } else if (h == HEAD_REGRESSION) {
      double e = (double)z[0] - y[i];
      sum += e * e;
      if (dlogits) dlogits[i] = (float)(2.0 * e) * scale;
    } else {
      /* one float exponential per logit (kept for the gradient when the row fits the
         buffer), summed in double */
      float m = z[0], e[256];
      for (size_t k = 1; k < width; k++) m = z[k] > m ? z[k] : m;
      bool keep = width <= sizeof e / sizeof *e;
      double se = 0;
      for (size_t k = 0; k < width; k++) {
        float ek = expf(z[k] - m);
        if (keep) e[k] = ek;
        se += ek;
      }
      size_t c = (size_t)y[i];
      sum += log(se) + m - z[c];
      if (dlogits) {
        float *d = dlogits + i * width, inv = (float)(1.0 / se);
        for (size_t k = 0; k < width; k++)
          d[k] = ((keep ? e[k] : expf(z[k] - m)) * inv - (float)(k == c)) * scale;
      }
    }
  }
  return sum;
}

void loss_predict(loss_head h, const float *logits, size_t rows, size_t width, float *out) {
#pragma omp parallel for schedule(static) if (rows * width > 16384)
  for (size_t i = 0; i < rows; i++) {
    const float *z = logits + i * width;
    float *o = out + i * width;
    if (h == HEAD_BINARY) {
      o[0] = z[0] >= 0 ? 1.0f / (1.0f + expf(-z[0])) : expf(z[0]) / (1.0f + expf(z[0]));
    } else if (h == HEAD_REGRESSION) {
      o[0] = z[0];
    } else {
      float m = z[0];
      for (size_t k = 1; k < width; k++) m = z[k] > m ? z[k] : m;
      double se = 0;
      for (size_t k = 0; k < width; k++) se += exp((double)z[k] - m);
      for (size_t k = 0; k < width; k++) o[k] = (float)(exp((double)z[k] - m) / se);
    }
  }
}
