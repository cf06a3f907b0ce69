/* Imputation and one-hot encoding fitted on given rows (see prep.h), and their storage in
 * model.h5's /prep group. Fitting visits only the rows it is given, so a statistic can
 * never see a validation or test row; applying maps each column by name, so a file with
 * its columns in another order (or extra ones) encodes the same way. */
#define _GNU_SOURCE
#include "io/prep.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "io/files.h"
#include "io/h5util.h"
#include "io/textread.h"

static const char *impute_names[] = {"mean", "median", "most_frequent", "fail"};

const char *prep_impute_name(int impute) { return impute >= 0 && impute < 4 ? impute_names[impute] : "?"; }

const char *prep_check_param(const prep_params *p) {
  if (p->max_categories == 1) return "must be 0 (no limit) or at least 2: one column would be \"other\" only";
  if (p->impute < 0 || p->impute > PREP_FAIL) return "unknown imputation strategy";
  return NULL;
}

static void free_strings(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

void prep_free(prep **pp) {
  prep *p = pp ? *pp : NULL;
  if (!p) return;
  for (size_t j = 0; p->col && j < p->n_cols; j++) {
    prep_column *c = &p->col[j];
    free(c->name);
    free(c->fill_level);
    free_strings(c->kept, c->n_kept);
    free_strings(c->rare, c->n_rare);
  }
  free(p->col);
  free_strings(p->out_names, p->outputs);
  free(p->na_values);
  free(p);
  *pp = NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorts by count, descending, then by name (the kept categories are the most frequent). */
typedef struct {
  const char *name;
  size_t count;
} level_count;
static int cmp_count(const void *a, const void *b) {
  const level_count *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->name, y->name);
}

tr_err prep_check_missing(const tbl *t) {
  for (size_t i = 0; i < t->rows; i++)
    for (size_t j = 0; j < t->cols; j++)
      if (j != t->label && isnan(t->v[i * t->cols + j]))
        return tr_error_at(TR_EINPUT, t->path, t->line[i], "empty cell in column %zu \"%s\" (data.impute = fail)", j + 1,
                           t->col[j].name);
  return TR_OK;
}

/* The fill value of numeric column j over rows: mean, median or most frequent (ties: the
 * smallest, as sklearn); 0 with a warning when no fitted row has a value. */
static tr_err fit_numeric(const tbl *t, size_t j, const size_t *rows, size_t n, int impute, prep_column *c) {
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return tr_error_set(TR_ENOMEM, t->path, "out of memory");
  size_t k = 0;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    float x = t->v[rows[i] * t->cols + j];
    if (isnan(x)) c->missing++;
    else sum += (v[k++] = x);
  }
  c->fill = 0;
  if (k == 0 && c->missing)
    log_warn("%s: column \"%s\" has no value in the training rows: its missing cells become 0", t->path, c->name);
  else if (k && impute == PREP_MEAN)
    c->fill = sum / (double)k;
  else if (k) {
    qsort(v, k, sizeof *v, cmp_double);
    if (impute == PREP_MEDIAN) {
      c->fill = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
    } else { /* most frequent: the longest run of the sorted values, the first on ties */
      size_t best = 0, best_len = 0;
      for (size_t a = 0; a < k;) {
        size_t b = a;
        while (b < k && v[b] == v[a]) b++;
        if (b - a > best_len) best = a, best_len = b - a;
        a = b;
      }
      c->fill = v[best];
    }
  }
  free(v);
  return TR_OK;
}

