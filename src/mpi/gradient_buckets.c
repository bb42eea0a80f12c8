/* Gradient buckets: an MPI_Iallreduce per group of layers, started as the backward pass finishes
 * each group. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "gradient_buckets.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "mpi_error.h"

static const char *const FN = "bp_mpi_train";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Walks the layers from the output down, closing a bucket once it holds
 * bucket_bytes or would pass INT_MAX floats (MPI's count is an int); fills
 * `out` when it is not NULL and returns the bucket count. */
static size_t plan(bp_net *net, size_t bucket_bytes, bp_mpi__bucket *out) {
    const size_t limit_floats = bucket_bytes / sizeof(float);
    size_t n = 0, open_end = 0, open_floats = 0;
    bool open = false;
    for (size_t l = bp_net_num_layers(net); l-- > 0;) {
        bp_layer layer;
        bp_net_layer(net, l, &layer);
        float *grads;
        bp_net_grads(net, &grads, NULL);
        size_t offset = (size_t)(layer.weight_grads - grads);
        size_t span = layer.inputs * layer.outputs + layer.outputs;
        if (!open) {
            open = true;
            open_end = offset + span;
            open_floats = 0;
        }
        open_floats += span;
        /* Close it here when full, or at the first layer; a span over
         * INT_MAX floats is cut into several buckets ending at this layer. */
        if (open_floats >= limit_floats || l == 0) {
            size_t first = offset;
            while (first < open_end) {
                const size_t left = open_end - first;
                const size_t count = left > (size_t)INT_MAX ? (size_t)INT_MAX : left;
                if (out)
                    out[n] = (bp_mpi__bucket){
                        .trigger = l, .offset = open_end - count, .count = (int)count};
                n++;
                open_end -= count;
            }
            open = false;
        }
    }
    return n;
}

int bp_mpi__buckets_init(bp_mpi__buckets *b, bp_net *net, size_t bucket_bytes, MPI_Comm comm,
                         bp_mpi_stats *stats) {
    *b = (bp_mpi__buckets){.comm = comm, .mpi_error = MPI_SUCCESS, .stats = stats};
    bp_net_grads(net, &b->grads, NULL);
    b->n_buckets = plan(net, bucket_bytes, NULL);
    b->buckets = calloc(b->n_buckets, sizeof *b->buckets);
    b->requests = calloc(b->n_buckets, sizeof *b->requests);
    if (!b->buckets || !b->requests) {
        bp_mpi__buckets_free(b);
        return bp_mpi__fail(BP_ENOMEM, FN, "no memory for %zu gradient buckets", b->n_buckets);
    }
    plan(net, bucket_bytes, b->buckets);
    for (size_t i = 0; i < b->n_buckets; i++)
        b->requests[i] = MPI_REQUEST_NULL;
    stats->buckets = b->n_buckets;
    stats->bytes_per_step = bp_net_num_params(net) * sizeof(float);
    return BP_OK;
}

void bp_mpi__buckets_free(bp_mpi__buckets *b) {
    free(b->buckets);
    free(b->requests);
    b->buckets = NULL;
    b->requests = NULL;
}

static void note_error(bp_mpi__buckets *b, const char *call, int error) {
    if (error != MPI_SUCCESS && b->mpi_error == MPI_SUCCESS) {
        b->mpi_error = error;
        b->failed_call = call;
    }
}

/* Starts bucket i: its floats summed over every rank, in place. */
static void start(bp_mpi__buckets *b, size_t i) {
    const bp_mpi__bucket *bucket = &b->buckets[i];
    /* g[offset .. offset + count) <- sum over ranks of each rank's g there */
    note_error(b, "MPI_Iallreduce",
               MPI_Iallreduce(MPI_IN_PLACE, b->grads + bucket->offset, bucket->count, MPI_FLOAT,
                              MPI_SUM, b->comm, &b->requests[i]));
}

static void layer_ready(void *user, size_t layer, size_t offset, size_t count) {
    (void)offset;
    (void)count;
    bp_mpi__buckets *b = user;
    /* Layers come output first, so the buckets start in table order. */
    while (b->next < b->n_buckets && b->buckets[b->next].trigger == layer)
        start(b, b->next++);
}

static int before_step(void *user) {
    bp_mpi__buckets *b = user;
    /* Every layer has been handed out, so every bucket has started; start
     * any that have not all the same, or the ranks' calls would not match. */
    while (b->next < b->n_buckets)
        start(b, b->next++);
    const double t0 = now();
    /* Completes every bucket's sum: the gradient block holds the global one. */
    if (b->n_buckets > 0) /* always: a network has layers */
        note_error(b, "MPI_Waitall",
                   MPI_Waitall((int)b->n_buckets, b->requests, MPI_STATUSES_IGNORE));
    const double waited = now() - t0;
    b->next = 0;
    b->stats->steps++;
    b->stats->wait_seconds += waited;
    b->stats->last_wait_seconds = waited;
    return b->mpi_error == MPI_SUCCESS ? 0 : BP_ECOMM;
}

bp_gradient_hook bp_mpi__buckets_hook(bp_mpi__buckets *b) {
    return (bp_gradient_hook){.layer_ready = layer_ready, .before_step = before_step, .user = b};
}
