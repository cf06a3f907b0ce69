/* Checkpoint files. The RNG states are stored as raw 64-bit words and the history as an
 * epochs x HISTORY_COLS table of doubles: epoch, train_loss, val_loss, val_monitor, lr,
 * epoch_s, io_wait_s, comm_s, then train_m[0..TRAIN_MAX_METRICS) and val_m[...] (unused
 * slots included). Version 1 files (8 columns, no per-epoch metrics) are refused: the
 * resumed history would lack the metrics of the epochs before the checkpoint. */
#include "trainer/checkpoint.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/config.h"
#include "io/h5util.h"

#define FORMAT "tradeoff-checkpoint"
#define FORMAT_VERSION 2
#define HISTORY_FIXED 8
#define HISTORY_COLS (HISTORY_FIXED + 2 * TRAIN_MAX_METRICS)

static void history_row(const train_epoch *e, double *row) {
  double v[HISTORY_FIXED] = {e->epoch, e->train_loss, e->val_loss, e->val_monitor,
                             e->lr,    e->epoch_s,    e->io_wait_s, e->comm_s};
  memcpy(row, v, sizeof v);
  memcpy(row + HISTORY_FIXED, e->train_m, sizeof e->train_m);
  memcpy(row + HISTORY_FIXED + TRAIN_MAX_METRICS, e->val_m, sizeof e->val_m);
}

static train_epoch history_unrow(const double *r) {
  train_epoch e = {.epoch = (int)r[0], .train_loss = r[1], .val_loss = r[2], .val_monitor = r[3],
                   .lr = r[4], .epoch_s = r[5], .io_wait_s = r[6], .comm_s = r[7]};
  memcpy(e.train_m, r + HISTORY_FIXED, sizeof e.train_m);
  memcpy(e.val_m, r + HISTORY_FIXED + TRAIN_MAX_METRICS, sizeof e.val_m);
  return e;
}

tr_err ckpt_save(const char *path, const net *n, const train_state *s, const char *job_text,
                 dist_ctx *dist) {
  int ranks = dist ? dist->size : 1;
  uint64_t mine[8], *rng = malloc((size_t)ranks * 8 * sizeof(uint64_t));
  if (!rng) return tr_error_set(TR_ENOMEM, path, "out of memory");
  memcpy(mine, s->shuffle_rng.s, 4 * sizeof(uint64_t));
  memcpy(mine + 4, s->dropout_rng.s, 4 * sizeof(uint64_t));
  tr_err grc = dist_gather_u64(dist, mine, 8, rng, 0);
  if (grc != TR_OK || (dist && dist->rank != 0)) {
    free(rng);
    return grc;
  }
  double *hist = malloc(((size_t)s->epoch + 1) * HISTORY_COLS * sizeof(double));
  if (!hist) {
    free(rng);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  for (int e = 0; e < s->epoch; e++) history_row(&s->history[e], hist + (size_t)e * HISTORY_COLS);
  hid_t f = h5u_create_memory();
  herr_t bad = f < 0 ? -1 : 0;
  if (f >= 0) {
    long version = FORMAT_VERSION, epoch = s->epoch, step = s->opt->step, nparams = (long)n->n_params;
    long counters[3] = {s->es.best_epoch, s->es.wait, s->sched.wait};
    bad |= h5u_put_string_attr(f, "format", FORMAT);
    bad |= h5u_put_longs_attr(f, "format_version", &version, 1, true);
    bad |= h5u_put_longs_attr(f, "epoch", &epoch, 1, true);
    bad |= h5u_put_longs_attr(f, "optimizer_step", &step, 1, true);
    bad |= h5u_put_longs_attr(f, "n_params", &nparams, 1, true);
    bad |= h5u_put_longs_attr(f, "counters", counters, 3, false);
    bad |= h5u_put_double_attr(f, "es_best", s->es.best);
    bad |= h5u_put_double_attr(f, "lr", s->sched.lr);
    bad |= h5u_put_double_attr(f, "sched_best", s->sched.best);
    bad |= h5u_put_double_attr(f, "compute_s", s->compute_s);
    bad |= h5u_put_string_attr(f, "job", job_text ? job_text : "");
    bad |= h5u_put_array(f, "params", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n->n_params, 0, n->params);
    bad |= h5u_put_array(f, "best_params", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n->n_params, 0, s->best_params);
    if (s->opt->m) bad |= h5u_put_array(f, "optimizer/m", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n->n_params, 0, s->opt->m);
    if (s->opt->v) bad |= h5u_put_array(f, "optimizer/v", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n->n_params, 0, s->opt->v);
    bad |= h5u_put_array(f, "rng", H5T_STD_U64LE, H5T_NATIVE_UINT64, (hsize_t)ranks, 8, rng);
    bad |= h5u_put_array(f, "history", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)s->epoch, HISTORY_COLS, hist);
  }
  free(hist);
  free(rng);
  if (f < 0) return tr_error_set(TR_EHDF5, path, "cannot build the checkpoint");
  return h5u_commit_image(f, bad >= 0, path, "checkpoint");
}

