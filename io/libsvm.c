/* LIBSVM / SVMlight reader: "label idx:val idx:val ..." rows with 1-based, strictly
 * increasing indices, '#' comments and blank lines, into a dense float32 matrix with
 * as many columns as the largest index (absent features are 0). The file is read whole
 * (plain or .gz) and parsed twice in parallel: a first pass validates every line and
 * finds the largest index, a second fills the allocated matrix, unless that matrix would
 * be out of all proportion to the text (LIBSVM_MAX_EXPANSION). As in the CSV reader, the
 * first bad line is parsed again on the calling thread to record the error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/checked.h"
#include "io/textdata.h"
#include "io/textread.h"

/* Largest feature index accepted (the dense matrix could not hold more anyway). */
#define LIBSVM_MAX_INDEX 100000000u
/* The dense matrix (rows x the largest index floats) may be this many times the text it
 * comes from, or LIBSVM_DENSE_SLACK bytes: sparser data (an index of 1e8 in a 200-byte
 * file) is refused before anything is allocated for it. */
#define LIBSVM_MAX_EXPANSION 1024
#define LIBSVM_DENSE_SLACK ((size_t)256 << 20)

/* Parses the line [p, end). Returns 1 for a data row (its label in *y, its largest index
 * in *maxidx, and its values in x[idx - 1] when x is not NULL), 0 for a line holding
 * only a comment, -1 when malformed (recorded as "path:line: ..." when report). */
static int libsvm_parse_line(const char *path, long line, const char *p, const char *end,
                             bool report, float *y, float *x, size_t *maxidx) {
  const char *hash = memchr(p, '#', (size_t)(end - p));
  if (hash) end = hash;
  while (p < end && txt_is_space(*p)) p++;
  if (p == end) return 0;
  const char *tok = p;
  while (p < end && !txt_is_space(*p)) p++;
  double v;
  if (!txt_parse_number(tok, p, &v)) {
    if (report)
      tr_error_at(TR_EINPUT, path, line, "non-numeric label \"%.*s\"",
                  (int)(p - tok > 40 ? 40 : p - tok), tok);
    return -1;
  }
  *y = (float)v;
  size_t prev = 0;
  for (;;) {
    while (p < end && txt_is_space(*p)) p++;
    if (p == end) break;
    tok = p;
    while (p < end && !txt_is_space(*p)) p++;
    int shown = (int)(p - tok > 40 ? 40 : p - tok);
    const char *colon = memchr(tok, ':', (size_t)(p - tok));
    if (!colon) {
      if (report)
        tr_error_at(TR_EINPUT, path, line, "expected INDEX:VALUE, got \"%.*s\" (no ':')",
                    shown, tok);
      return -1;
    }
    size_t idx = 0;
    const char *q = tok;
    for (; q < colon && *q >= '0' && *q <= '9'; q++) {
      idx = idx * 10 + (size_t)(*q - '0');
      if (idx > LIBSVM_MAX_INDEX) break;
    }
    if (q == tok || q < colon) {
      if (report) {
        if (idx > LIBSVM_MAX_INDEX)
          tr_error_at(TR_EINPUT, path, line, "feature index %.*s is too large (at most %u)",
                      (int)(colon - tok), tok, LIBSVM_MAX_INDEX);
        else
          tr_error_at(TR_EINPUT, path, line, "non-numeric feature index \"%.*s\"",
                      (int)(colon - tok), tok);
      }
      return -1;
    }
    if (idx == 0) {
      if (report) tr_error_at(TR_EINPUT, path, line, "feature index 0 (indices are 1-based)");
      return -1;
    }
    if (idx <= prev) {
      if (report)
        tr_error_at(TR_EINPUT, path, line,
                    "feature index %zu after %zu (indices must be strictly increasing)", idx,
                    prev);
      return -1;
    }
    if (!txt_parse_number(colon + 1, p, &v)) {
      if (report)
        tr_error_at(TR_EINPUT, path, line, "non-numeric value \"%.*s\" for feature %zu",
                    (int)(p - colon - 1 > 40 ? 40 : p - colon - 1), colon + 1, idx);
      return -1;
    }
    if (x) x[idx - 1] = (float)v;
    prev = idx;
  }
  *maxidx = prev;
  return 1;
}

