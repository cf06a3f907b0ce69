/* Path joining and the default output directory (see path.h). */
#define _GNU_SOURCE
#include "common/path.h"

#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static char *oom(void) { return tr_check_alloc(NULL, "path"); }

char *path_join(const char *dir, const char *name) {
  char *p = NULL;
  if (!*dir) {
    p = strdup(name);
    return p ? p : oom();
  }
  if (asprintf(&p, "%s/%s", dir, name) < 0) return oom();
  return p;
}

char *path_join3(const char *a, const char *b, const char *c) {
  char *ab = path_join(a, b), *abc = ab ? path_join(ab, c) : NULL;
  free(ab);
  return abc;
}

char *path_stem(const char *file) {
  char *copy = strdup(file);
  if (!copy) return oom();
  char *name = strdup(basename(copy));
  free(copy);
  if (!name) return oom();
  char *dot = strrchr(name, '.');
  if (dot && dot != name) *dot = '\0';
  return name;
}

/* stem made safe as one directory name (see path_default_out). */
static void sanitize(char *stem) {
  for (char *p = stem; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr(".-_+", *p)) *p = '_';
}

char *path_default_out(const char *file, const char *suffix) {
  char *stem = path_stem(file), *out = NULL;
  if (!stem) return NULL;
  sanitize(stem);
  if (!*stem || !strcmp(stem, ".") || !strcmp(stem, "..")) {
    free(stem);
    if (!(stem = strdup("unnamed"))) return oom();
  }
  if (asprintf(&out, "runs/%s%s", stem, suffix) < 0) out = oom();
  free(stem);
  return out;
}
