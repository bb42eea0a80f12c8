/* The metrics file: every epoch's losses and accuracies as JSON, rewritten atomically. */
#ifndef BACKPROP_TOOL_METRICS_H
#define BACKPROP_TOOL_METRICS_H

#include <backprop.h>

/* {"epochs": [{"epoch", "train_loss", "train_accuracy", "test_loss",
 * "test_accuracy", "seconds"}, ...]}, NaN and infinities written as null. */
typedef struct metrics {
    const char *path;        /* NULL: no file */
    bp_epoch_report *epochs; /* those so far */
    size_t count, capacity;
} metrics;

/* Prepares for up to `capacity` epochs. On failure prints the error and
 * returns EXIT_RUNTIME; EXIT_OK otherwise. Nothing to do for a NULL path. */
int metrics_init(metrics *m, const char *path, size_t capacity);

/* Adds an epoch and rewrites the file with all of them: to a temporary
 * file in the same directory, flushed to disk, then renamed over the path,
 * so that the file always holds the last complete set of epochs. On
 * failure prints the error and returns EXIT_RUNTIME. */
int metrics_add(metrics *m, const bp_epoch_report *epoch);

void metrics_free(metrics *m);

#endif
