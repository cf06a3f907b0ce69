/* Helpers shared by the Check suites: scratch directories and small files. */
#ifndef TR_TESTUTIL_H
#define TR_TESTUTIL_H
#include <check.h>
#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A fresh empty directory under $TMPDIR (malloc'd path); removed by tu_rmrf(). */
char *tu_tmpdir(void);
/* Removes a directory tree. */
void tu_rmrf(const char *path);
/* dir/name (malloc'd). */
char *tu_path(const char *dir, const char *name);
/* Writes text to path (creating or truncating it). */
void tu_write(const char *path, const char *text);
/* Writes text gzip-compressed to path. */
void tu_write_gz(const char *path, const char *text);
/* A checked fixture: tu_setup() makes a fresh scratch directory tu_dir and clears the
 * recorded error; tu_teardown() removes the directory and clears the error. */
extern char *tu_dir;
void tu_setup(void);
void tu_teardown(void);
/* Asserts the recorded error is TR_EINPUT and its message names "path:line: " and
 * contains what. */
void tu_assert_input_error(const char *path, long line, const char *what);
/* True when dir/name exists. */
bool tu_exists(const char *dir, const char *name);
/* The contents of path (malloc'd, NUL-terminated; the test fails when it cannot be read). */
char *tu_read(const char *path);
/* A job from the defaults and the overrides sets ("SECTION.KEY=VALUE", NULL-terminated);
 * the test fails when it is refused. Free with job_free. */
typedef struct job job;
job *tu_job(const char *const *sets);
/* A storage backend `name` built from the job's defaults and the overrides sets
 * ("SECTION.KEY=VALUE", NULL-terminated; sets may be NULL), one rank, the data set's
 * size data_bytes. Free it with tu_stg_free (which frees the job its parameters live in). */
typedef struct stg stg;
stg *tu_stg(const char *name, const char *const *sets, bool virtual_clock, uint64_t data_bytes);
void tu_stg_free(stg **s);
/* HDF5 fixtures, written with the HDF5 C API (the reader's and info's suites). */
typedef struct {
  hid_t xtype; /* file type of X (0 = H5T_IEEE_F32LE) */
  int xrank;   /* 0 = 2 */
  hsize_t rows, cols;
  hsize_t chunk[2]; /* {0, 0} = contiguous */
  int deflate;      /* 0 = none */
  bool shuffle, fletcher32;
  bool partial;  /* write only the first half of the rows (unallocated chunks) */
  hid_t ytype;   /* 0 = no y */
  int yrank;     /* 1 or 2 (N x ycols) */
  hsize_t ycols; /* 0 = 1 */
  hsize_t yrows; /* 0 = rows */
  const char *xname, *yname;
} tu_h5_spec;
/* The values tu_h5_write stores: X[i][j] (truncated for integer X) and y[i]. */
double tu_h5_xval(hsize_t i, hsize_t j);
double tu_h5_yval(hsize_t i);
/* Writes an HDF5 file as described by s. */
void tu_h5_write(const char *path, const tu_h5_spec *s);
/* tu_dir/name written as described by s (malloc'd path). */
char *tu_h5_file(const char *name, const tu_h5_spec *s);
/* Asserts that no HDF5 object of any file is left open. */
void tu_h5_assert_closed(void);
/* Asserts that a call failed with code (returned and recorded), with a message that
 * starts with path and holds words (unless NULL), and left no HDF5 object open. */
void tu_h5_assert_error(tr_err rc, tr_err code, const char *path, const char *words);

/* Links planted where a writer of path could put its temporary: symbolic links to
 * target at the old predictable name PATH.tmp.<pid> and at PATH.tmp.AAAAAA, the name of
 * atomic_file.h's pattern that the next getrandom() call gives (armed here: that call
 * returns zero bytes; this suite's getrandom passes through to the kernel otherwise).
 * tu_assert_links_unfollowed() asserts the armed name was tried and never followed: both
 * links are still links and target still holds text. */
void tu_plant_tmp_links(const char *path, const char *target);
void tu_assert_links_unfollowed(const char *path, const char *target, const char *text);
/* Runs fn(arg) in a child whose address space (RLIMIT_AS) is what the test maps now plus
 * extra_mib (no limit under AddressSanitizer, whose shadow memory is terabytes); returns
 * fn's return value, or 128 + the signal that ended the child. */
int tu_run_limited(size_t extra_mib, int (*fn)(void *), void *arg);

/* Runs a suite and returns the process exit status (0 when all passed). */
int tu_run(Suite *s);
#endif
