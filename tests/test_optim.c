/* Optimizers: each update rule against a double-precision re-implementation,
 * weight decay, the rate schedules in closed form, configuration checks and
 * the optimizer's bookkeeping. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* (3*4 + 4) + (4*5 + 5) + (5*2 + 2) = 53 parameters: more than one
 * vectorized body of 16 and a remainder, so both loops of each rule run. */
static const size_t sizes[] = {3, 4, 5, 2};
static const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SIGMOID};
#define N_PARAMS 53

static bp_net *make_net(uint64_t seed) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 3, sizes, activations, BP_KERNELS_OPENBLAS, seed), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_num_params(net), N_PARAMS);
    return net;
}

static bp_optimizer *make_optimizer(const bp_net *net, const bp_optimizer_config *config) {
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, config), BP_OK, "%s", bp_errmsg());
    return opt;
}

/* A gradient that changes from step to step and spans signs and scales,
 * zero included. */
static float gradient_pattern(size_t i, int step) {
    const int k = (int)((i * 37u + (size_t)step * 11u) % 19u);
    return (float)(k - 9) * 0.125f * (step % 2 ? 1.0f : -0.5f);
}

/* The learning rate of step t (0 for the first), in double, straight from the
 * formulas in the header. */
static double reference_rate(const bp_optimizer_config *c, uint64_t t) {
    switch (c->schedule) {
    case BP_SCHEDULE_STEP:
        return c->learning_rate * pow(c->gamma, floor((double)t / (double)c->step_size));
    case BP_SCHEDULE_COSINE: {
        const double T = (double)c->total_steps, tt = fmin((double)t, T);
        return c->learning_rate * (1 + cos(acos(-1.0) * tt / T)) / 2;
    }
    default:
        return c->learning_rate;
    }
}

/* One step of each rule in double: theta, v (and m for Adam) updated in place.
 * t counts from 0; Adam's bias corrections use t + 1. */
static void reference_step(const bp_optimizer_config *c, uint64_t t, double *theta, double *m,
                           double *v, const float *grad, size_t n) {
    const double eta = reference_rate(c, t), mu = c->momentum, b1 = c->beta1, b2 = c->beta2;
    for (size_t i = 0; i < n; i++) {
        const double g = (double)grad[i] + (double)c->weight_decay * theta[i];
        switch (c->kind) {
        case BP_OPT_SGD:
            theta[i] -= eta * g;
            break;
        case BP_OPT_MOMENTUM:
            v[i] = mu * v[i] + g;
            theta[i] -= eta * v[i];
            break;
        case BP_OPT_NESTEROV:
            v[i] = mu * v[i] + g;
            theta[i] -= eta * (g + mu * v[i]);
            break;
        case BP_OPT_ADAM: {
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            const double m_hat = m[i] / (1 - pow(b1, (double)(t + 1)));
            const double v_hat = v[i] / (1 - pow(b2, (double)(t + 1)));
            theta[i] -= eta * m_hat / (sqrt(v_hat) + c->epsilon);
            break;
        }
        }
    }
}

/* Runs `steps` steps of the library's optimizer and of the reference on the
 * same hand-filled gradients, comparing every parameter after every step. */
