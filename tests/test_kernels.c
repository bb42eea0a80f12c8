/*
 * test_kernels.c - the OpenBLAS and BLIS kernels against the naive ones.
 *
 * Two networks with the same sizes, activations and seed (hence the same
 * parameters), one per kernel set, must give the same outputs, cost,
 * gradient and step, up to float rounding. Batch 1 takes the sgemv/sger
 * path, larger batches the sgemm path. The BLIS set is compared whenever
 * the build has it (BP_TEST_HAVE_BLIS, from tests/meson.build): there it
 * must also be available, or the test fails.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <backprop.h>

#include "reference.h"

#define MAX_LAYERS 4
#define MAX_BATCH 64
/* OpenBLAS against the naive loops, relative to the largest element: both
 * round sums of K <= 257 products in their own order. The worst case, K u
 * sum|x w| (u = 2^-24), is 1.5e-5 at K = 257, but sums of products of random
 * signs err like sqrt(K) u, about 1e-6 of the scale; 1e-5 is ten times that,
 * and a wrong index, transpose or missing term is off by O(1). */
#define TOL 1e-5
/* Keep ReLU inputs well away from the kink: the two kernel sets round z
 * differently (by ~1e-6 at these widths) and could take different sides. */
#define KINK_MARGIN 1e-5

typedef struct shape {
    size_t n_layers;
    size_t sizes[MAX_LAYERS + 1];
} shape;

/* Widths 1, 3, 17 and 257 (not multiples of any SIMD width) as inputs,
 * hidden layers and outputs. */
static const shape shapes[] = {
    {3, {17, 257, 3, 1}},
    {2, {257, 17, 1}},
    {2, {1, 3, 17}},
    {3, {3, 1, 257, 17}},
};

/* Batch 1 after a larger one: a path that accumulates into the gradient block
 * instead of overwriting it shows. */
static const size_t batches[] = {7, 1, MAX_BATCH};

/* The BLAS kernel sets this build must have, each compared with the naive
 * loops in every test. */
static const bp_kernels blas_sets[] = {
    BP_KERNELS_OPENBLAS,
#ifdef BP_TEST_HAVE_BLIS
    BP_KERNELS_BLIS,
#endif
};
#define N_BLAS_SETS (sizeof blas_sets / sizeof blas_sets[0])

static bp_net *make_net(const ref_arch *arch, bp_kernels kernels, uint64_t seed) {
    bp_net *net = NULL;
    int rc = bp_net_create(&net, arch->n_layers, arch->sizes, arch->acts, kernels, seed);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_not_null(net, "bp_net_create returned BP_OK and no network");
    rc = bp_net_reserve(net, MAX_BATCH);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    return net;
}

/* Both networks' parameter blocks, asserted bitwise equal. */
static void same_params(bp_net *blas, bp_net *naive, const ref_arch *arch, float **pb, float **pn) {
    size_t cb = 0, cn = 0;
    int rc = bp_net_params(blas, pb, &cb);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_params(naive, pn, &cn);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(cb, ref_num_params(arch), "OpenBLAS network: %zu parameters, want %zu", cb,
                 ref_num_params(arch));
    cr_assert_eq(cn, cb, "naive network: %zu parameters, OpenBLAS %zu", cn, cb);
    cr_assert_eq(memcmp(*pb, *pn, cb * sizeof **pb), 0,
                 "same seed and sizes, different parameters for the two kernel sets");
}

/* Inputs and targets for a batch of n, drawn so that no ReLU neuron's z is
 * near its kink and the gradient is not zero (as when a ReLU output is dead
 * for every example), which would make the comparison vacuous. */
