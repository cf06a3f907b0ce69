/* The search's scheduler (see search.h): trials in brackets, each bracket a ladder of
 * rungs; promotions by rank among the trials that reached a rung, the median rule's
 * thresholds from the completed trials' curves, and the budget as spent + reserved
 * against the projection of the next job. Pure: no file, no clock, no process. */
#define _GNU_SOURCE
#include "experiments/search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

#define SEARCH_MAX_RUNGS 24   /* eta >= 2 and max_epochs <= 1e6: at most 21 rungs */
#define SEARCH_MAX_BRACKETS SEARCH_MAX_RUNGS

enum { T_NEW, T_RUNNING, T_WAITING, T_DONE, T_SELF, T_PRUNED, T_FAILED, T_BUDGET, T_STOPPED };
enum { D_NONE, D_PENDING, D_PROMOTED, D_STOPPED, D_COMPLETED, D_EARLY, D_PRUNED, D_FAILED, D_BUDGET };

typedef struct {
  int status, bracket;
  int epochs;                        /* run so far */
  int jobs;
  double usd;
  double epoch_usd;                  /* of one epoch alone, as last measured (NaN: unknown) */
  bool has[SEARCH_MAX_RUNGS];        /* reached rung k: value[k] is its metric there */
  double value[SEARCH_MAX_RUNGS];
  int epoch[SEARCH_MAX_RUNGS];       /* the epoch of the rung's value (or of its stop) */
  int decision[SEARCH_MAX_RUNGS];
  char why[SEARCH_MAX_RUNGS][200];
  int last_rung;                     /* the rung of its latest job (-1: none) */
  double *curve;
  int n_curve;
} trial;

struct search {
  search_params p;
  size_t n, next_new;
  trial *t;
  int n_brackets;
  int start[SEARCH_MAX_BRACKETS];    /* first rung's epochs of each bracket */
  double spent, reserved;
  double usd_epochs;                 /* the cost and epochs of every job reported */
  long epochs_all;
  double startup_sum, epoch_usd_sum; /* jobs' cost beyond their epochs, and their cost of an epoch */
  size_t startup_n, epoch_usd_n;
  bool over;
};

static const char *kind_name(int k) {
  static const char *names[] = {"grid", "random", "halving", "hyperband"};
  return k >= 0 && k < 4 ? names[k] : "?";
}

const char *search_check_param(const search_params *p) {
  if (p->kind < SEARCH_GRID || p->kind > SEARCH_HYPERBAND) return "sweep.search: unknown search";
  if (p->eta < 2 || p->eta > 100) return "sweep.eta: must be an integer in [2, 100]";
  if (p->max_epochs < 1 || p->max_epochs > 1000000) return "sweep.max_epochs: must be in [1, 1000000]";
  if (p->min_epochs < 1 || p->min_epochs > p->max_epochs) return "sweep.min_epochs: must be in [1, max_epochs]";
  if (p->prune_after < 1) return "sweep.prune_after: must be at least 1";
  if (p->prune_startup < 1) return "sweep.prune_startup: must be at least 1";
  if (!isnan(p->budget_usd) && !(p->budget_usd >= 0 && isfinite(p->budget_usd)))
    return "sweep.budget_usd: must be a finite number >= 0";
  return NULL;
}

static bool halving(const search *s) { return s->p.kind == SEARCH_HALVING || s->p.kind == SEARCH_HYPERBAND; }

/* The epochs of rung k of bracket b; the last rung is max_epochs. */
static int rung_epoch(const search *s, int b, int k) {
  if (!halving(s)) return s->p.max_epochs;
  double e = s->start[b];
  for (int i = 0; i < k; i++) e *= s->p.eta;
  return e >= s->p.max_epochs ? s->p.max_epochs : (int)e;
}

static int n_rungs(const search *s, int b) {
  int k = 0;
  while (rung_epoch(s, b, k) < s->p.max_epochs) k++;
  return k + 1;
}

/* Hyperband's brackets: their starts, and each trial's bracket (a seeded shuffle of the
 * trials dealt out by the largest remainders of the n_s shares). */
