/* Tests for experiments/job.c: the tables are consistent (every default passes its own
 * validation, every backend's keys are there), the shipped jobs load into the typed
 * structs, overrides apply in order, enums convert in their choices' order, and bad
 * values are refused at their line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/job.h"
#include "io/loader.h"
#include "testutil.h"
#include "trainer/net.h"
#include "trainer/optim.h"

START_TEST(defaults_are_valid) {
  /* Setting every key to its own default must pass validation. */
  cfg *c = job_config_new();
  ck_assert_ptr_nonnull(c);
  for (size_t i = 0; i < cfg_count(c); i++) {
    const cfg_option *o = cfg_option_at(c, i);
    char assignment[512];
    snprintf(assignment, sizeof assignment, "%s.%s=%s", o->section, o->key, o->def);
    ck_assert_msg(cfg_set(c, assignment) == TR_OK, "default of %s.%s rejected: %s", o->section, o->key,
                  tr_error_message());
  }
  cfg_free(&c);
}
END_TEST

START_TEST(demo_job_loads_with_overrides) {
  char *sets[] = {"optimizer.epochs=7", "optimizer.epochs=9"};
  job *j = job_load(TEST_DATA_DIR "/../../configs/demo.ini", sets, 2);
  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(j->model.type, JOB_LOGISTIC);
  ck_assert_int_eq(j->optimizer.epochs, 9);
  ck_assert(!j->streams);
  job_free(&j);
  ck_assert_ptr_null(j);
  tr_error_clear();
  char *bad[] = {"optimizer.epochs=0"};
  ck_assert_ptr_null(job_load(TEST_DATA_DIR "/../../configs/demo.ini", bad, 1));
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  tr_error_clear();
}
END_TEST

START_TEST(typed_values) {
  char *sets[] = {"model.type=mlp", "model.hidden=64,32", "model.activation=tanh", "optimizer.name=adamw",
                  "optimizer.schedule=cosine", "storage.shuffle=block", "storage.backend=fsx",
                  "early_stopping.monitor=val_auc", "early_stopping.baseline=0.5", "data.seed=42",
                  "storage.fault.error_at=3", "cost.spot=yes"};
  job *j = job_load(NULL, sets, sizeof sets / sizeof *sets);
  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(j->model.type, JOB_MLP);
  ck_assert_int_eq(j->model.hidden.n, 2);
  ck_assert_int_eq(j->model.hidden.v[1], 32);
  ck_assert_int_eq(j->model.activation, ACT_TANH);
  ck_assert_int_eq(j->optimizer.name, OPT_ADAMW);
  ck_assert_int_eq(j->optimizer.schedule, SCHED_COSINE);
  ck_assert_int_eq(j->storage.shuffle, LOADER_BLOCK);
  ck_assert_str_eq(stg_backend_name((size_t)j->storage.backend), "fsx");
  ck_assert_str_eq(j->early_stopping.monitor, "val_auc");
  ck_assert(j->early_stopping.baseline == 0.5);
  ck_assert(isnan(j->early_stopping.stopping_threshold)); /* optional, left empty */
  ck_assert_int_eq(j->storage.model.fault_error_at, 3);
  ck_assert_uint_eq(j->storage.model.seed, 42);
  ck_assert(j->cost.spot);
  ck_assert(j->streams);
  /* every choice of the trainer's enums converts to its enum value */
  static const char *const opts[] = {"sgd", "momentum", "nesterov", "adam", "adamw", "lbfgs"};
  for (int i = 0; i < 6; i++) ck_assert_int_eq(opt_kind_from_name(opts[i]), i);
  static const char *const shuffles[] = {"sample", "block", "none"};
  for (int i = 0; i < 3; i++) ck_assert_int_eq(loader_shuffle_from_name(shuffles[i]), i);
  job_free(&j);
}
END_TEST

START_TEST(storage_ini_documents_the_defaults) {
  /* configs/storage.ini lists every [storage] key with its source: its values must be
     the tables' defaults (the job's and every backend's), and it must name every key */
  job *j = job_load(TEST_DATA_DIR "/../../configs/storage.ini", NULL, 0);
  ck_assert_msg(j != NULL, "%s", tr_error_message());
  size_t backend_keys = 0;
  for (size_t i = 0; i < cfg_count(j->src); i++) {
    const cfg_option *o = cfg_option_at(j->src, i);
    if (strcmp(o->section, "storage") != 0) continue;
    backend_keys += strchr(o->key, '.') && strncmp(o->key, "fault.", 6) != 0;
    ck_assert_msg(cfg_is_set(j->src, "storage", o->key), "configs/storage.ini lacks %s", o->key);
    ck_assert_msg(!strcmp(cfg_str(j->src, "storage", o->key), o->def), "storage.%s: %s in the file, %s in the table",
                  o->key, cfg_str(j->src, "storage", o->key), o->def);
  }
  size_t declared = 0;
  for (size_t i = 0; i < stg_backend_count(); i++) declared += stg_backend_options(i).n;
  ck_assert_uint_eq(backend_keys, declared);
  job_free(&j);
}
END_TEST

