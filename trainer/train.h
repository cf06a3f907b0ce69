/* The training loop: minibatch first-order optimizers or full-batch L-BFGS over a net
 * and a loss head, validation after every epoch, schedules, early stopping with
 * restore_best, and a cooperative stop (signals) that leaves a resumable state. All of
 * the loop's state is in train_state, which checkpoints save and restore. */
#ifndef TR_TRAIN_H
#define TR_TRAIN_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/rng.h"
#include "dist/dist.h"
#include "io/dataset.h"
#include "io/split.h"
#include "trainer/early_stop.h"
#include "trainer/loss.h"
#include "trainer/net.h"
#include "trainer/optim.h"

/* Minibatches read from storage (trainer/stream.h) instead of gathered from train->X.
 * Minibatch optimizers only. */
typedef struct {
  /* Fills order[0..rows) with this epoch's order of the local training rows, drawing
     from rng only (a resumed run restores rng and sees the same order). An error (out
     of memory) ends the fit: another order would change the run. */
  tr_err (*order)(void *ctx, rng_t *rng, size_t *order, size_t rows);
  /* Starts reading the epoch: batches of batch_rows consecutive entries of order. */
  tr_err (*start)(void *ctx, const size_t *order, size_t rows, size_t batch_rows);
  /* The next batch's features (rows x cols, ready for the net); adds the wait to
     *wait_s. */
  tr_err (*next)(void *ctx, float **X, size_t *rows, double *wait_s);
  /* Ends the epoch (also an interrupted one). */
  void (*end)(void *ctx);
  void *ctx;
} train_source;

struct train_state;

typedef struct {
  opt_kind optimizer;
  double lr, l1, l2;
  double tol;              /* lbfgs: gradient max-norm tolerance */
  size_t batch_size;
  int epochs;              /* upper bound (lbfgs: iterations) */
  uint64_t seed;
  sched_kind schedule;
  double lr_min, lr_gamma;
  int lr_step_epochs, lr_patience;
  es_config es;
  bool restore_best;
  volatile sig_atomic_t *stop;  /* when it becomes non-zero the loop stops (may be NULL) */
  dist_ctx *dist;               /* data parallel over MPI ranks; NULL = this process alone.
                                   batch_size is the global batch, split across ranks */
  const train_source *source;   /* NULL: batches are gathered from train->X */
  /* regression: the labels are standardized with this; validation metrics (val_rmse,
     val_r2...) are computed after mapping predictions and labels back, in the target's
     units; the losses stay the objective's (standardized) units. {0, 1}: none */
  target_scaler target;
  /* called after every minibatch step with the 1-based epoch, the steps done and the
     epoch's steps (progress; may be NULL) */
  void (*on_step)(void *user, int epoch, size_t step, size_t steps);
  void *step_user;
  /* optimizer.rank_invariant: the same weights, bit for bit, at any rank count (same
     seed, batch_size, micro_batch and threads per rank): trainer/invariant.h. Minibatch
     steps are cut into micro-batches of micro_batch rows; not with a source. */
  bool rank_invariant;
  size_t micro_batch;
  /* optimizer.sharded_update: under MPI each minibatch step sums the gradients with a
     reduce-scatter, each rank updates its 1/ranks shard of the parameters (and of the
     optimizer's moments) and an allgather gives every rank the new parameters (ZeRO
     stage 1), instead of an allreduce after which every rank updates them all; the
     moments are gathered after each epoch. The same update elementwise: at 2 ranks the
     same weights bit for bit. false, or one rank, or rank_invariant: the allreduce. */
  bool sharded_update;
  /* called before every epoch (1-based) with the state so far (its history holds the
     epochs done): TRAIN_GO to run it, or the reason to stop here (a rung of a search, a
     pruned trial, a budget). Under MPI the ranks' answers are combined (the highest
     wins), so a rank-local reason (wall time) stops every rank. May be NULL. */
  int (*before_epoch)(void *user, int epoch, const struct train_state *s);
  void *epoch_user;
} train_params;

/* before_epoch's answers; stop_reason "rung", "pruned", "budget". */
enum { TRAIN_GO = 0, TRAIN_STOP_RUNG, TRAIN_STOP_PRUNED, TRAIN_STOP_BUDGET };

/* NULL when p can train, else a static message (LIBLINEAR's check_parameter); *key (may
 * be NULL) gets the job key it is about ("optimizer.l1"): the fields mirror the job's
 * [optimizer] and [early_stopping] keys. Refused: a batch size or epoch count of 0, a
 * learning rate that is not positive (minibatch optimizers), negative penalties, lbfgs
 * with an L1 penalty (it has no proximal step) or with a streamed source (it is full
 * batch), negative patience or warm-up, rank_invariant with a streamed source or a
 * micro_batch of 0. train_fit() refuses the same (TR_ECONFIG). */
const char *train_check_param(const train_params *p, const char **key);

/* Sets the threads of the trainer's parallel loops and BLAS in this process (OpenMP's
 * one pool; n >= 1). */
