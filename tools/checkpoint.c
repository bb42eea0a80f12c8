/* Checkpoint directories: epoch-NNNNNN/ with the model and the optimizer state, renamed into place
 * whole. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, openat, dirfd */

#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "directory_sync.h"
#include "errors.h"
#include "options.h"

bool checkpoint_is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "a/b" in a new string; NULL when out of memory. */
static char *join(const char *dir, const char *name) {
    const size_t length = strlen(dir) + strlen(name) + 2;
    char *path = malloc(length);
    if (path)
        snprintf(path, length, "%s/%s", dir, name);
    return path;
}

/* Removes dir/name/ and the two files in it (the only ones we write). */
static void remove_checkpoint(const char *dir, const char *name) {
    char *path = join(dir, name);
    if (!path)
        return;
    char *model = join(path, CHECKPOINT_MODEL), *optimizer = join(path, CHECKPOINT_OPTIMIZER);
    if (model)
        unlink(model);
    if (optimizer)
        unlink(optimizer);
    rmdir(path);
    free(model);
    free(optimizer);
    free(path);
}

/* The epoch of a directory named epoch-NNNNNN, or 0 for any other name. */
static size_t epoch_of(const char *name) {
    if (strncmp(name, "epoch-", 6) != 0 || strlen(name) != 12)
        return 0;
    char *end;
    const unsigned long epoch = strtoul(name + 6, &end, 10);
    return *end == '\0' ? (size_t)epoch : 0;
}

/* Removes every epoch-* checkpoint in dir older than `keep`. */
static void remove_older(const char *dir, size_t keep) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        const size_t epoch = epoch_of(entry->d_name);
        if (epoch > 0 && epoch < keep)
            remove_checkpoint(dir, entry->d_name);
    }
    closedir(d);
}

int checkpoint_save(const char *dir, size_t epoch, const bp_net *net, const bp_optimizer *opt) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return runtime_error("--checkpoint %s: cannot create the directory: %s", dir,
                             strerror(errno));
    char *temporary = join(dir, ".tmp.XXXXXX");
    char name[32];
    snprintf(name, sizeof name, "epoch-%06zu", epoch);
    char *final = join(dir, name);
    char *model = NULL, *optimizer = NULL;
    int status = EXIT_OK;
    if (!temporary || !final)
        status = runtime_error("out of memory");
    else if (!mkdtemp(temporary))
        status = runtime_error("--checkpoint %s: cannot make a temporary directory: %s", dir,
                               strerror(errno));
    else {
        model = join(temporary, CHECKPOINT_MODEL);
        optimizer = join(temporary, CHECKPOINT_OPTIMIZER);
        int rc = model && optimizer ? bp_net_save(net, model) : BP_ENOMEM;
        if (rc == BP_OK)
            rc = bp_optimizer_save(opt, optimizer);
        /* Both files are on disk (each save flushes): now the checkpoint
         * appears whole, under its final name, or not at all. */
        if (rc != BP_OK)
            status = library_error(rc);
        else if (rename(temporary, final) != 0 || sync_directory(dir) != 0)
            status = runtime_error("--checkpoint %s: cannot rename %s to %s: %s", dir, temporary,
                                   final, strerror(errno));
        if (status != EXIT_OK) {
            if (model)
                unlink(model);
            if (optimizer)
                unlink(optimizer);
            rmdir(temporary);
        }
    }
    if (status == EXIT_OK)
        remove_older(dir, epoch);
    free(model);
    free(optimizer);
    free(temporary);
    free(final);
    return status;
}

int checkpoint_find(const char *dir, size_t *epoch, char **model, char **optimizer) {
    *model = *optimizer = NULL;
    *epoch = 0;
    DIR *d = opendir(dir);
    if (!d)
        return runtime_error("--resume %s: cannot read the directory: %s", dir, strerror(errno));
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        const size_t found = epoch_of(entry->d_name);
        *epoch = found > *epoch ? found : *epoch;
    }
    closedir(d);
    if (*epoch == 0)
        return runtime_error("--resume %s: no checkpoint (epoch-NNNNNN directory) in it", dir);
    char name[32];
    snprintf(name, sizeof name, "epoch-%06zu", *epoch);
    char *path = join(dir, name);
    *model = path ? join(path, CHECKPOINT_MODEL) : NULL;
    *optimizer = path ? join(path, CHECKPOINT_OPTIMIZER) : NULL;
    free(path);
    if (!*model || !*optimizer) {
        free(*model);
        free(*optimizer);
        *model = *optimizer = NULL;
        return runtime_error("out of memory");
    }
    return EXIT_OK;
}
