/* libFuzzer harness: the LIBSVM importer. Inputs that start with the gzip magic are
 * written as x.svm.gz so zlib inflates arbitrary bytes; the reader goes by content. */
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/textdata.h"
#include "fuzz_util.h"

/* True when a plain input names a feature index above 10^6: the dense matrix it asks
 * for (rows x largest index) is a by-design allocation of gigabytes, which libFuzzer's
 * memory limit would report as a failure. The parser's own limit is 10^8. */
static int huge_index(const uint8_t *data, size_t size) {
  size_t digits = 0;
  for (size_t i = 0; i < size; i++) {
    if (data[i] >= '0' && data[i] <= '9') {
      digits++;
    } else {
      if (data[i] == ':' && digits > 6) return 1; /* an index of 7 or more digits */
      digits = 0;
    }
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!gz && huge_index(data, size)) return 0;
  const char *path = fuzz_write(gz ? "x.svm.gz" : "x.svm", data, size);
  ds_dataset *d = NULL;
  libsvm_read(path, &d);
  ds_free(&d);
  tr_error_clear();
  return 0;
}
