/* A run directory's files (see runfiles.h): history.csv's one writer and one parser, and
 * the sweep of stale temporaries. */
#define _GNU_SOURCE
#include "experiments/runfiles.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/path.h"

void runfiles_val_column(const char *metric, char *out, size_t cap) {
  snprintf(out, cap, "val_%s", !strcmp(metric, "log_loss") ? "loss" : metric);
}

tr_err runfiles_write_history(const char *path, const train_epoch *rows, int n, loss_head head,
                              const char *monitor) {
  const char *m[TRAIN_MAX_METRICS];
  int k = train_history_metrics(head, monitor, m);
  tr_atomic a;
  tr_err rc = tr_atomic_open(&a, path);
  if (rc != TR_OK) return rc;
  fputs("epoch,train_loss,val_loss,lr,epoch_s,io_wait_s,comm_s", a.fp);
  for (int j = 0; j < k; j++) fprintf(a.fp, ",train_%s,val_%s", m[j], m[j]);
  fputc('\n', a.fp);
  for (int i = 0; i < n; i++) {
    const train_epoch *e = &rows[i];
    fprintf(a.fp, "%d,%.9g,%.9g,", e->epoch, e->train_loss, e->val_loss);
    if (!isnan(e->lr)) fprintf(a.fp, "%.9g", e->lr); /* empty where no rate applies (lbfgs) */
    fprintf(a.fp, ",%.6f,%.6f,%.6f", e->epoch_s, e->io_wait_s, e->comm_s);
    for (int j = 0; j < k; j++) fprintf(a.fp, ",%.9g,%.9g", e->train_m[j], e->val_m[j]);
    fputc('\n', a.fp);
  }
  return tr_atomic_commit(&a);
}

void runfiles_history_free(runfiles_history *h) {
  free(h->epoch);
  free(h->train_loss);
  free(h->val_loss);
  memset(h, 0, sizeof *h);
}

/* Appends one row to h, growing it; false on ENOMEM. */
static bool push_row(runfiles_history *h, size_t *alloc, const double v[3]) {
  if (h->n == *alloc) {
    size_t cap = *alloc ? 2 * *alloc : 64;
    double *cols[3] = {h->epoch, h->train_loss, h->val_loss};
    for (int k = 0; k < 3; k++) {
      double *grown = realloc(cols[k], cap * sizeof *grown);
      if (!grown) return false;
      cols[k] = grown;
      if (k == 0) h->epoch = grown;
      else if (k == 1) h->train_loss = grown;
      else h->val_loss = grown;
    }
    *alloc = cap;
  }
  h->epoch[h->n] = v[0];
  h->train_loss[h->n] = v[1];
  h->val_loss[h->n] = v[2];
  h->n++;
  return true;
}

/* The columns runfiles_history holds, by name. */
static const char *const read_names[3] = {"epoch", "train_loss", "val_loss"};

/* col[k] = the index of read_names[k] among header's comma-separated names (the first
 * of a repeated one); false when one is missing. */
static bool header_columns(const char *header, int col[3]) {
  for (int k = 0; k < 3; k++) col[k] = -1;
  const char *p = header;
  for (int i = 0;; i++) {
    size_t len = strcspn(p, ",");
    for (int k = 0; k < 3; k++)
      if (col[k] < 0 && strlen(read_names[k]) == len && !strncmp(p, read_names[k], len)) col[k] = i;
    if (!p[len]) break;
    p += len + 1;
  }
  return col[0] >= 0 && col[1] >= 0 && col[2] >= 0;
}

/* v[k] = the number in row's field col[k]; false when a field is missing or is not
 * exactly a number. */
static bool row_values(const char *row, const int col[3], double v[3]) {
  int found = 0;
  const char *p = row;
  for (int i = 0;; i++) {
    size_t len = strcspn(p, ",");
    for (int k = 0; k < 3; k++) {
      if (col[k] != i) continue;
      char *end;
      v[k] = strtod(p, &end);
      if (end == p || end != p + len) return false;
      found++;
    }
    if (!p[len]) break;
    p += len + 1;
  }
  return found == 3;
}

tr_err runfiles_read_history(const char *path, runfiles_history *h, bool *missing) {
  memset(h, 0, sizeof *h);
  *missing = false;
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) {
      *missing = true;
      return TR_OK;
    }
    return tr_error_set(TR_EIO, path, "cannot open: %s", strerror(errno));
  }
  char *line = NULL;
  size_t cap = 0, alloc = 0;
  long lineno = 0;
  int col[3] = {-1, -1, -1};
  tr_err rc = TR_OK;
  while (rc == TR_OK && getline(&line, &cap, f) > 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (lineno == 1) {
      if (!header_columns(line, col))
        rc = tr_error_at(TR_EINPUT, path, 1, "expected the header epoch,train_loss,val_loss,... (those "
                                             "columns in any order), got '%.60s'", line);
      continue;
    }
    if (!*line) continue;
    double v[3] = {0};
    if (!row_values(line, col, v))
      rc = tr_error_at(TR_EINPUT, path, lineno, "expected numbers in epoch, train_loss and val_loss, got "
                                                "'%.60s'", line);
    if (rc == TR_OK && !push_row(h, &alloc, v)) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  if (rc == TR_OK && ferror(f)) rc = tr_error_set(TR_EIO, path, "read error");
  if (rc == TR_OK && lineno == 0)
    rc = tr_error_at(TR_EINPUT, path, 1, "empty file (expected a header and one row per epoch)");
  free(line);
  fclose(f);
  if (rc != TR_OK) runfiles_history_free(h);
  return rc;
}

