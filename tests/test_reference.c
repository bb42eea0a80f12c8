/*
 * test_reference.c - (1) the double-precision reference against central
 * finite differences of its own cost; (2) the library against the reference.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <backprop.h>

#include "reference.h"

static const char *act_name(bp_activation act) {
    switch (act) {
    case BP_ACT_IDENTITY:
        return "identity";
    case BP_ACT_SIGMOID:
        return "sigmoid";
    case BP_ACT_TANH:
        return "tanh";
    case BP_ACT_RELU:
        return "relu";
    case BP_ACT_LEAKY_RELU:
        return "leaky relu";
    case BP_ACT_SOFTMAX:
        return "softmax";
    }
    return "?";
}

/* ------------------------------------------------------------------------ */
/* (1) Reference against finite differences                                  */
/* ------------------------------------------------------------------------ */

typedef struct shape {
    size_t n_layers;
    size_t sizes[REF_MAX_LAYERS + 1];
} shape;

static const shape fd_shapes[] = {
    {2, {3, 4, 2}},
    {3, {5, 7, 6, 3}},
    {2, {2, 1, 3}},
};

static const size_t fd_batches[] = {1, 4};

/* Central differences in double: truncation ~h^2, rounding ~1e-16 / h, both
 * far below the tolerance, while a wrong formula is off by O(1). */
#define FD_STEP 1e-6
#define FD_TOL 1e-6
/* No z closer than this to a ReLU kink, so that +-FD_STEP never crosses it. */
#define FD_KINK_MARGIN 1e-3

static void check_reference_fd(const ref_arch *a, const char *name, size_t n, uint64_t seed) {
    ref_arch arch = *a;
    size_t n_params = ref_num_params(&arch);
    size_t n_in = arch.sizes[0];
    size_t n_out = arch.sizes[arch.n_layers];
    double *params = ref_alloc(n_params, sizeof *params);
    float *x = ref_alloc(n * n_in, sizeof *x);
    float *y = ref_alloc(n * n_out, sizeof *y);
    double *grads = ref_alloc(n_params, sizeof *grads);
    double *fd = ref_alloc(n_params, sizeof *fd);

    /* Draw until no z is near a kink (only ReLU layers count) and, for ReLU,
     * not every output neuron is dead, which would make the gradient zero.
     * The first draw or two do; a fixed seed keeps the test repeatable. */
    int found = 0;
    for (uint64_t attempt = 0; attempt < 100 && !found; attempt++) {
        uint64_t base = seed * 1000 + attempt * 10;
        ref_fill_uniform_d(params, n_params, base + 1, -1.0, 1.0);
        ref_fill_uniform(x, n * n_in, base + 2, -1.0f, 1.0f);
        ref_fill_uniform(y, n * n_out, base + 3, -1.0f, 1.0f);
        ref_gradient(&arch, params, x, y, n, grads);
        ref_diff zero = ref_diff_dd(grads, fd, n_params); /* fd is still all zero */
        found =
            ref_min_abs_z_at_kinks(&arch, params, x, n) >= FD_KINK_MARGIN && zero.max_abs > 1e-2;
    }
    cr_assert(found, "no draw keeps every z %g away from the kink with a nonzero gradient",
              FD_KINK_MARGIN);

    double cost = ref_gradient(&arch, params, x, y, n, grads);
    REF_ASSERT_REL(cost, ref_cost(&arch, params, x, y, n), 1e-12, "ref_gradient's cost");

    for (size_t p = 0; p < n_params; p++) {
        double saved = params[p];
        params[p] = saved + FD_STEP;
        double plus = ref_cost(&arch, params, x, y, n);
        params[p] = saved - FD_STEP;
        double minus = ref_cost(&arch, params, x, y, n);
        params[p] = saved;
        fd[p] = (plus - minus) / (2.0 * FD_STEP);
    }

    char what[128];
    snprintf(what, sizeof what, "reference vs finite differences, %s, %zu layers, batch %zu", name,
             arch.n_layers, n);
    ref_diff d = ref_diff_layers_dd(grads, fd, &arch);
    /* A gradient that is all zero would make the comparison empty. */
    cr_assert_gt(d.scale, 1e-3, "%s: the gradient is (nearly) zero, scale %g", what, d.scale);
    REF_ASSERT_CLOSE(d, FD_TOL, what);

    free(params);
    free(x);
    free(y);
    free(grads);
    free(fd);
}

