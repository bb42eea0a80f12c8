/*
 * test_numeric_faults.c - NaN or Inf in the inputs or targets, and a
 * diverging cost, stop training with BP_ENONFINITE and a message saying
 * where, and leave the weights of the last good step, bitwise: in bp_train
 * on both kernel sets, and in bp_net_gradient and bp_net_train_step.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

/* Two classes by the sign of the first of 4 features. */
static bp_dataset make_data(size_t count) {
    bp_dataset d = {.count = count, .features = 4, .classes = 2};
    d.inputs = ref_alloc(count * 4, sizeof(float));
    d.labels = ref_alloc(count, sizeof(uint32_t));
    ref_rng rng = {11};
    for (size_t i = 0; i < count * 4; i++)
        d.inputs[i] = (float)ref_rng_uniform(&rng, -1.0, 1.0);
    for (size_t i = 0; i < count; i++)
        d.labels[i] = d.inputs[4 * i] > 0.0f;
    return d;
}

static void free_data(bp_dataset *d) {
    free(d->inputs);
    free(d->labels);
}

static bp_net *make_net(bp_kernels kernels) {
    const size_t sizes[] = {4, 8, 2};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, kernels, 5), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_OK);
    return net;
}

static const char *kernel_name(bp_kernels k) {
    return k == BP_KERNELS_NAIVE ? "naive" : "OpenBLAS";
}

/* The parameters after each step, copied by the batch callback. */
typedef struct last_good {
    const float *live;
    float *copy;
    size_t count, steps;
} last_good;

static int copy_params(const bp_batch_report *r, void *user) {
    (void)r;
    last_good *g = user;
    memcpy(g->copy, g->live, g->count * sizeof(float));
    g->steps++;
    return 0;
}

/* After a stopped run: the network holds exactly the last good step's
 * parameters, all finite, the optimizer took exactly those steps, and both
 * can be saved (which refuses non-finite values), so training can resume. */
static void check_kept_last_good(bp_net *net, bp_optimizer *opt, const last_good *g,
                                 const char *what) {
    float *params;
    size_t count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    cr_assert_eq(bp_optimizer_steps(opt), g->steps, "%s: optimizer steps", what);
    for (size_t i = 0; i < count; i++)
        cr_assert(isfinite(params[i]), "%s: parameter %zu is %g", what, i, (double)params[i]);
    cr_assert_eq(memcmp(params, g->copy, count * sizeof(float)), 0,
                 "%s: the parameters are not those of the last good step", what);
    char dir[] = "/tmp/bp_numeric_XXXXXX", net_path[64], opt_path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(net_path, sizeof net_path, "%s/net", dir);
    snprintf(opt_path, sizeof opt_path, "%s/opt", dir);
    cr_assert_eq(bp_net_save(net, net_path), BP_OK, "%s: %s", what, bp_errmsg());
    cr_assert_eq(bp_optimizer_save(opt, opt_path), BP_OK, "%s: %s", what, bp_errmsg());
    remove(net_path);
    remove(opt_path);
    remove(dir);
}

/* Trains net on data with config until bp_train returns, the batch
 * callback copying the parameters after each step into g, which starts
 * with the initial ones; *opt is the optimizer, for the caller to check. */
static int train_keeping_steps(bp_net *net, const bp_dataset *data,
                               const bp_optimizer_config *config, bp_train_options options,
                               last_good *g, bp_optimizer **opt) {
    float *live;
    size_t count;
    cr_assert_eq(bp_net_params(net, &live, &count), BP_OK);
    *g = (last_good){.live = live, .count = count, .copy = ref_alloc(count, sizeof(float))};
    memcpy(g->copy, live, count * sizeof(float));
    *opt = NULL;
    cr_assert_eq(bp_optimizer_create(opt, net, config), BP_OK, "%s", bp_errmsg());
    options.on_batch = copy_params;
    options.user = g;
    return bp_train(net, *opt, data, NULL, &options);
}

/* A bad value in one example, met after some good steps, or in every
 * example, met in the first batch: then the network keeps its initial
 * weights and the optimizer has taken no step. */
