/* Initializers: uniform as bp_net_create draws it, Xavier's bounds, He's
 * normal statistics, orthogonal rows or columns, determinism, and that every
 * initializer gives a network that trains. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const bp_init all_inits[] = {BP_INIT_UNIFORM, BP_INIT_XAVIER, BP_INIT_HE,
                                    BP_INIT_ORTHOGONAL};
#define N_INITS (sizeof all_inits / sizeof all_inits[0])

static bp_net *make_net(size_t n_layers, const size_t *sizes, uint64_t seed) {
    const bp_activation act[] = {BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SIGMOID, BP_ACT_IDENTITY};
    cr_assert_leq(n_layers, 4);
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, n_layers, sizes, act, BP_KERNELS_OPENBLAS, seed), BP_OK, "%s",
                 bp_errmsg());
    return net;
}

static float *params_of(bp_net *net, size_t *count) {
    float *params;
    cr_assert_eq(bp_net_params(net, &params, count), BP_OK);
    return params;
}

/* Fills the gradient block with non-zero values, for the initializer to clear. */
static void dirty_gradients(bp_net *net) {
    float *grads;
    size_t count;
    bp_net_grads(net, &grads, &count);
    for (size_t i = 0; i < count; i++)
        grads[i] = 1.0f + (float)i;
}

static void assert_gradients_zero(bp_net *net, bp_init init) {
    float *grads;
    size_t count;
    bp_net_grads(net, &grads, &count);
    for (size_t i = 0; i < count; i++)
        cr_assert_eq(grads[i], 0.0f, "init %d left gradient %zu at %g", (int)init, i, grads[i]);
}

static void assert_biases_zero(bp_net *net, bp_init init) {
    for (size_t l = 0; l < bp_net_num_layers(net); l++) {
        bp_layer layer;
        bp_net_layer(net, l, &layer);
        for (size_t j = 0; j < layer.outputs; j++)
            cr_assert_eq(layer.bias[j], 0.0f, "init %d: bias %zu of layer %zu", (int)init, j, l);
    }
}

static const size_t shape[] = {6, 9, 4, 7, 3};

Test(init, uniform_is_what_create_draws) {
    bp_net *created = make_net(4, shape, 42);
    bp_net *redrawn = make_net(4, shape, 7);
    dirty_gradients(redrawn);
    cr_assert_eq(bp_net_initialize(redrawn, BP_INIT_UNIFORM, 42), BP_OK, "%s", bp_errmsg());
    size_t count;
    const float *a = params_of(created, &count), *b = params_of(redrawn, NULL);
    cr_assert_eq(memcmp(a, b, count * sizeof *a), 0, "uniform with seed 42 differs from create's");
    assert_gradients_zero(redrawn, BP_INIT_UNIFORM);
    bp_net_destroy(created);
    bp_net_destroy(redrawn);
}

