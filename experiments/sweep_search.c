/* The search driver (sweep_search_run, sweep_internal.h): asks the scheduler
 * (search.h) for jobs, runs each as a child `tradeoff train ... --until-epoch N
 * [--prune-below ...] [--set cost.budget_usd=LEFT]` in its trial's point directory
 * (points/<id>-<digest>, as a grid point), up to `parallel` at once, and reports what
 * each measured. Reproducible: job j is decided after exactly the jobs 0..j-K have been
 * reported, in the order they started (the driver waits for the oldest running job), so
 * the decisions depend on the seed, K and the measured values only. Restartable: every
 * job's outcome is appended to its trial's ledger (DIR/search.json) once it ends; a
 * restarted search replays the same decisions, takes the outcomes the ledgers hold
 * instead of running them again, and resumes an interrupted job from its checkpoint.
 * After every job: each trial's record.json (its result.json, the point with
 * point.search, the trial's rungs and decisions) and OUT/results.jsonl and
 * OUT/search.json (the totals: spent vs budget, what was left unrun, what pruning
 * saved). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/dirlock.h"
#include "common/format.h"
#include "common/host.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "common/timer.h"
#include "experiments/job.h"
#include "experiments/rightsize.h"
#include "experiments/runfiles.h"
#include "experiments/search.h"
#include "experiments/sweep_internal.h"

#define LEDGER "search.json"

/* A started job: running (pid > 0), or replayed from a ledger (pid 0, outcome ready). */
typedef struct {
  search_job job;
  pid_t pid;
  int worker;          /* the worker running it (index into driver.workers), -1: a child process */
  double t0;
  bool replayed;
  cJSON *entry;        /* the replayed ledger entry */
  double prior_usd;    /* what the trial had been billed before (rate x its train_s) */
} running;

typedef struct {
  const sweep_spec *s;
  const sweep_run_opts *o;
  plan pl;
  search *sr;
  running *q;          /* in start order */
  sweep_worker **workers;  /* parallel of them, started as jobs need them */
  size_t nq, cap, jobs_run, jobs_replayed, failed;
  int cores;               /* this host's, shared by the parallel jobs */
} driver;

/* With parallel = K, the threads of one job of point p when its job leaves
 * optimizer.threads at 0 (all cores): the cores shared by the K jobs and p's ranks (at
 * least one), so that K x ranks x threads <= cores instead of every job taking every
 * core; false (no override) with one job at a time or when the job file or the point
 * sets them. */
static bool thread_share(const driver *d, const sweep_point *p, char *out, size_t n) {
  if (d->s->parallel <= 1 || d->cores <= 0) return false;
  job *j = job_load(d->s->job, p->sets, p->n_sets); /* valid: the plan loaded it */
  long set = j ? j->optimizer.threads : 1;
  job_free(&j);
  tr_error_clear();
  if (set != 0) return false;
  long share = d->cores / (d->s->parallel * (p->ranks > 0 ? p->ranks : 1));
  snprintf(out, n, "optimizer.threads=%ld", share > 0 ? share : 1);
  return true;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static char *trial_file(const driver *d, size_t t, const char *name) {
  return path_join3(d->o->out_dir, d->pl.pt[t].rel, name);
}

/* Trial t's ledger ({"jobs": [...]}); an empty one when it has none. */
static cJSON *ledger_read(const driver *d, size_t t) {
  char *path = trial_file(d, t, LEDGER);
  cJSON *l = NULL;
  if (path && exists(path) && json_read_file(path, &l) != TR_OK) {
    log_warn("sweep: %s: %s; its jobs run again", path, tr_error_message());
    tr_error_clear();
  }
  free(path);
  if (!cJSON_IsArray(cJSON_GetObjectItem(l, "jobs"))) {
    cJSON_Delete(l);
    l = cJSON_CreateObject();
    cJSON_AddArrayToObject(l, "jobs");
  }
  return l;
}

/* The entry of the job that ran to `until`, NULL when none. A job that a budget or a
 * signal stopped short did not finish its rung: it is not replayed, so a restart (under a
 * raised budget, say) runs it on from its checkpoint. */
static cJSON *ledger_find(cJSON *l, int until) {
  cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(l, "jobs")) {
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(e, "stop_reason"));
    if (why && (!strcmp(why, "budget") || !strcmp(why, "interrupted"))) continue;
    if (json_number_at(e, "until_epoch", NULL) == until) return e;
  }
  return NULL;
}

