/* Short digests that say "the same" (equal digests: equal inputs, with FNV-1a's 64-bit
 * odds), for run provenance and caches: the test rows of a run, a sweep point's resolved
 * configuration. Not cryptographic. */
#ifndef TR_DIGEST_H
#define TR_DIGEST_H
#include <stddef.h>
#include <stdint.h>

#define DIGEST_INIT 0xcbf29ce484222325ULL

/* h updated with the n bytes at p (FNV-1a 64). */
uint64_t digest_update(uint64_t h, const void *p, size_t n);
/* h as 16 lowercase hex digits plus NUL into hex. */
void digest_hex(uint64_t h, char hex[17]);
#endif
