/* FNV-1a 64 digests (see digest.h). */
#include "common/digest.h"

#include <stdio.h>

uint64_t digest_update(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void digest_hex(uint64_t h, char hex[17]) { snprintf(hex, 17, "%016llx", (unsigned long long)h); }
