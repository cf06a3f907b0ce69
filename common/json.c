/* JSON documents (result.json, io.json, info) are built with cJSON and written here. */
#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/atomic_file.h"

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
