/* Sweep files: a grid over named job variants and job keys, expanded into points.
 *
 *   [sweep]
 *   job = configs/demo.ini        ; the base job (train or io-bench job file)
 *   kind = train                  ; train | io-bench | train+serve
 *   clock = real                  ; io-bench: real | virtual (virtual runs are "projected")
 *   metric = auc                  ; what recommend and report rank by (optional)
 *   [variant.baseline]            ; a named variant: SECTION.KEY = VALUE overrides
 *   model.type = logistic
 *   [grid]                        ; every combination of these values
 *   storage.backend = local, s3
 *   ranks = 1, 2                  ; MPI ranks of the run
 *   [project]                     ; optional: rightsizing to other instance types
 *   instances = c5.xlarge, c5.4xlarge
 *
 * Points are variants x the grid's cartesian product, numbered p0001... in that order
 * (the last grid key varies fastest), so a restarted sweep finds the same points.
 *
 * A search (experiments/search.h) instead of running every point to the end:
 *   [sweep]
 *   search = halving              ; grid (default) | random | halving | hyperband
 *   metric = auc                  ; decided on val_<metric> of history.csv (never test)
 *   trials = 30                   ; with [space]: trials sampled (seeded) from it
 *   seed = 1
 *   eta = 3                       ; halving, hyperband: keep the top 1/eta at each rung
 *   min_epochs = 1
 *   max_epochs = 27               ; sets optimizer.epochs of every trial
 *   prune = median                ; none | median (any search), after prune_after epochs
 *   prune_after = 3
 *   budget_usd = 0.05             ; no trial or promotion starts that would exceed it
 *   parallel = 2                  ; trials run at once
 *   runner = worker               ; worker (default): jobs of one rank run in `tradeoff
 *                                 ; worker` processes that load each data set once;
 *                                 ; process: every job its own `tradeoff train`
 *   [space]                       ; random trials: KEY = a, b, c | uniform(a, b) |
 *   optimizer.lr = loguniform(1e-4, 1e-1)  ; loguniform(a, b) | int(a, b)
 * Trials are points too: p0001... (the grid's points, or the samples of [space]). */
#ifndef TR_SWEEP_H
#define TR_SWEEP_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "experiments/search.h"

typedef struct {
  char *name;
  char **sets;   /* "SECTION.KEY=VALUE" */
  long *lines;   /* of each set in the sweep file (NULL: unknown) */
  size_t n_sets;
} sweep_variant;

typedef struct {
  char *key;     /* "SECTION.KEY" or "ranks" */
  char **values;
  size_t n_values;
  long line;     /* of the key in the sweep file (0: unknown) */
} sweep_axis;

/* A [space] key's distribution. */
typedef enum { SPACE_CHOICE, SPACE_UNIFORM, SPACE_LOGUNIFORM, SPACE_INT } sweep_dist;

typedef struct {
  char *key;     /* "SECTION.KEY" */
  int dist;      /* sweep_dist */
  char **values; /* SPACE_CHOICE */
  size_t n_values;
  double lo, hi; /* the others: [lo, hi] (int: integers lo..hi) */
  long line;
} sweep_dim;

typedef struct {
  char *path, *job, *kind, *clock, *metric;
  char *pricing;   /* the base job's cost.pricing */
  sweep_variant *variants;
  size_t n_variants;
  sweep_axis *axes;
  size_t n_axes;
  char **project;  /* instance types to project onto */
  size_t n_project;
  bool serve;      /* kind = train+serve (kind then reads "train") or the base job has a
                      [serve] section: each train point is also serve-benched (issue 14) */
  /* the search: sp.kind SEARCH_GRID without one; sp.max_epochs is the base job's
     optimizer.epochs unless max_epochs is given (then every point sets it) */
  search_params sp;
  bool sets_epochs;     /* max_epochs given: points set optimizer.epochs */
  long trials, parallel;
  bool process_runner;  /* runner = process: every job its own `tradeoff train` (default
                           worker: points of one rank run in `tradeoff worker`s) */
  sweep_dim *space;
  size_t n_space;
  char *rung_column;    /* the history.csv column the search decides on ("val_auc") */
} sweep_spec;

/* True when the sweep runs through the search driver (sweep_search.h): a search other
 * than grid, the median rule, a budget, or parallel > 1. */
bool sweep_is_search(const sweep_spec *s);

/* Parses a [space] value for key into d (d->key and d->line set by the caller): a
 * comma-separated list (choice), uniform(a, b), loguniform(a, b) (0 < a), int(a, b)
 * (integers), a < b. TR_ECONFIG "what is wrong" (no location: the caller adds it). */
tr_err sweep_dim_parse(const char *value, sweep_dim *d);
/* The value of dimension d for one draw of r, as text into buf. */
void sweep_dim_draw(const sweep_dim *d, double u, char *buf, size_t n);

typedef struct {
  char id[16];
  const char *variant;  /* "" without variants */
  char **sets;          /* the variant's overrides, then the grid's values */
  size_t n_sets;
  int ranks;
} sweep_point;

/* The most points a sweep may have (variants x the grid's values): more is a typo or an
 * absurd grid, refused when the file is read. */
#define SWEEP_MAX_POINTS 100000

/* Parses and validates a sweep file: every key must be a job key with a valid value
 * (or `ranks`, a positive integer), the metric one of results_metric_names, at most
 * SWEEP_MAX_POINTS points, [project] instances types of the base job's catalog.
 * Errors: TR_ECONFIG "path:line: ..." (unknown section or key, bad value, empty list,
 * duplicate, too many points, unknown instance type), "path: ..." for a missing file or
 * job, the catalog's own error when [project] is given and it cannot be read.
 * NULL-safe free. */
tr_err sweep_load(const char *path, sweep_spec **out);
void sweep_free(sweep_spec **s);

/* Number of points: trials with [space], else (at most SWEEP_MAX_POINTS for a spec from sweep_load; SIZE_MAX when
 * a spec built otherwise has more than a size_t counts). */
size_t sweep_count(const sweep_spec *s);
/* A digest of point p's resolved configuration: the base job with the point's overrides
 * (every key, cfg_dump), its kind, clock and ranks, as 16 hex digits into hex. Points
 * with equal digests run the same configuration. Loading the job runs every check of
 * job_load (the storage backends' too), so this is where a value that is valid alone but
 * not for its backend fails. Errors: TR_ECONFIG "SWEEP:LINE: KEY = VALUE (point ID):
 * ..." at the [grid] or [variant.NAME] line of the override that failed, else "SWEEP:
 * point ID: " and the job's error. */
tr_err sweep_point_digest(const sweep_spec *s, const sweep_point *p, char hex[17]);

/* Point i (0-based) of s; free with sweep_point_free. With [space], trial i's draw (a
 * seeded stream per trial, so trial i is the same whatever trials is). TR_ENOMEM only. */
tr_err sweep_point_at(const sweep_spec *s, size_t i, sweep_point *p);
void sweep_point_free(sweep_point *p);
#endif
