/* The backprop program built without MPI: one process, and a note when mpirun started several. */
#include <stdio.h>
#include <stdlib.h>

#include "cmdline.h"
#include "distributed.h"

/* The process count an MPI launcher put in the environment, or 0. */
static long launcher_size(void) {
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                                        "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *value = getenv(names[i]);
        if (value)
            return strtol(value, NULL, 10);
    }
    return 0;
}

void distributed_start(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const long size = launcher_size();
    if (size > 1)
        fprintf(stderr,
                "backprop: this build has no MPI (libbackprop-mpi was not built): each of the %ld "
                "processes the launcher started runs alone\n",
                size);
}

void distributed_finish(void) {}

int distributed_rank(void) { return 0; }

int distributed_size(void) { return 1; }

int distributed_agree(int status) { return status; }

size_t distributed_batches(size_t count, size_t batch, bool sharded) {
    (void)sharded;
    return (count + batch - 1) / batch;
}

size_t distributed_epoch_examples(size_t count, size_t batch, bool sharded) {
    (void)batch;
    (void)sharded;
    return count;
}

int distributed_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                      const bp_dataset *test, const bp_train_options *options, bool sharded) {
    (void)sharded;
    return bp_train(net, opt, train, test, options);
}

double distributed_wait_seconds(void) { return 0.0; }

int distributed_share_preprocessing(const bp_preprocessing **p, const bp_schema **schema,
                                    size_t features, size_t width) {
    (void)p;
    (void)schema;
    (void)features;
    (void)width;
    return EXIT_OK;
}

const char *distributed_errmsg(void) { return bp_errmsg(); }
