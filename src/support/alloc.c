/* Aligned, zeroed allocation, its fault-injection hook, overflow-checked
 * size arithmetic, and the size checks of caller arrays built on it. */
#define _POSIX_C_SOURCE 200809L /* getc_unlocked, flockfile */

#include "support/alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backprop.h"
#include "support/error.h"

/* The hook's state. Relaxed order is enough: these are counters, and no
 * other memory is published through them. */
static atomic_uint_least64_t fail_countdown; /* 0: off; else allocations until the failing one */
static atomic_uint_least64_t allocations;
static atomic_uint_least64_t injected;
static atomic_int_least64_t live;

/* Counts an allocation, and whether it is the one bp__alloc_fail_nth chose
 * (counted as injected too). One relaxed load when the hook is off. */
static bool injected_failure(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    uint_least64_t left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (left != 0) {
        if (atomic_compare_exchange_weak_explicit(&fail_countdown, &left, left - 1,
                                                  memory_order_relaxed, memory_order_relaxed)) {
            if (left != 1)
                return false;
            atomic_fetch_add_explicit(&injected, 1, memory_order_relaxed);
            return true;
        }
    }
    return false;
}

/* aligned_alloc wants a multiple of the alignment; 0 when that overflows. */
static size_t whole_lines(size_t bytes) {
    size_t rounded;
    if (!bp__add_size(bytes, BP_ALIGNMENT - 1, &rounded))
        return 0;
    return rounded - rounded % BP_ALIGNMENT;
}

void *bp__alloc(size_t bytes) {
    const size_t rounded = whole_lines(bytes);
    if (!rounded)
        return NULL;
    if (injected_failure())
        return NULL;
    void *block = aligned_alloc(BP_ALIGNMENT, rounded);
    if (block)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return block;
}

void *bp__alloc_zeroed(size_t bytes) {
    void *block = bp__alloc(bytes);
    if (block)
        memset(block, 0, bytes);
    return block;
}

void *bp__realloc(void *block, size_t bytes) {
    if (bytes == 0)
        return NULL;
    if (injected_failure())
        return NULL;
    void *moved = realloc(block, bytes);
    if (moved && !block)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return moved;
}

void bp__free(void *block) {
    if (!block)
        return;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(block);
}

ssize_t bp__getline(char **line, size_t *capacity, FILE *file) {
    size_t length = 0;
    int c = EOF;
    bool no_memory = false;
    flockfile(file);
    while ((c = getc_unlocked(file)) != EOF) {
        /* Room for c and the terminating NUL. */
        if (length + 2 > *capacity) {
            size_t grown;
            char *moved = NULL;
            if (bp__mul_size(*capacity > 64 ? *capacity : 64, 2, &grown))
                moved = bp__alloc(grown);
            if (!moved) {
                no_memory = true;
                break;
            }
            if (length > 0)
                memcpy(moved, *line, length);
            bp__free(*line);
            *line = moved;
            *capacity = grown;
        }
        (*line)[length++] = (char)c;
        if (c == '\n')
            break;
    }
    const bool failed = no_memory || ferror(file);
    funlockfile(file);
    if (no_memory)
        errno = ENOMEM;
    if (failed || length == 0)
        return -1;
    (*line)[length] = '\0';
    return (ssize_t)length;
}

void bp__alloc_fail_nth(uint64_t n) {
    atomic_store_explicit(&fail_countdown, n, memory_order_relaxed);
}

int64_t bp__alloc_live(void) { return atomic_load_explicit(&live, memory_order_relaxed); }

uint64_t bp__alloc_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }

uint64_t bp__alloc_injected(void) { return atomic_load_explicit(&injected, memory_order_relaxed); }

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

bool bp__overlaps(const void *a, size_t a_bytes, const void *b, size_t b_bytes) {
    const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + b_bytes && y < x + a_bytes;
}

int bp__caller_floats(const float *data, const char *name, size_t rows, size_t width,
                      const char *function, size_t *bytes) {
    if (!data)
        return bp__fail(BP_EINVAL, function, "%s is NULL", name);
    if (!bp__mul_size(rows, width, bytes) || !bp__mul_size(*bytes, sizeof(float), bytes))
        return bp__fail(BP_EOVERFLOW, function, "%s of %zu x %zu floats overflow size_t", name,
                        rows, width);
    return BP_OK;
}
