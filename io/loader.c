/* The batch loader. The consumer (the training loop, or io-bench's emulated compute)
 * admits batches: it plans a batch's extents (layout_plan) and queues them; worker
 * threads take extents in queue order, read them through the storage wrappers (which
 * sleep for the modelled service time), decode them into the batch's buffer, and mark the
 * batch ready when its last extent is in. Asking for batch k releases batch k-1's buffer
 * and admits every batch up to k + prefetch, so prefetch + 1 buffers suffice.
 * loader_simulate() replays the same admission and queue order with the workers' clocks
 * instead of threads: the discrete-event model of this file. */
#define _GNU_SOURCE
#include "io/loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timer.h"

typedef struct {
  float *X;
  size_t cap;              /* floats X holds */
  const uint64_t *rows;
  size_t n;
  layout_extent *ext;
  size_t n_ext, next_ext, pending;
  tr_error err;
  bool ready;
} slot;

struct loader {
  const layout *L;
  stg *s;
  loader_opts o;
  stg_file **files;
  size_t n_files, cols;
  pthread_t *threads;
  int n_threads;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  bool quit, epoch_on;
  int active;                /* extents being read right now */
  /* the epoch */
  const uint64_t *rows;
  size_t n, bs, n_batches;
  size_t admitted;           /* batches [0, admitted) are queued */
  size_t queue_batch;        /* first batch that may still have extents to hand out */
  size_t asked;              /* batches asked for by the consumer */
  slot *slots;
  size_t n_slots;
};

static slot *slot_of(loader *l, size_t b) { return &l->slots[b % l->n_slots]; }

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Plans batch b into its slot (consumer thread; the slot is free). */
static tr_err plan_batch(loader *l, size_t b, slot *sl) {
  size_t start = b * l->bs, n = l->n - start < l->bs ? l->n - start : l->bs;
  free(sl->ext);
  sl->ext = NULL;
  sl->rows = l->rows + start;
  sl->n = n;
  sl->n_ext = sl->next_ext = 0;
  sl->ready = false;
  memset(&sl->err, 0, sizeof sl->err);
  tr_err rc = layout_plan(l->L, sl->rows, n, l->o.transfer_bytes, &sl->ext, &sl->n_ext);
  sl->pending = sl->n_ext;
  if (rc == TR_OK && stg_zero_filled(l->s) && sl->X) memset(sl->X, 0, n * l->cols * sizeof(float));
  return rc;
}

