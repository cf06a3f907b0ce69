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

int main(void) {
  Suite *s = suite_create("job");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, defaults_are_valid);
  tcase_add_test(tc, demo_job_loads_with_overrides);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
