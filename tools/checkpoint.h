/* Checkpoints of a training run: the model and the optimizer state after an
 * epoch, in one directory, written so that a crash leaves the last complete
 * one loadable. */
#ifndef BACKPROP_TOOL_CHECKPOINT_H
#define BACKPROP_TOOL_CHECKPOINT_H

#include <backprop.h>
#include <stdbool.h>
#include <stddef.h>

/* A checkpoint directory holds epoch-NNNNNN/ directories, each with
 * model.bin (bp_net_save) and optimizer.bin (bp_optimizer_save). */
#define CHECKPOINT_MODEL "model.bin"
#define CHECKPOINT_OPTIMIZER "optimizer.bin"

/* Writes the checkpoint of `epoch` into dir (created if missing): both
 * files into a temporary directory dir/.tmp.XXXXXX, flushed to disk, then
 * renamed to dir/epoch-NNNNNN in one step and the directory flushed; then
 * the older checkpoints are removed. A crash at any moment leaves the
 * newest complete checkpoint (and maybe a .tmp. directory to delete).
 * Prints the error and returns EXIT_RUNTIME, or returns EXIT_OK. */
int checkpoint_save(const char *dir, size_t epoch, const bp_net *net, const bp_optimizer *opt);

/* Whether path is an existing directory. */
bool checkpoint_is_directory(const char *path);

/* The newest complete checkpoint in dir: its epoch and the paths of its two
 * files (malloc'd, for the caller to free). Prints the error and returns
 * EXIT_RUNTIME when there is none, or returns EXIT_OK. */
int checkpoint_find(const char *dir, size_t *epoch, char **model, char **optimizer);

#endif
