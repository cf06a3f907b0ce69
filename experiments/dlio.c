/* DLIO workload files (see dlio.h): libyaml's document API (every node keeps its line
 * for the messages), a table of the keys we map, and cfg_set for each value so the job's
 * own ranges and types check it; an error cfg_set reports is re-located at the YAML
 * line. */
#define _GNU_SOURCE
#include "experiments/dlio.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common/atomic_file.h"
#include "common/log.h"

bool dlio_is_workload(const char *path) {
  size_t n = path ? strlen(path) : 0;
  return (n > 5 && !strcasecmp(path + n - 5, ".yaml")) || (n > 4 && !strcasecmp(path + n - 4, ".yml"));
}

/* How a DLIO value becomes ours. */
typedef enum { MAP_INT, MAP_FLOAT, MAP_THREADS, MAP_KIB, MAP_SHUFFLE, MAP_FORMAT, MAP_STORAGE, MAP_NAME } map_kind;

typedef struct {
  const char *section, *key;  /* DLIO's; section NULL: a top-level scalar */
  map_kind kind;
  const char *ours;           /* "section.key" (MAP_INT, MAP_FLOAT, MAP_THREADS, MAP_KIB) */
} dlio_key;

static const dlio_key keys[] = {
    {NULL, "model", MAP_NAME, NULL},
    {"dataset", "num_files_train", MAP_INT, "workload.files"},
    {"dataset", "num_samples_per_file", MAP_INT, "workload.samples_per_file"},
    {"dataset", "record_length", MAP_INT, "workload.record_bytes"},
    {"dataset", "record_length_bytes", MAP_INT, "workload.record_bytes"},
    {"dataset", "format", MAP_FORMAT, NULL},
    {"reader", "batch_size", MAP_INT, "workload.batch_size"},
    {"reader", "read_threads", MAP_THREADS, "storage.read_threads"},
    {"reader", "prefetch_size", MAP_INT, "storage.prefetch"},
    {"reader", "transfer_size", MAP_KIB, "storage.transfer_kib"},
    {"reader", "file_shuffle", MAP_SHUFFLE, NULL},
    {"reader", "sample_shuffle", MAP_SHUFFLE, NULL},
    {"train", "epochs", MAP_INT, "workload.epochs"},
    {"train", "computation_time", MAP_FLOAT, "workload.computation_time"},
    {"train", "total_training_steps", MAP_INT, "workload.steps"},
    {"metric", "au", MAP_FLOAT, "workload.au"},
    {"storage", "storage_type", MAP_STORAGE, NULL},
};

/* What the file said about the reading order, resolved once the whole file is read. */
typedef struct {
  cfg *c;
  const char *name;
  bool file_shuffle, sample_shuffle, tfrecord;
} dlio_state;

static const dlio_key *find_key(const char *section, const char *key) {
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (((!section && !keys[i].section) || (section && keys[i].section && !strcmp(section, keys[i].section))) &&
        !strcmp(key, keys[i].key))
      return &keys[i];
  return NULL;
}

static const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }
static long line_of(const yaml_node_t *n) { return (long)n->start_mark.line + 1; }

/* cfg_set of "ours=value", its error located at the YAML line. */
static tr_err set(dlio_state *st, long line, const char *dlio, const char *ours, const char *value) {
  char *a = NULL;
  if (asprintf(&a, "%s=%s", ours, value) < 0) return tr_error_set(TR_ENOMEM, "dlio", "out of memory");
  tr_err rc = cfg_set(st->c, a);
  free(a);
  if (rc != TR_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", tr_error_message());
    tr_error_clear();
    rc = tr_error_at(TR_ECONFIG, st->name, line, "%s (as %s): %s", dlio, ours, msg);
  }
  return rc;
}

/* A whole number >= 0 from a YAML scalar. */
static bool whole(const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v || *end || errno || !isfinite(d) || d < 0 || d != floor(d)) return false;
  *out = d;
  return true;
}

/* DLIO's shuffle values: off | seed | random (any case), or a YAML boolean. */
static int shuffle_on(const char *v) {
  static const char *const on[] = {"seed", "random", "true", "yes", "on"}, *const off[] = {"off", "false", "no", "none"};
  for (size_t i = 0; i < 5; i++)
    if (!strcasecmp(v, on[i])) return 1;
  for (size_t i = 0; i < 4; i++)
    if (!strcasecmp(v, off[i])) return 0;
  return -1;
}

