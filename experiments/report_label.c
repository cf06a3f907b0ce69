/* The report of a sweep, naming its runs and placing the names. A run's label says what
 * tells it apart from the other runs of the report, not its point id: the variant when
 * variants differ, the settings that differ between runs of one variant (point.set, else
 * the resolved job of provenance.job; shortened: model.type=mlp -> "mlp", optimizer.lr=0.01
 * -> "lr 0.01", early_stopping.enabled=false -> "early stopping off"), the backend when
 * backends differ, the priced instance when measured runs differ in it, "2 ranks" when
 * rank counts differ, "spot" when spot differs, and "@c5.xlarge" for a run projected onto
 * another instance type. Runs alike in every way keep their id as a suffix. Labels beside
 * the points of a figure are placed so that none overprints another or a marker
 * (report_place_labels). */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/report_internal.h"

/* At most this many distinct settings are compared (a hostile results.jsonl may name
 * thousands; labels then fall back to ids for uniqueness). */
#define MAX_KEYS 64

/* What differs between the runs of a report. */
typedef struct {
  const char *keys[MAX_KEYS]; /* settings "SECTION.KEY" that differ (borrowed from the records) */
  size_t n_keys;
  bool variant, kind, ranks, spot, instance;
} label_dims;

/* A projected train run: a measured one carried over to another instance type. */
static bool is_rightsized(const run_record *r) { return report_is_train(r) && !report_is_measured(r); }

/* The resolved job's SECTION.KEY of r (provenance.job), NULL when not recorded. */
static const cJSON *job_setting(const run_record *r, const char *key) {
  const cJSON *job = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->obj, "provenance"), "job");
  const char *dot = strchr(key, '.');
  const cJSON *sec;
  if (!dot) return NULL;
  cJSON_ArrayForEach(sec, job) {
    if (sec->string && strlen(sec->string) == (size_t)(dot - key) && !strncmp(sec->string, key, (size_t)(dot - key)))
      return cJSON_GetObjectItemCaseSensitive(sec, dot + 1);
  }
  return NULL;
}

/* The value of setting key in r (malloc'd): the run's backend for storage.backend, else
 * point.set's value, else the resolved job's; NULL when none is recorded. Sets *oom when
 * out of memory. */
static char *setting(const run_record *r, const char *key, bool *oom) {
  const cJSON *v = NULL;
  char *s = NULL;
  if (!strcmp(key, "storage.backend") && *r->backend) s = strdup(r->backend);
  else if ((v = cJSON_GetObjectItemCaseSensitive(r->set, key)) || (v = job_setting(r, key)))
    s = cJSON_IsString(v) ? strdup(v->valuestring) : cJSON_PrintUnformatted(v);
  else
    return NULL;
  if (!s) *oom = true;
  return s;
}

/* Settings a label says in its own words: the rank count, spot and the instance. */
static bool own_dimension(const char *key) {
  return !strcmp(key, "ranks") || !strcmp(key, "cost.spot") || !strcmp(key, "cost.instance");
}

/* Orders run indices by (variant, kind): runs of one variant and kind stand together. */
static int by_variant_kind(const void *a, const void *b, void *ctx) {
  const run_record *r = ctx, *x = &r[*(const size_t *)a], *y = &r[*(const size_t *)b];
  int c = strcmp(x->variant, y->variant);
  return c ? c : strcmp(x->kind, y->kind);
}

/* Whether setting key differs between two runs of the same variant and kind (ord: the
 * runs in by_variant_kind order). A setting that follows from the variant (its
 * model.type) says nothing the variant does not. */
static bool key_differs(const run_records *rs, const size_t *ord, const char *key, bool *oom) {
  char *first = NULL;
  bool differs = false;
  for (size_t j = 0; j < rs->n && !differs && !*oom; j++) {
    const run_record *r = &rs->r[ord[j]];
    char *v = setting(r, key, oom);
    if (j == 0 || by_variant_kind(&ord[j - 1], &ord[j], rs->r) != 0) {
      free(first);
      first = v;
      continue;
    }
    differs = (first == NULL) != (v == NULL) || (first && strcmp(first, v) != 0);
    free(v);
  }
  free(first);
  return differs;
}

