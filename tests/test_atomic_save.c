/*
 * test_atomic_save.c - bp_net_save is atomic under SIGKILL: a child process
 * saves a model of 8 MB over an older one and is killed after a random
 * delay, many times; the target always holds the old or the new file, byte
 * for byte, and loads. A kill mid-write leaves "<path>.tmp.XXXXXX" behind.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <backprop.h>

#include "file_helpers.h"
#include "reference.h"

#define ITERATIONS 30
#define SEED 20261123u

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void sleep_seconds(double s) {
    struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&t, &t) != 0)
        ;
}

/* Forks a child that saves net to path and exits; returns its pid. */
static pid_t start_save(const bp_net *net, const char *path) {
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork failed");
    if (pid == 0)
        _exit(bp_net_save(net, path) == BP_OK ? 0 : 1); /* no Criterion or atexit in the child */
    return pid;
}

/* Removes scratch's "model.tmp.*" files; returns how many there were. */
static size_t remove_temporaries(void) {
    char names[16][64], path[160];
    size_t count = list_scratch(names, 16), found = 0;
    cr_assert_leq(count, 16);
    for (size_t i = 0; i < count; i++) {
        if (strncmp(names[i], "model.tmp.", 10) != 0)
            continue;
        path_in_scratch(path, sizeof path, names[i]);
        cr_assert_eq(remove(path), 0);
        found++;
    }
    return found;
}

/* fini removes the scratch directory (tens of MB on tmpfs) even when an
 * assertion fails. */
Test(atomic_save, sigkill_leaves_old_or_new, .fini = remove_scratch) {
    /* On tmpfs when there is one: a kill tests the rename, not the disk, and
     * without a real fsync the save is short enough for many rounds. */
    snprintf(scratch, sizeof scratch, "/dev/shm/bp_atomic_XXXXXX");
    if (!mkdtemp(scratch))
        make_scratch("bp_atomic");
    char target[160], old_link[160], restore[160];
    path_in_scratch(target, sizeof target, "model");
    path_in_scratch(old_link, sizeof old_link, "old"); /* a hard link keeps the old file */
    path_in_scratch(restore, sizeof restore, "restore");

    /* 1024-1024-1024: 2.1 million parameters, an 8 MB file: big enough that
     * a save takes tens of milliseconds, small enough for many rounds. */
    const size_t sizes[] = {1024, 1024, 1024};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_NAIVE, 1), BP_OK);
    cr_assert_eq(bp_net_save(net, target), BP_OK, "%s", bp_errmsg());
    size_t old_len, new_len, len;
    unsigned char *old_bytes = read_file(target, &old_len);
    cr_assert_eq(link(target, old_link), 0);

    /* The new contents: the same shape, other weights. Timing one whole
     * save (fork to exit) sets the range of the delays; it is not checked. */
    cr_assert_eq(bp_net_initialize(net, BP_INIT_UNIFORM, 2), BP_OK);
    char fresh[160];
    path_in_scratch(fresh, sizeof fresh, "fresh");
    double full = 0.0;
    for (int i = 0; i < 2; i++) {
        const double t0 = now();
        int status;
        cr_assert_eq(waitpid(start_save(net, fresh), &status, 0) > 0, 1);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child could not save");
        full = fmax(full, now() - t0);
    }
    unsigned char *new_bytes = read_file(fresh, &new_len);
    cr_assert_eq(remove(fresh), 0);
    cr_assert_eq(old_len, new_len);
    cr_assert_neq(memcmp(old_bytes, new_bytes, old_len), 0);

    size_t before = 0, during = 0, after = 0;
    ref_rng rng = {SEED};
    for (int i = 0; i < ITERATIONS; i++) {
        /* A third log-uniform from 1 us (kills before or early in the write),
         * the rest uniform up to 1.25 x the full save (late ones and after). */
        const double u = ref_rng_uniform(&rng, 0.0, 1.0);
        const double delay = i % 3 == 0 ? 1e-6 * pow(full / 1e-6, u) : 1.25 * full * u;
        const pid_t pid = start_save(net, target);
        sleep_seconds(delay);
        kill(pid, SIGKILL);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "iteration %d: the save failed", i);

        unsigned char *contents = read_file(target, &len);
        const int is_old = len == old_len && memcmp(contents, old_bytes, len) == 0;
        const int is_new = len == new_len && memcmp(contents, new_bytes, len) == 0;
        free(contents);
        cr_assert(is_old || is_new, "iteration %d (delay %.6f s): %zu bytes, neither old nor new",
                  i, delay, len);
        bp_net *loaded = NULL;
        cr_assert_eq(bp_net_load(&loaded, target, BP_KERNELS_NAIVE), BP_OK, "iteration %d: %s", i,
                     bp_errmsg());
        bp_net_destroy(loaded);

        /* A temporary file left behind means the kill hit the write, and
         * then the rename had not happened. */
        const size_t left = remove_temporaries();
        cr_assert_leq(left, 1);
        if (left) {
            cr_assert(is_old, "iteration %d: renamed, yet the temporary file is there", i);
            during++;
        } else if (is_old) {
            before++;
        } else {
            after++;
            /* Put the old file back for the next round, atomically too. */
            cr_assert_eq(link(old_link, restore), 0);
            cr_assert_eq(rename(restore, target), 0);
        }
    }
    cr_log_info("seed %u, %d kills over a %.3f s save: %zu before the write, %zu during, %zu "
                "after the rename",
                SEED, ITERATIONS, full, before, during, after);
    /* Proof that the window was exercised, not only its two ends. */
    cr_assert_geq(during, 3, "only %zu of %d kills landed mid-write", during, ITERATIONS);

    free(old_bytes);
    free(new_bytes);
    bp_net_destroy(net);
}
