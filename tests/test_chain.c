/*
 * test_chain.c - the single-neuron chain of the derivation.
 *
 * Three layers of one sigmoid neuron each: x -> a1 -> a2 -> a3, with weights
 * w1, w2, w3 and biases b1, b2, b3. The gradient is worked out by hand, link
 * by link down the chain, in double, and compared with bp_net_gradient on
 * both kernel sets.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>

#include <backprop.h>

/* Float-exact values, so that the library and the hand computation start
 * from the very same parameters, inputs and targets. */
typedef struct chain_params {
    double w1, b1, w2, b2, w3, b3;
} chain_params;

static const chain_params chain = {0.75, -0.25, -1.5, 0.5, 2.0, -0.75};

typedef struct chain_result {
    double a3, cost;
    double w1, b1, w2, b2, w3, b3; /* dC/dw, dC/db */
} chain_result;

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

static double sigmoid_prime(double z) {
    double s = sigmoid(z);
    return s * (1.0 - s);
}

/* One example, spelled out along the chain (no loop over layers). */
static chain_result by_hand(const chain_params *p, double x, double y) {
    double z1 = p->w1 * x + p->b1;
    double a1 = sigmoid(z1);
    double z2 = p->w2 * a1 + p->b2;
    double a2 = sigmoid(z2);
    double z3 = p->w3 * a2 + p->b3;
    double a3 = sigmoid(z3);

    chain_result r;
    r.a3 = a3;
    r.cost = (a3 - y) * (a3 - y);
    /* Last link: C = (a3 - y)^2, a3 = sigma(z3), z3 = w3 a2 + b3. */
    r.w3 = a2 * sigmoid_prime(z3) * 2.0 * (a3 - y);
    r.b3 = sigmoid_prime(z3) * 2.0 * (a3 - y);
    double dc_da2 = p->w3 * sigmoid_prime(z3) * 2.0 * (a3 - y);
    /* Middle link: a2 = sigma(z2), z2 = w2 a1 + b2. */
    r.w2 = a1 * sigmoid_prime(z2) * dc_da2;
    r.b2 = sigmoid_prime(z2) * dc_da2;
    double dc_da1 = p->w2 * sigmoid_prime(z2) * dc_da2;
    /* First link: a1 = sigma(z1), z1 = w1 x + b1. */
    r.w1 = x * sigmoid_prime(z1) * dc_da1;
    r.b1 = sigmoid_prime(z1) * dc_da1;
    return r;
}

/* Float tolerances: 1e-6 relative plus 1e-7 absolute. */
#define CHECK_NEAR(got, want, what, kernels)                                                       \
    cr_assert(fabs((double)(got) - (want)) <= 1e-7 + 1e-6 * fabs(want),                            \
              "%s (%s kernels): got %.9g, want %.9g", (what), kernel_name(kernels), (double)(got), \
              (want))

static const char *kernel_name(bp_kernels kernels) {
    return kernels == BP_KERNELS_OPENBLAS ? "OpenBLAS" : "naive";
}

static bp_net *make_chain(bp_kernels kernels, size_t max_batch) {
    const size_t sizes[4] = {1, 1, 1, 1};
    const bp_activation acts[3] = {BP_ACT_SIGMOID, BP_ACT_SIGMOID, BP_ACT_SIGMOID};
    bp_net *net = NULL;
    int rc = bp_net_create(&net, 3, sizes, acts, kernels, 42);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_not_null(net, "bp_net_create returned BP_OK and no network");
    rc = bp_net_reserve(net, max_batch);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());

    /* Overwrite the seeded parameters with the chain's, through the layer views. */
    const double w[3] = {chain.w1, chain.w2, chain.w3};
    const double b[3] = {chain.b1, chain.b2, chain.b3};
    for (size_t l = 0; l < 3; l++) {
        bp_layer layer;
        rc = bp_net_layer(net, l, &layer);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cr_assert_eq(layer.inputs, 1, "layer %zu: %zu inputs", l, layer.inputs);
        cr_assert_eq(layer.outputs, 1, "layer %zu: %zu outputs", l, layer.outputs);
        layer.weights[0] = (float)w[l];
        layer.bias[0] = (float)b[l];
    }
    return net;
}

/* Runs bp_net_forward and bp_net_gradient on n examples and compares with
 * the mean of the hand-computed per-example results. */
static void check_chain(bp_kernels kernels, const float *x, const float *y, size_t n) {
    bp_net *net = make_chain(kernels, n);

    chain_result want = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        chain_result r = by_hand(&chain, x[i], y[i]);
        want.cost += r.cost / (double)n;
        want.w1 += r.w1 / (double)n;
        want.b1 += r.b1 / (double)n;
        want.w2 += r.w2 / (double)n;
        want.b2 += r.b2 / (double)n;
        want.w3 += r.w3 / (double)n;
        want.b3 += r.b3 / (double)n;
    }

    const float *out = NULL;
    int rc = bp_net_forward(net, x, n, &out);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_not_null(out, "bp_net_forward gave no outputs");
    for (size_t i = 0; i < n; i++) {
        CHECK_NEAR(out[i], by_hand(&chain, x[i], y[i]).a3, "output a3", kernels);
    }

    float cost = NAN;
    rc = bp_net_gradient(net, x, y, n, &cost);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    CHECK_NEAR(cost, want.cost, "cost (a3 - y)^2", kernels);

    bp_layer l1, l2, l3;
    rc = bp_net_layer(net, 0, &l1);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_layer(net, 1, &l2);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    rc = bp_net_layer(net, 2, &l3);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    CHECK_NEAR(l3.weight_grads[0], want.w3, "dC/dw3", kernels);
    CHECK_NEAR(l3.bias_grads[0], want.b3, "dC/db3", kernels);
    CHECK_NEAR(l2.weight_grads[0], want.w2, "dC/dw2", kernels);
    CHECK_NEAR(l2.bias_grads[0], want.b2, "dC/db2", kernels);
    CHECK_NEAR(l1.weight_grads[0], want.w1, "dC/dw1", kernels);
    CHECK_NEAR(l1.bias_grads[0], want.b1, "dC/db1", kernels);

    bp_net_destroy(net);
}

static const float x_one[1] = {0.5f};
static const float y_one[1] = {1.0f};

/* Two examples pulling the output different ways, so that the mean differs
 * from either one and from their sum. */
static const float x_two[2] = {0.5f, -1.25f};
static const float y_two[2] = {1.0f, 0.0f};

Test(chain, one_example_openblas) { check_chain(BP_KERNELS_OPENBLAS, x_one, y_one, 1); }

Test(chain, one_example_naive) { check_chain(BP_KERNELS_NAIVE, x_one, y_one, 1); }

Test(chain, batch_of_two_is_the_mean_openblas) {
    check_chain(BP_KERNELS_OPENBLAS, x_two, y_two, 2);
}

Test(chain, batch_of_two_is_the_mean_naive) { check_chain(BP_KERNELS_NAIVE, x_two, y_two, 2); }
