/* The training loop. Minibatch epochs gather the shuffled rows of each batch into one
 * contiguous block so every layer is a single sgemm (OpenBLAS threads it); full-batch
 * passes (L-BFGS objective, validation, prediction) split the rows into chunks that
 * threads process with their own workspaces and gradient buffers, summed in a fixed order
 * so results do not depend on scheduling. */
#include "trainer/train.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/timer.h"
#include "trainer/invariant.h"
#include "trainer/lbfgs.h"
#include "trainer/metrics.h"

#define CHUNK_ROWS 1024

/* Per-thread buffers for full-batch passes. */
typedef struct {
  int threads;
  net_ws *ws[64];
  float *dlogits[64];
  float *grads[64];
} pool;

static void pool_free(pool *p) {
  for (int t = 0; t < p->threads; t++) {
    net_ws_free(&p->ws[t]);
    free(p->dlogits[t]);
    free(p->grads[t]);
  }
  p->threads = 0;
}

static tr_err pool_init(pool *p, const net *n, bool with_grads) {
  memset(p, 0, sizeof *p);
  p->threads = omp_get_max_threads();
  if (p->threads > 64) p->threads = 64;
  for (int t = 0; t < p->threads; t++) {
    p->ws[t] = net_ws_new(n, CHUNK_ROWS);
    p->dlogits[t] = ds_alloc_floats(CHUNK_ROWS * n->spec.outputs);
    p->grads[t] = with_grads ? ds_alloc_floats(n->n_params) : NULL;
    if (!p->ws[t] || !p->dlogits[t] || (with_grads && !p->grads[t])) {
      pool_free(p);
      return tr_error_set(TR_ENOMEM, "training", "out of memory");
    }
  }
  return TR_OK;
}

static size_t chunk_count(size_t rows) { return (rows + CHUNK_ROWS - 1) / CHUNK_ROWS; }

/* Sum of losses over d's rows and (when g) the sum of their gradients, parameters as in
 * n; this rank's rows only. */
static double full_pass(const net *n, loss_head head, const ds_dataset *d, pool *pl, float *g,
                        float *pred_out) {
  size_t chunks = chunk_count(d->rows), width = n->spec.outputs;
  double *chunk_loss = calloc(chunks ? chunks : 1, sizeof(double));
  if (!chunk_loss) return NAN;
  if (g)
    for (int t = 0; t < pl->threads; t++) memset(pl->grads[t], 0, n->n_params * sizeof(float));
#pragma omp parallel num_threads(pl->threads)
  {
    int t = omp_get_thread_num();
#pragma omp for schedule(static)
    for (size_t c = 0; c < chunks; c++) {
      size_t start = c * CHUNK_ROWS, rows = d->rows - start < CHUNK_ROWS ? d->rows - start : CHUNK_ROWS;
      const float *X = d->X + start * d->cols;
      const float *logits = net_forward(n, pl->ws[t], X, rows, false, NULL);
      if (d->y)
        chunk_loss[c] = loss_eval(head, logits, d->y + start, rows, width,
                                  g ? pl->dlogits[t] : NULL, 1.0f);
      if (pred_out) loss_predict(head, logits, rows, width, pred_out + start * width);
      if (g) net_backward(n, pl->ws[t], X, rows, pl->dlogits[t], pl->grads[t]);
    }
  }
  double loss = 0;
  for (size_t c = 0; c < chunks; c++) loss += chunk_loss[c];
  free(chunk_loss);
  if (g) {
    for (size_t i = 0; i < n->n_params; i++) {
      double sum = 0;
      for (int t = 0; t < pl->threads; t++) sum += pl->grads[t][i];
      g[i] = (float)sum;
    }
  }
  return loss;
}

tr_err train_predict(const net *n, loss_head head, const ds_dataset *d, float *out, double *loss) {
  pool pl;
  tr_err rc = pool_init(&pl, n, false);
  if (rc != TR_OK) return rc;
  double l = full_pass(n, head, d, &pl, NULL, out);
  if (loss) *loss = d->y && d->rows ? l / (double)d->rows : NAN;
  pool_free(&pl);
  return TR_OK;
}

/* The values of names[0..k) for labels y and predictions pred (rows x width) into out,
 * from one evaluation; NaN for a name that does not apply to the head, and for every
 * name without rows. */
static void metrics_by_name(loss_head head, const float *y, const float *pred, size_t rows,
                            size_t width, const char *const *names, int k, double *out) {
  for (int i = 0; i < k; i++) out[i] = NAN;
  if (!y || rows == 0) return;
  if (head == HEAD_BINARY) {
    metrics_binary m = metrics_binary_eval(y, pred, rows);
    for (int i = 0; i < k; i++) out[i] = metrics_binary_get(&m, names[i]);
  } else if (head == HEAD_REGRESSION) {
    metrics_regression m = metrics_regression_eval(y, pred, rows);
    for (int i = 0; i < k; i++) out[i] = metrics_regression_get(&m, names[i]);
  } else {
    bool auc = false; /* its K sorts only when asked for */
    for (int i = 0; i < k; i++) auc = auc || !strcmp(names[i], "auc");
    metrics_multi m;
    tr_err rc = auc ? metrics_multi_eval(y, pred, rows, (int)width, &m)
                    : metrics_multi_eval_no_auc(y, pred, rows, (int)width, &m);
    if (rc != TR_OK) return;
    for (int i = 0; i < k; i++) out[i] = metrics_multi_get(&m, names[i]);
    metrics_multi_free(&m);
  }
}

