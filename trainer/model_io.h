/* OUT/model.h5: everything `tradeoff predict` needs, readable by h5py and h5dump.
 *   attributes on /: format = "tradeoff-model", format_version = 3, model_type, task
 *     ("binary"|"multiclass"|"regression"), features, outputs, hidden (widths, may be
 *     empty), activation, dropout, created_by, job (the resolved job file text);
 *     regression: target_mean, target_scale (the model predicts (y - target_mean) /
 *     target_scale; predict maps back); feature_names (the training data's column
 *     names, when it had them) and label_column (its label column's name, CSV);
 *     x_dataset and y_dataset (the HDF5 datasets the training data's features and
 *     labels were read from; files without them: "X" and "y").
 *     Version 2 files (no target scaling, no names) still load.
 *   /layers/<l>/W  float32 in x out      /layers/<l>/b  float32 out      (l = 0, 1, ...)
 *   /scaler/mean, /scaler/scale  float64 features (absent without standardization)
 *   /classes  float32: the original label value of each class (classification only)
 *   precision = "fp32" (absent: fp32), "int8" or "bf16": a quantized variant (`tradeoff
 *     quantize`) has no /layers; its weights are in /quant (trainer/quant.h) and the
 *     loaded net holds their dequantized float32 values.
 *   class_names (attribute on /): string labels, the value of each class (classes then
 *     holds 0..K-1); absent for numeric labels
 *   /prep: the raw columns' imputation and one-hot encoding (io/prep.h), CSV data only */
#ifndef TR_MODEL_IO_H
#define TR_MODEL_IO_H
#include "common/error.h"
#include "io/labels.h"
#include "io/prep.h"
#include "io/split.h"
#include "trainer/loss.h"
#include "trainer/net.h"
#include "trainer/quant.h"

/* A sanity bound of the file format, not the class limit: model_load rejects a file
 * whose `outputs` exceeds it as damaged, before allocating the network. Training writes
 * at most LABELS_MAX_CLASSES outputs; the bound stays looser so that every file that
 * loaded before still loads. */
#define MODEL_MAX_OUTPUTS 100000
_Static_assert(MODEL_MAX_OUTPUTS >= LABELS_MAX_CLASSES, "every trained model must load");

typedef struct {
  net *model;
  loss_head head;
  scaler scale;            /* cols == 0 when the data was not standardized */
  float *classes;          /* classification: outputs (binary: 2) label values, else NULL */
  size_t n_classes;
  char model_type[32];     /* "linear", "logistic", "softmax", "mlp" */
  target_scaler target;    /* regression: the target's standardization ({0, 1}: none) */
  char **feature_names;    /* the inputs' names in the model's order, or NULL */
  char label_column[256];  /* the training data's label column name, or "" */
  char *x_dataset, *y_dataset; /* the HDF5 datasets of features and labels (malloc'd;
                                  "X" and "y" for files that do not say) */
  quant_model *quant;      /* a quantized variant's weights and scales; NULL: fp32 */
  char **class_names;      /* string labels: n_classes names, else NULL */
  prep *prep;              /* the raw columns' transformation (CSV training data), or NULL */
} model_file;

/* What a model file holds besides the net. */
typedef struct {
  loss_head head;
  const scaler *scale;          /* the features' standardization; NULL or empty: none */
  target_scaler target;         /* regression only ({0, 1}: none) */
  const float *classes;         /* classification: n_classes label values */
  size_t n_classes;
  const char *model_type;       /* "linear", "logistic", "softmax", "mlp" */
  const char *job_text;         /* may be NULL */
  char *const *feature_names;   /* the net's inputs' names (NULL: none) */
  const char *label_column;     /* the label column's name (NULL: none) */
  const char *x_dataset, *y_dataset; /* HDF5 dataset names of the training data (NULL: X, y) */
  const quant_model *quant;     /* a quantized variant: written instead of the float32
                                   layers (NULL: fp32) */
  const prep *prep;             /* the raw columns' transformation (NULL: none) */
  char *const *class_names;     /* string labels: n_classes names (NULL: numeric labels) */
} model_meta;

/* Writes n and m atomically (temporary file, fsync, rename). */
tr_err model_save(const char *path, const net *n, const model_meta *m);

/* Loads a model file (release with model_file_free). TR_EINPUT with the path for a
 * missing file, a file that is not a tradeoff model, another format version, weights
 * whose shapes do not match the metadata, a regression's target_mean or target_scale
 * missing or unusable (not finite; a scale not > 0), or feature_names that are not one
 * name per feature. */
tr_err model_load(const char *path, model_file *out);
void model_file_free(model_file *f);

#endif
