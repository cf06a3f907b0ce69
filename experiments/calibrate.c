/* Storage calibration (see calibrate.h): a source of files (s3:// objects through the S3
 * client, or a directory's regular files with pread), four bounded measurement phases,
 * a least-squares fit of time per request against its size, and the [storage] text. */
#define _GNU_SOURCE
#include "experiments/calibrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/format.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/timer.h"
#include "io/s3client.h"
#include "io/storage.h"

/* ---- sources -------------------------------------------------------------------- */

typedef struct {
  char *name; /* key (s3) or path (directory) */
  uint64_t size;
  int fd;     /* directory: opened on first read */
  uint8_t *seen; /* pick_fresh's map of the blocks handed out (allocated on first pick) */
  unsigned block_shift; /* its block: 4 KiB, or larger so that a file has at most 2^16 */
} calib_file;

typedef struct {
  bool s3;
  char *bucket;
  s3c_client *c;
  calib_file *f;
  size_t n;
  pthread_mutex_t lock;
  bool all_seen; /* pick_fresh found no fresh range in 64 tries: the target is read */
} source;

static int cmp_file(const void *a, const void *b) {
  return strcmp(((const calib_file *)a)->name, ((const calib_file *)b)->name);
}

static void source_free(source *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->f[i].seen);
    if (s->f[i].fd >= 0) close(s->f[i].fd);
    free(s->f[i].name);
  }
  free(s->f);
  free(s->bucket);
  pthread_mutex_destroy(&s->lock);
}

static tr_err source_open(const char *target, int connections, source *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  tr_err rc = TR_OK;
  if (s3c_is_url(target)) {
    char *key = NULL;
    s3c_object *objs = NULL;
    size_t n = 0;
    s->s3 = true;
    if ((rc = s3c_parse_url(target, &s->bucket, &key)) != TR_OK) return rc;
    s3c_options o = {.connections = connections};
    s3c_configure(&o);
    if (!(s->c = s3c_shared())) rc = tr_error_code();
    if (rc == TR_OK) rc = s3c_list(s->c, s->bucket, key, &objs, &n);
    free(key);
    if (rc == TR_OK && !(s->f = calloc(n ? n : 1, sizeof *s->f))) rc = tr_error_set(TR_ENOMEM, target, "out of memory");
    for (size_t i = 0; rc == TR_OK && i < n; i++) {
      if (objs[i].size == 0) continue;
      s->f[s->n++] = (calib_file){objs[i].key, objs[i].size, -1};
      objs[i].key = NULL;
    }
    s3c_free_objects(&objs, n);
  } else {
    DIR *d = opendir(target);
    if (!d) return tr_error_set(errno == ENOENT ? TR_EINPUT : TR_EIO, target, "cannot open directory: %s", strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    while (rc == TR_OK && (e = readdir(d))) {
      char *p = NULL;
      struct stat st;
      if (e->d_name[0] == '.' || asprintf(&p, "%s/%s", target, e->d_name) < 0) continue;
      if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        free(p);
        continue;
      }
      if (s->n == cap) {
        calib_file *g = realloc(s->f, (cap = cap ? 2 * cap : 64) * sizeof *g);
        if (!g) {
          free(p);
          rc = tr_error_set(TR_ENOMEM, target, "out of memory");
          break;
        }
        s->f = g;
      }
      s->f[s->n++] = (calib_file){p, (uint64_t)st.st_size, -1};
    }
    closedir(d);
  }
  if (rc == TR_OK && s->n == 0) rc = tr_error_set(TR_EINPUT, target, "holds no non-empty file to measure");
  if (rc == TR_OK) qsort(s->f, s->n, sizeof *s->f, cmp_file);
  return rc;
}

/* Reads n bytes at off of file i; *ttfb_s the time to its first byte (s3: curl's; a
 * directory: the whole read, as a file system answers at once or not). Returns the
 * time the read took, negative on error (recorded). */
static double source_read(source *s, size_t i, uint64_t off, size_t n, void *buf, double *ttfb_s) {
  calib_file *f = &s->f[i];
  double t0 = tr_now();
  if (s->s3) {
    s3c_result r = {0};
    if (s3c_get(s->c, s->bucket, f->name, off, n, buf, &r) != TR_OK) return -1;
    if (ttfb_s) *ttfb_s = r.ttfb_s;
    return tr_now() - t0;
  }
  pthread_mutex_lock(&s->lock);
  if (f->fd < 0) f->fd = open(f->name, O_RDONLY | O_CLOEXEC);
  int fd = f->fd;
  pthread_mutex_unlock(&s->lock);
  if (fd < 0) {
    tr_error_set(TR_EIO, f->name, "cannot open: %s", strerror(errno));
    return -1;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t got = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      tr_error_set(TR_EIO, f->name, "read failed: %s", got < 0 ? strerror(errno) : "end of file");
      return -1;
    }
    done += (size_t)got;
  }
  double dt = tr_now() - t0;
  if (ttfb_s) *ttfb_s = dt;
  return dt;
}

