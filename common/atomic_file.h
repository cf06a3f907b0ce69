/* Output files that appear complete or not at all: write to PATH.tmp.PID, fsync,
 * rename over PATH. */
#ifndef TR_ATOMIC_FILE_H
#define TR_ATOMIC_FILE_H
#include <stdio.h>

#include "common/error.h"

typedef struct {
  FILE *fp;        /* write here between open and commit */
  char *path;      /* final name */
  char *tmp_path;  /* temporary name in the same directory */
} tr_atomic;

/* The temporary name used for path (malloc'd; NULL on ENOMEM). For writers that
 * open files themselves (HDF5): create tmp, then tr_rename_durable(tmp, path). */
char *tr_tmp_name(const char *path);

/* fsyncs tmp, renames it to path; removes tmp on failure. */
tr_err tr_rename_durable(const char *tmp, const char *path);

/* Opens a temporary file next to path for writing. */
tr_err tr_atomic_open(tr_atomic *a, const char *path);
/* Flushes, fsyncs, closes and renames into place; on failure removes the temporary. */
tr_err tr_atomic_commit(tr_atomic *a);
/* Closes and removes the temporary (after an error); safe on a zeroed struct. */
void tr_atomic_abort(tr_atomic *a);

/* Creates a directory and its parents (mkdir -p). */
tr_err tr_mkdir_p(const char *dir);
#endif
