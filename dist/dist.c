/* MPI start-up and shard ranges. Open MPI runs a program started without mpirun as a
 * singleton (one rank), so the same binary serves laptops and clusters. */
#include "dist/dist.h"

#include <mpi.h>

static int we_initialized = 0;

tr_err dist_init(int *argc, char ***argv, dist_ctx *ctx) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      return tr_error_set(TR_EMPI, "MPI_Init_thread", "failed");
    we_initialized = 1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx->size);
  return TR_OK;
}

void dist_finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (we_initialized && !finalized) MPI_Finalize();
}

void dist_abort(int status) { MPI_Abort(MPI_COMM_WORLD, status); }

void dist_shard_range(size_t n, int rank, int size, size_t *start, size_t *count) {
  size_t base = n / (size_t)size, extra = n % (size_t)size, r = (size_t)rank;
  *start = r * base + (r < extra ? r : extra);
  *count = base + (r < extra ? 1 : 0);
}