static tr_err brackets(search *s) {
  if (s->p.kind != SEARCH_HYPERBAND) {
    s->n_brackets = 1;
    s->start[0] = halving(s) ? s->p.min_epochs : s->p.max_epochs;
    return TR_OK;
  }
  int smax = 0;
  for (double r = s->p.min_epochs; r * s->p.eta <= s->p.max_epochs && smax < SEARCH_MAX_BRACKETS - 1; r *= s->p.eta)
    smax++;
  s->n_brackets = smax + 1;
  double share[SEARCH_MAX_BRACKETS], total = 0;
  for (int b = 0; b <= smax; b++) { /* bracket index b is Hyperband's s = smax - b */
    int sv = smax - b;
    double e = s->p.min_epochs;
    for (int i = 0; i < b; i++) e *= s->p.eta;
    s->start[b] = e >= s->p.max_epochs ? s->p.max_epochs : (int)e;
    share[b] = ceil((double)(smax + 1) / (sv + 1) * pow(s->p.eta, sv));
    total += share[b];
  }
  size_t count[SEARCH_MAX_BRACKETS], dealt = 0;
  double rem[SEARCH_MAX_BRACKETS];
  for (int b = 0; b <= smax; b++) {
    double q = share[b] / total * (double)s->n;
    count[b] = (size_t)floor(q);
    rem[b] = q - floor(q);
    dealt += count[b];
  }
  while (dealt < s->n) { /* largest remainder first, the most aggressive bracket on ties */
    int best = 0;
    for (int b = 1; b <= smax; b++)
      if (rem[b] > rem[best]) best = b;
    count[best]++;
    rem[best] = -1;
    dealt++;
  }
  size_t *order = malloc(s->n * sizeof *order);
  if (!order) return tr_error_set(TR_ENOMEM, "search", "out of memory");
  for (size_t i = 0; i < s->n; i++) order[i] = i;
  rng_t r;
  rng_seed(&r, s->p.seed ^ 0x68797065726261ULL);
  rng_shuffle(&r, order, s->n);
  for (size_t i = 0, b = 0, used = 0; i < s->n; i++) {
    while (used == count[b]) b++, used = 0;
    s->t[order[i]].bracket = (int)b;
    used++;
  }
  free(order);
  return TR_OK;
}

tr_err search_new(const search_params *p, size_t n_trials, search **out) {
  *out = NULL;
  const char *bad = search_check_param(p);
  if (bad) return tr_error_set(TR_ECONFIG, "search", "%s", bad);
  if (n_trials == 0) return tr_error_set(TR_ECONFIG, "search", "no trials");
  search *s = calloc(1, sizeof *s);
  if (!s || !(s->t = calloc(n_trials, sizeof *s->t))) {
    free(s);
    return tr_error_set(TR_ENOMEM, "search", "out of memory");
  }
  s->p = *p;
  s->n = n_trials;
  for (size_t i = 0; i < n_trials; i++) {
    s->t[i].last_rung = -1;
    s->t[i].epoch_usd = NAN;
  }
  tr_err rc = brackets(s);
  if (rc != TR_OK) {
    search_free(&s);
    return rc;
  }
  *out = s;
  return TR_OK;
}

void search_free(search **sp) {
  search *s = sp ? *sp : NULL;
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) free(s->t[i].curve);
  free(s->t);
  free(s);
  *sp = NULL;
}

/* a ranks before b: the better value (NaN last), then the lower trial index. */
static bool ranks_before(const search *s, double a, size_t ia, double b, size_t ib) {
  if (isnan(a) != isnan(b)) return !isnan(a);
  if (!isnan(a) && a != b) return s->p.minimize ? a < b : a > b;
  return ia < ib;
}

