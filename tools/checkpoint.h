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

/* Beside them: the run's manifest (run_manifest.h) and the lock file, which
 * holds the process id of the run that has the directory. */
#define CHECKPOINT_LOCK "lock"

/* Takes dir for this run, without waiting: creates it if missing and
 * flock's dir/lock, exclusively to write checkpoints (`write`), shared to
 * read one; a fresh run (`fresh`, one that does not resume from dir) also
 * needs dir to hold nothing but the lock. *fd is the lock's descriptor, to
 * keep open while the run uses dir (-1 when a read-only directory has no
 * lock file to take). Prints the error and returns EXIT_RUNTIME (another
 * run holds the directory; it holds another run's files), or EXIT_OK. */
int checkpoint_claim(const char *dir, bool write, bool fresh, int *fd);

/* Releases what checkpoint_claim took (the lock file stays). Accepts -1. */
void checkpoint_release(int fd);

/* Writes the checkpoint of `epoch` into dir (created if missing): first
 * the run's manifest, if dir has none yet; then both files into a temporary
 * directory dir/.tmp.XXXXXX, flushed to disk, then renamed to
 * dir/epoch-NNNNNN in one step and the directory flushed; then the older
 * checkpoints are removed. A crash at any moment leaves the newest
 * complete checkpoint (and maybe a .tmp. directory to delete).
 * Prints the error and returns EXIT_RUNTIME, or returns EXIT_OK. */
int checkpoint_save(const char *dir, size_t epoch, const bp_net *net, const bp_optimizer *opt,
                    const char *manifest);

/* The newest complete checkpoint in dir: its epoch and the paths of its two
 * files (malloc'd, for the caller to free). Prints the error and returns
 * EXIT_RUNTIME when there is none, or returns EXIT_OK. */
int checkpoint_find(const char *dir, size_t *epoch, char **model, char **optimizer);

#endif
