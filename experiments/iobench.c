/* io-bench (see iobench.h): the data set (data.train's files or a synthetic layout),
 * the storage stack, an epoch loop on either clock, and io.json. */
#define _GNU_SOURCE
#include "experiments/iobench.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "common/atomic_file.h"
#include "common/dirlock.h"
#include "common/format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "common/rng.h"
#include "common/timer.h"
#include "experiments/iostack.h"
#include "experiments/pricing.h"
#include "experiments/provenance.h"
#include "experiments/runfiles.h"
#include "io/dataset.h"

/* The data set to read: synthetic ([workload] files > 0) or the files of data.train. */
static tr_err workload_layout(const job *j, bool virtual_clock, layout **L) {
  *L = NULL;
  const job_workload *w = &j->workload;
  if (w->files == 0) {
    if (!*j->data.train)
      return job_error(j, TR_ECONFIG, "data", "train",
                       "io-bench needs data.train, or a synthetic data set in workload.files");
    return TR_OK; /* iostack_open opens data.train */
  }
  if (!virtual_clock)
    return job_error(j, TR_ECONFIG, "workload", "files",
                     "a synthetic data set has no bytes to read: use --clock virtual, or data.train");
  *L = layout_synthetic((size_t)w->files, (size_t)w->samples_per_file, (size_t)(w->record_bytes + 3) / 4);
  return *L ? TR_OK : tr_error_code();
}

/* Sleeps for s seconds of emulated compute; returns the time it really took. */
static double compute(double s) {
  double t0 = tr_now();
  if (s > 0) {
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
  }
  return tr_now() - t0;
}

typedef struct {
  double epoch_s, compute_s, wait_s;
} epoch_stats;

/* A progress callback and the tick it is given. */
typedef struct {
  iobench_progress fn;
  void *ctx;
  iobench_tick tick;
  double t0;
} ticker;

/* One epoch on the real clock: the consumer takes every batch, then computes. */
static tr_err epoch_real(iostack *io, const uint64_t *rows, size_t n, size_t bs, double comp,
                         epoch_stats *e, ticker *tk) {
  double t0 = tr_now();
  tr_err rc = loader_start_epoch(io->ld, rows, n, bs);
  tk->tick.batches = (n + bs - 1) / bs;
  for (size_t b = 0; rc == TR_OK && b * bs < n; b++) {
    float *X;
    size_t got;
    if ((rc = loader_next(io->ld, &X, &got, &e->wait_s)) == TR_OK) e->compute_s += compute(comp);
    if (rc == TR_OK && tk->fn) {
      stg_counters c = stg_stats(io->store);
      tk->tick.batch = b + 1;
      tk->tick.requests = c.requests;
      tk->tick.bytes = c.bytes;
      tk->tick.elapsed_s = tr_now() - tk->t0;
      tk->fn(tk->ctx, &tk->tick);
    }
  }
  loader_end_epoch(io->ld);
  e->epoch_s = tr_now() - t0;
  return rc;
}

static tr_err epoch_virtual(iostack *io, const uint64_t *rows, size_t n, size_t bs, double comp,
                            double *clock, epoch_stats *e) {
  double t0 = *clock;
  tr_err rc = loader_simulate(io->ld, rows, n, bs, comp, clock, &e->wait_s);
  e->epoch_s = *clock - t0;
  e->compute_s = comp * (double)((n + bs - 1) / bs);
  return rc;
}

/* computation_time from a real training run: its compute seconds per sample times the
 * batch size. time.compute_s of DIR/result.json is rank 0's own, over its share of the
 * rows, and data.train_rows counts every rank's: per sample it is compute_s x
 * parallel.ranks (1 when absent) over epochs_run x train_rows. */
static tr_err measured_compute(const job *j, size_t batch, double *comp) {
  const char *dir = j->workload.compute_from;
  char *path = path_join(dir, RUNFILES_RESULT);
  if (!path) return tr_error_code();
  cJSON *r = NULL;
  if (json_read_file(path, &r) != TR_OK) tr_error_clear(); /* reported below, at the key */
  double compute = json_number_at(r, "time", "compute_s"), epochs = json_number_at(r, "epochs_run", NULL);
  double rows = json_number_at(r, "data", "train_rows"), ranks = json_number_at(r, "parallel", "ranks");
  cJSON_Delete(r);
  if (isnan(ranks)) ranks = 1; /* a result from before parallel.ranks */
  tr_err rc = TR_OK;
  if (!(compute > 0 && epochs > 0 && rows > 0))
    rc = job_error(j, TR_EINPUT, "workload", "compute_from",
                   "%s has no measured compute (time.compute_s, epochs_run, data.train_rows)", path);
  else if (!(ranks >= 1 && ranks == floor(ranks)))
    rc = job_error(j, TR_EINPUT, "workload", "compute_from", "%s: parallel.ranks is not a whole number >= 1", path);
  else
    *comp = compute * ranks / (epochs * rows) * (double)batch;
  if (rc == TR_OK) log_info("io-bench: computation_time %.6f s per batch of %zu, measured by %s", *comp, batch, dir);
  free(path);
  return rc;
}

