/* libFuzzer harness: the LIBSVM importer. Inputs that start with the gzip magic are
 * written as x.svm.gz so zlib inflates arbitrary bytes; the reader goes by content. */
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/textdata.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const char *path = fuzz_write(gz ? "x.svm.gz" : "x.svm", data, size);
  ds_dataset *d = NULL;
  libsvm_read(path, &d);
  ds_free(&d);
  tr_error_clear();
  return 0;
}
