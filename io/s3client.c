/* The S3 protocol client (see s3client.h): libcurl easy handles, one per kept-alive
 * connection of the pool, signed with CURLOPT_AWS_SIGV4; expat for the XML answers;
 * the SDKs' standard retry rules with full jitter. */
#define _GNU_SOURCE
#include "io/s3client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/format.h"
#include "common/inifile.h"
#include "common/rng.h"
#include "common/timer.h"

#define S3C_MAX_ANSWER (64u << 20) /* a listing page or an error body larger than this is refused */

bool s3c_is_url(const char *path) { return path && !strncmp(path, "s3://", 5); }

static bool bucket_ok(const char *b, size_t len) {
  if (len < 3 || len > 63) return false;
  for (size_t i = 0; i < len; i++)
    if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-'))
      return false;
  return isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[len - 1]);
}

tr_err s3c_parse_url(const char *url, char **bucket, char **key) {
  *bucket = *key = NULL;
  if (!s3c_is_url(url)) return tr_error_set(TR_EINPUT, url, "not an s3:// URL");
  const char *b = url + 5, *slash = strchr(b, '/');
  size_t blen = slash ? (size_t)(slash - b) : strlen(b);
  if (!bucket_ok(b, blen))
    return tr_error_set(TR_EINPUT, url,
                        "not a valid bucket name (3-63 characters of a-z, 0-9, '.' and '-')");
  *bucket = strndup(b, blen);
  *key = strdup(slash ? slash + 1 : "");
  if (!*bucket || !*key) {
    free(*bucket);
    free(*key);
    *bucket = *key = NULL;
    return tr_error_set(TR_ENOMEM, url, "out of memory");
  }
  return TR_OK;
}

/* ---- the client ------------------------------------------------------------------- */

struct s3c_client {
  char endpoint[512];   /* scheme://host[:port], no trailing slash */
  bool virtual_host;    /* bucket.HOST (AWS's default endpoint) or HOST/bucket */
  char sigv4[96];       /* "aws:amz:REGION:s3" */
  char userpwd[512];
  struct curl_slist *headers; /* x-amz-security-token */
  int n, max_attempts;
  double backoff_s, timeout_s;
  long page;
  CURL **easy;
  bool *busy;
  pthread_mutex_t lock;
  pthread_cond_t freed;
  rng_t rng;
  s3c_stats stats;
  int refs;             /* holders (s3c_acquire), under shared_lock */
  bool retired;         /* no longer the process's client: freed at its last release */
};

/* Sizes the listings saw ("bucket/key"), so opening a listed object needs no HEAD. */
#define SIZE_BUCKETS 4096
typedef struct size_entry {
  struct size_entry *next;
  uint64_t size;
  char name[];
} size_entry;
static size_entry *size_table[SIZE_BUCKETS];
static pthread_mutex_t size_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t size_hash(const char *bucket, const char *key) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *p = bucket; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ '/') * 1099511628211ULL;
  for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return (size_t)(h % SIZE_BUCKETS);
}

static bool size_match(const size_entry *e, const char *bucket, const char *key) {
  size_t bl = strlen(bucket);
  return !strncmp(e->name, bucket, bl) && e->name[bl] == '/' && !strcmp(e->name + bl + 1, key);
}

static void size_remember(const char *bucket, const char *key, uint64_t size) {
  size_t h = size_hash(bucket, key);
  pthread_mutex_lock(&size_lock);
  size_entry *e = size_table[h];
  while (e && !size_match(e, bucket, key)) e = e->next;
  if (!e && (e = malloc(sizeof *e + strlen(bucket) + strlen(key) + 2))) {
    sprintf(e->name, "%s/%s", bucket, key);
    e->next = size_table[h];
    size_table[h] = e;
  }
  if (e) e->size = size;
  pthread_mutex_unlock(&size_lock);
}

static bool size_known(const char *bucket, const char *key, uint64_t *size) {
  size_t h = size_hash(bucket, key);
  pthread_mutex_lock(&size_lock);
  size_entry *e = size_table[h];
  while (e && !size_match(e, bucket, key)) e = e->next;
  if (e) *size = e->size;
  pthread_mutex_unlock(&size_lock);
  return e != NULL;
}

static void size_forget_all(void) {
  pthread_mutex_lock(&size_lock);
  for (size_t i = 0; i < SIZE_BUCKETS; i++) {
    while (size_table[i]) {
      size_entry *e = size_table[i];
      size_table[i] = e->next;
      free(e);
    }
  }
  pthread_mutex_unlock(&size_lock);
}

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static s3c_options shared_opts;
static s3c_client *shared_client;

