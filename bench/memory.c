/* This process's resident anonymous memory, read from /proc/self (Linux),
 * for the memory a training-step configuration really touches. */
#define _GNU_SOURCE /* mallopt */
#include <malloc.h>
#include <stdio.h>

#include "bench.h"

void bench_memory_setup(void) {
    /* Blocks of 64 KiB and up come from mmap and go back to the system when
     * freed. A fixed threshold also stops glibc raising it after the first
     * large free, which would serve the next configuration's blocks from
     * pages an earlier one left resident, and hide them from its count. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
}

/* The "Anonymous:" line of /proc/self/smaps_rollup, in bytes; 0 if unknown.
 * Anonymous pages are the process's own memory (heap, mmap'd blocks,
 * stacks): Rss would add the code pages of the libraries, which a first
 * call faults in. The kernel counts them by walking the page tables, so the
 * figure is exact, where /proc/self/status's VmRSS and VmHWM are per-CPU
 * counters that can be some hundreds of KiB behind: too coarse for a 1 MiB
 * network. */
double bench_memory_resident(void) {
    FILE *file = fopen("/proc/self/smaps_rollup", "r");
    if (!file)
        return 0.0;
    char line[256];
    double bytes = 0.0;
    while (fgets(line, sizeof line, file)) {
        unsigned long long kib;
        if (sscanf(line, "Anonymous: %llu kB", &kib) == 1) {
            bytes = 1024.0 * (double)kib;
            break;
        }
    }
    fclose(file);
    return bytes;
}
