/* io/s3client.c without a server: s3:// URLs, the ListObjectsV2 and error parsers (on
 * answers shaped as S3 sends them), profile files, and the client's refusals (no
 * credentials, a bad endpoint, an endpoint beyond 127.0.0.1 under
 * TRADEOFF_S3_LOCAL_ONLY). The HTTP path is tests/integration/test_s3.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3client.h"

START_TEST(urls) {
  char *b = NULL, *k = NULL;
  ck_assert(s3c_is_url("s3://bkt/x"));
  ck_assert(!s3c_is_url("data/s3://x"));
  ck_assert_int_eq(s3c_parse_url("s3://my-bucket.1/a/b c.h5", &b, &k), TR_OK);
  ck_assert_str_eq(b, "my-bucket.1");
  ck_assert_str_eq(k, "a/b c.h5");
  free(b), free(k);
  ck_assert_int_eq(s3c_parse_url("s3://bkt", &b, &k), TR_OK);
  ck_assert_str_eq(k, "");
  free(b), free(k);
  const char *bad[] = {"s3://", "s3://ab/x", "s3://Upper/x", "s3://-bkt/x", "s3://bkt_/x", "http://bkt/x",
                       "s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(s3c_parse_url(bad[i], &b, &k), TR_EINPUT);
    ck_assert_ptr_null(b);
    tr_error_clear();
  }
}
END_TEST

static const char page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bkt</Name>"
    "<Prefix>ds/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
    "<Contents><Key>ds/a&amp;b.h5</Key><LastModified>2026-12-01T00:00:00.000Z</LastModified>"
    "<ETag>&quot;x&quot;</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>ds/b.h5</Key><Size>18446744073709551615</Size></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "</ListBucketResult>";

START_TEST(list_pages) {
  s3c_object *o = NULL;
  size_t n = 0, cap = 0;
  bool trunc = false;
  char *tok = NULL;
  ck_assert_int_eq(s3c_parse_list(page, strlen(page), &o, &n, &cap, &trunc, &tok), TR_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(o[0].key, "ds/a&b.h5");
  ck_assert_uint_eq(o[0].size, 10);
  ck_assert_uint_eq(o[1].size, UINT64_MAX);
  ck_assert(trunc);
  ck_assert_str_eq(tok, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  free(tok);
  /* a second page appends */
  const char last[] = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>ds/c.h5</Key>"
                      "<Size>3</Size></Contents></ListBucketResult>";
  ck_assert_int_eq(s3c_parse_list(last, strlen(last), &o, &n, &cap, &trunc, &tok), TR_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert(!trunc);
  ck_assert_ptr_null(tok);
  s3c_free_objects(&o, n);
  /* an empty listing */
  const char empty[] = "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>";
  n = cap = 0;
  ck_assert_int_eq(s3c_parse_list(empty, strlen(empty), &o, &n, &cap, &trunc, &tok), TR_OK);
  ck_assert_uint_eq(n, 0);
  s3c_free_objects(&o, n);
}
END_TEST

START_TEST(list_refusals) {
  const char *bad[] = {"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
                       "<ListBucketResult><Contents><Key>a</Key><Size>1x</Size></Contents></ListBucketResult>",
                       "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",
                       "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                       "<ListBucketResult><Contents><Key>a</Key><Size>1</Size>",
                       "not xml", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    s3c_object *o = NULL;
    size_t n = 0, cap = 0;
    bool trunc = false;
    char *tok = NULL;
    ck_assert_int_eq(s3c_parse_list(bad[i], strlen(bad[i]), &o, &n, &cap, &trunc, &tok), TR_EINPUT);
    s3c_free_objects(&o, n);
    free(tok);
    tr_error_clear();
  }
}
END_TEST