static void client_free(s3c_client *c) {
  if (!c) return;
  for (int i = 0; c->easy && i < c->n; i++)
    if (c->easy[i]) curl_easy_cleanup(c->easy[i]);
  free(c->easy);
  free(c->busy);
  curl_slist_free_all(c->headers);
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->freed);
  free(c);
}

/* The process's client is replaced (under shared_lock): freed now when nobody holds it,
 * else retired, to be freed by its last s3c_release (an HDF5 file opened through it
 * keeps reading with the options it was opened with). */
static void shared_drop(void) {
  if (shared_client && shared_client->refs > 0) shared_client->retired = true;
  else client_free(shared_client);
  shared_client = NULL;
}

void s3c_configure(const s3c_options *o) {
  pthread_mutex_lock(&shared_lock);
  if (!memcmp(&shared_opts, o, sizeof *o)) { /* the same: keep the connections */
    pthread_mutex_unlock(&shared_lock);
    return;
  }
  shared_opts = *o;
  shared_drop();
  pthread_mutex_unlock(&shared_lock);
  size_forget_all(); /* sizes another endpoint (or profile) listed are not this one's */
}

void s3c_shutdown(void) {
  size_forget_all();
  pthread_mutex_lock(&shared_lock);
  shared_drop();
  pthread_mutex_unlock(&shared_lock);
}

static char *read_small_file(const char *path) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) return NULL;
  char *text = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      if (cap > (1u << 20)) break; /* a profile file past 1 MiB is not one */
      char *g = realloc(text, cap = cap ? 2 * cap : 8192);
      if (!g) break;
      text = g;
    }
    size_t got = fread(text + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0) break;
  }
  fclose(f);
  if (text) text[len] = '\0';
  return text;
}

typedef struct {
  const char *section, *want;
  char *value;
} profile_query;

static tr_err profile_fn(void *user, const char *section, const char *key, const char *value,
                         long line) {
  (void)line;
  profile_query *q = user;
  if (!q->value && !strcmp(section, q->section) && !strcmp(key, q->want))
    q->value = strdup(value);
  return TR_OK;
}

char *s3c_profile_value(const char *text, const char *section, const char *want) {
  if (!text) return NULL;
  profile_query q = {section, want, NULL};
  if (inifile_parse_text(text, "aws profile", profile_fn, &q) != TR_OK) {
    tr_error_clear(); /* a file we cannot parse holds no usable value */
    free(q.value);
    return NULL;
  }
  return q.value;
}

/* $name or the default under $HOME. */
static char *aws_file(const char *env, const char *leaf) {
  const char *p = getenv(env);
  if (p && *p) return strdup(p);
  const char *home = getenv("HOME");
  char *out = NULL;
  if (home && asprintf(&out, "%s/.aws/%s", home, leaf) < 0) out = NULL;
  return out;
}

