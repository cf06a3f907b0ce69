/* Optimizer updates (PyTorch's formulations): momentum v = mu v + g, p -= lr v; nesterov
 * p -= lr (g + mu v); adam with bias correction; adamw decays weights by lr * l2 before
 * the adam step. L1 is a proximal soft-threshold by lr * l1 after the step, which gives
 * exact zeros. */
#include "trainer/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"

int opt_kind_from_name(const char *name) {
  static const char *names[] = {"sgd", "momentum", "nesterov", "adam", "adamw", "lbfgs"};
  for (int i = 0; i < 6; i++)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

opt_state *opt_new(opt_kind kind, size_t n, double l1, double l2) {
  opt_state *o = calloc(1, sizeof *o);
  if (!o) return tr_check_alloc(NULL, "optimizer");
  *o = (opt_state){.kind = kind, .l1 = l1, .l2 = l2, .momentum = 0.9, .beta1 = 0.9,
                   .beta2 = 0.999, .eps = 1e-8, .n = n};
  bool need_m = kind != OPT_SGD && kind != OPT_LBFGS, need_v = kind == OPT_ADAM || kind == OPT_ADAMW;
  if ((need_m && !(o->m = ds_alloc_floats(n))) || (need_v && !(o->v = ds_alloc_floats(n)))) {
    opt_free(&o);
    return tr_check_alloc(NULL, "optimizer");
  }
  return o;
}

void opt_free(opt_state **o) {
  if (!o || !*o) return;
  free((*o)->m);
  free((*o)->v);
  free(*o);
  *o = NULL;
}

/* Soft-threshold toward zero by shrink (the L1 proximal step). */
static inline float soft_threshold(float w, float shrink) {
  return w > shrink ? w - shrink : w < -shrink ? w + shrink : 0.0f;
}

void opt_step(opt_state *o, float *restrict p, const float *restrict g,
              const unsigned char *restrict decay, double lr) {
  opt_step_range(o, p, g, decay, lr, 0, o->n);
}

void opt_step_range(opt_state *o, float *params, const float *restrict g,
                    const unsigned char *decay_all, double lr, size_t lo, size_t hi) {
  o->step++;
  if (hi > o->n) hi = o->n;
  if (lo >= hi) return;
  /* the shard's views: index i is parameter lo + i */
  float *restrict p = params + lo;
  const unsigned char *restrict decay = decay_all + lo;
  const float flr = (float)lr, l2 = (float)o->l2, mu = (float)o->momentum;
  const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
  const float c1 = (float)(1.0 - pow(o->beta1, (double)o->step));
  const float c2 = (float)(1.0 - pow(o->beta2, (double)o->step));
  const float shrink = (float)(lr * o->l1);
  float *restrict m = o->m ? o->m + lo : NULL, *restrict v = o->v ? o->v + lo : NULL;
  const long n = (long)(hi - lo);
  /* one loop per optimizer, so each vectorizes; the penalty is folded in with a multiply
     by decay[i] rather than a branch. The if clauses name parallel: an unmodified if
     applies to simd too (OpenMP 5.0), and GCC then runs loops below the threshold as
     scalar code (twice the time per parameter, a sharded update's shard included) */
  switch (o->kind) {
  case OPT_SGD:
  case OPT_LBFGS:
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
    for (long i = 0; i < n; i++) p[i] -= flr * (g[i] + l2 * decay[i] * p[i]);
    break;
  case OPT_MOMENTUM:
  case OPT_NESTEROV: {
    const float nest = o->kind == OPT_NESTEROV ? 1.0f : 0.0f;
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
    for (long i = 0; i < n; i++) {
      float gi = g[i] + l2 * decay[i] * p[i];
      m[i] = mu * m[i] + gi;
      p[i] -= flr * (nest * (gi + mu * m[i]) + (1.0f - nest) * m[i]);
    }
    break;
  }
  case OPT_ADAM:
  case OPT_ADAMW: {
    const float coupled = o->kind == OPT_ADAM ? l2 : 0.0f, decoupled = o->kind == OPT_ADAMW ? l2 : 0.0f;
    const float step = flr / c1, inv_c2 = 1.0f / c2;
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
    for (long i = 0; i < n; i++) {
      float w = p[i], gi = g[i] + coupled * decay[i] * w;
      w -= flr * decoupled * decay[i] * w;
      float mi = b1 * m[i] + (1.0f - b1) * gi, vi = b2 * v[i] + (1.0f - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = w - step * mi / (sqrtf(vi * inv_c2) + eps);
    }
    break;
  }
  }
  if (shrink > 0)
    for (long i = 0; i < n; i++)
      if (decay[i]) p[i] = soft_threshold(p[i], shrink);
}

int sched_kind_from_name(const char *name) {
  static const char *names[] = {"constant", "step", "cosine", "plateau"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

sched_state sched_init(sched_kind kind, double lr0, double lr_min, double gamma, int step_epochs,
                       int epochs, int patience, bool maximize) {
  return (sched_state){.kind = kind, .lr0 = lr0, .lr = lr0, .lr_min = lr_min, .gamma = gamma,
                       .step_epochs = step_epochs > 0 ? step_epochs : 1, .epochs = epochs,
                       .patience = patience, .maximize = maximize,
                       .best = maximize ? -INFINITY : INFINITY};
}

double sched_after_epoch(sched_state *s, int epoch, double value) {
  switch (s->kind) {
  case SCHED_CONSTANT: break;
  case SCHED_STEP: s->lr = s->lr0 * pow(s->gamma, (double)(epoch / s->step_epochs)); break;
  case SCHED_COSINE: {
    double t = s->epochs > 0 ? fmin(1.0, (double)epoch / s->epochs) : 1.0;
    s->lr = s->lr_min + 0.5 * (s->lr0 - s->lr_min) * (1 + cos(3.141592653589793 * t));
    break;
  }
  case SCHED_PLATEAU:
    if (!isnan(value) && (s->maximize ? value > s->best : value < s->best)) {
      s->best = value;
      s->wait = 0;
    } else if (++s->wait > s->patience) {
      s->lr = s->lr * s->gamma;
      s->wait = 0;
    }
    break;
  }
  if (s->lr < s->lr_min) s->lr = s->lr_min;
  return s->lr;
}
