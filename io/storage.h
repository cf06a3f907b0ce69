/* Emulated storage services. Every backend (io/backends/: local, null, s3, efs, fsx)
 * serves real bytes from local files and models the service's time with one ops table
 * (fio's ioengine_ops, IOR's aiori). Callers go through the stg_* wrappers only, which
 * keep the counters, inject faults and apply the clock:
 *   - real clock: a read returns when the model says it completes (a timed sleep), so a
 *     run on a slow backend truly takes longer;
 *   - virtual clock: no bytes move; the caller passes the time a read is issued and gets
 *     the time it completes (the discrete-event loader drives it).
 * Both clocks call the same model, so the real clock is the virtual clock's ground truth.
 * Times are seconds since stg_new(). Thread-safe: one stg serves all loader threads. */
#ifndef TR_STORAGE_H
#define TR_STORAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Every model parameter; the job's [storage] keys fill it (experiments/job.c holds the
 * defaults and their sources, configs/storage.ini documents them). */
typedef struct {
  /* s3 (also the lazy-loading path of fsx) */
  double s3_first_byte_ms, s3_mb_per_s_per_connection, s3_range_mib, s3_instance_gbps;
  double s3_get_per_s_per_prefix, s3_backoff_ms;
  int s3_connections, s3_max_attempts;
  /* efs */
  const char *efs_mode;  /* bursting | elastic | provisioned */
  double efs_latency_ms, efs_baseline_kib_s_per_gib, efs_burst_mib_s, efs_burst_credits_gib;
  double efs_provisioned_mib_s, efs_elastic_mib_s, efs_per_client_mib_s, efs_stored_gib;
  /* fsx */
  const char *fsx_deployment; /* SCRATCH_2 | PERSISTENT_125 | _250 | _500 | _1000 */
  double fsx_latency_ms, fsx_capacity_tib, fsx_chunk_mib, fsx_mb_per_s_per_tib;
  bool fsx_preload;
  /* fault injection (every backend): a failed read, or a read that returns fewer bytes */
  double fault_error_rate, fault_short_rate;
  long fault_error_at;   /* the Nth read call fails (1-based), 0 = never */
  uint64_t seed;
} stg_params;

/* What the model shares: budgets of a service are split evenly over the job's ranks,
 * an instance's network over the ranks on one node. */
typedef struct {
  int ranks, ranks_per_node;
  uint64_t data_bytes;  /* size of the data set (EFS baseline, FSx capacity) */
} stg_env;

typedef struct {
  uint64_t bytes;        /* bytes returned to callers */
  uint64_t ops;          /* read calls */
  uint64_t requests;     /* billable GET requests (S3, and FSx lazy loads from S3) */
  uint64_t cache_hits;   /* FSx reads of data already loaded */
  uint64_t lazy_bytes;   /* bytes FSx loaded from S3 */
  uint64_t slowdowns;    /* S3 503 SlowDown answers (retried after a backoff) */
  uint64_t retries;      /* reads retried after an error */
  uint64_t short_reads;  /* reads that returned fewer bytes (completed by the wrapper) */
  double preload_s;      /* FSx hsm_restore before training */
} stg_counters;

typedef struct stg stg;

/* One open file. Backends may use fd and model_id; the rest is read-only. */
typedef struct {
  stg *owner;
  char *path;
  uint64_t size;
  int fd;          /* -1 when the backend does not open files */
  size_t id;       /* 0, 1, ... in open order: index into per-file model state */
} stg_file;

struct storage_ops {
  const char *name;
  bool zero_filled;  /* serves zeros without touching the files (null) */
  bool retryable;    /* failed reads retry with exponential backoff (S3 SDK semantics) */
  /* Model state for params and env; NULL means no state (optional). */
  void *(*model_new)(const stg_params *p, const stg_env *env);
  void (*model_free)(void *model);
  /* Completion time of a read of n bytes at off of f issued at t; counts requests,
     cache hits... into c. Default: t (no modelled delay). Called under the stg lock. */
  double (*service)(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                    stg_counters *c);
  /* Completion time of loading files[0..n) before the first epoch (fsx.preload). */
  double (*preload)(void *model, stg_file *const *files, size_t n, double t, stg_counters *c);
  /* Data path. Defaults: open(2) read-only, pread(2), close(2). */
  tr_err (*open)(stg_file *f);
  ssize_t (*read)(stg_file *f, void *buf, size_t n, uint64_t off);
  void (*close)(stg_file *f);
};

