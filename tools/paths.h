/* Checking a command's files before any work: outputs writable and distinct from every input and
 * from each other. */
#ifndef BACKPROP_TOOL_PATHS_H
#define BACKPROP_TOOL_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* What a command does with a path. */
typedef enum path_role {
    PATH_INPUT,      /* read (a file, or a directory such as a checkpoint to resume) */
    PATH_OUTPUT,     /* a file written atomically: <path>.tmp.XXXXXX beside it, renamed over it */
    PATH_OUTPUT_DIR, /* a directory written into (made if missing, one level) */
} path_role;

enum { PATHS_MAX = 24 };

/* The files of one command, named by the option that gave each ("--save"),
 * for messages. Fill with paths_add, then call paths_check once. */
typedef struct path_list {
    size_t count;
    struct {
        const char *option, *path;
        path_role role;
    } items[PATHS_MAX];
} path_list;

/* Adds a path (ignored when NULL: an option not given). The strings must
 * stay valid until paths_check returns. More than PATHS_MAX is a bug in
 * the caller, reported by paths_check. */
void paths_add(path_list *list, path_role role, const char *option, const char *path);

/* Checks, with stat and without writing anything, that
 *  - every output's directory exists and is a writable directory, the
 *    output is not a directory (a PATH_OUTPUT_DIR is one, or is missing)
 *    nor any other non-regular file, and its name leaves room for the
 *    temporary name "<path>.tmp.XXXXXX" (the file system's NAME_MAX, and
 *    PATH_MAX in all);
 *  - no output is the same file as an input or as another output:
 *    compared by device and inode where both exist, and by the path with
 *    its directory resolved (realpath) otherwise, so "a/../m.bin" and
 *    "m.bin" are one file before either exists.
 * Inputs are not required to exist here (their loaders say what is wrong
 * with them). On the first problem prints "backprop COMMAND: OPTION PATH:
 * why" and returns EXIT_USAGE; otherwise EXIT_OK. */
int paths_check(const char *command, const path_list *list);

/* Whether path is an existing directory (--resume DIR against --resume MODEL). */
bool is_directory(const char *path);

#endif
