/*
 * test_invariant.c - BP_INFERENCE_INVARIANT: a row's outputs are the same
 * bits alone, in every batch size from 2 to 300, and in reverse order; the
 * AVX2 and portable versions of the fixed-order product agree bitwise; the
 * product is within its rounding bound of a double reference; and training
 * does not see the mode.
 *
 * Bitwise here is the claim itself (one process, and a product whose order
 * of operations depends on nothing but the row and the weights), not a
 * comparison across kernels. Linked to the static library for the internal
 * product (src/core/invariant_product.h).
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "core/invariant_product.h"
#include "reference.h"

#define ROWS 300

/* Widths that are and are not multiples of the 8 lanes, and every
 * activation, softmax at the output included. */
static const ref_case cases[] = {
    {3, {13, 37, 11, 10}, {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SOFTMAX}},
    {3, {20, 16, 9, 3}, {BP_ACT_SIGMOID, BP_ACT_LEAKY_RELU, BP_ACT_IDENTITY}},
    {2, {784, 64, 10}, {BP_ACT_RELU, BP_ACT_SOFTMAX}},
};

/* The network of case c, in invariant mode, with room for ROWS examples. */
static bp_net *invariant_net(const ref_case *c, bp_kernels kernels) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, c->n_layers, c->sizes, c->acts, kernels, 7), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_reserve(net, ROWS), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_inference(net, BP_INFERENCE_INVARIANT), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_inference(net), BP_INFERENCE_INVARIANT);
    return net;
}

static void check_rows_invariant(const ref_case *c, bp_kernels kernels) {
    const size_t in = c->sizes[0], out = c->sizes[c->n_layers];
    const char *kind = kernels == BP_KERNELS_OPENBLAS ? "OpenBLAS" : "naive";
    bp_net *net = invariant_net(c, kernels);
    float *x = ref_alloc(ROWS * in, sizeof *x), *reversed = ref_alloc(ROWS * in, sizeof *x);
    float *alone = ref_alloc(ROWS * out, sizeof *alone), *got = ref_alloc(ROWS * out, sizeof *got);
    ref_fill_uniform(x, ROWS * in, 11, -2.0f, 2.0f);
    /* Each row alone: the reference every other batching must match. */
    for (size_t i = 0; i < ROWS; i++)
        cr_assert_eq(bp_net_predict(net, x + i * in, 1, alone + i * out), BP_OK, "%s", bp_errmsg());
    /* Every batch size from 2 to ROWS, the rows cut into consecutive
     * batches (the last one shorter), through bp_net_forward. */
    for (size_t b = 2; b <= ROWS; b++) {
        for (size_t first = 0; first < ROWS; first += b) {
            const size_t n = ROWS - first < b ? ROWS - first : b;
            const float *result;
            cr_assert_eq(bp_net_forward(net, x + first * in, n, &result), BP_OK, "%s", bp_errmsg());
            memcpy(got + first * out, result, n * out * sizeof *got);
        }
        for (size_t i = 0; i < ROWS; i++)
            cr_assert(memcmp(got + i * out, alone + i * out, out * sizeof *got) == 0,
                      "%s, %zu inputs: row %zu in batches of %zu differs from it alone "
                      "(output 0: %.9g against %.9g)",
                      kind, in, i, b, (double)got[i * out], (double)alone[i * out]);
    }
    /* All ROWS in reverse order, in one call. */
    for (size_t i = 0; i < ROWS; i++)
        memcpy(reversed + i * in, x + (ROWS - 1 - i) * in, in * sizeof *x);
    cr_assert_eq(bp_net_predict(net, reversed, ROWS, got), BP_OK, "%s", bp_errmsg());
    for (size_t i = 0; i < ROWS; i++)
        cr_assert(memcmp(got + (ROWS - 1 - i) * out, alone + i * out, out * sizeof *got) == 0,
                  "%s, %zu inputs: row %zu in reverse order differs from it alone", kind, in, i);
    /* bp_net_cost's outputs (the evaluation's path) too, on one batch. */
    float *targets = ref_alloc(ROWS * out, sizeof *targets), cost;
    const float *result;
    cr_assert_eq(bp_net_cost(net, x, targets, ROWS, &cost, &result), BP_OK, "%s", bp_errmsg());
    cr_assert(memcmp(result, alone, ROWS * out * sizeof *alone) == 0,
              "%s: bp_net_cost's outputs differ from the rows alone", kind);
    free(targets);
    free(x);
    free(reversed);
    free(alone);
    free(got);
    bp_net_destroy(net);
}

Test(invariant, rows_alone_in_batches_and_reversed_openblas) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check_rows_invariant(&cases[k], BP_KERNELS_OPENBLAS);
}

Test(invariant, rows_alone_in_batches_and_reversed_naive) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check_rows_invariant(&cases[k], BP_KERNELS_NAIVE);
}

/* The AVX2 tiles (4 x 3, with 4 x 1, 1 x 3 and 1 x 1 at the edges, and the
 * masked last chunk) against the portable loops, bitwise: the same operations
 * in the same order. On a CPU without AVX2 both are the portable loops. */
