/* JSON documents (result.json, io.json, info, records, JSON lines) are built with cJSON
 * and read and written here. */
#define _GNU_SOURCE
#include "common/json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"

tr_err json_read_file(const char *path, cJSON **out) {
  *out = NULL;
  char *text;
  switch (tr_read_text(path, &text, NULL)) {
  case TR_READ_OK: break;
  case TR_READ_OPEN: return tr_error_set(TR_EINPUT, path, "cannot open: %s", strerror(errno));
  case TR_READ_IO: return tr_error_set(TR_EIO, path, "read error");
  case TR_READ_NUL: return tr_error_set(TR_EINPUT, path, "not valid JSON (it holds a NUL byte)");
  case TR_READ_NOMEM: return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  /* one document and nothing after it but white space: two records glued together, or
   * a record with garbage after it, are not read as the first one */
  cJSON *o = cJSON_ParseWithOpts(text, NULL, 1);
  free(text);
  if (!o) return tr_error_set(TR_EINPUT, path, "not valid JSON");
  *out = o;
  return TR_OK;
}

tr_err json_write_line(FILE *f, const cJSON *obj, const char *what) {
  char *line = cJSON_PrintUnformatted(obj);
  if (!line) return tr_error_set(TR_ENOMEM, what, "cannot render JSON");
  bool ok = fputs(line, f) >= 0 && fputc('\n', f) != EOF;
  free(line);
  return ok ? TR_OK : tr_error_set(TR_EIO, what, "write failed");
}

tr_err json_write_file(const char *path, const cJSON *obj) {
  char *text = cJSON_Print(obj);
  if (!text) return tr_error_set(TR_ENOMEM, path, "cannot render JSON");
  tr_atomic a;
  tr_err rc = tr_atomic_open(&a, path);
  if (rc == TR_OK) {
    fputs(text, a.fp);
    fputc('\n', a.fp);
    rc = tr_atomic_commit(&a);
  }
  free(text);
  return rc;
}

tr_err json_print(const cJSON *obj) {
  char *text = cJSON_Print(obj);
  if (!text) return tr_error_set(TR_ENOMEM, "stdout", "cannot render JSON");
  puts(text);
  free(text);
  return fflush(stdout) == 0 ? TR_OK : tr_error_set(TR_EIO, "stdout", "write failed");
}

cJSON *json_add_number(cJSON *obj, const char *name, double v) {
  if (!isfinite(v)) return cJSON_AddNullToObject(obj, name);
  return cJSON_AddNumberToObject(obj, name, v);
}

double json_number_at(const cJSON *o, const char *a, const char *b) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}
