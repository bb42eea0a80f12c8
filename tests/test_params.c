/* The parameter and gradient blocks: layout, per-layer views, seeding, the
 * descent step, reserve, and the sizes the network reports. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

static bp_net *create(size_t n_layers, const size_t *sizes, const bp_activation *activations,
                      bp_kernels kernels, uint64_t seed) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, n_layers, sizes, activations, kernels, seed), BP_OK, "%s",
                 bp_errmsg());
    return net;
}

static const size_t sizes[] = {5, 3, 1, 4};
static const bp_activation activations[] = {BP_ACT_RELU, BP_ACT_LEAKY_RELU, BP_ACT_IDENTITY};

Test(params, blocks_are_contiguous_layer_by_layer) {
    bp_net *net = create(3, sizes, activations, BP_KERNELS_OPENBLAS, 1);
    float *params, *grads;
    size_t count, grad_count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    cr_assert_eq(bp_net_grads(net, &grads, &grad_count), BP_OK);
    /* (5*3 + 3) + (3*1 + 1) + (1*4 + 4) */
    cr_assert_eq(count, 30);
    cr_assert_eq(grad_count, 30);
    cr_assert_eq(bp_net_num_params(net), 30);
    cr_assert(grads >= params + count || params >= grads + count, "blocks overlap");

    size_t offset = 0;
    for (size_t l = 0; l < 3; l++) {
        bp_layer layer;
        cr_assert_eq(bp_net_layer(net, l, &layer), BP_OK);
        cr_assert_eq(layer.inputs, sizes[l]);
        cr_assert_eq(layer.outputs, sizes[l + 1]);
        cr_assert_eq(layer.activation, activations[l]);
        cr_assert_eq(layer.weights, params + offset, "W of layer %zu", l);
        cr_assert_eq(layer.weight_grads, grads + offset);
        offset += layer.inputs * layer.outputs;
        cr_assert_eq(layer.bias, params + offset, "b of layer %zu follows its W", l);
        cr_assert_eq(layer.bias_grads, grads + offset);
        offset += layer.outputs;
    }
    cr_assert_eq(offset, count);
    cr_assert_eq(bp_net_num_layers(net), 3);
    cr_assert_eq(bp_net_num_inputs(net), 5);
    cr_assert_eq(bp_net_num_outputs(net), 4);
    bp_net_destroy(net);
}

/* W is outputs x inputs, row-major: w_jk at [j * inputs + k] weighs input k
 * into neuron j. Checked by setting W and b and reading z = W x + b back. */
Test(params, weights_are_row_major_outputs_by_inputs) {
    const size_t shape[] = {3, 2};
    const bp_activation identity[] = {BP_ACT_IDENTITY};
    for (int k = 0; k < 2; k++) {
        bp_net *net = create(1, shape, identity, (bp_kernels)k, 1);
        bp_layer layer;
        cr_assert_eq(bp_net_layer(net, 0, &layer), BP_OK);
        const float w[6] = {1, 2, 3, /* neuron 0 */ -4, 5, -6 /* neuron 1 */};
        memcpy(layer.weights, w, sizeof w);
        layer.bias[0] = 0.5f;
        layer.bias[1] = -0.25f;
        const float x[3] = {1, 10, 100};
        const float *out;
        cr_assert_eq(bp_net_forward(net, x, 1, &out), BP_OK);
        cr_assert_float_eq(out[0], 321.5f, 1e-4f);
        cr_assert_float_eq(out[1], -554.25f, 1e-4f);
        bp_net_destroy(net);
    }
}

Test(params, same_seed_same_weights_on_either_kernel_set) {
    bp_net *a = create(3, sizes, activations, BP_KERNELS_OPENBLAS, 99);
    bp_net *b = create(3, sizes, activations, BP_KERNELS_NAIVE, 99);
    bp_net *c = create(3, sizes, activations, BP_KERNELS_OPENBLAS, 100);
    float *pa, *pb, *pc;
    size_t count;
    bp_net_params(a, &pa, &count);
    bp_net_params(b, &pb, NULL);
    bp_net_params(c, &pc, NULL);
    cr_assert_eq(memcmp(pa, pb, count * sizeof *pa), 0, "same seed, different weights");
    size_t equal = 0;
    for (size_t i = 0; i < count; i++)
        equal += pa[i] == pc[i];
    cr_assert_lt(equal, 3, "seeds 99 and 100 share %zu of %zu parameters", equal, count);
    bp_net_destroy(a);
    bp_net_destroy(b);
    bp_net_destroy(c);
}

