/* Shared parts of the text data readers (CSV, LIBSVM): reading a whole, possibly
 * gzip-compressed file into memory, splitting it into lines, and exact fast parsing
 * of decimal numbers. */
#ifndef TR_TEXTREAD_H
#define TR_TEXTREAD_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Reads all of path (gzip or plain) into a malloc'd buffer, NUL-terminated, *len bytes
 * without the NUL; the caller frees *data. Errors: TR_EINPUT "path: cannot open ...",
 * TR_EINPUT "path:LINE: truncated gzip data ..." or "corrupt gzip data", TR_EIO, ENOMEM. */
tr_err txt_read_file(const char *path, char **data, size_t *len);

/* One line of a buffer: bytes [begin, end) without "\n" or "\r\n"; line is 1-based. */
typedef struct {
  size_t begin, end;
  long line;
} txt_line;

/* Splits buf[0..len) into its non-blank lines (lines of only spaces and tabs are left
 * out) as a malloc'd array *lines of *n entries (the caller frees it; NULL when none).
 * *physical gets the number of physical lines. Returns TR_OK or TR_ENOMEM. */
tr_err txt_split_lines(const char *buf, size_t len, txt_line **lines, size_t *n,
                       long *physical);

/* Parses a number starting at p (before end): a decimal such as "-1.25e-3", or "nan",
 * "inf", "infinity" (any case, optional sign). Stores it rounded as strtod() would and
 * returns the first byte after it, or NULL when p does not start a number or the
 * number runs into a letter, digit, '.', '+' or '-' (as in "1.5x" or "1-2"). */
const char *txt_scan_number(const char *p, const char *end, double *out);

/* True when [p, end) is exactly one number as txt_scan_number() reads it. */
bool txt_parse_number(const char *p, const char *end, double *out);

/* True for a space or a tab. */
static inline bool txt_is_space(char c) { return c == ' ' || c == '\t'; }
#endif
