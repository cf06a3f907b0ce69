/* Assembles layout -> backend -> loader from a job's typed [data] and [storage]
 * parameters, and turns the backend's counters into the storage part of a result and
 * its cost (the backend's bill, priced). */
#include "experiments/iostack.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "io/files.h"

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

tr_err iostack_open(const job *j, layout *L, int ranks, int ranks_per_node, bool virtual_clock,
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
    s->shuffle = (loader_shuffle)j->storage.shuffle;
    s->transfer_bytes = (size_t)j->storage.transfer_kib * 1024;
    for (size_t k = 0; s->shuffle == LOADER_SAMPLE && k < layout_files(L); k++)
      if (!layout_file_row_reads(L, k)) {
        log_warn("storage.shuffle = sample reads a whole compressed chunk for every row of %s "
                 "(an epoch reads the data many times over); shuffle = block reads each chunk "
                 "once, or write the data uncompressed (gen/import --compress 0)",
                 layout_file_path(L, k) ? layout_file_path(L, k) : "the data");
        break;
      }
    stg_env env = {.ranks = ranks, .ranks_per_node = ranks_per_node, .data_bytes = s->data_bytes};
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
