/* MPI start-up and collectives. Open MPI runs a program started without mpirun as a
 * singleton (one rank), so the same binary serves laptops and clusters. Every collective
 * is timed here, so communication time is measured in one place. */
#include "dist/dist.h"

#include <limits.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/timer.h"

static int we_initialized = 0;

tr_err dist_init(int *argc, char ***argv, dist_ctx *ctx) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      return tr_error_set(TR_EMPI, "MPI_Init_thread", "failed");
    we_initialized = 1;
    /* errors come back as codes, so a failing rank reports and aborts the job */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx->size);
  MPI_Comm node;
  ctx->local_size = 1;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ctx->rank, MPI_INFO_NULL, &node) ==
      MPI_SUCCESS) {
    MPI_Comm_size(node, &ctx->local_size);
    MPI_Comm_free(&node);
  }
  ctx->comm_s = 0;
  return TR_OK;
}

void dist_finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (we_initialized && !finalized) MPI_Finalize();
}

_Noreturn void dist_abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  _Exit(status); /* MPI_Abort need not end this process; skip atexit handlers (MPI's) */
}

int dist_threads_per_rank(const dist_ctx *ctx, int requested) {
  if (requested > 0) return requested;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int per = (int)(cores / (ctx && ctx->local_size > 0 ? ctx->local_size : 1));
  return per > 0 ? per : 1;
}

static bool solo(const dist_ctx *ctx) { return !ctx || ctx->size <= 1; }

static tr_err check(dist_ctx *ctx, int rc, const char *what, double t0) {
  ctx->comm_s += tr_now() - t0;
  if (rc == MPI_SUCCESS) return TR_OK;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return tr_error_set(TR_EMPI, what, "%s", msg);
}

/* MPI counts are ints: a larger count would be cast to a wrong one. Every rank passes the
 * same count to these calls, so every rank refuses it alike (no rank left waiting). */
static tr_err too_many(const char *what, size_t n) {
  return tr_error_set(TR_EMPI, what, "%zu values in one call, more than an MPI count holds (%d)", n, INT_MAX);
}

static tr_err allreduce(dist_ctx *ctx, void *buf, size_t n, MPI_Datatype type, MPI_Op op,
                        const char *what) {
  if (solo(ctx) || n == 0) return TR_OK;
  if (n > INT_MAX) return too_many(what, n);
  double t0 = tr_now();
  return check(ctx, MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, type, op, MPI_COMM_WORLD), what, t0);
}

tr_err dist_sum_floats(dist_ctx *ctx, float *buf, size_t n) {
  return allreduce(ctx, buf, n, MPI_FLOAT, MPI_SUM, "MPI_Allreduce");
}

tr_err dist_sum_doubles(dist_ctx *ctx, double *buf, size_t n) {
  return allreduce(ctx, buf, n, MPI_DOUBLE, MPI_SUM, "MPI_Allreduce");
}

tr_err dist_max_doubles(dist_ctx *ctx, double *buf, size_t n) {
  return allreduce(ctx, buf, n, MPI_DOUBLE, MPI_MAX, "MPI_Allreduce");
}

tr_err dist_sum_i64(dist_ctx *ctx, int64_t *buf, size_t n) {
  return allreduce(ctx, buf, n, MPI_INT64_T, MPI_SUM, "MPI_Allreduce");
}

tr_err dist_alltoallv_floats(dist_ctx *ctx, const float *send, const size_t *scount,
                             const size_t *sdispl, float *recv, const size_t *rcount,
                             const size_t *rdispl) {
  if (solo(ctx)) {
    for (size_t i = 0; i < scount[0]; i++) recv[rdispl[0] + i] = send[sdispl[0] + i];
    return TR_OK;
  }
  size_t k = (size_t)ctx->size;
  for (size_t r = 0; r < k; r++) /* the caller bounds its counts alike on every rank */
    if (sdispl[r] + scount[r] > (size_t)INT_MAX || rdispl[r] + rcount[r] > (size_t)INT_MAX)
      return too_many("MPI_Alltoallv", sdispl[r] + scount[r] > rdispl[r] + rcount[r] ? sdispl[r] + scount[r]
                                                                                     : rdispl[r] + rcount[r]);
  int *v = malloc(4 * k * sizeof(int));
  if (!v) return tr_error_set(TR_ENOMEM, "MPI_Alltoallv", "out of memory");
  for (size_t r = 0; r < k; r++)
    v[r] = (int)scount[r], v[k + r] = (int)sdispl[r], v[2 * k + r] = (int)rcount[r], v[3 * k + r] = (int)rdispl[r];
  double t0 = tr_now();
  int rc = MPI_Alltoallv(send, v, v + k, MPI_FLOAT, recv, v + 2 * k, v + 3 * k, MPI_FLOAT, MPI_COMM_WORLD);
  free(v);
  return check(ctx, rc, "MPI_Alltoallv", t0);
}

tr_err dist_sum_size(dist_ctx *ctx, size_t local, size_t *total) {
  unsigned long long v = local;
  tr_err rc = allreduce(ctx, &v, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, "MPI_Allreduce");
  *total = (size_t)v;
  return rc;
}

