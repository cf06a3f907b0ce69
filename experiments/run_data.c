/* The data steps of a training run: load this rank's part of data.train (and data.test),
 * decide the task from the model type and every rank's labels and encode the labels as
 * class indexes, split train/validation/test (a function of the row and the seed only:
 * the same rows are tested at every rank count), count test rows duplicated in train,
 * standardize (the features, and a regression target, mapped back on output) with
 * scalers fitted on the training split over all ranks, and, for a job
 * with a [storage] section, wire the training batches through the storage stack. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/log.h"
#include "experiments/run_internal.h"
#include "io/files.h"
#include "io/load.h"
#include "io/table.h"

/* More distinct whole-number labels than this, with model.task = auto, and the task
 * decision is said out loud: a rounded quantity looks like many classes. */
#define RUN_AUTO_CLASSES_WARN 10

/* Loads data.<key> ("train" or "test"): this rank's part; labels required. */
static tr_err load(const run_state *r, const char *key, const char *path, ds_dataset **out) {
  const job *j = r->j;
  tr_err rc = job_check_path(j, key);
  if (rc != TR_OK) return rc;
  ds_load_opts o = {.x_dataset = j->data.x_dataset, .y_dataset = j->data.y_dataset,
                    .label_column = *j->data.label_column ? j->data.label_column : NULL};
  if ((rc = ds_load_part(path, &o, r->dist->rank, r->dist->size, out)) != TR_OK) return rc;
  if (!(*out)->y) {
    ds_free(out);
    return job_error(j, TR_EINPUT, "data", key, "%s has no labels", path);
  }
  return TR_OK;
}

/* The classes of every rank's labels, merged (sorted, distinct) on every rank. */
static tr_err merge_classes(run_state *r) {
  float *all = malloc((size_t)r->dist->size * (LABELS_MAX_CLASSES + 1) * sizeof(float));
  size_t n_all = 0;
  if (!all) return tr_error_set(TR_ENOMEM, "labels", "out of memory");
  tr_err rc = dist_allgather_floats(r->dist, r->classes, r->n_classes, all, &n_all);
  if (rc == TR_OK) r->n_classes = labels_merge(all, n_all, r->classes);
  free(all);
  return rc;
}

/* Replaces d's labels by class indexes; a value not among the classes is an error. */
static tr_err encode_labels(const run_state *r, ds_dataset *d, const char *key) {
  if (!d) return TR_OK;
  size_t bad = labels_encode(d->y, d->rows, r->classes, r->n_classes);
  if (bad == SIZE_MAX) return TR_OK;
  return job_error(r->j, TR_EINPUT, "data", key, "row %zu: label %g is not one of the training classes",
                   bad + 1, d->y[bad]);
}

/* Decides the task from the model type and every rank's labels (DESIGN.md: a mismatch
 * is exit 2). */
