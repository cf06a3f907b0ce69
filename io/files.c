/* Data paths to files: a directory's HDF5 shards (by suffix) or a glob's matches, sorted
 * so that every rank and every run sees the same global row order, and the suffix tests
 * that pick a reader. An s3:// URL is an object (a .h5/.hdf5 key) or a prefix of them,
 * listed with ListObjectsV2 (io/s3client.h). */
#define _GNU_SOURCE
#include "io/files.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "io/s3client.h"

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

ds_format ds_format_of(const char *p) {
  if (ends_with(p, ".h5") || ends_with(p, ".hdf5")) return DS_FORMAT_HDF5;
  if (ends_with(p, ".csv") || ends_with(p, ".csv.gz")) return DS_FORMAT_CSV;
  if (ends_with(p, ".libsvm") || ends_with(p, ".svm") || ends_with(p, ".libsvm.gz") ||
      ends_with(p, ".svm.gz"))
    return DS_FORMAT_LIBSVM;
  if (ends_with(p, ".npy")) return DS_FORMAT_NPY;
  if (ends_with(p, ".npz")) return DS_FORMAT_NPZ;
  return DS_FORMAT_UNKNOWN;
}

bool ds_is_text_path(const char *path) {
  ds_format f = ds_format_of(path);
  return f == DS_FORMAT_CSV || f == DS_FORMAT_LIBSVM;
}

bool ds_is_s3(const char *path) { return s3c_is_url(path); }

bool ds_is_glob(const char *path) { return strpbrk(path, "*?[") != NULL; }

bool ds_is_shard_set(const char *path) {
  struct stat st;
  if (s3c_is_url(path)) return ds_format_of(path) != DS_FORMAT_HDF5; /* a prefix, not an object */
  return ds_is_glob(path) || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The HDF5 objects under an s3:// prefix (as a directory: "s3://b/data" lists data/...),
 * in key order, as s3:// URLs. */
static tr_err list_s3(const char *url, char ***out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (ds_is_glob(url + 5))
    return tr_error_set(TR_EINPUT, url, "s3:// paths take a prefix, not a glob pattern");
  char *bucket = NULL, *key = NULL, *prefix = NULL;
  tr_err rc = s3c_parse_url(url, &bucket, &key);
  if (rc != TR_OK) return rc;
  s3c_client *c = s3c_shared();
  s3c_object *objs = NULL;
  size_t n = 0, kept = 0;
  char **paths = NULL;
  size_t klen = strlen(key);
  if (!c) {
    rc = tr_error_code();
  } else if (asprintf(&prefix, "%s%s", key, klen && key[klen - 1] != '/' ? "/" : "") < 0) {
    prefix = NULL;
    rc = tr_error_set(TR_ENOMEM, url, "out of memory");
  } else {
    rc = s3c_list(c, bucket, prefix, &objs, &n);
  }
  if (rc == TR_OK && !(paths = calloc(n ? n : 1, sizeof *paths))) rc = tr_error_set(TR_ENOMEM, url, "out of memory");
  for (size_t i = 0; rc == TR_OK && i < n; i++) {
    if (ds_format_of(objs[i].key) != DS_FORMAT_HDF5) continue;
    if (asprintf(&paths[kept], "s3://%s/%s", bucket, objs[i].key) < 0)
      rc = tr_error_set(TR_ENOMEM, url, "out of memory");
    else
      kept++;
  }
  if (rc == TR_OK && kept == 0)
    rc = tr_error_set(TR_EINPUT, url, "no HDF5 objects (*.h5, *.hdf5) under this prefix (%zu objects)", n);
  s3c_free_objects(&objs, n);
  free(bucket);
  free(key);
  free(prefix);
  if (rc != TR_OK) {
    ds_free_files(&paths, kept);
    return rc;
  }
  *out = paths; /* ListObjectsV2 lists keys in UTF-8 binary order: strcmp's */
  *n_out = kept;
  return TR_OK;
}

/* The HDF5 shards of a directory or glob, sorted (malloc'd array of malloc'd paths). */
static tr_err list_shards(const char *path, char ***out, size_t *n_out) {
  char **paths = NULL;
  size_t n = 0, cap = 0;
  tr_err rc = TR_OK;
  *out = NULL;
  *n_out = 0;
  if (s3c_is_url(path)) return list_s3(path, out, n_out);
  if (ds_is_glob(path)) {
    glob_t g;
    int grc = glob(path, 0, NULL, &g);
    if (grc == GLOB_NOMATCH) return tr_error_set(TR_EINPUT, path, "no file matches");
    if (grc != 0) return tr_error_set(TR_EIO, path, "glob failed");
    paths = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof *paths);
    for (size_t i = 0; paths && i < g.gl_pathc; i++)
      if (!(paths[n++] = strdup(g.gl_pathv[i]))) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    if (!paths) rc = tr_error_set(TR_ENOMEM, path, "out of memory");
    globfree(&g); /* glob sorts */
  } else {
    DIR *dp = opendir(path);
    if (!dp) return tr_error_set(TR_EINPUT, path, "cannot open directory");
    struct dirent *e;
    while (rc == TR_OK && (e = readdir(dp))) {
      if (ds_format_of(e->d_name) != DS_FORMAT_HDF5) continue;
      if (n == cap) {
        cap = cap ? 2 * cap : 16;
        char **grown = realloc(paths, cap * sizeof *paths);
        if (!grown) {
          rc = tr_error_set(TR_ENOMEM, path, "out of memory");
          break;
        }
        paths = grown;
      }
      if (asprintf(&paths[n], "%s/%s", path, e->d_name) < 0)
        rc = tr_error_set(TR_ENOMEM, path, "out of memory");
      else
        n++;
    }
    closedir(dp);
    if (n) qsort(paths, n, sizeof *paths, cmp_str);
  }
  if (rc == TR_OK && n == 0) rc = tr_error_set(TR_EINPUT, path, "no HDF5 files (*.h5, *.hdf5) found");
  if (rc != TR_OK) {
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    return rc;
  }
  *out = paths;
  *n_out = n;
  return TR_OK;
}

tr_err ds_list_files(const char *path, char ***paths, size_t *n) {
  if (ds_is_shard_set(path)) return list_shards(path, paths, n);
  *n = 0;
  if (!(*paths = malloc(sizeof **paths)) || !((*paths)[0] = strdup(path))) {
    free(*paths);
    *paths = NULL;
    return tr_error_set(TR_ENOMEM, path, "out of memory");
  }
  *n = 1;
  return TR_OK;
}

tr_err ds_path_size(const char *path, uint64_t *size) {
  *size = 0;
  if (s3c_is_url(path)) {
    char *bucket = NULL, *key = NULL;
    s3c_client *c = NULL;
    tr_err rc = s3c_parse_url(path, &bucket, &key);
    if (rc == TR_OK && !(c = s3c_shared())) rc = tr_error_code();
    if (rc == TR_OK) rc = s3c_head(c, bucket, key, size);
    free(bucket);
    free(key);
    return rc;
  }
  struct stat st;
  if (stat(path, &st) != 0)
    return tr_error_set(errno == ENOENT ? TR_EINPUT : TR_EIO, path, "cannot stat: %s", strerror(errno));
  *size = (uint64_t)st.st_size;
  return TR_OK;
}

void ds_free_files(char ***paths, size_t n) {
  if (!*paths) return;
  for (size_t i = 0; i < n; i++) free((*paths)[i]);
  free(*paths);
  *paths = NULL;
}
