/*
 * test_determinism.c - the same seed, kernel set and OpenBLAS thread count
 * give bitwise-identical weights after training, on both kernel sets and
 * with 1 and 2 OpenBLAS threads (each compared with itself).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

/* Wide enough that OpenBLAS splits its products over 2 threads: it stays on
 * one below about 2^18 multiply-adds per sgemm, and 32 x 256 x 160 is over. */
#define FEATURES 160
#define HIDDEN 256
#define CLASSES 10
#define EXAMPLES 256

static bp_dataset make_data(void) {
    bp_dataset d = {.count = EXAMPLES, .features = FEATURES, .classes = CLASSES};
    d.inputs = ref_alloc((size_t)EXAMPLES * FEATURES, sizeof(float));
    d.labels = ref_alloc(EXAMPLES, sizeof(uint32_t));
    ref_rng rng = {42};
    for (size_t i = 0; i < EXAMPLES; i++) {
        d.labels[i] = (uint32_t)(ref_rng_next(&rng) % CLASSES);
        for (size_t f = 0; f < FEATURES; f++)
            d.inputs[i * FEATURES + f] = (float)ref_rng_uniform(&rng, -1.0, 1.0) +
                                         (f % CLASSES == d.labels[i] ? 0.5f : 0.0f);
    }
    return d;
}

/* Trains a fresh network from seed 7 and returns a copy of its weights. */
static float *train_once(bp_kernels kernels, const bp_dataset *data, size_t *count) {
    const size_t sizes[] = {FEATURES, HIDDEN, HIDDEN, CLASSES};
    const bp_activation acts[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 3, sizes, acts, kernels, 7), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_OK);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK);
    bp_train_options options = {.epochs = 2, .batch_size = 32, .seed = 3};
    float *params;
    cr_assert_eq(bp_net_params(net, &params, count), BP_OK);
    float *copy = ref_alloc(*count, sizeof *copy);
    memcpy(copy, params, *count * sizeof *copy);
    cr_assert_eq(bp_train(net, opt, data, NULL, &options), BP_OK, "%s", bp_errmsg());
    /* Equal runs prove nothing if training left the seed's weights. */
    size_t moved = 0;
    for (size_t i = 0; i < *count; i++)
        moved += params[i] != copy[i];
    cr_assert_gt(moved, *count / 2, "training moved only %zu of %zu weights", moved, *count);
    memcpy(copy, params, *count * sizeof *copy);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    return copy;
}

/* Two runs under the same settings; returns the first run's weights. */
static float *same_twice(bp_kernels kernels, int blas_threads, size_t *count) {
    cr_assert_eq(bp_blas_set_threads(blas_threads), BP_OK);
    cr_assert_eq(bp_blas_threads(), blas_threads);
    bp_dataset data = make_data();
    size_t n1, n2;
    float *first = train_once(kernels, &data, &n1);
    float *second = train_once(kernels, &data, &n2);
    cr_assert_eq(n1, n2);
    size_t differ = 0;
    for (size_t i = 0; i < n1; i++)
        differ += memcmp(&first[i], &second[i], sizeof(float)) != 0;
    cr_assert_eq(differ, 0, "%s kernels, %d BLAS threads: %zu of %zu weights differ",
                 kernels == BP_KERNELS_NAIVE ? "naive" : "OpenBLAS", blas_threads, differ, n1);
    free(second);
    free(data.inputs);
    free(data.labels);
    *count = n1;
    return first;
}

Test(determinism, openblas_one_thread) {
    size_t n;
    free(same_twice(BP_KERNELS_OPENBLAS, 1, &n));
}

Test(determinism, openblas_two_threads) {
    size_t n;
    free(same_twice(BP_KERNELS_OPENBLAS, 2, &n));
}

/* The naive loops never call OpenBLAS, so its thread count cannot matter. */
Test(determinism, naive_any_thread_count) {
    size_t n1, n2;
    float *one = same_twice(BP_KERNELS_NAIVE, 1, &n1);
    float *two = same_twice(BP_KERNELS_NAIVE, 2, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(one, two, n1 * sizeof(float)), 0);
    free(one);
    free(two);
}

/* 1 and 2 OpenBLAS threads may split the sums differently, so the weights
 * may differ in the last bits: not a failure, only logged, and close. The
 * bound: a sum of K <= 256 products split differently rounds differently by
 * at most K u sum|x w| (u = 2^-24), 1.5e-5 of the gradient's scale (<= 1
 * here); the 16 steps (2 epochs of 8 batches) of rate 0.01 apply it with a
 * momentum gain of at most 1 / (1 - 0.9) = 10: 16 x 0.01 x 10 x 1.5e-5 =
 * 2.4e-5 to first order. 1e-4 leaves room for the passes' propagation.
 * Measured: 7.5e-9 under Haswell's kernels, 0 under others. */
Test(determinism, openblas_one_vs_two_threads_close) {
    size_t n1, n2;
    float *one = same_twice(BP_KERNELS_OPENBLAS, 1, &n1);
    float *two = same_twice(BP_KERNELS_OPENBLAS, 2, &n2);
    size_t differ = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n1; i++) {
        differ += memcmp(&one[i], &two[i], sizeof(float)) != 0;
        worst = fmax(worst, fabs((double)one[i] - (double)two[i]));
    }
    cr_log_info("1 vs 2 OpenBLAS threads: %zu of %zu weights differ, by at most %g", differ, n1,
                worst);
    cr_assert_lt(worst, 1e-4, "1 and 2 threads should differ only by rounding");
    free(one);
    free(two);
}
