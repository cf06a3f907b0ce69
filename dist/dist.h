/* MPI for the rest of the program: initialization that works as a singleton and under
 * mpirun/srun, this process's rank and the rank count, and shard ranges. The trainer
 * talks to MPI only through this module. */
#ifndef TR_DIST_H
#define TR_DIST_H
#include <stddef.h>

#include "common/error.h"

typedef struct {
  int rank;   /* 0 .. size-1 */
  int size;   /* ranks in the job, 1 for a singleton */
} dist_ctx;

/* Initializes MPI (MPI_THREAD_FUNNELED) once and fills *ctx; a second call only fills. */
tr_err dist_init(int *argc, char ***argv, dist_ctx *ctx);
/* Finalizes MPI if dist_init() initialized it. */
void dist_finalize(void);
/* Aborts every rank with the exit status (used by main() after an error). */
void dist_abort(int status);
/* This rank's rows of n split as evenly as possible: [*start, *start + *count). */
void dist_shard_range(size_t n, int rank, int size, size_t *start, size_t *count);
#endif
