/* A PMPI tracer for the distributed-training benchmarks (the interposition MPI's
 * profiling interface is made for, as mpiP and Score-P use it): preloaded into every
 * rank (`mpirun -x LD_PRELOAD=build/bench/libmpi_trace.so -x MPI_TRACE_DIR=DIR ...`), it
 * records each collective's entry and exit time (CLOCK_MONOTONIC, which the ranks of one
 * host share, so entries can be compared across ranks), the call and its element count,
 * and at MPI_Finalize writes DIR/rank.N.csv: seq,call,count,t_enter,t_exit (count: the
 * elements sent, or for the v-variants and reduce-scatter all ranks' total). Nonblocking
 * collectives record their start; the MPI_Wait/Waitall/Test calls that complete them are
 * recorded too. bench/mpi_trace_summary.py matches the k-th collective of every rank and
 * splits each rank's time in it into waiting for the last rank to arrive and the
 * collective's own work after that. Without MPI_TRACE_DIR it records nothing. */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const char *call;
  long count;
  double t0, t1;
} event;

static event *events;
static size_t n_events, cap_events;
static int enabled = -1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int on(void) {
  if (enabled < 0) enabled = getenv("MPI_TRACE_DIR") != NULL;
  return enabled;
}

static void record(const char *call, long count, double t0, double t1) {
  if (n_events == cap_events) {
    size_t cap = cap_events ? 2 * cap_events : 65536;
    event *e = realloc(events, cap * sizeof *e);
    if (!e) return; /* tracing stops; the program goes on */
    events = e, cap_events = cap;
  }
  events[n_events++] = (event){call, count, t0, t1};
}

#define TRACE(call, count, expr)          \
  do {                                    \
    if (!on()) return expr;               \
    double t0_ = now();                   \
    int rc_ = expr;                       \
    record(call, (long)(count), t0_, now()); \
    return rc_;                           \
  } while (0)

int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  TRACE("allreduce", n, PMPI_Allreduce(s, r, n, t, op, c));
}
int MPI_Iallreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c,
                   MPI_Request *q) {
  TRACE("iallreduce", n, PMPI_Iallreduce(s, r, n, t, op, c, q));
}
int MPI_Reduce_scatter_block(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  TRACE("reduce_scatter_block", n, PMPI_Reduce_scatter_block(s, r, n, t, op, c));
}
static long total(const int *counts, MPI_Comm c) {
  int k = 0;
  long t = 0;
  PMPI_Comm_size(c, &k);
  for (int i = 0; i < k; i++) t += counts[i];
  return t;
}
int MPI_Reduce_scatter(const void *s, void *r, const int *n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  TRACE("reduce_scatter", total(n, c), PMPI_Reduce_scatter(s, r, n, t, op, c));
}
int MPI_Allgather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, MPI_Comm c) {
  TRACE("allgather", sn, PMPI_Allgather(s, sn, st, r, rn, rt, c));
}
int MPI_Allgatherv(const void *s, int sn, MPI_Datatype st, void *r, const int *rn, const int *d,
                   MPI_Datatype rt, MPI_Comm c) {
  TRACE("allgatherv", total(rn, c), PMPI_Allgatherv(s, sn, st, r, rn, d, rt, c));
}
int MPI_Bcast(void *b, int n, MPI_Datatype t, int root, MPI_Comm c) {
  TRACE("bcast", n, PMPI_Bcast(b, n, t, root, c));
}
int MPI_Gather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, int root,
               MPI_Comm c) {
  TRACE("gather", sn, PMPI_Gather(s, sn, st, r, rn, rt, root, c));
}
int MPI_Alltoallv(const void *s, const int *sn, const int *sd, MPI_Datatype st, void *r, const int *rn,
                  const int *rd, MPI_Datatype rt, MPI_Comm c) {
  TRACE("alltoallv", sn[0], PMPI_Alltoallv(s, sn, sd, st, r, rn, rd, rt, c));
}
int MPI_Barrier(MPI_Comm c) { TRACE("barrier", 0, PMPI_Barrier(c)); }
int MPI_Wait(MPI_Request *q, MPI_Status *st) { TRACE("wait", 1, PMPI_Wait(q, st)); }
int MPI_Waitall(int n, MPI_Request *q, MPI_Status *st) { TRACE("waitall", n, PMPI_Waitall(n, q, st)); }
int MPI_Test(MPI_Request *q, int *flag, MPI_Status *st) { TRACE("test", 1, PMPI_Test(q, flag, st)); }
int MPI_Testall(int n, MPI_Request *q, int *flag, MPI_Status *st) {
  TRACE("testall", n, PMPI_Testall(n, q, flag, st));
}

int MPI_Finalize(void) {
  const char *dir = getenv("MPI_TRACE_DIR");
  if (dir && events) {
    int rank = 0;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char path[4096];
    snprintf(path, sizeof path, "%s/rank.%d.csv", dir, rank);
    FILE *f = fopen(path, "w");
    if (f) {
      fprintf(f, "seq,call,count,t_enter,t_exit\n");
      for (size_t i = 0; i < n_events; i++)
        fprintf(f, "%zu,%s,%ld,%.9f,%.9f\n", i, events[i].call, events[i].count, events[i].t0, events[i].t1);
      if (fclose(f) != 0) fprintf(stderr, "mpi_trace: writing %s failed\n", path);
    } else {
      fprintf(stderr, "mpi_trace: cannot write %s\n", path);
    }
  }
  free(events);
  events = NULL;
  return PMPI_Finalize();
}