static tr_err decide_task(run_state *r, ds_dataset *all, ds_dataset *test) {
  const job *j = r->j;
  const char *type = cfg_str(j->src, "model", "type"); /* its name, for messages */
  size_t bad_row = SIZE_MAX;
  tr_err rc = labels_find(all->y, all->rows, r->classes, &r->n_classes, &bad_row);
  if (rc != TR_OK) return rc;
  bool integral = !dist_any(r->dist, bad_row != SIZE_MAX);
  if ((rc = merge_classes(r)) != TR_OK) return rc;
  int t = j->model.type, task = j->model.task;
  bool classify = t == JOB_LOGISTIC || t == JOB_SOFTMAX ||
                  (t == JOB_MLP && (task == JOB_TASK_CLASSIFICATION ||
                                    (task == JOB_TASK_AUTO && integral && r->n_classes <= LABELS_MAX_CLASSES)));
  if (t == JOB_LINEAR || !classify) {
    r->head = HEAD_REGRESSION;
    r->n_classes = 0;
    return TR_OK;
  }
  if (bad_row != SIZE_MAX)
    return job_error(j, TR_EINPUT, "data", "train",
                     "row %zu: label %g is not a whole number: %s needs class labels (use "
                     "model.type = linear, or mlp with model.task = regression, for a "
                     "real-valued target)", bad_row + 1, all->y[bad_row], type);
  if (!integral)
    return job_error(j, TR_EINPUT, "data", "train",
                     "another rank's labels are not whole numbers: %s needs class labels", type);
  if (r->n_classes > LABELS_MAX_CLASSES)
    return job_error(j, TR_EINPUT, "data", "train", "more than %d distinct labels", LABELS_MAX_CLASSES);
  if (r->n_classes < 2)
    return job_error(j, TR_EINPUT, "data", "train", "every label is %g: need at least 2 classes",
                     r->classes[0]);
  if (t == JOB_LOGISTIC && r->n_classes != 2)
    return job_error(j, TR_EINPUT, "model", "type",
                     "logistic needs 2 classes; the labels have %zu (use softmax or mlp)", r->n_classes);
  if (t == JOB_MLP && task == JOB_TASK_AUTO && r->n_classes > RUN_AUTO_CLASSES_WARN && !r->class_names)
    log_warn("data.train: the target has %zu distinct whole-number values (%g .. %g), so model.task = auto "
             "makes this a %zu-class classification; if it is a quantity (a price, a count), set "
             "model.task = regression", r->n_classes, r->classes[0], r->classes[r->n_classes - 1], r->n_classes);
  r->head = r->n_classes == 2 && t != JOB_SOFTMAX ? HEAD_BINARY : HEAD_MULTICLASS;
  rc = encode_labels(r, all, "train");
  return rc == TR_OK ? encode_labels(r, test, "test") : rc;
}

static tr_err sum_over_ranks(double *buf, size_t n, void *ctx) { return dist_sum_doubles(ctx, buf, n); }

/* The first global row of this rank's block (ranks hold consecutive blocks in order);
 * firsts (may be NULL; size + 1 of them) gets every rank's, and the total last. */
static tr_err first_global_row(const run_state *r, size_t local_rows, uint64_t *first, uint64_t *firsts) {
  int size = r->dist->size;
  double *counts = calloc((size_t)size, sizeof(double));
  if (!counts) return tr_error_set(TR_ENOMEM, "train", "out of memory");
  counts[r->dist->rank] = (double)local_rows;
  tr_err rc = dist_sum_doubles(r->dist, counts, (size_t)size);
  *first = 0;
  for (int i = 0; i < r->dist->rank; i++) *first += (uint64_t)counts[i];
  for (int i = 0; firsts && i <= size; i++) firsts[i] = i == 0 ? 0 : firsts[i - 1] + (uint64_t)counts[i - 1];
  free(counts);
  return rc;
}

/* Streaming: every rank's training rows, from the global split's (sorted) ids and the
 * ranks' blocks firsts[0..size]: the job's plan that every rank declares to the storage
 * (r->job_train, r->job_train_at). */
static tr_err job_train_rows(run_state *r, const size_t *ids, size_t n_ids, const uint64_t *firsts) {
  int size = r->dist->size;
  r->job_train = malloc((n_ids ? n_ids : 1) * sizeof *r->job_train);
  r->job_train_at = malloc(((size_t)size + 1) * sizeof *r->job_train_at);
  if (!r->job_train || !r->job_train_at) return tr_error_set(TR_ENOMEM, "split", "out of memory");
  size_t k = 0;
  for (int q = 0; q < size; q++) {
    while (k < n_ids && ids[k] < firsts[q]) k++; /* ids outside every block: none */
    r->job_train_at[q] = k;
    while (k < n_ids && ids[k] < firsts[q + 1]) {
      r->job_train[k] = ids[k];
      k++;
    }
  }
  r->job_train_at[size] = k;
  return TR_OK;
}

