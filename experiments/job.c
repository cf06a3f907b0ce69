/* The job-file contract of DESIGN.md as one declarative table, plus each storage
 * backend's own options from the registry. Parsing, validation, overrides, --help and
 * the conversion into the typed job struct all come from the tables (common/config.c);
 * this is the one place that reads a job's keys. */
#include "experiments/job.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "experiments/dlio.h"
#include "experiments/pricing.h"
#include "io/files.h"
#include "io/s3client.h"

#define MONITORS                                                                         \
  "val_loss|val_accuracy|val_precision|val_recall|val_f1|val_auc|val_log_loss|val_mse|" \
  "val_rmse|val_mae|val_r2"

static const cfg_option job_options[] = {
    {"data", "train", CFG_STR, "", 0, 0, NULL,
     "training data: .h5 (/X, /y), .csv or .libsvm (.gz ok), .npy or .npz, or a directory/glob of .h5 shards", CFG_AT(job, data.train), NULL},
    {"data", "test", CFG_STR, "", 0, 0, NULL, "test data; empty = split off train by test_fraction", CFG_AT(job, data.test), NULL},
    {"data", "x_dataset", CFG_STR, "X", 0, 0, NULL, "HDF5 feature dataset name", CFG_AT(job, data.x_dataset), NULL},
    {"data", "y_dataset", CFG_STR, "y", 0, 0, NULL, "HDF5 label dataset name", CFG_AT(job, data.y_dataset), NULL},
    {"data", "label_column", CFG_STR, "", 0, 0, NULL,
     "CSV label column (name or 0-based index); empty = 'label' or the last column", CFG_AT(job, data.label_column), NULL},
    {"data", "categorical", CFG_STR, "auto", 0, 0, NULL,
     "CSV categorical columns: auto (non-numeric columns), none (every feature numeric), or names (auto plus these, e.g. integer codes)",
     CFG_AT(job, data.categorical), NULL},
    {"data", "max_categories", CFG_INT, "100", 0, 16777216, NULL,
     "one-hot columns per categorical feature, 'other' included (sklearn's max_categories); rarer categories go to other; 0 = no limit",
     CFG_AT(job, data.max_categories), NULL},
    {"data", "na_values", CFG_STR, "NA,NaN,null,?", 0, 0, NULL,
     "CSV cells that are missing values, any case (an empty cell always is); comma-separated", CFG_AT(job, data.na_values), NULL},
    {"data", "impute", CFG_ENUM, "mean", 0, 0, "mean|median|most_frequent|fail",
     "missing feature values: fitted on the training split (categorical columns: most_frequent); fail = exit 2 at the cell",
     CFG_AT(job, data.impute), NULL},
    {"data", "add_indicator", CFG_BOOL, "false", 0, 0, NULL,
     "add a <column>_missing 0/1 feature per column with missing training cells (sklearn's add_indicator)", CFG_AT(job, data.add_indicator), NULL},
    {"data", "val_fraction", CFG_FLOAT, "0.1", 0, 0.9, NULL, "fraction of train held out for validation", CFG_AT(job, data.val_fraction), NULL},
    {"data", "test_fraction", CFG_FLOAT, "0.2", 0, 0.9, NULL, "fraction held out for test when no test file", CFG_AT(job, data.test_fraction), NULL},
    {"data", "stratify", CFG_BOOL, "true", 0, 0, NULL, "keep class proportions in the splits", CFG_AT(job, data.stratify), NULL},
    {"data", "standardize", CFG_BOOL, "true", 0, 0, NULL, "zero mean, unit variance, fitted on the training split", CFG_AT(job, data.standardize), NULL},
    {"data", "seed", CFG_INT, "1", 0, 4294967295.0, NULL, "seed for splits, shuffling and initialization", CFG_AT(job, data.seed), NULL},

    {"model", "type", CFG_ENUM, "logistic", 0, 0, "linear|logistic|softmax|mlp", "model family", CFG_AT(job, model.type), NULL},
    {"model", "task", CFG_ENUM, "auto", 0, 0, "auto|classification|regression",
     "mlp head; auto: classification when every label is a whole number (at most 1000 classes)", CFG_AT(job, model.task), NULL},
    {"model", "hidden", CFG_LIST, "256,128", 1, 65536, NULL, "mlp hidden layer widths", CFG_AT(job, model.hidden), NULL},
    {"model", "activation", CFG_ENUM, "relu", 0, 0, "relu|tanh|sigmoid", "mlp activation", CFG_AT(job, model.activation), NULL},
    {"model", "init", CFG_ENUM, "torch", 0, 0, "he|torch|sklearn",
     "mlp initialization: torch = nn.Linear's U(+-1/sqrt(fan_in)) for weights and biases; sklearn = MLPClassifier's U(+-sqrt(6/(fan_in+fan_out))), biases too; he = He normal before ReLU, Glorot uniform otherwise, zero biases, the default before issue 16", CFG_AT(job, model.init), NULL},
    {"model", "dropout", CFG_FLOAT, "0.0", 0, 0.95, NULL, "mlp dropout rate", CFG_AT(job, model.dropout), NULL},

    {"optimizer", "name", CFG_ENUM, "adam", 0, 0, "sgd|momentum|nesterov|adam|adamw|lbfgs", "optimizer (lbfgs: full batch)", CFG_AT(job, optimizer.name), NULL},
    {"optimizer", "lr", CFG_FLOAT, "0.001", 1e-12, 100, NULL, "learning rate (ignored by lbfgs)", CFG_AT(job, optimizer.lr), NULL},
    {"optimizer", "batch_size", CFG_INT, "256", 1, 1 << 24, NULL, "global batch size, split across ranks", CFG_AT(job, optimizer.batch_size), NULL},
    {"optimizer", "epochs", CFG_INT, "100", 1, 1000000, NULL, "upper bound on epochs", CFG_AT(job, optimizer.epochs), NULL},
    {"optimizer", "l1", CFG_FLOAT, "0.0", 0, 1e6, NULL, "L1 penalty (biases excluded)", CFG_AT(job, optimizer.l1), NULL},
    {"optimizer", "l2", CFG_FLOAT, "0.0001", 0, 1e6, NULL, "L2 penalty 0.5*l2*|w|^2 (biases excluded); adamw: decoupled weight decay", CFG_AT(job, optimizer.l2), NULL},
    {"optimizer", "schedule", CFG_ENUM, "constant", 0, 0, "constant|step|cosine|plateau", "learning-rate schedule", CFG_AT(job, optimizer.schedule), NULL},
    {"optimizer", "threads", CFG_INT, "0", 0, 4096, NULL, "OpenMP threads per rank, 0 = all cores of the rank", CFG_AT(job, optimizer.threads), NULL},
    {"optimizer", "rank_invariant", CFG_BOOL, "false", 0, 0, NULL,
     "the same weights, bit for bit, at any rank count (fixed micro-batches summed exactly)", CFG_AT(job, optimizer.rank_invariant), NULL},
    {"optimizer", "micro_batch", CFG_INT, "32", 1, 1 << 24, NULL,
     "rank_invariant: rows per micro-batch (a step uses at most batch_size/micro_batch ranks)", CFG_AT(job, optimizer.micro_batch), NULL},
    {"optimizer", "sharded_update", CFG_BOOL, "true", 0, 0, NULL,
     "under MPI: gradients reduce-scattered, each rank updates its 1/ranks of the parameters, an allgather shares them (ZeRO stage 1); false = allreduce, every rank updates all", CFG_AT(job, optimizer.sharded_update), NULL},
    {"optimizer", "tol", CFG_FLOAT, "0.0001", 0, 1, NULL, "lbfgs: stop when the largest gradient component is below this", CFG_AT(job, optimizer.tol), NULL},
    {"optimizer", "lr_min", CFG_FLOAT, "0.0", 0, 100, NULL, "lower bound of the learning rate (cosine floor, plateau floor)", CFG_AT(job, optimizer.lr_min), NULL},
    {"optimizer", "lr_gamma", CFG_FLOAT, "0.1", 1e-6, 1, NULL, "step and plateau: factor applied to the learning rate", CFG_AT(job, optimizer.lr_gamma), NULL},
    {"optimizer", "lr_step_epochs", CFG_INT, "10", 1, 1000000, NULL, "step: epochs between reductions", CFG_AT(job, optimizer.lr_step_epochs), NULL},
    {"optimizer", "lr_patience", CFG_INT, "2", 0, 1000000, NULL, "plateau: epochs without improvement before a reduction", CFG_AT(job, optimizer.lr_patience), NULL},

    {"early_stopping", "enabled", CFG_BOOL, "true", 0, 0, NULL, "stop when the monitored metric stops improving", CFG_AT(job, early_stopping.enabled), NULL},
    {"early_stopping", "monitor", CFG_ENUM, "val_loss", 0, 0, MONITORS, "metric watched on the validation split", 0, NULL},
    {"early_stopping", "mode", CFG_ENUM, "auto", 0, 0, "min|max|auto", "auto: min for loss/error metrics, else max", 0, NULL},
    {"early_stopping", "patience", CFG_INT, "5", 0, 1000000, NULL, "epochs without improvement before stopping", CFG_AT(job, early_stopping.patience), NULL},
    {"early_stopping", "min_delta", CFG_FLOAT, "0.0001", 0, 1e9, NULL, "an improvement must beat the best by more than this", CFG_AT(job, early_stopping.min_delta), NULL},
    {"early_stopping", "restore_best", CFG_BOOL, "true", 0, 0, NULL, "end with the best epoch's weights", CFG_AT(job, early_stopping.restore_best), NULL},
    {"early_stopping", "start_from_epoch", CFG_INT, "0", 0, 1000000, NULL, "warm-up epochs that are not monitored", CFG_AT(job, early_stopping.start_from_epoch), NULL},
    {"early_stopping", "baseline", CFG_FLOAT, "", 0, 0, NULL, "empty = none; else patience resets only on values better than this", CFG_AT(job, early_stopping.baseline), NULL},
    {"early_stopping", "check_finite", CFG_BOOL, "true", 0, 0, NULL, "stop when the monitored value is NaN or infinite", CFG_AT(job, early_stopping.check_finite), NULL},
    {"early_stopping", "stopping_threshold", CFG_FLOAT, "", 0, 0, NULL, "empty = none; else stop once the monitored value is this good", CFG_AT(job, early_stopping.stopping_threshold), NULL},
    {"early_stopping", "divergence_threshold", CFG_FLOAT, "", 0, 0, NULL, "empty = none; else stop (exit 1) once the value is worse than this", CFG_AT(job, early_stopping.divergence_threshold), NULL},

    {"storage", "backend", CFG_ENUM, "local", 0, 0, NULL, "storage the data is read from", CFG_AT(job, storage.backend), stg_names},
    {"storage", "read_threads", CFG_INT, "4", 1, 256, NULL, "loader threads", CFG_AT(job, storage.read_threads), NULL},
    {"storage", "prefetch", CFG_INT, "2", 0, 1024, NULL, "batches in flight beyond the one being computed on", CFG_AT(job, storage.prefetch), NULL},
    {"storage", "transfer_kib", CFG_INT, "256", 1, 1 << 22, NULL, "largest read request; adjacent rows merge up to it (DLIO transfer_size); object storage left at the default reads its range (s3.range_mib)", CFG_AT(job, storage.transfer_kib), NULL},
    {"storage", "shuffle", CFG_ENUM, "auto", 0, 0, "sample|block|none|file|auto",
     "sample: every row in random order (the in-memory order); block: storage blocks (chunks, shards) in random order, rows shuffled within each; none: storage order; file: blocks in random order, rows in order within each (one large read a batch); auto: file on object storage (s3), sample elsewhere", CFG_AT(job, storage.shuffle), NULL},
    {"storage", "fault.error_rate", CFG_FLOAT, "0", 0, 1, NULL, "testing: fraction of reads that fail", CFG_AT(job, storage.model.fault_error_rate), NULL},
    {"storage", "fault.short_rate", CFG_FLOAT, "0", 0, 1, NULL, "testing: fraction of reads that return fewer bytes", CFG_AT(job, storage.model.fault_short_rate), NULL},
    {"storage", "fault.error_at", CFG_INT, "0", 0, 1e15, NULL, "testing: the Nth read fails, 0 = none", CFG_AT(job, storage.model.fault_error_at), NULL},

    {"workload", "computation_time", CFG_FLOAT, "0", 0, 1e6, NULL, "io-bench: seconds of emulated compute per batch (DLIO)", CFG_AT(job, workload.computation_time), NULL},
    {"workload", "compute_from", CFG_STR, "", 0, 0, NULL,
     "io-bench: a train run's directory; its measured compute per sample x batch_size replaces computation_time", CFG_AT(job, workload.compute_from), NULL},
    {"workload", "batch_size", CFG_INT, "256", 1, 1 << 24, NULL, "io-bench: samples per batch", CFG_AT(job, workload.batch_size), NULL},
    {"workload", "epochs", CFG_INT, "1", 1, 1000000, NULL, "io-bench: epochs", CFG_AT(job, workload.epochs), NULL},
    {"workload", "au", CFG_FLOAT, "0.90", 0, 1, NULL, "io-bench: accelerator utilization an epoch must reach", CFG_AT(job, workload.au), NULL},
    {"workload", "files", CFG_INT, "0", 0, 1e12, NULL, "io-bench: synthetic files (no data read), 0 = the files of data.train", CFG_AT(job, workload.files), NULL},
    {"workload", "samples_per_file", CFG_INT, "1", 1, 1e12, NULL, "io-bench synthetic: samples in each file", CFG_AT(job, workload.samples_per_file), NULL},
    {"workload", "record_bytes", CFG_INT, "4096", 4, 1e12, NULL, "io-bench synthetic: bytes per sample (DLIO record_length)", CFG_AT(job, workload.record_bytes), NULL},
    {"workload", "steps", CFG_INT, "0", 0, 1e15, NULL, "io-bench: batches per epoch, 0 = the rank's whole share (DLIO total_training_steps)", CFG_AT(job, workload.steps), NULL},
    {"workload", "ranks", CFG_INT, "1", 1, 1000000, NULL, "io-bench: ranks sharing the storage (the virtual clock projects one of them)", CFG_AT(job, workload.ranks), NULL},
    {"workload", "ranks_per_node", CFG_INT, "1", 1, 4096, NULL, "io-bench: ranks sharing one instance's network", CFG_AT(job, workload.ranks_per_node), NULL},

    {"checkpoint", "dir", CFG_STR, "", 0, 0, NULL, "checkpoint directory; empty = OUT/checkpoint", CFG_AT(job, checkpoint.dir), NULL},
    {"checkpoint", "every_epochs", CFG_INT, "1", 0, 1000000, NULL, "epochs between checkpoints, 0 = never", CFG_AT(job, checkpoint.every_epochs), NULL},

    {"cost", "instance", CFG_STR, "c5.4xlarge", 0, 0, NULL, "EC2 instance type, a section of the pricing file", CFG_AT(job, cost.instance), NULL},
    {"cost", "nodes", CFG_INT, "1", 1, 100000, NULL, "instances in the job", CFG_AT(job, cost.nodes), NULL},
    {"cost", "spot", CFG_BOOL, "false", 0, 0, NULL, "price at the spot discount", CFG_AT(job, cost.spot), NULL},
    {"cost", "pricing", CFG_STR, "", 0, 0, NULL,
     "pricing catalog; empty = $TRADEOFF_PRICING, else the installed share/tradeoff/pricing.ini, else the source tree's configs/pricing.ini",
     CFG_AT(job, cost.pricing), NULL},
    {"cost", "spot_interruptions_per_h", CFG_FLOAT, "0.0000712", 0, 3600, NULL,
     "spot model: interruptions per hour (Poisson); default -ln(0.95)/720, Spot Advisor's <5%/month", CFG_AT(job, cost.spot_interruptions_per_h), NULL},
    {"cost", "spot_restart_s", CFG_FLOAT, "120", 0, 86400, NULL,
     "spot model: seconds from an interruption to training again (new instance, start-up)", CFG_AT(job, cost.spot_restart_s), NULL},
    {"cost", "budget_usd", CFG_FLOAT, "", 0, 1e9, NULL,
     "empty = none; before each epoch, stop (stop_reason budget) if the cost projected after it would exceed this; "
     "alerts at 50/80/100%; not part of the job's identity (a stopped run resumes under a raised budget)",
     CFG_AT(job, cost.budget_usd), NULL, CFG_RUNTIME},
};
static const size_t job_options_count = sizeof job_options / sizeof job_options[0];

