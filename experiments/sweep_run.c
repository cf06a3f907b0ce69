/* Runs the points of a sweep as child processes and merges their records (see
 * sweep_run.h); writes the Slurm job array. Every point a run works on is resolved once
 * up front (its job, digest and directory, from one scan of OUT/points): errors come out
 * before anything runs, and each merge reuses them. */
#define _GNU_SOURCE
#include "experiments/sweep_run.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/dirlock.h"
#include "common/format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "common/shell.h"
#include "common/timer.h"
#include "experiments/rightsize.h"
#include "experiments/runfiles.h"
#include "experiments/serve_bench.h"
#include "experiments/sweep_internal.h"

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static bool is_io_bench(const sweep_spec *s) { return !strcmp(s->kind, "io-bench"); }

void sweep_argv_free(char **argv) {
  for (size_t i = 0; argv && argv[i]; i++) free(argv[i]);
  free(argv);
}

char **sweep_point_argv(const sweep_spec *s, const sweep_point *p, const char *exe, const char *dir,
                        bool resume) {
  size_t cap = 16 + 2 * p->n_sets, n = 0;
  char **v = calloc(cap, sizeof *v);
  if (!v) return NULL;
  const char *words[16];
  size_t w = 0;
  char ranks[16];
  snprintf(ranks, sizeof ranks, "%d", p->ranks);
  if (p->ranks > 1) {
    const char *launcher = getenv("TRADEOFF_LAUNCHER");
    bool custom = launcher && *launcher;
    words[w++] = custom ? launcher : "mpirun";
    words[w++] = "-n";
    words[w++] = ranks;
    if (!custom) {
      words[w++] = "--oversubscribe";
      if (geteuid() == 0) words[w++] = "--allow-run-as-root";
    }
  }
  words[w++] = exe;
  words[w++] = s->kind;
  words[w++] = s->job;
  bool ok = true;
  for (size_t i = 0; i < w && ok; i++) ok = (v[n++] = strdup(words[i])) != NULL;
  for (size_t i = 0; i < p->n_sets && ok; i++)
    ok = (v[n++] = strdup("--set")) && (v[n++] = strdup(p->sets[i]));
  if (ok && is_io_bench(s)) ok = (v[n++] = strdup("--clock")) && (v[n++] = strdup(s->clock));
  if (ok) ok = (v[n++] = strdup("--out")) && (v[n++] = strdup(dir)) && (v[n++] = strdup("--quiet"));
  if (ok && resume) ok = (v[n++] = strdup("--resume")) != NULL;
  /* the sweep owns its point directories: a point run again (it failed, or its record was
     lost) replaces what the last attempt left */
  if (ok && !resume && !is_io_bench(s)) ok = (v[n++] = strdup("--force")) != NULL;
  if (!ok) {
    sweep_argv_free(v);
    return NULL;
  }
  return v;
}

/* Runs argv, waiting; the exit status (or 128 + signal). The child dies with the sweep:
 * it gets SIGTERM when the sweep's process ends for any reason (kill -9 included), so a
 * train point checkpoints and stops instead of running on beside a restarted sweep. */
pid_t sweep_child_start(char **argv) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    log_warn("cannot start %s: %s", argv[0], strerror(errno));
    return -1;
  }
  if (pid == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127); /* already orphaned */
    execvp(argv[0], argv);
    fprintf(stderr, "tradeoff: warning: cannot start %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return pid;
}

int sweep_child_wait(pid_t pid) {
  if (pid < 0) return 127;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_child(char **argv) { return sweep_child_wait(sweep_child_start(argv)); }

cJSON *sweep_point_json(const sweep_spec *s, const sweep_point *p, const char *rel_dir) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", p->id);
  cJSON_AddStringToObject(o, "variant", p->variant);
  cJSON_AddStringToObject(o, "kind", s->kind);
  bool projected = is_io_bench(s) && !strcmp(s->clock, "virtual");
  cJSON_AddStringToObject(o, "label", projected ? "projected" : "measured");
  if (is_io_bench(s)) cJSON_AddStringToObject(o, "clock", s->clock);
  cJSON_AddNumberToObject(o, "ranks", p->ranks);
  if (s->metric) cJSON_AddStringToObject(o, "metric", s->metric); /* what report ranks by */
  cJSON *set = cJSON_AddObjectToObject(o, "set");
  for (size_t i = 0; i < p->n_sets; i++) {
    char *kv = strdup(p->sets[i]), *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq) {
      free(kv);
      continue;
    }
    *eq = '\0';
    cJSON_DeleteItemFromObject(set, kv); /* a grid value overrides the variant's */
    cJSON_AddStringToObject(set, kv, eq + 1);
    free(kv);
  }
  cJSON_AddStringToObject(o, "dir", rel_dir);
  return o;
}

