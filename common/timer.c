/* Monotonic timers for phase timings (compute, I/O wait, communication), and the age of
 * the process (what a worker bills as its start-up). */
#define _GNU_SOURCE
#include "common/timer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double tr_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double tr_process_age_s(void) {
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f) return NAN;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long long start = 0;
  /* after ") ": state (3) ... starttime (22) */
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &start) != 1)
    return NAN;
  long hz = sysconf(_SC_CLK_TCK);
  struct timespec ts;
  if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return NAN;
  double age = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - (double)start / (double)hz;
  return age >= 0 ? age : 0;
}
