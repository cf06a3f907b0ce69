/* Class labels: the distinct values of a label column, their encoding as class indexes
 * 0..K-1 (sorted values, so the encoding is the same whichever rank or split saw them
 * first), and the one class limit of the project. */
#ifndef TR_LABELS_H
#define TR_LABELS_H
#include <stddef.h>

#include "common/error.h"

/* At most this many classes: a label column with more distinct values is not treated
 * as classes (training refuses it, `info` reports min/max/mean instead). */
#define LABELS_MAX_CLASSES 1000

/* The distinct values of y[0..n), sorted, into classes (room for LABELS_MAX_CLASSES + 1;
 * *n_classes stops at that many: more means too many). *bad_row gets the first row whose
 * value is not a whole number (SIZE_MAX when none). TR_ENOMEM only. */
tr_err labels_find(const float *y, size_t n, float *classes, size_t *n_classes, size_t *bad_row);

/* Sorts all[0..n_all) (the classes found in several parts, concatenated) and keeps the
 * distinct values, at most LABELS_MAX_CLASSES + 1, in classes; returns their count. */
size_t labels_merge(float *all, size_t n_all, float *classes);

/* Replaces each y[i] by the index of its value in classes[0..n_classes) (sorted).
 * Returns SIZE_MAX when every value is a class, else the first row that is not one
 * (y is then partly encoded). */
size_t labels_encode(float *y, size_t n, const float *classes, size_t n_classes);
#endif
