/* The storage wrappers (SQLite os.c style): lookups in the registry of backends, the one
 * place where reads are counted, faults injected, short reads completed, failed reads
 * retried and the clock applied (a timed sleep on the real clock, a returned time on the
 * virtual one), the bill, and the small queueing primitives (link, token bucket,
 * connection pool) the backend models are built from. */
#define _GNU_SOURCE
#include "io/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/format.h"
#include "common/rng.h"
#include "common/timer.h"
#include "io/storage_backend.h"

extern const struct storage_ops *const stg_registry[];
extern const size_t stg_registry_count;

struct stg {
  const struct storage_ops *ops;
  stg_params p;
  stg_env env;
  void *model;
  int max_attempts;      /* of a failed read (ops->retry, once: it never changes) */
  double backoff_s;
  bool virtual_clock;
  double t0;
  pthread_mutex_t lock;  /* model, counters, fault state */
  stg_counters c;
  rng_t fault_rng;
  long calls;
  size_t next_id;
  uint64_t epoch;        /* stg_begin_epoch's count, from 1 */
  const volatile sig_atomic_t *stop;  /* a stop request the waits watch, or NULL */
};

size_t stg_backend_count(void) { return stg_registry_count; }
const char *stg_backend_name(size_t i) { return stg_registry[i]->name; }

int stg_backend_index(const char *name) {
  for (size_t i = 0; i < stg_registry_count; i++)
    if (!strcmp(stg_registry[i]->name, name)) return (int)i;
  return -1;
}

const struct storage_ops *stg_find(const char *name) {
  int i = stg_backend_index(name);
  return i < 0 ? NULL : stg_registry[i];
}

static char names_text[256];

static void build_names(void) {
  size_t len = 0;
  for (size_t i = 0; i < stg_registry_count; i++)
    fmt_append(names_text, sizeof names_text, &len, "%s%s", i ? "|" : "", stg_registry[i]->name);
}

const char *stg_names(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, build_names);
  return names_text;
}

cfg_table stg_backend_options(size_t i) {
  return (cfg_table){stg_registry[i]->options, stg_registry[i]->n_options};
}

size_t stg_backend_params_size(size_t i) { return stg_registry[i]->params_size; }
bool stg_backend_remote(size_t i) { return stg_registry[i]->remote; }

size_t stg_backend_request_bytes(size_t i, const void *params) {
  return stg_registry[i]->request_bytes && params ? stg_registry[i]->request_bytes(params) : 0;
}

const char *stg_backend_check(size_t i, const void *params, const char **key) {
  *key = NULL;
  return stg_registry[i]->check && params ? stg_registry[i]->check(params, key) : NULL;
}

const void *stg_backend_params(const stg_params *p, const struct storage_ops *ops) {
  for (size_t i = 0; p->blocks && i < stg_registry_count; i++)
    if (stg_registry[i] == ops) return p->blocks[i];
  return NULL;
}

stg *stg_new(int backend, const stg_params *p, const stg_env *env, bool virtual_clock) {
  if (backend < 0 || (size_t)backend >= stg_registry_count) {
    tr_error_set(TR_ECONFIG, "storage.backend", "unknown backend %d (one of %s)", backend, stg_names());
    return NULL;
  }
  const struct storage_ops *ops = stg_registry[backend];
  stg *s = calloc(1, sizeof *s);
  if (!s) return tr_check_alloc(NULL, "storage");
  s->ops = ops;
  s->p = *p;
  s->env = *env;
  s->virtual_clock = virtual_clock;
  s->t0 = tr_now();
  s->epoch = 1;
  pthread_mutex_init(&s->lock, NULL);
  rng_seed(&s->fault_rng, p->seed ^ 0xFA17ULL);
  if (ops->model_new && !(s->model = ops->model_new(p, env))) {
    stg_free(&s);
    return tr_check_alloc(NULL, "storage model");
  }
  s->max_attempts = 1;
  if (ops->retry) ops->retry(s->model, &s->max_attempts, &s->backoff_s);
  if (s->max_attempts < 1) s->max_attempts = 1;
  return s;
}

void stg_free(stg **s) {
  if (!s || !*s) return;
  if ((*s)->model && (*s)->ops->model_free) (*s)->ops->model_free((*s)->model);
  pthread_mutex_destroy(&(*s)->lock);
  free(*s);
  *s = NULL;
}