/* Admits batches up to (not including) limit (consumer thread). */
static tr_err admit(loader *l, size_t limit) {
  if (limit > l->n_batches) limit = l->n_batches;
  while (l->admitted < limit) {
    size_t b = l->admitted;
    slot *sl = slot_of(l, b);
    tr_err rc = plan_batch(l, b, sl);
    pthread_mutex_lock(&l->mu);
    if (rc != TR_OK) tr_error_save(&sl->err);
    if (rc != TR_OK || sl->pending == 0) sl->ready = true;
    l->admitted++;
    pthread_cond_broadcast(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
  }
  return TR_OK;
}

/* Under mu: the next extent to read, or false when there is none now. */
static bool take_extent(loader *l, size_t *batch, size_t *idx) {
  if (!l->epoch_on) return false;
  while (l->queue_batch < l->admitted) {
    slot *sl = slot_of(l, l->queue_batch);
    if (sl->next_ext < sl->n_ext) {
      *batch = l->queue_batch;
      *idx = sl->next_ext++;
      return true;
    }
    l->queue_batch++;
  }
  return false;
}

typedef struct {
  loader *l;
  unsigned char *buf;
  size_t cap;
  layout_scratch *scratch;
} worker;

/* Reads and decodes one extent into its batch (no lock held). */
static tr_err read_extent(worker *w, slot *sl, const layout_extent *e) {
  loader *l = w->l;
  bool zeros = stg_zero_filled(l->s);
  size_t pos;
  double t = 0;
  if (!zeros && layout_in_place(l->L, e, sl->rows, sl->n, w->scratch, &pos)) /* no copy */
    return stg_read(l->files[e->file], sl->X + pos * l->cols, e->offset, e->bytes, &t);
  if (e->bytes > w->cap) {
    unsigned char *grown = realloc(w->buf, e->bytes);
    if (!grown) return tr_error_set(TR_ENOMEM, "loader", "out of memory");
    w->buf = grown;
    w->cap = e->bytes;
  }
  tr_err rc = stg_read(l->files[e->file], w->buf, e->offset, e->bytes, &t);
  if (rc == TR_OK && !zeros) rc = layout_decode(l->L, e, w->buf, sl->rows, sl->n, sl->X, w->scratch);
  return rc;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  loader *l = w->l;
  pthread_mutex_lock(&l->mu);
  for (;;) {
    size_t b, i;
    bool waited = false;
    while (!l->quit && !take_extent(l, &b, &i)) {
      pthread_cond_wait(&l->work_cv, &l->mu);
      waited = true;
    }
    if (l->quit) break;
    if (waited) stg_thread_idle(); /* the last read's lateness does not move this one up */
    slot *sl = slot_of(l, b);
    layout_extent e = sl->ext[i];
    l->active++;
    pthread_mutex_unlock(&l->mu);
    tr_error_clear();
    tr_err rc = read_extent(w, sl, &e);
    pthread_mutex_lock(&l->mu);
    l->active--;
    sl->pending--;
    if (rc != TR_OK) {
      if (sl->err.code == TR_OK) tr_error_save(&sl->err);
      sl->pending -= sl->n_ext - sl->next_ext; /* the rest is not read; those in flight finish */
      sl->next_ext = sl->n_ext;
    }
    if (sl->pending == 0) sl->ready = true;
    /* wake the consumer (or loader_end_epoch) only when there is something to see */
    if (sl->ready || l->active == 0) pthread_cond_broadcast(&l->done_cv);
  }
  pthread_mutex_unlock(&l->mu);
  free(w->buf);
  layout_scratch_free(&w->scratch);
  free(w);
  return NULL;
}

tr_err loader_new(const layout *L, stg *s, const loader_opts *o, loader **out) {
  *out = NULL;
  loader *l = calloc(1, sizeof *l);
  if (!l) return tr_error_set(TR_ENOMEM, "loader", "out of memory");
  l->L = L;
  l->s = s;
  l->o = *o;
  if (l->o.read_threads < 1) l->o.read_threads = 1;
  if (l->o.prefetch < 0) l->o.prefetch = 0;
  l->cols = layout_cols(L);
  l->n_files = layout_files(L);
  l->n_slots = (size_t)l->o.prefetch + 1;
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->work_cv, NULL);
  pthread_cond_init(&l->done_cv, NULL);
  l->files = calloc(l->n_files ? l->n_files : 1, sizeof *l->files);
  l->slots = calloc(l->n_slots, sizeof *l->slots);
  if (!l->files || !l->slots) {
    loader_free(&l);
    return tr_error_set(TR_ENOMEM, "loader", "out of memory");
  }
  for (size_t k = 0; k < l->n_files; k++) {
    const char *path = layout_file_path(L, k);
    char name[32];
    if (!path) snprintf(name, sizeof name, "synthetic-%05zu", k);
    tr_err rc = stg_open(s, path ? path : name, layout_file_bytes(L, k), &l->files[k]);
    if (rc != TR_OK) {
      loader_free(&l);
      return rc;
    }
  }
  if (!stg_virtual(s)) {
    l->threads = calloc((size_t)l->o.read_threads, sizeof(pthread_t));
    if (!l->threads) {
      loader_free(&l);
      return tr_error_set(TR_ENOMEM, "loader", "out of memory");
    }
    for (int i = 0; i < l->o.read_threads; i++) {
      worker *w = calloc(1, sizeof *w);
      if (w) w->l = l;
      if (!w || !(w->scratch = layout_scratch_new(L)) ||
          pthread_create(&l->threads[i], NULL, worker_main, w) != 0) {
        if (w) layout_scratch_free(&w->scratch);
        free(w);
        loader_free(&l);
        return tr_error_set(TR_ENOMEM, "loader", "cannot start read threads");
      }
      l->n_threads++;
    }
  }
  *out = l;
  return TR_OK;
}

void loader_free(loader **lp) {
  loader *l = lp ? *lp : NULL;
  if (!l) return;
  loader_end_epoch(l);
  pthread_mutex_lock(&l->mu);
  l->quit = true;
  pthread_cond_broadcast(&l->work_cv);
  pthread_mutex_unlock(&l->mu);
  for (int i = 0; i < l->n_threads; i++) pthread_join(l->threads[i], NULL);
  free(l->threads);
  for (size_t k = 0; l->files && k < l->n_files; k++) stg_close(&l->files[k]);
  free(l->files);
  for (size_t i = 0; l->slots && i < l->n_slots; i++) {
    free(l->slots[i].X);
    free(l->slots[i].ext);
  }
  free(l->slots);
  pthread_cond_destroy(&l->work_cv);
  pthread_cond_destroy(&l->done_cv);
  pthread_mutex_destroy(&l->mu);
  free(l);
  *lp = NULL;
}

