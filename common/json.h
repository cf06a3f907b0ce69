/* JSON through cJSON: reading a whole file, atomic file writes, JSON lines, and small
 * builders. */
#ifndef TR_JSON_H
#define TR_JSON_H
#include <cjson/cJSON.h>
#include <stdio.h>

#include "common/error.h"

/* Parses the JSON document in path: the whole file is one document (white space may
 * follow it; anything else, a second document or a NUL byte makes it invalid). Errors:
 * TR_EINPUT "path: cannot open: ..." (a missing file), "path: not valid JSON",
 * TR_EIO "path: read error", TR_ENOMEM. */
tr_err json_read_file(const char *path, cJSON **out);
/* Writes obj on one line (plus newline) to f: one line of a JSON-lines file. TR_EIO
 * when the write fails, naming what (a file name, for the message). */
tr_err json_write_line(FILE *f, const cJSON *obj, const char *what);
/* Writes obj pretty-printed (plus newline) atomically to path; obj is not freed. */
tr_err json_write_file(const char *path, const cJSON *obj);
/* Prints obj pretty-printed (plus newline) to stdout. */
tr_err json_print(const cJSON *obj);
/* Adds a number, or null when v is not finite (JSON has no NaN). */
cJSON *json_add_number(cJSON *obj, const char *name, double v);
/* The number at o.a, or at o.a.b when b is not NULL (keys case-sensitive); NAN when o
 * is NULL or the member is absent or not a number. */
double json_number_at(const cJSON *o, const char *a, const char *b);
#endif
