/* The `fsx` backend: FSx for Lustre linked to an S3 bucket. Metadata is there from the
 * start (each file's first read of an epoch pays fsx.open_ms, the open and close on the
 * metadata server); the first read of a file's data lazily loads it from S3 -- the
 * whole file, or fsx.chunk_mib pieces -- and a read of data still loading waits for it.
 * The file system's servers do the loading, not the client: the s3 backend's model
 * (stg_s3_import_model: its first-byte latency, per-connection rate, prefix limit and
 * request counting, with its s3.* keys) with fsx.import_connections parallel GETs
 * through the file system's throughput, never the instance's connection pool or NIC;
 * each rank models its share of those connections (whole ones summing to the total, or
 * one time-shared connection each when there are fewer than ranks).
 * The loaded data is the file system's, shared by every rank of the job, and every
 * rank's model knows, without communicating, what any rank loaded and when:
 *   - a preload (fsx.preload) is done once for the job by all of the servers, which
 *     every rank's model replays the same way, counting only its stripe of the files
 *     (every ranks-th) into its counters;
 *   - lazy loads follow the job's plan, which every rank declares the same way before
 *     its first read (stg_plan: which rows each rank reads in each epoch, derived from
 *     the seed, the split and the partition that every rank knows). A chunk is loaded in
 *     the first epoch any rank reads it, once for the job: its ranged GETs are split over
 *     the ranks reading it then (each counts its share, so the job's counters sum to
 *     one load) and all of them see it there when the largest share is loaded through a
 *     rank's share of the servers. In any later epoch it is a hit for every rank, whoever
 *     loaded it: the model assumes the ranks of a data-parallel job go through their
 *     epochs in step (each step's allreduce holds them together), so an epoch's loads are
 *     done before the next epoch starts. A read outside the plan (or with none declared)
 *     is loaded and counted by its rank alone, as a one-rank job.
 * Loaded data is served at fsx.latency_ms per operation and the file system's
 * throughput: the deployment's MB/s per TiB (SCRATCH_2 200, PERSISTENT_125..1000 their
 * number, or fsx.mb_per_s_per_tib) times the capacity (fsx.capacity_tib, or the smallest
 * of 1.2, 2.4, 4.8, ... TiB that holds the data), shared evenly by the job's ranks. fsx.preload
 * loads every file before the first epoch (`lfs hsm_restore`), timed and counted.
 * Billed: the provisioned capacity (used or not) at the deployment's price, plus the
 * linked bucket as the s3 backend bills it (its storage and the GETs of lazy loads). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/storage_backend.h"

/* The deployment types, in fsx.deployment's order: the name (the choice, and the pricing
 * catalog's [storage.fsx.<name>]) and the baseline throughput per TiB of capacity, MB/s. */
#define FSX_DEPLOYMENTS(X) \
  X(SCRATCH_2, 200) X(PERSISTENT_125, 125) X(PERSISTENT_250, 250) X(PERSISTENT_500, 500) X(PERSISTENT_1000, 1000)
#define CHOICE(name, mb_s) "|" #name
#define DEPLOYMENTS (FSX_DEPLOYMENTS(CHOICE) + 1) /* "SCRATCH_2|PERSISTENT_125|..." */
#define NAME(name, mb_s) #name,
#define RATE(name, mb_s) mb_s,
static const char *const deployment_names[] = {FSX_DEPLOYMENTS(NAME)};
static const double deployment_mb_s_per_tib[] = {FSX_DEPLOYMENTS(RATE)};
#undef NAME
#undef RATE

/* The linked bucket's backend (io/backends/s3.c). */
extern const struct storage_ops stg_s3_ops;

typedef struct {
  double latency_ms, capacity_tib, mb_per_s_per_tib;
  double open_ms;
  long import_connections;
  long chunk_mib;  /* whole MiB, as FSx's ImportedFileChunkSize (a fraction of a byte made
                      a chunk count past any size_t) */
  int deployment;  /* index in DEPLOYMENTS */
  bool preload;
} fsx_params;