/* The global row ids [first, first + n) of this rank's block, taken from the sorted global
 * ids ids[0..n_ids) as local indexes (id - first) into *out (malloc'd), *n_out of them. */
static tr_err local_part(const size_t *ids, size_t n_ids, uint64_t first, size_t n, size_t **out, size_t *n_out) {
  size_t lo = 0, hi = n_ids;
  while (lo < hi) { /* the first id >= first */
    size_t mid = lo + (hi - lo) / 2;
    if (ids[mid] < first) lo = mid + 1;
    else hi = mid;
  }
  size_t k = 0;
  *out = malloc(((n_ids - lo) ? n_ids - lo : 1) * sizeof(size_t));
  if (!*out) return tr_error_set(TR_ENOMEM, "split", "out of memory");
  for (size_t i = lo; i < n_ids && ids[i] < first + n; i++) (*out)[k++] = ids[i] - (size_t)first;
  *n_out = k;
  return TR_OK;
}

/* h updated with one test row: its global id and its label's value, as 64-bit
 * little-endian integers (the label's double bits). */
static uint64_t digest_row(uint64_t h, uint64_t id, double label) {
  uint64_t bits;
  memcpy(&bits, &label, sizeof bits);
  unsigned char b[16];
  for (int k = 0; k < 8; k++) {
    b[k] = (unsigned char)(id >> (8 * k));
    b[8 + k] = (unsigned char)(bits >> (8 * k));
  }
  return digest_update(h, b, sizeof b);
}

/* The label value of an (encoded) label: a class index is mapped back to its class. */
static double label_value(const run_state *r, float y) {
  return r->head != HEAD_REGRESSION && y >= 0 && (size_t)y < r->n_classes ? r->classes[(size_t)y] : y;
}

/* The train/validation/test assignment of every row, the same whatever the rank count: the
 * labels of all ranks' blocks (in global row order) are split with the job's seed on every
 * rank, and each rank keeps the rows of its own block. Without a test file, the digest of
 * the test rows (their sorted global ids and labels, from the gathered labels); streaming,
 * the global row of each local training row into r->train_global. train_ids (may be NULL)
 * gets the global ids of every rank's training rows (malloc'd). */
static tr_err global_split(run_state *r, const ds_dataset *all, bool has_test, split_indices *local,
                           size_t **train_ids, size_t *n_train_ids) {
  const job *j = r->j;
  size_t total = 0, n_y = 0;
  uint64_t first = 0, *firsts = j->streams ? malloc(((size_t)r->dist->size + 1) * sizeof *firsts) : NULL;
  tr_err rc = j->streams && !firsts ? tr_error_set(TR_ENOMEM, "split", "out of memory") : TR_OK;
  if (rc == TR_OK) rc = dist_sum_size(r->dist, all->rows, &total);
  if (rc == TR_OK) rc = first_global_row(r, all->rows, &first, firsts);
  float *y = rc == TR_OK ? malloc((total ? total : 1) * sizeof(float)) : NULL;
  if (rc == TR_OK && !y) rc = tr_error_set(TR_ENOMEM, "split", "out of memory");
  if (rc == TR_OK) rc = dist_allgather_floats(r->dist, all->y, all->rows, y, &n_y);
  split_indices g = {0};
  if (rc == TR_OK)
    rc = split_make(y, n_y, j->data.val_fraction, has_test ? 0.0 : j->data.test_fraction,
                    j->data.stratify && r->head != HEAD_REGRESSION, (uint64_t)j->data.seed, &g);
  if (rc == TR_OK && !has_test) {
    uint64_t h = DIGEST_INIT;
    for (size_t i = 0; i < g.n_test; i++) h = digest_row(h, g.test[i], label_value(r, y[g.test[i]]));
    digest_hex(h, r->test_digest);
  }
  free(y);
  if (rc == TR_OK) rc = local_part(g.train, g.n_train, first, all->rows, &local->train, &local->n_train);
  if (rc == TR_OK) rc = local_part(g.val, g.n_val, first, all->rows, &local->val, &local->n_val);
  if (rc == TR_OK) rc = local_part(g.test, g.n_test, first, all->rows, &local->test, &local->n_test);
  if (rc == TR_OK && j->streams &&
      !(r->train_global = malloc((local->n_train ? local->n_train : 1) * sizeof(uint64_t))))
    rc = tr_error_set(TR_ENOMEM, "split", "out of memory");
  for (size_t i = 0; rc == TR_OK && j->streams && i < local->n_train; i++)
    r->train_global[i] = local->train[i] + first;
  if (rc == TR_OK && j->streams) rc = job_train_rows(r, g.train, g.n_train, firsts);
  free(firsts);
  if (rc == TR_OK && train_ids) { /* every rank's training rows: what the encoders fit on */
    *train_ids = g.train;
    *n_train_ids = g.n_train;
    g.train = NULL;
  }
  split_free(&g);
  return rc;
}