static cJSON *number_array(const double *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
  return a;
}

/* Per-epoch figures and totals of a benchmark. */
typedef struct {
  int epochs;
  double *epoch_s, *au_pct, *wait, *tput;
  double run_s, read_s, compute_total, au_mean, hours;
  time_t started;
} bench_series;

static void series_free(bench_series *b) {
  free(b->epoch_s);
  free(b->au_pct);
  free(b->wait);
  free(b->tput);
}

/* The epochs: this rank's share (rank 0's block of rows, as `train` would read it). */
static tr_err run_epochs(const job *j, iostack *io, bool virtual_clock, size_t n, size_t start,
                         double comp, bench_series *b, ticker *tk) {
  size_t bs = (size_t)j->workload.batch_size;
  int epochs = b->epochs;
  uint64_t *global = malloc((n ? n : 1) * sizeof(uint64_t)), *rows = malloc((n ? n : 1) * sizeof(uint64_t));
  size_t *order = malloc((n ? n : 1) * sizeof(size_t));
  b->epoch_s = calloc((size_t)epochs, sizeof(double));
  b->au_pct = calloc((size_t)epochs, sizeof(double));
  b->wait = calloc((size_t)epochs, sizeof(double));
  b->tput = calloc((size_t)epochs, sizeof(double));
  tr_err rc = TR_OK;
  if (!global || !rows || !order || !b->epoch_s || !b->au_pct || !b->wait || !b->tput)
    rc = tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n; i++) global[i] = start + i;
  rng_t rng;
  rng_seed(&rng, (uint64_t)j->data.seed);
  double clock = 0, wall0 = tr_now(), au_sum = 0;
  double preload_s = stg_stats(io->store).preload_s;
  if (virtual_clock && rc == TR_OK) rc = loader_preload(io->ld, &clock); /* before the first epoch */
  if (!virtual_clock && rc == TR_OK) iostack_warn_plan(j, io, global, n, bs, comp);
  for (int e = 0; rc == TR_OK && e < epochs; e++) {
    if ((rc = loader_order(io->L, io->shuffle, io->transfer_bytes, &rng, global, order, n)) != TR_OK) break;
    for (size_t i = 0; i < n; i++) rows[i] = global[order[i]];
    epoch_stats es = {0};
    tk->tick.epoch = e + 1;
    tk->tick.epochs = epochs;
    if (e == 0) tk->t0 = tr_now();
    rc = virtual_clock ? epoch_virtual(io, rows, n, bs, comp, &clock, &es) : epoch_real(io, rows, n, bs, comp, &es, tk);
    if (rc != TR_OK) break;
    b->epoch_s[e] = es.epoch_s;
    b->wait[e] = es.wait_s;
    b->au_pct[e] = es.epoch_s > 0 ? 100.0 * es.compute_s / es.epoch_s : 100.0;
    b->tput[e] = es.epoch_s > 0 ? (double)n / es.epoch_s : 0;
    b->compute_total += es.compute_s;
    au_sum += b->au_pct[e];
    log_info("io-bench: epoch %d/%d %.3fs, AU %.1f%%, waited %.3fs, %.0f samples/s", e + 1, epochs,
             es.epoch_s, b->au_pct[e], es.wait_s, b->tput[e]);
  }
  b->run_s = virtual_clock ? clock : tr_now() - wall0;
  for (int e = 0; e < epochs; e++) b->read_s += b->epoch_s[e];
  b->au_mean = au_sum / epochs;
  b->hours = (b->run_s + (virtual_clock ? 0 : preload_s)) / 3600.0;
  free(global);
  free(rows);
  free(order);
  return rc;
}

/* The job's plan for a backend whose state is the job's (fsx: the file system's cache):
 * rank q reads the first n_per_rank (at most) rows of its block, every epoch (the blocks
 * never move between ranks; only their order changes). */
