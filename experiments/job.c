/* The job-file contract of DESIGN.md as one declarative table. Parsing, validation,
 * overrides and --help all come from it (common/config.c). */
#include "experiments/job.h"

#include <math.h>
#include <string.h>

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
    {"storage", "prefetch", CFG_INT, "2", 0, 1024, NULL, "batches in flight beyond the one being computed on"},
    {"storage", "transfer_kib", CFG_INT, "256", 1, 1 << 22, NULL, "largest read request; adjacent rows merge up to it (DLIO transfer_size)"},
    {"storage", "shuffle", CFG_ENUM, "sample", 0, 0, "sample|block|none",
     "sample: every row in random order; block: storage blocks (chunks, shards) in random order, rows shuffled within each; none: storage order"},
    /* Every default below is a published figure; configs/storage.ini gives each source. */
    {"storage", "s3.first_byte_ms", CFG_FLOAT, "30", 0, 60000, NULL, "S3: time to first byte of a GET"},
    {"storage", "s3.mb_per_s_per_connection", CFG_FLOAT, "90", 0.001, 1e6, NULL, "S3: MB/s one connection streams"},
    {"storage", "s3.connections", CFG_INT, "10", 1, 4096, NULL, "S3: parallel connections (boto3's max_pool_connections)"},
    {"storage", "s3.range_mib", CFG_FLOAT, "8", 0.001, 5120, NULL, "S3: size of a ranged GET"},
    {"storage", "s3.instance_gbps", CFG_FLOAT, "10", 0.001, 3200, NULL, "S3: the instance's network bandwidth, Gbit/s"},
    {"storage", "s3.get_per_s_per_prefix", CFG_FLOAT, "5500", 1, 1e9, NULL, "S3: GET requests per second per prefix before SlowDown"},
    {"storage", "s3.backoff_ms", CFG_FLOAT, "100", 0, 60000, NULL, "S3: first retry backoff, doubled per attempt (at most 20 s)"},
    {"storage", "s3.max_attempts", CFG_INT, "3", 1, 100, NULL, "S3: attempts of a failed GET (SDK standard retry mode)"},
    {"storage", "efs.latency_ms", CFG_FLOAT, "0.25", 0, 60000, NULL, "EFS: latency of one read operation"},
    {"storage", "efs.mode", CFG_ENUM, "elastic", 0, 0, "bursting|elastic|provisioned", "EFS: throughput mode"},
    {"storage", "efs.baseline_kib_s_per_gib", CFG_FLOAT, "50", 0.001, 1e9, NULL, "EFS bursting: baseline KiB/s per GiB stored (at least 1 MiB/s)"},
    {"storage", "efs.burst_mib_s", CFG_FLOAT, "100", 0.001, 1e9, NULL, "EFS bursting: burst MiB/s (or 100 MiB/s per TiB stored, when larger)"},
    {"storage", "efs.burst_credits_gib", CFG_FLOAT, "2150", 0, 1e9, NULL, "EFS bursting: burst credit balance at the start, GiB"},
    {"storage", "efs.provisioned_mib_s", CFG_FLOAT, "128", 0.001, 1e9, NULL, "EFS provisioned: MiB/s bought"},
    {"storage", "efs.elastic_mib_s", CFG_FLOAT, "20480", 0.001, 1e9, NULL, "EFS elastic: file system read MiB/s"},
    {"storage", "efs.per_client_mib_s", CFG_FLOAT, "", 0.001, 1e9, NULL, "EFS: one client's MiB/s; empty = 1500 (elastic) or 500"},
    {"storage", "efs.stored_gib", CFG_FLOAT, "0", 0, 1e12, NULL, "EFS: GiB stored (sets the bursting baseline), 0 = the data set's size"},
    {"storage", "fsx.latency_ms", CFG_FLOAT, "0.5", 0, 60000, NULL, "FSx: latency of one read of loaded data"},
    {"storage", "fsx.deployment", CFG_ENUM, "SCRATCH_2", 0, 0,
     "SCRATCH_2|PERSISTENT_125|PERSISTENT_250|PERSISTENT_500|PERSISTENT_1000", "FSx for Lustre deployment type"},
    {"storage", "fsx.capacity_tib", CFG_FLOAT, "0", 0, 1e6, NULL, "FSx: storage capacity, 0 = the smallest (1.2, 2.4, 4.8.. TiB) holding the data"},
    {"storage", "fsx.chunk_mib", CFG_FLOAT, "0", 0, 1e6, NULL, "FSx: lazy-load unit, 0 = whole files"},
    {"storage", "fsx.mb_per_s_per_tib", CFG_FLOAT, "0", 0, 1e6, NULL, "FSx: throughput per TiB, 0 = the deployment's"},
    {"storage", "fsx.preload", CFG_BOOL, "false", 0, 0, NULL, "FSx: load every file from S3 before training (hsm_restore)"},
    {"storage", "fault.error_rate", CFG_FLOAT, "0", 0, 1, NULL, "testing: fraction of reads that fail"},
    {"storage", "fault.short_rate", CFG_FLOAT, "0", 0, 1, NULL, "testing: fraction of reads that return fewer bytes"},
    {"storage", "fault.error_at", CFG_INT, "0", 0, 1e15, NULL, "testing: the Nth read fails, 0 = none"},

    {"workload", "computation_time", CFG_FLOAT, "0", 0, 1e6, NULL, "io-bench: seconds of emulated compute per batch (DLIO)"},
    {"workload", "compute_from", CFG_STR, "", 0, 0, NULL,
     "io-bench: a train run's directory; its measured compute per sample x batch_size replaces computation_time"},
    {"workload", "batch_size", CFG_INT, "256", 1, 1 << 24, NULL, "io-bench: samples per batch"},
    {"workload", "epochs", CFG_INT, "1", 1, 1000000, NULL, "io-bench: epochs"},
    {"workload", "au", CFG_FLOAT, "0.90", 0, 1, NULL, "io-bench: accelerator utilization an epoch must reach"},
    {"workload", "files", CFG_INT, "0", 0, 1e12, NULL, "io-bench: synthetic files (no data read), 0 = the files of data.train"},
    {"workload", "samples_per_file", CFG_INT, "1", 1, 1e12, NULL, "io-bench synthetic: samples in each file"},
    {"workload", "record_bytes", CFG_INT, "4096", 4, 1e12, NULL, "io-bench synthetic: bytes per sample (DLIO record_length)"},
    {"workload", "ranks", CFG_INT, "1", 1, 1000000, NULL, "io-bench: ranks sharing the storage (the virtual clock projects one of them)"},
    {"workload", "ranks_per_node", CFG_INT, "1", 1, 4096, NULL, "io-bench: ranks sharing one instance's network"},

    {"checkpoint", "dir", CFG_STR, "", 0, 0, NULL, "checkpoint directory; empty = OUT/checkpoint"},
    {"checkpoint", "every_epochs", CFG_INT, "1", 0, 1000000, NULL, "epochs between checkpoints, 0 = never"},

    {"cost", "instance", CFG_STR, "c5.4xlarge", 0, 0, NULL, "EC2 instance type, a section of the pricing file"},
    {"cost", "nodes", CFG_INT, "1", 1, 100000, NULL, "instances in the job"},
    {"cost", "spot", CFG_BOOL, "false", 0, 0, NULL, "price at the spot discount"},
    {"cost", "pricing", CFG_STR, "configs/pricing.ini", 0, 0, NULL, "pricing catalog"},
    {"cost", "spot_interruptions_per_h", CFG_FLOAT, "0.0000712", 0, 3600, NULL,
     "spot model: interruptions per hour (Poisson); default -ln(0.95)/720, Spot Advisor's <5%/month"},
    {"cost", "spot_restart_s", CFG_FLOAT, "120", 0, 86400, NULL,
     "spot model: seconds from an interruption to training again (new instance, start-up)"},
};
const size_t job_options_count = sizeof job_options / sizeof job_options[0];

