/* The `s3` backend: S3 streaming. Every read is one or more ranged GETs (s3.range_mib);
 * each GET waits for the earliest free connection of the pool (s3.connections), pays the
 * first-byte latency, then streams at the per-connection bandwidth, bounded by the
 * instance's network share (s3.instance_gbps over the ranks of a node). GETs beyond the
 * per-prefix rate (5,500 GET/s, shared by the job's ranks) get a 503 SlowDown and retry
 * after an exponential backoff, as the AWS SDKs do. Nothing is cached: every epoch pays
 * again. The same model serves FSx's lazy loads. */
#include <stdlib.h>

#include "io/storage.h"

struct stg_s3 {
  stg_params p;
  stg_slots conns;
  stg_pipe nic;
  stg_bucket prefix;
  double conn_bytes_per_s, first_byte_s, range_bytes;
};

stg_s3 *stg_s3_new(const stg_params *p, const stg_env *env) {
  stg_s3 *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->p = *p;
  m->conns.n = p->s3_connections > 0 ? p->s3_connections : 1;
  if (!(m->conns.free_at = calloc((size_t)m->conns.n, sizeof(double)))) {
    free(m);
    return NULL;
  }
  int per_node = env->ranks_per_node > 0 ? env->ranks_per_node : 1;
  int ranks = env->ranks > 0 ? env->ranks : 1;
  m->nic.rate = p->s3_instance_gbps * 1e9 / 8.0 / per_node;
  m->prefix.rate = p->s3_get_per_s_per_prefix / ranks;
  m->prefix.burst = m->prefix.tokens = m->prefix.rate > 1 ? m->prefix.rate : 1;
  m->conn_bytes_per_s = p->s3_mb_per_s_per_connection * 1e6;
  m->first_byte_s = p->s3_first_byte_ms / 1000.0;
  m->range_bytes = p->s3_range_mib * 1048576.0;
  if (m->range_bytes < 1) m->range_bytes = 1;
  return m;
}

void stg_s3_free(stg_s3 *m) {
  if (!m) return;
  free(m->conns.free_at);
  free(m);
}

double stg_s3_get(stg_s3 *m, double t, uint64_t n, stg_counters *c) {
  double done = t;
  uint64_t left = n ? n : 1;
  while (left > 0) {
    uint64_t r = left < (uint64_t)m->range_bytes ? left : (uint64_t)m->range_bytes;
    left -= r;
    int k = stg_slots_pick(&m->conns);
    double start = t > m->conns.free_at[k] ? t : m->conns.free_at[k];
    for (int attempt = 0; !stg_bucket_try(&m->prefix, start); attempt++) {
      c->slowdowns++;
      start += stg_backoff(m->p.s3_backoff_ms / 1000.0, attempt);
    }
    c->requests++;
    double first = start + m->first_byte_s;
    double end = first + (double)r / m->conn_bytes_per_s;
    double wire = stg_pipe_reserve(&m->nic, first, (double)r);
    if (wire > end) end = wire;
    m->conns.free_at[k] = end;
    if (end > done) done = end;
  }
  return done;
}

static void *s3_model_new(const stg_params *p, const stg_env *env) { return stg_s3_new(p, env); }
static void s3_model_free(void *m) { stg_s3_free(m); }

static double s3_service(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                         stg_counters *c) {
  return stg_s3_get(model, t, n, c);
}

const struct storage_ops stg_s3_ops = {
    .name = "s3",
    .retryable = true,
    .model_new = s3_model_new,
    .model_free = s3_model_free,
    .service = s3_service,
};