/* The open/metadata cost of file i: a HEAD, or open + fstat + close. */
static double source_open_cost(source *s, size_t i) {
  double t0 = tr_now();
  if (s->s3) {
    uint64_t size = 0;
    double dt = 0;
    return s3c_head_timed(s->c, s->bucket, s->f[i].name, &size, &dt) == TR_OK ? dt : -1;
  }
  int fd = open(s->f[i].name, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    tr_error_set(TR_EIO, s->f[i].name, "cannot open: %s", strerror(errno));
    return -1;
  }
  close(fd);
  return tr_now() - t0;
}

/* "64 KiB", "4 MiB", "1234 B" into buf. */
static const char *size_text(uint64_t b, char buf[32]) {
  if (b >= (1u << 20) && b % (1u << 20) == 0) snprintf(buf, 32, "%llu MiB", (unsigned long long)(b >> 20));
  else if (b >= 1024 && b % 1024 == 0) snprintf(buf, 32, "%llu KiB", (unsigned long long)(b >> 10));
  else if (b >= (1u << 20)) snprintf(buf, 32, "%.1f MiB", (double)b / 1048576.0);
  else snprintf(buf, 32, "%llu B", (unsigned long long)b);
  return buf;
}

/* ---- statistics ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* p10, p50, p90, p99 of v[0..n) in ms (v in seconds; sorted in place). */
static void percentiles(double *v, size_t n, double out[4]) {
  static const double q[4] = {0.10, 0.50, 0.90, 0.99};
  if (n == 0) {
    for (int k = 0; k < 4; k++) out[k] = NAN;
    return;
  }
  qsort(v, n, sizeof *v, cmp_double);
  for (int k = 0; k < 4; k++) {
    double pos = q[k] * (double)(n - 1);
    size_t lo = (size_t)pos, hi = lo + 1 < n ? lo + 1 : lo;
    out[k] = 1000.0 * (v[lo] + (pos - (double)lo) * (v[hi] - v[lo]));
  }
}

static double median_s(double *v, size_t n) {
  double p[4];
  percentiles(v, n, p);
  return p[1] / 1000.0;
}

/* Whether the throughputs mb[0..n) of levels 1, 2, 4, ... have flattened: under 10%
 * more than the best so far, twice in a row (one noisy level on a shared machine does
 * not end it). *best: the index of the highest (when not NULL). */
static bool levels_flat(const double *mb, size_t n, size_t *best) {
  size_t b = 0;
  int flat = 0;
  for (size_t k = 0; k < n; k++) {
    if (k > 0 && mb[k] < 1.10 * mb[b]) flat++;
    else if (k > 0) flat = 0;
    if (mb[k] > mb[b]) b = k;
    if (flat >= 2) break;
  }
  if (best) *best = b;
  return flat >= 2;
}

static bool positive(double v) { return v > 0 && isfinite(v); }

tr_err calib_fit_line(const double *x, const double *y, size_t n, double a_floor, calib_line *out) {
  *out = (calib_line){0, 0, 0};
  if (n == 0) return tr_error_set(TR_EINPUT, "calibrate", "no measurement to fit");
  if (!(a_floor >= 0) || !isfinite(a_floor)) return tr_error_set(TR_EINPUT, "calibrate", "the intercept's floor must be >= 0");
  for (size_t k = 0; k < n; k++)
    if (!positive(x[k]) || !positive(y[k]))
      return tr_error_set(TR_EINPUT, "calibrate", "measurement %zu: (%g, %g) is not positive and finite", k, x[k], y[k]);
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t k = 0; k < n; k++) {
    double w = 1.0 / (y[k] * y[k]);
    sw += w, sx += w * x[k], sy += w * y[k], sxx += w * x[k] * x[k], sxy += w * x[k] * y[k];
  }
  double den = sw * sxx - sx * sx, b = n >= 2 && den > 1e-12 * sw * sxx ? (sw * sxy - sx * sy) / den : 0;
  double a = (sy - b * sx) / sw;
  if (n < 2 || !(b > 0)) { /* one point, or noise: through the floor and the last point */
    a = a_floor;
    b = y[n - 1] > a ? (y[n - 1] - a) / x[n - 1] : 0;
  } else if (a < 0) { /* a negative intercept: the slope refitted through the floor */
    a = a_floor;
    double num = 0, dd = 0;
    for (size_t k = 0; k < n; k++) {
      double w = 1.0 / (y[k] * y[k]);
      num += w * x[k] * (y[k] - a), dd += w * x[k] * x[k];
    }
    b = num > 0 ? num / dd : 0;
  }
  double se = 0;
  for (size_t k = 0; k < n; k++) {
    double f = a + b * x[k], e = (f - y[k]) / y[k];
    se += e * e;
  }
  *out = (calib_line){a, b, sqrt(se / (double)n)};
  return TR_OK;
}