/* The ledger's last entry (the trial's latest state), NULL when none. */
static cJSON *ledger_last(cJSON *l) {
  cJSON *jobs = cJSON_GetObjectItem(l, "jobs");
  int n = cJSON_GetArraySize(jobs);
  return n ? cJSON_GetArrayItem(jobs, n - 1) : NULL;
}

/* The outcome of an entry; curve into *curve (malloc'd). */
static search_outcome entry_outcome(const cJSON *e, double **curve) {
  search_outcome oc = {.failed = cJSON_IsTrue(cJSON_GetObjectItem(e, "failed")),
                       .epochs_run = (int)json_number_at(e, "epochs_run", NULL),
                       .stop_reason = cJSON_GetStringValue(cJSON_GetObjectItem(e, "stop_reason")),
                       .value = json_number_at(e, "value", NULL),
                       .usd = json_number_at(e, "usd", NULL),
                       .median = json_number_at(e, "median", NULL),
                       .epoch_usd = json_number_at(e, "epoch_usd", NULL)};
  const cJSON *c = cJSON_GetObjectItem(e, "curve");
  int n = cJSON_GetArraySize(c);
  *curve = n > 0 ? malloc((size_t)n * sizeof **curve) : NULL;
  for (int i = 0; *curve && i < n; i++) {
    const cJSON *x = cJSON_GetArrayItem(c, i);
    (*curve)[i] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
  }
  oc.curve = *curve;
  oc.n_curve = *curve ? n : 0;
  return oc;
}

/* An entry a trial's ledger does not hold but its curve covers (a search file edited to
 * other rungs): the value at that epoch, nothing new spent. NULL when it does not. */
static cJSON *entry_from_curve(cJSON *l, int until, int max_epochs) {
  cJSON *last = ledger_last(l);
  const cJSON *c = cJSON_GetObjectItem(last, "curve");
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(last, "stop_reason"));
  if (!last || !why || (strcmp(why, "rung") != 0 && strcmp(why, "max_epochs") != 0) ||
      cJSON_GetArraySize(c) < until)
    return NULL;
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "until_epoch", until);
  cJSON_AddNumberToObject(e, "epochs_run", until);
  cJSON_AddStringToObject(e, "stop_reason", until >= max_epochs ? "max_epochs" : "rung");
  const cJSON *v = cJSON_GetArrayItem(c, until - 1);
  json_add_number(e, "value", cJSON_IsNumber(v) ? v->valuedouble : NAN);
  cJSON_AddNumberToObject(e, "usd", 0);
  cJSON *curve = cJSON_AddArrayToObject(e, "curve");
  for (int i = 0; i < until; i++) cJSON_AddItemToArray(curve, cJSON_Duplicate(cJSON_GetArrayItem(c, i), true));
  return e;
}

/* "--prune-below COLUMN:E=V,..." for the epochs job runs, or NULL when none is judged. */
static char *prune_arg(const driver *d, const search_job *job, int from_epoch) {
  int n = 0;
  double *below = search_prune_curve(d->sr, job, &n);
  char *text = NULL;
  size_t len = 0;
  FILE *f = below ? open_memstream(&text, &len) : NULL;
  bool any = false;
  if (f) fprintf(f, "%s:", d->s->rung_column);
  for (int e = from_epoch + 1; f && e <= job->until_epoch && e <= n; e++) {
    if (isnan(below[e - 1])) continue;
    fprintf(f, "%s%d=%.17g", any ? "," : "", e, below[e - 1]);
    any = true;
  }
  if (f) fclose(f);
  free(below);
  if (!any) {
    free(text);
    return NULL;
  }
  return text;
}

/* Appends words to a NULL-terminated argv (realloc'd); false on ENOMEM. */
static bool argv_push(char ***argv, const char *a, const char *b) {
  size_t n = 0;
  while ((*argv)[n]) n++;
  char **grown = realloc(*argv, (n + 3) * sizeof *grown);
  if (!grown) return false;
  *argv = grown;
  grown[n] = strdup(a);
  grown[n + 1] = b ? strdup(b) : NULL;
  grown[n + 2] = NULL;
  return grown[n] && (!b || grown[n + 1]);
}

