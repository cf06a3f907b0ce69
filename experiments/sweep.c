/* Sweep files (see sweep.h): read through the INI front end (common/inifile.h), every
 * override checked against the job's options at its line, the metric against the known
 * ones, the number of points against SWEEP_MAX_POINTS and [project]'s instances against
 * the base job's pricing catalog, all before anything runs; points are enumerated as a
 * mixed-radix counter over the variants and the grid's axes. */
#define _GNU_SOURCE
#include "experiments/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/checked.h"
#include "common/digest.h"
#include "common/inifile.h"
#include "common/rng.h"
#include "experiments/job.h"
#include "experiments/pricing.h"
#include "experiments/results.h"
#include "experiments/runfiles.h"

/* Parsing state for inih's callback. */
typedef struct {
  sweep_spec *s;
  cfg *check;        /* a job configuration to validate overrides on */
  const char *path;
  long line;         /* of the current value */
  long project_line; /* of [project] instances */
  long search_line, trials_line, prune_line, min_line, metric_line, parallel_line, budget_line;
  tr_err rc;
} parser;

static char *trim(char *t) {
  while (*t == ' ' || *t == '\t') t++;
  char *e = t + strlen(t);
  while (e > t && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
  return t;
}

static bool push_str(char ***v, size_t *n, const char *s) {
  char **grown = realloc(*v, (*n + 1) * sizeof **v);
  if (!grown) return false;
  *v = grown;
  return ((*v)[*n] = strdup(s)) != NULL && ++*n;
}

/* Checks "KEY=VALUE" against the job table; records "path:line: ..." on failure. */
static bool valid_override(parser *ps, const char *key, const char *value) {
  char *a = NULL;
  if (asprintf(&a, "%s=%s", key, value) < 0) return false;
  tr_err rc = cfg_set(ps->check, a);
  free(a);
  if (rc == TR_OK) return true;
  char msg[600];
  snprintf(msg, sizeof msg, "%s", tr_error_message());
  tr_error_clear();
  ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "%s", msg);
  return false;
}

static bool valid_ranks(parser *ps, const char *v) {
  char *end;
  long k = strtol(v, &end, 10);
  if (end != v && !*end && k >= 1 && k <= 4096) return true;
  ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "ranks: expected an integer in [1, 4096], got '%s'", v);
  return false;
}

/* kind = train+serve: train points that are serve-benched too, as does a base job with
 * a [serve] section; kind then reads "train" (the subcommand of a point). */
static tr_err resolve_serve(sweep_spec *s, const job *base) {
  if (s->kind && !strcmp(s->kind, "train+serve")) {
    free(s->kind);
    if (!(s->kind = strdup("train"))) return TR_ENOMEM;
    s->serve = true;
  } else if (base && cfg_section_set(base->src, "serve") && (!s->kind || !strcmp(s->kind, "train"))) {
    s->serve = true;
  }
  return TR_OK;
}

/* An integer [sweep] value in [lo, hi] into *out; records "path:line: ..." otherwise. */
static bool sweep_long(parser *ps, const char *key, const char *v, long lo, long hi, long *out) {
  char *end;
  long k = strtol(v, &end, 10);
  if (end != v && !*end && k >= lo && k <= hi) {
    *out = k;
    return true;
  }
  ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.%s: expected an integer in [%ld, %ld], got '%s'", key, lo,
                       hi, v);
  return false;
}

