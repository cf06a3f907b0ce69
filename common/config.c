/* INI configuration driven by option tables. common/inifile.c reads the file and hands
 * over each value with its line; this module checks every value against its option as
 * it arrives, keeps where it came from, and converts the text into typed structs once
 * (cfg_fill). */
#define _GNU_SOURCE
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/inifile.h"

struct cfg {
  const cfg_option **opt;  /* every option of the tables, in order */
  size_t n;
  char **values;  /* current text of each option */
  char **where;   /* "file:line", "--set", or NULL for the default */
};

static long find(const cfg *c, const char *section, const char *key) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->opt[i]->section, section) == 0 && strcmp(c->opt[i]->key, key) == 0)
      return (long)i;
  return -1;
}

cfg *cfg_new_tables(const cfg_table *tables, size_t n_tables) {
  cfg *c = calloc(1, sizeof *c);
  if (!c) return tr_check_alloc(NULL, "configuration");
  size_t n = 0;
  for (size_t t = 0; t < n_tables; t++) n += tables[t].n;
  c->opt = calloc(n ? n : 1, sizeof *c->opt);
  c->values = calloc(n ? n : 1, sizeof(char *));
  c->where = calloc(n ? n : 1, sizeof(char *));
  if (!c->opt || !c->values || !c->where) goto oom;
  for (size_t t = 0; t < n_tables; t++)
    for (size_t i = 0; i < tables[t].n; i++) {
      const cfg_option *o = &tables[t].opts[i];
      if (find(c, o->section, o->key) >= 0) {
        tr_error_set(TR_EINTERNAL, "configuration", "option %s.%s is declared twice", o->section, o->key);
        cfg_free(&c);
        return NULL;
      }
      c->opt[c->n] = o;
      if (!(c->values[c->n++] = strdup(o->def ? o->def : ""))) goto oom;
    }
  return c;
oom:
  cfg_free(&c);
  return tr_check_alloc(NULL, "configuration");
}

void cfg_free(cfg **pc) {
  cfg *c = pc ? *pc : NULL;
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) {
    if (c->values) free(c->values[i]);
    if (c->where) free(c->where[i]);
  }
  free(c->opt);
  free(c->values);
  free(c->where);
  free(c);
  *pc = NULL;
}

static bool section_known(const cfg *c, const char *section) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->opt[i]->section, section) == 0) return true;
  return false;
}

static _Noreturn void not_in_table(const char *section, const char *key) {
  fprintf(stderr, "tradeoff: internal error: option %s.%s is not in the table\n", section, key);
  abort();
}

static size_t must_find(const cfg *c, const char *section, const char *key) {
  long i = find(c, section, key);
  if (i < 0) not_in_table(section, key);
  return (size_t)i;
}

static bool parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  while (isspace((unsigned char)*end)) end++;
  if (errno || end == s || *end) return false;
  *out = v;
  return true;
}

static bool parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  while (isspace((unsigned char)*end)) end++;
  if (errno || end == s || *end || !isfinite(v)) return false;
  *out = v;
  return true;
}

static int parse_bool(const char *s) {
  static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) return 1;
    if (strcasecmp(s, no[i]) == 0) return 0;
  }
  return -1;
}

static const char *choices_of(const cfg_option *o) {
  return o->choices ? o->choices : o->choices_of ? o->choices_of() : "";
}

/* The index of s among the '|'-separated choices; -1 when it is not one. */
static int choice_index(const char *choices, const char *s) {
  size_t n = strlen(s);
  int idx = 0;
  for (const char *p = choices; *p; idx++) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, s, n) == 0) return idx;
    if (!bar) break;
    p = bar + 1;
  }
  return -1;
}

/* Parses a CFG_LIST text into out (at most CFG_LIST_MAX values); false when it is not
 * a comma-separated list of integers. */
static bool parse_list(const char *text, cfg_ints *out) {
  out->n = 0;
  const char *p = text;
  while (isspace((unsigned char)*p)) p++;
  while (*p) {
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (errno || end == p || out->n == CFG_LIST_MAX) return false;
    out->v[out->n++] = v;
    p = end;
    while (isspace((unsigned char)*p)) p++;
    if (*p == ',') {
      p++;
      while (isspace((unsigned char)*p)) p++;
      if (!*p) return false;
    } else if (*p) {
      return false;
    }
  }
  return true;
}

static bool has_range(const cfg_option *o) { return o->min < o->max; }

