/* Training checkpoints (DIR/checkpoint.h5): the net's parameters and everything in
 * train_state (optimizer moments and step, schedule, early-stopping state, RNG states,
 * best weights, epoch cursor, history), so --resume continues to the same result as an
 * uninterrupted run. Written atomically (temporary file, fsync, rename). */
#ifndef TR_CHECKPOINT_H
#define TR_CHECKPOINT_H
#include "common/error.h"
#include "trainer/net.h"
#include "trainer/train.h"

/* Saves n and s to path; job_text (may be NULL) is kept to detect a changed job.
 * Collective under MPI (dist not NULL): every rank's RNG states are gathered and rank 0
 * writes the file. */
tr_err ckpt_save(const char *path, const net *n, const train_state *s, const char *job_text,
                 dist_ctx *dist);

/* Restores n's parameters and s from path (every rank reads it; each takes its own RNG
 * states). n and s must be built from the same job (same architecture and optimizer) and
 * rank count: a mismatch is TR_EINPUT naming the file. When job_text is given and differs
 * from the saved one, TR_EINPUT too (resume with the same job). */
tr_err ckpt_load(const char *path, net *n, train_state *s, const char *job_text,
                 const dist_ctx *dist);
#endif