/* The search's [sweep] keys; 1 when key is one (ps->rc set on a bad value), 0 when not. */
static int on_search_key(parser *ps, const char *key, const char *value) {
  sweep_spec *s = ps->s;
  search_params *sp = &s->sp;
  long v = 0;
  long *line = !strcmp(key, "search")       ? &ps->search_line
               : !strcmp(key, "trials")     ? &ps->trials_line
               : !strcmp(key, "prune")      ? &ps->prune_line
               : !strcmp(key, "min_epochs") ? &ps->min_line
               : !strcmp(key, "parallel")   ? &ps->parallel_line
               : !strcmp(key, "budget_usd") ? &ps->budget_line
               : !strcmp(key, "metric")     ? &ps->metric_line
                                            : NULL;
  if (line) *line = ps->line;
  if (!strcmp(key, "search")) {
    static const char *kinds[] = {"grid", "random", "halving", "hyperband"};
    for (int i = 0; i < 4; i++)
      if (!strcmp(value, kinds[i])) {
        sp->kind = i;
        return 1;
      }
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.search: unexpected '%s' (grid, random, halving, hyperband)",
                         value);
    return 1;
  }
  if (!strcmp(key, "prune")) {
    if (!strcmp(value, "median") || !strcmp(value, "none")) sp->prune_median = !strcmp(value, "median");
    else ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.prune: unexpected '%s' (none, median)", value);
    return 1;
  }
  if (!strcmp(key, "runner")) {
    if (!strcmp(value, "worker") || !strcmp(value, "process")) s->process_runner = !strcmp(value, "process");
    else ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.runner: unexpected '%s' (worker, process)", value);
    return 1;
  }
  if (!strcmp(key, "budget_usd")) {
    char *end;
    double b = strtod(value, &end);
    if (end != value && !*end && isfinite(b) && b >= 0) sp->budget_usd = b;
    else ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.budget_usd: expected dollars >= 0, got '%s'", value);
    return 1;
  }
  struct { const char *name; long lo, hi; } ints[] = {
      {"trials", 1, SWEEP_MAX_POINTS}, {"seed", 0, 2147483647L}, {"eta", 2, 100}, {"min_epochs", 1, 1000000},
      {"max_epochs", 1, 1000000}, {"prune_after", 1, 1000000}, {"prune_startup", 1, 100000}, {"parallel", 1, 256}};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    if (strcmp(key, ints[i].name) != 0) continue;
    if (!sweep_long(ps, key, value, ints[i].lo, ints[i].hi, &v)) return 1;
    switch (i) {
    case 0: s->trials = v; break;
    case 1: sp->seed = (uint64_t)v; break;
    case 2: sp->eta = (int)v; break;
    case 3: sp->min_epochs = (int)v; break;
    case 4: sp->max_epochs = (int)v; s->sets_epochs = true; break;
    case 5: sp->prune_after = (int)v; break;
    case 6: sp->prune_startup = (int)v; break;
    default: s->parallel = v; break;
    }
    return 1;
  }
  return 0;
}

static int on_sweep_key(parser *ps, const char *key, const char *value) {
  sweep_spec *s = ps->s;
  if (on_search_key(ps, key, value)) return ps->rc == TR_OK;
  char **slot = !strcmp(key, "job")      ? &s->job
                : !strcmp(key, "kind")   ? &s->kind
                : !strcmp(key, "clock")  ? &s->clock
                : !strcmp(key, "metric") ? &s->metric
                                         : NULL;
  if (!slot) {
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line,
                         "unknown key '%s' in [sweep] (job, kind, clock, metric, search, trials, seed, eta, min_epochs, "
                         "max_epochs, prune, prune_after, prune_startup, budget_usd, parallel, runner)", key);
    return 0;
  }
  if ((!strcmp(key, "kind") && strcmp(value, "train") && strcmp(value, "io-bench") && strcmp(value, "train+serve")) ||
      (!strcmp(key, "clock") && strcmp(value, "real") && strcmp(value, "virtual"))) {
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.%s: unexpected '%s' (%s)", key, value,
                         !strcmp(key, "kind") ? "train, io-bench or train+serve" : "real or virtual");
    return 0;
  }
  if (!strcmp(key, "metric") && *value && !results_metric_known(value)) { /* "" = none */
    char names[256] = "";
    for (size_t i = 0, len = 0; results_metric_names[i] && len < sizeof names; i++)
      len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", results_metric_names[i]);
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "sweep.metric: unknown metric '%s' (%s)", value, names);
    return 0;
  }
  free(*slot);
  if (!(*slot = strdup(value))) ps->rc = tr_error_set(TR_ENOMEM, ps->path, "out of memory");
  return ps->rc == TR_OK;
}

/* Refuses the sweep at the current line once its points (variants x the grid's values so
 * far, both only growing) pass SWEEP_MAX_POINTS: the key or variant that made it absurd. */
