/* `tradeoff sweep SWEEP.ini`: runs every point of a sweep (experiments/sweep.h) as a
 * child `tradeoff train` or `tradeoff io-bench` (under mpirun, or $TRADEOFF_LAUNCHER,
 * for points with more than one rank), keeps each run in OUT/points/<id>/ with its
 * record.json (the run's result plus the point), and merges the records into
 * OUT/results.jsonl after every point. A restarted sweep skips points that have a
 * record and resumes a train point that left a checkpoint. --emit-slurm writes a job
 * array instead of running; --point I runs one point (what each array task does);
 * --merge only rebuilds results.jsonl. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timer.h"
#include "experiments/rightsize.h"
#include "experiments/sweep.h"

extern char **environ;

static const char help[] =
    "usage: tradeoff sweep SWEEP.ini [--out DIR] [--emit-slurm] [--point I] [--merge]\n"
    "\n"
    "Runs every point of the sweep (variants x grid) and writes DIR/results.jsonl, one\n"
    "JSON line per run: the run's result.json (or io.json) plus \"point\" (id, variant,\n"
    "kind, label, ranks, set, dir). DIR defaults to runs/<sweep name>. Points with more\n"
    "than one rank run under `mpirun -n K` ($TRADEOFF_LAUNCHER replaces mpirun, e.g.\n"
    "srun). Restarting skips finished points and resumes interrupted train points.\n"
    "\n"
    "  --emit-slurm   write DIR/sweep.sbatch (a job array, one task per point) and print\n"
    "                 how to submit it and merge the results, without running anything\n"
    "  --point I      run only point I (1-based), as each array task does\n"
    "  --merge        rebuild DIR/results.jsonl from DIR/points/*/record.json\n"
    "\n"
    "Sweep file: [sweep] job, kind (train|io-bench), clock (real|virtual), metric;\n"
    "[variant.NAME] SECTION.KEY = VALUE overrides; [grid] SECTION.KEY = v1, v2, ... and\n"
    "ranks = 1, 2, ...; [project] instances = TYPE, ... (rightsizing, labelled projected).\n";

typedef struct {
  const char *sweep_path;
  char *out_dir;
  bool emit_slurm, merge_only;
  long point;  /* 1-based; 0 = all */
} args;

