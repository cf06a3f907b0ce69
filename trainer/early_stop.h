/* Early stopping on a monitored validation metric (Keras EarlyStopping semantics):
 * mode, patience, min_delta, start_from_epoch. */
#ifndef TR_EARLY_STOP_H
#define TR_EARLY_STOP_H
#include <stdbool.h>

typedef struct {
  bool enabled;
  bool maximize;        /* resolved mode */
  int patience;
  double min_delta;
  int start_from_epoch; /* epochs (1-based count) before stopping may trigger */
  double best;          /* best value so far (+-inf before the first epoch) */
  int best_epoch;       /* 1-based, 0 before the first epoch */
  int wait;             /* epochs since the last improvement */
} es_state;

/* True when a metric name ("val_accuracy", "val_loss", ...) is minimized under "auto":
 * loss, error, mse, rmse, mae. */
bool es_auto_minimize(const char *monitor);

/* A state for mode "min", "max" or "auto" (resolved from monitor). */
es_state es_init(bool enabled, const char *monitor, const char *mode, int patience,
                 double min_delta, int start_from_epoch);

/* Records epoch's value; returns true when this epoch is the new best. A NaN value is
 * never an improvement; epochs up to start_from_epoch are not monitored. */
bool es_update(es_state *s, int epoch, double value);

/* True when training should stop after `epoch` (patience exhausted). */
bool es_should_stop(const es_state *s, int epoch);
#endif