static bool points_in_bounds(parser *ps) {
  const sweep_spec *s = ps->s;
  if (sweep_count(s) <= SWEEP_MAX_POINTS) return true;
  double n = s->n_variants ? (double)s->n_variants : 1; /* for the message: never wraps */
  for (size_t i = 0; i < s->n_axes; i++) n *= (double)s->axes[i].n_values;
  ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line,
                       "the sweep has %.4g points (variants x the grid's values), more than %d", n,
                       SWEEP_MAX_POINTS);
  return false;
}

static sweep_variant *variant_named(sweep_spec *s, const char *name) {
  for (size_t i = 0; i < s->n_variants; i++)
    if (!strcmp(s->variants[i].name, name)) return &s->variants[i];
  sweep_variant *grown = realloc(s->variants, (s->n_variants + 1) * sizeof *grown);
  if (!grown) return NULL;
  s->variants = grown;
  sweep_variant *v = &s->variants[s->n_variants];
  memset(v, 0, sizeof *v);
  if (!(v->name = strdup(name))) return NULL;
  s->n_variants++;
  return v;
}

static int on_grid_key(parser *ps, const char *key, const char *value) {
  sweep_spec *s = ps->s; /* a key given twice: refused by inifile_parse */
  sweep_axis *grown = realloc(s->axes, (s->n_axes + 1) * sizeof *grown);
  if (!grown) return 0;
  s->axes = grown;
  sweep_axis *a = &s->axes[s->n_axes++];
  memset(a, 0, sizeof *a);
  a->line = ps->line;
  if (!(a->key = strdup(key))) return 0;
  char *copy = strdup(value), *save = NULL;
  if (!copy) return 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *v = trim(tok);
    bool ok = !strcmp(key, "ranks") ? valid_ranks(ps, v) : valid_override(ps, key, v);
    if (!ok || !push_str(&a->values, &a->n_values, v)) break;
  }
  free(copy);
  if (ps->rc == TR_OK && a->n_values == 0)
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "%s: no values (write them comma-separated)", key);
  return ps->rc == TR_OK && points_in_bounds(ps);
}

/* [project] instances: a list of distinct names, checked against the catalog once the
 * base job (and so its cost.pricing) is known. */
static int on_project(parser *ps, const char *key, const char *value) {
  sweep_spec *s = ps->s;
  if (strcmp(key, "instances") != 0) {
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "unknown key '%s' in [project] (instances)", key);
    return 0;
  }
  ps->project_line = ps->line;
  char *copy = strdup(value), *save = NULL;
  bool ok = copy != NULL;
  for (char *tok = ok ? strtok_r(copy, ",", &save) : NULL; ok && tok; tok = strtok_r(NULL, ",", &save)) {
    char *v = trim(tok);
    for (size_t i = 0; i < s->n_project && ps->rc == TR_OK; i++)
      if (!strcmp(s->project[i], v))
        ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "[project] instances: '%s' is listed twice", v);
    if (ps->rc == TR_OK && !*v)
      ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "[project] instances: an empty name");
    ok = ps->rc == TR_OK && push_str(&s->project, &s->n_project, v);
  }
  free(copy);
  if (ok && s->n_project == 0)
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "[project] instances: no values (write them comma-separated)");
  return ok && ps->rc == TR_OK;
}

static bool is_number(const char *t, double *v) {
  char *end;
  *v = strtod(t, &end);
  return end != t && !*end && isfinite(*v);
}

