/* libFuzzer harness: the NumPy readers. Every input goes to the header parser as bytes,
 * then is written as X.npy (its labels, when the input's header allows, the same bytes
 * as y.npy beside it) and read with npy_read; inputs that start like a zip archive
 * ("PK") are also read as a .npz through libzip (members X, y, feature_names). */
#include <stdint.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/npy.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  npy_header h;
  npy_parse_header(data, size, "x.npy", &h);
  tr_error_clear();
  const char *x = fuzz_write("X.npy", data, size);
  if (size % 2) fuzz_write("y.npy", data, size); /* half the inputs read labels too */
  else unlink(fuzz_path("y.npy"));
  ds_dataset *d = NULL;
  npy_read(x, NULL, &d);
  ds_free(&d);
  tr_error_clear();
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    const char *z = fuzz_write("x.npz", data, size);
    npz_read(z, NULL, NULL, &d);
    ds_free(&d);
    tr_error_clear();
  }
  return 0;
}
