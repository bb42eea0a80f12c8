/* The metrics file: every epoch's losses and accuracies as JSON, appended in place. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fsync, fdatasync, pwrite, fchmod */

#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "directory_sync.h"
#include "errors.h"

static const char CLOSING[] = "\n]}\n";

int metrics_init(metrics *m, const char *path) {
    *m = (metrics){.path = path, .fd = -1};
    return EXIT_OK;
}

void metrics_free(metrics *m) {
    if (m->fd >= 0)
        close(m->fd);
    *m = (metrics){.fd = -1};
}

/* JSON has no NaN: a value that is not finite is null. */
static size_t put_number(char *out, size_t room, const char *key, double value,
                         const char *separator) {
    const int n = isfinite(value) ? snprintf(out, room, "\"%s\": %.9g%s", key, value, separator)
                                  : snprintf(out, room, "\"%s\": null%s", key, separator);
    return n > 0 && (size_t)n < room ? (size_t)n : 0;
}

/* ", "<set>_mse": .., "<set>_mae": .., "<set>_r2": .." */
static size_t put_scores(char *out, size_t room, const char *set, const bp_regression_metrics *m) {
    char key[16];
    size_t used = 0;
    snprintf(key, sizeof key, "%s_mse", set);
    used += put_number(out + used, room - used, key, m->mse, ", ");
    snprintf(key, sizeof key, "%s_mae", set);
    used += put_number(out + used, room - used, key, m->mae, ", ");
    snprintf(key, sizeof key, "%s_r2", set);
    used += put_number(out + used, room - used, key, m->r2, ", ");
    return used;
}

/* The record, between `before` and the closing brackets, into out. */
static size_t format(char *out, size_t room, const char *before, const bp_epoch_report *e,
                     const regression_scores *r) {
    int n = snprintf(out, room, "%s  {\"epoch\": %zu, ", before, e->epoch);
    size_t used = n > 0 ? (size_t)n : 0;
    used += put_number(out + used, room - used, "train_loss", e->train_loss, ", ");
    used += put_number(out + used, room - used, "train_accuracy", e->train_accuracy, ", ");
    used += put_number(out + used, room - used, "test_loss", e->test_loss, ", ");
    used += put_number(out + used, room - used, "test_accuracy", e->test_accuracy, ", ");
    if (r) {
        used += put_scores(out + used, room - used, "train", &r->train);
        if (r->has_val)
            used += put_scores(out + used, room - used, "val", &r->val);
        if (r->has_test)
            used += put_scores(out + used, room - used, "test", &r->test);
    }
    used += put_number(out + used, room - used, "seconds", e->seconds, "}");
    n = snprintf(out + used, room - used, "%s", CLOSING);
    return used + (n > 0 ? (size_t)n : 0);
}

/* Writes all n bytes at offset (short writes and EINTR retried); 0 or an errno. */
static int write_at(int fd, const char *bytes, size_t n, off_t offset) {
    while (n > 0) {
        const ssize_t wrote = pwrite(fd, bytes, n, offset);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0)
            return wrote < 0 ? errno : EIO;
        bytes += wrote;
        n -= (size_t)wrote;
        offset += wrote;
    }
    return 0;
}

/* The first epoch: the whole file, to a temporary file renamed over path. */
static int create(metrics *m, const char *text, size_t length) {
    const size_t path_length = strlen(m->path);
    char *temp = malloc(path_length + sizeof ".tmp.XXXXXX");
    if (!temp)
        return runtime_error("out of memory writing %s", m->path);
    memcpy(temp, m->path, path_length);
    memcpy(temp + path_length, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    const int fd = mkstemp(temp);
    if (fd < 0) {
        const int error = errno;
        free(temp);
        return runtime_error("cannot write %s: %s", m->path, strerror(error));
    }
    /* mkstemp makes the file private: keep the mode of the file replaced,
     * or make a new one readable by all, as the model files are. */
    struct stat old;
    (void)fchmod(fd, stat(m->path, &old) == 0 && S_ISREG(old.st_mode) ? old.st_mode & 07777 : 0644);
    /* On disk before the rename, so a crash leaves the old file or this one. */
    int error = write_at(fd, text, length, 0);
    if (error == 0 && fsync(fd) != 0)
        error = errno;
    if (error == 0 && rename(temp, m->path) != 0)
        error = errno;
    if (error != 0) {
        close(fd);
        unlink(temp);
        free(temp);
        return runtime_error("cannot write %s: %s", m->path, strerror(error));
    }
    free(temp);
    (void)sync_directory_of(m->path); /* best effort: the rename itself is done */
    m->fd = fd;
    m->tail = (off_t)(length - (sizeof CLOSING - 1));
    return EXIT_OK;
}

void metrics_set_plan(metrics *m, const bp_plan *plan) {
    char spec[32] = "";
    bp_plan_format(plan, spec, sizeof spec);
    snprintf(m->plan, sizeof m->plan,
             "\"plan\": {\"spec\": \"%s\", \"kernels\": \"%s\", \"core\": \"%s\", "
             "\"workers\": %zu, \"blas_threads\": %d, \"measured\": %d, "
             "\"step_seconds\": %.9g},\n ",
             spec, bp_kernels_name(plan->kernels) ? bp_kernels_name(plan->kernels) : "",
             bp_kernels_core(plan->kernels), plan->workers, plan->blas_threads, (int)plan->measured,
             plan->step_seconds);
}

int metrics_add(metrics *m, const bp_epoch_report *epoch, const regression_scores *scores) {
    if (!m->path)
        return EXIT_OK;
    char record[1024];
    if (m->fd < 0) {
        const int header = snprintf(record, sizeof record, "{%s\"epochs\": [\n", m->plan);
        const size_t length =
            (size_t)header +
            format(record + header, sizeof record - (size_t)header, "", epoch, scores);
        const int status = create(m, record, length);
        m->count += status == EXIT_OK;
        return status;
    }
    const size_t length = format(record, sizeof record, ",\n", epoch, scores);
    int error = write_at(m->fd, record, length, m->tail);
    if (error == 0 && fdatasync(m->fd) != 0)
        error = errno;
    if (error != 0) {
        /* Undo: the closing brackets back where they were (bytes the file
         * already had, so this needs no new space) and the rest cut off. */
        if (write_at(m->fd, CLOSING, sizeof CLOSING - 1, m->tail) == 0)
            (void)ftruncate(m->fd, m->tail + (off_t)(sizeof CLOSING - 1));
        (void)fdatasync(m->fd);
        return runtime_error("cannot write %s: %s; it keeps the first %zu epochs", m->path,
                             strerror(error), m->count);
    }
    m->tail += (off_t)(length - (sizeof CLOSING - 1));
    m->count++;
    return EXIT_OK;
}
