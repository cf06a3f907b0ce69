/* Tests for experiments/runfiles.c: history.csv written and parsed back (its header as
 * DESIGN.md's contract for every task and monitor, no name twice, lr empty for lbfgs,
 * columns read by name in any order), its malformed forms, and the clean-up of a killed
 * run's temporaries (names compared as text, so a directory whose name holds glob
 * characters is no pattern). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "experiments/runfiles.h"
#include "testutil.h"

/* path's history, which must read. */
static runfiles_history read_ok(const char *path) {
  runfiles_history h;
  bool missing;
  ck_assert_int_eq(runfiles_read_history(path, &h, &missing), TR_OK);
  ck_assert(!missing);
  return h;
}

START_TEST(history_round_trip) {
  train_epoch rows[3] = {
      {1, 0.7, 0.69, 0.8, 0.01, 0.5, 0.1, 0, .train_m = {0.75, 0.81}, .val_m = {0.7, 0.8}},
      {2, 0.5, 0.52, 0.85, 0.01, 0.4, 0.1, 0, .train_m = {0.8, 0.86}, .val_m = {0.78, 0.85}},
      {3, 0.4, 0.45, 0.88, 0.005, 0.4, 0.1, 0.01, .train_m = {0.85, 0.9}, .val_m = {0.8, 0.88}}};
  char *p = tu_path(tu_dir, "history.csv");
  ck_assert_int_eq(runfiles_write_history(p, rows, 3, HEAD_BINARY, "val_auc"), TR_OK);
  char *text = tu_read(p);
  ck_assert_str_eq(text, "epoch,train_loss,val_loss,lr,epoch_s,io_wait_s,comm_s,"
                         "train_accuracy,val_accuracy,train_auc,val_auc\n"
                         "1,0.7,0.69,0.01,0.500000,0.100000,0.000000,0.75,0.7,0.81,0.8\n"
                         "2,0.5,0.52,0.01,0.400000,0.100000,0.000000,0.8,0.78,0.86,0.85\n"
                         "3,0.4,0.45,0.005,0.400000,0.100000,0.010000,0.85,0.8,0.9,0.88\n");
  free(text);
  runfiles_history h;
  bool missing;
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_OK);
  ck_assert(!missing);
  ck_assert_uint_eq(h.n, 3);
  ck_assert(h.epoch[2] == 3 && h.train_loss[1] == 0.5 && h.val_loss[0] == 0.69);
  runfiles_history_free(&h);
  ck_assert_ptr_null(h.epoch);
  free(p);
}
END_TEST

START_TEST(history_errors) {
  char *p = tu_path(tu_dir, "h.csv");
  runfiles_history h;
  bool missing;
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_OK);
  ck_assert(missing && h.n == 0);
  tu_write(p, "");
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "h.csv:1: empty file"));
  tr_error_clear();
  tu_write(p, "step,loss\n1,2\n");
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "h.csv:1: expected the header"));
  tr_error_clear();
  tu_write(p, "epoch,train_loss,val_loss_x\n1,2,3\n"); /* names compared whole */
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "h.csv:1: expected the header"));
  tr_error_clear();
  tu_write(p, "lr,epoch,train_loss,val_loss\n0.1,1,0.5\n"); /* a row short of a column */
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "h.csv:2: expected numbers"));
  tr_error_clear();
  tu_write(p, "epoch,train_loss,val_loss\n1,0.5,0.6x\n");
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_EINPUT);
  tr_error_clear();
  tu_write(p, "epoch,train_loss,val_loss,lr\n1,0.5,0.6,0.1\n2,oops,0.5,0.1\n");
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "h.csv:3: expected numbers"));
  ck_assert_ptr_null(h.epoch); /* nothing half-read is left */
  tr_error_clear();
  tu_write(p, "epoch,train_loss,val_loss\n1,0.5,0.6\n\n2,0.4,0.5\n");
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_OK);
  ck_assert_uint_eq(h.n, 2);
  runfiles_history_free(&h);
  free(p);
}
END_TEST