/* Trial t's rank (0-based) among the n trials of its bracket that reached rung k. */
static size_t rank_at(const search *s, size_t t, int k, size_t *n) {
  const trial *x = &s->t[t];
  size_t r = 0;
  *n = 0;
  for (size_t i = 0; i < s->n; i++) {
    const trial *y = &s->t[i];
    if (y->bracket != x->bracket || !y->has[k]) continue;
    (*n)++;
    if (i != t && ranks_before(s, y->value[k], i, x->value[k], t)) r++;
  }
  return r;
}

static double per_epoch_usd(const search *s, const trial *x) {
  if (x->epochs > 0 && x->usd > 0) return x->usd / x->epochs;
  return s->epochs_all > 0 ? s->usd_epochs / (double)s->epochs_all : 0;
}

/* True once a job's cost can be projected: some job reported what it cost. */
static bool measured(const search *s) { return s->epochs_all > 0; }

/* The projected cost of running trial x from from_epoch to until: the jobs' mean
 * start-up plus the epochs at x's measured cost of an epoch (else the jobs' mean); when
 * the outcomes give no epoch cost, the trial's (else the search's) cost per epoch. */
static double project(const search *s, const trial *x, int from_epoch, int until) {
  int epochs = until - from_epoch;
  if (s->epoch_usd_n == 0) return per_epoch_usd(s, x) * epochs;
  double e = isfinite(x->epoch_usd) ? x->epoch_usd : s->epoch_usd_sum / (double)s->epoch_usd_n;
  return s->startup_sum / (double)s->startup_n + e * epochs;
}

static size_t running_jobs(const search *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++) n += s->t[i].status == T_RUNNING;
  return n;
}

static const char *ordinal(size_t r, char *buf, size_t n) {
  snprintf(buf, n, "%zu%s", r, r % 100 >= 11 && r % 100 <= 13 ? "th" : r % 10 == 1 ? "st" : r % 10 == 2 ? "nd" : r % 10 == 3 ? "rd" : "th");
  return buf;
}

/* Whether every trial of bracket b that can still reach rung k has: none is unstarted,
 * running towards rung k or below, or waiting below k in the top floor(n / eta) of its
 * rung (a promotion still to come). A lower rung that is not complete has one of these
 * too, so no recursion is needed. Hyperband's rungs decide once complete (Li et al.'s
 * synchronous successive halving); halving's as trials arrive. */
static bool rung_complete(const search *s, int b, int k) {
  for (size_t i = 0; i < s->n; i++) {
    const trial *x = &s->t[i];
    if (x->bracket != b) continue;
    if (x->status == T_NEW || (x->status == T_RUNNING && x->last_rung < k)) return false;
    if (x->status == T_WAITING && x->last_rung < k) {
      size_t n, r = rank_at(s, i, x->last_rung, &n);
      if (r < n / (size_t)s->p.eta) return false;
    }
  }
  return true;
}

/* The best promotable trial: waiting at rung k, in the top floor(n / eta) there (for
 * hyperband, once the rung is complete), from the highest rung down and the first
 * bracket on; -1 when none. */
static long promotable(const search *s, int *rung) {
  if (!halving(s)) return -1;
  for (int b = 0; b < s->n_brackets; b++) {
    for (int k = n_rungs(s, b) - 2; k >= 0; k--) {
      if (s->p.kind == SEARCH_HYPERBAND && !rung_complete(s, b, k)) continue;
      long best = -1;
      for (size_t i = 0; i < s->n; i++) {
        const trial *x = &s->t[i];
        if (x->bracket != b || x->status != T_WAITING || x->last_rung != k) continue;
        size_t n, r = rank_at(s, i, k, &n);
        if (r >= n / (size_t)s->p.eta) continue;
        if (best < 0 || ranks_before(s, x->value[k], i, s->t[best].value[k], (size_t)best)) best = (long)i;
      }
      if (best >= 0) {
        *rung = k;
        return best;
      }
    }
  }
  return -1;
}

/* Reserves job's projected cost, or refuses it (false) when it would take the search
 * over the budget, recording why. */
