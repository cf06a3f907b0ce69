/* `tradeoff predict --model DIR/model.h5 --data FILE`: parses the arguments; the work is
 * experiments/predict.h (columns matched by name, labels optional). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "experiments/predict.h"

static const char help[] =
    "usage: tradeoff predict --model DIR/model.h5 --data FILE [--out preds.csv]\n"
    "\n"
    "Writes one CSV line per row of FILE (.h5, .csv, .libsvm, .gz ok; labels optional):\n"
    "prob_<class>,pred (binary: the second class value), prob_<class>...,pred (multiclass)\n"
    "or pred (regression), with pred in the training labels' values. Columns are matched\n"
    "by name when the model and FILE have names (any order; the training label column and\n"
    "extra columns are left out; a missing one is an error), else by position. Default\n"
    "output: stdout.\n";

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
  return predict_file(model_path, data_path, out_path);
}