START_TEST(history_never_follows_a_planted_link) {
  char *p = tu_path(tu_dir, RUNFILES_HISTORY), *outside = tu_path(tu_dir, "outside.txt");
  tu_write(outside, "precious");
  tu_plant_tmp_links(p, outside);
  train_epoch rows[1] = {{.epoch = 1, .train_loss = 0.5, .val_loss = 0.6, .val_monitor = 0.6, .lr = 0.1}};
  ck_assert_int_eq(runfiles_write_history(p, rows, 1, HEAD_BINARY, "val_loss"), TR_OK);
  tu_assert_links_unfollowed(p, outside, "precious");
  runfiles_history h;
  bool missing;
  ck_assert_int_eq(runfiles_read_history(p, &h, &missing), TR_OK);
  ck_assert_uint_eq(h.n, 1);
  runfiles_history_free(&h);
  free(outside);
  free(p);
}
END_TEST

/* The header's names after comm_s for each task and monitor: the headline metrics, then
 * the monitored one when it is another; the losses are train_loss and val_loss. */
START_TEST(history_header_every_task_and_monitor) {
  static const struct {
    loss_head head;
    const char *monitor, *metrics;
  } cases[] = {
      {HEAD_BINARY, "val_loss", "train_accuracy,val_accuracy,train_auc,val_auc"},
      {HEAD_BINARY, "val_accuracy", "train_accuracy,val_accuracy,train_auc,val_auc"},
      {HEAD_BINARY, "val_auc", "train_accuracy,val_accuracy,train_auc,val_auc"},
      {HEAD_BINARY, "val_precision", "train_accuracy,val_accuracy,train_auc,val_auc,train_precision,val_precision"},
      {HEAD_BINARY, "val_recall", "train_accuracy,val_accuracy,train_auc,val_auc,train_recall,val_recall"},
      {HEAD_BINARY, "val_f1", "train_accuracy,val_accuracy,train_auc,val_auc,train_f1,val_f1"},
      {HEAD_BINARY, "val_log_loss", "train_accuracy,val_accuracy,train_auc,val_auc,train_log_loss,val_log_loss"},
      {HEAD_MULTICLASS, "val_loss", "train_accuracy,val_accuracy,train_f1,val_f1"},
      {HEAD_MULTICLASS, "val_accuracy", "train_accuracy,val_accuracy,train_f1,val_f1"},
      {HEAD_MULTICLASS, "val_f1", "train_accuracy,val_accuracy,train_f1,val_f1"},
      {HEAD_MULTICLASS, "val_precision", "train_accuracy,val_accuracy,train_f1,val_f1,train_precision,val_precision"},
      {HEAD_MULTICLASS, "val_recall", "train_accuracy,val_accuracy,train_f1,val_f1,train_recall,val_recall"},
      {HEAD_MULTICLASS, "val_auc", "train_accuracy,val_accuracy,train_f1,val_f1,train_auc,val_auc"},
      {HEAD_MULTICLASS, "val_log_loss", "train_accuracy,val_accuracy,train_f1,val_f1,train_log_loss,val_log_loss"},
      {HEAD_REGRESSION, "val_loss", "train_rmse,val_rmse,train_r2,val_r2"},
      {HEAD_REGRESSION, "val_rmse", "train_rmse,val_rmse,train_r2,val_r2"},
      {HEAD_REGRESSION, "val_r2", "train_rmse,val_rmse,train_r2,val_r2"},
      {HEAD_REGRESSION, "val_mse", "train_rmse,val_rmse,train_r2,val_r2,train_mse,val_mse"},
      {HEAD_REGRESSION, "val_mae", "train_rmse,val_rmse,train_r2,val_r2,train_mae,val_mae"},
  };
  char *p = tu_path(tu_dir, "history.csv");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    train_epoch row = {.epoch = 1, .lr = 0.1};
    ck_assert_int_eq(runfiles_write_history(p, &row, 1, cases[c].head, cases[c].monitor), TR_OK);
    char *text = tu_read(p), expected[400];
    snprintf(expected, sizeof expected, "epoch,train_loss,val_loss,lr,epoch_s,io_wait_s,comm_s,%s",
             cases[c].metrics);
    *strchr(text, '\n') = '\0';
    ck_assert_msg(!strcmp(text, expected), "%s: got %s", cases[c].monitor, text);
    /* no name twice */
    char *names[32];
    int k = 0;
    for (char *save, *t = strtok_r(text, ",", &save); t && k < 32; t = strtok_r(NULL, ",", &save)) names[k++] = t;
    for (int i = 0; i < k; i++)
      for (int j = i + 1; j < k; j++) ck_assert_msg(strcmp(names[i], names[j]) != 0, "%s twice", names[i]);
    free(text);
  }
  free(p);
}
END_TEST

