/* Tests for io/storage.c and io/backends/: the conformance scenario over every backend
 * (the bytes served, and the modelled time on the virtual clock against numbers worked
 * by hand from each model), the real clock never returning before the model's time,
 * fault injection through the wrappers, and the queueing primitives. */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/timer.h"
#include "experiments/job.h"
#include "io/storage_backend.h"
#include "testutil.h"

#define MB 1e6
#define MIB 1048576.0
#define FILE_BYTES (20u << 20)

static char *data_path;
static unsigned char *expect;

static void make_file(void) {
  tu_setup();
  data_path = tu_path(tu_dir, "blob.bin");
  expect = malloc(FILE_BYTES);
  for (size_t i = 0; i < FILE_BYTES; i++) expect[i] = (unsigned char)(i * 2654435761u >> 13);
  int fd = open(data_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, expect, FILE_BYTES), FILE_BYTES);
  close(fd);
}

static void drop_file(void) {
  free(data_path);
  free(expect);
  tu_teardown();
}

/* The conformance scenario: a small read, a read spanning S3 ranges, a re-read. */
static const struct { uint64_t off; size_t n; } scenario[] = {
    {0, 4096}, {1000, 1 << 20}, {3u << 20, 17u << 20}, {0, 4096}};

/* Modelled completion times of the scenario, each read issued at t = 10 s, with the
 * defaults (hand-worked from the models' documented formulas); NaN for a backend with
 * no worked figures yet (the scenario still checks its bytes and counters). */
static double expected_done(const char *be, int i) {
  size_t n = scenario[i].n;
  double t = 10.0;
  if (!strcmp(be, "local") || !strcmp(be, "null")) return t;
  if (strcmp(be, "s3") && strcmp(be, "efs") && strcmp(be, "fsx")) return NAN;
  if (!strcmp(be, "s3")) {
    /* ranges of 8 MiB in parallel on free connections: 45 ms first byte, 165 MB/s each
       (opening an object is free: a GET names it) */
    double biggest = n < 8 * MIB ? (double)n : 8 * MIB;
    return t + 0.045 + biggest / (165 * MB);
  }
  if (!strcmp(be, "efs")) /* elastic: the first read opens the file (0.5 ms), each read
                             pays 0.25 ms, then 1500 MiB/s per client (the smaller) */
    return t + (i == 0 ? 0.0005 : 0) + 0.00025 + (double)n / (1500 * MIB);
  /* fsx SCRATCH_2 1.2 TiB = 240 MB/s; the first read opens the file (1 ms) and lazily
     loads the whole 20 MiB file from S3 through the servers' connections (3 ranges: 8,
     8, 4 MiB in parallel, all through the file system's 240 MB/s); later ones hit */
  double rate = 200 * MB * 1.2, lazy = 0.001 + 0.045 + 20 * MIB / rate;
  return (i == 0 ? t + lazy : t) + 0.0005 + (double)n / rate;
}