/* The digest of a separate test file's rows: the file as the job names it (data.test),
 * then every row 0 .. rows over all ranks with its label (gathered from every rank). */
static tr_err test_file_digest(run_state *r, const ds_dataset *test) {
  size_t total = 0, n_y = 0;
  tr_err rc = dist_sum_size(r->dist, test->rows, &total);
  float *y = rc == TR_OK ? malloc((total ? total : 1) * sizeof(float)) : NULL;
  if (rc == TR_OK && !y) rc = tr_error_set(TR_ENOMEM, "split", "out of memory");
  if (rc == TR_OK) rc = dist_allgather_floats(r->dist, test->y, test->rows, y, &n_y);
  if (rc == TR_OK) {
    const char *file = r->j->data.test;
    uint64_t h = digest_update(DIGEST_INIT, file, strlen(file) + 1);
    for (size_t i = 0; i < n_y; i++) h = digest_row(h, i, label_value(r, y[i]));
    digest_hex(h, r->test_digest);
  }
  free(y);
  return rc;
}

/* ---------------------------------------------------------------- CSV tables */

/* data.categorical as table options: auto, none, or names (auto plus these). names gets
 * the split names (malloc'd, *n of them). */
static tr_err categorical_opts(const job *j, tbl_opts *o, char ***names, size_t *n) {
  const char *spec = j->data.categorical;
  *names = NULL;
  *n = 0;
  while (*spec == ' ' || *spec == '\t') spec++;
  if (!*spec || !strcmp(spec, "auto")) return TR_OK;
  if (!strcmp(spec, "none")) {
    o->no_auto = true;
    return TR_OK;
  }
  for (const char *p = spec;;) {
    const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    const char *t = e;
    while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
    if (t > p) {
      char **grown = realloc(*names, (*n + 1) * sizeof *grown);
      if (!grown) return tr_error_set(TR_ENOMEM, "job", "out of memory");
      *names = grown;
      if (!((*names)[*n] = strndup(p, (size_t)(t - p)))) return tr_error_set(TR_ENOMEM, "job", "out of memory");
      (*n)++;
    }
    if (!c) break;
    p = c + 1;
  }
  return TR_OK;
}

/* data.<key> (a CSV) as a raw table, whole on every rank (text cannot seek; every rank
 * then fits the same encoders on the same training rows without a collective). The
 * training file is typed by data.categorical; a test file (like, given) by the training
 * table's types: its categorical columns (and label) as strings, the others numeric. */