/* [serve] (issue 14): serve-bench's measurement and the deployments' traffic and scaling. */
#define SV(member) CFG_AT(job, serve.member)
static const cfg_option serve_options[] = {
    {"serve", "p95_ms", CFG_FLOAT, "50", 1e-3, 1e6, NULL, "max requests/s is the highest rate whose p95 latency stays within this", SV(p95_ms), NULL},
    {"serve", "p99_ms", CFG_FLOAT, "50", 1e-3, 1e6, NULL, "latency target the deployment options are checked against (p99)", SV(p99_ms), NULL},
    {"serve", "requests", CFG_INT, "2000", 10, 100000000, NULL, "timed batch-1 requests per client count and per rate step", SV(requests), NULL},
    {"serve", "warmup", CFG_INT, "200", 0, 100000000, NULL, "requests (and batches) run before timing, not recorded", SV(warmup), NULL},
    {"serve", "max_batch", CFG_INT, "1024", 1, 65536, NULL, "throughput is measured at batch 1, 2, 4 .. this", SV(max_batch), NULL},
    {"serve", "clients", CFG_INT, "0", 0, 4096, NULL, "largest concurrent client count (1, 2, 4 .. this); 0 = the host's cores", SV(clients), NULL},
    {"serve", "threads", CFG_INT, "0", 0, 4096, NULL, "BLAS threads of the throughput caller; 0 = the host's cores", SV(threads), NULL},
    {"serve", "batch_seconds", CFG_FLOAT, "0.2", 0, 3600, NULL, "throughput: seconds each batch size is repeated for (at least 5 batches)", SV(batch_seconds), NULL},
    {"serve", "traffic", CFG_ENUM, "constant", 0, 0, "constant|diurnal|spiky", "traffic profile the deployments are priced for", SV(traffic), NULL},
    {"serve", "rps", CFG_FLOAT, "10", 0, 1e9, NULL, "constant: requests/s; spiky: requests/s between bursts", SV(rps), NULL},
    {"serve", "diurnal", CFG_STR, "", 0, 0, NULL, "diurnal: 24 comma-separated requests/s, hours 0..23", SV(diurnal), NULL},
    {"serve", "spike_rps", CFG_FLOAT, "100", 0, 1e9, NULL, "spiky: requests/s during a burst", SV(spike_rps), NULL},
    {"serve", "spike_every_min", CFG_FLOAT, "60", 1, 1440, NULL, "spiky: a burst starts every this many minutes", SV(spike_every_min), NULL},
    {"serve", "spike_minutes", CFG_FLOAT, "5", 0, 1440, NULL, "spiky: minutes a burst lasts", SV(spike_minutes), NULL},
    {"serve", "instance", CFG_STR, "ml.c5.xlarge", 0, 0, NULL, "real-time/async/batch instance type, a [serving.realtime.TYPE] of the pricing file", SV(instance), NULL},
    {"serve", "project", CFG_STR, "", 0, 0, NULL, "comma-separated instance types to project the real-time endpoint onto", SV(project), NULL},
    {"serve", "min_instances", CFG_INT, "1", 1, 10000, NULL, "real-time autoscaling: fewest instances", SV(min_instances), NULL},
    {"serve", "max_instances", CFG_INT, "10", 1, 10000, NULL, "real-time autoscaling: most instances", SV(max_instances), NULL},
    {"serve", "target_utilization", CFG_FLOAT, "0.7", 0.01, 1, NULL, "target invocations per instance = measured max requests/s x this", SV(target_utilization), NULL},
    {"serve", "scale_out_cooldown_s", CFG_FLOAT, "300", 0, 86400, NULL, "seconds after a scale-out before the next", SV(scale_out_cooldown_s), NULL},
    {"serve", "scale_in_cooldown_s", CFG_FLOAT, "300", 0, 86400, NULL, "seconds after any scaling before a scale-in", SV(scale_in_cooldown_s), NULL},
    {"serve", "serverless_runtime_mb", CFG_FLOAT, "512", 0, 1e6, NULL, "assumed memory of the serving container besides the model", SV(serverless_runtime_mb), NULL},
    {"serve", "serverless_idle_s", CFG_FLOAT, "600", 1, 86400, NULL, "assumed: an idle serverless container is reclaimed after this", SV(serverless_idle_s), NULL},
    {"serve", "container_start_ms", CFG_FLOAT, "2000", 0, 1e7, NULL, "assumed container start of a cold start (the measured model load is added)", SV(container_start_ms), NULL},
    {"serve", "provisioned_concurrency", CFG_INT, "0", 0, 10000, NULL, "serverless: containers kept warm (0 = none)", SV(provisioned_concurrency), NULL},
    {"serve", "serverless_max_concurrency", CFG_INT, "200", 1, 100000, NULL, "serverless: the endpoint's concurrency limit", SV(serverless_max_concurrency), NULL},
    {"serve", "batch_rows", CFG_FLOAT, "0", 0, 1e15, NULL, "nightly batch transform rows; 0 = the day's requests of the profile", SV(batch_rows), NULL},
    {"serve", "batch_instances", CFG_INT, "1", 1, 10000, NULL, "batch transform instances", SV(batch_instances), NULL},
    {"serve", "batch_startup_s", CFG_FLOAT, "300", 0, 86400, NULL, "assumed billed start-up of a batch transform instance", SV(batch_startup_s), NULL},
    {"serve", "months", CFG_INT, "12", 0, 1200, NULL, "months of serving in the total cost of ownership (recommend)", SV(months), NULL},
};
#undef SV
static const size_t serve_options_count = sizeof serve_options / sizeof serve_options[0];