START_TEST(conformance_virtual_times) {
  const char *be = stg_backend_name((size_t)_i);
  if (stg_backend_remote((size_t)_i)) return; /* s3real reads a bucket: test_s3.sh */
  stg *s = tu_stg(be, NULL, true, FILE_BYTES);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "/no/such/file/needed", FILE_BYTES, &f), TR_OK);
  for (int i = 0; i < 4; i++) {
    /* each read at t = 10 s + 100 s * i: resources are idle again, so times are exact */
    double t = 10.0 + 100.0 * i;
    ck_assert_int_eq(stg_read(f, NULL, scenario[i].off, scenario[i].n, &t), TR_OK);
    double want = expected_done(be, i) + 100.0 * i;
    ck_assert_msg(isnan(want) ? t >= 10.0 + 100.0 * i : fabs(t - want) < 1e-9, "%s read %d: done %.9f, model %.9f", be, i, t, want);
  }
  stg_counters c = stg_stats(s);
  ck_assert_uint_eq(c.ops, 4);
  ck_assert_uint_eq(c.bytes, 4096 + (1 << 20) + (17u << 20) + 4096);
  if (!strcmp(be, "s3")) ck_assert_uint_eq(c.requests, 1 + 1 + 3 + 1);
  if (!strcmp(be, "fsx")) {
    ck_assert_uint_eq(c.requests, 3); /* the lazy load of the whole file */
    ck_assert_uint_eq(c.lazy_bytes, FILE_BYTES);
    ck_assert_uint_eq(c.cache_hits, 3);
  }
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(conformance_real_bytes) {
  const char *be = stg_backend_name((size_t)_i);
  if (stg_backend_remote((size_t)_i)) return; /* s3real reads a bucket: test_s3.sh */
  /* fast models so the real clock's sleeps are short */
  const char *sets[] = {"storage.s3.first_byte_ms=1", "storage.s3.mb_per_s_per_connection=2000",
                        "storage.fsx.latency_ms=0.1", NULL};
  stg *s = tu_stg(be, sets, false, FILE_BYTES);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char *buf = malloc(17u << 20);
  for (int i = 0; i < 4; i++) {
    double issued = stg_now(s), t = 0;
    memset(buf, 0xAB, scenario[i].n);
    ck_assert_int_eq(stg_read(f, buf, scenario[i].off, scenario[i].n, &t), TR_OK);
    if (!strcmp(be, "null")) {
      unsigned char *zeros = calloc(scenario[i].n, 1);
      ck_assert_int_eq(memcmp(buf, zeros, scenario[i].n), 0);
      free(zeros);
    } else {
      ck_assert_int_eq(memcmp(buf, expect + scenario[i].off, scenario[i].n), 0);
    }
    /* the real clock waits for the model: never done before the modelled time */
    ck_assert(t >= issued);
    ck_assert(stg_now(s) >= t - 1e-6);
  }
  free(buf);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(real_clock_waits_for_the_model) {
  /* one 1 MiB GET at 20 MB/s per connection: 30 ms + 52.4 ms */
  const char *sets[] = {"storage.s3.mb_per_s_per_connection=20", NULL};
  stg *s = tu_stg("s3", sets, false, FILE_BYTES);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char *buf = malloc(1 << 20);
  double t0 = tr_now(), t = 0;
  ck_assert_int_eq(stg_read(f, buf, 0, 1 << 20, &t), TR_OK);
  ck_assert(tr_now() - t0 >= 0.030 + MIB / (20 * MB) - 1e-4);
  free(buf);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(idle_thread_carries_no_debt) {
  /* A read after an idle wait is issued when it is called, not up to STG_DEBT_MAX_S
     earlier: the previous read's late wake-up is not credited to it (30 ms first byte,
     the bytes at 1 TB/s are free). */
  const char *sets[] = {"storage.s3.first_byte_ms=30", "storage.s3.mb_per_s_per_connection=1000000", NULL};
  stg *s = tu_stg("s3", sets, false, FILE_BYTES);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char buf[4096];
  for (int round = 0; round < 3; round++) {
    double t = 0;
    ck_assert_int_eq(stg_read(f, buf, 0, sizeof buf, &t), TR_OK); /* returns late: a debt */
    struct timespec idle = {0, 5000000};
    nanosleep(&idle, NULL);
    stg_thread_idle();
    double before = stg_now(s);
    ck_assert_int_eq(stg_read(f, buf, 0, sizeof buf, &t), TR_OK);
    ck_assert_msg(t >= before + 0.030, "read issued %.6f s before it was called", before + 0.030 - t);
  }
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(s3_connection_pool_and_prefix_limit) {
  /* 2 connections: 10 one-byte GETs issued at once finish in 5 rounds of 45 ms */
  const char *sets[] = {"storage.s3.connections=2", NULL};
  stg *s = tu_stg("s3", sets, true, 0);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", 100, &f), TR_OK);
  double last = 0;
  for (int i = 0; i < 10; i++) {
    double t = 0;
    ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t), TR_OK);
    if (t > last) last = t;
  }
  ck_assert_double_eq_tol(last, 5 * (0.045 + 1 / (165 * MB)), 1e-9);
  stg_close(&f);
  tu_stg_free(&s);
  /* 5 GET/s per prefix and a burst of 5: the 6th GET at t = 0 gets SlowDown twice (at
     0 and at 0.1 s, half a token) and goes at 0.3 s after backoffs of 100 and 200 ms */
  const char *limit[] = {"storage.s3.get_per_s_per_prefix=5", "storage.s3.connections=100", NULL};
  s = tu_stg("s3", limit, true, 0);
  ck_assert_int_eq(stg_open(s, "x", 100, &f), TR_OK);
  double t = 0;
  for (int i = 0; i < 6; i++) {
    t = 0;
    ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t), TR_OK);
  }
  stg_counters c = stg_stats(s);
  ck_assert_uint_eq(c.slowdowns, 2);
  ck_assert_double_eq_tol(t, 0.3 + 0.045 + 1 / (165 * MB), 1e-9);
  ck_assert_uint_eq(c.requests, 6);
  stg_close(&f);
  tu_stg_free(&s);
  /* s3.open_ms (a FUSE mount's HEAD): once per object per epoch, on a connection, billed */
  const char *head[] = {"storage.s3.open_ms=20", "storage.s3.connections=1", NULL};
  s = tu_stg("s3", head, true, 0);
  ck_assert_int_eq(stg_open(s, "x", 100, &f), TR_OK);
  t = 0;
  ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t), TR_OK);
  ck_assert_double_eq_tol(t, 0.020 + 0.045 + 1 / (165 * MB), 1e-9);
  double t2 = t;
  ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t2), TR_OK); /* open already: a GET */
  ck_assert_double_eq_tol(t2 - t, 0.045 + 1 / (165 * MB), 1e-9);
  stg_begin_epoch(s);
  double t3 = t2;
  ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t3), TR_OK); /* a new epoch opens it again */
  ck_assert_double_eq_tol(t3 - t2, 0.020 + 0.045 + 1 / (165 * MB), 1e-9);
  ck_assert_uint_eq(stg_stats(s).requests, 5);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(shared_link_per_request_cost) {
  /* s3.link_ms_per_request = 2 on a 1 GB/s link, 4 connections, 1 ms first byte: four
     1 MiB GETs at t = 0 hold the link one after another from their start, 2 ms + 1.048576
     ms each; without it the link carries bytes only, from the first byte */
  const char *sets[] = {"storage.s3.link_ms_per_request=2", "storage.s3.connections=4", "storage.s3.instance_gbps=8",
                        "storage.s3.mb_per_s_per_connection=1000", "storage.s3.first_byte_ms=1", NULL};
  const double each = MIB / 1e9;
  for (int with = 1; with >= 0; with--) {
    if (!with) sets[0] = "storage.s3.link_ms_per_request=0";
    stg *s = tu_stg("s3", sets, true, 0);
    stg_file *f;
    ck_assert_int_eq(stg_open(s, "x", 1 << 20, &f), TR_OK);
    double last = 0;
    for (int i = 0; i < 4; i++) {
      double t = 0;
      ck_assert_int_eq(stg_read(f, NULL, 0, 1 << 20, &t), TR_OK);
      if (t > last) last = t;
    }
    ck_assert_double_eq_tol(last, with ? 4 * (0.002 + each) : 0.001 + 4 * each, 1e-9);
    stg_close(&f);
    tu_stg_free(&s);
  }
  /* efs.client_ms_per_request = 1 on a 1000 MiB/s client link: three 1 MiB reads at
     t = 0 take 2 ms each on it, in turn */
  const char *efs[] = {"storage.efs.client_ms_per_request=1", "storage.efs.per_client_mib_s=1000",
                       "storage.efs.latency_ms=0", "storage.efs.open_ms=0", NULL};
  stg *s = tu_stg("efs", efs, true, 0);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", 1 << 20, &f), TR_OK);
  double last = 0;
  for (int i = 0; i < 3; i++) {
    double t = 0;
    ck_assert_int_eq(stg_read(f, NULL, 0, 1 << 20, &t), TR_OK);
    if (t > last) last = t;
  }
  ck_assert_double_eq_tol(last, 3 * (0.001 + 0.001), 1e-9);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

/* Rank 0 of `per_node` ranks on one node, the backend `name` of sets, virtual clock. */
static double per_node_last(const char *name, const char *const *sets, int per_node, int reads) {
  job *j = tu_job(sets);
  stg_env env = {.ranks = per_node, .ranks_per_node = per_node, .rank = 0};
  stg *s = stg_new(stg_backend_index(name), &j->storage.model, &env, true);
  ck_assert_ptr_nonnull(s);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", 1 << 20, &f), TR_OK);
  double last = 0;
  for (int i = 0; i < reads; i++) {
    double t = 0;
    ck_assert_int_eq(stg_read(f, NULL, 0, 1 << 20, &t), TR_OK);
    if (t > last) last = t;
  }
  stg_close(&f);
  stg_free(&s);
  job_free(&j);
  return last;
}

START_TEST(shared_link_per_request_cost_two_per_node) {
  /* Two ranks on a node share its link (each half its rate) and its one-at-a-time
     stage: a request costs the stage's time for the node, so on a rank's half of the
     link it holds it twice as long. The node's 8 GETs (4 a rank) take as long as 8 on
     one rank's whole link: 8 * (2 ms + 1.048576 ms), each rank's 4 in turn at half rate. */
  const char *sets[] = {"storage.s3.link_ms_per_request=2", "storage.s3.connections=4", "storage.s3.instance_gbps=8",
                        "storage.s3.mb_per_s_per_connection=1000", "storage.s3.first_byte_ms=1", NULL};
  const double each = MIB / 1e9;
  ck_assert_double_eq_tol(per_node_last("s3", sets, 1, 4), 4 * (0.002 + each), 1e-9);
  ck_assert_double_eq_tol(per_node_last("s3", sets, 2, 4), 4 * 2 * (0.002 + each), 1e-9);
  /* efs: 1 ms a read at the node's 1000 MiB/s client, two ranks at 500 MiB/s each:
     a rank's 1 MiB read holds its half for 2 ms (its bytes) + 2 ms (the request) */
  const char *efs[] = {"storage.efs.client_ms_per_request=1", "storage.efs.per_client_mib_s=1000",
                       "storage.efs.latency_ms=0", "storage.efs.open_ms=0", NULL};
  ck_assert_double_eq_tol(per_node_last("efs", efs, 1, 3), 3 * (0.001 + 0.001), 1e-9);
  ck_assert_double_eq_tol(per_node_last("efs", efs, 2, 3), 3 * (0.002 + 0.002), 1e-9);
}
END_TEST

START_TEST(efs_bursting_credits) {
  /* 100 GiB stored: baseline 5000 KiB/s, burst 100 MiB/s; 50 MiB of credits */
  const char *sets[] = {"storage.efs.mode=bursting", "storage.efs.stored_gib=100", "storage.efs.read_meter=1",
                        "storage.efs.burst_credits_gib=0.048828125", "storage.efs.latency_ms=0",
                        "storage.efs.open_ms=0", NULL};
  stg *s = tu_stg("efs", sets, true, 0);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", 1 << 30, &f), TR_OK);
  double base = 5000 * 1024.0, burst = 100 * MIB, credits = 50 * MIB;
  /* 10 MiB at burst: drains (burst - base) * d credits */
  double t = 0;
  ck_assert_int_eq(stg_read(f, NULL, 0, 10 << 20, &t), TR_OK);
  ck_assert_double_eq_tol(t, 10 * MIB / burst, 1e-9);
  credits -= (burst - base) * t;
  /* 100 MiB right after: bursts until the credits are gone, then the baseline */
  double t0 = t;
  ck_assert_int_eq(stg_read(f, NULL, 0, 100 << 20, &t), TR_OK);
  double d1 = credits / (burst - base), rest = 100 * MIB - d1 * burst;
  ck_assert_double_eq_tol(t - t0, d1 + rest / base, 1e-6);
  stg_close(&f);
  tu_stg_free(&s);
  /* the default metering: a read counts one third of its size, so 30 MiB of reads move
     in the time of 10 MiB at the burst rate (and drain 10 MiB's credits) */
  const char *metered[] = {"storage.efs.mode=bursting", "storage.efs.stored_gib=100", "storage.efs.latency_ms=0",
                           "storage.efs.open_ms=0", NULL};
  s = tu_stg("efs", metered, true, 0);
  ck_assert_int_eq(stg_open(s, "x", 1 << 30, &f), TR_OK);
  t = 0;
  ck_assert_int_eq(stg_read(f, NULL, 0, 30 << 20, &t), TR_OK);
  ck_assert_double_eq_tol(t, 30 * MIB * 0.333333 / burst, 1e-9);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(fsx_preload_and_chunks) {
  const char *sets[] = {"storage.fsx.preload=true", "storage.fsx.chunk_mib=4", NULL};
  stg *s = tu_stg("fsx", sets, true, FILE_BYTES);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", FILE_BYTES, &f), TR_OK);
  double t = 0;
  ck_assert_int_eq(stg_preload(s, &f, 1, &t), TR_OK);
  /* 5 chunks of 4 MiB over 5 of the servers' 32 connections at once, through the file
     system's 240 MB/s (SCRATCH_2, 1.2 TiB), not the instance's connection pool */
  ck_assert_double_eq_tol(t, 0.045 + 5 * 4 * MIB / (240 * MB), 1e-9);
  stg_counters c = stg_stats(s);
  ck_assert_uint_eq(c.requests, 5);
  ck_assert_double_eq_tol(c.preload_s, t, 1e-12);
  double r = 100;
  ck_assert_int_eq(stg_read(f, NULL, 5u << 20, 1 << 20, &r), TR_OK);
  ck_assert_uint_eq(stg_stats(s).cache_hits, 1);
  ck_assert_uint_eq(stg_stats(s).requests, 5);
  stg_close(&f);
  tu_stg_free(&s);
  /* the job's preload on 2 ranks, one file: both ranks' models see it loaded at the same
     time, by the whole file system (not half of it), and only rank 0 counts its GETs */
  job *j = tu_job(sets);
  double at[2];
  for (int rank = 0; rank < 2; rank++) {
    stg_env env = {.ranks = 2, .ranks_per_node = 1, .data_bytes = FILE_BYTES, .rank = rank};
    stg *r = stg_new(stg_backend_index("fsx"), &j->storage.model, &env, true);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(stg_open(r, "x", FILE_BYTES, &f), TR_OK);
    at[rank] = 0;
    ck_assert_int_eq(stg_preload(r, &f, 1, &at[rank]), TR_OK);
    ck_assert_uint_eq(stg_stats(r).requests, rank == 0 ? 5 : 0);
    stg_close(&f);
    stg_free(&r);
  }
  ck_assert_double_eq_tol(at[0], 0.045 + 5 * 4 * MIB / (240 * MB), 1e-9);
  ck_assert_double_eq_tol(at[1], at[0], 1e-12);
  job_free(&j);
}
END_TEST

/* Rank `rank` of `ranks` of the fsx model of sets, on the virtual clock (stg_free it and
 * job_free *j). */
static stg *fsx_rank(const char *const *sets, int rank, int ranks, uint64_t data_bytes, job **j) {
  *j = tu_job(sets);
  stg_env env = {.ranks = ranks, .ranks_per_node = 1, .data_bytes = data_bytes, .rank = rank};
  stg *s = stg_new(stg_backend_index("fsx"), &(*j)->storage.model, &env, true);
  ck_assert_ptr_nonnull(s);
  ck_assert(stg_plans(s));
  return s;
}

START_TEST(fsx_cache_is_the_jobs) {
  /* three ranks read the one 20 MiB file in epoch 1 (a single HDF5 file split into
     hyperslabs): its lazy load is 3 ranged GETs of 8, 8, 4 MiB, done once for the job,
     split over the three readers: each rank counts one GET and its bytes, and all three
     models see the file there at the same time (the 8 MiB share through a rank's share of
     the servers: 240 / 3 MB/s); without the plan each rank loaded and counted it all */
  double at[3];
  uint64_t requests = 0, lazy = 0;
  for (int rank = 0; rank < 3; rank++) {
    job *j;
    stg *s = fsx_rank(NULL, rank, 3, FILE_BYTES, &j);
    stg_file *f;
    ck_assert_int_eq(stg_open(s, "x", FILE_BYTES, &f), TR_OK);
    for (int q = 0; q < 3; q++) ck_assert_int_eq(stg_plan(f, q, 1, 0, FILE_BYTES), TR_OK);
    stg_begin_epoch(s);
    at[rank] = 10;
    ck_assert_int_eq(stg_read(f, NULL, 0, 1 << 20, &at[rank]), TR_OK);
    stg_counters c = stg_stats(s);
    ck_assert_uint_eq(c.requests, 1);
    ck_assert_uint_eq(c.lazy_bytes, rank < 2 ? 8u << 20 : 4u << 20);
    requests += c.requests;
    lazy += c.lazy_bytes;
    /* the next epoch: loaded, a hit */
    stg_begin_epoch(s);
    double t = 100;
    ck_assert_int_eq(stg_read(f, NULL, 5u << 20, 1 << 20, &t), TR_OK);
    ck_assert_double_eq_tol(t, 100 + 0.001 + 0.0005 + MIB / (80 * MB), 1e-9);
    ck_assert_uint_eq(stg_stats(s).requests, 1);
    ck_assert_uint_eq(stg_stats(s).cache_hits, 1);
    stg_close(&f);
    stg_free(&s);
    job_free(&j);
  }
  ck_assert_uint_eq(requests, 3); /* the job's truth: the file's GETs once */
  ck_assert_uint_eq(lazy, FILE_BYTES);
  double lazy_s = 0.001 + 0.045 + 8 * MIB / (80 * MB);
  ck_assert_double_eq_tol(at[0], 10 + lazy_s + 0.0005 + MIB / (80 * MB), 1e-9);
  ck_assert_double_eq_tol(at[1], at[0], 1e-12);
  ck_assert_double_eq_tol(at[2], at[0], 1e-12);
}
END_TEST

START_TEST(fsx_reassigned_files_hit) {
  /* two ranks, files A and B of 5 chunks of 4 MiB (a GET each): epoch 1 rank 0 reads A and
     rank 1 B, epoch 2 they swap (a loader that deals files to ranks anew each epoch), and
     file C is first read in epoch 2, by rank 1. Each rank loads only its epoch-1 file;
     the other's is a hit in epoch 2 although this rank's model never loaded it */
  const char *sets[] = {"storage.fsx.chunk_mib=4", NULL};
  uint64_t requests = 0;
  for (int rank = 0; rank < 2; rank++) {
    job *j;
    stg *s = fsx_rank(sets, rank, 2, 3 * (uint64_t)FILE_BYTES, &j);
    stg_file *f[3];
    for (int k = 0; k < 3; k++) ck_assert_int_eq(stg_open(s, "x", FILE_BYTES, &f[k]), TR_OK);
    /* the plan, the same on both ranks: epoch by epoch, rank by rank */
    ck_assert_int_eq(stg_plan(f[0], 0, 1, 0, FILE_BYTES), TR_OK);
    ck_assert_int_eq(stg_plan(f[1], 1, 1, 0, FILE_BYTES), TR_OK);
    ck_assert_int_eq(stg_plan(f[1], 0, 2, 0, FILE_BYTES), TR_OK);
    ck_assert_int_eq(stg_plan(f[0], 1, 2, 0, FILE_BYTES), TR_OK);
    ck_assert_int_eq(stg_plan(f[2], 1, 2, 0, FILE_BYTES), TR_OK);
    stg_begin_epoch(s);
    double t = 0;
    ck_assert_int_eq(stg_read(f[rank], NULL, 0, FILE_BYTES, &t), TR_OK);
    ck_assert_uint_eq(stg_stats(s).requests, 5);
    ck_assert_uint_eq(stg_stats(s).lazy_bytes, FILE_BYTES);
    stg_begin_epoch(s);
    t = 1000;
    ck_assert_int_eq(stg_read(f[1 - rank], NULL, 0, FILE_BYTES, &t), TR_OK);
    /* the file's open, a read of loaded data at the rank's 120 MB/s: nothing loaded */
    ck_assert_double_eq_tol(t, 1000 + 0.001 + 0.0005 + FILE_BYTES / (120 * MB), 1e-9);
    stg_counters c = stg_stats(s);
    ck_assert_uint_eq(c.requests, 5);
    ck_assert_uint_eq(c.cache_hits, 1);
    if (rank == 1) { /* C: its first epoch is 2, its one reader rank 1 loads it all */
      t = 2000;
      ck_assert_int_eq(stg_read(f[2], NULL, 0, FILE_BYTES, &t), TR_OK);
      ck_assert_uint_eq(stg_stats(s).requests, 10);
    }
    requests += stg_stats(s).requests;
    for (int k = 0; k < 3; k++) stg_close(&f[k]);
    stg_free(&s);
    job_free(&j);
  }
  ck_assert_uint_eq(requests, 15); /* each chunk of A, B and C once */
}
END_TEST

START_TEST(fsx_import_connection_shares) {
  /* 2 import connections over 4 ranks: one connection each at half the per-connection
     rate (a connection time-shared), not one whole connection each (4 in all); 1 MiB
     file, a file system fast enough not to matter */
  const char *fast_fs[] = {"storage.fsx.import_connections=2", "storage.fsx.mb_per_s_per_tib=1000000", NULL};
  job *j;
  stg *s = fsx_rank(fast_fs, 0, 4, 1 << 20, &j);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", 1 << 20, &f), TR_OK);
  double t = 0, rate = 1e6 * 1e6 * 1.2 / 4;
  ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t), TR_OK);
  ck_assert_double_eq_tol(t, 0.001 + 0.045 + MIB / (165 * MB / 2) + 0.0005 + 1 / rate, 1e-9);
  stg_close(&f);
  stg_free(&s);
  job_free(&j);
  /* 32 over 3 ranks: 11, 11, 10 (32 in all): 11 GETs of 1 MiB take one round on rank 0
     and two on rank 2 */
  const char *ranges[] = {"storage.s3.range_mib=1", "storage.fsx.mb_per_s_per_tib=1000000", NULL};
  rate = 1e6 * 1e6 * 1.2 / 3;
  for (int rank = 0; rank < 3; rank += 2) {
    s = fsx_rank(ranges, rank, 3, 11 << 20, &j);
    ck_assert_int_eq(stg_open(s, "x", 11 << 20, &f), TR_OK);
    t = 0;
    ck_assert_int_eq(stg_read(f, NULL, 0, 1, &t), TR_OK);
    double get = 0.045 + MIB / (165 * MB), rounds = rank == 0 ? 1 : 2;
    ck_assert_double_eq_tol(t, 0.001 + rounds * get + 0.0005 + 1 / rate, 1e-6);
    ck_assert_uint_eq(stg_stats(s).requests, 11);
    stg_close(&f);
    stg_free(&s);
    job_free(&j);
  }
}
END_TEST

