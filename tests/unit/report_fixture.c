/* The hand-made sweeps of report_fixture.h. */
#define _GNU_SOURCE
#include "report_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "testutil.h"

void rf_train_line(FILE *f, const rf_train_run *t) {
  fprintf(f,
          "{\"job\": \"job\", \"task\": \"binary\", \"epochs_run\": %d, \"best_epoch\": %d, "
          "\"stop_reason\": \"%s\", \"test\": {\"accuracy\": 0.9, \"auc\": %.10g, \"log_loss\": 0.3}, "
          "\"time\": {\"total_s\": %.10g, \"train_s\": %.10g}, \"au_percent\": %g, "
          "\"parallel\": {\"ranks\": %d, \"threads_per_rank\": 1}, \"storage\": {\"backend\": \"%s\"}, "
          "\"cost\": {\"instance\": \"%s\", \"spot\": %s, \"total_usd\": %.10g}, %s%s"
          "\"point\": {\"id\": \"%s\", \"variant\": \"%s\", \"kind\": \"train\", \"label\": \"%s\", "
          "\"ranks\": %d, \"set\": {%s}, \"dir\": \"points/%s\"}}\n",
          t->epochs, t->best, t->best < t->epochs ? "patience" : "max_epochs", t->auc, t->total_s, t->train_s,
          t->au, t->ranks, t->backend, t->instance, t->spot ? "true" : "false", t->cost, t->extra ? t->extra : "",
          t->extra ? ", " : "", t->id, t->variant, t->label, t->ranks, t->set, t->id);
}

/* rf_train_line() with point.search = search (the closing "}}" of the line opened up). */
static void search_line(FILE *f, const rf_train_run *t, const char *search) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(m);
  rf_train_line(m, t);
  fclose(m);
  ck_assert(len > 3 && !strcmp(buf + len - 3, "}}\n"));
  fprintf(f, "%.*s, \"search\": %s}}\n", (int)(len - 3), buf, search);
  free(buf);
}

void rf_io_line(FILE *f, const char *id, const char *backend, double epoch_s, double au, double cost) {
  fprintf(f,
          "{\"clock\": \"virtual\", \"backend\": \"%s\", \"workload\": {\"ranks\": 1}, \"epoch_s\": [%g, %g], "
          "\"train_au_mean_percentage\": %g, \"total_s\": %g, \"cost\": {\"instance\": \"c5.4xlarge\", "
          "\"total_usd\": %g}, \"point\": {\"id\": \"%s\", \"variant\": \"\", \"kind\": \"io-bench\", "
          "\"label\": \"projected\", \"ranks\": 1, \"set\": {\"storage.backend\": \"%s\"}, \"dir\": \"points/%s\"}}\n",
          backend, epoch_s, epoch_s, au, 2 * epoch_s, cost, id, backend, id);
}

void rf_history(const char *dir, const char *id, int epochs, int best) {
  char *d = NULL, *p = NULL;
  ck_assert_int_ge(asprintf(&d, "%s/points/%s", dir, id), 0);
  ck_assert_int_eq(tr_mkdir_p(d), TR_OK);
  ck_assert_int_ge(asprintf(&p, "%s/history.csv", d), 0);
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs("epoch,train_loss,val_loss,val_auc,lr,epoch_s,io_wait_s,comm_s\n", f);
  for (int e = 1; e <= epochs; e++)
    fprintf(f, "%d,%.6f,%.6f,0.9,0.001,0.5,0,0\n", e, 1.0 / e, 1.0 / (e < best ? e : best) + 0.01 * (e > best ? e - best : 0));
  fclose(f);
  free(d);
  free(p);
}

/* What sweep's train+serve points add (experiments/serve_bench.h serve_summary): a1 and m1
 * were served; the endpoint meets the profile, serverless only for a1, batch never. */
#define RF_SERVE(rt_usd, rt_p99, sl_usd, sl_p99)                                                          \
  "\"serve\": {\"p99_ms\": 1, \"traffic\": {\"months\": 12}, \"deployments\": ["                           \
  "{\"option\": \"realtime\", \"instance\": \"ml.c5.xlarge\", \"usd_per_month\": " #rt_usd ", "              \
  "\"usd_per_1m_requests\": 5.5, \"p99_ms\": " #rt_p99 ", \"meets_p99\": true}, "                            \
  "{\"option\": \"serverless\", \"instance\": null, \"usd_per_month\": " #sl_usd ", "                         \
  "\"usd_per_1m_requests\": 0.25, \"p99_ms\": " #sl_p99 ", \"meets_p99\": true}, "                           \
  "{\"option\": \"batch\", \"instance\": \"ml.c5.xlarge\", \"usd_per_month\": 0.5, "                       \
  "\"usd_per_1m_requests\": 0.02, \"p99_ms\": null, \"meets_p99\": false}]}"

