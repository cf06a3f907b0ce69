/* Shared machinery of the text data readers. A file is read whole into memory through
 * zlib (which passes plain files through unchanged), so gzip and plain text take the
 * same path and a truncated .gz is noticed before any parsing. Numbers go through an
 * exact fast path (Clinger): a decimal whose significant digits fit in an integer
 * below 2^53 and whose power of ten is within 10^+-22 is one correctly rounded IEEE
 * multiplication or division; every other number is handed to strtod(), so the result
 * is always strtod()'s. */
#include "io/textread.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* Powers of ten that a double holds exactly. */
static const double txt_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* zlib's message without the "path: " it puts in front. */
static const char *txt_gz_message(gzFile g, const char *path, int *err) {
  const char *msg = gzerror(g, err);
  size_t n = strlen(path);
  if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') msg += n + 2;
  return msg;
}

/* Counts '\n' in buf[0..n). */
static long txt_count_newlines(const char *buf, size_t n) {
  long count = 0;
  const char *p = buf, *e = buf + n;
  while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
    count++;
    p++;
  }
  return count;
}

tr_err txt_read_file(const char *path, char **data, size_t *len) {
  *data = NULL;
  *len = 0;
  struct stat st;
  if (stat(path, &st) != 0)
    return tr_error_at(TR_EINPUT, path, 0, "cannot open (%s)", strerror(errno));
  if (S_ISDIR(st.st_mode)) return tr_error_at(TR_EINPUT, path, 0, "is a directory");
  gzFile g = gzopen(path, "rb");
  if (!g) {
    if (errno == ENOMEM || errno == 0) return tr_error_at(TR_ENOMEM, path, 0, "out of memory");
    return tr_error_at(TR_EINPUT, path, 0, "cannot open (%s)", strerror(errno));
  }
  gzbuffer(g, 1u << 16);
  /* Plain files are read in one go into a buffer of their size; compressed ones
   * start at four times theirs and double. */
  size_t fsize = st.st_size > 0 ? (size_t)st.st_size : 0;
  bool direct = gzdirect(g);
  size_t cap = (direct ? fsize : 4 * fsize) + 64, step = direct ? 1u << 30 : 1u << 17;
  if (cap < 65536) cap = 65536;
  char *buf = malloc(cap);
  size_t have = 0;
  tr_err rc = TR_OK;
  while (buf) {
    if (cap - have < 2) {
      char *grown = realloc(buf, 2 * cap);
      if (!grown) break;
      buf = grown;
      cap *= 2;
    }
    /* Compressed data goes in small steps, so a corrupt block is located closely
     * (zlib returns nothing of a step that fails). */
    size_t want = cap - have - 1;
    if (want > step) want = step;
    int k = gzread(g, buf + have, (unsigned)want);
    if (k < 0) {
      int err;
      const char *msg = txt_gz_message(g, path, &err);
      if (err == Z_ERRNO)
        rc = tr_error_at(TR_EIO, path, 0, "read failed (%s)", strerror(errno));
      else if (err == Z_MEM_ERROR)
        rc = tr_error_at(TR_ENOMEM, path, 0, "out of memory");
      else
        rc = tr_error_at(TR_EINPUT, path, txt_count_newlines(buf, have) + 1,
                         "corrupt gzip data (%s) in this line or a later one", msg);
      break;
    }
    if (k == 0) break;
    have += (size_t)k;
  }
  if (!buf || (rc == TR_OK && cap - have < 2)) {
    free(buf);
    gzclose(g);
    return tr_error_at(TR_ENOMEM, path, 0, "out of memory reading the file");
  }
  if (rc == TR_OK) {
    int err;
    const char *msg = txt_gz_message(g, path, &err);
    if (err == Z_BUF_ERROR)
      rc = tr_error_at(TR_EINPUT, path, txt_count_newlines(buf, have) + 1,
                       "truncated gzip data (%s)", msg);
    else if (err != Z_OK)
      rc = tr_error_at(TR_EINPUT, path, txt_count_newlines(buf, have) + 1,
                       "corrupt gzip data (%s)", msg);
  }
  gzclose(g);
  if (rc != TR_OK) {
    free(buf);
    return rc;
  }
  buf[have] = '\0';
  *data = buf;
  *len = have;
  return TR_OK;
}

