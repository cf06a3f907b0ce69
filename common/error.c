/* Error codes, their descriptions and the per-thread "first error" slot. The slot is
 * thread-local so OpenMP workers never race on it; parallel code carries a worker's
 * error to the caller with tr_error_save()/tr_error_restore(). */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local tr_error first;

const char *tr_strerror(tr_err e) {
  switch (e) {
  case TR_OK: return "success";
  case TR_EUSAGE: return "bad usage";
  case TR_ECONFIG: return "bad configuration";
  case TR_EINPUT: return "bad input data";
  case TR_EIO: return "I/O error";
  case TR_ENOMEM: return "out of memory";
  case TR_EHDF5: return "HDF5 error";
  case TR_EMPI: return "MPI error";
  case TR_ENUMERIC: return "numerical failure";
  case TR_EINTERNAL: return "internal error";
  case TR_ESTOPPED: return "stopped on request";
  }
  return "unknown error";
}

int tr_exit_code(tr_err e) {
  switch (e) {
  case TR_OK: return 0;
  case TR_EUSAGE:
  case TR_ECONFIG:
  case TR_EINPUT: return 2;
  default: return 1;
  }
}

static void record(tr_err code, const char *where, const char *fmt, va_list ap) {
  if (first.code != TR_OK) return;
  first.code = code;
  size_t n = 0;
  if (where && *where) {
    int k = snprintf(first.message, sizeof first.message, "%s: ", where);
    n = k < 0 ? 0 : (size_t)k;
    if (n >= sizeof first.message) n = sizeof first.message - 1;
  }
  vsnprintf(first.message + n, sizeof first.message - n, fmt, ap);
}

tr_err tr_error_set(tr_err code, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  record(code, where, fmt, ap);
  va_end(ap);
  return code;
}

tr_err tr_error_at(tr_err code, const char *file, long line, const char *fmt, ...) {
  char where[400];
  if (line > 0)
    snprintf(where, sizeof where, "%s:%ld", file ? file : "?", line);
  else
    snprintf(where, sizeof where, "%s", file ? file : "?");
  va_list ap;
  va_start(ap, fmt);
  record(code, where, fmt, ap);
  va_end(ap);
  return code;
}

tr_err tr_error_code(void) { return first.code; }
const char *tr_error_message(void) { return first.message; }
void tr_error_clear(void) { memset(&first, 0, sizeof first); }

void tr_error_save(tr_error *e) { *e = first; }

tr_err tr_error_restore(const tr_error *e) {
  if (e->code != TR_OK && first.code == TR_OK) first = *e;
  return e->code;
}

void *tr_check_alloc(void *p, const char *what) {
  if (!p) tr_error_set(TR_ENOMEM, what, "out of memory");
  return p;
}