tr_err libsvm_read(const char *path, ds_dataset **out) {
  *out = NULL;
  char *buf = NULL;
  size_t len = 0, nlines = 0;
  txt_line *lines = NULL;
  long physical = 0;
  signed char *kind = NULL;
  ds_dataset *d = NULL;
  tr_err rc = txt_read_file(path, &buf, &len);
  if (rc != TR_OK) return rc;
  if ((rc = txt_split_lines(buf, len, &lines, &nlines, &physical)) != TR_OK) goto done;
  if (!(kind = malloc(nlines ? nlines : 1))) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  /* Pass 1: validate, classify, find the largest index and the first bad line. */
  size_t first_bad = nlines, cols = 0;
#pragma omp parallel for schedule(dynamic, 1024) reduction(max : cols) if (nlines > 2048)
  for (size_t i = 0; i < nlines; i++) {
    size_t known;
#pragma omp atomic read
    known = first_bad;
    if (i > known) continue;
    float y;
    size_t maxidx = 0;
    kind[i] = (signed char)libsvm_parse_line(path, lines[i].line, buf + lines[i].begin,
                                             buf + lines[i].end, false, &y, NULL, &maxidx);
    if (kind[i] < 0) {
#pragma omp critical(libsvm_first_bad)
      if (i < first_bad) {
#pragma omp atomic write
        first_bad = i;
      }
    } else if (maxidx > cols) {
      cols = maxidx;
    }
  }
  if (first_bad < nlines) {
    float y;
    size_t maxidx;
    libsvm_parse_line(path, lines[first_bad].line, buf + lines[first_bad].begin,
                      buf + lines[first_bad].end, true, &y, NULL, &maxidx);
    rc = TR_EINPUT;
    goto done;
  }
  /* Keep only the data rows, in order. */
  size_t rows = 0;
  for (size_t i = 0; i < nlines; i++)
    if (kind[i] == 1) lines[rows++] = lines[i];
  if (rows == 0) {
    rc = tr_error_at(TR_EINPUT, path, physical + 1, "no data rows");
    goto done;
  }
  size_t dense, allowed;
  bool fits = checked_mul3(rows, cols, sizeof(float), &dense);
  checked_mul(len, LIBSVM_MAX_EXPANSION, &allowed);
  if (!fits || (dense > allowed && dense > LIBSVM_DENSE_SLACK)) {
    long at = 0; /* the line that declares the largest index */
    for (size_t i = 0; i < rows && !at; i++) {
      float y;
      size_t maxidx = 0;
      libsvm_parse_line(path, lines[i].line, buf + lines[i].begin, buf + lines[i].end, false, &y, NULL, &maxidx);
      if (maxidx == cols) at = lines[i].line;
    }
    rc = tr_error_at(TR_EINPUT, path, at,
                     "feature index %zu declares a dense %zu x %zu matrix (%.3g GB) from %zu bytes "
                     "of text: too sparse for the dense reader (at most %d times the text, or %zu MiB)",
                     cols, rows, cols, (double)rows * (double)cols * sizeof(float) / 1e9, len,
                     LIBSVM_MAX_EXPANSION, LIBSVM_DENSE_SLACK >> 20);
    goto done;
  }
  if (!(d = ds_new(rows, cols, true))) {
    rc = tr_error_code();
    goto done;
  }
  /* Pass 2: fill the zeroed matrix (every line is known to be well-formed). */
#pragma omp parallel for schedule(dynamic, 1024) if (rows > 2048)
  for (size_t i = 0; i < rows; i++) {
    size_t maxidx;
    libsvm_parse_line(path, lines[i].line, buf + lines[i].begin, buf + lines[i].end, false,
                      d->y + i, d->X + i * cols, &maxidx);
  }
done:
  if (rc != TR_OK) ds_free(&d);
  *out = d;
  free(kind);
  free(lines);
  free(buf);
  return rc;
}
