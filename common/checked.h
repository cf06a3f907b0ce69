/* Sizes computed from counts that a file or a user gave (rows x columns, grid points,
 * chunk grids, parameter counts): products and sums that say when they do not fit in a
 * size_t instead of wrapping around to a small number. */
#ifndef TR_CHECKED_H
#define TR_CHECKED_H
#include <stdbool.h>
#include <stddef.h>

/* *out = a * b. False when the product does not fit; *out is then SIZE_MAX, so a
 * saturated size still compares as too large. */
bool checked_mul(size_t a, size_t b, size_t *out);
/* *out = a * b * c, as checked_mul (0 when a factor is 0, even if the other two
 * overflow; false and SIZE_MAX when the product does not fit). */
bool checked_mul3(size_t a, size_t b, size_t c, size_t *out);
/* *out = a + b, as checked_mul (false and SIZE_MAX when it does not fit). */
bool checked_add(size_t a, size_t b, size_t *out);
#endif