Test(invariant, vector_and_portable_agree_bitwise) {
    const size_t shapes[][3] = {{1, 1, 1},  {1, 7, 1},  {4, 8, 3},     {5, 9, 4},   {7, 15, 5},
                                {9, 16, 7}, {3, 17, 2}, {13, 784, 10}, {6, 33, 256}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t n = shapes[s][0], in = shapes[s][1], out = shapes[s][2];
        float *x = ref_alloc(n * in, sizeof *x), *w = ref_alloc(out * in, sizeof *w);
        float *fast = ref_alloc(n * out, sizeof *fast), *slow = ref_alloc(n * out, sizeof *slow);
        ref_fill_uniform(x, n * in, 100 + s, -3.0f, 3.0f);
        ref_fill_uniform(w, out * in, 200 + s, -1.0f, 1.0f);
        bp__invariant_dense_forward(n, in, out, x, w, fast);
        bp__invariant_dense_forward_portable(n, in, out, x, w, slow);
        for (size_t e = 0; e < n * out; e++)
            cr_assert(memcmp(&fast[e], &slow[e], sizeof *fast) == 0,
                      "%zu x %zu x %zu, element %zu: %.9g (dispatched) against %.9g (portable)", n,
                      in, out, e, (double)fast[e], (double)slow[e]);
        free(x);
        free(w);
        free(fast);
        free(slow);
    }
}

/* Each element against the exact dot product in double. Every product is
 * rounded once and each of its lane's ceil(in / 8) sums and the three sums of
 * the tree once more, each a relative error of at most u = 2^-24: so
 * |z - exact| <= (ceil(in / 8) + 4) u sum_k |x_k w_k| (to first order; the
 * 1.01 covers the higher terms). */
Test(invariant, within_its_rounding_bound) {
    const size_t n = 5, out = 6;
    for (size_t in = 1; in <= 1000; in += in < 40 ? 1 : 97) {
        float *x = ref_alloc(n * in, sizeof *x), *w = ref_alloc(out * in, sizeof *w);
        float *z = ref_alloc(n * out, sizeof *z);
        ref_fill_uniform(x, n * in, in, -1.0f, 1.0f);
        ref_fill_uniform(w, out * in, in + 1, -1.0f, 1.0f);
        bp__invariant_dense_forward(n, in, out, x, w, z);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < out; j++) {
                double exact = 0.0, magnitude = 0.0;
                for (size_t k = 0; k < in; k++) {
                    exact += (double)x[i * in + k] * (double)w[j * in + k];
                    magnitude += fabs((double)x[i * in + k] * (double)w[j * in + k]);
                }
                const double bound =
                    1.01 * (double)((in + 7) / 8 + 4) * ldexp(1.0, -24) * magnitude;
                cr_assert(fabs((double)z[i * out + j] - exact) <= bound,
                          "in %zu, (%zu, %zu): %.9g against %.9g, bound %g", in, i, j,
                          (double)z[i * out + j], exact, bound);
            }
        free(x);
        free(w);
        free(z);
    }
}

/* Training stays on the kernel set's batch products: the gradient is the
 * same bits with either mode (same process, kernels and shape). */
Test(invariant, training_ignores_the_mode) {
    const ref_case *c = &cases[0];
    const size_t in = c->sizes[0], out = c->sizes[c->n_layers], n = 32;
    bp_net *net = invariant_net(c, BP_KERNELS_OPENBLAS);
    float *x = ref_alloc(n * in, sizeof *x), *y = ref_alloc(n * out, sizeof *y);
    ref_fill_uniform(x, n * in, 3, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++)
        y[i * out + i % out] = 1.0f;
    float cost_invariant, cost_batch, *grads;
    size_t count;
    cr_assert_eq(bp_net_gradient(net, x, y, n, &cost_invariant), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_grads(net, &grads, &count), BP_OK);
    float *first = ref_alloc(count, sizeof *first);
    memcpy(first, grads, count * sizeof *first);
    cr_assert_eq(bp_net_set_inference(net, BP_INFERENCE_BATCH), BP_OK);
    cr_assert_eq(bp_net_gradient(net, x, y, n, &cost_batch), BP_OK, "%s", bp_errmsg());
    cr_assert(memcmp(&cost_invariant, &cost_batch, sizeof cost_batch) == 0);
    cr_assert(memcmp(first, grads, count * sizeof *first) == 0,
              "the gradient depends on the inference mode");
    free(first);
    free(x);
    free(y);
    bp_net_destroy(net);
}

/* The mode is not saved: a loaded network predicts in batch mode. */
Test(invariant, default_and_unknown_modes) {
    const ref_case *c = &cases[1];
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, c->n_layers, c->sizes, c->acts, BP_KERNELS_OPENBLAS, 1),
                 BP_OK);
    cr_assert_eq(bp_net_inference(net), BP_INFERENCE_BATCH);
    cr_assert_eq(bp_net_set_inference(net, BP_INFERENCE_INVARIANT), BP_OK);
    cr_assert_eq(bp_net_set_inference(net, (bp_inference)2), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "bp_net_set_inference") != NULL, "%s", bp_errmsg());
    cr_assert_eq(bp_net_inference(net), BP_INFERENCE_INVARIANT, "a refused mode changed it");
    bp_net_destroy(net);
}