double train_metric(loss_head head, const char *name, const ds_dataset *d, const float *pred,
                    size_t width) {
  double v;
  metrics_by_name(head, d->y, pred, d->rows, width, &name, 1, &v);
  return v;
}

/* A monitor's metric name: without the "val_" prefix. */
static const char *metric_of(const char *monitor) {
  return strncmp(monitor, "val_", 4) == 0 ? monitor + 4 : monitor;
}

int train_history_metrics(loss_head head, const char *monitor, const char *names[TRAIN_MAX_METRICS]) {
  int k = 0;
  switch (head) {
  case HEAD_BINARY: names[k++] = "accuracy", names[k++] = "auc"; break;
  case HEAD_MULTICLASS: names[k++] = "accuracy", names[k++] = "f1"; break;
  case HEAD_REGRESSION: names[k++] = "rmse", names[k++] = "r2"; break;
  }
  const char *m = metric_of(monitor);
  if (!strcmp(m, "loss")) return k;
  for (int i = 0; i < k; i++)
    if (!strcmp(names[i], m)) return k;
  names[k++] = m;
  return k;
}

/* Runs call (collectives) without counting their time in dist->comm_s: the gathers of
 * labels and predictions for metrics are the trainer's bookkeeping, not training's
 * communication, and must not show up in comm_s (history.csv, result.json, AU, the
 * scaling study's communication share). */
#define UNCOUNTED(dist, call)                          \
  do {                                                 \
    double comm_before_ = (dist) ? (dist)->comm_s : 0; \
    call;                                              \
    if (dist) (dist)->comm_s = comm_before_;           \
  } while (0)

tr_err train_gather_predictions(dist_ctx *dist, const ds_dataset *d, const float *pred,
                                size_t width, float **y_all, float **pred_all, size_t *rows_all) {
  size_t total = 0, n_pred = 0;
  *y_all = *pred_all = NULL;
  tr_err rc;
  UNCOUNTED(dist, rc = dist_sum_size(dist, d->rows, &total));
  if (rc != TR_OK) return rc;
  *y_all = malloc((total ? total : 1) * sizeof(float));
  *pred_all = malloc((total ? total : 1) * width * sizeof(float));
  if (!*y_all || !*pred_all) rc = tr_error_set(TR_ENOMEM, "metrics", "out of memory");
  if (rc == TR_OK) UNCOUNTED(dist, rc = dist_allgather_floats(dist, d->y, d->rows, *y_all, rows_all));
  if (rc == TR_OK) UNCOUNTED(dist, rc = dist_allgather_floats(dist, pred, d->rows * width, *pred_all, &n_pred));
  if (rc != TR_OK) {
    free(*y_all);
    free(*pred_all);
    *y_all = *pred_all = NULL;
  }
  return rc;
}

train_state *train_state_new(const net *n, const train_params *p) {
  train_state *s = calloc(1, sizeof *s);
  if (!s) return tr_check_alloc(NULL, "training state");
  s->opt = opt_new(p->optimizer, n->n_params, p->l1, p->l2);
  s->best_params = ds_alloc_floats(n->n_params);
  s->history_cap = p->epochs > 0 ? p->epochs : 1;
  s->history = calloc((size_t)s->history_cap, sizeof(train_epoch));
  if (!s->opt || !s->best_params || !s->history) {
    train_state_free(&s);
    return tr_check_alloc(NULL, "training state");
  }
  memcpy(s->best_params, n->params, n->n_params * sizeof(float));
  es_state es = es_init(&p->es);
  s->es = es;
  s->sched = sched_init(p->schedule, p->lr, p->lr_min, p->lr_gamma, p->lr_step_epochs, p->epochs,
                        p->lr_patience, es.maximize);
  rng_t root, shuffle, drop;
  rng_seed(&root, p->seed);
  shuffle = rng_split(&root, 1);
  drop = rng_split(&root, 2);
  int rank = p->dist ? p->dist->rank : 0;
  s->shuffle_rng = rng_split(&shuffle, (uint64_t)rank); /* each rank its own stream */
  s->dropout_rng = rng_split(&drop, (uint64_t)rank);
  return s;
}

void train_state_free(train_state **s) {
  if (!s || !*s) return;
  opt_free(&(*s)->opt);
  free((*s)->best_params);
  free((*s)->history);
  free(*s);
  *s = NULL;
}

/* What an interrupted epoch must undo: the state at the epoch's start. */
typedef struct {
  float *params, *m, *v;
  long step;
  rng_t shuffle_rng, dropout_rng;
} snapshot;

static void snapshot_take(snapshot *k, const net *n, const train_state *s) {
  size_t bytes = n->n_params * sizeof(float);
  memcpy(k->params, n->params, bytes);
  if (s->opt->m) memcpy(k->m, s->opt->m, bytes);
  if (s->opt->v) memcpy(k->v, s->opt->v, bytes);
  k->step = s->opt->step;
  k->shuffle_rng = s->shuffle_rng;
  k->dropout_rng = s->dropout_rng;
}

static void snapshot_restore(const snapshot *k, net *n, train_state *s) {
  size_t bytes = n->n_params * sizeof(float);
  memcpy(n->params, k->params, bytes);
  if (s->opt->m) memcpy(s->opt->m, k->m, bytes);
  if (s->opt->v) memcpy(s->opt->v, k->v, bytes);
  s->opt->step = k->step;
  s->shuffle_rng = k->shuffle_rng;
  s->dropout_rng = k->dropout_rng;
}

