/* Tests for io/loader.c: batches read through every backend hold exactly the rows the
 * in-memory reader gives (gzip chunks, several threads, any prefetch), an epoch can end
 * early and start again, a failed read reaches the consumer with the file named, the
 * discrete-event simulation against hand-worked epoch times, and the epoch orders. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/job.h"
#include "io/h5io.h"
#include "io/loader.h"
#include "io/synth.h"
#include "testutil.h"

#define ROWS 1000
#define COLS 7

static ds_dataset *data;
static char *h5;

static void make_data(void) {
  tu_setup();
  synth_params o = synth_defaults();
  o.rows = ROWS;
  o.features = COLS;
  o.classes = 2;
  o.seed = 5;
  ck_assert_int_eq(synth_classification(&o, &data), TR_OK);
  h5 = tu_path(tu_dir, "d.h5");
  h5io_write_opts w = {.deflate = 4, .chunk_rows = 64};
  ck_assert_int_eq(h5io_write(h5, data, &w), TR_OK);
}

static void drop_data(void) {
  ds_free(&data);
  free(h5);
  tu_teardown();
}

static stg *backend(const char *name, const char *const *sets, bool virtual_clock) {
  return tu_stg(name, sets, virtual_clock, 1 << 20);
}

static const char *const fast[] = {"storage.s3.first_byte_ms=0.2", "storage.efs.latency_ms=0.05",
                                   "storage.fsx.latency_ms=0.05", NULL};
static const char *const names[] = {"local", "s3", "efs", "fsx", "null"};

/* A shuffled epoch of every row, in batches of bs. */
static uint64_t *shuffled_rows(uint64_t seed) {
  size_t order[ROWS];
  uint64_t *rows = malloc(ROWS * sizeof *rows);
  rng_t r;
  rng_seed(&r, seed);
  for (size_t i = 0; i < ROWS; i++) order[i] = i;
  rng_shuffle(&r, order, ROWS);
  for (size_t i = 0; i < ROWS; i++) rows[i] = order[i];
  return rows;
}

START_TEST(batches_match_memory) {
  const char *be = names[_i];
  layout *L;
  ck_assert_int_eq(layout_open(h5, NULL, &L), TR_OK);
  stg *s = backend(be, fast, false);
  loader *ld;
  loader_opts o = {.read_threads = 3, .prefetch = 2, .transfer_bytes = 4096};
  ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
  for (int epoch = 0; epoch < 2; epoch++) {
    uint64_t *rows = shuffled_rows((uint64_t)epoch);
    ck_assert_int_eq(loader_start_epoch(ld, rows, ROWS, 48), TR_OK);
    double wait = 0;
    for (size_t b = 0; b * 48 < ROWS; b++) {
      float *X;
      size_t n;
      ck_assert_int_eq(loader_next(ld, &X, &n, &wait), TR_OK);
      ck_assert_uint_eq(n, ROWS - b * 48 < 48 ? ROWS - b * 48 : 48);
      for (size_t i = 0; i < n; i++) {
        const float *want = data->X + rows[b * 48 + i] * COLS;
        for (size_t j = 0; j < COLS; j++)
          ck_assert_float_eq(X[i * COLS + j], strcmp(be, "null") ? want[j] : 0.0f);
      }
    }
    float *X;
    size_t n;
    tr_error_clear();
    ck_assert_int_eq(loader_next(ld, &X, &n, NULL), TR_EINTERNAL); /* past the end */
    loader_end_epoch(ld);
    free(rows);
  }
  ck_assert_uint_gt(stg_stats(s).ops, 0);
  loader_free(&ld);
  ck_assert_ptr_null(ld);
  tu_stg_free(&s);
  layout_free(&L);
}
END_TEST

/* Uncompressed rows read straight into the batch (layout_in_place) or through the
 * staging buffer: the same values in storage order and in random order. */
