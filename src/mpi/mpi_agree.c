/* bp_mpi_agree: one rank's failure becomes every rank's, with the lowest failing rank's message. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "backprop_mpi.h"
#include "mpi_error.h"

static const char *const FN = "bp_mpi_agree";

int bp_mpi_agree(MPI_Comm comm, int rc, const char *what, char *message, size_t message_size,
                 int *failed_rank) {
    int rank;
    int error = MPI_Comm_rank(comm, &rank);
    if (error != MPI_SUCCESS)
        return bp_mpi__fail_mpi(FN, "MPI_Comm_rank", error);
    /* lowest <- the lowest rank whose rc is a failure (INT_MAX: none) */
    int lowest = rc != BP_OK ? rank : INT_MAX;
    error = MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT, MPI_MIN, comm);
    if (error != MPI_SUCCESS)
        return bp_mpi__fail_mpi(FN, "MPI_Allreduce", error);
    if (failed_rank)
        *failed_rank = lowest == INT_MAX ? -1 : lowest;
    if (lowest == INT_MAX) {
        if (message && message_size > 0)
            message[0] = '\0';
        return BP_OK;
    }
    char carried[BP_MPI_MESSAGE_BYTES] = {0};
    if (rank == lowest)
        snprintf(carried, sizeof carried, "%s", what ? what : "");
    /* carried <- the lowest failing rank's message, on every rank */
    error = MPI_Bcast(carried, (int)sizeof carried, MPI_CHAR, lowest, comm);
    if (error != MPI_SUCCESS)
        return bp_mpi__fail_mpi(FN, "MPI_Bcast", error);
    carried[sizeof carried - 1] = '\0';
    if (message && message_size > 0)
        snprintf(message, message_size, "%s", carried);
    if (rc != BP_OK)
        return rc;
    return bp_mpi__fail(BP_EPEER, FN, "rank %d failed: %s", lowest, carried);
}