#define FUSED_EXTRA 3

/* Minibatch buffers. */
typedef struct {
  size_t *order;
  float *Xb, *dlogits;
  float *yb, *pred_b;  /* a step's labels and predictions (local_bs x outputs) */
  /* the epoch's training predictions of this rank's rows (rows x outputs), in row order
     (a step stores row r's at r): the labels are then train->y, gathered once */
  float *ep_pred;
  float *grads;   /* n_params gradient sums, then loss sum, row count and stop flag: the
                     one buffer a step allreduces */
  net_ws *ws;
  snapshot snap;
  size_t local_bs;  /* this rank's share of the global batch */
  size_t steps;     /* steps per epoch, the same on every rank */
  /* sharded_update (NULL shards.counts: the allreduce): the parameters' shards per rank
     (with their MPI counts, built once per fit), this
     rank's [shard_lo, shard_hi), its summed gradients, and the loss, row count and stop
     flag that a step sums beside them (in flight during the backward pass) */
  dist_shards shards;
  size_t shard_lo, shard_hi;
  float *shard_grads;
  float extras[FUSED_EXTRA];
  dist_req req;
} batch_bufs;

static void batch_free(batch_bufs *b) {
  free(b->order);
  free(b->Xb);
  free(b->yb);
  free(b->pred_b);
  free(b->ep_pred);
  free(b->dlogits);
  free(b->grads);
  dist_shards_free(&b->shards);
  free(b->shard_grads);
  net_ws_free(&b->ws);
  free(b->snap.params);
  free(b->snap.m);
  free(b->snap.v);
}

static tr_err batch_init(batch_bufs *b, const net *n, size_t rows, size_t bs) {
  memset(b, 0, sizeof *b);
  size_t np = n->n_params;
  b->order = malloc((rows ? rows : 1) * sizeof(size_t));
  b->Xb = ds_alloc_floats(bs * n->spec.inputs);
  b->yb = ds_alloc_floats(bs);
  b->pred_b = ds_alloc_floats(bs * n->spec.outputs);
  b->ep_pred = ds_alloc_floats((rows ? rows : 1) * n->spec.outputs);
  b->dlogits = ds_alloc_floats(bs * n->spec.outputs);
  b->grads = ds_alloc_floats(np + FUSED_EXTRA);
  b->ws = net_ws_new(n, bs);
  b->snap.params = ds_alloc_floats(np);
  b->snap.m = ds_alloc_floats(np);
  b->snap.v = ds_alloc_floats(np);
  if (!b->order || !b->Xb || !b->yb || !b->pred_b || !b->ep_pred || !b->dlogits || !b->grads || !b->ws ||
      !b->snap.params || !b->snap.m || !b->snap.v) {
    batch_free(b);
    return tr_error_set(TR_ENOMEM, "training", "out of memory");
  }
  return TR_OK;
}

/* The rest of a sharded step (batch_bufs): fused's first n_params values, this rank's
 * gradient sums, are reduce-scattered; the extras started before the backward pass are
 * waited for; unless a rank asked to stop or no rank had rows, this rank's shard of the
 * parameters (and moments) is updated with the mean gradient and the shards are
 * allgathered. b->req is the extras' sum in flight: it is waited for on every path,
 * failures included, so no step leaves it in flight. */
static tr_err sharded_update(net *n, const train_params *p, train_state *s, batch_bufs *b, const float *fused) {
  tr_err rc = dist_sum_scatter_floats(p->dist, fused, &b->shards, b->shard_grads);
  tr_err rc2 = dist_wait(p->dist, &b->req);
  if (rc == TR_OK) rc = rc2;
  if (rc != TR_OK || b->extras[2] > 0 || !(b->extras[1] > 0)) return rc;
  float inv = 1.0f / b->extras[1];
  size_t k = b->shard_hi - b->shard_lo;
  for (size_t i = 0; i < k; i++) b->shard_grads[i] *= inv;
  opt_step_range(s->opt, n->params, b->shard_grads, n->decay, s->sched.lr, b->shard_lo, b->shard_hi);
  return dist_gather_shards_floats(p->dist, n->params, &b->shards);
}

/* After a sharded epoch every rank holds current moments only in its shard: the shards
 * are allgathered, so that checkpoints, snapshots and the next epoch see them whole. */
static tr_err gather_moments(const train_params *p, train_state *s, const batch_bufs *b) {
  tr_err rc = TR_OK;
  if (s->opt->m) rc = dist_gather_shards_floats(p->dist, s->opt->m, &b->shards);
  if (rc == TR_OK && s->opt->v) rc = dist_gather_shards_floats(p->dist, s->opt->v, &b->shards);
  return rc;
}

/* One minibatch epoch; returns the mean training loss, or NaN when interrupted. Every
 * rank runs b->steps steps; at step k it takes rows [k * local_bs, (k+1) * local_bs) of
 * its shuffled rows (possibly none near the end), and one allreduce of the fused buffer
 * gives every rank the same gradient, loss and stop decision (with b->shards.counts, the
 * sharded update instead: sharded_update() and the three-float sum in flight during the
 * backward pass; the same update, see train.h). The predictions of each
 * step's (training-mode) forward pass are kept in b->ep_pred, by row, for the epoch's
 * training metrics. */
