/* Early-stopping bookkeeping. An improvement must beat the best by more than min_delta
 * in the monitored direction; the first epoch always sets the best. */
#include "trainer/early_stop.h"

#include <math.h>
#include <string.h>

bool es_auto_minimize(const char *monitor) {
  static const char *minimized[] = {"loss", "error", "mse", "rmse", "mae"};
  for (size_t i = 0; i < sizeof minimized / sizeof *minimized; i++)
    if (strstr(monitor, minimized[i])) return true;
  return false;
}

es_state es_init(bool enabled, const char *monitor, const char *mode, int patience,
                 double min_delta, int start_from_epoch) {
  es_state s = {.enabled = enabled, .patience = patience, .min_delta = fabs(min_delta),
                .start_from_epoch = start_from_epoch};
  if (!strcmp(mode, "max")) s.maximize = true;
  else if (!strcmp(mode, "min")) s.maximize = false;
  else s.maximize = !es_auto_minimize(monitor);
  s.best = s.maximize ? -INFINITY : INFINITY;
  return s;
}

bool es_update(es_state *s, int epoch, double value) {
  if (epoch <= s->start_from_epoch) return false; /* warm-up epochs are not monitored */
  bool better = !isnan(value) && (s->best_epoch == 0 ||
                                  (s->maximize ? value - s->best > s->min_delta
                                               : s->best - value > s->min_delta));
  if (better) {
    s->best = value;
    s->best_epoch = epoch;
    s->wait = 0;
  } else {
    s->wait++;
  }
  return better;
}

bool es_should_stop(const es_state *s, int epoch) {
  return s->enabled && epoch > s->start_from_epoch &&
         s->wait >= (s->patience > 0 ? s->patience : 1);
}