static tr_err parse(int argc, char **argv, args *a, bool *help_only) {
  static const struct option longopts[] = {
      {"out", required_argument, 0, 'o'},   {"emit-slurm", no_argument, 0, 'e'},
      {"point", required_argument, 0, 'p'}, {"merge", no_argument, 0, 'm'},
      {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
  int opt;
  opterr = 0;
  optind = 1;
  size_t point = 0;
  tr_err rc = TR_OK;
  while (rc == TR_OK && (opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'o': free(a->out_dir); a->out_dir = strdup(optarg); break;
    case 'e': a->emit_slurm = true; break;
    case 'm': a->merge_only = true; break;
    case 'p': rc = cli_parse_size("sweep", "--point", optarg, 1, &point); a->point = (long)point; break;
    case 'h': *help_only = true; return TR_OK;
    default: return cli_bad_option("sweep", argv, opt);
    }
  }
  if (rc != TR_OK) return rc;
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "sweep", "expected one SWEEP.ini (see tradeoff sweep --help)");
  a->sweep_path = argv[optind];
  return a->out_dir ? TR_OK : cli_default_out("sweep", a->sweep_path, "", &a->out_dir);
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The path of this executable, for the children. */
static char *self_exe(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return strdup("tradeoff");
  buf[n] = '\0';
  return strdup(buf);
}

/* argv for one point: [launcher -n K ...] tradeoff train|io-bench JOB --set ... --out DIR */
static char **point_argv(const sweep_spec *s, const sweep_point *p, const char *exe,
                         const char *dir, bool resume) {
  size_t cap = 16 + 2 * p->n_sets, n = 0;
  char **v = calloc(cap, sizeof *v);
  if (!v) return NULL;
  char ranks[16];
  snprintf(ranks, sizeof ranks, "%d", p->ranks);
  if (p->ranks > 1) {
    const char *launcher = getenv("TRADEOFF_LAUNCHER");
    if (launcher && *launcher) {
      v[n++] = (char *)launcher;
      v[n++] = "-n";
      v[n++] = strdup(ranks);
    } else {
      v[n++] = "mpirun";
      v[n++] = "-n";
      v[n++] = strdup(ranks);
      v[n++] = "--oversubscribe";
      if (geteuid() == 0) v[n++] = "--allow-run-as-root";
    }
  }
  v[n++] = (char *)exe;
  v[n++] = s->kind;
  v[n++] = s->job;
  for (size_t i = 0; i < p->n_sets; i++) {
    v[n++] = "--set";
    v[n++] = p->sets[i];
  }
  if (!strcmp(s->kind, "io-bench")) {
    v[n++] = "--clock";
    v[n++] = s->clock;
  }
  v[n++] = "--out";
  v[n++] = (char *)dir;
  v[n++] = "--quiet";
  if (resume) v[n++] = "--resume";
  return v;
}

/* Runs argv, waiting; the exit status (or 128 + signal). */
static int run_child(char **argv) {
  pid_t pid;
  int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
  if (err != 0) {
    log_warn("cannot start %s: %s", argv[0], strerror(err));
    return 127;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The point object of a record. */
static cJSON *point_json(const sweep_spec *s, const sweep_point *p, const char *rel_dir) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", p->id);
  cJSON_AddStringToObject(o, "variant", p->variant);
  cJSON_AddStringToObject(o, "kind", s->kind);
  bool projected = !strcmp(s->kind, "io-bench") && !strcmp(s->clock, "virtual");
  cJSON_AddStringToObject(o, "label", projected ? "projected" : "measured");
  if (!strcmp(s->kind, "io-bench")) cJSON_AddStringToObject(o, "clock", s->clock);
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

static cJSON *read_json(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char *text = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&text, &cap, '\0', f);
  fclose(f);
  cJSON *o = n > 0 ? cJSON_Parse(text) : NULL;
  free(text);
  return o;
}

/* Runs point i unless it has a record; writes OUT/points/<id>/record.json. Returns
 * TR_OK, or TR_EIO when the run failed (the sweep goes on with the others). */
static tr_err run_point(const sweep_spec *s, const args *a, size_t i, size_t total, const char *exe) {
  sweep_point p;
  tr_err rc = sweep_point_at(s, i, &p);
  if (rc != TR_OK) return rc;
  char *rel = NULL, *dir = NULL, *record = NULL, *result = NULL, *ckpt = NULL;
  if (asprintf(&rel, "points/%s", p.id) < 0 || asprintf(&dir, "%s/%s", a->out_dir, rel) < 0 ||
      asprintf(&record, "%s/record.json", dir) < 0 ||
      asprintf(&result, "%s/%s", dir, !strcmp(s->kind, "io-bench") ? "io.json" : "result.json") < 0 ||
      asprintf(&ckpt, "%s/checkpoint/checkpoint.h5", dir) < 0) {
    rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
    goto done;
  }
  char what[512] = "";
  for (size_t k = 0; k < p.n_sets; k++)
    snprintf(what + strlen(what), sizeof what - strlen(what), " %s", p.sets[k]);
  if (exists(record)) {
    log_info("sweep: [%zu/%zu] %s done before, skipped", i + 1, total, p.id);
    goto done;
  }
  bool resume = !strcmp(s->kind, "train") && exists(ckpt);
  log_info("sweep: [%zu/%zu] %s %s%s ranks=%d%s%s", i + 1, total, p.id, p.variant, what, p.ranks,
           resume ? " (resuming)" : "", "");
  char **argv = point_argv(s, &p, exe, dir, resume);
  if (!argv) {
    rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
    goto done;
  }
  double t0 = tr_now();
  int status = run_child(argv);
  if (p.ranks > 1) free(argv[2]);
  free(argv);
  cJSON *o = status == 0 ? read_json(result) : NULL;
  if (!o) {
    log_warn("sweep: %s failed (exit %d); see the error above; the other points go on", p.id, status);
    rc = TR_EIO;
    goto done;
  }
  cJSON_AddItemToObject(o, "point", point_json(s, &p, rel));
  rc = json_write_file(record, o);
  cJSON *cost = cJSON_GetObjectItem(o, "cost");
  log_info("sweep: %s done in %.1fs, $%.6f", p.id, tr_now() - t0,
           cJSON_GetNumberValue(cJSON_GetObjectItem(cost, "total_usd")));
  cJSON_Delete(o);
done:
  sweep_point_free(&p);
  free(rel);
  free(dir);
  free(record);
  free(result);
  free(ckpt);
  return rc;
}

/* Rebuilds OUT/results.jsonl from the records, in point order, atomically, followed by
 * the projections of [project]. */
static tr_err merge(const sweep_spec *s, const char *out_dir, size_t *n_records) {
  char *path = NULL;
  if (asprintf(&path, "%s/results.jsonl", out_dir) < 0) return tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  tr_atomic at;
  tr_err rc = tr_atomic_open(&at, path);
  free(path);
  if (rc != TR_OK) return rc;
  size_t total = sweep_count(s);
  cJSON **records = calloc(total ? total : 1, sizeof *records);
  *n_records = 0;
  for (size_t i = 0; records && i < total; i++) {
    char *rec = NULL;
    if (asprintf(&rec, "%s/points/p%04zu/record.json", out_dir, i + 1) < 0) break;
    records[i] = read_json(rec);
    free(rec);
    if (!records[i]) continue;
    char *line = cJSON_PrintUnformatted(records[i]);
    if (line) fprintf(at.fp, "%s\n", line);
    free(line);
    (*n_records)++;
  }
  if (records && s->n_project)
    rc = rightsize_project(records, total, (const char *const *)s->project, s->n_project,
                           s->pricing, at.fp);
  for (size_t i = 0; records && i < total; i++) cJSON_Delete(records[i]);
  free(records);
  if (rc == TR_OK) return tr_atomic_commit(&at);
  tr_atomic_abort(&at);
  return rc;
}

static tr_err emit_slurm(const sweep_spec *s, const args *a, const char *exe) {
  size_t total = sweep_count(s);
  int max_ranks = 1;
  for (size_t i = 0; i < total; i++) {
    sweep_point p;
    if (sweep_point_at(s, i, &p) != TR_OK) return tr_error_code();
    if (p.ranks > max_ranks) max_ranks = p.ranks;
    sweep_point_free(&p);
  }
  char *path = NULL;
  tr_err rc = tr_mkdir_p(a->out_dir);
  if (rc == TR_OK && asprintf(&path, "%s/sweep.sbatch", a->out_dir) < 0)
    rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
  tr_atomic at;
  if (rc == TR_OK) rc = tr_atomic_open(&at, path);
  if (rc != TR_OK) {
    free(path);
    return rc;
  }
  fprintf(at.fp,
          "#!/bin/bash\n"
          "# Generated by `tradeoff sweep %s --emit-slurm`: one array task per point.\n"
          "# Submit from the directory the sweep paths are relative to:\n"
          "#   sbatch %s\n"
          "# then merge the points' records into %s/results.jsonl:\n"
          "#   tradeoff sweep %s --out %s --merge\n"
          "#SBATCH --job-name=tradeoff-sweep\n"
          "#SBATCH --array=1-%zu\n"
          "#SBATCH --ntasks=%d\n"
          "#SBATCH --output=%s/points/slurm-%%A_%%a.out\n"
          "set -euo pipefail\n"
          "export TRADEOFF_LAUNCHER=srun   # points with K ranks run `srun -n K`\n"
          "%s sweep %s --out %s --point \"$SLURM_ARRAY_TASK_ID\"\n",
          s->path, path, a->out_dir, s->path, a->out_dir, total, max_ranks, a->out_dir, exe, s->path,
          a->out_dir);
  rc = tr_atomic_commit(&at);
  if (rc == TR_OK) {
    char *points = NULL;
    if (asprintf(&points, "%s/points", a->out_dir) >= 0) tr_mkdir_p(points);
    free(points);
    printf("wrote %s (%zu points)\nsubmit:  sbatch %s\nthen:    tradeoff sweep %s --out %s --merge\n", path,
           total, path, s->path, a->out_dir);
  }
  free(path);
  return rc;
}

static tr_err run_sweep(const args *a) {
  sweep_spec *s = NULL;
  tr_err rc = sweep_load(a->sweep_path, &s);
  if (rc != TR_OK) return rc;
  char *exe = self_exe(), *points = NULL;
  size_t total = sweep_count(s), failed = 0, n_records = 0;
  if (!exe || asprintf(&points, "%s/points", a->out_dir) < 0) {
    rc = tr_error_set(TR_ENOMEM, "sweep", "out of memory");
    goto done;
  }
  if (a->point > 0 && (size_t)a->point > total) {
    rc = tr_error_set(TR_EUSAGE, "sweep", "--point %ld: the sweep has %zu points", a->point, total);
    goto done;
  }
  if (a->emit_slurm) {
    rc = emit_slurm(s, a, exe);
    goto done;
  }
  if ((rc = tr_mkdir_p(points)) != TR_OK) goto done;
  double t0 = tr_now();
  for (size_t i = 0; !a->merge_only && i < total; i++) {
    if (a->point > 0 && (size_t)a->point != i + 1) continue;
    tr_err prc = run_point(s, a, i, total, exe);
    if (prc == TR_EIO) {
      tr_error_clear();
      failed++;
    } else if (prc != TR_OK) {
      rc = prc;
      goto done;
    }
    if (a->point == 0 && (rc = merge(s, a->out_dir, &n_records)) != TR_OK) goto done;
  }
  if ((a->point == 0 || a->merge_only) && (rc = merge(s, a->out_dir, &n_records)) != TR_OK) goto done;
  if (a->point == 0)
    log_info("sweep: %zu of %zu points in %s/results.jsonl (%.1fs)%s", n_records, total, a->out_dir,
             tr_now() - t0, failed ? "; some points failed (run the sweep again to retry them)" : "");
  if (failed) rc = tr_error_set(TR_EIO, "sweep", "%zu of %zu points failed", failed, total);
done:
  free(exe);
  free(points);
  sweep_free(&s);
  return rc;
}

tr_err cmd_sweep(int argc, char **argv) {
  args a = {0};
  bool help_only = false;
  tr_err rc = parse(argc, argv, &a, &help_only);
  if (rc == TR_OK && help_only) fputs(help, stdout);
  else if (rc == TR_OK) rc = run_sweep(&a);
  free(a.out_dir);
  return rc;
}