START_TEST(raw_rows_in_place) {
  char *raw = tu_path(tu_dir, "raw.h5");
  h5io_write_opts w = {.deflate = 0, .chunk_rows = 100};
  ck_assert_int_eq(h5io_write(raw, data, &w), TR_OK);
  layout *L;
  ck_assert_int_eq(layout_open(raw, NULL, &L), TR_OK);
  stg *s = backend("local", NULL, false);
  loader *ld;
  loader_opts o = {.read_threads = 2, .prefetch = 1, .transfer_bytes = 1000};
  ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
  uint64_t in_order[ROWS], *shuffled = shuffled_rows(4);
  for (size_t i = 0; i < ROWS; i++) in_order[i] = i;
  const uint64_t *orders[] = {in_order, shuffled};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(loader_start_epoch(ld, orders[k], ROWS, 96), TR_OK);
    for (size_t b = 0; b * 96 < ROWS; b++) {
      float *X;
      size_t n;
      ck_assert_int_eq(loader_next(ld, &X, &n, NULL), TR_OK);
      for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(memcmp(X + i * COLS, data->X + orders[k][b * 96 + i] * COLS, COLS * sizeof(float)), 0);
    }
    loader_end_epoch(ld);
  }
  /* the decision itself: consecutive rows at consecutive positions, each once */
  layout_extent *ext;
  size_t m, pos = 99;
  layout_scratch *sc = layout_scratch_new(L);
  uint64_t run[] = {7, 10, 11, 12, 3};
  ck_assert_int_eq(layout_plan(L, run + 1, 3, 1 << 20, &ext, &m), TR_OK);
  ck_assert_uint_eq(m, 1);
  ck_assert(layout_in_place(L, &ext[0], run, 5, sc, &pos));
  ck_assert_uint_eq(pos, 1);
  uint64_t swapped[] = {11, 10, 12};
  ck_assert(!layout_in_place(L, &ext[0], swapped, 3, sc, &pos));
  uint64_t twice[] = {10, 11, 12, 11};
  ck_assert(!layout_in_place(L, &ext[0], twice, 4, sc, &pos));
  free(ext);
  layout_scratch_free(&sc);
  loader_free(&ld);
  tu_stg_free(&s);
  layout_free(&L);
  free(shuffled);
  free(raw);
}
END_TEST

START_TEST(no_prefetch_and_early_end) {
  layout *L;
  ck_assert_int_eq(layout_open(h5, NULL, &L), TR_OK);
  stg *s = backend("s3", fast, false);
  loader *ld;
  loader_opts o = {.read_threads = 1, .prefetch = 0, .transfer_bytes = 1 << 20};
  ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
  uint64_t *rows = shuffled_rows(9);
  ck_assert_int_eq(loader_start_epoch(ld, rows, ROWS, 100), TR_OK);
  float *X;
  size_t n;
  ck_assert_int_eq(loader_next(ld, &X, &n, NULL), TR_OK);
  loader_end_epoch(ld); /* interrupted after one batch */
  ck_assert_int_eq(loader_start_epoch(ld, rows, ROWS, 100), TR_OK);
  for (int b = 0; b < 10; b++) {
    ck_assert_int_eq(loader_next(ld, &X, &n, NULL), TR_OK);
    ck_assert_float_eq(X[3], data->X[rows[b * 100] * COLS + 3]);
  }
  loader_free(&ld);
  free(rows);
  tu_stg_free(&s);
  layout_free(&L);
}
END_TEST

START_TEST(read_error_reaches_consumer) {
  layout *L;
  ck_assert_int_eq(layout_open(h5, NULL, &L), TR_OK);
  const char *sets[] = {"storage.fault.error_at=5", NULL};
  stg *s = backend("local", sets, false);
  loader *ld;
  loader_opts o = {.read_threads = 4, .prefetch = 3, .transfer_bytes = 4096};
  ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
  uint64_t *rows = shuffled_rows(2);
  ck_assert_int_eq(loader_start_epoch(ld, rows, ROWS, 32), TR_OK);
  tr_err rc = TR_OK;
  for (size_t b = 0; rc == TR_OK && b * 32 < ROWS; b++) {
    float *X;
    size_t n;
    tr_error_clear();
    rc = loader_next(ld, &X, &n, NULL);
  }
  ck_assert_int_eq(rc, TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "d.h5"));
  loader_free(&ld); /* joins its threads: no hang with reads in flight */
  free(rows);
  tu_stg_free(&s);
  layout_free(&L);
}
END_TEST