/* Each layer's parameters lie in [-1/sqrt(n_in), 1/sqrt(n_in)] and spread
 * over it, and gradients start at zero. */
Test(params, initialization_is_uniform_within_the_fan_in_bound) {
    const size_t wide[] = {400, 300, 2};
    const bp_activation act[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net = create(2, wide, act, BP_KERNELS_OPENBLAS, 5);
    for (size_t l = 0; l < 2; l++) {
        bp_layer layer;
        bp_net_layer(net, l, &layer);
        const double bound = 1.0 / sqrt((double)layer.inputs);
        const size_t count = layer.inputs * layer.outputs + layer.outputs; /* W then b */
        double sum = 0, sum_sq = 0, low = 1, high = -1;
        for (size_t i = 0; i < count; i++) {
            const double v = layer.weights[i];
            cr_assert(fabs(v) <= bound * (1 + 1e-6), "parameter %g outside +-%g", v, bound);
            cr_assert_eq(layer.weight_grads[i], 0.0f);
            sum += v;
            sum_sq += v * v;
            low = v < low ? v : low;
            high = v > high ? v : high;
        }
        const double mean = sum / (double)count, variance = sum_sq / (double)count - mean * mean;
        /* Uniform on [-B, B]: mean 0, variance B^2 / 3. Allow five standard
         * errors of each estimate: B / sqrt(3 N), and sqrt(0.8 / N) of the
         * variance (the uniform's fourth moment is 1.8 sigma^4). */
        const double n = (double)count;
        cr_assert_lt(fabs(mean), 5 * bound / sqrt(3 * n), "layer %zu mean %g", l, mean);
        cr_assert_float_eq(variance, bound * bound / 3, 5 * sqrt(0.8 / n) * bound * bound / 3,
                           "layer %zu variance %g", l, variance);
        cr_assert_gt(high, 0.99 * bound);
        cr_assert_lt(low, -0.99 * bound);
    }
    bp_net_destroy(net);
}

Test(params, step_subtracts_rate_times_gradient) {
    for (int k = 0; k < 2; k++) {
        bp_net *net = create(3, sizes, activations, (bp_kernels)k, 3);
        float *params, *grads;
        size_t count;
        bp_net_params(net, &params, &count);
        bp_net_grads(net, &grads, NULL);
        float before[30];
        memcpy(before, params, sizeof before);
        /* Before any gradient the block is zero, so a step changes nothing. */
        cr_assert_eq(bp_net_step(net, 0.5f), BP_OK);
        cr_assert_eq(memcmp(before, params, sizeof before), 0);

        const float x[5] = {0.3f, -0.2f, 0.9f, 0.1f, -0.7f}, y[4] = {1, -1, 0.5f, 0};
        cr_assert_eq(bp_net_gradient(net, x, y, 1, NULL), BP_OK);
        size_t nonzero = 0;
        for (size_t i = 0; i < count; i++)
            nonzero += grads[i] != 0.0f;
        cr_assert_gt(nonzero, count / 3, "too few non-zero gradients to test a step");
        cr_assert_eq(bp_net_step(net, 0.25f), BP_OK);
        for (size_t i = 0; i < count; i++) {
            const double expected = (double)before[i] - 0.25 * (double)grads[i];
            cr_assert(fabs(params[i] - expected) <= 1e-6 * (fabs(expected) + 1e-3),
                      "param %zu: %g, expected %g", i, params[i], expected);
        }
        bp_net_destroy(net);
    }
}

/* train_step is gradient then step, fused: the same cost, the same
 * parameters after up to rounding (the step happens inside the products),
 * and the gradient block left as it was. One example runs sger, two sgemm. */
Test(params, train_step_is_gradient_then_step) {
    const float x[10] = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5}, y[8] = {0, 1, 0, 1, 1, 0, 1, 0};
    const bp_kernels sets[] = {BP_KERNELS_OPENBLAS, BP_KERNELS_NAIVE};
    for (size_t s = 0; s < 2; s++)
        for (size_t n = 1; n <= 2; n++) {
            bp_net *a = create(3, sizes, activations, sets[s], 8);
            bp_net *b = create(3, sizes, activations, sets[s], 8);
            bp_net_reserve(a, 2);
            bp_net_reserve(b, 2);
            float cost_a, cost_b, *pa, *pb, *ga;
            size_t count;
            bp_net_params(a, &pa, &count);
            bp_net_params(b, &pb, NULL);
            bp_net_grads(a, &ga, NULL);
            for (size_t i = 0; i < count; i++)
                ga[i] = (float)i; /* must survive the step */
            cr_assert_eq(bp_net_train_step(a, x, y, n, 0.1f, &cost_a), BP_OK);
            cr_assert_eq(bp_net_gradient(b, x, y, n, &cost_b), BP_OK);
            cr_assert_eq(bp_net_step(b, 0.1f), BP_OK);
            cr_assert_eq(cost_a, cost_b);
            float *gb;
            bp_net_grads(b, &gb, NULL);
            bool moved = false;
            for (size_t i = 0; i < count; i++) {
                cr_assert(fabsf(pa[i] - pb[i]) <= 1e-6f * (fabsf(pb[i]) + 1.0f),
                          "kernels %zu, n %zu, param %zu: %g after train_step, %g after "
                          "gradient and step",
                          s, n, i, (double)pa[i], (double)pb[i]);
                cr_assert_eq(ga[i], (float)i, "the gradient block changed at %zu", i);
                moved |= gb[i] != 0.0f;
            }
            cr_assert(moved, "the step had no gradient to take");
            bp_net_destroy(a);
            bp_net_destroy(b);
        }
}