static bool afford(search *s, trial *x, search_job *job, int from_epoch) {
  double est = project(s, x, from_epoch, job->until_epoch);
  job->reserved_usd = est;
  if (isnan(s->p.budget_usd) || s->spent + s->reserved + est <= s->p.budget_usd) {
    s->reserved += est;
    return true;
  }
  x->status = T_BUDGET;
  x->decision[job->rung] = D_BUDGET;
  snprintf(x->why[job->rung], sizeof x->why[job->rung],
           "not started: its projected $%.6f (epochs %d-%d) would take the sweep over its budget ($%.6f spent, "
           "$%.6f reserved by running trials, budget $%.6f)",
           est, from_epoch + 1, job->until_epoch, s->spent, s->reserved, s->p.budget_usd);
  return false;
}

/* Closes the open decisions once the search is over: a trial still waiting at a rung was
 * not promoted. */
static void finish(search *s) {
  s->over = true;
  for (size_t i = 0; i < s->n; i++) {
    trial *x = &s->t[i];
    if (x->status != T_WAITING) continue;
    int k = x->last_rung;
    size_t n, r = rank_at(s, i, k, &n);
    char o[16];
    x->status = T_STOPPED;
    x->decision[k] = D_STOPPED;
    snprintf(x->why[k], sizeof x->why[k], "not in the top 1/%d at rung %d: %s of %zu (top %zu promoted)", s->p.eta, k,
             ordinal(r + 1, o, sizeof o), n, n / (size_t)s->p.eta);
  }
}

search_step search_next(search *s, search_job *job) {
  memset(job, 0, sizeof *job);
  for (;;) {
    int k;
    long t = promotable(s, &k);
    if (t >= 0) {
      trial *x = &s->t[t];
      *job = (search_job){.trial = (size_t)t, .rung = k + 1, .until_epoch = rung_epoch(s, x->bracket, k + 1)};
      size_t n, r = rank_at(s, (size_t)t, k, &n);
      if (!afford(s, x, job, x->epochs)) {
        x->decision[k] = D_BUDGET; /* the promotion it earned was refused */
        memcpy(x->why[k], x->why[job->rung], sizeof x->why[k]);
        x->decision[job->rung] = D_NONE;
        x->why[job->rung][0] = '\0';
        continue;
      }
      char o[16];
      x->decision[k] = D_PROMOTED;
      snprintf(x->why[k], sizeof x->why[k], "in the top 1/%d at rung %d: %s of %zu (top %zu)", s->p.eta, k,
               ordinal(r + 1, o, sizeof o), n, n / (size_t)s->p.eta);
      x->status = T_RUNNING;
      return SEARCH_JOB;
    }
    /* under a budget, nothing measured yet: one job at a time until one says what it costs */
    if (s->next_new < s->n && !isnan(s->p.budget_usd) && !measured(s) && running_jobs(s) > 0) return SEARCH_WAIT;
    if (s->next_new < s->n) {
      size_t i = s->next_new++;
      trial *x = &s->t[i];
      *job = (search_job){.trial = i, .rung = 0, .until_epoch = rung_epoch(s, x->bracket, 0)};
      if (!afford(s, x, job, 0)) continue;
      x->status = T_RUNNING;
      return SEARCH_JOB;
    }
    for (size_t i = 0; i < s->n; i++)
      if (s->t[i].status == T_RUNNING) return SEARCH_WAIT;
    if (!s->over) finish(s);
    return SEARCH_DONE;
  }
}