#define AT(m) CFG_AT(fsx_params, m)
static const cfg_option options[] = {
    {"storage", "fsx.latency_ms", CFG_FLOAT, "0.5", 0, 60000, NULL, "FSx: latency of one read of loaded data", AT(latency_ms), NULL},
    {"storage", "fsx.deployment", CFG_ENUM, "SCRATCH_2", 0, 0, DEPLOYMENTS, "FSx for Lustre deployment type", AT(deployment), NULL},
    {"storage", "fsx.capacity_tib", CFG_FLOAT, "0", 0, 1e6, NULL, "FSx: storage capacity (at least 1.2 TiB, FSx's smallest), 0 = the smallest (1.2, 2.4, 4.8.. TiB) holding the data", AT(capacity_tib), NULL},
    {"storage", "fsx.chunk_mib", CFG_INT, "0", 0, 512000, NULL, "FSx: lazy-load unit in MiB (ImportedFileChunkSize), 0 = whole files", AT(chunk_mib), NULL},
    {"storage", "fsx.mb_per_s_per_tib", CFG_FLOAT, "0", 0, 1e6, NULL, "FSx: throughput per TiB, 0 = the deployment's", AT(mb_per_s_per_tib), NULL},
    {"storage", "fsx.import_connections", CFG_INT, "32", 1, 65536, NULL, "FSx: parallel S3 GETs of the file system's servers lazily loading (shared by the job's ranks)", AT(import_connections), NULL},
    {"storage", "fsx.open_ms", CFG_FLOAT, "1", 0, 60000, NULL, "FSx: cost of opening a file each epoch (open and close on the metadata server)", AT(open_ms), NULL},
    {"storage", "fsx.preload", CFG_BOOL, "false", 0, 0, NULL, "FSx: load every file from S3 before training (hsm_restore)", AT(preload), NULL},
};
#undef AT

/* One lazy-load unit (a chunk, or the whole file) as this rank's model sees it. */
typedef struct {
  double avail;          /* when its data is on FSx; < 0 while not requested */
  uint32_t first_epoch;  /* the job's plan: the first epoch any rank reads it (0: unplanned) */
  uint32_t sharers;      /* the ranks reading it in that epoch */
  int32_t mine;          /* this rank's index among them (in rank order), -1: not one */
  int32_t last_rank;     /* the last rank declared (the plan comes rank by rank) */
} fsx_chunk;

typedef struct {
  fsx_chunk *chunk;
  size_t chunks;
} fsx_file;

typedef struct {
  void *s3;  /* the linked bucket as this rank's share of the servers reach it */
  stg_pipe fs;
  double latency_s, open_s, chunk_bytes;  /* chunk_bytes 0 = whole files */
  uint64_t range_bytes;        /* one ranged GET of a lazy load (s3.range_mib) */
  int rank, ranks;
  uint64_t epoch;              /* stg_begin_epoch's count (0 before the first) */
  stg_params all;              /* a copy (its blocks outlive the instance): the preload's model */
  long import_connections;     /* the file system's, all ranks' */
  bool preload;
  fsx_file *files;
  size_t n_files;
} fsx_model;

extern const struct storage_ops stg_fsx_ops;

/* The capacity the model provisions: fsx.capacity_tib, or the smallest FSx offers
 * (1.2 TiB, then steps of 2.4 TiB) that holds data_bytes. */
static double capacity_tib(const fsx_params *p, uint64_t data_bytes) {
  if (p->capacity_tib > 0) return p->capacity_tib;
  double tib = 1.2;
  while (tib * STG_TIB < (double)data_bytes) tib += 2.4;
  return tib;
}

static void fsx_model_free(void *model) {
  fsx_model *m = model;
  if (!m) return;
  for (size_t i = 0; i < m->n_files; i++) free(m->files[i].chunk);
  free(m->files);
  if (m->s3) stg_s3_ops.model_free(m->s3);
  free(m);
}

