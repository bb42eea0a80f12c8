/* The gradient block cut into buckets of whole layers, each summed over the
 * ranks by one MPI_Iallreduce started from the gradient hook. */
#ifndef BP_MPI_GRADIENT_BUCKETS_H
#define BP_MPI_GRADIENT_BUCKETS_H

#include <stddef.h>

#include "backprop_mpi.h"

typedef struct bp_mpi__bucket {
    size_t trigger; /* the layer whose readiness starts it: its lowest */
    size_t offset;  /* its floats in the gradient block */
    int count;
} bp_mpi__bucket;

typedef struct bp_mpi__buckets {
    MPI_Comm comm;
    float *grads;            /* the network's gradient block */
    bp_mpi__bucket *buckets; /* in the order they start: output layer's first */
    MPI_Request *requests;   /* one per bucket */
    size_t n_buckets;
    size_t next;             /* the next bucket to start in this step */
    int mpi_error;           /* the first failed MPI call's code, or MPI_SUCCESS */
    const char *failed_call; /* and its name */
    bp_mpi_stats *stats;     /* updated by every step; never NULL */
} bp_mpi__buckets;

/* Plans buckets of about bucket_bytes over net's layers, output layer
 * first (a layer larger than INT_MAX floats spans several), and allocates
 * the table and the requests. Returns BP_OK, BP_ENOMEM or BP_EOVERFLOW with
 * bp_mpi_errmsg() set. */
int bp_mpi__buckets_init(bp_mpi__buckets *b, bp_net *net, size_t bucket_bytes, MPI_Comm comm,
                         bp_mpi_stats *stats);

void bp_mpi__buckets_free(bp_mpi__buckets *b);

/* The hook that starts the buckets as layers become final and completes
 * them before the step; user is the bp_mpi__buckets. */
bp_gradient_hook bp_mpi__buckets_hook(bp_mpi__buckets *b);

#endif