/* The kept and rare categories of categorical column j over rows, and its fill level. */
static tr_err fit_categorical(const tbl *t, size_t j, const size_t *rows, size_t n, const prep_params *p,
                              prep_column *c) {
  const tbl_column *tc = &t->col[j];
  level_count *lc = calloc(tc->n_levels ? tc->n_levels : 1, sizeof *lc);
  if (!lc) return tr_error_set(TR_ENOMEM, t->path, "out of memory");
  for (size_t k = 0; k < tc->n_levels; k++) lc[k].name = tc->levels[k];
  for (size_t i = 0; i < n; i++) {
    float x = t->v[rows[i] * t->cols + j];
    if (isnan(x)) c->missing++;
    else lc[(size_t)x].count++;
  }
  qsort(lc, tc->n_levels, sizeof *lc, cmp_count);
  size_t seen = 0;
  while (seen < tc->n_levels && lc[seen].count) seen++;
  size_t keep = seen;
  if (p->max_categories && seen > p->max_categories) keep = p->max_categories - 1;
  tr_err rc = TR_OK;
  c->kept = calloc(keep ? keep : 1, sizeof *c->kept);
  c->rare = calloc(seen - keep ? seen - keep : 1, sizeof *c->rare);
  if (!c->kept || !c->rare) rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
  for (size_t k = 0; rc == TR_OK && k < seen; k++) {
    char *s = strdup(lc[k].name);
    if (!s) rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
    else if (k < keep) c->kept[c->n_kept++] = s;
    else c->rare[c->n_rare++] = s;
  }
  if (rc == TR_OK && seen && !(c->fill_level = strdup(lc[0].name))) rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
  if (rc == TR_OK) {
    qsort(c->kept, c->n_kept, sizeof *c->kept, cmp_str);
    qsort(c->rare, c->n_rare, sizeof *c->rare, cmp_str);
  }
  free(lc);
  return rc;
}

/* The output names of p (after fitting or loading). */
static tr_err name_outputs(prep *p) {
  size_t n = 0;
  for (size_t j = 0; j < p->n_cols; j++)
    n += (p->col[j].kind == TBL_CATEGORICAL ? p->col[j].n_kept + 1 : 1) + p->col[j].indicator;
  p->outputs = n;
  if (!(p->out_names = calloc(n ? n : 1, sizeof *p->out_names))) return tr_error_set(TR_ENOMEM, "prep", "out of memory");
  size_t k = 0;
  for (size_t j = 0; j < p->n_cols; j++) {
    const prep_column *c = &p->col[j];
    int bad = 0;
    if (c->kind == TBL_NUMERIC) {
      bad |= !(p->out_names[k++] = strdup(c->name));
    } else {
      for (size_t l = 0; l < c->n_kept; l++) bad |= asprintf(&p->out_names[k++], "%s=%s", c->name, c->kept[l]) < 0;
      /* "other", unless a kept category has that name */
      bool clash = c->n_kept && bsearch(&(const char *){"other"}, c->kept, c->n_kept, sizeof *c->kept, cmp_str) != NULL;
      bad |= asprintf(&p->out_names[k++], clash ? "%s=(other)" : "%s=other", c->name) < 0;
    }
    if (c->indicator) bad |= asprintf(&p->out_names[k++], "%s_missing", c->name) < 0;
    if (bad) return tr_error_set(TR_ENOMEM, "prep", "out of memory");
  }
  return TR_OK;
}

tr_err prep_fit(const tbl *t, const size_t *rows, size_t n, const prep_params *params, const char *na_values,
                prep **out) {
  *out = NULL;
  prep *p = calloc(1, sizeof *p);
  if (!p) return tr_error_set(TR_ENOMEM, t->path, "out of memory");
  p->p = *params;
  p->fit_rows = n;
  p->n_cols = t->cols - (t->label != SIZE_MAX);
  tr_err rc = TR_OK;
  if (!(p->col = calloc(p->n_cols ? p->n_cols : 1, sizeof *p->col)) ||
      !(p->na_values = strdup(na_values ? na_values : TBL_DEFAULT_NA)))
    rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
  for (size_t j = 0, k = 0; rc == TR_OK && j < t->cols; j++) {
    if (j == t->label) continue;
    prep_column *c = &p->col[k++];
    c->kind = t->col[j].kind;
    if (!(c->name = strdup(t->col[j].name))) {
      rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
      break;
    }
    rc = c->kind == TBL_NUMERIC ? fit_numeric(t, j, rows, n, params->impute, c) : fit_categorical(t, j, rows, n, params, c);
    if (rc == TR_OK && c->missing && params->impute == PREP_FAIL) {
      for (size_t i = 0; i < n; i++)
        if (isnan(t->v[rows[i] * t->cols + j])) {
          rc = tr_error_at(TR_EINPUT, t->path, t->line[rows[i]], "empty cell in column %zu \"%s\" (data.impute = fail)",
                           j + 1, c->name);
          break;
        }
    }
    c->indicator = params->add_indicator && c->missing > 0;
  }
  if (rc == TR_OK) rc = name_outputs(p);
  if (rc != TR_OK) prep_free(&p);
  *out = p;
  return rc;
}

