/* infer_predict (infer.h): the model file's precision picks the kernel. */
#include "trainer/infer.h"

#include "trainer/quant.h"
#include "trainer/train.h"

tr_err infer_predict(const model_file *mf, const ds_dataset *d, float *out) {
  if (!mf->quant) return train_predict(mf->model, mf->head, d, out, NULL);
  quant_runner *r = NULL;
  tr_err rc = quant_runner_new(mf->quant, &r);
  if (rc == TR_OK) rc = quant_runner_predict(r, mf->head, d->X, d->rows, out);
  quant_runner_free(&r);
  return rc;
}
