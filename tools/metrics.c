/* The metrics file: every epoch's losses and accuracies as JSON, rewritten atomically. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen, fsync, fchmod */

#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"

int metrics_init(metrics *m, const char *path, size_t capacity) {
    *m = (metrics){.path = path};
    if (!path)
        return EXIT_OK;
    m->epochs = calloc(capacity, sizeof *m->epochs);
    if (!m->epochs)
        return runtime_error("no memory for the metrics of %zu epochs", capacity);
    m->capacity = capacity;
    return EXIT_OK;
}

void metrics_free(metrics *m) {
    free(m->epochs);
    *m = (metrics){0};
}

/* JSON has no NaN: a value that is not finite is null. */
static void put_number(FILE *f, const char *key, double value, const char *separator) {
    if (isfinite(value))
        fprintf(f, "\"%s\": %.9g%s", key, value, separator);
    else
        fprintf(f, "\"%s\": null%s", key, separator);
}

static void put_all(FILE *f, const metrics *m) {
    fputs("{\"epochs\": [", f);
    for (size_t i = 0; i < m->count; i++) {
        const bp_epoch_report *e = &m->epochs[i];
        fprintf(f, "%s\n  {\"epoch\": %zu, ", i ? "," : "", e->epoch);
        put_number(f, "train_loss", e->train_loss, ", ");
        put_number(f, "train_accuracy", e->train_accuracy, ", ");
        put_number(f, "test_loss", e->test_loss, ", ");
        put_number(f, "test_accuracy", e->test_accuracy, ", ");
        put_number(f, "seconds", e->seconds, "}");
    }
    fputs("\n]}\n", f);
}

static int write_atomically(const metrics *m) {
    const size_t length = strlen(m->path);
    char *temp = malloc(length + sizeof ".XXXXXX");
    if (!temp)
        return runtime_error("out of memory writing %s", m->path);
    memcpy(temp, m->path, length);
    memcpy(temp + length, ".XXXXXX", sizeof ".XXXXXX");
    const int fd = mkstemp(temp);
    if (fd < 0) {
        const int error = errno;
        free(temp);
        return runtime_error("cannot write %s: %s", m->path, strerror(error));
    }
    /* mkstemp makes the file private; a metrics file is for anyone to read. */
    (void)fchmod(fd, 0644);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        const int error = errno;
        close(fd);
        unlink(temp);
        free(temp);
        return runtime_error("cannot write %s: %s", m->path, strerror(error));
    }
    put_all(f, m);
    /* Flushed and on disk before the rename, so a crash leaves either the
     * previous complete file or this one. */
    int failed = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int error = errno;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        error = errno;
    }
    if (!failed && rename(temp, m->path) != 0) {
        failed = 1;
        error = errno;
    }
    if (failed)
        unlink(temp);
    free(temp);
    return failed ? runtime_error("cannot write %s: %s", m->path, strerror(error)) : EXIT_OK;
}

int metrics_add(metrics *m, const bp_epoch_report *epoch) {
    if (!m->path)
        return EXIT_OK;
    if (m->count == m->capacity)
        return runtime_error("more epochs than the %zu planned", m->capacity);
    m->epochs[m->count++] = *epoch;
    return write_atomically(m);
}
