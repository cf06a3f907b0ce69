/* The INI front end (see inifile.h): reads the file into memory, checks its lines, and
 * feeds inih from memory through a line reader that counts lines, so each value is
 * located. A handler's error is set aside while inih goes on to the end (inih reports
 * a syntax error only when it is done), then the earlier of the two is kept. */
#define _GNU_SOURCE
#include "common/inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *pos;  /* next unread byte of the file's text */
  long line;        /* lines handed to inih so far */
  inifile_fn fn;
  void *user;
  bool failed;      /* the handler rejected a value: */
  long fail_line;   /* on which line */
  tr_error fail;    /* and why */
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

static int on_value(void *user, const char *section, const char *key, const char *value) {
  parse_state *s = user;
  if (s->failed) return 0;
  tr_error outer;
  tr_error_save(&outer);
  tr_error_clear();
  if (s->fn(s->user, section, key, value, s->line) != TR_OK) {
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
  FILE *f = fopen(path, "rb");
  if (!f) {
    tr_error_set(TR_ECONFIG, path, "cannot open %s: %s", what, strerror(errno));
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
    tr_error_set(TR_ENOMEM, path, "out of memory");
    return NULL;
  }
  buf[n] = '\0';
  if (bad || memchr(buf, '\0', n)) {
    free(buf);
    tr_error_set(TR_ECONFIG, path, bad ? "read error" : "not a text file");
    return NULL;
  }
  return buf;
}

tr_err inifile_parse(const char *path, const char *what, inifile_fn fn, void *user) {
  char *text = slurp(path, what);
  if (!text) return tr_error_code();
  /* inih silently splits lines longer than its buffer; refuse them instead. */
  long line = 1;
  for (const char *p = text, *start = text;; p++) {
    if (*p && *p != '\n') continue;
    if (p - start >= INI_MAX_LINE - 2) {
      free(text);
      return tr_error_at(TR_ECONFIG, path, line, "line longer than %d characters", INI_MAX_LINE - 2);
    }
    if (!*p) break;
    start = p + 1;
    line++;
  }
  parse_state s = {.pos = text, .fn = fn, .user = user};
  int bad_line = ini_parse_stream(read_line, &s, on_value, &s);
  free(text);
  if (s.failed && (bad_line <= 0 || s.fail_line <= bad_line)) return tr_error_restore(&s.fail);
  if (bad_line > 0)
    return tr_error_at(TR_ECONFIG, path, bad_line,
                       "syntax error (expected [section], key = value or a comment)");
  if (bad_line < 0) return tr_error_set(TR_ENOMEM, path, "out of memory");
  return TR_OK;
}
