/* The typed CSV reader (see table.h). Three passes over the lines of the file, which is
 * read whole (io/textread.h): the rows are parsed in parallel (OpenMP) into the value
 * matrix and a state per cell (number, missing, text, non-finite number), the first bad
 * row parsed again on the calling thread for a precise file:line error; the columns are
 * typed from the states; then one sequential pass interns the text of the categorical
 * columns' cells into each column's levels (a hash table per column). */
#define _GNU_SOURCE
#include "io/table.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "io/h5io.h"
#include "io/h5util.h"
#include "io/csv_internal.h"
#include "io/textread.h"

enum { CELL_NUM, CELL_MISSING, CELL_TEXT, CELL_NONFINITE };

/* The missing-value markers, split from a comma-separated list. */
typedef struct {
  char **tok;
  size_t n;
} na_list;

static void na_free(na_list *na) {
  for (size_t i = 0; i < na->n; i++) free(na->tok[i]);
  free(na->tok);
  na->tok = NULL;
  na->n = 0;
}

static tr_err na_parse(const char *list, na_list *na) {
  na->tok = NULL;
  na->n = 0;
  const char *p = list;
  for (;;) {
    const char *c = strchr(p, ',');
    const char *e = c ? c : p + strlen(p);
    const char *b = p, *t = e;
    while (b < t && txt_is_space(*b)) b++;
    while (t > b && txt_is_space(t[-1])) t--;
    if (t > b) {
      char **grown = realloc(na->tok, (na->n + 1) * sizeof *grown);
      char *s = grown ? strndup(b, (size_t)(t - b)) : NULL;
      if (grown) na->tok = grown;
      if (!s) {
        na_free(na);
        return tr_error_set(TR_ENOMEM, "na_values", "out of memory");
      }
      na->tok[na->n++] = s;
    }
    if (!c) break;
    p = c + 1;
  }
  return TR_OK;
}

static bool na_match(const na_list *na, const char *b, const char *e) {
  size_t n = (size_t)(e - b);
  for (size_t i = 0; i < na->n; i++)
    if (strlen(na->tok[i]) == n && strncasecmp(na->tok[i], b, n) == 0) return true;
  return false;
}

/* One cell starting at p: its text [*b, *e) without the spaces around it (inside the
 * quotes when quoted, doubled quotes still doubled). Returns the byte after the cell (a
 * ',' or end), or NULL for an unterminated quote or text after the closing quote. */
static const char *tbl_cell(const char *p, const char *end, const char **b, const char **e, bool *quoted) {
  while (p < end && txt_is_space(*p)) p++;
  if (p < end && *p == '"') {
    const char *q = p + 1;
    for (;;) {
      if (q >= end) return NULL;
      if (*q == '"') {
        if (q + 1 < end && q[1] == '"') {
          q += 2;
          continue;
        }
        break;
      }
      q++;
    }
    *b = p + 1;
    *e = q;
    *quoted = true;
    for (q++; q < end && txt_is_space(*q); q++) {}
    return q < end && *q != ',' ? NULL : q;
  }
  const char *c = memchr(p, ',', (size_t)(end - p));
  if (!c) c = end;
  const char *t = c;
  while (t > p && txt_is_space(t[-1])) t--;
  *b = p;
  *e = t;
  *quoted = false;
  return c;
}

typedef struct {
  const char *path, *buf;
  const txt_line *lines;  /* data lines */
  size_t cols;
  const na_list *na;
  unsigned char *state;   /* rows x cols */
  float *v;
} tbl_ctx;

/* Parses data row i into v and state. False when the row is malformed; with report, the
 * reason is recorded (file:line). */
