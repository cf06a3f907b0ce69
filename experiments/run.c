/* A training run from start to outputs (see run.h): set up (pricing, threads, checkpoint
 * path), the data steps (run_data.c), the prices checked, the net and trainer parameters (run_params.c), the
 * fit with a checkpoint every checkpoint.every_epochs epochs and one when asked to stop,
 * --resume from the checkpoint, then the outputs on rank 0 as a set: the old result.json
 * is removed first (its absence marks the set incomplete), then model.h5, history.csv and
 * result.json are written, result.json renamed into place last, so its presence means
 * the three are this run's and complete. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/path.h"
#include "common/timer.h"
#include "experiments/run_internal.h"
#include "experiments/runfiles.h"
#include "trainer/checkpoint.h"
#include "trainer/model_io.h"

static void run_state_free(run_state *r) {
  stream_free(&r->stream);
  iostack_free(&r->io);
  free(r->train_global);
  free(r->job_train);
  free(r->job_train_at);
  if (!r->borrowed) run_data_free(r); /* else the cache's (run_cache.c) */
  pricing_free(&r->prices);
  free(r->ckpt_path);
  free(r->job_text);
  dirlock_free(&r->lock); /* the run is over: OUT is free for the next */
}

/* The pricing catalog and instance, the threads per rank, the checkpoint's path and the
 * job text it is stamped with. */
static tr_err setup(run_state *r) {
  const job *j = r->j;
  tr_err rc = pricing_load(j->cost.pricing, &r->prices);
  if (rc == TR_OK) rc = pricing_find_instance(r->prices, j->cost.instance, &r->instance);
  if (rc != TR_OK) return rc;
  train_set_threads(dist_threads_per_rank(r->dist, (int)j->optimizer.threads));
  const char *dir = j->checkpoint.dir;
  r->ckpt_path = *dir ? path_join(dir, RUNFILES_CHECKPOINT)
                      : path_join3(r->o->out_dir, "checkpoint", RUNFILES_CHECKPOINT);
  if (!r->ckpt_path || !(r->job_text = job_text(j))) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  return TR_OK;
}

/* Before training: the catalog prices all this run is billed (the spot discount, and
 * the lines of the storage bill when it streams), so no price is found missing, and
 * silently $0, after the run. */
static tr_err check_prices(const run_state *r) {
  stg_bill bill = {.n = 0};
  if (r->io) stg_bill_of(r->io->store, 0, &(stg_counters){0}, &bill);
  return cost_check_prices(r->prices, r->j->cost.instance, r->j->cost.spot, &bill);
}

/* Creates OUT and the checkpoint directory (once the job and data are known good, so a
 * rejected job leaves nothing behind), locks OUT for the run (rank 0: the ranks share
 * it; TR_EUSAGE "OUT is in use by pid N" when another run holds it), then drops the
 * temporaries of a killed run, which are never another live run's. */
static tr_err make_dirs(run_state *r) {
  char *ckpt_dir = strdup(r->ckpt_path);
  if (!ckpt_dir) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  char *slash = strrchr(ckpt_dir, '/');
  if (slash) *slash = '\0';
  tr_err rc = tr_mkdir_p(r->o->out_dir);
  if (rc == TR_OK && slash) rc = tr_mkdir_p(ckpt_dir);
  if (rc == TR_OK && r->dist->rank == 0) rc = dirlock_take(r->o->out_dir, &r->lock);
  if (rc == TR_OK && r->dist->rank == 0) runfiles_remove_stale(r->o->out_dir, r->ckpt_path);
  if (rc == TR_OK && r->dist->rank == 0 && r->o->force && !r->o->resume && unlink(r->ckpt_path) != 0 &&
      errno != ENOENT) /* the replaced run's checkpoint must not be resumed as this one's */
    rc = tr_error_set(TR_EIO, r->ckpt_path, "cannot remove the replaced run's checkpoint: %s", strerror(errno));
  free(ckpt_dir);
  return rc;
}

/* Writes a checkpoint of (n, s), timing it. Collective. */
static tr_err checkpoint(run_state *r, const net *n, const train_state *s) {
  r->checkpoint_epoch = s->epoch;
  double t0 = tr_now();
  tr_err rc = ckpt_save(r->ckpt_path, n, s, r->job_text, r->dist);
  r->checkpoint_s += tr_now() - t0;
  r->checkpoints++;
  return rc;
}

static tr_err on_epoch(const train_epoch *e, const net *n, const train_state *s, void *user) {
  run_state *r = user;
  if (r->o->on_epoch && r->dist->rank == 0) r->o->on_epoch(r->o->user, e);
  long every = r->j->checkpoint.every_epochs;
  if (every > 0 && e->epoch % every == 0) return checkpoint(r, n, s);
  return TR_OK;
}

