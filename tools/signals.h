/* SIGINT and SIGTERM during training: the first asks for a stop after the current batch, a second
 * ends the program at once, but never while a file is half written. */
#ifndef BACKPROP_TOOL_SIGNALS_H
#define BACKPROP_TOOL_SIGNALS_H

/* Installs the handlers (sigaction) for SIGINT and SIGTERM. The handler
 * only touches lock-free atomics and calls _exit, so it may run in any
 * thread (OpenBLAS's too). */
void signals_install(void);

/* The first signal received (SIGINT or SIGTERM), or 0 while none. */
int signals_received(void);

/* Brackets the writing of a file (temporary file to rename): a second
 * signal that arrives in between ends the program only at
 * signals_save_end, once the temporary file is renamed or removed, so no
 * output is ever left half written or as a stray temporary file. Outside
 * such a bracket a second signal ends the program at once, with status
 * 128 + the signal's number. */
void signals_save_begin(void);
void signals_save_end(void);

/* 128 + signals_received(): the exit status of an interrupted run. */
int signals_exit_status(void);

/* "SIGINT" or "SIGTERM" for the first signal received. */
const char *signals_name(void);

#endif
