/* The stops a run decides before each epoch, beside early stopping (the trainer's
 * before_epoch hook, trainer/train.h): a search's rung (stop after epoch N, checkpoint
 * kept so a promotion resumes it), the median rule's pruning (a curve of thresholds the
 * sweep computed from its completed trials), and the run's own dollar budget
 * (cost.budget_usd: stop when the cost projected after the next epoch would exceed it,
 * with alerts at 50%, 80% and 100% as AWS Budgets sends them). */
#ifndef TR_RUN_STOPS_H
#define TR_RUN_STOPS_H
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "common/error.h"
#include "trainer/loss.h"
#include "trainer/train.h"

/* A pruning curve: stop before epoch e + 1 when the value of history column `column`
 * at epoch e is worse than below[e - 1] (NaN: no threshold at that epoch). */
typedef struct {
  char column[48];   /* "val_auc", "val_loss", ... */
  bool minimize;     /* lower is better (es_auto_minimize of the name) */
  int n;             /* thresholds for epochs 1..n */
  double *below;
} run_prune;

/* Parses "COLUMN:E=V,E=V,..." (COLUMN val_loss or val_<metric>, epochs 1..1000000 in any
 * order, each once, finite values; at least one pair). TR_EUSAGE "--prune-below: ..."
 * naming what is wrong. NULL-safe free. */
tr_err run_prune_parse(const char *spec, run_prune *out);
void run_prune_free(run_prune *p);

/* The state of the hook for one run. */
typedef struct {
  int until_epoch;             /* 0 = none: else stop (rung) before epoch until_epoch + 1 */
  const run_prune *prune;      /* NULL = none */
  int prune_col;               /* index into train_epoch.val_m, -1 = val_loss */
  double budget_usd;           /* NaN = none */
  double rate_usd_per_h;       /* the instances' rate, all nodes */
  double t_start, resumed_s;   /* the run's clock: billed seconds = now - t_start + resumed_s */
  bool log;                    /* print alerts and stops (rank 0) */
  int n_alerts;
  struct { int percent, epoch; double spent_usd; } alert[3];
  double projected_usd;        /* of the epoch a budget stop refused (NaN: none) */
  double stop_spent_usd;       /* billed when the budget stopped the run (NaN: none) */
  double first_t;              /* the clock at the first hook of this process (0: none yet) */
  int first_epoch;             /* the epochs done then */
  double last_t, max_interval; /* the previous hook's clock; the longest epoch between hooks */
  int pruned_epoch;            /* the epoch a prune stop judged (0: none) */
  double pruned_value, pruned_median;
} run_stops;

/* Resolves the prune curve's column for head (val_loss, or val_<m> of
 * train_history_metrics(head, monitor)). TR_EUSAGE "--prune-below: history has no
 * COLUMN (it has ...)" when absent. */
tr_err run_stops_init(run_stops *st, loss_head head, const char *monitor);

/* train_params.before_epoch: user is a run_stops. */
int run_stops_before_epoch(void *user, int epoch, const struct train_state *s);

/* Records the alerts the final cost (total_usd) reaches and adds "budget" to a result's
 * cost object: {budget_usd, spent_usd, percent, alerts: [{percent, epoch, spent_usd}],
 * stopped (bool), projected_usd (of the refused epoch, or null), spent_at_stop_usd (when
 * it stopped: the outputs written after the stop are billed too)}; and, when the run was
 * pruned, "pruned": {epoch, column, value, median} to the result itself. Nothing for a
 * run without a budget or a prune. */
void run_stops_json(run_stops *st, double total_usd, int last_epoch, bool stopped, cJSON *result, cJSON *cost);
#endif