tr_err calib_fit(calib_result *r) {
  if (r->n_sizes == 0 || r->n_sizes > CALIB_SIZES || r->n_levels > CALIB_LEVELS || r->n_shared > CALIB_SIZES)
    return tr_error_set(TR_EINPUT, "calibrate", "measurement counts out of range (%zu sizes, %zu levels, %zu shared)",
                        r->n_sizes, r->n_levels, r->n_shared);
  double x[CALIB_SIZES], y[CALIB_SIZES];
  for (size_t k = 0; k < r->n_sizes; k++) x[k] = (double)r->size[k], y[k] = r->size_ms[k] / 1000.0;
  double ttfb = isfinite(r->ttfb_ms[1]) && r->ttfb_ms[1] > 0 ? r->ttfb_ms[1] / 1000.0 : 0;
  calib_line one;
  tr_err rc = calib_fit_line(x, y, r->n_sizes, ttfb, &one);
  if (rc != TR_OK) return rc;
  if (!(one.b > 0)) one.b = 1e-12; /* no time per byte measurable: a rate beyond any link */
  r->first_byte_ms = 1000.0 * one.a;
  r->mb_per_s = 1.0 / one.b / 1e6;
  r->residual = one.residual;
  r->bandwidth_fitted = r->n_sizes >= 2 && r->size[r->n_sizes - 1] >= (1u << 20) && one.b > 1e-12;
  for (size_t k = 0; k < r->n_levels; k++)
    if (r->level[k] < 1 || !positive(r->level_mb_s[k]))
      return tr_error_set(TR_EINPUT, "calibrate", "level %zu: %d readers at %g MB/s", k, r->level[k], r->level_mb_s[k]);
  size_t best = 0;
  r->flattened = levels_flat(r->level_mb_s, r->n_levels, &best);
  r->plateau_mb_s = r->n_levels ? r->level_mb_s[best] : 0;
  r->plateau_level = r->n_levels ? r->level[best] : 0;
  /* the shared stage: the points the connections alone would have served faster (under
     80% of shared_level connections' throughput by the fit above) */
  r->link_fitted = false;
  r->link_ms = r->link_mb_s = r->link_residual = 0;
  r->n_link = 0;
  if (r->n_shared && r->shared_level < 1)
    return tr_error_set(TR_EINPUT, "calibrate", "the shared stage's level %d is not positive", r->shared_level);
  for (size_t k = 0; k < r->n_shared; k++) {
    if (r->shared_size[k] == 0 || !positive(r->shared_mb_s[k]))
      return tr_error_set(TR_EINPUT, "calibrate", "shared stage point %zu: %llu bytes at %g MB/s", k,
                          (unsigned long long)r->shared_size[k], r->shared_mb_s[k]);
    double b = (double)r->shared_size[k];
    double conns = (double)r->shared_level * b / (one.a + one.b * b) / 1e6; /* MB/s */
    r->shared_bound[k] = r->shared_mb_s[k] < 0.8 * conns;
    if (r->shared_bound[k]) {
      x[r->n_link] = b;
      y[r->n_link++] = b / (r->shared_mb_s[k] * 1e6); /* seconds a request holds the stage */
    }
  }
  if (r->n_link >= 2) {
    calib_line sh;
    if ((rc = calib_fit_line(x, y, r->n_link, 0, &sh)) != TR_OK) return rc;
    if (sh.b > 0) {
      r->link_fitted = true;
      r->link_ms = 1000.0 * sh.a;
      r->link_mb_s = 1.0 / sh.b / 1e6;
      r->link_residual = sh.residual;
    }
  }
  return TR_OK;
}

/* A random file of at least want bytes (the largest when none is), and an offset in it
 * (4 KiB aligned) for a read of min(want, size) bytes. */
static size_t pick(const source *s, rng_t *g, uint64_t want, uint64_t *off, size_t *n) {
  size_t i = 0, tries = 0;
  do {
    i = (size_t)rng_below(g, s->n);
  } while (s->f[i].size < want && ++tries < 64);
  if (s->f[i].size < want) /* the largest file */
    for (size_t k = 0; k < s->n; k++)
      if (s->f[k].size > s->f[i].size) i = k;
  uint64_t len = want < s->f[i].size ? want : s->f[i].size;
  uint64_t room = (s->f[i].size - len) / 4096;
  *off = room ? rng_below(g, room + 1) * 4096 : 0;
  *n = (size_t)len;
  return i;
}

