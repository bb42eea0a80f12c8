/* Checking a command's files before any work: outputs writable and distinct from every input and
 * from each other. */
#define _XOPEN_SOURCE 700 /* realpath, pathconf */

#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"

/* The temporary name the library's and the program's writers use. */
#define TEMP_SUFFIX ".tmp.XXXXXX"
/* The longest name a checkpoint directory adds below itself. */
#define CHECKPOINT_TAIL "/epoch-000000/optimizer.bin"

void paths_add(path_list *list, path_role role, const char *option, const char *path) {
    if (!path)
        return;
    if (list->count < PATHS_MAX) {
        list->items[list->count].option = option;
        list->items[list->count].path = path;
        list->items[list->count].role = role;
    }
    list->count++; /* past PATHS_MAX: paths_check reports it */
}

/* What the checks learn of one path. */
typedef struct path_facts {
    bool exists; /* stat succeeded */
    struct stat st;
    char dir[PATH_MAX];       /* its directory as written: "." for "m.bin" */
    const char *base;         /* the last component, inside the path */
    char canonical[PATH_MAX]; /* realpath of the directory + "/" + base, or the path */
} path_facts;

static int fail(const char *command, const char *option, const char *path, const char *format,
                const char *detail) {
    fprintf(stderr, "backprop %s: %s %s: ", command, option, path);
    fprintf(stderr, format, detail);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static void learn(const char *path, path_facts *f) {
    f->exists = stat(path, &f->st) == 0;
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(f->dir, sizeof f->dir, ".");
    else
        snprintf(f->dir, sizeof f->dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    f->base = slash ? slash + 1 : path;
    char resolved[PATH_MAX];
    const size_t base = strlen(f->base);
    if (realpath(f->dir, resolved) && strlen(resolved) + base + 2 <= sizeof f->canonical) {
        size_t used = strlen(resolved);
        memcpy(f->canonical, resolved, used);
        if (strcmp(resolved, "/") != 0)
            f->canonical[used++] = '/';
        memcpy(f->canonical + used, f->base, base + 1);
    } else {
        snprintf(f->canonical, sizeof f->canonical, "%s", path);
    }
}

/* An output's own checks: its directory, its kind, its name's length. */
static int check_output(const char *command, const char *option, const char *path, path_role role,
                        const path_facts *f) {
    if (path[0] == '\0')
        return fail(command, option, "''", "%san empty path", "");
    const bool is_dir = f->exists && S_ISDIR(f->st.st_mode);
    if (role == PATH_OUTPUT_DIR && f->exists) {
        if (!is_dir)
            return fail(command, option, path, "%sexists and is not a directory", "");
        if (access(path, W_OK | X_OK) != 0)
            return fail(command, option, path, "cannot write in this directory: %s",
                        strerror(errno));
    } else {
        if (role == PATH_OUTPUT && (is_dir || f->base[0] == '\0'))
            return fail(command, option, path, "%sis a directory; a file name is needed", "");
        if (role == PATH_OUTPUT && f->exists && !S_ISREG(f->st.st_mode))
            return fail(command, option, path,
                        "%sis not a regular file (it would be replaced, not written to)", "");
        struct stat dir;
        if (stat(f->dir, &dir) != 0)
            return fail(command, option, path,
                        errno == ENOENT ? "the directory it is in does not exist (%s)"
                                        : "cannot reach the directory it is in (%s)",
                        errno == ENOENT ? f->dir : strerror(errno));
        if (!S_ISDIR(dir.st_mode))
            return fail(command, option, path, "%s is not a directory", f->dir);
        if (access(f->dir, W_OK | X_OK) != 0)
            return fail(command, option, path, "cannot write in its directory: %s",
                        strerror(errno));
    }
    /* Room for the temporary name beside it (or the checkpoint's names in it). */
    const size_t extra = role == PATH_OUTPUT ? sizeof TEMP_SUFFIX - 1 : sizeof CHECKPOINT_TAIL - 1;
    if (strlen(path) + extra >= PATH_MAX)
        return fail(command, option, path,
                    "the path is too long to leave room for the temporary name%s", "");
    if (role == PATH_OUTPUT) {
        const long name_max = pathconf(f->dir, _PC_NAME_MAX);
        const size_t limit = name_max > 0 ? (size_t)name_max : NAME_MAX;
        if (strlen(f->base) + sizeof TEMP_SUFFIX - 1 > limit) {
            char why[96];
            snprintf(why, sizeof why, "%zu", limit);
            return fail(command, option, path,
                        "the file name leaves no room for the temporary name <name>.tmp.XXXXXX "
                        "(names here are at most %s bytes)",
                        why);
        }
    }
    return EXIT_OK;
}

/* Whether entries a (an output) and b name one file. */
static bool same(const path_facts *a, const path_facts *b) {
    if (a->exists && b->exists)
        return a->st.st_dev == b->st.st_dev && a->st.st_ino == b->st.st_ino;
    return strcmp(a->canonical, b->canonical) == 0;
}

int paths_check(const char *command, const path_list *list) {
    if (list->count > PATHS_MAX) {
        fprintf(stderr, "backprop %s: more than %d paths to check\n", command, PATHS_MAX);
        return EXIT_USAGE;
    }
    static path_facts facts[PATHS_MAX]; /* 8 KiB each: not on the stack */
    for (size_t i = 0; i < list->count; i++)
        learn(list->items[i].path, &facts[i]);
    for (size_t i = 0; i < list->count; i++) {
        if (list->items[i].role == PATH_INPUT)
            continue;
        const int status = check_output(command, list->items[i].option, list->items[i].path,
                                        list->items[i].role, &facts[i]);
        if (status != EXIT_OK)
            return status;
    }
    for (size_t i = 0; i < list->count; i++) {
        if (list->items[i].role == PATH_INPUT)
            continue;
        for (size_t j = 0; j < list->count; j++) {
            const bool other_output = list->items[j].role != PATH_INPUT;
            if (j == i || (other_output && j > i))
                continue; /* each pair of outputs once, named by the later */
            /* Resuming from the directory that receives the checkpoints is
             * what --resume DIR --checkpoint DIR is for. */
            if (list->items[i].role == PATH_OUTPUT_DIR && !other_output)
                continue;
            if (!same(&facts[i], &facts[j]))
                continue;
            char detail[PATH_MAX + 64];
            snprintf(detail, sizeof detail, "%s %s", list->items[j].option, list->items[j].path);
            return fail(command, list->items[i].option, list->items[i].path,
                        other_output ? "is the same file as %s: each output needs its own file"
                                     : "is the same file as the input %s: an output never "
                                       "overwrites an input",
                        detail);
        }
    }
    return EXIT_OK;
}

bool is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