void plan_free(plan *pl) {
  for (size_t i = 0; pl->pt && i < pl->n; i++) {
    sweep_point_free(&pl->pt[i].p);
    free(pl->pt[i].rel);
  }
  free(pl->pt);
  memset(pl, 0, sizeof *pl);
}

/* Points first .. first + n - 1 of s and their digests; the first point whose job does
 * not load is the error (sweep_point_digest: at its line of the sweep file). Touches no
 * file but the job's. */
tr_err plan_resolve(const sweep_spec *s, size_t first, size_t n, plan *pl) {
  memset(pl, 0, sizeof *pl);
  if (!(pl->pt = calloc(n ? n : 1, sizeof *pl->pt))) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  pl->first = first;
  tr_err rc = TR_OK;
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    if ((rc = sweep_point_at(s, first + i, &pl->pt[i].p)) != TR_OK) break;
    pl->n = i + 1;
    rc = sweep_point_digest(s, &pl->pt[i].p, pl->pt[i].digest);
  }
  if (rc != TR_OK) plan_free(pl);
  return rc;
}

/* A directory of OUT/points named <anything>-<DIGEST_SHOWN hex digits>. */
typedef struct {
  char key[DIGEST_SHOWN + 1];
  int rank;  /* 2: has a record, 1: has a checkpoint, 0: neither */
  char *name;
} point_entry;

static int by_key_then_rank(const void *a, const void *b) {
  const point_entry *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c == 0) c = y->rank - x->rank;
  return c ? c : strcmp(x->name, y->name);
}

static int by_digest_then_index(const void *a, const void *b, void *user) {
  const planned *pt = user;
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  int c = strncmp(pt[x].digest, pt[y].digest, DIGEST_SHOWN);
  return c ? c : (x > y) - (x < y);
}

/* The directory of every planned point, from one scan of OUT/points: an existing
 * points/<any id>-<digest> (a record first, then a checkpoint: a point moved by an edit of
 * the sweep file is found under its old position), else points/<id>-<digest> of the first
 * point of that configuration (points of equal configurations share it: the later ones
 * find the first one's record). */
tr_err plan_place(plan *pl, const char *out_dir) {
  char *points = path_join(out_dir, "points");
  if (!points) return tr_error_code();
  point_entry *e = NULL;
  size_t n_e = 0, cap = 0;
  tr_err rc = TR_OK;
  DIR *d = opendir(points);
  for (struct dirent *de; rc == TR_OK && d && (de = readdir(d));) {
    size_t len = strlen(de->d_name);
    if (len <= DIGEST_SHOWN + 1 || de->d_name[len - DIGEST_SHOWN - 1] != '-') continue;
    if (n_e == cap) {
      point_entry *grown = realloc(e, (cap = cap ? 2 * cap : 64) * sizeof *e);
      if (!grown) {
        rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
        break;
      }
      e = grown;
    }
    point_entry *x = &e[n_e];
    snprintf(x->key, sizeof x->key, "%s", de->d_name + len - DIGEST_SHOWN);
    char *dir = path_join(points, de->d_name), *rec = dir ? path_join(dir, "record.json") : NULL,
         *ck = dir ? path_join3(dir, "checkpoint", RUNFILES_CHECKPOINT) : NULL;
    x->rank = rec && exists(rec) ? 2 : ck && exists(ck) ? 1 : 0;
    x->name = ck ? strdup(de->d_name) : NULL;
    if (!x->name) rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
    else n_e++;
    free(dir);
    free(rec);
    free(ck);
  }
  if (d) closedir(d);
  if (n_e) qsort(e, n_e, sizeof *e, by_key_then_rank);
  for (size_t i = 0; rc == TR_OK && i < pl->n; i++) {
    point_entry want = {.rank = 3, .name = ""}; /* sorts before every entry of its key */
    snprintf(want.key, sizeof want.key, "%.*s", DIGEST_SHOWN, pl->pt[i].digest);
    size_t lo = 0, hi = n_e; /* the first entry not before want */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (by_key_then_rank(&e[mid], &want) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n_e && !strcmp(e[lo].key, want.key) && e[lo].rank > 0 &&
        !(pl->pt[i].rel = path_join("points", e[lo].name)))
      rc = tr_error_code();
  }
  /* the others: the directory of the first point of their configuration */
  size_t *order = rc == TR_OK ? malloc((pl->n ? pl->n : 1) * sizeof *order) : NULL;
  if (rc == TR_OK && !order) rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  for (size_t i = 0; order && i < pl->n; i++) order[i] = i;
  if (order) qsort_r(order, pl->n, sizeof *order, by_digest_then_index, pl->pt);
  for (size_t k = 0, head = 0; rc == TR_OK && k < pl->n; k++) {
    planned *x = &pl->pt[order[k]];
    if (strncmp(pl->pt[order[head]].digest, x->digest, DIGEST_SHOWN) != 0) head = k;
    if (x->rel) continue;
    if (head != k) {
      if (!(x->rel = strdup(pl->pt[order[head]].rel))) rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
      continue;
    }
    char name[64];
    snprintf(name, sizeof name, "%s-%.*s", x->p.id, DIGEST_SHOWN, x->digest);
    if (!(x->rel = path_join("points", name))) rc = tr_error_code();
  }
  free(order);
  for (size_t i = 0; i < n_e; i++) free(e[i].name);
  free(e);
  free(points);
  return rc;
}

