/* libFuzzer harness: the typed CSV reader and the encoders behind it. Each input is read
 * as a table (auto typing; with the input's length choosing a label column and an
 * na_values list), and when it parses, imputation and one-hot encoding are fitted on the
 * even rows and applied to every row, and (one input in eight) written to and read back
 * from an in-memory model file's /prep group. */
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "io/dataset.h"
#include "io/h5util.h"
#include "io/prep.h"
#include "io/table.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("x.csv", data, size);
  static const char *const labels[] = {NULL, "label", "0"};
  static const char *const na[] = {NULL, "?,-", ""};
  tbl_opts o = {.label_column = labels[size % 3], .na_values = na[(size / 3) % 3], .label_optional = size % 2};
  tbl *t = NULL;
  if (tbl_read_csv(path, &o, &t) != TR_OK) {
    tr_error_clear();
    return 0;
  }
  float *y = malloc((t->rows ? t->rows : 1) * sizeof *y);
  char **names = NULL;
  size_t n_names = 0;
  if (y && t->label != SIZE_MAX && tbl_labels(t, NULL, 0, y, &names, &n_names) == TR_OK) tbl_free_names(names, n_names);
  tr_error_clear();
  free(y);
  size_t *rows = malloc(((t->rows + 1) / 2 + 1) * sizeof *rows), n = 0;
  for (size_t i = 0; rows && i < t->rows; i += 2) rows[n++] = i;
  prep *p = NULL, *q = NULL;
  prep_params pp = {.impute = (int)(size % 3), .add_indicator = size % 5 == 0, .max_categories = size % 4};
  if (rows && prep_fit(t, rows, n, &pp, o.na_values, &p) == TR_OK) {
    ds_dataset *d = NULL;
    size_t *unknown = calloc(p->n_cols + 1, sizeof *unknown), imputed = 0;
    prep_apply(p, t, NULL, 0, &d, unknown, &imputed);
    ds_free(&d);
    free(unknown);
    if (size % 8 == 0) { /* the HDF5 round trip is the slow part: one input in eight */
      hid_t f = h5u_create_memory();
      if (f >= 0 && prep_h5_save(f, p) >= 0 && prep_h5_load(f, "mem", &q) == TR_OK) prep_free(&q);
      if (f >= 0) H5Fclose(f);
    }
  }
  tr_error_clear();
  prep_free(&p);
  free(rows);
  tbl_free(&t);
  return 0;
}
