/* Gradient descent drives the cost down on small fixed problems, on both
 * kernel sets, through the batch (sgemm) and one-example (sgemv/sger) paths. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <math.h>

static const float xor_inputs[] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float xor_targets[] = {0, 1, 1, 0};

/* XOR, full batch of 4: a 2-4-1 tanh/sigmoid network, 400 steps at rate 2.
 * Over seeds 1-50 the worst cost after 500 steps was 0.0011; 0.01 after 400
 * leaves room without letting a network that stopped learning pass
 * (one that outputs 0.5 everywhere costs 0.25). */
static void train_xor(bp_kernels kernels) {
    const size_t sizes[] = {2, 4, 1};
    const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    for (uint64_t seed = 1; seed <= 10; seed++) {
        bp_net *net;
        cr_assert_eq(bp_net_create(&net, 2, sizes, activations, kernels, seed), BP_OK);
        cr_assert_eq(bp_net_reserve(net, 4), BP_OK);
        float first = 0, cost = 0;
        for (int step = 0; step < 400; step++) {
            cr_assert_eq(bp_net_train_step(net, xor_inputs, xor_targets, 4, 2.0f, &cost), BP_OK);
            if (step == 0)
                first = cost;
        }
        cr_assert_eq(bp_net_gradient(net, xor_inputs, xor_targets, 4, &cost), BP_OK);
        cr_assert_gt(first, 0.2f, "seed %llu: an untrained network should be wrong",
                     (unsigned long long)seed);
        cr_assert_lt(cost, 0.01f, "seed %llu: cost %g after 400 steps (from %g)",
                     (unsigned long long)seed, cost, first);
        const float *out;
        cr_assert_eq(bp_net_forward(net, xor_inputs, 4, &out), BP_OK);
        for (int i = 0; i < 4; i++)
            cr_assert_lt(fabsf(out[i] - xor_targets[i]), 0.2f, "seed %llu: example %d gives %g",
                         (unsigned long long)seed, i, out[i]);
        bp_net_destroy(net);
    }
}

Test(train, xor_openblas) { train_xor(BP_KERNELS_OPENBLAS); }
Test(train, xor_naive) { train_xor(BP_KERNELS_NAIVE); }

/* y = sin(x) on [-pi, pi] learned one example at a time (n = 1: sgemv and
 * sger), a 1-16-1 tanh/identity network; the cost is measured on the whole
 * grid with the batch path. sin has mean square 0.5 on this range, so a
 * cost under 0.01 means the curve was fitted. */
static void fit_sine(bp_kernels kernels) {
    enum { points = 64 };
    float x[points], y[points];
    for (int i = 0; i < points; i++) {
        x[i] = -3.14159265f + 6.2831853f * (float)i / (points - 1);
        y[i] = sinf(x[i]);
    }
    const size_t sizes[] = {1, 16, 1};
    const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_IDENTITY};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 2, sizes, activations, kernels, 11), BP_OK);
    cr_assert_eq(bp_net_reserve(net, points), BP_OK);
    float start, cost;
    cr_assert_eq(bp_net_gradient(net, x, y, points, &start), BP_OK);
    for (int epoch = 0; epoch < 300; epoch++)
        for (int k = 0; k < points; k++) {
            const int i = (k * 37) % points; /* a fixed scrambled order */
            cr_assert_eq(bp_net_train_step(net, &x[i], &y[i], 1, 0.02f, &cost), BP_OK);
        }
    cr_assert_eq(bp_net_gradient(net, x, y, points, &cost), BP_OK);
    cr_assert_lt(cost, 0.01f, "cost %g after 300 epochs (from %g)", cost, start);
    bp_net_destroy(net);
}

Test(train, sine_one_example_at_a_time_openblas) { fit_sine(BP_KERNELS_OPENBLAS); }
Test(train, sine_one_example_at_a_time_naive) { fit_sine(BP_KERNELS_NAIVE); }