/* The job's tables: its own, then every backend's (registry order). n gets the count. */
static cfg_table *job_tables(size_t *n) {
  size_t backends = stg_backend_count();
  cfg_table *t = calloc(backends + 2, sizeof *t);
  if (!t) return tr_check_alloc(NULL, "job");
  t[0] = (cfg_table){job_options, job_options_count};
  t[1] = (cfg_table){serve_options, serve_options_count};
  for (size_t i = 0; i < backends; i++) t[i + 2] = stg_backend_options(i);
  *n = backends + 2;
  return t;
}

cfg *job_config_new(void) {
  size_t n = 0;
  cfg_table *t = job_tables(&n);
  cfg *c = t ? cfg_new_tables(t, n) : NULL;
  free(t);
  return c;
}

void job_free(job **pj) {
  job *j = pj ? *pj : NULL;
  if (!j) return;
  for (size_t i = 0; j->blocks && i < stg_backend_count(); i++) free(j->blocks[i]);
  free(j->blocks);
  for (size_t i = 0; i < j->n_overrides; i++) free(j->overrides[i]);
  free(j->overrides);
  free(j->pricing_path);
  cfg_free(&j->src);
  free(j);
  *pj = NULL;
}

/* The process's S3 client (data in s3://, the s3real backend) from the job's s3 keys. */
static tr_err configure_s3(const cfg *c) {
  s3c_options o = {0};
  const char *strs[][2] = {{"s3.endpoint_url", o.endpoint_url}, {"s3.region", o.region}, {"s3.profile", o.profile}};
  size_t caps[] = {sizeof o.endpoint_url, sizeof o.region, sizeof o.profile};
  for (size_t i = 0; i < 3; i++)
    if ((size_t)snprintf((char *)strs[i][1], caps[i], "%s", cfg_str(c, "storage", strs[i][0])) >= caps[i])
      return cfg_error(c, TR_ECONFIG, "storage", strs[i][0], "longer than %zu characters", caps[i] - 1);
  o.connections = (int)strtol(cfg_str(c, "storage", "s3.connections"), NULL, 10);
  o.max_attempts = (int)strtol(cfg_str(c, "storage", "s3.max_attempts"), NULL, 10);
  o.backoff_s = strtod(cfg_str(c, "storage", "s3.backoff_ms"), NULL) / 1000.0;
  o.list_page_size = strtol(cfg_str(c, "storage", "s3.list_page_size"), NULL, 10);
  o.timeout_s = strtod(cfg_str(c, "storage", "s3.timeout_s"), NULL);
  s3c_configure(&o);
  return TR_OK;
}