static double minibatch_epoch(net *n, loss_head head, const ds_dataset *d, const train_params *p,
                              train_state *s, batch_bufs *b, bool *interrupted, double *io_wait_s,
                              tr_err *rc) {
  size_t rows = d->rows, cols = d->cols, width = n->spec.outputs, np = n->n_params;
  const train_source *src = p->source;
  snapshot_take(&b->snap, n, s);
  /* each epoch's order is a function of the RNG state alone, so a resumed run (which
     restores only the RNG) sees the same batches */
  if (src) {
    if ((*rc = src->order(src->ctx, &s->shuffle_rng, b->order, rows)) != TR_OK) return NAN;
    if ((*rc = src->start(src->ctx, b->order, rows, b->local_bs)) != TR_OK) return NAN;
  } else {
    for (size_t i = 0; i < rows; i++) b->order[i] = i;
    rng_shuffle(&s->shuffle_rng, b->order, rows);
  }
  double loss_sum = 0, rows_seen = 0;
  for (size_t step = 0; step < b->steps; step++) {
    size_t start = step * b->local_bs;
    size_t nb = start >= rows ? 0 : (rows - start < b->local_bs ? rows - start : b->local_bs);
    float *fused = b->grads, *Xb = b->Xb;
    memset(fused, 0, (np + FUSED_EXTRA) * sizeof(float));
    if (nb && src) {
      size_t got = 0;
      *rc = src->next(src->ctx, &Xb, &got, io_wait_s);
      if (*rc == TR_ESTOPPED && p->stop && *p->stop) {
        /* the storage stopped waiting for a stop request: this step computes nothing and
           the stop travels in the allreduce below, so every rank stops at this step */
        tr_error_clear();
        *rc = TR_OK;
        nb = 0;
      } else if (*rc == TR_OK && got != nb) {
        *rc = tr_error_set(TR_EINTERNAL, "training", "the loader gave %zu rows, expected %zu", got, nb);
      }
    }
    if (*rc != TR_OK) break;
    if (nb) {
      const size_t *rows_b = b->order + start;
      for (size_t i = 0; i < nb; i++) {
        if (!src) memcpy(Xb + i * cols, d->X + rows_b[i] * cols, cols * sizeof(float));
        b->yb[i] = d->y[rows_b[i]];
      }
      const float *logits = net_forward(n, b->ws, Xb, nb, true, &s->dropout_rng);
      fused[np] = (float)loss_eval(head, logits, b->yb, nb, width, b->dlogits, 1.0f);
      loss_predict(head, logits, nb, width, b->pred_b);
      for (size_t i = 0; i < nb; i++)
        memcpy(b->ep_pred + rows_b[i] * width, b->pred_b + i * width, width * sizeof(float));
    }
    if (b->shards.counts) { /* the loss, rows and stop flag travel while the backward runs */
      b->extras[0] = fused[np], b->extras[1] = (float)nb, b->extras[2] = p->stop && *p->stop ? 1.0f : 0.0f;
      if ((*rc = dist_isum_floats(p->dist, b->extras, FUSED_EXTRA, &b->req)) != TR_OK) break;
    }
    if (nb) net_backward(n, b->ws, Xb, nb, b->dlogits, fused);
    if (b->shards.counts) {
      if ((*rc = sharded_update(n, p, s, b, fused)) != TR_OK) break;
      if (b->extras[2] > 0) {
        snapshot_restore(&b->snap, n, s);
        *interrupted = true;
        break;
      }
      if (b->extras[1] > 0) {
        loss_sum += b->extras[0];
        rows_seen += b->extras[1];
        if (p->on_step) p->on_step(p->step_user, s->epoch + 1, step + 1, b->steps);
      }
      continue;
    }
    fused[np + 1] = (float)nb;
    fused[np + 2] = p->stop && *p->stop ? 1.0f : 0.0f;
    if ((*rc = dist_sum_floats(p->dist, fused, np + FUSED_EXTRA)) != TR_OK) break;
    if (fused[np + 2] > 0) { /* a signal on any rank stops every rank at the same step */
      snapshot_restore(&b->snap, n, s);
      *interrupted = true;
      break;
    }
    float global_rows = fused[np + 1];
    if (global_rows <= 0) continue;
    float inv = 1.0f / global_rows;
    for (size_t i = 0; i < np; i++) fused[i] *= inv;
    loss_sum += fused[np];
    rows_seen += global_rows;
    opt_step(s->opt, n->params, fused, n->decay, s->sched.lr);
    if (p->on_step) p->on_step(p->step_user, s->epoch + 1, step + 1, b->steps);
  }
  if (src) src->end(src->ctx);
  if (*rc == TR_OK && !*interrupted && b->shards.counts) *rc = gather_moments(p, s, b);
  if (*interrupted || *rc != TR_OK) return NAN;
  return rows_seen > 0 ? loss_sum / rows_seen : NAN;
}

/* One rank-invariant minibatch epoch (trainer/invariant.h): the same steps, rows, dropout
 * masks and gradient bits at any rank count; as minibatch_epoch otherwise (snapshot,
 * stop at the same step on every rank). The predictions go to pred_all (pred_n floats, by
 * global training row). */