static void check_against_reference(const bp_optimizer_config *config, int steps) {
    bp_net *net = make_net(17);
    bp_optimizer *opt = make_optimizer(net, config);
    float *params, *grads;
    size_t count;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    cr_assert_eq(bp_net_grads(net, &grads, NULL), BP_OK);
    double theta[N_PARAMS], m[N_PARAMS] = {0}, v[N_PARAMS] = {0};
    for (size_t i = 0; i < N_PARAMS; i++)
        theta[i] = params[i];

    for (int s = 0; s < steps; s++) {
        for (size_t i = 0; i < N_PARAMS; i++)
            grads[i] = gradient_pattern(i, s);
        cr_assert_eq(bp_optimizer_step(opt, net), BP_OK, "%s", bp_errmsg());
        reference_step(config, (uint64_t)s, theta, m, v, grads, N_PARAMS);
        for (size_t i = 0; i < N_PARAMS; i++)
            cr_assert(fabs(params[i] - theta[i]) <= 2e-6 * (1 + fabs(theta[i])),
                      "kind %d, step %d, parameter %zu: %.9g, expected %.9g", (int)config->kind, s,
                      i, params[i], theta[i]);
        cr_assert_eq(bp_optimizer_steps(opt), (uint64_t)s + 1);
    }
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

Test(optim, sgd_matches_reference) {
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_SGD);
    c.learning_rate = 0.3f;
    check_against_reference(&c, 5);
}

Test(optim, momentum_matches_reference) {
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_MOMENTUM);
    c.learning_rate = 0.05f;
    c.momentum = 0.8f;
    check_against_reference(&c, 6);
}

Test(optim, nesterov_matches_reference) {
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_NESTEROV);
    c.learning_rate = 0.05f;
    c.momentum = 0.7f;
    check_against_reference(&c, 6);
}

Test(optim, adam_matches_reference) {
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_ADAM);
    c.learning_rate = 0.01f;
    check_against_reference(&c, 8);
    /* Other betas, and an epsilon large enough to matter next to sqrt(v). */
    c.beta1 = 0.5f;
    c.beta2 = 0.75f;
    c.epsilon = 0.1f;
    check_against_reference(&c, 8);
}

Test(optim, every_rule_with_weight_decay_and_a_schedule_matches_reference) {
    for (int kind = BP_OPT_SGD; kind <= BP_OPT_ADAM; kind++) {
        bp_optimizer_config c;
        bp_optimizer_config_default(&c, (bp_optimizer_kind)kind);
        c.weight_decay = 0.1f;
        c.schedule = BP_SCHEDULE_STEP;
        c.step_size = 2;
        c.gamma = 0.5f;
        check_against_reference(&c, 5);
        c.schedule = BP_SCHEDULE_COSINE;
        c.total_steps = 4;
        check_against_reference(&c, 6); /* two steps past T, at rate 0 */
    }
}

/* With a zero gradient, coupled weight decay alone shrinks every parameter,
 * biases included: theta <- theta - eta lambda theta = (1 - eta lambda) theta. */
Test(optim, weight_decay_shrinks_every_parameter) {
    bp_net *net = make_net(3);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_SGD);
    c.learning_rate = 0.5f;
    c.weight_decay = 0.2f;
    bp_optimizer *opt = make_optimizer(net, &c);
    float *params;
    bp_net_params(net, &params, NULL);
    float before[N_PARAMS];
    memcpy(before, params, sizeof before);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    for (size_t i = 0; i < N_PARAMS; i++)
        cr_assert_float_eq(params[i], before[i] * 0.9f * 0.9f, 1e-6f, "parameter %zu", i);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* Fills every gradient with the constant g. */
static void set_gradient(bp_net *net, float g) {
    float *grads;
    size_t count;
    bp_net_grads(net, &grads, &count);
    for (size_t i = 0; i < count; i++)
        grads[i] = g;
}

/* STEP: eta gamma^floor(t / step_size). Checked both through the reported
 * rate and through the distance a unit gradient moves a parameter. */
Test(optim, step_schedule_in_closed_form) {
    bp_net *net = make_net(4);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_SGD);
    c.learning_rate = 0.8f;
    c.schedule = BP_SCHEDULE_STEP;
    c.step_size = 3;
    c.gamma = 0.5f;
    bp_optimizer *opt = make_optimizer(net, &c);
    const float expected[] = {0.8f, 0.8f, 0.8f, 0.4f, 0.4f, 0.4f, 0.2f, 0.2f, 0.2f, 0.1f};
    float *params;
    bp_net_params(net, &params, NULL);
    set_gradient(net, 1.0f);
    for (size_t t = 0; t < sizeof expected / sizeof expected[0]; t++) {
        cr_assert_float_eq(bp_optimizer_learning_rate(opt), expected[t], 1e-7f, "t = %zu", t);
        const float before = params[5];
        cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
        cr_assert_float_eq(before - params[5], expected[t], 1e-6f, "step at t = %zu", t);
    }
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* COSINE: eta (1 + cos(pi t / T)) / 2, held at 0 from t = T on; with eta = 2
 * and T = 6 the hand values 1 + cos(k pi / 6). */
