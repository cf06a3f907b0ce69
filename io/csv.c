/* CSV reader: a header line of column names, then one numeric row per line. The file
 * is read whole (through zlib, so .csv.gz works too), split into lines, and the rows
 * are parsed in parallel with OpenMP straight into the float32 matrix. A row that
 * fails is only flagged during the parallel pass; the first flagged row is parsed
 * again on the calling thread to record a precise "path:line: ..." error, so the
 * error is always the first bad line, whatever the thread count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv_internal.h"
#include "io/textdata.h"
#include "io/textread.h"

/* What every row parse needs to know. */
typedef struct {
  const char *path;
  size_t ncols;      /* cells per row, label included */
  size_t label;      /* index of the label cell */
  char **names;      /* ncols header names */
} csv_layout;

void csv_free_names(char **names, size_t n) {
  if (!names) return;
  for (size_t j = 0; j < n; j++) free(names[j]);
  free(names);
}

/* Splits the header line [p, end) into unquoted, space-trimmed names ("" inside quotes
 * is a quote; commas inside quotes belong to the name). */
tr_err csv_parse_header(const char *path, long line, const char *p, const char *end,
                        char ***names_out, size_t *n_out) {
  if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* UTF-8 BOM */
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    while (p < end && txt_is_space(*p)) p++;
    /* The name's buffer holds its own cell only: sized to the rest of the line, 100,000
     * names of a 1 MB header asked for 55 GB (each name got the rest of the line). */
    const char *cell_end = p;
    if (p < end && *p == '"') { /* to the closing quote, over doubled ones */
      cell_end = p + 1;
      while (cell_end < end && (*cell_end != '"' || (cell_end + 1 < end && cell_end[1] == '"')))
        cell_end += *cell_end == '"' ? 2 : 1;
    } else {
      while (cell_end < end && *cell_end != ',') cell_end++;
    }
    char *name = malloc((size_t)(cell_end - p) + 1);
    size_t k = 0;
    if (!name) goto nomem;
    if (p < end && *p == '"') {
      for (p++;; p++) {
        if (p >= end) {
          free(name);
          csv_free_names(names, n);
          return tr_error_at(TR_EINPUT, path, line, "header: unterminated quoted name");
        }
        if (*p == '"') {
          if (p + 1 < end && p[1] == '"') {
            name[k++] = '"';
            p++;
            continue;
          }
          p++;
          break;
        }
        name[k++] = *p;
      }
      while (p < end && txt_is_space(*p)) p++;
      if (p < end && *p != ',') {
        free(name);
        csv_free_names(names, n);
        return tr_error_at(TR_EINPUT, path, line,
                           "header: unexpected text after quoted name in column %zu", n + 1);
      }
    } else {
      const char *c = p;
      while (c < end && *c != ',') c++;
      const char *e = c;
      while (e > p && txt_is_space(e[-1])) e--;
      memcpy(name, p, (size_t)(e - p));
      k = (size_t)(e - p);
      p = c;
    }
    name[k] = '\0';
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      char **grown = realloc(names, cap * sizeof *names);
      if (!grown) {
        free(name);
        goto nomem;
      }
      names = grown;
    }
    names[n++] = name;
    if (p >= end) break;
    p++; /* the comma */
  }
  *names_out = names;
  *n_out = n;
  return TR_OK;
nomem:
  csv_free_names(names, n);
  return tr_error_set(TR_ENOMEM, path, "out of memory");
}

/* Finds the label cell: a name, an all-digit 0-based index, or (NULL or "") the column
 * named "label", else the last one. With optional, a name not in the header (or no
 * "label" column for NULL) is no label: *label = SIZE_MAX. */
tr_err csv_find_label(const char *path, long line, char **names, size_t n,
                      const char *want, bool optional, size_t *label) {
  if (!want || !*want) {
    *label = optional ? SIZE_MAX : n - 1;
    for (size_t j = 0; j < n; j++)
      if (strcmp(names[j], "label") == 0) {
        *label = j;
        break;
      }
    return TR_OK;
  }
  if (strspn(want, "0123456789") == strlen(want)) {
    unsigned long long idx = strtoull(want, NULL, 10);
    if (idx >= n)
      return tr_error_at(TR_EINPUT, path, line,
                         "label column index %s is out of range (the header has %zu columns)",
                         want, n);
    *label = (size_t)idx;
    return TR_OK;
  }
  for (size_t j = 0; j < n; j++)
    if (strcmp(names[j], want) == 0) {
      *label = j;
      return TR_OK;
    }
  if (optional) {
    *label = SIZE_MAX;
    return TR_OK;
  }
  return tr_error_at(TR_EINPUT, path, line, "label column \"%s\" not found in the header", want);
}

/* Records why the row [p, end) on line `line` does not parse. */
static void csv_row_error(const csv_layout *L, long line, const char *p, const char *end) {
  size_t cells = 1;
  for (const char *q = p; q < end; q++) cells += *q == ',';
  if (cells != L->ncols) {
    tr_error_at(TR_EINPUT, L->path, line, "row has %zu cells, header has %zu", cells,
                L->ncols);
    return;
  }
  for (size_t j = 0; j < L->ncols; j++) {
    const char *c = memchr(p, ',', (size_t)(end - p));
    const char *e = c ? c : end;
    const char *b = p;
    while (b < e && txt_is_space(*b)) b++;
    const char *t = e;
    while (t > b && txt_is_space(t[-1])) t--;
    double v;
    if (b == t) {
      tr_error_at(TR_EINPUT, L->path, line, "empty cell in column %zu \"%s\"", j + 1,
                  L->names[j]);
      return;
    }
    bool quoted = t - b >= 2 && *b == '"' && t[-1] == '"';
    if (!(quoted ? txt_parse_number(b + 1, t - 1, &v) : txt_parse_number(b, t, &v))) {
      int shown = t - b > 40 ? 40 : (int)(t - b);
      tr_error_at(TR_EINPUT, L->path, line, "non-numeric value \"%.*s%s\" in column %zu \"%s\"",
                  shown, b, t - b > 40 ? "..." : "", j + 1, L->names[j]);
      return;
    }
    p = e + 1;
  }
  tr_error_at(TR_EINPUT, L->path, line, "malformed row");
}

