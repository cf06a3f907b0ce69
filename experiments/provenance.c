/* Provenance of results (see provenance.h). */
#include "experiments/provenance.h"

#include <stdio.h>

#include "common/host.h"
#include "common/json.h"

cJSON *provenance_host_json(const char *priced_as, int ranks, int threads_per_rank) {
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

void provenance_basis(const cJSON *host, const char *instance, char *buf, size_t n) {
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
