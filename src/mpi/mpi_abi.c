/* libbackprop-mpi's ABI as built: the sizes of its public structs. */
#include "backprop_mpi.h"

size_t bp_mpi_struct_size(bp_mpi_struct_id which) {
    switch (which) {
    case BP_MPI_STRUCT_OPTIONS:
        return sizeof(bp_mpi_options);
    case BP_MPI_STRUCT_STATS:
        return sizeof(bp_mpi_stats);
    }
    return 0;
}
