/* The batch loader: reads the rows of each minibatch from storage (io/storage.h) in the
 * background, as real data loaders do, so compute and I/O overlap. read_threads workers
 * read the batches' extents (io/layout.h) and decode them into batch buffers; at most
 * `prefetch` batches are in flight beyond the one the consumer holds (0: the consumer's
 * request starts the read). The same plan and admission rule drive loader_simulate(),
 * a discrete-event simulation on the virtual clock, so both clocks model one loader. */
#ifndef TR_LOADER_H
#define TR_LOADER_H
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/rng.h"
#include "io/layout.h"
#include "io/storage.h"

typedef struct {
  int read_threads;       /* >= 1 */
  int prefetch;           /* batches in flight beyond the consumer's, >= 0 */
  size_t transfer_bytes;  /* largest request: adjacent rows merge up to it */
} loader_opts;

typedef struct loader loader;

/* A loader over L's files through s (opened here, once; FSx metadata and S3 need no
 * round trip). With a virtual-clock s no thread starts and only loader_simulate()
 * applies. Errors: TR_EINPUT naming a file that cannot be opened, TR_ENOMEM. */
tr_err loader_new(const layout *L, stg *s, const loader_opts *o, loader **out);
void loader_free(loader **l);

/* Loads every file before the first epoch when the backend does (fsx.preload); *t as in
 * stg_read (the virtual clock's start in, its end out). */
tr_err loader_preload(loader *l, double *t);

/* Declares to the storage that rank `rank` of the job reads global rows rows[0..n) (any
 * order) in epoch `epoch` (1 = the first): their extents as the loader plans them, by
 * stg_plan's contract (every rank declares every rank's rows, rank by rank in increasing
 * order, before the first epoch; the caller derives them from what every rank knows). A
 * no-op unless the backend keeps job-wide state (stg_plans: fsx). TR_ENOMEM,
 * TR_EINTERNAL for a row past the end. */
tr_err loader_plan(loader *l, int rank, uint64_t epoch, const uint64_t *rows, size_t n);

/* Starts an epoch over global rows rows[0..n) (the caller keeps them until
 * loader_end_epoch), batch_rows per batch; the workers start reading at once. */
tr_err loader_start_epoch(loader *l, const uint64_t *rows, size_t n, size_t batch_rows);

/* The next batch in order: *X (rows x cols floats, the caller may modify them) stays
 * valid until the next call. Adds the time spent waiting to *wait_s. TR_EIO (the file
 * named) when a read failed; TR_EINTERNAL past the last batch. */
tr_err loader_next(loader *l, float **X, size_t *rows, double *wait_s);

/* Ends the epoch early or on time: waits for reads in flight and drops their batches. */
void loader_end_epoch(loader *l);

/* The virtual clock: one epoch of the same loader over rows[0..n), batch_rows per
 * batch, with compute_s of compute after each batch arrives, starting at *t (moved to the
 * epoch's end); *wait_s gets the consumer's waiting time. l's stg must be virtual. */
tr_err loader_simulate(loader *l, const uint64_t *rows, size_t n, size_t batch_rows,
                       double compute_s, double *t, double *wait_s);
/* Epoch orders (DLIO's file and sample shuffle):
 *   sample  every row in random order (random small reads);
 *   block   storage blocks (chunk rows, transfer-size runs, so whole shards of small
 *           files) in random order, rows shuffled within each (sequential reads);
 *   none    storage order;
 *   file    storage blocks in random order, rows in storage order within each: a batch
 *           is one large read (DLIO file_shuffle without sample_shuffle; tf.data over
 *           shuffled TFRecord files, WebDataset over shuffled shards). */
typedef enum { LOADER_SAMPLE, LOADER_BLOCK, LOADER_NONE, LOADER_FILE } loader_shuffle;
/* "sample" | "block" | "none" | "file" -> kind; -1 when unknown. */
int loader_shuffle_from_name(const char *name);
/* The name of kind ("sample", "block", "none", "file"). */
const char *loader_shuffle_name(loader_shuffle kind);

/* Fills order[0..n) with a permutation of 0..n) for rows whose global rows in L are
 * global[0..n), drawing from rng only. LOADER_SAMPLE is exactly rng_shuffle of 0..n).
 * TR_ENOMEM only. */
tr_err loader_order(const layout *L, loader_shuffle kind, size_t block_bytes, rng_t *rng,
                    const uint64_t *global, size_t *order, size_t n);
#endif
