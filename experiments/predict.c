/* Predictions of a saved model for a data file (see predict.h): load, align the columns
 * by name (a CSV's raw columns through the model's /prep first), then the serving path
 * (trainer/infer.h: standardize with the stored scaler, predict, map back), write CSV. */
#define _GNU_SOURCE
#include "experiments/predict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "io/dataset.h"
#include "io/files.h"
#include "io/table.h"
#include "io/load.h"
#include "trainer/infer.h"
#include "trainer/model_io.h"

/* A class value as CSV text: its name (string labels; quoted when it holds a comma,
 * a quote or a line break) or its number. */
static void put_class(FILE *out, const model_file *mf, size_t k) {
  if (!mf->class_names) {
    fprintf(out, "%g", mf->classes[k]);
    return;
  }
  const char *s = mf->class_names[k];
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"') fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

/* "prob_<class>" as a CSV header cell. */
static void put_prob_header(FILE *out, const model_file *mf, size_t k) {
  if (!mf->class_names) {
    fprintf(out, "prob_%g", mf->classes[k]);
    return;
  }
  char *s = NULL;
  if (asprintf(&s, "prob_%s", mf->class_names[k]) < 0) return;
  char *names[1] = {s};
  model_file one = {.class_names = names};
  put_class(out, &one, 0);
  free(s);
}

static void write_rows(FILE *out, const model_file *mf, const float *pred, size_t n) {
  size_t width = mf->model->spec.outputs;
  if (mf->head == HEAD_REGRESSION) { /* pred is already in the target's units */
    fputs("pred\n", out);
    for (size_t i = 0; i < n; i++) fprintf(out, "%.9g\n", pred[i]);
    return;
  }
  if (mf->head == HEAD_BINARY) { /* the probability of the second class value */
    put_prob_header(out, mf, 1);
    fputs(",pred\n", out);
    for (size_t i = 0; i < n; i++) {
      fprintf(out, "%.7g,", pred[i]);
      put_class(out, mf, pred[i] >= 0.5f ? 1 : 0);
      fputc('\n', out);
    }
    return;
  }
  for (size_t k = 0; k < width; k++) {
    put_prob_header(out, mf, k);
    fputc(',', out);
  }
  fputs("pred\n", out);
  for (size_t i = 0; i < n; i++) {
    const float *p = pred + i * width;
    size_t best = 0;
    for (size_t k = 0; k < width; k++) {
      fprintf(out, "%.7g,", p[k]);
      if (p[k] > p[best]) best = k;
    }
    put_class(out, mf, best);
    fputc('\n', out);
  }
}

/* d's columns as the model's features: by name when both have names (reordered; extra
 * columns dropped, said once; a missing one an error), else by position. */
static tr_err align(const model_file *mf, const char *path, ds_dataset **d) {
  size_t want = mf->model->spec.inputs;
  ds_dataset *in = *d;
  if (!mf->feature_names || !in->feature_names) {
    if (in->cols != want)
      return tr_error_set(TR_EINPUT, path, "has %zu features, the model expects %zu", in->cols, want);
    return TR_OK;
  }
  size_t *col = malloc(want * sizeof *col);
  if (!col) return tr_error_set(TR_ENOMEM, "predict", "out of memory");
  for (size_t k = 0; k < want; k++) {
    col[k] = SIZE_MAX;
    for (size_t j = 0; j < in->cols && col[k] == SIZE_MAX; j++)
      if (!strcmp(in->feature_names[j], mf->feature_names[k])) col[k] = j;
    if (col[k] == SIZE_MAX) {
      tr_err rc = tr_error_set(TR_EINPUT, path, "has no column \"%s\" (a feature of the model)", mf->feature_names[k]);
      free(col);
      return rc;
    }
  }
  if (in->cols > want)
    log_warn("%s: %zu column%s the model does not use %s ignored", path, in->cols - want,
             in->cols - want == 1 ? "" : "s", in->cols - want == 1 ? "is" : "are");
  ds_dataset *out = ds_new(in->rows, want, in->y != NULL);
  tr_err rc = out ? ds_set_feature_names(out, (const char *const *)mf->feature_names) : tr_error_code();
  for (size_t i = 0; rc == TR_OK && i < in->rows; i++)
    for (size_t k = 0; k < want; k++) out->X[i * want + k] = in->X[i * in->cols + col[k]];
  if (rc == TR_OK && in->y) memcpy(out->y, in->y, in->rows * sizeof(float));
  free(col);
  if (rc != TR_OK) {
    ds_free(&out);
    return rc;
  }
  ds_free(d);
  *d = out;
  return TR_OK;
}

/* Predictions of d's raw rows through the serving path (trainer/infer.h: the model's
 * scaler, net or quantized kernels, head and target scaling), PREDICT_CHUNK rows at a time. */
#define PREDICT_CHUNK 1024
static tr_err predict_rows(const model_file *mf, const ds_dataset *d, float *pred) {
  infer_ws *ws = infer_ws_new(mf, PREDICT_CHUNK);
  if (!ws) return tr_error_code();
  size_t width = mf->model->spec.outputs;
  tr_err rc = TR_OK;
  for (size_t start = 0; rc == TR_OK && start < d->rows; start += PREDICT_CHUNK) {
    size_t rows = d->rows - start < PREDICT_CHUNK ? d->rows - start : PREDICT_CHUNK;
    rc = infer_rows(mf, ws, d->X + start * d->cols, rows, pred + start * width);
  }
  infer_ws_free(&ws);
  return rc;
}

/* The model's raw-column transformation (model.h5's /prep) applied to data_path: a CSV
 * is read as a table (the model's categorical columns as strings, its na_values), any
 * other format through ds_load by its feature names; then the columns are encoded by
 * name, unknown categories to other (said), missing cells filled. */
static tr_err load_with_prep(const model_file *mf, const char *path, const ds_load_opts *o, ds_dataset **out) {
  const prep *p = mf->prep;
  tbl *t = NULL;
  tr_err rc = TR_OK;
  if (ds_format_of(path) == DS_FORMAT_CSV) {
    char **cats = malloc((p->n_cols ? p->n_cols : 1) * sizeof *cats);
    size_t k = 0;
    if (!cats) return tr_error_set(TR_ENOMEM, "predict", "out of memory");
    for (size_t j = 0; j < p->n_cols; j++)
      if (p->col[j].kind == TBL_CATEGORICAL && !(mf->label_column[0] && !strcmp(mf->label_column, p->col[j].name)))
        cats[k++] = p->col[j].name;
    tbl_opts to = {.label_column = o->label_column, .label_optional = true, .na_values = p->na_values,
                   .categorical = cats, .n_categorical = k};
    rc = tbl_read_csv(path, &to, &t);
    free(cats);
  } else if (ds_format_of(path) == DS_FORMAT_HDF5 && !ds_is_shard_set(path)) {
    /* X's columns by name plus the model's categorical columns as string datasets */
    char **cats = malloc((p->n_cols ? p->n_cols : 1) * sizeof *cats);
    size_t k = 0;
    if (!cats) return tr_error_set(TR_ENOMEM, "predict", "out of memory");
    for (size_t j = 0; j < p->n_cols; j++)
      if (p->col[j].kind == TBL_CATEGORICAL) cats[k++] = p->col[j].name;
    tbl_h5_opts ho = {.x_dataset = o->x_dataset, .y_dataset = o->y_dataset, .label_optional = true,
                      .na_values = p->na_values, .categorical = cats, .n_categorical = k};
    rc = tbl_read_hdf5(path, &ho, &t);
    free(cats);
  } else {
    ds_dataset *d = NULL;
    if ((rc = ds_load(path, o, &d)) == TR_OK) rc = tbl_from_dataset(d, path, &t);
    ds_free(&d);
  }
  if (rc != TR_OK) return rc;
  size_t *unknown = calloc(p->n_cols ? p->n_cols : 1, sizeof *unknown), imputed = 0;
  if (!unknown) rc = tr_error_set(TR_ENOMEM, "predict", "out of memory");
  if (rc == TR_OK) rc = prep_apply(p, t, NULL, 0, out, unknown, &imputed);
  if (rc == TR_OK) {
    size_t extra = t->cols - (t->label != SIZE_MAX) - p->n_cols;
    if (extra)
      log_warn("%s: %zu column%s the model does not use %s ignored", path, extra, extra == 1 ? "" : "s",
               extra == 1 ? "is" : "are");
    if (imputed) log_info("predict: %zu missing cells filled with the training split's values", imputed);
    for (size_t j = 0; j < p->n_cols; j++)
      if (unknown[j])
        log_warn("%s: column \"%s\": %zu cells have categories training never saw, encoded as other", path,
                 p->col[j].name, unknown[j]);
  }
  free(unknown);
  tbl_free(&t);
  return rc;
}

tr_err predict_file(const char *model_path, const char *data_path, const char *out_path) {
  model_file mf;
  tr_err rc = model_load(model_path, &mf);
  if (rc != TR_OK) return rc;
  ds_dataset *d = NULL;
  float *pred = NULL;
  /* the data is read as the model's training data was: its HDF5 dataset names, its label column */
  ds_load_opts o = {.x_dataset = mf.x_dataset, .y_dataset = mf.y_dataset,
                    .label_column = *mf.label_column ? mf.label_column : NULL, .label_optional = true};
  if (mf.prep) rc = load_with_prep(&mf, data_path, &o, &d);
  else rc = ds_load(data_path, &o, &d);
  if (rc == TR_OK) rc = align(&mf, data_path, &d); /* infer_rows standardizes */
  if (rc == TR_OK && !(pred = ds_alloc_floats(d->rows * mf.model->spec.outputs)))
    rc = tr_error_set(TR_ENOMEM, "predict", "out of memory");
  if (rc == TR_OK) rc = predict_rows(&mf, d, pred);
  if (rc == TR_OK && !out_path) {
    write_rows(stdout, &mf, pred, d->rows);
    if (fflush(stdout) != 0) rc = tr_error_set(TR_EIO, "stdout", "write failed");
  } else if (rc == TR_OK) {
    tr_atomic a;
    if ((rc = tr_atomic_open(&a, out_path)) == TR_OK) {
      write_rows(a.fp, &mf, pred, d->rows);
      rc = tr_atomic_commit(&a);
    }
  }
  free(pred);
  ds_free(&d);
  model_file_free(&mf);
  return rc;
}
