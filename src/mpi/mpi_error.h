/* libbackprop-mpi's per-thread message: its own failures and libbackprop's it passes on. */
#ifndef BP_MPI_ERROR_H
#define BP_MPI_ERROR_H

#include "support/error.h" /* BP_PRINTF_LIKE only: libbackprop's bp__fail is not exported */

/* The longest message, and the longest carried from one rank to the others:
 * room for libbackprop's (two paths and a reason) and a rank's prefix. */
#define BP_MPI_MESSAGE_BYTES (2 * 4096 + 2048)

/* Records "function: message" as bp_mpi_errmsg() and returns code. */
int bp_mpi__fail(int code, const char *function, const char *format, ...) BP_PRINTF_LIKE(3, 4);

/* Returns rc; when it is a failure, copies libbackprop's bp_errmsg() into
 * bp_mpi_errmsg(), so that one message describes the last failure. */
int bp_mpi__pass_on(int rc);

/* "MPI_Iallreduce: <MPI's own text for the error code>" into the message,
 * and BP_ECOMM. */
int bp_mpi__fail_mpi(const char *function, const char *call, int mpi_error);

#endif