/* Each job text cases[i][0] is rejected (TR_ECONFIG) with a message containing
 * cases[i][1]; the file is written to path. */
static void assert_rejected(const char *path, const char *const (*cases)[2], size_t n) {
  for (size_t i = 0; i < n; i++) {
    tu_write(path, cases[i][0]);
    tr_error_clear();
    ck_assert_ptr_null(job_load(path, NULL, 0));
    ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
    ck_assert_msg(strstr(tr_error_message(), cases[i][1]) != NULL, "case %zu: %s", i, tr_error_message());
  }
}

START_TEST(storage_bad_values) {
  /* impossible values, unknown backends and keys: errors naming the key and the line */
  static const char *const cases[][2] = {
      {"[storage]\nbackend = tape\n", "job.ini:2: storage.backend: expected one of local|null|s3|efs|fsx"},
      {"[storage]\ns3.mb_per_s_per_connection = -5\n", "job.ini:2: storage.s3.mb_per_s_per_connection: must be in"},
      {"[storage]\n\ns3.connections = 0\n", "job.ini:3: storage.s3.connections: must be in"},
      {"[storage]\ns3.bandwidth = 9\n", "job.ini:2:"},
      {"[storage]\nfsx.deployment = PERSISTENT_9\n", "job.ini:2: storage.fsx.deployment"},
      {"[storage]\nefs.per_client_mib_s = 0\n", "job.ini:2: storage.efs.per_client_mib_s"},
      {"[storage]\nread_threads = 0\n", "job.ini:2: storage.read_threads"},
      {"[workload]\ncomputation_time = -1\n", "job.ini:2: workload.computation_time"},
      {"[model]\nhidden = 8,,4\n", "job.ini:2: model.hidden: expected comma-separated integers"},
      {"[storage]\n\nfsx.capacity_tib = 1e-300\n", "job.ini:3: storage.fsx.capacity_tib: must be 0 (the smallest"},
  };
  char *dir = tu_tmpdir(), *path = tu_path(dir, "job.ini");
  assert_rejected(path, cases, sizeof cases / sizeof cases[0]);
  tr_error_clear();
  tu_rmrf(dir);
  free(dir);
  free(path);
}
END_TEST

START_TEST(spot_bad_values) {
  /* the spot model's keys: negative, non-numeric or absurd values name the key and line */
  static const char *const cases[][2] = {
      {"[cost]\nspot_interruptions_per_h = -0.1\n", "job.ini:2: cost.spot_interruptions_per_h: must be in"},
      {"[cost]\nspot_interruptions_per_h = often\n", "job.ini:2: cost.spot_interruptions_per_h: expected a number"},
      {"[cost]\nspot_interruptions_per_h = 4000\n", "job.ini:2: cost.spot_interruptions_per_h: must be in"},
      {"[cost]\n\nspot_restart_s = -1\n", "job.ini:3: cost.spot_restart_s: must be in"},
      {"[cost]\nspot_restart_s = 1e9\n", "job.ini:2: cost.spot_restart_s: must be in"},
  };
  char *dir = tu_tmpdir(), *path = tu_path(dir, "job.ini");
  assert_rejected(path, cases, sizeof cases / sizeof cases[0]);
  tu_write(path, "[cost]\nspot = true\nspot_interruptions_per_h = 0\nspot_restart_s = 0\n");
  job *j = job_load(path, NULL, 0);
  ck_assert_msg(j != NULL, "%s", tr_error_message());
  ck_assert(j->cost.spot_interruptions_per_h == 0 && j->cost.spot_restart_s == 0);
  job_free(&j);
  tr_error_clear();
  tu_rmrf(dir);
  free(dir);
  free(path);
}
END_TEST

START_TEST(paths_and_help) {
  char *dir = tu_tmpdir(), *path = tu_path(dir, "job.ini");
  tu_write(path, "[data]\n\ntrain = /no/such/data.h5\ntest = parts/*.h5\n");
  job *j = job_load(path, NULL, 0);
  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(job_check_path(j, "train"), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "job.ini:3: data.train: no such file or directory: /no/such/data.h5"));
  tr_error_clear();
  ck_assert_int_eq(job_check_path(j, "test"), TR_OK); /* a glob is checked by its reader */
  char *text = job_text(j);
  ck_assert_ptr_nonnull(strstr(text, "[storage]\nbackend = local\n"));
  ck_assert_ptr_nonnull(strstr(text, "s3.first_byte_ms = 45\n"));
  free(text);
  job_free(&j);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  job_print_help(f);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(buf, "fsx.deployment"));
  ck_assert_ptr_nonnull(strstr(buf, "local|null|s3|efs|fsx"));
  free(buf);
  tu_rmrf(dir);
  free(dir);
  free(path);
}
END_TEST

int main(void) {
  Suite *s = suite_create("job");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, defaults_are_valid);
  tcase_add_test(tc, demo_job_loads_with_overrides);
  tcase_add_test(tc, typed_values);
  tcase_add_test(tc, storage_ini_documents_the_defaults);
  tcase_add_test(tc, storage_bad_values);
  tcase_add_test(tc, spot_bad_values);
  tcase_add_test(tc, paths_and_help);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