static void draw_batch(const ref_arch *arch, const double *params, size_t n, uint64_t seed,
                       float *x, float *y) {
    size_t n_in = arch->sizes[0];
    size_t n_params = ref_num_params(arch);
    double *grads = ref_alloc(n_params, sizeof *grads);
    double *zero = ref_alloc(n_params, sizeof *zero);
    int found = 0;
    for (uint64_t attempt = 0; attempt < 100 && !found; attempt++) {
        ref_fill_uniform(x, n * n_in, seed + 1000 * attempt, -1.0f, 1.0f);
        ref_fill_uniform(y, n * arch->sizes[arch->n_layers], seed + 1000 * attempt + 1, -1.0f,
                         1.0f);
        ref_gradient(arch, params, x, y, n, grads);
        found = ref_min_abs_z_at_kinks(arch, params, x, n) >= KINK_MARGIN &&
                ref_diff_dd(grads, zero, n_params).max_abs > 1e-3;
    }
    cr_assert(found, "no inputs keep z %g away from the kink with a nonzero gradient", KINK_MARGIN);
    free(grads);
    free(zero);
}

static void compare_kernels(const ref_arch *arch, uint64_t seed, bp_kernels set) {
    const char *set_name = bp_kernels_name(set);
    size_t n_params = ref_num_params(arch);
    size_t n_in = arch->sizes[0];
    size_t n_out = arch->sizes[arch->n_layers];
    bp_net *blas = make_net(arch, set, seed);
    bp_net *naive = make_net(arch, BP_KERNELS_NAIVE, seed);
    float *pb = NULL, *pn = NULL;
    same_params(blas, naive, arch, &pb, &pn);

    double *params = ref_alloc(n_params, sizeof *params);
    float *x = ref_alloc(MAX_BATCH * n_in, sizeof *x);
    float *y = ref_alloc(MAX_BATCH * n_out, sizeof *y);
    ref_params_from_net(blas, arch, params);

    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        size_t n = batches[b];
        char what[160];
        snprintf(what, sizeof what, "%s: %zu layers, %zu inputs, %zu outputs, batch %zu", set_name,
                 arch->n_layers, n_in, n_out, n);
        draw_batch(arch, params, n, seed * 100 + n, x, y);

        const float *ob = NULL, *on = NULL;
        int rc = bp_net_forward(blas, x, n, &ob);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        rc = bp_net_forward(naive, x, n, &on);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cr_assert(ob != NULL && on != NULL, "%s: bp_net_forward gave no outputs", what);
        /* With one output and one example the scale is a single value, which
         * cancellation can make tiny (0.006 for one seed here) while the
         * rounding stays that of the O(1) terms summed: floor the scale at 1. */
        ref_diff d = ref_diff_ff(ob, on, n * n_out);
        d.scale = fmax(d.scale, 1.0);
        char label[256];
        snprintf(label, sizeof label, "outputs, BLAS vs naive, %s", what);
        REF_ASSERT_CLOSE(d, TOL, label);

        float cb = NAN, cn = NAN;
        rc = bp_net_gradient(blas, x, y, n, &cb);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        rc = bp_net_gradient(naive, x, y, n, &cn);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        /* Likewise (a - y)^2 for a close to y: floor the cost's scale at 1. */
        d = ref_diff_ff(&cb, &cn, 1);
        d.scale = fmax(d.scale, 1.0);
        snprintf(label, sizeof label, "cost, BLAS vs naive, %s", what);
        REF_ASSERT_CLOSE(d, TOL, label);

        float *gb = NULL, *gn = NULL;
        rc = bp_net_grads(blas, &gb, NULL);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        rc = bp_net_grads(naive, &gn, NULL);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        d = ref_diff_layers_ff(gb, gn, arch);
        snprintf(label, sizeof label, "gradient, BLAS vs naive, %s", what);
        /* An all-zero gradient on both sides would compare equal vacuously. */
        cr_assert_gt(ref_diff_ff(gb, gn, n_params).scale, 1e-6, "%s: the gradient is zero", label);
        REF_ASSERT_CLOSE(d, TOL, label);
    }

    free(params);
    free(x);
    free(y);
    bp_net_destroy(blas);
    bp_net_destroy(naive);
}

