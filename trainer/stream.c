/* The glue between the training loop's train_source and the batch loader: it maps the
 * loop's local row order to global rows, starts the loader's epoch, and standardizes each
 * batch in place as it arrives. */
#include "trainer/stream.h"

#include <stdlib.h>
#include <string.h>

struct stream {
  loader *ld;
  const layout *L;
  uint64_t *global, *epoch_rows;
  size_t rows;
  const scaler *scale;
  loader_shuffle shuffle;
  size_t block_bytes;
};

stream *stream_new(loader *ld, const layout *L, const uint64_t *global, size_t rows,
                   const scaler *scale, loader_shuffle shuffle, size_t block_bytes) {
  stream *s = calloc(1, sizeof *s);
  if (!s) return tr_check_alloc(NULL, "stream");
  s->global = malloc((rows ? rows : 1) * sizeof(uint64_t));
  s->epoch_rows = malloc((rows ? rows : 1) * sizeof(uint64_t));
  if (!s->global || !s->epoch_rows) {
    stream_free(&s);
    return tr_check_alloc(NULL, "stream");
  }
  memcpy(s->global, global, rows * sizeof(uint64_t));
  s->ld = ld;
  s->L = L;
  s->rows = rows;
  s->scale = scale && scale->cols ? scale : NULL;
  s->shuffle = shuffle;
  s->block_bytes = block_bytes;
  return s;
}

void stream_free(stream **s) {
  if (!s || !*s) return;
  free((*s)->global);
  free((*s)->epoch_rows);
  free(*s);
  *s = NULL;
}

/* The epoch's order; out of memory is an error, never a silently different order. */
static tr_err stream_order(void *ctx, rng_t *rng, size_t *order, size_t rows) {
  stream *s = ctx;
  return loader_order(s->L, s->shuffle, s->block_bytes, rng, s->global, order, rows);
}

static tr_err stream_start(void *ctx, const size_t *order, size_t rows, size_t batch_rows) {
  stream *s = ctx;
  for (size_t i = 0; i < rows; i++) s->epoch_rows[i] = s->global[order[i]];
  return loader_start_epoch(s->ld, s->epoch_rows, rows, batch_rows);
}

static tr_err stream_next(void *ctx, float **X, size_t *rows, double *wait_s) {
  stream *s = ctx;
  tr_err rc = loader_next(s->ld, X, rows, wait_s);
  if (rc == TR_OK && s->scale) {
    ds_dataset view = {.rows = *rows, .cols = s->scale->cols, .X = *X};
    scaler_apply(s->scale, &view);
  }
  return rc;
}

static void stream_end(void *ctx) {
  stream *s = ctx;
  loader_end_epoch(s->ld);
}

train_source stream_source(stream *s) {
  return (train_source){.order = stream_order, .start = stream_start, .next = stream_next,
                        .end = stream_end, .ctx = s};
}
