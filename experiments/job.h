/* A training or io-bench job: the job-file contract of DESIGN.md as option tables (this
 * module's, plus each storage backend's own [storage] keys from the registry), and the
 * job parsed once into typed parameter structs. Code below the run modules gets these
 * structs and never looks a key up by name; the cfg stays with the job so that later
 * checks can point at the line a value came from. */
#ifndef TR_JOB_H
#define TR_JOB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "io/storage.h"

/* Enums in the order of their choices in the job table. */
typedef enum { JOB_LINEAR, JOB_LOGISTIC, JOB_SOFTMAX, JOB_MLP } job_model_type;
typedef enum { JOB_TASK_AUTO, JOB_TASK_CLASSIFICATION, JOB_TASK_REGRESSION } job_task;

typedef struct {
  const char *train, *test;    /* test "" = split off train */
  const char *x_dataset, *y_dataset;
  const char *label_column;    /* "" = 'label' or the last column */
  const char *categorical;     /* CSV: "auto", "none", or column names (auto plus these) */
  const char *na_values;       /* CSV: missing-value markers, comma-separated */
  int impute;                  /* prep_impute: mean|median|most_frequent|fail */
  bool add_indicator;          /* an indicator column per feature with missing cells */
  long max_categories;         /* one-hot columns per categorical feature, 0 = no limit */
  double val_fraction, test_fraction;
  bool stratify, standardize;
  long seed;
} job_data;

typedef struct {
  int type;          /* job_model_type */
  int task;          /* job_task */
  cfg_ints hidden;
  int activation;    /* net_act: relu|tanh|sigmoid */
  int init;          /* net_init_scheme: auto|torch|sklearn */
  double dropout;
} job_model;

typedef struct {
  int name;          /* opt_kind */
  double lr, l1, l2, tol, lr_min, lr_gamma;
  long batch_size, epochs, threads, lr_step_epochs, lr_patience;
  int schedule;      /* sched_kind */
  bool rank_invariant;
  long micro_batch;  /* rank_invariant: rows per micro-batch */
  bool sharded_update; /* each rank updates a shard of the parameters (trainer/train.h) */
} job_optimizer;

typedef struct {
  bool enabled, restore_best, check_finite;
  const char *monitor, *mode;  /* validated names ("val_loss", "auto"...) */
  long patience, start_from_epoch;
  double min_delta, baseline, stopping_threshold, divergence_threshold; /* NaN = none */
} job_early_stopping;

typedef struct {
  int backend;                 /* registry index (io/storage.h) */
  long read_threads, prefetch, transfer_kib;
  int shuffle;                 /* loader_shuffle: sample|block|none|file, or 4 = auto (iostack resolves it) */
  stg_params model;            /* fault keys, the seed, and each backend's block */
} job_storage;

typedef struct {
  double computation_time, au;
  const char *compute_from;
  long batch_size, epochs, files, samples_per_file, record_bytes, ranks, ranks_per_node, steps;
} job_workload;

typedef struct {
  const char *dir;             /* "" = OUT/checkpoint */
  long every_epochs;
} job_checkpoint;

typedef struct {
  const char *instance, *pricing;
  long nodes;
  bool spot;
  double spot_interruptions_per_h, spot_restart_s;
  double budget_usd;           /* NaN = none: stop before an epoch that would exceed it */
} job_cost;

/* [serve]: what serve-bench measures and the traffic its deployments are priced for. */
typedef struct {
  double p95_ms, p99_ms;       /* MaxInvocations' bound; the deployments' latency target */
  long requests, warmup, max_batch, clients, threads;
  double batch_seconds;        /* throughput: time each batch size is repeated for */
  int traffic;                 /* serve_traffic_kind: constant|diurnal|spiky */
  double rps, spike_rps, spike_every_min, spike_minutes;
  const char *diurnal;         /* 24 comma-separated requests/s (checked by serve_check) */
  const char *instance, *project; /* the endpoint's instance; others to project onto */
  long min_instances, max_instances;
  double target_utilization, scale_out_cooldown_s, scale_in_cooldown_s;
  double serverless_runtime_mb, serverless_idle_s, container_start_ms;
  long provisioned_concurrency, serverless_max_concurrency;
  double batch_rows, batch_startup_s;
  long batch_instances, months;
} job_serve;

typedef struct job {
  cfg *src;                    /* the values as given, with their lines */
  job_data data;
  job_model model;
  job_optimizer optimizer;
  job_early_stopping early_stopping;
  job_storage storage;
  job_workload workload;
  job_checkpoint checkpoint;
  job_cost cost;
  job_serve serve;
  bool streams;                /* the job sets a [storage] key: training streams its
                                  batches through storage instead of loading the data */
  void **blocks;               /* the backends' parameter blocks (owned) */
  char **overrides;            /* the --set assignments, in order (owned copies) */
  char *pricing_path;          /* cost.pricing found by the lookup when the key is empty */
  size_t n_overrides;
} job;

/* A configuration with every job key at its default (the job table and every
 * backend's options); NULL on ENOMEM. For validating overrides (sweeps) and tests. */
cfg *job_config_new(void);

/* Defaults, then the file at path (NULL: none), then each override "SECTION.KEY=VALUE"
 * in order, parsed into typed structs. NULL with the error recorded (TR_ECONFIG,
 * file:line or key). */
job *job_load(const char *path, char *const *overrides, size_t n_overrides);
/* As job_load from INI text (a model file's resolved job); name stands for the path in
 * the messages. */
job *job_load_text(const char *text, const char *name);
void job_free(job **j);

/* Records an error located where section.key was given (cfg_error on the job's cfg). */
#define job_error(j, code, section, key, ...) cfg_error((j)->src, code, section, key, __VA_ARGS__)

/* TR_EINPUT located at data.<key> ("train", "test") when its path is neither an
 * existing file or directory nor a glob. */
tr_err job_check_path(const job *j, const char *key);

/* The resolved job as INI text (malloc'd; NULL on ENOMEM). */
char *job_text(const job *j);

/* Prints every job key with its default, type and help. */
void job_print_help(FILE *out);
#endif