static double invariant_epoch(net *n, loss_head head, const train_params *p, train_state *s, batch_bufs *b,
                              inv_fit *inv, float *pred_all, size_t pred_n, bool *interrupted, tr_err *rc) {
  int epoch = s->epoch + 1;
  snapshot_take(&b->snap, n, s);
  inv_clear(pred_all, pred_n);
  if ((*rc = inv_epoch_order(inv, p->seed, epoch)) != TR_OK) return NAN;
  double loss_sum = 0, rows_seen = 0;
  for (size_t step = 0; step < b->steps; step++) {
    double loss = 0;
    size_t rows = 0;
    bool stopped = false;
    *rc = inv_step(inv, n, head, p->seed, epoch, step, p->stop && *p->stop, b->grads, &loss, &rows, &stopped,
                   pred_all);
    if (*rc != TR_OK) break;
    if (stopped) {
      snapshot_restore(&b->snap, n, s);
      *interrupted = true;
      break;
    }
    loss_sum += loss;
    rows_seen += (double)rows;
    opt_step(s->opt, n->params, b->grads, n->decay, s->sched.lr);
    if (p->on_step) p->on_step(p->step_user, epoch, step + 1, b->steps);
  }
  if (*interrupted || *rc != TR_OK) return NAN;
  return rows_seen > 0 ? loss_sum / rows_seen : NAN;
}

/* The L-BFGS objective: mean loss + 0.5 l2 |w|^2 over the training rows of all ranks. */
typedef struct {
  net *n;
  loss_head head;
  const ds_dataset *d;
  pool *pl;
  double l2;
  dist_ctx *dist;
  float *pred;  /* the last evaluation's predictions of this rank's rows (rows x outputs) */
  tr_err rc;
  inv_fit *inv;     /* rank_invariant: the pass of trainer/invariant.h */
  float *pred_all;  /* rank_invariant: predictions by global row */
} objective;

static double lbfgs_objective(const float *x, float *g, void *user) {
  objective *o = user;
  float *saved = o->n->params;
  o->n->params = (float *)x;
  tr_err rc = TR_OK;
  double sums[2] = {0, 0}, mean = 1; /* mean: the gradient is already divided by the rows */
  if (o->inv) {
    rc = inv_full_pass(o->inv, INV_TRAIN, o->n, o->head, g, &sums[0], o->pred_all);
    sums[1] = (double)inv_rows(o->inv, INV_TRAIN);
  } else {
    sums[0] = full_pass(o->n, o->head, o->d, o->pl, g, o->pred), sums[1] = (double)o->d->rows, mean = 0;
  }
  o->n->params = saved;
  if (rc == TR_OK && !o->inv) rc = dist_sum_doubles(o->dist, sums, 2);
  if (rc == TR_OK && !o->inv) rc = dist_sum_floats(o->dist, g, o->n->n_params);
  if (rc != TR_OK) {
    o->rc = rc;
    return NAN;
  }
  double inv = sums[1] > 0 ? 1.0 / sums[1] : 0, f = sums[0] * inv, pen = 0;
  for (size_t i = 0; i < o->n->n_params; i++) {
    if (!mean) g[i] = (float)(g[i] * inv);
    if (o->n->decay[i]) {
      pen += (double)x[i] * x[i];
      g[i] += (float)(o->l2 * x[i]);
    }
  }
  return f + 0.5 * o->l2 * pen;
}

/* The history's metrics: names[0..k) (train_history_metrics()), monitor the index of
 * the monitored one among them (-1: the loss). */
typedef struct {
  const char *names[TRAIN_MAX_METRICS];
  int k, monitor;
} metric_set;

static metric_set metric_set_of(loss_head head, const char *monitor) {
  metric_set ms = {.monitor = -1};
  ms.k = train_history_metrics(head, monitor, ms.names);
  for (int i = 0; i < ms.k; i++)
    if (!strcmp(ms.names[i], metric_of(monitor))) ms.monitor = i;
  return ms;
}

/* The history's metrics over every rank's rows of one dataset: its labels, gathered
 * once before the first epoch (they never change: training predictions are kept in row
 * order too), and room for every rank's predictions, gathered after each epoch. These
 * gathers are UNCOUNTED. */
typedef struct {
  float *y, *pred;   /* rows and rows x width, rank order; y in the target's units */
  size_t rows, width;
} metric_rows;

static void metric_rows_free(metric_rows *m) {
  free(m->y);
  free(m->pred);
  memset(m, 0, sizeof *m);
}

static tr_err metric_rows_init(metric_rows *m, const ds_dataset *d, size_t width, loss_head head,
                               const train_params *p) {
  memset(m, 0, sizeof *m);
  m->width = width;
  size_t total = 0, got = 0;
  tr_err rc;
  UNCOUNTED(p->dist, rc = dist_sum_size(p->dist, d->rows, &total));
  if (rc != TR_OK) return rc;
  m->y = malloc((total ? total : 1) * sizeof(float));
  m->pred = malloc((total ? total : 1) * width * sizeof(float));
  if (!m->y || !m->pred) rc = tr_error_set(TR_ENOMEM, "metrics", "out of memory");
  if (rc == TR_OK) UNCOUNTED(p->dist, rc = dist_allgather_floats(p->dist, d->y, d->rows, m->y, &got));
  m->rows = total;
  if (rc == TR_OK && head == HEAD_REGRESSION && p->target.scale > 0) /* in the target's units */
    target_scaler_invert(&p->target, m->y, total);
  if (rc != TR_OK) metric_rows_free(m);
  return rc;
}

/* Gathers every rank's predictions pred (this rank's local_rows x width, row order) into
 * m->pred (collective, uncounted). */
