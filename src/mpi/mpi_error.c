/* libbackprop-mpi's per-thread error message. */
#include "mpi_error.h"

#include <stdarg.h>
#include <stdio.h>

#include "backprop_mpi.h"

static _Thread_local char last_message[BP_MPI_MESSAGE_BYTES];

const char *bp_mpi_errmsg(void) { return last_message; }

int bp_mpi__fail(int code, const char *function, const char *format, ...) {
    int used = snprintf(last_message, sizeof last_message, "%s: ", function);
    if (used < 0 || (size_t)used >= sizeof last_message)
        return code;
    va_list args;
    va_start(args, format);
    vsnprintf(last_message + used, sizeof last_message - (size_t)used, format, args);
    va_end(args);
    return code;
}

int bp_mpi__pass_on(int rc) {
    if (rc != BP_OK)
        snprintf(last_message, sizeof last_message, "%s", bp_errmsg());
    return rc;
}

int bp_mpi__fail_mpi(const char *function, const char *call, int mpi_error) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(mpi_error, text, &length) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", mpi_error);
    return bp_mpi__fail(BP_ECOMM, function, "%s failed: %s", call, text);
}
