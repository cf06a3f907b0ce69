/* Limited-memory BFGS for full-batch training (the classic solver for linear and logistic
 * baselines, sklearn's default): two-loop recursion over the last `memory` pairs, and a
 * backtracking line search on the Armijo condition. One call is one iteration. */
#ifndef TR_LBFGS_H
#define TR_LBFGS_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Objective: returns f(x) and writes its gradient into g (both over n parameters). */
typedef double (*lbfgs_fn)(const float *x, float *g, void *user);

typedef struct {
  size_t n, memory;
  double *s, *y, *rho;  /* memory x n history (ring), and 1 / (y.s) */
  size_t count, head;   /* pairs stored, next slot */
  double f;             /* objective at the current point */
  float *g;             /* gradient at the current point */
  float *x_new, *g_new; /* line-search scratch */
  double *d;            /* search direction */
  bool started;
  long evaluations;
  double step;          /* step length the last line search accepted */
} lbfgs_state;

/* A state for n parameters keeping `memory` pairs (10 is sklearn's); NULL on ENOMEM. */
lbfgs_state *lbfgs_new(size_t n, size_t memory);
void lbfgs_free(lbfgs_state **s);

typedef enum { LBFGS_STEP, LBFGS_CONVERGED, LBFGS_STALLED } lbfgs_result;

/* Moves x one iteration downhill. CONVERGED when max |g| <= gtol or the relative
 * decrease of f is at most ftol (scipy's L-BFGS-B tests); STALLED when the line search
 * finds no decrease (x is then unchanged). */
lbfgs_result lbfgs_iterate(lbfgs_state *s, float *x, lbfgs_fn fn, void *user, double gtol,
                           double ftol);
#endif
