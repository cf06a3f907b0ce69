/* The option table of a training job file (DESIGN.md "Job file"): every key, its
 * type, default, range and help. `tradeoff train --help` prints it. */
#ifndef TR_JOB_H
#define TR_JOB_H
#include <stddef.h>

#include "common/config.h"
#include "io/storage.h"

extern const cfg_option job_options[];
extern const size_t job_options_count;

/* A configuration for a train job: defaults, then the file, then each --set in order.
 * NULL with the error recorded (TR_ECONFIG, file:line or key). */
cfg *job_load(const char *path, char *const *overrides, size_t n_overrides);
/* The [storage] section's model parameters (defaults resolved). The strings point into
 * job, which must outlive p. */
void job_storage_params(const cfg *job, stg_params *p);
#endif