tr_err dist_allgather_floats(dist_ctx *ctx, const float *local, size_t n_local, float *all,
                             size_t *n_all) {
  if (solo(ctx)) {
    for (size_t i = 0; i < n_local; i++) all[i] = local[i];
    *n_all = n_local;
    return TR_OK;
  }
  int *counts = malloc((size_t)ctx->size * sizeof(int)), *displs = malloc((size_t)ctx->size * sizeof(int));
  if (!counts || !displs) {
    free(counts);
    free(displs);
    return tr_error_set(TR_ENOMEM, "MPI_Allgatherv", "out of memory");
  }
  double t0 = tr_now();
  int mine = n_local > INT_MAX ? -1 : (int)n_local; /* -1: too many, seen by every rank */
  int rc = MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
  size_t total = 0;
  bool fits = true;
  for (int r = 0; rc == MPI_SUCCESS && r < ctx->size; r++) {
    fits = fits && counts[r] >= 0 && total <= (size_t)INT_MAX;
    displs[r] = fits ? (int)total : 0;
    total += counts[r] >= 0 ? (size_t)counts[r] : n_local;
  }
  fits = fits && total <= (size_t)INT_MAX;
  if (rc == MPI_SUCCESS && fits)
    rc = MPI_Allgatherv(local, mine, MPI_FLOAT, all, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
  free(counts);
  free(displs);
  *n_all = total;
  if (rc == MPI_SUCCESS && !fits) return too_many("MPI_Allgatherv", total);
  return check(ctx, rc, "MPI_Allgatherv", t0);
}

tr_err dist_bcast_floats(dist_ctx *ctx, float *buf, size_t n, int root) {
  if (solo(ctx) || n == 0) return TR_OK;
  if (n > INT_MAX) return too_many("MPI_Bcast", n);
  double t0 = tr_now();
  return check(ctx, MPI_Bcast(buf, (int)n, MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast", t0);
}

tr_err dist_gather_u64(dist_ctx *ctx, const uint64_t *local, size_t n, uint64_t *all, int root) {
  if (solo(ctx)) {
    for (size_t i = 0; i < n; i++) all[i] = local[i];
    return TR_OK;
  }
  if (n > INT_MAX) return too_many("MPI_Gather", n);
  double t0 = tr_now();
  return check(ctx, MPI_Gather(local, (int)n, MPI_UINT64_T, all, (int)n, MPI_UINT64_T, root,
                               MPI_COMM_WORLD), "MPI_Gather", t0);
}

bool dist_any(dist_ctx *ctx, bool flag) {
  if (solo(ctx)) return flag;
  int v = flag ? 1 : 0;
  double t0 = tr_now();
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  ctx->comm_s += tr_now() - t0;
  return v != 0;
}

void dist_shard_counts(const dist_ctx *ctx, size_t n, size_t *counts) {
  size_t k = solo(ctx) ? 1 : (size_t)ctx->size;
  for (size_t r = 0; r < k; r++) counts[r] = n / k + (r < n % k);
}

size_t dist_shard_offset(const size_t *counts, int r) {
  size_t off = 0;
  for (int i = 0; i < r; i++) off += counts[i];
  return off;
}

tr_err dist_shards_new(const dist_ctx *ctx, size_t n, dist_shards *out) {
  memset(out, 0, sizeof *out);
  size_t k = solo(ctx) ? 1 : (size_t)ctx->size;
  if (!solo(ctx) && n > (size_t)INT_MAX) return too_many("MPI_Reduce_scatter", n);
  out->counts = malloc(k * sizeof *out->counts);
  out->mpi_counts = malloc(2 * k * sizeof(int));
  if (!out->counts || !out->mpi_counts) {
    dist_shards_free(out);
    return tr_error_set(TR_ENOMEM, "dist", "out of memory");
  }
  out->mpi_displs = out->mpi_counts + k;
  dist_shard_counts(ctx, n, out->counts);
  size_t total = 0;
  for (size_t r = 0; r < k; r++) { /* n fits an int: so does every count and offset */
    out->mpi_displs[r] = (int)total;
    out->mpi_counts[r] = (int)out->counts[r];
    total += out->counts[r];
  }
  return TR_OK;
}

void dist_shards_free(dist_shards *s) {
  free(s->counts);
  free(s->mpi_counts);
  memset(s, 0, sizeof *s);
}

tr_err dist_sum_scatter_floats(dist_ctx *ctx, const float *buf, const dist_shards *sh, float *mine) {
  if (solo(ctx)) {
    memcpy(mine, buf, sh->counts[0] * sizeof(float));
    return TR_OK;
  }
  double t0 = tr_now();
  return check(ctx, MPI_Reduce_scatter(buf, mine, sh->mpi_counts, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
               "MPI_Reduce_scatter", t0);
}

tr_err dist_gather_shards_floats(dist_ctx *ctx, float *buf, const dist_shards *sh) {
  if (solo(ctx)) return TR_OK;
  double t0 = tr_now();
  return check(ctx, MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, sh->mpi_counts, sh->mpi_displs,
                                   MPI_FLOAT, MPI_COMM_WORLD), "MPI_Allgatherv", t0);
}

_Static_assert(sizeof(MPI_Request) <= sizeof(((dist_req *)0)->opaque), "dist_req holds an MPI_Request");

tr_err dist_isum_floats(dist_ctx *ctx, float *buf, size_t n, dist_req *req) {
  req->active = false;
  if (solo(ctx) || n == 0) return TR_OK;
  if (n > INT_MAX) return too_many("MPI_Iallreduce", n);
  MPI_Request r = MPI_REQUEST_NULL;
  double t0 = tr_now();
  tr_err rc = check(ctx, MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r),
                    "MPI_Iallreduce", t0);
  if (rc == TR_OK) {
    memcpy(req->opaque, &r, sizeof r);
    req->active = true;
  }
  return rc;
}

tr_err dist_wait(dist_ctx *ctx, dist_req *req) {
  if (!req->active) return TR_OK;
  MPI_Request r;
  memcpy(&r, req->opaque, sizeof r);
  req->active = false;
  double t0 = tr_now();
  return check(ctx, MPI_Wait(&r, MPI_STATUS_IGNORE), "MPI_Wait", t0);
}
