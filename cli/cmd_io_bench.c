/* `tradeoff io-bench JOB.ini`: DLIO-style storage benchmark. The loader reads one rank's
 * share of the data set through the job's [storage] backend for workload.epochs epochs
 * while an emulated accelerator spends workload.computation_time on every batch (a
 * sleep, as DLIO does); AU = compute time / epoch time. With --clock virtual the same
 * loader and backend model run as a discrete-event simulation, in no time and without
 * the data (workload.files describes a synthetic data set). Writes OUT/io.json. */
#define _GNU_SOURCE
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/timer.h"
#include "experiments/iostack.h"
#include "experiments/job.h"
#include "experiments/pricing.h"
#include "io/dataset.h"

static const char help[] =
    "usage: tradeoff io-bench JOB.ini [--set SECTION.KEY=VALUE]... [--clock real|virtual]\n"
    "                         [--out DIR] [--quiet]\n"
    "\n"
    "Reads the data set of [data] train (or the synthetic one of [workload] files) through\n"
    "the [storage] backend with the batch loader, emulating workload.computation_time\n"
    "seconds of compute per batch, and writes OUT/io.json (OUT defaults to\n"
    "runs/<job name>-io) with DLIO's metrics: AU per epoch and its mean, whether it meets\n"
    "workload.au, throughput, I/O rate, bytes, requests, cache hits and cost.\n"
    "--clock real (default) truly waits for the modelled storage; --clock virtual\n"
    "simulates the same loader and model without reading or waiting.\n"
    "Job file keys and their defaults:\n";

typedef struct {
  const char *job_path, *clock;
  char *out_dir;
  bool quiet;
  char **sets;
  size_t n_sets;
} args;

static tr_err parse(int argc, char **argv, args *a, bool *help_only) {
  static const struct option longopts[] = {
      {"set", required_argument, 0, 's'},   {"clock", required_argument, 0, 'c'},
      {"out", required_argument, 0, 'o'},   {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
  if (!(a->sets = calloc((size_t)argc, sizeof(char *))))
    return tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  a->clock = "real";
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
    switch (opt) {
    case 's': a->sets[a->n_sets++] = optarg; break;
    case 'c': a->clock = optarg; break;
    case 'o': free(a->out_dir); a->out_dir = strdup(optarg); break;
    case 'q': a->quiet = true; break;
    case 'h': *help_only = true; return TR_OK;
    default: return cli_bad_option("io-bench", argv, opt);
    }
  }
  if (strcmp(a->clock, "real") != 0 && strcmp(a->clock, "virtual") != 0)
    return tr_error_set(TR_EUSAGE, "io-bench", "--clock must be real or virtual, got '%s'", a->clock);
  if (optind != argc - 1)
    return tr_error_set(TR_EUSAGE, "io-bench", "expected one JOB.ini (see tradeoff io-bench --help)");
  a->job_path = argv[optind];
  return a->out_dir ? TR_OK : cli_default_out("io-bench", a->job_path, "-io", &a->out_dir);
}

/* The data set to read: synthetic ([workload] files > 0) or the files of data.train. */
static tr_err workload_layout(const cfg *job, bool virtual_clock, layout **L) {
  *L = NULL;
  long files = cfg_int(job, "workload", "files");
  if (files == 0) {
    if (!*cfg_str(job, "data", "train"))
      return cfg_error(job, TR_ECONFIG, "data", "train",
                       "io-bench needs data.train, or a synthetic data set in workload.files");
    return TR_OK; /* iostack_open opens data.train */
  }
  if (!virtual_clock)
    return cfg_error(job, TR_ECONFIG, "workload", "files",
                     "a synthetic data set has no bytes to read: use --clock virtual, or data.train");
  long record = cfg_int(job, "workload", "record_bytes");
  *L = layout_synthetic((size_t)files, (size_t)cfg_int(job, "workload", "samples_per_file"),
                        (size_t)(record + 3) / 4);
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
  uint64_t bytes;
} epoch_stats;

/* One epoch on the real clock: the consumer takes every batch, then computes. */
static tr_err epoch_real(iostack *io, const uint64_t *rows, size_t n, size_t bs, double comp,
                         epoch_stats *e) {
  double t0 = tr_now();
  tr_err rc = loader_start_epoch(io->ld, rows, n, bs);
  for (size_t b = 0; rc == TR_OK && b * bs < n; b++) {
    float *X;
    size_t got;
    if ((rc = loader_next(io->ld, &X, &got, &e->wait_s)) == TR_OK) e->compute_s += compute(comp);
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

/* computation_time from a real training run: its compute seconds per sample (time.compute_s
 * over epochs_run x train_rows of OUT/result.json) times the batch size. */
static tr_err measured_compute(const cfg *job, size_t batch, double *comp) {
  const char *dir = cfg_str(job, "workload", "compute_from");
  char *path = NULL;
  if (asprintf(&path, "%s/result.json", dir) < 0) return tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  FILE *f = fopen(path, "r");
  char *text = NULL;
  size_t cap = 0;
  cJSON *r = f && getdelim(&text, &cap, '\0', f) > 0 ? cJSON_Parse(text) : NULL;
  if (f) fclose(f);
  free(text);
  double compute = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "time"), "compute_s"));
  double epochs = cJSON_GetNumberValue(cJSON_GetObjectItem(r, "epochs_run"));
  double rows = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "data"), "train_rows"));
  cJSON_Delete(r);
  tr_err rc = TR_OK;
  if (!(compute > 0 && epochs > 0 && rows > 0))
    rc = cfg_error(job, TR_EINPUT, "workload", "compute_from",
                   "%s has no measured compute (time.compute_s, epochs_run, data.train_rows)", path);
  else
    *comp = compute / (epochs * rows) * (double)batch;
  if (rc == TR_OK) log_info("io-bench: computation_time %.6f s per batch of %zu, measured by %s", *comp, batch, dir);
  free(path);
  return rc;
}

