/* Output files that appear complete or not at all, written without following a link
 * someone planted: a writer's temporary is created exclusively (O_CREAT | O_EXCL |
 * O_NOFOLLOW) under an unpredictable name PATH.tmp.XXXXXX in the target's directory (so
 * the rename stays on one file system), fsynced and renamed over PATH. A writer that
 * opens its file itself (libhdf5's H5Fcreate, gnuplot) gets a private directory
 * PATH.tmp.XXXXXX instead (mode 0700, made the same way), writes a fixed name inside
 * it, renames that out and removes the directory. A process killed while writing
 * leaves PATH.tmp.* behind: runfiles_remove_stale() sweeps a run's. Whole files are
 * read back here too (tr_read_text), the one reader of the INI and JSON front ends. */
#ifndef TR_ATOMIC_FILE_H
#define TR_ATOMIC_FILE_H
#include <stdio.h>

#include "common/error.h"

typedef struct {
  FILE *fp;        /* write here between open and commit */
  char *path;      /* final name */
  char *tmp_path;  /* the temporary: PATH.tmp.XXXXXX */
} tr_atomic;

/* Opens a fresh temporary next to path for writing (permissions 0666 less the umask,
 * as fopen gives). TR_EIO "path: cannot create: ..." when it cannot. */
tr_err tr_atomic_open(tr_atomic *a, const char *path);
/* Flushes, fsyncs, closes and renames into place, then syncs path's directory (so the
 * rename is on disk before what is written next); on failure removes the temporary and
 * records "path: write failed: ..." (the first error of the stream) or the rename's. */
tr_err tr_atomic_commit(tr_atomic *a);
/* Closes and removes the temporary (after an error); safe on a zeroed struct. */
void tr_atomic_abort(tr_atomic *a);

/* Makes a private directory PATH.tmp.XXXXXX next to path for a writer that creates its
 * files itself; *dir gets its name (malloc'd). TR_EIO "path: cannot create: ...". */
tr_err tr_tmp_dir(const char *path, char **dir);
/* Removes a private directory of tr_tmp_dir() and the files left in it (one level; a
 * link is removed, never followed). Safe on NULL and on a name that is gone. */
void tr_tmp_dir_remove(const char *dir);

/* fsyncs tmp (a file in a private directory), renames it to path and syncs path's
 * directory; removes tmp on failure. TR_EIO naming path. */
tr_err tr_rename_durable(const char *tmp, const char *path);

/* Removes path if it exists (ENOENT is TR_OK) and syncs its directory, so the removal is
 * on disk before what is written next. TR_EIO "path: cannot remove: ...". */
tr_err tr_remove_durable(const char *path);

/* How tr_read_text() went. */
typedef enum {
  TR_READ_OK,
  TR_READ_OPEN,   /* the file cannot be opened (errno says why) */
  TR_READ_IO,     /* a read error (errno says why) */
  TR_READ_NUL,    /* the file holds a NUL byte: not text */
  TR_READ_NOMEM,
} tr_read_status;

/* Reads the whole file at path: *text gets it NUL-terminated (malloc'd; the caller
 * frees it) and *len its length (len may be NULL); *text is NULL unless TR_READ_OK. A
 * file holding a NUL byte is refused, so the text is never cut short silently. Records
 * no error: the caller words it (for which file, with which code). */
tr_read_status tr_read_text(const char *path, char **text, size_t *len);

/* Creates a directory and its parents (mkdir -p). */
tr_err tr_mkdir_p(const char *dir);
#endif
