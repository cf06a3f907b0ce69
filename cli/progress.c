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

#define BAR_WIDTH 24

/* A bar of BAR_WIDTH cells, the first done/total of them (at most all) drawn with fill. */
static void draw_bar(char bar[BAR_WIDTH + 1], double done, double total, char fill) {
  int filled = (int)((double)BAR_WIDTH * done / (total > 0 ? total : 1));
  for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? fill : '.';
  bar[BAR_WIDTH] = '\0';
}

void progress_step(progress *p, int epoch, size_t step, size_t steps) {
  if (p->quiet || !p->tty) return;
  double now = tr_now(), in_epoch = now - p->epoch_start;
  if (in_epoch < 1.0 || now - p->last_draw < 0.25) return;
  p->last_draw = now;
  char bar[BAR_WIDTH + 1];
  draw_bar(bar, (double)step, (double)steps, '=');
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
    char bar[BAR_WIDTH + 1];
    draw_bar(bar, epoch, p->total_epochs, '#');
    fprintf(stderr, "\r[%s] epoch %d/%d  loss %.4f  val_loss %.4f%s  ETA %.0fs   ", bar, epoch,
            p->total_epochs, train_loss, val_loss, watched, eta);
  } else {
    fprintf(stderr, "epoch %d/%d train_loss %.6f val_loss %.6f%s elapsed %.2fs eta %.1fs\n", epoch,
            p->total_epochs, train_loss, val_loss, watched, elapsed, eta);
  }
  fflush(stderr);
}

void progress_io(progress *p, int epoch, int epochs, size_t batch, size_t batches, unsigned long long requests,
                 double bytes, double elapsed_s) {
  if (p->quiet) return;
  double now = tr_now();
  bool epoch_end = batch == batches;
  if (now - p->last_draw < (p->tty ? 0.25 : PROGRESS_LINE_S) && !epoch_end) return;
  p->last_draw = now;
  double done = (double)(epoch - 1) * (double)batches + (double)batch, total = (double)epochs * (double)batches;
  double eta = done > 0 ? elapsed_s / done * (total - done) : 0, mb_s = elapsed_s > 0 ? bytes / 1e6 / elapsed_s : 0;
  if (p->tty) {
    char bar[BAR_WIDTH + 1];
    draw_bar(bar, done, total, '=');
    fprintf(stderr, "\r[%s] epoch %d/%d  batch %zu/%zu  %llu requests  %.1f MB/s  ETA %.0fs   ", bar, epoch, epochs,
            batch, batches, requests, mb_s, eta);
  } else {
    fprintf(stderr, "io-bench: epoch %d/%d batch %zu/%zu requests %llu %.1f MB/s elapsed %.1fs eta %.1fs\n", epoch,
            epochs, batch, batches, requests, mb_s, elapsed_s, eta);
  }
  fflush(stderr);
}

void progress_end(progress *p) {
  if (!p->quiet && p->tty) fputc('\n', stderr);
}
