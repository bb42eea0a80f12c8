/*
 * test_evaluate.c - bp_evaluate's loss and accuracy against the test's own
 * count: the mean of the per-example costs and the number of rows whose
 * largest output is at the label, over a set that ends in a partial batch,
 * on both kernel sets and for both costs; and bp_evaluate_regression's
 * message naming the first example whose error is not finite.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

/* bp_evaluate works in batches of BP_EVAL_BATCH (256): one full, then 44. */
enum { FEATURES = 5, CLASSES = 4, COUNT = 300, RESERVE = 8 };

static bp_dataset random_set(uint64_t seed) {
    bp_dataset d = {.count = COUNT, .features = FEATURES, .classes = CLASSES};
    d.inputs = ref_alloc(COUNT * FEATURES, sizeof(float));
    d.labels = ref_alloc(COUNT, sizeof(uint32_t));
    ref_rng rng = {seed};
    for (size_t i = 0; i < COUNT * FEATURES; i++)
        d.inputs[i] = (float)ref_rng_uniform(&rng, -2.0, 2.0);
    for (size_t i = 0; i < COUNT; i++)
        d.labels[i] = (uint32_t)(ref_rng_next(&rng) % CLASSES);
    return d;
}

/* One example at a time, through bp_net_cost: its cost, and whether its
 * largest output is at its label (the first of equal largest ones). */
static void expected(bp_net *net, const bp_dataset *d, double *loss, double *accuracy) {
    double cost_sum = 0.0;
    size_t correct = 0;
    for (size_t i = 0; i < d->count; i++) {
        float target[CLASSES] = {0};
        target[d->labels[i]] = 1.0f;
        float cost;
        const float *out;
        cr_assert_eq(bp_net_cost(net, d->inputs + i * FEATURES, target, 1, &cost, &out), BP_OK);
        size_t best = 0;
        for (size_t j = 1; j < CLASSES; j++)
            best = out[j] > out[best] ? j : best;
        cost_sum += cost;
        correct += best == d->labels[i];
    }
    *loss = cost_sum / (double)d->count;
    *accuracy = (double)correct / (double)d->count;
}

static void check(bp_kernels kernels, bp_loss loss, bp_activation output) {
    const size_t sizes[] = {FEATURES, 7, CLASSES};
    const bp_activation acts[] = {BP_ACT_TANH, output};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        bp_net *net = NULL;
        cr_assert_eq(bp_net_create(&net, 2, sizes, acts, kernels, seed), BP_OK);
        cr_assert_eq(bp_net_set_loss(net, loss), BP_OK);
        bp_dataset d = random_set(seed);
        double want_loss, want_accuracy, loss_got, accuracy_got;
        expected(net, &d, &want_loss, &want_accuracy);
        cr_assert_eq(bp_net_reserve(net, RESERVE), BP_OK);
        cr_assert_eq(bp_evaluate(net, &d, &loss_got, &accuracy_got), BP_OK, "%s", bp_errmsg());
        /* The same examples, summed in another grouping: float rounding only.
         * Each batch's mean cost is a float (u = 6e-8 relative), summed in
         * double; 1e-6 is 16 times that. */
        cr_assert(fabs(loss_got - want_loss) <= 1e-6 * fabs(want_loss),
                  "seed %llu: bp_evaluate's loss %.9g, the mean of the examples' costs %.9g",
                  (unsigned long long)seed, loss_got, want_loss);
        cr_assert_eq(accuracy_got * COUNT, want_accuracy * COUNT,
                     "seed %llu: %g right, the test counts %g", (unsigned long long)seed,
                     accuracy_got * COUNT, want_accuracy * COUNT);
        free(d.inputs);
        free(d.labels);
        bp_net_destroy(net);
    }
}

Test(evaluate, partial_last_batch_cross_entropy_openblas) {
    check(BP_KERNELS_OPENBLAS, BP_LOSS_CROSS_ENTROPY, BP_ACT_SOFTMAX);
}
Test(evaluate, partial_last_batch_cross_entropy_naive) {
    check(BP_KERNELS_NAIVE, BP_LOSS_CROSS_ENTROPY, BP_ACT_SOFTMAX);
}
Test(evaluate, partial_last_batch_quadratic_openblas) {
    check(BP_KERNELS_OPENBLAS, BP_LOSS_QUADRATIC, BP_ACT_SIGMOID);
}
Test(evaluate, partial_last_batch_quadratic_naive) {
    check(BP_KERNELS_NAIVE, BP_LOSS_QUADRATIC, BP_ACT_SIGMOID);
}

/* Two examples of one batch with NaN targets: the error names the first of
 * them, not the last (the loop over a batch's examples stops at it). */
Test(evaluate, regression_names_the_first_nonfinite_example) {
    enum { N = 6, IN = 3 };
    const size_t sizes[] = {IN, 1};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_NAIVE, 1), BP_OK);
    float inputs[N * IN], targets[N];
    for (size_t i = 0; i < N * IN; i++)
        inputs[i] = (float)i / (N * IN);
    for (size_t i = 0; i < N; i++)
        targets[i] = i == 2 || i == 4 ? NAN : (float)i;
    bp_dataset d = {.count = N, .features = IN, .inputs = inputs, .outputs = 1, .targets = targets};
    bp_regression_metrics m;
    cr_assert_eq(bp_evaluate_regression(net, &d, NULL, &m), BP_ENONFINITE);
    cr_assert(strstr(bp_errmsg(), "example 2, output 0") != NULL,
              "the message names another example: %s", bp_errmsg());
    bp_net_destroy(net);
}