/* The error for a categorical (text) column s of t where the model has a numeric one:
 * at the first cell that is not a number (or, when every cell reads as one, the first
 * that is not missing), with its file line for a CSV file and its row for another. */
static tr_err text_in_numeric(const tbl *t, size_t s) {
  const tbl_column *tc = &t->col[s];
  size_t at = SIZE_MAX;
  for (size_t i = 0; i < t->rows; i++) {
    float v = t->v[i * t->cols + s];
    if (isnan(v)) continue;
    const char *text = tc->levels[(size_t)v];
    double x;
    if (!txt_parse_number(text, text + strlen(text), &x)) {
      at = i;
      break;
    }
    if (at == SIZE_MAX) at = i;
  }
  const char *cell = at == SIZE_MAX ? "" : tc->levels[(size_t)t->v[at * t->cols + s]];
  int shown = strlen(cell) > 40 ? 40 : (int)strlen(cell);
  const char *more = strlen(cell) > 40 ? "..." : "";
  if (at != SIZE_MAX && ds_format_of(t->path) == DS_FORMAT_CSV)
    return tr_error_at(TR_EINPUT, t->path, t->line[at], "column \"%s\" holds text (\"%.*s%s\"); the model's \"%s\" is numeric",
                       tc->name, shown, cell, more, tc->name);
  if (at != SIZE_MAX)
    return tr_error_set(TR_EINPUT, t->path, "column \"%s\" holds text (\"%.*s%s\" in row %zu); the model's \"%s\" is numeric",
                        tc->name, shown, cell, more, at + 1, tc->name);
  return tr_error_set(TR_EINPUT, t->path, "column \"%s\" holds text; the model's \"%s\" is numeric", tc->name, tc->name);
}

/* One output column's source: the table column, and for a categorical one the output
 * offset (within its block) of each of the table column's levels. */
typedef struct {
  size_t src;        /* table column */
  size_t *slot;      /* categorical: per level, 0..n_kept-1, or n_kept (other) */
  bool *unknown;     /* categorical: per level, true when never seen in training */
  size_t fill_slot;  /* categorical: where a missing cell goes */
  char **num_text;   /* a numeric table column for a categorical model column: unused */
} col_map;

/* The slot of category s in c: its kept index, or n_kept (other); *unknown when s is
 * neither kept nor rare. */
static size_t slot_of(const prep_column *c, const char *s, bool *unknown) {
  char *const *hit = c->n_kept ? bsearch(&s, c->kept, c->n_kept, sizeof *c->kept, cmp_str) : NULL;
  if (hit) {
    *unknown = false;
    return (size_t)(hit - c->kept);
  }
  *unknown = !c->n_rare || bsearch(&s, c->rare, c->n_rare, sizeof *c->rare, cmp_str) == NULL;
  return c->n_kept;
}

