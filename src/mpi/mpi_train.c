/* bp_mpi_train: bp_train over an MPI communicator, with rank 0's parameters broadcast first. */
#include <limits.h>
#include <string.h>

#include "backprop_mpi.h"
#include "gradient_buckets.h"
#include "mpi_error.h"

static const char *const FN = "bp_mpi_train";

void bp_mpi_options_default(bp_mpi_options *options) {
    if (!options)
        return;
    *options = (bp_mpi_options){.bucket_bytes = BP_MPI_DEFAULT_BUCKET_BYTES};
    bp_train_options_default(&options->train);
}

/* bp_collective's sum: one blocking allreduce of doubles over the ranks. */
static int sum_doubles(double *values, size_t count, void *user) {
    if (count > (size_t)INT_MAX)
        return 1;
    /* values <- sum over ranks of each rank's values */
    return MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_DOUBLE, MPI_SUM, *(MPI_Comm *)user);
}

static int check_arguments(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                           const bp_mpi_options *options) {
    if (!net || !opt || !train || !options)
        return bp_mpi__fail(BP_EINVAL, FN, "%s is NULL",
                            !net     ? "net"
                            : !opt   ? "opt"
                            : !train ? "train"
                                     : "options");
    for (size_t i = 0; i < sizeof options->reserved / sizeof options->reserved[0]; i++)
        if (options->reserved[i] != 0)
            return bp_mpi__fail(BP_EINVAL, FN,
                                "options->reserved[%zu] is 0x%llx, not 0: that space is reserved "
                                "for fields of later versions than this library (%s); start the "
                                "struct from bp_mpi_options_default or zeroed, and set fields by "
                                "name",
                                i, (unsigned long long)options->reserved[i], bp_version());
    if (options->bucket_bytes < sizeof(float))
        return bp_mpi__fail(BP_EINVAL, FN, "bucket_bytes is %zu; it must be at least %zu",
                            options->bucket_bytes, sizeof(float));
    if (options->train.collective)
        return bp_mpi__fail(BP_EINVAL, FN,
                            "options->train.collective is set; bp_mpi_train makes its own");
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized)
        return bp_mpi__fail(BP_EINVAL, FN, "MPI is %s",
                            finalized ? "finalized" : "not initialized");
    return BP_OK;
}

/* Every rank's network must have the same parameter count before rank 0's
 * parameters can be broadcast into them. */
static int agree_on_size_and_broadcast(bp_net *net, MPI_Comm comm) {
    const size_t n = bp_net_num_params(net);
    long long bounds[2] = {(long long)n, -(long long)n};
    /* bounds <- (min over ranks of n, -(max over ranks of n)) */
    int error = MPI_Allreduce(MPI_IN_PLACE, bounds, 2, MPI_LONG_LONG, MPI_MIN, comm);
    if (error != MPI_SUCCESS)
        return bp_mpi__fail_mpi(FN, "MPI_Allreduce", error);
    if (bounds[0] != -bounds[1])
        return bp_mpi__fail(BP_EINVAL, FN,
                            "the ranks' networks have from %lld to %lld parameters; every rank "
                            "must train the same network",
                            bounds[0], -bounds[1]);
    float *params;
    bp_net_params(net, &params, NULL);
    for (size_t first = 0; first < n; first += (size_t)INT_MAX) {
        const size_t left = n - first;
        const int count = left > (size_t)INT_MAX ? INT_MAX : (int)left;
        /* theta <- rank 0's theta, on every rank */
        error = MPI_Bcast(params + first, count, MPI_FLOAT, 0, comm);
        if (error != MPI_SUCCESS)
            return bp_mpi__fail_mpi(FN, "MPI_Bcast", error);
    }
    return BP_OK;
}

/* The run on the library's own communicator. */
static int train_on(MPI_Comm comm, bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                    const bp_dataset *test, const bp_mpi_options *options, bp_mpi_stats *stats) {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    *stats = (bp_mpi_stats){.ranks = size};
    int rc = agree_on_size_and_broadcast(net, comm);
    if (rc != BP_OK)
        return rc; /* the same on every rank: the check and the broadcast are collective */

    bp_mpi__buckets buckets;
    rc = bp_mpi__buckets_init(&buckets, net, options->bucket_bytes, comm, stats);
    /* A rank out of memory must not leave the others waiting. */
    char message[BP_MPI_MESSAGE_BYTES];
    const int agreed = bp_mpi_agree(comm, rc, bp_mpi_errmsg(), message, sizeof message, NULL);
    if (agreed != BP_OK) {
        if (rc == BP_OK)
            bp_mpi__buckets_free(&buckets);
        return agreed == BP_EPEER ? bp_mpi__fail(BP_EPEER, FN, "%s", message) : agreed;
    }

    const bp_gradient_hook hook = bp_mpi__buckets_hook(&buckets);
    bp_net_set_gradient_hook(net, &hook);
    const bp_collective collective = {
        .rank = (size_t)rank,
        .size = (size_t)size,
        .sum = sum_doubles,
        .user = &comm,
        .sharded = options->sharded != 0,
    };
    bp_train_options train_options = options->train;
    train_options.collective = &collective;
    rc = bp_mpi__pass_on(bp_train(net, opt, train, test, &train_options));
    /* An MPI failure inside the hook: its own words say more than bp_train's. */
    if (rc == BP_ECOMM && buckets.mpi_error != MPI_SUCCESS)
        rc = bp_mpi__fail_mpi(FN, buckets.failed_call, buckets.mpi_error);
    bp_net_set_gradient_hook(net, NULL);
    bp_mpi__buckets_free(&buckets);
    return rc;
}

int bp_mpi_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train, const bp_dataset *test,
                 const bp_mpi_options *options, MPI_Comm comm, bp_mpi_stats *stats) {
    int rc = check_arguments(net, opt, train, options);
    if (rc != BP_OK)
        return rc;
    bp_mpi_stats ignored;
    MPI_Comm own;
    /* A communicator of our own, so that no message of ours meets one of the
     * caller's; errors returned, not fatal. */
    int error = MPI_Comm_dup(comm, &own);
    if (error != MPI_SUCCESS)
        return bp_mpi__fail_mpi(FN, "MPI_Comm_dup", error);
    MPI_Comm_set_errhandler(own, MPI_ERRORS_RETURN);
    rc = train_on(own, net, opt, train, test, options, stats ? stats : &ignored);
    MPI_Comm_free(&own);
    return rc;
}