/* Every shape and batch with one activation in every layer. */
static void check_reference_fd_all(bp_activation act) {
    bp_activation acts[REF_MAX_LAYERS] = {act, act, act, act, act};
    for (size_t s = 0; s < sizeof fd_shapes / sizeof fd_shapes[0]; s++) {
        ref_arch arch = {fd_shapes[s].n_layers, fd_shapes[s].sizes, acts};
        for (size_t b = 0; b < sizeof fd_batches / sizeof fd_batches[0]; b++) {
            check_reference_fd(&arch, act_name(act), fd_batches[b], 10 * s + b + 1);
        }
    }
}

Test(reference_fd, identity) { check_reference_fd_all(BP_ACT_IDENTITY); }

Test(reference_fd, sigmoid) { check_reference_fd_all(BP_ACT_SIGMOID); }

Test(reference_fd, tanh) { check_reference_fd_all(BP_ACT_TANH); }

Test(reference_fd, relu) { check_reference_fd_all(BP_ACT_RELU); }

Test(reference_fd, leaky_relu) { check_reference_fd_all(BP_ACT_LEAKY_RELU); }

/* A different activation in each layer: sigma' must be the layer's own. */
Test(reference_fd, mixed_activations) {
    static const size_t sizes_a[] = {4, 6, 5, 3};
    static const bp_activation acts_a[] = {BP_ACT_SIGMOID, BP_ACT_LEAKY_RELU, BP_ACT_TANH};
    static const size_t sizes_b[] = {3, 5, 4, 6, 2};
    static const bp_activation acts_b[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_IDENTITY,
                                           BP_ACT_SIGMOID};
    const ref_arch a = {3, sizes_a, acts_a};
    const ref_arch b = {4, sizes_b, acts_b};
    for (size_t i = 0; i < sizeof fd_batches / sizeof fd_batches[0]; i++) {
        check_reference_fd(&a, "mixed", fd_batches[i], 71 + i);
        check_reference_fd(&b, "mixed", fd_batches[i], 81 + i);
    }
}

/* ------------------------------------------------------------------------ */
/* (2) Library against the reference                                         */
/* ------------------------------------------------------------------------ */

/* Several layers of several neurons, mixed activations, non-square weights
 * (so that a transposed W shows), and one 1-neuron bottleneck. */
static const ref_case ref_cases[] = {
    {3, {6, 9, 7, 4}, {BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SIGMOID}},
    {4, {4, 8, 8, 8, 3}, {BP_ACT_LEAKY_RELU, BP_ACT_SIGMOID, BP_ACT_TANH, BP_ACT_IDENTITY}},
    {4, {10, 16, 5, 12, 2}, {BP_ACT_RELU, BP_ACT_LEAKY_RELU, BP_ACT_IDENTITY, BP_ACT_TANH}},
    {5,
     {3, 5, 1, 6, 7, 5},
     {BP_ACT_SIGMOID, BP_ACT_TANH, BP_ACT_LEAKY_RELU, BP_ACT_RELU, BP_ACT_SIGMOID}},
};

/* Batch 1 after a larger one: a path that accumulates into the gradient block
 * instead of overwriting it shows. */
static const size_t lib_batches[] = {5, 1, 32};
#define LIB_MAX_BATCH 32

#define LIB_GRAD_TOL 1e-4
#define LIB_COST_TOL 1e-5
#define LIB_OUT_TOL 1e-5
/* Float z is within ~1e-6 of the double z; keep ReLU inputs farther away
 * from the kink than that, or float and double may take different sides. */
#define LIB_KINK_MARGIN 1e-4

