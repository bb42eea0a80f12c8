/*
 * test_train_loop.c - bp_train and bp_evaluate: learning a separable task,
 * the figures the callbacks report, stopping from a callback, determinism,
 * argument checks. (The NaN/Inf guard: test_numeric_faults.c.)
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

/* Four classes, one per quadrant of the plane, points at least 0.1 from the
 * axes. Arrays from malloc, freed by free_set (not bp_dataset_free, which is
 * for sets the library loaded). */
static bp_dataset quadrants(size_t count, uint64_t seed) {
    bp_dataset d = {.count = count, .features = 2, .classes = 4};
    d.inputs = ref_alloc(count * 2, sizeof(float));
    d.labels = ref_alloc(count, sizeof(uint32_t));
    ref_rng rng = {seed};
    for (size_t i = 0; i < count; i++) {
        double x = ref_rng_uniform(&rng, 0.1, 1.0), y = ref_rng_uniform(&rng, 0.1, 1.0);
        uint32_t label = (uint32_t)(ref_rng_next(&rng) % 4);
        d.inputs[2 * i] = (float)(label & 1 ? -x : x);
        d.inputs[2 * i + 1] = (float)(label & 2 ? -y : y);
        d.labels[i] = label;
    }
    return d;
}

static void free_set(bp_dataset *d) {
    free(d->inputs);
    free(d->labels);
}

static bp_net *classifier(bp_kernels kernels, uint64_t seed) {
    const size_t sizes[] = {2, 16, 4};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, kernels, seed), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_OK);
    return net;
}

static bp_optimizer *adam(const bp_net *net, float rate) {
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    config.learning_rate = rate;
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK, "%s", bp_errmsg());
    return opt;
}

/* What the callbacks saw. */
typedef struct seen {
    size_t batches, epochs;
    size_t last_batch, last_batches, last_examples, last_epoch;
    double last_epoch_test_accuracy, last_epoch_train_loss;
    int stop_after_batches; /* 0: never stop */
} seen;

static int on_batch(const bp_batch_report *r, void *user) {
    seen *s = user;
    s->batches++;
    cr_assert(isfinite(r->loss) && r->loss >= 0.0, "batch loss %g", r->loss);
    cr_assert(r->batch >= 1 && r->batch <= r->batches);
    cr_assert(r->learning_rate > 0.0f);
    s->last_batch = r->batch;
    s->last_batches = r->batches;
    s->last_examples = r->examples;
    return s->stop_after_batches && s->batches == (size_t)s->stop_after_batches;
}

static int on_epoch(const bp_epoch_report *r, void *user) {
    seen *s = user;
    s->epochs++;
    cr_assert_eq(r->epoch, s->epochs);
    cr_assert(r->seconds >= 0.0);
    s->last_epoch = r->epoch;
    s->last_epoch_test_accuracy = r->test_accuracy;
    s->last_epoch_train_loss = r->train_loss;
    return 0;
}

static void learns_quadrants(bp_kernels kernels) {
    bp_dataset train = quadrants(400, 1), test = quadrants(200, 2);
    bp_net *net = classifier(kernels, 3);
    bp_optimizer *opt = adam(net, 0.01f);
    seen s = {0};
    bp_train_options options;
    bp_train_options_default(&options);
    options.epochs = 20;
    options.batch_size = 32;
    options.on_batch = on_batch;
    options.on_epoch = on_epoch;
    options.user = &s;
    cr_assert_eq(bp_train(net, opt, &train, &test, &options), BP_OK, "%s", bp_errmsg());

    /* 400 examples in batches of 32: 13 batches, the last of 16. */
    cr_assert_eq(s.epochs, 20);
    cr_assert_eq(s.batches, 20 * 13);
    cr_assert_eq(s.last_batches, 13);
    cr_assert_eq(s.last_examples, 400);
    cr_assert_eq(bp_optimizer_steps(opt), 20 * 13);

    /* The last epoch's test figures are bp_evaluate's on the final network. */
    double loss = NAN, accuracy = NAN;
    cr_assert_eq(bp_evaluate(net, &test, &loss, &accuracy), BP_OK, "%s", bp_errmsg());
    cr_assert_float_eq(accuracy, s.last_epoch_test_accuracy, 1e-12);
    cr_assert_geq(accuracy, 0.97, "test accuracy %g after 20 epochs", accuracy);
    cr_assert_lt(loss, 0.2, "test loss %g", loss);
    cr_assert_lt(s.last_epoch_train_loss, 0.3);

    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_set(&train);
    free_set(&test);
}

Test(train_loop, learns_quadrants_openblas) { learns_quadrants(BP_KERNELS_OPENBLAS); }

Test(train_loop, learns_quadrants_naive) { learns_quadrants(BP_KERNELS_NAIVE); }

/* With one batch holding the whole set, the epoch's training loss and
 * accuracy are those of the network before its only step: bp_evaluate's. */
