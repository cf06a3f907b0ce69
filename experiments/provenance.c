/* Provenance of results (see provenance.h). */
#define _GNU_SOURCE
#include "experiments/provenance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/format.h"
#include "common/host.h"
#include "common/json.h"
#include "io/files.h"

#ifndef TRADEOFF_REVISION
#define TRADEOFF_REVISION "unknown"
#endif

/* t as ISO 8601 UTC ("2026-12-01T13:05:09Z") into buf. */
static void iso_utc(time_t t, char *buf, size_t n) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* {"path", "files", "bytes", "modified"} of a data path (the shards of a set), or just
 * {"path"} when it cannot be listed. */
static cJSON *data_file(const char *path) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "path", path);
  char **files = NULL;
  size_t n = 0;
  if (ds_list_files(path, &files, &n) != TR_OK) {
    tr_error_clear();
    return o;
  }
  double bytes = 0;
  time_t newest = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    uint64_t size = 0;
    if (ds_is_s3(files[i]) && ds_path_size(files[i], &size) == TR_OK) bytes += (double)size;
    if (ds_is_s3(files[i]) || stat(files[i], &st) != 0) continue;
    bytes += (double)st.st_size;
    if (st.st_mtime > newest) newest = st.st_mtime;
  }
  ds_free_files(&files, n);
  char when[32];
  iso_utc(newest, when, sizeof when);
  cJSON_AddNumberToObject(o, "files", (double)n);
  cJSON_AddNumberToObject(o, "bytes", bytes);
  cJSON_AddStringToObject(o, "modified", when);
  return o;
}

/* {"name", "cpu", "cores", "memory_gib", "ranks", "threads_per_rank", "priced_as"} (see
 * provenance.h). NULL on ENOMEM. */
static cJSON *provenance_host_json(const char *priced_as, int ranks, int threads_per_rank) {
  host_info h;
  host_describe(&h);
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "name", h.name);
  cJSON_AddStringToObject(o, "cpu", h.cpu);
  cJSON_AddNumberToObject(o, "cores", h.cores);
  json_add_number(o, "memory_gib", h.memory_gib);
  cJSON_AddNumberToObject(o, "ranks", ranks);
  cJSON_AddNumberToObject(o, "threads_per_rank", threads_per_rank);
  cJSON_AddStringToObject(o, "priced_as", priced_as);
  return o;
}

cJSON *provenance_json(const job *j, time_t start, int ranks, int threads_per_rank) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  char when[32];
  iso_utc(start, when, sizeof when);
  cJSON_AddStringToObject(o, "version", TRADEOFF_VERSION);
  cJSON_AddStringToObject(o, "revision", TRADEOFF_REVISION);
  cJSON_AddStringToObject(o, "start_time", when);
  cJSON_AddItemToObject(o, "host", provenance_host_json(j->cost.instance, ranks, threads_per_rank));
  cJSON *resolved = cJSON_AddObjectToObject(o, "job");
  for (size_t i = 0; i < cfg_count(j->src); i++) {
    const cfg_option *opt = cfg_option_at(j->src, i);
    cJSON *sec = cJSON_GetObjectItemCaseSensitive(resolved, opt->section);
    if (!sec) sec = cJSON_AddObjectToObject(resolved, opt->section);
    cJSON_AddStringToObject(sec, opt->key, cfg_str(j->src, opt->section, opt->key));
  }
  /* the catalog the lookup found when cost.pricing was left empty */
  cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(resolved, "cost"), "pricing",
                            cJSON_CreateString(j->cost.pricing));
  cJSON *sets = cJSON_AddArrayToObject(o, "overrides");
  for (size_t i = 0; i < j->n_overrides; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(j->overrides[i]));
  cJSON *data = cJSON_AddObjectToObject(o, "data");
  if (*j->data.train) cJSON_AddItemToObject(data, "train", data_file(j->data.train));
  if (*j->data.test) cJSON_AddItemToObject(data, "test", data_file(j->data.test));
  return o;
}

/* "measured on CPU (N cores, R x T threads), priced as INSTANCE" from a result's "host"
 * object; "priced as INSTANCE" alone when it names no CPU. */
static void provenance_basis(const cJSON *host, const char *instance, char *buf, size_t n) {
  const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(host, "cpu");
  if (!cJSON_IsString(cpu)) {
    snprintf(buf, n, "priced as %s", instance);
    return;
  }
  double cores = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(host, "cores"));
  double ranks = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(host, "ranks"));
  double threads = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(host, "threads_per_rank"));
  snprintf(buf, n, "measured on %s (%.0f cores, %.0f x %.0f threads), priced as %s", cpu->valuestring, cores,
           ranks, threads, instance);
}

/* The basis of r's own time and cost, before any spot note. */
static void record_basis(const run_record *r, const char *instance, char *buf, size_t n) {
  if (strcmp(r->label, "projected") != 0) {
    if (r->host) provenance_basis(r->host, instance, buf, n);
    else snprintf(buf, n, "measured (host not recorded), priced as %s", instance);
    return;
  }
  if (strcmp(r->kind, "train") != 0) {
    snprintf(buf, n, "projected (the storage model, virtual clock), priced as %s", instance);
    return;
  }
  const cJSON *am = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->obj, "point"), "amdahl");
  const cJSON *cores = cJSON_GetObjectItemCaseSensitive(am, "cores_measured"), *c;
  const char *cpu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->host, "cpu"));
  double to = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(am, "cores_projected"));
  char at[96] = "";
  size_t len = 0;
  cJSON_ArrayForEach(c, cores) {
    if (cJSON_IsNumber(c)) fmt_append(at, sizeof at, &len, "%s%g", len ? ", " : " at ", c->valuedouble);
  }
  if (len) fmt_append(at, sizeof at, &len, " cores");
  if (isfinite(to)) fmt_append(at, sizeof at, &len, ", scaled to %g cores", to);
  snprintf(buf, n, "projected (an Amdahl fit of runs measured%s%s%s), priced as %s", cpu ? " on " : "", cpu ? cpu : "",
           at, instance);
}

void provenance_record_basis(const run_record *r, const char *instance, char *buf, size_t n) {
  if (!n) return;
  record_basis(r, instance ? instance : r->instance, buf, n);
  if (!r->spot_estimated) return;
  size_t len = strlen(buf);
  if (isfinite(r->spot_interruptions_per_h))
    fmt_append(buf, n, &len, "; spot: expected time and cost under %g interruptions/h (a model, not measured)",
               r->spot_interruptions_per_h);
  else
    fmt_append(buf, n, &len, "; spot: expected time and cost under interruptions (a model, not measured)");
}