tr_err search_report(search *s, const search_job *job, const search_outcome *o) {
  trial *x = &s->t[job->trial];
  int k = job->rung;
  s->reserved -= job->reserved_usd;
  if (s->reserved < 0) s->reserved = 0;
  x->jobs++;
  x->last_rung = k;
  if (!o->failed && isfinite(o->usd) && o->usd > 0) {
    x->usd += o->usd;
    s->spent += o->usd;
    int ran = o->epochs_run - x->epochs;
    if (ran > 0) {
      s->usd_epochs += o->usd;
      s->epochs_all += ran;
      if (isfinite(o->epoch_usd) && o->epoch_usd > 0) {
        s->epoch_usd_sum += o->epoch_usd;
        s->epoch_usd_n++;
        s->startup_sum += fmax(0, o->usd - o->epoch_usd * ran);
        s->startup_n++;
      }
    }
  }
  if (o->failed) {
    x->status = T_FAILED;
    x->decision[k] = D_FAILED;
    snprintf(x->why[k], sizeof x->why[k], "the run failed");
    return TR_OK;
  }
  x->epochs = o->epochs_run;
  if (isfinite(o->epoch_usd) && o->epoch_usd > 0) x->epoch_usd = o->epoch_usd;
  if (o->n_curve > 0) {
    double *c = realloc(x->curve, (size_t)o->n_curve * sizeof *c);
    if (!c) return tr_error_set(TR_ENOMEM, "search", "out of memory");
    memcpy(c, o->curve, (size_t)o->n_curve * sizeof *c);
    x->curve = c;
    x->n_curve = o->n_curve;
  }
  const char *why = o->stop_reason ? o->stop_reason : "";
  x->epoch[k] = o->epochs_run;
  if (!strcmp(why, "pruned")) {
    x->status = T_PRUNED;
    x->decision[k] = D_PRUNED;
    double v = o->epochs_run >= 1 && o->epochs_run <= x->n_curve ? x->curve[o->epochs_run - 1] : NAN;
    snprintf(x->why[k], sizeof x->why[k], "pruned after epoch %d: %.6g is worse than %.6g, the median of completed "
             "trials there", o->epochs_run, v, o->median);
    return TR_OK;
  }
  if (!strcmp(why, "budget") || !strcmp(why, "interrupted") || !strcmp(why, "non_finite") ||
      !strcmp(why, "divergence")) {
    bool budget = !strcmp(why, "budget");
    x->status = budget ? T_BUDGET : T_FAILED;
    x->decision[k] = budget ? D_BUDGET : D_FAILED;
    snprintf(x->why[k], sizeof x->why[k], "the run stopped after epoch %d: %s%s", o->epochs_run, why,
             budget ? " (the sweep's budget left)" : "");
    return TR_OK;
  }
  x->has[k] = true;
  x->value[k] = o->value;
  bool reached_max = o->epochs_run >= s->p.max_epochs;
  bool itself = strcmp(why, "rung") != 0 && strcmp(why, "max_epochs") != 0;
  if (itself) {
    x->status = T_SELF;
    x->decision[k] = D_EARLY;
    snprintf(x->why[k], sizeof x->why[k], "the run stopped itself after epoch %d: %s", o->epochs_run, why);
  } else if (reached_max || k == n_rungs(s, x->bracket) - 1) {
    x->status = T_DONE;
    x->decision[k] = D_COMPLETED;
    snprintf(x->why[k], sizeof x->why[k], "ran to max_epochs (%d)", o->epochs_run);
  } else {
    x->status = T_WAITING;
    x->decision[k] = D_PENDING;
    x->why[k][0] = '\0';
  }
  return TR_OK;
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double *search_prune_curve(const search *s, const search_job *job, int *n) {
  (void)job;
  *n = 0;
  if (!s->p.prune_median) return NULL;
  int E = s->p.max_epochs;
  double *below = malloc((size_t)E * sizeof *below), *vals = malloc((s->n ? s->n : 1) * sizeof *vals);
  bool any = false;
  for (int e = 1; below && vals && e <= E; e++) {
    below[e - 1] = NAN;
    if (e < s->p.prune_after || e >= E) continue;
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
      const trial *x = &s->t[i];
      if ((x->status == T_DONE || x->status == T_SELF) && x->n_curve >= e && !isnan(x->curve[e - 1]))
        vals[m++] = x->curve[e - 1];
    }
    if (m < (size_t)s->p.prune_startup) continue;
    qsort(vals, m, sizeof *vals, by_double);
    below[e - 1] = m % 2 ? vals[m / 2] : (vals[m / 2 - 1] + vals[m / 2]) / 2;
    any = true;
  }
  free(vals);
  if (!any) {
    free(below);
    return NULL;
  }
  *n = E;
  return below;
}

