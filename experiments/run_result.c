/* result.json's object for a training run (DESIGN.md "Outputs of train"): the data, the
 * stop, validation and test metrics over every rank's rows, time split into compute, I/O
 * wait, communication and checkpoints, throughput and AU, per-rank spreads, storage
 * counters, and the cost (instances x wall time + the storage bill, what early stopping
 * saved, and on spot the expected price under interruptions). Every MPI sum's failure
 * is returned, never dropped. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timer.h"
#include "experiments/provenance.h"
#include "experiments/run_internal.h"
#include "experiments/spot.h"
#include "trainer/invariant.h"
#include "trainer/metrics.h"

/* sklearn's classification_report from the confusion matrix cm (K x K, rows the true
 * class): per class its value, precision, recall, F1 and support (0 where undefined, as
 * zero_division=0), then the matrix with its labels (rows: true class; columns:
 * predicted, sklearn's layout). */
static void add_per_class(const run_state *r, const size_t *cm, size_t K, cJSON *o) {
  cJSON *per = cJSON_AddArrayToObject(o, "per_class");
  for (size_t k = 0; k < K; k++) {
    double tp = (double)cm[k * K + k], row = 0, col = 0;
    for (size_t i = 0; i < K; i++) {
      row += (double)cm[k * K + i];
      col += (double)cm[i * K + k];
    }
    double precision = col > 0 ? tp / col : 0, recall = row > 0 ? tp / row : 0;
    cJSON *c = cJSON_CreateObject();
    if (r->class_names) cJSON_AddStringToObject(c, "class", r->class_names[k]);
    else json_add_number(c, "class", r->classes[k]);
    json_add_number(c, "precision", precision);
    json_add_number(c, "recall", recall);
    json_add_number(c, "f1", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0);
    cJSON_AddNumberToObject(c, "support", row);
    cJSON_AddItemToArray(per, c);
  }
  cJSON *labels = cJSON_AddArrayToObject(o, "confusion_labels");
  for (size_t k = 0; k < K; k++)
    cJSON_AddItemToArray(labels, r->class_names ? cJSON_CreateString(r->class_names[k]) : cJSON_CreateNumber(r->classes[k]));
  cJSON *rows_json = cJSON_AddArrayToObject(o, "confusion_matrix");
  for (size_t i = 0; i < K; i++) {
    cJSON *row = cJSON_CreateArray();
    for (size_t k = 0; k < K; k++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)cm[i * K + k]));
    cJSON_AddItemToArray(rows_json, row);
  }
}

/* data.preprocessing (CSV data: each raw column's type, missing cells, imputation, kept
 * categories and the cells per split whose category training never saw) and
 * data.leakage: which statistics were fitted, on which rows. */
