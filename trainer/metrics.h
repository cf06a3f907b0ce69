/* Evaluation metrics with sklearn's definitions: binary classification from
 * probabilities of class 1, regression from predictions. Sums in double. */
#ifndef TR_METRICS_H
#define TR_METRICS_H
#include <stddef.h>

typedef struct {
  double accuracy, precision, recall, f1, auc, log_loss;
  size_t tp, fp, tn, fn;  /* confusion matrix at threshold 0.5 */
} metrics_binary;

typedef struct {
  double mse, rmse, mae, r2;
} metrics_regression;

/* y[i] in {0, 1}, p[i] = P(class 1). Precision/recall/F1 are 0 when undefined (sklearn's
 * zero_division=0); AUC gives ties half credit and is NaN when only one class is
 * present; log-loss clips p to [1e-15, 1 - 1e-15]. */
metrics_binary metrics_binary_eval(const float *y, const float *p, size_t n);

/* Mean log-loss only (the training objective), clipped as above. */
double metrics_log_loss(const float *y, const float *p, size_t n);

/* ROC-AUC of scores s against labels y in {0, 1} (Mann-Whitney U with average ranks). */
double metrics_auc(const float *y, const float *s, size_t n);

/* R^2 is 1 - SS_res/SS_tot; NaN when y is constant and predictions are not exact,
 * 1 when both are exact (sklearn's convention). */
metrics_regression metrics_regression_eval(const float *y, const float *pred, size_t n);

/* Value of a metric by its name without the "val_"/"test_" prefix ("accuracy", "auc",
 * "loss" = log_loss or mse...); NaN for an unknown name. */
double metrics_binary_get(const metrics_binary *m, const char *name);
double metrics_regression_get(const metrics_regression *m, const char *name);
#endif
