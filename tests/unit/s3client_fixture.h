/* A small HTTP server for the S3 client's suites (test_s3client*.c), started by the test
 * on 127.0.0.1 (an ephemeral port) in a thread of the test process and stopped by it. It
 * serves one file as every object: HEAD gives its size, a ranged GET its bytes as S3
 * does (206, Content-Range), or, by mode, the malformed answers a broken proxy or server
 * gives: another range than asked, a short body, a body cut off, a longer body, a 200
 * with the whole object, a 206 without Content-Range; or 404 NoSuchKey for everything.
 * One request per connection (Connection: close). */
#ifndef TR_S3CLIENT_FIXTURE_H
#define TR_S3CLIENT_FIXTURE_H
#include <stddef.h>

typedef enum {
  S3MINI_OK,          /* 206 with the bytes asked for */
  S3MINI_WRONG_RANGE, /* 206 with the next bytes (Content-Range says so) */
  S3MINI_SHORT,       /* 206, the right Content-Range, 10 bytes fewer (Content-Length too) */
  S3MINI_CUT,         /* 206, the right headers, the connection closed halfway */
  S3MINI_LONG,        /* 206, the right Content-Range, 10 bytes more (Content-Length too) */
  S3MINI_WHOLE,       /* 200 with the whole object (Range ignored) */
  S3MINI_NO_RANGE,    /* 206 without Content-Range */
  S3MINI_NOT_FOUND,   /* 404 NoSuchKey */
} s3mini_mode;

typedef struct s3mini s3mini;

/* Serves the bytes of file `object` (read now) in `mode`; the test fails when it cannot. */
s3mini *s3mini_start(const char *object, s3mini_mode mode);
/* Its port, and "http://127.0.0.1:PORT" (static per server). */
int s3mini_port(const s3mini *m);
const char *s3mini_endpoint(const s3mini *m);
void s3mini_set_mode(s3mini *m, s3mini_mode mode);
/* Requests answered so far. */
long s3mini_requests(s3mini *m);
/* Stops the server and frees it (NULL-safe). */
void s3mini_stop(s3mini *m);
#endif
