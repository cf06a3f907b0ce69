/* libFuzzer harness: the CSV importer, both readers (csv_read, and csv_read_features,
 * predict's optional-label reader) on the same input. Inputs that start with the gzip
 * magic are written as x.csv.gz so zlib inflates arbitrary bytes; the reader goes by
 * content. */
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/textdata.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const char *path = fuzz_write(gz ? "x.csv.gz" : "x.csv", data, size);
  /* The label column: the default, a name, an index (chosen by the input's length). */
  static const char *const labels[] = {NULL, "label", "0"};
  ds_dataset *d = NULL;
  csv_read(path, labels[size % 3], &d);
  ds_free(&d);
  tr_error_clear();
  /* with a name that may be missing from the header too ("target") */
  static const char *const optional[] = {NULL, "label", "0", "target"};
  csv_read_features(path, optional[size % 4], &d);
  ds_free(&d);
  tr_error_clear();
  return 0;
}
