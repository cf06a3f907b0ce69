/* Before-epoch stops of a run (see run_stops.h): the rung of --until-epoch, the median
 * curve of --prune-below, and cost.budget_usd with its 50/80/100% alerts. The projection
 * is the cost so far (the instances' rate x the billed seconds) plus one epoch of this
 * process at that rate, the longest seen from hook to hook (so the validation and the
 * checkpoint of every epoch count, and a shared machine's slow epochs); before the
 * second hook, the mean epoch_s of the
 * history (a resumed run's), and before the first epoch only the cost so far. A streamed
 * run's storage bill is priced at the end, not projected. */
#define _GNU_SOURCE
#include "experiments/run_stops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timer.h"
#include "trainer/early_stop.h"

#define PRUNE_MAX_EPOCH 1000000

tr_err run_prune_parse(const char *spec, run_prune *out) {
  memset(out, 0, sizeof *out);
  const char *colon = strchr(spec, ':');
  size_t len = colon ? (size_t)(colon - spec) : 0;
  if (!colon || len < 5 || len >= sizeof out->column || strncmp(spec, "val_", 4) != 0)
    return tr_error_set(TR_EUSAGE, "--prune-below", "expected COLUMN:EPOCH=VALUE,... with COLUMN val_loss or "
                        "val_<metric>, got '%.60s'", spec);
  memcpy(out->column, spec, len);
  out->column[len] = '\0';
  out->minimize = es_auto_minimize(out->column);
  tr_err rc = TR_OK;
  for (const char *p = colon + 1; rc == TR_OK;) {
    char *end;
    long e = strtol(p, &end, 10);
    if (end == p || *end != '=' || e < 1 || e > PRUNE_MAX_EPOCH) {
      rc = tr_error_set(TR_EUSAGE, "--prune-below", "expected EPOCH=VALUE (epoch in [1, %d]) at '%.40s'",
                        PRUNE_MAX_EPOCH, p);
      break;
    }
    const char *vp = end + 1;
    double v = strtod(vp, &end);
    if (end == vp || !isfinite(v) || (*end != ',' && *end)) {
      rc = tr_error_set(TR_EUSAGE, "--prune-below", "epoch %ld: expected a finite number at '%.40s'", e, vp);
      break;
    }
    if (e > out->n) {
      double *grown = realloc(out->below, (size_t)e * sizeof *grown);
      if (!grown) {
        rc = tr_error_set(TR_ENOMEM, "--prune-below", "out of memory");
        break;
      }
      for (long i = out->n; i < e; i++) grown[i] = NAN;
      out->below = grown;
      out->n = (int)e;
    }
    if (!isnan(out->below[e - 1])) {
      rc = tr_error_set(TR_EUSAGE, "--prune-below", "epoch %ld is given twice", e);
      break;
    }
    out->below[e - 1] = v;
    if (!*end) break;
    p = end + 1;
  }
  if (rc != TR_OK) run_prune_free(out);
  return rc;
}

void run_prune_free(run_prune *p) {
  if (!p) return;
  free(p->below);
  p->below = NULL;
  p->n = 0;
}

tr_err run_stops_init(run_stops *st, loss_head head, const char *monitor) {
  st->prune_col = -1;
  st->projected_usd = NAN;
  st->stop_spent_usd = NAN;
  if (!st->prune || !strcmp(st->prune->column, "val_loss")) return TR_OK;
  const char *names[TRAIN_MAX_METRICS];
  int k = train_history_metrics(head, monitor, names);
  char have[256] = "val_loss";
  size_t len = strlen(have);
  for (int i = 0; i < k; i++) {
    if (!strcmp(st->prune->column + 4, names[i])) {
      st->prune_col = i;
      return TR_OK;
    }
    fmt_append(have, sizeof have, &len, ", val_%s", names[i]);
  }
  return tr_error_set(TR_EUSAGE, "--prune-below", "history has no %s (it has %s)", st->prune->column, have);
}

static double billed_usd(const run_stops *st, double extra_s) {
  return st->rate_usd_per_h * (tr_now() - st->t_start + st->resumed_s + extra_s) / 3600.0;
}