static tr_err apply_value(dlio_state *st, const dlio_key *k, const yaml_node_t *v, const char *dotted) {
  long line = line_of(v);
  if (v->type != YAML_SCALAR_NODE)
    return tr_error_at(TR_ECONFIG, st->name, line, "%s: expected a single value", dotted);
  const char *s = scalar(v);
  char buf[64];
  double d;
  switch (k->kind) {
  case MAP_NAME: return TR_OK;
  case MAP_INT:
  case MAP_FLOAT: return set(st, line, dotted, k->ours, s);
  case MAP_THREADS: /* DLIO's 0: the main thread reads */
    if (!whole(s, &d)) return tr_error_at(TR_ECONFIG, st->name, line, "%s: expected a whole number, got '%s'", dotted, s);
    snprintf(buf, sizeof buf, "%.0f", d < 1 ? 1 : d);
    return set(st, line, dotted, k->ours, buf);
  case MAP_KIB:
    if (!whole(s, &d) || d < 1) return tr_error_at(TR_ECONFIG, st->name, line, "%s: expected bytes (>= 1), got '%s'", dotted, s);
    snprintf(buf, sizeof buf, "%.0f", ceil(d / 1024));
    return set(st, line, dotted, k->ours, buf);
  case MAP_SHUFFLE: {
    int on = shuffle_on(s);
    if (on < 0) return tr_error_at(TR_ECONFIG, st->name, line, "%s: expected off, seed or random, got '%s'", dotted, s);
    if (!strcmp(k->key, "file_shuffle")) st->file_shuffle = on;
    else st->sample_shuffle = on;
    return TR_OK;
  }
  case MAP_FORMAT:
    st->tfrecord = strcasestr(s, "tfrecord") != NULL;
    return TR_OK;
  case MAP_STORAGE:
    if (!strcasecmp(s, "local_fs")) return set(st, line, dotted, "storage.backend", "local");
    if (!strcasecmp(s, "s3")) return set(st, line, dotted, "storage.backend", "s3");
    log_warn("%s:%ld: %s: '%s' is not modelled (storage.backend: %s), ignored", st->name, line, dotted, s,
             "local, s3, efs or fsx");
    return TR_OK;
  }
  return TR_OK;
}

static void unsupported(const dlio_state *st, const yaml_node_t *key, const char *dotted) {
  log_warn("%s:%ld: %s: not modelled by io-bench, ignored", st->name, line_of(key), dotted);
}

/* The document: a mapping of sections (mappings of scalars) and top-level scalars. */
static tr_err apply_document(dlio_state *st, yaml_document_t *doc) {
  yaml_node_t *root = yaml_document_get_root_node(doc);
  if (!root) return tr_error_at(TR_ECONFIG, st->name, 1, "empty workload file");
  if (root->type != YAML_MAPPING_NODE)
    return tr_error_at(TR_ECONFIG, st->name, line_of(root), "expected a mapping of DLIO sections (dataset, reader, train...)");
  /* DLIO's defaults for what the file leaves out (ours differ) */
  static const char *const defaults[] = {"workload.batch_size=1", "storage.read_threads=1", "storage.shuffle=none"};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    if (cfg_set(st->c, defaults[i]) != TR_OK) return tr_error_code();
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
    if (!k || !v) continue;
    if (k->type != YAML_SCALAR_NODE) return tr_error_at(TR_ECONFIG, st->name, line_of(k), "expected a section name");
    const char *section = scalar(k);
    if (v->type != YAML_MAPPING_NODE) {
      const dlio_key *dk = find_key(NULL, section);
      tr_err rc = dk ? apply_value(st, dk, v, section) : TR_OK;
      if (!dk) unsupported(st, k, section);
      if (rc != TR_OK) return rc;
      continue;
    }
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
      yaml_node_t *k2 = yaml_document_get_node(doc, q->key), *v2 = yaml_document_get_node(doc, q->value);
      if (!k2 || !v2) continue;
      if (k2->type != YAML_SCALAR_NODE) return tr_error_at(TR_ECONFIG, st->name, line_of(k2), "%s: expected a key", section);
      char dotted[256];
      snprintf(dotted, sizeof dotted, "%s.%s", section, scalar(k2));
      const dlio_key *dk = find_key(section, scalar(k2));
      /* what the workflow asks that io-bench does anyway is no warning */
      bool quiet = !strcmp(section, "workflow") && v2->type == YAML_SCALAR_NODE &&
                   ((!strcmp(scalar(k2), "train") && shuffle_on(scalar(v2)) == 1) ||
                    (strcmp(scalar(k2), "train") && shuffle_on(scalar(v2)) == 0));
      if (!dk) {
        if (!quiet) unsupported(st, k2, dotted);
        continue;
      }
      tr_err rc = apply_value(st, dk, v2, dotted);
      if (rc != TR_OK) return rc;
    }
  }
  /* the reading order: TFRecord is read in order through a shuffle buffer */
  const char *order = st->sample_shuffle && !st->tfrecord ? "sample"
                      : st->file_shuffle || st->sample_shuffle ? "file"
                                                               : "none";
  char a[64];
  snprintf(a, sizeof a, "storage.shuffle=%s", order);
  return cfg_set(st->c, a);
}

tr_err dlio_apply_text(cfg *c, const char *name, const unsigned char *text, size_t len) {
  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) return tr_error_set(TR_ENOMEM, name, "out of memory");
  yaml_parser_set_input_string(&parser, text, len);
  tr_err rc = TR_OK;
  if (!yaml_parser_load(&parser, &doc)) {
    long line = (long)parser.problem_mark.line + 1;
    rc = tr_error_at(TR_ECONFIG, name, line, "malformed YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    return rc;
  }
  dlio_state st = {.c = c, .name = name};
  rc = apply_document(&st, &doc);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return rc;
}

tr_err dlio_apply_file(cfg *c, const char *path) {
  char *text = NULL;
  size_t n = 0;
  switch (tr_read_text(path, &text, &n)) {
  case TR_READ_OK: break;
  case TR_READ_OPEN: return tr_error_set(TR_ECONFIG, path, "cannot read: %s", strerror(errno));
  case TR_READ_IO: return tr_error_set(TR_ECONFIG, path, "read error: %s", strerror(errno));
  case TR_READ_NUL: return tr_error_set(TR_ECONFIG, path, "not a YAML workload file (it holds a NUL byte)");
  case TR_READ_NOMEM: return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  tr_err rc = dlio_apply_text(c, path, (const unsigned char *)text, n);
  free(text);
  return rc;
}