tr_err prep_apply(const prep *p, const tbl *t, const size_t *rows, size_t n, ds_dataset **out, size_t *unknown,
                  size_t *imputed) {
  *out = NULL;
  if (!rows) n = t->rows;
  col_map *m = calloc(p->n_cols ? p->n_cols : 1, sizeof *m);
  if (!m) return tr_error_set(TR_ENOMEM, t->path, "out of memory");
  tr_err rc = TR_OK;
  for (size_t j = 0; rc == TR_OK && j < p->n_cols; j++) {
    const prep_column *c = &p->col[j];
    size_t s = tbl_find(t, c->name);
    if (s == SIZE_MAX || s == t->label) {
      rc = tr_error_set(TR_EINPUT, t->path, "has no column \"%s\" (a feature of the model)", c->name);
      break;
    }
    m[j].src = s;
    const tbl_column *tc = &t->col[s];
    if (c->kind == TBL_NUMERIC && tc->kind == TBL_CATEGORICAL) {
      rc = text_in_numeric(t, s);
      break;
    }
    if (c->kind == TBL_CATEGORICAL) {
      bool dummy;
      m[j].fill_slot = c->fill_level ? slot_of(c, c->fill_level, &dummy) : c->n_kept;
      if (tc->kind == TBL_CATEGORICAL) {
        m[j].slot = malloc((tc->n_levels ? tc->n_levels : 1) * sizeof *m[j].slot);
        m[j].unknown = malloc((tc->n_levels ? tc->n_levels : 1) * sizeof *m[j].unknown);
        if (!m[j].slot || !m[j].unknown) {
          rc = tr_error_set(TR_ENOMEM, t->path, "out of memory");
          break;
        }
        for (size_t l = 0; l < tc->n_levels; l++) m[j].slot[l] = slot_of(c, tc->levels[l], &m[j].unknown[l]);
      }
    }
  }
  ds_dataset *d = rc == TR_OK ? ds_new(n, p->outputs, false) : NULL;
  if (rc == TR_OK && !d) rc = tr_error_code();
  if (rc == TR_OK) rc = ds_set_feature_names(d, (const char *const *)p->out_names);
  size_t filled = 0;
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    size_t r = rows ? rows[i] : i;
    const float *src = t->v + r * t->cols;
    float *x = d->X + i * p->outputs;
    for (size_t j = 0; j < p->n_cols; j++) {
      const prep_column *c = &p->col[j];
      float v = src[m[j].src];
      bool missing = isnan(v);
      filled += missing;
      if (c->kind == TBL_NUMERIC) {
        *x++ = missing ? (float)c->fill : v;
      } else {
        size_t slot;
        if (missing) {
          slot = m[j].fill_slot;
        } else if (m[j].slot) {
          slot = m[j].slot[(size_t)v];
          if (unknown && m[j].unknown[(size_t)v]) unknown[j]++;
        } else { /* a numeric table column (HDF5, npy) for a categorical model column */
          char text[64];
          bool unk;
          snprintf(text, sizeof text, "%.9g", v);
          slot = slot_of(c, text, &unk);
          if (unknown && unk) unknown[j]++;
        }
        x[slot] = 1.0f;
        x += c->n_kept + 1;
      }
      if (c->indicator) *x++ = missing ? 1.0f : 0.0f;
    }
  }
  for (size_t j = 0; j < p->n_cols; j++) {
    free(m[j].slot);
    free(m[j].unknown);
  }
  free(m);
  if (rc != TR_OK) {
    ds_free(&d);
    return rc;
  }
  if (imputed) *imputed += filled;
  *out = d;
  return TR_OK;
}

/* ---------------------------------------------------------------- model.h5 /prep */

/* Group path, created with its parents. */
static hid_t make_group(hid_t f, const char *name) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl < 0) return -1;
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t g = H5Gcreate2(f, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  return g;
}

static herr_t put_strings(hid_t g, const char *name, char *const *v, size_t n) {
  if (n == 0) return 0; /* absent: none */
  return h5u_put_strings_attr(g, name, v, n, "model file") == TR_OK ? 0 : -1;
}

