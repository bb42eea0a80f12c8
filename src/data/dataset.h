/* Internal helpers shared by the data set loaders (idx.c, csv.c). */
#ifndef BP_DATASET_H
#define BP_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Moves *block (from bp__alloc, or NULL with old_bytes 0) to a new block of
 * new_bytes, keeping its first min(old_bytes, new_bytes) bytes. The loaders
 * grow their arrays by doubling as data arrives, so a file's header can never
 * make them allocate more than the data actually present. Returns false,
 * with *block untouched and still valid, when there is no memory. */
bool bp__dataset_resize(void **block, size_t old_bytes, size_t new_bytes);

/* The number of classes of n labels: the largest + 1 (0 for n == 0). */
size_t bp__dataset_classes(const uint32_t *labels, size_t n);

#endif