static void bad_input_stops(bp_kernels kernels, float bad, bool in_every_example,
                            const char *expect) {
    bp_dataset data = make_data(96);
    /* With shuffle seed 3 and batches of 8, example 50 falls in batch 7 of
     * epoch 1, after 6 good steps; the test checks it was not the first. */
    for (size_t i = 0; i < data.count; i++)
        if (in_every_example || i == 50)
            data.inputs[4 * i + 2] = bad;
    bp_net *net = make_net(kernels);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_train_options options = {.epochs = 3, .batch_size = 8, .seed = 3};
    last_good g;
    bp_optimizer *opt;

    cr_assert_eq(train_keeping_steps(net, &data, &config, options, &g, &opt), BP_ENONFINITE,
                 "%s, input %g: %s", kernel_name(kernels), (double)bad, bp_errmsg());
    if (in_every_example)
        cr_assert_eq(g.steps, 0, "a step was taken on a batch of bad examples");
    else
        cr_assert_gt(g.steps, 0, "the bad example was in the first batch: move it");
    char where[64];
    snprintf(where, sizeof where, "epoch %zu, batch %zu:", g.steps / 12 + 1, g.steps % 12 + 1);
    cr_assert(strstr(bp_errmsg(), where), "message should say %s: %s", where, bp_errmsg());
    cr_assert(strstr(bp_errmsg(), expect), "message should say %s: %s", expect, bp_errmsg());
    check_kept_last_good(net, opt, &g, kernel_name(kernels));

    free(g.copy);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_data(&data);
}

/* NaN propagates through tanh into the cost. */
Test(numeric_faults, nan_input_openblas) {
    bad_input_stops(BP_KERNELS_OPENBLAS, NAN, false, "the cost is not finite");
}
Test(numeric_faults, nan_input_naive) {
    bad_input_stops(BP_KERNELS_NAIVE, NAN, false, "the cost is not finite");
}
Test(numeric_faults, nan_in_every_example_keeps_the_initial_weights_openblas) {
    bad_input_stops(BP_KERNELS_OPENBLAS, NAN, true, "the cost is not finite");
}
Test(numeric_faults, nan_in_every_example_keeps_the_initial_weights_naive) {
    bad_input_stops(BP_KERNELS_NAIVE, NAN, true, "the cost is not finite");
}

/* tanh(+-Inf) = +-1, so the cost stays finite; the first layer's weight
 * gradient dC/dW = delta x^T holds Inf (or 0 x Inf = NaN): only the
 * gradient check catches it. */
Test(numeric_faults, inf_input_openblas) {
    bad_input_stops(BP_KERNELS_OPENBLAS, INFINITY, false, "the gradient is not finite");
}
Test(numeric_faults, inf_input_naive) {
    bad_input_stops(BP_KERNELS_NAIVE, INFINITY, false, "the gradient is not finite");
}
Test(numeric_faults, minus_inf_input_naive) {
    bad_input_stops(BP_KERNELS_NAIVE, -INFINITY, false, "the gradient is not finite");
}

/* A far too large rate on a linear regression onto one-hot targets: the
 * parameters grow geometrically until the cost overflows. Training stops
 * at the first batch whose cost or gradient is not finite, before the
 * optimizer takes it, after at least min_steps good steps. */
static void divergence_stops(bp_kernels kernels, bp_optimizer_kind kind, float rate,
                             size_t min_steps) {
    bp_dataset data = make_data(64);
    const size_t sizes[] = {4, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, kernels, 5), BP_OK);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, kind);
    config.learning_rate = rate;
    bp_train_options options = {.epochs = 1000, .batch_size = 16, .seed = 1};
    last_good g;
    bp_optimizer *opt;
    cr_assert_eq(train_keeping_steps(net, &data, &config, options, &g, &opt), BP_ENONFINITE,
                 "%s: a rate of %g should diverge", kernel_name(kernels), (double)rate);
    cr_assert_geq(g.steps, min_steps, "it should take a few steps to diverge");
    cr_assert(strstr(bp_errmsg(), "bp_train: epoch "), "message: %s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), "is not finite"), "message: %s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), "parameters of the last step"), "message: %s", bp_errmsg());
    check_kept_last_good(net, opt, &g, kernel_name(kernels));
    free(g.copy);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_data(&data);
}

/* Momentum at 50 takes a few steps to diverge, plain gradient descent at
 * 1000 at least one (the first batch's cost is finite). */
Test(numeric_faults, divergence_openblas) {
    divergence_stops(BP_KERNELS_OPENBLAS, BP_OPT_MOMENTUM, 50.0f, 3);
}
Test(numeric_faults, divergence_naive) {
    divergence_stops(BP_KERNELS_NAIVE, BP_OPT_MOMENTUM, 50.0f, 3);
}
Test(numeric_faults, sgd_divergence_openblas) {
    divergence_stops(BP_KERNELS_OPENBLAS, BP_OPT_SGD, 1e3f, 1);
}

/* ---- the step-by-step API ---- */

/* A batch of 4 examples, 4 features, one-hot targets over 2 outputs. */
typedef struct batch {
    float inputs[16], targets[8];
} batch;

