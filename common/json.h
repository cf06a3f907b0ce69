/* JSON output through cJSON: atomic file writes and small builders. */
#ifndef TR_JSON_H
#define TR_JSON_H
#include <cjson/cJSON.h>

#include "common/error.h"

/* Writes obj pretty-printed (plus newline) atomically to path; obj is not freed. */
tr_err json_write_file(const char *path, const cJSON *obj);
/* Prints obj pretty-printed (plus newline) to stdout. */
tr_err json_print(const cJSON *obj);
/* Adds a number, or null when v is not finite (JSON has no NaN). */
cJSON *json_add_number(cJSON *obj, const char *name, double v);
#endif
