/* The backprop program's runtime errors: the message on stderr, kept for the other ranks, and the
 * library's. */
#include "errors.h"

#include <backprop.h>
#include <stdarg.h>
#include <stdio.h>

/* The last runtime error's text, for distributed_agree to pass to the
 * other ranks, and the prefix that names this rank under mpirun. */
/* Room for the library's longest message (bp_errmsg holds up to 9215
 * bytes) and a prefix, so that no message loses its reason here. */
static char last_error[16384];
static const char *error_prefix = "";

void set_error_prefix(const char *prefix) { error_prefix = prefix; }

const char *last_error_message(void) { return last_error; }

int runtime_error(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    fprintf(stderr, "backprop: %s%s\n", error_prefix, last_error);
    return EXIT_RUNTIME;
}

int library_error(int code) {
    const char *detail = bp_errmsg();
    return runtime_error("%s", detail[0] ? detail : bp_strerror(code));
}
