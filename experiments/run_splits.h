/* The job's data exactly as `train` sees it, outside a training run: the same load,
 * task decision, label encoding, seeded split and standardization (run_data.c), in one
 * process. For the commands that evaluate a trained model on its own splits
 * (`quantize`: calibration rows from the training split, the test metric on the test
 * split). */
#ifndef TR_RUN_SPLITS_H
#define TR_RUN_SPLITS_H
#include "common/error.h"
#include "experiments/job.h"
#include "io/dataset.h"
#include "io/labels.h"
#include "io/split.h"
#include "trainer/loss.h"

typedef struct {
  ds_dataset *train, *val, *test;  /* standardized when data.standardize (labels encoded) */
  loss_head head;
  float classes[LABELS_MAX_CLASSES + 1];
  size_t n_classes;
  scaler scale;                    /* fitted on train; cols == 0: not standardized */
  target_scaler target;            /* regression with data.standardize, else none */
} run_splits;

/* Loads and splits j's data (one process). The job's and the data's errors as `train`
 * reports them (TR_ECONFIG / TR_EINPUT located at the job key). */
tr_err run_load_splits(const job *j, run_splits *out);
void run_splits_free(run_splits *s);
#endif
