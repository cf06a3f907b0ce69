/* Atomic output files: nothing a user can see is ever half written, and no writer
 * follows a link planted at its temporary's name (see atomic_file.h). */
#define _GNU_SOURCE
#include "common/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names tried before giving up: each is taken only by someone else's file. */
#define TMP_TRIES 100

/* path + ".tmp." + six unpredictable letters or digits into *name (malloc'd). 0, or an
 * errno: getrandom's, or ENOMEM. */
static int tmp_candidate(const char *path, char **name) {
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char r[6];
  ssize_t got = getrandom(r, sizeof r, 0);
  if (got != (ssize_t)sizeof r) return got < 0 ? errno : EIO;
  if (asprintf(name, "%s.tmp.%c%c%c%c%c%c", path, chars[r[0] % 62], chars[r[1] % 62], chars[r[2] % 62],
               chars[r[3] % 62], chars[r[4] % 62], chars[r[5] % 62]) < 0) {
    *name = NULL;
    return ENOMEM;
  }
  return 0;
}

/* fsyncs the directory holding path, so that a rename into it or a removal from it is on
 * disk before anything written after it: "result.json last means complete" then holds
 * on any file system, not only on those that keep renames in order. Best effort: some
 * file systems cannot sync a directory. */
static void sync_parent(const char *path) {
  char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
  if (slash) slash[slash == dir] = '\0'; /* "/x" -> "/" */
  int fd = dir ? open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

/* Creates a fresh PATH.tmp.XXXXXX: a directory (mode 0700) when fd is NULL, else a file
 * open for writing in *fd. Never follows or reuses a name that exists (a planted link:
 * EEXIST, the next name). *name gets it (malloc'd). */
static tr_err create_fresh(const char *path, char **name, int *fd) {
  *name = NULL;
  for (int tries = 0; tries < TMP_TRIES; tries++) {
    char *cand;
    int e = tmp_candidate(path, &cand);
    if (e == ENOMEM) return tr_error_set(TR_ENOMEM, path, "out of memory");
    if (e) return tr_error_set(TR_EIO, path, "cannot create: no random name: %s", strerror(e));
    int got = fd ? (*fd = open(cand, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666))
                 : mkdir(cand, 0700);
    if (got >= 0) {
      *name = cand;
      return TR_OK;
    }
    e = errno;
    free(cand);
    if (e != EEXIST) return tr_error_set(TR_EIO, path, "cannot create: %s", strerror(e));
  }
  return tr_error_set(TR_EIO, path, "cannot create: %d temporary names taken", TMP_TRIES);
}

tr_err tr_atomic_open(tr_atomic *a, const char *path) {
  memset(a, 0, sizeof *a);
  if (!(a->path = strdup(path))) return tr_error_set(TR_ENOMEM, path, "out of memory");
  int fd = -1;
  tr_err rc = create_fresh(path, &a->tmp_path, &fd);
  if (rc == TR_OK && !(a->fp = fdopen(fd, "w"))) {
    rc = tr_error_set(TR_EIO, path, "cannot create: %s", strerror(errno));
    close(fd);
  }
  if (rc != TR_OK) tr_atomic_abort(a);
  return rc;
}

tr_err tr_atomic_commit(tr_atomic *a) {
  int caller_errno = errno; /* what a failed fwrite of the caller left */
  int e = 0;
  if (fflush(a->fp) != 0) e = errno;
  else if (ferror(a->fp)) e = caller_errno ? caller_errno : EIO;
  else if (fsync(fileno(a->fp)) != 0) e = errno;
  if (fclose(a->fp) != 0 && !e) e = errno;
  a->fp = NULL;
  tr_err rc = TR_OK;
  if (e) {
    unlink(a->tmp_path);
    rc = tr_error_set(TR_EIO, a->path, "write failed: %s", strerror(e));
  } else if (rename(a->tmp_path, a->path) != 0) {
    e = errno;
    unlink(a->tmp_path);
    rc = tr_error_set(TR_EIO, a->path, "cannot rename into place: %s", strerror(e));
  } else {
    sync_parent(a->path);
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

tr_err tr_tmp_dir(const char *path, char **dir) { return create_fresh(path, dir, NULL); }

void tr_tmp_dir_remove(const char *dir) {
  if (!dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (fd >= 0 && !d) close(fd);
  /* again while something went: removing entries while reading them may skip some */
  for (bool removed = d != NULL; removed;) {
    removed = false;
    rewinddir(d);
    for (struct dirent *e; (e = readdir(d));)
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && unlinkat(fd, e->d_name, 0) == 0) removed = true;
  }
  if (d) closedir(d);
  rmdir(dir);
}

tr_err tr_rename_durable(const char *tmp, const char *path) {
  int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int e = fd < 0 || fsync(fd) != 0 ? errno : 0;
  if (fd >= 0) close(fd);
  if (e) {
    unlink(tmp);
    return tr_error_set(TR_EIO, path, "write failed: %s", strerror(e));
  }
  if (rename(tmp, path) != 0) {
    e = errno;
    unlink(tmp);
    return tr_error_set(TR_EIO, path, "cannot rename into place: %s", strerror(e));
  }
  sync_parent(path);
  return TR_OK;
}

tr_err tr_remove_durable(const char *path) {
  if (unlink(path) != 0) {
    if (errno == ENOENT) return TR_OK;
    return tr_error_set(TR_EIO, path, "cannot remove: %s", strerror(errno));
  }
  sync_parent(path);
  return TR_OK;
}

tr_read_status tr_read_text(const char *path, char **text, size_t *len) {
  *text = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return TR_READ_OPEN;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    char *grown = realloc(buf, cap *= 2);
    if (!grown) free(buf);
    buf = grown;
  }
  int e = errno;
  bool bad = ferror(f);
  fclose(f);
  errno = e;
  if (!buf) return TR_READ_NOMEM;
  buf[n] = '\0';
  if (bad || memchr(buf, '\0', n)) {
    free(buf);
    return bad ? TR_READ_IO : TR_READ_NUL;
  }
  *text = buf;
  if (len) *len = n;
  return TR_READ_OK;
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
