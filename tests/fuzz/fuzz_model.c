/* libFuzzer harness: the model.h5 loader (trainer/model_io.c with its quantized
 * variants, trainer/quant.c's quant_read) on mutated model files; a variant that loads
 * is also run once through its oneDNN kernels on one row (small models only). Like
 * fuzz_h5io, `make test` replays the corpus (-runs=0): mutating HDF5 soon reaches
 * libhdf5 1.10.8's own crashes (see fuzz_h5io.c and bench/BENCHMARKS.md). */
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "trainer/infer.h"
#include "trainer/model_io.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (corrupt_global_heap(data, size)) return 0; /* libhdf5's bug, not ours (fuzz_util.h) */
  const char *path = fuzz_write("x.h5", data, size);
  model_file mf;
  if (model_load(path, &mf) == TR_OK) {
    if (mf.model->n_params < 100000) {
      float *x = calloc(mf.model->spec.inputs, sizeof(float));
      float *out = malloc(mf.model->spec.outputs * sizeof(float));
      infer_ws *ws = infer_ws_new(&mf, 1);
      if (x && out && ws) (void)infer_rows(&mf, ws, x, 1, out);
      infer_ws_free(&ws);
      free(out);
      free(x);
    }
    model_file_free(&mf);
  }
  tr_error_clear();
  return 0;
}