/* The serving side of a train+serve point (issue 14): `tradeoff serve-bench
 * DIR/model.h5 JOB --set ... --out DIR --quiet`, its serve.json summarized into obj's
 * "serve". TR_EIO when serve-bench failed (its error is on stderr). */
static tr_err serve_point(const sweep_spec *s, const sweep_run_opts *o, const sweep_point *p, const char *dir,
                          cJSON *obj) {
  size_t n = 0;
  char **v = calloc(8 + 2 * p->n_sets, sizeof *v);
  char *model = path_join(dir, RUNFILES_MODEL), *json = path_join(dir, SERVE_JSON);
  bool ok = v && model && json;
  const char *head[] = {o->exe, "serve-bench", model, s->job};
  for (size_t i = 0; i < 4 && ok; i++) ok = (v[n++] = strdup(head[i])) != NULL;
  for (size_t i = 0; i < p->n_sets && ok; i++) ok = (v[n++] = strdup("--set")) && (v[n++] = strdup(p->sets[i]));
  if (ok) ok = (v[n++] = strdup("--out")) && (v[n++] = strdup(dir)) && (v[n++] = strdup("--quiet"));
  tr_err rc = ok ? TR_OK : tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  cJSON *sj = NULL, *sum = NULL;
  if (rc == TR_OK) {
    int status = run_child(v);
    if (status != 0 || json_read_file(json, &sj) != TR_OK || !(sum = serve_summary(sj))) {
      tr_error_clear();
      log_warn("sweep: %s: serve-bench failed (exit %d); see the error above", p->id, status);
      rc = TR_EIO;
    } else {
      cJSON_DeleteItemFromObject(obj, "serve");
      cJSON_AddItemToObject(obj, "serve", sum);
    }
  }
  cJSON_Delete(sj);
  sweep_argv_free(v);
  free(model);
  free(json);
  return rc;
}

/* Runs planned point x (point i of total) unless it has a record; writes its
 * record.json. Returns TR_OK, or TR_EIO when the run failed (the sweep goes on with the
 * others). */
