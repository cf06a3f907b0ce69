/* Monotonic timers for phase timings (compute, I/O wait, communication). */
#include "common/timer.h"

#include <time.h>

double tr_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