START_TEST(simulated_epochs) {
  /* 10 files of 100 rows of 1 KiB; in storage order one batch is one file, read in one
     100 KiB GET: io = 45 ms + 102400 / 165 MB/s */
  layout *L = layout_synthetic(10, 100, 256);
  ck_assert_ptr_nonnull(L);
  double io = 0.045 + 102400.0 / 165e6, c = 0.05;
  uint64_t rows[1000];
  for (int i = 0; i < 1000; i++) rows[i] = (uint64_t)i;
  for (int prefetch = 0; prefetch <= 1; prefetch++) {
    stg *s = backend("s3", NULL, true);
    loader *ld;
    loader_opts o = {.read_threads = 1, .prefetch = prefetch, .transfer_bytes = 1 << 20};
    ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
    double t = 2.0, wait = 0;
    ck_assert_int_eq(loader_simulate(ld, rows, 1000, 100, c, &t, &wait), TR_OK);
    if (prefetch == 0) { /* every batch waits for its read */
      ck_assert_double_eq_tol(t - 2.0, 10 * (io + c), 1e-9);
      ck_assert_double_eq_tol(wait, 10 * io, 1e-9);
    } else { /* reads hide behind compute (c > io) after the first */
      ck_assert_double_eq_tol(t - 2.0, io + 10 * c, 1e-9);
      ck_assert_double_eq_tol(wait, io, 1e-9);
    }
    ck_assert_uint_eq(stg_stats(s).requests, 10);
    loader_free(&ld);
    tu_stg_free(&s);
  }
  /* null storage: the epoch is the compute alone */
  stg *s = backend("null", NULL, true);
  loader *ld;
  loader_opts o = {.read_threads = 2, .prefetch = 2, .transfer_bytes = 1 << 20};
  ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
  double t = 0, wait = 0;
  ck_assert_int_eq(loader_simulate(ld, rows, 1000, 100, c, &t, &wait), TR_OK);
  ck_assert_double_eq_tol(t, 10 * c, 1e-12);
  ck_assert_double_eq_tol(wait, 0, 1e-12);
  loader_free(&ld);
  tu_stg_free(&s);
  layout_free(&L);
}
END_TEST

START_TEST(epoch_orders) {
  layout *L = layout_synthetic(4, 50, 64); /* 256-byte rows */
  uint64_t global[120];
  size_t order[120], ref[120];
  for (int i = 0; i < 120; i++) global[i] = (uint64_t)(199 - i); /* reversed */
  rng_t a, b;
  rng_seed(&a, 3);
  rng_seed(&b, 3);
  /* sample: exactly rng_shuffle of 0..n), the in-memory loop's order */
  ck_assert_int_eq(loader_order(L, LOADER_SAMPLE, 4096, &a, global, order, 120), TR_OK);
  for (int i = 0; i < 120; i++) ref[i] = (size_t)i;
  rng_shuffle(&b, ref, 120);
  ck_assert_int_eq(memcmp(order, ref, sizeof order), 0);
  /* none: storage order */
  ck_assert_int_eq(loader_order(L, LOADER_NONE, 4096, &a, global, order, 120), TR_OK);
  for (int i = 1; i < 120; i++) ck_assert_uint_lt(global[order[i - 1]], global[order[i]]);
  /* block: 16-row blocks (4 KiB), each block's rows together, blocks shuffled */
  ck_assert_int_eq(loader_order(L, LOADER_BLOCK, 4096, &a, global, order, 120), TR_OK);
  int seen[200] = {0}, block_changes = 0, ascending_blocks = 1;
  for (int i = 0; i < 120; i++) seen[global[order[i]]]++;
  for (int r = 80; r < 200; r++) ck_assert_int_eq(seen[r], 1);
  for (int i = 1; i < 120; i++) {
    uint64_t r0, r1, p0, p1;
    (void)r1;
    (void)p1;
    /* block of a global row: rows are cut per file into runs of 16 */
    uint64_t g = global[order[i]], h = global[order[i - 1]];
    r0 = (g / 50) * 100 + (g % 50) / 16;
    p0 = (h / 50) * 100 + (h % 50) / 16;
    if (r0 != p0) {
      block_changes++;
      if (r0 < p0) ascending_blocks = 0;
    }
  }
  /* rows 80..199: files 1-3, blocks of 16 within each: 3 + 3 + 4... 10 runs at most */
  ck_assert_int_le(block_changes, 12);
  ck_assert_int_eq(ascending_blocks, 0); /* shuffled, not storage order */
  layout_free(&L);
}
END_TEST

