/* The automatic choice of worker threads against OpenBLAS threads, from the batch and the widths.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include <sched.h>
#include <unistd.h>

#include "core/net.h"
#include "support/error.h"

/* A worker's share of the batch gives products of share x n_(l-1) x n_l
 * multiply-adds. From 2^26 on (784-1024-1024-10 at a share of 128: 2^27),
 * OpenBLAS's own threads split a product about as well as workers split
 * the batch, without the workers' sum and the step's second pass over the
 * parameters: there one worker runs every core's thread. Below (784-128-10
 * at shares of 16 to 128, 784-256-128-10 at 16, 777-333-17 at 50: 2^20 to
 * 2^24), workers win. Measured by bp-bench --workers on 2 cores: see
 * docs/scaling.md. */
#define BLAS_THREADS_FROM (1.0 * (1 << 26))

/* Shares of fewer examples leave too little to split: fewer workers then,
 * down to one. */
#define MIN_SHARE 4

static size_t cores_available(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (size_t)CPU_COUNT(&set);
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (size_t)online : 1;
}

int bp_parallelism_auto(const bp_net *net, size_t batch, size_t cores, bp_parallelism *out) {
    if (!net || !out)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !net ? "net" : "out");
    if (batch == 0)
        return bp__fail(BP_EINVAL, __func__, "batch is 0; it must be at least 1");
    if (cores == 0)
        cores = cores_available();
    cores = cores < BP_WORKERS_MAX ? cores : BP_WORKERS_MAX;
    size_t workers = batch / MIN_SHARE < cores ? batch / MIN_SHARE : cores;
    workers = workers > 0 ? workers : 1;
    const size_t share = (batch + workers - 1) / workers;
    double largest = 0.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const double product =
            (double)share * (double)net->layers[l].inputs * (double)net->layers[l].outputs;
        largest = product > largest ? product : largest;
    }
    if (largest >= BLAS_THREADS_FROM)
        *out = (bp_parallelism){.workers = 1, .blas_threads = (int)cores, .cores = cores};
    else
        *out = (bp_parallelism){.workers = workers, .blas_threads = 1, .cores = cores};
    return BP_OK;
}