tr_err sweep_dim_parse(const char *value, sweep_dim *d) {
  static const struct { const char *name; int dist; } fns[] = {
      {"uniform", SPACE_UNIFORM}, {"loguniform", SPACE_LOGUNIFORM}, {"int", SPACE_INT}};
  const char *open = strchr(value, '(');
  size_t len = open ? (size_t)(open - value) : 0;
  while (len && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
  int dist = -1;
  for (size_t i = 0; open && i < sizeof fns / sizeof *fns; i++)
    if (strlen(fns[i].name) == len && !strncmp(value, fns[i].name, len)) dist = fns[i].dist;
  if (!open) { /* a list: the values are checked against the key by the caller */
    d->dist = SPACE_CHOICE;
    return TR_OK;
  }
  if (dist < 0)
    return tr_error_set(TR_ECONFIG, "space", "unknown distribution '%.*s' (a list a, b, c; uniform(a, b); "
                        "loguniform(a, b); int(a, b))", (int)len, value);
  const char *close = strrchr(value, ')');
  if (!close || close < open || close[1 + strspn(close + 1, " \t")] != '\0')
    return tr_error_set(TR_ECONFIG, "space", "%.*s(a, b): expected a closing ')' at the end", (int)len, value);
  char args[256];
  size_t alen = (size_t)(close - open - 1);
  if (alen >= sizeof args) return tr_error_set(TR_ECONFIG, "space", "%.*s(...): arguments too long", (int)len, value);
  memcpy(args, open + 1, alen);
  args[alen] = '\0';
  char *comma = strchr(args, ',');
  if (!comma || strchr(comma + 1, ','))
    return tr_error_set(TR_ECONFIG, "space", "%.*s(a, b): expected two numbers, got '(%s)'", (int)len, value, args);
  *comma = '\0';
  double lo, hi;
  if (!is_number(trim(args), &lo) || !is_number(trim(comma + 1), &hi))
    return tr_error_set(TR_ECONFIG, "space", "%.*s(a, b): a and b must be finite numbers", (int)len, value);
  if (!(lo < hi)) return tr_error_set(TR_ECONFIG, "space", "%.*s(a, b): needs a < b", (int)len, value);
  if (dist == SPACE_LOGUNIFORM && lo <= 0)
    return tr_error_set(TR_ECONFIG, "space", "loguniform(a, b): needs 0 < a");
  if (dist == SPACE_INT && (lo != floor(lo) || hi != floor(hi) || fabs(lo) > 1e15 || fabs(hi) > 1e15))
    return tr_error_set(TR_ECONFIG, "space", "int(a, b): a and b must be integers");
  d->dist = dist;
  d->lo = lo;
  d->hi = hi;
  return TR_OK;
}

void sweep_dim_draw(const sweep_dim *d, double u, char *buf, size_t n) {
  switch (d->dist) {
  case SPACE_CHOICE: snprintf(buf, n, "%s", d->values[(size_t)(u * (double)d->n_values) % d->n_values]); break;
  case SPACE_UNIFORM: snprintf(buf, n, "%.6g", d->lo + u * (d->hi - d->lo)); break;
  case SPACE_LOGUNIFORM: snprintf(buf, n, "%.6g", exp(log(d->lo) + u * (log(d->hi) - log(d->lo)))); break;
  default: snprintf(buf, n, "%.0f", d->lo + floor(u * (d->hi - d->lo + 1))); break;
  }
}

/* A [space] key: its distribution, with every value it can take valid for the key (the
 * list's values; a range's ends, as drawn values print). */
static int on_space_key(parser *ps, const char *key, const char *value) {
  sweep_spec *s = ps->s;
  sweep_dim *grown = realloc(s->space, (s->n_space + 1) * sizeof *grown);
  if (!grown) return 0;
  s->space = grown;
  sweep_dim *d = &s->space[s->n_space++];
  memset(d, 0, sizeof *d);
  d->line = ps->line;
  if (!(d->key = strdup(key))) return 0;
  if (!strcmp(key, "ranks")) {
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "[space] ranks: ranks go in [grid] or a variant");
    return 0;
  }
  if (sweep_dim_parse(value, d) != TR_OK) {
    char msg[600];
    snprintf(msg, sizeof msg, "%s", tr_error_message());
    tr_error_clear();
    ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "[space] %s: %s", key, msg + (strncmp(msg, "space: ", 7) ? 0 : 7));
    return 0;
  }
  if (d->dist == SPACE_CHOICE) {
    char *copy = strdup(value), *save = NULL;
    if (!copy) return 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char *v = trim(tok);
      if (!valid_override(ps, key, v) || !push_str(&d->values, &d->n_values, v)) break;
    }
    free(copy);
    if (ps->rc == TR_OK && d->n_values == 0)
      ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line, "[space] %s: no values", key);
    return ps->rc == TR_OK;
  }
  char buf[64];
  sweep_dim_draw(d, 0, buf, sizeof buf);
  if (!valid_override(ps, key, buf)) return 0;
  sweep_dim_draw(d, 0.999999999, buf, sizeof buf);
  return valid_override(ps, key, buf);
}

