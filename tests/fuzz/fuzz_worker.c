/* libFuzzer harness: a worker's request line (sweep_worker_request_argv, the parser of
 * `tradeoff worker`'s stdin): any bytes up to a NUL are refused or give "train" and the
 * array's strings, NULL-terminated. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "experiments/sweep_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *line = strndup((const char *)data, size);
  if (!line) return 0;
  int n = 0;
  char **v = sweep_worker_request_argv(line, &n);
  if (v) {
    if (strcmp(v[0], "train") != 0) abort();
    for (int i = 0; i < n; i++)
      if (!v[i]) abort();
    if (v[n]) abort();
  }
  sweep_argv_free(v);
  free(line);
  tr_error_clear();
  return 0;
}
