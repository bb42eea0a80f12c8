/* Aligned, zeroed allocation and overflow-checked size arithmetic. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* aligned_alloc wants a multiple of the alignment; 0 when that overflows. */
static size_t whole_lines(size_t bytes) {
    size_t rounded;
    if (!bp__add_size(bytes, BP_ALIGNMENT - 1, &rounded))
        return 0;
    return rounded - rounded % BP_ALIGNMENT;
}

void *bp__alloc(size_t bytes) {
    const size_t rounded = whole_lines(bytes);
    return rounded ? aligned_alloc(BP_ALIGNMENT, rounded) : NULL;
}

void *bp__alloc_zeroed(size_t bytes) {
    void *block = bp__alloc(bytes);
    if (block)
        memset(block, 0, bytes);
    return block;
}

void bp__free(void *block) { free(block); }

bool bp__mul_size(size_t a, size_t b, size_t *out) {
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

bool bp__add_size(size_t a, size_t b, size_t *out) {
    if (a > SIZE_MAX - b)
        return false;
    *out = a + b;
    return true;
}

bool bp__round_up_floats(size_t n, size_t *out) {
    const size_t per_line = BP_ALIGNMENT / sizeof(float);
    if (!bp__add_size(n, per_line - 1, out))
        return false;
    *out -= *out % per_line;
    return true;
}
