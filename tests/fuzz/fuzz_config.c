/* libFuzzer harness: the job-file parser (cfg_load_file over the job's options and every
 * backend's), then the typed job and its dump. */
#include <stdint.h>
#include <stdlib.h>

#include "common/config.h"
#include "common/error.h"
#include "experiments/job.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("job.ini", data, size);
  job *j = job_load(path, NULL, 0);
  if (j) {
    char *dump = job_text(j); /* every value the file set, written back out */
    free(dump);
  }
  job_free(&j);
  tr_error_clear();
  return 0;
}