START_TEST(fsx_job_plan) {
  /* 3 files of 100 rows of 1 KiB (a whole-file lazy load of one GET each) over 2 ranks:
     rank 0 reads rows 0..149, rank 1 rows 150..299, so file 1 is both ranks'. Both
     declare the job's plan (loader_plan), read their rows in epoch 1 and each other's in
     epoch 2: the job loads every file once (3 GETs, as one rank reading it all), and the
     swapped epoch loads nothing */
  layout *L = layout_synthetic(3, 100, 256);
  ck_assert_ptr_nonnull(L);
  uint64_t rows[2][150];
  for (int q = 0; q < 2; q++)
    for (int i = 0; i < 150; i++) rows[q][i] = (uint64_t)(150 * q + i);
  loader_opts o = {.read_threads = 2, .prefetch = 1, .transfer_bytes = 1 << 20};
  uint64_t requests = 0, lazy = 0;
  for (int rank = 0; rank < 2; rank++) {
    job *j = tu_job(NULL);
    stg_env env = {.ranks = 2, .ranks_per_node = 1, .data_bytes = 300 * 1024, .rank = rank};
    stg *s = stg_new(stg_backend_index("fsx"), &j->storage.model, &env, true);
    ck_assert_ptr_nonnull(s);
    loader *ld;
    ck_assert_int_eq(loader_new(L, s, &o, &ld), TR_OK);
    for (int q = 0; q < 2; q++) ck_assert_int_eq(loader_plan(ld, q, 1, rows[q], 150), TR_OK);
    for (int q = 0; q < 2; q++) ck_assert_int_eq(loader_plan(ld, q, 2, rows[1 - q], 150), TR_OK);
    double t = 0, wait = 0;
    ck_assert_int_eq(loader_simulate(ld, rows[rank], 150, 50, 0.01, &t, &wait), TR_OK);
    stg_counters first = stg_stats(s);
    ck_assert_uint_ge(first.requests, 1);
    ck_assert_int_eq(loader_simulate(ld, rows[1 - rank], 150, 50, 0.01, &t, &wait), TR_OK);
    stg_counters second = stg_stats(s);
    ck_assert_uint_eq(second.requests, first.requests); /* the other rank's rows: loaded */
    ck_assert_uint_eq(second.cache_hits - first.cache_hits, second.ops - first.ops);
    requests += second.requests;
    lazy += second.lazy_bytes;
    loader_free(&ld);
    stg_free(&s);
    job_free(&j);
  }
  ck_assert_uint_eq(requests, 3);
  ck_assert_uint_eq(lazy, 300 * 1024);
  layout_free(&L);
}
END_TEST

int main(void) {
  Suite *s = suite_create("loader");
  TCase *tc = tcase_create("loader");
  tcase_add_unchecked_fixture(tc, make_data, drop_data);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, batches_match_memory, 0, 5);
  tcase_add_test(tc, raw_rows_in_place);
  tcase_add_test(tc, no_prefetch_and_early_end);
  tcase_add_test(tc, read_error_reaches_consumer);
  tcase_add_test(tc, simulated_epochs);
  tcase_add_test(tc, epoch_orders);
  tcase_add_test(tc, fsx_job_plan);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
