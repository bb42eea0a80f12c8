/* The training progress bar on a terminal: bar, examples/s and running cost. */
#ifndef BACKPROP_TOOL_PROGRESS_H
#define BACKPROP_TOOL_PROGRESS_H

#include <backprop.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct progress {
    FILE *out;     /* where the bar is drawn */
    bool enabled;  /* false: update and clear do nothing */
    bool drawn;    /* the bar is on the current line */
    size_t epochs; /* planned, for "epoch 3/15" */
    double last;   /* seconds into the epoch of the last redraw */
    size_t epoch;  /* the epoch of the last redraw */
} progress;

/* A bar on `out`, enabled when it is a terminal and not `quiet`. */
void progress_init(progress *bar, FILE *out, size_t epochs, bool quiet);

/* Redraws the bar for a batch report, at most ten times a second. */
void progress_update(progress *bar, const bp_batch_report *report);

/* Erases the bar, if drawn, so that the next line starts clean. */
void progress_clear(progress *bar);

#endif