/* Whether any block of [off, off + len) of f was handed out; marks them (mark). */
static bool seen_range(calib_file *f, uint64_t off, uint64_t len, bool mark) {
  for (uint64_t b = off >> f->block_shift; b <= (off + len - 1) >> f->block_shift; b++) {
    uint8_t bit = (uint8_t)(1u << (b & 7));
    if (!mark && (f->seen[b >> 3] & bit)) return true;
    if (mark) f->seen[b >> 3] |= bit;
  }
  return false;
}

/* As pick, but a range none of whose blocks an earlier pick_fresh handed out (up to 64
 * tries, then any): while the target holds more than the calibration reads, each byte
 * is read once, at a random place, so neither a client's cache (the page cache, an NFS
 * client's) nor its readahead of a sequential stream stands in for the storage. Once
 * 64 tries find none, the target is read and every later pick is plain (no lock, so a
 * fast cached target's readers do not queue for the map). Thread-safe (the source's
 * lock); NULL map on out of memory: plain pick. */
static size_t pick_fresh(source *s, rng_t *g, uint64_t want, uint64_t *off, size_t *n) {
  pthread_mutex_lock(&s->lock);
  bool all_seen = s->all_seen;
  pthread_mutex_unlock(&s->lock);
  if (all_seen) return pick(s, g, want, off, n);
  pthread_mutex_lock(&s->lock);
  size_t i = 0;
  int tries = 0;
  for (; tries < 64; tries++) {
    i = pick(s, g, want, off, n);
    calib_file *f = &s->f[i];
    if (!f->seen) {
      f->block_shift = 12;
      while ((f->size >> f->block_shift) >= (1u << 16)) f->block_shift++;
      f->seen = calloc(((f->size >> f->block_shift) >> 3) + 1, 1);
      if (!f->seen) break;
    }
    if (!seen_range(f, *off, *n, false)) {
      seen_range(f, *off, *n, true);
      break;
    }
  }
  if (tries == 64) s->all_seen = true;
  pthread_mutex_unlock(&s->lock);
  return i;
}

/* ---- concurrency ---------------------------------------------------------------- */

typedef struct {
  source *s;
  uint64_t size, seed;
  double until;
  uint64_t bytes, byte_cap;
  bool failed;
  tr_error err;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  rng_t g;
  rng_seed(&g, w->seed);
  unsigned char *buf = malloc(w->size);
  if (!buf) {
    w->failed = true;
    tr_error_set(TR_ENOMEM, "calibrate", "out of memory");
    tr_error_save(&w->err);
    return NULL;
  }
  while (tr_now() < w->until && w->bytes < w->byte_cap) {
    uint64_t off;
    size_t n;
    size_t i = pick_fresh(w->s, &g, w->size, &off, &n);
    if (source_read(w->s, i, off, n, buf, NULL) < 0) {
      w->failed = true;
      tr_error_save(&w->err);
      break;
    }
    w->bytes += n;
  }
  free(buf);
  return NULL;
}

/* Aggregate MB/s of k readers of `size`-byte requests for `seconds`. */
static tr_err level_run(source *s, int k, uint64_t size, double seconds, uint64_t byte_cap,
                        double *mb_s, uint64_t *bytes) {
  worker *w = calloc((size_t)k, sizeof *w);
  pthread_t *t = calloc((size_t)k, sizeof *t);
  if (!w || !t) {
    free(w);
    free(t);
    return tr_error_set(TR_ENOMEM, "calibrate", "out of memory");
  }
  double t0 = tr_now();
  int started = 0;
  for (int i = 0; i < k; i++) {
    w[i] = (worker){.s = s, .size = size, .seed = 0xCA1Bu + (uint64_t)i * 7919u + (uint64_t)k,
                    .until = t0 + seconds, .byte_cap = byte_cap / (uint64_t)k + 1};
    if (pthread_create(&t[i], NULL, worker_main, &w[i]) != 0) break;
    started++;
  }
  for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
  double dt = tr_now() - t0;
  tr_err rc = started < k ? tr_error_set(TR_EIO, "calibrate", "cannot start %d threads", k) : TR_OK;
  uint64_t total = 0;
  for (int i = 0; i < started; i++) {
    total += w[i].bytes;
    if (rc == TR_OK && w[i].failed) rc = tr_error_restore(&w[i].err);
  }
  *mb_s = dt > 0 ? (double)total / 1e6 / dt : 0;
  *bytes = total;
  free(w);
  free(t);
  return rc;
}

/* The median of CALIB_WINDOWS runs of level_run, each a fifth of the time and bytes: the
 * target's typical throughput (a server's own swings, its garbage collection or a cache
 * warming, are what a job sees too; the best window would promise its luckiest moment);
 * *bytes all read. */
