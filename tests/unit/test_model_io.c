/* Tests for trainer/model_io.c: save/load round trips for every model shape, and files
 * that are not models. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trainer/model_io.h"

static net *random_net(net_spec s) {
  net *n = net_new(&s);
  rng_t r;
  rng_seed(&r, 3);
  net_init(n, &r, false);
  for (size_t i = 0; i < n->n_params; i++) n->params[i] += (float)(0.01 * i);
  return n;
}

START_TEST(round_trip_mlp_multiclass) {
  char *p = tu_path(tu_dir, "model.h5");
  net *n = random_net((net_spec){.inputs = 3, .outputs = 4, .hidden = {5, 2}, .n_hidden = 2, .act = ACT_TANH, .dropout = 0.25f});
  double mean[] = {1, 2, 3}, scale[] = {4, 5, 6};
  scaler sc = {.cols = 3, .mean = mean, .scale = scale};
  float classes[4] = {-1, 0, 2, 7};
  ck_assert_int_eq(model_save(p, n, &(model_meta){.head = HEAD_MULTICLASS, .scale = &sc, .classes = classes, .n_classes = 4, .model_type = "mlp", .job_text = "[model]\ntype = mlp\n"}), TR_OK);
  model_file mf;
  ck_assert_int_eq(model_load(p, &mf), TR_OK);
  ck_assert_int_eq(mf.head, HEAD_MULTICLASS);
  ck_assert_uint_eq(mf.model->n_params, n->n_params);
  ck_assert_mem_eq(mf.model->params, n->params, n->n_params * sizeof(float));
  ck_assert_int_eq(mf.model->spec.act, ACT_TANH);
  ck_assert_uint_eq(mf.model->spec.hidden[1], 2);
  ck_assert_float_eq(mf.model->spec.dropout, 0.25f);
  ck_assert_double_eq(mf.scale.scale[2], 6);
  ck_assert_uint_eq(mf.n_classes, 4);
  ck_assert_float_eq(mf.classes[3], 7);
  ck_assert_str_eq(mf.model_type, "mlp");
  model_file_free(&mf);
  model_file_free(&mf); /* safe twice */
  net_free(&n);
  free(p);
}
END_TEST

START_TEST(round_trip_linear_without_scaler) {
  char *p = tu_path(tu_dir, "model.h5");
  net *n = random_net((net_spec){.inputs = 6, .outputs = 1});
  ck_assert_int_eq(model_save(p, n, &(model_meta){.head = HEAD_REGRESSION, .target = {100.0, 7.5}, .model_type = "linear"}), TR_OK);
  model_file mf;
  ck_assert_int_eq(model_load(p, &mf), TR_OK);
  ck_assert_uint_eq(mf.scale.cols, 0);
  ck_assert_ptr_null(mf.classes);
  ck_assert_uint_eq(mf.model->spec.n_hidden, 0);
  ck_assert_mem_eq(mf.model->params, n->params, n->n_params * sizeof(float));
  ck_assert(mf.target.mean == 100.0 && mf.target.scale == 7.5); /* the target's standardization */
  model_file_free(&mf);
  net_free(&n);
  free(p);
}
END_TEST

START_TEST(not_a_model) {
  char *p = tu_path(tu_dir, "x.h5");
  tu_write(p, "plain text");
  model_file mf;
  ck_assert_int_eq(model_load(p, &mf), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "not an HDF5 file"));
  tr_error_clear();
  ck_assert_int_eq(model_load("/nonexistent/model.h5", &mf), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no such model file"));
  tr_error_clear();
  net *n = random_net((net_spec){.inputs = 2, .outputs = 1});
  ck_assert_int_eq(model_save("/nonexistent/dir/model.h5", n, &(model_meta){.head = HEAD_BINARY, .classes = (float[2]){0, 1}, .n_classes = 2, .model_type = "logistic"}), TR_EIO);
  net_free(&n);
  free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("model_io");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, round_trip_mlp_multiclass);
  tcase_add_test(tc, round_trip_linear_without_scaler);
  tcase_add_test(tc, not_a_model);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
