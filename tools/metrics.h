/* The metrics file: every epoch's losses and accuracies as JSON, appended in place. */
#ifndef BACKPROP_TOOL_METRICS_H
#define BACKPROP_TOOL_METRICS_H

#include <backprop.h>
#include <stdbool.h>
#include <sys/types.h>

/* {"plan": {"spec", "kernels", "core", "workers", "blas_threads",
 * "measured", "step_seconds"}, "epochs": [{"epoch", "train_loss",
 * "train_accuracy", "test_loss", "test_accuracy", "seconds"}, ...]}, NaN
 * and infinities written as null; a regression's records also hold
 * "train_mse", "train_mae", "train_r2" and the same of "val" and "test"
 * when those sets are there; "plan" only when metrics_set_plan was called. */
typedef struct metrics {
    const char *path; /* NULL: no file */
    char plan[256];   /* the "plan" member and its comma, or "" */
    int fd;           /* the file, open after the first epoch; -1 before */
    off_t tail;       /* where the closing "\n]}\n" starts */
    size_t count;     /* epochs written */
} metrics;

/* A regression's scores after an epoch, in the targets' units (MSE, MAE,
 * R^2 as bp_evaluate_regression gives them), of each set there is. */
typedef struct regression_scores {
    bp_regression_metrics train, val, test;
    bool has_val, has_test;
} regression_scores;

/* Prepares the writer; nothing is written before the first epoch, so an
 * old file stays as it is until then. Returns EXIT_OK (a NULL path: no
 * file). */
int metrics_init(metrics *m, const char *path);

/* Adds an epoch's record, in time independent of the epochs before it.
 * The first epoch writes the whole file as "<path>.tmp.XXXXXX" (with the
 * mode of the file it replaces, 0644 for a new one), flushed to disk and
 * renamed over path. Each later one overwrites only the closing "\n]}\n"
 * with ",\n  {record}\n]}\n" in one write, then flushes the data to disk,
 * so the file is valid JSON after every epoch; a write that fails (a full
 * disk) is undone, leaving the epochs before it. scores: a regression's,
 * or NULL. On failure prints the error and returns EXIT_RUNTIME. */
int metrics_add(metrics *m, const bp_epoch_report *epoch, const regression_scores *scores);

/* The training's plan (bp_plan_measure's or a fixed one), written with the
 * first epoch. */
void metrics_set_plan(metrics *m, const bp_plan *plan);

/* Closes the file. */
void metrics_free(metrics *m);

#endif