tr_err loader_preload(loader *l, double *t) { return stg_preload(l->s, l->files, l->n_files, t); }

/* Rows planned per layout_plan call: the extents of a piece are short-lived (the union of
 * the pieces' bytes is the rows', however they are cut). */
#define PLAN_PIECE 65536

tr_err loader_plan(loader *l, int rank, uint64_t epoch, const uint64_t *rows, size_t n) {
  if (!stg_plans(l->s) || n == 0) return TR_OK;
  /* one piece: layout_plan sorts it itself; several: sorted first, so that each piece is
     a run of rows (extents that do not overlap another piece's) */
  uint64_t *sorted = NULL;
  if (n > PLAN_PIECE) {
    if (!(sorted = malloc(n * sizeof *sorted))) return tr_error_set(TR_ENOMEM, "loader", "out of memory");
    memcpy(sorted, rows, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_u64);
    rows = sorted;
  }
  tr_err rc = TR_OK;
  for (size_t at = 0; at < n && rc == TR_OK; at += PLAN_PIECE) {
    layout_extent *ext = NULL;
    size_t n_ext = 0;
    rc = layout_plan(l->L, rows + at, n - at < PLAN_PIECE ? n - at : PLAN_PIECE, l->o.transfer_bytes, &ext, &n_ext);
    for (size_t i = 0; rc == TR_OK && i < n_ext; i++)
      rc = stg_plan(l->files[ext[i].file], rank, epoch, ext[i].offset, ext[i].bytes);
    free(ext);
  }
  free(sorted);
  return rc;
}

/* Sets up the epoch's fields (both clocks). */
static tr_err epoch_init(loader *l, const uint64_t *rows, size_t n, size_t batch_rows) {
  l->rows = rows;
  l->n = n;
  l->bs = batch_rows ? batch_rows : 1;
  l->n_batches = (n + l->bs - 1) / l->bs;
  l->admitted = l->queue_batch = l->asked = 0;
  return TR_OK;
}

tr_err loader_start_epoch(loader *l, const uint64_t *rows, size_t n, size_t batch_rows) {
  loader_end_epoch(l);
  epoch_init(l, rows, n, batch_rows);
  stg_begin_epoch(l->s); /* every file is opened again */
  for (size_t i = 0; i < l->n_slots; i++) {
    if (l->slots[i].X && l->bs * l->cols <= l->slots[i].cap) continue;
    free(l->slots[i].X);
    l->slots[i].cap = l->bs * l->cols;
    if (!(l->slots[i].X = calloc(l->slots[i].cap + 1, sizeof(float))))
      return tr_error_set(TR_ENOMEM, "loader", "out of memory");
  }
  pthread_mutex_lock(&l->mu);
  l->epoch_on = true;
  pthread_mutex_unlock(&l->mu);
  return admit(l, (size_t)l->o.prefetch);
}

tr_err loader_next(loader *l, float **X, size_t *rows, double *wait_s) {
  size_t k = l->asked;
  if (k >= l->n_batches) return tr_error_set(TR_EINTERNAL, "loader", "no batch left in the epoch");
  l->asked++;
  admit(l, k + (size_t)l->o.prefetch + 1);
  slot *sl = slot_of(l, k);
  double t0 = tr_now();
  pthread_mutex_lock(&l->mu);
  while (!sl->ready) pthread_cond_wait(&l->done_cv, &l->mu);
  tr_error err = sl->err;
  pthread_mutex_unlock(&l->mu);
  if (wait_s) *wait_s += tr_now() - t0;
  if (err.code != TR_OK) return tr_error_restore(&err);
  *X = sl->X;
  *rows = sl->n;
  return TR_OK;
}

void loader_end_epoch(loader *l) {
  pthread_mutex_lock(&l->mu);
  l->epoch_on = false;
  while (l->active > 0) pthread_cond_wait(&l->done_cv, &l->mu);
  pthread_mutex_unlock(&l->mu);
}

/* ---- the virtual clock ----------------------------------------------------------- */

