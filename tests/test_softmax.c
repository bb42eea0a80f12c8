/*
 * test_softmax.c - the softmax output layer and the cross-entropy cost:
 * (1) the double reference against finite differences of its own cost;
 * (2) the library's gradient and cost against the reference, on both kernel
 *     sets; (3) stability for huge logits; (4) the argument checks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

typedef struct softmax_case {
    const char *name;
    ref_case arch;
    bp_loss loss;
} softmax_case;

static const softmax_case cases[] = {
    {"tanh-softmax cross-entropy",
     {2, {4, 6, 5}, {BP_ACT_TANH, BP_ACT_SOFTMAX}},
     BP_LOSS_CROSS_ENTROPY},
    {"relu-sigmoid-softmax cross-entropy",
     {3, {7, 9, 8, 10}, {BP_ACT_LEAKY_RELU, BP_ACT_SIGMOID, BP_ACT_SOFTMAX}},
     BP_LOSS_CROSS_ENTROPY},
    {"softmax only, cross-entropy", {1, {3, 4}, {BP_ACT_SOFTMAX}}, BP_LOSS_CROSS_ENTROPY},
    {"tanh-softmax quadratic", {2, {4, 6, 5}, {BP_ACT_TANH, BP_ACT_SOFTMAX}}, BP_LOSS_QUADRATIC},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* Targets: one-hot rows when one_hot, else arbitrary non-negative rows
 * (cross-entropy is defined for any target weights, not only distributions). */
static void fill_targets(float *y, size_t n, size_t width, uint64_t seed, int one_hot) {
    ref_rng rng = {seed};
    for (size_t i = 0; i < n; i++) {
        size_t hot = (size_t)(ref_rng_next(&rng) % width);
        for (size_t j = 0; j < width; j++)
            y[i * width + j] =
                one_hot ? (j == hot ? 1.0f : 0.0f) : (float)ref_rng_uniform(&rng, 0.0, 1.0);
    }
}

#define FD_STEP 1e-6
#define FD_TOL 1e-6

static void check_reference_fd(const softmax_case *c, size_t n, int one_hot, uint64_t seed) {
    ref_arch arch = REF_CASE_ARCH(&c->arch);
    size_t n_params = ref_num_params(&arch);
    size_t n_in = arch.sizes[0], n_out = arch.sizes[arch.n_layers];
    double *params = ref_alloc(n_params, sizeof *params);
    double *grads = ref_alloc(n_params, sizeof *grads);
    double *fd = ref_alloc(n_params, sizeof *fd);
    float *x = ref_alloc(n * n_in, sizeof *x);
    float *y = ref_alloc(n * n_out, sizeof *y);
    ref_fill_uniform_d(params, n_params, seed, -1.0, 1.0);
    ref_fill_uniform(x, n * n_in, seed + 1, -1.0f, 1.0f);
    fill_targets(y, n, n_out, seed + 2, one_hot);

    double cost = ref_gradient_loss(&arch, c->loss, params, x, y, n, grads);
    REF_ASSERT_REL(cost, ref_cost_loss(&arch, c->loss, params, x, y, n), 1e-12, "cost");
    for (size_t p = 0; p < n_params; p++) {
        double saved = params[p];
        params[p] = saved + FD_STEP;
        double plus = ref_cost_loss(&arch, c->loss, params, x, y, n);
        params[p] = saved - FD_STEP;
        double minus = ref_cost_loss(&arch, c->loss, params, x, y, n);
        params[p] = saved;
        fd[p] = (plus - minus) / (2.0 * FD_STEP);
    }
    char what[160];
    snprintf(what, sizeof what, "reference vs finite differences, %s, batch %zu, %s targets",
             c->name, n, one_hot ? "one-hot" : "weighted");
    ref_diff d = ref_diff_layers_dd(grads, fd, &arch);
    cr_assert_gt(d.scale, 1e-4, "%s: the gradient is (nearly) zero", what);
    REF_ASSERT_CLOSE(d, FD_TOL, what);
    free(params);
    free(grads);
    free(fd);
    free(x);
    free(y);
}

Test(softmax, reference_matches_finite_differences) {
    for (size_t c = 0; c < N_CASES; c++)
        for (size_t n = 1; n <= 5; n += 4)
            for (int one_hot = 0; one_hot <= 1; one_hot++)
                check_reference_fd(&cases[c], n, one_hot, 100 * c + 10 * n + one_hot + 1);
}

static bp_net *make_net(const ref_arch *arch, bp_loss loss, bp_kernels kernels, size_t batch) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, arch->n_layers, arch->sizes, arch->acts, kernels, 7), BP_OK,
                 "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, loss), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_loss(net), loss);
    cr_assert_eq(bp_net_reserve(net, batch), BP_OK);
    return net;
}

