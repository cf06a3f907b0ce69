/* `tradeoff worker`: a training worker for a sweep (experiments/sweep_worker.c starts
 * it), the way Ray Tune reuses an actor for many trials: it reads requests from stdin,
 * one a line, each a JSON array of `tradeoff train`'s arguments (["JOB.ini", "--set",
 * "K=V", ..., "--out", "DIR", "--resume", "--until-epoch", "9"]), runs each in this
 * process as `train` would, and answers each with a line {"exit": N} (train's exit
 * status) on stdout; train's messages go to stderr. Data sets are loaded, split and
 * standardized once and borrowed by later requests of the same data key (run.h
 * run_cache). It runs one-rank jobs only, without MPI (main.c: no dist_init; the
 * collectives of one rank are no-ops). Billing: the worker's own start-up (fork, exec,
 * the libraries' loading) is billed to its first request (run_opts.billed_before_s), a data set's load to the request that
 * loaded it. A signal during a request checkpoints that run (stop_reason
 * "interrupted"), answers with "last": true added, and ends the worker; end of input
 * ends it. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/timer.h"
#include "experiments/run.h"
#include "experiments/sweep_run.h"

#define WORKER_CACHE_KEYS 4 /* data keys kept at once (a sweep's variants: logistic, mlp...) */

static const char help[] =
    "usage: tradeoff worker\n"
    "\n"
    "Internal: run by `tradeoff sweep` (runner = worker). Reads train requests from stdin,\n"
    "one a line, each a JSON array of `tradeoff train`'s arguments, runs them in this\n"
    "process (data sets loaded once per data key) and answers each with {\"exit\": N}\n"
    "a line on stdout. Ends at the end of its input, or after a signal stopped a request.\n";

tr_err cmd_worker(int argc, char **argv, dist_ctx *dist) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs(help, stdout);
    return TR_OK;
  }
  if (argc > 1) return tr_error_set(TR_EUSAGE, "worker", "takes no arguments (requests come on stdin; see --help)");
  /* answers go to the real stdout; anything else printed there goes to stderr */
  int fd = dup(STDOUT_FILENO);
  FILE *answers = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!answers || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    return tr_error_set(TR_EIO, "worker", "cannot set up its answer stream");
  signal(SIGPIPE, SIG_IGN); /* a sweep gone: the answer's write fails, the worker ends */
  run_cache *cache = run_cache_new(WORKER_CACHE_KEYS);
  if (!cache) {
    fclose(answers);
    return tr_error_set(TR_ENOMEM, "worker", "out of memory");
  }
  char *line = NULL;
  size_t cap = 0;
  bool first = true;
  while (getline(&line, &cap, stdin) > 0) {
    int n = 0, sig = 0;
    char **v = sweep_worker_request_argv(line, &n);
    tr_err jrc;
    if (!v) {
      jrc = tr_error_code();
    } else {
      double before = first ? tr_process_age_s() : 0; /* the start-up, billed to the first request */
      first = false;
      jrc = cmd_train_in(n, v, dist, cache, before, &sig); /* run_train clamps a NaN or < 0 to 0 */
    }
    if (jrc != TR_OK) {
      const char *msg = tr_error_message();
      fprintf(stderr, "tradeoff: %s\n", *msg ? msg : tr_strerror(jrc));
      fflush(stderr);
      tr_error_clear();
    }
    sweep_argv_free(v);
    bool answered = fprintf(answers, "{\"exit\": %d%s}\n", tr_exit_code(jrc), sig ? ", \"last\": true" : "") > 0 &&
                    fflush(answers) == 0;
    if (!answered || sig) break; /* the sweep is gone, or a signal asked the worker to stop */
  }
  free(line);
  run_cache_free(&cache);
  fclose(answers);
  return TR_OK;
}
