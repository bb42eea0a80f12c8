/* Error paths of every public function: each bad argument gets its documented
 * code and a message, and leaves the network as it was. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

static const size_t sizes[] = {3, 4, 2};
static const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SIGMOID};

static bp_net *make_net(void) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, activations, BP_KERNELS_OPENBLAS, 7), BP_OK, "%s",
                 bp_errmsg());
    return net;
}

/* The failing call's message names the function. */
static void assert_message_names(const char *function) {
    cr_assert(strncmp(bp_errmsg(), function, strlen(function)) == 0, "message \"%s\" lacks %s",
              bp_errmsg(), function);
}

Test(errors, codes_have_names_and_descriptions) {
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

Test(errors, create_rejects_bad_shapes) {
    bp_net *net = (bp_net *)&net; /* not NULL, so the test sees create clear it */
    cr_assert_eq(bp_net_create(NULL, 2, sizes, activations, BP_KERNELS_OPENBLAS, 1), BP_EINVAL);
    assert_message_names("bp_net_create");
    cr_assert_eq(bp_net_create(&net, 2, NULL, activations, BP_KERNELS_OPENBLAS, 1), BP_EINVAL);
    cr_assert_null(net, "out must be NULL after a failure");
    cr_assert_eq(bp_net_create(&net, 2, sizes, NULL, BP_KERNELS_OPENBLAS, 1), BP_EINVAL);
    cr_assert_eq(bp_net_create(&net, 0, sizes, activations, BP_KERNELS_OPENBLAS, 1), BP_EINVAL);
    cr_assert_eq(bp_net_create(&net, 2, sizes, activations, (bp_kernels)2, 1), BP_EINVAL);
    cr_assert_eq(bp_net_create(&net, 2, sizes, activations, (bp_kernels)-1, 1), BP_EINVAL);

    const size_t zero_size[] = {3, 0, 2};
    cr_assert_eq(bp_net_create(&net, 2, zero_size, activations, BP_KERNELS_NAIVE, 1), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "sizes[1]") != NULL, "%s", bp_errmsg());
    const size_t zero_inputs[] = {0, 4, 2};
    cr_assert_eq(bp_net_create(&net, 2, zero_inputs, activations, BP_KERNELS_NAIVE, 1), BP_EINVAL);
    const size_t over_int[] = {3, (size_t)INT_MAX + 1, 2};
    cr_assert_eq(bp_net_create(&net, 2, over_int, activations, BP_KERNELS_NAIVE, 1), BP_EINVAL);

    const bp_activation unknown[] = {BP_ACT_TANH, (bp_activation)99};
    cr_assert_eq(bp_net_create(&net, 2, sizes, unknown, BP_KERNELS_NAIVE, 1), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "activations[1]") != NULL, "%s", bp_errmsg());
    cr_assert_null(net);
}

Test(errors, create_rejects_parameter_counts_that_overflow) {
    bp_net *net = NULL;
    /* Each size fits a BLAS int, but the products of consecutive sizes add up
     * past SIZE_MAX (2^31 * 2^31 = 2^62 weights per layer, times 8 layers). */
    const size_t big = (size_t)INT_MAX;
    const size_t huge[] = {big, big, big, big, big, big, big, big, big};
    bp_activation identity[8];
    for (int i = 0; i < 8; i++)
        identity[i] = BP_ACT_IDENTITY;
    cr_assert_eq(bp_net_create(&net, 8, huge, identity, BP_KERNELS_NAIVE, 1), BP_EOVERFLOW, "%s",
                 bp_errmsg());
    cr_assert_null(net);
    /* One layer of 2^62 weights: the count fits size_t, its bytes do not. */
    cr_assert_eq(bp_net_create(&net, 1, huge, identity, BP_KERNELS_NAIVE, 1), BP_EOVERFLOW, "%s",
                 bp_errmsg());
    /* 2^61 - 2 parameters: their bytes fit size_t, but rounding the block
     * up to whole cache lines makes 2^61, whose 2 x 4 bytes wrap to 0. */
    const size_t edge[] = {1, big, ((size_t)1 << 30) - 2};
    cr_assert_eq(bp_net_create(&net, 2, edge, identity, BP_KERNELS_NAIVE, 1), BP_EOVERFLOW, "%s",
                 bp_errmsg());
    cr_assert_null(net);
}