Test(optim, cosine_schedule_in_closed_form) {
    bp_net *net = make_net(5);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_MOMENTUM);
    c.learning_rate = 2.0f;
    c.schedule = BP_SCHEDULE_COSINE;
    c.total_steps = 6;
    bp_optimizer *opt = make_optimizer(net, &c);
    const double root3 = 1.7320508075688772;
    /* cos(k pi / 6) for k = 0..6: 1, root3 / 2, 1/2, 0, -1/2, -root3 / 2, -1; then t > T. */
    const double expected[] = {2, 1 + root3 / 2, 1.5, 1, 0.5, 1 - root3 / 2, 0, 0, 0};
    for (size_t t = 0; t < sizeof expected / sizeof expected[0]; t++) {
        cr_assert_float_eq(bp_optimizer_learning_rate(opt), expected[t], 1e-6, "t = %zu", t);
        cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    }
    /* T = 1: the first step at eta, every later one at 0. */
    bp_optimizer_destroy(opt);
    c.total_steps = 1;
    opt = make_optimizer(net, &c);
    cr_assert_float_eq(bp_optimizer_learning_rate(opt), 2.0f, 1e-7f);
    bp_optimizer_step(opt, net);
    cr_assert_float_eq(bp_optimizer_learning_rate(opt), 0.0f, 1e-7f);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* How far two steps of `kind` at rate eta and momentum mu, under the
 * constant gradient g, move a parameter downhill. */
static float two_steps_move(bp_optimizer_kind kind, float eta, float mu, float g) {
    bp_net *net = make_net(6);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, kind);
    c.learning_rate = eta;
    c.momentum = mu;
    bp_optimizer *opt = make_optimizer(net, &c);
    float *params;
    bp_net_params(net, &params, NULL);
    const float before = params[20];
    set_gradient(net, g);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    const float moved = before - params[20];
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    return moved;
}

/* Under a constant gradient g, after two steps momentum has moved a parameter
 * by eta g (1 + (1 + mu)) and Nesterov by eta g ((1 + mu) + (1 + mu + mu^2)):
 * Nesterov further, by eta g mu (1 + mu). With mu = 0 both are SGD. */
Test(optim, nesterov_looks_ahead_of_momentum) {
    const float eta = 0.1f, mu = 0.5f, g = 2.0f;
    const float momentum = two_steps_move(BP_OPT_MOMENTUM, eta, mu, g);
    const float nesterov = two_steps_move(BP_OPT_NESTEROV, eta, mu, g);
    cr_assert_float_eq(momentum, 0.1 * 2 * 2.5, 1e-6);          /* 0.5 */
    cr_assert_float_eq(nesterov, 0.1 * 2 * (1.5 + 1.75), 1e-6); /* 0.65 */
    cr_assert_float_eq(nesterov - momentum, eta * g * mu * (1 + mu), 1e-6);

    const float sgd = two_steps_move(BP_OPT_SGD, eta, 0.0f, g);
    cr_assert_eq(two_steps_move(BP_OPT_MOMENTUM, eta, 0.0f, g), sgd);
    cr_assert_eq(two_steps_move(BP_OPT_NESTEROV, eta, 0.0f, g), sgd);
}

/* Adam's first step moves each parameter by eta sign(g) (m_hat = g,
 * v_hat = g^2), whatever the gradient's scale, up to epsilon. */
