/* The INI front end (see inifile.h): reads the file into memory (or takes text already
 * there), checks its lines (length, section names), and feeds inih from memory through a
 * line reader that counts lines, so each value is located; a set of the keys seen refuses a key given twice. A handler's
 * error is set aside while inih goes on to the end (inih reports a syntax error only when
 * it is done), then the earlier of the two is kept. */
#define _GNU_SOURCE
#include "common/inifile.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/digest.h"

/* A key given in the file: "section\0key" and its line. */
typedef struct {
  char *name;
  long line;
} seen_key;

typedef struct {
  const char *path;
  const char *pos;  /* next unread byte of the file's text */
  long line;        /* lines handed to inih so far */
  inifile_fn fn;
  void *user;
  bool failed;      /* the handler rejected a value: */
  long fail_line;   /* on which line */
  tr_error fail;    /* and why */
  seen_key *seen;   /* the keys so far: an open-addressing hash set */
  size_t n_seen, cap_seen;
} parse_state;

static char *read_line(char *buf, int num, void *stream) {
  parse_state *s = stream;
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

static uint64_t hash_key(const char *section, const char *key) {
  uint64_t h = digest_update(DIGEST_INIT, section, strlen(section) + 1); /* with its NUL */
  return digest_update(h, key, strlen(key));
}

/* The slot of section/key in the set: where it is, or the empty one it would go in. */
static seen_key *slot_of(const parse_state *s, const char *section, const char *key) {
  size_t mask = s->cap_seen - 1, i = (size_t)hash_key(section, key) & mask, n = strlen(section);
  for (;; i = (i + 1) & mask) {
    seen_key *k = &s->seen[i];
    if (!k->name || (!strcmp(k->name, section) && !strcmp(k->name + n + 1, key))) return k;
  }
}

/* Records section/key at the current line; *first gets the line it was given on before
 * (0 when it is new). False on ENOMEM. */
static bool remember(parse_state *s, const char *section, const char *key, long *first) {
  *first = 0;
  if (2 * (s->n_seen + 1) > s->cap_seen) { /* keep the set at most half full */
    size_t cap = s->cap_seen ? 2 * s->cap_seen : 64;
    parse_state grown = *s;
    if (!(grown.seen = calloc(cap, sizeof *grown.seen))) return false;
    grown.cap_seen = cap;
    for (size_t i = 0; i < s->cap_seen; i++)
      if (s->seen[i].name) {
        const char *sec = s->seen[i].name;
        *slot_of(&grown, sec, sec + strlen(sec) + 1) = s->seen[i];
      }
    free(s->seen);
    s->seen = grown.seen;
    s->cap_seen = cap;
  }
  seen_key *k = slot_of(s, section, key);
  if (k->name) {
    *first = k->line;
    return true;
  }
  size_t ns = strlen(section), nk = strlen(key);
  if (!(k->name = malloc(ns + nk + 2))) return false;
  memcpy(k->name, section, ns + 1);
  memcpy(k->name + ns + 1, key, nk + 1);
  k->line = s->line;
  s->n_seen++;
  return true;
}

static void free_seen(parse_state *s) {
  for (size_t i = 0; i < s->cap_seen; i++) free(s->seen[i].name);
  free(s->seen);
  s->seen = NULL;
  s->n_seen = s->cap_seen = 0;
}

/* A key given twice in one file is refused at its second line (inih would hand both
 * to the handler, and a catalog that keeps the last one would read it silently). */
static tr_err check_and_pass(parse_state *s, const char *section, const char *key, const char *value) {
  long first;
  if (!remember(s, section, key, &first)) return tr_error_set(TR_ENOMEM, s->path, "out of memory");
  if (first)
    return tr_error_at(TR_ECONFIG, s->path, s->line, "%s.%s is set twice (first at %s:%ld)", section,
                       key, s->path, first);
  return s->fn(s->user, section, key, value, s->line);
}

static int on_value(void *user, const char *section, const char *key, const char *value) {
  parse_state *s = user;
  if (s->failed) return 0;
  tr_error outer;
  tr_error_save(&outer);
  tr_error_clear();
  if (check_and_pass(s, section, key, value) != TR_OK) {
    s->failed = true;
    s->fail_line = s->line;
    tr_error_save(&s->fail);
  }
  tr_error_clear();
  tr_error_restore(&outer);
  return s->failed ? 0 : 1;
}

/* The whole file as a NUL-terminated string (malloc'd), or NULL with the error set. */
static char *slurp(const char *path, const char *what) {
  char *text;
  switch (tr_read_text(path, &text, NULL)) {
  case TR_READ_OK: return text;
  case TR_READ_OPEN: tr_error_set(TR_ECONFIG, path, "cannot open %s: %s", what, strerror(errno)); break;
  case TR_READ_IO: tr_error_set(TR_ECONFIG, path, "read error"); break;
  case TR_READ_NUL: tr_error_set(TR_ECONFIG, path, "not a text file"); break;
  case TR_READ_NOMEM: tr_error_set(TR_ENOMEM, path, "out of memory"); break;
  }
  return NULL;
}

/* Where a "[section]" line's name ends as inih finds it: at the first ']' or at an
 * inline comment (';' after a space), which inih then reports as a syntax error. */
static const char *section_end(const char *p, const char *eol) {
  bool was_space = false;
  for (; p < eol && *p != ']' && !(was_space && *p == ';'); p++) was_space = isspace((unsigned char)*p);
  return p;
}

/* Checks every line before inih sees any: refuses lines longer than inih's buffer (it
 * would split them silently) and section names inih would truncate (two long names
 * sharing a prefix would become one section). Lines are classified as inih does: a
 * comment, a continuation (leading space after a key), a section, a key. */
static tr_err check_lines(const char *path, const char *text) {
  bool after_key = false; /* inih's prev_name: an indented line continues that value */
  long line = 1;
  for (const char *start = text;; line++) {
    const char *eol = strchr(start, '\n');
    if (!eol) eol = start + strlen(start);
    if (eol - start >= INI_MAX_LINE - 2)
      return tr_error_at(TR_ECONFIG, path, line, "line longer than %d characters", INI_MAX_LINE - 2);
    const char *p = start;
    if (line == 1 && eol - p >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* UTF-8 BOM */
    while (p < eol && isspace((unsigned char)*p)) p++;
    if (p == eol || *p == ';' || *p == '#') {
      /* blank or comment */
    } else if (after_key && p > start) {
      /* continuation of the previous value */
    } else if (*p == '[') {
      const char *end = section_end(p + 1, eol);
      if (end < eol && *end == ']' && end - (p + 1) > INIFILE_MAX_SECTION)
        return tr_error_at(TR_ECONFIG, path, line, "section name longer than %d characters: [%.*s...]",
                           INIFILE_MAX_SECTION, INIFILE_MAX_SECTION, p + 1);
      after_key = false;
    } else {
      after_key = true;
    }
    if (!*eol) return TR_OK;
    start = eol + 1;
  }
}

tr_err inifile_parse_text(const char *text, const char *name, inifile_fn fn, void *user) {
  if (check_lines(name, text) != TR_OK) return tr_error_code();
  parse_state s = {.pos = text, .fn = fn, .user = user, .path = name};
  int bad_line = ini_parse_stream(read_line, &s, on_value, &s);
  free_seen(&s);
  if (s.failed && (bad_line <= 0 || s.fail_line <= bad_line)) return tr_error_restore(&s.fail);
  if (bad_line > 0)
    return tr_error_at(TR_ECONFIG, name, bad_line,
                       "syntax error (expected [section], key = value or a comment)");
  if (bad_line < 0) return tr_error_set(TR_ENOMEM, name, "out of memory");
  return TR_OK;
}

tr_err inifile_parse(const char *path, const char *what, inifile_fn fn, void *user) {
  char *text = slurp(path, what);
  if (!text) return tr_error_code();
  tr_err rc = inifile_parse_text(text, path, fn, user);
  free(text);
  return rc;
}