/* Every shape with one activation in every layer. */
static void compare_all_shapes(bp_activation act) {
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        bp_activation acts[MAX_LAYERS];
        for (size_t l = 0; l < shapes[s].n_layers; l++) {
            acts[l] = act;
        }
        ref_arch arch = {shapes[s].n_layers, shapes[s].sizes, acts};
        for (size_t k = 0; k < N_BLAS_SETS; k++)
            compare_kernels(&arch, 31 * (uint64_t)act + s + 1, blas_sets[k]);
    }
}

Test(kernels, identity) { compare_all_shapes(BP_ACT_IDENTITY); }

Test(kernels, sigmoid) { compare_all_shapes(BP_ACT_SIGMOID); }

Test(kernels, tanh) { compare_all_shapes(BP_ACT_TANH); }

Test(kernels, relu) { compare_all_shapes(BP_ACT_RELU); }

Test(kernels, leaky_relu) { compare_all_shapes(BP_ACT_LEAKY_RELU); }

/* Every shape with a different activation in each layer. */
Test(kernels, mixed_activations) {
    static const bp_activation mixes[][MAX_LAYERS] = {
        {BP_ACT_TANH, BP_ACT_LEAKY_RELU, BP_ACT_SIGMOID},
        {BP_ACT_RELU, BP_ACT_IDENTITY},
        {BP_ACT_SIGMOID, BP_ACT_TANH},
        {BP_ACT_LEAKY_RELU, BP_ACT_TANH, BP_ACT_RELU},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        ref_arch arch = {shapes[s].n_layers, shapes[s].sizes, mixes[s]};
        for (size_t k = 0; k < N_BLAS_SETS; k++)
            compare_kernels(&arch, 500 + s, blas_sets[k]);
    }
}

/* One bp_net_step after a batch gradient: both networks must move to the
 * same parameters, and those must be theta - lr * gradient. */
static void check_step(bp_kernels set) {
    static const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID, BP_ACT_LEAKY_RELU};
    const float lr = 0.25f;
    ref_arch arch = {3, shapes[0].sizes, acts};
    size_t n_params = ref_num_params(&arch);
    size_t n = 7;
    bp_net *blas = make_net(&arch, set, 77);
    bp_net *naive = make_net(&arch, BP_KERNELS_NAIVE, 77);
    float *pb = NULL, *pn = NULL;
    same_params(blas, naive, &arch, &pb, &pn);

    double *params = ref_alloc(n_params, sizeof *params);
    double *want = ref_alloc(n_params, sizeof *want);
    float *x = ref_alloc(n * arch.sizes[0], sizeof *x);
    float *y = ref_alloc(n * arch.sizes[3], sizeof *y);
    ref_params_from_net(blas, &arch, params);
    draw_batch(&arch, params, n, 4242, x, y);

    int rc = bp_net_gradient(blas, x, y, n, NULL);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_gradient(naive, x, y, n, NULL);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    float *gb = NULL;
    rc = bp_net_grads(blas, &gb, NULL);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    for (size_t i = 0; i < n_params; i++) {
        want[i] = (double)pb[i] - (double)lr * (double)gb[i];
    }

    rc = bp_net_step(blas, lr);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_step(naive, lr);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());

    ref_diff d = ref_diff_layers_ff(pb, pn, &arch);
    char label[160];
    snprintf(label, sizeof label, "parameters after one step, %s vs naive", bp_kernels_name(set));
    REF_ASSERT_CLOSE(d, TOL, label);
    d = ref_diff_layers_fd(pb, want, &arch);
    snprintf(label, sizeof label, "parameters after one step, %s vs theta - lr * gradient",
             bp_kernels_name(set));
    REF_ASSERT_CLOSE(d, 1e-6, label);
    /* The step must have moved something, or both could be unchanged. */
    d = ref_diff_fd(pb, params, n_params);
    cr_assert_gt(d.max_abs, 1e-4, "one step with learning rate %g changed no parameter",
                 (double)lr);

    free(params);
    free(want);
    free(x);
    free(y);
    bp_net_destroy(blas);
    bp_net_destroy(naive);
}

