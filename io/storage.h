/* Emulated storage services, as their callers (the loader, the run modules) see them.
 * Every backend (io/backends/: local, null, s3, efs, fsx; the interface is
 * io/storage_backend.h) serves real bytes from local files and models the service's
 * time; callers go through the stg_* wrappers only, which keep the counters, inject
 * faults and apply the clock:
 *   - real clock: a read returns when the model says it completes (a sleep to that
 *     absolute deadline), so a run on a slow backend truly takes longer; how late a
 *     thread returned from its last read (the wake-up, a copy slower than the model; at
 *     most 20 ms) is credited to its next read's issue time, so the emulator's own
 *     overhead does not add up read after read;
 *   - virtual clock: no bytes move; the caller passes the time a read is issued and gets
 *     the time it completes (the discrete-event loader drives it).
 * Both clocks call the same model, so the real clock is the virtual clock's ground truth.
 * Times are seconds since stg_new(). Thread-safe: one stg serves all loader threads.
 * The registry of backends (io/backends/registry.c) is the one list: the job's choices
 * of storage.backend, its [storage] keys, the bill and the conformance tests derive
 * from it. */
#ifndef TR_STORAGE_H
#define TR_STORAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "common/config.h"
#include "common/error.h"

/* ---- the registry --------------------------------------------------------------- */

/* Backends in registry order (the index is what storage.backend's enum holds). */
size_t stg_backend_count(void);
/* Name of backend i (i < stg_backend_count()). */
const char *stg_backend_name(size_t i);
/* Index of the backend called name; -1 when there is none. */
int stg_backend_index(const char *name);
/* "local|null|s3|efs|fsx": the registry's names, for the job's enum. */
const char *stg_names(void);
/* Backend i's own [storage] options ("s3.first_byte_ms"...; their `at` points into its
 * parameter block of stg_backend_params_size(i) bytes, filled by cfg_fill). */
cfg_table stg_backend_options(size_t i);
size_t stg_backend_params_size(size_t i);
/* True when backend i reads a real remote service (s3real: s3:// objects) rather than
 * emulating one over local files. */
bool stg_backend_remote(size_t i);

/* The request size loaders use on backend i with parameter block params: whole objects
 * or large ranges for object storage (s3: s3.range_mib); 0 when per-sample reads are
 * cheap (file systems). What `storage.shuffle = auto` and the default transfer follow. */
size_t stg_backend_request_bytes(size_t i, const void *params);

/* NULL when backend i's parameter block is usable, else a static message with *key the
 * job key it is about (the backend's check; every block is checked, not only the chosen
 * backend's, since fsx lazy-loads through s3's). */
const char *stg_backend_check(size_t i, const void *params, const char **key);

/* ---- parameters --------------------------------------------------------------- */

/* What a backend instance is made from. The blocks are the backends' parameter structs
 * (io/storage_backend.h), one per registered backend in registry order, filled from the
 * job's [storage] keys; the caller keeps them alive while any stg made from them lives. */
typedef struct {
  /* fault injection (every backend): a failed read, or a read that returns fewer bytes */
  double fault_error_rate, fault_short_rate;
  long fault_error_at;   /* the Nth read call fails (1-based), 0 = never */
  uint64_t seed;
  void *const *blocks;   /* stg_backend_count() parameter blocks */
} stg_params;

/* What the model shares: budgets of a service are split evenly over the job's ranks,
 * an instance's network over the ranks on one node. */
