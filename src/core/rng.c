/* xoshiro256** (Blackman and Vigna), seeded by splitmix64 as its authors advise. */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void bp__rng_seed(bp__rng *rng, uint64_t seed) {
    /* splitmix64 never yields four zero words, the one state xoshiro cannot leave. */
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

uint64_t bp__rng_next(bp__rng *rng) {
    uint64_t *s = rng->s;
    const uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

float bp__rng_uniform(bp__rng *rng, float low, float high) {
    /* 24 bits fill a float's significand exactly, so unit is in [0, 1). */
    const float unit = (float)(bp__rng_next(rng) >> 40) * 0x1.0p-24f;
    return low + (high - low) * unit;
}

/* A double uniform in [-1, 1), from the top 53 bits of a draw. */
static double uniform_signed(bp__rng *rng) {
    return (double)(bp__rng_next(rng) >> 11) * 0x1.0p-52 - 1.0;
}

double bp__rng_normal(bp__rng *rng) {
    /* A point uniform in the unit disc (about a fifth of the pairs miss it) gives
     * two independent normals; the second is dropped rather than cached, so
     * the generator's state stays the four words and a draw depends on
     * nothing else. The disc excludes the origin, where log(s) / s fails. */
    double x, s;
    do {
        x = uniform_signed(rng);
        const double y = uniform_signed(rng);
        s = x * x + y * y;
    } while (s >= 1.0 || s == 0.0);
    return x * sqrt(-2.0 * log(s) / s);
}