START_TEST(errors) {
  const char e[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                   "<Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>";
  char code[64], msg[256];
  s3c_parse_error(e, strlen(e), code, sizeof code, msg, sizeof msg);
  ck_assert_str_eq(code, "SlowDown");
  ck_assert_str_eq(msg, "Please reduce your request rate.");
  s3c_parse_error("<html>", 6, code, sizeof code, msg, sizeof msg);
  ck_assert_str_eq(code, "");
}
END_TEST

START_TEST(profiles) {
  const char creds[] = "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n"
                       "[lab]\naws_access_key_id = LAB\n";
  char *v = s3c_profile_value(creds, "lab", "aws_access_key_id");
  ck_assert_str_eq(v, "LAB");
  free(v);
  v = s3c_profile_value(creds, "default", "aws_secret_access_key");
  ck_assert_str_eq(v, "SK");
  free(v);
  ck_assert_ptr_null(s3c_profile_value(creds, "lab", "aws_secret_access_key"));
  ck_assert_ptr_null(s3c_profile_value(creds, "nope", "aws_access_key_id"));
  ck_assert_ptr_null(s3c_profile_value("[default\nx = 1\n", "default", "x")); /* unparsable */
  ck_assert_ptr_null(s3c_profile_value(NULL, "default", "x"));
}
END_TEST

START_TEST(content_ranges) {
  uint64_t a = 7, b = 7;
  ck_assert(s3c_parse_content_range("bytes 0-99/1000", &a, &b));
  ck_assert_uint_eq(a, 0);
  ck_assert_uint_eq(b, 99);
  ck_assert(s3c_parse_content_range("bytes 100-100/*", &a, &b));
  ck_assert_uint_eq(a, 100);
  ck_assert(s3c_parse_content_range("bytes 0-18446744073709551614/18446744073709551615", &a, &b));
  ck_assert_uint_eq(b, UINT64_MAX - 1);
  static const char *const bad[] = {"", "bytes */1000", "items 0-9/10", "bytes 9-0/10", "bytes 0-9", "bytes 0-9/",
                                    "bytes -1-9/10", "bytes 0-9/10x", "bytes 0-18446744073709551616/1", "bytes  0-9/10"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) ck_assert_msg(!s3c_parse_content_range(bad[i], &a, &b), "%s", bad[i]);
}
END_TEST

START_TEST(client_refusals) {
  setenv("HOME", "/nonexistent", 1);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  s3c_options o;
  memset(&o, 0, sizeof o);
  s3c_configure(&o);
  ck_assert_ptr_null(s3c_shared());
  ck_assert_int_eq(tr_error_code(), TR_ECONFIG);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "no credentials"));
  tr_error_clear();
  setenv("AWS_ACCESS_KEY_ID", "K", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
  setenv("TRADEOFF_S3_LOCAL_ONLY", "1", 1);
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_S3");
  o.connections = 1; /* a change: the client is rebuilt */
  s3c_configure(&o);
  ck_assert_ptr_null(s3c_shared()); /* AWS's endpoint is not 127.0.0.1 */
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "https://s3.us-east-1.amazonaws.com' is not on 127.0.0.1"));
  tr_error_clear();
  snprintf(o.endpoint_url, sizeof o.endpoint_url, "ftp://127.0.0.1:1");
  s3c_configure(&o);
  ck_assert_ptr_null(s3c_shared());
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "not an http:// or https:// URL"));
  tr_error_clear();
  /* user info would put the real host after the '@' (and past the local-only check) */
  snprintf(o.endpoint_url, sizeof o.endpoint_url, "http://127.0.0.1:1@host.example/");
  s3c_configure(&o);
  ck_assert_ptr_null(s3c_shared());
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "holds user info"));
  tr_error_clear();
  snprintf(o.endpoint_url, sizeof o.endpoint_url, "http://127.0.0.1:1/");
  s3c_configure(&o);
  s3c_client *c = s3c_shared();
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(s3c_endpoint(c), "http://127.0.0.1:1");
  /* nothing listens on port 1: a connection error, retried, then TR_EIO naming the object */
  char buf[4];
  ck_assert_int_eq(s3c_get(c, "bkt", "k.h5", 0, 4, buf, NULL), TR_EIO);
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "s3://bkt/k.h5"));
  ck_assert_ptr_nonnull(strstr(tr_error_message(), "after 3 attempts"));
  ck_assert_uint_eq(s3c_stats_of(c).retries, 2);
  tr_error_clear();
  s3c_shutdown();
}
END_TEST

int main(void) {
  Suite *s = suite_create("s3client");
  TCase *tc = tcase_create("s3client");
  tcase_add_test(tc, urls);
  tcase_add_test(tc, list_pages);
  tcase_add_test(tc, list_refusals);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, profiles);
  tcase_add_test(tc, content_ranges);
  tcase_add_test(tc, client_refusals);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
