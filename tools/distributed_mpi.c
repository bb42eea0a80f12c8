/* The backprop program under mpirun: MPI started and ended here, failures agreed, bp_mpi_train. */
#include <backprop_mpi.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmdline.h"
#include "distributed.h"
#include "errors.h"

static bool started;
static int rank, size = 1;
static bp_mpi_stats stats;
static bp_net *shared_preprocessing; /* the carrier of rank 0's, on the others */
static char rank_prefix[32];

/* Whether an MPI launcher started this process (mpirun, mpiexec, srun). */
static bool launched(void) {
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                        "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (getenv(names[i]))
            return true;
    return false;
}

void distributed_start(int *argc, char ***argv) {
    if (!launched())
        return;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "backprop: MPI_Init failed; training alone\n");
        return;
    }
    started = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) {
        snprintf(rank_prefix, sizeof rank_prefix, "rank %d: ", rank);
        set_error_prefix(rank_prefix);
    }
}

void distributed_finish(void) {
    bp_net_destroy(shared_preprocessing);
    shared_preprocessing = NULL;
    if (started)
        MPI_Finalize();
    started = false;
}

int distributed_rank(void) { return rank; }

int distributed_size(void) { return size; }

int distributed_agree(int status) {
    if (!started || size == 1)
        return status;
    char message[16384]; /* as long as runtime_error's */
    int failed_rank = -1;
    const int rc = bp_mpi_agree(MPI_COMM_WORLD, status == EXIT_OK ? BP_OK : BP_EIO,
                                last_error_message(), message, sizeof message, &failed_rank);
    if (rc == BP_OK)
        return EXIT_OK;
    if (status != EXIT_OK)
        return status; /* this rank said why */
    if (rc == BP_EPEER)
        return runtime_error("stopping: rank %d failed: %s", failed_rank, message);
    return runtime_error("%s", bp_mpi_errmsg());
}

/* A rank's share of a full global batch. */
static size_t share_of_batch(size_t batch) {
    return batch / (size_t)size + ((size_t)rank < batch % (size_t)size);
}

size_t distributed_batches(size_t count, size_t batch, bool sharded) {
    const size_t mine = (count + batch - 1) / batch;
    if (!started || size == 1 || !sharded)
        return mine;
    const size_t share = share_of_batch(batch);
    unsigned long long batches = share ? (count + share - 1) / share : 0;
    /* batches <- the fewest any shard gives */
    MPI_Allreduce(MPI_IN_PLACE, &batches, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    return (size_t)batches;
}

size_t distributed_epoch_examples(size_t count, size_t batch, bool sharded) {
    if (!started || size == 1 || !sharded)
        return count;
    const size_t batches = distributed_batches(count, batch, sharded);
    const size_t used = batches * share_of_batch(batch);
    unsigned long long examples = used < count ? used : count;
    /* examples <- sum over ranks of the examples each shard gives an epoch */
    MPI_Allreduce(MPI_IN_PLACE, &examples, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    return (size_t)examples;
}

int distributed_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                      const bp_dataset *test, const bp_train_options *options, bool sharded) {
    if (!started)
        return bp_train(net, opt, train, test, options);
    bp_mpi_options mpi_options;
    bp_mpi_options_default(&mpi_options);
    mpi_options.train = *options;
    mpi_options.sharded = sharded;
    return bp_mpi_train(net, opt, train, test, &mpi_options, MPI_COMM_WORLD, &stats);
}

double distributed_wait_seconds(void) { return stats.wait_seconds; }

/* Rank 0's preprocessing as the bytes of a model file: a one-layer
 * network of the right shape carries it (bp_net_save_memory writes it,
 * bp_net_load_memory checks every byte of it on the other side). */
static int preprocessing_bytes(const bp_preprocessing *p, const bp_schema *schema, size_t features,
                               size_t width, unsigned char **bytes,
                               unsigned long long *byte_count) {
    const size_t sizes[] = {features, width};
    const bp_activation identity = BP_ACT_IDENTITY;
    bp_net *carrier = NULL;
    size_t length = 0;
    int rc = bp_net_create(&carrier, 1, sizes, &identity, BP_KERNELS_NAIVE, 0);
    if (rc == BP_OK)
        rc = bp_net_set_preprocessing(carrier, p);
    if (rc == BP_OK)
        rc = bp_net_set_schema(carrier, schema);
    if (rc == BP_OK && bp_net_save_memory(carrier, NULL, 0, &length) == BP_EINVAL && length == 0)
        rc = BP_EINVAL;
    *bytes = rc == BP_OK ? malloc(length) : NULL;
    if (rc == BP_OK && !*bytes)
        rc = BP_ENOMEM;
    if (rc == BP_OK)
        rc = bp_net_save_memory(carrier, *bytes, length, &length);
    bp_net_destroy(carrier);
    *byte_count = length;
    return rc;
}

int distributed_share_preprocessing(const bp_preprocessing **p, const bp_schema **schema,
                                    size_t features, size_t width) {
    if (!started || size == 1)
        return EXIT_OK;
    unsigned char *bytes = NULL;
    unsigned long long length = 0;
    int rc = rank == 0 ? preprocessing_bytes(*p, *schema, features, width, &bytes, &length) : BP_OK;
    if (rank == 0 && rc != BP_OK)
        runtime_error("cannot pass the preprocessing to the other ranks: %s", bp_errmsg());
    if (distributed_agree(rc == BP_OK ? EXIT_OK : EXIT_RUNTIME) != EXIT_OK) {
        free(bytes);
        return EXIT_RUNTIME;
    }
    /* length <- rank 0's, then the bytes <- rank 0's, on every rank */
    MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    if (rank != 0)
        bytes = length <= (unsigned long long)INT_MAX ? malloc(length) : NULL;
    int status = EXIT_OK;
    if (rank != 0 && !bytes)
        status = runtime_error("no memory for rank 0's preprocessing (%llu bytes)", length);
    if (distributed_agree(status) != EXIT_OK) {
        free(bytes);
        return EXIT_RUNTIME;
    }
    MPI_Bcast(bytes, (int)length, MPI_UNSIGNED_CHAR, 0, MPI_COMM_WORLD);
    if (rank != 0) {
        rc = bp_net_load_memory(&shared_preprocessing, bytes, length, BP_KERNELS_NAIVE);
        if (rc == BP_OK) {
            *p = bp_net_preprocessing(shared_preprocessing);
            *schema = bp_net_schema(shared_preprocessing);
        } else
            status = library_error(rc);
    }
    free(bytes);
    return distributed_agree(status);
}

const char *distributed_errmsg(void) { return started ? bp_mpi_errmsg() : bp_errmsg(); }