Test(optim, adam_first_step_is_eta_times_sign) {
    bp_net *net = make_net(8);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_ADAM);
    c.learning_rate = 0.25f;
    bp_optimizer *opt = make_optimizer(net, &c);
    float *params, *grads;
    bp_net_params(net, &params, NULL);
    bp_net_grads(net, &grads, NULL);
    float before[N_PARAMS];
    for (size_t i = 0; i < N_PARAMS; i++)
        grads[i] = (i % 2 ? 1.0f : -1.0f) * powf(10.0f, (float)(i % 7) - 3.0f);
    memcpy(before, params, sizeof before);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    for (size_t i = 0; i < N_PARAMS; i++)
        cr_assert_float_eq(before[i] - params[i], i % 2 ? 0.25f : -0.25f, 1e-5f, "parameter %zu",
                           i);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* Creating with a bad config returns BP_EINVAL, leaves *out NULL, and the
 * message names the function, the field and the value. */
static void assert_rejected(const bp_optimizer_config *c, const char *field, const char *value) {
    bp_net *net = make_net(1);
    bp_optimizer *opt = (bp_optimizer *)1;
    cr_assert_eq(bp_optimizer_create(&opt, net, c), BP_EINVAL, "%s accepted", field);
    cr_assert_null(opt);
    cr_assert(strstr(bp_errmsg(), "bp_optimizer_create") && strstr(bp_errmsg(), field) &&
                  strstr(bp_errmsg(), value),
              "message \"%s\" should name %s and %s", bp_errmsg(), field, value);
    bp_net_destroy(net);
}

