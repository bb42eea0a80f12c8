/* Checkpoint directories: epoch-NNNNNN/ with the model and the optimizer state, renamed into place
 * whole. */
#define _DEFAULT_SOURCE /* mkdtemp, flock */

#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "directory_sync.h"
#include "errors.h"
#include "run_manifest.h"

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

int checkpoint_claim(const char *dir, bool write, bool fresh, int *fd) {
    const char *option = write ? "--checkpoint" : "--resume";
    *fd = -1;
    if (write && mkdir(dir, 0755) != 0 && errno != EEXIST)
        return runtime_error("%s %s: cannot create the directory: %s", option, dir,
                             strerror(errno));
    char *lock = join(dir, CHECKPOINT_LOCK);
    if (!lock)
        return runtime_error("out of memory");
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0 && !write)
        *fd = open(lock, O_RDONLY | O_CLOEXEC); /* a directory only readable */
    if (*fd < 0) {
        const int error = errno;
        free(lock);
        /* Nothing can write there, so no run is writing checkpoints there. */
        if (!write && (error == EACCES || error == EROFS || error == ENOENT))
            return EXIT_OK;
        return runtime_error("%s %s: cannot open its lock file: %s", option, dir, strerror(error));
    }
    free(lock);
    if (flock(*fd, (write ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        const int error = errno;
        char pid[32] = "";
        const ssize_t got = pread(*fd, pid, sizeof pid - 1, 0);
        pid[got > 0 ? got : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(*fd);
        *fd = -1;
        /* The owner writes its id just after taking the lock: it may not
         * be there yet. */
        char owner[64] = "";
        if (pid[0])
            snprintf(owner, sizeof owner, " (process %s)", pid);
        if (error == EWOULDBLOCK)
            return runtime_error("%s %s: another run%s is using the directory; two runs in one "
                                 "would remove each other's checkpoints",
                                 option, dir, owner);
        return runtime_error("%s %s: cannot lock it: %s", option, dir, strerror(error));
    }
    if (write) { /* the owner's process id, for the message above */
        char pid[32];
        const int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(*fd, 0) != 0 || pwrite(*fd, pid, (size_t)n, 0) != n) {
            /* Only the message of a second run would miss it. */
        }
    }
    if (!fresh)
        return EXIT_OK;
    /* A new run starts in an empty directory: epochs of another run's there
     * would be taken for this one's, or collide with them. */
    DIR *d = opendir(dir);
    if (!d) {
        const int error = errno;
        checkpoint_release(*fd);
        *fd = -1;
        return runtime_error("%s %s: cannot read the directory: %s", option, dir, strerror(error));
    }
    char found[256] = "";
    size_t used = 0, count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, CHECKPOINT_LOCK) == 0)
            continue;
        if (count++ < 3 && used < sizeof found)
            used +=
                (size_t)snprintf(found + used, sizeof found - used, "%s%s", used ? ", " : "", name);
    }
    closedir(d);
    if (count == 0)
        return EXIT_OK;
    checkpoint_release(*fd);
    *fd = -1;
    return runtime_error("%s %s: not empty (%s%s): a new run starts in an empty directory; "
                         "continue the run there with --resume %s, or choose another directory",
                         option, dir, found, count > 3 ? ", ..." : "", dir);
}

void checkpoint_release(int fd) {
    if (fd >= 0)
        close(fd); /* closing the last descriptor releases the flock */
}

int checkpoint_save(const char *dir, size_t epoch, const bp_net *net, const bp_optimizer *opt,
                    const char *manifest) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return runtime_error("--checkpoint %s: cannot create the directory: %s", dir,
                             strerror(errno));
    if (manifest) {
        const int status = manifest_write(dir, manifest);
        if (status != EXIT_OK)
            return status;
    }
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
