/* The backprop program started by mpirun: its rank, agreeing on failures,
 * and training over MPI (distributed_mpi.c), or a note that this build has
 * no MPI (distributed_alone.c). */
#ifndef BACKPROP_TOOL_DISTRIBUTED_H
#define BACKPROP_TOOL_DISTRIBUTED_H

#include <backprop.h>
#include <stdbool.h>
#include <stddef.h>

/* Starts MPI when an MPI launcher started this process (its environment
 * says so); alone it does nothing, so the program runs as it always has.
 * Call first in main. Built without MPI, says so on stderr when started by
 * a launcher with more than one process. */
void distributed_start(int *argc, char ***argv);

/* Ends MPI if distributed_start started it. */
void distributed_finish(void);

/* This process's rank and the number of ranks: 0 and 1 alone. */
int distributed_rank(void);
int distributed_size(void);

/* Whether this process prints, saves and writes files: rank 0, or alone. */
static inline bool distributed_speaks(void) { return distributed_rank() == 0; }

/* Agrees on an exit status: every rank calls it with its own. Returns
 * EXIT_OK when all are EXIT_OK; otherwise this rank's own failure, or
 * EXIT_RUNTIME after printing which rank failed and its message. Alone it
 * returns `status`. */
int distributed_agree(int status);

/* Global batches per epoch: ceil(count / batch) of the shared set, or with
 * shards the fewest any shard gives. */
size_t distributed_batches(size_t count, size_t batch, bool sharded);

/* Examples in one epoch over all ranks. */
size_t distributed_epoch_examples(size_t count, size_t batch, bool sharded);

/* bp_train, or alone under mpirun -np 1, or bp_mpi_train over every rank.
 * *wait_share (may be NULL) is read by callbacks: the share of the last
 * step's time spent waiting for the gradient's allreduce. */
int distributed_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                      const bp_dataset *test, const bp_train_options *options, bool sharded);

/* Seconds this rank has waited for the gradient's allreduce since the run
 * began (0 alone): its growth over an epoch's seconds is the share of step
 * time spent waiting on communication. */
double distributed_wait_seconds(void);

/* Sharded runs: rank 0's preprocessing (scaling, task, class names), which
 * it fitted on its shard, for every rank, so that all scale alike and give
 * a label the same class. Rank 0 passes its own in *p; the other ranks get
 * rank 0's in *p, borrowed until distributed_finish. `width` is the
 * network's outputs (classes, or regression targets), `features` its
 * inputs. Collective; call it only when every rank is well. Prints the
 * error and returns EXIT_RUNTIME, or EXIT_OK; alone it does nothing. */
int distributed_share_preprocessing(const bp_preprocessing **p, const bp_schema **schema,
                                    size_t features, size_t width);

/* The last message of a failed distributed call, or "". */
const char *distributed_errmsg(void);

#endif
