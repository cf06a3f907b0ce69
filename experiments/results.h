/* The results of a sweep: OUT/results.jsonl, one JSON object per run (a train
 * result.json or an io-bench io.json, plus the sweep's "point": id, variant, kind,
 * label, ranks, the --set values and the run's directory). This module reads them into
 * flat records that recommend, the Pareto filter and the report share. */
#ifndef TR_RESULTS_H
#define TR_RESULTS_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct {
  cJSON *obj;              /* the whole line (owned by the record set) */
  const char *id;          /* point.id */
  const char *variant;     /* point.variant ("" when none) */
  const char *kind;        /* "train" | "io-bench" */
  const char *label;       /* "measured" | "projected" */
  const char *dir;         /* point.dir: the run's directory, relative to the sweep's */
  const char *backend, *instance, *stop_reason;
  bool spot;
  int ranks, epochs_run, best_epoch;
  double time_s;           /* wall time of the run (what is billed); for a spot run the
                              expected time with interruptions (cost.spot_estimate) */
  double train_s;          /* training (or reading) time */
  double epoch_s;          /* mean epoch time */
  double au_percent;
  double cost_usd;         /* cost.total_usd; spot: cost.spot_estimate.expected_usd */
  bool spot_estimated;     /* time_s and cost_usd are cost.spot_estimate's expectation (a
                              model of interruptions, not what was measured) */
  double spot_interruptions_per_h; /* the rate that expectation assumed (NAN: unrecorded) */
  const cJSON *set;        /* point.set: the sweep's KEY: VALUE strings (NULL when none) */
  const cJSON *host;       /* provenance.host: where it was measured (NULL in older results) */
} run_record;

typedef struct {
  run_record *r;
  size_t n;
} run_records;

/* Reads DIR/results.jsonl. Errors: TR_EINPUT "DIR/results.jsonl:LINE: ..." for a line
 * that is not a JSON object with a point and a cost (a finite cost.total_usd), or whose
 * counts (ranks, epochs_run, best_epoch) are not whole numbers or epoch_s not numbers;
 * TR_EINPUT when the file is missing. */
tr_err results_load(const char *dir, run_records *out);
void results_free(run_records *rs);

/* The test metric `name` of r ("auc", "accuracy", "f1", "rmse", "r2", ...; also
 * "au_percent" and "samples_per_s"); NaN when r has none. */
double results_metric(const run_record *r, const char *name);
/* The metrics results_metric() finds in a run, NULL-terminated: the test metrics a train
 * run reports (classification: accuracy, precision, recall, f1, auc, log_loss;
 * regression: mse, rmse, mae, r2), then au_percent and samples_per_s. */
extern const char *const results_metric_names[];
/* True when name is one of results_metric_names. */
bool results_metric_known(const char *name);
/* True for metrics where lower is better (loss, mse, rmse, mae, log_loss). */
bool results_lower_is_better(const char *name);

/* Pareto frontier over (metric, cost, time): dominated[i] is set when another record
 * is at least as good in all three (metric higher, or lower when lower_better; cost and
 * time lower) and strictly better in one. Records with a NaN metric are dominated. */
void results_pareto(const run_record *r, size_t n, const char *metric, bool *dominated);
#endif
