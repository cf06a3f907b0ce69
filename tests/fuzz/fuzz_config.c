/* libFuzzer harness: the job-file parser (cfg_load_file with the job option table). */
#include <stdint.h>
#include <stdlib.h>

#include "common/config.h"
#include "common/error.h"
#include "experiments/job.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("job.ini", data, size);
  cfg *c = cfg_new(job_options, job_options_count);
  if (!c) abort();
  if (cfg_load_file(c, path) == TR_OK) {
    char *dump = cfg_dump(c);  /* every value the file set, written back out */
    free(dump);
  }
  cfg_free(&c);
  tr_error_clear();
  return 0;
}
