/* Shared by the libFuzzer harnesses: the parsers take paths, so each input is written
 * to a file in a private scratch directory (made once per process under $TMPDIR). */
#ifndef TR_FUZZ_UTIL_H
#define TR_FUZZ_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[512];

/* Removes the scratch directory and its files at exit. */
static void fuzz_cleanup(void) {
  static const char *const names[] = {"job.ini", "x.csv", "x.csv.gz", "x.svm", "x.svm.gz",
                                      "pricing.ini", "x.h5", "sweep.ini", "results.jsonl",
                                      "X.npy", "y.npy", "x.npz"};
  char p[1024];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(p, sizeof p, "%s/%s", fuzz_dir, names[i]);
    unlink(p);
  }
  rmdir(fuzz_dir);
}

/* The path dir/name, where the scratch directory is made on first use. */
static const char *fuzz_path(const char *name) {
  char *dir = fuzz_dir;
  static char path[1024];
  if (!dir[0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof fuzz_dir, "%s/tradeoff-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
      perror("mkdtemp");
      abort();
    }
    atexit(fuzz_cleanup);
  }
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

/* Writes data[0..size) to the scratch file name; returns its path (aborts on failure,
 * which is the harness's fault, not the parser's). */
static const char *fuzz_write(const char *name, const uint8_t *data, size_t size) {
  const char *path = fuzz_path(name);
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    perror(path);
    abort();
  }
  return path;
}
#endif
