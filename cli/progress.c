/* Progress display for long training runs. */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/timer.h"

progress progress_start(int total_epochs, const char *monitor, bool quiet) {
  double now = tr_now();
  return (progress){.quiet = quiet, .tty = isatty(STDERR_FILENO), .total_epochs = total_epochs,
                    .start = now, .monitor = monitor, .epoch_start = now};
}

void progress_step(progress *p, int epoch, size_t step, size_t steps) {
  if (p->quiet || !p->tty) return;
  double now = tr_now(), in_epoch = now - p->epoch_start;
  if (in_epoch < 1.0 || now - p->last_draw < 0.25) return;
  p->last_draw = now;
  int width = 24, filled = (int)((double)width * step / (steps ? steps : 1));
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < filled ? '=' : '.';
  bar[width] = '\0';
  double rate = p->batch_rows ? (double)step * (double)p->batch_rows / in_epoch : 0;
  fprintf(stderr, "\r[%s] epoch %d/%d  step %zu/%zu  %.0f samples/s  %.1fs   ", bar, epoch, p->total_epochs,
          step, steps, rate, in_epoch);
  fflush(stderr);
}

void progress_epoch(progress *p, int epoch, double train_loss, double val_loss, double monitored) {
  p->epoch_start = tr_now();
  if (p->quiet) return;
  double elapsed = tr_now() - p->start;
  bool extra = strcmp(p->monitor, "val_loss") != 0; /* val_loss is always shown */
  char watched[64] = "";
  if (extra) snprintf(watched, sizeof watched, p->tty ? "  %s %.4f" : " %s %.6f", p->monitor, monitored);
  double eta = elapsed / epoch * (p->total_epochs - epoch);
  if (p->tty) {
    int width = 24, filled = (int)((double)width * epoch / p->total_epochs);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] epoch %d/%d  loss %.4f  val_loss %.4f%s  ETA %.0fs   ", bar, epoch,
            p->total_epochs, train_loss, val_loss, watched, eta);
  } else {
    fprintf(stderr, "epoch %d/%d train_loss %.6f val_loss %.6f%s elapsed %.2fs eta %.1fs\n", epoch,
            p->total_epochs, train_loss, val_loss, watched, elapsed, eta);
  }
  fflush(stderr);
}

void progress_end(progress *p) {
  if (!p->quiet && p->tty) fputc('\n', stderr);
}