/* Rank `rank`'s share of the servers' `total` import connections: total / ranks whole
 * ones (the first total % ranks ranks one more), so the shares sum to total; with fewer
 * connections than ranks, one connection each streaming at total / ranks of the rate (a
 * connection time-shared), never more connections than the file system has. */
static void import_share(long total, int rank, int ranks, int *conns, double *rate_share) {
  if (total >= ranks) {
    *conns = (int)(total / ranks + (rank < total % ranks ? 1 : 0));
    *rate_share = 1;
  } else {
    *conns = 1;
    *rate_share = (double)total / ranks;
  }
}

static void *fsx_model_new(const stg_params *all, const stg_env *env) {
  const fsx_params *p = stg_backend_params(all, &stg_fsx_ops);
  fsx_model *m = p ? calloc(1, sizeof *m) : NULL;
  if (!m) return NULL;
  int ranks = env->ranks > 0 ? env->ranks : 1;
  m->rank = env->rank >= 0 && env->rank < ranks ? env->rank : 0;
  m->ranks = ranks;
  double cap = capacity_tib(p, env->data_bytes);
  double per_tib = p->mb_per_s_per_tib > 0 ? p->mb_per_s_per_tib : deployment_mb_s_per_tib[p->deployment];
  m->fs.rate = per_tib * 1e6 * cap / ranks;
  int conns;
  double share;
  import_share(p->import_connections, m->rank, ranks, &conns, &share);
  if (!(m->s3 = stg_s3_import_model(all, conns, share, m->fs.rate, ranks))) {
    free(m);
    return NULL;
  }
  m->all = *all;
  m->import_connections = p->import_connections;
  m->range_bytes = stg_s3_range_bytes(all);
  m->open_s = p->open_ms / 1000.0;
  m->latency_s = p->latency_ms / 1000.0;
  m->chunk_bytes = (double)p->chunk_mib * STG_MIB;
  m->preload = p->preload;
  return m;
}

/* The per-chunk state of f, created at its first read or plan; NULL on ENOMEM. */
static fsx_file *file_state(fsx_model *m, const stg_file *f) {
  if (f->id >= m->n_files) {
    size_t n = f->id + 1 > 2 * m->n_files ? f->id + 1 : 2 * m->n_files;
    fsx_file *grown = realloc(m->files, n * sizeof *grown);
    if (!grown) return NULL;
    memset(grown + m->n_files, 0, (n - m->n_files) * sizeof *grown);
    m->files = grown;
    m->n_files = n;
  }
  fsx_file *s = &m->files[f->id];
  if (!s->chunk) {
    size_t chunks = m->chunk_bytes > 0 ? (size_t)((f->size + m->chunk_bytes - 1) / m->chunk_bytes) : 1;
    if (chunks == 0) chunks = 1;
    if (!(s->chunk = malloc(chunks * sizeof *s->chunk))) return NULL;
    for (size_t i = 0; i < chunks; i++) s->chunk[i] = (fsx_chunk){.avail = -1, .mine = -1, .last_rank = -1};
    s->chunks = chunks;
  }
  return s;
}

/* Bytes of chunk i of f. */
static uint64_t chunk_size(const fsx_model *m, const stg_file *f, const fsx_file *s, size_t i) {
  if (s->chunks == 1) return f->size;
  uint64_t cb = (uint64_t)m->chunk_bytes, start = i * cb;
  return f->size - start < cb ? f->size - start : cb;
}

/* The chunks [*first, *last] of f holding bytes [off, off + n). */
static void chunk_span(const fsx_model *m, const fsx_file *s, uint64_t off, uint64_t n, size_t *first, size_t *last) {
  *first = m->chunk_bytes > 0 ? (size_t)(off / m->chunk_bytes) : 0;
  *last = m->chunk_bytes > 0 ? (size_t)((off + (n ? n - 1 : 0)) / m->chunk_bytes) : 0;
  if (*last >= s->chunks) *last = s->chunks - 1;
  if (*first > *last) *first = *last;
}