static bool host_is_local(const char *endpoint) {
  const char *h = strstr(endpoint, "://");
  h = h ? h + 3 : endpoint;
  size_t len = strcspn(h, ":/");
  if (*h == '[') len = strcspn(h, "]") + 1;
  return (len == 9 && !strncmp(h, "127.0.0.1", 9)) || (len == 9 && !strncmp(h, "localhost", 9)) ||
         (len == 5 && !strncmp(h, "[::1]", 5));
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static s3c_client *client_new(const s3c_options *o) {
  pthread_once(&curl_once, curl_init);
  s3c_client *c = calloc(1, sizeof *c);
  if (!c) return tr_check_alloc(NULL, "s3 client");
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->freed, NULL);
  char *cred_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  char *conf_path = aws_file("AWS_CONFIG_FILE", "config");
  char *creds = read_small_file(cred_path), *conf = read_small_file(conf_path);
  const char *profile = o->profile[0] ? o->profile : getenv("AWS_PROFILE");
  if (!profile || !*profile) profile = "default";
  char conf_section[160];
  snprintf(conf_section, sizeof conf_section, strcmp(profile, "default") ? "profile %s" : "%s", profile);
  char *key = NULL, *secret = NULL, *token = NULL, *region = NULL;
  const char *ek = getenv("AWS_ACCESS_KEY_ID"), *es = getenv("AWS_SECRET_ACCESS_KEY");
  if (ek && *ek && es && *es) {
    key = strdup(ek);
    secret = strdup(es);
    const char *et = getenv("AWS_SESSION_TOKEN");
    if (et && *et) token = strdup(et);
  } else {
    key = s3c_profile_value(creds, profile, "aws_access_key_id");
    secret = s3c_profile_value(creds, profile, "aws_secret_access_key");
    token = s3c_profile_value(creds, profile, "aws_session_token");
  }
  if (o->region[0]) region = strdup(o->region);
  if (!region && getenv("AWS_REGION") && *getenv("AWS_REGION")) region = strdup(getenv("AWS_REGION"));
  if (!region && getenv("AWS_DEFAULT_REGION") && *getenv("AWS_DEFAULT_REGION"))
    region = strdup(getenv("AWS_DEFAULT_REGION"));
  if (!region) region = s3c_profile_value(conf, conf_section, "region");
  if (!region) region = strdup("us-east-1");
  const char *ep = o->endpoint_url[0] ? o->endpoint_url : getenv("AWS_ENDPOINT_URL_S3");
  if (!ep || !*ep) ep = getenv("AWS_ENDPOINT_URL");
  tr_err rc = TR_OK;
  if (!key || !secret || !region) {
    rc = tr_error_set(TR_ECONFIG, "s3",
                      "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                      "AWS_PROFILE naming a profile of %s (profile '%s' has none)",
                      cred_path ? cred_path : "~/.aws/credentials", profile);
  } else if (ep && *ep) {
    size_t len = strlen(ep);
    while (len > 0 && ep[len - 1] == '/') len--;
    if ((strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)) || len >= sizeof c->endpoint ||
        strchr(ep, ' '))
      rc = tr_error_set(TR_ECONFIG, "storage.s3.endpoint_url",
                        "'%s' is not an http:// or https:// URL", ep);
    else if (strchr(ep, '@')) /* user info: the host is after it (and the local-only check reads before it) */
      rc = tr_error_set(TR_ECONFIG, "storage.s3.endpoint_url",
                        "'%s' holds user info ('@'): credentials come from the environment or a profile", ep);
    else
      snprintf(c->endpoint, sizeof c->endpoint, "%.*s", (int)len, ep);
  } else {
    c->virtual_host = true;
    snprintf(c->endpoint, sizeof c->endpoint, "https://s3.%s.amazonaws.com", region);
  }
  const char *local_only = getenv("TRADEOFF_S3_LOCAL_ONLY");
  if (rc == TR_OK && local_only && !strcmp(local_only, "1") && !host_is_local(c->endpoint))
    rc = tr_error_set(TR_ECONFIG, "storage.s3.endpoint_url",
                      "'%s' is not on 127.0.0.1 and TRADEOFF_S3_LOCAL_ONLY=1 allows no other",
                      c->endpoint);
  if (rc == TR_OK) {
    snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:s3", region);
    if ((size_t)snprintf(c->userpwd, sizeof c->userpwd, "%s:%s", key, secret) >= sizeof c->userpwd)
      rc = tr_error_set(TR_ECONFIG, "s3", "the access key or secret is too long");
  }
  /* S3 wants the payload's hash; libcurl 7.88 signs it when given (ours are empty) */
  if (rc == TR_OK && !(c->headers = curl_slist_append(NULL, "x-amz-content-sha256: "
                                                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")))
    rc = tr_error_set(TR_ENOMEM, "s3", "out of memory");
  if (rc == TR_OK && token) {
    char *h = NULL;
    struct curl_slist *more = NULL;
    if (asprintf(&h, "x-amz-security-token: %s", token) < 0 || !(more = curl_slist_append(c->headers, h)))
      rc = tr_error_set(TR_ENOMEM, "s3", "out of memory");
    else
      c->headers = more;
    free(h);
  }
  c->n = o->connections > 0 ? o->connections : 10;
  c->max_attempts = o->max_attempts > 0 ? o->max_attempts : 3;
  c->backoff_s = o->backoff_s > 0 ? o->backoff_s : 0.1;
  c->timeout_s = o->timeout_s > 0 ? o->timeout_s : 30;
  c->page = o->list_page_size > 0 ? o->list_page_size : 1000;
  rng_seed(&c->rng, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c);
  if (rc == TR_OK && (!(c->easy = calloc((size_t)c->n, sizeof *c->easy)) ||
                      !(c->busy = calloc((size_t)c->n, sizeof *c->busy))))
    rc = tr_error_set(TR_ENOMEM, "s3", "out of memory");
  free(key);
  free(secret);
  free(token);
  free(region);
  free(creds);
  free(conf);
  free(cred_path);
  free(conf_path);
  if (rc != TR_OK) {
    client_free(c);
    return NULL;
  }
  return c;
}

s3c_client *s3c_shared(void) {
  pthread_mutex_lock(&shared_lock);
  if (!shared_client) shared_client = client_new(&shared_opts);
  s3c_client *c = shared_client;
  pthread_mutex_unlock(&shared_lock);
  return c;
}

s3c_client *s3c_acquire(void) {
  pthread_mutex_lock(&shared_lock);
  if (!shared_client) shared_client = client_new(&shared_opts);
  s3c_client *c = shared_client;
  if (c) c->refs++;
  pthread_mutex_unlock(&shared_lock);
  return c;
}

void s3c_release(s3c_client *c) {
  if (!c) return;
  pthread_mutex_lock(&shared_lock);
  bool gone = --c->refs == 0 && c->retired;
  pthread_mutex_unlock(&shared_lock);
  if (gone) client_free(c);
}

const char *s3c_endpoint(const s3c_client *c) { return c->endpoint; }
int s3c_connections(const s3c_client *c) { return c->n; }

s3c_stats s3c_stats_of(const s3c_client *c) {
  pthread_mutex_lock((pthread_mutex_t *)&c->lock);
  s3c_stats s = c->stats;
  pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
  return s;
}

/* A connection of the pool: waits for a free one. NULL when out of memory. */
static CURL *acquire(s3c_client *c, int *slot) {
  pthread_mutex_lock(&c->lock);
  for (;;) {
    for (int i = 0; i < c->n; i++) {
      if (c->busy[i]) continue;
      if (!c->easy[i]) c->easy[i] = curl_easy_init();
      if (!c->easy[i]) break;
      c->busy[i] = true;
      *slot = i;
      pthread_mutex_unlock(&c->lock);
      return c->easy[i];
    }
    bool none = true;
    for (int i = 0; i < c->n; i++) none = none && !c->busy[i]; /* nothing to wait for: out of memory */
    if (none) break;
    pthread_cond_wait(&c->freed, &c->lock);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

static void release(s3c_client *c, int slot) {
  pthread_mutex_lock(&c->lock);
  c->busy[slot] = false;
  pthread_cond_signal(&c->freed);
  pthread_mutex_unlock(&c->lock);
}

/* The body of an answer: into a caller's buffer of fixed size (a ranged GET) or a
 * growing one (listings, error bodies). */
typedef struct {
  unsigned char *fixed;
  size_t cap, len;  /* bytes in fixed */
  char *grow;       /* an error body (or a listing), NUL-terminated */
  size_t glen, gcap;
  bool overflow;
  CURL *h;
  uint64_t off;           /* a ranged GET (fixed): the first byte asked for */
  char content_range[96]; /* its answer's Content-Range value ("" when none) */
} body;

/* Keeps the Content-Range of a ranged GET's answer (the last answer's: reset per attempt). */
static size_t header_line(char *data, size_t size, size_t nmemb, void *user) {
  body *b = user;
  size_t n = size * nmemb;
  static const char name[] = "content-range:";
  if (n > sizeof name - 1 && !strncasecmp(data, name, sizeof name - 1)) {
    const char *v = data + sizeof name - 1, *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    snprintf(b->content_range, sizeof b->content_range, "%.*s", (int)(end - v), v);
  } else if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
    b->content_range[0] = '\0'; /* a new answer (after a 100 Continue, or a retry) */
  }
  return n;
}

static size_t body_write(char *data, size_t size, size_t nmemb, void *user) {
  body *b = user;
  size_t n = size * nmemb;
  long status = 0;
  if (b->fixed) curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &status);
  if (b->fixed && status >= 200 && status < 300) {
    if (n > b->cap - b->len) {
      b->overflow = true;
      return 0;
    }
    memcpy(b->fixed + b->len, data, n);
    b->len += n;
    return n;
  }
  if (b->glen + n + 1 > S3C_MAX_ANSWER) {
    b->overflow = true;
    return 0;
  }
  if (b->glen + n + 1 > b->gcap) {
    size_t want = b->gcap ? b->gcap : 16384;
    while (want < b->glen + n + 1) want *= 2;
    char *g = realloc(b->grow, want);
    if (!g) return 0;
    b->grow = g;
    b->gcap = want;
  }
  memcpy(b->grow + b->glen, data, n);
  b->glen += n;
  b->grow[b->glen] = '\0';
  return n;
}

static void encode(char *out, size_t cap, const char *s, bool keep_slash) {
  size_t len = 0;
  out[0] = '\0';
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || (keep_slash && ch == '/'))
      fmt_append(out, cap, &len, "%c", ch);
    else
      fmt_append(out, cap, &len, "%%%02X", ch);
  }
}

