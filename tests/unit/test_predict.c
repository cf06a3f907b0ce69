/* Tests for experiments/predict.c with trainer/model_io.c: a model trained on HDF5
 * datasets named other than X and y predicts from the same file (the names are in
 * model.h5; files without them read X and y), and damaged model files (a regression's
 * target_scale 0 or NaN, target_mean missing, feature_names of the wrong length) and
 * data with another feature count are refused as bad input (exit 2) with what is wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/predict.h"
#include "experiments/run.h"
#include "io/h5util.h"
#include "testutil.h"
#include "trainer/model_io.h"

#define CATALOG "cost.pricing=" TEST_DATA_DIR "/../../configs/pricing.ini"

static tu_h5_spec data_spec(hsize_t cols, const char *x, const char *y) {
  return (tu_h5_spec){.rows = 300, .cols = cols, .ytype = H5T_IEEE_F64LE, .yrank = 1, .xname = x, .yname = y};
}

/* A linear regression trained on tu_dir/data.h5 (datasets feat and lab, standardized: the
 * model has a target scaler); its model.h5's path. */
static char *train_model(void) {
  tu_h5_spec sp = data_spec(4, "feat", "lab");
  char *data = tu_h5_file("data.h5", &sp), train[600], out[600];
  snprintf(train, sizeof train, "data.train=%s", data);
  snprintf(out, sizeof out, "%s/run", tu_dir);
  const char *sets[] = {train, CATALOG, "data.x_dataset=feat", "data.y_dataset=lab", "model.type=linear",
                        "optimizer.epochs=2", NULL};
  job *j = tu_job(sets);
  run_opts o = {.name = "unit", .out_dir = out};
  dist_ctx dist = {.rank = 0, .size = 1, .local_size = 1};
  cJSON *result = NULL;
  ck_assert_int_eq(run_train(j, &o, &dist, &result), TR_OK);
  cJSON_Delete(result);
  job_free(&j);
  free(data);
  return tu_path(out, "model.h5");
}

static size_t lines_of(const char *path) {
  char *text = tu_read(path);
  size_t n = 0;
  for (const char *c = text; *c; c++) n += *c == '\n';
  free(text);
  return n;
}

/* A copy of model src as tu_dir/name, opened read-write. */
static hid_t edit_copy(const char *src, const char *name, char **path) {
  *path = tu_path(tu_dir, name);
  FILE *in = fopen(src, "rb"), *out = fopen(*path, "wb");
  ck_assert(in && out);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
  fclose(in);
  fclose(out);
  hid_t f = H5Fopen(*path, H5F_ACC_RDWR, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  return f;
}

static void write_double_attr(hid_t f, const char *name, double v) {
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  ck_assert_int_ge(a, 0);
  ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_DOUBLE, &v), 0);
  H5Aclose(a);
}

START_TEST(dataset_names_from_the_model) {
  char *model = train_model(), *data = tu_path(tu_dir, "data.h5"), *csv = tu_path(tu_dir, "pred.csv");
  model_file mf;
  ck_assert_int_eq(model_load(model, &mf), TR_OK);
  ck_assert_str_eq(mf.x_dataset, "feat");
  ck_assert_str_eq(mf.y_dataset, "lab");
  model_file_free(&mf);
  /* the training file itself: it has no X (this failed with "no dataset 'X'") */
  ck_assert_int_eq(predict_file(model, data, csv), TR_OK);
  ck_assert_uint_eq(lines_of(csv), 301);
  /* a model file from before the names reads X and y */
  char *old = NULL;
  hid_t f = edit_copy(model, "old.h5", &old);
  ck_assert_int_ge(H5Adelete(f, "x_dataset"), 0);
  ck_assert_int_ge(H5Adelete(f, "y_dataset"), 0);
  H5Fclose(f);
  ck_assert_int_eq(model_load(old, &mf), TR_OK);
  ck_assert_str_eq(mf.x_dataset, "X");
  ck_assert_str_eq(mf.y_dataset, "y");
  model_file_free(&mf);
  tu_h5_spec xy = data_spec(4, NULL, NULL);
  char *plain = tu_h5_file("xy.h5", &xy);
  ck_assert_int_eq(predict_file(old, plain, csv), TR_OK);
  ck_assert_uint_eq(lines_of(csv), 301);
  tr_error_clear();
  ck_assert_int_eq(predict_file(old, data, csv), TR_EINPUT);
  tr_error_clear();
  tu_h5_assert_closed();
  free(plain);
  free(old);
  free(csv);
  free(data);
  free(model);
}
END_TEST

START_TEST(damaged_models_refused) {
  char *model = train_model(), *p = NULL;
  model_file mf;
  static const struct {
    const char *name;
    double scale;
    const char *message;
  } scales[] = {{"zero.h5", 0, "model file's target_scale is 0, not a positive finite number (damaged)"},
                {"nan.h5", NAN, "model file's target_scale is nan, not a positive finite number (damaged)"},
                {"neg.h5", -2, "model file's target_scale is -2, not a positive finite number (damaged)"}};
  for (size_t i = 0; i < sizeof scales / sizeof *scales; i++) {
    hid_t f = edit_copy(model, scales[i].name, &p);
    write_double_attr(f, "target_scale", scales[i].scale);
    H5Fclose(f);
    tr_error_clear();
    ck_assert_int_eq(model_load(p, &mf), TR_EINPUT);
    ck_assert_int_eq(tr_exit_code(TR_EINPUT), 2);
    ck_assert_ptr_nonnull(strstr(tr_error_message(), p));
    ck_assert_msg(strstr(tr_error_message(), scales[i].message), "%s", tr_error_message());
    free(p);
  }
  hid_t f = edit_copy(model, "nomean.h5", &p);
  ck_assert_int_ge(H5Adelete(f, "target_mean"), 0);
  H5Fclose(f);
  tr_error_clear();
  ck_assert_int_eq(model_load(p, &mf), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "regression model file has no target_mean (damaged)"));
  free(p);
  f = edit_copy(model, "names.h5", &p);
  char *two[] = {"a", "b"};
  ck_assert_int_eq(h5u_put_strings_attr(f, "feature_names", two, 2, p), TR_OK);
  H5Fclose(f);
  tr_error_clear();
  ck_assert_int_eq(model_load(p, &mf), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "model file has 2 feature_names for 4 features (damaged)"));
  free(p);
  /* by position (no names on either side): another feature count */
  tu_h5_spec three = data_spec(3, "feat", "lab");
  char *data = tu_h5_file("three.h5", &three), *csv = tu_path(tu_dir, "pred.csv");
  tr_error_clear();
  ck_assert_int_eq(predict_file(model, data, csv), TR_EINPUT);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "three.h5: has 3 features, the model expects 4"));
  ck_assert(!tu_exists(tu_dir, "pred.csv"));
  tr_error_clear();
  tu_h5_assert_closed();
  free(csv);
  free(data);
  free(model);
}
END_TEST

int main(void) {
  Suite *s = suite_create("predict");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, dataset_names_from_the_model);
  tcase_add_test(tc, damaged_models_refused);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