static tr_err gather_predictions(metric_rows *m, const float *pred, size_t local_rows, dist_ctx *dist) {
  size_t got = 0;
  tr_err rc;
  UNCOUNTED(dist, rc = dist_allgather_floats(dist, pred, local_rows * m->width, m->pred, &got));
  if (rc == TR_OK && got != m->rows * m->width)
    rc = tr_error_set(TR_EINTERNAL, "metrics", "gathered %zu predictions, expected %zu", got, m->rows * m->width);
  return rc;
}

/* The metrics ms of m's gathered rows into out (regression values in the target's
 * units). Inverts m->pred in place. */
static void rows_metrics(metric_rows *m, loss_head head, const train_params *p, const metric_set *ms, double *out) {
  if (head == HEAD_REGRESSION && p->target.scale > 0) target_scaler_invert(&p->target, m->pred, m->rows);
  metrics_by_name(head, m->y, m->pred, m->rows, m->width, ms->names, ms->k, out);
}

/* The epoch's metrics on every rank: rank 0 computes them from the gathered predictions
 * (the others would compute the same values, bit for bit: the work is done once) and
 * every rank gets its values exactly: an uncounted sum in which the other ranks add -0.0,
 * the identity of IEEE addition (x + -0.0 == x for every x, -0.0 and NaN included), so
 * early stopping and the schedule decide alike on every rank. */
static tr_err epoch_metrics(metric_rows *mt, metric_rows *mv, loss_head head, const train_params *p,
                            const metric_set *ms, train_epoch *e) {
  double v[2 * TRAIN_MAX_METRICS];
  for (int i = 0; i < 2 * TRAIN_MAX_METRICS; i++) v[i] = -0.0;
  if (!p->dist || p->dist->rank == 0) {
    rows_metrics(mt, head, p, ms, v);
    if (mv->pred) rows_metrics(mv, head, p, ms, v + TRAIN_MAX_METRICS);
    else
      for (int i = 0; i < ms->k; i++) v[TRAIN_MAX_METRICS + i] = NAN;
  }
  tr_err rc;
  UNCOUNTED(p->dist, rc = dist_sum_doubles(p->dist, v, 2 * TRAIN_MAX_METRICS));
  if (rc != TR_OK) return rc;
  for (int i = 0; i < ms->k; i++) {
    e->train_m[i] = v[i];
    e->val_m[i] = v[TRAIN_MAX_METRICS + i];
  }
  return TR_OK;
}

/* Validation loss and predictions over every rank's validation rows (gathered into mv). */
static tr_err validate_epoch(const net *n, loss_head head, const ds_dataset *val,
                             const train_params *p, metric_rows *mv, float *val_pred, train_epoch *e) {
  double local_loss = NAN;
  tr_err rc = train_predict(n, head, val, val_pred, &local_loss);
  double sums[2] = {val->rows ? local_loss * (double)val->rows : 0, (double)val->rows};
  if (rc == TR_OK) rc = dist_sum_doubles(p->dist, sums, 2);
  if (rc == TR_OK) rc = gather_predictions(mv, val_pred, val->rows, p->dist);
  if (rc != TR_OK) return rc;
  e->val_loss = sums[1] > 0 ? sums[0] / sums[1] : NAN;
  return TR_OK;
}

/* validate_epoch under rank_invariant: fixed chunks of the global validation rows, their
 * losses added in chunk order, predictions shared into mv exactly. */
static tr_err validate_invariant(const net *n, loss_head head, inv_fit *inv, const train_params *p,
                                 metric_rows *mv, train_epoch *e) {
  double sum = 0;
  inv_clear(mv->pred, mv->rows * mv->width);
  tr_err rc = inv_full_pass(inv, INV_VAL, n, head, NULL, &sum, mv->pred);
  if (rc == TR_OK) UNCOUNTED(p->dist, rc = inv_share(p->dist, mv->pred, mv->rows * mv->width));
  e->val_loss = mv->rows ? sum / (double)mv->rows : NAN;
  return rc;
}

/* Ranks apply identical updates, so their weights must agree bit for bit; a sum of the
 * parameters in a fixed order is compared across ranks after every epoch. */
static tr_err check_ranks_agree(const net *n, dist_ctx *dist, int epoch) {
  if (!dist || dist->size <= 1) return TR_OK;
  double sum = 0;
  for (size_t i = 0; i < n->n_params; i++) sum += n->params[i];
  double v[2] = {sum, -sum};
  tr_err rc = dist_max_doubles(dist, v, 2);
  if (rc == TR_OK && v[0] != -v[1])
    rc = tr_error_set(TR_EINTERNAL, "training", "ranks' weights differ after epoch %d", epoch);
  return rc;
}

int train_restore_best(net *n, const train_state *s, const train_params *p, bool failed) {
  bool restore = failed || (p->restore_best && p->es.enabled);
  if (!restore) return s->epoch;
  if (!s->es.best_epoch) return failed ? 0 : s->epoch;
  memcpy(n->params, s->best_params, n->n_params * sizeof(float));
  return s->es.best_epoch;
}

bool train_params_finite(const net *n) {
  for (size_t i = 0; i < n->n_params; i++)
    if (!isfinite(n->params[i])) return false;
  return true;
}

void train_set_threads(int n) { omp_set_num_threads(n > 0 ? n : 1); }
int train_threads(void) { return omp_get_max_threads(); }

