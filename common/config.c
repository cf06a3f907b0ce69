/* INI configuration driven by an option table. inih does the tokenizing; this module
 * feeds it one line at a time from memory so each key knows its line number, and
 * checks every value against the table as it arrives. */
#define _GNU_SOURCE
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct cfg {
  const cfg_option *table;
  size_t n;
  char **values;  /* current text of each option */
  char **where;   /* "file:line", "--set", or NULL for the default */
};

cfg *cfg_new(const cfg_option *table, size_t n) {
  cfg *c = calloc(1, sizeof *c);
  if (!c) return tr_check_alloc(NULL, "configuration");
  c->table = table;
  c->n = n;
  c->values = calloc(n, sizeof(char *));
  c->where = calloc(n, sizeof(char *));
  if (!c->values || !c->where) goto oom;
  for (size_t i = 0; i < n; i++)
    if (!(c->values[i] = strdup(table[i].def ? table[i].def : ""))) goto oom;
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
  free(c->values);
  free(c->where);
  free(c);
  *pc = NULL;
}

static long find(const cfg *c, const char *section, const char *key) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->table[i].section, section) == 0 && strcmp(c->table[i].key, key) == 0)
      return (long)i;
  return -1;
}

static bool section_known(const cfg *c, const char *section) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->table[i].section, section) == 0) return true;
  return false;
}

static size_t must_find(const cfg *c, const char *section, const char *key) {
  long i = find(c, section, key);
  if (i < 0) {
    fprintf(stderr, "tradeoff: internal error: option %s.%s is not in the table\n", section,
            key);
    abort();
  }
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

static bool in_choices(const char *choices, const char *s) {
  size_t n = strlen(s);
  for (const char *p = choices; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, s, n) == 0) return true;
    if (!bar) break;
    p = bar + 1;
  }
  return false;
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
    if (in_choices(o->choices, text)) return true;
    snprintf(msg, len, "expected one of %s, got '%s'", o->choices, text);
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
    char *copy = strdup(text);
    if (!copy) {
      snprintf(msg, len, "out of memory");
      return false;
    }
    bool ok = true;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
      while (isspace((unsigned char)*tok)) tok++;
      if (!parse_long(tok, &l)) {
        snprintf(msg, len, "expected comma-separated integers, got '%s'", text);
        ok = false;
      } else if (has_range(o) && (l < o->min || l > o->max)) {
        snprintf(msg, len, "each value must be in [%g, %g], got %ld", o->min, o->max, l);
        ok = false;
      }
    }
    free(copy);
    return ok;
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
  const cfg_option *o = &c->table[i];
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

/* inih reads lines through this reader, so the handler knows the current line. */
typedef struct {
  cfg *c;
  const char *path;
  const char *text, *pos;
  long line;
  bool failed;      /* the handler rejected a line: */
  long fail_line;   /* which one */
  tr_error fail;    /* and why (recorded after parsing, so syntax errors on
                       earlier lines, which inih reports only at the end, come first) */
  bool *seen;       /* option i already set in this file */
} ini_state;

static char *read_line(char *buf, int num, void *stream) {
  ini_state *s = stream;
  if (!*s->pos) return NULL;
  const char *nl = strchr(s->pos, '\n');
  size_t len = nl ? (size_t)(nl - s->pos + 1) : strlen(s->pos);
  size_t copy = len < (size_t)num - 1 ? len : (size_t)num - 1;
  memcpy(buf, s->pos, copy);
  buf[copy] = '\0';
  s->pos += len;
  s->line++;
  return buf;
}

static int check_value(ini_state *s, const char *section, const char *key, const char *value) {
  char loc[512];
  snprintf(loc, sizeof loc, "%s:%ld", s->path, s->line);
  long i = find(s->c, section, key);
  if (i < 0) {
    if (!section_known(s->c, section))
      return tr_error_set(TR_ECONFIG, loc, "unknown section [%s]", section);
    return tr_error_set(TR_ECONFIG, loc, "unknown key '%s' in [%s]", key, section);
  }
  if (s->seen[i])
    return tr_error_set(TR_ECONFIG, loc, "%s.%s is set twice (first at %s)", section, key,
                        s->c->where[i]);
  s->seen[i] = true;
  return assign(s->c, (size_t)i, value, loc, loc);
}

static int on_value(void *user, const char *section, const char *key, const char *value) {
  ini_state *s = user;
  if (s->failed) return 0;
  /* Collect the handler's error aside; cfg_load_file() decides which error is first. */
  tr_error outer;
  tr_error_save(&outer);
  tr_error_clear();
  if (check_value(s, section, key, value) != TR_OK) {
    s->failed = true;
    s->fail_line = s->line;
    tr_error_save(&s->fail);
  }
  tr_error_clear();
  tr_error_restore(&outer);
  return s->failed ? 0 : 1;
}

