/* What a result records about where it was made, so a number can be read for what it is:
 * the host a run was measured on (its time comes from there) beside the instance type it
 * is priced as (its cost comes from there). */
#ifndef TR_PROVENANCE_H
#define TR_PROVENANCE_H
#include <cjson/cJSON.h>

/* {"name", "cpu", "cores", "memory_gib", "ranks", "threads_per_rank", "priced_as"}: this
 * host, the parallelism the run used on it, and the instance type its cost is computed
 * for. NULL on ENOMEM. */
cJSON *provenance_host_json(const char *priced_as, int ranks, int threads_per_rank);

/* "measured on CPU (N cores, R x T threads), priced as INSTANCE" from a result's "host"
 * object into buf; "priced as INSTANCE" alone when host is NULL (an older result). */
void provenance_basis(const cJSON *host, const char *instance, char *buf, size_t n);
#endif