static tr_err find_dims(const run_records *rs, label_dims *d) {
  memset(d, 0, sizeof *d);
  const run_record *r0 = &rs->r[0], *m0 = NULL;
  const char *candidates[MAX_KEYS];
  size_t n_cand = 0;
  for (size_t i = 0; i < rs->n; i++) {
    const run_record *r = &rs->r[i];
    d->variant |= strcmp(r->variant, r0->variant) != 0;
    d->kind |= strcmp(r->kind, r0->kind) != 0;
    d->spot |= r->spot != r0->spot;
    if (!is_rightsized(r)) {
      if (!m0) m0 = r;
      d->ranks |= r->ranks != m0->ranks;
      d->instance |= strcmp(r->instance, m0->instance) != 0;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, r->set) {
      if (!it->string || own_dimension(it->string)) continue;
      size_t k = 0;
      while (k < n_cand && strcmp(candidates[k], it->string) != 0) k++;
      if (k == n_cand && n_cand < MAX_KEYS - 1) candidates[n_cand++] = it->string;
    }
  }
  /* the backend, where no setting chose it (the base job's) */
  size_t k = 0;
  while (k < n_cand && strcmp(candidates[k], "storage.backend") != 0) k++;
  if (k == n_cand) candidates[n_cand++] = "storage.backend";
  size_t *ord = malloc(rs->n * sizeof *ord);
  if (!ord) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; i < rs->n; i++) ord[i] = i;
  qsort_r(ord, rs->n, sizeof *ord, by_variant_kind, rs->r);
  bool oom = false;
  for (k = 0; k < n_cand && !oom; k++)
    if (key_differs(rs, ord, candidates[k], &oom)) d->keys[d->n_keys++] = candidates[k];
  free(ord);
  return oom ? tr_error_set(TR_ENOMEM, "report", "out of memory") : TR_OK;
}

/* A setting in a few words: a named choice by its name ("mlp", "s3"), a switch by what it
 * switches ("early stopping off", "standardize on"), anything else as "KEY VALUE" with
 * the key's last part ("lr 0.01", "hidden 64,32"). */
static void say_setting(FILE *f, const char *key, const char *v) {
  const char *last = strrchr(key, '.');
  last = last ? last + 1 : key;
  bool on = !strcmp(v, "true"), off = !strcmp(v, "false");
  if ((on || off) && !strcmp(last, "enabled") && last > key) {
    for (const char *c = key; *c != '.'; c++) fputc(*c == '_' ? ' ' : *c, f);
    fputs(on ? " on" : " off", f);
  } else if (on || off) {
    fprintf(f, "%s %s", last, on ? "on" : "off");
  } else if (isalpha((unsigned char)*v)) {
    fputs(v, f);
  } else {
    fprintf(f, "%s %s", last, v);
  }
}

/* The label of r from what differs (malloc'd; "" when nothing does; NULL on ENOMEM). */
static char *label_of(const run_record *r, const label_dims *d, bool with_ranks) {
  report_buf m;
  if (report_buf_open(&m) != TR_OK) return NULL;
  const char *sep = "";
  bool oom = false;
#define PART(...) (fputs(sep, m.f), fprintf(m.f, __VA_ARGS__), sep = ", ")
  if (d->variant && *r->variant) PART("%s", r->variant);
  if (d->kind && !report_is_train(r)) PART("%s", r->kind);
  for (size_t k = 0; k < d->n_keys; k++) {
    char *v = setting(r, d->keys[k], &oom);
    if (v) {
      fputs(sep, m.f);
      say_setting(m.f, d->keys[k], v);
      sep = ", ";
    }
    free(v);
  }
  if (d->instance && !is_rightsized(r) && *r->instance) PART("%s", r->instance);
  if (with_ranks && d->ranks && !is_rightsized(r)) PART("%d rank%s", r->ranks, r->ranks == 1 ? "" : "s");
  if (d->spot && r->spot) PART("spot");
  /* a projection alone: what was projected, then where ("mlp @c5.xlarge") */
  if (is_rightsized(r) && !*sep && *r->variant) PART("%s", r->variant);
  if (is_rightsized(r)) fprintf(m.f, "%s@%s", *sep ? " " : "", r->instance);
#undef PART
  char *s = report_buf_close(&m);
  if (oom) {
    free(s);
    return NULL;
  }
  return s;
}

