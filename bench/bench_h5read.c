/* Times h5io_read on one HDF5 file: reads it N times and prints the throughput (MB/s of
 * float32 X produced, 1 MB = 1e6 bytes), best and median, one line of `key=value`s.
 * Usage: bench_h5read FILE [REPEATS=5] [THREADS=0 (all)] */
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/timer.h"
#include "io/h5io.h"

static int bench_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s FILE [REPEATS=5] [THREADS=0]\n", argv[0]);
    return 2;
  }
  int reps = argc > 2 ? atoi(argv[2]) : 5, threads = argc > 3 ? atoi(argv[3]) : 0;
  if (reps < 1 || reps > 1000) {
    fprintf(stderr, "bench_h5read: REPEATS must be 1-1000\n");
    return 2;
  }
  double *sec = calloc((size_t)reps, sizeof *sec);
  if (!sec) return 1;
  h5io_read_opts o = {.threads = threads};
  double mb = 0;
  for (int r = 0; r < reps; r++) {
    ds_dataset *d = NULL;
    double t0 = tr_now();
    tr_err rc = h5io_read(argv[1], &o, &d);
    sec[r] = tr_now() - t0;
    if (rc != TR_OK) {
      fprintf(stderr, "bench_h5read: %s\n", tr_error_message());
      free(sec);
      return tr_exit_code(rc);
    }
    mb = (double)d->rows * (double)d->cols * sizeof(float) / 1e6;
    ds_free(&d);
  }
  qsort(sec, (size_t)reps, sizeof *sec, bench_cmp);
  double med = reps % 2 ? sec[reps / 2] : (sec[reps / 2 - 1] + sec[reps / 2]) / 2;
  printf("file=%s mb=%.3f repeats=%d best_s=%.4f median_s=%.4f best_mbs=%.1f median_mbs=%.1f\n",
         argv[1], mb, reps, sec[0], med, mb / sec[0], mb / med);
  free(sec);
  return 0;
}
