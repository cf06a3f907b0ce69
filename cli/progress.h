/* Training progress on stderr: a redrawn bar on a TTY, plain lines otherwise, nothing
 * when quiet (DESIGN.md "CLI"). */
#ifndef TR_PROGRESS_H
#define TR_PROGRESS_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
  bool quiet, tty;
  int total_epochs;
  double start;
  const char *monitor;
  double epoch_start, last_draw;  /* within an epoch (the TTY bar moves with the steps) */
  size_t batch_rows;              /* global rows per step, for samples/s */
} progress;

/* Starts a progress display for up to total_epochs epochs. */
progress progress_start(int total_epochs, const char *monitor, bool quiet);
/* Shows epoch's losses and monitored value, with an ETA from the mean epoch time. */
void progress_epoch(progress *p, int epoch, double train_loss, double val_loss, double monitored);
/* On a TTY, once an epoch has run over a second, redraws the bar with the step, the
 * samples/s and the elapsed time (at most 4 times a second); nothing otherwise. */
void progress_step(progress *p, int epoch, size_t step, size_t steps);
/* A storage benchmark's progress: epoch, batch, requests, MB/s and the ETA. On a TTY a
 * redrawn bar (at most 4 times a second); otherwise a line every PROGRESS_LINE_S seconds
 * and at the end of every epoch, so a long run in a log shows where it is. */
#define PROGRESS_LINE_S 10.0
void progress_io(progress *p, int epoch, int epochs, size_t batch, size_t batches, unsigned long long requests,
                 double bytes, double elapsed_s);
/* Ends the bar line (TTY) so later messages start on a fresh line. */
void progress_end(progress *p);
#endif