const char *train_check_param(const train_params *p, const char **key) {
  const char *k = NULL, *msg = NULL;
  bool lbfgs = p->optimizer == OPT_LBFGS;
  if (p->batch_size < 1) k = "optimizer.batch_size", msg = "must be at least 1";
  else if (p->epochs < 1) k = "optimizer.epochs", msg = "must be at least 1";
  else if (!lbfgs && !(p->lr > 0)) k = "optimizer.lr", msg = "must be positive";
  else if (!(p->l1 >= 0)) k = "optimizer.l1", msg = "must not be negative";
  else if (!(p->l2 >= 0)) k = "optimizer.l2", msg = "must not be negative";
  else if (lbfgs && p->l1 > 0)
    k = "optimizer.l1", msg = "lbfgs does not handle an L1 penalty (use sgd, adam or adamw)";
  else if (lbfgs && p->source)
    k = "optimizer.name", msg = "lbfgs is full-batch and reads the data from memory; a [storage] "
                                "section streams minibatches (use sgd, adam..., or remove [storage])";
  else if (p->rank_invariant && p->source)
    k = "optimizer.rank_invariant", msg = "does not stream from storage yet (remove [storage], or set "
                                          "optimizer.rank_invariant = false)";
  else if (p->rank_invariant && p->micro_batch < 1) k = "optimizer.micro_batch", msg = "must be at least 1";
  else if (p->es.patience < 0) k = "early_stopping.patience", msg = "must not be negative";
  else if (p->es.start_from_epoch < 0) k = "early_stopping.start_from_epoch", msg = "must not be negative";
  if (key) *key = k;
  return msg;
}

/* The before_epoch hook's answer for epoch, the highest over the ranks (so every rank
 * stops together); TRAIN_GO without a hook. */
static int hook_before_epoch(const train_params *p, int epoch, const train_state *s, tr_err *rc) {
  if (!p->before_epoch) return TRAIN_GO;
  double v = p->before_epoch(p->epoch_user, epoch, s);
  if ((*rc = dist_max_doubles(p->dist, &v, 1)) != TR_OK) return TRAIN_GO;
  return (int)v;
}

static const char *hook_reason(int why) {
  return why == TRAIN_STOP_RUNG ? "rung" : why == TRAIN_STOP_PRUNED ? "pruned" : "budget";
}

