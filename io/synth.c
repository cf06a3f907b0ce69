/* Synthetic classification and regression data (see synth.h). The model parameters
 * (centroids, mixing matrices, coefficients) come from the seed's stream 0; rows are
 * made in blocks of SYNTH_BLOCK rows, block b from stream b + 1, in parallel. */
#include "io/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/checked.h"
#include "common/rng.h"

#define SYNTH_BLOCK 4096

synth_params synth_defaults(void) {
  return (synth_params){.classes = 2, .redundant = SIZE_MAX, .noise = 0.01, .class_sep = 1.0,
                        .seed = 1};
}

static size_t informative_of(const synth_params *p, int regression) {
  if (p->informative) return p->informative;
  size_t i = regression ? p->features / 2 : p->features / 4;
  if (i < 2) i = 2;
  return i < p->features ? i : p->features;
}

_Static_assert(SYNTH_MAX_CLASSES == 1000, "synth_check's message names the limit");

const char *synth_check(const synth_params *p, int regression) {
  size_t bytes;
  if (p->rows == 0) return "rows must be at least 1";
  if (p->features == 0) return "features must be at least 1";
  if (!checked_mul3(p->rows, p->features, sizeof(float), &bytes))
    return "rows x features is too large (more values than memory can address)";
  if (p->informative > p->features) return "informative must not exceed features";
  if (!(p->noise >= 0) || !isfinite(p->noise)) return "noise must be a finite number, not negative";
  if (!isfinite(p->nonlinear)) return "nonlinear must be finite";
  if (regression) return NULL;
  if (p->classes < 2 || p->classes > SYNTH_MAX_CLASSES) return "classes must be in [2, 1000]";
  if (p->noise > 1) return "noise (label flip fraction) must be in [0, 1]";
  size_t inf = informative_of(p, 0);
  if (inf < 64 && (1ULL << inf) < (unsigned long long)p->classes)
    return "informative features too few: 2^informative must be at least classes";
  if (p->redundant != SIZE_MAX && inf + p->redundant > p->features)
    return "informative + redundant must not exceed features";
  /* the model: a mixing matrix of informative^2 doubles per cluster (two per class) */
  if (!checked_mul3((size_t)p->classes * 2, inf, inf, &bytes) || !checked_mul(bytes, sizeof(double), &bytes))
    return "informative features too many: the mixing matrices (2 x classes x informative^2 "
           "doubles) are more than memory can address";
  if (p->weights) {
    double sum = 0;
    for (int k = 0; k < p->classes; k++) {
      if (!(p->weights[k] >= 0) || !isfinite(p->weights[k])) return "weights must be finite and not negative";
      sum += p->weights[k];
    }
    if (!(sum > 0)) return "weights must not all be zero";
    if (!isfinite(sum)) return "weights are too large (their sum is not finite)";
  }
  return NULL;
}

/* Model of a classification data set: clusters and their linear mixing. */
typedef struct {
  size_t inf, red, clusters, per_class;
  double *centroids;  /* clusters x inf */
  double *mix;        /* clusters x inf x inf */
  double *red_w;      /* inf x red */
  double *cum_weights; /* classes, cumulative class proportions */
} class_model;

static void class_model_free(class_model *m) {
  free(m->centroids);
  free(m->mix);
  free(m->red_w);
  free(m->cum_weights);
}