/* Checks text against the option; on failure writes a message into msg. */
static bool validate(const cfg_option *o, const char *text, char *msg, size_t len) {
  double v = 0;
  long l;
  if (*text == '\0' && o->def && *o->def == '\0' && o->type != CFG_ENUM) return true; /* optional */
  switch (o->type) {
  case CFG_STR: return true;
  case CFG_BOOL:
    if (parse_bool(text) >= 0) return true;
    snprintf(msg, len, "expected true or false, got '%s'", text);
    return false;
  case CFG_ENUM:
    if (choice_index(choices_of(o), text) >= 0) return true;
    snprintf(msg, len, "expected one of %s, got '%s'", choices_of(o), text);
    return false;
  case CFG_INT:
    if (!parse_long(text, &l)) {
      snprintf(msg, len, "expected an integer, got '%s'", text);
      return false;
    }
    v = (double)l;
    break;
  case CFG_FLOAT:
    if (!parse_double(text, &v)) {
      snprintf(msg, len, "expected a number, got '%s'", text);
      return false;
    }
    break;
  case CFG_LIST: {
    cfg_ints list;
    if (!parse_list(text, &list)) {
      snprintf(msg, len, "expected comma-separated integers (at most %d), got '%s'", CFG_LIST_MAX, text);
      return false;
    }
    for (size_t i = 0; i < list.n; i++)
      if (has_range(o) && (list.v[i] < o->min || list.v[i] > o->max)) {
        snprintf(msg, len, "each value must be in [%g, %g], got %ld", o->min, o->max, list.v[i]);
        return false;
      }
    return true;
  }
  }
  if (has_range(o) && (v < o->min || v > o->max)) {
    snprintf(msg, len, "must be in [%g, %g], got %s", o->min, o->max, text);
    return false;
  }
  return true;
}

/* Stores a validated value; where is "file:line" or "--set". */
static tr_err assign(cfg *c, size_t i, const char *value, const char *where, const char *loc) {
  char msg[300];
  const cfg_option *o = c->opt[i];
  if (!validate(o, value, msg, sizeof msg))
    return tr_error_set(TR_ECONFIG, loc, "%s.%s: %s", o->section, o->key, msg);
  char *v = strdup(value), *w = strdup(where);
  if (!v || !w) {
    free(v);
    free(w);
    return tr_error_set(TR_ENOMEM, loc, "out of memory");
  }
  free(c->values[i]);
  free(c->where[i]);
  c->values[i] = v;
  c->where[i] = w;
  return TR_OK;
}

typedef struct {
  cfg *c;
  const char *path;
} load_state;

static tr_err on_value(void *user, const char *section, const char *key, const char *value,
                       long line) {
  load_state *s = user;
  char loc[512];
  snprintf(loc, sizeof loc, "%s:%ld", s->path, line);
  long i = find(s->c, section, key);
  if (i < 0) {
    if (!section_known(s->c, section))
      return tr_error_set(TR_ECONFIG, loc, "unknown section [%s]", section);
    return tr_error_set(TR_ECONFIG, loc, "unknown key '%s' in [%s]", key, section);
  }
  return assign(s->c, (size_t)i, value, loc, loc);
}

tr_err cfg_load_file(cfg *c, const char *path) {
  load_state s = {.c = c, .path = path}; /* a key set twice: refused by inifile_parse */
  return inifile_parse(path, "job file", on_value, &s);
}

tr_err cfg_load_text(cfg *c, const char *text, const char *name) {
  load_state s = {.c = c, .path = name};
  return inifile_parse_text(text, name, on_value, &s);
}

tr_err cfg_set(cfg *c, const char *assignment) {
  const char *eq = strchr(assignment, '=');
  const char *dot = strchr(assignment, '.');
  if (!eq || !dot || dot > eq)
    return tr_error_set(TR_ECONFIG, "--set", "expected SECTION.KEY=VALUE, got '%s'", assignment);
  char *section = strndup(assignment, (size_t)(dot - assignment));
  char *key = strndup(dot + 1, (size_t)(eq - dot - 1));
  tr_err rc = TR_OK;
  if (!section || !key) {
    rc = tr_error_set(TR_ENOMEM, "--set", "out of memory");
  } else {
    char loc[300];
    snprintf(loc, sizeof loc, "%s.%s", section, key);
    long i = find(c, section, key);
    if (i < 0)
      rc = tr_error_set(TR_ECONFIG, loc, section_known(c, section) ? "unknown key"
                                                                    : "unknown section");
    else
      rc = assign(c, (size_t)i, eq + 1, "--set", NULL);
  }
  free(section);
  free(key);
  return rc;
}

