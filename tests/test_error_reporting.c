/* How errors are reported: codes' names and descriptions, and the per-thread message. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

Test(error_reporting, codes_have_names_and_descriptions) {
    const int codes[] = {BP_OK, BP_EINVAL, BP_ENOMEM, BP_EOVERFLOW, BP_EBATCH, BP_ERANGE};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        cr_assert(codes[i] <= 0);
        cr_assert_str_neq(bp_strerror(codes[i]), "unknown error");
        cr_assert_str_neq(bp_err_name(codes[i]), "BP_UNKNOWN");
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(codes[i], codes[j], "two errors share a code");
    }
    cr_assert_str_eq(bp_err_name(BP_EINVAL), "BP_EINVAL");
    cr_assert_str_eq(bp_strerror(BP_ENOMEM), "out of memory");
    cr_assert_str_eq(bp_strerror(12345), "unknown error");
    cr_assert_str_eq(bp_err_name(-999), "BP_UNKNOWN");
}

/* bp_errmsg belongs to the calling thread, and a successful call leaves it. */
static int fail_in_thread(void *message) {
    const int fresh = bp_errmsg()[0] == '\0';
    bp_blas_set_threads(0); /* fails with a message of its own */
    snprintf(message, 256, "%s", bp_errmsg());
    return fresh;
}

Test(error_reporting, message_is_per_thread_and_kept_by_success) {
    cr_assert_str_eq(bp_errmsg(), "", "no call has failed yet");
    cr_assert_eq(bp_net_reserve(NULL, 1), BP_EINVAL);
    char mine[256];
    snprintf(mine, sizeof mine, "%s", bp_errmsg());
    cr_assert(strncmp(mine, "bp_net_reserve", 14) == 0, "%s", mine);

    char theirs[256] = "";
    thrd_t thread;
    int fresh = 0;
    cr_assert_eq(thrd_create(&thread, fail_in_thread, theirs), thrd_success);
    cr_assert_eq(thrd_join(thread, &fresh), thrd_success);
    cr_assert(fresh, "a new thread saw another thread's message");
    cr_assert(strncmp(theirs, "bp_blas_set_threads", 19) == 0, "%s", theirs);
    cr_assert_str_eq(bp_errmsg(), mine, "another thread's failure changed this thread's message");

    static const size_t sizes[] = {3, 4, 2};
    static const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, activations, BP_KERNELS_OPENBLAS, 7), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_str_eq(bp_errmsg(), mine, "a successful call cleared the message");
    bp_net_destroy(net);
}

/* A path of `length` bytes under a directory that does not exist, made of
 * short components so that only its whole length can be too long. */
static char *long_missing_path(size_t length) {
    char *path = malloc(length + 1);
    cr_assert_not_null(path);
    for (size_t i = 0; i < length; i++)
        path[i] = i % 8 == 7 ? '/' : 'd';
    memcpy(path, "/no-such", 8);
    path[length] = '\0';
    return path;
}

Test(error_reporting, message_keeps_its_reason_after_a_long_path) {
    /* 4000 bytes of path: the whole message, its reason at the end. */
    char *path = long_missing_path(4000);
    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(&net, path, BP_KERNELS_OPENBLAS), BP_EIO);
    const char *tail = ": cannot open: No such file or directory";
    cr_assert_eq(strlen(bp_errmsg()), strlen("bp_net_load: ") + 4000 + strlen(tail), "%zu bytes",
                 strlen(bp_errmsg()));
    cr_assert_str_eq(bp_errmsg() + strlen(bp_errmsg()) - strlen(tail), tail);
    free(path);
}

Test(error_reporting, message_past_its_capacity_is_cut_and_says_so) {
    /* 20000 bytes: longer than any path the kernel takes; the message is
     * cut to its 9215 bytes, ending in "...". */
    char *path = long_missing_path(20000);
    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(&net, path, BP_KERNELS_OPENBLAS), BP_EIO);
    cr_assert_eq(strlen(bp_errmsg()), 2 * 4096 + 1024 - 1);
    cr_assert_eq(strncmp(bp_errmsg(), "bp_net_load: /no-such", 21), 0);
    cr_assert_str_eq(bp_errmsg() + strlen(bp_errmsg()) - 3, "...");
    free(path);
}