static void check_library(const ref_case *c, bp_kernels kernels, int rewrite, uint64_t seed) {
    ref_arch arch = REF_CASE_ARCH(c);
    size_t n_params = ref_num_params(&arch);
    size_t n_in = c->sizes[0];
    size_t n_out = c->sizes[c->n_layers];

    bp_net *net = NULL;
    int rc = bp_net_create(&net, c->n_layers, c->sizes, c->acts, kernels, seed);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_reserve(net, LIB_MAX_BATCH);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());

    float *flat = NULL;
    size_t count = 0;
    rc = bp_net_params(net, &flat, &count);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(count, n_params, "parameter count %zu, want %zu", count, n_params);
    if (rewrite) {
        /* Larger than the initialization's 1/sqrt(n), to reach the
         * activations' curved parts. */
        ref_fill_uniform(flat, count, seed + 7, -0.9f, 0.9f);
    }

    double *params = ref_alloc(n_params, sizeof *params);
    double *want_grads = ref_alloc(n_params, sizeof *want_grads);
    double *got_grads = ref_alloc(n_params, sizeof *got_grads);
    double *want_out = ref_alloc(LIB_MAX_BATCH * n_out, sizeof *want_out);
    float *x = ref_alloc(LIB_MAX_BATCH * n_in, sizeof *x);
    float *y = ref_alloc(LIB_MAX_BATCH * n_out, sizeof *y);
    ref_params_from_net(net, &arch, params);

    for (size_t b = 0; b < sizeof lib_batches / sizeof lib_batches[0]; b++) {
        size_t n = lib_batches[b];
        char what[160];
        snprintf(what, sizeof what, "%s kernels, %zu layers, %s parameters, batch %zu",
                 bp_kernels_name(kernels), c->n_layers, rewrite ? "rewritten" : "initial", n);

        int found = 0;
        for (uint64_t attempt = 0; attempt < 100 && !found; attempt++) {
            ref_fill_uniform(x, n * n_in, seed * 100 + attempt * 2 + n, -1.0f, 1.0f);
            found = ref_min_abs_z_at_kinks(&arch, params, x, n) >= LIB_KINK_MARGIN;
        }
        cr_assert(found, "%s: no inputs keep z %g away from the kink", what, LIB_KINK_MARGIN);
        ref_fill_uniform(y, n * n_out, seed * 100 + 99 + n, -1.0f, 1.0f);

        /* Forward outputs. */
        const float *out = NULL;
        rc = bp_net_forward(net, x, n, &out);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cr_assert_not_null(out, "%s: bp_net_forward gave no outputs", what);
        ref_forward(&arch, params, x, n, want_out);
        ref_diff d = ref_diff_fd(out, want_out, n * n_out);
        char label[256];
        snprintf(label, sizeof label, "forward outputs, %s", what);
        REF_ASSERT_CLOSE(d, LIB_OUT_TOL, label);

        /* Cost and every dC/dw_jk, dC/db_j. */
        float cost = NAN;
        rc = bp_net_gradient(net, x, y, n, &cost);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        double want_cost = ref_gradient(&arch, params, x, y, n, want_grads);
        snprintf(label, sizeof label, "cost, %s", what);
        REF_ASSERT_REL(cost, want_cost, LIB_COST_TOL, label);

        ref_grads_from_net(net, &arch, got_grads);
        d = ref_diff_layers_dd(got_grads, want_grads, &arch);
        snprintf(label, sizeof label, "gradient via bp_net_layer, %s", what);
        REF_ASSERT_CLOSE(d, LIB_GRAD_TOL, label);

        /* The flat gradient block must hold the same, in the documented layout. */
        float *gblock = NULL;
        size_t gcount = 0;
        rc = bp_net_grads(net, &gblock, &gcount);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cr_assert_eq(gcount, n_params, "gradient count %zu, want %zu", gcount, n_params);
        d = ref_diff_layers_fd(gblock, want_grads, &arch);
        snprintf(label, sizeof label, "gradient via bp_net_grads, %s", what);
        REF_ASSERT_CLOSE(d, LIB_GRAD_TOL, label);
    }

    free(params);
    free(want_grads);
    free(got_grads);
    free(want_out);
    free(x);
    free(y);
    bp_net_destroy(net);
}

static void check_library_all(bp_kernels kernels, int rewrite) {
    for (size_t c = 0; c < sizeof ref_cases / sizeof ref_cases[0]; c++) {
        check_library(&ref_cases[c], kernels, rewrite, 1000 + 17 * c + (uint64_t)rewrite);
    }
}

Test(library_vs_reference, initial_params_openblas) { check_library_all(BP_KERNELS_OPENBLAS, 0); }

Test(library_vs_reference, initial_params_naive) { check_library_all(BP_KERNELS_NAIVE, 0); }

Test(library_vs_reference, rewritten_params_openblas) { check_library_all(BP_KERNELS_OPENBLAS, 1); }

Test(library_vs_reference, rewritten_params_naive) { check_library_all(BP_KERNELS_NAIVE, 1); }

#ifdef BP_TEST_HAVE_BLIS
Test(library_vs_reference, initial_params_blis) { check_library_all(BP_KERNELS_BLIS, 0); }

Test(library_vs_reference, rewritten_params_blis) { check_library_all(BP_KERNELS_BLIS, 1); }
#endif