/* scheme://[bucket.]host[/bucket]/KEY?QUERY into out (malloc'd). */
static char *object_url(const s3c_client *c, const char *bucket, const char *key, const char *query) {
  size_t cap = 3 * strlen(key) + strlen(c->endpoint) + strlen(bucket) + (query ? strlen(query) : 0) + 8;
  char *k = malloc(3 * strlen(key) + 1), *url = malloc(cap);
  if (!k || !url) {
    free(k);
    free(url);
    return NULL;
  }
  encode(k, 3 * strlen(key) + 1, key, true);
  const char *q = query ? "?" : "";
  if (c->virtual_host && !strchr(bucket, '.')) {
    const char *host = strstr(c->endpoint, "://") + 3;
    snprintf(url, cap, "%.*s%s.%s/%s%s%s", (int)(host - c->endpoint), c->endpoint, bucket, host, k,
             q, query ? query : "");
  } else {
    snprintf(url, cap, "%s/%s/%s%s%s", c->endpoint, bucket, k, q, query ? query : "");
  }
  free(k);
  return url;
}

typedef enum { REQ_GET, REQ_HEAD } req_kind;

typedef struct {
  long status;
  CURLcode cc;
  char curl_msg[CURL_ERROR_SIZE];
  double ttfb_s;
  uint64_t length; /* HEAD: Content-Length */
  int attempts, slowdowns;
} outcome;