START_TEST(efs_provisioned_floor) {
  /* provisioned 1 MiB/s on 1 TiB stored: the storage drives its bursting baseline of
     50 MiB/s, the higher: 30 MiB of reads metered at a third in 10 MiB / 50 MiB/s */
  const char *low[] = {"storage.efs.mode=provisioned", "storage.efs.provisioned_mib_s=1", "storage.efs.stored_gib=1024",
                       "storage.efs.latency_ms=0", "storage.efs.open_ms=0", NULL};
  stg *s = tu_stg("efs", low, true, 0);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, "x", 1 << 30, &f), TR_OK);
  double t = 0;
  ck_assert_int_eq(stg_read(f, NULL, 0, 30 << 20, &t), TR_OK);
  ck_assert_double_eq_tol(t, 30 * MIB * 0.333333 / (50 * MIB), 1e-9);
  stg_close(&f);
  tu_stg_free(&s);
  /* 128 MiB/s provisioned on 100 GiB (a 4.9 MiB/s baseline): the provisioned rate */
  const char *high[] = {"storage.efs.mode=provisioned", "storage.efs.stored_gib=100", "storage.efs.latency_ms=0",
                        "storage.efs.open_ms=0", NULL};
  s = tu_stg("efs", high, true, 0);
  ck_assert_int_eq(stg_open(s, "x", 1 << 30, &f), TR_OK);
  t = 0;
  ck_assert_int_eq(stg_read(f, NULL, 0, 30 << 20, &t), TR_OK);
  ck_assert_double_eq_tol(t, 30 * MIB * 0.333333 / (128 * MIB), 1e-9);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(fault_injection) {
  /* local: the 2nd read fails, naming the file */
  const char *at2[] = {"storage.fault.error_at=2", NULL};
  stg *s = tu_stg("local", at2, false, FILE_BYTES);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char buf[64];
  double t = 0;
  ck_assert_int_eq(stg_read(f, buf, 0, 64, &t), TR_OK);
  tr_error_clear();
  ck_assert_int_eq(stg_read(f, buf, 0, 64, &t), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "blob.bin"));
  ck_assert_int_eq(stg_read(f, buf, 0, 64, &t), TR_OK);
  stg_close(&f);
  tu_stg_free(&s);
  /* s3 retries the same failure with backoff (SDK semantics) and succeeds */
  const char *fast[] = {"storage.fault.error_at=1", "storage.s3.first_byte_ms=0",
                        "storage.s3.backoff_ms=1", NULL};
  s = tu_stg("s3", fast, false, FILE_BYTES);
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  tr_error_clear();
  ck_assert_int_eq(stg_read(f, buf, 100, 64, &t), TR_OK);
  ck_assert_int_eq(memcmp(buf, expect + 100, 64), 0);
  ck_assert_uint_eq(stg_stats(s).retries, 1);
  ck_assert_int_eq(tr_error_code(), TR_OK);
  stg_close(&f);
  tu_stg_free(&s);
  /* every GET fails: after s3.max_attempts the read fails */
  const char *always[] = {"storage.fault.error_rate=1", "storage.s3.first_byte_ms=0",
                          "storage.s3.backoff_ms=1", NULL};
  s = tu_stg("s3", always, false, FILE_BYTES);
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  ck_assert_int_eq(stg_read(f, buf, 0, 64, &t), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "retries exhausted"));
  ck_assert_uint_eq(stg_stats(s).retries, 2);
  stg_close(&f);
  tu_stg_free(&s);
  /* short reads are completed by the wrapper */
  const char *shorts[] = {"storage.fault.short_rate=1", NULL};
  s = tu_stg("local", shorts, false, FILE_BYTES);
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char *big = malloc(1 << 20);
  ck_assert_int_eq(stg_read(f, big, 12345, 1 << 20, &t), TR_OK);
  ck_assert_int_eq(memcmp(big, expect + 12345, 1 << 20), 0);
  ck_assert_uint_eq(stg_stats(s).short_reads, 1);
  /* a read past the end is an I/O error naming the file */
  tr_error_clear();
  ck_assert_int_eq(stg_read(f, big, FILE_BYTES - 10, 100, &t), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "end of file"));
  free(big);
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static void *stop_soon(void *arg) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  stop_flag = 15;
  return arg;
}

