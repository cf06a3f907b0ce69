/* Predictions of a loaded model file at its own precision: float32 through the
 * trainer's forward pass (train_predict), a quantized variant (int8, bf16) through its
 * oneDNN kernels (quant_runner). The one call `predict` uses; for repeated calls on
 * a quantized model, keep a quant_runner (trainer/quant.h) instead. */
#ifndef TR_INFER_H
#define TR_INFER_H
#include "common/error.h"
#include "io/dataset.h"
#include "trainer/model_io.h"

/* out (d->rows x outputs): P(class 1), class probabilities or values (the model's
 * standardized target; the caller maps regression back). Errors: TR_ENOMEM,
 * TR_EINTERNAL (a oneDNN failure). */
tr_err infer_predict(const model_file *mf, const ds_dataset *d, float *out);
#endif
