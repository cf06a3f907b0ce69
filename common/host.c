/* The measuring host (see host.h). */
#define _GNU_SOURCE
#include "common/host.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The value of the first "key<spaces>: value" line of /proc/cpuinfo into out. */
static bool cpuinfo(const char *key, char *out, size_t n) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  char line[512];
  size_t len = strlen(key);
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, key, len) != 0) continue;
    char *colon = strchr(line + len, ':');
    if (!colon) continue;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    v[strcspn(v, "\n")] = '\0';
    snprintf(out, n, "%s", v);
    found = *out != '\0';
  }
  fclose(f);
  return found;
}

void host_describe(host_info *h) {
  memset(h, 0, sizeof *h);
  struct utsname u;
  bool have_uname = uname(&u) == 0;
  if (gethostname(h->name, sizeof h->name - 1) != 0 || !*h->name)
    snprintf(h->name, sizeof h->name, "%s", have_uname ? u.nodename : "unknown");
  if (!cpuinfo("model name", h->cpu, sizeof h->cpu))
    snprintf(h->cpu, sizeof h->cpu, "%s", have_uname ? u.machine : "unknown");
  long cores = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  h->cores = cores > 0 ? (int)cores : 0;
  h->memory_gib = pages > 0 && page > 0 ? (double)pages * (double)page / 1073741824.0 : 0;
}