typedef struct {
  int ranks, ranks_per_node;
  uint64_t data_bytes;  /* size of the data set (EFS baseline, FSx capacity) */
  int rank;             /* this rank (0..ranks): its stripe of job-wide work (FSx preload) */
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

/* ---- instances and files ------------------------------------------------------- */

typedef struct stg stg;
typedef struct stg_file stg_file;

/* Backend `backend` (a registry index) for p and env. NULL on error (TR_ECONFIG for an
 * index out of range, TR_ENOMEM). p's blocks must outlive the instance. */
stg *stg_new(int backend, const stg_params *p, const stg_env *env, bool virtual_clock);
void stg_free(stg **s);
bool stg_virtual(const stg *s);
bool stg_zero_filled(const stg *s);

/* A stop request the real clock's waits watch (NULL: none): once *stop is non-zero,
 * every modelled wait and retry backoff ends within STG_STOP_LATENCY_S and the read
 * returns TR_ESTOPPED, so a SIGTERM is honoured within the spot notice's 2 s however
 * slow the modelled storage. The flag must outlive s. */
#define STG_STOP_LATENCY_S 0.05
void stg_set_stop(stg *s, const volatile sig_atomic_t *stop);

/* Starts an epoch: every file pays its open cost again at its first read (a loader opens
 * each file once per epoch). The first epoch needs no call. */
void stg_begin_epoch(stg *s);

/* True when s's backend keeps state that is the job's rather than this rank's (fsx: the
 * file system's cache, shared by every rank of the job), so it wants the job's plan. */
bool stg_plans(const stg *s);

/* The job's plan, for such a backend: rank `rank` of the job reads bytes [off, off + n)
 * of f in epoch `epoch` (1 = the first epoch, the reads after the first stg_begin_epoch;
 * a later epoch needs declaring only where it reads data no earlier one did). Every rank
 * declares the same plan (every rank's reads, epoch by epoch, rank by rank in increasing
 * order) before its first read, from what all ranks know (the seed, the split, the
 * partition): the models then agree on which rank loads what and when without any
 * communication. A no-op when !stg_plans(s). TR_ENOMEM. */
tr_err stg_plan(stg_file *f, int rank, uint64_t epoch, uint64_t off, uint64_t n);

/* Seconds since stg_new() on the real clock (0 on the virtual clock). */
double stg_now(const stg *s);

/* Opens path (size from the caller's metadata; the virtual clock never touches it).
 * TR_EINPUT naming the file when it cannot be opened. */
tr_err stg_open(stg *s, const char *path, uint64_t size, stg_file **out);
void stg_close(stg_file **f);

/* Reads n bytes at off into buf (buf may be NULL on the virtual clock). *t: on the
 * virtual clock the issue time in, the completion time out; on the real clock the
 * completion time out. Short reads are completed; injected errors retry with backoff on
 * backends that retry (S3's SDK rules); other failures are TR_EIO naming the file;
 * TR_ESTOPPED when a stop was requested during the read's wait (stg_set_stop). */
tr_err stg_read(stg_file *f, void *buf, uint64_t off, size_t n, double *t);

/* Tells the storage layer the calling thread was idle (waited for work) since its last
 * read: on the real clock, the lateness of that read is no longer credited to the next
 * one (which is issued no earlier than the call to stg_read). Call it after a wait that
 * actually happened; cheap, thread-local, any stg. A no-op on the virtual clock. */
void stg_thread_idle(void);

/* Loads files before the first epoch when the backend does (fsx.preload); *t as in
 * stg_read. A no-op for other backends. TR_ENOMEM when the model cannot keep its state
 * (as stg_read: a model out of memory fails the read rather than guess its time). */
tr_err stg_preload(stg *s, stg_file *const *files, size_t n, double *t);

/* A copy of the counters so far. */
stg_counters stg_stats(const stg *s);

/* ---- the bill ------------------------------------------------------------------ */

/* The units a storage price is quoted in ([storage.<service>] keys of the pricing
 * catalog): GB-hours stored (priced per GB-month), thousands of GET requests, GB read,
 * MiB/s-hours of throughput provisioned (priced per MiB/s-month, EFS provisioned). */
typedef enum { STG_GB_HOURS, STG_THOUSAND_GETS, STG_GB_READ, STG_MIB_S_HOURS } stg_unit;

/* One line of a storage bill, as AWS bills usage: a quantity of a priced unit of a
 * service. GB are 2^30 bytes. */
typedef struct {
  char service[48];  /* the catalog's [storage.<service>]: "s3", "efs", "fsx.SCRATCH_2" */
  stg_unit unit;
  double quantity;
  bool request;      /* a request charge (requests_usd) rather than storage (storage_usd) */
} stg_bill_line;

#define STG_BILL_LINES 8
typedef struct {
  stg_bill_line line[STG_BILL_LINES];
  size_t n;
} stg_bill;

/* What holding s's data for `hours` with counters c is billed (no lines for local and
 * null: the instance's own disk is in its hourly rate). c may be another instance's
 * counters scaled to the whole job. */
void stg_bill_of(const stg *s, double hours, const stg_counters *c, stg_bill *out);
#endif
