/* Running a sweep (experiments/sweep.h): every point as a child `tradeoff train` or
 * `tradeoff io-bench` (under mpirun, or $TRADEOFF_LAUNCHER such as srun, for points with
 * more than one rank), each run kept in OUT/points/<id>/ with its record.json (the run's
 * result plus the point), and the records merged into OUT/results.jsonl (followed by the
 * [project] rightsizing lines) after every point. A restarted sweep skips points that
 * have a record and resumes a train point that left a checkpoint. Or, instead of
 * running, a Slurm job array whose tasks each run one point. */
#ifndef TR_SWEEP_RUN_H
#define TR_SWEEP_RUN_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "experiments/sweep.h"

typedef struct {
  const char *out_dir;  /* OUT */
  const char *exe;      /* the tradeoff binary the children run */
  long point;           /* 1-based: run only this point (an array task); 0 = all */
  bool merge_only;      /* only rebuild results.jsonl */
  bool force;           /* use an OUT that holds another sweep file's runs */
} sweep_run_opts;

/* OUT belongs to one sweep file: OUT/sweep.json names it (its real path). An OUT that
 * names another is TR_EUSAGE unless force (then it is this one's). Editing the file is
 * not another file: its unchanged points are reused, changed and new ones run, and
 * points no longer in it leave results.jsonl (their directories stay). */
tr_err sweep_claim(const sweep_spec *s, const char *out_dir, bool force);

/* Runs (or merges) the sweep into o->out_dir (claimed first: sweep_claim). Each point
 * runs in points/<id>-<digest of its resolved configuration> and is skipped when a
 * directory of that digest holds its record. A failed point does not stop the others;
 * then TR_EIO "sweep: K of N points failed" (each child printed its own error).
 * Every point it works on (all; only o->point's for an array task) is resolved
 * (sweep_point_digest) before OUT is created or anything runs: a bad value fails the
 * sweep at once at its line. TR_EUSAGE when o->point is past the last point. */
tr_err sweep_run(const sweep_spec *s, const sweep_run_opts *o);

/* Rebuilds OUT/results.jsonl from the points' records, in point order, atomically,
 * followed by the projections of [project]; *n_records gets the records found. Resolves
 * every point (sweep_point_digest) and scans OUT/points once. */
tr_err sweep_merge(const sweep_spec *s, const char *out_dir, size_t *n_records);

/* The argv of point p's child: [launcher -n K ...] exe train|io-bench JOB --set ...
 * [--clock C] --out dir --quiet, then --resume, or --force for a train point run anew
 * (malloc'd, NULL-terminated; free with
 * sweep_argv_free). NULL on ENOMEM. */
char **sweep_point_argv(const sweep_spec *s, const sweep_point *p, const char *exe, const char *dir,
                        bool resume);
void sweep_argv_free(char **argv);

/* A worker's request (`tradeoff worker`, sweep_worker.c): one line, a JSON array of
 * `tradeoff train`'s arguments. Its argv: "train" then the strings (malloc'd,
 * NULL-terminated, *argc of them; free with sweep_argv_free). NULL with TR_EUSAGE
 * recorded when the line is not such an array (TR_ENOMEM on ENOMEM). */
char **sweep_worker_request_argv(const char *line, int *argc);

/* The point object of a record: id, variant, kind, label (measured | projected), clock,
 * ranks, metric, set (the overrides, a grid value over the variant's) and dir. */
cJSON *sweep_point_json(const sweep_spec *s, const sweep_point *p, const char *rel_dir);

/* Writes OUT/sweep.sbatch: a Slurm job array with one task per point, every path and
 * name in it quoted for the shell; *path gets its path (malloc'd). Every point is
 * resolved first (sweep_point_digest: a bad value is the error, at its line, and nothing
 * is written) and OUT claimed (sweep_claim, with force). */
tr_err sweep_emit_slurm(const sweep_spec *s, const char *out_dir, const char *exe, bool force, char **path);
#endif
