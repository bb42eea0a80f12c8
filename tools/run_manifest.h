/* A checkpoint directory's manifest: the run its checkpoints belong to, so that --resume refuses
 * another run's. */
#ifndef BACKPROP_TOOL_RUN_MANIFEST_H
#define BACKPROP_TOOL_RUN_MANIFEST_H

#include <backprop.h>

#include "train_options.h"

/* DIR/manifest: a first line "backprop run 1", then one "key value" line
 * per setting that makes a run what it is: each data file (its absolute
 * path and size, or "none"), the CSV and validation settings, --batch,
 * --seed and --early-stopping, the network (--layers, --activation,
 * --loss, --init) and the optimizer (--optimizer, --lr, --momentum,
 * --weight-decay, --schedule, --step-epochs, --gamma). The keys are the
 * option names. --epochs is not one: a run may be resumed for more. */
#define MANIFEST_NAME "manifest"

/* The manifest of a new run (c, with its network and optimizer made), in
 * a malloc'd string for the caller to free; NULL when out of memory. */
char *manifest_of_run(const train_config *c, bp_net *net, const bp_optimizer *opt);

/* Reads dir's manifest and compares it with this command's settings (c,
 * before any data is loaded): the data files and the settings that decide
 * the examples and their order always; the network and the optimizer only
 * where an option gives them, since the checkpoint holds them. On success
 * *stored is the manifest's text (malloc'd), for the checkpoints this run
 * writes. Prints the error (every setting that differs, "here" against
 * "in DIR") and returns EXIT_USAGE; EXIT_RUNTIME when the manifest cannot
 * be read (a directory of an older backprop has none). */
int manifest_check(const char *dir, const train_config *c, char **stored);

/* Writes text to dir/manifest atomically (a temporary file, flushed, then
 * renamed and the directory flushed), unless dir already has one.
 * Prints the error and returns EXIT_RUNTIME, or returns EXIT_OK. */
int manifest_write(const char *dir, const char *text);

#endif