Test(init, same_seed_same_parameters_other_seed_others) {
    for (size_t k = 0; k < N_INITS; k++) {
        bp_net *a = make_net(4, shape, 1), *b = make_net(4, shape, 2), *c = make_net(4, shape, 3);
        cr_assert_eq(bp_net_initialize(a, all_inits[k], 11), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(bp_net_initialize(b, all_inits[k], 11), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(bp_net_initialize(c, all_inits[k], 12), BP_OK, "%s", bp_errmsg());
        size_t count;
        const float *pa = params_of(a, &count), *pb = params_of(b, NULL);
        cr_assert_eq(memcmp(pa, pb, count * sizeof *pa), 0, "init %d: same seed differs",
                     (int)all_inits[k]);
        size_t equal_weights = 0, weights = 0;
        for (size_t l = 0; l < 4; l++) {
            bp_layer la, lc;
            bp_net_layer(a, l, &la);
            bp_net_layer(c, l, &lc);
            for (size_t i = 0; i < la.inputs * la.outputs; i++)
                equal_weights += la.weights[i] == lc.weights[i];
            weights += la.inputs * la.outputs;
        }
        cr_assert_lt(equal_weights, 3, "init %d: seeds 11 and 12 share %zu of %zu weights",
                     (int)all_inits[k], equal_weights, weights);
        /* Initializing from seed 11 again, over seed 12's numbers, gives
         * seed 11's again: they depend on the seed alone. */
        cr_assert_eq(bp_net_initialize(a, all_inits[k], 12), BP_OK);
        cr_assert_neq(memcmp(pa, pb, count * sizeof *pa), 0, "init %d: seed 12 is seed 11",
                      (int)all_inits[k]);
        cr_assert_eq(bp_net_initialize(a, all_inits[k], 11), BP_OK);
        cr_assert_eq(memcmp(pa, pb, count * sizeof *pa), 0, "init %d: seed 11 again differs",
                     (int)all_inits[k]);
        bp_net_destroy(a);
        bp_net_destroy(b);
        bp_net_destroy(c);
    }
}

Test(init, every_init_zeroes_the_gradients) {
    for (size_t k = 0; k < N_INITS; k++) {
        bp_net *net = make_net(4, shape, 1);
        dirty_gradients(net);
        cr_assert_eq(bp_net_initialize(net, all_inits[k], 5), BP_OK, "%s", bp_errmsg());
        assert_gradients_zero(net, all_inits[k]);
        if (all_inits[k] != BP_INIT_UNIFORM)
            assert_biases_zero(net, all_inits[k]);
        bp_net_destroy(net);
    }
}

/* Xavier: every weight in [-a, a], a = sqrt(6 / (fan_in + fan_out)), spread
 * over the interval (variance a^2 / 3); biases 0. */
Test(init, xavier_within_its_bound) {
    const size_t sizes[] = {300, 200, 10};
    bp_net *net = make_net(2, sizes, 1);
    cr_assert_eq(bp_net_initialize(net, BP_INIT_XAVIER, 9), BP_OK, "%s", bp_errmsg());
    for (size_t l = 0; l < 2; l++) {
        bp_layer layer;
        bp_net_layer(net, l, &layer);
        const double a = sqrt(6.0 / (double)(layer.inputs + layer.outputs));
        const size_t n = layer.inputs * layer.outputs;
        double sum_sq = 0, high = 0;
        for (size_t i = 0; i < n; i++) {
            const double w = layer.weights[i];
            cr_assert(fabs(w) <= a * (1 + 1e-6), "layer %zu weight %g outside +-%g", l, w, a);
            sum_sq += w * w;
            high = fabs(w) > high ? fabs(w) : high;
        }
        /* Five standard errors of the variance estimate (fourth moment 1.8 sigma^4). */
        cr_assert_float_eq(sum_sq / (double)n, a * a / 3, 5 * sqrt(0.8 / (double)n) * a * a / 3,
                           "layer %zu", l);
        cr_assert_gt(high, 0.95 * a);
    }
    assert_biases_zero(net, BP_INIT_XAVIER);
    bp_net_destroy(net);
}

/* He: on a 400 -> 500 layer (200 000 draws), the sample mean, variance,
 * kurtosis and the mass within one deviation match N(0, 2 / fan_in) to
 * about six standard errors each; the kurtosis (3 for a normal, 1.8 for a
 * uniform) and the mass within one sigma (0.6827) tell a normal from
 * another distribution of the same variance. */
Test(init, he_is_normal_with_variance_two_over_fan_in) {
    const size_t sizes[] = {400, 500, 3};
    bp_net *net = make_net(2, sizes, 1);
    cr_assert_eq(bp_net_initialize(net, BP_INIT_HE, 2024), BP_OK, "%s", bp_errmsg());
    bp_layer layer;
    bp_net_layer(net, 0, &layer);
    const double n = 400.0 * 500.0, variance = 2.0 / 400.0, sigma = sqrt(variance);
    double sum = 0, sum2 = 0, sum4 = 0, within = 0;
    for (size_t i = 0; i < 400 * 500; i++) {
        const double w = layer.weights[i];
        sum += w;
        sum2 += w * w;
        sum4 += w * w * w * w;
        within += fabs(w) < sigma;
    }
    const double mean = sum / n, var = sum2 / n, kurtosis = sum4 / n / (var * var);
    cr_assert_lt(fabs(mean), 6 * sigma / sqrt(n), "mean %g", mean);
    cr_assert_float_eq(var, variance, 6 * sqrt(2.0 / n) * variance, "variance %g", var);
    cr_assert_float_eq(kurtosis, 3.0, 6 * sqrt(24.0 / n), "kurtosis %g", kurtosis);
    cr_assert_float_eq(within / n, 0.682689, 6 * sqrt(0.2166 / n), "mass within 1 sigma %g",
                       within / n);
    /* The second layer, fan_in 500, has its own deviation. */
    bp_net_layer(net, 1, &layer);
    double sum2b = 0;
    for (size_t i = 0; i < 1500; i++)
        sum2b += (double)layer.weights[i] * layer.weights[i];
    cr_assert_float_eq(sum2b / 1500, 2.0 / 500, 6 * sqrt(2.0 / 1500) * 2.0 / 500);
    assert_biases_zero(net, BP_INIT_HE);
    bp_net_destroy(net);
}

/* The largest |(M M^T - I)_ij| over the rows of the r x c row-major M. */
static double rows_orthonormality_error(const float *m, size_t r, size_t c) {
    double worst = 0;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) {
            double dot = 0;
            for (size_t k = 0; k < c; k++)
                dot += (double)m[i * c + k] * m[j * c + k];
            worst = fmax(worst, fabs(dot - (i == j)));
        }
    return worst;
}

/* The same over the columns: max |(M^T M - I)_ij|. */
static double columns_orthonormality_error(const float *m, size_t r, size_t c) {
    double worst = 0;
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++) {
            double dot = 0;
            for (size_t k = 0; k < r; k++)
                dot += (double)m[k * c + i] * m[k * c + j];
            worst = fmax(worst, fabs(dot - (i == j)));
        }
    return worst;
}

