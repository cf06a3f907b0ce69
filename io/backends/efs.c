/* The `efs` backend: Amazon EFS over NFS. Every read pays the per-operation latency,
 * then moves through two links: this client's (efs.per_client_mib_s over the ranks of a
 * node) and the file system's, whose budget all ranks of the job share evenly. The file
 * system's rate depends on efs.mode:
 *   bursting     baseline efs.baseline_kib_s_per_gib per GiB stored (at least 1 MiB/s);
 *                bursts at efs.burst_mib_s (or 100 MiB/s per TiB stored, when larger)
 *                while burst credits last; credits are a token bucket in bytes that
 *                fills at the baseline rate and drains at (rate - baseline) when bursting;
 *   elastic      efs.elastic_mib_s;
 *   provisioned  efs.provisioned_mib_s. */
#include <stdlib.h>
#include <string.h>

#include "io/storage.h"

#define MIB 1048576.0
#define GIB 1073741824.0

typedef struct {
  double latency_s;
  stg_pipe client, fs;       /* fs.rate is the fixed rate of elastic/provisioned */
  bool bursting;
  double baseline, burst;    /* bytes/s, this rank's share */
  double credits, max_credits, last;
} efs_model;

static void *efs_model_new(const stg_params *p, const stg_env *env) {
  efs_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  int ranks = env->ranks > 0 ? env->ranks : 1, per_node = env->ranks_per_node > 0 ? env->ranks_per_node : 1;
  double stored_gib = p->efs_stored_gib > 0 ? p->efs_stored_gib : (double)env->data_bytes / GIB;
  m->latency_s = p->efs_latency_ms / 1000.0;
  m->client.rate = p->efs_per_client_mib_s * MIB / per_node;
  m->bursting = !strcmp(p->efs_mode, "bursting");
  if (m->bursting) {
    double base = p->efs_baseline_kib_s_per_gib * 1024.0 * stored_gib;
    if (base < MIB) base = MIB;
    double burst = p->efs_burst_mib_s * MIB, per_tib = 100.0 * MIB * stored_gib / 1024.0;
    if (per_tib > burst) burst = per_tib;
    m->baseline = base / ranks;
    m->burst = (burst > base ? burst : base) / ranks;
    m->credits = m->max_credits = p->efs_burst_credits_gib * GIB / ranks;
  } else {
    double rate = !strcmp(p->efs_mode, "elastic") ? p->efs_elastic_mib_s : p->efs_provisioned_mib_s;
    m->fs.rate = rate * MIB / ranks;
  }
  return m;
}

static void efs_model_free(void *m) { free(m); }

/* The bursting file system link: transfers run at the burst rate while credits last,
 * then at the baseline. */
static double efs_burst_reserve(efs_model *m, double t, double bytes) {
  double start = t > m->fs.free_at ? t : m->fs.free_at;
  if (start > m->last) {
    m->credits += (start - m->last) * m->baseline;
    if (m->credits > m->max_credits) m->credits = m->max_credits;
  }
  double drain = m->burst - m->baseline, d;
  if (drain <= 0) {
    d = bytes / m->baseline;
  } else if (bytes / m->burst * drain <= m->credits) {
    d = bytes / m->burst;
    m->credits -= d * drain;
  } else {
    double d1 = m->credits / drain;
    d = d1 + (bytes - d1 * m->burst) / m->baseline;
    m->credits = 0;
  }
  m->fs.free_at = m->last = start + d;
  return m->fs.free_at;
}

static double efs_service(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                          stg_counters *c) {
  efs_model *m = model;
  double s = t + m->latency_s;
  double a = stg_pipe_reserve(&m->client, s, (double)n);
  double b = m->bursting ? efs_burst_reserve(m, s, (double)n) : stg_pipe_reserve(&m->fs, s, (double)n);
  return a > b ? a : b;
}

const struct storage_ops stg_efs_ops = {
    .name = "efs",
    .model_new = efs_model_new,
    .model_free = efs_model_free,
    .service = efs_service,
};
