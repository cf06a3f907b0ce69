/* Overflow-checked size arithmetic (see checked.h), on the compiler's overflow builtins;
 * a result that does not fit saturates at SIZE_MAX. */
#include "common/checked.h"

#include <stdint.h>

bool checked_mul(size_t a, size_t b, size_t *out) {
  if (__builtin_mul_overflow(a, b, out)) {
    *out = SIZE_MAX;
    return false;
  }
  return true;
}

bool checked_mul3(size_t a, size_t b, size_t c, size_t *out) {
  size_t ab;
  if (a == 0 || b == 0 || c == 0) return (*out = 0, true);
  return checked_mul(a, b, &ab) ? checked_mul(ab, c, out) : (*out = SIZE_MAX, false);
}

bool checked_add(size_t a, size_t b, size_t *out) {
  if (__builtin_add_overflow(a, b, out)) {
    *out = SIZE_MAX;
    return false;
  }
  return true;
}