START_TEST(stop_wakes_waits) {
  /* a 1 MiB GET at 0.01 MB/s would take 100 s; a stop request 0.1 s in ends it at once */
  const char *sets[] = {"storage.s3.mb_per_s_per_connection=0.01", NULL};
  stg *s = tu_stg("s3", sets, false, FILE_BYTES);
  stop_flag = 0;
  stg_set_stop(s, &stop_flag);
  stg_file *f;
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char *buf = malloc(1 << 20);
  pthread_t th;
  pthread_create(&th, NULL, stop_soon, NULL);
  double t0 = tr_now(), t = 0;
  tr_error_clear();
  ck_assert_int_eq(stg_read(f, buf, 0, 1 << 20, &t), TR_ESTOPPED);
  double took = tr_now() - t0;
  ck_assert_msg(took < 0.1 + 2 * STG_STOP_LATENCY_S + 0.1, "stopped after %.3f s", took);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "stopped on request"));
  pthread_join(th, NULL);
  /* and the backoff between retries too */
  tr_error_clear();
  free(buf);
  stg_close(&f);
  tu_stg_free(&s);
  const char *retry[] = {"storage.fault.error_rate=1", "storage.s3.backoff_ms=60000", "storage.s3.first_byte_ms=0", NULL};
  s = tu_stg("s3", retry, false, FILE_BYTES);
  stop_flag = 0;
  stg_set_stop(s, &stop_flag);
  ck_assert_int_eq(stg_open(s, data_path, FILE_BYTES, &f), TR_OK);
  unsigned char small[64];
  pthread_create(&th, NULL, stop_soon, NULL);
  t0 = tr_now();
  ck_assert_int_eq(stg_read(f, small, 0, 64, &t), TR_ESTOPPED);
  ck_assert(tr_now() - t0 < 0.5);
  pthread_join(th, NULL);
  tr_error_clear();
  stg_close(&f);
  tu_stg_free(&s);
}
END_TEST