/* Records (and prints) every alert level the spend has reached. */
static void alerts(run_stops *st, double spent, int epoch) {
  static const int levels[3] = {50, 80, 100};
  while (st->n_alerts < 3 && spent >= st->budget_usd * levels[st->n_alerts] / 100.0) {
    int pct = levels[st->n_alerts];
    st->alert[st->n_alerts].percent = pct;
    st->alert[st->n_alerts].epoch = epoch;
    st->alert[st->n_alerts].spent_usd = spent;
    st->n_alerts++;
    if (st->log) {
      char a[FMT_USD_LEN], b[FMT_USD_LEN];
      log_warn("train: budget alert: %d%% of cost.budget_usd %s reached (%s after epoch %d)", pct,
               fmt_usd(st->budget_usd, a, sizeof a), fmt_usd(spent, b, sizeof b), epoch);
    }
  }
}

int run_stops_before_epoch(void *user, int epoch, const struct train_state *s) {
  run_stops *st = user;
  int why = TRAIN_GO;
  int done = epoch - 1;
  if (!isnan(st->budget_usd)) {
    double mean = 0, now = tr_now();
    for (int i = 0; i < done; i++) mean += s->history[i].epoch_s;
    mean = done ? mean / done : 0;
    if (st->first_t == 0) {
      st->first_t = now;
      st->first_epoch = done;
    } else if (done > st->first_epoch) {
      st->max_interval = fmax(st->max_interval, now - st->last_t);
      mean = st->max_interval;
    }
    st->last_t = now;
    double spent = billed_usd(st, 0), projected = billed_usd(st, mean);
    alerts(st, spent, done);
    if (projected > st->budget_usd) {
      why = TRAIN_STOP_BUDGET;
      st->projected_usd = projected;
      st->stop_spent_usd = spent;
      if (st->log) {
        char a[FMT_USD_LEN], b[FMT_USD_LEN];
        log_warn("train: stopped before epoch %d: its projected cost %s would exceed cost.budget_usd %s", epoch,
                 fmt_usd(projected, a, sizeof a), fmt_usd(st->budget_usd, b, sizeof b));
      }
    }
  }
  const run_prune *pr = st->prune;
  if (why == TRAIN_GO && pr && done >= 1 && done <= pr->n && !isnan(pr->below[done - 1])) {
    const train_epoch *e = &s->history[done - 1];
    double v = st->prune_col < 0 ? e->val_loss : e->val_m[st->prune_col], m = pr->below[done - 1];
    bool worse = isnan(v) || (pr->minimize ? v > m : v < m);
    if (worse) {
      why = TRAIN_STOP_PRUNED;
      st->pruned_epoch = done;
      st->pruned_value = v;
      st->pruned_median = m;
      if (st->log)
        log_info("train: pruned after epoch %d: %s %.6g is worse than the median %.6g of completed trials", done,
                 pr->column, v, m);
    }
  }
  if (why == TRAIN_GO && st->until_epoch > 0 && done >= st->until_epoch) {
    why = TRAIN_STOP_RUNG;
    if (st->log) log_info("train: stopped after epoch %d (--until-epoch)", done);
  }
  return why;
}

void run_stops_json(run_stops *st, double total_usd, int last_epoch, bool stopped, cJSON *result, cJSON *cost) {
  if (st->pruned_epoch > 0) {
    cJSON *p = cJSON_AddObjectToObject(result, "pruned");
    cJSON_AddNumberToObject(p, "epoch", st->pruned_epoch);
    cJSON_AddStringToObject(p, "column", st->prune->column);
    json_add_number(p, "value", st->pruned_value);
    json_add_number(p, "median", st->pruned_median);
  }
  if (isnan(st->budget_usd)) return;
  alerts(st, total_usd, last_epoch);
  cJSON *b = cJSON_AddObjectToObject(cost, "budget");
  json_add_number(b, "budget_usd", st->budget_usd);
  json_add_number(b, "spent_usd", total_usd);
  json_add_number(b, "percent", st->budget_usd > 0 ? 100.0 * total_usd / st->budget_usd : NAN);
  cJSON *a = cJSON_AddArrayToObject(b, "alerts");
  for (int i = 0; i < st->n_alerts; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "percent", st->alert[i].percent);
    cJSON_AddNumberToObject(o, "epoch", st->alert[i].epoch);
    json_add_number(o, "spent_usd", st->alert[i].spent_usd);
    cJSON_AddItemToArray(a, o);
  }
  cJSON_AddBoolToObject(b, "stopped", stopped);
  json_add_number(b, "projected_usd", st->projected_usd);
  json_add_number(b, "spent_at_stop_usd", st->stop_spent_usd);
}