static char *slurp(const char *path, tr_err *rc) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *rc = tr_error_set(TR_ECONFIG, path, "cannot open job file: %s", strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    char *grown = realloc(buf, cap *= 2);
    if (!grown) free(buf);
    buf = grown;
  }
  bool bad = ferror(f);
  fclose(f);
  if (!buf) {
    *rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    return NULL;
  }
  buf[n] = '\0';
  if (bad || memchr(buf, '\0', n)) {
    free(buf);
    *rc = tr_error_set(TR_ECONFIG, path, bad ? "read error" : "not a text file");
    return NULL;
  }
  return buf;
}

tr_err cfg_load_file(cfg *c, const char *path) {
  tr_err rc = TR_OK;
  char *text = slurp(path, &rc);
  if (!text) return rc;
  /* inih silently splits lines longer than its buffer; refuse them instead. */
  long line = 1;
  for (const char *p = text, *start = text;; p++) {
    if (*p && *p != '\n') continue;
    if (p - start >= INI_MAX_LINE - 2) {
      free(text);
      return tr_error_at(TR_ECONFIG, path, line, "line longer than %d characters",
                         INI_MAX_LINE - 2);
    }
    if (!*p) break;
    start = p + 1;
    line++;
  }
  ini_state s = {.c = c, .path = path, .text = text, .pos = text};
  s.seen = calloc(c->n ? c->n : 1, sizeof(bool));
  if (!s.seen) {
    free(text);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  int bad_line = ini_parse_stream(read_line, &s, on_value, &s);
  free(s.seen);
  free(text);
  if (s.failed && (bad_line <= 0 || s.fail_line <= bad_line)) return tr_error_restore(&s.fail);
  if (bad_line > 0)
    return tr_error_at(TR_ECONFIG, path, bad_line,
                       "syntax error (expected [section], key = value or a comment)");
  if (bad_line < 0) return tr_error_set(TR_ENOMEM, path, "out of memory");
  return TR_OK;
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

const char *cfg_str(const cfg *c, const char *section, const char *key) {
  return c->values[must_find(c, section, key)];
}

long cfg_int(const cfg *c, const char *section, const char *key) {
  long v = 0;
  parse_long(cfg_str(c, section, key), &v);
  return v;
}

double cfg_float(const cfg *c, const char *section, const char *key) {
  const char *text = cfg_str(c, section, key);
  double v = 0;
  if (!*text) return NAN; /* an optional number left empty */
  parse_double(text, &v);
  return v;
}

bool cfg_bool(const cfg *c, const char *section, const char *key) {
  return parse_bool(cfg_str(c, section, key)) == 1;
}

size_t cfg_list(const cfg *c, const char *section, const char *key, long *out, size_t max) {
  const char *p = cfg_str(c, section, key);
  size_t n = 0;
  while (*p && n < max) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    out[n++] = v;
    p = end;
    while (*p == ',' || isspace((unsigned char)*p)) p++;
  }
  return n;
}

bool cfg_is_set(const cfg *c, const char *section, const char *key) {
  return c->where[must_find(c, section, key)] != NULL;
}

tr_err cfg_error(const cfg *c, tr_err code, const char *section, const char *key,
                 const char *fmt, ...) {
  const char *w = c->where[must_find(c, section, key)];
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (w && strcmp(w, "--set") != 0) return tr_error_set(code, w, "%s.%s: %s", section, key, msg);
  char loc[300];
  snprintf(loc, sizeof loc, "%s.%s", section, key);
  return tr_error_set(code, loc, "%s", msg);
}

char *cfg_dump(const cfg *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  const char *section = NULL;
  for (size_t i = 0; i < c->n; i++) {
    if (!section || strcmp(section, c->table[i].section) != 0) {
      section = c->table[i].section;
      fprintf(f, "%s[%s]\n", i ? "\n" : "", section);
    }
    fprintf(f, "%s = %s\n", c->table[i].key, c->values[i]);
  }
  fclose(f);
  return buf;
}

static const char *type_name(cfg_type t) {
  static const char *names[] = {"text", "integer", "number", "bool", "choice", "list"};
  return names[t];
}

void cfg_print_help(const cfg_option *table, size_t n, FILE *out) {
  const char *section = NULL;
  for (size_t i = 0; i < n; i++) {
    const cfg_option *o = &table[i];
    if (!section || strcmp(section, o->section) != 0) {
      section = o->section;
      fprintf(out, "\n[%s]\n", section);
    }
    char kind[96];
    if (o->type == CFG_ENUM)
      snprintf(kind, sizeof kind, "%s", o->choices);
    else if (has_range(o))
      snprintf(kind, sizeof kind, "%s in [%.10g, %.10g]", type_name(o->type), o->min, o->max);
    else
      snprintf(kind, sizeof kind, "%s", type_name(o->type));
    fprintf(out, "  %-22s = %-12s %s (%s)\n", o->key, *o->def ? o->def : "\"\"", o->help, kind);
  }
}