static tr_err run_point(const sweep_spec *s, const sweep_run_opts *o, const planned *x, size_t i, size_t total,
                        sweep_worker **w) {
  const sweep_point *p = &x->p;
  tr_err rc = TR_OK;
  char *dir = path_join(o->out_dir, x->rel);
  char *record = dir ? path_join(dir, "record.json") : NULL;
  char *result = dir ? path_join(dir, is_io_bench(s) ? RUNFILES_IO : RUNFILES_RESULT) : NULL;
  char *ckpt = dir ? path_join3(dir, "checkpoint", RUNFILES_CHECKPOINT) : NULL;
  char what[512] = "";
  if (!ckpt) {
    rc = tr_error_code();
    goto done;
  }
  for (size_t k = 0, len = 0; k < p->n_sets; k++) fmt_append(what, sizeof what, &len, " %s", p->sets[k]);
  if (exists(record)) {
    cJSON *old = NULL;
    if (s->serve && json_read_file(record, &old) == TR_OK && !cJSON_GetObjectItem(old, "serve")) {
      log_info("sweep: [%zu/%zu] %s trained before; serve-bench", i + 1, total, p->id);
      if ((rc = serve_point(s, o, p, dir, old)) == TR_OK) rc = json_write_file(record, old);
    } else {
      tr_error_clear();
      log_info("sweep: [%zu/%zu] %s done before, skipped", i + 1, total, p->id);
    }
    cJSON_Delete(old);
    goto done;
  }
  bool resume = !strcmp(s->kind, "train") && exists(ckpt);
  log_info("sweep: [%zu/%zu] %s %s%s ranks=%d%s", i + 1, total, p->id, p->variant, what, p->ranks,
           resume ? " (resuming)" : "");
  char **argv = sweep_point_argv(s, p, o->exe, dir, resume);
  if (!argv) {
    rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
    goto done;
  }
  double t0 = tr_now();
  int status;
  if (sweep_worker_fits(s, p)) { /* in the sweep's worker (started again if it ended) */
    if (*w && !sweep_worker_alive(*w)) sweep_worker_stop(w);
    if (!*w) *w = sweep_worker_start(o->exe);
    sweep_worker_send(*w, argv);
    status = sweep_worker_wait(*w);
  } else {
    status = run_child(argv);
  }
  sweep_argv_free(argv);
  cJSON *obj = NULL;
  if (status == 0 && json_read_file(result, &obj) != TR_OK) tr_error_clear();
  if (!obj) {
    log_warn("sweep: %s failed (exit %d); see the error above; the other points go on", p->id, status);
    rc = TR_EIO;
    goto done;
  }
  cJSON *pj = sweep_point_json(s, p, x->rel);
  cJSON_AddStringToObject(pj, "config_digest", x->digest);
  cJSON_AddItemToObject(obj, "point", pj);
  if (s->serve && serve_point(s, o, p, dir, obj) != TR_OK) {
    cJSON_Delete(obj);
    rc = TR_EIO;
    goto done;
  }
  rc = json_write_file(record, obj);
  char usd[FMT_USD_LEN];
  fmt_usd(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "cost"), "total_usd")), usd, sizeof usd);
  log_info("sweep: %s done in %.1fs, %s", p->id, tr_now() - t0, usd);
  cJSON_Delete(obj);
done:
  free(dir);
  free(record);
  free(result);
  free(ckpt);
  return rc;
}

/* sweep_merge() over a plan of every point. */
static tr_err merge_plan(const sweep_spec *s, const char *out_dir, const plan *pl, size_t *n_records) {
  char *path = path_join(out_dir, "results.jsonl");
  if (!path) return tr_error_code();
  tr_atomic at;
  tr_err rc = tr_atomic_open(&at, path);
  if (rc != TR_OK) {
    free(path);
    return rc;
  }
  size_t total = pl->n;
  cJSON **records = calloc(total ? total : 1, sizeof *records);
  *n_records = 0;
  if (!records) rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < total; i++) {
    /* the record of point i's configuration (found by its digest wherever an earlier
       version of the sweep file put it), its point object the current one */
    const planned *x = &pl->pt[i];
    char *file = path_join3(out_dir, x->rel, "record.json");
    if (!file) rc = tr_error_code();
    if (rc == TR_OK && json_read_file(file, &records[i]) != TR_OK) tr_error_clear(); /* not run yet, or failed */
    if (records[i]) {
      cJSON *pj = sweep_point_json(s, &x->p, x->rel);
      cJSON_AddStringToObject(pj, "config_digest", x->digest);
      cJSON_ReplaceItemInObject(records[i], "point", pj);
      rc = json_write_line(at.fp, records[i], path);
      (*n_records)++;
    }
    free(file);
  }
  if (rc == TR_OK && s->n_project)
    rc = rightsize_project(records, total, (const char *const *)s->project, s->n_project, s->pricing, at.fp);
  for (size_t i = 0; records && i < total; i++) cJSON_Delete(records[i]);
  free(records);
  free(path);
  if (rc == TR_OK) return tr_atomic_commit(&at);
  tr_atomic_abort(&at);
  return rc;
}