static tr_err model_out_of_memory(const stg *s);

bool stg_virtual(const stg *s) { return s->virtual_clock; }
bool stg_zero_filled(const stg *s) { return s->ops->zero_filled; }
void stg_set_stop(stg *s, const volatile sig_atomic_t *stop) { s->stop = stop; }

void stg_begin_epoch(stg *s) {
  pthread_mutex_lock(&s->lock);
  s->epoch++;
  if (s->ops->begin_epoch && s->model) s->ops->begin_epoch(s->model);
  pthread_mutex_unlock(&s->lock);
}

bool stg_plans(const stg *s) { return s->ops->plan && s->model; }

tr_err stg_plan(stg_file *f, int rank, uint64_t epoch, uint64_t off, uint64_t n) {
  stg *s = f->owner;
  if (!stg_plans(s)) return TR_OK;
  pthread_mutex_lock(&s->lock);
  int rc = s->ops->plan(s->model, f, rank, epoch ? epoch : 1, off, n);
  pthread_mutex_unlock(&s->lock);
  return rc < 0 ? model_out_of_memory(s) : TR_OK;
}

double stg_now(const stg *s) { return s->virtual_clock ? 0.0 : tr_now() - s->t0; }

stg_counters stg_stats(const stg *s) {
  pthread_mutex_lock((pthread_mutex_t *)&s->lock);
  stg_counters c = s->c;
  pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
  return c;
}

tr_err stg_open(stg *s, const char *path, uint64_t size, stg_file **out) {
  stg_file *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path ? path : ""))) {
    free(f);
    return tr_error_set(TR_ENOMEM, "storage", "out of memory");
  }
  f->owner = s;
  f->size = size;
  f->fd = -1;
  pthread_mutex_lock(&s->lock);
  f->id = s->next_id++;
  pthread_mutex_unlock(&s->lock);
  tr_err rc = TR_OK;
  if (!s->virtual_clock && !s->ops->zero_filled) {
    if (s->ops->open) {
      rc = s->ops->open(f);
    } else if ((f->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
      rc = tr_error_set(TR_EINPUT, path, "cannot open: %s", strerror(errno));
    }
  }
  if (rc != TR_OK) {
    free(f->path);
    free(f);
    return rc;
  }
  *out = f;
  return TR_OK;
}

void stg_close(stg_file **f) {
  if (!f || !*f) return;
  const struct storage_ops *ops = (*f)->owner->ops;
  if (ops->close) ops->close(*f);
  else if ((*f)->fd >= 0) close((*f)->fd);
  free((*f)->path);
  free(*f);
  *f = NULL;
}

void stg_count(stg_file *f, uint64_t requests, uint64_t retries, uint64_t slowdowns) {
  stg *s = f->owner;
  pthread_mutex_lock(&s->lock);
  s->c.requests += requests;
  s->c.retries += retries;
  s->c.slowdowns += slowdowns;
  pthread_mutex_unlock(&s->lock);
}

static bool stop_requested(const stg *s) { return s->stop && *s->stop; }

/* Sleeps until t seconds after s's start (the real clock's modelled completion); returns
 * at once when that time has passed (local reads: no system call). With a stop flag the
 * sleep goes in slices of STG_STOP_LATENCY_S and ends early when a stop is requested:
 * false then. The deadline is absolute (TIMER_ABSTIME) and the calling thread's timer
 * slack is set to 1 ns on its first sleep (Linux's default 50 us would be added to every
 * modelled read). */