Test(optim, config_out_of_range_is_rejected) {
    bp_optimizer_config c;
#define REJECT(kind, field, bad, text)                                                             \
    do {                                                                                           \
        bp_optimizer_config_default(&c, kind);                                                     \
        c.field = bad;                                                                             \
        assert_rejected(&c, #field, text);                                                         \
    } while (0)
    REJECT(BP_OPT_SGD, learning_rate, 0.0f, "0");
    REJECT(BP_OPT_SGD, learning_rate, -0.5f, "-0.5");
    REJECT(BP_OPT_ADAM, learning_rate, NAN, "nan");
    REJECT(BP_OPT_SGD, learning_rate, INFINITY, "inf");
    REJECT(BP_OPT_MOMENTUM, momentum, 1.0f, "1");
    REJECT(BP_OPT_NESTEROV, momentum, -0.25f, "-0.25");
    REJECT(BP_OPT_ADAM, beta1, 1.0f, "1");
    REJECT(BP_OPT_ADAM, beta2, 1.5f, "1.5");
    REJECT(BP_OPT_ADAM, beta2, NAN, "nan");
    REJECT(BP_OPT_ADAM, epsilon, 0.0f, "0");
    REJECT(BP_OPT_SGD, weight_decay, -1.0f, "-1");
    REJECT(BP_OPT_MOMENTUM, weight_decay, INFINITY, "inf");
    REJECT(BP_OPT_SGD, kind, (bp_optimizer_kind)7, "7");
    REJECT(BP_OPT_SGD, schedule, (bp_schedule)9, "9");

    bp_optimizer_config_default(&c, BP_OPT_SGD);
    c.schedule = BP_SCHEDULE_STEP;
    c.step_size = 0;
    assert_rejected(&c, "step_size", "0");
    c.step_size = 1;
    c.gamma = 0.0f;
    assert_rejected(&c, "gamma", "0");
    c.gamma = 1.25f;
    assert_rejected(&c, "gamma", "1.25");
    bp_optimizer_config_default(&c, BP_OPT_SGD);
    c.schedule = BP_SCHEDULE_COSINE;
    c.total_steps = 0;
    assert_rejected(&c, "total_steps", "0");
#undef REJECT
}

/* Fields the kind and schedule do not use are not checked: a config with only
 * the kind and the rate set is valid. Bounds that are in range are accepted. */
Test(optim, unused_fields_are_not_checked) {
    bp_net *net = make_net(1);
    bp_optimizer *opt;
    const bp_optimizer_config sgd = {.kind = BP_OPT_SGD, .learning_rate = 0.1f};
    cr_assert_eq(bp_optimizer_create(&opt, net, &sgd), BP_OK, "%s", bp_errmsg());
    bp_optimizer_destroy(opt);
    const bp_optimizer_config edges = {.kind = BP_OPT_ADAM,
                                       .learning_rate = 1e-30f,
                                       .beta1 = 0.0f,
                                       .beta2 = 0.0f,
                                       .epsilon = 1e-30f,
                                       .schedule = BP_SCHEDULE_STEP,
                                       .step_size = 1,
                                       .gamma = 1.0f};
    cr_assert_eq(bp_optimizer_create(&opt, net, &edges), BP_OK, "%s", bp_errmsg());
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

Test(optim, null_arguments) {
    bp_net *net = make_net(1);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_ADAM);
    bp_optimizer *opt = (bp_optimizer *)1;
    cr_assert_eq(bp_optimizer_create(NULL, net, &c), BP_EINVAL);
    cr_assert_eq(bp_optimizer_create(&opt, NULL, &c), BP_EINVAL);
    cr_assert_null(opt);
    opt = (bp_optimizer *)1;
    cr_assert_eq(bp_optimizer_create(&opt, net, NULL), BP_EINVAL);
    cr_assert_null(opt);
    cr_assert(strstr(bp_errmsg(), "config"), "%s", bp_errmsg());
    opt = make_optimizer(net, &c);
    cr_assert_eq(bp_optimizer_step(NULL, net), BP_EINVAL);
    cr_assert_eq(bp_optimizer_step(opt, NULL), BP_EINVAL);
    cr_assert_eq(bp_optimizer_steps(opt), 0, "a failed step must not count");
    cr_assert_eq(bp_optimizer_learning_rate(NULL), 0.0f);
    cr_assert_eq(bp_optimizer_steps(NULL), 0);
    cr_assert_null(bp_optimizer_get_config(NULL));
    cr_assert_eq(bp_optimizer_memory_bytes(NULL), 0);
    bp_optimizer_config_default(NULL, BP_OPT_SGD); /* does nothing */
    bp_optimizer_destroy(NULL);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* An optimizer steps only networks of the parameter count it was made for,
 * and a refused step changes neither the network nor the optimizer. */
Test(optim, parameter_count_mismatch_is_rejected) {
    bp_net *net = make_net(1);
    const size_t other_sizes[] = {3, 4, 2};
    bp_net *other;
    cr_assert_eq(bp_net_create(&other, 2, other_sizes, activations, BP_KERNELS_NAIVE, 1), BP_OK);
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, BP_OPT_MOMENTUM);
    bp_optimizer *opt = make_optimizer(net, &c);
    set_gradient(other, 1.0f);
    float *params;
    size_t count;
    bp_net_params(other, &params, &count);
    float before[64];
    cr_assert_leq(count, 64);
    memcpy(before, params, count * sizeof *params);
    cr_assert_eq(bp_optimizer_step(opt, other), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "bp_optimizer_step"), "%s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), "53"), "message should give the counts: %s", bp_errmsg());
    cr_assert_eq(memcmp(before, params, count * sizeof *params), 0);
    cr_assert_eq(bp_optimizer_steps(opt), 0);
    /* A network of the same count, another shape, is fine: the block is flat. */
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(bp_optimizer_steps(opt), 1);
    bp_optimizer_destroy(opt);
    bp_net_destroy(other);
    bp_net_destroy(net);
}

Test(optim, defaults_and_bookkeeping) {
    bp_optimizer_config c;
    memset(&c, 0xff, sizeof c);
    bp_optimizer_config_default(&c, BP_OPT_NESTEROV);
    cr_assert_eq(c.kind, BP_OPT_NESTEROV);
    cr_assert_eq(c.learning_rate, 0.01f);
    cr_assert_eq(c.momentum, 0.9f);
    cr_assert_eq(c.beta1, 0.9f);
    cr_assert_eq(c.beta2, 0.999f);
    cr_assert_eq(c.epsilon, 1e-8f);
    cr_assert_eq(c.weight_decay, 0.0f);
    cr_assert_eq(c.schedule, BP_SCHEDULE_CONSTANT);
    cr_assert_eq(c.step_size, 1);
    cr_assert_eq(c.gamma, 1.0f);
    cr_assert_eq(c.total_steps, 1);
    bp_optimizer_config_default(&c, BP_OPT_ADAM);
    cr_assert_eq(c.learning_rate, 0.001f);

    /* The state is n floats for the velocity, 2n for Adam's moments, none for SGD. */
    bp_net *net = make_net(1);
    size_t bytes[4];
    for (int kind = BP_OPT_SGD; kind <= BP_OPT_ADAM; kind++) {
        bp_optimizer_config_default(&c, (bp_optimizer_kind)kind);
        bp_optimizer *opt = make_optimizer(net, &c);
        bytes[kind] = bp_optimizer_memory_bytes(opt);
        /* The optimizer keeps its own copy of the config. */
        c.learning_rate = 123.0f;
        const bp_optimizer_config *kept = bp_optimizer_get_config(opt);
        cr_assert_not_null(kept);
        cr_assert_eq((int)kept->kind, kind);
        cr_assert_eq(kept->learning_rate, kind == BP_OPT_ADAM ? 0.001f : 0.01f);
        cr_assert_eq(bp_optimizer_learning_rate(opt), kind == BP_OPT_ADAM ? 0.001f : 0.01f);
        cr_assert_eq(bp_optimizer_steps(opt), 0);
        bp_optimizer_destroy(opt);
    }
    cr_assert_gt(bytes[BP_OPT_SGD], 0);
    cr_assert_eq(bytes[BP_OPT_MOMENTUM] - bytes[BP_OPT_SGD], N_PARAMS * sizeof(float));
    cr_assert_eq(bytes[BP_OPT_NESTEROV], bytes[BP_OPT_MOMENTUM]);
    cr_assert_eq(bytes[BP_OPT_ADAM] - bytes[BP_OPT_SGD], 2 * N_PARAMS * sizeof(float));
    bp_net_destroy(net);
}

/* End to end: each rule, fed bp_net_gradient, lowers the cost of XOR. */
Test(optim, every_rule_trains_xor) {
    const size_t xor_sizes[] = {2, 8, 1};
    const bp_activation xor_act[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    const float rates[] = {0.5f, 0.2f, 0.2f, 0.02f};
    for (int kind = BP_OPT_SGD; kind <= BP_OPT_ADAM; kind++) {
        bp_net *net;
        cr_assert_eq(bp_net_create(&net, 2, xor_sizes, xor_act, BP_KERNELS_OPENBLAS, 2), BP_OK);
        cr_assert_eq(bp_net_reserve(net, 4), BP_OK);
        bp_optimizer_config c;
        bp_optimizer_config_default(&c, (bp_optimizer_kind)kind);
        c.learning_rate = rates[kind];
        bp_optimizer *opt = make_optimizer(net, &c);
        float first = 0, cost = 0;
        for (int s = 0; s < 500; s++) {
            cr_assert_eq(bp_net_gradient(net, x, y, 4, &cost), BP_OK);
            if (s == 0)
                first = cost;
            cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
        }
        cr_assert_eq(bp_net_cost(net, x, y, 4, &cost, NULL), BP_OK);
        cr_assert_lt(cost, 0.5f * first, "kind %d: cost %g from %g", kind, cost, first);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
}
