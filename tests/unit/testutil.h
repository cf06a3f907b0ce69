/* Helpers shared by the Check suites: scratch directories and small files. */
#ifndef TR_TESTUTIL_H
#define TR_TESTUTIL_H
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* Runs a suite and returns the process exit status (0 when all passed). */
int tu_run(Suite *s);
#endif