/* When chunk i of f, loaded from t through the bucket model s3, is on FSx. Its load is
 * ranged GETs of s3.range_mib, split over the chunk's `sharers` readers of its first
 * epoch: GET j is reader (j + key) % sharers's (key = f's id + i, so the GETs of a file's
 * chunks spread over its readers), and this rank counts its own share (all of it when
 * alone). The readers' shares load at once through their shares of the servers, so the
 * chunk is there when the largest share is: every reader's model times that one (the
 * share of GET 0, which has the most GETs) through its own share of the servers, and all
 * readers agree when the chunk is there. */
static double load_chunk(fsx_model *m, void *s3, const stg_file *f, fsx_file *s, size_t i, double t,
                         uint32_t sharers, uint32_t mine, stg_counters *c) {
  uint64_t bytes = chunk_size(m, f, s, i), start = (uint64_t)i * (uint64_t)m->chunk_bytes, rb = m->range_bytes;
  uint64_t gets = bytes ? (bytes + rb - 1) / rb : 1, key = (uint64_t)f->id + i;
  if (sharers < 1) sharers = 1;
  uint32_t timed = (uint32_t)(key % sharers); /* the share holding GET 0 */
  stg_counters others = {0};
  double done = t;
  for (uint64_t j = 0; j < gets; j++) {
    uint32_t share = (uint32_t)((j + key) % sharers);
    uint64_t n = bytes - j * rb < rb ? bytes - j * rb : rb;
    if (share == timed) {
      double end = stg_s3_ops.service(s3, f, start + j * rb, n, t, share == mine ? c : &others);
      if (end > done) done = end;
    } else if (share == mine) { /* counted, and timed by the share above */
      c->requests++;
    }
    if (share == mine) c->lazy_bytes += n;
  }
  return done;
}

/* When chunks [first, last] of f are on FSx for a read issued at t, loading those never
 * requested: from the job's plan, a chunk some rank read in an earlier epoch is there (the
 * ranks of a data-parallel job go through their epochs in step, so an epoch's loads are
 * done by the next one), one first read this epoch is loaded with this rank's share of its
 * GETs, and one outside the plan is loaded (and counted) by this rank alone. *hit: none
 * needed loading. */
static double loaded_at(fsx_model *m, const stg_file *f, fsx_file *s, size_t first, size_t last, double t,
                        stg_counters *c, bool *hit) {
  uint64_t epoch = m->epoch ? m->epoch : 1;
  double ready = t;
  *hit = true;
  for (size_t i = first; i <= last; i++) {
    fsx_chunk *ch = &s->chunk[i];
    if (ch->avail < 0) {
      if (ch->first_epoch && ch->first_epoch < epoch) {
        ch->avail = 0; /* loaded in an earlier epoch, by whichever rank */
      } else {
        bool planned = ch->first_epoch == epoch && ch->mine >= 0;
        ch->avail = load_chunk(m, m->s3, f, s, i, t, planned ? ch->sharers : 1, planned ? (uint32_t)ch->mine : 0, c);
        *hit = false;
      }
    }
    if (ch->avail > ready) ready = ch->avail;
  }
  return ready;
}

static double fsx_service(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                          stg_counters *c) {
  fsx_model *m = model;
  fsx_file *s = file_state(m, f);
  if (!s) return -1; /* out of memory: no state to tell a hit from a miss */
  size_t first, last;
  chunk_span(m, s, off, n, &first, &last);
  bool hit;
  double ready = loaded_at(m, f, s, first, last, t, c, &hit);
  if (hit && ready <= t) c->cache_hits++;
  return stg_pipe_reserve(&m->fs, ready + m->latency_s, (double)n);
}

/* The job's plan: rank reads [off, off + n) of f in epoch. A chunk keeps its first epoch
 * and the ranks reading it then (counted once each: the plan comes rank by rank). */