/* The typed structs from the values of j->src. */
static tr_err parse(job *j) {
  const cfg *c = j->src;
  cfg_fill(c, job_options, job_options_count, j);
  cfg_fill(c, serve_options, serve_options_count, j);
  j->early_stopping.monitor = cfg_str(c, "early_stopping", "monitor");
  j->early_stopping.mode = cfg_str(c, "early_stopping", "mode");
  j->streams = cfg_section_set(c, "storage");
  size_t backends = stg_backend_count();
  if (!(j->blocks = calloc(backends, sizeof *j->blocks))) return tr_error_set(TR_ENOMEM, "job", "out of memory");
  for (size_t i = 0; i < backends; i++) {
    size_t size = stg_backend_params_size(i);
    if (!size) continue;
    if (!(j->blocks[i] = calloc(1, size))) return tr_error_set(TR_ENOMEM, "job", "out of memory");
    cfg_table t = stg_backend_options(i);
    cfg_fill(c, t.opts, t.n, j->blocks[i]);
    const char *key, *bad = stg_backend_check(i, j->blocks[i], &key);
    if (bad) return cfg_error_key(c, TR_ECONFIG, key, "%s", bad);
  }
  j->storage.model.blocks = j->blocks;
  tr_err rc = configure_s3(c);
  if (rc != TR_OK) return rc;
  if (!*j->cost.pricing) { /* the lookup order of pricing_default_path */
    if (!(j->pricing_path = pricing_default_path())) return tr_error_code();
    j->cost.pricing = j->pricing_path;
  }
  j->storage.model.seed = (uint64_t)j->data.seed;
  return TR_OK;
}

