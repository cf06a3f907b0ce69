/* Subcommands of the tradeoff executable. Each takes argv after the subcommand name
 * (argv[0] is the subcommand) and returns a tr_err; main() prints the error and maps
 * it to the exit status. */
#ifndef TR_CLI_H
#define TR_CLI_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "dist/dist.h"

/* Runs on every rank of an MPI job (dist from dist_init; size 1 without mpirun). */
tr_err cmd_train(int argc, char **argv, dist_ctx *dist);
/* cmd_train for a worker (cmd_worker.c): the run borrows prepared data from cache and
 * bills billed_before_s seconds before it (run_opts); *signal (may be NULL) gets the
 * signal that stopped it, 0 when none. */
struct run_cache;
tr_err cmd_train_in(int argc, char **argv, dist_ctx *dist, struct run_cache *cache, double billed_before_s, int *signal);
/* `tradeoff worker`: train requests from a sweep, in one process (cmd_worker.c). */
tr_err cmd_worker(int argc, char **argv, dist_ctx *dist);
tr_err cmd_gen(int argc, char **argv);
tr_err cmd_import(int argc, char **argv);
tr_err cmd_info(int argc, char **argv);
tr_err cmd_predict(int argc, char **argv);
tr_err cmd_quantize(int argc, char **argv);
tr_err cmd_io_bench(int argc, char **argv);
tr_err cmd_sweep(int argc, char **argv);
tr_err cmd_recommend(int argc, char **argv);
tr_err cmd_report(int argc, char **argv);
tr_err cmd_serve_bench(int argc, char **argv);
tr_err cmd_calibrate(int argc, char **argv);

/* Shared argument helpers: they record TR_EUSAGE "SUBCOMMAND: FLAG: ..." on failure.
 * cli_parse_size: decimal digits only (no sign, no spaces), within [min, max] (max
 * SIZE_MAX: no upper bound). cli_parse_double: a finite number within [lo, hi]. */
tr_err cli_parse_size(const char *cmd, const char *flag, const char *text, size_t min,
                      size_t max, size_t *out);
tr_err cli_parse_double(const char *cmd, const char *flag, const char *text, double lo,
                        double hi, double *out);
/* Records the error for an option getopt_long rejected (unknown or missing argument). */
tr_err cli_bad_option(const char *cmd, char **argv, int optopt);
#endif
