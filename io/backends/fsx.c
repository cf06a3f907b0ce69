/* The `fsx` backend: FSx for Lustre linked to an S3 bucket. Metadata is there from the
 * start (opening costs nothing); the first read of a file's data lazily loads it from S3
 * through the s3 model (the whole file, or fsx.chunk_mib pieces), and a read of data
 * still loading waits for it. Loaded data is served at fsx.latency_ms per operation and
 * the file system's throughput: the deployment's MB/s per TiB (SCRATCH_2 200,
 * PERSISTENT_125..1000 their number, or fsx.mb_per_s_per_tib) times the capacity
 * (fsx.capacity_tib, or the smallest of 1.2, 2.4, 4.8, ... TiB that holds the data),
 * shared evenly by the job's ranks. fsx.preload loads every file before the first epoch
 * (`lfs hsm_restore`), timed and counted. */
#include <stdlib.h>
#include <string.h>

#include "io/storage.h"

#define TIB 1099511627776.0

typedef struct {
  double *avail;   /* per chunk: when its data is on FSx; < 0 while not requested */
  size_t chunks;
} fsx_file;

typedef struct {
  stg_s3 *s3;
  stg_pipe fs;
  double latency_s, chunk_bytes;  /* chunk_bytes 0 = whole files */
  bool preload;
  fsx_file *files;
  size_t n_files;
} fsx_model;

/* The deployment's baseline throughput per TiB of capacity, MB/s. */
static double per_tib_mb_s(const char *deployment) {
  if (!strcmp(deployment, "SCRATCH_2")) return 200;
  const char *num = strrchr(deployment, '_');
  return num ? atof(num + 1) : 200;
}

double stg_fsx_capacity_tib(const stg_params *p, uint64_t data_bytes) {
  if (p->fsx_capacity_tib > 0) return p->fsx_capacity_tib;
  double tib = 1.2;
  while (tib * TIB < (double)data_bytes) tib += 2.4;
  return tib;
}

static void fsx_model_free(void *model) {
  fsx_model *m = model;
  if (!m) return;
  for (size_t i = 0; i < m->n_files; i++) free(m->files[i].avail);
  free(m->files);
  stg_s3_free(m->s3);
  free(m);
}

static void *fsx_model_new(const stg_params *p, const stg_env *env) {
  fsx_model *m = calloc(1, sizeof *m);
  if (!m || !(m->s3 = stg_s3_new(p, env))) {
    free(m);
    return NULL;
  }
  int ranks = env->ranks > 0 ? env->ranks : 1;
  double cap = stg_fsx_capacity_tib(p, env->data_bytes);
  double per_tib = p->fsx_mb_per_s_per_tib > 0 ? p->fsx_mb_per_s_per_tib : per_tib_mb_s(p->fsx_deployment);
  m->fs.rate = per_tib * 1e6 * cap / ranks;
  m->latency_s = p->fsx_latency_ms / 1000.0;
  m->chunk_bytes = p->fsx_chunk_mib * 1048576.0;
  m->preload = p->fsx_preload;
  return m;
}

/* The per-chunk state of f, created at its first read; NULL on ENOMEM. */
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
  if (!s->avail) {
    size_t chunks = m->chunk_bytes > 0 ? (size_t)((f->size + m->chunk_bytes - 1) / m->chunk_bytes) : 1;
    if (chunks == 0) chunks = 1;
    if (!(s->avail = malloc(chunks * sizeof(double)))) return NULL;
    for (size_t i = 0; i < chunks; i++) s->avail[i] = -1;
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

/* When chunks [first, last] of f are on FSx, lazily loading those never requested. */
static double loaded_at(fsx_model *m, const stg_file *f, fsx_file *s, size_t first, size_t last,
                        double t, stg_counters *c, bool *hit) {
  double ready = t;
  *hit = true;
  for (size_t i = first; i <= last && i < s->chunks; i++) {
    if (s->avail[i] < 0) {
      uint64_t bytes = chunk_size(m, f, s, i);
      s->avail[i] = stg_s3_get(m->s3, t, bytes, c);
      c->lazy_bytes += bytes;
      *hit = false;
    }
    if (s->avail[i] > ready) ready = s->avail[i];
  }
  return ready;
}

static double fsx_service(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                          stg_counters *c) {
  fsx_model *m = model;
  fsx_file *s = file_state(m, f);
  double ready = t;
  if (s) { /* out of memory: serve as if loaded rather than fail a read */
    size_t first = m->chunk_bytes > 0 ? (size_t)(off / m->chunk_bytes) : 0;
    size_t last = m->chunk_bytes > 0 ? (size_t)((off + (n ? n - 1 : 0)) / m->chunk_bytes) : 0;
    bool hit;
    ready = loaded_at(m, f, s, first, last, t, c, &hit);
    if (hit && ready <= t) c->cache_hits++;
  }
  return stg_pipe_reserve(&m->fs, ready + m->latency_s, (double)n);
}

static double fsx_preload(void *model, stg_file *const *files, size_t n, double t, stg_counters *c) {
  fsx_model *m = model;
  double done = t;
  if (!m->preload) return t;
  for (size_t k = 0; k < n; k++) {
    fsx_file *s = file_state(m, files[k]);
    if (!s) continue;
    bool hit;
    double ready = loaded_at(m, files[k], s, 0, s->chunks - 1, t, c, &hit);
    if (ready > done) done = ready;
  }
  return done;
}

const struct storage_ops stg_fsx_ops = {
    .name = "fsx",
    .model_new = fsx_model_new,
    .model_free = fsx_model_free,
    .service = fsx_service,
    .preload = fsx_preload,
};
