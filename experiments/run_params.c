/* From the typed job to the trainer's parameters: the net's shape and train_params, with
 * the checks that need the task (a monitored metric the task has, a validation split for
 * it) and train_check_param()'s, each located at its job key. */
#include <string.h>

#include "experiments/run.h"

static const char *const classification_metrics[] = {"val_loss", "val_accuracy", "val_precision",
                                                     "val_recall", "val_f1", "val_auc", "val_log_loss"};
static const char *const regression_metrics[] = {"val_loss", "val_mse", "val_rmse", "val_mae", "val_r2"};

static bool in_list(const char *s, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s, list[i])) return true;
  return false;
}

tr_err run_net_spec(const job *j, size_t inputs, size_t outputs, net_spec *spec) {
  memset(spec, 0, sizeof *spec);
  spec->inputs = inputs;
  spec->outputs = outputs;
  spec->act = (net_act)j->model.activation;
  spec->init = (net_init_scheme)j->model.init;
  if (j->model.type == JOB_MLP) {
    if (j->model.hidden.n > NET_MAX_LAYERS - 1)
      return job_error(j, TR_ECONFIG, "model", "hidden", "at most %d hidden layers", NET_MAX_LAYERS - 1);
    for (size_t i = 0; i < j->model.hidden.n; i++) spec->hidden[i] = (size_t)j->model.hidden.v[i];
    spec->n_hidden = j->model.hidden.n;
    spec->dropout = (float)j->model.dropout;
  } else if (j->model.dropout > 0) {
    return job_error(j, TR_ECONFIG, "model", "dropout", "applies to model.type = mlp only");
  } else if (cfg_is_set(j->src, "model", "init")) { /* linear models start at zero */
    return job_error(j, TR_ECONFIG, "model", "init", "applies to model.type = mlp only");
  }
  return TR_OK;
}

tr_err run_train_params(const job *j, loss_head head, size_t val_rows, const train_source *source,
                        train_params *p) {
  const job_early_stopping *es = &j->early_stopping;
  const job_optimizer *o = &j->optimizer;
  bool classify = head != HEAD_REGRESSION;
  if (classify ? !in_list(es->monitor, classification_metrics, 7) : !in_list(es->monitor, regression_metrics, 5))
    return job_error(j, TR_ECONFIG, "early_stopping", "monitor", "'%s' does not apply to a %s task",
                     es->monitor, classify ? "classification" : "regression");
  if (es->enabled && val_rows == 0 && strcmp(es->monitor, "val_loss") != 0)
    return job_error(j, TR_ECONFIG, "early_stopping", "monitor",
                     "%s needs a validation split (data.val_fraction > 0)", es->monitor);
  *p = (train_params){
      .optimizer = (opt_kind)o->name,
      .lr = o->lr,
      .l1 = o->l1,
      .l2 = o->l2,
      .tol = o->tol,
      .batch_size = (size_t)o->batch_size,
      .epochs = (int)o->epochs,
      .seed = (uint64_t)j->data.seed,
      .schedule = (sched_kind)o->schedule,
      .lr_min = o->lr_min,
      .lr_gamma = o->lr_gamma,
      .lr_step_epochs = (int)o->lr_step_epochs,
      .lr_patience = (int)o->lr_patience,
      .es = {.enabled = es->enabled, .monitor = es->monitor, .mode = es->mode,
             .patience = (int)es->patience, .min_delta = es->min_delta,
             .start_from_epoch = (int)es->start_from_epoch, .baseline = es->baseline,
             .stopping_threshold = es->stopping_threshold,
             .divergence_threshold = es->divergence_threshold, .check_finite = es->check_finite},
      .restore_best = es->restore_best,
      .source = source,
      .rank_invariant = o->rank_invariant,
      .micro_batch = (size_t)o->micro_batch,
      .sharded_update = o->sharded_update,
  };
  const char *key, *bad = train_check_param(p, &key);
  return bad ? cfg_error_key(j->src, TR_ECONFIG, key, "%s", bad) : TR_OK;
}