static tr_err load_table(const run_state *r, const char *key, const char *path, const tbl *like, tbl **out) {
  const job *j = r->j;
  tr_err rc = job_check_path(j, key);
  if (rc != TR_OK) return rc;
  tbl_opts o = {.label_column = *j->data.label_column ? j->data.label_column : NULL, .na_values = j->data.na_values};
  char **names = NULL;
  size_t n = 0;
  const char **cats = NULL;
  if (!like) {
    rc = categorical_opts(j, &o, &names, &n);
    o.categorical = names;
    o.n_categorical = n;
  } else {
    if (!(cats = malloc((like->cols + 1) * sizeof *cats))) return tr_error_set(TR_ENOMEM, "job", "out of memory");
    size_t k = tbl_categorical_names(like, cats);
    if (like->col[like->label].kind == TBL_CATEGORICAL) cats[k++] = like->col[like->label].name;
    o.no_auto = true;
    o.categorical = (char *const *)cats;
    o.n_categorical = k;
    o.label_column = like->col[like->label].name;
  }
  if (rc == TR_OK && ds_format_of(path) == DS_FORMAT_HDF5) {
    /* HDF5: X's columns, the string datasets named in data.categorical (or, for a test
       file, the training table's), y as the label */
    tbl_h5_opts h = {.x_dataset = j->data.x_dataset, .y_dataset = j->data.y_dataset, .na_values = j->data.na_values};
    size_t k = 0;
    const char **hc = malloc(((like ? like->cols : n) + 1) * sizeof *hc);
    if (!hc) rc = tr_error_set(TR_ENOMEM, "job", "out of memory");
    for (size_t i = 0; hc && like && i < like->cols; i++)
      if (i != like->label && like->col[i].kind == TBL_CATEGORICAL) hc[k++] = like->col[i].name;
    for (size_t i = 0; hc && !like && i < n; i++) hc[k++] = names[i];
    h.categorical = (char *const *)hc;
    h.n_categorical = k;
    if (rc == TR_OK) rc = tbl_read_hdf5(path, &h, out);
    free(hc);
  } else if (rc == TR_OK) {
    rc = tbl_read_csv(path, &o, out);
  }
  if (rc == TR_OK && j->data.impute == PREP_FAIL && (rc = prep_check_missing(*out)) != TR_OK) tbl_free(out);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  free(cats);
  return rc;
}

/* This rank's block of t's rows as a data set of labels only (no features yet: they are
 * encoded after the split): the label column as labels, string values as class indexes
 * (the training file's sorted values: r->class_names, set from the training table). */
static tr_err table_labels(run_state *r, const tbl *t, const char *key, ds_dataset **out) {
  size_t start, count;
  ds_part_range(t->rows, r->dist->rank, r->dist->size, &start, &count);
  float *y = malloc((t->rows ? t->rows : 1) * sizeof *y);
  if (!y) return tr_error_set(TR_ENOMEM, "labels", "out of memory");
  char **names = NULL;
  size_t n_names = 0;
  tr_err rc = t->label == SIZE_MAX ? job_error(r->j, TR_EINPUT, "data", key, "%s has no labels", t->path)
                                   : tbl_labels(t, r->class_names, r->n_class_names, y, &names, &n_names);
  if (rc == TR_OK && names) {
    r->class_names = names;
    r->n_class_names = n_names;
  }
  if (rc == TR_OK && !(*out = ds_new(count, 0, true))) rc = tr_error_code();
  if (rc == TR_OK) {
    memcpy((*out)->y, y + start, count * sizeof *y);
    rc = ds_set_label_name(*out, t->col[t->label].name);
  }
  free(y);
  return rc;
}

/* The encoded features of local rows idx[0..n) of the block starting at global row first
 * of t, with labels y_of[idx[i]]; unknown and imputed counters added to (this split's). */
