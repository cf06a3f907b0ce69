/* libFuzzer harness: the HDF5 loader on mutated files (h5io_info, h5io_read whole and
 * a row range, and h5io_shape_of). HDF5's own error stack is silenced by h5io.
 *
 * Known libhdf5 bug (Debian 12's 1.10.8, not our code): a global heap collection
 * ("GCOL", where variable-length strings such as the feature_names attribute live)
 * whose object claims more bytes than the collection holds is not rejected (only an
 * assert checks it), and H5HG_read() then memcpy()s past the heap buffer. Inputs with
 * such a collection are skipped, and only those. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/h5io.h"
#include "io/table.h"
#include "io/info.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (corrupt_global_heap(data, size)) return 0;
  const char *path = fuzz_write("x.h5", data, size);
  /* A file may claim a shape far beyond what it stores (chunks never written read as
   * fill values); the reader refuses it only past what the stored bytes could inflate to
   * (io/h5data.c), which a small compressed file still puts at a few hundred MiB. Shapes
   * over 256 MiB of floats are only inspected, not read, so such inputs do not hit the
   * 2 GB memory limit. */
  size_t rows = 0, cols = 0;
  if (h5io_shape_of(path, NULL, &rows, &cols) == TR_OK && cols && rows > (64u << 20) / cols) {
    tr_error_clear();
    return 0;
  }
  tr_error_clear();

  cJSON *info = NULL;
  h5io_info(path, NULL, NULL, &info);
  cJSON_Delete(info);
  tr_error_clear();

  h5io_read_opts all = {.threads = 1};
  ds_dataset *d = NULL;
  h5io_read(path, &all, &d);
  ds_free(&d);
  tr_error_clear();

  h5io_read_opts part = {.row_start = 1, .row_count = 2, .threads = 2};
  h5io_read(path, &part, &d);
  ds_free(&d);
  tr_error_clear();

  /* the table reader: string labels and a string column (y read as strings too) */
  tbl *t = NULL;
  tbl_h5_opts to = {.label_optional = true, .categorical = (char *[]){"y"}, .n_categorical = 1};
  tbl_read_hdf5(path, &to, &t);
  tbl_free(&t);
  tr_error_clear();
  return 0;
}