tr_err sweep_merge(const sweep_spec *s, const char *out_dir, size_t *n_records) {
  *n_records = 0;
  plan pl;
  tr_err rc = plan_resolve(s, 0, sweep_count(s), &pl);
  if (rc == TR_OK) rc = plan_place(&pl, out_dir);
  if (rc == TR_OK) rc = merge_plan(s, out_dir, &pl, n_records);
  plan_free(&pl);
  return rc;
}

tr_err sweep_emit_slurm(const sweep_spec *s, const char *out_dir, const char *exe, bool force, char **path) {
  *path = NULL;
  size_t total = sweep_count(s);
  int max_ranks = 1;
  /* every point resolves before the array is written, as before a run: a bad value
     fails here, not in each array task */
  plan pl;
  tr_err rc = plan_resolve(s, 0, total, &pl);
  for (size_t i = 0; rc == TR_OK && i < pl.n; i++)
    if (pl.pt[i].p.ranks > max_ranks) max_ranks = pl.pt[i].p.ranks;
  plan_free(&pl);
  if (rc != TR_OK) return rc;
  rc = sweep_claim(s, out_dir, force);
  char *script = rc == TR_OK ? path_join(out_dir, "sweep.sbatch") : NULL;
  char *logs = rc == TR_OK ? path_join3(out_dir, "points", "slurm-%A_%a.out") : NULL;
  char *q_sweep = sh_quote(s->path), *q_out = sh_quote(out_dir), *q_exe = sh_quote(exe);
  char *q_script = script ? sh_quote(script) : NULL, *q_logs = logs ? sh_quote(logs) : NULL;
  if (rc == TR_OK && (!q_sweep || !q_out || !q_exe || !q_script || !q_logs)) rc = tr_error_code();
  tr_atomic at;
  if (rc == TR_OK) rc = tr_atomic_open(&at, script);
  if (rc == TR_OK) {
    /* #SBATCH lines are read by sbatch, not bash: it takes --output=PATH up to the end of
       the line, so the log path goes there as is only when it needs no quoting */
    bool plain_logs = !strpbrk(logs, " \t\n\"'\\$`");
    if (sweep_is_search(s)) /* one driver job: it decides the promotions and starts the trials in its allocation */
      fprintf(at.fp,
              "#!/bin/bash\n"
              "# Generated by `tradeoff sweep %s --emit-slurm`: one driver job for the search.\n"
              "# The driver decides every rung and promotion and starts the trials itself, %ld at\n"
              "# a time, inside this allocation (points with K ranks as `srun -n K`); results.jsonl\n"
              "# is written as trials end. Resubmitting it after a kill or a timeout continues\n"
              "# the search where it stood. Submit from the directory the sweep paths are relative to:\n"
              "#   sbatch %s\n"
              "#SBATCH --job-name=tradeoff-search\n"
              "#SBATCH --ntasks=%ld\n"
              "%s%s\n"
              "set -euo pipefail\n"
              "export TRADEOFF_LAUNCHER=srun   # points with K ranks run `srun -n K`\n"
              "%s sweep %s --out %s\n",
              q_sweep, s->parallel, q_script, s->parallel * max_ranks,
              plain_logs ? "#SBATCH --output=" : "# (the log in slurm's default place: the output path needs quoting) ",
              plain_logs ? logs : q_logs, q_exe, q_sweep, q_out);
    else
    fprintf(at.fp,
            "#!/bin/bash\n"
            "# Generated by `tradeoff sweep %s --emit-slurm`: one array task per point.\n"
            "# Submit from the directory the sweep paths are relative to:\n"
            "#   sbatch %s\n"
            "# then merge the points' records into results.jsonl:\n"
            "#   tradeoff sweep %s --out %s --merge\n"
            "#SBATCH --job-name=tradeoff-sweep\n"
            "#SBATCH --array=1-%zu\n"
            "#SBATCH --ntasks=%d\n"
            "%s%s\n"
            "set -euo pipefail\n"
            "export TRADEOFF_LAUNCHER=srun   # points with K ranks run `srun -n K`\n"
            "%s sweep %s --out %s --point \"$SLURM_ARRAY_TASK_ID\"\n",
            q_sweep, q_script, q_sweep, q_out, total, max_ranks,
            plain_logs ? "#SBATCH --output=" : "# (task logs in slurm's default place: the output path needs quoting) ",
            plain_logs ? logs : q_logs, q_exe, q_sweep, q_out);
    rc = tr_atomic_commit(&at);
  }
  if (rc == TR_OK) {
    char *points = path_join(out_dir, "points");
    if (points) tr_mkdir_p(points);
    free(points);
    *path = script;
    script = NULL;
  }
  free(script);
  free(logs);
  free(q_sweep);
  free(q_out);
  free(q_exe);
  free(q_script);
  free(q_logs);
  return rc;
}