static int on_entry(parser *ps, const char *section, const char *key, const char *value) {
  sweep_spec *s = ps->s;
  if (!strcmp(section, "sweep")) return on_sweep_key(ps, key, value);
  if (!strcmp(section, "space")) return on_space_key(ps, key, value);
  if (!strcmp(section, "grid")) return on_grid_key(ps, key, value);
  if (!strcmp(section, "project")) return on_project(ps, key, value);
  if (!strncmp(section, "variant.", 8) && section[8]) {
    sweep_variant *v = variant_named(s, section + 8);
    char *a = NULL;
    if (!v || !valid_override(ps, key, value) || !points_in_bounds(ps)) return 0;
    if (asprintf(&a, "%s=%s", key, value) < 0) return 0;
    long *lines = realloc(v->lines, (v->n_sets + 1) * sizeof *lines);
    if (lines) (v->lines = lines)[v->n_sets] = ps->line;
    bool ok = lines && push_str(&v->sets, &v->n_sets, a);
    free(a);
    return ok;
  }
  ps->rc = tr_error_at(TR_ECONFIG, ps->path, ps->line,
                       "unknown section [%s] (sweep, variant.NAME, grid, space, project)", section);
  return 0;
}

static tr_err on_value(void *user, const char *section, const char *key, const char *value,
                       long line) {
  parser *ps = user;
  ps->line = line;
  if (on_entry(ps, section, key, value)) return TR_OK;
  if (ps->rc == TR_OK) ps->rc = tr_error_set(TR_ENOMEM, ps->path, "out of memory");
  return ps->rc;
}

bool sweep_is_search(const sweep_spec *s) {
  return s->sp.kind != SEARCH_GRID || s->sp.prune_median || !isnan(s->sp.budget_usd) || s->parallel > 1;
}

/* The search's keys together, once the base job is known: what each search needs, its
 * epochs, and the metric it decides on (a column history.csv has). */
static tr_err check_search(parser *ps, const job *base) {
  sweep_spec *s = ps->s;
  search_params *sp = &s->sp;
  const char *f = ps->path;
  if (!s->sets_epochs) sp->max_epochs = (int)base->optimizer.epochs;
  bool random = sp->kind == SEARCH_RANDOM, rungs = sp->kind == SEARCH_HALVING || sp->kind == SEARCH_HYPERBAND;
  if (s->n_space && s->n_axes)
    return tr_error_at(TR_ECONFIG, f, s->space[0].line, "[space] and [grid] together: a search samples [space] or "
                       "runs the grid's points, not both");
  if (s->n_space && !(random || rungs))
    return tr_error_at(TR_ECONFIG, f, s->space[0].line, "[space] needs search = random, halving or hyperband");
  if (random && !s->n_space)
    return tr_error_at(TR_ECONFIG, f, ps->search_line, "search = random needs a [space] to sample");
  if (s->n_space && s->trials == 0)
    return tr_error_at(TR_ECONFIG, f, s->space[0].line, "[space] needs trials = N in [sweep] (how many to sample)");
  if (!s->n_space && s->trials)
    return tr_error_at(TR_ECONFIG, f, ps->trials_line, "sweep.trials: only with a [space] to sample");
  if (sweep_is_search(s) && s->kind && strcmp(s->kind, "train") != 0)
    return tr_error_at(TR_ECONFIG, f, ps->search_line ? ps->search_line : ps->prune_line ? ps->prune_line
                       : ps->budget_line ? ps->budget_line : ps->parallel_line,
                       "a search, prune, budget_usd and parallel need kind = train");
  if (sp->min_epochs > sp->max_epochs)
    return tr_error_at(TR_ECONFIG, f, ps->min_line, "sweep.min_epochs = %d is more than max_epochs (%d)", sp->min_epochs,
                       sp->max_epochs);
  if (s->sets_epochs) {
    for (size_t a = 0; a < s->n_axes; a++)
      if (!strcmp(s->axes[a].key, "optimizer.epochs"))
        return tr_error_at(TR_ECONFIG, f, s->axes[a].line, "optimizer.epochs: the search's max_epochs sets it");
    for (size_t d = 0; d < s->n_space; d++)
      if (!strcmp(s->space[d].key, "optimizer.epochs"))
        return tr_error_at(TR_ECONFIG, f, s->space[d].line, "optimizer.epochs: the search's max_epochs sets it");
  }
  bool needs = rungs || sp->prune_median;
  if (!needs && (!s->metric || !*s->metric)) return TR_OK;
  if (!s->metric || !*s->metric)
    return tr_error_at(TR_ECONFIG, f, rungs ? ps->search_line : ps->prune_line,
                       "%s decides on a validation metric: set [sweep] metric (auc, accuracy, f1, rmse, r2, log_loss)",
                       rungs ? "the search" : "prune = median");
  static const char *per_epoch[] = {"accuracy", "auc", "f1", "rmse", "r2", "log_loss"};
  bool ok = false;
  for (size_t i = 0; i < sizeof per_epoch / sizeof *per_epoch; i++) ok = ok || !strcmp(s->metric, per_epoch[i]);
  char col[64];
  runfiles_val_column(s->metric, col, sizeof col);
  ok = ok || !strcmp(base->early_stopping.monitor, col);
  if (!ok && !needs) return TR_OK; /* the curves of a random search or a grid are drawn on val_loss */
  if (!ok)
    return tr_error_at(TR_ECONFIG, f, ps->metric_line, "sweep.metric: history.csv has no %s every epoch to decide "
                       "on (auc, accuracy, f1, rmse, r2, log_loss; or set the job's early_stopping.monitor = %s)",
                       col, col);
  sp->minimize = results_lower_is_better(s->metric);
  if (!(s->rung_column = strdup(col))) return tr_error_set(TR_ENOMEM, f, "out of memory");
  return TR_OK;
}

