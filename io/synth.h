/* Synthetic data sets for benchmarks and demos, in the spirit of sklearn's
 * make_classification and make_regression. Deterministic for a seed, whatever the
 * thread count (rows are generated in fixed blocks, each with its own RNG stream). */
#ifndef TR_SYNTH_H
#define TR_SYNTH_H
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/labels.h"

/* gen makes no more classes than training accepts */
#define SYNTH_MAX_CLASSES LABELS_MAX_CLASSES

typedef struct {
  size_t rows, features;
  int classes;          /* classification: >= 2; ignored for regression */
  size_t informative;   /* 0 = default: classification max(2, features/4), regression features/2 */
  size_t redundant;     /* classification: linear combinations of informative features;
                           SIZE_MAX = default min(informative/2, what is left) */
  double noise;         /* classification: fraction of labels replaced at random (flip_y);
                           regression: standard deviation of the additive noise */
  double class_sep;     /* classification: hypercube half-side (sklearn's class_sep, 1.0) */
  double nonlinear;     /* regression: weight of pairwise product terms x_k * x_{k+1} */
  const double *weights;  /* classification: class proportions (classes values) or NULL */
  uint64_t seed;
} synth_params;

/* Defaults: 2 classes, noise 0.01 (classification), class_sep 1, seed 1. */
synth_params synth_defaults(void);

/* NULL, or a message saying which parameter is wrong (LIBLINEAR's check_parameter). */
const char *synth_check(const synth_params *p, int regression);

/* Classification: informative features are Gaussian clusters (2 per class when the
 * informative dimensions allow) at hypercube vertices, each cluster linearly mixed;
 * then redundant combinations, then pure noise features; labels 0..classes-1. */
tr_err synth_classification(const synth_params *p, ds_dataset **out);

/* Regression: standard normal features; y = X_inf . w + 1.0 * bias + nonlinear terms
 * + noise, with w uniform in [0, 100) as sklearn does. */
tr_err synth_regression(const synth_params *p, ds_dataset **out);
#endif
