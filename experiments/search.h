/* The decisions of a sweep's search, apart from running anything: which trial runs next
 * and to which epoch (grid and random: every trial to max_epochs; halving: ASHA, Li et
 * al. 2020; hyperband: Hyperband's brackets of synchronous successive halving, Li et
 * al. 2018), the median rule's thresholds (SageMaker AMT's: a trial worse than the
 * median of completed trials at the same epoch is stopped), and the sweep's dollar
 * budget. The driver (sweep_search.c)
 * asks for a job, runs it, and reports what it measured; everything here is a function
 * of those reports in the order given, so a search replays exactly for a seed. Values
 * are validation metrics only: the driver reads them from history.csv.
 *
 * ASHA: a bracket's rungs are at r, r*eta, r*eta^2, ... epochs, the last one max_epochs;
 * a trial that reached rung k is promoted to rung k + 1 when it is among the top
 * floor(n / eta) of the n trials that reached rung k (asynchronous: n grows as trials
 * report, and a promotion goes before starting a new trial). Hyperband: brackets s =
 * s_max..0 (s_max = floor(log_eta(max_epochs / min_epochs))), bracket s starting at
 * min_epochs * eta^(s_max - s) epochs, the trials shared among them in proportion to
 * Hyperband's n_s = ceil((s_max + 1) / (s + 1) * eta^s), assigned by a seeded shuffle. */
#ifndef TR_SEARCH_H
#define TR_SEARCH_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum { SEARCH_GRID, SEARCH_RANDOM, SEARCH_HALVING, SEARCH_HYPERBAND } search_kind;

typedef struct {
  int kind;            /* search_kind */
  int eta;             /* >= 2 */
  int min_epochs;      /* first rung (halving, hyperband); 1 <= min_epochs <= max_epochs */
  int max_epochs;
  bool prune_median;
  int prune_after;     /* the median rule judges epochs >= prune_after (>= 1) */
  int prune_startup;   /* completed trials an epoch needs before it is judged (>= 1) */
  bool minimize;       /* of the validation metric */
  double budget_usd;   /* NaN = none */
  uint64_t seed;
} search_params;

/* NULL when p is usable, else a static message naming the [sweep] key. */
const char *search_check_param(const search_params *p);

typedef struct search search;

/* A search over n_trials trials (1 <= n_trials). TR_ECONFIG for bad params, TR_ENOMEM. */
tr_err search_new(const search_params *p, size_t n_trials, search **out);
void search_free(search **s);

typedef struct {
  size_t trial;
  int rung;             /* in its bracket */
  int until_epoch;      /* run the trial to this epoch (resuming it when it has epochs) */
  double reserved_usd;  /* the projected cost reserved against the budget */
} search_job;

typedef enum { SEARCH_JOB, SEARCH_WAIT, SEARCH_DONE } search_step;

/* The next job (SEARCH_JOB, *job filled; the trial is running until reported), or
 * SEARCH_WAIT (nothing can start before a running job reports), or SEARCH_DONE. A
 * job whose projected cost (the jobs' mean start-up plus its epochs at the trial's, else
 * the jobs' mean, measured cost of an epoch) would take spent + reserved over the budget
 * is not started: its trial is left unrun (status "budget") and the next candidate is
 * tried. Under a budget, before any job has reported a cost, one job runs at a time. */
search_step search_next(search *s, search_job *job);

/* What a job measured. */
typedef struct {
  bool failed;           /* the run failed: no value */
  int epochs_run;        /* the trial's epochs after the job */
  const char *stop_reason;  /* result.json's */
  double value;          /* the validation metric at its last epoch (NaN: none) */
  double usd;            /* what the job cost */
  double median;         /* pruned: the median it was worse than (NaN: unknown) */
  double epoch_usd;      /* the cost of one of its epochs alone (NaN: unknown) */
  const double *curve;   /* the validation metric of epochs 1..n_curve */
  int n_curve;
} search_outcome;

/* Reports job's outcome (jobs may be reported in any order; the driver reports them in
 * the order they were started). TR_ENOMEM only. */
tr_err search_report(search *s, const search_job *job, const search_outcome *o);

/* The median rule's thresholds for job (NaN at epochs not judged), *n = max_epochs;
 * NULL with *n = 0 when the rule is off or judges no epoch yet. malloc'd. */
double *search_prune_curve(const search *s, const search_job *job, int *n);

/* The budget left for a job: budget - spent - the other running jobs' reservations
 * (NaN without a budget). */
double search_budget_left(const search *s, const search_job *job);

/* Trial t's bracket, and its record: {"bracket", "status" (completed | stopped | pruned |
 * early_stopped | failed | budget | unrun), "epochs_run", "cost_usd" (its jobs' sum),
 * "rungs": [{"rung", "epoch", "value", "decision" (promoted | stopped | completed |
 * pruned | early_stopped | failed | budget), "why"}]}. Decisions still open when the search
 * is not over read "pending". NULL on ENOMEM. */
int search_bracket(const search *s, size_t t);
cJSON *search_trial_json(const search *s, size_t t);
/* True when trial t ran at least one job. */
bool search_trial_ran(const search *s, size_t t);

/* The search's totals: {"search", "eta", "min_epochs", "max_epochs", "brackets",
 * "budget_usd", "spent_usd", "trials", "ran", "left_unrun": [trial indices (0-based)
 * never started for the budget], "promotions_refused": [trials that ran but whose
 * promotion the budget refused, or that the budget stopped], "cost_saved_by_pruning_usd" (what the
 * stopped and pruned trials would have cost from where they stopped to max_epochs, at
 * their measured cost of an epoch, start-up left out; their jobs' cost per epoch when
 * unknown)}. NULL on ENOMEM. */
cJSON *search_summary_json(const search *s);
#endif
