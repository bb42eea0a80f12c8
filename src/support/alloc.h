/* The library's one way to get and release memory: 64-byte aligned blocks,
 * with a fault-injection hook for the tests. */
#ifndef BP_ALLOC_H
#define BP_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h> /* ssize_t */

/* Cache-line alignment: what BLAS kernels load best from, and no false
 * sharing between buffers. */
#define BP_ALIGNMENT 64

/* A block of `bytes` aligned to BP_ALIGNMENT, or NULL (also for 0 bytes,
 * which only a size computation gone wrong asks for). Its contents are
 * undefined: for buffers that are always written before they are read. */
void *bp__alloc(size_t bytes);

/* The same, filled with zeros. */
void *bp__alloc_zeroed(size_t bytes);

/* Resizes a block from bp__alloc, bp__alloc_zeroed or bp__realloc (or NULL)
 * to `bytes` with C's realloc, keeping its contents up to the smaller size:
 * for large blocks glibc moves the pages (mremap) instead of copying, so
 * memory never holds the old and the new block at once. The result is only
 * aligned as malloc aligns: for arrays that are copied from, not handed to
 * BLAS. Counted and failed like bp__alloc. Returns NULL (the block
 * untouched and still valid) when there is no memory or bytes is 0. */
void *bp__realloc(void *block, size_t bytes);

/* Releases a block from bp__alloc or bp__alloc_zeroed. Accepts NULL. */
void bp__free(void *block);

/* POSIX getline, but the line buffer comes from bp__alloc (free it with
 * bp__free), so it is counted and can be failed like every other block.
 * Returns the line's length, or -1 at the end of the file, on a read error
 * (ferror(file) is set) and when there is no memory (errno is ENOMEM and
 * ferror is not set: glibc's getline cannot be told apart from the end of
 * the file then). The line may hold NUL bytes. */
ssize_t bp__getline(char **line, size_t *capacity, FILE *file);

/* Fault injection, for tests only. Internal: not exported from the shared
 * library, so tests that use it link the static one. Every block from
 * bp__alloc and bp__alloc_zeroed is counted, always, with relaxed atomics
 * (one uncontended add per allocation, none on the hot paths, which do not
 * allocate). Set from one thread while no other uses the library.
 *
 * bp__alloc_fail_nth(n): the n-th allocation from now (1: the next) returns
 * NULL, once; the ones after it succeed again. 0 turns it off. */
void bp__alloc_fail_nth(uint64_t n);

/* Blocks allocated and not yet freed, all threads together. */
int64_t bp__alloc_live(void);

/* Allocations asked for since the library was loaded (failed ones too), and
 * how many of them bp__alloc_fail_nth made fail. */
uint64_t bp__alloc_count(void);
uint64_t bp__alloc_injected(void);

/* *out = a * b; false (and *out untouched) when the product overflows size_t. */
bool bp__mul_size(size_t a, size_t b, size_t *out);

/* *out = a + b; false (and *out untouched) when the sum overflows size_t. */
bool bp__add_size(size_t a, size_t b, size_t *out);

/* True when [a, a + a_bytes) and [b, b + b_bytes) share a byte. Compared as
 * integers: C leaves comparing pointers into different objects undefined. */
bool bp__overlaps(const void *a, size_t a_bytes, const void *b, size_t b_bytes);

/* The first checks of caller data of rows x width floats: not NULL, and its
 * size in bytes (*bytes) fits size_t. BP_OK, or BP_EINVAL / BP_EOVERFLOW
 * with a message naming `name` and `function`. Where the data must not
 * lie (the network's memory, the workers') each caller checks after. */
int bp__caller_floats(const float *data, const char *name, size_t rows, size_t width,
                      const char *function, size_t *bytes);

/* n rounded up to a multiple of the floats in BP_ALIGNMENT bytes, so buffers
 * carved one after another out of one block all start aligned; false on
 * overflow. */
bool bp__round_up_floats(size_t n, size_t *out);

#endif
