/* The default cap on the bytes a loader may hold in memory: a fraction of physical memory. */
#ifndef BP_INPUT_LIMIT_H
#define BP_INPUT_LIMIT_H

#include <stdint.h>

/* A quarter of the machine's physical memory (sysconf), at least 64 MiB:
 * what a loader's max_input_bytes of 0 means. Thread-safe. */
uint64_t bp__input_limit_default(void);

#endif
