/* The `s3` backend: S3 streaming. Every read is one or more ranged GETs (s3.range_mib);
 * each GET waits for the earliest free connection of the pool (s3.connections), pays the
 * first-byte latency, then streams at the per-connection bandwidth, bounded by the
 * instance's network share (s3.instance_gbps over the ranks of a node), which each GET
 * also holds for s3.link_ms_per_request besides its bytes (0 by default: AWS's link
 * carries bytes; a server or client that serves one request at a time, as tradeoff
 * calibrate measures on s3rver, has a per-request cost all connections queue for: then
 * the link is held from the GET's start, its first byte being that work). GETs beyond the
 * per-prefix rate (5,500 GET/s, shared by the job's ranks) get a 503 SlowDown and retry
 * after an exponential backoff, as the AWS SDKs do; failed reads retry the same way (at
 * most s3.max_attempts attempts). Nothing is cached: every epoch pays again. Opening an
 * object costs s3.open_ms (0: a GET names its key from the listing; a FUSE mount's HEAD
 * is one more first-byte round trip, billed as a request). Loaders read object storage
 * in whole objects or s3.range_mib ranges (request_bytes). Billed: the data stored and
 * every GET. FSx's lazy loading uses this model as the file system's servers reach the
 * bucket (stg_s3_import_model): their own connections and link, not this instance's. */
#include <stdlib.h>

#include "io/storage_backend.h"

typedef struct {
  double first_byte_ms, mb_per_s_per_connection, range_mib, instance_gbps;
  double get_per_s_per_prefix, backoff_ms, open_ms, link_ms_per_request;
  long connections, max_attempts;
  /* the real S3 data path (io/backends/s3real.c reads these by name) */
  const char *endpoint_url, *region, *profile;
  long list_page_size;
  double timeout_s;
} s3_params;

#define AT(m) CFG_AT(s3_params, m)
/* Every default is a published figure; configs/storage.ini gives each source. */
static const cfg_option options[] = {
    {"storage", "s3.first_byte_ms", CFG_FLOAT, "45", 0, 60000, NULL, "S3: mean time to first byte of a GET", AT(first_byte_ms), NULL},
    {"storage", "s3.open_ms", CFG_FLOAT, "0", 0, 60000, NULL, "S3: cost of opening an object each epoch (a FUSE mount's HEAD: s3.first_byte_ms; 0 = GETs by key)", AT(open_ms), NULL},
    {"storage", "s3.mb_per_s_per_connection", CFG_FLOAT, "165", 0.001, 1e6, NULL, "S3: MB/s one connection streams after the first byte", AT(mb_per_s_per_connection), NULL},
    {"storage", "s3.connections", CFG_INT, "10", 1, 4096, NULL, "S3: parallel connections (boto3's max_pool_connections)", AT(connections), NULL},
    {"storage", "s3.range_mib", CFG_FLOAT, "8", 0.001, 5120, NULL, "S3: size of a ranged GET", AT(range_mib), NULL},
    {"storage", "s3.instance_gbps", CFG_FLOAT, "10", 0.001, 3200, NULL, "S3: the instance's network bandwidth, Gbit/s", AT(instance_gbps), NULL},
    {"storage", "s3.link_ms_per_request", CFG_FLOAT, "0", 0, 60000, NULL, "S3: time each GET holds the shared link besides its bytes (a server or client that serves requests one at a time; tradeoff calibrate fits it); 0 = none, AWS's figures", AT(link_ms_per_request), NULL},
    {"storage", "s3.get_per_s_per_prefix", CFG_FLOAT, "5500", 1, 1e9, NULL, "S3: GET requests per second per prefix before SlowDown", AT(get_per_s_per_prefix), NULL},
    {"storage", "s3.backoff_ms", CFG_FLOAT, "100", 0, 60000, NULL, "S3: first retry backoff, doubled per attempt (at most 20 s)", AT(backoff_ms), NULL},
    {"storage", "s3.max_attempts", CFG_INT, "3", 1, 100, NULL, "S3: attempts of a failed GET (SDK standard retry mode)", AT(max_attempts), NULL},
    /* data.train = s3://...: the real bucket (the s3real backend, io/s3client.h) */
    {"storage", "s3.endpoint_url", CFG_STR, "", 0, 0, NULL, "real S3: endpoint URL (empty: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else https://s3.REGION.amazonaws.com)", AT(endpoint_url), NULL},
    {"storage", "s3.region", CFG_STR, "", 0, 0, NULL, "real S3: region (empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1)", AT(region), NULL},
    {"storage", "s3.profile", CFG_STR, "", 0, 0, NULL, "real S3: profile of ~/.aws/credentials (empty: AWS_PROFILE, else default; AWS_ACCESS_KEY_ID wins)", AT(profile), NULL},
    {"storage", "s3.list_page_size", CFG_INT, "1000", 1, 1000, NULL, "real S3: keys per ListObjectsV2 page (max-keys)", AT(list_page_size), NULL},
    {"storage", "s3.timeout_s", CFG_FLOAT, "30", 0.1, 3600, NULL, "real S3: a request without progress for this long fails (and is retried)", AT(timeout_s), NULL},
};
#undef AT

typedef struct {
  s3_params p;
  stg_slots conns;
  stg_pipe nic;
  stg_bucket prefix;
  double conn_bytes_per_s, first_byte_s, range_bytes, open_s;
  double link_bytes_per_request; /* s3.link_ms_per_request as bytes of the link's time */
} s3_model;

extern const struct storage_ops stg_s3_ops;

static void s3_model_free(void *model) {
  s3_model *m = model;
  if (!m) return;
  free(m->conns.free_at);
  free(m);
}