static int by_label(const void *a, const void *b, void *ctx) {
  char *const *labels = ctx;
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  int c = strcmp(labels[x], labels[y]);
  return c ? c : (x > y) - (x < y);
}

/* Makes labels unique: every label two runs share gets each run's id as a suffix. */
static tr_err suffix_ids(const run_records *rs, char **labels) {
  size_t *ord = malloc(rs->n * sizeof *ord);
  if (!ord) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; i < rs->n; i++) ord[i] = i;
  qsort_r(ord, rs->n, sizeof *ord, by_label, labels);
  bool *dup = calloc(rs->n, sizeof *dup);
  for (size_t j = 1; dup && j < rs->n; j++)
    if (!strcmp(labels[ord[j]], labels[ord[j - 1]])) dup[ord[j]] = dup[ord[j - 1]] = true;
  tr_err rc = dup ? TR_OK : tr_error_set(TR_ENOMEM, "report", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < rs->n; i++) {
    if (!dup[i]) continue;
    char *l = report_printf("%s (%s)", labels[i], rs->r[i].id);
    if (!l) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
    else {
      free(labels[i]);
      labels[i] = l;
    }
  }
  free(dup);
  free(ord);
  return rc;
}

tr_err report_label_runs(report *rep) {
  const run_records *rs = &rep->rs;
  if (rs->n == 0) return TR_OK;
  rep->labels = calloc(rs->n, sizeof *rep->labels);
  rep->config_labels = calloc(rs->n, sizeof *rep->config_labels);
  if (!rep->labels || !rep->config_labels) return tr_error_set(TR_ENOMEM, "report", "out of memory");
  label_dims d;
  tr_err rc = find_dims(rs, &d);
  for (size_t i = 0; rc == TR_OK && i < rs->n; i++) {
    const run_record *r = &rs->r[i];
    char *l = label_of(r, &d, true), *c = label_of(r, &d, false);
    /* nothing differs: the variant says what the run is, else its id */
    if (l && !*l) {
      free(l);
      l = strdup(*r->variant ? r->variant : r->id);
    }
    if (c && !*c) {
      free(c);
      c = strdup(*r->variant ? r->variant : "runs");
    }
    rep->labels[i] = l;
    rep->config_labels[i] = c;
    if (!l || !c) rc = tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  return rc == TR_OK ? suffix_ids(rs, rep->labels) : rc;
}

/* ---- placing labels ------------------------------------------------------------------ */

/* Half the side of the square a marker covers, the gap between a marker's centre and its
 * label, and the space between two labels one above the other (pixels). */
#define MARKER_PX 7.0
#define GAP_PX 9.0
#define LEADING_PX 2.0
/* A label is pushed at most this many lines from its point (a longer leader is hard to
 * follow): beyond, it is left out. */
#define MAX_PUSH 6

typedef struct {
  double x0, y0, x1, y1;
} box;

static bool overlap(const box *a, const box *b) {
  return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* The box of label b at vertical offset dy from its point: right of it, left of it, or
 * (side 2) starting just left of it, as over or under it. */
static box box_at(const report_label_box *b, double dy, int side) {
  double yc = b->y + dy;
  box r = {side == 0 ? b->x + GAP_PX : side == 1 ? b->x - GAP_PX - b->w : b->x - MARKER_PX, yc - b->h / 2, 0,
           yc + b->h / 2};
  r.x1 = r.x0 + b->w;
  return r;
}

static int by_marker_x(const void *a, const void *b) {
  const double *x = a, *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Whether c is free: inside the plot (when bounded), clear of the placed boxes and (when
 * markers) of every marker; mk: the markers sorted by x, pairs (x, y). */
static bool is_free(const box *c, const box *placed, size_t n_placed, const double *mk, size_t n_mk, double w,
                    double h, bool bounded, bool markers) {
  if (bounded && (c->x0 < 0 || c->x1 > w || c->y0 < 0 || c->y1 > h)) return false;
  for (size_t j = 0; j < n_placed; j++)
    if (overlap(c, &placed[j])) return false;
  if (!markers) return true;
  /* the first marker whose square may reach the box */
  size_t lo = 0, hi = n_mk;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (mk[2 * mid] < c->x0 - MARKER_PX) lo = mid + 1;
    else hi = mid;
  }
  for (size_t j = lo; j < n_mk && mk[2 * j] <= c->x1 + MARKER_PX; j++) {
    box m = {mk[2 * j] - MARKER_PX, mk[2 * j + 1] - MARKER_PX, mk[2 * j] + MARKER_PX, mk[2 * j + 1] + MARKER_PX};
    if (overlap(c, &m)) return false;
  }
  return true;
}

static int by_priority_x_y(const void *a, const void *b, void *ctx) {
  const report_label_box *l = ctx, *x = &l[*(const size_t *)a], *y = &l[*(const size_t *)b];
  if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
  if (x->x != y->x) return x->x < y->x ? -1 : 1;
  if (x->y != y->y) return x->y > y->y ? -1 : 1; /* the top one first: the others go down */
  return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

tr_err report_place_labels(report_label_box *b, size_t n, const double *markers, size_t n_markers, double width,
                           double height) {
  size_t *ord = malloc((n ? n : 1) * sizeof *ord);
  box *placed = malloc((n ? n : 1) * sizeof *placed);
  double *mk = malloc((n_markers ? n_markers : 1) * 2 * sizeof *mk);
  if (!ord || !placed || !mk) {
    free(ord);
    free(placed);
    free(mk);
    return tr_error_set(TR_ENOMEM, "report", "out of memory");
  }
  memcpy(mk, markers, n_markers * 2 * sizeof *mk);
  qsort(mk, n_markers, 2 * sizeof *mk, by_marker_x);
  for (size_t i = 0; i < n; i++) ord[i] = i;
  qsort_r(ord, n, sizeof *ord, by_priority_x_y, b);
  for (size_t j = 0; j < n; j++) {
    report_label_box *l = &b[ord[j]];
    /* candidates: beside the point, a little above it or below, right then left; over
     * it, under it; then pushed down and up a line at a time, right or left (with a
     * leader). First strictly (inside, clear of labels and markers), then clear of
     * labels only, else nowhere: left out rather than overprinting. */
    double step = l->h + LEADING_PX, rise = 0.6 * l->h, clear = MARKER_PX + 1 + l->h / 2;
    const struct {
      double dy;
      int side;
    } near[] = {{rise, 0}, {rise - step, 0}, {rise, 1}, {rise - step, 1}, {clear, 2}, {-clear, 2}};
    int n_near = (int)(sizeof near / sizeof *near), levels = MAX_PUSH - 1;
    bool found = false;
    for (int pass = 0; pass < 2 && !found; pass++)
      for (int k = 0; k < n_near + 4 * levels && !found; k++) {
        /* beyond the near ones: levels -2, +2, -3, +3 ... below and above, right then left */
        int level = (k - n_near) / 2 / 2 + 2, side = k < n_near ? near[k].side : (k - n_near) % 2;
        double dy = k < n_near ? near[k].dy : rise + ((k - n_near) / 2 % 2 ? level : -level) * step;
        box c = box_at(l, dy, side);
        if (!is_free(&c, placed, j, mk, n_markers, width, height, true, pass == 0)) continue;
        placed[j] = c;
        l->left_of = side == 1;
        l->leader = k >= n_near;
        found = true;
      }
    l->placed = found;
    if (!found) { /* left out; a zero box stands in its place */
      placed[j] = (box){-1, -1, -1, -1};
      l->left_of = l->leader = false;
      l->lx = l->x, l->ly = l->y;
      continue;
    }
    l->lx = l->left_of ? placed[j].x1 : placed[j].x0;
    l->ly = (placed[j].y0 + placed[j].y1) / 2;
  }
  free(ord);
  free(placed);
  free(mk);
  return TR_OK;
}
