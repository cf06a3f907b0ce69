/* The job-file contract of DESIGN.md as one declarative table. Parsing, validation,
 * overrides and --help all come from it (common/config.c). */
#include "experiments/job.h"

#define MONITORS                                                                         \
  "val_loss|val_accuracy|val_precision|val_recall|val_f1|val_auc|val_log_loss|val_mse|" \
  "val_rmse|val_mae|val_r2"

const cfg_option job_options[] = {
    {"data", "train", CFG_STR, "", 0, 0, NULL,
     "training data: .h5 (/X, /y), .csv or .libsvm (.gz ok), or a directory/glob of .h5 shards"},
    {"data", "test", CFG_STR, "", 0, 0, NULL, "test data; empty = split off train by test_fraction"},
    {"data", "x_dataset", CFG_STR, "X", 0, 0, NULL, "HDF5 feature dataset name"},
    {"data", "y_dataset", CFG_STR, "y", 0, 0, NULL, "HDF5 label dataset name"},
    {"data", "label_column", CFG_STR, "", 0, 0, NULL,
     "CSV label column (name or 0-based index); empty = 'label' or the last column"},
    {"data", "val_fraction", CFG_FLOAT, "0.1", 0, 0.9, NULL, "fraction of train held out for validation"},
    {"data", "test_fraction", CFG_FLOAT, "0.2", 0, 0.9, NULL, "fraction held out for test when no test file"},
    {"data", "stratify", CFG_BOOL, "true", 0, 0, NULL, "keep class proportions in the splits"},
    {"data", "standardize", CFG_BOOL, "true", 0, 0, NULL, "zero mean, unit variance, fitted on the training split"},
    {"data", "seed", CFG_INT, "1", 0, 4294967295.0, NULL, "seed for splits, shuffling and initialization"},

    {"model", "type", CFG_ENUM, "logistic", 0, 0, "linear|logistic|softmax|mlp", "model family"},
    {"model", "task", CFG_ENUM, "auto", 0, 0, "auto|classification|regression",
     "mlp head; auto: classification when every label is a whole number (at most 1000 classes)"},
    {"model", "hidden", CFG_LIST, "256,128", 1, 65536, NULL, "mlp hidden layer widths"},
    {"model", "activation", CFG_ENUM, "relu", 0, 0, "relu|tanh|sigmoid", "mlp activation"},
    {"model", "dropout", CFG_FLOAT, "0.0", 0, 0.95, NULL, "mlp dropout rate"},

    {"optimizer", "name", CFG_ENUM, "adam", 0, 0, "sgd|momentum|nesterov|adam|adamw|lbfgs", "optimizer (lbfgs: full batch)"},
    {"optimizer", "lr", CFG_FLOAT, "0.001", 1e-12, 100, NULL, "learning rate (ignored by lbfgs)"},
    {"optimizer", "batch_size", CFG_INT, "256", 1, 1 << 24, NULL, "global batch size, split across ranks"},
    {"optimizer", "epochs", CFG_INT, "100", 1, 1000000, NULL, "upper bound on epochs"},
    {"optimizer", "l1", CFG_FLOAT, "0.0", 0, 1e6, NULL, "L1 penalty (biases excluded)"},
    {"optimizer", "l2", CFG_FLOAT, "0.0001", 0, 1e6, NULL, "L2 penalty 0.5*l2*|w|^2 (biases excluded); adamw: decoupled weight decay"},
    {"optimizer", "schedule", CFG_ENUM, "constant", 0, 0, "constant|step|cosine|plateau", "learning-rate schedule"},
    {"optimizer", "threads", CFG_INT, "0", 0, 4096, NULL, "OpenMP threads per rank, 0 = all cores of the rank"},
    {"optimizer", "tol", CFG_FLOAT, "0.0001", 0, 1, NULL, "lbfgs: stop when the largest gradient component is below this"},
    {"optimizer", "lr_min", CFG_FLOAT, "0.0", 0, 100, NULL, "lower bound of the learning rate (cosine floor, plateau floor)"},
    {"optimizer", "lr_gamma", CFG_FLOAT, "0.1", 1e-6, 1, NULL, "step and plateau: factor applied to the learning rate"},
    {"optimizer", "lr_step_epochs", CFG_INT, "10", 1, 1000000, NULL, "step: epochs between reductions"},
    {"optimizer", "lr_patience", CFG_INT, "2", 0, 1000000, NULL, "plateau: epochs without improvement before a reduction"},

    {"early_stopping", "enabled", CFG_BOOL, "true", 0, 0, NULL, "stop when the monitored metric stops improving"},
    {"early_stopping", "monitor", CFG_ENUM, "val_loss", 0, 0, MONITORS, "metric watched on the validation split"},
    {"early_stopping", "mode", CFG_ENUM, "auto", 0, 0, "min|max|auto", "auto: min for loss/error metrics, else max"},
    {"early_stopping", "patience", CFG_INT, "5", 0, 1000000, NULL, "epochs without improvement before stopping"},
    {"early_stopping", "min_delta", CFG_FLOAT, "0.0001", 0, 1e9, NULL, "an improvement must beat the best by more than this"},
    {"early_stopping", "restore_best", CFG_BOOL, "true", 0, 0, NULL, "end with the best epoch's weights"},
    {"early_stopping", "start_from_epoch", CFG_INT, "0", 0, 1000000, NULL, "warm-up epochs that are not monitored"},
    {"early_stopping", "baseline", CFG_FLOAT, "", 0, 0, NULL, "empty = none; else patience resets only on values better than this"},
    {"early_stopping", "check_finite", CFG_BOOL, "true", 0, 0, NULL, "stop when the monitored value is NaN or infinite"},
    {"early_stopping", "stopping_threshold", CFG_FLOAT, "", 0, 0, NULL, "empty = none; else stop once the monitored value is this good"},
    {"early_stopping", "divergence_threshold", CFG_FLOAT, "", 0, 0, NULL, "empty = none; else stop (exit 1) once the value is worse than this"},

    {"storage", "backend", CFG_ENUM, "local", 0, 0, "local|null|s3|efs|fsx", "storage the data is read from"},
    {"storage", "read_threads", CFG_INT, "4", 1, 256, NULL, "loader threads"},
    {"storage", "prefetch", CFG_INT, "2", 0, 1024, NULL, "batches in flight"},

    {"checkpoint", "dir", CFG_STR, "", 0, 0, NULL, "checkpoint directory; empty = OUT/checkpoint"},
    {"checkpoint", "every_epochs", CFG_INT, "1", 0, 1000000, NULL, "epochs between checkpoints, 0 = never"},

    {"cost", "instance", CFG_STR, "c5.4xlarge", 0, 0, NULL, "EC2 instance type, a section of the pricing file"},
    {"cost", "nodes", CFG_INT, "1", 1, 100000, NULL, "instances in the job"},
    {"cost", "spot", CFG_BOOL, "false", 0, 0, NULL, "price at the spot discount"},
    {"cost", "pricing", CFG_STR, "configs/pricing.ini", 0, 0, NULL, "pricing catalog"},
};
const size_t job_options_count = sizeof job_options / sizeof job_options[0];

cfg *job_load(const char *path, char *const *overrides, size_t n_overrides) {
  cfg *c = cfg_new(job_options, job_options_count);
  if (!c) return NULL;
  tr_err rc = cfg_load_file(c, path);
  for (size_t i = 0; rc == TR_OK && i < n_overrides; i++) rc = cfg_set(c, overrides[i]);
  if (rc != TR_OK) cfg_free(&c);
  return c;
}