const rf_train_run rf_runs[] = {
    {"a1", "baseline", "measured", "local", "c5.4xlarge", "\"model.type\": \"logistic\"", 1, 0.90, 0.10, 60, 50, 6, 4, 90,
     false, RF_SERVE(148.9, 2, 5.8, 0.5)},
    {"a2", "baseline", "measured", "local", "c5.4xlarge", "\"model.type\": \"logistic\"", 2, 0.90, 0.12, 40, 30, 6, 4, 80,
     false, NULL},
    {"m1", "mlp", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 1, 0.95, 1.00, 600, 500, 20, 15, 95,
     false, RF_SERVE(297.8, 3, 40, null)},
    {"m2", "mlp", "measured", "local", "c5.4xlarge", "\"model.type\": \"mlp\"", 2, 0.95, 1.10, 320, 250, 20, 15, 95,
     false, NULL},
    {"ms3", "mlp", "measured", "s3", "c5.4xlarge", "\"model.type\": \"mlp\", \"storage.backend\": \"s3\"", 1, 0.94,
     2.00, 900, 800, 20, 20, 60, false, NULL},
    {"m2@c5.xlarge", "mlp", "projected", "local", "c5.xlarge", "\"model.type\": \"mlp\"", 1, 0.95, 0.50, 700, 630, 20,
     15, 95, false, NULL},
};
const size_t rf_n_runs = sizeof rf_runs / sizeof *rf_runs;

/* dir/results.jsonl, to write (asserts it opened). */
static FILE *results_file(const char *dir, char **path) {
  *path = tu_path(dir, "results.jsonl");
  FILE *f = fopen(*path, "w");
  ck_assert_ptr_nonnull(f);
  return f;
}

const char *const rf_search_totals =
    "\"search\": {\"search\": \"halving\", \"eta\": 3, \"min_epochs\": 1, \"max_epochs\": 20, \"brackets\": 1, "
    "\"budget_usd\": 3, \"spent_usd\": 2.5, \"trials\": 5, \"ran\": 4, \"left_unrun\": [\"p0005\"], "
    "\"promotions_refused\": [], \"cost_saved_by_pruning_usd\": 0.25}";

void rf_full_sweep(const char *dir) {
  char *p;
  FILE *f = results_file(dir, &p);
  for (size_t i = 0; i < rf_n_runs; i++) {
    rf_train_run t = rf_runs[i];
    if (i >= 4) {
      rf_train_line(f, &t);
      continue;
    }
    char *extra = NULL; /* the run's own extra keys (served runs' "serve") and the search's totals */
    ck_assert(asprintf(&extra, "%s%s%s", t.extra ? t.extra : "", t.extra ? ", " : "", rf_search_totals) > 0);
    t.extra = extra;
    search_line(f, &t, i == 0 ? "{\"status\": \"pruned\", \"rungs\": []}" : "{\"status\": \"completed\", \"rungs\": []}");
    free(extra);
  }
  rf_io_line(f, "io-s3", "s3", 2, 40, 0.3);
  rf_io_line(f, "io-fsx", "fsx", 1, 90, 0.2);
  fclose(f);
  free(p);
  for (size_t i = 0; i < 4; i++) rf_history(dir, rf_runs[i].id, rf_runs[i].epochs, rf_runs[i].best);
}

void rf_write_sweep(const char *dir, const rf_train_run *runs, size_t n) {
  char *p;
  FILE *f = results_file(dir, &p);
  for (size_t i = 0; i < n; i++) rf_train_line(f, &runs[i]);
  fclose(f);
  free(p);
}

void rf_one_rank_sweep(const char *dir) {
  char *p;
  FILE *f = results_file(dir, &p);
  rf_train_line(f, &rf_runs[0]);
  rf_train_line(f, &rf_runs[2]);
  fclose(f);
  free(p);
  rf_history(dir, "a1", 6, 4);
  rf_history(dir, "m1", 20, 15);
}

void rf_io_only_sweep(const char *dir) {
  char *p;
  FILE *f = results_file(dir, &p);
  rf_io_line(f, "io-s3", "s3", 2, 40, 0.3);
  fclose(f);
  free(p);
}

bool rf_has(const char *text, const char *what) {
  if (text && strstr(text, what)) return true;
  fprintf(stderr, "missing \"%s\" in:\n%s\n", what, text ? text : "(null)");
  return false;
}
