/* Assembles layout -> backend -> loader from a job's typed [data] and [storage]
 * parameters, and turns the backend's counters into the storage part of a result and
 * its cost (the backend's bill, priced). */
#include "experiments/iostack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "io/files.h"

/* storage.shuffle's `auto` (the enum's last choice). */
#define SHUFFLE_AUTO 4

/* The backend whose model stands for j's reads on the virtual clock (s3real's is s3's),
 * and its block of the job's parameters. */
static int model_backend(const job *j) { return iostack_backend(j, true); }
static const void *model_block(const job *j) { return j->storage.model.blocks[model_backend(j)]; }

int iostack_backend(const job *j, bool virtual_clock) {
  int b = j->storage.backend, real = stg_backend_index("s3real"), s3 = stg_backend_index("s3");
  const char *name = stg_backend_name((size_t)b);
  if (virtual_clock) return b == real ? s3 : b;
  if (!ds_is_s3(j->data.train) || !strcmp(name, "null") || b == real) return b;
  if (!strcmp(name, "local") || b == s3) return real;
  job_error(j, TR_ECONFIG, "storage", "backend",
            "%s emulates a file system from local files, but data.train is in S3 (%s): use "
            "storage.backend = s3 to read the bucket, or copy the data and emulate %s from it",
            name, j->data.train, name);
  return -1;
}

tr_err iostack_open(const job *j, layout *L, int rank, int ranks, int ranks_per_node, bool virtual_clock,
                    const volatile sig_atomic_t *stop, iostack **out) {
  *out = NULL;
  iostack *s = calloc(1, sizeof *s);
  if (!s) {
    layout_free(&L);
    return tr_error_set(TR_ENOMEM, "storage", "out of memory");
  }
  tr_err rc = TR_OK;
  if (!L) {
    const char *path = j->data.train;
    if ((rc = job_check_path(j, "train")) == TR_OK && ds_is_text_path(path))
      rc = job_error(j, TR_EINPUT, "data", "train",
                     "the storage loader reads HDF5 data; convert %s with `tradeoff import` "
                     "(or remove the [storage] section to load it into memory)", path);
    if (rc == TR_OK) rc = layout_open(path, j->data.x_dataset, &L);
  }
  s->L = L;
  if (rc == TR_OK) {
    for (size_t k = 0; k < layout_files(L); k++) s->data_bytes += layout_file_bytes(L, k);
    /* object storage is read in whole objects or large ranges (the backend's request
       size), file systems per sample: `auto` and the default transfer follow it */
    size_t request = stg_backend_request_bytes((size_t)model_backend(j), model_block(j));
    s->shuffle = j->storage.shuffle == SHUFFLE_AUTO ? (request ? LOADER_FILE : LOADER_SAMPLE)
                                                    : (loader_shuffle)j->storage.shuffle;
    s->transfer_bytes = (size_t)j->storage.transfer_kib * 1024;
    if (request > s->transfer_bytes && !cfg_is_set(j->src, "storage", "transfer_kib")) s->transfer_bytes = request;
    for (size_t k = 0; s->shuffle == LOADER_SAMPLE && k < layout_files(L); k++)
      if (!layout_file_row_reads(L, k)) {
        log_warn("storage.shuffle = sample reads a whole compressed chunk for every row of %s "
                 "(an epoch reads the data many times over); shuffle = block reads each chunk "
                 "once, or write the data uncompressed (gen/import --compress 0)",
                 layout_file_path(L, k) ? layout_file_path(L, k) : "the data");
        break;
      }
    stg_env env = {.ranks = ranks, .ranks_per_node = ranks_per_node, .data_bytes = s->data_bytes, .rank = rank};
    s->env = env;
    s->backend = iostack_backend(j, virtual_clock);
    s->store = s->backend < 0 ? NULL : stg_new(s->backend, &j->storage.model, &env, virtual_clock);
    if (!s->store) rc = tr_error_code();
    else stg_set_stop(s->store, stop);
  }
  loader_opts lo = {.read_threads = (int)j->storage.read_threads,
                    .prefetch = (int)j->storage.prefetch,
                    .transfer_bytes = s->transfer_bytes};
  if (rc == TR_OK) rc = loader_new(L, s->store, &lo, &s->ld);
  double t = 0;
  if (rc == TR_OK && !virtual_clock) rc = loader_preload(s->ld, &t);
  if (rc != TR_OK) {
    iostack_free(&s);
    return rc;
  }
  *out = s;
  return TR_OK;
}

void iostack_free(iostack **s) {
  if (!s || !*s) return;
  loader_free(&(*s)->ld);
  stg_free(&(*s)->store);
  layout_free(&(*s)->L);
  free(*s);
  *s = NULL;
}

