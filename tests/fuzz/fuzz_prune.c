/* libFuzzer harness: `tradeoff train --prune-below SPEC`'s parser (run_prune_parse), then
 * the decision it drives on a made-up history of every epoch it names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "experiments/run_stops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *spec = malloc(size + 1);
  if (!spec) return 0;
  memcpy(spec, data, size);
  spec[size] = '\0';
  run_prune p;
  if (run_prune_parse(spec, &p) == TR_OK) {
    run_stops st = {.prune = &p, .budget_usd = __builtin_nan("")};
    if (run_stops_init(&st, HEAD_BINARY, "val_loss") == TR_OK && p.n <= 4096) {
      train_state s = {.epoch = p.n};
      s.history = calloc((size_t)p.n + 1, sizeof *s.history);
      for (int e = 1; s.history && e <= p.n; e++) {
        s.history[e - 1].val_loss = 0.5;
        s.history[e - 1].val_m[0] = s.history[e - 1].val_m[1] = 0.5;
        s.epoch = e;
        (void)run_stops_before_epoch(&st, e + 1, &s);
      }
      free(s.history);
    }
    run_prune_free(&p);
  }
  tr_error_clear();
  free(spec);
  return 0;
}