static bool tbl_parse_row(const tbl_ctx *c, size_t i, bool report) {
  const txt_line *L = &c->lines[i];
  const char *p = c->buf + L->begin, *end = c->buf + L->end;
  float *v = c->v + i * c->cols;
  unsigned char *st = c->state + i * c->cols;
  size_t j = 0;
  for (;; j++) {
    const char *b, *e;
    bool quoted;
    const char *q = tbl_cell(p, end, &b, &e, &quoted);
    if (!q) {
      if (report) tr_error_at(TR_EINPUT, c->path, L->line, "column %zu: unterminated quote or text after a closing quote", j + 1);
      return false;
    }
    if (j < c->cols) {
      double x;
      if (b == e || na_match(c->na, b, e)) {
        st[j] = CELL_MISSING;
        v[j] = NAN;
      } else if (txt_parse_number(b, e, &x)) {
        st[j] = isfinite(x) ? CELL_NUM : CELL_NONFINITE;
        v[j] = (float)x;
        if (st[j] == CELL_NUM && !isfinite(v[j])) st[j] = CELL_NONFINITE; /* beyond float */
      } else {
        st[j] = CELL_TEXT;
        v[j] = NAN;
      }
    }
    if (q >= end) break;
    p = q + 1;
  }
  if (j + 1 != c->cols) {
    if (report) tr_error_at(TR_EINPUT, c->path, L->line, "row has %zu cells, header has %zu", j + 1, c->cols);
    return false;
  }
  return true;
}

/* ---------------------------------------------------------------- levels */

typedef struct {
  uint32_t *slot;  /* level index + 1, 0 = empty */
  size_t cap;
} tbl_hash;

