/* NumPy .npy and .npz readers (see npy.h). The header is parsed as numpy.lib.format
 * specifies it: the magic "\x93NUMPY", a version byte pair, a little-endian header length
 * (2 bytes in 1.0, 4 in 2.0 and 3.0) and a Python dict literal with exactly 'descr',
 * 'fortran_order' and 'shape'. A .npy is mapped (mmap) and each element converted once
 * into float32 (any byte order), in parallel; .npz members go through libzip, which
 * inflates savez_compressed's deflated members and checks every member's CRC. */
#define _GNU_SOURCE
#include "io/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "common/checked.h"
#include "common/log.h"

/* ---------------------------------------------------------------- the header */

static const char *skip_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* A quoted Python string ('...' or "...", no escapes) into out (at most cap - 1 bytes). */
static const char *parse_str(const char *p, const char *e, char *out, size_t cap) {
  if (p >= e || (*p != '\'' && *p != '"')) return NULL;
  char q = *p++;
  size_t k = 0;
  while (p < e && *p != q) {
    if (*p == '\\' || k + 1 >= cap) return NULL;
    out[k++] = *p++;
  }
  if (p >= e) return NULL;
  out[k] = '\0';
  return p + 1;
}

/* A shape tuple: "()", "(3,)", "(3, 4)", "(3, 4,)". */
static const char *parse_shape(const char *p, const char *e, npy_header *h) {
  if (p >= e || *p != '(') return NULL;
  p = skip_ws(p + 1, e);
  h->ndim = 0;
  while (p < e && *p != ')') {
    if (*p < '0' || *p > '9') return NULL;
    size_t v = 0;
    while (p < e && *p >= '0' && *p <= '9') {
      if (!checked_mul(v, 10, &v) || !checked_add(v, (size_t)(*p - '0'), &v)) return NULL;
      p++;
    }
    if (h->ndim >= 2) return (const char *)-1; /* more than two dimensions */
    h->shape[h->ndim++] = v;
    p = skip_ws(p, e);
    if (p < e && *p == ',') p = skip_ws(p + 1, e);
    else if (p < e && *p != ')') return NULL;
  }
  return p < e ? p + 1 : NULL;
}

/* '<f8', '|u1', '<U12'... into h. */
static bool parse_descr(const char *s, npy_header *h) {
  if (!strchr("<>|=", s[0]) || !s[1]) return false;
  h->byteorder = s[0] == '=' ? '<' : s[0];
  h->kind = s[1];
  char *end = NULL;
  errno = 0;
  unsigned long n = strtoul(s + 2, &end, 10);
  if (end == s + 2 || *end || errno || n == 0 || n > 4096) return false;
  switch (h->kind) {
    case 'f': h->itemsize = n; return n == 4 || n == 8;
    case 'i': case 'u': h->itemsize = n; return n == 1 || n == 2 || n == 4 || n == 8;
    case 'b': h->itemsize = n; return n == 1;
    case 'U': h->itemsize = 4 * n; return true;
    default: return false;
  }
}

