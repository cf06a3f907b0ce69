/* Tests for experiments/job.c: the table is consistent (every default passes its own
 * validation), the shipped demo job loads, and overrides apply in order. */
#include <stdlib.h>
#include <string.h>

#include "experiments/job.h"
#include "testutil.h"

START_TEST(defaults_are_valid) {
  /* Setting every key to its own default must pass validation. */
  cfg *c = cfg_new(job_options, job_options_count);
  for (size_t i = 0; i < job_options_count; i++) {
    char assignment[512];
    snprintf(assignment, sizeof assignment, "%s.%s=%s", job_options[i].section,
             job_options[i].key, job_options[i].def);
    ck_assert_msg(cfg_set(c, assignment) == TR_OK, "default of %s.%s rejected: %s",
                  job_options[i].section, job_options[i].key, tr_error_message());
  }
  cfg_free(&c);
}
END_TEST

START_TEST(demo_job_loads_with_overrides) {
  char *sets[] = {"optimizer.epochs=7", "optimizer.epochs=9"};
  cfg *c = job_load(TEST_DATA_DIR "/../../configs/demo.ini", sets, 2);
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(cfg_str(c, "model", "type"), "logistic");
  ck_assert_int_eq(cfg_int(c, "optimizer", "epochs"), 9);
  cfg_free(&c);
  tr_error_clear();
  char *bad[] = {"optimizer.epochs=0"};
  ck_assert_ptr_null(job_load(TEST_DATA_DIR "/../../configs/demo.ini", bad, 1));
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  tr_error_clear();
}
END_TEST

START_TEST(storage_ini_documents_the_defaults) {
  /* configs/storage.ini lists every [storage] key with its source: its values must be
     the table's defaults, and it must name every key */
  cfg *c = job_load(TEST_DATA_DIR "/../../configs/storage.ini", NULL, 0);
  ck_assert_msg(c != NULL, "%s", tr_error_message());
  for (size_t i = 0; i < job_options_count; i++) {
    const cfg_option *o = &job_options[i];
    if (strcmp(o->section, "storage") != 0) continue;
    ck_assert_msg(cfg_is_set(c, "storage", o->key), "configs/storage.ini lacks %s", o->key);
    ck_assert_msg(!strcmp(cfg_str(c, "storage", o->key), o->def), "storage.%s: %s in the file, %s in the table",
                  o->key, cfg_str(c, "storage", o->key), o->def);
  }
  stg_params p;
  job_storage_params(c, &p);
  ck_assert(p.s3_first_byte_ms == 30);
  ck_assert_int_eq(p.s3_connections, 10);
  ck_assert_str_eq(p.efs_mode, "elastic");
  ck_assert(p.efs_per_client_mib_s == 1500); /* elastic's default */
  ck_assert_str_eq(p.fsx_deployment, "SCRATCH_2");
  cfg_free(&c);
  char *bursting[] = {"storage.efs.mode=bursting"};
  c = job_load(TEST_DATA_DIR "/../../configs/storage.ini", bursting, 1);
  job_storage_params(c, &p);
  ck_assert(p.efs_per_client_mib_s == 500);
  cfg_free(&c);
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
      {"[storage]\nbackend = tape\n", "job.ini:2: storage.backend: expected one of"},
      {"[storage]\ns3.mb_per_s_per_connection = -5\n", "job.ini:2: storage.s3.mb_per_s_per_connection: must be in"},
      {"[storage]\n\ns3.connections = 0\n", "job.ini:3: storage.s3.connections: must be in"},
      {"[storage]\ns3.bandwidth = 9\n", "job.ini:2:"},
      {"[storage]\nfsx.deployment = PERSISTENT_9\n", "job.ini:2: storage.fsx.deployment"},
      {"[storage]\nefs.per_client_mib_s = 0\n", "job.ini:2: storage.efs.per_client_mib_s"},
      {"[storage]\nread_threads = 0\n", "job.ini:2: storage.read_threads"},
      {"[workload]\ncomputation_time = -1\n", "job.ini:2: workload.computation_time"},
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
  cfg *c = job_load(path, NULL, 0);
  ck_assert_msg(c != NULL, "%s", tr_error_message());
  ck_assert(cfg_float(c, "cost", "spot_interruptions_per_h") == 0 && cfg_float(c, "cost", "spot_restart_s") == 0);
  cfg_free(&c);
  tr_error_clear();
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
  tcase_add_test(tc, storage_ini_documents_the_defaults);
  tcase_add_test(tc, storage_bad_values);
  tcase_add_test(tc, spot_bad_values);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