Test(errors, create_reports_memory_it_cannot_get) {
    bp_net *net = NULL;
    /* 2^31 x 2^20 weights: 8 PiB per block, beyond any address space, so
     * the allocation fails whatever the kernel's overcommit policy. */
    const size_t big[] = {(size_t)INT_MAX, (size_t)1 << 20};
    const bp_activation identity[] = {BP_ACT_IDENTITY};
    cr_assert_eq(bp_net_create(&net, 1, big, identity, BP_KERNELS_NAIVE, 1), BP_ENOMEM, "%s",
                 bp_errmsg());
    cr_assert_null(net);
}

Test(errors, destroy_accepts_null) { bp_net_destroy(NULL); }

Test(errors, reserve) {
    bp_net *net = make_net();
    cr_assert_eq(bp_net_reserve(NULL, 4), BP_EINVAL);
    assert_message_names("bp_net_reserve");
    cr_assert_eq(bp_net_reserve(net, 0), BP_EINVAL);
    cr_assert_eq(bp_net_reserve(net, (size_t)INT_MAX + 1), BP_EINVAL);
    cr_assert_eq(bp_net_max_batch(net), 1, "a failed reserve keeps the old workspace");
    bp_net_destroy(net);
}

/* A workspace that cannot be had: a 2^20-wide layer at a batch of 2^31 needs
 * 3 x 2^53 bytes, beyond any address space. The old workspace stays usable. */
Test(errors, reserve_reports_memory_it_cannot_get) {
    const size_t wide[] = {1, (size_t)1 << 20};
    const bp_activation identity[] = {BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, wide, identity, BP_KERNELS_OPENBLAS, 1), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_reserve(net, (size_t)INT_MAX), BP_ENOMEM, "%s", bp_errmsg());
    cr_assert_eq(bp_net_max_batch(net), 1);
    const float x = 0.5f;
    const float *out;
    cr_assert_eq(bp_net_forward(net, &x, 1, &out), BP_OK);
    bp_net_destroy(net);
}

Test(errors, forward) {
    bp_net *net = make_net();
    const float x[6] = {0};
    const float *out = NULL;
    cr_assert_eq(bp_net_forward(NULL, x, 1, &out), BP_EINVAL);
    cr_assert_eq(bp_net_forward(net, NULL, 1, &out), BP_EINVAL);
    cr_assert_eq(bp_net_forward(net, x, 0, &out), BP_EINVAL);
    cr_assert_eq(bp_net_forward(net, x, 2, &out), BP_EBATCH);
    assert_message_names("bp_net_forward");
    cr_assert(strstr(bp_errmsg(), "bp_net_reserve") != NULL, "%s", bp_errmsg());
    cr_assert_null(out, "outputs must be untouched on failure");
    bp_net_destroy(net);
}

