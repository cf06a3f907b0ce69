/* libFuzzer harness: the job-file parser (cfg_load_file over the job's options and every
 * backend's), then the typed job, its [serve] checks (serve_check: the diurnal list
 * parser) and its dump, and cfg_text_diff between the input (up
 * to a NUL byte, as a checkpoint's job text) and the dump. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/error.h"
#include "experiments/job.h"
#include "experiments/serve_bench.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("job.ini", data, size);
  job *j = job_load(path, NULL, 0);
  if (j) {
    serve_traffic t;
    serve_check(j, &t);
    char *dump = job_text(j); /* every value the file set, written back out */
    char *text = strndup((const char *)data, size), what[600];
    if (dump && text) cfg_text_diff(text, dump, "the input", "its dump", what, sizeof what);
    free(text);
    free(dump);
  }
  job_free(&j);
  tr_error_clear();
  return 0;
}