tr_err train_fit(net *n, loss_head head, const ds_dataset *train, const ds_dataset *val,
                 const train_params *p, train_state *s, train_epoch_fn on_epoch, void *user,
                 train_outcome *out) {
  memset(out, 0, sizeof *out);
  out->stop_reason = "max_epochs";
  const char *bad_key, *bad = train_check_param(p, &bad_key);
  if (bad) return tr_error_set(TR_ECONFIG, bad_key, "%s", bad);
  bool lbfgs = p->optimizer == OPT_LBFGS;
  size_t width = n->spec.outputs;
  batch_bufs b;
  pool pl;
  memset(&pl, 0, sizeof pl);
  lbfgs_state *lb = NULL;
  inv_fit *inv = NULL;
  metric_rows mt = {0}, mv = {0};
  float *val_pred = ds_alloc_floats(val->rows * width + 1);
  int ranks = p->dist ? p->dist->size : 1, rank = p->dist ? p->dist->rank : 0;
  size_t local_bs = p->batch_size / (size_t)ranks + ((size_t)rank < p->batch_size % (size_t)ranks);
  if (local_bs == 0) local_bs = 1;
  tr_err rc = val_pred ? TR_OK : tr_error_set(TR_ENOMEM, "training", "out of memory");
  if (rc == TR_OK) rc = batch_init(&b, n, train->rows, lbfgs ? 1 : local_bs);
  if (rc != TR_OK) {
    free(val_pred);
    return rc;
  }
  b.local_bs = local_bs;
  double steps = (double)((train->rows + local_bs - 1) / local_bs);
  if ((rc = dist_max_doubles(p->dist, &steps, 1)) != TR_OK) goto done;
  b.steps = (size_t)steps;
  if (p->rank_invariant) {
    if (!(inv = inv_fit_new(n, p->dist, train, val, p->batch_size, p->micro_batch, lbfgs))) {
      rc = tr_error_code();
      goto done;
    }
    b.steps = inv_steps(inv);
  }
  if (!lbfgs && !inv && p->sharded_update && ranks > 1) {
    /* every rank fails here if one does: none is left waiting in a step's collective */
    rc = dist_shards_new(p->dist, n->n_params, &b.shards);
    if (rc == TR_OK) {
      b.shard_lo = dist_shard_offset(b.shards.counts, rank);
      b.shard_hi = b.shard_lo + b.shards.counts[rank];
      if (!(b.shard_grads = ds_alloc_floats(b.shards.counts[rank] + 1)))
        rc = tr_error_set(TR_ENOMEM, "training", "out of memory");
    }
    if (dist_any(p->dist, rc != TR_OK)) {
      if (rc == TR_OK) rc = tr_error_set(TR_ENOMEM, "training", "the sharded update's setup failed on another rank");
      goto done;
    }
  }
  if (lbfgs && ((rc = pool_init(&pl, n, true)) != TR_OK || !(lb = lbfgs_new(n->n_params, 10)))) {
    rc = rc != TR_OK ? rc : tr_error_code();
    goto done;
  }
  objective obj = {n, head, train, &pl, p->l2, p->dist, b.ep_pred, TR_OK, inv, NULL};
  const metric_set ms = metric_set_of(head, p->es.monitor);
  size_t val_total = 0;
  if ((rc = dist_sum_size(p->dist, val->rows, &val_total)) != TR_OK) goto done;
  bool has_val = val_total > 0;
  if ((rc = metric_rows_init(&mt, train, width, head, p)) != TR_OK) goto done;
  obj.pred_all = mt.pred;
  if (has_val && (rc = metric_rows_init(&mv, val, width, head, p)) != TR_OK) goto done;
  if ((rc = dist_bcast_floats(p->dist, n->params, n->n_params, 0)) != TR_OK) goto done;
  bool interrupted = false, converged = false;
  for (int epoch = s->epoch + 1; epoch <= p->epochs; epoch++) {
    int why = hook_before_epoch(p, epoch, s, &rc);
    if (rc != TR_OK) break;
    if (why != TRAIN_GO) {
      out->stop_reason = hook_reason(why);
      break;
    }
    double t0 = tr_now(), comm0 = p->dist ? p->dist->comm_s : 0, train_loss, io_wait = 0;
    if (lbfgs) {
      if (dist_any(p->dist, p->stop && *p->stop)) {
        interrupted = true;
        break;
      }
      if (inv) inv_clear(mt.pred, mt.rows * width);
      lbfgs_result r = lbfgs_iterate(lb, n->params, lbfgs_objective, &obj, p->tol, 64 * 2.22e-16);
      if ((rc = obj.rc) != TR_OK) break;
      train_loss = lb->f;  /* includes the penalty, as the solver sees it */
      converged = r != LBFGS_STEP;
      /* the training metrics are the last objective evaluation's, at the accepted point,
         except after a failed line search (the weights did not move): predict them */
      if (r == LBFGS_STALLED &&
          (rc = inv ? inv_full_pass(inv, INV_TRAIN, n, head, NULL, NULL, mt.pred)
                    : train_predict(n, head, train, b.ep_pred, NULL)) != TR_OK)
        break;
    } else {
      train_loss = inv ? invariant_epoch(n, head, p, s, &b, inv, mt.pred, mt.rows * width, &interrupted, &rc)
                       : minibatch_epoch(n, head, train, p, s, &b, &interrupted, &io_wait, &rc);
      if (interrupted || rc != TR_OK) break;
    }
    /* lbfgs has no learning rate (NaN: an empty lr in history.csv) */
    train_epoch e = {.epoch = epoch, .train_loss = train_loss, .lr = lbfgs ? NAN : s->sched.lr};
    if (inv) UNCOUNTED(p->dist, rc = inv_share(p->dist, mt.pred, mt.rows * width));
    else rc = gather_predictions(&mt, b.ep_pred, train->rows, p->dist);
    if (rc != TR_OK) break;
    e.val_loss = NAN;
    if (has_val && (rc = inv ? validate_invariant(n, head, inv, p, &mv, &e)
                             : validate_epoch(n, head, val, p, &mv, val_pred, &e)) != TR_OK)
      break;
    if ((rc = epoch_metrics(&mt, &mv, head, p, &ms, &e)) != TR_OK) break;
    e.val_monitor = !has_val ? NAN : ms.monitor < 0 ? e.val_loss : e.val_m[ms.monitor];
    if ((rc = check_ranks_agree(n, p->dist, epoch)) != TR_OK) break;
    e.epoch_s = tr_now() - t0;
    e.comm_s = p->dist ? p->dist->comm_s - comm0 : 0;
    e.io_wait_s = io_wait;
    s->compute_s += e.epoch_s - e.comm_s - e.io_wait_s;
    bool improved = false;
    es_verdict v = es_after_epoch(&s->es, epoch, has_val ? e.val_monitor : train_loss, &improved);
    if (improved) memcpy(s->best_params, n->params, n->n_params * sizeof(float));
    sched_after_epoch(&s->sched, epoch, has_val ? e.val_monitor : train_loss);
    s->history[epoch - 1] = e;
    s->epoch = epoch;
    out->epochs_run = epoch;
    if (on_epoch && (rc = on_epoch(&e, n, s, user)) != TR_OK) break;
    if (!isfinite(train_loss)) {
      out->stop_reason = "non_finite";
      rc = tr_error_set(TR_ENUMERIC, "training",
                        "the training loss became non-finite at epoch %d (lower optimizer.lr?)", epoch);
      break;
    }
    if (v != ES_CONTINUE) {
      out->stop_reason = es_reason(v);
      if (v == ES_NON_FINITE || v == ES_DIVERGENCE)
        rc = tr_error_set(TR_ENUMERIC, "training", "stopped at epoch %d: %s %g %s", epoch,
                          p->es.monitor, e.val_monitor,
                          v == ES_NON_FINITE ? "is not finite"
                                             : "crossed early_stopping.divergence_threshold");
      break;
    }
    if (converged) {
      out->stop_reason = "converged";
      break;
    }
  }
  if (interrupted) out->stop_reason = "interrupted";
  out->epochs_run = s->epoch;
  out->best_epoch = s->es.best_epoch ? s->es.best_epoch : s->epoch;
  /* over every epoch of the run, resumed ones too (as compute_s), so throughput, AU
     and the early-stopping saving stay consistent after a resume */
  out->train_s = 0;
  for (int i = 0; i < s->epoch; i++) out->train_s += s->history[i].epoch_s;
  out->compute_s = s->compute_s;
  for (int i = 0; i < s->epoch; i++) out->io_wait_s += s->history[i].io_wait_s;
done:
  metric_rows_free(&mt);
  metric_rows_free(&mv);
  batch_free(&b);
  pool_free(&pl);
  lbfgs_free(&lb);
  inv_fit_free(&inv);
  free(val_pred);
  return rc;
}
