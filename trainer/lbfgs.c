/* L-BFGS iteration. Directions and curvature pairs are kept in double; parameters stay
 * float32. The first step is scaled to a unit move; later steps start at 1, as a
 * quasi-Newton step should, and halve until f decreases enough (Armijo, c1 = 1e-4). */
#include "trainer/lbfgs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

lbfgs_state *lbfgs_new(size_t n, size_t memory) {
  lbfgs_state *s = calloc(1, sizeof *s);
  if (!s) return tr_check_alloc(NULL, "lbfgs");
  s->n = n;
  s->memory = memory ? memory : 10;
  s->s = malloc(s->memory * n * sizeof(double));
  s->y = malloc(s->memory * n * sizeof(double));
  s->rho = malloc(s->memory * sizeof(double));
  s->g = malloc(n * sizeof(float));
  s->x_new = malloc(n * sizeof(float));
  s->g_new = malloc(n * sizeof(float));
  s->d = malloc(n * sizeof(double));
  if (!s->s || !s->y || !s->rho || !s->g || !s->x_new || !s->g_new || !s->d) {
    lbfgs_free(&s);
    return tr_check_alloc(NULL, "lbfgs");
  }
  return s;
}

void lbfgs_free(lbfgs_state **ps) {
  lbfgs_state *s = ps ? *ps : NULL;
  if (!s) return;
  free(s->s);
  free(s->y);
  free(s->rho);
  free(s->g);
  free(s->x_new);
  free(s->g_new);
  free(s->d);
  free(s);
  *ps = NULL;
}

static double max_abs(const float *g, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs(g[i]));
  return m;
}

/* d = -H g by the two-loop recursion. */
static void direction(lbfgs_state *s) {
  size_t n = s->n;
  double alpha[64];
  for (size_t i = 0; i < n; i++) s->d[i] = -(double)s->g[i];
  for (size_t k = 0; k < s->count; k++) {
    size_t j = (s->head + s->memory - 1 - k) % s->memory;
    const double *sj = s->s + j * n, *yj = s->y + j * n;
    double a = 0;
    for (size_t i = 0; i < n; i++) a += sj[i] * s->d[i];
    a *= s->rho[j];
    alpha[k] = a;
    for (size_t i = 0; i < n; i++) s->d[i] -= a * yj[i];
  }
  if (s->count) {
    size_t j = (s->head + s->memory - 1) % s->memory;
    const double *yj = s->y + j * n;
    double yy = 0;
    for (size_t i = 0; i < n; i++) yy += yj[i] * yj[i];
    double gamma = 1.0 / (s->rho[j] * yy); /* s.y / y.y */
    for (size_t i = 0; i < n; i++) s->d[i] *= gamma;
  }
  for (size_t k = s->count; k-- > 0;) {
    size_t j = (s->head + s->memory - 1 - k) % s->memory;
    const double *sj = s->s + j * n, *yj = s->y + j * n;
    double b = 0;
    for (size_t i = 0; i < n; i++) b += yj[i] * s->d[i];
    b *= s->rho[j];
    for (size_t i = 0; i < n; i++) s->d[i] += sj[i] * (alpha[k] - b);
  }
}

lbfgs_result lbfgs_iterate(lbfgs_state *s, float *x, lbfgs_fn fn, void *user, double gtol,
                           double ftol) {
  size_t n = s->n;
  if (s->memory > 64) s->memory = 64;
  if (!s->started) {
    s->f = fn(x, s->g, user);
    s->evaluations++;
    s->started = true;
  }
  if (max_abs(s->g, n) <= gtol) return LBFGS_CONVERGED;
  direction(s);
  double slope = 0;
  for (size_t i = 0; i < n; i++) slope += s->d[i] * s->g[i];
  if (!(slope < 0)) { /* not a descent direction: forget the history, go downhill */
    s->count = 0;
    slope = 0;
    for (size_t i = 0; i < n; i++) {
      s->d[i] = -(double)s->g[i];
      slope -= (double)s->g[i] * s->g[i];
    }
  }
  double t = 1.0;
  if (s->count == 0) {
    double norm = 0;
    for (size_t i = 0; i < n; i++) norm += s->d[i] * s->d[i];
    t = fmin(1.0, 1.0 / sqrt(norm));
  }
  double f_new = INFINITY;
  for (int tries = 0; tries < 40; tries++, t *= 0.5) {
    for (size_t i = 0; i < n; i++) s->x_new[i] = (float)(x[i] + t * s->d[i]);
    f_new = fn(s->x_new, s->g_new, user);
    s->evaluations++;
    if (isfinite(f_new) && f_new <= s->f + 1e-4 * t * slope) break;
  }
  if (!(isfinite(f_new) && f_new <= s->f + 1e-4 * t * slope)) return LBFGS_STALLED;
  double *sk = s->s + s->head * n, *yk = s->y + s->head * n, sy = 0;
  for (size_t i = 0; i < n; i++) {
    sk[i] = (double)s->x_new[i] - x[i];
    yk[i] = (double)s->g_new[i] - s->g[i];
    sy += sk[i] * yk[i];
  }
  if (sy > 1e-12) { /* keep the pair only with positive curvature */
    s->rho[s->head] = 1.0 / sy;
    s->head = (s->head + 1) % s->memory;
    if (s->count < s->memory) s->count++;
  }
  double f_old = s->f;
  s->step = t;
  memcpy(x, s->x_new, n * sizeof(float));
  memcpy(s->g, s->g_new, n * sizeof(float));
  s->f = f_new;
  if ((f_old - f_new) / fmax(fmax(fabs(f_old), fabs(f_new)), 1.0) <= ftol) return LBFGS_CONVERGED;
  return max_abs(s->g, n) <= gtol ? LBFGS_CONVERGED : LBFGS_STEP;
}
