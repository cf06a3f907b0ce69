/* Shell quoting (see shell.h). */
#include "common/shell.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

char *sh_quote(const char *s) {
  size_t n = strlen(s);
  bool control = false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) control = true;
  char *out = malloc(4 * n + 4), *p = out; /* worst case: \xHH per byte, $'', NUL */
  if (!out) return tr_check_alloc(NULL, "quoting");
  if (!control) {
    *p++ = '\'';
    for (size_t i = 0; i < n; i++) {
      if (s[i] == '\'') {
        memcpy(p, "'\\''", 4);
        p += 4;
      } else {
        *p++ = s[i];
      }
    }
    *p++ = '\'';
  } else {
    *p++ = '$';
    *p++ = '\'';
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)s[i];
      if (c == '\n') p += sprintf(p, "\\n");
      else if (c == '\t') p += sprintf(p, "\\t");
      else if (c == '\\' || c == '\'') p += sprintf(p, "\\%c", c);
      else if (c < 0x20 || c == 0x7f) p += sprintf(p, "\\x%02x", c);
      else *p++ = (char)c;
    }
    *p++ = '\'';
  }
  *p = '\0';
  return out;
}