static int fsx_plan(void *model, const stg_file *f, int rank, uint64_t epoch, uint64_t off, uint64_t n) {
  fsx_model *m = model;
  fsx_file *s = file_state(m, f);
  if (!s) return -1;
  uint32_t e = epoch > UINT32_MAX ? UINT32_MAX : (uint32_t)epoch;
  size_t first, last;
  chunk_span(m, s, off, n, &first, &last);
  for (size_t i = first; i <= last; i++) {
    fsx_chunk *ch = &s->chunk[i];
    if (!ch->first_epoch || e < ch->first_epoch) {
      ch->first_epoch = e;
      ch->sharers = 0;
      ch->mine = ch->last_rank = -1;
    }
    if (e != ch->first_epoch || rank == ch->last_rank) continue;
    ch->last_rank = rank;
    if (rank == m->rank) ch->mine = (int32_t)ch->sharers;
    ch->sharers++;
  }
  return 0;
}

static void fsx_begin_epoch(void *model) { ((fsx_model *)model)->epoch++; }

static double fsx_open_cost(void *model, const stg_file *f, double t, stg_counters *c) {
  (void)f, (void)c;
  return t + ((fsx_model *)model)->open_s;
}

/* The job's preload, replayed whole by every rank: every file through all of the
 * servers' connections and the file system's whole throughput, in file order; this
 * rank counts its stripe (files k with k % ranks == rank), so the job's counters are
 * its own times the ranks, and every rank sees each file loaded at the same time. */
static double fsx_preload(void *model, stg_file *const *files, size_t n, double t, stg_counters *c) {
  fsx_model *m = model;
  double done = t;
  if (!m->preload) return t;
  void *job = stg_s3_import_model(&m->all, (int)m->import_connections, 1, m->fs.rate * m->ranks, 1);
  if (!job) return -1;
  for (size_t k = 0; k < n && done >= 0; k++) {
    fsx_file *s = file_state(m, files[k]);
    if (!s) {
      done = -1;
      break;
    }
    stg_counters others = {0};
    stg_counters *into = k % (size_t)m->ranks == (size_t)m->rank ? c : &others;
    for (size_t i = 0; i < s->chunks; i++) {
      if (s->chunk[i].avail < 0) s->chunk[i].avail = load_chunk(m, job, files[k], s, i, t, 1, 0, into);
      if (s->chunk[i].avail > done) done = s->chunk[i].avail;
    }
  }
  stg_s3_ops.model_free(job);
  return done;
}

/* The provisioned capacity at the deployment's GB-month price, plus the linked bucket. */
static void fsx_bill(const stg_usage *u, stg_bill *out) {
  const fsx_params *p = u->params;
  char service[48];
  snprintf(service, sizeof service, "fsx.%s", deployment_names[p->deployment]);
  stg_bill_add(out, service, STG_GB_HOURS, capacity_tib(p, u->data_bytes) * 1024.0 * u->hours, false);
  stg_usage bucket = *u;
  bucket.params = stg_backend_params(u->all, &stg_s3_ops);
  stg_s3_ops.bill(&bucket, out);
}

/* FSx's smallest file system is 1.2 TiB: a smaller capacity would model a file system
 * that does not exist (and a tiny one, a throughput of bytes per year). */
static const char *fsx_check(const void *params, const char **key) {
  const fsx_params *p = params;
  *key = "storage.fsx.capacity_tib";
  if (p->capacity_tib != 0 && p->capacity_tib < 1.2) return "must be 0 (the smallest that holds the data) or at least 1.2 TiB";
  *key = NULL;
  return NULL;
}

const struct storage_ops stg_fsx_ops = {
    .name = "fsx",
    .check = fsx_check,
    .options = options,
    .n_options = sizeof options / sizeof options[0],
    .params_size = sizeof(fsx_params),
    .model_new = fsx_model_new,
    .model_free = fsx_model_free,
    .service = fsx_service,
    .open_cost = fsx_open_cost,
    .plan = fsx_plan,
    .begin_epoch = fsx_begin_epoch,
    .preload = fsx_preload,
    .bill = fsx_bill,
};
