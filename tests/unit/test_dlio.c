/* Tests for experiments/dlio.c: a DLIO workload file mapped onto the job's keys (DLIO's
 * defaults for what it leaves out, the reading order per format and shuffle, transfer
 * size in KiB, threads), the shipped configs/dlio workloads with their published
 * parameters, and bad files: malformed YAML, a wrong value, a non-mapping, each exit 2
 * at file:line. */
#include <stdlib.h>
#include <string.h>

#include "experiments/dlio.h"
#include "experiments/job.h"
#include "testutil.h"

#define DLIO_DIR TEST_DATA_DIR "/../../configs/dlio/"

/* The configuration text applied, or NULL with the error recorded. */
static cfg *apply(const char *text) {
  cfg *c = job_config_new();
  ck_assert_ptr_nonnull(c);
  if (dlio_apply_text(c, "w.yaml", (const unsigned char *)text, strlen(text)) != TR_OK) cfg_free(&c);
  return c;
}

START_TEST(keys_map_onto_ours) {
  cfg *c = apply("model: m\n"
                 "dataset:\n  num_files_train: 12\n  num_samples_per_file: 3\n  record_length_bytes: 4096\n  format: npz\n"
                 "reader:\n  batch_size: 6\n  read_threads: 0\n  prefetch_size: 5\n  transfer_size: 262145\n"
                 "  sample_shuffle: seed\n"
                 "train:\n  epochs: 3\n  computation_time: 0.25\n  total_training_steps: 7\n"
                 "metric:\n  au: 0.7\n"
                 "storage:\n  storage_type: s3\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(cfg_str(c, "workload", "files"), "12");
  ck_assert_str_eq(cfg_str(c, "workload", "samples_per_file"), "3");
  ck_assert_str_eq(cfg_str(c, "workload", "record_bytes"), "4096");
  ck_assert_str_eq(cfg_str(c, "workload", "batch_size"), "6");
  ck_assert_str_eq(cfg_str(c, "storage", "read_threads"), "1"); /* DLIO's 0: the main thread */
  ck_assert_str_eq(cfg_str(c, "storage", "prefetch"), "5");
  ck_assert_str_eq(cfg_str(c, "storage", "transfer_kib"), "257"); /* rounded up */
  ck_assert_str_eq(cfg_str(c, "storage", "shuffle"), "sample");
  ck_assert_str_eq(cfg_str(c, "workload", "epochs"), "3");
  ck_assert_str_eq(cfg_str(c, "workload", "computation_time"), "0.25");
  ck_assert_str_eq(cfg_str(c, "workload", "steps"), "7");
  ck_assert_str_eq(cfg_str(c, "workload", "au"), "0.7");
  ck_assert_str_eq(cfg_str(c, "storage", "backend"), "s3");
  cfg_free(&c);
}
END_TEST

START_TEST(defaults_and_reading_order) {
  cfg *c = apply("dataset:\n  num_files_train: 2\n"); /* DLIO's defaults, not ours */
  ck_assert_str_eq(cfg_str(c, "workload", "batch_size"), "1");
  ck_assert_str_eq(cfg_str(c, "storage", "read_threads"), "1");
  ck_assert_str_eq(cfg_str(c, "storage", "shuffle"), "none");
  cfg_free(&c);
  c = apply("reader:\n  file_shuffle: random\n");
  ck_assert_str_eq(cfg_str(c, "storage", "shuffle"), "file");
  cfg_free(&c);
  /* TFRecord is read in order through a shuffle buffer: files shuffled, reads in order */
  c = apply("dataset:\n  format: tfrecord\nreader:\n  file_shuffle: seed\n  sample_shuffle: seed\n");
  ck_assert_str_eq(cfg_str(c, "storage", "shuffle"), "file");
  cfg_free(&c);
  c = apply("reader:\n  file_shuffle: OFF\n  sample_shuffle: off\n");
  ck_assert_str_eq(cfg_str(c, "storage", "shuffle"), "none");
  cfg_free(&c);
}
END_TEST

START_TEST(bad_files_are_located) {
  ck_assert_ptr_null(apply("dataset:\n  num_files_train: [1\nreader: x\n"));
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  ck_assert_msg(strstr(tr_error_message(), "w.yaml:3: malformed YAML"), "%s", tr_error_message());
  tr_error_clear();
  ck_assert_ptr_null(apply("dataset:\n  num_files_train: 4\n  record_length: lots\n"));
  ck_assert_msg(strstr(tr_error_message(), "w.yaml:3: dataset.record_length"), "%s", tr_error_message());
  tr_error_clear();
  ck_assert_ptr_null(apply("reader:\n  sample_shuffle: sometimes\n"));
  ck_assert_msg(strstr(tr_error_message(), "w.yaml:2: reader.sample_shuffle: expected off, seed or random"), "%s",
                tr_error_message());
  tr_error_clear();
  ck_assert_ptr_null(apply("- a\n- b\n"));
  ck_assert_msg(strstr(tr_error_message(), "w.yaml:1: expected a mapping"), "%s", tr_error_message());
  tr_error_clear();
  ck_assert_ptr_null(apply("train:\n  epochs: [1, 2]\n"));
  ck_assert_msg(strstr(tr_error_message(), "w.yaml:2: train.epochs: expected a single value"), "%s", tr_error_message());
  tr_error_clear();
  ck_assert_ptr_null(apply("metric:\n  au: 2\n")); /* the job's own range */
  ck_assert_msg(strstr(tr_error_message(), "w.yaml:2: metric.au (as workload.au)"), "%s", tr_error_message());
  tr_error_clear();
  ck_assert(dlio_is_workload("x/unet3d.YAML") && dlio_is_workload("a.yml") && !dlio_is_workload("job.ini"));
}
END_TEST

START_TEST(shipped_workloads) {
  static const struct {
    const char *name, *files, *per_file, *record, *batch, *shuffle;
  } w[] = {{"unet3d", "168", "1", "146600628", "4", "sample"},
           {"resnet50", "1024", "1", "150528", "1", "none"},
           {"cosmoflow", "1024", "512", "131072", "1", "none"},
           {"bert", "500", "313532", "2500", "48", "file"}};
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
    char *path = tu_path(DLIO_DIR, w[i].name);
    char *yaml = malloc(strlen(path) + 6);
    strcpy(yaml, path);
    strcat(yaml, ".yaml");
    job *j = job_load(yaml, NULL, 0);
    ck_assert_msg(j != NULL, "%s: %s", yaml, tr_error_message());
    ck_assert_str_eq(cfg_str(j->src, "workload", "files"), w[i].files);
    ck_assert_str_eq(cfg_str(j->src, "workload", "samples_per_file"), w[i].per_file);
    ck_assert_str_eq(cfg_str(j->src, "workload", "record_bytes"), w[i].record);
    ck_assert_str_eq(cfg_str(j->src, "workload", "batch_size"), w[i].batch);
    ck_assert_str_eq(cfg_str(j->src, "storage", "shuffle"), w[i].shuffle);
    job_free(&j);
    free(yaml);
    free(path);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("dlio");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, keys_map_onto_ours);
  tcase_add_test(tc, defaults_and_reading_order);
  tcase_add_test(tc, bad_files_are_located);
  tcase_add_test(tc, shipped_workloads);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