static void perform(s3c_client *c, CURL *h, req_kind kind, const char *url, const char *range,
                    body *b, outcome *o) {
  curl_easy_reset(h);
  o->curl_msg[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10); /* fewer callbacks per ranged GET */
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout_s * 1000));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* no progress for timeout_s: fail */
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)ceil(c->timeout_s));
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
  curl_easy_setopt(h, CURLOPT_USERPWD, c->userpwd);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, o->curl_msg);
  if (c->headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
  if (kind == REQ_HEAD) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (range) curl_easy_setopt(h, CURLOPT_RANGE, range);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
  if (range) {
    b->content_range[0] = '\0';
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, b);
  }
  o->cc = curl_easy_perform(h);
  o->status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &o->status);
  curl_off_t st = 0, cl = -1;
  curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &st);
  curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
  o->ttfb_s = (double)st / 1e6;
  o->length = cl >= 0 ? (uint64_t)cl : 0;
}

static bool curl_retryable(CURLcode cc) {
  switch (cc) {
  case CURLE_COULDNT_CONNECT: case CURLE_SEND_ERROR: case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE: case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SSL_CONNECT_ERROR: case CURLE_COULDNT_RESOLVE_HOST:
    return true;
  default:
    return false;
  }
}

/* Full jitter (the SDKs' standard mode): U(0, min(20 s, base * 2^k)). */
static void backoff(s3c_client *c, int k) {
  double cap = c->backoff_s * ldexp(1.0, k > 30 ? 30 : k);
  if (cap > 20.0) cap = 20.0;
  pthread_mutex_lock(&c->lock);
  double d = rng_uniform(&c->rng) * cap;
  c->stats.retries++;
  pthread_mutex_unlock(&c->lock);
  struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The error of a final answer, naming what. */
static tr_err answer_error(const char *what, const outcome *o, const body *b, bool head) {
  char code[64] = "", msg[256] = "";
  if (b->grow) s3c_parse_error(b->grow, b->glen, code, sizeof code, msg, sizeof msg);
  if (o->cc != CURLE_OK && o->status == 0)
    return tr_error_set(TR_EIO, what, "cannot reach the S3 endpoint: %s",
                        o->curl_msg[0] ? o->curl_msg : curl_easy_strerror(o->cc));
  if (o->status == 404) {
    if (!strcmp(code, "NoSuchBucket")) return tr_error_set(TR_EINPUT, what, "no such bucket (NoSuchBucket)");
    return tr_error_set(TR_EINPUT, what, "no such %s (%s)", head || !strcmp(code, "NoSuchKey") ? "object" : "object or bucket",
                        code[0] ? code : "404 Not Found");
  }
  if (o->status == 403 || o->status == 401)
    return tr_error_set(TR_ECONFIG, what,
                        "access refused (%s%s%s): check the credentials (AWS_ACCESS_KEY_ID, "
                        "AWS_PROFILE) and the bucket's policy",
                        code[0] ? code : "403 Forbidden", msg[0] ? ": " : "", msg);
  if (o->status >= 200 && o->status < 300)
    return tr_error_set(TR_EIO, what, "the answer was cut short: %s",
                        o->curl_msg[0] ? o->curl_msg : curl_easy_strerror(o->cc));
  return tr_error_set(o->status >= 500 ? TR_EIO : TR_EINPUT, what, "S3 answered %ld %s%s%s",
                      o->status, code, msg[0] ? ": " : "", msg);
}

bool s3c_parse_content_range(const char *value, uint64_t *first, uint64_t *last) {
  /* "bytes A-B/TOTAL", TOTAL digits or a star (RFC 9110 14.4) */
  if (strncmp(value, "bytes ", 6) != 0) return false;
  const char *p = value + 6;
  uint64_t v[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    if (*p < '0' || *p > '9') return false;
    for (; *p >= '0' && *p <= '9'; p++) {
      if (v[k] > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) return false;
      v[k] = v[k] * 10 + (uint64_t)(*p - '0');
    }
    if (*p++ != (k == 0 ? '-' : '/')) return false;
  }
  if (v[0] > v[1] || !*p) return false;
  if (strcmp(p, "*") != 0)
    for (const char *q = p; *q; q++)
      if (*q < '0' || *q > '9') return false;
  *first = v[0];
  *last = v[1];
  return true;
}

/* A ranged GET's answer that is not the range asked for (b->fixed): a 200, which carries
 * the whole object (a proxy that drops Range; accepted only when the object is exactly
 * the range: offset 0, b->cap bytes), or a 206 whose Content-Range is missing or names
 * other bytes. TR_EIO naming what, TR_OK otherwise (the body's length is checked after). */
static tr_err range_error(const char *what, const body *b, long status) {
  unsigned long long first = b->off, last = b->off + b->cap - 1;
  uint64_t a, z;
  if (status == 200 && (b->off != 0 || b->overflow || b->len != b->cap))
    return tr_error_set(TR_EIO, what,
                        "the server answered 200 with the whole object to a GET of bytes %llu-%llu (something "
                        "between here and S3 drops the Range header)", first, last);
  if (status != 206) return TR_OK;
  if (!s3c_parse_content_range(b->content_range, &a, &z) || a != first || z != last)
    return tr_error_set(TR_EIO, what, "the server answered bytes '%s' to a GET of bytes %llu-%llu",
                        b->content_range[0] ? b->content_range : "(no Content-Range)", first, last);
  return TR_OK;
}

/* One request with the retries. b->fixed set: the body must be exactly b->cap bytes. */
static tr_err request(s3c_client *c, req_kind kind, const char *what, const char *url,
                      const char *range, body *b, outcome *o) {
  int slot = -1;
  CURL *h = acquire(c, &slot);
  if (!h) return tr_error_set(TR_ENOMEM, what, "out of memory (curl handle)");
  tr_err rc = TR_OK;
  o->attempts = o->slowdowns = 0;
  for (int attempt = 0;; attempt++) {
    b->len = b->glen = 0;
    b->overflow = false;
    b->h = h;
    perform(c, h, kind, url, range, b, o);
    o->attempts++;
    if (o->status == 503) o->slowdowns++;
    pthread_mutex_lock(&c->lock);
    if (kind == REQ_HEAD) c->stats.heads++;
    else if (range) c->stats.gets++;
    else c->stats.lists++;
    if (o->status == 503) c->stats.slowdowns++;
    pthread_mutex_unlock(&c->lock);
    bool ok2xx = o->cc == CURLE_OK && o->status >= 200 && o->status < 300;
    bool complete = !b->fixed || b->len == b->cap;
    if (b->fixed && range && (rc = range_error(what, b, o->status)) != TR_OK) break; /* no retry: not transient */
    if (ok2xx && complete && !b->overflow) break;
    if (b->fixed && b->overflow) {
      rc = tr_error_set(TR_EIO, what, "the server sent more than the %zu bytes asked for", b->cap);
      break;
    }
    bool retry = (o->cc != CURLE_OK && curl_retryable(o->cc)) ||
                 (o->cc == CURLE_OK && (o->status >= 500 || o->status == 429)) ||
                 (ok2xx && !complete && !b->overflow);
    if (b->overflow && !b->fixed) {
      rc = tr_error_set(TR_EINPUT, what, "the answer is larger than %u MiB", S3C_MAX_ANSWER >> 20);
      break;
    }
    if (!retry || attempt + 1 >= c->max_attempts) {
      if (b->fixed && ok2xx)
        rc = tr_error_set(TR_EIO, what, "got %zu of %zu bytes%s", b->len, b->cap,
                          c->max_attempts > 1 ? " (retries exhausted)" : "");
      else
        rc = answer_error(what, o, b, kind == REQ_HEAD);
      if (retry) {
        char *m = strdup(tr_error_message());
        tr_error_clear();
        rc = tr_error_set(rc, NULL, "%s (after %d attempts)", m ? m : "", attempt + 1);
        free(m);
      }
      break;
    }
    backoff(c, attempt);
  }
  release(c, slot);
  return rc;
}

tr_err s3c_get(s3c_client *c, const char *bucket, const char *key, uint64_t off, size_t n,
               void *buf, s3c_result *res) {
  char what[1024], range[64];
  snprintf(what, sizeof what, "s3://%s/%s", bucket, key);
  if (n == 0) return TR_OK;
  snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)off, (unsigned long long)(off + n - 1));
  char *url = object_url(c, bucket, key, NULL);
  if (!url) return tr_error_set(TR_ENOMEM, what, "out of memory");
  /* an error body lands in the growing buffer: a non-2xx answer is written there */
  body b = {.fixed = buf, .cap = n, .off = off};
  outcome o;
  tr_err rc = request(c, REQ_GET, what, url, range, &b, &o);
  if (res) {
    res->ttfb_s = o.ttfb_s;
    res->attempts = o.attempts;
    res->slowdowns = o.slowdowns;
  }
  free(url);
  free(b.grow);
  return rc;
}