static bool sleep_until(const stg *s, double t) {
  static _Thread_local bool slack_set;
  if (!slack_set) {
    slack_set = true;
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* best effort: a coarser wake is only later */
  }
  for (;;) {
    if (stop_requested(s)) return false;
    double now = tr_now(), abs_t = s->t0 + t;
    if (now >= abs_t) return true;
    /* slices: a stop request is seen within STG_STOP_LATENCY_S, and a modelled time far
       in the future (an absurdly slow model) never overflows the timespec */
    double slice = s->stop ? STG_STOP_LATENCY_S : 1.0;
    if (abs_t - now > slice) abs_t = now + slice;
    struct timespec ts = {.tv_sec = (time_t)abs_t, .tv_nsec = (long)((abs_t - floor(abs_t)) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
      if (stop_requested(s)) return false;
    }
  }
}

/* The real clock's debt: how late the calling thread returned from its last modelled
 * read (the wake-up after the sleep, or a copy slower than the model), credited to its
 * next read's issue time, so the emulator's own overhead does not add up read after
 * read: a thread's reads follow the model's timeline, not the model's plus one wake-up
 * per read. At most STG_DEBT_MAX_S is carried (a target the local copy cannot keep up
 * with stays slower than its model, rather than borrow without bound). Per thread and
 * per instance: a thread that moves to another stg starts with none, and one that was
 * idle in between (stg_thread_idle) carries none: a read issued after a wait for work
 * is never moved up to before its extent existed. */
#define STG_DEBT_MAX_S 0.02
typedef struct {
  const stg *owner;
  double t0, debt;
} stg_debt;
static _Thread_local stg_debt thread_debt;

static double debt_of(const stg *s) {
  return thread_debt.owner == s && thread_debt.t0 == s->t0 ? thread_debt.debt : 0;
}

static void debt_set(const stg *s, double late) {
  thread_debt = (stg_debt){s, s->t0, late < 0 ? 0 : late < STG_DEBT_MAX_S ? late : STG_DEBT_MAX_S};
}

void stg_thread_idle(void) {
  thread_debt = (stg_debt){0};
}

static tr_err stopped(const stg_file *f) {
  return tr_error_set(TR_ESTOPPED, f->path, "read stopped on request");
}

typedef enum { FAULT_NONE, FAULT_ERROR, FAULT_SHORT } fault;

/* Under the lock: the model's completion time for this call (negative: the model ran
 * out of memory), and whether to fail it. */
static double model_call(stg *s, stg_file *f, uint64_t off, size_t n, double t, fault *fl) {
  double done = t;
  pthread_mutex_lock(&s->lock);
  long call = ++s->calls;
  *fl = FAULT_NONE;
  if ((s->p.fault_error_at > 0 && call == s->p.fault_error_at) ||
      (s->p.fault_error_rate > 0 && rng_uniform(&s->fault_rng) < s->p.fault_error_rate))
    *fl = FAULT_ERROR;
  else if (s->p.fault_short_rate > 0 && n > 1 && rng_uniform(&s->fault_rng) < s->p.fault_short_rate)
    *fl = FAULT_SHORT;
  if (s->ops->open_cost && f->opened_epoch != s->epoch) { /* the epoch's open of f */
    f->opened_epoch = s->epoch;
    done = s->ops->open_cost(s->model, f, done, &s->c);
  }
  if (s->ops->service && done >= 0) done = s->ops->service(s->model, f, off, n, done, &s->c);
  s->c.ops++;
  if (*fl != FAULT_ERROR && done >= 0) s->c.bytes += n;
  pthread_mutex_unlock(&s->lock);
  return done;
}

static tr_err model_out_of_memory(const stg *s) {
  return tr_error_set(TR_ENOMEM, s->ops->name, "out of memory in the storage model");
}

/* The bytes of one call: zeros, or pread until n bytes (a short read continues). */
static tr_err copy_bytes(stg_file *f, unsigned char *buf, uint64_t off, size_t n, bool short_once) {
  stg *s = f->owner;
  if (s->ops->zero_filled) {
    memset(buf, 0, n);
    return TR_OK;
  }
  size_t done = 0;
  while (done < n) {
    size_t want = n - done;
    if (short_once) {
      want = want / 2 ? want / 2 : 1;
      short_once = false;
      pthread_mutex_lock(&s->lock);
      s->c.short_reads++;
      pthread_mutex_unlock(&s->lock);
    }
    ssize_t got = s->ops->read ? s->ops->read(f, buf + done, want, off + done)
                               : pread(f->fd, buf + done, want, (off_t)(off + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return tr_error_set(TR_EIO, f->path, "read of %zu bytes at offset %llu failed: %s", n,
                          (unsigned long long)off, strerror(errno));
    if (got == 0)
      return tr_error_set(TR_EIO, f->path, "unexpected end of file at offset %llu (wanted %zu bytes)",
                          (unsigned long long)(off + done), n - done);
    done += (size_t)got;
  }
  return TR_OK;
}

tr_err stg_read(stg_file *f, void *buf, uint64_t off, size_t n, double *t) {
  stg *s = f->owner;
  double issue = s->virtual_clock ? *t : stg_now(s) - debt_of(s);
  int max_attempts = s->max_attempts;
  double backoff_s = s->backoff_s;
  for (int attempt = 0;; attempt++) {
    fault fl;
    double done = model_call(s, f, off, n, issue, &fl);
    if (done < 0) return model_out_of_memory(s);
    tr_err rc = TR_OK;
    if (fl == FAULT_ERROR) {
      rc = tr_error_set(TR_EIO, f->path, "read of %zu bytes at offset %llu failed (injected fault%s)",
                        n, (unsigned long long)off,
                        max_attempts > 1 ? ", retries exhausted" : "");
    } else if (!s->virtual_clock && buf) {
      rc = copy_bytes(f, buf, off, n, fl == FAULT_SHORT);
    }
    if (!s->virtual_clock) {
      if (!sleep_until(s, done)) {
        if (rc != TR_OK) tr_error_clear();
        return stopped(f);
      }
      double now = stg_now(s);
      debt_set(s, now - done);
      done = now > done ? now : done;
    }
    if (rc == TR_OK || fl != FAULT_ERROR || attempt + 1 >= max_attempts) {
      *t = done;
      return rc;
    }
    tr_error_clear();
    pthread_mutex_lock(&s->lock);
    s->c.retries++;
    pthread_mutex_unlock(&s->lock);
    issue = done + stg_backoff(backoff_s, attempt);
    if (!s->virtual_clock && !sleep_until(s, issue)) return stopped(f);
  }
}

tr_err stg_preload(stg *s, stg_file *const *files, size_t n, double *t) {
  if (!s->ops->preload) return TR_OK;
  double issue = s->virtual_clock ? *t : stg_now(s);
  pthread_mutex_lock(&s->lock);
  double done = s->ops->preload(s->model, files, n, issue, &s->c);
  if (done >= 0) s->c.preload_s += done - issue;
  pthread_mutex_unlock(&s->lock);
  if (done < 0) return model_out_of_memory(s);
  if (!s->virtual_clock && !sleep_until(s, done)) return tr_error_set(TR_ESTOPPED, s->ops->name, "preload stopped on request");
  *t = done;
  return TR_OK;
}

void stg_bill_of(const stg *s, double hours, const stg_counters *c, stg_bill *out) {
  out->n = 0;
  if (!s->ops->bill) return;
  stg_usage u = {.params = stg_backend_params(&s->p, s->ops), .all = &s->p,
                 .data_bytes = s->env.data_bytes, .hours = hours, .c = c};
  s->ops->bill(&u, out);
}

void stg_bill_add(stg_bill *b, const char *service, stg_unit unit, double quantity, bool request) {
  if (b->n >= STG_BILL_LINES) return;
  stg_bill_line *l = &b->line[b->n++];
  snprintf(l->service, sizeof l->service, "%s", service);
  l->unit = unit;
  l->quantity = quantity;
  l->request = request;
}

/* ---- queueing primitives ------------------------------------------------------ */

double stg_pipe_reserve(stg_pipe *p, double t, double bytes) {
  double start = t > p->free_at ? t : p->free_at;
  p->free_at = start + (p->rate > 0 ? bytes / p->rate : 0);
  return p->free_at;
}

bool stg_bucket_try(stg_bucket *b, double t) {
  if (t > b->last) {
    b->tokens += (t - b->last) * b->rate;
    if (b->tokens > b->burst) b->tokens = b->burst;
    b->last = t;
  }
  if (b->tokens < 1.0) return false;
  b->tokens -= 1.0;
  return true;
}

int stg_slots_pick(const stg_slots *s) {
  int best = 0;
  for (int i = 1; i < s->n; i++)
    if (s->free_at[i] < s->free_at[best]) best = i;
  return best;
}

double stg_backoff(double base_s, int k) {
  double d = base_s * ldexp(1.0, k > 30 ? 30 : k);
  return d < 20.0 ? d : 20.0;
}
