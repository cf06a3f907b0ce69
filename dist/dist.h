/* MPI for the rest of the program: start-up that works as a singleton and under
 * mpirun/srun (MPI_THREAD_FUNNELED: only the main thread calls MPI while OpenMP threads
 * compute), timed collectives, and the abort that ends every rank after an error. The
 * trainer talks to MPI only through this module; a NULL context means one process. */
#ifndef TR_DIST_H
#define TR_DIST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct {
  int rank;         /* 0 .. size-1 */
  int size;         /* ranks in the job, 1 for a singleton */
  int local_size;   /* ranks sharing this node */
  double comm_s;    /* seconds spent in collectives so far */
} dist_ctx;

/* Initializes MPI once and fills *ctx; a second call only fills. */
tr_err dist_init(int *argc, char ***argv, dist_ctx *ctx);
/* Finalizes MPI if dist_init() initialized it. */
void dist_finalize(void);
/* Ends every rank of the job with the exit status (after an error on any rank); never
 * returns (should MPI_Abort return, this process exits with status). */
_Noreturn void dist_abort(int status);
/* OpenMP threads for this rank: requested if > 0, else the node's cores shared
 * evenly among its ranks (at least 1). */
int dist_threads_per_rank(const dist_ctx *ctx, int requested);

/* Collectives. With ctx NULL or one rank they return at once (buffers unchanged).
 * Failures record TR_EMPI. Time spent is added to ctx->comm_s. */
tr_err dist_sum_floats(dist_ctx *ctx, float *buf, size_t n);
tr_err dist_sum_doubles(dist_ctx *ctx, double *buf, size_t n);
tr_err dist_max_doubles(dist_ctx *ctx, double *buf, size_t n);
/* Concatenates every rank's n_local floats, in rank order, into all (on every rank);
 * *n_all receives the total. all must hold the total (ask dist_sum_sizes first). */
tr_err dist_allgather_floats(dist_ctx *ctx, const float *local, size_t n_local, float *all,
                             size_t *n_all);
/* Sum of a count over ranks. */
tr_err dist_sum_size(dist_ctx *ctx, size_t local, size_t *total);
/* Copies root's n floats to every rank. */
tr_err dist_bcast_floats(dist_ctx *ctx, float *buf, size_t n, int root);
/* Gathers n 64-bit words from every rank into all (size * n words) on root only. */
tr_err dist_gather_u64(dist_ctx *ctx, const uint64_t *local, size_t n, uint64_t *all, int root);
/* Sum of n 64-bit integers over ranks, in place. Integer addition is associative, so the
 * result does not depend on the reduction's order (the exact sums of rank_invariant). */
tr_err dist_sum_i64(dist_ctx *ctx, int64_t *buf, size_t n);
/* MPI_Alltoallv of floats: send[sdispl[r] .. + scount[r]) goes to rank r, and rank r's
 * part arrives in recv[rdispl[r] .. + rcount[r]). Counts and displacements per rank
 * (size entries each); every rank must pass counts that match its peers'. Every count
 * and count + displacement must fit an MPI int: else TR_EMPI before communicating (the
 * caller bounds them alike on every rank, or the failing rank aborts the job). */
tr_err dist_alltoallv_floats(dist_ctx *ctx, const float *send, const size_t *scount,
                             const size_t *sdispl, float *recv, const size_t *rcount,
                             const size_t *rdispl);
/* True on every rank when flag is true on any rank. */
bool dist_any(dist_ctx *ctx, bool flag);

/* The shards of n values over ctx's ranks (1 rank with ctx NULL): counts[r] values for
 * rank r, in rank order, contiguous, sizes differing by at most one (the first n % size
 * ranks hold one more). counts holds one entry per rank. */
void dist_shard_counts(const dist_ctx *ctx, size_t n, size_t *counts);
/* The offset of rank r's shard: the sum of counts[0 .. r). */
size_t dist_shard_offset(const size_t *counts, int r);
/* The shards of n values (dist_shard_counts) with the MPI int counts and displacements
 * the two calls below take, built once (a fit's setup) rather than per step. */
typedef struct {
  size_t *counts;                /* counts[r]: rank r's values, one entry per rank */
  int *mpi_counts, *mpi_displs;  /* the same as MPI ints, and their offsets */
} dist_shards;
/* Builds *out for n values over ctx's ranks (1 rank with ctx NULL). TR_ENOMEM; TR_EMPI
 * when n does not fit an MPI int (every rank computes the same, so every rank refuses
 * alike). *out is zeroed on failure; dist_shards_free it either way. */
tr_err dist_shards_new(const dist_ctx *ctx, size_t n, dist_shards *out);
void dist_shards_free(dist_shards *s);
/* Sum over ranks of buf (the sum of every sh->counts[r] of values), of which this rank
 * receives only its shard, in mine (sh->counts[rank] floats): MPI_Reduce_scatter. buf is
 * not changed. With one rank mine is a copy of buf. No allocation. */
tr_err dist_sum_scatter_floats(dist_ctx *ctx, const float *buf, const dist_shards *sh, float *mine);
/* Every rank's shard of buf (rank r's at dist_shard_offset(sh->counts, r)) copied to
 * every rank, in place: MPI_Allgatherv. No allocation. */
tr_err dist_gather_shards_floats(dist_ctx *ctx, float *buf, const dist_shards *sh);

/* A nonblocking sum in flight (dist_isum_floats .. dist_wait). The bytes hold an
 * MPI_Request: callers never look inside. */
typedef struct {
  unsigned char opaque[16];
  bool active;
} dist_req;
/* Starts the sum over ranks of buf (n floats, in place: MPI_Iallreduce); buf must not be
 * touched until dist_wait(req). With one rank it completes at once. The sum is the one
 * MPI_Allreduce gives (at 2 ranks bit for bit: a + b = b + a). */
tr_err dist_isum_floats(dist_ctx *ctx, float *buf, size_t n, dist_req *req);
/* Waits until req's operation is done (no-op on an inactive req); the time spent waiting
 * (with the start's) is what ctx->comm_s counts of an overlapped collective. */
tr_err dist_wait(dist_ctx *ctx, dist_req *req);
#endif