static batch good_batch(void) {
    batch b;
    ref_rng rng = {3};
    for (size_t i = 0; i < 16; i++)
        b.inputs[i] = (float)ref_rng_uniform(&rng, -1.0, 1.0);
    for (size_t i = 0; i < 4; i++) {
        b.targets[2 * i] = b.inputs[4 * i] > 0.0f;
        b.targets[2 * i + 1] = b.inputs[4 * i] <= 0.0f;
    }
    return b;
}

/* bp_net_gradient and bp_net_train_step on a poisoned batch, after two
 * good steps: both refuse with BP_ENONFINITE, and the parameters stay
 * bitwise those of the last good step. */
static void step_api_refuses(bp_kernels kernels, bool in_targets, size_t index, float bad,
                             const char *gradient_says, const char *step_says) {
    bp_net *net = make_net(kernels);
    cr_assert_eq(bp_net_reserve(net, 4), BP_OK);
    batch good = good_batch();
    for (int i = 0; i < 2; i++)
        cr_assert_eq(bp_net_train_step(net, good.inputs, good.targets, 4, 0.1f, NULL), BP_OK);
    float *params;
    size_t count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    float *kept = ref_alloc(count, sizeof(float));
    memcpy(kept, params, count * sizeof(float));

    if (in_targets)
        good.targets[index] = bad;
    else
        good.inputs[index] = bad;
    const batch *b = &good;
    float cost = 0.0f;
    cr_assert_eq(bp_net_gradient(net, b->inputs, b->targets, 4, &cost), BP_ENONFINITE,
                 "%s: bp_net_gradient on %g", kernel_name(kernels), (double)bad);
    cr_assert_eq(memcmp(params, kept, count * sizeof(float)), 0);
    cr_assert(strstr(bp_errmsg(), "bp_net_gradient: "), "message: %s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), gradient_says), "message should say %s: %s", gradient_says,
              bp_errmsg());

    cost = 0.0f;
    cr_assert_eq(bp_net_train_step(net, b->inputs, b->targets, 4, 0.1f, &cost), BP_ENONFINITE,
                 "%s: bp_net_train_step on %g", kernel_name(kernels), (double)bad);
    cr_assert_eq(memcmp(params, kept, count * sizeof(float)), 0,
                 "bp_net_train_step stepped on a non-finite gradient");
    cr_assert(strstr(bp_errmsg(), "bp_net_train_step: "), "message: %s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), step_says), "message should say %s: %s", step_says, bp_errmsg());
    cr_assert(strstr(bp_errmsg(), "no step taken"), "message: %s", bp_errmsg());

    free(kept);
    bp_net_destroy(net);
}

static void step_api_all_faults(bp_kernels kernels) {
    /* bp_net_gradient finds the fault in what it computed; bp_net_train_step
     * checks the data first, as its fused step cannot be undone. */
    step_api_refuses(kernels, false, 5, NAN, "the cost is not finite", "inputs");
    step_api_refuses(kernels, false, 5, INFINITY, "the gradient is not finite", "inputs");
    step_api_refuses(kernels, false, 5, -INFINITY, "the gradient is not finite", "inputs");
    step_api_refuses(kernels, true, 3, NAN, "the cost is not finite", "targets");
    step_api_refuses(kernels, true, 3, INFINITY, "the cost is not finite", "targets");
}

Test(numeric_faults, step_api_openblas) { step_api_all_faults(BP_KERNELS_OPENBLAS); }
Test(numeric_faults, step_api_naive) { step_api_all_faults(BP_KERNELS_NAIVE); }

/* Plain gradient descent with bp_net_train_step and a rate of 50 diverges;
 * the call that meets the overflow refuses and takes no step. */
Test(numeric_faults, step_api_divergence) {
    const size_t sizes[] = {4, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_OPENBLAS, 5), BP_OK);
    cr_assert_eq(bp_net_reserve(net, 4), BP_OK);
    batch b = good_batch();
    float *params;
    size_t count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    float *kept = ref_alloc(count, sizeof(float));
    int rc = BP_OK, steps = 0;
    for (; steps < 1000 && rc == BP_OK; steps++) {
        memcpy(kept, params, count * sizeof(float));
        rc = bp_net_train_step(net, b.inputs, b.targets, 4, 50.0f, NULL);
    }
    cr_assert_eq(rc, BP_ENONFINITE, "a rate of 50 should diverge");
    cr_assert_gt(steps, 2);
    cr_assert(strstr(bp_errmsg(), "not finite"), "message: %s", bp_errmsg());
    cr_assert_eq(memcmp(params, kept, count * sizeof(float)), 0);
    for (size_t i = 0; i < count; i++)
        cr_assert(isfinite(params[i]));
    free(kept);
    bp_net_destroy(net);
}
