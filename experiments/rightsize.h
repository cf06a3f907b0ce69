/* Rightsizing: from the measured training time at several core counts, fit Amdahl's law
 * T(p) = a + b / p (serial part a, parallel part b), then project a run onto other
 * instance types of the pricing catalog (p = their vCPUs, this machine's per-core
 * speed assumed) and price it there. Every projected figure is labelled "projected". */
#ifndef TR_RIGHTSIZE_H
#define TR_RIGHTSIZE_H
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

typedef struct {
  double a, b;            /* T(p) = a + b / p, seconds */
  double serial_fraction; /* a / (a + b) */
  bool fitted;            /* false: one core count measured (T(p) = b / p is then only an
                             optimistic bound, and rightsize_project does not use it) */
} rightsize_fit;

/* Least-squares fit of T(p) = a + b/p to (cores[i], seconds[i]), i < n (n >= 1; with
 * one distinct core count a = 0). Negative parts are clamped to 0. */
rightsize_fit rightsize_amdahl(const double *cores, const double *seconds, size_t n);

/* T(p) of a fit. */
double rightsize_time(const rightsize_fit *f, double cores);

/* For every group of measured train records (same variant and settings except ranks and
 * cost.*), fits Amdahl over its core counts and writes one projected record (a JSON line
 * to out) per instance type: times scaled, cost priced from the catalog at
 * pricing_path, "point" labelled "projected" with the fit. A group measured at one core
 * count has no fit and is not projected (a warning says so): perfect linear scaling is
 * never assumed. records[i] may be NULL.
 * Errors: an unknown instance type or catalog (TR_ECONFIG). */
tr_err rightsize_project(cJSON *const *records, size_t n, const char *const *instances,
                         size_t n_instances, const char *pricing_path, FILE *out);
#endif
