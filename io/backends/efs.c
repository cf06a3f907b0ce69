/* The `efs` backend: Amazon EFS over NFS. Every read pays the per-operation latency,
 * then moves through two links: this client's (efs.per_client_mib_s over the ranks of a
 * node; each read also holds it efs.client_ms_per_request besides its bytes, 0 by
 * default, what tradeoff calibrate fits for a client that serves reads one at a time)
 * and the file system's, whose budget all ranks of the job share evenly. The file
 * system's rate depends on efs.mode:
 *   bursting     baseline efs.baseline_kib_s_per_gib per GiB stored (at least 1 MiB/s);
 *                bursts at efs.burst_mib_s (or 100 MiB/s per TiB stored, when larger)
 *                while burst credits last; credits are a token bucket in bytes that
 *                fills at the baseline rate and drains at (rate - baseline) when bursting;
 *   elastic      efs.elastic_mib_s;
 *   provisioned  efs.provisioned_mib_s, or the bursting baseline when the storage drives
 *                more (AWS's PermittedThroughput: the higher of the two).
 * In bursting and provisioned mode EFS meters a read at efs.read_meter (one third) of its
 * size against the throughput and the credits, so reads move three times the metered
 * rate; elastic mode's figures are read bytes. Each file's first read of an epoch pays
 * efs.open_ms (the NFS OPEN and CLOSE round trips).
 * Billed: the data stored; in elastic mode every GB read; in provisioned mode the
 * throughput provisioned beyond what the storage includes (the baseline of
 * efs.baseline_kib_s_per_gib per GiB stored, as AWS bills it), for the run's hours. */
#include <math.h>
#include <stdlib.h>

#include "io/storage_backend.h"

typedef enum { EFS_BURSTING, EFS_ELASTIC, EFS_PROVISIONED } efs_mode; /* the choices' order */

typedef struct {
  double latency_ms, baseline_kib_s_per_gib, burst_mib_s, burst_credits_gib;
  double provisioned_mib_s, elastic_mib_s, per_client_mib_s, stored_gib;
  double read_meter, open_ms, client_ms_per_request;
  int mode;
} efs_params;

#define AT(m) CFG_AT(efs_params, m)
static const cfg_option options[] = {
    {"storage", "efs.latency_ms", CFG_FLOAT, "0.25", 0, 60000, NULL, "EFS: latency of one read operation", AT(latency_ms), NULL},
    {"storage", "efs.mode", CFG_ENUM, "elastic", 0, 0, "bursting|elastic|provisioned", "EFS: throughput mode", AT(mode), NULL},
    {"storage", "efs.baseline_kib_s_per_gib", CFG_FLOAT, "50", 0.001, 1e9, NULL, "EFS: baseline KiB/s per GiB stored (bursting: at least 1 MiB/s; provisioned: included, not billed)", AT(baseline_kib_s_per_gib), NULL},
    {"storage", "efs.burst_mib_s", CFG_FLOAT, "100", 0.001, 1e9, NULL, "EFS bursting: burst MiB/s (or 100 MiB/s per TiB stored, when larger)", AT(burst_mib_s), NULL},
    {"storage", "efs.burst_credits_gib", CFG_FLOAT, "2150", 0, 1e9, NULL, "EFS bursting: burst credit balance at the start, GiB", AT(burst_credits_gib), NULL},
    {"storage", "efs.provisioned_mib_s", CFG_FLOAT, "128", 0.001, 1e9, NULL, "EFS provisioned: MiB/s bought", AT(provisioned_mib_s), NULL},
    {"storage", "efs.elastic_mib_s", CFG_FLOAT, "20480", 0.001, 1e9, NULL, "EFS elastic: file system read MiB/s", AT(elastic_mib_s), NULL},
    {"storage", "efs.per_client_mib_s", CFG_FLOAT, "", 0.001, 1e9, NULL, "EFS: one client's MiB/s; empty = 1500 (elastic) or 500", AT(per_client_mib_s), NULL},
    {"storage", "efs.client_ms_per_request", CFG_FLOAT, "0", 0, 60000, NULL, "EFS: time each read holds the client's link besides its bytes (tradeoff calibrate fits it); 0 = none", AT(client_ms_per_request), NULL},
    {"storage", "efs.read_meter", CFG_FLOAT, "0.333333", 0.001, 1, NULL, "EFS bursting/provisioned: fraction of a read's size metered against throughput and credits (AWS: one third)", AT(read_meter), NULL},
    {"storage", "efs.open_ms", CFG_FLOAT, "0.5", 0, 60000, NULL, "EFS: cost of opening a file each epoch (NFS OPEN and CLOSE round trips)", AT(open_ms), NULL},
    {"storage", "efs.stored_gib", CFG_FLOAT, "0", 0, 1e12, NULL, "EFS: GiB stored (sets the baseline), 0 = the data set's size", AT(stored_gib), NULL},
};
#undef AT

