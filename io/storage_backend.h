/* The interface a storage backend implements (fio's ioengines.h, IOR's aiori.h), and the
 * queueing building blocks its model is made of. A backend is one file in io/backends/
 * defining `const struct storage_ops stg_<name>_ops` plus one line in
 * io/backends/registry.c; callers never see this header (they use io/storage.h). */
#ifndef TR_STORAGE_BACKEND_H
#define TR_STORAGE_BACKEND_H
#include <sys/types.h>

#include "io/storage.h"

/* One open file. Backends may use fd and id; the rest is read-only. */
struct stg_file {
  stg *owner;
  char *path;
  uint64_t size;
  int fd;          /* -1 when the backend does not open files */
  size_t id;       /* 0, 1, ... in open order: index into per-file model state */
  uint64_t opened_epoch;  /* the stg's epoch whose open cost this file has paid (0: none) */
};

/* What a bill is computed from. */
typedef struct {
  const void *params;     /* the backend's own parameter block */
  const stg_params *all;  /* every block (a backend built on another's model) */
  uint64_t data_bytes;    /* the data set's size */
  double hours;           /* how long it is held: the run's wall time */
  const stg_counters *c;
} stg_usage;

struct storage_ops {
  const char *name;
  bool zero_filled;  /* serves zeros without touching the files (null) */
  bool remote;       /* reads a real service (s3real), not local files: no model */
  /* The backend's [storage] keys ("<name>.key"), stored by cfg_fill into a parameter
     block of params_size bytes (optional). */
  const cfg_option *options;
  size_t n_options, params_size;
  /* NULL when the parameter block is usable, else a static message and *key the option
     it is about ("storage.<name>.key"): combinations a range cannot say (optional). */
  const char *(*check)(const void *params, const char **key);
  /* Model state for p (its block: stg_backend_params) and env; NULL means no state
     (optional). A backend returning NULL with model_new set is out of memory. */
  void *(*model_new)(const stg_params *p, const stg_env *env);
  void (*model_free)(void *model);
  /* Completion time of a read of n bytes at off of f issued at t; counts requests,
     cache hits... into c. Default: t (no modelled delay). Called under the stg lock.
     A model that cannot keep its state returns a negative time (TR_ENOMEM). */
  double (*service)(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                    stg_counters *c);
  /* Completion time of opening f at t: charged before the first read of f in each epoch
     (stg_begin_epoch), as a loader opens a file per epoch (metadata round trips, a HEAD).
     Called under the stg lock (optional: opening is free). */
  double (*open_cost)(void *model, const stg_file *f, double t, stg_counters *c);
  /* The request size loaders use on this backend, from its parameter block: object
     storage is read in whole objects or large ranges, never a request per sample
     (optional: per-sample reads are cheap, the `auto` shuffle is `sample`). */
  size_t (*request_bytes)(const void *params);
  /* Records the job's plan (stg_plan): rank `rank` of the job reads [off, off + n) of f
     in epoch `epoch` (1 = the first); negative when out of memory (optional: the model's
     state is this rank's own). */
  int (*plan)(void *model, const stg_file *f, int rank, uint64_t epoch, uint64_t off, uint64_t n);
  /* An epoch starts (stg_begin_epoch; optional). */
  void (*begin_epoch)(void *model);
  /* Completion time of loading files[0..n) before the first epoch (fsx.preload);
     negative when out of memory. */
  double (*preload)(void *model, stg_file *const *files, size_t n, double t, stg_counters *c);
  /* Failed reads are retried: at most *attempts attempts, the k-th retry after
     backoff_s * 2^k (optional: no retries). Asked once, when the instance is made. */
  void (*retry)(const void *model, int *attempts, double *backoff_s);
  /* The bill lines of usage u (optional: nothing billed beyond the instance). */
  void (*bill)(const stg_usage *u, stg_bill *out);
  /* Data path. Defaults: open(2) read-only, pread(2), close(2). */
  tr_err (*open)(stg_file *f);
  ssize_t (*read)(stg_file *f, void *buf, size_t n, uint64_t off);
  void (*close)(stg_file *f);
};

/* Adds requests sent (each billed), retries and 503 SlowDowns to f's counters: for a
 * data path that talks to a real service (s3real) and counts what it really sent. */
void stg_count(stg_file *f, uint64_t requests, uint64_t retries, uint64_t slowdowns);

/* The registered backend called name; NULL when there is none. */
const struct storage_ops *stg_find(const char *name);

/* ops's parameter block in p (NULL when it has none). */
const void *stg_backend_params(const stg_params *p, const struct storage_ops *ops);

/* Adds a line to b (ignored when b is full: STG_BILL_LINES is more than any backend
 * bills). */
void stg_bill_add(stg_bill *b, const char *service, stg_unit unit, double quantity, bool request);

/* ---- model building blocks ----------------------------------------------------- */

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

/* An S3 model of the linked bucket as a file system's servers reach it (FSx lazy
 * loading): `connections` parallel GETs with the s3.* latency and the per-connection rate
 * times conn_share (a connection time-shared by 1 / conn_share ranks: 1 for a whole one),
 * through a link of link_bytes_per_s (not the instance's network: the share, 1 / sharers,
 * of the link, so s3.link_ms_per_request is bytes at sharers times that rate), the
 * prefix's request rate shared by `sharers` ranks. Served and freed with stg_s3_ops;
 * NULL on ENOMEM. */
void *stg_s3_import_model(const stg_params *all, int connections, double conn_share, double link_bytes_per_s,
                          int sharers);
/* The bytes of one ranged GET of the s3 model in p (s3.range_mib, at least 1). */
uint64_t stg_s3_range_bytes(const stg_params *p);

/* Time of the k-th retry's backoff: base_s * 2^k, at most 20 s (the SDKs' cap). */
double stg_backoff(double base_s, int k);

#define STG_MIB 1048576.0
#define STG_GIB 1073741824.0
#define STG_TIB 1099511627776.0
#endif
