/* Argument helpers shared by the subcommands: numbers with ranges, and getopt's
 * rejections turned into one-line usage errors. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

tr_err cli_parse_size(const char *cmd, const char *flag, const char *text, size_t min,
                      size_t max, size_t *out) {
  char *end;
  errno = 0;
  /* strtoull skips spaces and negates "-1" (and " -1") into 2^64 - 1: digits only */
  unsigned long long v = isdigit((unsigned char)text[0]) ? strtoull(text, &end, 10) : 0;
  if (!isdigit((unsigned char)text[0]) || errno || *end || v < min || v > max) {
    if (max == SIZE_MAX)
      return tr_error_set(TR_EUSAGE, cmd, "%s: expected an integer >= %zu, got '%s'", flag, min, text);
    return tr_error_set(TR_EUSAGE, cmd, "%s: expected an integer in [%zu, %zu], got '%s'", flag, min, max, text);
  }
  *out = (size_t)v;
  return TR_OK;
}

tr_err cli_parse_double(const char *cmd, const char *flag, const char *text, double lo,
                        double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end || !isfinite(v) || v < lo || v > hi)
    return tr_error_set(TR_EUSAGE, cmd, "%s: expected a number in [%g, %g], got '%s'", flag, lo,
                        hi, text);
  *out = v;
  return TR_OK;
}

tr_err cli_bad_option(const char *cmd, char **argv, int opt) {
  const char *arg = argv[optind - 1];
  if (opt == ':') return tr_error_set(TR_EUSAGE, cmd, "option '%s' needs a value", arg);
  return tr_error_set(TR_EUSAGE, cmd, "unknown option '%s' (see tradeoff %s --help)", arg, cmd);
}