herr_t prep_h5_save(hid_t f, const prep *p) {
  hid_t g = make_group(f, "prep");
  if (g < 0) return -1;
  herr_t bad = 0;
  long n_cols = (long)p->n_cols, fit_rows = (long)p->fit_rows, maxc = (long)p->p.max_categories,
       ind = p->p.add_indicator, outputs = (long)p->outputs;
  bad |= h5u_put_string_attr(g, "impute", prep_impute_name(p->p.impute));
  bad |= h5u_put_longs_attr(g, "add_indicator", &ind, 1, true);
  bad |= h5u_put_longs_attr(g, "max_categories", &maxc, 1, true);
  bad |= h5u_put_longs_attr(g, "fit_rows", &fit_rows, 1, true);
  bad |= h5u_put_longs_attr(g, "n_columns", &n_cols, 1, true);
  bad |= h5u_put_longs_attr(g, "outputs", &outputs, 1, true);
  bad |= h5u_put_string_attr(g, "na_values", p->na_values ? p->na_values : TBL_DEFAULT_NA);
  char **names = calloc(p->n_cols ? p->n_cols : 1, sizeof *names), **kinds = calloc(p->n_cols ? p->n_cols : 1, sizeof *kinds);
  double *fill = calloc(p->n_cols ? p->n_cols : 1, sizeof *fill);
  long *indicator = calloc(p->n_cols ? p->n_cols : 1, sizeof *indicator), *missing = calloc(p->n_cols ? p->n_cols : 1, sizeof *missing);
  if (!names || !kinds || !fill || !indicator || !missing) bad = -1;
  for (size_t j = 0; bad >= 0 && j < p->n_cols; j++) {
    const prep_column *c = &p->col[j];
    names[j] = c->name;
    kinds[j] = c->kind == TBL_NUMERIC ? "numeric" : "categorical";
    fill[j] = c->kind == TBL_NUMERIC ? c->fill : NAN;
    indicator[j] = c->indicator;
    missing[j] = (long)c->missing;
    if (c->kind != TBL_CATEGORICAL) continue;
    char name[64];
    snprintf(name, sizeof name, "prep/categories/%zu", j);
    hid_t cg = make_group(f, name);
    if (cg < 0) {
      bad = -1;
      break;
    }
    long nk = (long)c->n_kept, nr = (long)c->n_rare;
    bad |= h5u_put_longs_attr(cg, "n_kept", &nk, 1, true);
    bad |= h5u_put_longs_attr(cg, "n_rare", &nr, 1, true);
    bad |= put_strings(cg, "kept", c->kept, c->n_kept);
    bad |= put_strings(cg, "rare", c->rare, c->n_rare);
    if (c->fill_level) bad |= h5u_put_string_attr(cg, "fill", c->fill_level);
    H5Gclose(cg);
  }
  if (bad >= 0 && p->n_cols) {
    bad |= put_strings(g, "columns", names, p->n_cols);
    bad |= put_strings(g, "kinds", kinds, p->n_cols);
    bad |= h5u_put_array(g, "fill", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p->n_cols, 0, fill);
    bad |= h5u_put_longs_attr(g, "indicator", indicator, p->n_cols, false);
    bad |= h5u_put_longs_attr(g, "missing_train", missing, p->n_cols, false);
  }
  free(names);
  free(kinds);
  free(fill);
  free(indicator);
  free(missing);
  H5Gclose(g);
  return bad < 0 ? -1 : 0;
}

static long get_long(hid_t g, const char *name, long dflt) {
  long v;
  return h5u_get_longs_attr(g, name, &v, 1) == 1 ? v : dflt;
}

