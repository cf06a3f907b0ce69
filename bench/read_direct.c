/* The baseline of the loader-overhead figure of bench/bench_storage.sh: reads the same
 * byte ranges the loader reads (io/layout.h's extents of X for every row in storage
 * order, each stored chunk once, adjacent raw rows merged up to TRANSFER_KIB) with a plain
 * single-threaded pread(2) loop, no loader, no storage wrapper, no threads. Files are
 * opened and the extents planned before timing (the loader does both in loader_new).
 * Modes: `direct` preads each extent straight into its place in a batch buffer of
 * BATCH rows (what an ideal reader would do); `copy` preads into a staging buffer and
 * memcpys it into the batch buffer (the loader's read-then-decode, without the rest).
 * One untimed pass warms the page cache, then PASSES timed passes; prints one line of
 * key=value pairs (MB = 10^6 bytes of extents read per second).
 * Usage: read_direct DIR|FILE PASSES [BATCH=1024] [TRANSFER_KIB=4096] [direct|copy] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/timer.h"
#include "io/layout.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 6) {
    fprintf(stderr, "usage: %s DIR|FILE PASSES [BATCH=1024] [TRANSFER_KIB=4096] [direct|copy]\n", argv[0]);
    return 2;
  }
  int passes = atoi(argv[2]);
  size_t batch = argc > 3 ? (size_t)atol(argv[3]) : 1024;
  size_t transfer = (argc > 4 ? (size_t)atol(argv[4]) : 4096) * 1024;
  const char *mode = argc > 5 ? argv[5] : "direct";
  bool copy = !strcmp(mode, "copy");
  if (passes < 1 || passes > 100000 || batch < 1 || transfer < 1 || (!copy && strcmp(mode, "direct"))) {
    fprintf(stderr, "read_direct: bad arguments\n");
    return 2;
  }
  layout *L = NULL;
  if (layout_open(argv[1], "X", &L) != TR_OK) {
    fprintf(stderr, "read_direct: %s\n", tr_error_message());
    return 1;
  }
  size_t rows = layout_rows(L), cols = layout_cols(L), nf = layout_files(L);
  size_t nb = (rows + batch - 1) / batch;
  uint64_t *r = malloc(rows * sizeof *r);
  layout_extent **ext = calloc(nb, sizeof *ext);
  size_t *next = calloc(nb, sizeof *next);
  uint64_t **dst = calloc(nb, sizeof *dst); /* byte offset of each extent in the batch buffer */
  int *fd = malloc(nf * sizeof *fd);
  if (!r || !ext || !next || !dst || !fd) return 1;
  for (size_t i = 0; i < rows; i++) r[i] = i;
  uint64_t bytes = 0, largest = 0, n_ext = 0;
  for (size_t b = 0; b < nb; b++) {
    size_t start = b * batch, n = rows - start < batch ? rows - start : batch;
    if (layout_plan(L, r + start, n, transfer, &ext[b], &next[b]) != TR_OK) {
      fprintf(stderr, "read_direct: %s\n", tr_error_message());
      return 1;
    }
    if (!(dst[b] = calloc(next[b] ? next[b] : 1, sizeof **dst))) return 1;
    uint64_t at = 0;
    for (size_t i = 0; i < next[b]; i++) {
      const layout_extent *e = &ext[b][i];
      if (e->chunk >= 0 && (e->col0 != 0 || e->cols != cols)) {
        fprintf(stderr, "read_direct: chunks must span all columns (got col0 %u cols %u)\n", e->col0, e->cols);
        return 2;
      }
      dst[b][i] = at;
      at += e->bytes;
      bytes += e->bytes;
      if (e->bytes > largest) largest = e->bytes;
    }
    n_ext += next[b];
  }
  for (size_t k = 0; k < nf; k++)
    if ((fd[k] = open(layout_file_path(L, k), O_RDONLY | O_CLOEXEC)) < 0) {
      fprintf(stderr, "read_direct: %s: %s\n", layout_file_path(L, k), strerror(errno));
      return 1;
    }
  /* the batch buffer holds a batch's extents back to back (an uncompressed chunk's bytes
     are exactly its rows, so this is the batch's X for full-width chunks in order) */
  size_t batch_cap = 0;
  for (size_t b = 0; b < nb; b++) {
    size_t s = 0;
    for (size_t i = 0; i < next[b]; i++) s += ext[b][i].bytes;
    if (s > batch_cap) batch_cap = s;
  }
  unsigned char *X = malloc(batch_cap + 1), *stage = malloc(largest + 1);
  double *sec = calloc((size_t)passes, sizeof *sec);
  if (!X || !stage || !sec) return 1;
  memset(X, 0, batch_cap + 1);
  memset(stage, 0, largest + 1);
  for (int p = -1; p < passes; p++) {
    double t0 = tr_now();
    for (size_t b = 0; b < nb; b++)
      for (size_t i = 0; i < next[b]; i++) {
        const layout_extent *e = &ext[b][i];
        unsigned char *to = copy ? stage : X + dst[b][i];
        size_t done = 0;
        while (done < e->bytes) {
          ssize_t got = pread(fd[e->file], to + done, e->bytes - done, (off_t)(e->offset + done));
          if (got < 0 && errno == EINTR) continue;
          if (got <= 0) {
            fprintf(stderr, "read_direct: %s: read failed\n", layout_file_path(L, e->file));
            return 1;
          }
          done += (size_t)got;
        }
        if (copy) memcpy(X + dst[b][i], stage, e->bytes);
      }
    if (p >= 0) sec[p] = tr_now() - t0;
  }
  qsort(sec, (size_t)passes, sizeof *sec, cmp_double);
  double med = passes % 2 ? sec[passes / 2] : (sec[passes / 2 - 1] + sec[passes / 2]) / 2;
  printf("mode=%s files=%zu extents=%llu bytes_per_pass=%llu passes=%d best_s=%.6f median_s=%.6f "
         "best_MBps=%.1f median_MBps=%.1f\n",
         mode, nf, (unsigned long long)n_ext, (unsigned long long)bytes, passes, sec[0], med,
         (double)bytes / 1e6 / sec[0], (double)bytes / 1e6 / med);
  for (size_t k = 0; k < nf; k++) close(fd[k]);
  for (size_t b = 0; b < nb; b++) {
    free(ext[b]);
    free(dst[b]);
  }
  free(ext);
  free(dst);
  free(next);
  free(r);
  free(fd);
  free(X);
  free(stage);
  free(sec);
  layout_free(&L);
  return 0;
}
