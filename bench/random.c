/* splitmix64: the bench programs' random data, independent of the C library's rand(). */
#include "random.h"

uint64_t bench_random_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float bench_random_uniform(uint64_t *state) {
    return (float)(bench_random_next(state) >> 40) * 0x1p-24f;
}