/* model.h5, history.csv and result.json into OUT as a set (rank 0; result built by every
 * rank): result.json goes first and comes back last, so a failure part way (a full disk,
 * a rename refused) never leaves a new model.h5 beside an older result.json that looks
 * complete. The first error names its file. */
static tr_err write_outputs(run_state *r, const net *n, const train_params *p, const train_state *s,
                            const train_outcome *oc, cJSON **result) {
  tr_err rc = run_result_json(r, n, p, s, oc, result); /* collective: every rank takes part */
  if (rc != TR_OK || r->dist->rank != 0) return rc;
  const char *out = r->o->out_dir;
  char *model_path = path_join(out, RUNFILES_MODEL), *hist_path = path_join(out, RUNFILES_HISTORY),
       *result_path = path_join(out, RUNFILES_RESULT);
  if (!model_path || !hist_path || !result_path) rc = tr_error_set(TR_ENOMEM, "train", "out of memory");
  if (rc == TR_OK) rc = tr_remove_durable(result_path);
  if (rc == TR_OK && !train_params_finite(n)) { /* never a silent NaN model */
    log_warn("no model.h5: the weights are not finite (no epoch ended with good weights)");
    rc = tr_remove_durable(model_path); /* an earlier run's would pass for this one's */
  } else if (rc == TR_OK)
    rc = model_save(model_path, n,
                    &(model_meta){.head = r->head, .scale = &r->scale, .target = r->target,
                                  .classes = r->n_classes ? r->classes : NULL, .n_classes = r->n_classes,
                                  .model_type = cfg_str(r->j->src, "model", "type"), .job_text = r->job_text,
                                  .feature_names = r->train->feature_names, .label_column = r->train->label_name,
                                  .x_dataset = r->j->data.x_dataset, .y_dataset = r->j->data.y_dataset,
                                  .prep = r->prep, .class_names = r->class_names});
  if (rc == TR_OK) rc = runfiles_write_history(hist_path, s->history, s->epoch, r->head, p->es.monitor);
  if (rc == TR_OK) rc = json_write_file(result_path, *result);
  free(model_path);
  free(hist_path);
  free(result_path);
  return rc;
}

/* Stops that leave a checkpoint to resume from: a signal's, and the before-epoch hook's
 * (a rung a promotion resumes, a pruned trial, a budget that may be raised). */
static bool stop_checkpoints(const char *reason) {
  return !strcmp(reason, "interrupted") || !strcmp(reason, "rung") || !strcmp(reason, "pruned") ||
         !strcmp(reason, "budget");
}

/* The before-epoch hook (run_stops.h) when the run has a budget, a rung or a prune
 * curve; the billed clock is the one result.json's cost uses. */
static tr_err setup_stops(run_state *r, train_params *p) {
  run_stops *st = &r->stops;
  memset(st, 0, sizeof *st);
  st->until_epoch = r->o->until_epoch;
  st->prune = r->o->prune;
  st->budget_usd = r->j->cost.budget_usd;
  st->rate_usd_per_h = pricing_rate(&r->instance, r->j->cost.spot) * (double)r->j->cost.nodes;
  st->t_start = r->t_start;
  st->resumed_s = r->resumed_s;
  st->log = r->dist->rank == 0;
  tr_err rc = run_stops_init(st, r->head, p->es.monitor);
  if (rc == TR_OK && (st->until_epoch > 0 || st->prune || !isnan(st->budget_usd))) {
    p->before_epoch = run_stops_before_epoch;
    p->epoch_user = st;
  }
  return rc;
}

