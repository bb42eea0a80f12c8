/* splitmix64: the bench programs' random data, the same on every machine and every rank. */
#ifndef BP_BENCH_RANDOM_H
#define BP_BENCH_RANDOM_H

#include <stdint.h>

/* The next 64 random bits of the sequence that *state (any seed) names. */
uint64_t bench_random_next(uint64_t *state);

/* Uniform in [0, 1), 24 bits: every value is a float. */
float bench_random_uniform(uint64_t *state);

#endif
