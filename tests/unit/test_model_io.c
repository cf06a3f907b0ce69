/* Tests for trainer/model_io.c: save/load round trip, and files that are not models. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trainer/model_io.h"

START_TEST(round_trip) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "model.h5");
  lin_model *m = lin_new(TASK_BINARY, 3);
  m->w[0] = 1.5f, m->w[1] = -2.0f, m->w[2] = 0.25f, m->b = 0.5f;
  double mean[] = {1, 2, 3}, scale[] = {4, 5, 6};
  scaler sc = {.cols = 3, .mean = mean, .scale = scale};
  float classes[2] = {-1, 1};
  ck_assert_int_eq(model_save(p, m, &sc, classes, "logistic", "[model]\ntype = logistic\n"), TR_OK);
  model_file mf;
  ck_assert_int_eq(model_load(p, &mf), TR_OK);
  ck_assert_int_eq(mf.model->task, TASK_BINARY);
  ck_assert_mem_eq(mf.model->w, m->w, 3 * sizeof(float));
  ck_assert_float_eq(mf.model->b, 0.5f);
  ck_assert_double_eq(mf.scale.scale[2], 6);
  ck_assert_float_eq(mf.classes[0], -1);
  ck_assert_str_eq(mf.model_type, "logistic");
  model_file_free(&mf);
  /* regression without a scaler */
  m->task = TASK_REGRESSION;
  scaler none = {0};
  ck_assert_int_eq(model_save(p, m, &none, NULL, "linear", NULL), TR_OK);
  ck_assert_int_eq(model_load(p, &mf), TR_OK);
  ck_assert_uint_eq(mf.scale.cols, 0);
  ck_assert_int_eq(mf.model->task, TASK_REGRESSION);
  model_file_free(&mf);
  lin_free(&m);
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

START_TEST(not_a_model) {
  char *dir = tu_tmpdir(), *p = tu_path(dir, "x.h5");
  tu_write(p, "plain text");
  model_file mf;
  tr_error_clear();
  ck_assert_int_eq(model_load(p, &mf), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "not an HDF5 file"));
  tr_error_clear();
  ck_assert_int_eq(model_load("/nonexistent/model.h5", &mf), TR_EINPUT);
  tr_error_clear();
  lin_model *m = lin_new(TASK_BINARY, 2);
  ck_assert_int_eq(model_save("/nonexistent/dir/model.h5", m, NULL, (float[2]){0, 1}, "logistic", NULL), TR_EIO);
  tr_error_clear();
  lin_free(&m);
  tu_rmrf(dir);
  free(p);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("model_io");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, round_trip);
  tcase_add_test(tc, not_a_model);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
