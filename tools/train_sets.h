/* The train command's data: each rank's paths, the training, validation and test sets, and the
 * CSV preprocessing fitted on the training set. */
#ifndef BACKPROP_TOOL_TRAIN_SETS_H
#define BACKPROP_TOOL_TRAIN_SETS_H

#include <backprop.h>

#include "train_options.h"

/* Each rank's own files: {rank} in a data path becomes the rank's number
 * (the new strings in c->owned). Any path that names it makes the run
 * sharded. EXIT_OK, or the runtime error's status (no memory). */
int substitute_ranks(train_config *c);

/* Loads the training and test sets: IDX scaled by 1/255, CSV with the
 * task decided and the preprocessing fitted on the training set (on rank
 * 0's shard, for every rank, in a sharded run) into c->prep and applied;
 * --val-split's share of the training set becomes c->val. EXIT_OK, or the
 * runtime error's status. */
int load_train_sets(train_config *c, bp_dataset *train, bp_dataset *test);

#endif