/* The library's gradient, cost and bp_net_cost against the reference. */
static void check_library(const softmax_case *c, bp_kernels kernels, size_t n, int one_hot,
                          uint64_t seed) {
    ref_arch arch = REF_CASE_ARCH(&c->arch);
    size_t n_params = ref_num_params(&arch);
    size_t n_in = arch.sizes[0], n_out = arch.sizes[arch.n_layers];
    bp_net *net = make_net(&arch, c->loss, kernels, n);
    float *x = ref_alloc(n * n_in, sizeof *x);
    float *y = ref_alloc(n * n_out, sizeof *y);
    double *params = ref_alloc(n_params, sizeof *params);
    double *want = ref_alloc(n_params, sizeof *want);
    double *out = ref_alloc(n * n_out, sizeof *out);
    ref_fill_uniform(x, n * n_in, seed, -1.0f, 1.0f);
    fill_targets(y, n, n_out, seed + 1, one_hot);
    ref_params_from_net(net, &arch, params);
    double want_cost = ref_gradient_loss(&arch, c->loss, params, x, y, n, want);
    ref_forward(&arch, params, x, n, out);

    char what[160];
    snprintf(what, sizeof what, "%s, %s kernels, batch %zu, %s targets", c->name,
             bp_kernels_name(kernels), n, one_hot ? "one-hot" : "weighted");

    /* bp_net_cost: same cost, the softmax outputs, and no gradient written. */
    float *g = NULL;
    cr_assert_eq(bp_net_grads(net, &g, NULL), BP_OK);
    for (size_t p = 0; p < n_params; p++)
        g[p] = 42.0f;
    float cost = 0.0f;
    const float *outputs = NULL;
    cr_assert_eq(bp_net_cost(net, x, y, n, &cost, &outputs), BP_OK, "%s", bp_errmsg());
    REF_ASSERT_REL(cost, want_cost, 1e-5, what);
    ref_diff d = ref_diff_fd(outputs, out, n * n_out);
    REF_ASSERT_CLOSE(d, 1e-5, what);
    for (size_t p = 0; p < n_params; p++)
        cr_assert_eq(g[p], 42.0f, "%s: bp_net_cost wrote the gradient block", what);

    /* Keep bp_net_cost's figures: the gradient's pass and the forward pass
     * must give the very same ones (one cost, one softmax in the library). */
    const float evaluated_cost = cost;
    float *evaluated = ref_alloc(n * n_out, sizeof *evaluated);
    memcpy(evaluated, outputs, n * n_out * sizeof *evaluated);

    cr_assert_eq(bp_net_gradient(net, x, y, n, &cost), BP_OK, "%s", bp_errmsg());
    REF_ASSERT_REL(cost, want_cost, 1e-5, what);
    cr_assert_eq(cost, evaluated_cost, "%s: bp_net_gradient's cost %.9g, bp_net_cost's %.9g", what,
                 (double)cost, (double)evaluated_cost);
    double *got = ref_alloc(n_params, sizeof *got);
    ref_grads_from_net(net, &arch, got);
    d = ref_diff_layers_dd(got, want, &arch);
    REF_ASSERT_CLOSE(d, 1e-4, what);

    /* The forward pass gives probabilities (rows sum to 1), the same bits
     * as bp_net_cost's. */
    cr_assert_eq(bp_net_forward(net, x, n, &outputs), BP_OK);
    cr_assert_eq(memcmp(outputs, evaluated, n * n_out * sizeof *evaluated), 0,
                 "%s: bp_net_forward's outputs differ from bp_net_cost's", what);
    free(evaluated);
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0;
        for (size_t j = 0; j < n_out; j++)
            sum += outputs[i * n_out + j];
        cr_assert_float_eq(sum, 1.0, 1e-5, "%s: row %zu sums to %g", what, i, sum);
    }
    free(got);
    free(x);
    free(y);
    free(params);
    free(want);
    free(out);
    bp_net_destroy(net);
}

Test(softmax, library_matches_reference) {
    const bp_kernels sets[] = {
        BP_KERNELS_OPENBLAS,
        BP_KERNELS_NAIVE,
#ifdef BP_TEST_HAVE_BLIS
        BP_KERNELS_BLIS,
#endif
    };
    for (size_t c = 0; c < N_CASES; c++)
        for (size_t k = 0; k < 2; k++)
            for (size_t n = 1; n <= 17; n += 16)
                for (int one_hot = 0; one_hot <= 1; one_hot++)
                    check_library(&cases[c], sets[k], n, one_hot, 1000 * c + 10 * n + one_hot);
}

