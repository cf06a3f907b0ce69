/* A client of the S3 protocol (AWS S3 or any S3-compatible server): s3:// URLs,
 * credentials the standard way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, else the AWS_PROFILE of ~/.aws/credentials, region from
 * AWS_REGION / AWS_DEFAULT_REGION or ~/.aws/config), requests signed by libcurl's own
 * SigV4 (CURLOPT_AWS_SIGV4), ListObjectsV2 (paginated), HEAD and ranged GETs through a
 * pool of kept-alive connections, and retries as the AWS SDKs' standard mode does them:
 * 503 SlowDown, other 5xx, 429 and broken connections retry after an exponential backoff
 * with full jitter, at most max_attempts attempts. XML answers are parsed with expat.
 *
 * One client per process serves every reader (s3c_shared(): the HDF5 metadata driver,
 * the file listing, the `s3real` storage backend, calibrate); the job sets its options
 * once (s3c_configure) before anything opens an s3:// path. A reader that keeps the
 * client across jobs (an open HDF5 file) holds a reference (s3c_acquire): new options
 * then build a new client for what opens next, and the held one lives until released.
 * Thread-safe. With
 * TRADEOFF_S3_LOCAL_ONLY=1 in the environment (every test sets it) an endpoint other
 * than 127.0.0.1/localhost is refused, so no test can reach AWS. */
#ifndef TR_S3CLIENT_H
#define TR_S3CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* True when path is an s3:// URL. */
bool s3c_is_url(const char *path);

/* Splits "s3://bucket/key" into malloc'd bucket and key (key may be ""). TR_EINPUT
 * naming the URL when it is not one or the bucket name is not valid (3-63 characters
 * of a-z 0-9 . -). */
tr_err s3c_parse_url(const char *url, char **bucket, char **key);

/* What the job says; empty strings and zeros mean "the standard default". */
typedef struct {
  char endpoint_url[512]; /* "" : AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else
                             https://s3.REGION.amazonaws.com (virtual-hosted style) */
  char region[64];        /* "" : AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1 */
  char profile[128];      /* "" : AWS_PROFILE, else "default" */
  int connections;        /* kept-alive connections (0: 10, boto3's pool) */
  int max_attempts;       /* of a request (0: 3, the SDKs' standard mode) */
  double backoff_s;       /* base of the backoff (0: 0.1 s); a retry waits U(0, base*2^k), at most 20 s */
  long list_page_size;    /* max-keys of a ListObjectsV2 page (0: 1000) */
  double timeout_s;       /* a request that makes no progress for this long fails (0: 30) */
} s3c_options;

/* Sets the options of the process's client (before its first use; later calls with other
 * options replace them: the client is rebuilt on its next use, the object sizes listings
 * saw are forgotten, and a client still held by s3c_acquire stays valid for its holders
 * until their last s3c_release). */
void s3c_configure(const s3c_options *o);

typedef struct s3c_client s3c_client;

/* The process's client, built on first use from the options, the environment and the
 * profile files; NULL with an error recorded (TR_ECONFIG: no credentials, a bad
 * endpoint, an endpoint beyond 127.0.0.1 under TRADEOFF_S3_LOCAL_ONLY). Valid until the
 * next s3c_configure with other options or s3c_shutdown: use it for one operation, or
 * hold it with s3c_acquire. */
s3c_client *s3c_shared(void);
/* s3c_shared with a reference held: the client stays valid (with its options) until
 * s3c_release, whatever s3c_configure and s3c_shutdown do meanwhile. NULL as s3c_shared. */
s3c_client *s3c_acquire(void);
/* Drops a reference of s3c_acquire (NULL-safe); frees a replaced client at its last. */
void s3c_release(s3c_client *c);
/* Frees the process's client (at exit; safe when there is none). */
void s3c_shutdown(void);

/* The endpoint requests go to ("http://127.0.0.1:4568", "https://s3.us-east-1...") and
 * the connections of the pool. */
const char *s3c_endpoint(const s3c_client *c);
int s3c_connections(const s3c_client *c);

/* Counts of requests sent (every attempt: each is billed) and retried, since start. */
typedef struct {
  uint64_t gets, heads, lists, retries, slowdowns;
} s3c_stats;
s3c_stats s3c_stats_of(const s3c_client *c);

/* One object of a listing. */
typedef struct {
  char *key;
  uint64_t size;
} s3c_object;

/* Every object under prefix in key order, ListObjectsV2 page by page. *out malloc'd
 * (s3c_free_objects). TR_EINPUT naming the bucket when it does not exist, TR_ECONFIG on
 * refused credentials, TR_EIO when the server cannot be reached after the retries. */
tr_err s3c_list(s3c_client *c, const char *bucket, const char *prefix, s3c_object **out, size_t *n);
void s3c_free_objects(s3c_object **objs, size_t n);

/* The size of an object (HEAD). TR_EINPUT naming s3://bucket/key when it does not
 * exist; other errors as s3c_list. */
tr_err s3c_head(s3c_client *c, const char *bucket, const char *key, uint64_t *size);
/* A HEAD sent whatever the listing said; *seconds (optional) gets its round trip. */
tr_err s3c_head_timed(s3c_client *c, const char *bucket, const char *key, uint64_t *size,
                      double *seconds);

/* What a GET took: the time to its first byte (of the last attempt), its attempts (each
 * a billed request) and how many were 503 SlowDown. */
typedef struct {
  double ttfb_s;
  int attempts, slowdowns;
} s3c_result;

/* Reads n bytes at off of the object into buf with one ranged GET (retried as the SDKs
 * do). Errors name s3://bucket/key: TR_EINPUT missing, TR_ECONFIG refused, TR_EIO the
 * server failed or the connection broke on every attempt. res is optional. */
tr_err s3c_get(s3c_client *c, const char *bucket, const char *key, uint64_t off, size_t n,
               void *buf, s3c_result *res);
/* The same for an "s3://bucket/key" URL. */
tr_err s3c_get_url(s3c_client *c, const char *url, uint64_t off, size_t n, void *buf,
                   s3c_result *res);

/* ---- parsers (exposed for tests and fuzzing) ------------------------------------- */

/* One page of a ListObjectsV2 answer: its objects appended to *objs (grown), whether
 * it is truncated and the continuation token (malloc'd, NULL when none). TR_EINPUT when
 * the XML is malformed or an object's Size is not a number. */
tr_err s3c_parse_list(const char *xml, size_t len, s3c_object **objs, size_t *n, size_t *cap,
                      bool *truncated, char **token);
/* The Code and Message of an S3 error answer into code/msg (empty when absent). */
void s3c_parse_error(const char *xml, size_t len, char *code, size_t code_len, char *msg,
                     size_t msg_len);
/* The range of a Content-Range value "bytes FIRST-LAST/TOTAL" (TOTAL may be a star:
 * unknown) into first/last; false when it is not one (another unit, an unsatisfied
 * range's star in place of FIRST-LAST, FIRST > LAST, numbers past 2^64, anything after
 * TOTAL). */
bool s3c_parse_content_range(const char *value, uint64_t *first, uint64_t *last);
/* The key of `want` in section `[section]` of INI text (an AWS credentials or config
 * file: "aws_access_key_id = ..."), malloc'd; NULL when absent. */
char *s3c_profile_value(const char *text, const char *section, const char *want);
#endif
