/*
 * test_save_order.c - an atomic save's steps happen in the one safe order:
 * fsync of the temporary file, close, rename over the old file, fsync of the
 * directory. A SIGKILL test cannot see a rename before the fsync; only a
 * power cut could. So the library reports each step to an internal
 * observer (src/support/file_io.h), which this test, linked to the static library,
 * records. For the model and the optimizer state, new and replaced files.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <backprop.h>

#include "support/file_io.h"

enum { MAX_STEPS = 16 };
static const char *steps[MAX_STEPS];
static size_t n_steps;

static void record(const char *step) {
    if (n_steps < MAX_STEPS)
        steps[n_steps] = step;
    n_steps++;
}

static void expect_safe_order(const char *what) {
    static const char *const order[] = {"fsync temporary file", "close temporary file", "rename",
                                        "fsync directory"};
    cr_assert_eq(n_steps, 4, "%s: %zu steps, expected 4", what, n_steps);
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(steps[i], order[i], "%s: step %zu is '%s', expected '%s'", what, i + 1,
                         steps[i], order[i]);
}

static bp_net *small_net(void) {
    const size_t sizes[] = {3, 4, 2};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_NAIVE, 1), BP_OK);
    return net;
}

Test(save_order, model_and_optimizer_new_and_replaced) {
    char dir[] = "/tmp/bp-save-order-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char model[64], optimizer[64];
    snprintf(model, sizeof model, "%s/model.bin", dir);
    snprintf(optimizer, sizeof optimizer, "%s/optimizer.bin", dir);
    bp_net *net = small_net();
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK);
    bp__file_io_observe_commit(record);
    for (int round = 0; round < 2; round++) { /* a new file, then one replaced */
        n_steps = 0;
        cr_assert_eq(bp_net_save(net, model), BP_OK, "%s", bp_errmsg());
        expect_safe_order(round ? "bp_net_save over a file" : "bp_net_save, new file");
        n_steps = 0;
        cr_assert_eq(bp_optimizer_save(opt, optimizer), BP_OK, "%s", bp_errmsg());
        expect_safe_order(round ? "bp_optimizer_save over a file" : "bp_optimizer_save, new file");
    }
    bp__file_io_observe_commit(NULL);
    unlink(model);
    unlink(optimizer);
    rmdir(dir);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}
