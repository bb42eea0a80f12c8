/* How errors are reported: codes' names and descriptions, and the per-thread message. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* The longest message bp_errmsg() holds, as include/backprop.h documents it
 * (9215 bytes): room for two paths of PATH_MAX and 1024 bytes more, less the
 * terminating NUL. */
enum { ERRMSG_MAX = 2 * PATH_MAX + 1024 - 1 };

/* What ends a message that was cut. */
static const char CUT_MARK[] = "...";

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

/* ---- a message as long as a path makes it ---- */

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

/* The message bp_net_load sets for that path, whole: the function, the path,
 * then why (the kernel refuses a path of PATH_MAX bytes or more outright). */
static char *whole_message(const char *path) {
    const char *reason = strerror(strlen(path) < PATH_MAX ? ENOENT : ENAMETOOLONG);
    const size_t length =
        strlen("bp_net_load: ") + strlen(path) + strlen(": cannot open: ") + strlen(reason);
    char *message = malloc(length + 1);
    cr_assert_not_null(message);
    snprintf(message, length + 1, "bp_net_load: %s: cannot open: %s", path, reason);
    return message;
}

/* Loads from a missing path of `length` bytes and expects bp_errmsg() to be
 * the whole message when it fits in ERRMSG_MAX bytes, and otherwise its first
 * ERRMSG_MAX - 3 bytes followed by "...": ERRMSG_MAX bytes in all. Returns
 * the whole message's length. */
static size_t expect_message_for_path_of(size_t length) {
    char *path = long_missing_path(length);
    char *whole = whole_message(path);
    const size_t whole_length = strlen(whole);
    if (whole_length > ERRMSG_MAX)
        memcpy(whole + ERRMSG_MAX - (sizeof CUT_MARK - 1), CUT_MARK, sizeof CUT_MARK);
    const size_t expected_length = whole_length > ERRMSG_MAX ? ERRMSG_MAX : whole_length;

    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(&net, path, BP_KERNELS_OPENBLAS), BP_EIO);
    cr_assert_null(net);
    cr_assert_eq(strlen(bp_errmsg()), expected_length,
                 "a %zu-byte path: a message of %zu bytes, expected %zu", length,
                 strlen(bp_errmsg()), expected_length);
    cr_assert_str_eq(bp_errmsg(), whole, "a %zu-byte path", length);
    free(whole);
    free(path);
    return whole_length;
}

/* The path length whose message is exactly ERRMSG_MAX bytes long (the
 * kernel refuses such a path: its reason is ENAMETOOLONG's). */
static size_t path_filling_the_message(void) {
    const size_t rest =
        strlen("bp_net_load: ") + strlen(": cannot open: ") + strlen(strerror(ENAMETOOLONG));
    return ERRMSG_MAX - rest;
}

Test(error_reporting, message_keeps_its_reason_after_a_long_path) {
    /* 4000 bytes of path: the whole message, its reason at the end. */
    const size_t length = expect_message_for_path_of(4000);
    cr_assert_lt(length, ERRMSG_MAX, "the case must fit, or it tests nothing of its own");
    const char *tail = ": cannot open: No such file or directory";
    cr_assert_str_eq(bp_errmsg() + strlen(bp_errmsg()) - strlen(tail), tail);
}

Test(error_reporting, message_of_exactly_its_capacity_is_whole) {
    cr_assert_eq(expect_message_for_path_of(path_filling_the_message()), ERRMSG_MAX);
    cr_assert_str_neq(bp_errmsg() + ERRMSG_MAX - 3, CUT_MARK);
}

Test(error_reporting, message_one_byte_past_its_capacity_is_cut_and_says_so) {
    cr_assert_eq(expect_message_for_path_of(path_filling_the_message() + 1), ERRMSG_MAX + 1);
    cr_assert_str_eq(bp_errmsg() + ERRMSG_MAX - 3, CUT_MARK);
}

Test(error_reporting, message_past_its_capacity_is_cut_and_says_so) {
    /* 20000 bytes: longer than any path the kernel takes, and than the
     * message; cut within the path, ending in "...". */
    cr_assert_gt(expect_message_for_path_of(20000), ERRMSG_MAX);
    cr_assert_eq(strncmp(bp_errmsg(), "bp_net_load: /no-such", 21), 0);
    cr_assert_str_eq(bp_errmsg() + ERRMSG_MAX - 3, CUT_MARK);
}