/* Layers 12 -> 5 (W 5 x 12: orthonormal rows), 5 -> 9 (W 9 x 5: orthonormal
 * columns), 9 -> 9 (square: both), 9 -> 1 (a single unit row). */
Test(init, orthogonal_rows_or_columns_are_orthonormal) {
    const size_t sizes[] = {12, 5, 9, 9, 1};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        bp_net *net = make_net(4, sizes, 1);
        cr_assert_eq(bp_net_initialize(net, BP_INIT_ORTHOGONAL, seed), BP_OK, "%s", bp_errmsg());
        for (size_t l = 0; l < 4; l++) {
            bp_layer layer;
            bp_net_layer(net, l, &layer);
            const size_t r = layer.outputs, c = layer.inputs;
            if (r <= c) {
                const double e = rows_orthonormality_error(layer.weights, r, c);
                cr_assert_leq(e, 1e-5, "layer %zu (%zu x %zu): W W^T - I up to %g", l, r, c, e);
            }
            if (r >= c) {
                const double e = columns_orthonormality_error(layer.weights, r, c);
                cr_assert_leq(e, 1e-5, "layer %zu (%zu x %zu): W^T W - I up to %g", l, r, c, e);
            }
            /* Not a trivial answer such as a slice of the identity: most
             * weights are well away from 0 and 1. */
            size_t generic = 0;
            for (size_t i = 0; i < r * c; i++)
                generic += fabsf(layer.weights[i]) > 1e-3f && fabsf(layer.weights[i]) < 0.999f;
            cr_assert_gt(generic, r * c / 2, "layer %zu looks degenerate", l);
        }
        assert_biases_zero(net, BP_INIT_ORTHOGONAL);
        bp_net_destroy(net);
    }
}

/* The sign fix makes Q uniformly distributed, so over many seeds each entry
 * of a square orthogonal W has mean 0. Without it (Householder QR of a
 * Gaussian matrix), R's diagonal tends to one sign and Q's entries, the
 * first column's above all, have a mean far from 0. Over 400 draws of a
 * 3 x 3 W, each entry (variance 1/3) must average within six standard errors. */
Test(init, orthogonal_is_unbiased_over_seeds) {
    const size_t sizes[] = {3, 3};
    bp_net *net = make_net(1, sizes, 1);
    double sum[9] = {0};
    const int draws = 400;
    for (int s = 0; s < draws; s++) {
        cr_assert_eq(bp_net_initialize(net, BP_INIT_ORTHOGONAL, (uint64_t)s), BP_OK);
        bp_layer layer;
        bp_net_layer(net, 0, &layer);
        for (int i = 0; i < 9; i++)
            sum[i] += layer.weights[i];
    }
    for (int i = 0; i < 9; i++)
        cr_assert_lt(fabs(sum[i] / draws), 6 * sqrt(1.0 / 3.0 / draws), "entry %d mean %g", i,
                     sum[i] / draws);
    bp_net_destroy(net);
}

Test(init, bad_arguments) {
    cr_assert_eq(bp_net_initialize(NULL, BP_INIT_HE, 1), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "bp_net_initialize"), "%s", bp_errmsg());
    bp_net *net = make_net(4, shape, 1);
    size_t count;
    const float *params = params_of(net, &count);
    float *before = malloc(count * sizeof *before);
    cr_assert_not_null(before);
    memcpy(before, params, count * sizeof *before);
    cr_assert_eq(bp_net_initialize(net, (bp_init)4, 1), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "bp_net_initialize") && strstr(bp_errmsg(), "4"), "%s",
              bp_errmsg());
    cr_assert_eq(bp_net_initialize(net, (bp_init)-1, 1), BP_EINVAL);
    cr_assert_eq(memcmp(before, params, count * sizeof *before), 0,
                 "a rejected init changed the parameters");
    free(before);
    bp_net_destroy(net);
}

/* A sanity check: from every initializer, on either kernel set, plain
 * gradient descent lowers the cost of XOR. */
Test(init, every_init_trains_xor) {
    const size_t sizes[] = {2, 8, 1};
    const bp_activation act[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    for (int kernels = 0; kernels < 2; kernels++)
        for (size_t k = 0; k < N_INITS; k++) {
            bp_net *net;
            cr_assert_eq(bp_net_create(&net, 2, sizes, act, (bp_kernels)kernels, 1), BP_OK);
            cr_assert_eq(bp_net_initialize(net, all_inits[k], 3), BP_OK, "%s", bp_errmsg());
            cr_assert_eq(bp_net_reserve(net, 4), BP_OK);
            float first, cost;
            cr_assert_eq(bp_net_cost(net, x, y, 4, &first, NULL), BP_OK);
            for (int s = 0; s < 1000; s++)
                cr_assert_eq(bp_net_train_step(net, x, y, 4, 0.5f, NULL), BP_OK);
            cr_assert_eq(bp_net_cost(net, x, y, 4, &cost, NULL), BP_OK);
            cr_assert_lt(cost, 0.5f * first, "init %d, kernels %d: cost %g from %g",
                         (int)all_inits[k], kernels, cost, first);
            bp_net_destroy(net);
        }
}
