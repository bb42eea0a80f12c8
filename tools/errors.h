/* The backprop program's runtime errors: the message on stderr, kept for the other ranks, and the
 * library's. */
#ifndef BACKPROP_TOOL_ERRORS_H
#define BACKPROP_TOOL_ERRORS_H

#include "cmdline.h"

/* Prints "backprop: message" to stderr (with the prefix, "rank 1: " under
 * mpirun) and keeps the message; returns EXIT_RUNTIME. */
int runtime_error(const char *format, ...) TOOL_PRINTF_LIKE(1, 2);

/* The last runtime error's message, "" before any. */
const char *last_error_message(void);

/* Put before every runtime error's message from now on; the string must
 * stay valid. */
void set_error_prefix(const char *prefix);

/* Prints "backprop: " and the library's message for the failure `code`
 * (bp_errmsg(), or bp_strerror() when the library left none); returns
 * EXIT_RUNTIME. */
int library_error(int code);

#endif