static void add_preprocessing(const run_state *r, cJSON *data, size_t train_rows) {
  const prep *p = r->prep;
  const job *j = r->j;
  if (p) {
    cJSON *o = cJSON_AddObjectToObject(data, "preprocessing");
    cJSON_AddStringToObject(o, "fitted_on", r->prep_fit_on ? r->prep_fit_on : "the training split");
    cJSON_AddStringToObject(o, "impute", prep_impute_name(p->p.impute));
    cJSON_AddBoolToObject(o, "add_indicator", p->p.add_indicator);
    cJSON_AddNumberToObject(o, "max_categories", (double)p->p.max_categories);
    cJSON_AddStringToObject(o, "na_values", p->na_values);
    cJSON_AddNumberToObject(o, "raw_columns", (double)p->n_cols);
    cJSON_AddNumberToObject(o, "features", (double)p->outputs);
    const char *splits[] = {"train", "val", "test"};
    cJSON *imp = cJSON_AddObjectToObject(o, "imputed_cells");
    for (int s = 0; s < 3; s++) cJSON_AddNumberToObject(imp, splits[s], r->prep_counts[s]);
    cJSON *unk = cJSON_AddObjectToObject(o, "unknown_category_cells");
    for (int s = 0; s < 3; s++) {
      double total = 0;
      for (size_t c = 0; c < p->n_cols; c++) total += r->prep_counts[3 + (size_t)s * p->n_cols + c];
      cJSON_AddNumberToObject(unk, splits[s], total);
    }
    cJSON *cols = cJSON_AddArrayToObject(o, "columns");
    for (size_t c = 0; c < p->n_cols; c++) {
      const prep_column *pc = &p->col[c];
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "name", pc->name);
      cJSON_AddStringToObject(e, "type", pc->kind == TBL_NUMERIC ? "numeric" : "categorical");
      cJSON_AddNumberToObject(e, "missing_train", (double)pc->missing);
      if (pc->kind == TBL_NUMERIC) {
        cJSON_AddStringToObject(e, "impute", prep_impute_name(p->p.impute));
        json_add_number(e, "fill", pc->fill);
      } else {
        cJSON_AddStringToObject(e, "impute", p->p.impute == PREP_FAIL ? "fail" : "most_frequent");
        if (pc->fill_level) cJSON_AddStringToObject(e, "fill", pc->fill_level);
        else cJSON_AddNullToObject(e, "fill");
        cJSON_AddNumberToObject(e, "categories_train", (double)(pc->n_kept + pc->n_rare));
        cJSON *kept = cJSON_AddArrayToObject(e, "kept");
        for (size_t k = 0; k < pc->n_kept; k++) cJSON_AddItemToArray(kept, cJSON_CreateString(pc->kept[k]));
        cJSON_AddNumberToObject(e, "grouped_as_other", (double)pc->n_rare);
        cJSON *u = cJSON_AddObjectToObject(e, "unknown_cells");
        for (int s = 0; s < 3; s++) cJSON_AddNumberToObject(u, splits[s], r->prep_counts[3 + (size_t)s * p->n_cols + c]);
      }
      cJSON_AddBoolToObject(e, "indicator", pc->indicator);
      cJSON_AddItemToArray(cols, e);
    }
  }
  /* what was fitted on which rows: every statistic on the training split only */
  cJSON *lk = cJSON_AddObjectToObject(data, "leakage");
  cJSON_AddStringToObject(lk, "split", "rows assigned to train/val/test from the labels and data.seed before any "
                                       "statistic is fitted");
  cJSON *fitted = cJSON_AddArrayToObject(lk, "fitted");
  struct { const char *what; bool on; } stats[] = {
      {"imputation fill values (data.impute)", p != NULL && p->p.impute != PREP_FAIL},
      {"one-hot categories and the rare ones grouped as other (data.max_categories)", p != NULL},
      {"standardization mean and scale (data.standardize)", j->data.standardize},
      {"target mean and scale (regression, data.standardize)", j->data.standardize && r->head == HEAD_REGRESSION},
  };
  for (size_t k = 0; k < sizeof stats / sizeof stats[0]; k++) {
    if (!stats[k].on) continue;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "statistic", stats[k].what);
    cJSON_AddStringToObject(e, "rows", "train");
    cJSON_AddNumberToObject(e, "row_count", (double)train_rows);
    cJSON_AddItemToArray(fitted, e);
  }
  if (r->head != HEAD_REGRESSION) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "statistic", "the set of class values (no feature statistic: which labels exist)");
    cJSON_AddStringToObject(e, "rows", "all rows of data.train");
    cJSON_AddItemToArray(fitted, e);
  }
  cJSON_AddNumberToObject(lk, "duplicate_rows_test_in_train", (double)r->duplicates);
}

/* Adds the metrics of n on d over every rank's rows to o (collective: every rank calls
 * it). A failed gather is returned; with no rows at all, o stays empty. */