/* sweep_run() once OUT is held, over the resolved points (all, or o->point's). */
static tr_err run_points(const sweep_spec *s, const sweep_run_opts *o, const plan *pl, size_t total) {
  size_t failed = 0, n_records = 0;
  tr_err rc = TR_OK;
  double t0 = tr_now();
  sweep_worker *w = NULL; /* the train points of one rank run in it */
  for (size_t k = 0; !o->merge_only && k < pl->n; k++) {
    tr_err prc = run_point(s, o, &pl->pt[k], pl->first + k, total, &w);
    if (prc == TR_EIO) {
      tr_error_clear();
      failed++;
    } else if (prc != TR_OK) {
      sweep_worker_stop(&w);
      return prc;
    }
    if (o->point == 0 && (rc = merge_plan(s, o->out_dir, pl, &n_records)) != TR_OK) {
      sweep_worker_stop(&w);
      return rc;
    }
  }
  sweep_worker_stop(&w);
  if ((o->point == 0 || o->merge_only) && (rc = merge_plan(s, o->out_dir, pl, &n_records)) != TR_OK) return rc;
  if (o->point == 0)
    log_info("sweep: %zu of %zu points in %s/results.jsonl (%.1fs)%s", n_records, total, o->out_dir,
             tr_now() - t0, failed ? "; some points failed (run the sweep again to retry them)" : "");
  if (failed) return tr_error_set(TR_EIO, "sweep", "%zu of %zu points failed", failed, total);
  return TR_OK;
}

tr_err sweep_claim(const sweep_spec *s, const char *out_dir, bool force) {
  char *real = realpath(s->path, NULL), *path = path_join(out_dir, "sweep.json");
  tr_err rc = real && path ? tr_mkdir_p(out_dir) : tr_error_set(TR_EIO, s->path, "cannot resolve its path");
  cJSON *old = NULL;
  if (rc == TR_OK && exists(path) && json_read_file(path, &old) != TR_OK) tr_error_clear();
  const char *was = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "sweep"));
  if (rc == TR_OK && was && strcmp(was, real) != 0 && !force)
    rc = tr_error_set(TR_EUSAGE, out_dir, "holds the sweep of %s, not of %s: --force to use it for this one, or --out "
                      "another directory", was, real);
  if (rc == TR_OK && (!was || strcmp(was, real) != 0)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sweep", real);
    rc = json_write_file(path, o);
    cJSON_Delete(o);
  }
  cJSON_Delete(old);
  free(real);
  free(path);
  return rc;
}

tr_err sweep_run(const sweep_spec *s, const sweep_run_opts *o) {
  if (sweep_is_search(s)) return sweep_search_run(s, o);
  size_t total = sweep_count(s);
  if (o->point > 0 && (size_t)o->point > total)
    return tr_error_set(TR_EUSAGE, "sweep", "--point %ld: the sweep has %zu points", o->point, total);
  /* every point this run works on resolves (its job loads, every backend check passes)
     before OUT is touched and anything runs: a bad grid value fails here, at its line;
     an array task (--point) resolves only its own point */
  bool one = o->point > 0 && !o->merge_only;
  plan pl;
  tr_err rc = plan_resolve(s, one ? (size_t)o->point - 1 : 0, one ? 1 : total, &pl);
  if (rc != TR_OK) return rc;
  char *points = path_join(o->out_dir, "points");
  rc = points ? tr_mkdir_p(points) : tr_error_code();
  free(points);
  /* one sweep at a time in OUT; an array task (--point) runs beside the others, and each
     point's child locks its own directory */
  dirlock *lock = NULL;
  if (rc == TR_OK && o->point == 0) rc = dirlock_take(o->out_dir, &lock);
  if (rc == TR_OK) rc = sweep_claim(s, o->out_dir, o->force);
  if (rc == TR_OK) rc = plan_place(&pl, o->out_dir);
  if (rc == TR_OK) rc = run_points(s, o, &pl, total);
  dirlock_free(&lock);
  plan_free(&pl);
  return rc;
}