/* A failing gradient call leaves the gradient block as it was. */
Test(errors, gradient_and_train_step) {
    bp_net *net = make_net();
    const float x[6] = {0.5f, -1, 2, 0, 0, 0}, y[4] = {1, 0, 0, 0};
    float cost = -1.0f;
    cr_assert_eq(bp_net_gradient(net, x, y, 1, &cost), BP_OK);
    float *grads;
    size_t count;
    cr_assert_eq(bp_net_grads(net, &grads, &count), BP_OK);
    float saved[64];
    cr_assert(count <= 64);
    memcpy(saved, grads, count * sizeof *grads);

    cr_assert_eq(bp_net_gradient(NULL, x, y, 1, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_gradient(net, NULL, y, 1, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_gradient(net, x, NULL, 1, &cost), BP_EINVAL);
    assert_message_names("bp_net_gradient");
    cr_assert_eq(bp_net_gradient(net, x, y, 0, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_gradient(net, x, y, 2, &cost), BP_EBATCH);

    cr_assert_eq(bp_net_train_step(NULL, x, y, 1, 0.1f, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_train_step(net, NULL, y, 1, 0.1f, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_train_step(net, x, NULL, 1, 0.1f, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_train_step(net, x, y, 0, 0.1f, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_train_step(net, x, y, 2, 0.1f, &cost), BP_EBATCH);
    assert_message_names("bp_net_train_step");
    cr_assert_eq(bp_net_train_step(net, x, y, 1, NAN, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_train_step(net, x, y, 1, INFINITY, &cost), BP_EINVAL);
    cr_assert_eq(bp_net_train_step(net, x, y, 1, -0.1f, &cost), BP_EINVAL);
    cr_assert_eq(memcmp(saved, grads, count * sizeof *grads), 0, "a failed call changed grads");
    bp_net_destroy(net);
}

/* A rejected step leaves the parameters as they were. */
Test(errors, step) {
    bp_net *net = make_net();
    float *params;
    size_t count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    const float x[3] = {1, 2, 3}, y[2] = {0, 1};
    cr_assert_eq(bp_net_gradient(net, x, y, 1, NULL), BP_OK);
    const float first = params[0];
    cr_assert_eq(bp_net_step(NULL, 0.1f), BP_EINVAL);
    cr_assert_eq(bp_net_step(net, NAN), BP_EINVAL);
    assert_message_names("bp_net_step");
    cr_assert_eq(bp_net_step(net, -INFINITY), BP_EINVAL);
    cr_assert_eq(bp_net_step(net, -1e-3f), BP_EINVAL);
    cr_assert_eq(params[0], first);
    bp_net_destroy(net);
}

Test(errors, views_and_getters) {
    bp_net *net = make_net();
    float *block = NULL;
    size_t count = 0;
    bp_layer layer;
    cr_assert_eq(bp_net_params(NULL, &block, &count), BP_EINVAL);
    cr_assert_eq(bp_net_params(net, NULL, &count), BP_EINVAL);
    cr_assert_eq(bp_net_grads(NULL, &block, &count), BP_EINVAL);
    cr_assert_eq(bp_net_grads(net, NULL, &count), BP_EINVAL);
    cr_assert_eq(bp_net_params(net, &block, NULL), BP_OK, "count may be NULL");
    cr_assert_eq(bp_net_layer(NULL, 0, &layer), BP_EINVAL);
    cr_assert_eq(bp_net_layer(net, 0, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_layer(net, 2, &layer), BP_ERANGE);
    assert_message_names("bp_net_layer");
    cr_assert_eq(bp_net_layer(net, SIZE_MAX, &layer), BP_ERANGE);
    cr_assert_eq(bp_net_num_layers(NULL), 0);
    cr_assert_eq(bp_net_num_inputs(NULL), 0);
    cr_assert_eq(bp_net_num_outputs(NULL), 0);
    cr_assert_eq(bp_net_num_params(NULL), 0);
    cr_assert_eq(bp_net_max_batch(NULL), 0);
    cr_assert_eq(bp_net_memory_bytes(NULL), 0);
    bp_net_destroy(net);
}

Test(errors, blas_threads) {
    cr_assert_eq(bp_blas_set_threads(0), BP_EINVAL);
    assert_message_names("bp_blas_set_threads");
    cr_assert_eq(bp_blas_set_threads(-3), BP_EINVAL);
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);
    cr_assert_eq(bp_blas_threads(), 1);
    cr_assert(strlen(bp_blas_core()) > 0);
}

/* The network's own memory is no input: the passes overwrite it while reading. */
Test(errors, inputs_and_targets_must_not_be_the_networks_memory) {
    const size_t square[] = {4, 4};
    const bp_activation identity[] = {BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, square, identity, BP_KERNELS_OPENBLAS, 2), BP_OK);
    const float x[4] = {1, 2, 3, 4};
    const float *out;
    cr_assert_eq(bp_net_forward(net, x, 1, &out), BP_OK);
    cr_assert_eq(bp_net_forward(net, out, 1, NULL), BP_EINVAL, "outputs fed back as inputs");
    assert_message_names("bp_net_forward");
    cr_assert(strstr(bp_errmsg(), "copy") != NULL, "%s", bp_errmsg());
    cr_assert_eq(bp_net_gradient(net, x, out, 1, NULL), BP_EINVAL, "outputs as targets");
    cr_assert_eq(bp_net_train_step(net, out, x, 1, 0.1f, NULL), BP_EINVAL);
    float *params, *grads;
    bp_net_params(net, &params, NULL);
    bp_net_grads(net, &grads, NULL);
    cr_assert_eq(bp_net_forward(net, params, 1, NULL), BP_EINVAL, "parameters as inputs");
    cr_assert_eq(bp_net_gradient(net, x, grads + 16, 1, NULL), BP_EINVAL, "biases' gradients");
    /* A copy of the outputs is fine. */
    float copy[4];
    memcpy(copy, out, sizeof copy);
    cr_assert_eq(bp_net_forward(net, copy, 1, NULL), BP_OK, "%s", bp_errmsg());
    bp_net_destroy(net);
}

/* bp_errmsg belongs to the calling thread, and a successful call leaves it. */
static int fail_in_thread(void *message) {
    const int fresh = bp_errmsg()[0] == '\0';
    bp_blas_set_threads(0); /* fails with a message of its own */
    snprintf(message, 256, "%s", bp_errmsg());
    return fresh;
}

Test(errors, message_is_per_thread_and_kept_by_success) {
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

    bp_net *net = make_net();
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

Test(errors, message_keeps_its_reason_after_a_long_path) {
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

Test(errors, message_past_its_capacity_is_cut_and_says_so) {
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
