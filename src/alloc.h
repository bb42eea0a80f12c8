/* The library's one way to get and release memory: 64-byte aligned blocks. */
#ifndef BP_ALLOC_H
#define BP_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Cache-line alignment: what BLAS kernels load best from, and no false
 * sharing between buffers. */
#define BP_ALIGNMENT 64

/* A block of `bytes` aligned to BP_ALIGNMENT, or NULL (also for 0 bytes,
 * which only a size computation gone wrong asks for). Its contents are
 * undefined: for buffers that are always written before they are read. */
void *bp__alloc(size_t bytes);

/* The same, filled with zeros. */
void *bp__alloc_zeroed(size_t bytes);

/* Releases a block from bp__alloc or bp__alloc_zeroed. Accepts NULL. */
void bp__free(void *block);

/* *out = a * b; false (and *out untouched) when the product overflows size_t. */
bool bp__mul_size(size_t a, size_t b, size_t *out);

/* *out = a + b; false (and *out untouched) when the sum overflows size_t. */
bool bp__add_size(size_t a, size_t b, size_t *out);

/* n rounded up to a multiple of the floats in BP_ALIGNMENT bytes, so buffers
 * carved one after another out of one block all start aligned; false on
 * overflow. */
bool bp__round_up_floats(size_t n, size_t *out);

#endif