tr_err runfiles_read_column(const char *path, const char *name, double **v, size_t *n) {
  *v = NULL;
  *n = 0;
  FILE *f = fopen(path, "r");
  if (!f) return tr_error_set(TR_EIO, path, "cannot open: %s", strerror(errno));
  char *line = NULL;
  size_t cap = 0, alloc = 0;
  long lineno = 0;
  int col = -1;
  tr_err rc = TR_OK;
  while (rc == TR_OK && getline(&line, &cap, f) > 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    const char *p = line;
    int i = 0;
    if (lineno == 1) {
      for (;; i++) {
        size_t len = strcspn(p, ",");
        if (strlen(name) == len && !strncmp(p, name, len)) {
          col = i;
          break;
        }
        if (!p[len]) break;
        p += len + 1;
      }
      if (col < 0) rc = tr_error_at(TR_EINPUT, path, 1, "no column %s in the header", name);
      continue;
    }
    if (!*line) continue;
    for (; i < col && *p; i++) p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0);
    size_t len = strcspn(p, ",");
    double x = NAN;
    char *end = (char *)p;
    if (i == col && len) x = strtod(p, &end);
    if (i != col || (len && end != p + len)) {
      rc = tr_error_at(TR_EINPUT, path, lineno, "%s: expected a number, got '%.40s'", name, p);
      break;
    }
    if (*n == alloc) {
      double *grown = realloc(*v, (alloc = alloc ? 2 * alloc : 64) * sizeof *grown);
      if (!grown) {
        rc = tr_error_set(TR_ENOMEM, path, "out of memory");
        break;
      }
      *v = grown;
    }
    (*v)[(*n)++] = x;
  }
  if (rc == TR_OK && ferror(f)) rc = tr_error_set(TR_EIO, path, "read error");
  if (rc == TR_OK && lineno == 0) rc = tr_error_at(TR_EINPUT, path, 1, "empty file");
  free(line);
  fclose(f);
  if (rc != TR_OK) {
    free(*v);
    *v = NULL;
    *n = 0;
  }
  return rc;
}

/* Removes the temporaries NAME.tmp.* of directory dir: files, and the private
 * directories libhdf5 writes in (atomic_file.h); a link is removed, never followed. No
 * glob: the names are compared as text, so a directory name with glob characters
 * matches only itself. */
static void remove_temporaries(const char *dir, const char *name) {
  DIR *d = opendir(*dir ? dir : ".");
  if (!d) return;
  size_t len = strlen(name);
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, name, len) != 0 || strncmp(e->d_name + len, ".tmp.", 5) != 0) continue;
    char *p = path_join(dir, e->d_name);
    struct stat st;
    if (p && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
      tr_tmp_dir_remove(p);
    else if (p)
      unlink(p);
    free(p);
  }
  closedir(d);
}

void runfiles_remove_temporaries(const char *dir, const char *name) { remove_temporaries(dir, name); }

void runfiles_remove_stale(const char *dir, const char *ckpt_path) {
  static const char *const names[] = {RUNFILES_RESULT, RUNFILES_HISTORY, RUNFILES_MODEL};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) remove_temporaries(dir, names[i]);
  if (!ckpt_path) return;
  char *copy = strdup(ckpt_path), *slash = copy ? strrchr(copy, '/') : NULL;
  if (slash) {
    *slash = '\0';
    remove_temporaries(copy, slash + 1);
  } else if (copy) {
    remove_temporaries("", copy);
  }
  free(copy);
}

bool runfiles_holds_run(const char *dir) {
  static const char *const names[] = {RUNFILES_RESULT, RUNFILES_MODEL, RUNFILES_HISTORY,
                                      "checkpoint/" RUNFILES_CHECKPOINT};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *p = path_join(dir, names[i]);
    bool there = p && access(p, F_OK) == 0;
    free(p);
    if (there) return true;
  }
  return false;
}

/* base, or base-k (k >= 2), malloc'd. */
static char *version_dir(const char *base, unsigned k) {
  char *p = NULL;
  if (k < 2) return tr_check_alloc(strdup(base), "run directory");
  if (asprintf(&p, "%s-%u", base, k) < 0) return tr_check_alloc(NULL, "run directory");
  return p;
}

char *runfiles_next_dir(const char *base) {
  for (unsigned k = 1;; k++) {
    char *p = version_dir(base, k);
    if (!p || !runfiles_holds_run(p)) return p;
    free(p);
  }
}

char *runfiles_latest_dir(const char *base) {
  char *latest = version_dir(base, 1);
  for (unsigned k = 2; latest; k++) { /* versions are made in order: stop at the first gap */
    char *p = version_dir(base, k);
    if (!p || !runfiles_holds_run(p)) {
      free(p);
      break;
    }
    free(latest);
    latest = p;
  }
  return latest;
}
