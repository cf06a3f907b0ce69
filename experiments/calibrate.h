/* `tradeoff calibrate`: measure real storage once, then emulate it. For an s3:// prefix
 * (through the real reader, io/s3client.h) or a directory on a mounted file system, it
 * measures the open/metadata latency per file (HEAD; open+fstat+close), the time to first
 * byte of small reads (its distribution), one connection's time per request over a range
 * of request sizes, the aggregate throughput at 1, 2, 4, ... concurrent readers until
 * it flattens, and at twice the plateau's readers the aggregate throughput at several request
 * sizes (the shared stage's per-request cost and rate); it fits the matching backend's model (s3 for s3://; efs, an NFS-style
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
  /* the shared stage all connections queue for (a link, or a server or client that
     serves one request at a time): aggregate throughput of shared_level readers (the
     level after the plateau's, or the plateau's when it is the last) at several request
     sizes; each throughput (levels too) the median of five windows */
  int shared_level;
  size_t n_shared;
  uint64_t shared_size[CALIB_SIZES];
  double shared_mb_s[CALIB_SIZES];
  bool shared_bound[CALIB_SIZES];  /* under 80% of what the connections alone allow: the
                                      shared stage limited it (the points fitted) */
  /* its fit over the bound points: each request holds it link_ms + b / (link_mb_s * 1e3) */
  double link_ms, link_mb_s, link_residual;
  size_t n_link;                   /* points fitted */
  bool link_fitted;                /* two bound points or more and a positive rate */
} calib_result;

/* A line y = a + b x fitted by least squares of the relative errors (weights 1/y^2, so
 * small requests' fixed cost counts as much as large ones' bandwidth); residual: the
 * RMS relative error of the fit. */
typedef struct {
  double a, b, residual;
} calib_line;

/* Fits a line to (x[i], y[i]), i < n: every x and y positive and finite, else TR_EINPUT
 * naming the point. A negative intercept is replaced by a_floor (>= 0) and the slope
 * refitted through it. With one point, or a slope that comes out <= 0, the line goes
 * through a_floor and the last point (b > 0 whenever that point's y exceeds a_floor). */
tr_err calib_fit_line(const double *x, const double *y, size_t n, double a_floor, calib_line *out);

/* Fits r's models from its measurements (size/size_ms, ttfb_ms, level/level_mb_s,
 * shared_*): first_byte_ms, mb_per_s, residual, bandwidth_fitted; plateau_mb_s,
 * plateau_level, flattened; shared_bound, link_ms, link_mb_s, link_residual, n_link,
 * link_fitted. TR_EINPUT naming the measurement that is out of range (a count beyond
 * the arrays, a size of 0, a time or throughput that is not positive and finite). */
tr_err calib_fit(calib_result *r);

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