/* Writing the block through the pointer changes what the network computes. */
Test(params, writing_the_block_changes_the_network) {
    const bp_activation sig[] = {BP_ACT_SIGMOID, BP_ACT_SIGMOID, BP_ACT_SIGMOID};
    bp_net *net = create(3, sizes, sig, BP_KERNELS_OPENBLAS, 4);
    float *params;
    size_t count;
    bp_net_params(net, &params, &count);
    memset(params, 0, count * sizeof *params);
    const float x[5] = {9, 8, 7, 6, 5};
    const float *out;
    cr_assert_eq(bp_net_forward(net, x, 1, &out), BP_OK);
    for (int j = 0; j < 4; j++)
        cr_assert_float_eq(out[j], 0.5f, 1e-7f, "sigmoid(0) expected at output %d", j);
    bp_net_destroy(net);
}

/* Reserve replaces only the workspace: parameters, gradients and results stay. */
Test(params, reserve_keeps_parameters_and_results) {
    bp_net *net = create(3, sizes, activations, BP_KERNELS_OPENBLAS, 6);
    cr_assert_eq(bp_net_max_batch(net), 1, "a new network holds one example");
    const float x[5] = {0.5f, 0.1f, -0.3f, 0.8f, -0.9f}, y[4] = {0, 0, 1, 1};
    float cost_before, cost_after;
    cr_assert_eq(bp_net_gradient(net, x, y, 1, &cost_before), BP_OK);
    float *params, *grads;
    size_t count;
    bp_net_params(net, &params, &count);
    bp_net_grads(net, &grads, NULL);
    float p[30], g[30];
    memcpy(p, params, sizeof p);
    memcpy(g, grads, sizeof g);
    const size_t small = bp_net_memory_bytes(net);

    cr_assert_eq(bp_net_reserve(net, 1000), BP_OK);
    cr_assert_eq(bp_net_max_batch(net), 1000);
    cr_assert_eq(memcmp(p, params, sizeof p), 0);
    cr_assert_eq(memcmp(g, grads, sizeof g), 0);
    /* Workspace: each layer's outputs and two widest deltas per example. */
    const size_t per_example = (3 + 1 + 4 + 2 * 4) * sizeof(float);
    const size_t blocks = 2 * count * sizeof(float); /* parameters and gradients */
    cr_assert_geq(small, blocks + per_example);
    /* Bookkeeping and alignment padding stay under a few KiB. */
    cr_assert_geq(bp_net_memory_bytes(net), blocks + 1000 * per_example);
    cr_assert_leq(bp_net_memory_bytes(net), blocks + 1000 * per_example + 4096);

    cr_assert_eq(bp_net_gradient(net, x, y, 1, &cost_after), BP_OK);
    cr_assert_eq(cost_before, cost_after);
    cr_assert_eq(memcmp(g, grads, sizeof g), 0);
    cr_assert_eq(bp_net_reserve(net, 2), BP_OK, "shrinking works too");
    cr_assert_leq(bp_net_memory_bytes(net), blocks + 2 * per_example + 4096);
    bp_net_destroy(net);
}
