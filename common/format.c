/* The dollar and duration formatters (see format.h). */
#include "common/format.h"

#include <math.h>
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