static uint64_t fnv(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

/* The level index of s[0..n) in col (added when new); SIZE_MAX on ENOMEM or too many. */
static size_t tbl_intern(tbl_column *col, tbl_hash *h, const char *s, size_t n) {
  if (2 * (col->n_levels + 1) > h->cap) { /* grow and rehash */
    size_t cap = h->cap ? 2 * h->cap : 64;
    uint32_t *slot = calloc(cap, sizeof *slot);
    char **lv = realloc(col->levels, (cap / 2) * sizeof *lv);
    if (lv) col->levels = lv;
    if (!slot || !lv) {
      free(slot);
      return SIZE_MAX;
    }
    for (size_t k = 0; k < col->n_levels; k++) {
      size_t at = fnv(col->levels[k], strlen(col->levels[k])) & (cap - 1);
      while (slot[at]) at = (at + 1) & (cap - 1);
      slot[at] = (uint32_t)(k + 1);
    }
    free(h->slot);
    h->slot = slot;
    h->cap = cap;
  }
  size_t at = fnv(s, n) & (h->cap - 1);
  while (h->slot[at]) {
    const char *l = col->levels[h->slot[at] - 1];
    if (strlen(l) == n && memcmp(l, s, n) == 0) return h->slot[at] - 1;
    at = (at + 1) & (h->cap - 1);
  }
  if (col->n_levels >= TBL_MAX_LEVELS) return SIZE_MAX;
  char *copy = strndup(s, n);
  if (!copy) return SIZE_MAX;
  col->levels[col->n_levels] = copy;
  h->slot[at] = (uint32_t)(col->n_levels + 1);
  return col->n_levels++;
}

/* The text of a cell, unquoted ("" -> "), into *scratch (grown as needed); *n its length. */
static const char *tbl_unquote(const char *b, const char *e, bool quoted, char **scratch, size_t *cap, size_t *n) {
  if (!quoted || !memchr(b, '"', (size_t)(e - b))) {
    *n = (size_t)(e - b);
    return b;
  }
  if ((size_t)(e - b) + 1 > *cap) {
    char *g = realloc(*scratch, (size_t)(e - b) + 1);
    if (!g) return NULL;
    *scratch = g;
    *cap = (size_t)(e - b) + 1;
  }
  size_t k = 0;
  for (const char *p = b; p < e; p++) {
    (*scratch)[k++] = *p;
    if (*p == '"' && p + 1 < e && p[1] == '"') p++;
  }
  *n = k;
  return *scratch;
}

/* Interns the cells of every categorical column (one pass over the rows). */
static tr_err tbl_intern_all(tbl *t, const tbl_ctx *c) {
  size_t cols = t->cols;
  tbl_hash *h = calloc(cols, sizeof *h);
  if (!h) return tr_error_set(TR_ENOMEM, t->path, "out of memory");
  size_t last_cat = 0;
  bool any = false;
  for (size_t j = 0; j < cols; j++)
    if (t->col[j].kind == TBL_CATEGORICAL) last_cat = j, any = true;
  tr_err rc = TR_OK;
  char *scratch = NULL;
  size_t cap = 0;
  for (size_t i = 0; any && rc == TR_OK && i < t->rows; i++) {
    const txt_line *L = &c->lines[i];
    const char *p = c->buf + L->begin, *end = c->buf + L->end;
    for (size_t j = 0; j <= last_cat; j++) {
      const char *b, *e;
      bool quoted;
      const char *q = tbl_cell(p, end, &b, &e, &quoted);
      size_t k = i * cols + j;
      if (t->col[j].kind == TBL_CATEGORICAL && c->state[k] != CELL_MISSING) {
        size_t n;
        const char *s = tbl_unquote(b, e, quoted, &scratch, &cap, &n);
        size_t code = s ? tbl_intern(&t->col[j], &h[j], s, n) : SIZE_MAX;
        if (code == SIZE_MAX) {
          rc = t->col[j].n_levels >= TBL_MAX_LEVELS
                   ? tr_error_at(TR_EINPUT, t->path, L->line, "column \"%s\" has more than %u distinct values",
                                 t->col[j].name, TBL_MAX_LEVELS)
                   : tr_error_set(TR_ENOMEM, t->path, "out of memory");
          break;
        }
        t->v[k] = (float)code;
      }
      p = q + 1;
    }
  }
  free(scratch);
  for (size_t j = 0; j < cols; j++) free(h[j].slot);
  free(h);
  return rc;
}

/* ---------------------------------------------------------------- the reader */

/* The feature index (1-based, the label left out) of column j. */
static size_t feature_no(const tbl *t, size_t j) { return j + 1 - (t->label != SIZE_MAX && j > t->label); }

/* Types the columns from the cell states (see table.h). */
static tr_err tbl_type_columns(tbl *t, const tbl_ctx *c, const tbl_opts *o, char **names) {
  size_t rows = t->rows, cols = t->cols;
  for (size_t n = 0; n < o->n_categorical; n++) {
    size_t j = 0;
    while (j < cols && strcmp(names[j], o->categorical[n]) != 0) j++;
    if (j == cols)
      return tr_error_at(TR_EINPUT, t->path, c->lines[-1].line, /* the header's */
                         "categorical column \"%s\" is not in the header", o->categorical[n]);
    t->col[j].kind = TBL_CATEGORICAL;
  }
  size_t *text = calloc(cols, sizeof *text), *num = calloc(cols, sizeof *num), *first_text = malloc(cols * sizeof *first_text);
  size_t *first_bad = malloc(cols * sizeof *first_bad);
  tr_err rc = TR_OK;
  if (!text || !num || !first_text || !first_bad) {
    rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
    goto done;
  }
  for (size_t j = 0; j < cols; j++) first_text[j] = first_bad[j] = SIZE_MAX;
  for (size_t i = 0; i < rows; i++) {
    const unsigned char *st = c->state + i * cols;
    for (size_t j = 0; j < cols; j++) {
      if (st[j] == CELL_MISSING) t->col[j].missing++;
      else if (st[j] == CELL_TEXT && !text[j]++) first_text[j] = i;
      else if (st[j] == CELL_NUM) num[j]++;
      else if (st[j] == CELL_NONFINITE && first_bad[j] == SIZE_MAX) first_bad[j] = i;
    }
  }
  /* the first row at fault wins, as in ds_check_finite */
  size_t bad_row = SIZE_MAX, bad_col = 0;
  bool bad_text = false;
  for (size_t j = 0; j < cols; j++) {
    if (t->col[j].kind == TBL_CATEGORICAL) continue;
    if (text[j]) {
      if (!o->no_auto || j == t->label) {
        t->col[j].kind = TBL_CATEGORICAL;
        if (num[j] && j != t->label)
          log_warn("%s: column \"%s\" is read as categorical: %zu of its %zu values are not numbers (the first at "
                   "line %ld); if it is numeric, fix those cells or set data.categorical = none to stop there",
                   t->path, names[j], text[j], text[j] + num[j], c->lines[first_text[j]].line);
        continue;
      }
      if (first_text[j] < bad_row) bad_row = first_text[j], bad_col = j, bad_text = true;
    }
    if (first_bad[j] < bad_row) bad_row = first_bad[j], bad_col = j, bad_text = false;
  }
  if (bad_row != SIZE_MAX) {
    const txt_line *L = &c->lines[bad_row];
    if (bad_text) {
      const char *p = c->buf + L->begin, *end = c->buf + L->end, *b = p, *e = p;
      bool quoted;
      for (size_t j = 0; j <= bad_col; j++) {
        const char *q = tbl_cell(p, end, &b, &e, &quoted);
        p = q + 1;
      }
      int shown = e - b > 40 ? 40 : (int)(e - b);
      rc = tr_error_at(TR_EINPUT, t->path, L->line, "non-numeric value \"%.*s%s\" in column %zu \"%s\"", shown, b,
                       e - b > 40 ? "..." : "", bad_col + 1, names[bad_col]);
    } else if (bad_col == t->label) {
      rc = tr_error_set(TR_EINPUT, t->path, "row %zu, label is %s", bad_row + 1,
                        isnan(t->v[bad_row * cols + bad_col]) ? "NaN" : "Inf");
    } else {
      rc = tr_error_set(TR_EINPUT, t->path, "row %zu, feature %zu is %s", bad_row + 1, feature_no(t, bad_col),
                        isnan(t->v[bad_row * cols + bad_col]) ? "NaN" : "Inf");
    }
  }
done:
  free(text);
  free(num);
  free(first_text);
  free(first_bad);
  return rc;
}

tr_err tbl_read_csv(const char *path, const tbl_opts *opts, tbl **out) {
  tbl_opts o = opts ? *opts : (tbl_opts){0};
  *out = NULL;
  char *buf = NULL, **names = NULL;
  size_t len = 0, nlines = 0, ncols = 0;
  txt_line *lines = NULL;
  long physical = 0;
  na_list na = {0};
  tbl *t = NULL;
  tbl_ctx c = {0};
  tr_err rc = na_parse(o.na_values ? o.na_values : TBL_DEFAULT_NA, &na);
  if (rc == TR_OK) rc = txt_read_file(path, &buf, &len);
  if (rc == TR_OK) rc = txt_split_lines(buf, len, &lines, &nlines, &physical);
  if (rc != TR_OK) goto done;
  if (nlines == 0) {
    rc = tr_error_at(TR_EINPUT, path, 1, "empty file (no header line, no data rows)");
    goto done;
  }
  if ((rc = csv_parse_header(path, lines[0].line, buf + lines[0].begin, buf + lines[0].end, &names, &ncols)) != TR_OK)
    goto done;
  size_t label = SIZE_MAX;
  if ((rc = csv_find_label(path, lines[0].line, names, ncols, o.label_column, o.label_optional, &label)) != TR_OK)
    goto done;
  if (label != SIZE_MAX && ncols < 2) {
    rc = tr_error_at(TR_EINPUT, path, lines[0].line, "the header has no feature columns besides the label \"%s\"",
                     names[label]);
    goto done;
  }
  size_t rows = nlines - 1;
  if (rows == 0) {
    rc = tr_error_at(TR_EINPUT, path, physical + 1, "no data rows after the header");
    goto done;
  }
  size_t cells = 0;
  if (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path)) || !(t->col = calloc(ncols, sizeof *t->col)) ||
      __builtin_mul_overflow(rows, ncols, &cells) || !(t->v = ds_alloc_floats(cells)) ||
      !(t->line = malloc(rows * sizeof *t->line)) || !(c.state = malloc(cells ? cells : 1))) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory (%zu rows x %zu columns)", rows, ncols);
    goto done;
  }
  t->rows = rows;
  t->cols = ncols;
  t->label = label;
  for (size_t j = 0; j < ncols; j++) {
    t->col[j].name = names[j];
    names[j] = NULL;
  }
  c = (tbl_ctx){path, buf, lines + 1, ncols, &na, c.state, t->v};
  size_t first_bad = rows;