static tr_err class_model_make(const synth_params *p, rng_t *r, class_model *m) {
  memset(m, 0, sizeof *m);
  m->inf = informative_of(p, 0);
  m->red = p->redundant == SIZE_MAX ? m->inf / 2 : p->redundant;
  if (m->inf + m->red > p->features) m->red = p->features - m->inf;
  m->per_class = (m->inf < 64 && (1ULL << m->inf) < 2ULL * (unsigned)p->classes) ? 1 : 2;
  m->clusters = (size_t)p->classes * m->per_class;
  m->centroids = malloc(m->clusters * m->inf * sizeof(double));
  m->mix = malloc(m->clusters * m->inf * m->inf * sizeof(double));
  m->red_w = malloc((m->inf * m->red + 1) * sizeof(double));
  m->cum_weights = malloc((size_t)p->classes * sizeof(double));
  if (!m->centroids || !m->mix || !m->red_w || !m->cum_weights) {
    class_model_free(m);
    return tr_error_set(TR_ENOMEM, "gen", "out of memory");
  }
  /* Distinct hypercube vertices: for few dimensions pick a random permutation of all
   * of them, otherwise random vertices (collisions are astronomically unlikely). */
  for (size_t c = 0; c < m->clusters; c++) {
    uint64_t bits = rng_u64(r);
    if (m->inf < 20) {
      bool dup;
      do {
        bits = rng_below(r, 1ULL << m->inf);
        dup = false;
        for (size_t k = 0; k < c && !dup; k++) {
          uint64_t other = 0;
          for (size_t j = 0; j < m->inf; j++) other |= (uint64_t)(m->centroids[k * m->inf + j] > 0) << j;
          dup = other == bits;
        }
      } while (dup);
    }
    for (size_t j = 0; j < m->inf; j++) {
      int bit = j < 64 ? (int)((bits >> j) & 1) : (int)(rng_u64(r) & 1);
      m->centroids[c * m->inf + j] = bit ? p->class_sep : -p->class_sep;
    }
  }
  for (size_t k = 0; k < m->clusters * m->inf * m->inf; k++) m->mix[k] = 2 * rng_uniform(r) - 1;
  for (size_t k = 0; k < m->inf * m->red; k++) m->red_w[k] = 2 * rng_uniform(r) - 1;
  double sum = 0;
  for (int k = 0; k < p->classes; k++) sum += p->weights ? p->weights[k] : 1.0;
  double acc = 0;
  for (int k = 0; k < p->classes; k++) {
    acc += (p->weights ? p->weights[k] : 1.0) / sum;
    m->cum_weights[k] = acc;
  }
  m->cum_weights[p->classes - 1] = 1.0;
  return TR_OK;
}

static int draw_class(const class_model *m, int classes, rng_t *r) {
  double u = rng_uniform(r);
  for (int k = 0; k < classes; k++)
    if (u < m->cum_weights[k]) return k;
  return classes - 1;
}

static void class_row(const synth_params *p, const class_model *m, rng_t *r, float *x, float *y,
                      double *z) {
  int label = draw_class(m, p->classes, r);
  size_t c = (size_t)label * m->per_class + (m->per_class > 1 ? rng_below(r, m->per_class) : 0);
  for (size_t j = 0; j < m->inf; j++) z[j] = rng_normal(r);
  const double *A = m->mix + c * m->inf * m->inf;
  for (size_t j = 0; j < m->inf; j++) {
    double v = m->centroids[c * m->inf + j];
    for (size_t k = 0; k < m->inf; k++) v += z[k] * A[k * m->inf + j];
    x[j] = (float)v;
  }
  for (size_t j = 0; j < m->red; j++) {
    double v = 0;
    for (size_t k = 0; k < m->inf; k++) v += x[k] * m->red_w[k * m->red + j];
    x[m->inf + j] = (float)v;
  }
  for (size_t j = m->inf + m->red; j < p->features; j++) x[j] = (float)rng_normal(r);
  if (p->noise > 0 && rng_uniform(r) < p->noise) label = (int)rng_below(r, (uint64_t)p->classes);
  *y = (float)label;
}

static tr_err check_or_fail(const synth_params *p, int regression) {
  const char *msg = synth_check(p, regression);
  return msg ? tr_error_set(TR_EUSAGE, "gen", "%s", msg) : TR_OK;
}

