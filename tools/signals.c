/* SIGINT and SIGTERM during training: the first asks for a stop after the current batch, a second
 * ends the program at once, but never while a file is half written. */
#define _POSIX_C_SOURCE 200809L /* sigaction */

#include "signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>

/* Where the program is, as the handler sees it. */
enum { IDLE, SAVING, SAVING_INTERRUPTED, EXITING };

static atomic_int first;        /* the first signal, 0 while none */
static atomic_int second;       /* a second one that came during a save */
static atomic_int state = IDLE; /* IDLE .. EXITING */

static void on_signal(int sig) {
    int none = 0;
    if (atomic_compare_exchange_strong(&first, &none, sig))
        return; /* the first: training stops after its batch */
    for (;;) {
        int now = atomic_load(&state);
        if (now == IDLE) {
            if (atomic_compare_exchange_strong(&state, &now, EXITING))
                _exit(128 + sig); /* nothing half written: go now */
        } else if (now == SAVING) {
            atomic_store(&second, sig);
            if (atomic_compare_exchange_strong(&state, &now, SAVING_INTERRUPTED))
                return; /* signals_save_end exits */
        } else {
            return; /* already on the way out */
        }
    }
}

void signals_install(void) {
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    /* Reads and writes interrupted by the first signal go on. */
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int signals_received(void) { return atomic_load(&first); }

void signals_save_begin(void) {
    int idle = IDLE;
    /* Fails only when a second signal is already ending the program (in
     * another thread): nothing may be started, so wait for the end. */
    while (!atomic_compare_exchange_strong(&state, &idle, SAVING)) {
        pause();
        idle = IDLE;
    }
}

void signals_save_end(void) {
    int saving = SAVING;
    if (atomic_compare_exchange_strong(&state, &saving, IDLE))
        return;
    /* A second signal came during the save, which is now complete. */
    atomic_store(&state, EXITING);
    _exit(128 + atomic_load(&second));
}

int signals_exit_status(void) { return 128 + signals_received(); }

const char *signals_name(void) {
    switch (signals_received()) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "a signal";
    }
}