START_TEST(open_errors) {
  job *j = job_load(NULL, NULL, 0);
  stg_env env = {1, 1, 0, 0};
  tr_error_clear();
  ck_assert_ptr_null(stg_new((int)stg_backend_count(), &j->storage.model, &env, false));
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "storage.backend: unknown backend"));
  stg *s = stg_new(stg_backend_index("s3"), &j->storage.model, &env, false);
  stg_file *f = NULL;
  tr_error_clear();
  ck_assert_int_eq(stg_open(s, "/no/such/shard.h5", 10, &f), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "/no/such/shard.h5"));
  ck_assert_ptr_null(f);
  stg_free(&s);
  job_free(&j);
}
END_TEST

START_TEST(primitives) {
  stg_pipe p = {.rate = 100};
  ck_assert_double_eq_tol(stg_pipe_reserve(&p, 1, 50), 1.5, 1e-12);
  ck_assert_double_eq_tol(stg_pipe_reserve(&p, 1, 50), 2.0, 1e-12); /* queued behind */
  ck_assert_double_eq_tol(stg_pipe_reserve(&p, 5, 100), 6.0, 1e-12);
  stg_bucket b = {.rate = 2, .burst = 2, .tokens = 2};
  ck_assert(stg_bucket_try(&b, 0));
  ck_assert(stg_bucket_try(&b, 0));
  ck_assert(!stg_bucket_try(&b, 0));
  ck_assert(stg_bucket_try(&b, 0.5)); /* one token refilled */
  ck_assert(!stg_bucket_try(&b, 0.5));
  double free_at[3] = {3, 1, 2};
  stg_slots sl = {3, free_at};
  ck_assert_int_eq(stg_slots_pick(&sl), 1);
  ck_assert_double_eq_tol(stg_backoff(0.1, 0), 0.1, 1e-12);
  ck_assert_double_eq_tol(stg_backoff(0.1, 3), 0.8, 1e-12);
  ck_assert_double_eq_tol(stg_backoff(0.1, 40), 20.0, 1e-12);
}
END_TEST

