/* Evaluation metrics with sklearn's definitions: binary classification from
 * probabilities of class 1, multiclass from rows of class probabilities, regression from
 * predictions. Sums in double. */
#ifndef TR_METRICS_H
#define TR_METRICS_H
#include <stddef.h>

#include "common/error.h"

typedef struct {
  double accuracy, precision, recall, f1, auc, log_loss;
  size_t tp, fp, tn, fn;  /* confusion matrix at threshold 0.5 */
} metrics_binary;

typedef struct {
  double mse, rmse, mae, r2;
} metrics_regression;

typedef struct {
  int classes;                   /* K */
  double accuracy;
  double precision, recall, f1;  /* macro averages (sklearn average="macro", zero_division=0)
                                    over the classes in y or predicted (sklearn's labels) */
  double auc;                    /* macro one-vs-rest ROC-AUC (multi_class="ovr"); NaN when a
                                    class has no positive or no negative row */
  double log_loss;               /* mean -log(clip(p[true], 1e-15, 1 - 1e-15)); rows are not
                                    renormalized (sklearn 1.2 is: same when they sum to 1) */
  size_t *confusion;             /* K x K row-major: [true][predicted], malloc'd */
} metrics_multi;

/* y[i] in {0, 1}, p[i] = P(class 1). Precision/recall/F1 are 0 when undefined (sklearn's
 * zero_division=0); AUC gives ties half credit and is NaN when only one class is
 * present; log-loss clips p to [1e-15, 1 - 1e-15]. */
metrics_binary metrics_binary_eval(const float *y, const float *p, size_t n);

/* Mean log-loss only (the training objective), clipped as above. */
double metrics_log_loss(const float *y, const float *p, size_t n);

/* ROC-AUC of scores s against labels y in {0, 1} (Mann-Whitney U with average ranks). */
double metrics_auc(const float *y, const float *s, size_t n);

/* y[i] in 0..K-1, P = n x K row-major probabilities, prediction = argmax (first on ties);
 * NaN metrics for n = 0. On TR_OK free *out with metrics_multi_free(); TR_ENOMEM or
 * TR_EINPUT (K < 1, a label not an integer in 0..K-1) are recorded, *out left unallocated. */
tr_err metrics_multi_eval(const float *y, const float *P, size_t n, int K, metrics_multi *out);

/* As metrics_multi_eval() without the one-vs-rest AUC (out->auc is NaN): K sorts fewer,
 * for a caller that does not report it (the per-epoch history). */
tr_err metrics_multi_eval_no_auc(const float *y, const float *P, size_t n, int K, metrics_multi *out);

/* Frees m->confusion and sets it NULL (safe twice, and on a failed eval). */
void metrics_multi_free(metrics_multi *m);

/* R^2 is 1 - SS_res/SS_tot; NaN when y is constant and predictions are not exact,
 * 1 when both are exact (sklearn's convention). */
metrics_regression metrics_regression_eval(const float *y, const float *pred, size_t n);

/* Value of a metric by its name without the "val_"/"test_" prefix ("accuracy", "auc",
 * "loss" = log_loss or mse...); NaN for an unknown name. */
double metrics_binary_get(const metrics_binary *m, const char *name);
double metrics_regression_get(const metrics_regression *m, const char *name);
double metrics_multi_get(const metrics_multi *m, const char *name);
#endif