tr_err loader_simulate(loader *l, const uint64_t *rows, size_t n, size_t batch_rows,
                       double compute_s, double *t, double *wait_s) {
  if (!stg_virtual(l->s)) return tr_error_set(TR_EINTERNAL, "loader", "simulate needs the virtual clock");
  epoch_init(l, rows, n, batch_rows);
  stg_begin_epoch(l->s);
  int nt = l->o.read_threads;
  double *worker_free = malloc((size_t)nt * sizeof(double));
  double *ready = malloc(l->n_slots * sizeof(double));
  if (!worker_free || !ready) {
    free(worker_free);
    free(ready);
    return tr_error_set(TR_ENOMEM, "loader", "out of memory");
  }
  for (int i = 0; i < nt; i++) worker_free[i] = *t;
  double consumer = *t;
  tr_err rc = TR_OK;
  for (size_t k = 0; k < l->n_batches && rc == TR_OK; k++) {
    double ask = consumer;
    /* asking for batch k admits every batch up to k + prefetch, at the time of asking */
    size_t limit = k + (size_t)l->o.prefetch + 1;
    for (; l->admitted < limit && l->admitted < l->n_batches && rc == TR_OK; l->admitted++) {
      slot *sl = slot_of(l, l->admitted);
      if ((rc = plan_batch(l, l->admitted, sl)) != TR_OK) break;
      double done = ask;
      for (size_t i = 0; i < sl->n_ext && rc == TR_OK; i++) {
        const layout_extent *e = &sl->ext[i];
        int w = 0;
        for (int j = 1; j < nt; j++)
          if (worker_free[j] < worker_free[w]) w = j;
        double at = worker_free[w] > ask ? worker_free[w] : ask;
        rc = stg_read(l->files[e->file], NULL, e->offset, e->bytes, &at);
        worker_free[w] = at;
        if (at > done) done = at;
      }
      ready[l->admitted % l->n_slots] = done;
    }
    if (rc != TR_OK) break;
    double r = ready[k % l->n_slots], take = r > ask ? r : ask;
    if (wait_s) *wait_s += take - ask;
    consumer = take + compute_s;
  }
  *t = consumer;
  free(worker_free);
  free(ready);
  return rc;
}

/* ---- epoch orders ---------------------------------------------------------------- */

int loader_shuffle_from_name(const char *name) {
  return !strcmp(name, "sample") ? LOADER_SAMPLE
         : !strcmp(name, "block") ? LOADER_BLOCK
         : !strcmp(name, "none")  ? LOADER_NONE
         : !strcmp(name, "file")  ? LOADER_FILE
                                  : -1;
}

const char *loader_shuffle_name(loader_shuffle kind) {
  return kind == LOADER_BLOCK ? "block" : kind == LOADER_NONE ? "none" : kind == LOADER_FILE ? "file" : "sample";
}

static int by_global_row(const void *a, const void *b, void *keys) {
  const uint64_t *g = keys;
  uint64_t x = g[*(const size_t *)a], y = g[*(const size_t *)b];
  return (x > y) - (x < y);
}

tr_err loader_order(const layout *L, loader_shuffle kind, size_t block_bytes, rng_t *rng,
                    const uint64_t *global, size_t *order, size_t n) {
  for (size_t i = 0; i < n; i++) order[i] = i;
  if (kind == LOADER_SAMPLE) {
    rng_shuffle(rng, order, n);
    return TR_OK;
  }
  qsort_r(order, n, sizeof *order, by_global_row, (void *)global); /* storage order */
  if (kind == LOADER_NONE) return TR_OK;
  /* cut the sorted rows at block boundaries into groups, then shuffle the groups and
     the rows within each */
  size_t *group_start = malloc((n + 1) * sizeof(size_t));
  size_t *group_order = malloc((n + 1) * sizeof(size_t)), *out = malloc((n ? n : 1) * sizeof(size_t));
  if (!group_start || !group_order || !out) {
    free(group_start);
    free(group_order);
    free(out);
    return tr_error_set(TR_ENOMEM, "loader", "out of memory");
  }
  size_t groups = 0;
  uint64_t block_end = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t g = global[order[i]];
    if (i == 0 || g >= block_end) {
      group_start[groups++] = i;
      block_end = layout_block_end(L, block_bytes, g);
    }
  }
  group_start[groups] = n;
  for (size_t k = 0; k < groups; k++) group_order[k] = k;
  rng_shuffle(rng, group_order, groups);
  size_t pos = 0;
  for (size_t k = 0; k < groups; k++) {
    size_t gs = group_start[group_order[k]], ge = group_start[group_order[k] + 1];
    memcpy(out + pos, order + gs, (ge - gs) * sizeof(size_t));
    if (kind == LOADER_BLOCK) rng_shuffle(rng, out + pos, ge - gs);
    pos += ge - gs;
  }
  memcpy(order, out, n * sizeof(size_t));
  free(group_start);
  free(group_order);
  free(out);
  return TR_OK;
}