tr_err txt_split_lines(const char *buf, size_t len, txt_line **lines, size_t *n,
                       long *physical) {
  *lines = NULL;
  *n = 0;
  *physical = 0;
  txt_line *out = NULL;
  size_t count = 0, cap = 0;
  long line = 0;
  const char *p = buf, *e = buf + len;
  while (p < e) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    const char *le = nl ? nl : e;
    const char *te = le > p && le[-1] == '\r' ? le - 1 : le;
    line++;
    const char *q = p;
    while (q < te && txt_is_space(*q)) q++;
    if (q < te) {
      if (count == cap) {
        cap = cap ? 2 * cap : 1024;
        txt_line *grown = realloc(out, cap * sizeof *out);
        if (!grown) {
          free(out);
          return tr_error_set(TR_ENOMEM, "text lines", "out of memory");
        }
        out = grown;
      }
      out[count++] = (txt_line){(size_t)(p - buf), (size_t)(te - buf), line};
    }
    p = nl ? nl + 1 : e;
  }
  *lines = out;
  *n = count;
  *physical = line;
  return TR_OK;
}

static inline bool txt_is_digit(char c) { return c >= '0' && c <= '9'; }

/* A byte that may not directly follow a number: it would make the token something
 * else ("1.5x", "1.2.3", "1-2", "0x1F"). */
static inline bool txt_is_word_char(char c) {
  char l = (char)(c | 0x20);
  return txt_is_digit(c) || (l >= 'a' && l <= 'z') || c == '.' || c == '+' || c == '-' ||
         c == '_';
}

/* Case-insensitive match of the lowercase word w at [p, end). */
static bool txt_match_word(const char *p, const char *end, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(end - p) < n) return false;
  for (size_t i = 0; i < n; i++)
    if ((char)(p[i] | 0x20) != w[i]) return false;
  return true;
}

/* strtod() on a copy of [p, e), which is known to be a well-formed decimal. */
static const char *txt_slow_number(const char *p, const char *e, double *out) {
  size_t n = (size_t)(e - p);
  char small[128];
  char *s = n < sizeof small ? small : malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, p, n);
  s[n] = '\0';
  char *stop = NULL;
  *out = strtod(s, &stop);
  bool ok = stop == s + n;
  if (s != small) free(s);
  return ok ? e : NULL;
}

const char *txt_scan_number(const char *p, const char *end, double *out) {
  const char *s = p;
  bool neg = false;
  if (s < end && (*s == '-' || *s == '+')) neg = *s++ == '-';
  uint64_t m = 0;   /* significant digits, while at most 19 of them */
  int sig = 0;      /* significant digits seen (leading zeros excluded) */
  int digits = 0;   /* all mantissa digits */
  long e10 = 0;     /* power of ten applied to m */
  bool slow = false;
  for (; s < end && txt_is_digit(*s); s++, digits++) {
    if (m == 0 && *s == '0') continue;
    if (sig < 19) {
      m = m * 10 + (uint64_t)(*s - '0');
      sig++;
    } else {
      slow = true;
    }
  }
  if (s < end && *s == '.') {
    for (s++; s < end && txt_is_digit(*s); s++, digits++) {
      if (m == 0 && *s == '0') {
        e10--;
      } else if (sig < 19) {
        m = m * 10 + (uint64_t)(*s - '0');
        sig++;
        e10--;
      } else {
        slow = true;
      }
    }
  }
  if (digits == 0) {
    /* No digits: only nan, inf or infinity (the sign already taken) can follow. */
    size_t n = txt_match_word(s, end, "nan")        ? 3
               : txt_match_word(s, end, "infinity") ? 8
               : txt_match_word(s, end, "inf")      ? 3
                                                    : 0;
    if (n == 0 || (s + n < end && txt_is_word_char(s[n]))) return NULL;
    double v = n == 3 && (s[0] | 0x20) == 'n' ? NAN : INFINITY;
    *out = neg ? -v : v;
    return s + n;
  }
  if (s < end && (*s | 0x20) == 'e') {
    s++;
    bool eneg = false;
    if (s < end && (*s == '-' || *s == '+')) eneg = *s++ == '-';
    if (s >= end || !txt_is_digit(*s)) return NULL;
    long x = 0;
    for (; s < end && txt_is_digit(*s); s++) {
      if (x < 100000) x = x * 10 + (*s - '0');
      else slow = true;
    }
    e10 += eneg ? -x : x;
  }
  if (s < end && txt_is_word_char(*s)) return NULL;
  if (!slow) {
    if (m == 0) {
      *out = neg ? -0.0 : 0.0;
      return s;
    }
    if (m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
      double v = (double)m;
      v = e10 < 0 ? v / txt_pow10[-e10] : v * txt_pow10[e10];
      *out = neg ? -v : v;
      return s;
    }
  }
  return txt_slow_number(p, s, out);
}

bool txt_parse_number(const char *p, const char *end, double *out) {
  return p < end && txt_scan_number(p, end, out) == end;
}
