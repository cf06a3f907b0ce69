/* First-order optimizers over a flat parameter vector (sgd, momentum, nesterov, adam,
 * adamw) with L2 and L1 penalties on the weights only, and learning-rate schedules
 * (constant, step, cosine, reduce-on-plateau). lbfgs lives in lbfgs.c. */
#ifndef TR_OPTIM_H
#define TR_OPTIM_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef enum { OPT_SGD, OPT_MOMENTUM, OPT_NESTEROV, OPT_ADAM, OPT_ADAMW, OPT_LBFGS } opt_kind;

/* OPT_* for "sgd" ... "lbfgs"; -1 for an unknown name. */
int opt_kind_from_name(const char *name);

typedef struct {
  opt_kind kind;
  double l1, l2;                 /* penalties: 0.5 l2 |w|^2 + l1 |w|_1 (adamw: l2 is the
                                    decoupled weight decay) */
  double momentum;               /* momentum, nesterov: 0.9 */
  double beta1, beta2, eps;      /* adam, adamw: 0.9, 0.999, 1e-8 */
  size_t n;                      /* parameters */
  float *m, *v;                  /* first and second moments (or velocity in m) */
  long step;                     /* updates applied */
} opt_state;

/* A zeroed state for n parameters; NULL with the error recorded. */
opt_state *opt_new(opt_kind kind, size_t n, double l1, double l2);
void opt_free(opt_state **o);

/* One update of params with gradient g (the loss gradient without penalties) at
 * learning rate lr; decay[i] != 0 marks penalized parameters. */
void opt_step(opt_state *o, float *params, const float *g, const unsigned char *decay, double lr);
/* The same update (one step counted) applied to parameters [lo, hi) only, with g holding
 * their hi - lo gradients (g[0] is parameter lo's); params, decay and the moments are
 * indexed as in opt_step. Every parameter's new value is bit for bit the one opt_step
 * gives it (the update is elementwise), so ranks that each update a shard of the
 * parameters and exchange them train the model opt_step would. */
void opt_step_range(opt_state *o, float *params, const float *g, const unsigned char *decay, double lr,
                    size_t lo, size_t hi);

/* Learning-rate schedules. */
typedef enum { SCHED_CONSTANT, SCHED_STEP, SCHED_COSINE, SCHED_PLATEAU } sched_kind;

typedef struct {
  sched_kind kind;
  double lr0, lr, lr_min;
  double gamma;          /* step and plateau factor */
  int step_epochs;       /* step: multiply by gamma every step_epochs */
  int epochs;            /* cosine: the period */
  int patience;          /* plateau: epochs without improvement before reducing */
  bool maximize;         /* plateau: direction of the monitored value */
  double best;           /* plateau: best monitored value */
  int wait;
} sched_state;

/* SCHED_* for "constant" ... "plateau"; -1 for an unknown name. */
int sched_kind_from_name(const char *name);
sched_state sched_init(sched_kind kind, double lr0, double lr_min, double gamma, int step_epochs,
                       int epochs, int patience, bool maximize);
/* Updates sched->lr after `epoch` (1-based) ended with monitored value `value` (used
 * by plateau only; NaN counts as no improvement). Returns the rate for the next epoch. */
double sched_after_epoch(sched_state *s, int epoch, double value);
#endif
