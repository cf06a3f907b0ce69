/* Seeded pseudo-random numbers (xoshiro256**), splittable into independent streams
 * per rank or thread, so runs are reproducible for a seed. */
#ifndef TR_RNG_H
#define TR_RNG_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t s[4];
} rng_t;

/* Seeds the generator from one 64-bit value (expanded by splitmix64). */
void rng_seed(rng_t *r, uint64_t seed);
/* A generator for stream `stream` derived from r (r is not advanced); different
 * streams of one parent do not overlap in practice. */
rng_t rng_split(const rng_t *r, uint64_t stream);
uint64_t rng_u64(rng_t *r);
/* Uniform in [0, 1). */
double rng_uniform(rng_t *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(rng_t *r, uint64_t n);
/* Standard normal (Box-Muller). */
double rng_normal(rng_t *r);
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(rng_t *r, size_t *idx, size_t n);
#endif