tr_err npy_parse_header(const unsigned char *buf, size_t len, const char *path, npy_header *h) {
  memset(h, 0, sizeof *h);
  if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
    return tr_error_set(TR_EINPUT, path, "not a NumPy .npy file (no \\x93NUMPY magic)");
  h->major = buf[6];
  h->minor = buf[7];
  size_t hlen, start;
  if (h->major == 1) {
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    start = 10;
  } else if (h->major == 2 || h->major == 3) {
    if (len < 12) return tr_error_set(TR_EINPUT, path, "truncated .npy header");
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    start = 12;
  } else {
    return tr_error_set(TR_EINPUT, path, ".npy format version %d.%d (this reads 1.0, 2.0 and 3.0)", h->major, h->minor);
  }
  if (hlen > len - start)
    return tr_error_set(TR_EINPUT, path, ".npy header of %zu bytes is longer than the file", hlen);
  const char *p = (const char *)buf + start, *e = p + hlen;
  bool have_descr = false, have_order = false, have_shape = false;
  p = skip_ws(p, e);
  if (p >= e || *p != '{') return tr_error_set(TR_EINPUT, path, ".npy header is not a dictionary");
  p++;
  for (;;) {
    p = skip_ws(p, e);
    if (p < e && *p == '}') break;
    char key[32], val[64];
    if (!(p = parse_str(p, e, key, sizeof key)))
      return tr_error_set(TR_EINPUT, path, ".npy header: malformed key");
    p = skip_ws(p, e);
    if (p >= e || *p != ':') return tr_error_set(TR_EINPUT, path, ".npy header: no ':' after '%s'", key);
    p = skip_ws(p + 1, e);
    if (!strcmp(key, "descr") && !have_descr) {
      if (p < e && *p == '[')
        return tr_error_set(TR_EINPUT, path, ".npy holds a structured array (descr is a list): save a plain float array");
      if (!(p = parse_str(p, e, val, sizeof val))) return tr_error_set(TR_EINPUT, path, ".npy header: malformed descr");
      if (!parse_descr(val, h)) return tr_error_set(TR_EINPUT, path, ".npy dtype '%s' is not supported", val);
      have_descr = true;
    } else if (!strcmp(key, "fortran_order") && !have_order) {
      if ((size_t)(e - p) >= 4 && !memcmp(p, "True", 4)) h->fortran_order = true, p += 4;
      else if ((size_t)(e - p) >= 5 && !memcmp(p, "False", 5)) h->fortran_order = false, p += 5;
      else return tr_error_set(TR_EINPUT, path, ".npy header: fortran_order is not True or False");
      have_order = true;
    } else if (!strcmp(key, "shape") && !have_shape) {
      const char *q = parse_shape(p, e, h);
      if (q == (const char *)-1) return tr_error_set(TR_EINPUT, path, ".npy array has more than 2 dimensions");
      if (!q) return tr_error_set(TR_EINPUT, path, ".npy header: malformed shape");
      p = q;
      have_shape = true;
    } else {
      return tr_error_set(TR_EINPUT, path, ".npy header: unexpected or repeated key '%s'", key);
    }
    p = skip_ws(p, e);
    if (p < e && *p == ',') {
      p++;
      continue;
    }
    if (p < e && *p == '}') break;
    return tr_error_set(TR_EINPUT, path, ".npy header: expected ',' or '}'");
  }
  for (p++; p < e; p++)
    if (*p != ' ' && *p != '\n' && *p != '\0')
      return tr_error_set(TR_EINPUT, path, ".npy header: text after the dictionary");
  if (!have_descr || !have_order || !have_shape)
    return tr_error_set(TR_EINPUT, path, ".npy header lacks '%s'", !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
  size_t n = 1;
  for (size_t k = 0; k < h->ndim; k++)
    if (!checked_mul(n, h->shape[k], &n)) return tr_error_set(TR_EINPUT, path, ".npy shape is too large");
  if (!checked_mul(n, h->itemsize, &h->data_bytes)) return tr_error_set(TR_EINPUT, path, ".npy shape is too large");
  h->data_offset = start + hlen;
  if (h->data_bytes > len - h->data_offset)
    return tr_error_set(TR_EINPUT, path, ".npy data is truncated: the shape needs %zu bytes, the file has %zu after the header",
                        h->data_bytes, len - h->data_offset);
  return TR_OK;
}

/* ---------------------------------------------------------------- conversion */

/* Element i of an array of h's dtype at data, as a double (byte order handled). */
static inline double npy_value(const npy_header *h, const unsigned char *data, size_t i) {
  unsigned char b[8];
  const unsigned char *s = data + i * h->itemsize;
  if (h->byteorder == '>') {
    for (size_t k = 0; k < h->itemsize; k++) b[k] = s[h->itemsize - 1 - k];
  } else {
    memcpy(b, s, h->itemsize);
  }
  switch (h->kind) {
    case 'f': {
      if (h->itemsize == 4) {
        float f;
        memcpy(&f, b, 4);
        return f;
      }
      double d;
      memcpy(&d, b, 8);
      return d;
    }
    case 'b': return b[0] != 0;
    case 'u': {
      uint64_t u = 0;
      for (size_t k = 0; k < h->itemsize; k++) u |= (uint64_t)b[k] << (8 * k);
      return (double)u;
    }
    default: { /* 'i': sign-extend */
      uint64_t u = 0;
      for (size_t k = 0; k < h->itemsize; k++) u |= (uint64_t)b[k] << (8 * k);
      unsigned shift = (unsigned)(64 - 8 * h->itemsize);
      int64_t v = shift ? (int64_t)(u << shift) >> shift : (int64_t)u;
      return (double)v;
    }
  }
}

static void npy_convert(const npy_header *h, const unsigned char *data, float *out, size_t n) {
  if (h->kind == 'f' && h->itemsize == 4 && h->byteorder != '>') {
    memcpy(out, data, n * sizeof(float));
    return;
  }
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; i++) out[i] = (float)npy_value(h, data, i);
}