#define CALIB_WINDOWS 5
static tr_err level_median(source *s, int k, uint64_t size, double seconds, uint64_t byte_cap,
                           double *mb_s, uint64_t *bytes) {
  double v[CALIB_WINDOWS];
  size_t n = 0;
  *mb_s = 0;
  *bytes = 0;
  for (int w = 0; w < CALIB_WINDOWS && (w == 0 || *bytes < byte_cap); w++) {
    uint64_t got = 0, left = byte_cap > *bytes ? byte_cap - *bytes : 0;
    tr_err rc = level_run(s, k, size, seconds / CALIB_WINDOWS, left / (uint64_t)(CALIB_WINDOWS - w) + 1, &v[n], &got);
    if (rc != TR_OK) return rc;
    *bytes += got;
    n++;
  }
  *mb_s = median_s(v, n); /* in v's units */
  return TR_OK;
}

/* ---- the run -------------------------------------------------------------------- */

const char *calib_check_opts(const calib_opts *o) {
  if (!(o->seconds > 0) || !isfinite(o->seconds)) return "--seconds must be a positive number";
  if (o->max_bytes == 0) return "--bytes must be positive";
  if (o->max_concurrency < 1) return "--max-concurrency must be at least 1";
  if (o->backend && strcmp(o->backend, "efs") && strcmp(o->backend, "fsx") && strcmp(o->backend, "s3"))
    return "--backend must be efs or fsx for a directory";
  return NULL;
}