void cfg_fill(const cfg *c, const cfg_option *table, size_t n, void *dst) {
  for (size_t k = 0; k < n; k++) {
    const cfg_option *o = &table[k];
    if (!o->at) continue;
    size_t i = must_find(c, o->section, o->key);
    const char *text = c->values[i];
    void *p = (char *)dst + (o->at - 1);
    switch (o->type) {
    case CFG_STR: *(const char **)p = text; break;
    case CFG_INT: {
      long v = 0;
      parse_long(text, &v);
      *(long *)p = v;
      break;
    }
    case CFG_FLOAT: {
      double v = NAN; /* an optional number left empty */
      if (*text) parse_double(text, &v);
      *(double *)p = v;
      break;
    }
    case CFG_BOOL: *(bool *)p = parse_bool(text) == 1; break;
    case CFG_ENUM: *(int *)p = choice_index(choices_of(o), text); break;
    case CFG_LIST: parse_list(text, (cfg_ints *)p); break;
    }
  }
}

const char *cfg_str(const cfg *c, const char *section, const char *key) {
  return c->values[must_find(c, section, key)];
}

bool cfg_is_set(const cfg *c, const char *section, const char *key) {
  return c->where[must_find(c, section, key)] != NULL;
}

size_t cfg_count(const cfg *c) { return c->n; }
const cfg_option *cfg_option_at(const cfg *c, size_t i) { return c->opt[i]; }

bool cfg_section_set(const cfg *c, const char *section) {
  for (size_t i = 0; i < c->n; i++)
    if (c->where[i] && !strcmp(c->opt[i]->section, section)) return true;
  return false;
}

static tr_err located(const cfg *c, tr_err code, const char *section, const char *key,
                      const char *msg) {
  const char *w = c->where[must_find(c, section, key)];
  if (w && strcmp(w, "--set") != 0) return tr_error_set(code, w, "%s.%s: %s", section, key, msg);
  char loc[300];
  snprintf(loc, sizeof loc, "%s.%s", section, key);
  return tr_error_set(code, loc, "%s", msg);
}

tr_err cfg_error(const cfg *c, tr_err code, const char *section, const char *key,
                 const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return located(c, code, section, key, msg);
}