Test(kernels, step) {
    for (size_t k = 0; k < N_BLAS_SETS; k++)
        check_step(blas_sets[k]);
}

/* The BLIS set is there in a build with BLIS, and refused cleanly without. */
Test(kernels, blis_availability) {
    bp_net *net = NULL;
    const size_t sizes[] = {3, 2};
    const bp_activation act[] = {BP_ACT_IDENTITY};
    const int rc = bp_net_create(&net, 1, sizes, act, BP_KERNELS_BLIS, 1);
#ifdef BP_TEST_HAVE_BLIS
    cr_assert_eq(bp_kernels_available(BP_KERNELS_BLIS), 1, "built with BLIS, but not available");
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_kernels(net), BP_KERNELS_BLIS);
    cr_assert_str_neq(bp_kernels_core(BP_KERNELS_BLIS), "unavailable");
#else
    cr_assert_eq(bp_kernels_available(BP_KERNELS_BLIS), 0);
    cr_assert_eq(rc, BP_ENOTSUP, "bp_net_create gave %d for an unavailable set", rc);
    cr_assert_null(net);
    cr_assert_str_eq(bp_kernels_core(BP_KERNELS_BLIS), "unavailable");
#endif
    cr_assert_eq(bp_kernels_available((bp_kernels)3), 0);
    cr_assert_null(bp_kernels_name((bp_kernels)3));
    bp_net_destroy(net);
}

#ifdef BP_TEST_HAVE_BLIS
/* Inputs that end right before a page the process may not read: every
 * kernel set must read only the caller's n x n_0 floats. BLIS 0.9's sgemm
 * reads a row past A in Z = A W^T (kernels_blis.c copies the tail for it);
 * without that this test dies of SIGSEGV, on any sub-configuration that
 * does so (the zen3 and haswell ones: run with BLIS_ARCH_TYPE=6 or 3). */
Test(kernels, blis_reads_only_the_inputs) {
    static const size_t widths[] = {777, 17, 3};
    static const size_t ns[] = {100, 64, 9, 2};
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
            const size_t in = widths[wi], n = ns[ni];
            const size_t bytes = n * in * sizeof(float);
            const size_t pages = (bytes + page - 1) / page + 1;
            char *map = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            cr_assert_neq(map, MAP_FAILED);
            cr_assert_eq(mprotect(map + (pages - 1) * page, page, PROT_NONE), 0);
            float *x = (float *)(map + (pages - 1) * page - bytes); /* ends at the guard */
            for (size_t i = 0; i < n * in; i++)
                x[i] = (float)(i % 11) / 11.0f;
            const size_t sizes[] = {in, 333, 17};
            const bp_activation acts[] = {BP_ACT_SIGMOID, BP_ACT_SIGMOID};
            bp_net *net = NULL;
            cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_BLIS, 3), BP_OK);
            cr_assert_eq(bp_net_reserve(net, n), BP_OK);
            float y[100 * 17] = {0};
            const float *out = NULL;
            /* Repeated, on 1 and 2 threads: the read past A did not come
             * with every call (the threads' split of the rows?). */
            for (int repeat = 0; repeat < 40; repeat++) {
                cr_assert_eq(bp_blas_set_threads(1 + repeat % 2), BP_OK);
                cr_assert_eq(bp_net_forward(net, x, n, &out), BP_OK, "%s", bp_errmsg());
                cr_assert_eq(bp_net_train_step(net, x, y, n, 0.01f, NULL), BP_OK, "%s",
                             bp_errmsg());
            }
            bp_net_destroy(net);
            munmap(map, pages * page);
        }
}
#endif
