/* Benchmark driver for the CSV reader: reads one file with csv_read() N times and
 * prints the best and median wall time and the matching MB/s (file size from stat,
 * 1 MB = 10^6 bytes) as one "key=value ..." line for bench/bench_import.sh.
 * Usage: bench_csv FILE [REPEATS=5] [LABEL_COLUMN] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/timer.h"
#include "io/textdata.h"

static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [REPEATS=5] [LABEL_COLUMN]\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  const char *label = argc > 3 ? argv[3] : NULL;
  if (repeats < 1) repeats = 1;
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 2;
  }
  double *t = malloc((size_t)repeats * sizeof *t);
  size_t rows = 0, cols = 0;
  for (int r = 0; r < repeats; r++) {
    ds_dataset *d = NULL;
    double t0 = tr_now();
    tr_err rc = csv_read(path, label, &d);
    t[r] = tr_now() - t0;
    if (rc != TR_OK) {
      fprintf(stderr, "bench_csv: %s\n", tr_error_message());
      free(t);
      return tr_exit_code(rc);
    }
    rows = d->rows;
    cols = d->cols;
    ds_free(&d);
  }
  qsort(t, (size_t)repeats, sizeof *t, bench_cmp_double);
  double best = t[0];
  double median = repeats % 2 ? t[repeats / 2] : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
  double mb = (double)st.st_size / 1e6;
  printf("file=%s bytes=%lld rows=%zu cols=%zu repeats=%d best_s=%.4f median_s=%.4f "
         "best_mbps=%.1f median_mbps=%.1f\n",
         path, (long long)st.st_size, rows, cols, repeats, best, median, mb / best, mb / median);
  free(t);
  return 0;
}