tr_err calib_run(const char *target, const calib_opts *o, calib_result *r) {
  memset(r, 0, sizeof *r);
  const char *bad = calib_check_opts(o);
  if (bad) return tr_error_set(TR_EUSAGE, "calibrate", "%s", bad);
  snprintf(r->target, sizeof r->target, "%s", target);
  bool s3 = s3c_is_url(target);
  if (s3 && o->backend && strcmp(o->backend, "s3"))
    return tr_error_set(TR_EUSAGE, "calibrate", "an s3:// target calibrates the s3 model, not %s", o->backend);
  if (!s3 && o->backend && !strcmp(o->backend, "s3"))
    return tr_error_set(TR_EUSAGE, "calibrate", "--backend must be efs or fsx for a directory (s3 is for s3:// targets)");
  snprintf(r->backend, sizeof r->backend, "%s", s3 ? "s3" : o->backend ? o->backend : "efs");
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(r->date, sizeof r->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  source s;
  tr_err rc = source_open(target, o->max_concurrency > 10 ? o->max_concurrency : 10, &s);
  if (rc != TR_OK) {
    source_free(&s);
    return rc;
  }
  r->files = s.n;
  double t_start = tr_now(), budget = o->seconds;
  uint64_t max_size = 0;
  for (size_t i = 0; i < s.n; i++)
    if (s.f[i].size > max_size) max_size = s.f[i].size;
  rng_t g;
  rng_seed(&g, 0xCA11B8A7Eu);
  char sb[32];
  size_t cap_samples = 4096;
  double *v = malloc(cap_samples * sizeof *v);
  unsigned char *buf = malloc(64u << 20);
  if (!v || !buf) rc = tr_error_set(TR_ENOMEM, "calibrate", "out of memory");

  /* 1. open/metadata latency per file (10% of the time, at most 200 files) */
  double until = t_start + 0.10 * budget;
  for (size_t k = 0; rc == TR_OK && k < s.n && k < 200 && tr_now() < until; k++) {
    double dt = source_open_cost(&s, k);
    if (dt < 0) rc = tr_error_code();
    else v[r->n_open++] = dt;
  }
  if (rc == TR_OK) percentiles(v, r->n_open, r->open_ms);
  if (rc == TR_OK)
    log_info("calibrate: %zu files; open/metadata p50 %.3f ms (%zu files)", s.n, r->open_ms[1], r->n_open);

  /* 2. time to first byte of 4 KiB reads on one connection (15%, at most 1000) */
  until = tr_now() + 0.15 * budget;
  while (rc == TR_OK && r->n_ttfb < 1000 && tr_now() < until && r->bytes_read < o->max_bytes) {
    uint64_t off;
    size_t n;
    size_t i = pick(&s, &g, 4096, &off, &n);
    double ttfb = 0;
    if (source_read(&s, i, off, n, buf, &ttfb) < 0) rc = tr_error_code();
    else v[r->n_ttfb++] = ttfb;
    r->bytes_read += n;
  }
  if (rc == TR_OK) percentiles(v, r->n_ttfb, r->ttfb_ms);
  if (rc == TR_OK)
    log_info("calibrate: time to first byte p10 %.3f p50 %.3f p90 %.3f p99 %.3f ms (%zu reads)",
             r->ttfb_ms[0], r->ttfb_ms[1], r->ttfb_ms[2], r->ttfb_ms[3], r->n_ttfb);

  /* 3. one connection's time per request, 64 KiB .. 32 MiB (35%) */
  static const uint64_t sizes[CALIB_SIZES] = {64u << 10, 256u << 10, 1u << 20, 4u << 20, 16u << 20, 32u << 20};
  double phase_end = tr_now() + 0.35 * budget;
  uint64_t phase_bytes = (o->max_bytes - (r->bytes_read < o->max_bytes ? r->bytes_read : o->max_bytes)) / 2;
  for (size_t k = 0; rc == TR_OK && k < CALIB_SIZES; k++) {
    uint64_t want = sizes[k] < max_size ? sizes[k] : max_size;
    if (k > 0 && want <= r->size[r->n_sizes - 1]) break; /* the files are smaller */
    double slice_end = tr_now() + (phase_end - tr_now()) / (double)(CALIB_SIZES - k);
    size_t m = 0;
    uint64_t used = 0;
    while (rc == TR_OK && m < 200 && (m < 3 || tr_now() < slice_end) &&
           used + want <= phase_bytes / CALIB_SIZES + want) {
      uint64_t off;
      size_t n;
      size_t i = pick_fresh(&s, &g, want, &off, &n);
      double dt = source_read(&s, i, off, n, buf, NULL);
      if (dt < 0) rc = tr_error_code();
      else v[m++] = dt;
      used += n;
    }
    if (rc != TR_OK || m == 0) break;
    r->bytes_read += used;
    r->size[r->n_sizes] = want;
    r->size_ms[r->n_sizes++] = 1000.0 * median_s(v, m);
    log_info("calibrate: one connection, %s requests: %.3f ms (%.1f MB/s, %zu requests)",
             size_text(want, sb), r->size_ms[r->n_sizes - 1],
             (double)want / 1e3 / r->size_ms[r->n_sizes - 1], m);
  }
  /* 4. aggregate throughput at 1, 2, 4, ... readers until it flattens (until 80% of
     the budget) */
  uint64_t level_size = r->n_sizes ? r->size[r->n_sizes > 4 ? 3 : r->n_sizes - 1] : 4096;
  double levels_end = t_start + 0.80 * budget;
  for (int k = 1; rc == TR_OK && k <= o->max_concurrency && r->n_levels < CALIB_LEVELS; k *= 2) {
    if (k > 1 && r->bytes_read >= o->max_bytes / 10 * 7) break; /* the rest is the shared stage's */
    double left = levels_end - tr_now();
    int levels_left = 0;
    for (int q = k; q <= o->max_concurrency && levels_left < CALIB_LEVELS - (int)r->n_levels; q *= 2) levels_left++;
    double slice = left / (levels_left ? levels_left : 1);
    if (slice < 0.2) slice = 0.2;
    uint64_t levels_bytes = o->max_bytes / 10 * 7;
    uint64_t cap = levels_bytes > r->bytes_read ? (levels_bytes - r->bytes_read) / (uint64_t)levels_left : level_size;
    double mb_s = 0;
    uint64_t got = 0;
    rc = level_median(&s, k, level_size, slice, cap, &mb_s, &got);
    if (rc != TR_OK) break;
    r->bytes_read += got;
    r->level[r->n_levels] = k;
    r->level_mb_s[r->n_levels++] = mb_s;
    log_info("calibrate: %d reader%s of %s: %.1f MB/s", k, k == 1 ? "" : "s", size_text(level_size, sb), mb_s);
    if (levels_flat(r->level_mb_s, r->n_levels, NULL)) break;
  }

  /* 5. the shared stage: the level after the plateau's (more connections than it
     needs; the plateau's own when it is the last level, or when that level lost more
     than 20%: an overloaded server or client, not the stage's rate) at each request
     size under the levels' (the rest of the budget); the levels' own size is that
     level's measurement */
  if (rc == TR_OK && r->n_levels > 0) {
    size_t top = 0, at;
    levels_flat(r->level_mb_s, r->n_levels, &top);
    at = top + 1 < r->n_levels && r->level_mb_s[top + 1] >= 0.8 * r->level_mb_s[top] ? top + 1 : top;
    int k = r->level[at];
    r->shared_level = k;
    size_t n_sh = 0;
    for (size_t q = 0; q < r->n_sizes && r->size[q] < level_size; q++) n_sh++;
    for (size_t q = 0; rc == TR_OK && q < n_sh; q++) {
      if (r->bytes_read >= o->max_bytes) break; /* the byte budget is spent */
      double slice = (t_start + budget - tr_now()) / (double)(n_sh - q);
      if (slice < 0.2) slice = 0.2;
      uint64_t cap = o->max_bytes > r->bytes_read ? (o->max_bytes - r->bytes_read) / (uint64_t)(n_sh - q) : r->size[q];
      double mb_s = 0;
      uint64_t got = 0;
      rc = level_median(&s, k, r->size[q], slice, cap, &mb_s, &got);
      if (rc != TR_OK || !(mb_s > 0)) break;
      r->bytes_read += got;
      r->shared_size[r->n_shared] = r->size[q];
      r->shared_mb_s[r->n_shared++] = mb_s;
      log_info("calibrate: %d reader%s of %s: %.1f MB/s", k, k == 1 ? "" : "s", size_text(r->size[q], sb), mb_s);
    }
    if (rc == TR_OK && r->n_shared < CALIB_SIZES) {
      r->shared_size[r->n_shared] = level_size;
      r->shared_mb_s[r->n_shared++] = r->level_mb_s[at];
    }
  }
  if (rc == TR_OK && r->n_sizes == 0) rc = tr_error_set(TR_EIO, target, "no request could be timed within the budgets");
  if (rc == TR_OK) rc = calib_fit(r);
  if (rc == TR_OK && r->link_fitted)
    log_info("calibrate: shared stage at %d readers: %.3f ms + bytes / %.1f MB/s per request (residual %.1f%%)",
             r->shared_level, r->link_ms, r->link_mb_s, 100.0 * r->link_residual);
  r->elapsed_s = tr_now() - t_start;
  free(v);
  free(buf);
  source_free(&s);
  return rc;
}

/* ---- the [storage] text ----------------------------------------------------------- */

/* The backend's option whose key ends in suffix ("open_ms"), or NULL. */
static const char *backend_key(const char *backend, const char *suffix) {
  int i = stg_backend_index(backend);
  if (i < 0) return NULL;
  cfg_table t = stg_backend_options((size_t)i);
  size_t sl = strlen(suffix);
  for (size_t k = 0; k < t.n; k++) {
    size_t kl = strlen(t.opts[k].key);
    if (kl > sl && !strcmp(t.opts[k].key + kl - sl, suffix)) return t.opts[k].key;
  }
  return NULL;
}

char *calib_ini(const calib_result *r) {
  size_t cap = 8192, len = 0;
  char sb[32];
  char *t = malloc(cap);
  if (!t) return tr_check_alloc(NULL, "calibrate");
  t[0] = '\0';
  char target[sizeof r->target]; /* one comment line, whatever the path holds */
  snprintf(target, sizeof target, "%s", r->target);
  for (char *c = target; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  fmt_append(t, cap, &len, "; tradeoff calibrate %s, %s\n", target, r->date);
  fmt_append(t, cap, &len, "; %zu files, %s read in %.1f s\n", r->files, size_text(r->bytes_read, sb), r->elapsed_s);
  fmt_append(t, cap, &len, "; open/metadata ms: p10 %.3f p50 %.3f p90 %.3f p99 %.3f (%zu files)\n",
             r->open_ms[0], r->open_ms[1], r->open_ms[2], r->open_ms[3], r->n_open);
  fmt_append(t, cap, &len, "; time to first byte ms: p10 %.3f p50 %.3f p90 %.3f p99 %.3f (%zu reads of 4 KiB)\n",
             r->ttfb_ms[0], r->ttfb_ms[1], r->ttfb_ms[2], r->ttfb_ms[3], r->n_ttfb);
  for (size_t k = 0; k < r->n_sizes; k++)
    fmt_append(t, cap, &len, "; one connection, %s: %.3f ms (%.1f MB/s), the fit %.3f ms\n",
               size_text(r->size[k], sb), r->size_ms[k], (double)r->size[k] / 1e3 / r->size_ms[k],
               r->first_byte_ms + (double)r->size[k] / 1e3 / r->mb_per_s);
  for (size_t k = 0; k < r->n_levels; k++)
    fmt_append(t, cap, &len, "; %d concurrent: %.1f MB/s\n", r->level[k], r->level_mb_s[k]);
  for (size_t k = 0; k < r->n_shared; k++) {
    double b = (double)r->shared_size[k], conns = r->shared_level * b / (r->first_byte_ms * 1e3 + b / r->mb_per_s);
    double model = r->link_fitted ? b / (r->link_ms * 1e3 + b / r->link_mb_s) : conns;
    fmt_append(t, cap, &len, "; %d concurrent, %s: %.1f MB/s, limited by %s; the model %.1f MB/s\n", r->shared_level,
               size_text(r->shared_size[k], sb), r->shared_mb_s[k],
               r->shared_bound[k] ? "the shared stage" : "the connections", model < conns ? model : conns);
  }
  fmt_append(t, cap, &len,
             "; fit: time = %.3f ms + bytes / %.1f MB/s, residual %.1f%% (RMS relative, %zu sizes); "
             "plateau %.1f MB/s at %d readers\n",
             r->first_byte_ms, r->mb_per_s, 100.0 * r->residual, r->n_sizes, r->plateau_mb_s, r->plateau_level);
  if (r->link_fitted)
    fmt_append(t, cap, &len,
               "; shared stage fit: each request holds it %.3f ms + bytes / %.1f MB/s, residual %.1f%% "
               "(%zu sizes at %d readers)\n",
               r->link_ms, r->link_mb_s, 100.0 * r->link_residual, r->n_link, r->shared_level);
  else
    fmt_append(t, cap, &len,
               "; shared stage: no per-request cost fitted (%zu of %zu sizes at %d readers limited by it; two "
               "are needed): the plateau stands for its rate\n",
               r->n_link, r->n_shared, r->shared_level);
  /* the shared stage's rate and per-request cost: fitted, else the plateau and 0 */
  double link_mb_s = r->link_fitted ? r->link_mb_s : r->plateau_mb_s, link_ms = r->link_fitted ? r->link_ms : 0;
  const char *rate_note = r->link_fitted ? "  ; fitted: the shared stage's rate"
                          : r->flattened ? "  ; measured: the plateau"
                                         : "  ; a lower bound: still rising at the last level measured";
  const char *cost_note = r->link_fitted ? "  ; fitted: the shared stage's per-request cost"
                                         : "  ; assumed: not measurable here (see the shared stage above)";
  const char *intercept_note = "  ; fitted: one-connection intercept", *open_note = "  ; measured: open p50";
  fmt_append(t, cap, &len, "[storage]\nbackend = %s\n", r->backend);
  if (!strcmp(r->backend, "s3")) {
    fmt_append(t, cap, &len, "s3.first_byte_ms = %.4g%s\n", r->first_byte_ms, intercept_note);
    if (r->bandwidth_fitted)
      fmt_append(t, cap, &len, "s3.mb_per_s_per_connection = %.4g  ; fitted: one-connection rate\n", r->mb_per_s);
    else fmt_append(t, cap, &len, "; s3.mb_per_s_per_connection: the objects are too small to show it (the default stands)\n");
    fmt_append(t, cap, &len, "s3.instance_gbps = %.4g%s\n", link_mb_s * 8 / 1000.0, rate_note);
    fmt_append(t, cap, &len, "s3.link_ms_per_request = %.4g%s\n", link_ms, cost_note);
    /* the real reader GETs keys from its listing: no HEAD per epoch to emulate */
    fmt_append(t, cap, &len,
               "s3.open_ms = 0  ; the real reader GETs by key from its listing; a FUSE mount's HEAD: %.4g "
               "(measured p50)\n",
               r->open_ms[1]);
  } else if (!strcmp(r->backend, "efs")) {
    /* the model has no per-reader rate: one reader's time is latency + the client
       link's (cost + bytes / rate), so the latency is what the fit's intercept leaves */
    double lat = r->first_byte_ms - link_ms;
    fmt_append(t, cap, &len, "efs.mode = elastic  ; assumed (the mode is not measurable from a client)\n");
    fmt_append(t, cap, &len, "efs.latency_ms = %.4g%s\n", lat > 0 ? lat : 0,
               link_ms > 0 ? "  ; the one-reader intercept less the shared per-request cost" : intercept_note);
    fmt_append(t, cap, &len, "efs.per_client_mib_s = %.4g%s\n", link_mb_s * 1e6 / 1048576.0, rate_note);
    fmt_append(t, cap, &len, "efs.client_ms_per_request = %.4g%s\n", link_ms, cost_note);
    fmt_append(t, cap, &len, "efs.open_ms = %.4g%s\n", r->open_ms[1], open_note);
  } else {
    fmt_append(t, cap, &len, "fsx.latency_ms = %.4g%s\n", r->first_byte_ms, intercept_note);
    fmt_append(t, cap, &len, "fsx.capacity_tib = 1.2  ; assumed: set your file system's; it only scales the next key\n");
    fmt_append(t, cap, &len, "fsx.mb_per_s_per_tib = %.4g  ; the measured plateau / capacity_tib: keep their product%s\n",
               r->plateau_mb_s / 1.2, r->flattened ? "" : " (a lower bound: still rising)");
    fmt_append(t, cap, &len, "fsx.preload = true  ; the files are on the file system already\n");
    const char *open_key = backend_key(r->backend, "open_ms");
    if (!open_key) open_key = backend_key(r->backend, "metadata_ms");
    if (open_key) fmt_append(t, cap, &len, "%s = %.4g%s\n", open_key, r->open_ms[1], open_note);
  }
  if (strcmp(r->backend, "s3"))
    fmt_append(t, cap, &len,
               "; the emulation reads the bytes from local files and sleeps the rest of the modelled time: it cannot\n"
               "; be faster than that local copy (a page-cached directory measured here may be)\n");
  return t;
}

tr_err calib_write(const calib_result *r, const char *path) {
  char *text = calib_ini(r);
  if (!text) return tr_error_code();
  tr_atomic a = {0};
  tr_err rc = tr_atomic_open(&a, path);
  if (rc == TR_OK) {
    fputs(text, a.fp);
    rc = tr_atomic_commit(&a);
  }
  free(text);
  return rc;
}
