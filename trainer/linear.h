/* Linear models trained by minibatch SGD: logistic regression (binary, sigmoid +
 * cross-entropy) and linear regression (MSE), with L2 and L1 penalties on the weights
 * (not the bias) and early stopping. The trainer issue generalizes this to layers. */
#ifndef TR_LINEAR_H
#define TR_LINEAR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"
#include "trainer/early_stop.h"

typedef enum { TASK_BINARY, TASK_REGRESSION } lin_task;

typedef struct {
  lin_task task;
  size_t features;
  float *w;  /* features weights (64-byte aligned) */
  float b;
} lin_model;

typedef struct {
  double lr, l1, l2;
  size_t batch_size;
  int epochs;
  uint64_t seed;
  int threads;            /* OpenMP threads, 0 = all */
  const char *monitor;    /* "val_loss", "val_accuracy", ... */
  es_state es;            /* from es_init() */
  bool restore_best;
} lin_params;

/* One history.csv row. */
typedef struct {
  int epoch;
  double train_loss, val_loss, val_monitor, lr, epoch_s, io_wait_s, comm_s;
} lin_epoch;

typedef void (*lin_epoch_fn)(const lin_epoch *e, void *user);

typedef struct {
  int epochs_run, best_epoch;
  const char *stop_reason;  /* "patience" | "max_epochs" | "non_finite" */
  double train_s, compute_s;
} lin_outcome;

/* A zero-initialized model; NULL with TR_ENOMEM recorded. */
lin_model *lin_new(lin_task task, size_t features);
void lin_free(lin_model **m);

/* NULL, or a message naming the bad parameter. */
const char *lin_check_params(const lin_params *p);

/* Trains m on train (labels 0/1 for TASK_BINARY), evaluating val after each epoch
 * (val may have 0 rows: then train loss is monitored). Calls on_epoch (may be NULL)
 * after each epoch. With restore_best, m ends with the best epoch's weights.
 * TR_ENUMERIC when the loss becomes non-finite (outcome.stop_reason "non_finite"). */
tr_err lin_fit(lin_model *m, const ds_dataset *train, const ds_dataset *val,
               const lin_params *p, lin_epoch_fn on_epoch, void *user, lin_outcome *out);

/* Predictions for every row of d into out[d->rows]: P(class 1) or the regression value. */
void lin_predict(const lin_model *m, const ds_dataset *d, float *out);

/* Mean objective of predictions (log-loss or MSE, without penalty). */
double lin_loss(const lin_model *m, const float *y, const float *pred, size_t n);

/* The monitored value (name without "val_") of predictions pred for labels y. */
double lin_metric(const lin_model *m, const char *name, const float *y, const float *pred, size_t n);
#endif
