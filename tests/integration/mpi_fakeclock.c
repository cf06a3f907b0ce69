/* LD_PRELOAD for test_mpi.sh (built there with cc): every MPI_Allgatherv moves the clock
 * the tradeoff binary itself reads (clock_gettime called from the executable's own code)
 * 1000 s ahead, while MPI and the libraries keep the real clock. A gather whose time is
 * counted as communication then adds 1000 s to comm_s and one left out adds nothing: a
 * test of what comm_s counts that does not depend on how fast anything runs. In-place
 * gathers (the sharded update's parameters at every step, training's communication,
 * counted) leave the clock alone: the metrics' gathers, never in place, are the ones
 * under test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double offset_s;
static unsigned long exe_lo[16], exe_hi[16];
static int n_exe = -1;

static void find_exe(void) {
  char exe[4096], line[4608];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  n_exe = 0;
  if (n <= 0) return;
  exe[n] = '\0';
  FILE *f = fopen("/proc/self/maps", "r");
  while (f && fgets(line, sizeof line, f) && n_exe < 16) {
    unsigned long lo, hi;
    char path[4096] = "";
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095s", &lo, &hi, path) >= 2 && !strcmp(path, exe)) {
      exe_lo[n_exe] = lo;
      exe_hi[n_exe++] = hi;
    }
  }
  if (f) fclose(f);
}

int clock_gettime(clockid_t id, struct timespec *ts) {
  static int (*real)(clockid_t, struct timespec *);
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = real(id, ts);
  unsigned long ra = (unsigned long)__builtin_return_address(0);
  if (n_exe < 0) find_exe();
  for (int i = 0; rc == 0 && i < n_exe; i++)
    if (ra >= exe_lo[i] && ra < exe_hi[i]) {
      ts->tv_sec += (time_t)offset_s;
      break;
    }
  return rc;
}

int MPI_Allgatherv(const void *s, int sc, void *st, void *r, const int *rc, const int *d, void *rt, void *comm) {
  static int (*real)(const void *, int, void *, void *, const int *, const int *, void *, void *);
  if (!real) real = (int (*)(const void *, int, void *, void *, const int *, const int *, void *, void *))dlsym(RTLD_NEXT, "MPI_Allgatherv");
  int v = real(s, sc, st, r, rc, d, rt, comm);
  if (s != (const void *)1) offset_s += 1000; /* not MPI_IN_PLACE (Open MPI's (void *) 1) */
  return v;
}