/* lbfgs has no learning rate: its lr field is empty, and the file still reads back. */
START_TEST(history_lr_empty_for_lbfgs) {
  char *p = tu_path(tu_dir, "history.csv");
  train_epoch rows[2] = {
      {.epoch = 1, .train_loss = 0.5, .val_loss = 0.6, .lr = NAN, .train_m = {1, 2}, .val_m = {3, 4}},
      {.epoch = 2, .train_loss = 0.4, .val_loss = 0.5, .lr = NAN, .train_m = {1, 2}, .val_m = {3, 4}}};
  ck_assert_int_eq(runfiles_write_history(p, rows, 2, HEAD_REGRESSION, "val_loss"), TR_OK);
  char *text = tu_read(p);
  ck_assert_ptr_nonnull(strstr(text, "\n1,0.5,0.6,,0.000000,0.000000,0.000000,1,3,2,4\n2,0.4,0.5,,"));
  free(text);
  runfiles_history h = read_ok(p);
  ck_assert(h.n == 2 && h.val_loss[1] == 0.5);
  runfiles_history_free(&h);
  free(p);
}
END_TEST

/* The reader finds its columns by name: any order, extra columns, and the repeated
 * val_loss of older versions (the first one is read). */
START_TEST(history_read_by_name) {
  char *p = tu_path(tu_dir, "h.csv");
  tu_write(p, "lr,val_loss,train_accuracy,epoch,train_loss\n,0.6,0.9,1,0.5\n0.1,0.55,0.92,2,0.45\n");
  runfiles_history h = read_ok(p);
  ck_assert_uint_eq(h.n, 2);
  ck_assert(h.epoch[0] == 1 && h.train_loss[0] == 0.5 && h.val_loss[0] == 0.6);
  ck_assert(h.epoch[1] == 2 && h.train_loss[1] == 0.45 && h.val_loss[1] == 0.55);
  runfiles_history_free(&h);
  tu_write(p, "epoch,train_loss,val_loss,val_loss,lr,epoch_s,io_wait_s,comm_s\n"
              "1,0.7,0.69,0.69,0.01,0.5,0.1,0\n");
  h = read_ok(p);
  ck_assert(h.n == 1 && h.val_loss[0] == 0.69);
  runfiles_history_free(&h);
  free(p);
}
END_TEST

