/* Hand-made sweeps shared by the report suites (test_report*.c): results.jsonl lines as
 * `sweep` writes them and the history.csv of train runs. */
#ifndef TR_REPORT_FIXTURE_H
#define TR_REPORT_FIXTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
  const char *id, *variant, *label, *backend, *instance, *set;
  int ranks;
  double auc, cost, total_s, train_s;
  int epochs, best;
  double au;
  bool spot;         /* cost.spot */
  const char *extra; /* more members of the line ("\"provenance\": {...}"), or NULL */
} rf_train_run;

/* The full sweep is a search: its measured runs with history.csv carry the sweep's
 * totals ("search") and point.search, a1 pruned. */
extern const char *const rf_search_totals;

/* The train runs of the full sweep: a1, a2 (baseline, 1 and 2 ranks), m1, m2 (mlp, 1 and
 * 2 ranks), ms3 (mlp on s3, no history.csv) and m2@c5.xlarge (projected). */
extern const rf_train_run rf_runs[];
extern const size_t rf_n_runs;

/* One train line as `sweep` writes it: result.json plus the point. */
void rf_train_line(FILE *f, const rf_train_run *t);
/* One io-bench line on the virtual clock. */
void rf_io_line(FILE *f, const char *id, const char *backend, double epoch_s, double au, double cost);
/* DIR/points/ID/history.csv: the validation loss is lowest at epoch best. */
void rf_history(const char *dir, const char *id, int epochs, int best);

/* dir/results.jsonl of the full sweep: rf_runs plus io-bench runs on s3 and fsx; the
 * histories of a1, a2, m1, m2. */
void rf_full_sweep(const char *dir);
/* dir/results.jsonl of the train runs runs[0..n), no history. */
void rf_write_sweep(const char *dir, const rf_train_run *runs, size_t n);
/* a1 and m1 only (one rank count, one backend), with their histories. */
void rf_one_rank_sweep(const char *dir);
/* One io-bench run on s3 only (no metric, no train run). */
void rf_io_only_sweep(const char *dir);

/* Whether text contains what; prints both to stderr when not. */
bool rf_has(const char *text, const char *what);
#endif
