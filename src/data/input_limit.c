/* The default cap on the bytes a loader may hold in memory: a fraction of physical memory. */
#define _POSIX_C_SOURCE 200809L /* sysconf */

#include "data/input_limit.h"

#include <unistd.h>

uint64_t bp__input_limit_default(void) {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    const uint64_t least = (uint64_t)64 << 20;
    if (pages <= 0 || page <= 0)
        return least;
    const uint64_t quarter = (uint64_t)pages * (uint64_t)page / 4;
    return quarter > least ? quarter : least;
}