tr_err s3c_head(s3c_client *c, const char *bucket, const char *key, uint64_t *size) {
  if (size_known(bucket, key, size)) return TR_OK;
  return s3c_head_timed(c, bucket, key, size, NULL);
}

tr_err s3c_head_timed(s3c_client *c, const char *bucket, const char *key, uint64_t *size,
                      double *seconds) {
  char what[1024];
  snprintf(what, sizeof what, "s3://%s/%s", bucket, key);
  double t0 = tr_now();
  char *url = object_url(c, bucket, key, NULL);
  if (!url) return tr_error_set(TR_ENOMEM, what, "out of memory");
  body b = {0};
  outcome o;
  tr_err rc = request(c, REQ_HEAD, what, url, NULL, &b, &o);
  if (seconds) *seconds = tr_now() - t0;
  if (rc == TR_OK) {
    *size = o.length;
    size_remember(bucket, key, o.length);
  }
  free(url);
  free(b.grow);
  return rc;
}

tr_err s3c_get_url(s3c_client *c, const char *url, uint64_t off, size_t n, void *buf,
                   s3c_result *res) {
  char bucket[64];
  const char *b = s3c_is_url(url) ? url + 5 : NULL, *slash = b ? strchr(b, '/') : NULL;
  if (!slash || (size_t)(slash - b) >= sizeof bucket || !bucket_ok(b, (size_t)(slash - b)))
    return tr_error_set(TR_EINPUT, url, "not an s3://bucket/key URL");
  snprintf(bucket, sizeof bucket, "%.*s", (int)(slash - b), b);
  return s3c_get(c, bucket, slash + 1, off, n, buf, res);
}

