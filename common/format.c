/* The dollar and duration formatters and the clamped append (see format.h). */
#include "common/format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

char *fmt_usd(double v, char *buf, size_t n) {
  if (!isfinite(v)) snprintf(buf, n, "-");
  else if (fabs(v) >= 1) snprintf(buf, n, "$%.2f", v);
  else if (fabs(v) >= 1e-3 || v == 0) snprintf(buf, n, "$%.4f", v);
  else snprintf(buf, n, "$%.3g", v);
  return buf;
}

char *fmt_duration(double s, char *buf, size_t n) {
  if (!isfinite(s)) snprintf(buf, n, "-");
  else if (s < 120) snprintf(buf, n, "%.2f s", s);
  else if (s < 7200) snprintf(buf, n, "%.1f min", s / 60);
  else snprintf(buf, n, "%.2f h", s / 3600);
  return buf;
}

void fmt_append(char *buf, size_t n, size_t *len, const char *fmt, ...) {
  if (n == 0 || *len >= n - 1) return; /* full (or no room at all) */
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, n - *len, fmt, ap);
  va_end(ap);
  if (k < 0) buf[*len] = '\0';
  else *len = *len + (size_t)k < n - 1 ? *len + (size_t)k : n - 1;
}
