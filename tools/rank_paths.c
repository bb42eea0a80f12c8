/* Substituting the rank into data paths that name {rank}. */
#include "rank_paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char RANK[] = "{rank}";

bool path_names_rank(const char *path) { return path && strstr(path, RANK) != NULL; }

bool substitute_rank(const char **path, int rank, char **owned) {
    *owned = NULL;
    if (!path_names_rank(*path))
        return true;
    char number[16];
    const size_t number_length = (size_t)snprintf(number, sizeof number, "%d", rank);
    size_t count = 0;
    for (const char *at = strstr(*path, RANK); at; at = strstr(at + 1, RANK))
        count++;
    /* Every {rank} (6 bytes) becomes the number (at most 11). */
    char *out = malloc(strlen(*path) + count * number_length + 1);
    if (!out)
        return false;
    char *end = out;
    const char *from = *path;
    for (const char *at = strstr(from, RANK); at; at = strstr(from, RANK)) {
        memcpy(end, from, (size_t)(at - from));
        end += at - from;
        memcpy(end, number, number_length);
        end += number_length;
        from = at + sizeof RANK - 1;
    }
    strcpy(end, from);
    *path = out;
    *owned = out;
    return true;
}
