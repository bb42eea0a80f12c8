/* Per-network random numbers: xoshiro256** seeded through splitmix64. */
#ifndef BP_RNG_H
#define BP_RNG_H

#include <stdint.h>

/* The generator's whole state; each network owns one, so no state is global. */
typedef struct bp__rng {
    uint64_t s[4];
} bp__rng;

/* Seeds the generator. Every seed, 0 included, gives a valid distinct stream. */
void bp__rng_seed(bp__rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t bp__rng_next(bp__rng *rng);

/* A float uniform in [low, high] (high only by rounding), from the top 24 bits of a draw. */
float bp__rng_uniform(bp__rng *rng, float low, float high);

/* A standard normal draw (mean 0, variance 1): Marsaglia's polar method on
 * 53-bit uniforms, in double. Uses a varying number of draws (at least two). */
double bp__rng_normal(bp__rng *rng);

#endif
