/* The `s3real` backend: a real S3 bucket (AWS or any S3-compatible endpoint). Files are
 * s3:// objects; every read is one ranged GET through the process's S3 client
 * (io/s3client.h: kept-alive connections, SigV4, the SDKs' retries), so the time is the
 * service's own and there is no model: real clock only (on the virtual clock the job's
 * `s3` model stands in, experiments/iostack.c). Each GET sent is counted and billed as
 * the `s3` model's are (retries too: AWS bills every request). Its keys are the s3
 * family's (s3.endpoint_url, s3.region, s3.profile, s3.list_page_size, s3.timeout_s,
 * s3.connections, s3.max_attempts, s3.backoff_ms, in io/backends/s3.c's table): the
 * job hands them to the process's S3 client (experiments/job.c); this file reads the
 * retry keys by name, so it depends on no layout of the s3 model's block. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3client.h"
#include "io/storage_backend.h"

/* The value of the s3 model's option `name` in its block of all (a long or a double). */
static double s3_value(const stg_params *all, const char *name, double def) {
  int i = stg_backend_index("s3");
  if (i < 0 || !all->blocks || !all->blocks[i]) return def;
  cfg_table t = stg_backend_options((size_t)i);
  for (size_t k = 0; k < t.n; k++) {
    const cfg_option *o = &t.opts[k];
    if (strcmp(o->key, name) || !o->at) continue;
    const char *at = (const char *)all->blocks[i] + o->at - 1;
    if (o->type == CFG_INT) return (double)*(const long *)at;
    if (o->type == CFG_FLOAT) return *(const double *)at;
  }
  return def;
}

typedef struct {
  int attempts;
  double backoff_s;
} s3real_model;

static void *s3real_model_new(const stg_params *all, const stg_env *env) {
  (void)env;
  s3real_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->attempts = (int)s3_value(all, "s3.max_attempts", 3);
  m->backoff_s = s3_value(all, "s3.backoff_ms", 100) / 1000.0;
  return m;
}

static void s3real_model_free(void *model) { free(model); }

/* Injected faults (storage.fault.*) retry as a failed GET does. */
static void s3real_retry(const void *model, int *attempts, double *backoff_s) {
  const s3real_model *m = model;
  *attempts = m->attempts;
  *backoff_s = m->backoff_s;
}

static tr_err s3real_open(stg_file *f) {
  s3c_client *c = s3c_shared();
  if (!c) return tr_error_code();
  char *bucket = NULL, *key = NULL;
  uint64_t size = 0;
  tr_err rc = s3c_parse_url(f->path, &bucket, &key);
  if (rc == TR_OK) rc = s3c_head(c, bucket, key, &size); /* from the listing when listed */
  if (rc == TR_OK && size < f->size)
    rc = tr_error_set(TR_EINPUT, f->path, "the object has %llu bytes, its metadata says %llu",
                      (unsigned long long)size, (unsigned long long)f->size);
  free(bucket);
  free(key);
  return rc;
}

static ssize_t s3real_read(stg_file *f, void *buf, size_t n, uint64_t off) {
  s3c_client *c = s3c_shared();
  s3c_result r = {0};
  tr_err rc = c ? s3c_get_url(c, f->path, off, n, buf, &r) : tr_error_code();
  stg_count(f, (uint64_t)r.attempts, r.attempts > 1 ? (uint64_t)(r.attempts - 1) : 0,
            (uint64_t)r.slowdowns);
  if (rc != TR_OK) {
    errno = EIO; /* the S3 client's message, naming the object, is the recorded error */
    return -1;
  }
  return (ssize_t)n;
}

static void s3real_close(stg_file *f) { (void)f; }

/* As the s3 model bills: the data stored for the run's hours, and every GET sent. */
static void s3real_bill(const stg_usage *u, stg_bill *out) {
  stg_bill_add(out, "s3", STG_GB_HOURS, (double)u->data_bytes / STG_GIB * u->hours, false);
  stg_bill_add(out, "s3", STG_THOUSAND_GETS, (double)u->c->requests / 1000.0, true);
}

const struct storage_ops stg_s3real_ops = {
    .name = "s3real",
    .remote = true,
    .model_new = s3real_model_new,
    .model_free = s3real_model_free,
    .retry = s3real_retry,
    .bill = s3real_bill,
    .open = s3real_open,
    .read = s3real_read,
    .close = s3real_close,
};
