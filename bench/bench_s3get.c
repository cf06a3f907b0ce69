/* Driver of bench/bench_s3.sh: fetches the byte ranges listed in a file ("KEY OFF LEN"
 * per line) of BUCKET through the project's S3 reader (io/s3client.h: the process's
 * client, kept-alive connections, SigV4) with CONNECTIONS threads taking the ranges in
 * order, and prints "bytes seconds MB/s". Endpoint and credentials as the reader finds
 * them (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID...).
 * Usage: bench_s3get BUCKET RANGES_FILE CONNECTIONS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/timer.h"
#include "io/s3client.h"

typedef struct {
  char key[512];
  unsigned long long off, len;
} range;

static range *ranges;
static size_t n_ranges, next_range;
static const char *bucket;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int failed;

static void *fetch(void *arg) {
  s3c_client *c = arg;
  size_t cap = 0;
  char *buf = NULL;
  for (;;) {
    pthread_mutex_lock(&lock);
    size_t i = next_range++;
    pthread_mutex_unlock(&lock);
    if (i >= n_ranges) break;
    if (ranges[i].len > cap && !(buf = realloc(buf, cap = ranges[i].len))) abort();
    if (s3c_get(c, bucket, ranges[i].key, ranges[i].off, ranges[i].len, buf, NULL) != TR_OK) {
      fprintf(stderr, "bench_s3get: %s\n", tr_error_message());
      failed = 1;
      break;
    }
  }
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: bench_s3get BUCKET RANGES_FILE CONNECTIONS\n");
    return 2;
  }
  bucket = argv[1];
  int conns = atoi(argv[3]);
  FILE *f = fopen(argv[2], "r");
  if (!f || conns < 1 || conns > 1024) return 2;
  size_t cap = 0;
  range r;
  while (fscanf(f, "%511s %llu %llu", r.key, &r.off, &r.len) == 3) {
    if (n_ranges == cap && !(ranges = realloc(ranges, (cap = cap ? 2 * cap : 256) * sizeof *ranges))) abort();
    ranges[n_ranges++] = r;
  }
  fclose(f);
  s3c_options o = {.connections = conns};
  s3c_configure(&o);
  s3c_client *c = s3c_shared();
  if (!c) {
    fprintf(stderr, "bench_s3get: %s\n", tr_error_message());
    return 1;
  }
  unsigned long long bytes = 0;
  for (size_t i = 0; i < n_ranges; i++) bytes += ranges[i].len;
  pthread_t t[1024];
  double t0 = tr_now();
  for (int i = 0; i < conns; i++) pthread_create(&t[i], NULL, fetch, c);
  for (int i = 0; i < conns; i++) pthread_join(t[i], NULL);
  double dt = tr_now() - t0;
  printf("%llu %.6f %.2f\n", bytes, dt, (double)bytes / 1e6 / dt);
  s3c_shutdown();
  free(ranges);
  return failed;
}