void train_set_threads(int n);
/* The threads the trainer uses now. */
int train_threads(void);

/* The most metrics an epoch records besides the loss (train_history_metrics()). */
#define TRAIN_MAX_METRICS 3

/* The metrics every epoch records besides the loss, in history.csv's column order: the
 * head's headline ones (binary: accuracy, auc; multiclass: accuracy, f1 (macro);
 * regression: rmse, r2), then the monitored one (es.monitor without "val_") when it is
 * neither one of them nor the loss ("precision" for val_precision). names[] get static
 * strings or a pointer into monitor; returns their count, at most TRAIN_MAX_METRICS. */
int train_history_metrics(loss_head head, const char *monitor, const char *names[TRAIN_MAX_METRICS]);

/* One history.csv row. lr is NaN where no learning rate applies (lbfgs). train_m and
 * val_m hold the metrics of train_history_metrics() in its order: train_m over the
 * epoch's training rows of all ranks, from the predictions of the forward passes the
 * epoch's steps made (Keras' running values: weights changing within the epoch, dropout
 * applied) or, for lbfgs, of its last objective evaluation (the epoch's final weights);
 * val_m over every rank's validation rows after the epoch (NaN without a validation
 * split). Regression metrics are in the target's units. They are computed once, on rank
 * 0, and shared exactly with every rank; comm_s leaves out the gathers they take. */
typedef struct {
  int epoch;
  double train_loss, val_loss, val_monitor, lr, epoch_s, io_wait_s, comm_s;
  double train_m[TRAIN_MAX_METRICS], val_m[TRAIN_MAX_METRICS];
} train_epoch;

/* Everything needed to continue training exactly where it stopped. */
typedef struct train_state {
  int epoch;               /* epochs completed */
  opt_state *opt;
  sched_state sched;
  es_state es;
  rng_t shuffle_rng, dropout_rng;
  float *best_params;      /* weights of the best epoch */
  double compute_s;
  train_epoch *history;    /* one row per completed epoch */
  int history_cap;         /* rows allocated: the job's epochs */
} train_state;

/* A fresh state for net n: seeded RNGs (one stream per rank), zeroed optimizer, empty
 * history. NULL on ENOMEM. */
train_state *train_state_new(const net *n, const train_params *p);
void train_state_free(train_state **s);

typedef struct {
  int epochs_run, best_epoch;
  const char *stop_reason;  /* patience|max_epochs|converged|non_finite|divergence|threshold|interrupted,
                               or a before_epoch hook's rung|pruned|budget */
  double train_s, compute_s, io_wait_s;  /* over every epoch run, across resumes */
} train_outcome;

/* Called after every epoch with the new history row and the state as it is at the end of
 * that epoch (for checkpoints). Returns TR_OK to continue. */
typedef tr_err (*train_epoch_fn)(const train_epoch *e, const net *n, const train_state *s,
                                 void *user);

/* Trains n (parameters as initialized or restored) on train (labels 0/1, class index
 * or target per head), validating on val (0 rows: the training loss is monitored).
 * Continues from state s (epochs already completed are skipped). On an interrupt the
 * unfinished epoch is abandoned and n's parameters are those at its start, so a
 * checkpoint of (n, s) resumes to the same result. n ends with the last epoch's
 * weights: call train_restore_best() after checkpointing.
 * TR_ENUMERIC when the training loss becomes non-finite. */
tr_err train_fit(net *n, loss_head head, const ds_dataset *train, const ds_dataset *val,
                 const train_params *p, train_state *s, train_epoch_fn on_epoch, void *user,
                 train_outcome *out);

/* Puts the best epoch's weights into n when restore_best and early stopping are on, or
 * whenever the run failed numerically (failed: never end on the weights that blew up).
 * Returns the epoch whose weights n now holds (0: none were ever good). */
int train_restore_best(net *n, const train_state *s, const train_params *p, bool failed);

/* True when every parameter of n is finite. */
bool train_params_finite(const net *n);

/* Predictions for all rows of d (rows x outputs: P(class 1), class probabilities, or
 * values) and, when loss is not NULL and d has labels, the mean loss. Parallel over row
 * chunks; this rank's rows only. */
tr_err train_predict(const net *n, loss_head head, const ds_dataset *d, float *out, double *loss);

/* A metric ("accuracy", "auc", "f1", "rmse", "r2", "loss"...) of predictions pred for d's
 * labels; NaN when it does not apply to the head. */
double train_metric(loss_head head, const char *name, const ds_dataset *d, const float *pred,
                    size_t width);

/* Every rank's labels and predictions of d, concatenated in rank order on every rank
 * (collective): *y_all (rows) and *pred_all (rows x width), malloc'd; *rows_all is the
 * total. Global metrics (ROC-AUC over all ranks' scores) are computed from these. Its
 * time is not added to dist->comm_s: metrics are not training's communication. */
tr_err train_gather_predictions(dist_ctx *dist, const ds_dataset *d, const float *pred,
                                size_t width, float **y_all, float **pred_all, size_t *rows_all);
#endif