/* Starts job: replayed when its trial's ledger holds it, else a child. */
static tr_err start_job(driver *d, const search_job *job) {
  if (d->nq == d->cap) {
    running *grown = realloc(d->q, (d->cap = d->cap ? 2 * d->cap : 8) * sizeof *grown);
    if (!grown) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
    d->q = grown;
  }
  running *r = &d->q[d->nq];
  memset(r, 0, sizeof *r);
  r->job = *job;
  const planned *x = &d->pl.pt[job->trial];
  cJSON *l = ledger_read(d, job->trial), *e = ledger_find(l, job->until_epoch);
  cJSON *made = e ? NULL : entry_from_curve(l, job->until_epoch, d->s->sp.max_epochs);
  if (e || made) {
    r->replayed = true;
    r->entry = made ? made : cJSON_Duplicate(e, true);
    for (size_t t = 0; t < job->trial; t++) /* a trial of an earlier one's configuration: paid for once */
      if (!strcmp(d->pl.pt[t].rel, x->rel)) {
        cJSON_ReplaceItemInObject(r->entry, "usd", cJSON_CreateNumber(0));
        break;
      }
    cJSON_Delete(l);
    d->nq++;
    d->jobs_replayed++;
    return TR_OK;
  }
  cJSON *last = ledger_last(l);
  int from = last ? (int)json_number_at(last, "epochs_run", NULL) : 0;
  r->prior_usd = last ? json_number_at(last, "billed_usd", NULL) : 0;
  if (isnan(r->prior_usd)) r->prior_usd = 0;
  cJSON_Delete(l);
  if (d->o->merge_only) { /* --merge runs nothing: the job counts as not run */
    r->replayed = true;
    r->entry = cJSON_CreateObject();
    cJSON_AddBoolToObject(r->entry, "failed", true);
    cJSON_AddStringToObject(r->entry, "why", "not run (--merge)");
    d->nq++;
    return TR_OK;
  }
  char *dir = path_join(d->o->out_dir, x->rel), *ckpt = dir ? path_join3(dir, "checkpoint", RUNFILES_CHECKPOINT) : NULL;
  if (!ckpt) {
    free(dir);
    return tr_error_code();
  }
  bool resume = exists(ckpt);
  char **argv = sweep_point_argv(d->s, &x->p, d->o->exe, dir, resume);
  char until[32], budget[64], *prune = prune_arg(d, job, from);
  snprintf(until, sizeof until, "%d", job->until_epoch);
  bool ok = argv && argv_push(&argv, "--until-epoch", until) && (!prune || argv_push(&argv, "--prune-below", prune));
  char threads[48];
  if (ok && thread_share(d, &x->p, threads, sizeof threads)) ok = argv_push(&argv, "--set", threads);
  double left = search_budget_left(d->sr, job);
  if (ok && !isnan(left)) { /* the child stops itself before it takes the sweep over */
    snprintf(budget, sizeof budget, "cost.budget_usd=%.9f", fmax(0, left) + r->prior_usd);
    ok = argv_push(&argv, "--set", budget);
  }
  char what[512] = "";
  for (size_t k = 0, len = 0; k < x->p.n_sets; k++) fmt_append(what, sizeof what, &len, " %s", x->p.sets[k]);
  log_info("sweep: %s rung %d: epochs %d..%d%s%s%s", x->p.id, job->rung, from + 1, job->until_epoch, what,
           resume ? " (resuming)" : "", prune ? " (median rule on)" : "");
  r->t0 = tr_now();
  r->pid = -1;
  r->worker = -1;
  if (ok && sweep_worker_fits(d->s, &x->p)) { /* in an idle worker, started when there is none */
    int slot = 0;
    for (bool busy = true; busy; slot += busy) {
      busy = false;
      for (size_t i = 0; i < d->nq; i++) busy |= !d->q[i].replayed && d->q[i].worker == slot;
    }
    sweep_worker **w = &d->workers[slot];
    if (*w && !sweep_worker_alive(*w)) sweep_worker_stop(w);
    if (!*w) *w = sweep_worker_start(d->o->exe);
    r->worker = slot;
    if (!sweep_worker_send(*w, argv)) log_warn("sweep: %s: its worker is gone", x->p.id); /* the wait reports it */
  } else if (ok) {
    r->pid = sweep_child_start(argv);
  }
  free(prune);
  sweep_argv_free(argv);
  free(dir);
  free(ckpt);
  if (!ok) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  d->nq++;
  d->jobs_run++;
  return TR_OK;
}