/* Logits of +-1000 overflow e^z in float and double alike; the cost and the
 * delta computed from the logits must stay finite and exact. One layer,
 * identity weights scaled by 1000, so z = 1000 x + b with b = 0. */
Test(softmax, huge_logits_stay_finite) {
    const size_t sizes[] = {3, 3};
    const bp_activation acts[] = {BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_OPENBLAS, 1), BP_OK);
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_OK);
    bp_layer layer;
    cr_assert_eq(bp_net_layer(net, 0, &layer), BP_OK);
    memset(layer.weights, 0, 9 * sizeof(float));
    memset(layer.bias, 0, 3 * sizeof(float));
    for (size_t j = 0; j < 3; j++)
        layer.weights[j * 3 + j] = 1000.0f;
    const float x[] = {1.0f, -1.0f, 0.0f}; /* z = (1000, -1000, 0) */
    const float y[] = {0.0f, 1.0f, 0.0f};  /* the target is the smallest logit */
    float cost = 0.0f;
    cr_assert_eq(bp_net_gradient(net, x, y, 1, &cost), BP_OK);
    /* C_0 = lse(z) - z_1 = 1000 + log(1 + e^-1000 + e^-2000) + 1000 = 2000. */
    cr_assert_float_eq(cost, 2000.0f, 1e-3f, "cost %g", (double)cost);
    /* dC/db = softmax(z) - y = (1, -1, 0) up to e^-1000. */
    const float want[] = {1.0f, -1.0f, 0.0f};
    for (size_t j = 0; j < 3; j++)
        cr_assert_float_eq(layer.bias_grads[j], want[j], 1e-6f, "dC/db[%zu] = %g", j,
                           (double)layer.bias_grads[j]);
    bp_net_destroy(net);
}