job *job_load(const char *path, char *const *overrides, size_t n_overrides) {
  job *j = calloc(1, sizeof *j);
  if (!j) return tr_check_alloc(NULL, "job");
  tr_err rc = (j->src = job_config_new()) ? TR_OK : tr_error_code();
  if (rc == TR_OK && path) rc = dlio_is_workload(path) ? dlio_apply_file(j->src, path) : cfg_load_file(j->src, path);
  for (size_t i = 0; rc == TR_OK && i < n_overrides; i++) rc = cfg_set(j->src, overrides[i]);
  if (rc == TR_OK && n_overrides && !(j->overrides = calloc(n_overrides, sizeof *j->overrides)))
    rc = tr_error_set(TR_ENOMEM, "job", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n_overrides; i++, j->n_overrides++)
    if (!(j->overrides[i] = strdup(overrides[i]))) rc = tr_error_set(TR_ENOMEM, "job", "out of memory");
  if (rc == TR_OK) rc = parse(j);
  if (rc != TR_OK) job_free(&j);
  return j;
}

job *job_load_text(const char *text, const char *name) {
  job *j = calloc(1, sizeof *j);
  if (!j) return tr_check_alloc(NULL, "job");
  tr_err rc = (j->src = job_config_new()) ? TR_OK : tr_error_code();
  if (rc == TR_OK) rc = cfg_load_text(j->src, text, name);
  if (rc == TR_OK) rc = parse(j);
  if (rc != TR_OK) job_free(&j);
  return j;
}

tr_err job_check_path(const job *j, const char *key) {
  const char *path = cfg_str(j->src, "data", key);
  struct stat st;
  if (!ds_is_glob(path) && !ds_is_s3(path) && stat(path, &st) != 0)
    return job_error(j, TR_EINPUT, "data", key, "no such file or directory: %s", path);
  return TR_OK;
}

char *job_text(const job *j) { return cfg_dump(j->src); }

void job_print_help(FILE *out) {
  cfg *c = job_config_new();
  if (c) cfg_print_help(c, out);
  cfg_free(&c);
}