tr_err cfg_error_key(const cfg *c, tr_err code, const char *dotted_key, const char *fmt, ...) {
  char msg[400], section[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *dot = strchr(dotted_key, '.');
  size_t len = dot ? (size_t)(dot - dotted_key) : 0;
  if (!dot || len >= sizeof section) not_in_table(dotted_key, "");
  memcpy(section, dotted_key, len);
  section[len] = '\0';
  return located(c, code, section, dot + 1, msg);
}

/* Calls fn for the options of c grouped by section, sections in order of first
 * appearance; first is true for the first option of each section. */
static void by_section(const cfg *c, void (*fn)(const cfg *, size_t, bool, void *), void *user) {
  for (size_t s = 0; s < c->n; s++) {
    bool earlier = false;
    for (size_t k = 0; k < s && !earlier; k++) earlier = !strcmp(c->opt[k]->section, c->opt[s]->section);
    if (earlier) continue;
    bool first = true;
    for (size_t i = s; i < c->n; i++)
      if (!strcmp(c->opt[i]->section, c->opt[s]->section)) {
        fn(c, i, first, user);
        first = false;
      }
  }
}

static void dump_one(const cfg *c, size_t i, bool first, void *user) {
  FILE *f = user;
  if (first) fprintf(f, "%s[%s]\n", ftell(f) > 0 ? "\n" : "", c->opt[i]->section);
  if (c->opt[i]->flags & CFG_RUNTIME) return;
  fprintf(f, "%s = %s\n", c->opt[i]->key, c->values[i]);
}

char *cfg_dump(const cfg *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  by_section(c, dump_one, f);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

static const char *type_name(cfg_type t) {
  static const char *names[] = {"text", "integer", "number", "bool", "choice", "list"};
  return names[t];
}

static void help_one(const cfg *c, size_t i, bool first, void *user) {
  FILE *out = user;
  const cfg_option *o = c->opt[i];
  if (first) fprintf(out, "\n[%s]\n", o->section);
  char kind[160];
  if (o->type == CFG_ENUM)
    snprintf(kind, sizeof kind, "%s", choices_of(o));
  else if (has_range(o))
    snprintf(kind, sizeof kind, "%s in [%.10g, %.10g]", type_name(o->type), o->min, o->max);
  else
    snprintf(kind, sizeof kind, "%s", type_name(o->type));
  fprintf(out, "  %-22s = %-12s %s (%s)\n", o->key, *o->def ? o->def : "\"\"", o->help, kind);
}

void cfg_print_help(const cfg *c, FILE *out) { by_section(c, help_one, out); }

/* The values of a cfg_dump() text as inifile reads it: entry i is "section\0key\0value"
 * (one allocation each), in the order of the text; by_name sorts them by section, key. */
typedef struct {
  char **e;
  size_t n, cap;
  char **by_name;
} dump_values;

static const char *key_of(const char *e) { return e + strlen(e) + 1; }
static const char *value_of(const char *e) {
  const char *k = key_of(e);
  return k + strlen(k) + 1;
}

static int by_section_key(const void *pa, const void *pb) {
  const char *a = *(char *const *)pa, *b = *(char *const *)pb;
  int c = strcmp(a, b);
  return c ? c : strcmp(key_of(a), key_of(b));
}

static tr_err collect_value(void *user, const char *section, const char *key, const char *value, long line) {
  (void)line;
  dump_values *d = user;
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 64;
    char **grown = realloc(d->e, cap * sizeof *grown);
    if (!grown) return tr_error_set(TR_ENOMEM, "configuration", "out of memory");
    d->e = grown;
    d->cap = cap;
  }
  size_t ns = strlen(section) + 1, nk = strlen(key) + 1, nv = strlen(value) + 1;
  char *e = malloc(ns + nk + nv);
  if (!e) return tr_error_set(TR_ENOMEM, "configuration", "out of memory");
  memcpy(e, section, ns);
  memcpy(e + ns, key, nk);
  memcpy(e + ns + nk, value, nv);
  d->e[d->n++] = e;
  return TR_OK;
}

static void free_values(dump_values *d) {
  for (size_t i = 0; i < d->n; i++) free(d->e[i]);
  free(d->e);
  free(d->by_name);
}

/* Reads text through the INI front end into d; false when it is not INI or on ENOMEM. */
static bool read_values(const char *text, const char *name, dump_values *d) {
  if (inifile_parse_text(text, name, collect_value, d) != TR_OK) return false;
  if (!(d->by_name = malloc((d->n ? d->n : 1) * sizeof *d->by_name))) return false;
  if (d->n) { /* an empty text has no d->e */
    memcpy(d->by_name, d->e, d->n * sizeof *d->e);
    qsort(d->by_name, d->n, sizeof *d->by_name, by_section_key);
  }
  return true;
}

/* The entry of d with e's section and key; NULL when d has none. */
static const char *lookup(const dump_values *d, const char *e) {
  char *const *found = bsearch(&e, d->by_name, d->n, sizeof *d->by_name, by_section_key);
  return found ? *found : NULL;
}

/* The first entry of from, in its order, whose value in other differs or is missing. */
static const char *first_difference(const dump_values *from, const dump_values *other) {
  for (size_t i = 0; i < from->n; i++) {
    const char *o = lookup(other, from->e[i]);
    if (!o || strcmp(value_of(o), value_of(from->e[i])) != 0) return from->e[i];
  }
  return NULL;
}

bool cfg_text_diff(const char *a, const char *b, const char *a_name, const char *b_name, char *what, size_t n) {
  tr_error outer; /* a text that does not read says nothing: no error is left behind */
  tr_error_save(&outer);
  tr_error_clear();
  dump_values va = {0}, vb = {0};
  bool differs = false;
  if (read_values(a, a_name, &va) && read_values(b, b_name, &vb)) {
    const char *e = first_difference(&va, &vb);
    const dump_values *other = &vb;
    if (!e) {
      e = first_difference(&vb, &va);
      other = &va;
    }
    if ((differs = e != NULL)) {
      const char *o = lookup(other, e), *in_a = other == &vb ? e : o, *in_b = other == &vb ? o : e;
      if (!o)
        snprintf(what, n, "%s.%s is set only in %s", e, key_of(e), other == &vb ? a_name : b_name);
      else
        snprintf(what, n, "%s.%s = %s in %s, %s in %s", e, key_of(e), value_of(in_a), a_name, value_of(in_b),
                 b_name);
    }
  }
  free_values(&va);
  free_values(&vb);
  tr_error_clear();
  tr_error_restore(&outer);
  return differs;
}