typedef struct {
  double latency_s, open_s, meter;  /* meter: metered bytes per byte read */
  double client_bytes_per_request;  /* efs.client_ms_per_request as bytes at the whole client link's rate */
  stg_pipe client, fs;       /* fs.rate is the fixed rate of elastic/provisioned */
  bool bursting;
  double baseline, burst;    /* bytes/s, this rank's share */
  double credits, max_credits, last;
} efs_model;

extern const struct storage_ops stg_efs_ops;

/* GiB stored: efs.stored_gib, or the data set's size. */
static double stored_gib(const efs_params *p, uint64_t data_bytes) {
  return p->stored_gib > 0 ? p->stored_gib : (double)data_bytes / STG_GIB;
}

/* One client's MiB/s: efs.per_client_mib_s, or the mode's published default. */
static double per_client_mib_s(const efs_params *p) {
  if (!isnan(p->per_client_mib_s)) return p->per_client_mib_s;
  return p->mode == EFS_ELASTIC ? 1500 : 500;
}

/* The bursting baseline of `stored` GiB, bytes/s: efs.baseline_kib_s_per_gib per GiB, at
 * least 1 MiB/s. */
static double baseline(const efs_params *p, double stored) {
  double base = p->baseline_kib_s_per_gib * 1024.0 * stored;
  return base < STG_MIB ? STG_MIB : base;
}

static void *efs_model_new(const stg_params *all, const stg_env *env) {
  const efs_params *p = stg_backend_params(all, &stg_efs_ops);
  efs_model *m = p ? calloc(1, sizeof *m) : NULL;
  if (!m) return NULL;
  int ranks = env->ranks > 0 ? env->ranks : 1, per_node = env->ranks_per_node > 0 ? env->ranks_per_node : 1;
  double stored = stored_gib(p, env->data_bytes);
  m->latency_s = p->latency_ms / 1000.0;
  m->open_s = p->open_ms / 1000.0;
  m->meter = p->mode == EFS_ELASTIC ? 1.0 : p->read_meter;
  m->client.rate = per_client_mib_s(p) * STG_MIB / per_node;
  /* the node's client serves one request at a time: its cost is bytes of the whole
     link, so the node's ranks together pay one request per cost, not one each */
  m->client_bytes_per_request = p->client_ms_per_request / 1000.0 * per_client_mib_s(p) * STG_MIB;
  m->bursting = p->mode == EFS_BURSTING;
  double base = baseline(p, stored);
  if (m->bursting) {
    double burst = p->burst_mib_s * STG_MIB, per_tib = 100.0 * STG_MIB * stored / 1024.0;
    if (per_tib > burst) burst = per_tib;
    m->baseline = base / ranks;
    m->burst = (burst > base ? burst : base) / ranks;
    m->credits = m->max_credits = p->burst_credits_gib * STG_GIB / ranks;
  } else {
    double rate = (p->mode == EFS_ELASTIC ? p->elastic_mib_s : p->provisioned_mib_s) * STG_MIB;
    if (p->mode == EFS_PROVISIONED && base > rate) rate = base; /* the storage drives more than bought */
    m->fs.rate = rate / ranks;
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
  double metered = (double)n * m->meter;
  double a = stg_pipe_reserve(&m->client, s, (double)n + m->client_bytes_per_request);
  double b = m->bursting ? efs_burst_reserve(m, s, metered) : stg_pipe_reserve(&m->fs, s, metered);
  return a > b ? a : b;
}

static double efs_open_cost(void *model, const stg_file *f, double t, stg_counters *c) {
  (void)f, (void)c;
  return t + ((efs_model *)model)->open_s;
}

/* The data stored for the run's hours; elastic throughput also bills every GB read,
 * provisioned throughput the MiB/s bought beyond the storage's baseline, for the hours
 * (used or not: 128 MiB/s is about $1.05 an hour). */
static void efs_bill(const stg_usage *u, stg_bill *out) {
  const efs_params *p = u->params;
  stg_bill_add(out, "efs", STG_GB_HOURS, (double)u->data_bytes / STG_GIB * u->hours, false);
  if (p->mode == EFS_ELASTIC) stg_bill_add(out, "efs", STG_GB_READ, (double)u->c->bytes / STG_GIB, true);
  if (p->mode == EFS_PROVISIONED) {
    double included = p->baseline_kib_s_per_gib * stored_gib(p, u->data_bytes) / 1024.0;
    double bought = p->provisioned_mib_s > included ? p->provisioned_mib_s - included : 0;
    stg_bill_add(out, "efs", STG_MIB_S_HOURS, bought * u->hours, false);
  }
}

const struct storage_ops stg_efs_ops = {
    .name = "efs",
    .options = options,
    .n_options = sizeof options / sizeof options[0],
    .params_size = sizeof(efs_params),
    .model_new = efs_model_new,
    .model_free = efs_model_free,
    .service = efs_service,
    .open_cost = efs_open_cost,
    .bill = efs_bill,
};