/* The ledger entry of a job that ran: from its trial's result.json and history.csv. */
static cJSON *measured_entry(driver *d, running *r, int status) {
  size_t t = r->job.trial;
  cJSON *e = cJSON_CreateObject(), *res = NULL;
  cJSON_AddNumberToObject(e, "until_epoch", r->job.until_epoch);
  char *rpath = trial_file(d, t, RUNFILES_RESULT), *hpath = trial_file(d, t, RUNFILES_HISTORY);
  if (status == 0 && rpath && json_read_file(rpath, &res) != TR_OK) tr_error_clear();
  double *curve = NULL;
  size_t n = 0;
  if (res && hpath && runfiles_read_column(hpath, d->s->rung_column ? d->s->rung_column : "val_loss", &curve, &n) != TR_OK) {
    log_warn("sweep: %s: %s", d->pl.pt[t].p.id, tr_error_message());
    tr_error_clear();
    cJSON_Delete(res);
    res = NULL;
  }
  if (!res) {
    log_warn("sweep: %s failed (exit %d); see the error above; the search goes on", d->pl.pt[t].p.id, status);
    cJSON_AddBoolToObject(e, "failed", true);
    d->failed++;
  } else {
    int epochs = (int)json_number_at(res, "epochs_run", NULL);
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(res, "stop_reason"));
    double total = json_number_at(res, "cost", "total_usd"), rate = json_number_at(res, "cost", "rate_usd_per_h");
    double train_s = json_number_at(res, "time", "train_s");
    double storage = json_number_at(res, "cost", "storage_usd") + json_number_at(res, "cost", "requests_usd");
    cJSON_AddNumberToObject(e, "epochs_run", epochs);
    cJSON_AddStringToObject(e, "stop_reason", why ? why : "");
    json_add_number(e, "value", epochs >= 1 && (size_t)epochs <= n ? curve[epochs - 1] : NAN);
    /* this job's cost: the run's total (its epochs so far plus this process's other time)
       less what the epochs of earlier jobs were billed */
    json_add_number(e, "usd", fmax(0, total - r->prior_usd));
    json_add_number(e, "billed_usd", rate * train_s / 3600.0 + (isnan(storage) ? 0 : storage));
    json_add_number(e, "epoch_usd", epochs > 0 ? rate * train_s / epochs / 3600.0 : NAN);
    json_add_number(e, "wall_s", tr_now() - r->t0);
    const cJSON *w = cJSON_GetObjectItem(res, "worker"); /* run in a worker: loaded or reused its data */
    if (w) {
      const char *data = cJSON_GetStringValue(cJSON_GetObjectItem(w, "data"));
      const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(w, "data_key"));
      cJSON_AddStringToObject(e, "data", data ? data : "");
      cJSON_AddStringToObject(e, "data_key", key ? key : "");
      json_add_number(e, "billed_before_s", json_number_at(res, "time", "billed_before_s"));
    }
    if (cJSON_GetObjectItem(res, "pruned")) json_add_number(e, "median", json_number_at(res, "pruned", "median"));
    cJSON *c = cJSON_AddArrayToObject(e, "curve");
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(c, isnan(curve[i]) ? cJSON_CreateNull() : cJSON_CreateNumber(curve[i]));
  }
  free(curve);
  cJSON_Delete(res);
  free(rpath);
  free(hpath);
  return e;
}

/* Appends e to trial t's ledger, atomically. */
static tr_err ledger_append(driver *d, size_t t, const cJSON *e) {
  cJSON *l = ledger_read(d, t);
  cJSON_AddItemToArray(cJSON_GetObjectItem(l, "jobs"), cJSON_Duplicate(e, true));
  char *path = trial_file(d, t, LEDGER);
  tr_err rc = path ? json_write_file(path, l) : tr_error_code();
  free(path);
  cJSON_Delete(l);
  return rc;
}

/* Waits for the oldest started job and reports it. */
static tr_err finish_oldest(driver *d) {
  running *r = &d->q[0];
  tr_err rc = TR_OK;
  cJSON *e = r->entry;
  if (!r->replayed) {
    int status = r->worker >= 0 ? sweep_worker_wait(d->workers[r->worker]) : sweep_child_wait(r->pid);
    e = measured_entry(d, r, status);
    if (!cJSON_IsTrue(cJSON_GetObjectItem(e, "failed"))) {
      rc = ledger_append(d, r->job.trial, e);
      /* the outcome as the ledger holds it (numbers as written), so a replay decides the same */
      cJSON *l = rc == TR_OK ? ledger_read(d, r->job.trial) : NULL, *last = ledger_last(l);
      if (last) {
        cJSON_Delete(e);
        e = cJSON_Duplicate(last, true);
      }
      cJSON_Delete(l);
    }
    char usd[FMT_USD_LEN];
    log_info("sweep: %s rung %d done in %.1fs, %s (%s)", d->pl.pt[r->job.trial].p.id, r->job.rung, tr_now() - r->t0,
             fmt_usd(json_number_at(e, "usd", NULL), usd, sizeof usd),
             cJSON_GetStringValue(cJSON_GetObjectItem(e, "stop_reason")) ? cJSON_GetStringValue(cJSON_GetObjectItem(e, "stop_reason")) : "failed");
  }
  double *curve = NULL;
  search_outcome oc = entry_outcome(e, &curve);
  if (rc == TR_OK) rc = search_report(d->sr, &r->job, &oc);
  free(curve);
  cJSON_Delete(e);
  memmove(d->q, d->q + 1, (d->nq - 1) * sizeof *d->q);
  d->nq--;
  return rc;
}

