/* Test helpers: temporary directories and files for the Check suites, and the HDF5
 * fixtures of the reader and info suites. */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "common/error.h"
#include "experiments/job.h"

char *tu_dir;

void tu_setup(void) {
  tu_dir = tu_tmpdir();
  tr_error_clear();
}

void tu_teardown(void) {
  tu_rmrf(tu_dir);
  free(tu_dir);
  tu_dir = NULL;
  tr_error_clear();
}

char *tu_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char *tmpl = NULL;
  if (asprintf(&tmpl, "%s/tradeoff-test-XXXXXX", base ? base : "/tmp") < 0) abort();
  if (!mkdtemp(tmpl)) abort();
  return tmpl;
}

void tu_rmrf(const char *path) {
  char *cmd = NULL;
  if (asprintf(&cmd, "rm -rf '%s'", path) < 0) abort();
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
  free(cmd);
}

char *tu_path(const char *dir, const char *name) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, name) < 0) abort();
  return p;
}

void tu_write(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

void tu_write_gz(const char *path, const char *text) {
  gzFile g = gzopen(path, "wb");
  ck_assert_ptr_nonnull(g);
  gzputs(g, text);
  gzclose(g);
}

void tu_assert_input_error(const char *path, long line, const char *what) {
  ck_assert_int_eq(tr_error_code(), TR_EINPUT);
  char where[600];
  snprintf(where, sizeof where, "%s:%ld: ", path, line);
  const char *msg = tr_error_message();
  ck_assert_msg(strstr(msg, where) != NULL, "message \"%s\" lacks \"%s\"", msg, where);
  ck_assert_msg(strstr(msg, what) != NULL, "message \"%s\" lacks \"%s\"", msg, what);
}

double tu_h5_xval(hsize_t i, hsize_t j) { return (double)(i * 100 + j) + 0.25; }
double tu_h5_yval(hsize_t i) { return (double)(i % 3); }

/* Writes an HDF5 file as described; X[i][j] = tu_h5_xval(i, j) (truncated for integer X). */
void tu_h5_write(const char *path, const tu_h5_spec *s) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  int rank = s->xrank ? s->xrank : 2;
  hsize_t dims[3] = {s->rows, s->cols, 2};
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (s->chunk[0]) {
    hsize_t ch[3] = {s->chunk[0], s->chunk[1], 2};
    ck_assert_int_ge(H5Pset_chunk(dcpl, rank, ch), 0);
    if (s->shuffle) ck_assert_int_ge(H5Pset_shuffle(dcpl), 0);
    if (s->deflate) ck_assert_int_ge(H5Pset_deflate(dcpl, (unsigned)s->deflate), 0);
    if (s->fletcher32) ck_assert_int_ge(H5Pset_fletcher32(dcpl), 0);
  }
  hid_t xt = s->xtype ? s->xtype : H5T_IEEE_F32LE;
  hid_t x = H5Dcreate2(f, s->xname ? s->xname : "X", xt, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ck_assert_int_ge(x, 0);
  size_t n = (size_t)(s->rows * s->cols * (rank == 3 ? 2 : 1));
  double *buf = malloc((n ? n : 1) * sizeof *buf);
  for (size_t k = 0; k < n; k++) buf[k] = (double)k + 0.25;
  if (rank == 2)
    for (hsize_t i = 0; i < s->rows; i++)
      for (hsize_t j = 0; j < s->cols; j++) buf[i * s->cols + j] = tu_h5_xval(i, j);
  if (H5Tget_class(xt) == H5T_STRING) {
    /* a 2-D string X: the contents do not matter */
  } else if (s->partial) {
    hsize_t start[2] = {0, 0}, count[2] = {s->rows / 2, s->cols};
    hid_t fs = H5Dget_space(x), ms = H5Screate_simple(2, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    ck_assert_int_ge(H5Dwrite(x, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf), 0);
    H5Sclose(fs);
    H5Sclose(ms);
  } else if (n) {
    ck_assert_int_ge(H5Dwrite(x, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
  }
  free(buf);
  H5Dclose(x);
  H5Pclose(dcpl);
  H5Sclose(space);
  if (s->ytype) {
    hsize_t yrows = s->yrows ? s->yrows : s->rows, ycols = s->ycols ? s->ycols : 1;
    hsize_t ydims[2] = {yrows, ycols};
    hid_t ys = H5Screate_simple(s->yrank ? s->yrank : 1, ydims, NULL);
    hid_t y = H5Dcreate2(f, s->yname ? s->yname : "y", s->ytype, ys, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    ck_assert_int_ge(y, 0);
    double *yb = malloc((yrows * ycols + 1) * sizeof *yb);
    for (hsize_t i = 0; i < yrows * ycols; i++) yb[i] = tu_h5_yval(i / ycols);
    ck_assert_int_ge(H5Dwrite(y, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, yb), 0);
    free(yb);
    H5Dclose(y);
    H5Sclose(ys);
  }
  H5Fclose(f);
}

char *tu_h5_file(const char *name, const tu_h5_spec *s) {
  char *p = tu_path(tu_dir, name);
  tu_h5_write(p, s);
  return p;
}

void tu_h5_assert_closed(void) {
  ck_assert_int_eq(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

void tu_h5_assert_error(tr_err rc, tr_err code, const char *path, const char *words) {
  ck_assert_int_eq(rc, code);
  ck_assert_int_eq(tr_error_code(), code);
  const char *msg = tr_error_message();
  ck_assert_msg(strncmp(msg, path, strlen(path)) == 0, "message '%s' does not name %s", msg, path);
  if (words) ck_assert_msg(strstr(msg, words) != NULL, "message '%s' lacks '%s'", msg, words);
  tu_h5_assert_closed();
}

#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif

int tu_run_limited(size_t extra_mib, int (*fn)(void *), void *arg) {
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
#ifndef TU_ASAN
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%lu", &pages) != 1) _exit(125);
    fclose(f);
    rlim_t limit = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (rlim_t)extra_mib * 1024 * 1024;
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(126);
#else
    (void)extra_mib;
#endif
    _exit(fn(arg));
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int tu_run(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}

bool tu_exists(const char *dir, const char *name) {
  char *p = tu_path(dir, name);
  struct stat st;
  bool ok = stat(p, &st) == 0;
  free(p);
  return ok;
}

char *tu_read(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot read %s", path);
  char *text = NULL;
  size_t cap = 0;
  if (getdelim(&text, &cap, '\0', f) < 0) {
    free(text);
    text = strdup("");
  }
  fclose(f);
  return text;
}

job *tu_job(const char *const *sets) {
  size_t n = 0;
  while (sets && sets[n]) n++;
  job *j = job_load(NULL, (char *const *)sets, n);
  ck_assert_msg(j != NULL, "%s", tr_error_message());
  return j;
}

/* The jobs behind the instances tu_stg made (their parameter blocks). */
static struct {
  stg *s;
  job *j;
} made[64];

stg *tu_stg(const char *name, const char *const *sets, bool virtual_clock, uint64_t data_bytes) {
  job *j = tu_job(sets);
  stg_env env = {.ranks = 1, .ranks_per_node = 1, .data_bytes = data_bytes};
  stg *s = stg_new(stg_backend_index(name), &j->storage.model, &env, virtual_clock);
  ck_assert_msg(s != NULL, "%s", tr_error_message());
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
    if (!made[i].s) {
      made[i].s = s;
      made[i].j = j;
      return s;
    }
  ck_abort_msg("tu_stg: too many instances alive");
  return NULL;
}

void tu_stg_free(stg **s) {
  for (size_t i = 0; *s && i < sizeof made / sizeof made[0]; i++)
    if (made[i].s == *s) {
      stg_free(s);
      job_free(&made[i].j);
      made[i].s = NULL;
    }
}

/* getrandom() of the suites: common/atomic_file.c names its temporaries with it. The
 * calls tu_plant_tmp_links() arms return zero bytes (the suffix "AAAAAA"); every other
 * call is the kernel's. */
static int zero_calls;

ssize_t getrandom(void *buf, size_t n, unsigned int flags) {
  if (zero_calls > 0) {
    zero_calls--;
    memset(buf, 0, n);
    return (ssize_t)n;
  }
  return syscall(SYS_getrandom, buf, n, flags);
}

/* The two names tu_plant_tmp_links() plants (malloc'd). */
static void planted_names(const char *path, char **old, char **patterned) {
  if (asprintf(old, "%s.tmp.%ld", path, (long)getpid()) < 0 || asprintf(patterned, "%s.tmp.AAAAAA", path) < 0)
    abort();
}

void tu_plant_tmp_links(const char *path, const char *target) {
  char *old, *patterned;
  planted_names(path, &old, &patterned);
  ck_assert_int_eq(symlink(target, old), 0);
  ck_assert_int_eq(symlink(target, patterned), 0);
  zero_calls = 1;
  free(old);
  free(patterned);
}

void tu_assert_links_unfollowed(const char *path, const char *target, const char *text) {
  char *now = tu_read(target);
  ck_assert_msg(!strcmp(now, text), "a writer of %s followed a planted link: %s holds '%s'", path, target, now);
  free(now);
  char *old, *patterned;
  planted_names(path, &old, &patterned);
  struct stat st;
  ck_assert(lstat(old, &st) == 0 && S_ISLNK(st.st_mode));
  ck_assert(lstat(patterned, &st) == 0 && S_ISLNK(st.st_mode));
  ck_assert_msg(zero_calls == 0, "the writer of %s never drew a temporary name", path);
  free(old);
  free(patterned);
}
