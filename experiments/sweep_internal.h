/* Internal to the sweep modules (sweep_run.c, sweep_search.c): the resolved points of a
 * run and their directories, and starting and waiting for a point's child. */
#ifndef TR_SWEEP_INTERNAL_H
#define TR_SWEEP_INTERNAL_H
#include <sys/types.h>

#include "experiments/sweep_run.h"

#define DIGEST_SHOWN 12 /* hex digits of the configuration digest in a point's directory name */

/* The points a run works on, resolved once before anything runs: each point, the digest
 * of its configuration (so every job check has passed) and its directory. */
typedef struct {
  sweep_point p;
  char digest[17];
  char *rel;  /* its directory relative to OUT: points/<id>-<digest> */
} planned;

typedef struct {
  planned *pt;
  size_t first, n;  /* points first .. first + n - 1 (0-based) */
} plan;

/* Points first .. first + n - 1 of s and their digests; the first point whose job does
 * not load is the error (sweep_point_digest: at its line of the sweep file). */
tr_err plan_resolve(const sweep_spec *s, size_t first, size_t n, plan *pl);
/* The directory of every planned point, from one scan of OUT/points (a record first,
 * then a checkpoint; else points/<id>-<digest> of the first point of that
 * configuration). */
tr_err plan_place(plan *pl, const char *out_dir);
void plan_free(plan *pl);

/* Starts argv as a child that gets SIGTERM when the sweep's process ends (-1 when it
 * cannot start, said on stderr); waits for it: its exit status, or 128 + signal (127
 * for -1). */
pid_t sweep_child_start(char **argv);
int sweep_child_wait(pid_t pid);

/* A `tradeoff worker` child that runs train jobs one after another in one process
 * (sweep_worker.c): the points of one rank of kind train unless runner = process. */
typedef struct sweep_worker sweep_worker;
bool sweep_worker_fits(const sweep_spec *s, const sweep_point *p);
/* Starts exe's worker (it gets SIGTERM when the sweep's process ends); NULL when it
 * cannot (said on stderr). */
sweep_worker *sweep_worker_start(const char *exe);
/* False once the worker has ended (a job it could not answer): start another. */
bool sweep_worker_alive(const sweep_worker *w);
/* Sends the job argv (as sweep_point_argv builds it for one rank: exe train JOB ...);
 * false when the worker is gone. */
bool sweep_worker_send(sweep_worker *w, char *const *argv);
/* Waits for the sent job's answer: train's exit status; when the worker ended instead,
 * its exit status or 128 + signal (never 0; 127 when there is no worker). */
int sweep_worker_wait(sweep_worker *w);
/* Ends the worker (its input closed) and waits for it; *w NULL. */
void sweep_worker_stop(sweep_worker **w);

/* sweep_run() of a search (sweep_is_search): sweep_search.c. */
tr_err sweep_search_run(const sweep_spec *s, const sweep_run_opts *o);
#endif