void s3c_free_objects(s3c_object **objs, size_t n) {
  if (!objs || !*objs) return;
  for (size_t i = 0; i < n; i++) free((*objs)[i].key);
  free(*objs);
  *objs = NULL;
}

tr_err s3c_list(s3c_client *c, const char *bucket, const char *prefix, s3c_object **out, size_t *n) {
  *out = NULL;
  *n = 0;
  size_t cap = 0;
  char what[1024];
  snprintf(what, sizeof what, "s3://%s/%s", bucket, prefix);
  char *token = NULL;
  tr_err rc = TR_OK;
  for (int page = 0; rc == TR_OK; page++) {
    size_t plen = 3 * strlen(prefix) + 1, tlen = token ? 3 * strlen(token) + 1 : 1;
    char *ep = malloc(plen), *et = malloc(tlen), *query = NULL;
    if (ep && et) {
      encode(ep, plen, prefix, false);
      if (token) encode(et, tlen, token, false);
      /* parameters in sorted order: SigV4's canonical query string */
      if (asprintf(&query, "%s%s%slist-type=2&max-keys=%ld&prefix=%s", token ? "continuation-token=" : "",
                   token ? et : "", token ? "&" : "", c->page, ep) < 0)
        query = NULL;
    }
    free(ep);
    free(et);
    char *url = query ? object_url(c, bucket, "", query) : NULL;
    free(query);
    if (!url) {
      rc = tr_error_set(TR_ENOMEM, what, "out of memory");
      break;
    }
    body b = {0};
    outcome o;
    rc = request(c, REQ_GET, what, url, NULL, &b, &o);
    free(url);
    bool truncated = false;
    free(token);
    token = NULL;
    if (rc == TR_OK)
      rc = s3c_parse_list(b.grow ? b.grow : "", b.glen, out, n, &cap, &truncated, &token);
    if (rc == TR_OK && truncated && !token)
      rc = tr_error_set(TR_EINPUT, what, "a truncated listing without a continuation token");
    free(b.grow);
    if (rc != TR_OK || !truncated) break;
  }
  free(token);
  if (rc != TR_OK) {
    s3c_free_objects(out, *n);
    *n = 0;
  }
  for (size_t i = 0; rc == TR_OK && i < *n; i++) size_remember(bucket, (*out)[i].key, (*out)[i].size);
  return rc;
}

/* ---- XML (expat) ------------------------------------------------------------------ */