static tr_err plan_job(iostack *io, int ranks, size_t total, size_t n_per_rank) {
  if (!stg_plans(io->store)) return TR_OK;
  uint64_t *rows = malloc((n_per_rank ? n_per_rank : 1) * sizeof *rows);
  if (!rows) return tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  tr_err rc = TR_OK;
  for (int q = 0; rc == TR_OK && q < ranks; q++) {
    size_t start, count;
    ds_part_range(total, q, ranks, &start, &count);
    if (count > n_per_rank) count = n_per_rank;
    for (size_t i = 0; i < count; i++) rows[i] = start + i;
    rc = loader_plan(io->ld, q, 1, rows, count);
  }
  free(rows);
  return rc;
}

/* The instances the benchmark is priced for: the nodes the storage model shares among
 * (ceil(workload.ranks / workload.ranks_per_node)) when cost.nodes is left at its
 * default, said when more than one; cost.nodes when set, warned about when it differs. */
static long priced_nodes(const job *j) {
  long ranks = j->workload.ranks, per = j->workload.ranks_per_node;
  long modelled = (ranks + per - 1) / per;
  if (!cfg_is_set(j->src, "cost", "nodes")) {
    if (modelled > 1)
      log_info("io-bench: priced for %ld nodes (workload.ranks %ld / workload.ranks_per_node %ld; cost.nodes "
               "sets another count)", modelled, ranks, per);
    return modelled;
  }
  if (j->cost.nodes != modelled)
    log_warn("io-bench: cost.nodes = %ld prices %ld instance%s, but the storage is modelled for %ld "
             "(workload.ranks %ld / workload.ranks_per_node %ld)", j->cost.nodes, j->cost.nodes,
             j->cost.nodes == 1 ? "" : "s", modelled, ranks, per);
  return j->cost.nodes;
}

/* io.json's object. */
static cJSON *io_json(const job *j, bool virtual_clock, const iostack *io, const bench_series *b,
                      size_t n, size_t total, double comp, const stg_counters *c,
                      const stg_counters *job_c, long nodes, double rate, const cost_run_usd *usd) {
  const job_workload *w = &j->workload;
  const char *backend = stg_backend_name((size_t)io->backend);
  int epochs = b->epochs;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "clock", virtual_clock ? "virtual" : "real");
  cJSON_AddStringToObject(o, "backend", backend);
  cJSON *wo = cJSON_AddObjectToObject(o, "workload");
  cJSON_AddNumberToObject(wo, "samples", (double)n);
  cJSON_AddNumberToObject(wo, "samples_total", (double)total);
  cJSON_AddNumberToObject(wo, "files", (double)layout_files(io->L));
  cJSON_AddNumberToObject(wo, "batch_size", (double)w->batch_size);
  json_add_number(wo, "computation_time", comp);
  cJSON_AddNumberToObject(wo, "epochs", epochs);
  cJSON_AddNumberToObject(wo, "ranks", (double)w->ranks);
  cJSON_AddNumberToObject(wo, "read_threads", (double)j->storage.read_threads);
  cJSON_AddNumberToObject(wo, "prefetch", (double)j->storage.prefetch);
  cJSON_AddStringToObject(wo, "shuffle", loader_shuffle_name(io->shuffle)); /* `auto` resolved */
  cJSON_AddItemToObject(o, "epoch_s", number_array(b->epoch_s, epochs));
  cJSON_AddItemToObject(o, "io_wait_s", number_array(b->wait, epochs));
  cJSON_AddItemToObject(o, "train_au_percentage", number_array(b->au_pct, epochs));
  json_add_number(o, "train_au_mean_percentage", b->au_mean);
  json_add_number(o, "train_au_expectation_percentage", 100.0 * w->au);
  cJSON_AddStringToObject(o, "train_au_meet_expectation", b->au_mean >= 100.0 * w->au ? "success" : "fail");
  cJSON_AddItemToObject(o, "epoch_throughput_samples_per_second", number_array(b->tput, epochs));
  json_add_number(o, "train_throughput_samples_per_second", b->read_s > 0 ? (double)n * epochs / b->read_s : 0);
  json_add_number(o, "train_io_mean_MB_per_second", b->read_s > 0 ? (double)c->bytes / 1e6 / b->read_s : 0);
  json_add_number(o, "compute_s", b->compute_total);
  json_add_number(o, "total_s", b->run_s);
  json_add_number(o, "preload_s", c->preload_s);
  cJSON_AddNumberToObject(o, "bytes_read", (double)c->bytes);
  cJSON_AddNumberToObject(o, "requests", (double)c->requests);
  cJSON_AddNumberToObject(o, "cache_hits", (double)c->cache_hits);
  cJSON_AddNumberToObject(o, "job_bytes_read", (double)job_c->bytes); /* all ranks: what is billed */
  cJSON_AddNumberToObject(o, "job_requests", (double)job_c->requests);
  cJSON_AddItemToObject(o, "storage", iostack_json(backend, c));
  /* the reading threads of one rank ran here; virtual-clock figures are the model's */
  cJSON_AddItemToObject(o, "provenance", provenance_json(j, b->started, 1, (int)j->storage.read_threads));
  cJSON_AddItemToObject(o, "cost", cost_json(j->cost.instance, nodes, j->cost.spot, rate, usd));
  return o;
}

