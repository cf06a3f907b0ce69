/* Rank-invariant data parallelism (optimizer.rank_invariant): training whose every float
 * is the same at any rank count, given the seed, the global batch, the micro-batch size
 * and the threads per rank. Rows are numbered globally (rank r holds the consecutive
 * rows [off[r], off[r+1]) of every split, which is the same sequence at any rank count).
 * A pass over rows cuts them into fixed micro-batches (a fixed number of rows, the same
 * rows at any rank count), hands consecutive micro-batches to ranks, moves the rows a
 * rank does not hold to it (MPI_Alltoallv), computes each micro-batch alone with GEMMs of
 * a fixed shape, and sums their gradients exactly: each is converted to 64-bit fixed
 * point with a per-tensor scale taken from the global maximum, so an integer allreduce
 * adds them in any order to the same bits. Losses travel bit for bit, one slot per
 * micro-batch, and are added in micro-batch order. Shuffles and dropout masks come from
 * the seed, the epoch, the step and the micro-batch, never from the rank. */
#ifndef TR_INVARIANT_H
#define TR_INVARIANT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "dist/dist.h"
#include "io/dataset.h"
#include "trainer/loss.h"
#include "trainer/net.h"

/* Rows per chunk of the full-batch passes (L-BFGS objective, validation, prediction). */
#define INV_CHUNK_ROWS 1024

typedef struct inv_fit inv_fit;

/* The state of one rank-invariant fit (collective: every rank calls it). batch is the
 * global batch and micro the rows per micro-batch of minibatch steps; with full_batch
 * the training rows are also prepared for inv_full_pass(INV_TRAIN) (L-BFGS). NULL with
 * the error recorded. */
inv_fit *inv_fit_new(const net *n, dist_ctx *dist, const ds_dataset *train, const ds_dataset *val,
                     size_t batch, size_t micro, bool full_batch);
void inv_fit_free(inv_fit **f);

/* Minibatch steps per epoch: ceil(training rows of all ranks / batch). */
size_t inv_steps(const inv_fit *f);

/* Draws the epoch's order of all training rows from (seed, epoch) only. */
tr_err inv_epoch_order(inv_fit *f, uint64_t seed, int epoch);

/* One minibatch step (collective): the mean gradient of the step's rows into grad
 * (n_params), their summed loss into *loss_sum and their count into *rows, the
 * training-mode predictions of the rows this rank computed into pred_all (all training
 * rows x outputs, by global row; the others are left as they are). *stopped is true on
 * every rank when stop was true on any; nothing else is then set. */
tr_err inv_step(inv_fit *f, const net *n, loss_head head, uint64_t seed, int epoch, size_t step, bool stop,
                float *grad, double *loss_sum, size_t *rows, bool *stopped, float *pred_all);

typedef enum { INV_TRAIN, INV_VAL } inv_set;

/* A full pass over every rank's rows of the set (collective): the summed loss into
 * *loss_sum (may be NULL), the mean gradient into grad when not NULL (INV_TRAIN only,
 * with full_batch), predictions into pred_all (by global row, this rank's chunks; may be
 * NULL). Evaluation mode (no dropout). */
tr_err inv_full_pass(inv_fit *f, inv_set set, const net *n, loss_head head, float *grad, double *loss_sum,
                     float *pred_all);

/* Rows of a set over all ranks. */
size_t inv_rows(const inv_fit *f, inv_set set);

/* Prepares pred_all (n floats) to receive predictions: every value -0.0. */
void inv_clear(float *pred_all, size_t n);
/* Gives every rank every value of pred_all, each written by exactly one rank and left
 * -0.0 by the others (collective): a sum, exact since x + -0.0 == x. */
tr_err inv_share(dist_ctx *dist, float *pred_all, size_t n);

/* Every rank's labels and evaluation-mode predictions of d in global row order on every
 * rank, computed in fixed chunks (collective; train_gather_predictions' contract, and
 * the same bits at any rank count). */
tr_err inv_predict_all(dist_ctx *dist, const net *n, loss_head head, const ds_dataset *d, float **y_all,
                       float **pred_all, size_t *rows_all);
#endif
