/* Training progress on stderr: a redrawn bar on a TTY, plain lines otherwise, nothing
 * when quiet (DESIGN.md "CLI"). */
#ifndef TR_PROGRESS_H
#define TR_PROGRESS_H
#include <stdbool.h>

typedef struct {
  bool quiet, tty;
  int total_epochs;
  double start;
  const char *monitor;
} progress;

/* Starts a progress display for up to total_epochs epochs. */
progress progress_start(int total_epochs, const char *monitor, bool quiet);
/* Shows epoch's losses and monitored value, with an ETA from the mean epoch time. */
void progress_epoch(progress *p, int epoch, double train_loss, double val_loss, double monitored);
/* Ends the bar line (TTY) so later messages start on a fresh line. */
void progress_end(progress *p);
#endif
