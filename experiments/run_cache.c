/* Prepared data kept between training runs in one process (run.h run_cache: a sweep's
 * worker, `tradeoff worker`, runs many jobs): the outcome of run_prepare_data (the
 * splits, the task and label encoding, the duplicate count, the test digest, the encoders
 * and scalers, all already applied) stored under a digest of everything it depends on,
 * so a later run whose data key is the same borrows it instead of loading, splitting and
 * standardizing again. The key: every [data] key as resolved, model.type and model.task
 * (the task decision and label encoding follow them), and the identity of the data
 * files (device, inode, size, modification time: a file rewritten in place is another
 * key). A streaming job (a [storage] section: its training rows are read from storage
 * every epoch and dropped from memory), a multi-rank run and data in a directory or glob
 * of shards are never cached. Runs only read what they borrow (train_fit, the metrics and model_save take it
 * const). At most max_entries keys are kept; the least recently used goes first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "experiments/run_internal.h"

typedef struct {
  char key[17];
  unsigned long used;  /* the cache's clock when last borrowed */
  run_state data;      /* only the prepared-data fields are set */
} cache_entry;

struct run_cache {
  cache_entry *e;
  size_t n, max;
  unsigned long clock;
  size_t loads, reuses;
};

run_cache *run_cache_new(size_t max_entries) {
  run_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->max = max_entries ? max_entries : 1;
  if (!(c->e = calloc(c->max, sizeof *c->e))) {
    free(c);
    return NULL;
  }
  return c;
}

void run_cache_free(run_cache **c) {
  if (!*c) return;
  for (size_t i = 0; i < (*c)->n; i++) run_data_free(&(*c)->e[i].data);
  free((*c)->e);
  free(*c);
  *c = NULL;
}

size_t run_cache_loads(const run_cache *c) { return c ? c->loads : 0; }
size_t run_cache_reuses(const run_cache *c) { return c ? c->reuses : 0; }

static uint64_t add_text(uint64_t h, const char *s) { return digest_update(h, s, strlen(s) + 1); }

/* h updated with the identity of the file at path (none: an empty path; an s3:// object
 * is keyed by its name only); false for a path whose contents no one stat identifies
 * (a directory or glob of shards: a shard rewritten in place would keep the key). */
static bool add_file(uint64_t *h, const char *path) {
  struct stat st;
  *h = add_text(*h, path);
  if (!*path || !strncmp(path, "s3://", 5)) return true;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  long long v[5] = {(long long)st.st_dev, (long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                    (long long)st.st_mtim.tv_nsec};
  *h = digest_update(*h, v, sizeof v);
  return true;
}

bool run_cache_key(const job *j, const dist_ctx *dist, char key[17]) {
  if (j->streams || dist->size != 1) return false;
  uint64_t h = DIGEST_INIT;
  for (size_t i = 0; i < cfg_count(j->src); i++) {
    const cfg_option *op = cfg_option_at(j->src, i);
    if (strcmp(op->section, "data") != 0) continue;
    h = add_text(h, op->key);
    h = add_text(h, cfg_str(j->src, op->section, op->key));
  }
  h = add_text(h, cfg_str(j->src, "model", "type"));
  h = add_text(h, cfg_str(j->src, "model", "task"));
  if (!add_file(&h, j->data.train) || !add_file(&h, j->data.test)) return false;
  digest_hex(h, key);
  return true;
}

/* Copies the prepared-data fields of from into to (shallow). */
static void copy_data(run_state *to, const run_state *from) {
  to->train = from->train;
  to->val = from->val;
  to->test = from->test;
  to->duplicates = from->duplicates;
  memcpy(to->test_digest, from->test_digest, sizeof to->test_digest);
  to->head = from->head;
  memcpy(to->classes, from->classes, sizeof to->classes);
  to->n_classes = from->n_classes;
  to->class_names = from->class_names;
  to->n_class_names = from->n_class_names;
  to->prep = from->prep;
  to->prep_counts = from->prep_counts;
  to->prep_fit_on = from->prep_fit_on;
  to->scale = from->scale;
  to->target = from->target;
}

tr_err run_cache_prepare(run_cache *c, run_state *r) {
  char key[17];
  if (!c || !run_cache_key(r->j, r->dist, key)) return run_prepare_data(r);
  c->clock++;
  for (size_t i = 0; i < c->n; i++) {
    if (strcmp(c->e[i].key, key) != 0) continue;
    copy_data(r, &c->e[i].data);
    c->e[i].used = c->clock;
    r->borrowed = true;
    snprintf(r->data_key, sizeof r->data_key, "%s", key);
    r->data_reused = true;
    c->reuses++;
    return TR_OK;
  }
  size_t slot = c->n;
  if (slot == c->max) { /* the least recently used key goes, before the load: at most max held */
    slot = 0;
    for (size_t i = 1; i < c->n; i++)
      if (c->e[i].used < c->e[slot].used) slot = i;
    run_data_free(&c->e[slot].data);
    memset(&c->e[slot], 0, sizeof c->e[slot]); /* an empty key matches none */
  }
  tr_err rc = run_prepare_data(r);
  if (rc != TR_OK) return rc; /* r frees what it got, as without a cache */
  if (slot == c->n) c->n++;
  memset(&c->e[slot], 0, sizeof c->e[slot]);
  snprintf(c->e[slot].key, sizeof c->e[slot].key, "%s", key);
  c->e[slot].used = c->clock;
  copy_data(&c->e[slot].data, r);
  r->borrowed = true;
  snprintf(r->data_key, sizeof r->data_key, "%s", key);
  r->data_reused = false;
  c->loads++;
  return TR_OK;
}
