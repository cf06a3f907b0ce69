/* Output directory locks (see dirlock.h): flock on DIR/.lock, the holder's pid in it. */
#define _GNU_SOURCE
#include "common/dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/path.h"

struct dirlock {
  int fd; /* the open .lock; -1 when the file system has no locks */
};

/* The pid the holder wrote into fd's file; 0 when none is there yet. The holder writes
 * it right after taking the lock: wait a moment for it. */
static long holder_pid(int fd) {
  for (int tries = 0; tries < 50; tries++) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      buf[n] = '\0';
      long pid = strtol(buf, NULL, 10);
      if (pid > 0) return pid;
    }
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
  }
  return 0;
}

tr_err dirlock_take(const char *dir, dirlock **out) {
  *out = NULL;
  char *path = path_join(dir, ".lock");
  if (!path) return tr_error_code();
  dirlock *l = malloc(sizeof *l);
  tr_err rc = l ? TR_OK : tr_error_set(TR_ENOMEM, path, "out of memory");
  int fd = rc == TR_OK ? open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666) : -1;
  struct stat st;
  if (rc == TR_OK && (fd < 0 || fstat(fd, &st) != 0))
    rc = tr_error_set(TR_EIO, path, "cannot lock: %s", strerror(errno));
  else if (rc == TR_OK && !S_ISREG(st.st_mode))
    rc = tr_error_set(TR_EIO, path, "cannot lock: not a regular file");
  if (rc == TR_OK && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e == EWOULDBLOCK) {
      long pid = holder_pid(fd);
      if (pid > 0) rc = tr_error_set(TR_EUSAGE, NULL, "%s is in use by pid %ld", dir, pid);
      else rc = tr_error_set(TR_EUSAGE, NULL, "%s is in use by another process", dir);
    } else if (e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL) {
      log_warn("%s: no file locks on this file system (%s): another run into %s is not stopped", path,
               strerror(e), dir);
      close(fd);
      fd = -1;
    } else {
      rc = tr_error_set(TR_EIO, path, "cannot lock: %s", strerror(e));
    }
  }
  if (rc == TR_OK && fd >= 0) {
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
      rc = tr_error_set(TR_EIO, path, "cannot write the pid: %s", strerror(errno));
  }
  free(path);
  if (rc != TR_OK) {
    if (fd >= 0) close(fd); /* releases the lock when it was taken */
    free(l);
    return rc;
  }
  l->fd = fd;
  *out = l;
  return TR_OK;
}

void dirlock_free(dirlock **l) {
  if (!*l) return;
  if ((*l)->fd >= 0) {
    if (ftruncate((*l)->fd, 0) != 0) {
      /* the pid stays; the lock goes with the close all the same */
    }
    close((*l)->fd);
  }
  free(*l);
  *l = NULL;
}
