/* libFuzzer harness: DLIO workload files (experiments/dlio.c): libyaml's parse of any
 * bytes, then the mapping of whatever document comes out onto a job configuration (every
 * value through cfg_set). Warnings are silenced; errors are recorded, never a crash. */
#include <stdint.h>
#include <stdlib.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "experiments/dlio.h"
#include "experiments/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  log_set_quiet(true);
  cfg *c = job_config_new();
  if (c) (void)dlio_apply_text(c, "fuzz.yaml", data, size);
  cfg_free(&c);
  tr_error_clear();
  return 0;
}