static tr_err name_features(ds_dataset *d, size_t inf, size_t red) {
  char **names = calloc(d->cols, sizeof(char *));
  if (!names) return tr_error_set(TR_ENOMEM, "gen", "out of memory");
  tr_err rc = TR_OK;
  for (size_t j = 0; j < d->cols && rc == TR_OK; j++) {
    const char *kind = j < inf ? "informative" : j < inf + red ? "redundant" : "noise";
    names[j] = malloc(48);
    if (!names[j]) rc = tr_error_set(TR_ENOMEM, "gen", "out of memory");
    else snprintf(names[j], 48, "%s_%zu", kind, j);
  }
  if (rc == TR_OK) rc = ds_set_feature_names(d, (const char *const *)names);
  for (size_t j = 0; j < d->cols; j++) free(names[j]);
  free(names);
  return rc;
}

tr_err synth_classification(const synth_params *p, ds_dataset **out) {
  tr_err rc = check_or_fail(p, 0);
  if (rc != TR_OK) return rc;
  rng_t root, model_rng;
  rng_seed(&root, p->seed);
  model_rng = rng_split(&root, 0);
  class_model m;
  if ((rc = class_model_make(p, &model_rng, &m)) != TR_OK) return rc;
  ds_dataset *d = ds_new(p->rows, p->features, true);
  if (!d) {
    class_model_free(&m);
    return tr_error_code();
  }
  size_t blocks = (p->rows + SYNTH_BLOCK - 1) / SYNTH_BLOCK;
#pragma omp parallel
  {
    double *z = malloc(m.inf * sizeof(double));
#pragma omp for schedule(dynamic)
    for (size_t b = 0; b < blocks; b++) {
      rng_t r = rng_split(&root, b + 1);
      size_t end = (b + 1) * SYNTH_BLOCK < p->rows ? (b + 1) * SYNTH_BLOCK : p->rows;
      for (size_t i = b * SYNTH_BLOCK; z && i < end; i++)
        class_row(p, &m, &r, d->X + i * p->features, d->y + i, z);
    }
    if (!z) rc = TR_ENOMEM;
    free(z);
  }
  if (rc == TR_OK) rc = name_features(d, m.inf, m.red);
  else tr_error_set(TR_ENOMEM, "gen", "out of memory");
  class_model_free(&m);
  if (rc != TR_OK) ds_free(&d);
  *out = d;
  return rc;
}

tr_err synth_regression(const synth_params *p, ds_dataset **out) {
  tr_err rc = check_or_fail(p, 1);
  if (rc != TR_OK) return rc;
  size_t inf = informative_of(p, 1);
  rng_t root, model_rng;
  rng_seed(&root, p->seed);
  model_rng = rng_split(&root, 0);
  double *w = malloc(inf * sizeof(double));
  if (!w) return tr_error_set(TR_ENOMEM, "gen", "out of memory");
  for (size_t j = 0; j < inf; j++) w[j] = 100.0 * rng_uniform(&model_rng);
  ds_dataset *d = ds_new(p->rows, p->features, true);
  if (!d) {
    free(w);
    return tr_error_code();
  }
  size_t blocks = (p->rows + SYNTH_BLOCK - 1) / SYNTH_BLOCK;
#pragma omp parallel for schedule(dynamic)
  for (size_t b = 0; b < blocks; b++) {
    rng_t r = rng_split(&root, b + 1);
    size_t end = (b + 1) * SYNTH_BLOCK < p->rows ? (b + 1) * SYNTH_BLOCK : p->rows;
    for (size_t i = b * SYNTH_BLOCK; i < end; i++) {
      float *x = d->X + i * p->features;
      for (size_t j = 0; j < p->features; j++) x[j] = (float)rng_normal(&r);
      double t = 1.0;
      for (size_t j = 0; j < inf; j++) t += w[j] * x[j];
      for (size_t j = 0; j + 1 < inf; j++) t += p->nonlinear * x[j] * x[j + 1];
      d->y[i] = (float)(t + p->noise * rng_normal(&r));
    }
  }
  free(w);
  rc = name_features(d, inf, 0);
  if (rc != TR_OK) ds_free(&d);
  *out = d;
  return rc;
}
