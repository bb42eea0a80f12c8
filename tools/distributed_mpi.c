/* The backprop program under mpirun: MPI started and ended here, failures agreed, bp_mpi_train. */
#include <backprop_mpi.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "distributed.h"
#include "options.h"

static bool started;
static int rank, size = 1;
static bp_mpi_stats stats;
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

const char *distributed_errmsg(void) { return started ? bp_mpi_errmsg() : bp_errmsg(); }