/* A mapped file (or an in-memory member). */
typedef struct {
  unsigned char *base;
  size_t len;
  bool mapped;
} npy_buf;

static void npy_buf_free(npy_buf *b) {
  if (b->mapped && b->base) munmap(b->base, b->len);
  else free(b->base);
  b->base = NULL;
}

static tr_err npy_map(const char *path, npy_buf *b) {
  *b = (npy_buf){0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tr_error_set(errno == ENOENT ? TR_EINPUT : TR_EIO, path, "cannot open (%s)", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return tr_error_set(TR_EINPUT, path, "not a regular file");
  }
  b->len = (size_t)st.st_size;
  if (b->len == 0) {
    close(fd);
    return tr_error_set(TR_EINPUT, path, "not a NumPy .npy file (empty)");
  }
  void *m = mmap(NULL, b->len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return tr_error_set(TR_EIO, path, "cannot map (%s)", strerror(errno));
  madvise(m, b->len, MADV_SEQUENTIAL);
  b->base = m;
  b->mapped = true;
  return TR_OK;
}

/* Checks that h is a feature matrix (2-D float32/float64, C order). */
static tr_err check_x(const npy_header *h, const char *what) {
  if (h->kind != 'f') return tr_error_set(TR_EINPUT, what, "features must be float32 or float64, not '%c%zu'", h->kind, h->itemsize);
  if (h->ndim != 2) return tr_error_set(TR_EINPUT, what, "features must be a 2-D array (rows x features), not %zu-D", h->ndim);
  if (h->fortran_order && h->shape[0] > 1 && h->shape[1] > 1)
    return tr_error_set(TR_EINPUT, what, "is in Fortran order: save it in C order (numpy.ascontiguousarray)");
  return TR_OK;
}

/* Checks that h is a label vector of rows values. */
static tr_err check_y(const npy_header *h, const char *what, size_t rows) {
  if (h->kind == 'U') return tr_error_set(TR_EINPUT, what, "string labels in .npy are not read: encode them as integers (or use CSV)");
  bool vec = h->ndim == 1 || (h->ndim == 2 && h->shape[1] == 1);
  if (!vec) return tr_error_set(TR_EINPUT, what, "labels must be a 1-D array");
  if (h->shape[0] != rows) return tr_error_set(TR_EINPUT, what, "has %zu labels for %zu rows of features", h->shape[0], rows);
  return TR_OK;
}

/* d from the X array (and the y array when given). */
static tr_err fill_dataset(const npy_header *hx, const unsigned char *bx, const npy_header *hy, const unsigned char *by,
                           ds_dataset **out) {
  ds_dataset *d = ds_new(hx->shape[0], hx->shape[1], hy != NULL);
  if (!d) return tr_error_code();
  npy_convert(hx, bx + hx->data_offset, d->X, d->rows * d->cols);
  if (hy) npy_convert(hy, by + hy->data_offset, d->y, d->rows);
  *out = d;
  return TR_OK;
}

/* ---------------------------------------------------------------- .npy */

/* The labels' file for X at path (see npy.h); NULL when the default has none. *explicit
 * says whether y_dataset named it. */
static char *y_path_for(const char *path, const char *y_dataset, bool *explicit_y) {
  const char *slash = strrchr(path, '/');
  size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
  const char *base = path + dir;
  char *out = NULL;
  *explicit_y = y_dataset && *y_dataset && strcmp(y_dataset, "y") != 0;
  if (*explicit_y) {
    size_t n = strlen(y_dataset);
    bool npy = n > 4 && !strcmp(y_dataset + n - 4, ".npy");
    if (strchr(y_dataset, '/')) return strdup(y_dataset);
    if (asprintf(&out, "%.*s%s%s", (int)dir, path, y_dataset, npy ? "" : ".npy") < 0) return NULL;
    return out;
  }
  if (*base != 'X' && *base != 'x') return NULL;
  if (asprintf(&out, "%.*s%c%s", (int)dir, path, *base == 'X' ? 'y' : 'y', base + 1) < 0) return NULL;
  if (access(out, F_OK) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

tr_err npy_read(const char *path, const char *y_dataset, ds_dataset **out) {
  *out = NULL;
  npy_buf bx = {0}, by = {0};
  npy_header hx, hy;
  bool explicit_y = false;
  char *ypath = NULL;
  tr_err rc = npy_map(path, &bx);
  if (rc == TR_OK) rc = npy_parse_header(bx.base, bx.len, path, &hx);
  if (rc == TR_OK) rc = check_x(&hx, path);
  if (rc == TR_OK) {
    ypath = y_path_for(path, y_dataset, &explicit_y);
    if (explicit_y && !ypath) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  if (rc == TR_OK && ypath) {
    if (explicit_y && access(ypath, F_OK) != 0)
      rc = tr_error_set(TR_EINPUT, ypath, "no such labels file (data.y_dataset)");
    if (rc == TR_OK) rc = npy_map(ypath, &by);
    if (rc == TR_OK) rc = npy_parse_header(by.base, by.len, ypath, &hy);
    if (rc == TR_OK) rc = check_y(&hy, ypath, hx.shape[0]);
  }
  if (rc == TR_OK) rc = fill_dataset(&hx, bx.base, ypath ? &hy : NULL, by.base, out);
  free(ypath);
  npy_buf_free(&bx);
  npy_buf_free(&by);
  return rc;
}

/* ---------------------------------------------------------------- .npz */

/* Member name of the zip into b (whole, inflated, CRC checked); TR_EINPUT when absent
 * (*found false, nothing recorded) or damaged. */
static tr_err zip_member(zip_t *z, const char *path, const char *name, npy_buf *b, bool *found) {
  *b = (npy_buf){0};
  *found = false;
  zip_int64_t idx = zip_name_locate(z, name, 0);
  if (idx < 0) return TR_OK;
  *found = true;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(z, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    return tr_error_set(TR_EINPUT, path, "member %s is damaged", name);
  /* a forged size must not allocate without bound: at most 1,100 times the stored bytes
     (deflate's limit is about 1,032) plus 64 MiB */
  uint64_t comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : st.size;
  if (st.size > comp * 1100 + (64u << 20) || st.size > ((uint64_t)1 << 40))
    return tr_error_set(TR_EINPUT, path, "member %s declares %llu bytes from %llu stored: damaged", name,
                        (unsigned long long)st.size, (unsigned long long)comp);
  b->len = (size_t)st.size;
  if (!(b->base = malloc(b->len ? b->len : 1))) return tr_error_set(TR_ENOMEM, path, "out of memory");
  zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
  if (!f) {
    npy_buf_free(b);
    return tr_error_set(TR_EINPUT, path, "member %s cannot be read (%s)", name, zip_strerror(z));
  }
  size_t have = 0;
  bool failed = false;
  while (have < b->len) {
    zip_int64_t k = zip_fread(f, b->base + have, b->len - have);
    if (k <= 0) {
      failed = k < 0;
      break;
    }
    have += (size_t)k;
  }
  /* one more read: the end of the member, where libzip checks its CRC */
  char one;
  zip_int64_t tail = failed ? -1 : zip_fread(f, &one, 1);
  bool bad = failed || tail != 0 || have != b->len;
  const char *why = bad ? zip_file_strerror(f) : NULL;
  char msg[128];
  if (bad) snprintf(msg, sizeof msg, "%s", why ? why : "short read");
  zip_fclose(f);
  if (bad) {
    npy_buf_free(b);
    return tr_error_set(TR_EINPUT, path, "member %s is damaged (%s)", name, msg);
  }
  return TR_OK;
}

/* The 1-D unicode array of names (UTF-32LE, NUL-padded) as n UTF-8 strings. */
static tr_err unicode_names(const npy_header *h, const unsigned char *data, size_t n, char ***out) {
  size_t chars = h->itemsize / 4;
  char **names = calloc(n ? n : 1, sizeof *names);
  if (!names) return tr_error_set(TR_ENOMEM, "feature names", "out of memory");
  for (size_t i = 0; i < n; i++) {
    char *s = malloc(chars * 4 + 1);
    if (!s) {
      for (size_t k = 0; k < i; k++) free(names[k]);
      free(names);
      return tr_error_set(TR_ENOMEM, "feature names", "out of memory");
    }
    size_t k = 0;
    for (size_t c = 0; c < chars; c++) {
      const unsigned char *q = data + i * h->itemsize + 4 * c;
      uint32_t u = h->byteorder == '>' ? (uint32_t)q[3] | (uint32_t)q[2] << 8 | (uint32_t)q[1] << 16 | (uint32_t)q[0] << 24
                                       : (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
      if (u == 0) break;
      if (u < 0x80) s[k++] = (char)u;
      else if (u < 0x800) s[k++] = (char)(0xC0 | u >> 6), s[k++] = (char)(0x80 | (u & 0x3F));
      else if (u < 0x10000) s[k++] = (char)(0xE0 | u >> 12), s[k++] = (char)(0x80 | ((u >> 6) & 0x3F)), s[k++] = (char)(0x80 | (u & 0x3F));
      else if (u < 0x110000)
        s[k++] = (char)(0xF0 | u >> 18), s[k++] = (char)(0x80 | ((u >> 12) & 0x3F)), s[k++] = (char)(0x80 | ((u >> 6) & 0x3F)),
        s[k++] = (char)(0x80 | (u & 0x3F));
      else s[k++] = '?';
    }
    s[k] = '\0';
    names[i] = s;
  }
  *out = names;
  return TR_OK;
}

tr_err npz_read(const char *path, const char *x_name, const char *y_name, ds_dataset **out) {
  *out = NULL;
  int err = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    tr_err rc = tr_error_set(err == ZIP_ER_NOENT || err == ZIP_ER_NOZIP || err == ZIP_ER_INCONS ? TR_EINPUT : TR_EIO,
                             path, "not a readable .npz (zip) archive: %s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return rc;
  }
  char *xm = NULL, *ym = NULL;
  npy_buf bx = {0}, by = {0}, bn = {0};
  npy_header hx, hy, hn;
  bool fx = false, fy = false, fn = false;
  tr_err rc = TR_OK;
  if (asprintf(&xm, "%s.npy", x_name && *x_name ? x_name : "X") < 0 ||
      asprintf(&ym, "%s.npy", y_name && *y_name ? y_name : "y") < 0)
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  if (rc == TR_OK) rc = zip_member(z, path, xm, &bx, &fx);
  if (rc == TR_OK && !fx) {
    char list[256] = "";
    size_t at = 0;
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n && i < 10 && at < sizeof list - 64; i++)
      at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", zip_get_name(z, (zip_uint64_t)i, 0));
    rc = tr_error_set(TR_EINPUT, path, "has no array '%.*s' (data.x_dataset); its members: %s", (int)strlen(xm) - 4, xm,
                      *list ? list : "none");
  }
  if (rc == TR_OK) rc = npy_parse_header(bx.base, bx.len, path, &hx);
  if (rc == TR_OK) rc = check_x(&hx, path);
  if (rc == TR_OK) rc = zip_member(z, path, ym, &by, &fy);
  if (rc == TR_OK && fy && (rc = npy_parse_header(by.base, by.len, path, &hy)) == TR_OK) rc = check_y(&hy, path, hx.shape[0]);
  if (rc == TR_OK) rc = fill_dataset(&hx, bx.base, fy ? &hy : NULL, by.base, out);
  if (rc == TR_OK) rc = zip_member(z, path, "feature_names.npy", &bn, &fn);
  bool names_ok = false;
  if (rc == TR_OK && fn) { /* names that do not fit are left out, said */
    names_ok = npy_parse_header(bn.base, bn.len, path, &hn) == TR_OK && hn.kind == 'U' && hn.ndim == 1 &&
               hn.shape[0] == hx.shape[1];
    if (!names_ok) {
      tr_error_clear();
      log_warn("%s: feature_names is not a 1-D string array of one name per feature: ignored", path);
    }
  }
  if (rc == TR_OK && names_ok) {
    char **names = NULL;
    if ((rc = unicode_names(&hn, bn.base + hn.data_offset, hn.shape[0], &names)) == TR_OK) {
      rc = ds_set_feature_names(*out, (const char *const *)names);
      for (size_t i = 0; i < hn.shape[0]; i++) free(names[i]);
      free(names);
    }
  }
  if (rc != TR_OK) ds_free(out);
  npy_buf_free(&bx);
  npy_buf_free(&by);
  npy_buf_free(&bn);
  free(xm);
  free(ym);
  zip_discard(z);
  return rc;
}