Test(train_loop, train_figures_are_before_the_step) {
    bp_dataset data = quadrants(64, 5);
    bp_net *net = classifier(BP_KERNELS_OPENBLAS, 9);
    cr_assert_eq(bp_net_reserve(net, 64), BP_OK);
    double loss_before, accuracy_before;
    cr_assert_eq(bp_evaluate(net, &data, &loss_before, &accuracy_before), BP_OK);
    bp_optimizer *opt = adam(net, 0.01f);
    seen s = {0};
    bp_train_options options = {.epochs = 1, .batch_size = 64, .on_epoch = on_epoch, .user = &s};
    cr_assert_eq(bp_train(net, opt, &data, NULL, &options), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(s.epochs, 1);
    cr_assert_float_eq(s.last_epoch_train_loss, loss_before, 1e-6 * loss_before);
    cr_assert(isnan(s.last_epoch_test_accuracy), "no test set: NaN");
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_set(&data);
}

Test(train_loop, callback_stops_training) {
    bp_dataset data = quadrants(100, 6);
    bp_net *net = classifier(BP_KERNELS_OPENBLAS, 1);
    bp_optimizer *opt = adam(net, 0.01f);
    seen s = {.stop_after_batches = 5};
    bp_train_options options = {
        .epochs = 3, .batch_size = 10, .on_batch = on_batch, .on_epoch = on_epoch, .user = &s};
    cr_assert_eq(bp_train(net, opt, &data, &data, &options), BP_ECANCELED);
    cr_assert_eq(s.batches, 5);
    cr_assert_eq(s.epochs, 0);
    cr_assert_eq(bp_optimizer_steps(opt), 5, "the step before the callback was taken");
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_set(&data);
}

Test(train_loop, same_seed_same_weights) {
    bp_dataset data = quadrants(100, 7);
    float *first = NULL;
    size_t count = 0;
    for (int run = 0; run < 3; run++) {
        bp_net *net = classifier(BP_KERNELS_OPENBLAS, 1);
        bp_optimizer *opt = adam(net, 0.01f);
        /* runs 0 and 1 shuffle with seed 4, run 2 with seed 5 */
        bp_train_options options = {.epochs = 2, .batch_size = 8, .seed = run < 2 ? 4 : 5};
        cr_assert_eq(bp_train(net, opt, &data, NULL, &options), BP_OK);
        float *params;
        cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
        if (run == 0) {
            first = ref_alloc(count, sizeof *first);
            memcpy(first, params, count * sizeof *first);
        } else {
            int same = memcmp(first, params, count * sizeof *first) == 0;
            cr_assert_eq(same, run == 1, "run %d: %s", run,
                         same ? "same weights from another shuffle seed"
                              : "different weights from the same seed");
        }
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
    free(first);
    free_set(&data);
}

Test(train_loop, argument_checks) {
    bp_dataset data = quadrants(10, 10);
    bp_net *net = classifier(BP_KERNELS_OPENBLAS, 1);
    bp_optimizer *opt = adam(net, 0.01f);
    bp_train_options options = {.epochs = 1, .batch_size = 4};
    cr_assert_eq(bp_train(NULL, opt, &data, NULL, &options), BP_EINVAL);
    cr_assert_eq(bp_train(net, NULL, &data, NULL, &options), BP_EINVAL);
    cr_assert_eq(bp_train(net, opt, NULL, NULL, &options), BP_EINVAL);
    cr_assert_eq(bp_train(net, opt, &data, NULL, NULL), BP_EINVAL);
    options.epochs = 0;
    cr_assert_eq(bp_train(net, opt, &data, NULL, &options), BP_EINVAL);
    options.epochs = 1;
    options.batch_size = 0;
    cr_assert_eq(bp_train(net, opt, &data, NULL, &options), BP_EINVAL);
    options.batch_size = 4;

    /* Features that do not match the inputs. */
    bp_dataset wide = data;
    wide.features = 3;
    wide.count = 6; /* 6 x 3 floats fit in the 10 x 2 allocated */
    cr_assert_eq(bp_train(net, opt, &wide, NULL, &options), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "features"), "message: %s", bp_errmsg());
    cr_assert_eq(bp_evaluate(net, &wide, NULL, NULL), BP_EINVAL);
    /* A label past the outputs, in the training or the test set. */
    data.labels[3] = 4;
    cr_assert_eq(bp_train(net, opt, &data, NULL, &options), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "label 4"), "message: %s", bp_errmsg());
    cr_assert_eq(bp_evaluate(net, &data, NULL, NULL), BP_EINVAL);
    data.labels[3] = 0;
    bp_dataset empty = {0};
    cr_assert_eq(bp_train(net, opt, &data, &empty, &options), BP_EINVAL);
    cr_assert_eq(bp_evaluate(net, &empty, NULL, NULL), BP_EINVAL);
    cr_assert_eq(bp_evaluate(NULL, &data, NULL, NULL), BP_EINVAL);

    /* An optimizer made for another network's parameter count. */
    const size_t sizes[] = {2, 3, 4};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *other = NULL;
    cr_assert_eq(bp_net_create(&other, 2, sizes, acts, BP_KERNELS_OPENBLAS, 1), BP_OK);
    cr_assert_eq(bp_train(other, opt, &data, NULL, &options), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "parameters"), "message: %s", bp_errmsg());

    /* No refused call took a step; a good one after all that takes the
     * epoch's 3 (10 examples in batches of 4). */
    cr_assert_eq(bp_optimizer_steps(opt), 0);
    cr_assert_eq(bp_train(net, opt, &data, &data, &options), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_steps(opt), 3);
    bp_net_destroy(other);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_set(&data);
}