START_TEST(registry) {
  /* the one list: names, lookups, the job's choices */
  ck_assert_ptr_null(stg_find("nfs"));
  ck_assert_int_eq(stg_backend_index("nfs"), -1);
  char names[256] = "";
  for (size_t i = 0; i < stg_backend_count(); i++) {
    const char *name = stg_backend_name(i);
    ck_assert_str_eq(stg_find(name)->name, name);
    ck_assert_int_eq(stg_backend_index(name), (int)i);
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "|" : "", name);
    /* every backend option is its own ([storage] "<name>.key") and stored somewhere */
    cfg_table t = stg_backend_options(i);
    for (size_t k = 0; k < t.n; k++) {
      ck_assert_str_eq(t.opts[k].section, "storage");
      ck_assert(!strncmp(t.opts[k].key, name, strlen(name)) && t.opts[k].key[strlen(name)] == '.');
      ck_assert(t.opts[k].at > 0 && t.opts[k].at <= stg_backend_params_size(i));
    }
  }
  ck_assert_str_eq(stg_names(), names);
  ck_assert_str_eq(stg_names(), "local|null|s3|efs|fsx|s3real");
  ck_assert(stg_backend_remote((size_t)stg_backend_index("s3real")));
  ck_assert(!stg_backend_remote((size_t)stg_backend_index("s3")));
}
END_TEST

