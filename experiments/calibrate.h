/* `tradeoff calibrate`: measure real storage once, then emulate it. For an s3:// prefix
 * (through the real reader, io/s3client.h) or a directory on a mounted file system, it
 * measures the open/metadata latency per file (HEAD; open+fstat+close), the time to first
 * byte of small reads (its distribution), one connection's time per request over a range
 * of request sizes, and the aggregate throughput at 1, 2, 4, ... concurrent readers until
 * it flattens; it fits the matching backend's model (s3 for s3://; efs, an NFS-style
 * client, or fsx for a directory) and writes a [storage] section with the fitted values,
 * the measurements, the residual of the fit and the date as comments. Bounded by a time
 * and a byte budget, so it never reads a whole data set. */
#ifndef TR_CALIBRATE_H
#define TR_CALIBRATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct {
  double seconds;        /* time budget of the measurements (> 0) */
  uint64_t max_bytes;    /* byte budget (> 0) */
  const char *backend;   /* the model to fit for a directory: "efs" or "fsx" (s3:// is s3) */
  int max_concurrency;   /* the largest reader count tried (>= 1) */
} calib_opts;

/* What was measured and fitted. Times in ms, rates in MB/s (10^6 bytes). */
#define CALIB_SIZES 6
#define CALIB_LEVELS 8
typedef struct {
  char target[1024], backend[8], date[32];
  size_t files;                    /* objects/files found (and used) */
  uint64_t bytes_read;
  double elapsed_s;
  double open_ms[4], ttfb_ms[4];   /* p10, p50, p90, p99 */
  size_t n_open, n_ttfb;
  size_t n_sizes;                  /* per-connection request sizes measured */
  uint64_t size[CALIB_SIZES];
  double size_ms[CALIB_SIZES];     /* median time of a request of size[i] */
  size_t n_levels;                 /* concurrency levels measured */
  int level[CALIB_LEVELS];
  double level_mb_s[CALIB_LEVELS]; /* aggregate throughput */
  /* the fit: time(request of b bytes) = first_byte_ms + b / (mb_per_s * 1e3) */
  double first_byte_ms, mb_per_s, residual; /* residual: RMS relative error of the fit */
  bool bandwidth_fitted;           /* requests of 1 MiB or more in two sizes or more */
  double plateau_mb_s;             /* the highest aggregate throughput */
  int plateau_level;
  bool flattened;          /* the throughput stopped rising before the levels, bytes or time ran out */
} calib_result;

/* NULL when o is usable, else a static message naming the option. */
const char *calib_check_opts(const calib_opts *o);

/* Measures target (s3://bucket/prefix or a directory) within o's budgets; progress
 * lines go to the log (stderr). TR_EINPUT naming target when it holds no readable
 * file, the S3 client's errors as they are. */
tr_err calib_run(const char *target, const calib_opts *o, calib_result *r);

/* The [storage] section of r (malloc'd text): the fitted keys of r->backend, the
 * measurements, the fit's residual and the date as ';' comments. */
char *calib_ini(const calib_result *r);

/* Writes calib_ini(r) to path atomically (common/atomic_file). */
tr_err calib_write(const calib_result *r, const char *path);
#endif