tr_err prep_h5_load(hid_t f, const char *path, prep **out) {
  *out = NULL;
  h5u_quiet();
  if (H5Lexists(f, "prep", H5P_DEFAULT) <= 0) return TR_OK;
  hid_t g = H5Gopen2(f, "prep", H5P_DEFAULT);
  if (g < 0) return tr_error_set(TR_EINPUT, path, "model file has a damaged /prep group");
  prep *p = calloc(1, sizeof *p);
  tr_err rc = p ? TR_OK : tr_error_set(TR_ENOMEM, path, "out of memory");
  char imp[32] = "";
  char **names = NULL, **kinds = NULL;
  long n_cols = get_long(g, "n_columns", -1), outputs = get_long(g, "outputs", -1);
  long *indicator = NULL, *missing = NULL;
  double *fill = NULL;
  if (rc == TR_OK && (n_cols < 0 || n_cols > 10000000 || outputs < 0))
    rc = tr_error_set(TR_EINPUT, path, "model file's /prep has damaged metadata");
  if (rc == TR_OK) {
    h5u_get_string_attr(g, "impute", imp, sizeof imp);
    int known = -1;
    for (int k = 0; k < 4; k++)
      if (!strcmp(imp, impute_names[k])) known = k;
    if (known < 0) rc = tr_error_set(TR_EINPUT, path, "model file's /prep is damaged (impute \"%s\")", imp);
    p->p.impute = known < 0 ? PREP_MEAN : known;
    p->p.add_indicator = get_long(g, "add_indicator", 0) != 0;
    p->p.max_categories = (size_t)get_long(g, "max_categories", 0);
    p->fit_rows = (size_t)get_long(g, "fit_rows", 0);
    p->na_values = h5u_get_string_attr_dup(g, "na_values");
    p->n_cols = (size_t)n_cols;
    size_t nc = p->n_cols ? p->n_cols : 1;
    p->col = calloc(nc, sizeof *p->col);
    fill = calloc(nc, sizeof *fill);
    indicator = calloc(nc, sizeof *indicator);
    missing = calloc(nc, sizeof *missing);
    if (!p->na_values || !p->col || !fill || !indicator || !missing) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  if (rc == TR_OK && p->n_cols) {
    if ((rc = h5u_get_strings_attr(g, "columns", p->n_cols, &names, path)) == TR_OK)
      rc = h5u_get_strings_attr(g, "kinds", p->n_cols, &kinds, path);
    if (rc == TR_OK && (!names || !kinds || !h5u_get_array(g, "fill", H5T_NATIVE_DOUBLE, p->n_cols, fill) ||
                        h5u_get_longs_attr(g, "indicator", indicator, p->n_cols) != (long)p->n_cols))
      rc = tr_error_set(TR_EINPUT, path, "model file's /prep columns are damaged");
    if (rc == TR_OK) h5u_get_longs_attr(g, "missing_train", missing, p->n_cols);
  }
  for (size_t j = 0; rc == TR_OK && j < p->n_cols; j++) {
    prep_column *c = &p->col[j];
    c->name = names[j];
    names[j] = NULL;
    if (strcmp(kinds[j], "categorical") && strcmp(kinds[j], "numeric")) {
      rc = tr_error_set(TR_EINPUT, path, "model file's /prep is damaged (column \"%s\" of kind \"%s\")", c->name,
                        kinds[j]);
      break;
    }
    c->kind = !strcmp(kinds[j], "categorical") ? TBL_CATEGORICAL : TBL_NUMERIC;
    c->fill = fill[j];
    c->indicator = indicator[j] != 0;
    c->missing = missing[j] > 0 ? (size_t)missing[j] : 0;
    if (c->kind == TBL_NUMERIC) {
      if (!isfinite(c->fill)) rc = tr_error_set(TR_EINPUT, path, "model file's /prep fill of \"%s\" is not finite", c->name);
      continue;
    }
    char name[64];
    snprintf(name, sizeof name, "categories/%zu", j);
    hid_t cg = H5Lexists(g, "categories", H5P_DEFAULT) > 0 && H5Lexists(g, name, H5P_DEFAULT) > 0
                   ? H5Gopen2(g, name, H5P_DEFAULT) : H5I_INVALID_HID;
    long nk = cg < 0 ? -1 : get_long(cg, "n_kept", -1), nr = cg < 0 ? -1 : get_long(cg, "n_rare", -1);
    if (nk < 0 || nr < 0 || nk > TBL_MAX_LEVELS || nr > TBL_MAX_LEVELS) {
      rc = tr_error_set(TR_EINPUT, path, "model file's /prep categories of \"%s\" are damaged", c->name);
    } else {
      c->n_kept = (size_t)nk;
      c->n_rare = (size_t)nr;
      if (nk && (rc = h5u_get_strings_attr(cg, "kept", c->n_kept, &c->kept, path)) == TR_OK && !c->kept)
        rc = tr_error_set(TR_EINPUT, path, "model file's /prep categories of \"%s\" are damaged", c->name);
      if (rc == TR_OK && nr && (rc = h5u_get_strings_attr(cg, "rare", c->n_rare, &c->rare, path)) == TR_OK && !c->rare)
        rc = tr_error_set(TR_EINPUT, path, "model file's /prep categories of \"%s\" are damaged", c->name);
      if (rc != TR_OK) c->n_kept = c->kept ? c->n_kept : 0, c->n_rare = c->rare ? c->n_rare : 0;
      c->fill_level = h5u_get_string_attr_dup(cg, "fill");
      /* kept sorted for the lookups, whatever wrote the file */
      if (c->kept) qsort(c->kept, c->n_kept, sizeof *c->kept, cmp_str);
      if (c->rare) qsort(c->rare, c->n_rare, sizeof *c->rare, cmp_str);
    }
    if (cg >= 0) H5Gclose(cg);
  }
  if (names) h5u_free_strings(names, p->n_cols);
  if (kinds) h5u_free_strings(kinds, p->n_cols);
  free(fill);
  free(indicator);
  free(missing);
  H5Gclose(g);
  if (rc == TR_OK) rc = name_outputs(p);
  if (rc == TR_OK && p->outputs != (size_t)outputs)
    rc = tr_error_set(TR_EINPUT, path, "model file's /prep makes %zu features, it says %ld (damaged)", p->outputs, outputs);
  if (rc != TR_OK) prep_free(&p);
  *out = p;
  return rc;
}