#pragma omp parallel for schedule(dynamic, 1024) if (rows > 2048)
  for (size_t i = 0; i < rows; i++) {
    size_t known;
#pragma omp atomic read
    known = first_bad;
    if (i > known) continue;
    t->line[i] = c.lines[i].line;
    if (!tbl_parse_row(&c, i, false)) {
#pragma omp critical(tbl_first_bad)
      if (i < first_bad) {
#pragma omp atomic write
        first_bad = i;
      }
    }
  }
  if (first_bad < rows) {
    tbl_parse_row(&c, first_bad, true);
    rc = TR_EINPUT;
    goto done;
  }
  char **colnames = malloc(ncols * sizeof *colnames);
  if (!colnames) {
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    goto done;
  }
  for (size_t j = 0; j < ncols; j++) colnames[j] = t->col[j].name;
  rc = tbl_type_columns(t, &c, &o, colnames);
  free(colnames);
  if (rc == TR_OK) rc = tbl_intern_all(t, &c);
done:
  if (rc != TR_OK) tbl_free(&t);
  *out = t;
  free(c.state);
  if (names) csv_free_names(names, ncols);
  na_free(&na);
  free(lines);
  free(buf);
  return rc;
}

tr_err tbl_from_dataset(const ds_dataset *d, const char *path, tbl **out) {
  *out = NULL;
  tbl *t = calloc(1, sizeof *t);
  size_t cells = d->rows * d->cols;
  if (!t || !(t->path = strdup(path)) || !(t->col = calloc(d->cols ? d->cols : 1, sizeof *t->col)) ||
      !(t->v = ds_alloc_floats(cells)) || !(t->line = malloc((d->rows ? d->rows : 1) * sizeof *t->line))) {
    tbl_free(&t);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  t->rows = d->rows;
  t->cols = d->cols;
  t->label = SIZE_MAX;
  memcpy(t->v, d->X, cells * sizeof(float));
  for (size_t i = 0; i < d->rows; i++) t->line[i] = (long)i + 1;
  for (size_t j = 0; j < d->cols; j++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "x%zu", j);
    if (!(t->col[j].name = strdup(d->feature_names ? d->feature_names[j] : tmp))) {
      tbl_free(&t);
      return tr_error_set(TR_ENOMEM, path, "out of memory");
    }
  }
  *out = t;
  return TR_OK;
}

