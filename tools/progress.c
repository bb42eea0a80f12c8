/* The training progress bar on a terminal: bar, examples/s and running cost. */
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */

#include "progress.h"

#include <unistd.h>

enum { BAR_WIDTH = 30 };

/* Redrawing costs a write to the terminal; ten times a second looks live. */
static const double REDRAW_SECONDS = 0.1;

void progress_init(progress *bar, FILE *out, size_t epochs, bool quiet) {
    *bar = (progress){
        .out = out, .enabled = !quiet && isatty(fileno(out)), .epochs = epochs, .last = -1.0};
}

void progress_update(progress *bar, const bp_batch_report *report) {
    if (!bar->enabled || report->batches == 0)
        return;
    const bool new_epoch = report->epoch != bar->epoch;
    if (!new_epoch && report->seconds - bar->last < REDRAW_SECONDS)
        return;
    bar->epoch = report->epoch;
    bar->last = report->seconds;

    const double done = (double)report->batch / (double)report->batches;
    const int filled = (int)(done * BAR_WIDTH);
    char cells[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        cells[i] = i < filled ? '=' : i == filled ? '>' : ' ';
    cells[BAR_WIDTH] = '\0';
    const double rate = report->seconds > 0 ? (double)report->examples / report->seconds : 0.0;
    /* \r back to the line's start; ESC [K erases what a longer line left. */
    fprintf(bar->out, "\r\033[Kepoch %zu/%zu [%s] %3.0f%%  %.0f ex/s  loss %.4f", report->epoch,
            bar->epochs, cells, 100.0 * done, rate, report->loss);
    fflush(bar->out);
    bar->drawn = true;
}

void progress_clear(progress *bar) {
    if (!bar->enabled || !bar->drawn)
        return;
    fputs("\r\033[K", bar->out);
    fflush(bar->out);
    bar->drawn = false;
}
