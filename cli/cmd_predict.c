/* `tradeoff predict --model DIR/model.h5 --data FILE`: applies a trained model (and its
 * stored scaler) to new rows and writes CSV: "prob_1,pred" for a binary model,
 * "prob_<class>,...,pred" for a multiclass one (pred in the original label values), and
 * "pred" for regression. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/atomic_file.h"
#include "io/dataset.h"
#include "io/load.h"
#include "trainer/model_io.h"
#include "trainer/train.h"

static const char help[] =
    "usage: tradeoff predict --model DIR/model.h5 --data FILE [--out preds.csv]\n"
    "\n"
    "Writes one CSV line per row of FILE (.h5, .csv, .libsvm, .gz ok; labels optional):\n"
    "prob_1,pred (binary), prob_<class>...,pred (multiclass) or pred (regression), with\n"
    "pred in the training labels' values. Default output: stdout.\n";

static void write_rows(FILE *out, const model_file *mf, const float *pred, size_t n) {
  size_t width = mf->model->spec.outputs;
  if (mf->head == HEAD_REGRESSION) { /* pred is already in the target's units */
    fputs("pred\n", out);
    for (size_t i = 0; i < n; i++) fprintf(out, "%.9g\n", pred[i]);
    return;
  }
  if (mf->head == HEAD_BINARY) {
    fputs("prob_1,pred\n", out);
    for (size_t i = 0; i < n; i++)
      fprintf(out, "%.7g,%g\n", pred[i], mf->classes[pred[i] >= 0.5f ? 1 : 0]);
    return;
  }
  for (size_t k = 0; k < width; k++) fprintf(out, "prob_%g,", mf->classes[k]);
  fputs("pred\n", out);
  for (size_t i = 0; i < n; i++) {
    const float *p = pred + i * width;
    size_t best = 0;
    for (size_t k = 0; k < width; k++) {
      fprintf(out, "%.7g,", p[k]);
      if (p[k] > p[best]) best = k;
    }
    fprintf(out, "%g\n", mf->classes[best]);
  }
}

tr_err cmd_predict(int argc, char **argv) {
  static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                           {"data", required_argument, 0, 'd'},
                                           {"out", required_argument, 0, 'o'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  const char *model_path = NULL, *data_path = NULL, *out_path = NULL;
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'm': model_path = optarg; break;
    case 'd': data_path = optarg; break;
    case 'o': out_path = optarg; break;
    case 'h': fputs(help, stdout); return TR_OK;
    default: return cli_bad_option("predict", argv, opt);
    }
  }
  if (optind != argc)
    return tr_error_set(TR_EUSAGE, "predict", "unexpected argument '%s'", argv[optind]);
  if (!model_path || !data_path)
    return tr_error_set(TR_EUSAGE, "predict", "--model and --data are required");
  model_file mf;
  tr_err rc = model_load(model_path, &mf);
  if (rc != TR_OK) return rc;
  ds_dataset *d = NULL;
  float *pred = NULL;
  if ((rc = ds_load(data_path, NULL, &d)) != TR_OK) goto done;
  if (d->cols != mf.model->spec.inputs) {
    rc = tr_error_set(TR_EINPUT, data_path, "has %zu features, the model expects %zu", d->cols,
                      mf.model->spec.inputs);
    goto done;
  }
  if (mf.scale.cols) scaler_apply(&mf.scale, d);
  if (!(pred = ds_alloc_floats(d->rows * mf.model->spec.outputs))) {
    rc = tr_error_set(TR_ENOMEM, "predict", "out of memory");
    goto done;
  }
  if ((rc = train_predict(mf.model, mf.head, d, pred, NULL)) != TR_OK) goto done;
  if (mf.head == HEAD_REGRESSION) target_scaler_invert(&mf.target, pred, d->rows);
  if (!out_path) {
    write_rows(stdout, &mf, pred, d->rows);
    if (fflush(stdout) != 0) rc = tr_error_set(TR_EIO, "stdout", "write failed");
  } else {
    tr_atomic a;
    if ((rc = tr_atomic_open(&a, out_path)) == TR_OK) {
      write_rows(a.fp, &mf, pred, d->rows);
      rc = tr_atomic_commit(&a);
    }
  }
done:
  free(pred);
  ds_free(&d);
  model_file_free(&mf);
  return rc;
}