/* The registered backends, by name; NULL when unknown. */
const struct storage_ops *stg_find(const char *name);
/* "local|null|s3|efs|fsx" */
const char *stg_names(void);

/* A backend instance. NULL on error (TR_ECONFIG for an unknown backend, TR_ENOMEM). */
stg *stg_new(const char *backend, const stg_params *p, const stg_env *env, bool virtual_clock);
void stg_free(stg **s);
const char *stg_backend(const stg *s);
bool stg_virtual(const stg *s);
bool stg_zero_filled(const stg *s);

/* Seconds since stg_new() on the real clock (0 on the virtual clock). */
double stg_now(const stg *s);

/* Opens path (size from the caller's metadata; the virtual clock never touches it).
 * TR_EINPUT naming the file when it cannot be opened. */
tr_err stg_open(stg *s, const char *path, uint64_t size, stg_file **out);
void stg_close(stg_file **f);

/* Reads n bytes at off into buf (buf may be NULL on the virtual clock). *t: on the
 * virtual clock the issue time in, the completion time out; on the real clock the
 * completion time out. Short reads are completed; injected errors retry with backoff on
 * retryable backends; other failures are TR_EIO naming the file. */
tr_err stg_read(stg_file *f, void *buf, uint64_t off, size_t n, double *t);

/* Loads files before the first epoch when the backend does (fsx.preload); *t as in
 * stg_read. A no-op for other backends. */
tr_err stg_preload(stg *s, stg_file *const *files, size_t n, double *t);

/* A copy of the counters so far. */
stg_counters stg_stats(const stg *s);

/* ---- model building blocks for backends ---------------------------------------- */

/* A first-come first-served link of `rate` bytes/s. */
typedef struct {
  double rate, free_at;
} stg_pipe;
/* Reserves the link for bytes arriving at t; returns when they are through. */
double stg_pipe_reserve(stg_pipe *p, double t, double bytes);

/* A token bucket: `rate` tokens/s, at most `burst`. */
typedef struct {
  double rate, burst, tokens, last;
} stg_bucket;
/* Takes one token at t when there is one (true), else leaves the bucket as is. */
bool stg_bucket_try(stg_bucket *b, double t);

/* n parallel servers (connections); the earliest free one serves the next request. */
typedef struct {
  int n;
  double *free_at;
} stg_slots;
/* The index of the earliest free slot (its free_at is when it becomes free). */
int stg_slots_pick(const stg_slots *s);

/* Time of the n-th retry's backoff: base_s * 2^k, at most 20 s (the SDKs' cap). */
double stg_backoff(double base_s, int k);

/* The FSx capacity the model provisions: fsx.capacity_tib, or the smallest FSx offers
 * (1.2 TiB, then steps of 2.4 TiB) that holds data_bytes. */
double stg_fsx_capacity_tib(const stg_params *p, uint64_t data_bytes);

/* ---- the S3 model, shared by the s3 backend and fsx lazy loading ---------------- */
typedef struct stg_s3 stg_s3;
stg_s3 *stg_s3_new(const stg_params *p, const stg_env *env);
void stg_s3_free(stg_s3 *m);
/* Completion time of GETs for n bytes issued at t: split into ranges of s3.range_mib,
 * each on the earliest free connection, paying the first-byte latency, the connection's
 * bandwidth, the instance's network share and the per-prefix request rate (SlowDown and
 * backoff beyond it). */
double stg_s3_get(stg_s3 *m, double t, uint64_t n, stg_counters *c);
#endif