typedef struct {
  int depth;
  char path[4][32];        /* element names at depths 1..4 */
  char text[2048];
  size_t tlen;
  bool text_long;
  /* list */
  s3c_object **objs;
  size_t *n, *cap;
  char *key;
  uint64_t size;
  bool has_size, bad_size, oom, truncated;
  char *token;
  /* error */
  char code[64], msg[256];
} xml_state;

static void xml_start(void *user, const XML_Char *name, const XML_Char **attrs) {
  (void)attrs;
  xml_state *s = user;
  s->depth++;
  if (s->depth <= 4) snprintf(s->path[s->depth - 1], sizeof s->path[0], "%s", name);
  s->tlen = 0;
  s->text[0] = '\0';
  s->text_long = false;
  if (s->depth == 2 && !strcmp(name, "Contents")) {
    free(s->key);
    s->key = NULL;
    s->has_size = false;
  }
}

static void xml_text(void *user, const XML_Char *t, int len) {
  xml_state *s = user;
  if (len < 0) return;
  if (s->tlen + (size_t)len >= sizeof s->text) {
    s->text_long = true;
    return;
  }
  memcpy(s->text + s->tlen, t, (size_t)len);
  s->tlen += (size_t)len;
  s->text[s->tlen] = '\0';
}

static void xml_end(void *user, const XML_Char *name) {
  xml_state *s = user;
  if (s->depth == 3 && !strcmp(s->path[1], "Contents") && s->objs) {
    if (!strcmp(name, "Key")) {
      free(s->key);
      s->key = s->text_long ? NULL : strdup(s->text);
      if (!s->key) s->oom = true;
    } else if (!strcmp(name, "Size")) {
      char *end = NULL;
      errno = 0;
      unsigned long long v = strtoull(s->text, &end, 10);
      if (!s->text[0] || *end || errno || s->text[0] == '-') s->bad_size = true;
      s->size = v;
      s->has_size = true;
    }
  } else if (s->depth == 2 && !strcmp(name, "Contents") && s->objs) {
    if (!s->key || !s->has_size) {
      s->bad_size = true;
    } else {
      if (*s->n == *s->cap) {
        size_t nc = *s->cap ? 2 * *s->cap : 64;
        s3c_object *g = realloc(*s->objs, nc * sizeof *g);
        if (!g) {
          s->oom = true;
        } else {
          *s->objs = g;
          *s->cap = nc;
        }
      }
      if (*s->n < *s->cap) {
        (*s->objs)[(*s->n)++] = (s3c_object){s->key, s->size};
        s->key = NULL;
      }
    }
  } else if (s->depth == 2 && !strcmp(name, "IsTruncated")) {
    s->truncated = !strcmp(s->text, "true");
  } else if (s->depth == 2 && !strcmp(name, "NextContinuationToken")) {
    free(s->token);
    s->token = s->text_long ? NULL : strdup(s->text);
  } else if (s->depth == 2 && !strcmp(name, "Code")) {
    snprintf(s->code, sizeof s->code, "%.63s", s->text);
  } else if (s->depth == 2 && !strcmp(name, "Message")) {
    snprintf(s->msg, sizeof s->msg, "%.255s", s->text);
  }
  s->tlen = 0;
  s->text[0] = '\0';
  s->depth--;
}

static bool xml_run(xml_state *s, const char *xml, size_t len) {
  XML_Parser p = XML_ParserCreate(NULL);
  if (!p) return false;
  XML_SetUserData(p, s);
  XML_SetElementHandler(p, xml_start, xml_end);
  XML_SetCharacterDataHandler(p, xml_text);
  bool ok = len <= INT32_MAX && XML_Parse(p, xml, (int)len, 1) == XML_STATUS_OK;
  XML_ParserFree(p);
  return ok;
}

tr_err s3c_parse_list(const char *xml, size_t len, s3c_object **objs, size_t *n, size_t *cap,
                      bool *truncated, char **token) {
  xml_state s = {.objs = objs, .n = n, .cap = cap};
  bool ok = xml_run(&s, xml, len);
  free(s.key);
  *truncated = s.truncated;
  *token = s.token;
  if (s.oom) return tr_error_set(TR_ENOMEM, "s3 listing", "out of memory");
  if (!ok) return tr_error_set(TR_EINPUT, "s3 listing", "the ListObjectsV2 answer is not well-formed XML");
  if (s.bad_size)
    return tr_error_set(TR_EINPUT, "s3 listing", "an object of the listing has no key or no valid size");
  return TR_OK;
}

void s3c_parse_error(const char *xml, size_t len, char *code, size_t code_len, char *msg,
                     size_t msg_len) {
  xml_state s = {0};
  xml_run(&s, xml, len);
  free(s.token);
  snprintf(code, code_len, "%.63s", s.code);
  snprintf(msg, msg_len, "%.255s", s.msg);
}