static tr_err add_metrics(const run_state *r, const net *n, const ds_dataset *d, cJSON *o) {
  size_t width = n->spec.outputs, rows = 0;
  float *local = ds_alloc_floats(d->rows * width + 1), *y = NULL, *pred = NULL;
  /* a rank that fails here returns its error, and main() ends every rank (MPI_Abort) */
  tr_err rc = local ? TR_OK : tr_error_code();
  if (rc == TR_OK && r->j->optimizer.rank_invariant) /* the same bits at any rank count */
    rc = inv_predict_all(r->dist, n, r->head, d, &y, &pred, &rows);
  else if (rc == TR_OK && (rc = train_predict(n, r->head, d, local, NULL)) == TR_OK)
    rc = train_gather_predictions(r->dist, d, local, width, &y, &pred, &rows);
  free(local);
  if (rc != TR_OK || rows == 0) {
    free(y);
    free(pred);
    return rc;
  }
  if (r->head == HEAD_REGRESSION) { /* in the target's units */
    target_scaler_invert(&r->target, y, rows);
    target_scaler_invert(&r->target, pred, rows);
    metrics_regression g = metrics_regression_eval(y, pred, rows);
    json_add_number(o, "mse", g.mse);
    json_add_number(o, "rmse", g.rmse);
    json_add_number(o, "mae", g.mae);
    json_add_number(o, "r2", g.r2);
    free(y);
    free(pred);
    return TR_OK;
  }
  size_t K = r->n_classes;
  size_t *cm = calloc(K * K, sizeof(size_t));
  double v[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
  if (r->head == HEAD_BINARY) {
    metrics_binary b = metrics_binary_eval(y, pred, rows);
    double bv[] = {b.accuracy, b.precision, b.recall, b.f1, b.auc, b.log_loss};
    memcpy(v, bv, sizeof v);
    if (cm) cm[0] = b.tn, cm[1] = b.fp, cm[2] = b.fn, cm[3] = b.tp;
  } else {
    metrics_multi m;
    if ((rc = metrics_multi_eval(y, pred, rows, (int)K, &m)) == TR_OK) {
      double mv[] = {m.accuracy, m.precision, m.recall, m.f1, m.auc, m.log_loss};
      memcpy(v, mv, sizeof v);
      if (cm) memcpy(cm, m.confusion, K * K * sizeof(size_t));
      metrics_multi_free(&m);
    }
  }
  const char *names[] = {"accuracy", "precision", "recall", "f1", "auc", "log_loss"};
  for (int i = 0; i < 6; i++) json_add_number(o, names[i], v[i]);
  if (cm) add_per_class(r, cm, K, o);
  if (!cm && rc == TR_OK) rc = tr_error_set(TR_ENOMEM, "metrics", "out of memory");
  free(cm);
  free(y);
  free(pred);
  return rc;
}

/* A linear model's (one output, no hidden layer) largest coefficients by magnitude, as
 * "coefficients": {"scale": what they multiply ("standardized features", "standardized
 * features and target" for a standardized regression, "raw features"), "top": [{"feature",
 * "coefficient"}...]}: at most RUN_TOP_COEFFICIENTS, named by the data's feature names (or
 * x0, x1...). All of them are in model.h5 (/layers/0/W, feature_names). */
#define RUN_TOP_COEFFICIENTS 10
static int by_magnitude(const void *a, const void *b, void *w) {
  float x = fabsf(((const float *)w)[*(const size_t *)a]), y = fabsf(((const float *)w)[*(const size_t *)b]);
  return (x < y) - (x > y);
}

static void add_coefficients(const run_state *r, const net *n, cJSON *o) {
  if (n->spec.n_hidden != 0 || n->spec.outputs != 1) return;
  size_t d = n->spec.inputs, *idx = malloc((d ? d : 1) * sizeof *idx);
  if (!idx) return;
  const float *w = n->params + n->layer[0].w_off;
  for (size_t i = 0; i < d; i++) idx[i] = i;
  qsort_r(idx, d, sizeof *idx, by_magnitude, (void *)w);
  cJSON *c = cJSON_AddObjectToObject(o, "coefficients");
  bool target_scaled = r->head == HEAD_REGRESSION && (r->target.mean != 0 || r->target.scale != 1);
  cJSON_AddStringToObject(c, "scale", !r->scale.cols ? "raw features"
                                      : target_scaled ? "standardized features and target"
                                                      : "standardized features");
  cJSON *top = cJSON_AddArrayToObject(c, "top");
  for (size_t i = 0; i < d && i < RUN_TOP_COEFFICIENTS; i++) {
    cJSON *e = cJSON_CreateObject();
    char name[32];
    snprintf(name, sizeof name, "x%zu", idx[i]);
    cJSON_AddStringToObject(e, "feature", r->train->feature_names ? r->train->feature_names[idx[i]] : name);
    json_add_number(e, "coefficient", w[idx[i]]);
    cJSON_AddItemToArray(top, e);
  }
  free(idx);
}

/* Adds {"max", "mean"} of a per-rank value as o.name (collective). */
static tr_err add_over_ranks(dist_ctx *dist, cJSON *o, const char *name, double v) {
  double mx = v, sum = v;
  tr_err rc = dist_max_doubles(dist, &mx, 1);
  if (rc == TR_OK) rc = dist_sum_doubles(dist, &sum, 1);
  cJSON *s = cJSON_AddObjectToObject(o, name);
  json_add_number(s, "max", mx);
  json_add_number(s, "mean", sum / (double)dist->size);
  return rc;
}

/* The storage counters summed over ranks (collective). */
static tr_err global_counters(const run_state *r, stg_counters *out) {
  stg_counters c = stg_stats(r->io->store);
  double v[9] = {(double)c.bytes, (double)c.ops, (double)c.requests, (double)c.cache_hits,
                 (double)c.lazy_bytes, (double)c.slowdowns, (double)c.retries,
                 (double)c.short_reads, c.preload_s};
  tr_err rc = dist_sum_doubles(r->dist, v, 9);
  *out = (stg_counters){.bytes = (uint64_t)v[0], .ops = (uint64_t)v[1], .requests = (uint64_t)v[2],
                        .cache_hits = (uint64_t)v[3], .lazy_bytes = (uint64_t)v[4],
                        .slowdowns = (uint64_t)v[5], .retries = (uint64_t)v[6],
                        .short_reads = (uint64_t)v[7], .preload_s = v[8]};
  return rc;
}

/* cost.spot_estimate, for cost.spot = true: this run's expected time and price on spot
 * capacity at its checkpoint interval, against on-demand, and Young/Daly's interval
 * (experiments/spot.h). The work W is what the run measured: its epochs (history) plus
 * the time outside the epoch loop; C is this process's mean checkpoint write. */
static void add_spot(cJSON *c, const run_state *r, const train_state *s, const train_outcome *oc,
                     double total_s, double other_usd) {
  const job *j = r->j;
  spot_params sp = {.interruptions_per_h = j->cost.spot_interruptions_per_h, .restart_s = j->cost.spot_restart_s};
  double epochs_s = 0;
  for (int i = 0; i < s->epoch; i++) epochs_s += s->history[i].epoch_s;
  double epoch_s = s->epoch ? epochs_s / s->epoch : 0;
  double ckpt_s = r->checkpoints ? r->checkpoint_s / r->checkpoints : NAN;
  bool interrupted = !strcmp(oc->stop_reason, "interrupted"); /* its checkpoint came after fit */
  double outside = fmax(0, total_s - oc->train_s - (interrupted && r->checkpoints ? ckpt_s : 0));
  long every_epochs = j->checkpoint.every_epochs;
  spot_run run = {.work_s = epochs_s + outside, .interval_s = (double)every_epochs * epoch_s,
                  .ckpt_s = isnan(ckpt_s) ? 0 : ckpt_s,
                  .spot_usd_per_h = pricing_rate(&r->instance, true) * (double)j->cost.nodes,
                  .on_demand_usd_per_h = pricing_rate(&r->instance, false) * (double)j->cost.nodes,
                  .other_usd = other_usd};
  spot_cost_out e = {NAN, NAN, NAN, NAN};
  if (spot_cost(&sp, &run, &e) != TR_OK) tr_error_clear(); /* the job table keeps inputs valid */
  int every = isnan(ckpt_s) || epoch_s <= 0 ? -1 : spot_every_epochs(&sp, epoch_s, ckpt_s, s->epoch);
  cJSON *o = cJSON_AddObjectToObject(c, "spot_estimate"); /* cost.spot is the contract's bool */
  json_add_number(o, "interruptions_per_h", sp.interruptions_per_h);
  json_add_number(o, "mtbi_h", spot_mtbi_s(&sp) / 3600.0);
  json_add_number(o, "restart_s", sp.restart_s);
  json_add_number(o, "work_s", run.work_s);
  json_add_number(o, "checkpoint_s", ckpt_s);
  json_add_number(o, "checkpoint_interval_s", every_epochs > 0 ? run.interval_s : NAN);
  json_add_number(o, "recommended_interval_s", isnan(ckpt_s) ? NAN : spot_young_daly(&sp, ckpt_s));
  if (every >= 0) cJSON_AddNumberToObject(o, "recommended_every_epochs", every);
  else cJSON_AddNullToObject(o, "recommended_every_epochs");
  json_add_number(o, "expected_time_s", e.expected_s);
  json_add_number(o, "expected_usd", e.expected_usd);
  json_add_number(o, "on_demand_time_s", e.on_demand_s);
  json_add_number(o, "on_demand_usd", e.on_demand_usd);
}

/* The "storage" object and the storage bill (collective when streaming). */
static tr_err add_storage(const run_state *r, cJSON *o, size_t rows, double total_s, cost_storage_out *sc) {
  const char *backend = stg_backend_name((size_t)(r->io ? r->io->backend : r->j->storage.backend));
  if (!r->io) { /* loaded into memory once: the bytes of the data (features and labels) */
    cJSON *st = cJSON_AddObjectToObject(o, "storage");
    cJSON_AddStringToObject(st, "backend", backend);
    cJSON_AddNumberToObject(st, "bytes_read", (double)(rows * (r->train->cols + 1) * sizeof(float)));
    cJSON_AddNumberToObject(st, "requests", 0);
    cJSON_AddNumberToObject(st, "cache_hits", 0);
    return TR_OK;
  }
  stg_counters c;
  tr_err rc = global_counters(r, &c);
  if (rc != TR_OK) return rc;
  cJSON_AddItemToObject(o, "storage", iostack_json(backend, &c));
  /* run_train checked before training that the catalog prices every line of this bill */
  return iostack_cost(r->io, r->prices, total_s / 3600.0, &c, sc);
}

tr_err run_result_json(run_state *r, const net *n, const train_params *p, const train_state *s,
                       const train_outcome *oc, cJSON **out) {
  const job *j = r->j;
  *out = NULL;
  cJSON *o = cJSON_CreateObject();
  if (!o) return tr_error_set(TR_ENOMEM, "result", "out of memory");
  cJSON_AddStringToObject(o, "job", r->o->name);
  cJSON_AddStringToObject(o, "task", loss_head_name(r->head));
  cJSON *model = cJSON_AddObjectToObject(o, "model");
  cJSON_AddStringToObject(model, "type", cfg_str(j->src, "model", "type"));
  cJSON_AddNumberToObject(model, "params", (double)n->n_params);
  cJSON_AddStringToObject(model, "optimizer", cfg_str(j->src, "optimizer", "name"));
  size_t train_rows = 0, val_rows = 0, test_rows = 0;
  tr_err rc = dist_sum_size(r->dist, r->train->rows, &train_rows);
  if (rc == TR_OK) rc = dist_sum_size(r->dist, r->val->rows, &val_rows);
  if (rc == TR_OK) rc = dist_sum_size(r->dist, r->test->rows, &test_rows);
  cJSON *data = cJSON_AddObjectToObject(o, "data");
  cJSON_AddNumberToObject(data, "train_rows", (double)train_rows);
  cJSON_AddNumberToObject(data, "val_rows", (double)val_rows);
  cJSON_AddNumberToObject(data, "test_rows", (double)test_rows);
  cJSON_AddNumberToObject(data, "features", (double)r->train->cols);
  if (r->head != HEAD_REGRESSION) cJSON_AddNumberToObject(data, "classes", (double)r->n_classes);
  else cJSON_AddNullToObject(data, "classes");
  cJSON_AddNumberToObject(data, "duplicate_rows_test_in_train", (double)r->duplicates);
  cJSON_AddStringToObject(data, "test_rows_digest", r->test_digest);
  if (r->class_names) {
    cJSON *names = cJSON_AddArrayToObject(data, "class_names");
    for (size_t k = 0; k < r->n_class_names; k++) cJSON_AddItemToArray(names, cJSON_CreateString(r->class_names[k]));
  }
  add_preprocessing(r, data, train_rows);
  cJSON_AddNumberToObject(o, "epochs_run", oc->epochs_run);
  cJSON_AddNumberToObject(o, "epochs_max", p->epochs);
  cJSON_AddNumberToObject(o, "best_epoch", oc->best_epoch);
  cJSON_AddStringToObject(o, "stop_reason", oc->stop_reason);
  if (rc == TR_OK) rc = add_metrics(r, n, r->val, cJSON_AddObjectToObject(o, "val"));
  if (rc == TR_OK) rc = add_metrics(r, n, r->test, cJSON_AddObjectToObject(o, "test"));
  add_coefficients(r, n, o);
  /* a resumed run counts the epochs it inherited too (as train_s does) */
  double total_s = tr_now() - r->t_start + r->resumed_s;
  cJSON *t = cJSON_AddObjectToObject(o, "time");
  json_add_number(t, "total_s", total_s);
  json_add_number(t, "train_s", oc->train_s);
  json_add_number(t, "compute_s", oc->compute_s);
  json_add_number(t, "io_wait_s", oc->io_wait_s);
  json_add_number(t, "comm_s", r->dist->comm_s);
  json_add_number(t, "checkpoint_s", r->checkpoint_s);
  if (r->o->cache || r->o->billed_before_s > 0) { /* run in a worker (run_cache.c): where the data came from */
    json_add_number(t, "billed_before_s", r->o->billed_before_s > 0 ? r->o->billed_before_s : 0);
    cJSON *w = cJSON_AddObjectToObject(o, "worker");
    cJSON_AddStringToObject(w, "data", !*r->data_key ? "loaded (not cached)" : r->data_reused ? "reused" : "loaded");
    cJSON_AddStringToObject(w, "data_key", r->data_key);
  }
  double rate_samples = oc->train_s > 0 ? oc->epochs_run * (double)train_rows / oc->train_s : 0;
  cJSON *tp = cJSON_AddObjectToObject(o, "throughput");
  json_add_number(tp, "samples_per_s", rate_samples);
  json_add_number(tp, "gflops", rate_samples * net_train_flops_per_row(n) / 1e9);
  json_add_number(o, "au_percent", oc->train_s > 0 ? fmin(100.0, 100.0 * oc->compute_s / oc->train_s) : 0);
  cJSON *par = cJSON_AddObjectToObject(o, "parallel");
  cJSON_AddNumberToObject(par, "ranks", r->dist->size);
  cJSON_AddNumberToObject(par, "threads_per_rank", train_threads());
  cJSON *per_rank = cJSON_AddObjectToObject(par, "per_rank");
  if (rc == TR_OK) rc = add_over_ranks(r->dist, per_rank, "compute_s", oc->compute_s);
  if (rc == TR_OK) rc = add_over_ranks(r->dist, per_rank, "comm_s", r->dist->comm_s);
  if (rc == TR_OK) rc = add_over_ranks(r->dist, per_rank, "io_wait_s", oc->io_wait_s);
  cJSON_AddBoolToObject(par, "weights_identical", true); /* checked after every epoch */
  cJSON_AddBoolToObject(par, "rank_invariant", j->optimizer.rank_invariant); /* same weights at any rank count */
  /* whether steps used the sharded update (trainer/train.h: minibatch, more than one rank) */
  cJSON_AddBoolToObject(par, "sharded_update", j->optimizer.sharded_update && r->dist->size > 1 &&
                                                   !j->optimizer.rank_invariant && j->optimizer.name != OPT_LBFGS);
  /* rank 0 writes result.json: only it stats the data files and reads the host */
  if (r->dist->rank == 0)
    cJSON_AddItemToObject(o, "provenance", provenance_json(j, r->started, r->dist->size, train_threads()));
  cost_storage_out sc = {0, 0};
  if (rc == TR_OK) rc = add_storage(r, o, train_rows + val_rows + test_rows, total_s, &sc);
  double rate = pricing_rate(&r->instance, j->cost.spot) * (double)j->cost.nodes;
  double per_epoch = oc->epochs_run ? oc->train_s / oc->epochs_run : 0;
  /* what early stopping saved: epochs it cut (a converged solver or a failure is not
     early stopping) */
  bool early = !strcmp(oc->stop_reason, "patience") || !strcmp(oc->stop_reason, "threshold");
  int skipped = early ? p->epochs - oc->epochs_run : 0;
  cost_run_usd run_usd = cost_run(rate, total_s, &sc);
  cJSON *c = cost_json(j->cost.instance, j->cost.nodes, j->cost.spot, rate, &run_usd);
  if (!c && rc == TR_OK) rc = tr_error_set(TR_ENOMEM, "result", "out of memory");
  cJSON_AddItemToObject(o, "cost", c);
  cJSON_AddNumberToObject(c, "epochs_saved_by_early_stop", skipped);
  json_add_number(c, "saved_by_early_stop_usd", rate * per_epoch * skipped / 3600.0);
  if (j->cost.spot) add_spot(c, r, s, oc, total_s, sc.storage_usd + sc.requests_usd);
  run_stops_json(&r->stops, run_usd.total_usd, s->epoch, !strcmp(oc->stop_reason, "budget"), o, c);
  if (rc != TR_OK) {
    cJSON_Delete(o);
    return rc;
  }
  *out = o;
  return TR_OK;
}
