/* The small S3-shaped HTTP server of s3client_fixture.h: POSIX sockets on 127.0.0.1 and
 * one thread that accepts, reads a request head and answers it as the mode says. */
#define _GNU_SOURCE
#include "s3client_fixture.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct s3mini {
  int fd, port;
  char endpoint[64];
  unsigned char *obj;
  size_t size;
  _Atomic int mode;
  _Atomic long requests;
  _Atomic int stop;
  pthread_t thread;
};

static void send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
    if (k <= 0) return;
    c += k;
    n -= (size_t)k;
  }
}

static void reply_head(int fd, const char *status, const char *range, size_t length) {
  char h[512];
  int n = snprintf(h, sizeof h, "HTTP/1.1 %s\r\nContent-Type: application/octet-stream\r\n%s%s%sContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n", status, range ? "Content-Range: " : "", range ? range : "",
                   range ? "\r\n" : "", length);
  send_all(fd, h, (size_t)n);
}

/* Bytes [a, a + n) of the object, zeros past its end. */
static void send_bytes(int fd, const s3mini *m, size_t a, size_t n) {
  size_t in = a < m->size ? (m->size - a < n ? m->size - a : n) : 0;
  if (in) send_all(fd, m->obj + a, in);
  for (size_t k = in; k < n; k++) send_all(fd, "", 1);
}

static void answer(s3mini *m, int fd) {
  char req[16384];
  size_t len = 0;
  while (len + 1 < sizeof req) {
    ssize_t k = recv(fd, req + len, sizeof req - 1 - len, 0);
    if (k <= 0) return;
    len += (size_t)k;
    req[len] = '\0';
    if (strstr(req, "\r\n\r\n")) break;
  }
  m->requests++;
  int mode = m->mode;
  bool head = !strncmp(req, "HEAD ", 5);
  if (mode == S3MINI_NOT_FOUND) {
    static const char xml[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>nope</Message></Error>";
    reply_head(fd, "404 Not Found", NULL, head ? 0 : sizeof xml - 1);
    if (!head) send_all(fd, xml, sizeof xml - 1);
    return;
  }
  if (head) {
    reply_head(fd, "200 OK", NULL, m->size);
    return;
  }
  unsigned long long a = 0, b = 0;
  const char *r = strcasestr(req, "\r\nrange: bytes=");
  if (!r || sscanf(r + 15, "%llu-%llu", &a, &b) != 2 || a > b || a >= m->size || mode == S3MINI_WHOLE) {
    reply_head(fd, "200 OK", NULL, m->size);
    send_bytes(fd, m, 0, m->size);
    return;
  }
  if (b >= m->size) b = m->size - 1;
  size_t n = (size_t)(b - a + 1);
  char range[128];
  snprintf(range, sizeof range, "bytes %llu-%llu/%zu", a, b, m->size);
  switch (mode) {
  case S3MINI_WRONG_RANGE:
    snprintf(range, sizeof range, "bytes %llu-%llu/%zu", a + 1, b + 1, m->size);
    reply_head(fd, "206 Partial Content", range, n);
    send_bytes(fd, m, (size_t)a + 1, n);
    break;
  case S3MINI_SHORT:
    reply_head(fd, "206 Partial Content", range, n > 10 ? n - 10 : 0);
    send_bytes(fd, m, (size_t)a, n > 10 ? n - 10 : 0);
    break;
  case S3MINI_CUT:
    reply_head(fd, "206 Partial Content", range, n);
    send_bytes(fd, m, (size_t)a, n / 2);
    break;
  case S3MINI_LONG:
    reply_head(fd, "206 Partial Content", range, n + 10);
    send_bytes(fd, m, (size_t)a, n + 10);
    break;
  case S3MINI_NO_RANGE:
    reply_head(fd, "206 Partial Content", NULL, n);
    send_bytes(fd, m, (size_t)a, n);
    break;
  default:
    reply_head(fd, "206 Partial Content", range, n);
    send_bytes(fd, m, (size_t)a, n);
  }
}

static void *serve(void *arg) {
  s3mini *m = arg;
  while (!m->stop) {
    struct pollfd p = {m->fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int c = accept(m->fd, NULL, NULL);
    if (c < 0) continue;
    answer(m, c);
    shutdown(c, SHUT_WR);
    close(c);
  }
  return NULL;
}

s3mini *s3mini_start(const char *object, s3mini_mode mode) {
  s3mini *m = calloc(1, sizeof *m);
  ck_assert_ptr_nonnull(m);
  FILE *f = fopen(object, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", object);
  fseek(f, 0, SEEK_END);
  m->size = (size_t)ftell(f);
  rewind(f);
  m->obj = malloc(m->size ? m->size : 1);
  ck_assert_uint_eq(fread(m->obj, 1, m->size, f), m->size);
  fclose(f);
  m->mode = (int)mode;
  m->fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(m->fd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
  socklen_t sl = sizeof sa;
  ck_assert_int_eq(bind(m->fd, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq(listen(m->fd, 16), 0);
  ck_assert_int_eq(getsockname(m->fd, (struct sockaddr *)&sa, &sl), 0);
  m->port = ntohs(sa.sin_port);
  snprintf(m->endpoint, sizeof m->endpoint, "http://127.0.0.1:%d", m->port);
  ck_assert_int_eq(pthread_create(&m->thread, NULL, serve, m), 0);
  return m;
}

int s3mini_port(const s3mini *m) { return m->port; }
const char *s3mini_endpoint(const s3mini *m) { return m->endpoint; }
void s3mini_set_mode(s3mini *m, s3mini_mode mode) { m->mode = (int)mode; }
long s3mini_requests(s3mini *m) { return m->requests; }

void s3mini_stop(s3mini *m) {
  if (!m) return;
  m->stop = 1;
  pthread_join(m->thread, NULL);
  close(m->fd);
  free(m->obj);
  free(m);
}