/* A model of p with `conns` connections through a link of link_rate bytes/s (this
 * model's share, 1 / link_sharers, of the link: the per-request cost is bytes at the
 * whole link's rate, the stage serving one request at a time for all of its sharers),
 * the prefix's request rate split over `sharers`. */
static s3_model *s3_model_make(const s3_params *p, int conns, double link_rate, int link_sharers, int sharers) {
  s3_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->p = *p;
  m->conns.n = conns > 0 ? conns : 1;
  if (!(m->conns.free_at = calloc((size_t)m->conns.n, sizeof(double)))) {
    free(m);
    return NULL;
  }
  m->nic.rate = link_rate;
  m->prefix.rate = p->get_per_s_per_prefix / (sharers > 0 ? sharers : 1);
  m->prefix.burst = m->prefix.tokens = m->prefix.rate > 1 ? m->prefix.rate : 1;
  m->conn_bytes_per_s = p->mb_per_s_per_connection * 1e6;
  m->first_byte_s = p->first_byte_ms / 1000.0;
  m->open_s = p->open_ms / 1000.0;
  m->range_bytes = p->range_mib * STG_MIB;
  m->link_bytes_per_request = p->link_ms_per_request / 1000.0 * link_rate * (link_sharers > 0 ? link_sharers : 1);
  if (m->range_bytes < 1) m->range_bytes = 1;
  return m;
}

static void *s3_model_new(const stg_params *all, const stg_env *env) {
  const s3_params *p = stg_backend_params(all, &stg_s3_ops);
  if (!p) return NULL;
  int per_node = env->ranks_per_node > 0 ? env->ranks_per_node : 1;
  return s3_model_make(p, (int)p->connections, p->instance_gbps * 1e9 / 8.0 / per_node, per_node, env->ranks);
}

void *stg_s3_import_model(const stg_params *all, int connections, double conn_share, double link_bytes_per_s,
                          int sharers) {
  const s3_params *p = stg_backend_params(all, &stg_s3_ops);
  s3_model *m = p ? s3_model_make(p, connections, link_bytes_per_s, sharers, sharers) : NULL;
  if (m && conn_share > 0 && conn_share < 1) m->conn_bytes_per_s *= conn_share;
  return m;
}

uint64_t stg_s3_range_bytes(const stg_params *all) {
  const s3_params *p = stg_backend_params(all, &stg_s3_ops);
  double r = p ? p->range_mib * STG_MIB : 1;
  return r < 1 ? 1 : (uint64_t)r;
}

/* GETs for the n bytes: ranges of s3.range_mib, each on the earliest free connection. */
static double s3_service(void *model, const stg_file *f, uint64_t off, uint64_t n, double t,
                         stg_counters *c) {
  s3_model *m = model;
  double done = t;
  uint64_t left = n ? n : 1;
  while (left > 0) {
    uint64_t r = left < (uint64_t)m->range_bytes ? left : (uint64_t)m->range_bytes;
    left -= r;
    int k = stg_slots_pick(&m->conns);
    double start = t > m->conns.free_at[k] ? t : m->conns.free_at[k];
    for (int attempt = 0; !stg_bucket_try(&m->prefix, start); attempt++) {
      c->slowdowns++;
      start += stg_backoff(m->p.backoff_ms / 1000.0, attempt);
    }
    c->requests++;
    double first = start + m->first_byte_s;
    double end = first + (double)r / m->conn_bytes_per_s;
    /* a per-request cost on the link is the server's (or client's) work on the whole
       request, its first byte included: held from the GET's start; bytes alone flow
       from the first byte */
    double wire = m->link_bytes_per_request > 0
                      ? stg_pipe_reserve(&m->nic, start, (double)r + m->link_bytes_per_request)
                      : stg_pipe_reserve(&m->nic, first, (double)r);
    if (wire > end) end = wire;
    m->conns.free_at[k] = end;
    if (end > done) done = end;
  }
  return done;
}

/* A HEAD before the object's first GET of the epoch, when s3.open_ms is set: it waits
 * for a connection like a GET and is billed as one (S3 prices HEAD as GET). */
static double s3_open_cost(void *model, const stg_file *f, double t, stg_counters *c) {
  (void)f;
  s3_model *m = model;
  if (m->open_s <= 0) return t;
  int k = stg_slots_pick(&m->conns);
  double start = t > m->conns.free_at[k] ? t : m->conns.free_at[k];
  c->requests++;
  return m->conns.free_at[k] = start + m->open_s;
}

/* Loaders read objects whole or in ranges of s3.range_mib. */
static size_t s3_request_bytes(const void *params) {
  const s3_params *p = params;
  return (size_t)(p->range_mib * STG_MIB);
}

static void s3_retry(const void *model, int *attempts, double *backoff_s) {
  const s3_model *m = model;
  *attempts = (int)m->p.max_attempts;
  *backoff_s = m->p.backoff_ms / 1000.0;
}

/* The bucket: the data stored for the run's hours, and every GET. */
static void s3_bill(const stg_usage *u, stg_bill *out) {
  stg_bill_add(out, "s3", STG_GB_HOURS, (double)u->data_bytes / STG_GIB * u->hours, false);
  stg_bill_add(out, "s3", STG_THOUSAND_GETS, (double)u->c->requests / 1000.0, true);
}

const struct storage_ops stg_s3_ops = {
    .name = "s3",
    .options = options,
    .n_options = sizeof options / sizeof options[0],
    .params_size = sizeof(s3_params),
    .model_new = s3_model_new,
    .model_free = s3_model_free,
    .service = s3_service,
    .open_cost = s3_open_cost,
    .request_bytes = s3_request_bytes,
    .retry = s3_retry,
    .bill = s3_bill,
};