double search_budget_left(const search *s, const search_job *job) {
  if (isnan(s->p.budget_usd)) return NAN;
  return s->p.budget_usd - s->spent - (s->reserved - job->reserved_usd);
}

int search_bracket(const search *s, size_t t) { return s->t[t].bracket; }

bool search_trial_ran(const search *s, size_t t) { return s->t[t].jobs > 0; }

static const char *status_name(int st) {
  static const char *names[] = {"unrun", "running", "pending", "completed", "early_stopped",
                                "pruned", "failed", "budget", "stopped"};
  return names[st];
}

static const char *decision_name(int d) {
  static const char *names[] = {"", "pending", "promoted", "stopped", "completed", "early_stopped",
                                "pruned", "failed", "budget"};
  return names[d];
}

cJSON *search_trial_json(const search *s, size_t t) {
  const trial *x = &s->t[t];
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "search", kind_name(s->p.kind));
  cJSON_AddNumberToObject(o, "bracket", x->bracket);
  cJSON_AddStringToObject(o, "status", status_name(x->status));
  cJSON_AddNumberToObject(o, "epochs_run", x->epochs);
  cJSON_AddNumberToObject(o, "cost_usd", x->usd);
  cJSON *rungs = cJSON_AddArrayToObject(o, "rungs");
  for (int k = 0; k < n_rungs(s, x->bracket); k++) {
    if (x->decision[k] == D_NONE) continue;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "rung", k);
    cJSON_AddNumberToObject(r, "epoch", x->has[k] ? x->epoch[k] : x->epoch[k] ? x->epoch[k] : rung_epoch(s, x->bracket, k));
    if (x->has[k] && isfinite(x->value[k])) cJSON_AddNumberToObject(r, "value", x->value[k]);
    else cJSON_AddNullToObject(r, "value");
    cJSON_AddStringToObject(r, "decision", decision_name(x->decision[k]));
    cJSON_AddStringToObject(r, "why", x->why[k]);
    cJSON_AddItemToArray(rungs, r);
  }
  return o;
}

cJSON *search_summary_json(const search *s) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "search", kind_name(s->p.kind));
  cJSON_AddNumberToObject(o, "eta", s->p.eta);
  cJSON_AddNumberToObject(o, "min_epochs", halving(s) ? s->p.min_epochs : s->p.max_epochs);
  cJSON_AddNumberToObject(o, "max_epochs", s->p.max_epochs);
  cJSON_AddNumberToObject(o, "brackets", s->n_brackets);
  cJSON_AddBoolToObject(o, "prune_median", s->p.prune_median);
  if (isnan(s->p.budget_usd)) cJSON_AddNullToObject(o, "budget_usd");
  else cJSON_AddNumberToObject(o, "budget_usd", s->p.budget_usd);
  cJSON_AddNumberToObject(o, "spent_usd", s->spent);
  cJSON_AddNumberToObject(o, "trials", (double)s->n);
  size_t ran = 0;
  double saved = 0;
  cJSON *unrun = cJSON_AddArrayToObject(o, "left_unrun"), *refused = cJSON_AddArrayToObject(o, "promotions_refused");
  for (size_t i = 0; i < s->n; i++) {
    const trial *x = &s->t[i];
    if (x->jobs > 0) ran++;
    if (x->jobs == 0 && (x->status == T_BUDGET || (x->status == T_NEW && s->over)))
      cJSON_AddItemToArray(unrun, cJSON_CreateNumber((double)i));
    else if (x->status == T_BUDGET && x->jobs > 0)
      cJSON_AddItemToArray(refused, cJSON_CreateNumber((double)i));
    if ((x->status == T_STOPPED || x->status == T_PRUNED) && x->epochs > 0)
      saved += (isnan(x->epoch_usd) ? x->usd / x->epochs : x->epoch_usd) * (s->p.max_epochs - x->epochs);
  }
  cJSON_AddNumberToObject(o, "ran", (double)ran);
  cJSON_AddNumberToObject(o, "cost_saved_by_pruning_usd", saved);
  return o;
}