static tr_err encode_rows(const run_state *r, const tbl *t, size_t first, const size_t *idx, size_t n,
                          const ds_dataset *labels, double *counts, int split, ds_dataset **out) {
  size_t *ids = malloc((n ? n : 1) * sizeof *ids), cols = r->prep->n_cols, imputed = 0;
  size_t *unknown = calloc(cols ? cols : 1, sizeof *unknown);
  tr_err rc = ids && unknown ? TR_OK : tr_error_set(TR_ENOMEM, "prep", "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n; i++) ids[i] = first + idx[i];
  if (rc == TR_OK) rc = prep_apply(r->prep, t, ids, n, out, unknown, &imputed);
  if (rc == TR_OK && !((*out)->y = ds_alloc_floats(n))) rc = tr_error_set(TR_ENOMEM, "prep", "out of memory");
  if (rc == TR_OK) rc = ds_set_label_name(*out, labels->label_name);
  for (size_t i = 0; rc == TR_OK && i < n; i++) (*out)->y[i] = labels->y[idx[i]];
  if (rc == TR_OK) {
    counts[split] += (double)imputed;
    for (size_t c = 0; c < cols; c++) counts[3 + (size_t)split * cols + c] += (double)unknown[c];
  } else {
    ds_free(out);
  }
  free(ids);
  free(unknown);
  return rc;
}

/* A list of the first few columns with unknown categories in one split, for a warning. */
static void warn_unknown(const run_state *r, int split, const char *what) {
  size_t cols = r->prep->n_cols;
  double total = 0;
  char list[512] = "";
  size_t at = 0;
  for (size_t c = 0; c < cols; c++) {
    double u = r->prep_counts[3 + (size_t)split * cols + c];
    total += u;
    if (u > 0 && at < sizeof list - 64)
      at += (size_t)snprintf(list + at, sizeof list - at, "%s%s (%.0f)", at ? ", " : "", r->prep->col[c].name, u);
  }
  if (total > 0)
    log_warn("%.0f %s cells have categories the training rows never had, encoded as other: %s", total, what, list);
}

/* The table path of run_prepare_data: labels, task, split, then the encoders fitted on
 * every rank's training rows only and applied to each split (and a test file). */
static tr_err prepare_table(run_state *r, bool has_test, split_indices *s) {
  const job *j = r->j;
  tbl *t = NULL, *tt = NULL;
  ds_dataset *all = NULL, *test = NULL;
  size_t *train_ids = NULL, n_train_ids = 0, start, count, tstart = 0, tcount = 0;
  tr_err rc = load_table(r, "train", j->data.train, NULL, &t);
  if (rc == TR_OK) rc = table_labels(r, t, "train", &all);
  if (rc == TR_OK && has_test) {
    if (ds_format_of(j->data.test) != DS_FORMAT_CSV && ds_format_of(j->data.test) != DS_FORMAT_HDF5)
      rc = job_error(j, TR_EINPUT, "data", "test", "must be a CSV or HDF5 file (its columns are encoded by name)");
    else if ((rc = load_table(r, "test", j->data.test, t, &tt)) == TR_OK)
      rc = table_labels(r, tt, "test", &test);
  }
  if (rc == TR_OK && r->class_names && (j->model.type == JOB_LINEAR || j->model.task == JOB_TASK_REGRESSION))
    rc = job_error(j, TR_EINPUT, "data", "train", "the label column \"%s\" holds strings (\"%s\"...): a regression needs numbers",
                   all->label_name, r->class_names[0]);
  if (rc == TR_OK) rc = decide_task(r, all, test);
  if (rc == TR_OK) rc = global_split(r, all, has_test, s, &train_ids, &n_train_ids);
  if (rc == TR_OK && test) rc = test_file_digest(r, test);
  prep_params pp = {.impute = j->data.impute, .add_indicator = j->data.add_indicator,
                    .max_categories = (size_t)j->data.max_categories};
  const char *bad = prep_check_param(&pp);
  if (rc == TR_OK && bad) rc = job_error(j, TR_ECONFIG, "data", "max_categories", "%s", bad);
  if (rc == TR_OK) rc = prep_fit(t, train_ids, n_train_ids, &pp, j->data.na_values, &r->prep);
  if (rc == TR_OK && asprintf(&r->prep_fit_on, "the training split of data.train (%zu of its %zu rows)", n_train_ids, t->rows) < 0)
    rc = tr_error_set(TR_ENOMEM, "prep", "out of memory");
  size_t n_counts = 3 + 3 * (r->prep ? r->prep->n_cols : 0);
  if (rc == TR_OK && !(r->prep_counts = calloc(n_counts, sizeof *r->prep_counts)))
    rc = tr_error_set(TR_ENOMEM, "prep", "out of memory");
  ds_part_range(t ? t->rows : 0, r->dist->rank, r->dist->size, &start, &count);
  if (tt) ds_part_range(tt->rows, r->dist->rank, r->dist->size, &tstart, &tcount);
  if (rc == TR_OK) rc = encode_rows(r, t, start, s->train, s->n_train, all, r->prep_counts, 0, &r->train);
  if (rc == TR_OK) rc = encode_rows(r, t, start, s->val, s->n_val, all, r->prep_counts, 1, &r->val);
  if (rc == TR_OK && !tt) rc = encode_rows(r, t, start, s->test, s->n_test, all, r->prep_counts, 2, &r->test);
  size_t *every = NULL;
  if (rc == TR_OK && tt) {
    if (!(every = malloc((tcount ? tcount : 1) * sizeof *every))) rc = tr_error_set(TR_ENOMEM, "prep", "out of memory");
    for (size_t i = 0; rc == TR_OK && i < tcount; i++) every[i] = i;
    if (rc == TR_OK) rc = encode_rows(r, tt, tstart, every, tcount, test, r->prep_counts, 2, &r->test);
  }
  free(every);
  if (rc == TR_OK) rc = dist_sum_doubles(r->dist, r->prep_counts, n_counts);
  if (rc == TR_OK && r->dist->rank == 0) {
    warn_unknown(r, 1, "validation");
    warn_unknown(r, 2, "test");
  }
  free(train_ids);
  ds_free(&all);
  ds_free(&test);
  tbl_free(&t);
  tbl_free(&tt);
  return rc;
}

/* The table path (raw columns, encoders fitted on the training split) for a CSV, and for
 * one HDF5 file whose labels are strings or with string datasets named in
 * data.categorical. */
static bool uses_table(const job *j) {
  ds_format f = ds_format_of(j->data.train);
  if (f == DS_FORMAT_CSV) return true;
  if (f != DS_FORMAT_HDF5 || ds_is_shard_set(j->data.train)) return false;
  const char *c = j->data.categorical;
  while (*c == ' ' || *c == '\t') c++;
  bool named = *c && strcmp(c, "auto") != 0 && strcmp(c, "none") != 0;
  return tbl_hdf5_wants_table(j->data.train, j->data.y_dataset, named);
}

void run_data_free(run_state *r) {
  ds_free(&r->train);
  ds_free(&r->val);
  ds_free(&r->test);
  scaler_free(&r->scale);
  prep_free(&r->prep);
  free(r->prep_counts);
  free(r->prep_fit_on);
  tbl_free_names(r->class_names, r->n_class_names);
  r->prep_counts = NULL;
  r->prep_fit_on = NULL;
  r->class_names = NULL;
}

tr_err run_prepare_data(run_state *r) {
  const job *j = r->j;
  ds_dataset *all = NULL, *test = NULL;
  bool has_test = *j->data.test != '\0';
  split_indices s = {0};
  tr_err rc = TR_OK;
  if (uses_table(j)) {
    rc = prepare_table(r, has_test, &s);
    split_free(&s);
    if (rc != TR_OK) return rc;
  } else {
    rc = load(r, "train", j->data.train, &all);
    if (rc == TR_OK && has_test) rc = load(r, "test", j->data.test, &test);
    if (rc == TR_OK && test && test->cols != all->cols)
      rc = job_error(j, TR_EINPUT, "data", "test", "has %zu features, train has %zu", test->cols, all->cols);
    if (rc == TR_OK) rc = decide_task(r, all, test);
    if (rc == TR_OK) rc = global_split(r, all, has_test, &s, NULL, NULL);
    if (rc == TR_OK && test) rc = test_file_digest(r, test);
    if (rc == TR_OK) {
      r->train = ds_take_rows(all, s.train, s.n_train);
      r->val = ds_take_rows(all, s.val, s.n_val);
      r->test = test ? test : ds_take_rows(all, s.test, s.n_test);
      test = NULL;
      if (!r->train || !r->val || !r->test) rc = tr_error_code();
    }
    split_free(&s);
    ds_free(&all);
    ds_free(&test);
    if (rc != TR_OK) return rc;
  }
  /* duplicates are found within each rank's block (a row and its copy on different
     ranks are not compared), then counted over all ranks */
  if ((rc = dist_sum_size(r->dist, split_count_duplicates(r->train, r->test), &r->duplicates)) != TR_OK)
    return rc;
  if (r->duplicates)
    log_warn("%zu test rows are exact duplicates of training rows: test metrics are optimistic",
             r->duplicates);
  r->target = TARGET_SCALER_NONE;
  if (j->data.standardize) {
    if ((rc = scaler_fit_parts(r->train, &r->scale, sum_over_ranks, r->dist)) != TR_OK) return rc;
    scaler_apply(&r->scale, r->train);
    scaler_apply(&r->scale, r->val);
    scaler_apply(&r->scale, r->test);
  }
  if (j->data.standardize && r->head == HEAD_REGRESSION) { /* the target too, mapped back on output */
    if ((rc = target_scaler_fit_parts(r->train->y, r->train->rows, &r->target, sum_over_ranks, r->dist)) != TR_OK)
      return rc;
    target_scaler_apply(&r->target, r->train->y, r->train->rows);
    target_scaler_apply(&r->target, r->val->y, r->val->rows);
    target_scaler_apply(&r->target, r->test->y, r->test->rows);
  }
  return TR_OK;
}

tr_err run_open_stream(run_state *r) {
  const job *j = r->j;
  tr_err rc = iostack_open(j, NULL, r->dist->rank, r->dist->size, r->dist->local_size, false, r->o->stop, &r->io);
  /* a stop during one rank's preload stops every rank here, before the next collective */
  if (dist_any(r->dist, rc == TR_ESTOPPED) && rc == TR_OK)
    rc = tr_error_set(TR_ESTOPPED, "train", "preload stopped on request on another rank");
  size_t total = 0;
  bool has_test = *j->data.test != '\0';
  if (rc == TR_OK)
    rc = dist_sum_size(r->dist, r->train->rows + r->val->rows + (has_test ? 0 : r->test->rows), &total);
  if (rc == TR_OK && total != layout_rows(r->io->L))
    rc = job_error(j, TR_EINPUT, "data", "train", "has %zu rows in its layout but %zu were loaded",
                   layout_rows(r->io->L), total);
  /* the job's plan, the same on every rank: each rank's training rows, every epoch (the
     blocks do not move between ranks; only their order changes) */
  for (int q = 0; rc == TR_OK && r->job_train && q < r->dist->size; q++)
    rc = loader_plan(r->io->ld, q, 1, r->job_train + r->job_train_at[q], r->job_train_at[q + 1] - r->job_train_at[q]);
  if (rc == TR_OK &&
      !(r->stream = stream_new(r->io->ld, r->io->L, r->train_global, r->train->rows,
                               r->scale.cols ? &r->scale : NULL, r->io->shuffle, r->io->transfer_bytes)))
    rc = tr_error_code();
  if (rc != TR_OK) return rc;
  /* one warning for the job when its plan would crawl (rank 0's share projected) */
  if (r->dist->rank == 0)
    iostack_warn_plan(j, r->io, r->train_global, r->train->rows, (size_t)j->optimizer.batch_size, 0);
  r->source = stream_source(r->stream);
  free(r->train->X);
  r->train->X = NULL;
  return TR_OK;
}