static cJSON *number_array(const double *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) {
    cJSON *x = isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull();
    cJSON_AddItemToArray(a, x);
  }
  return a;
}

static tr_err run_bench(const args *a, const cfg *job) {
  bool virtual_clock = !strcmp(a->clock, "virtual");
  pricing_instance it;
  tr_err rc = pricing_find_instance(cfg_str(job, "cost", "pricing"), cfg_str(job, "cost", "instance"), &it);
  layout *L = NULL;
  if (rc == TR_OK) rc = workload_layout(job, virtual_clock, &L);
  int ranks = (int)cfg_int(job, "workload", "ranks");
  iostack *io = NULL;
  if (rc == TR_OK)
    rc = iostack_open(job, L, ranks, (int)cfg_int(job, "workload", "ranks_per_node"), virtual_clock, &io);
  if (rc != TR_OK) return rc;
  /* this rank's share: rank 0's block of rows, as `train` would read it */
  size_t total = layout_rows(io->L), start, n;
  ds_part_range(total, 0, ranks, &start, &n);
  int epochs = (int)cfg_int(job, "workload", "epochs");
  size_t bs = (size_t)cfg_int(job, "workload", "batch_size");
  double comp = cfg_float(job, "workload", "computation_time"), au = cfg_float(job, "workload", "au");
  if (rc == TR_OK && *cfg_str(job, "workload", "compute_from")) rc = measured_compute(job, bs, &comp);
  uint64_t *global = malloc((n ? n : 1) * sizeof(uint64_t)), *rows = malloc((n ? n : 1) * sizeof(uint64_t));
  size_t *order = malloc((n ? n : 1) * sizeof(size_t));
  double *epoch_s = calloc((size_t)epochs, sizeof(double)), *au_pct = calloc((size_t)epochs, sizeof(double));
  double *wait = calloc((size_t)epochs, sizeof(double)), *tput = calloc((size_t)epochs, sizeof(double));
  if (!global || !rows || !order || !epoch_s || !au_pct || !wait || !tput)
    rc = tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n; i++) global[i] = start + i;
  rng_t rng;
  rng_seed(&rng, (uint64_t)cfg_int(job, "data", "seed"));
  double clock = 0, wall0 = tr_now(), compute_total = 0, au_sum = 0;
  stg_counters c0 = stg_stats(io->store);
  double preload_s = c0.preload_s;
  if (virtual_clock && rc == TR_OK) { /* the preload happens before the first epoch */
    rc = loader_preload(io->ld, &clock);
  }
  for (int e = 0; rc == TR_OK && e < epochs; e++) {
    if ((rc = loader_order(io->L, io->shuffle, io->transfer_bytes, &rng, global, order, n)) != TR_OK) break;
    for (size_t i = 0; i < n; i++) rows[i] = global[order[i]];
    epoch_stats es = {0};
    rc = virtual_clock ? epoch_virtual(io, rows, n, bs, comp, &clock, &es)
                       : epoch_real(io, rows, n, bs, comp, &es);
    if (rc != TR_OK) break;
    epoch_s[e] = es.epoch_s;
    wait[e] = es.wait_s;
    au_pct[e] = es.epoch_s > 0 ? 100.0 * es.compute_s / es.epoch_s : 100.0;
    tput[e] = es.epoch_s > 0 ? (double)n / es.epoch_s : 0;
    compute_total += es.compute_s;
    au_sum += au_pct[e];
    if (!a->quiet)
      log_info("io-bench: epoch %d/%d %.3fs, AU %.1f%%, waited %.3fs, %.0f samples/s", e + 1, epochs,
               es.epoch_s, au_pct[e], es.wait_s, tput[e]);
  }
  if (rc != TR_OK) goto done;
  stg_counters c = stg_stats(io->store);
  double run_s = virtual_clock ? clock : tr_now() - wall0, read_s = 0;
  for (int e = 0; e < epochs; e++) read_s += epoch_s[e];
  double au_mean = au_sum / epochs, hours = (run_s + (virtual_clock ? 0 : preload_s)) / 3600.0;
  /* the job's storage bill: every rank reads its share as rank 0 does */
  stg_counters job_c = c;
  job_c.requests *= (uint64_t)ranks;
  job_c.bytes *= (uint64_t)ranks;
  cost_storage_out sc;
  if ((rc = iostack_cost(io, job, hours, &job_c, &sc)) != TR_OK) goto done;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "clock", a->clock);
  cJSON_AddStringToObject(o, "backend", cfg_str(job, "storage", "backend"));
  cJSON *w = cJSON_AddObjectToObject(o, "workload");
  cJSON_AddNumberToObject(w, "samples", (double)n);
  cJSON_AddNumberToObject(w, "samples_total", (double)total);
  cJSON_AddNumberToObject(w, "files", (double)layout_files(io->L));
  cJSON_AddNumberToObject(w, "batch_size", (double)bs);
  json_add_number(w, "computation_time", comp);
  cJSON_AddNumberToObject(w, "epochs", epochs);
  cJSON_AddNumberToObject(w, "ranks", ranks);
  cJSON_AddNumberToObject(w, "read_threads", (double)cfg_int(job, "storage", "read_threads"));
  cJSON_AddNumberToObject(w, "prefetch", (double)cfg_int(job, "storage", "prefetch"));
  cJSON_AddStringToObject(w, "shuffle", cfg_str(job, "storage", "shuffle"));
  cJSON_AddItemToObject(o, "epoch_s", number_array(epoch_s, epochs));
  cJSON_AddItemToObject(o, "io_wait_s", number_array(wait, epochs));
  cJSON_AddItemToObject(o, "train_au_percentage", number_array(au_pct, epochs));
  json_add_number(o, "train_au_mean_percentage", au_mean);
  json_add_number(o, "train_au_expectation_percentage", 100.0 * au);
  cJSON_AddStringToObject(o, "train_au_meet_expectation", au_mean >= 100.0 * au ? "success" : "fail");
  cJSON_AddItemToObject(o, "epoch_throughput_samples_per_second", number_array(tput, epochs));
  json_add_number(o, "train_throughput_samples_per_second", read_s > 0 ? (double)n * epochs / read_s : 0);
  json_add_number(o, "train_io_mean_MB_per_second", read_s > 0 ? (double)c.bytes / 1e6 / read_s : 0);
  json_add_number(o, "compute_s", compute_total);
  json_add_number(o, "total_s", run_s);
  json_add_number(o, "preload_s", c.preload_s);
  cJSON_AddNumberToObject(o, "bytes_read", (double)c.bytes);
  cJSON_AddNumberToObject(o, "requests", (double)c.requests);
  cJSON_AddNumberToObject(o, "cache_hits", (double)c.cache_hits);
  cJSON_AddNumberToObject(o, "job_bytes_read", (double)job_c.bytes);  /* all ranks: what is billed */
  cJSON_AddNumberToObject(o, "job_requests", (double)job_c.requests);
  cJSON_AddItemToObject(o, "storage", iostack_json(cfg_str(job, "storage", "backend"), &c));
  long nodes = cfg_int(job, "cost", "nodes");
  double rate = pricing_rate(&it, cfg_bool(job, "cost", "spot")) * (double)nodes;
  cJSON *cost = cJSON_AddObjectToObject(o, "cost");
  cJSON_AddStringToObject(cost, "instance", cfg_str(job, "cost", "instance"));
  cJSON_AddNumberToObject(cost, "nodes", (double)nodes);
  json_add_number(cost, "rate_usd_per_h", rate);
  cost_run_usd run_usd = cost_run(rate, hours * 3600.0, &sc);
  cost_run_to_json(&run_usd, cost);
  char *path = NULL;
  if ((rc = tr_mkdir_p(a->out_dir)) == TR_OK && asprintf(&path, "%s/io.json", a->out_dir) < 0)
    rc = tr_error_set(TR_ENOMEM, "io-bench", "out of memory");
  if (rc == TR_OK) rc = json_write_file(path, o);
  if (rc == TR_OK && !a->quiet)
    log_info("io-bench: %s %s clock: AU %.1f%% (%s %.0f%%), %.0f samples/s, %.1f MB/s, $%.6f; wrote %s",
             cfg_str(job, "storage", "backend"), a->clock, au_mean,
             au_mean >= 100.0 * au ? "meets" : "below", 100.0 * au,
             read_s > 0 ? (double)n * epochs / read_s : 0, read_s > 0 ? (double)c.bytes / 1e6 / read_s : 0,
             run_usd.total_usd, path);
  free(path);
  cJSON_Delete(o);
done:
  free(global);
  free(rows);
  free(order);
  free(epoch_s);
  free(au_pct);
  free(wait);
  free(tput);
  iostack_free(&io);
  return rc;
}

tr_err cmd_io_bench(int argc, char **argv) {
  args a = {0};
  bool help_only = false;
  tr_err rc = parse(argc, argv, &a, &help_only);
  if (rc == TR_OK && help_only) {
    fputs(help, stdout);
    cfg_print_help(job_options, job_options_count, stdout);
  } else if (rc == TR_OK) {
    log_set_quiet(a.quiet);
    cfg *job = job_load(a.job_path, a.sets, a.n_sets);
    rc = job ? run_bench(&a, job) : tr_error_code();
    cfg_free(&job);
  }
  free(a.sets);
  free(a.out_dir);
  return rc;
}