START_TEST(stale_temporaries) {
  char *dir = tu_path(tu_dir, "run [1]*"), *ck = tu_path(dir, "ck");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  ck_assert_int_eq(mkdir(ck, 0755), 0);
  const char *names[] = {"result.json.tmp.123", "history.csv.tmp.9", "model.h5.tmp.1", "result.json",
                         "notes.txt.tmp.5", "result.jsonx.tmp.1"};
  for (size_t i = 0; i < 6; i++) {
    char *p = tu_path(dir, names[i]);
    tu_write(p, "x");
    free(p);
  }
  char *ckpt = tu_path(ck, "checkpoint.h5"), *ckpt_tmp = tu_path(ck, "checkpoint.h5.tmp.77");
  tu_write(ckpt, "x");
  tu_write(ckpt_tmp, "x");
  runfiles_remove_stale(dir, ckpt);
  ck_assert(!tu_exists(dir, "result.json.tmp.123") && !tu_exists(dir, "history.csv.tmp.9") && !tu_exists(dir, "model.h5.tmp.1"));
  ck_assert(tu_exists(dir, "result.json") && tu_exists(dir, "notes.txt.tmp.5") && tu_exists(dir, "result.jsonx.tmp.1"));
  ck_assert(tu_exists(ck, "checkpoint.h5") && !tu_exists(ck, "checkpoint.h5.tmp.77"));
  /* the private directory of a writer that creates its own file (libhdf5), and a link
     with a temporary's name: removed, the link's target untouched */
  char *priv = tu_path(dir, "model.h5.tmp.Xy12Zq"), *in = tu_path(priv, "data.h5");
  char *outside = tu_path(tu_dir, "outside"), *kept = tu_path(outside, "kept"), *link = tu_path(dir, "result.json.tmp.AAAAAA");
  ck_assert_int_eq(mkdir(priv, 0700), 0);
  tu_write(in, "x");
  ck_assert_int_eq(mkdir(outside, 0755), 0);
  tu_write(kept, "precious");
  ck_assert_int_eq(symlink(outside, link), 0);
  runfiles_remove_stale(dir, NULL);
  ck_assert(!tu_exists(dir, "model.h5.tmp.Xy12Zq") && !tu_exists(dir, "result.json.tmp.AAAAAA"));
  char *text = tu_read(kept);
  ck_assert_str_eq(text, "precious");
  free(text);
  free(priv);
  free(in);
  free(outside);
  free(kept);
  free(link);
  free(ckpt);
  free(ckpt_tmp);
  free(ck);
  free(dir);
}
END_TEST

START_TEST(run_directories) {
  char *base = tu_path(tu_dir, "job"), *p = NULL;
  ck_assert(!runfiles_holds_run(base));
  p = runfiles_next_dir(base);
  ck_assert_str_eq(p, base); /* free: the job's own name */
  free(p);
  ck_assert_int_eq(tr_mkdir_p(base), TR_OK);
  char *lock = tu_path(base, ".lock");
  tu_write(lock, "1"); /* a lock alone is no run */
  ck_assert(!runfiles_holds_run(base));
  char *result = tu_path(base, "result.json");
  tu_write(result, "{}");
  ck_assert(runfiles_holds_run(base));
  p = runfiles_next_dir(base);
  ck_assert(strlen(p) > strlen(base) && !strcmp(p + strlen(base), "-2"));
  ck_assert_int_eq(tr_mkdir_p(p), TR_OK);
  char *ck = tu_path(p, "checkpoint");
  ck_assert_int_eq(tr_mkdir_p(ck), TR_OK);
  char *ckpt = tu_path(ck, "checkpoint.h5");
  tu_write(ckpt, "x"); /* an interrupted run holds a checkpoint */
  char *latest = runfiles_latest_dir(base), *next = runfiles_next_dir(base);
  ck_assert_str_eq(latest, p);
  ck_assert(!strcmp(next + strlen(base), "-3"));
  free(latest);
  free(next);
  free(ckpt);
  free(ck);
  free(p);
  free(result);
  free(lock);
  free(base);
}
END_TEST

/* The one mapping of a metric to its history.csv column (sweeps and the report use it). */
START_TEST(val_columns) {
  char col[16];
  runfiles_val_column("auc", col, sizeof col);
  ck_assert_str_eq(col, "val_auc");
  runfiles_val_column("log_loss", col, sizeof col);
  ck_assert_str_eq(col, "val_loss");
  runfiles_val_column("a_very_long_metric_name", col, sizeof col);
  ck_assert_str_eq(col, "val_a_very_long");
}
END_TEST

int main(void) {
  Suite *s = suite_create("runfiles");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, history_round_trip);
  tcase_add_test(tc, val_columns);
  tcase_add_test(tc, history_header_every_task_and_monitor);
  tcase_add_test(tc, history_lr_empty_for_lbfgs);
  tcase_add_test(tc, history_read_by_name);
  tcase_add_test(tc, history_errors);
  tcase_add_test(tc, history_never_follows_a_planted_link);
  tcase_add_test(tc, stale_temporaries);
  tcase_add_test(tc, run_directories);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
