/* Data paths with {rank} in them: each MPI rank loads its own shard. */
#ifndef BACKPROP_TOOL_RANK_PATHS_H
#define BACKPROP_TOOL_RANK_PATHS_H

#include <stdbool.h>

/* Whether path holds "{rank}". NULL holds nothing. */
bool path_names_rank(const char *path);

/* *path with every "{rank}" replaced by the rank's number, in a new string
 * kept in *owned (to free); *path is left alone when it has none. Returns
 * false when out of memory. */
bool substitute_rank(const char **path, int rank, char **owned);

#endif
