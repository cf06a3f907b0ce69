/* The logging sink: level, quiet flag and rank are the only mutable globals of the
 * program (DESIGN.md); they are set once by main() before any work starts. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static log_level min_level = LOG_INFO;
static bool quiet_mode = false;
static int log_rank = -1;

void log_set_level(log_level level) { min_level = level; }
void log_set_quiet(bool quiet) { quiet_mode = quiet; }
void log_set_rank(int rank) { log_rank = rank; }

bool log_enabled(log_level level) {
  if (level >= LOG_ERROR) return true;
  return !quiet_mode && level >= min_level;
}

void log_msg(log_level level, const char *fmt, ...) {
  if (!log_enabled(level)) return;
  static const char *tags[] = {"debug: ", "", "warning: ", "error: "};
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (log_rank > 0)
    fprintf(stderr, "tradeoff: [rank %d] %s%s\n", log_rank, tags[level], line);
  else
    fprintf(stderr, "tradeoff: %s%s\n", tags[level], line);
}