tr_err iobench_run(const job *j, bool virtual_clock, const char *out_dir, cJSON **result) {
  return iobench_run_with(j, virtual_clock, out_dir, NULL, NULL, result);
}

tr_err iobench_run_with(const job *j, bool virtual_clock, const char *out_dir, iobench_progress progress,
                        void *ctx, cJSON **result) {
  *result = NULL;
  ticker tk = {.fn = progress, .ctx = ctx};
  pricing *prices = NULL;
  pricing_instance it;
  tr_err rc = pricing_load(j->cost.pricing, &prices);
  if (rc == TR_OK) rc = pricing_find_instance(prices, j->cost.instance, &it);
  layout *L = NULL;
  if (rc == TR_OK) rc = workload_layout(j, virtual_clock, &L);
  int ranks = (int)j->workload.ranks;
  iostack *io = NULL;
  if (rc == TR_OK) rc = iostack_open(j, L, 0, ranks, (int)j->workload.ranks_per_node, virtual_clock, NULL, &io);
  if (rc == TR_OK) { /* every price the run is billed, before it runs (as train checks) */
    stg_bill bill;
    stg_bill_of(io->store, 0, &(stg_counters){0}, &bill);
    rc = cost_check_prices(prices, j->cost.instance, j->cost.spot, &bill);
  }
  size_t total = io ? layout_rows(io->L) : 0, start = 0, n = 0;
  ds_part_range(total, 0, ranks, &start, &n);
  uint64_t cap = (uint64_t)j->workload.steps * (uint64_t)j->workload.batch_size; /* DLIO total_training_steps */
  if (j->workload.steps > 0 && cap < n) n = (size_t)cap;
  double comp = j->workload.computation_time;
  if (rc == TR_OK && *j->workload.compute_from) rc = measured_compute(j, (size_t)j->workload.batch_size, &comp);
  bench_series b = {.epochs = (int)j->workload.epochs, .started = time(NULL)};
  /* the job and data are good: OUT is made and held for the run (one run at a time) */
  dirlock *lock = NULL;
  if (rc == TR_OK) rc = tr_mkdir_p(out_dir);
  if (rc == TR_OK) rc = dirlock_take(out_dir, &lock);
  if (rc == TR_OK) rc = plan_job(io, ranks, total, n);
  if (rc == TR_OK) rc = run_epochs(j, io, virtual_clock, n, start, comp, &b, &tk);
  cJSON *o = NULL;
  if (rc == TR_OK) {
    stg_counters c = stg_stats(io->store), job_c = c;
    /* the job's storage bill: every rank reads its share as rank 0 does */
    job_c.requests *= (uint64_t)ranks;
    job_c.bytes *= (uint64_t)ranks;
    cost_storage_out sc;
    rc = iostack_cost(io, prices, b.hours, &job_c, &sc);
    long nodes = priced_nodes(j);
    double rate = pricing_rate(&it, j->cost.spot) * (double)nodes;
    cost_run_usd usd = cost_run(rate, b.hours * 3600.0, &sc);
    if (rc == TR_OK && !(o = io_json(j, virtual_clock, io, &b, n, total, comp, &c, &job_c, nodes, rate, &usd)))
      rc = tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  }
  char *path = rc == TR_OK ? path_join(out_dir, RUNFILES_IO) : NULL;
  if (rc == TR_OK && !path) rc = tr_error_code();
  if (rc == TR_OK) rc = json_write_file(path, o);
  dirlock_free(&lock);
  free(path);
  series_free(&b);
  iostack_free(&io);
  pricing_free(&prices);
  if (rc != TR_OK) {
    cJSON_Delete(o);
    return rc;
  }
  *result = o;
  return TR_OK;
}
