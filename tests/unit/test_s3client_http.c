/* io/s3client.c and io/h5s3.c over HTTP, against the small server of s3client_fixture.h
 * that the test starts on 127.0.0.1: ranged GETs answered wrongly by a proxy or server
 * (another range, a short body, a body cut off, a longer body, a 200 with the whole
 * object, a 206 without Content-Range) fail naming the object with an exit status of 1,
 * or are read correctly where the answer is right after all (a 200 whose whole object is
 * the range); and the process's client replaced by a later job's s3.* keys while an HDF5
 * file opened through it is still open (the file keeps its client; the new one forgets
 * the old endpoint's sizes). The real S3 path (s3rver) is tests/integration/test_s3.sh. */
#define _GNU_SOURCE
#include <check.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "io/h5io.h"
#include "io/h5s3.h"
#include "io/s3client.h"
#include "s3client_fixture.h"
#include "testutil.h"

#define OBJ_SIZE 4096

static char *object_file(void) {
  char *p = tu_path(tu_dir, "obj.bin");
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < OBJ_SIZE; i++) fputc(i % 251, f);
  fclose(f);
  return p;
}

static void client_env(void) {
  setenv("HOME", "/nonexistent", 1);
  setenv("AWS_ACCESS_KEY_ID", "K", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
  setenv("TRADEOFF_S3_LOCAL_ONLY", "1", 1);
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_S3");
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SESSION_TOKEN");
}

/* The process's client on m (2 attempts, 1 ms backoff). */
static s3c_client *client_on(const s3mini *m, int connections) {
  s3c_options o;
  memset(&o, 0, sizeof o);
  snprintf(o.endpoint_url, sizeof o.endpoint_url, "%s", s3mini_endpoint(m));
  o.max_attempts = 2;
  o.backoff_s = 0.001;
  o.timeout_s = 5;
  o.connections = connections;
  s3c_configure(&o);
  s3c_client *c = s3c_shared();
  ck_assert_msg(c != NULL, "%s", tr_error_message());
  return c;
}

START_TEST(malformed_ranged_answers) {
  client_env();
  char *obj = object_file();
  s3mini *m = s3mini_start(obj, S3MINI_OK);
  s3c_client *c = client_on(m, 2);
  unsigned char buf[OBJ_SIZE];
  /* a well-formed answer first: the bytes asked for */
  ck_assert_msg(s3c_get(c, "bkt", "d/obj.bin", 100, 200, buf, NULL) == TR_OK, "%s", tr_error_message());
  for (int i = 0; i < 200; i++) ck_assert_uint_eq(buf[i], (100 + i) % 251);
  static const struct {
    s3mini_mode mode;
    const char *words;
  } bad[] = {
      {S3MINI_WRONG_RANGE, "the server answered bytes 'bytes 101-300/4096' to a GET of bytes 100-299"},
      {S3MINI_NO_RANGE, "the server answered bytes '(no Content-Range)' to a GET of bytes 100-299"},
      {S3MINI_WHOLE, "the server answered 200 with the whole object to a GET of bytes 100-299"},
      {S3MINI_LONG, "the server sent more than the 200 bytes asked for"},
      {S3MINI_SHORT, "got 190 of 200 bytes (retries exhausted)"},
      {S3MINI_CUT, "the answer was cut short"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    s3mini_set_mode(m, bad[i].mode);
    tr_error_clear();
    memset(buf, 0xee, sizeof buf);
    tr_err rc = s3c_get(c, "bkt", "d/obj.bin", 100, 200, buf, NULL);
    ck_assert_msg(rc == TR_EIO, "mode %d: %d %s", (int)bad[i].mode, rc, tr_error_message());
    ck_assert_int_eq(tr_exit_code(rc), 1);
    ck_assert_msg(!strncmp(tr_error_message(), "s3://bkt/d/obj.bin: ", 20), "%s", tr_error_message());
    ck_assert_msg(strstr(tr_error_message(), bad[i].words), "mode %d: %s", (int)bad[i].mode, tr_error_message());
  }
  /* a 200 whose whole object is exactly the range asked for is that range */
  s3mini_set_mode(m, S3MINI_WHOLE);
  tr_error_clear();
  ck_assert_msg(s3c_get(c, "bkt", "d/obj.bin", 0, OBJ_SIZE, buf, NULL) == TR_OK, "%s", tr_error_message());
  for (int i = 0; i < OBJ_SIZE; i++) ck_assert_uint_eq(buf[i], i % 251);
  s3c_shutdown();
  s3mini_stop(m);
  free(obj);
}
END_TEST

/* Review: s3c_configure with other options freed the client an open HDF5 file (h5s3)
 * still read through; the file now holds a reference and keeps reading from the server
 * it was opened on, while the new client goes to the new endpoint and does not take the
 * old endpoint's object sizes for its own. */
START_TEST(client_replaced_while_a_file_is_open) {
  client_env();
  ds_dataset *d = ds_new(4000, 32, true);
  for (size_t i = 0; i < d->rows * d->cols; i++) d->X[i] = (float)(i % 977) * 0.25f;
  char *h5 = tu_path(tu_dir, "d.h5");
  ck_assert_int_eq(h5io_write(h5, d, &(h5io_write_opts){.deflate = 0, .chunk_rows = 4000}), TR_OK);
  s3mini *a = s3mini_start(h5, S3MINI_OK), *b = s3mini_start(h5, S3MINI_NOT_FOUND);
  client_on(a, 2);
  hid_t fapl = h5s3_fapl();
  ck_assert_int_ge(fapl, 0);
  hid_t f = H5Fopen("s3://bkt/ds/d.h5", H5F_ACC_RDONLY, fapl);
  ck_assert_msg(f >= 0, "%s", tr_error_message());
  hid_t x = H5Dopen2(f, "X", H5P_DEFAULT);
  ck_assert_int_ge(x, 0);
  /* the next job of this process: other s3.* keys, a client built for them */
  s3c_client *nc = client_on(b, 3);
  ck_assert_str_eq(s3c_endpoint(nc), s3mini_endpoint(b));
  uint64_t size = 0;
  tr_error_clear();
  ck_assert_int_eq(s3c_head(nc, "bkt", "ds/d.h5", &size), TR_EINPUT); /* not the old endpoint's size */
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "s3://bkt/ds/d.h5: no such object"));
  tr_error_clear();
  long before = s3mini_requests(a);
  float *got = malloc(d->rows * d->cols * sizeof *got);
  ck_assert_msg(H5Dread(x, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0, "%s", tr_error_message());
  ck_assert_int_eq(memcmp(got, d->X, d->rows * d->cols * sizeof *got), 0);
  ck_assert_int_gt(s3mini_requests(a), before); /* read from the server it was opened on */
  H5Dclose(x);
  H5Fclose(f);
  H5Pclose(fapl);
  s3c_shutdown();
  s3mini_stop(a);
  s3mini_stop(b);
  free(got);
  free(h5);
  ds_free(&d);
}
END_TEST

int main(void) {
  Suite *s = suite_create("s3client_http");
  TCase *tc = tcase_create("http");
  tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
  tcase_add_test(tc, malformed_ranged_answers);
  tcase_add_test(tc, client_replaced_while_a_file_is_open);
  suite_add_tcase(s, tc);
  return tu_run(s);
}