cJSON *iostack_json(const char *backend, const stg_counters *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "backend", backend);
  cJSON_AddNumberToObject(o, "bytes_read", (double)c->bytes);
  cJSON_AddNumberToObject(o, "requests", (double)c->requests);
  cJSON_AddNumberToObject(o, "cache_hits", (double)c->cache_hits);
  cJSON_AddNumberToObject(o, "read_ops", (double)c->ops);
  cJSON_AddNumberToObject(o, "lazy_loaded_bytes", (double)c->lazy_bytes);
  cJSON_AddNumberToObject(o, "slowdowns", (double)c->slowdowns);
  cJSON_AddNumberToObject(o, "retries", (double)c->retries);
  cJSON_AddNumberToObject(o, "short_reads", (double)c->short_reads);
  json_add_number(o, "preload_s", c->preload_s);
  return o;
}

tr_err iostack_cost(const iostack *s, const pricing *p, double hours, const stg_counters *c,
                    cost_storage_out *out) {
  stg_bill bill;
  stg_bill_of(s->store, hours, c, &bill);
  return cost_storage(p, &bill, out);
}

/* One epoch of rows[0..n) in the `kind` order with `threads` loader threads on the
 * virtual clock over s's backend: *epoch_s and the counters; false when it could not
 * run (out of memory: the caller warns of nothing). */
static bool project_epoch(const job *j, const iostack *s, const uint64_t *rows, size_t n, size_t batch,
                          double compute_s, loader_shuffle kind, int threads, double *epoch_s,
                          stg_counters *c) {
  stg *vs = stg_new(model_backend(j), &j->storage.model, &s->env, true);
  loader *l = NULL;
  loader_opts lo = {.read_threads = threads, .prefetch = (int)j->storage.prefetch, .transfer_bytes = s->transfer_bytes};
  uint64_t *ordered = malloc((n ? n : 1) * sizeof *ordered);
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  bool ok = vs && ordered && order && loader_new(s->L, vs, &lo, &l) == TR_OK;
  rng_t rng;
  rng_seed(&rng, (uint64_t)j->data.seed);
  ok = ok && loader_order(s->L, kind, s->transfer_bytes, &rng, rows, order, n) == TR_OK;
  for (size_t i = 0; ok && i < n; i++) ordered[i] = rows[order[i]];
  double t = 0, wait = 0;
  if (ok) ok = loader_preload(l, &t) == TR_OK;
  double t0 = t;
  if (ok) ok = loader_simulate(l, ordered, n, batch, compute_s, &t, &wait) == TR_OK;
  if (ok) {
    *epoch_s = t - t0;
    *c = stg_stats(vs);
  } else {
    tr_error_clear();
  }
  loader_free(&l);
  stg_free(&vs);
  free(ordered);
  free(order);
  return ok;
}

/* A projected epoch below this many seconds is never called pathological (tests, tiny
 * data sets: nothing to fix that a user would notice). */
#define PLAN_FLOOR_S 5.0

void iostack_warn_plan(const job *j, const iostack *s, const uint64_t *rows, size_t n, size_t batch_rows,
                       double compute_s) {
  if (n == 0 || batch_rows == 0 || stg_zero_filled(s->store)) return;
  const char *be = stg_backend_name((size_t)s->backend);
  int threads = (int)j->storage.read_threads;
  double epoch_s, compute = compute_s * (double)((n + batch_rows - 1) / batch_rows);
  stg_counters c;
  if (!project_epoch(j, s, rows, n, batch_rows, compute_s, s->shuffle, threads, &epoch_s, &c) || epoch_s < PLAN_FLOOR_S)
    return;
  size_t files = layout_files(s->L);
  uint64_t reads = c.ops;
  char what[160];
  snprintf(what, sizeof what, "%llu reads (%llu billed requests) of %zu files an epoch", (unsigned long long)reads,
           (unsigned long long)c.requests, files);
  double fixed;
  stg_counters fc;
  if (s->shuffle == LOADER_SAMPLE && reads > 4 * (uint64_t)files &&
      project_epoch(j, s, rows, n, batch_rows, compute_s, LOADER_FILE, threads, &fixed, &fc) && epoch_s > 3 * fixed) {
    log_warn("storage: a pathological plan on %s: %s; the virtual clock projects %.1f s an epoch (compute %.1f s); "
             "storage.shuffle = file projects %.1f s (%llu reads)", be, what, epoch_s, compute, fixed,
             (unsigned long long)fc.ops);
    return;
  }
  if (compute > 0 && epoch_s > 5 * compute) {
    int more = threads * 4 > 256 ? 256 : threads * 4;
    if (more > threads && project_epoch(j, s, rows, n, batch_rows, compute_s, s->shuffle, more, &fixed, &fc) &&
        fixed < 0.8 * epoch_s)
      log_warn("storage: a pathological plan on %s: %s; the virtual clock projects %.1f s an epoch, %.0fx its compute "
               "(%.1f s); storage.read_threads = %d projects %.1f s", be, what, epoch_s, epoch_s / compute, compute, more, fixed);
    else
      log_warn("storage: a pathological plan on %s: %s; the virtual clock projects %.1f s an epoch, %.0fx its compute "
               "(%.1f s); another storage.backend (io-bench --clock virtual compares them) or larger files fix it",
               be, what, epoch_s, epoch_s / compute, compute);
  }
}
