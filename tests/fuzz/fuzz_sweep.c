/* libFuzzer harness: the sweep parser (sweep_load), then every use of a loaded sweep that
 * runs nothing: its points (first, last and one between), their argv and point objects.
 * sweep_load needs a base job (and, for [project], its pricing catalog): both are written
 * once to the scratch directory, and each input is the rest of a sweep file that starts
 * with "[sweep]" and "job = " that job, so an input is the keys that follow. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "experiments/sweep.h"
#include "experiments/sweep_run.h"
#include "fuzz_util.h"

static char job[1024];

static void write_text(const char *name, const char *text) {
  fuzz_write(name, (const uint8_t *)text, strlen(text));
}

/* The base job and its catalog, once. */
static void setup(void) {
  if (job[0]) return;
  char pricing[1024], text[2048];
  snprintf(pricing, sizeof pricing, "%s", fuzz_path("pricing.ini"));
  write_text("pricing.ini",
             "[instance.c5.xlarge]\nvcpus = 4\nusd_per_hour = 0.17\nspot_discount = 0.6\n"
             "[instance.m5.xlarge]\nvcpus = 4\nusd_per_hour = 0.192\n"
             "[instance.broken]\nvcpus = 4.5\nusd_per_hour = 1\n");
  snprintf(text, sizeof text, "[data]\ntrain = x.h5\n[cost]\npricing = %s\n", pricing);
  write_text("job.ini", text);
  snprintf(job, sizeof job, "%s", fuzz_path("job.ini"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  size_t head = strlen(job) + 32;
  char *text = malloc(head + size);
  if (!text) return 0;
  int n = snprintf(text, head, "[sweep]\njob = %s\n", job);
  memcpy(text + n, data, size);
  const char *path = fuzz_write("sweep.ini", (const uint8_t *)text, (size_t)n + size);
  free(text);
  sweep_spec *s = NULL;
  if (sweep_load(path, &s) == TR_OK) {
    size_t total = sweep_count(s);
    if (total == 0 || total > SWEEP_MAX_POINTS) abort(); /* sweep_load's bound */
    size_t which[3] = {0, total / 2, total - 1};
    for (int k = 0; k < 3; k++) {
      sweep_point p;
      if (sweep_point_at(s, which[k], &p) != TR_OK) continue;
      char **argv = sweep_point_argv(s, &p, "tradeoff", "out/points/x", k == 1);
      sweep_argv_free(argv);
      cJSON_Delete(sweep_point_json(s, &p, "points/x"));
      sweep_point_free(&p);
    }
  }
  sweep_free(&s);
  tr_error_clear();
  return 0;
}