void job_storage_params(const cfg *job, stg_params *p) {
  double per_client = cfg_float(job, "storage", "efs.per_client_mib_s");
  const char *efs_mode = cfg_str(job, "storage", "efs.mode");
  *p = (stg_params){
      .s3_first_byte_ms = cfg_float(job, "storage", "s3.first_byte_ms"),
      .s3_mb_per_s_per_connection = cfg_float(job, "storage", "s3.mb_per_s_per_connection"),
      .s3_range_mib = cfg_float(job, "storage", "s3.range_mib"),
      .s3_instance_gbps = cfg_float(job, "storage", "s3.instance_gbps"),
      .s3_get_per_s_per_prefix = cfg_float(job, "storage", "s3.get_per_s_per_prefix"),
      .s3_backoff_ms = cfg_float(job, "storage", "s3.backoff_ms"),
      .s3_connections = (int)cfg_int(job, "storage", "s3.connections"),
      .s3_max_attempts = (int)cfg_int(job, "storage", "s3.max_attempts"),
      .efs_mode = efs_mode,
      .efs_latency_ms = cfg_float(job, "storage", "efs.latency_ms"),
      .efs_baseline_kib_s_per_gib = cfg_float(job, "storage", "efs.baseline_kib_s_per_gib"),
      .efs_burst_mib_s = cfg_float(job, "storage", "efs.burst_mib_s"),
      .efs_burst_credits_gib = cfg_float(job, "storage", "efs.burst_credits_gib"),
      .efs_provisioned_mib_s = cfg_float(job, "storage", "efs.provisioned_mib_s"),
      .efs_elastic_mib_s = cfg_float(job, "storage", "efs.elastic_mib_s"),
      .efs_per_client_mib_s = isnan(per_client) ? (!strcmp(efs_mode, "elastic") ? 1500 : 500) : per_client,
      .efs_stored_gib = cfg_float(job, "storage", "efs.stored_gib"),
      .fsx_deployment = cfg_str(job, "storage", "fsx.deployment"),
      .fsx_latency_ms = cfg_float(job, "storage", "fsx.latency_ms"),
      .fsx_capacity_tib = cfg_float(job, "storage", "fsx.capacity_tib"),
      .fsx_chunk_mib = cfg_float(job, "storage", "fsx.chunk_mib"),
      .fsx_mb_per_s_per_tib = cfg_float(job, "storage", "fsx.mb_per_s_per_tib"),
      .fsx_preload = cfg_bool(job, "storage", "fsx.preload"),
      .fault_error_rate = cfg_float(job, "storage", "fault.error_rate"),
      .fault_short_rate = cfg_float(job, "storage", "fault.short_rate"),
      .fault_error_at = cfg_int(job, "storage", "fault.error_at"),
      .seed = (uint64_t)cfg_int(job, "data", "seed"),
  };
}

cfg *job_load(const char *path, char *const *overrides, size_t n_overrides) {
  cfg *c = cfg_new(job_options, job_options_count);
  if (!c) return NULL;
  tr_err rc = cfg_load_file(c, path);
  for (size_t i = 0; rc == TR_OK && i < n_overrides; i++) rc = cfg_set(c, overrides[i]);
  if (rc != TR_OK) cfg_free(&c);
  return c;
}
