/* Early-stopping decisions. Order of the checks for a monitored epoch, as Lightning:
 * non-finite value, then the stopping threshold, then the divergence threshold, then
 * patience. An improvement must beat the best by more than min_delta. */
#include "trainer/early_stop.h"

#include <math.h>
#include <string.h>

bool es_auto_minimize(const char *monitor) {
  static const char *minimized[] = {"loss", "error", "mse", "rmse", "mae"};
  for (size_t i = 0; i < sizeof minimized / sizeof *minimized; i++)
    if (strstr(monitor, minimized[i])) return true;
  return false;
}

es_state es_init(const es_config *cfg) {
  es_state s = {.cfg = *cfg};
  s.cfg.min_delta = fabs(cfg->min_delta);
  if (!strcmp(cfg->mode, "max")) s.maximize = true;
  else if (!strcmp(cfg->mode, "min")) s.maximize = false;
  else s.maximize = !es_auto_minimize(cfg->monitor);
  s.best = s.maximize ? -INFINITY : INFINITY;
  return s;
}

/* a is better than b by more than delta in the monitored direction. */
static bool better(const es_state *s, double a, double b, double delta) {
  return s->maximize ? a - b > delta : b - a > delta;
}

es_verdict es_after_epoch(es_state *s, int epoch, double value, bool *improved) {
  if (improved) *improved = false;
  if (epoch <= s->cfg.start_from_epoch) return ES_CONTINUE; /* warm-up: not monitored */
  bool finite = isfinite(value);
  bool best_now = finite && (s->best_epoch == 0 || better(s, value, s->best, s->cfg.min_delta));
  if (best_now) {
    s->best = value;
    s->best_epoch = epoch;
    if (improved) *improved = true;
  }
  bool beats_baseline = isnan(s->cfg.baseline) || better(s, value, s->cfg.baseline, 0);
  if (best_now && beats_baseline) s->wait = 0;
  else s->wait++;
  if (!s->cfg.enabled) return ES_CONTINUE;
  if (s->cfg.check_finite && !finite) return ES_NON_FINITE;
  if (!isnan(s->cfg.stopping_threshold) && finite &&
      !better(s, s->cfg.stopping_threshold, value, 0))
    return ES_THRESHOLD;
  if (!isnan(s->cfg.divergence_threshold) && finite &&
      better(s, s->cfg.divergence_threshold, value, 0))
    return ES_DIVERGENCE;
  if (s->wait >= (s->cfg.patience > 0 ? s->cfg.patience : 1)) return ES_PATIENCE;
  return ES_CONTINUE;
}

const char *es_reason(es_verdict v) {
  switch (v) {
  case ES_PATIENCE: return "patience";
  case ES_THRESHOLD: return "threshold";
  case ES_DIVERGENCE: return "divergence";
  case ES_NON_FINITE: return "non_finite";
  case ES_CONTINUE: break;
  }
  return NULL;
}
