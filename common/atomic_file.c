/* Atomic output files: nothing a user can see is ever half written. */
#define _GNU_SOURCE
#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *tr_tmp_name(const char *path) {
  char *tmp = NULL;
  if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) return NULL;
  return tmp;
}

tr_err tr_rename_durable(const char *tmp, const char *path) {
  int fd = open(tmp, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return tr_error_set(TR_EIO, path, "cannot rename into place: %s", strerror(e));
  }
  return TR_OK;
}

tr_err tr_atomic_open(tr_atomic *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->path = strdup(path);
  a->tmp_path = tr_tmp_name(path);
  if (!a->path || !a->tmp_path) {
    tr_atomic_abort(a);
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  a->fp = fopen(a->tmp_path, "w");
  if (!a->fp) {
    int e = errno;
    tr_atomic_abort(a);
    return tr_error_set(TR_EIO, path, "cannot create: %s", strerror(e));
  }
  return TR_OK;
}

tr_err tr_atomic_commit(tr_atomic *a) {
  int failed = fflush(a->fp) != 0 || ferror(a->fp) || fsync(fileno(a->fp)) != 0;
  int e = errno;
  failed |= fclose(a->fp) != 0;
  a->fp = NULL;
  tr_err rc = TR_OK;
  if (failed) {
    unlink(a->tmp_path);
    rc = tr_error_set(TR_EIO, a->path, "write failed: %s", strerror(e));
  } else if (rename(a->tmp_path, a->path) != 0) {
    e = errno;
    unlink(a->tmp_path);
    rc = tr_error_set(TR_EIO, a->path, "cannot rename into place: %s", strerror(e));
  }
  free(a->path);
  free(a->tmp_path);
  a->path = a->tmp_path = NULL;
  return rc;
}

void tr_atomic_abort(tr_atomic *a) {
  if (a->fp) fclose(a->fp);
  if (a->tmp_path) unlink(a->tmp_path);
  free(a->path);
  free(a->tmp_path);
  memset(a, 0, sizeof *a);
}

tr_err tr_mkdir_p(const char *dir) {
  char *p = strdup(dir);
  if (!p) return tr_error_set(TR_ENOMEM, dir, "out of memory");
  size_t n = strlen(p);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      free(p);
      return tr_error_set(TR_EIO, dir, "cannot create directory: %s", strerror(e));
    }
    p[i] = c;
  }
  free(p);
  return TR_OK;
}