/* True when a started job works in trial t's directory (trials of equal
 * configurations share it). */
static bool dir_busy(const driver *d, size_t t) {
  for (size_t i = 0; i < d->nq; i++)
    if (!strcmp(d->pl.pt[d->q[i].job.trial].rel, d->pl.pt[t].rel)) return true;
  return false;
}

/* record.json of every trial that ran, results.jsonl (their records in trial order,
 * then the [project] projections) and search.json, each atomically. */
static tr_err write_results(driver *d) {
  const sweep_spec *s = d->s;
  cJSON *summary = search_summary_json(d->sr);
  if (!summary) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  static const char *const lists[] = {"left_unrun", "promotions_refused"};
  for (int k = 0; k < 2; k++) { /* trial indices as point ids */
    cJSON *idx = cJSON_GetObjectItem(summary, lists[k]), *ids = cJSON_CreateArray(), *u;
    cJSON_ArrayForEach(u, idx) cJSON_AddItemToArray(ids, cJSON_CreateString(d->pl.pt[(size_t)u->valuedouble].p.id));
    cJSON_ReplaceItemInObject(summary, lists[k], ids);
  }
  char *path = path_join(d->o->out_dir, "results.jsonl"), *spath = path_join(d->o->out_dir, "search.json");
  cJSON **records = calloc(d->pl.n ? d->pl.n : 1, sizeof *records);
  tr_atomic at;
  tr_err rc = path && spath && records ? tr_atomic_open(&at, path) : tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  bool open = rc == TR_OK;
  size_t lines = 0;
  for (size_t t = 0; rc == TR_OK && t < d->pl.n; t++) {
    if (!search_trial_ran(d->sr, t)) continue;
    char *rpath = trial_file(d, t, RUNFILES_RESULT), *rec = trial_file(d, t, "record.json");
    cJSON *obj = NULL;
    if (rpath && json_read_file(rpath, &obj) != TR_OK) tr_error_clear(); /* failed before any output */
    if (obj) {
      cJSON *pj = sweep_point_json(s, &d->pl.pt[t].p, d->pl.pt[t].rel);
      cJSON_AddStringToObject(pj, "config_digest", d->pl.pt[t].digest);
      cJSON_AddItemToObject(pj, "search", search_trial_json(d->sr, t));
      cJSON_DeleteItemFromObject(obj, "point");
      cJSON_AddItemToObject(obj, "point", pj);
      cJSON_DeleteItemFromObject(obj, "search");
      cJSON_AddItemToObject(obj, "search", cJSON_Duplicate(summary, true));
      rc = rec ? json_write_file(rec, obj) : tr_error_code();
      if (rc == TR_OK) rc = json_write_line(at.fp, obj, path);
      records[t] = obj;
      lines++;
    }
    free(rpath);
    free(rec);
  }
  if (rc == TR_OK && s->n_project)
    rc = rightsize_project(records, d->pl.n, (const char *const *)s->project, s->n_project, s->pricing, at.fp);
  if (open) rc = rc == TR_OK ? tr_atomic_commit(&at) : (tr_atomic_abort(&at), rc);
  if (rc == TR_OK) rc = json_write_file(spath, summary);
  for (size_t t = 0; records && t < d->pl.n; t++) cJSON_Delete(records[t]);
  free(records);
  free(path);
  free(spath);
  cJSON_Delete(summary);
  return rc;
}