/* Every [project] instance is a type of the base job's catalog (the one rightsizing
 * prices them from), so a typo fails here, at its line, before any point runs. */
static tr_err check_project(parser *ps) {
  const sweep_spec *s = ps->s;
  pricing *prices = NULL;
  tr_err rc = pricing_load(s->pricing, &prices);
  for (size_t k = 0; rc == TR_OK && k < s->n_project; k++) {
    pricing_instance it;
    if (!pricing_has_instance(prices, s->project[k]))
      rc = tr_error_at(TR_ECONFIG, ps->path, ps->project_line,
                       "[project] instances: unknown instance type '%s' (no [instance.%s] in %s)",
                       s->project[k], s->project[k], s->pricing);
    else
      rc = pricing_find_instance(prices, s->project[k], &it); /* its values are valid too */
  }
  pricing_free(&prices);
  return rc;
}

tr_err sweep_load(const char *path, sweep_spec **out) {
  *out = NULL;
  sweep_spec *s = calloc(1, sizeof *s);
  parser ps = {.s = s, .check = job_config_new(), .path = path};
  if (s)
    s->sp = (search_params){.kind = SEARCH_GRID, .eta = 3, .min_epochs = 1, .max_epochs = 1, .prune_after = 1,
                            .prune_startup = 3, .budget_usd = NAN};
  if (s) s->parallel = 1;
  if (!s || !ps.check || !(s->path = strdup(path))) {
    cfg_free(&ps.check);
    sweep_free(&s);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  ps.rc = inifile_parse(path, "the sweep file", on_value, &ps);
  cfg_free(&ps.check);
  if (ps.rc == TR_OK && (!s->job || !*s->job))
    ps.rc = tr_error_set(TR_ECONFIG, path, "[sweep] needs job = JOB.ini (the base job)");
  struct stat st;
  if (ps.rc == TR_OK && stat(s->job, &st) != 0)
    ps.rc = tr_error_set(TR_ECONFIG, path, "sweep.job: no such file: %s", s->job);
  job *base = ps.rc == TR_OK ? job_load(s->job, NULL, 0) : NULL; /* the base job must be valid */
  if (ps.rc == TR_OK && !base) ps.rc = tr_error_code();
  if (base && !(s->pricing = strdup(base->cost.pricing))) ps.rc = TR_ENOMEM;
  if (ps.rc == TR_OK) ps.rc = resolve_serve(s, base);
  if (ps.rc == TR_OK) ps.rc = check_search(&ps, base);
  if (ps.rc == TR_OK && s->serve && sweep_is_search(s))
    ps.rc = tr_error_at(TR_ECONFIG, path,
                        ps.search_line ? ps.search_line : ps.prune_line ? ps.prune_line
                        : ps.budget_line ? ps.budget_line : ps.parallel_line ? ps.parallel_line : 1,
                        "the search driver (search, prune, budget_usd, parallel > 1) does not "
                        "serve-bench its trials (kind = train+serve, or a [serve] section in the base "
                        "job): run serve-bench on the chosen model, or sweep a plain grid");
  job_free(&base);
  if (ps.rc == TR_OK && s->n_project) ps.rc = check_project(&ps);
  if (ps.rc == TR_OK && !s->kind && !(s->kind = strdup("train"))) ps.rc = TR_ENOMEM;
  if (ps.rc == TR_OK && !s->clock && !(s->clock = strdup("real"))) ps.rc = TR_ENOMEM;
  if (ps.rc != TR_OK) {
    if (ps.rc == TR_ENOMEM && tr_error_code() == TR_OK) tr_error_set(TR_ENOMEM, path, "out of memory");
    sweep_free(&s);
    return tr_error_code();
  }
  *out = s;
  return TR_OK;
}

static void free_strs(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

void sweep_free(sweep_spec **sp) {
  sweep_spec *s = sp ? *sp : NULL;
  if (!s) return;
  for (size_t i = 0; i < s->n_variants; i++) {
    free(s->variants[i].name);
    free_strs(s->variants[i].sets, s->variants[i].n_sets);
    free(s->variants[i].lines);
  }
  free(s->variants);
  for (size_t i = 0; i < s->n_axes; i++) {
    free(s->axes[i].key);
    free_strs(s->axes[i].values, s->axes[i].n_values);
  }
  free(s->axes);
  free_strs(s->project, s->n_project);
  for (size_t i = 0; i < s->n_space; i++) {
    free(s->space[i].key);
    free_strs(s->space[i].values, s->space[i].n_values);
  }
  free(s->space);
  free(s->rung_column);
  free(s->path);
  free(s->job);
  free(s->kind);
  free(s->clock);
  free(s->metric);
  free(s->pricing);
  free(s);
  *sp = NULL;
}

size_t sweep_count(const sweep_spec *s) {
  if (s->n_space) return (size_t)s->trials;
  size_t n = s->n_variants ? s->n_variants : 1;
  for (size_t i = 0; i < s->n_axes; i++) checked_mul(n, s->axes[i].n_values, &n); /* saturates */
  return n;
}

/* Trial i of a [space]: a variant (uniformly, when there are variants), then each
 * key's draw, from the trial's own stream of the seed. */
static bool space_point(const sweep_spec *s, size_t i, sweep_point *p) {
  rng_t base, r;
  rng_seed(&base, s->sp.seed ^ 0x73706163655eedULL);
  r = rng_split(&base, i);
  const sweep_variant *v = s->n_variants ? &s->variants[rng_below(&r, s->n_variants)] : NULL;
  p->variant = v ? v->name : "";
  bool ok = true;
  for (size_t k = 0; v && ok && k < v->n_sets; k++) ok = push_str(&p->sets, &p->n_sets, v->sets[k]);
  for (size_t d = 0; ok && d < s->n_space; d++) {
    char val[512], *set = NULL;
    sweep_dim_draw(&s->space[d], rng_uniform(&r), val, sizeof val);
    ok = asprintf(&set, "%s=%s", s->space[d].key, val) >= 0 && push_str(&p->sets, &p->n_sets, set);
    free(set);
  }
  return ok;
}

/* A search's max_epochs: the last set of every point. */
static bool epochs_set(const sweep_spec *s, sweep_point *p) {
  if (!s->sets_epochs) return true;
  char *set = NULL;
  bool ok = asprintf(&set, "optimizer.epochs=%d", s->sp.max_epochs) >= 0 && push_str(&p->sets, &p->n_sets, set);
  free(set);
  return ok;
}

tr_err sweep_point_at(const sweep_spec *s, size_t i, sweep_point *p) {
  memset(p, 0, sizeof *p);
  snprintf(p->id, sizeof p->id, "p%04zu", i + 1);
  p->ranks = 1;
  if (s->n_space) {
    if (space_point(s, i, p) && epochs_set(s, p)) return TR_OK;
    sweep_point_free(p);
    return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  }
  /* mixed radix: the last axis varies fastest, the variant slowest */
  size_t *digit = calloc(s->n_axes + 1, sizeof(size_t)), rest = i;
  if (!digit) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  for (size_t a = s->n_axes; a-- > 0;) {
    digit[a] = rest % s->axes[a].n_values;
    rest /= s->axes[a].n_values;
  }
  const sweep_variant *v = s->n_variants ? &s->variants[rest] : NULL;
  p->variant = v ? v->name : "";
  bool ok = true;
  for (size_t k = 0; v && ok && k < v->n_sets; k++) ok = push_str(&p->sets, &p->n_sets, v->sets[k]);
  for (size_t a = 0; ok && a < s->n_axes; a++) {
    const char *val = s->axes[a].values[digit[a]];
    if (!strcmp(s->axes[a].key, "ranks")) {
      p->ranks = atoi(val);
      continue;
    }
    char *set = NULL;
    ok = asprintf(&set, "%s=%s", s->axes[a].key, val) >= 0 && push_str(&p->sets, &p->n_sets, set);
    free(set);
  }
  ok = ok && epochs_set(s, p);
  free(digit);
  if (!ok) {
    sweep_point_free(p);
    return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  }
  return TR_OK;
}

/* The sweep file's line of point p's override of key[0..len): its grid axis (a grid
 * value overrides the variant's), else its variant's set; 0 when unknown. */
static long override_line(const sweep_spec *s, const sweep_point *p, const char *key, size_t len) {
  for (size_t a = 0; a < s->n_axes; a++)
    if (strlen(s->axes[a].key) == len && !strncmp(s->axes[a].key, key, len)) return s->axes[a].line;
  for (size_t i = 0; i < s->n_variants; i++) {
    const sweep_variant *v = &s->variants[i];
    if (strcmp(v->name, p->variant) != 0) continue;
    for (size_t k = v->n_sets; v->lines && k-- > 0;)
      if (!strncmp(v->sets[k], key, len) && v->sets[k][len] == '=') return v->lines[k];
  }
  return 0;
}

/* Re-records the error job_load recorded for point p at the sweep file: a backend check
 * that failed on one of the point's overrides names it ("KEY: message", the cfg_error
 * form for a --set value), so the error goes to that override's line. */
static tr_err point_error(const sweep_spec *s, const sweep_point *p) {
  tr_err code = tr_error_code();
  if (code == TR_OK) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  if (code == TR_ENOMEM) return code;
  char msg[600];
  snprintf(msg, sizeof msg, "%s", tr_error_message());
  tr_error_clear();
  for (size_t k = p->n_sets; k-- > 0;) { /* the last set of a key is the one in effect */
    const char *set = p->sets[k], *eq = strchr(set, '=');
    size_t len = eq ? (size_t)(eq - set) : 0;
    if (!eq || strncmp(msg, set, len) != 0 || strncmp(msg + len, ": ", 2) != 0) continue;
    long line = override_line(s, p, set, len);
    return tr_error_at(code, s->path, line, "%.*s = %s (point %s): %s", (int)len, set, eq + 1, p->id,
                       msg + len + 2);
  }
  return tr_error_set(code, s->path, "point %s: %s", p->id, msg);
}

tr_err sweep_point_digest(const sweep_spec *s, const sweep_point *p, char hex[17]) {
  job *j = job_load(s->job, p->sets, p->n_sets);
  if (!j) return point_error(s, p);
  char *text = job_text(j);
  job_free(&j);
  if (!text) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  char head[128];
  int n = snprintf(head, sizeof head, "kind=%s\nclock=%s\nranks=%d\n", s->kind,
                   strcmp(s->kind, "io-bench") ? "" : s->clock, p->ranks);
  uint64_t h = digest_update(DIGEST_INIT, head, (size_t)n);
  digest_hex(digest_update(h, text, strlen(text)), hex);
  free(text);
  return TR_OK;
}

void sweep_point_free(sweep_point *p) {
  free_strs(p->sets, p->n_sets);
  p->sets = NULL;
  p->n_sets = 0;
}
