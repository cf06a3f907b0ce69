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
/* libhdf5 1.10.8's global heap bug (fuzz_h5io.c's header): inputs with a "GCOL"
 * collection whose object runs past its end are skipped by the HDF5 harnesses. */
static inline uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* True when a "GCOL" collection in data has an object running past its end, walked as
 * H5HG__cache_heap_deserialize() walks it (16-byte header, then objects: index u16,
 * refcount u16, 4 reserved, size u64, data padded to 8; index 0 is free space). */
static inline int corrupt_global_heap(const uint8_t *data, size_t size) {
  for (size_t at = 0; at + 16 <= size; at++) {
    if (memcmp(data + at, "GCOL", 4) != 0) continue;
    uint64_t csize = le(data + at + 8, 8);
    if (csize > size - at) continue; /* runs past the file: HDF5 fails to read it */
    size_t end = at + (size_t)csize, p = at + 16;
    while (p < end) {
      if (end - p < 16) break; /* too small for an object header: free space */
      unsigned idx = (unsigned)le(data + p, 2);
      uint64_t osize = le(data + p + 8, 8);
      uint64_t need = idx > 0 ? 16 + ((osize + 7) & ~(uint64_t)7) : osize;
      if (osize > UINT64_MAX - 32 || need > end - p) return 1;
      if (need == 0) return 1; /* HDF5 would walk this object forever */
      p += (size_t)need;
    }
  }
  return 0;
}

#endif