static tr_err read_checkpoint(hid_t f, const char *path, net *n, train_state *s, const char *job_text,
                              int max_epochs, int rank, int ranks) {
  char format[64] = "";
  long version = 0, epoch = -1, step = 0, nparams = 0, counters[3] = {0};
  if (!h5u_get_string_attr(f, "format", format, sizeof format) || strcmp(format, FORMAT) != 0)
    return tr_error_set(TR_EINPUT, path, "not a tradeoff checkpoint");
  h5u_get_longs_attr(f, "format_version", &version, 1);
  if (version == 1)
    return tr_error_set(TR_EINPUT, path, "checkpoint format version 1 was written by an older tradeoff "
                                         "(its history has no per-epoch metrics); this tradeoff reads "
                                         "version %d: run the job again without --resume", FORMAT_VERSION);
  if (version != FORMAT_VERSION)
    return tr_error_set(TR_EINPUT, path, "checkpoint format version %ld; this tradeoff reads %d",
                        version, FORMAT_VERSION);
  if (job_text) { /* first: a different job explains a different model too */
    char *saved = h5u_get_string_attr_dup(f, "job"), what[600];
    bool differs = !saved || strcmp(saved, job_text) != 0;
    if (!saved) snprintf(what, sizeof what, "the checkpoint names no job");
    else if (differs && !cfg_text_diff(saved, job_text, "the checkpoint", "this job", what, sizeof what))
      snprintf(what, sizeof what, "the job texts differ");
    free(saved);
    if (differs)
      return tr_error_set(TR_EINPUT, path, "checkpoint was written by a different job: %s (resume with the "
                                           "same job file and --set options)", what);
  }
  if (h5u_get_longs_attr(f, "n_params", &nparams, 1) != 1 || (size_t)nparams != n->n_params)
    return tr_error_set(TR_EINPUT, path, "checkpoint holds %ld parameters, the job's model has %zu",
                        nparams, n->n_params);
  uint64_t *all = malloc((size_t)ranks * 8 * sizeof(uint64_t)), rng[8];
  if (!all) return tr_error_set(TR_ENOMEM, path, "out of memory");
  bool rng_ok = h5u_get_array(f, "rng", H5T_NATIVE_UINT64, (size_t)ranks * 8, all);
  if (rng_ok) memcpy(rng, all + (size_t)rank * 8, sizeof rng);
  free(all);
  if (!rng_ok)
    return tr_error_set(TR_EINPUT, path, "checkpoint was not written by %d rank%s (resume with "
                                         "the rank count that wrote it)", ranks, ranks == 1 ? "" : "s");
  if (h5u_get_longs_attr(f, "epoch", &epoch, 1) != 1 || epoch < 0 || epoch > max_epochs ||
      h5u_get_longs_attr(f, "optimizer_step", &step, 1) != 1 ||
      h5u_get_longs_attr(f, "counters", counters, 3) != 3 ||
      !h5u_get_double_attr(f, "es_best", &s->es.best) ||
      !h5u_get_double_attr(f, "lr", &s->sched.lr) ||
      !h5u_get_double_attr(f, "sched_best", &s->sched.best) ||
      !h5u_get_double_attr(f, "compute_s", &s->compute_s) ||
      !h5u_get_array(f, "params", H5T_NATIVE_FLOAT, n->n_params, n->params) ||
      !h5u_get_array(f, "best_params", H5T_NATIVE_FLOAT, n->n_params, s->best_params) ||
      (s->opt->m && !h5u_get_array(f, "optimizer/m", H5T_NATIVE_FLOAT, n->n_params, s->opt->m)) ||
      (s->opt->v && !h5u_get_array(f, "optimizer/v", H5T_NATIVE_FLOAT, n->n_params, s->opt->v)))
    return tr_error_set(TR_EINPUT, path, "checkpoint is damaged or from another optimizer");
  double *hist = malloc(((size_t)epoch + 1) * HISTORY_COLS * sizeof(double));
  if (!hist) return tr_error_set(TR_ENOMEM, path, "out of memory");
  bool ok = h5u_get_array(f, "history", H5T_NATIVE_DOUBLE, (size_t)epoch * HISTORY_COLS, hist);
  for (long e = 0; ok && e < epoch; e++) s->history[e] = history_unrow(hist + e * HISTORY_COLS);
  free(hist);
  if (!ok) return tr_error_set(TR_EINPUT, path, "checkpoint history is damaged");
  s->epoch = (int)epoch;
  s->opt->step = step;
  s->es.best_epoch = (int)counters[0];
  s->es.wait = (int)counters[1];
  s->sched.wait = (int)counters[2];
  memcpy(s->shuffle_rng.s, rng, 4 * sizeof(uint64_t));
  memcpy(s->dropout_rng.s, rng + 4, 4 * sizeof(uint64_t));
  return TR_OK;
}

tr_err ckpt_load(const char *path, net *n, train_state *s, const char *job_text,
                 const dist_ctx *dist) {
  h5u_quiet();
  FILE *probe = fopen(path, "rb");
  if (!probe) return tr_error_set(TR_EINPUT, path, "no checkpoint to resume from");
  fclose(probe);
  if (H5Fis_hdf5(path) <= 0) return tr_error_set(TR_EINPUT, path, "not an HDF5 file");
  hid_t f = h5u_open_rdonly(path, H5I_INVALID_HID);
  if (f < 0) return tr_error_set(TR_EINPUT, path, "cannot open checkpoint");
  tr_err rc = read_checkpoint(f, path, n, s, job_text, s->history_cap, dist ? dist->rank : 0,
                              dist ? dist->size : 1);
  H5Fclose(f);
  return rc;
}
