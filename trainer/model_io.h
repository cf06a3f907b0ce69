/* OUT/model.h5: everything `tradeoff predict` needs, readable by h5py and h5dump.
 *   attributes on /: format = "tradeoff-model", format_version = 1, model_type, task,
 *                    features, created_by, job (the resolved job file text)
 *   /layers/0/W  float32 features x outputs     /layers/0/b  float32 outputs
 *   /scaler/mean, /scaler/scale  float64 features (absent without standardization)
 *   /classes     float32: the label value of each class (classification only) */
#ifndef TR_MODEL_IO_H
#define TR_MODEL_IO_H
#include "common/error.h"
#include "io/split.h"
#include "trainer/linear.h"

typedef struct {
  lin_model *model;
  scaler scale;          /* cols == 0 when the data was not standardized */
  float classes[2];      /* TASK_BINARY: label values of class 0 and 1 */
  char model_type[32];   /* "logistic", "linear" */
} model_file;

/* Writes path atomically. sc may be NULL (no standardization); classes only for
 * TASK_BINARY; job_text may be NULL. */
tr_err model_save(const char *path, const lin_model *m, const scaler *sc, const float classes[2],
                  const char *model_type, const char *job_text);

/* Loads a model file into *out (release with model_file_free). TR_EINPUT with the path
 * for a missing file, a file that is not a tradeoff model, or a newer format. */
tr_err model_load(const char *path, model_file *out);
void model_file_free(model_file *f);
#endif