int main(void) {
  Suite *s = suite_create("storage");
  TCase *tc = tcase_create("storage");
  tcase_add_unchecked_fixture(tc, make_file, drop_file); /* one 20 MiB file for all */
  tcase_add_loop_test(tc, conformance_virtual_times, 0, (int)stg_backend_count());
  tcase_add_loop_test(tc, conformance_real_bytes, 0, (int)stg_backend_count());
  tcase_add_test(tc, real_clock_waits_for_the_model);
  tcase_add_test(tc, idle_thread_carries_no_debt);
  tcase_add_test(tc, s3_connection_pool_and_prefix_limit);
  tcase_add_test(tc, efs_bursting_credits);
  tcase_add_test(tc, shared_link_per_request_cost);
  tcase_add_test(tc, shared_link_per_request_cost_two_per_node);
  tcase_add_test(tc, fsx_preload_and_chunks);
  tcase_add_test(tc, fsx_cache_is_the_jobs);
  tcase_add_test(tc, fsx_reassigned_files_hit);
  tcase_add_test(tc, fsx_import_connection_shares);
  tcase_add_test(tc, efs_provisioned_floor);
  tcase_add_test(tc, fault_injection);
  tcase_add_test(tc, open_errors);
  tcase_add_test(tc, stop_wakes_waits);
  tcase_add_test(tc, primitives);
  tcase_add_test(tc, registry);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
