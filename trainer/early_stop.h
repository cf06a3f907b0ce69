/* Early stopping on a monitored validation metric, with the semantics of Keras'
 * EarlyStopping (monitor, mode, patience, min_delta, baseline, start_from_epoch) and
 * Lightning's (check_finite, stopping_threshold, divergence_threshold). */
#ifndef TR_EARLY_STOP_H
#define TR_EARLY_STOP_H
#include <stdbool.h>

typedef struct {
  bool enabled;
  const char *monitor;          /* "val_loss", "val_accuracy", ... */
  const char *mode;             /* "min", "max" or "auto" */
  int patience;
  double min_delta;
  int start_from_epoch;         /* epochs (1-based count) that are not monitored */
  double baseline;              /* NaN = none: else patience resets only on beating it */
  double stopping_threshold;    /* NaN = none: stop once the value is at least this good */
  double divergence_threshold;  /* NaN = none: stop once the value is worse than this */
  bool check_finite;            /* stop when the value is NaN or infinite */
} es_config;

typedef struct {
  es_config cfg;
  bool maximize;        /* resolved mode */
  double best;          /* best value so far (+-inf before the first monitored epoch) */
  int best_epoch;       /* 1-based, 0 before the first monitored epoch */
  int wait;             /* monitored epochs since the patience counter was reset */
} es_state;

typedef enum { ES_CONTINUE, ES_PATIENCE, ES_THRESHOLD, ES_DIVERGENCE, ES_NON_FINITE } es_verdict;

/* True when a metric name is minimized under "auto": loss, error, mse, rmse, mae. */
bool es_auto_minimize(const char *monitor);

es_state es_init(const es_config *cfg);

/* Records epoch's value and decides. *improved (may be NULL) tells whether this epoch is
 * the new best (its weights should be kept for restore_best). Disabled stopping never
 * stops but still tracks the best epoch. */
es_verdict es_after_epoch(es_state *s, int epoch, double value, bool *improved);

/* "patience", "threshold", "divergence", "non_finite" (NULL for ES_CONTINUE). */
const char *es_reason(es_verdict v);
#endif
