/*
 * test_batch.c - the batch gradient is the mean of the per-example gradients,
 * and the batch cost the mean of the per-example costs.
 *
 * The batch runs the batched path (sgemm on OpenBLAS); each example alone runs
 * the n = 1 path (sgemv/sger on OpenBLAS). The mean is taken in double here.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

/* The batch's sgemm and the examples' sgemv and sger round sums of up to 33
 * products (and the batch's sum over its examples) in other orders: about
 * sqrt(K) u, 1e-6 of the gradient's scale, at these sizes; 1e-5 of the
 * scale is ten times that, and a gradient not divided by n is off by n. */
#define TOL 1e-5
/* The two paths round z differently; keep ReLU inputs off the kink. */
#define KINK_MARGIN 1e-5

static const ref_case cases[] = {
    {3, {5, 8, 6, 3}, {BP_ACT_TANH, BP_ACT_LEAKY_RELU, BP_ACT_SIGMOID}},
    {3, {17, 33, 1, 4}, {BP_ACT_RELU, BP_ACT_SIGMOID, BP_ACT_IDENTITY}},
    {2, {2, 3, 5}, {BP_ACT_SIGMOID, BP_ACT_TANH}},
};

static void check_batch_mean(const ref_case *c, bp_kernels kernels, size_t n, uint64_t seed) {
    ref_arch arch = REF_CASE_ARCH(c);
    size_t n_params = ref_num_params(&arch);
    size_t n_in = c->sizes[0];
    size_t n_out = c->sizes[c->n_layers];
    char what[160];
    snprintf(what, sizeof what, "%s kernels, %zu layers, batch %zu", bp_kernels_name(kernels),
             c->n_layers, n);

    bp_net *net = NULL;
    int rc = bp_net_create(&net, c->n_layers, c->sizes, c->acts, kernels, seed);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_reserve(net, n);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());

    double *params = ref_alloc(n_params, sizeof *params);
    float *x = ref_alloc(n * n_in, sizeof *x);
    float *y = ref_alloc(n * n_out, sizeof *y);
    float *batch_grads = ref_alloc(n_params, sizeof *batch_grads);
    double *mean_grads = ref_alloc(n_params, sizeof *mean_grads);
    ref_params_from_net(net, &arch, params);
    int found = 0;
    for (uint64_t attempt = 0; attempt < 100 && !found; attempt++) {
        ref_fill_uniform(x, n * n_in, seed * 1000 + attempt, -1.0f, 1.0f);
        found = ref_min_abs_z_at_kinks(&arch, params, x, n) >= KINK_MARGIN;
    }
    cr_assert(found, "%s: no inputs keep z %g away from the kink", what, KINK_MARGIN);
    ref_fill_uniform(y, n * n_out, seed * 1000 + 999, -1.0f, 1.0f);

    float batch_cost = NAN;
    rc = bp_net_gradient(net, x, y, n, &batch_cost);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    float *grads = NULL;
    size_t count = 0;
    rc = bp_net_grads(net, &grads, &count);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(count, n_params, "gradient count %zu, want %zu", count, n_params);
    /* The block is overwritten by the next call: keep a copy. */
    memcpy(batch_grads, grads, n_params * sizeof *grads);

    double cost_sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        float cost = NAN;
        rc = bp_net_gradient(net, x + i * n_in, y + i * n_out, 1, &cost);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cost_sum += cost;
        for (size_t p = 0; p < n_params; p++) {
            mean_grads[p] += grads[p];
        }
    }
    for (size_t p = 0; p < n_params; p++) {
        mean_grads[p] /= (double)n;
    }

    char label[256];
    snprintf(label, sizeof label, "batch cost vs mean of per-example costs, %s", what);
    REF_ASSERT_REL(batch_cost, cost_sum / (double)n, TOL, label);

    ref_diff d = ref_diff_layers_fd(batch_grads, mean_grads, &arch);
    snprintf(label, sizeof label, "batch gradient vs mean of per-example gradients, %s", what);
    cr_assert_gt(ref_diff_fd(batch_grads, mean_grads, n_params).scale, 1e-6,
                 "%s: the gradient is zero", label);
    REF_ASSERT_CLOSE(d, TOL, label);

    free(params);
    free(x);
    free(y);
    free(batch_grads);
    free(mean_grads);
    bp_net_destroy(net);
}

static void check_all(bp_kernels kernels, size_t n) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        check_batch_mean(&cases[c], kernels, n, 300 + 10 * c + n);
    }
}

Test(batch, mean_of_9_openblas) { check_all(BP_KERNELS_OPENBLAS, 9); }

Test(batch, mean_of_9_naive) { check_all(BP_KERNELS_NAIVE, 9); }

Test(batch, mean_of_40_openblas) { check_all(BP_KERNELS_OPENBLAS, 40); }

Test(batch, mean_of_40_naive) { check_all(BP_KERNELS_NAIVE, 40); }

#ifdef BP_TEST_HAVE_BLIS
Test(batch, mean_of_9_blis) { check_all(BP_KERNELS_BLIS, 9); }

Test(batch, mean_of_40_blis) { check_all(BP_KERNELS_BLIS, 40); }
#endif
