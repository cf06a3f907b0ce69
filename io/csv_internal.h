/* Internal to the CSV readers (io/csv.c, the numeric reader, and io/table.c, the typed
 * table reader): the header line and the label column, parsed one way for both. */
#ifndef TR_CSV_INTERNAL_H
#define TR_CSV_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Splits the header line [p, end) into unquoted, space-trimmed names (*n_out of them,
 * malloc'd; free with csv_free_names). TR_EINPUT "path:line: header: ..." when malformed. */
tr_err csv_parse_header(const char *path, long line, const char *p, const char *end,
                        char ***names_out, size_t *n_out);
/* The label column among names[0..n): want is a name, an all-digit 0-based index, or
 * NULL/"" for the column named "label", else the last. With optional, a name not in
 * the header (or no "label" for NULL) gives *label = SIZE_MAX. */
tr_err csv_find_label(const char *path, long line, char **names, size_t n,
                      const char *want, bool optional, size_t *label);
void csv_free_names(char **names, size_t n);
#endif