/* Parses one quoted numeric cell starting at the quote p; returns the byte after the
 * closing quote, or NULL. */
static const char *csv_quoted_number(const char *p, const char *end, double *v) {
  const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
  if (!q) return NULL;
  const char *b = p + 1, *t = q;
  while (b < t && txt_is_space(*b)) b++;
  while (t > b && txt_is_space(t[-1])) t--;
  return txt_parse_number(b, t, v) ? q + 1 : NULL;
}

/* Parses the data row [p, end) into x (the ncols - 1 features) and *y. False when the
 * row is malformed (nothing recorded). */
static bool csv_parse_row(const csv_layout *L, const char *p, const char *end, float *x,
                          float *y) {
  size_t last = L->ncols - 1;
  for (size_t j = 0; j <= last; j++) {
    while (p < end && txt_is_space(*p)) p++;
    double v;
    const char *q = txt_scan_number(p, end, &v);
    if (!q) {
      if (p < end && *p == '"') q = csv_quoted_number(p, end, &v);
      if (!q) return false;
    }
    p = q;
    while (p < end && txt_is_space(*p)) p++;
    if (j < last) {
      if (p >= end || *p != ',') return false;
      p++;
    } else if (p != end) {
      return false;
    }
    if (j == L->label) {
      if (y) *y = (float)v;
    } else {
      *x++ = (float)v;
    }
  }
  return true;
}

static tr_err read_csv(const char *path, const char *label_column, bool optional, ds_dataset **out) {
  *out = NULL;
  char *buf = NULL;
  size_t len = 0, nlines = 0;
  txt_line *lines = NULL;
  long physical = 0;
  tr_err rc = txt_read_file(path, &buf, &len);
  if (rc != TR_OK) return rc;
  if ((rc = txt_split_lines(buf, len, &lines, &nlines, &physical)) != TR_OK) {
    free(buf);
    return rc;
  }
  csv_layout L = {.path = path};
  ds_dataset *d = NULL;
  if (nlines == 0) {
    rc = tr_error_at(TR_EINPUT, path, 1, "empty file (no header line, no data rows)");
    goto done;
  }
  rc = csv_parse_header(path, lines[0].line, buf + lines[0].begin, buf + lines[0].end,
                        &L.names, &L.ncols);
  if (rc != TR_OK) goto done;
  rc = csv_find_label(path, lines[0].line, L.names, L.ncols, label_column, optional, &L.label);
  if (rc != TR_OK) goto done;
  bool labelled = L.label != SIZE_MAX;
  if (labelled && L.ncols < 2) {
    rc = tr_error_at(TR_EINPUT, path, lines[0].line,
                     "the header has no feature columns besides the label \"%s\"",
                     L.names[L.label]);
    goto done;
  }
  size_t rows = nlines - 1, cols = labelled ? L.ncols - 1 : L.ncols;
  if (rows == 0) {
    rc = tr_error_at(TR_EINPUT, path, physical + 1, "no data rows after the header");
    goto done;
  }
  if (!(d = ds_new(rows, cols, labelled))) {
    rc = tr_error_code();
    goto done;
  }
  const txt_line *data = lines + 1;
  size_t first_bad = rows;
#pragma omp parallel for schedule(dynamic, 1024) if (rows > 2048)
  for (size_t i = 0; i < rows; i++) {
    size_t known;
#pragma omp atomic read
    known = first_bad;
    if (i > known) continue;
    if (!csv_parse_row(&L, buf + data[i].begin, buf + data[i].end, d->X + i * cols,
                       labelled ? d->y + i : NULL)) {
#pragma omp critical(csv_first_bad)
      if (i < first_bad) {
#pragma omp atomic write
        first_bad = i;
      }
    }
  }
  if (first_bad < rows) {
    csv_row_error(&L, data[first_bad].line, buf + data[first_bad].begin,
                  buf + data[first_bad].end);
    rc = TR_EINPUT;
    goto done;
  }
  /* Feature names: the header names without the label's. */
  const char **fnames = malloc(cols * sizeof *fnames);
  if (!fnames) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  for (size_t j = 0, k = 0; j < L.ncols; j++)
    if (j != L.label) fnames[k++] = L.names[j];
  rc = ds_set_feature_names(d, fnames);
  free(fnames);
  if (rc == TR_OK && labelled) rc = ds_set_label_name(d, L.names[L.label]);
done:
  if (rc != TR_OK) ds_free(&d);
  *out = d;
  csv_free_names(L.names, L.ncols);
  free(lines);
  free(buf);
  return rc;
}

tr_err csv_read(const char *path, const char *label_column, ds_dataset **out) {
  return read_csv(path, label_column, false, out);
}

tr_err csv_read_features(const char *path, const char *label_column, ds_dataset **out) {
  return read_csv(path, label_column, true, out);
}