Test(softmax, argument_checks) {
    const size_t sizes[] = {3, 4, 2};
    const bp_activation hidden_softmax[] = {BP_ACT_SOFTMAX, BP_ACT_SIGMOID};
    const bp_activation sigmoid_out[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, hidden_softmax, BP_KERNELS_OPENBLAS, 1), BP_EINVAL);
    cr_assert_null(net);
    cr_assert(strstr(bp_errmsg(), "softmax"), "message: %s", bp_errmsg());

    cr_assert_eq(bp_net_create(&net, 2, sizes, sigmoid_out, BP_KERNELS_OPENBLAS, 1), BP_OK);
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "softmax"), "message: %s", bp_errmsg());
    cr_assert_eq(bp_net_loss(net), BP_LOSS_QUADRATIC);
    cr_assert_eq(bp_net_set_loss(net, (bp_loss)7), BP_EINVAL);
    cr_assert_eq(bp_net_set_loss(NULL, BP_LOSS_QUADRATIC), BP_EINVAL);
    cr_assert_eq(bp_net_loss(NULL), BP_LOSS_QUADRATIC);

    const float x[3] = {0}, y[2] = {0};
    float cost;
    cr_assert_eq(bp_net_cost(net, x, y, 1, NULL, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_cost(NULL, x, y, 1, &cost, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_cost(net, NULL, y, 1, &cost, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_cost(net, x, NULL, 1, &cost, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_cost(net, x, y, 0, &cost, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_cost(net, x, y, 2, &cost, NULL), BP_EBATCH);
    cr_assert_eq(bp_net_cost(net, x, y, 1, &cost, NULL), BP_OK);
    bp_net_destroy(net);
}

/* bp_net_predict_output on a softmax network whose logits span hundreds:
 * the logits are those the probabilities come from, and the log-
 * probabilities stay finite where the log of a float probability is -inf.
 * Two layers, weights uniform in +-30, so that some probabilities
 * underflow float (below ~1e-45, logits apart by over ~103). */
Test(softmax, predict_output_logits_and_log_probabilities) {
    enum { N = 300, IN = 8, HIDDEN = 16, OUT = 5 };
    const size_t sizes[] = {IN, HIDDEN, OUT};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_OPENBLAS, 3), BP_OK);
    float *params;
    size_t count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    ref_fill_uniform(params, count, 5, -30.0f, 30.0f);
    float *x = ref_alloc(N * IN, sizeof *x);
    ref_fill_uniform(x, N * IN, 6, -1.0f, 1.0f);
    float *proba = ref_alloc(N * OUT, sizeof *proba);
    float *logits = ref_alloc(N * OUT, sizeof *logits);
    float *log_proba = ref_alloc(N * OUT, sizeof *log_proba);
    float *again = ref_alloc(N * OUT, sizeof *again);
    cr_assert_eq(bp_net_predict(net, x, N, proba), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_predict_output(net, x, N, BP_OUTPUT_LOGITS, logits), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_predict_output(net, x, N, BP_OUTPUT_LOG_PROBA, log_proba), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_predict_output(net, x, N, BP_OUTPUT_ACTIVATIONS, again), BP_OK);
    /* The same calls on the same batches: the same bits (one process, one
     * kernel, one shape). */
    cr_assert_eq(memcmp(again, proba, sizeof(float) * N * OUT), 0,
                 "BP_OUTPUT_ACTIVATIONS differs from bp_net_predict");
    size_t underflowed = 0;
    for (size_t i = 0; i < N; i++) {
        const float *z = logits + i * OUT;
        double largest = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < OUT; j++)
            largest = z[j] > largest ? z[j] : largest;
        for (size_t j = 0; j < OUT; j++)
            sum += exp((double)z[j] - largest);
        double total = 0.0;
        for (size_t j = 0; j < OUT; j++) {
            const double want_log = (double)z[j] - largest - log(sum);
            const double want = exp(want_log);
            const float got_log = log_proba[i * OUT + j];
            underflowed += proba[i * OUT + j] == 0.0f;
            cr_assert(isfinite(got_log), "row %zu: log-probability %g", i, (double)got_log);
            /* One float rounding of a value of magnitude |want_log|, plus
             * the float logits' own: a few ulps of the largest of them. */
            cr_assert_float_eq(got_log, want_log, 4e-7 * (fabs(want_log) + fabs(largest) + 1),
                               "row %zu output %zu: log p %g, from the logits %g", i, j,
                               (double)got_log, want_log);
            /* The library's float softmax of the same logits: float
             * rounding of exp and the sum, relative to 1. */
            cr_assert_float_eq(proba[i * OUT + j], want, 1e-6,
                               "row %zu output %zu: p %g, softmax of the logits %g", i, j,
                               (double)proba[i * OUT + j], want);
            total += exp((double)got_log);
        }
        /* Rows of exp(log p) sum to 1 up to the float rounding of each log p. */
        cr_assert_float_eq(total, 1.0, 1e-5, "row %zu: exp(log p) sums to %.17g", i, total);
    }
    cr_assert_gt(underflowed, 0, "no probability underflowed: the test shows nothing");

    /* Argument checks. */
    cr_assert_eq(bp_net_predict_output(NULL, x, 1, BP_OUTPUT_LOGITS, logits), BP_EINVAL);
    cr_assert_eq(bp_net_predict_output(net, NULL, 1, BP_OUTPUT_LOGITS, logits), BP_EINVAL);
    cr_assert_eq(bp_net_predict_output(net, x, 1, BP_OUTPUT_LOGITS, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_predict_output(net, x, 0, BP_OUTPUT_LOGITS, logits), BP_EINVAL);
    cr_assert_eq(bp_net_predict_output(net, x, 1, (bp_output)3, logits), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "output kind"), "message: %s", bp_errmsg());
    cr_assert_eq(bp_net_predict_output(net, x, 1, (bp_output)-1, logits), BP_EINVAL);
    bp_net_destroy(net);

    /* Log-probabilities need a softmax output; logits of any other output
     * are z + b before its activation: the identity's are its outputs. */
    const bp_activation sigmoid_out[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    const bp_activation identity_out[] = {BP_ACT_TANH, BP_ACT_IDENTITY};
    cr_assert_eq(bp_net_create(&net, 2, sizes, sigmoid_out, BP_KERNELS_OPENBLAS, 3), BP_OK);
    cr_assert_eq(bp_net_predict_output(net, x, 1, BP_OUTPUT_LOG_PROBA, log_proba), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "softmax"), "message: %s", bp_errmsg());
    cr_assert_eq(bp_net_predict_output(net, x, N, BP_OUTPUT_LOGITS, logits), BP_OK);
    cr_assert_eq(bp_net_predict(net, x, N, proba), BP_OK);
    for (size_t i = 0; i < N * OUT; i++) /* sigmoid(z) in float, relative to 1 */
        cr_assert_float_eq(proba[i], 1.0 / (1.0 + exp(-(double)logits[i])), 1e-6, "element %zu", i);
    bp_net_destroy(net);
    cr_assert_eq(bp_net_create(&net, 2, sizes, identity_out, BP_KERNELS_OPENBLAS, 3), BP_OK);
    cr_assert_eq(bp_net_predict_output(net, x, N, BP_OUTPUT_LOGITS, logits), BP_OK);
    cr_assert_eq(bp_net_predict(net, x, N, proba), BP_OK);
    cr_assert_eq(memcmp(logits, proba, sizeof(float) * N * OUT), 0,
                 "an identity output's logits differ from its outputs");
    bp_net_destroy(net);
    free(x);
    free(proba);
    free(logits);
    free(log_proba);
    free(again);
}