static tr_err drive(driver *d) {
  size_t K = d->o->merge_only ? 1 : (size_t)d->s->parallel;
  tr_err rc = TR_OK;
  bool done = false;
  while (rc == TR_OK && !done) {
    while (rc == TR_OK && d->nq < K) {
      search_job job;
      search_step st = search_next(d->sr, &job);
      if (st == SEARCH_DONE) done = true;
      if (st != SEARCH_JOB) break;
      while (rc == TR_OK && dir_busy(d, job.trial)) rc = finish_oldest(d);
      if (rc == TR_OK) rc = start_job(d, &job);
    }
    if (rc == TR_OK && d->nq > 0) {
      bool ran = !d->q[0].replayed;
      rc = finish_oldest(d);
      if (rc == TR_OK && ran) rc = write_results(d);
      done = false;
    }
  }
  while (d->nq > 0) { /* after an error: the started children end before the sweep */
    if (d->q[0].pid > 0) sweep_child_wait(d->q[0].pid);
    if (!d->q[0].replayed && d->q[0].worker >= 0) sweep_worker_wait(d->workers[d->q[0].worker]);
    cJSON_Delete(d->q[0].entry);
    memmove(d->q, d->q + 1, (d->nq - 1) * sizeof *d->q);
    d->nq--;
  }
  if (rc == TR_OK) rc = write_results(d);
  return rc;
}

tr_err sweep_search_run(const sweep_spec *s, const sweep_run_opts *o) {
  if (o->point > 0)
    return tr_error_set(TR_EUSAGE, "sweep", "--point: a search runs as one driver that starts its trials (see "
                        "--emit-slurm); --point is for grid sweeps");
  driver d = {.s = s, .o = o};
  size_t total = sweep_count(s);
  tr_err rc = plan_resolve(s, 0, total, &d.pl);
  if (rc != TR_OK) return rc;
  char *points = path_join(o->out_dir, "points");
  rc = points ? tr_mkdir_p(points) : tr_error_code();
  free(points);
  dirlock *lock = NULL;
  if (rc == TR_OK) rc = dirlock_take(o->out_dir, &lock);
  if (rc == TR_OK) rc = sweep_claim(s, o->out_dir, o->force);
  if (rc == TR_OK) rc = plan_place(&d.pl, o->out_dir);
  if (rc == TR_OK) { /* a search killed while writing left these; OUT is ours (locked), no child runs yet */
    runfiles_remove_temporaries(o->out_dir, "results.jsonl");
    runfiles_remove_temporaries(o->out_dir, LEDGER);
    for (size_t t = 0; t < d.pl.n; t++) {
      char *dir = path_join(o->out_dir, d.pl.pt[t].rel);
      if (dir) runfiles_remove_temporaries(dir, LEDGER), runfiles_remove_temporaries(dir, "record.json");
      free(dir);
    }
  }
  if (rc == TR_OK && s->parallel > 1) {
    host_info h;
    host_describe(&h);
    d.cores = h.cores;
    log_info("sweep: parallel = %ld on %d cores: each job gets cores / (%ld x its ranks) threads per rank "
             "(at least 1) unless its job sets optimizer.threads", s->parallel, h.cores, s->parallel);
  }
  if (rc == TR_OK) rc = search_new(&s->sp, total, &d.sr);
  if (rc == TR_OK && !(d.workers = calloc((size_t)s->parallel, sizeof *d.workers)))
    rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  double t0 = tr_now();
  if (rc == TR_OK) rc = drive(&d);
  if (rc == TR_OK) {
    cJSON *sum = search_summary_json(d.sr);
    char spent[FMT_USD_LEN], budget[FMT_USD_LEN] = "none";
    fmt_usd(json_number_at(sum, "spent_usd", NULL), spent, sizeof spent);
    if (!isnan(s->sp.budget_usd)) fmt_usd(s->sp.budget_usd, budget, sizeof budget);
    log_info("sweep: %s search: %zu jobs run, %zu from earlier runs; %.0f of %zu trials ran, %d left unrun; spent %s "
             "(budget %s); %s/results.jsonl (%.1fs)",
             cJSON_GetStringValue(cJSON_GetObjectItem(sum, "search")), d.jobs_run, d.jobs_replayed,
             json_number_at(sum, "ran", NULL), total, cJSON_GetArraySize(cJSON_GetObjectItem(sum, "left_unrun")), spent,
             budget, o->out_dir, tr_now() - t0);
    cJSON_Delete(sum);
  }
  if (rc == TR_OK && d.failed)
    rc = tr_error_set(TR_EIO, "sweep", "%zu jobs of the search failed (run the sweep again to retry them)", d.failed);
  for (long i = 0; d.workers && i < s->parallel; i++) sweep_worker_stop(&d.workers[i]);
  free(d.workers);
  search_free(&d.sr);
  free(d.q);
  dirlock_free(&lock);
  plan_free(&d.pl);
  return rc;
}
