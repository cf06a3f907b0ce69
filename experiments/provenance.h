/* What a result records about where it was made, so a number can be read for what it is
 * and the run can be made again: the tool's version and source revision, when it started,
 * the host it was measured on (its time comes from there) beside the instance type it is
 * priced as (its cost comes from there), the resolved job (every key, defaults
 * included), the --set overrides, and the data files (size, modification time). */
#ifndef TR_PROVENANCE_H
#define TR_PROVENANCE_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "experiments/job.h"
#include "experiments/results.h"

/* result.json's / io.json's "provenance": {"version", "revision", "start_time" (ISO 8601
 * UTC), "host" ({"name", "cpu", "cores", "memory_gib", "ranks", "threads_per_rank",
 * "priced_as"}: this host, the parallelism the run used on it, and the instance type its
 * cost is computed for), "job" ({section: {key: value}}, every key as the run resolved
 * it), "overrides" (the --set assignments in order), "data" ({"train", "test"}: {"path",
 * "files", "bytes", "modified"} of each data path the job names)}. NULL on ENOMEM. */
cJSON *provenance_json(const job *j, time_t start, int ranks, int threads_per_rank);

/* Where a record's numbers come from, into buf: a measured run's "measured on CPU (N
 * cores, R x T threads), priced as INSTANCE" (from its provenance.host; "measured (host
 * not recorded), priced as INSTANCE" for older results), a projected train run's
 * "projected (an Amdahl fit of runs measured on CPU at 1, 2 cores, scaled to 16 cores),
 * priced as INSTANCE", a virtual-clock io-bench run's "projected (the storage model,
 * virtual clock)". A record ranked by its spot estimate (spot_estimated) adds "; spot:
 * expected time and cost under R interruptions/h (a model, not measured)". instance
 * NULL: the record's. */
void provenance_record_basis(const run_record *r, const char *instance, char *buf, size_t n);
#endif