void tbl_free_names(char **names, size_t n) {
  if (!names) return;
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

void tbl_free(tbl **pt) {
  tbl *t = pt ? *pt : NULL;
  if (!t) return;
  for (size_t j = 0; t->col && j < t->cols; j++) {
    free(t->col[j].name);
    tbl_free_names(t->col[j].levels, t->col[j].n_levels);
  }
  free(t->col);
  free(t->v);
  free(t->line);
  free(t->path);
  free(t);
  *pt = NULL;
}

size_t tbl_find(const tbl *t, const char *name) {
  for (size_t j = 0; j < t->cols; j++)
    if (!strcmp(t->col[j].name, name)) return j;
  return SIZE_MAX;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

tr_err tbl_labels(const tbl *t, char *const *known, size_t n_known, float *y, char ***names_out, size_t *n_names) {
  *names_out = NULL;
  *n_names = 0;
  size_t L = t->label;
  if (L == SIZE_MAX) return tr_error_set(TR_EINPUT, t->path, "has no label column");
  const tbl_column *col = &t->col[L];
  for (size_t i = 0; i < t->rows; i++)
    if (isnan(t->v[i * t->cols + L]))
      return tr_error_at(TR_EINPUT, t->path, t->line[i], "row %zu, label is missing: rows without a label cannot be used",
                         i + 1);
  if (col->kind == TBL_NUMERIC) {
    if (known)
      return tr_error_set(TR_EINPUT, t->path, "label column \"%s\" holds numbers; the training labels are strings",
                          col->name);
    for (size_t i = 0; i < t->rows; i++) y[i] = t->v[i * t->cols + L];
    return TR_OK;
  }
  /* the level codes -> indexes into the sorted class names */
  size_t *map = malloc((col->n_levels ? col->n_levels : 1) * sizeof *map);
  char **sorted = NULL;
  if (!map) return tr_error_set(TR_ENOMEM, t->path, "out of memory");
  if (!known) {
    if (!(sorted = calloc(col->n_levels ? col->n_levels : 1, sizeof *sorted))) {
      free(map);
      return tr_error_set(TR_ENOMEM, t->path, "out of memory");
    }
    for (size_t k = 0; k < col->n_levels; k++)
      if (!(sorted[k] = strdup(col->levels[k]))) {
        tbl_free_names(sorted, col->n_levels);
        free(map);
        return tr_error_set(TR_ENOMEM, t->path, "out of memory");
      }
    qsort(sorted, col->n_levels, sizeof *sorted, cmp_str);
    known = sorted;
    n_known = col->n_levels;
  }
  for (size_t k = 0; k < col->n_levels; k++) {
    char *const *hit = bsearch(&col->levels[k], known, n_known, sizeof *known, cmp_str);
    map[k] = hit ? (size_t)(hit - known) : SIZE_MAX;
  }
  tr_err rc = TR_OK;
  for (size_t i = 0; i < t->rows; i++) {
    size_t code = (size_t)t->v[i * t->cols + L];
    if (map[code] == SIZE_MAX) {
      rc = tr_error_at(TR_EINPUT, t->path, t->line[i], "label \"%s\" is not one of the training classes",
                       col->levels[code]);
      break;
    }
    y[i] = (float)map[code];
  }
  free(map);
  if (rc == TR_OK && sorted) {
    *names_out = sorted;
    *n_names = n_known;
  } else if (sorted) {
    tbl_free_names(sorted, n_known);
  }
  return rc;
}

size_t tbl_categorical_names(const tbl *t, const char **names) {
  size_t n = 0;
  for (size_t j = 0; j < t->cols; j++)
    if (j != t->label && t->col[j].kind == TBL_CATEGORICAL) names[n++] = t->col[j].name;
  return n;
}

/* ---------------------------------------------------------------- HDF5 */

/* True when dataset name of f holds strings. */
static bool h5_is_string(hid_t f, const char *name) {
  if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return false;
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
  bool s = t >= 0 && H5Tget_class(t) == H5T_STRING;
  if (t >= 0) H5Tclose(t);
  if (d >= 0) H5Dclose(d);
  return s;
}

bool tbl_hdf5_wants_table(const char *path, const char *y_dataset, size_t n_categorical) {
  if (n_categorical) return true;
  h5u_quiet();
  hid_t f = h5u_open_rdonly(path, H5I_INVALID_HID);
  if (f < 0) return false;
  bool s = h5_is_string(f, y_dataset ? y_dataset : "y");
  H5Fclose(f);
  return s;
}

/* The strings of the 1-D (or N x 1) string dataset name (rows of them), each passed to
 * put(i, s, n, ctx); TR_EINPUT when it is not such a dataset. */
typedef tr_err (*put_string_fn)(size_t i, const char *s, size_t n, void *ctx);
static tr_err h5_read_strings(hid_t f, const char *path, const char *name, size_t rows, put_string_fn put, void *ctx) {
  if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return tr_error_set(TR_EINPUT, path, "has no dataset '%s'", name);
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT), t = d < 0 ? -1 : H5Dget_type(d), sp = d < 0 ? -1 : H5Dget_space(d);
  hid_t mem = -1;
  tr_err rc = TR_OK;
  hsize_t dims[2] = {0, 0};
  int nd = sp < 0 ? -1 : H5Sget_simple_extent_dims(sp, dims, NULL);
  if (d < 0 || t < 0 || sp < 0) rc = tr_error_set(TR_EINPUT, path, "cannot read dataset '%s'", name);
  else if (H5Tget_class(t) != H5T_STRING) rc = tr_error_set(TR_EINPUT, path, "dataset '%s' does not hold strings", name);
  else if (nd < 1 || nd > 2 || (nd == 2 && dims[1] != 1))
    rc = tr_error_set(TR_EINPUT, path, "dataset '%s' must be 1-D (one string per row)", name);
  else if (dims[0] != rows)
    rc = tr_error_set(TR_EINPUT, path, "dataset '%s' has %llu rows, X has %zu", name, (unsigned long long)dims[0], rows);
  if (rc == TR_OK && (mem = H5Tcopy(H5T_C_S1)) < 0) rc = tr_error_set(TR_EHDF5, path, "cannot read dataset '%s'", name);
  if (rc == TR_OK) H5Tset_cset(mem, H5Tget_cset(t));
  if (rc == TR_OK && H5Tis_variable_str(t) > 0) {
    char **raw = calloc(rows ? rows : 1, sizeof *raw);
    if (!raw || H5Tset_size(mem, H5T_VARIABLE) < 0 || H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
      rc = raw ? tr_error_set(TR_EINPUT, path, "cannot read dataset '%s'", name) : tr_error_set(TR_ENOMEM, path, "out of memory");
      free(raw);
      raw = NULL;
    }
    for (size_t i = 0; raw && rc == TR_OK && i < rows; i++) rc = put(i, raw[i] ? raw[i] : "", raw[i] ? strlen(raw[i]) : 0, ctx);
    if (raw) {
      H5Dvlen_reclaim(mem, sp, H5P_DEFAULT, raw);
      free(raw);
    }
  } else if (rc == TR_OK) {
    size_t sz = H5Tget_size(t);
    size_t bytes = sz && rows <= SIZE_MAX / sz ? rows * sz : 0;
    char *fixed = sz && rows <= SIZE_MAX / sz ? malloc(bytes ? bytes : 1) : NULL;
    if (!fixed || H5Tset_size(mem, sz) < 0 || H5Tset_strpad(mem, H5T_STR_NULLPAD) < 0 ||
        H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0)
      rc = fixed ? tr_error_set(TR_EINPUT, path, "cannot read dataset '%s'", name) : tr_error_set(TR_ENOMEM, path, "out of memory");
    for (size_t i = 0; fixed && rc == TR_OK && i < rows; i++) rc = put(i, fixed + i * sz, strnlen(fixed + i * sz, sz), ctx);
    free(fixed);
  }
  if (mem >= 0) H5Tclose(mem);
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  if (d >= 0) H5Dclose(d);
  return rc;
}

typedef struct {
  tbl *t;
  size_t j;
  tbl_hash h;
  const na_list *na;
} put_ctx;

/* Cell (i, j) of a categorical column from a string: missing when empty or a marker. */
static tr_err put_level(size_t i, const char *s, size_t n, void *vc) {
  put_ctx *c = vc;
  tbl *t = c->t;
  const char *b = s, *e = s + n;
  while (b < e && txt_is_space(*b)) b++;
  while (e > b && txt_is_space(e[-1])) e--;
  if (b == e || na_match(c->na, b, e)) {
    t->v[i * t->cols + c->j] = NAN;
    t->col[c->j].missing++;
    return TR_OK;
  }
  size_t code = tbl_intern(&t->col[c->j], &c->h, b, (size_t)(e - b));
  if (code == SIZE_MAX) return tr_error_set(TR_ENOMEM, t->path, "out of memory or more than %u distinct values", TBL_MAX_LEVELS);
  t->v[i * t->cols + c->j] = (float)code;
  return TR_OK;
}

tr_err tbl_read_hdf5(const char *path, const tbl_h5_opts *opts, tbl **out) {
  tbl_h5_opts o = opts ? *opts : (tbl_h5_opts){0};
  const char *yname = o.y_dataset ? o.y_dataset : "y";
  *out = NULL;
  h5u_quiet();
  hid_t f = -1;
  tr_err rc = h5u_open(path, &f);
  if (rc != TR_OK) return rc;
  bool y_here = H5Lexists(f, yname, H5P_DEFAULT) > 0, y_str = y_here && h5_is_string(f, yname);
  /* X (and a numeric y) through the ordinary reader; a string y is read below */
  ds_dataset *d = NULL;
  h5io_read_opts ho = {.x_name = o.x_dataset, .y_name = y_str || !y_here ? "/\x01no labels" : yname};
  if ((rc = h5io_read(path, &ho, &d)) != TR_OK) {
    H5Fclose(f);
    return rc;
  }
  if (!y_here && !o.label_optional) rc = tr_error_set(TR_EINPUT, path, "has no dataset '%s' (labels)", yname);
  bool labelled = y_here;
  size_t rows = d->rows, nx = d->cols, cols = nx + o.n_categorical + labelled, cells = 0;
  na_list na = {0};
  tbl *t = NULL;
  if (rc == TR_OK) rc = na_parse(o.na_values ? o.na_values : TBL_DEFAULT_NA, &na);
  if (rc == TR_OK && (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path)) || !(t->col = calloc(cols, sizeof *t->col)) ||
                      __builtin_mul_overflow(rows, cols, &cells) || !(t->v = ds_alloc_floats(cells)) ||
                      !(t->line = malloc((rows ? rows : 1) * sizeof *t->line))))
    rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  if (rc == TR_OK) {
    t->rows = rows;
    t->cols = cols;
    t->label = labelled ? cols - 1 : SIZE_MAX;
    for (size_t i = 0; i < rows; i++) t->line[i] = (long)i + 1;
  }
  for (size_t j = 0; rc == TR_OK && j < cols; j++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "x%zu", j);
    const char *name = j < nx ? (d->feature_names ? d->feature_names[j] : tmp) : j < nx + o.n_categorical ? o.categorical[j - nx] : yname;
    if (!(t->col[j].name = strdup(name))) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  for (size_t i = 0; rc == TR_OK && i < rows; i++)
    for (size_t j = 0; j < nx; j++) {
      float v = d->X[i * nx + j];
      if (isinf(v)) {
        rc = tr_error_set(TR_EINPUT, path, "row %zu, feature %zu is Inf", i + 1, j + 1);
        break;
      }
      t->v[i * cols + j] = v;
      t->col[j].missing += isnan(v);
    }
  for (size_t k = 0; rc == TR_OK && k < o.n_categorical + (y_str ? 1 : 0); k++) {
    size_t j = k < o.n_categorical ? nx + k : cols - 1;
    put_ctx c = {t, j, {0}, &na};
    t->col[j].kind = TBL_CATEGORICAL;
    rc = h5_read_strings(f, path, t->col[j].name, rows, put_level, &c);
    free(c.h.slot);
  }
  if (rc == TR_OK && labelled && !y_str)
    for (size_t i = 0; i < rows; i++) {
      if (!isfinite(d->y[i])) {
        rc = tr_error_set(TR_EINPUT, path, "row %zu, label is %s", i + 1, isnan(d->y[i]) ? "NaN" : "Inf");
        break;
      }
      t->v[i * cols + cols - 1] = d->y[i];
    }
  H5Fclose(f);
  na_free(&na);
  ds_free(&d);
  if (rc != TR_OK) tbl_free(&t);
  *out = t;
  return rc;
}