/* The net, its state (fresh or resumed), the fit, the stop checkpoint and the outputs. */
static tr_err fit(run_state *r, const net_spec *spec, train_params *p, cJSON **result) {
  net *n = net_new(spec);
  train_state *s = n ? train_state_new(n, p) : NULL;
  tr_err rc = TR_OK;
  if (!n || !s) {
    rc = tr_error_code();
    goto done;
  }
  rng_t init_rng;
  rng_seed(&init_rng, p->seed ^ 0x5eedULL);
  net_init(n, &init_rng, spec->n_hidden == 0); /* linear models start at zero, as sklearn */
  memcpy(s->best_params, n->params, n->n_params * sizeof(float));
  /* --resume is idempotent: a wrapper may always pass it; before the first checkpoint
     there is nothing to resume and the run starts from the beginning */
  bool resume = r->o->resume && access(r->ckpt_path, F_OK) == 0;
  if (r->o->resume && !resume)
    log_info("train: --resume: no checkpoint at %s yet: starting from the beginning", r->ckpt_path);
  if (resume && (rc = ckpt_load(r->ckpt_path, n, s, r->job_text, r->dist)) != TR_OK) goto done;
  if (resume) log_info("train: resuming after epoch %d from %s", s->epoch, r->ckpt_path);
  for (int i = 0; i < s->epoch; i++) r->resumed_s += s->history[i].epoch_s;
  if ((rc = make_dirs(r)) != TR_OK) goto done;
  train_outcome oc;
  if ((rc = setup_stops(r, p)) != TR_OK) goto done;
  if (r->o->on_start && r->dist->rank == 0) r->o->on_start(r->o->user);
  rc = train_fit(n, r->head, r->train, r->val, p, s, on_epoch, r, &oc);
  /* a stop before an epoch (rung, pruned, budget) right after the checkpoint of the last
     epoch: the state is that checkpoint's, not written twice (an interrupted epoch may
     have moved the weights: always written) */
  bool written = r->checkpoints && r->checkpoint_epoch == s->epoch && strcmp(oc.stop_reason, "interrupted") != 0;
  if (stop_checkpoints(oc.stop_reason) && !written) {
    tr_err crc = checkpoint(r, n, s);
    if (crc != TR_OK) {
      rc = crc;
      goto done;
    }
    if (!strcmp(oc.stop_reason, "interrupted"))
      log_info("train: interrupted by signal %d after epoch %d; checkpoint %s (continue with --resume)",
               r->o->stop ? (int)*r->o->stop : 0, s->epoch, r->ckpt_path);
  }
  if (rc != TR_OK && rc != TR_ENUMERIC) goto done;
  /* the epoch the saved weights are from; after a numerical failure, the last good one */
  oc.best_epoch = train_restore_best(n, s, p, rc == TR_ENUMERIC);
  /* a diverged run still records what happened, then fails */
  tr_error saved;
  tr_error_save(&saved);
  tr_error_clear();
  tr_err wrc = write_outputs(r, n, p, s, &oc, result);
  if (wrc != TR_OK && r->dist->rank == 0) { /* no summary of outputs that are not there */
    cJSON_Delete(*result);
    *result = NULL;
  }
  if (wrc == TR_OK || rc != TR_OK) { /* the first failure is the one reported */
    tr_error_clear();
    tr_error_restore(&saved);
  }
  if (wrc != TR_OK && rc == TR_OK) rc = wrc;
done:
  train_state_free(&s);
  net_free(&n);
  return rc;
}

tr_err run_train(const job *j, const run_opts *o, dist_ctx *dist, cJSON **result) {
  *result = NULL;
  if (!o->resume && !o->force && runfiles_holds_run(o->out_dir))
    return tr_error_set(TR_EUSAGE, o->out_dir,
                        "holds an earlier run's outputs: --force replaces them, --resume continues that run, "
                        "--out chooses another directory");
  double billed_before = o->billed_before_s > 0 ? o->billed_before_s : 0;
  run_state r = {.j = j, .o = o, .dist = dist, .t_start = tr_now() - billed_before, .started = time(NULL)};
  tr_err rc = setup(&r);
  if (rc == TR_OK) rc = run_cache_prepare(o->cache, &r);
  net_spec spec;
  train_params p;
  size_t val_rows = 0;
  if (rc == TR_OK)
    rc = run_net_spec(j, r.train->cols, r.head == HEAD_MULTICLASS ? r.n_classes : 1, &spec);
  if (rc == TR_OK) rc = dist_sum_size(dist, r.val->rows, &val_rows);
  if (rc == TR_OK) rc = run_train_params(j, r.head, val_rows, j->streams ? &r.source : NULL, &p);
  if (rc == TR_OK && j->streams) rc = run_open_stream(&r);
  if (rc == TR_ESTOPPED && o->stop) {
    /* stopped before the first epoch (in the storage's preload, on this rank or, when
       the signal reached only another one, on that rank): not a failure, and nothing to
       keep: no state to checkpoint, OUT untouched (an earlier checkpoint stays); the
       next run, --resume or not, starts where this one would have */
    tr_error_clear();
    char by[32] = "by another rank's signal";
    if (*o->stop) snprintf(by, sizeof by, "by signal %d", (int)*o->stop);
    if (dist->rank == 0)
      log_info("train: interrupted %s before the first epoch (while the storage preloaded the data); "
               "no outputs written, nothing new to resume: run it again", by);
    run_state_free(&r);
    return TR_OK;
  }
  if (rc == TR_OK) rc = check_prices(&r);
  if (rc == TR_OK) {
    p.stop = o->stop;
    p.dist = dist;
    p.target = r.target;
    if (o->on_step && dist->rank == 0) {
      p.on_step = o->on_step;
      p.step_user = o->user;
    }
    rc = fit(&r, &spec, &p, result);
  }
  run_state_free(&r);
  return rc;
}
