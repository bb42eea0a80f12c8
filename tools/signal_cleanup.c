/* A temporary file removed when SIGINT, SIGTERM or SIGHUP ends a command that stops at the first
 * signal (predict), so that no partial <path>.tmp.XXXXXX is left. */
#define _POSIX_C_SOURCE 200809L /* sigaction */

#include "signal_cleanup.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

static _Atomic(const char *) pending;
static bool installed;

static void on_signal(int sig) {
    const char *path = atomic_load(&pending);
    if (path)
        unlink(path); /* async-signal-safe */
    /* Then die of the signal, as without the handler. */
    signal(sig, SIG_DFL);
    raise(sig);
}

void signal_cleanup(const char *path) {
    atomic_store(&pending, path);
    if (installed || !path)
        return;
    installed = true;
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    /* One handler at a time: a second signal waits for the first's unlink. */
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaddset(&action.sa_mask, SIGHUP);
    const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old;
        /* A signal the shell made ignored (nohup, a background job's
         * SIGINT) stays ignored. */
        if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(signals[i], &action, NULL);
    }
}
