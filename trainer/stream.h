/* Training minibatches streamed from storage: a train_source over the batch loader
 * (io/loader.h). Each epoch's order comes from loader_order() (so `sample` is the
 * in-memory loop's order exactly), each batch's features are read and decoded by the
 * loader's threads, then standardized with the training split's scaler. */
#ifndef TR_STREAM_H
#define TR_STREAM_H
#include <stddef.h>
#include <stdint.h>

#include "io/loader.h"
#include "io/split.h"
#include "trainer/train.h"

typedef struct stream stream;

/* A stream of this rank's training rows: global[i] is the global row (in L) of local
 * training row i (copied). ld and L must outlive it; scale may be NULL or have cols 0
 * (no standardization). NULL on ENOMEM. */
stream *stream_new(loader *ld, const layout *L, const uint64_t *global, size_t rows,
                   const scaler *scale, loader_shuffle shuffle, size_t block_bytes);
void stream_free(stream **s);

/* The train_source to put in train_params.source (valid while s lives). */
train_source stream_source(stream *s);
#endif
