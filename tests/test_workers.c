/*
 * test_workers.c - worker threads (bp_workers, bp_train's workers): any
 * count agrees with one worker and with the naive kernels, a fixed count is
 * bitwise repeatable, uneven and empty shares, the NaN/Inf guard, a
 * callback that stops training, the gradient hook, and a pool that keeps
 * working after a failure.
 *
 * A plain program on pthreads, not Criterion: it also runs in the
 * ThreadSanitizer build (./run.sh tsan), where Criterion's runner cannot.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

static int failures;

/* Records a failure with its line and message, and goes on. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Ends the program when a setup call fails: nothing after it could pass. */
#define REQUIRE_OK(call)                                                                           \
    do {                                                                                           \
        const int rc_ = (call);                                                                    \
        if (rc_ != BP_OK) {                                                                        \
            fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #call,              \
                    bp_err_name(rc_), bp_errmsg());                                                \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define FEATURES 23
#define HIDDEN 19
#define CLASSES 7
#define EXAMPLES 101

static uint64_t rng_state = 12345;

/* splitmix64, as a uniform float in [lo, hi). */
static float uniform(float lo, float hi) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return lo + (hi - lo) * (float)((double)(z >> 11) / 9007199254740992.0);
}

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static bp_dataset data;
static float *inputs, *targets;

static void make_data(void) {
    data = (bp_dataset){.count = EXAMPLES, .features = FEATURES, .classes = CLASSES};
    data.inputs = xmalloc(sizeof(float) * EXAMPLES * FEATURES);
    data.labels = xmalloc(sizeof(uint32_t) * EXAMPLES);
    inputs = xmalloc(sizeof(float) * EXAMPLES * FEATURES);
    targets = xmalloc(sizeof(float) * EXAMPLES * CLASSES);
    for (size_t i = 0; i < EXAMPLES; i++) {
        data.labels[i] = (uint32_t)(i * 5 % CLASSES);
        for (size_t f = 0; f < FEATURES; f++)
            data.inputs[i * FEATURES + f] =
                uniform(-1.0f, 1.0f) + (f % CLASSES == data.labels[i] ? 0.7f : 0.0f);
    }
    memcpy(inputs, data.inputs, sizeof(float) * EXAMPLES * FEATURES);
    REQUIRE_OK(bp_one_hot(data.labels, EXAMPLES, CLASSES, targets));
}

/* A two-layer network from seed 5, cross-entropy on softmax or quadratic
 * on sigmoid. */
static bp_net *make_net(bp_kernels kernels, bool cross_entropy) {
    const size_t sizes[] = {FEATURES, HIDDEN, CLASSES};
    const bp_activation acts[] = {BP_ACT_TANH, cross_entropy ? BP_ACT_SOFTMAX : BP_ACT_SIGMOID};
    bp_net *net = NULL;
    REQUIRE_OK(bp_net_create(&net, 2, sizes, acts, kernels, 5));
    if (cross_entropy)
        REQUIRE_OK(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY));
    REQUIRE_OK(bp_net_reserve(net, EXAMPLES));
    return net;
}

static float max_abs(const float *x, size_t n) {
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    return m;
}

static float max_abs_diff(const float *x, const float *y, size_t n) {
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(x[i] - y[i]) > m ? fabsf(x[i] - y[i]) : m;
    return m;
}

static float *copy_of(const float *x, size_t n) {
    float *c = xmalloc(n * sizeof *c);
    memcpy(c, x, n * sizeof *c);
    return c;
}

/* The gradient of batch n from W workers, against bp_net_gradient on the
 * naive kernels (loops that share no code with OpenBLAS), for every
 * W from 1 to 4 and batches smaller than, equal to and not a multiple of W. */
static void test_gradient_matches(bool cross_entropy) {
    bp_net *reference = make_net(BP_KERNELS_NAIVE, cross_entropy);
    const size_t batches[] = {1, 2, 3, 7, 64, EXAMPLES};
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        const size_t n = batches[b];
        float ref_cost, *ref_grads;
        size_t count;
        REQUIRE_OK(bp_net_gradient(reference, inputs, targets, n, &ref_cost));
        REQUIRE_OK(bp_net_grads(reference, &ref_grads, &count));
        for (size_t w = 1; w <= 4; w++) {
            bp_net *net = make_net(BP_KERNELS_OPENBLAS, cross_entropy);
            bp_workers *workers = NULL;
            REQUIRE_OK(bp_workers_create(&workers, net, w, EXAMPLES));
            CHECK(bp_workers_count(workers) == w, "count %zu", bp_workers_count(workers));
            float cost, *grads;
            /* Twice: the second call must find the pool as the first left it. */
            for (int round = 0; round < 2; round++) {
                CHECK(bp_workers_gradient(workers, inputs, targets, n, &cost) == BP_OK, "%s",
                      bp_errmsg());
                REQUIRE_OK(bp_net_grads(net, &grads, NULL));
                const float scale = max_abs(ref_grads, count);
                CHECK(max_abs_diff(grads, ref_grads, count) <= 1e-5f * scale + 1e-7f,
                      "W=%zu n=%zu: gradient off by %g (scale %g)", w, n,
                      (double)max_abs_diff(grads, ref_grads, count), (double)scale);
                CHECK(fabsf(cost - ref_cost) <= 1e-5f * fabsf(ref_cost),
                      "W=%zu n=%zu: cost %g, expected %g", w, n, (double)cost, (double)ref_cost);
            }
            bp_workers_destroy(workers);
            bp_net_destroy(net);
        }
    }
    bp_net_destroy(reference);
}

/* Trains with bp_train on W workers and returns a copy of the parameters. */
static float *train_with(size_t workers, bp_optimizer_kind kind, size_t batch, size_t *count) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, true);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, kind);
    bp_optimizer *opt = NULL;
    REQUIRE_OK(bp_optimizer_create(&opt, net, &config));
    bp_train_options options;
    bp_train_options_default(&options);
    options.epochs = 3;
    options.batch_size = batch;
    options.workers = workers;
    CHECK(bp_train(net, opt, &data, &data, &options) == BP_OK, "W=%zu: %s", workers, bp_errmsg());
    float *params;
    REQUIRE_OK(bp_net_params(net, &params, count));
    float *copy = copy_of(params, *count);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    return copy;
}

/* 1, 2 and 3 workers train the same model as the calling thread alone, to
 * max|dtheta| <= 1e-4 max|theta| (the workers sum the gradient in another
 * order: rounding only, grown over the steps as in test_collective.c); each
 * count twice gives bitwise the same (one process, one count). */
static void test_training_matches(void) {
    const bp_optimizer_kind kinds[] = {BP_OPT_MOMENTUM, BP_OPT_ADAM};
    for (size_t o = 0; o < 2; o++) {
        size_t count;
        float *alone = train_with(0, kinds[o], 10, &count);
        /* Agreement proves nothing if training left the seed's weights. */
        bp_net *untrained = make_net(BP_KERNELS_OPENBLAS, true);
        float *initial;
        REQUIRE_OK(bp_net_params(untrained, &initial, NULL));
        CHECK(max_abs_diff(alone, initial, count) > 1e-2f, "kind %d: training moved by only %g",
              (int)kinds[o], (double)max_abs_diff(alone, initial, count));
        bp_net_destroy(untrained);
        for (size_t w = 1; w <= 3; w++) {
            float *first = train_with(w, kinds[o], 10, &count);
            float *second = train_with(w, kinds[o], 10, &count);
            CHECK(memcmp(first, second, count * sizeof *first) == 0,
                  "W=%zu: two runs differ (max %g)", w, (double)max_abs_diff(first, second, count));
            const float diff = max_abs_diff(first, alone, count), scale = max_abs(alone, count);
            CHECK(diff <= 1e-4f * scale, "W=%zu: off by %g, scale %g", w, (double)diff,
                  (double)scale);
            free(first);
            free(second);
        }
        free(alone);
    }
}

/* bp_workers_step is bp_optimizer_step, bitwise, for every optimizer. */
static void test_step_is_bitwise(void) {
    const bp_optimizer_kind kinds[] = {BP_OPT_SGD, BP_OPT_MOMENTUM, BP_OPT_NESTEROV, BP_OPT_ADAM};
    for (size_t o = 0; o < 4; o++) {
        bp_net *a = make_net(BP_KERNELS_OPENBLAS, true), *b = make_net(BP_KERNELS_OPENBLAS, true);
        bp_optimizer_config config;
        bp_optimizer_config_default(&config, kinds[o]);
        config.weight_decay = 0.01f;
        bp_optimizer *opt_a = NULL, *opt_b = NULL;
        REQUIRE_OK(bp_optimizer_create(&opt_a, a, &config));
        REQUIRE_OK(bp_optimizer_create(&opt_b, b, &config));
        bp_workers *workers = NULL;
        REQUIRE_OK(bp_workers_create(&workers, b, 3, EXAMPLES));
        float *ga, *gb, *pa, *pb;
        size_t count;
        REQUIRE_OK(bp_net_grads(a, &ga, &count));
        REQUIRE_OK(bp_net_grads(b, &gb, NULL));
        REQUIRE_OK(bp_net_params(a, &pa, NULL));
        REQUIRE_OK(bp_net_params(b, &pb, NULL));
        for (int step = 0; step < 3; step++) {
            REQUIRE_OK(bp_net_gradient(a, inputs, targets, 40, NULL));
            memcpy(gb, ga, count * sizeof *ga);
            REQUIRE_OK(bp_optimizer_step(opt_a, a));
            CHECK(bp_workers_step(workers, opt_b) == BP_OK, "%s", bp_errmsg());
        }
        CHECK(memcmp(pa, pb, count * sizeof *pa) == 0, "kind %d: steps differ by %g", (int)kinds[o],
              (double)max_abs_diff(pa, pb, count));
        CHECK(bp_optimizer_steps(opt_b) == 3, "steps %llu",
              (unsigned long long)bp_optimizer_steps(opt_b));
        bp_workers_destroy(workers);
        bp_optimizer_destroy(opt_a);
        bp_optimizer_destroy(opt_b);
        bp_net_destroy(a);
        bp_net_destroy(b);
    }
}

static int on_before_step_ok(void *user) {
    (void)user;
    return 0;
}

/* bp_workers_train_step is bp_workers_gradient then bp_workers_step,
 * bitwise; on a NaN it changes neither the parameters nor the optimizer;
 * with a hook it refuses. */
static void test_fused_step(void) {
    bp_net *a = make_net(BP_KERNELS_OPENBLAS, true), *b = make_net(BP_KERNELS_OPENBLAS, true);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_optimizer *opt_a = NULL, *opt_b = NULL;
    REQUIRE_OK(bp_optimizer_create(&opt_a, a, &config));
    REQUIRE_OK(bp_optimizer_create(&opt_b, b, &config));
    bp_workers *wa = NULL, *wb = NULL;
    REQUIRE_OK(bp_workers_create(&wa, a, 3, EXAMPLES));
    REQUIRE_OK(bp_workers_create(&wb, b, 3, EXAMPLES));
    float *pa, *pb, ca, cb;
    size_t count;
    REQUIRE_OK(bp_net_params(a, &pa, &count));
    REQUIRE_OK(bp_net_params(b, &pb, NULL));
    for (size_t step = 0; step < 4; step++) {
        const size_t n = 20 + 7 * step;
        CHECK(bp_workers_gradient(wa, inputs, targets, n, &ca) == BP_OK, "%s", bp_errmsg());
        CHECK(bp_workers_step(wa, opt_a) == BP_OK, "%s", bp_errmsg());
        CHECK(bp_workers_train_step(wb, opt_b, inputs, targets, n, &cb) == BP_OK, "%s",
              bp_errmsg());
        CHECK(ca == cb, "cost %g against %g", (double)cb, (double)ca);
    }
    CHECK(memcmp(pa, pb, count * sizeof *pa) == 0, "fused step differs by %g",
          (double)max_abs_diff(pa, pb, count));
    float *before = copy_of(pb, count), *bad = copy_of(inputs, EXAMPLES * FEATURES);
    bad[5 * FEATURES] = NAN;
    CHECK(bp_workers_train_step(wb, opt_b, bad, targets, 30, NULL) == BP_ENONFINITE, "%s",
          bp_errmsg());
    CHECK(memcmp(before, pb, count * sizeof *pb) == 0, "a NaN batch moved the parameters");
    CHECK(bp_optimizer_steps(opt_b) == 4, "%llu steps after the NaN batch",
          (unsigned long long)bp_optimizer_steps(opt_b));
    const bp_gradient_hook hook = {.before_step = on_before_step_ok};
    REQUIRE_OK(bp_net_set_gradient_hook(b, &hook));
    CHECK(bp_workers_train_step(wb, opt_b, inputs, targets, 30, NULL) == BP_EINVAL, "with a hook");
    free(before);
    free(bad);
    bp_workers_destroy(wa);
    bp_workers_destroy(wb);
    bp_optimizer_destroy(opt_a);
    bp_optimizer_destroy(opt_b);
    bp_net_destroy(a);
    bp_net_destroy(b);
}

/* A NaN in one worker's share: BP_ENONFINITE naming it, no worker left
 * waiting (the pool answers the next call), and bp_train keeps the
 * parameters of the last good step. */
typedef struct snapshot {
    bp_net *net;
    float *params;
    size_t count;
    size_t batches;
    size_t stop_at; /* 0: never */
} snapshot;

static int keep_params(const bp_batch_report *report, void *user) {
    snapshot *s = user;
    float *params;
    bp_net_params(s->net, &params, NULL);
    memcpy(s->params, params, s->count * sizeof *params);
    s->batches++;
    return s->stop_at != 0 && report->batch == s->stop_at;
}

static void test_nonfinite(void) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, true);
    bp_workers *workers = NULL;
    REQUIRE_OK(bp_workers_create(&workers, net, 3, EXAMPLES));
    float *bad = copy_of(inputs, EXAMPLES * FEATURES);
    bad[30 * FEATURES + 2] = NAN; /* example 30: worker 2's share of 33 */
    float cost;
    CHECK(bp_workers_gradient(workers, bad, targets, 33, &cost) == BP_ENONFINITE, "%s",
          bp_errmsg());
    CHECK(strstr(bp_errmsg(), "worker 2 of 3") != NULL, "message: %s", bp_errmsg());
    CHECK(bp_workers_gradient(workers, inputs, targets, 33, &cost) == BP_OK, "after: %s",
          bp_errmsg());
    bp_workers_destroy(workers);

    /* bp_train: example 60 of the training set is NaN. */
    bp_dataset poisoned = data;
    poisoned.inputs = bad;
    bad[30 * FEATURES + 2] = 0.0f;
    bad[60 * FEATURES + 4] = INFINITY;
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    bp_optimizer *opt = NULL;
    REQUIRE_OK(bp_optimizer_create(&opt, net, &config));
    snapshot s = {.net = net};
    float *params;
    REQUIRE_OK(bp_net_params(net, &params, &s.count));
    s.params = copy_of(params, s.count);
    bp_train_options options;
    bp_train_options_default(&options);
    options.batch_size = 16;
    options.workers = 2;
    options.on_batch = keep_params;
    options.user = &s;
    CHECK(bp_train(net, opt, &poisoned, NULL, &options) == BP_ENONFINITE, "%s", bp_errmsg());
    CHECK(memcmp(params, s.params, s.count * sizeof *params) == 0,
          "the parameters moved after the last good step");
    CHECK(bp_optimizer_steps(opt) == s.batches, "%llu steps, %zu batches",
          (unsigned long long)bp_optimizer_steps(opt), s.batches);
    CHECK(s.batches < 7, "%zu batches before the Inf", s.batches);
    free(s.params);
    free(bad);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* A finite cost whose summed gradient overflows: inputs near 1e38 on a
 * one-layer identity network with zero weights. Every example adds
 * delta * x = 0.5 * 3e38 = 1.5e38 to the weights of feature 0, so each
 * worker's share of two examples sums to 3e38 (finite, below FLT_MAX =
 * 3.4e38), and only the sum over the workers overflows to Inf. Those
 * weights (elements 0, 32, 64 and 96 of 132) lie in the bodies of the
 * workers' slices, none in the tail past the last multiple of 16 (the
 * biases, 128 to 131): the whole sum must be checked. With 2 and 3
 * workers: BP_ENONFINITE, a finite cost, the parameters and the
 * optimizer's step count unchanged. */
static void test_summed_overflow(void) {
    enum { IN = 32, OUT = 4 };
    for (size_t count = 2; count <= 3; count++) {
        const size_t n = 2 * count; /* two examples per worker */
        const size_t sizes[] = {IN, OUT};
        const bp_activation acts[] = {BP_ACT_IDENTITY};
        bp_net *net = NULL;
        REQUIRE_OK(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_OPENBLAS, 3));
        REQUIRE_OK(bp_net_set_loss(net, BP_LOSS_QUADRATIC));
        REQUIRE_OK(bp_net_reserve(net, n));
        float *params;
        size_t n_params;
        REQUIRE_OK(bp_net_params(net, &params, &n_params));
        memset(params, 0, n_params * sizeof *params);
        float x[6 * IN], y[6 * OUT], share[2 * OUT];
        for (size_t i = 0; i < n * IN; i++)
            x[i] = i % IN == 0 ? 3e38f : 1.0f;
        /* The output is 0, so delta = 2 (0 - y) / n = 0.5 for y = -n / 4. */
        for (size_t i = 0; i < n * OUT; i++)
            y[i] = -(float)n / 4.0f;
        /* The construction: two examples alone, with targets -0.5 (the same
         * delta over 2), give a finite gradient, as each worker's share does. */
        for (size_t i = 0; i < 2 * OUT; i++)
            share[i] = -0.5f;
        float cost;
        CHECK(bp_net_gradient(net, x, share, 2, &cost) == BP_OK, "%zu workers: one share: %s",
              count, bp_errmsg());
        bp_optimizer_config config;
        bp_optimizer_config_default(&config, BP_OPT_SGD);
        bp_optimizer *opt = NULL;
        REQUIRE_OK(bp_optimizer_create(&opt, net, &config));
        bp_workers *workers = NULL;
        REQUIRE_OK(bp_workers_create(&workers, net, count, n));
        cost = NAN;
        CHECK(bp_workers_train_step(workers, opt, x, y, n, &cost) == BP_ENONFINITE,
              "%zu workers: the summed gradient overflows: %s", count, bp_errmsg());
        CHECK(isfinite(cost), "%zu workers: the cost is %g", count, (double)cost);
        CHECK(strstr(bp_errmsg(), "not finite") != NULL, "message: %s", bp_errmsg());
        CHECK(max_abs(params, n_params) == 0.0f, "%zu workers: a parameter became %g", count,
              (double)max_abs(params, n_params));
        CHECK(bp_optimizer_steps(opt) == 0, "%zu workers: %llu steps", count,
              (unsigned long long)bp_optimizer_steps(opt));
        CHECK(bp_workers_gradient(workers, x, y, n, &cost) == BP_ENONFINITE,
              "%zu workers: the gradient alone: %s", count, bp_errmsg());
        bp_workers_destroy(workers);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
}

/* A batch callback stops training mid-epoch with workers. */
static void test_callback_stops(void) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, true);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_SGD);
    bp_optimizer *opt = NULL;
    REQUIRE_OK(bp_optimizer_create(&opt, net, &config));
    snapshot s = {.net = net, .stop_at = 3};
    float *params;
    REQUIRE_OK(bp_net_params(net, &params, &s.count));
    s.params = copy_of(params, s.count);
    bp_train_options options;
    bp_train_options_default(&options);
    options.batch_size = 8;
    options.workers = 3;
    options.on_batch = keep_params;
    options.user = &s;
    CHECK(bp_train(net, opt, &data, NULL, &options) == BP_ECANCELED, "%s", bp_errmsg());
    CHECK(bp_optimizer_steps(opt) == 3, "%llu steps", (unsigned long long)bp_optimizer_steps(opt));
    CHECK(memcmp(params, s.params, s.count * sizeof *params) == 0,
          "the parameters moved after the callback");
    free(s.params);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* The hook sees the workers' sum: every layer once, output layer first,
 * after the sum is complete, then before_step once before the step. */
typedef struct hook_log {
    bp_net *net;
    size_t calls, next_layer, before_steps;
    float *seen; /* each layer's span of the block as it was handed out */
    bool in_order;
} hook_log;

static void on_layer(void *user, size_t layer, size_t offset, size_t count) {
    hook_log *log = user;
    float *grads;
    bp_net_grads(log->net, &grads, NULL);
    log->in_order = log->in_order && layer == log->next_layer;
    log->next_layer--;
    log->calls++;
    memcpy(log->seen + offset, grads + offset, count * sizeof *grads);
}

static int on_before_step(void *user) {
    ((hook_log *)user)->before_steps++;
    return 0;
}

static void test_hook(void) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, true);
    hook_log log = {.net = net, .next_layer = 1, .in_order = true};
    log.seen = xmalloc(bp_net_num_params(net) * sizeof(float));
    const bp_gradient_hook hook = {
        .layer_ready = on_layer, .before_step = on_before_step, .user = &log};
    REQUIRE_OK(bp_net_set_gradient_hook(net, &hook));
    bp_workers *workers = NULL;
    REQUIRE_OK(bp_workers_create(&workers, net, 2, EXAMPLES));
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_SGD);
    bp_optimizer *opt = NULL;
    REQUIRE_OK(bp_optimizer_create(&opt, net, &config));
    CHECK(bp_workers_gradient(workers, inputs, targets, 50, NULL) == BP_OK, "%s", bp_errmsg());
    float *grads;
    size_t count;
    REQUIRE_OK(bp_net_grads(net, &grads, &count));
    CHECK(log.calls == 2 && log.in_order, "%zu calls, in order %d", log.calls, log.in_order);
    CHECK(memcmp(log.seen, grads, count * sizeof *grads) == 0,
          "handed out before the sum was complete");
    CHECK(log.before_steps == 0, "before_step before the step");
    CHECK(bp_workers_step(workers, opt) == BP_OK, "%s", bp_errmsg());
    CHECK(log.before_steps == 1, "before_step %zu times", log.before_steps);
    free(log.seen);
    bp_workers_destroy(workers);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* The automatic choice follows its documented rule. */
static void check_choice(size_t n_layers, const size_t *sizes, size_t batch, size_t cores,
                         size_t workers, int threads) {
    bp_activation acts[4] = {BP_ACT_SIGMOID, BP_ACT_SIGMOID, BP_ACT_SIGMOID, BP_ACT_SIGMOID};
    bp_net *net = NULL;
    REQUIRE_OK(bp_net_create(&net, n_layers, sizes, acts, BP_KERNELS_OPENBLAS, 1));
    bp_parallelism p;
    REQUIRE_OK(bp_parallelism_auto(net, batch, cores, &p));
    CHECK(p.workers == workers && p.blas_threads == threads && p.cores == cores,
          "%zu-%zu at batch %zu on %zu cores: %zu x %d, expected %zu x %d", sizes[0], sizes[1],
          batch, cores, p.workers, p.blas_threads, workers, threads);
    REQUIRE_OK(bp_parallelism_auto(net, batch, 0, &p));
    CHECK(p.cores >= 1 && p.workers >= 1 && p.blas_threads >= 1 &&
              p.workers * (size_t)p.blas_threads <= p.cores,
          "on this machine: %zu x %d on %zu cores", p.workers, p.blas_threads, p.cores);
    bp_net_destroy(net);
}

static void test_auto(void) {
    const size_t small[] = {784, 128, 10}, mid[] = {784, 256, 128, 10},
                 large[] = {784, 1024, 1024, 10};
    check_choice(2, small, 32, 2, 2, 1);  /* shares of 16: 2^20.6 */
    check_choice(2, small, 256, 2, 2, 1); /* shares of 128: 2^23.6 */
    check_choice(3, mid, 32, 2, 2, 1);
    check_choice(3, large, 256, 2, 1, 2); /* shares of 128: 2^27 */
    check_choice(3, large, 64, 2, 2, 1);  /* shares of 32: 2^25 */
    check_choice(2, small, 7, 2, 1, 1);   /* shares under 4 examples */
    check_choice(2, small, 1, 8, 1, 1);
    check_choice(2, small, 32, 8, 8, 1);
    check_choice(2, small, 32, 64, 8, 1); /* at least 4 examples each */
}

int main(void) {
    /* OpenBLAS on one thread throughout: under ThreadSanitizer its own
     * threads' hand-offs are uninstrumented. */
    REQUIRE_OK(bp_blas_set_threads(1));
    make_data();
    test_gradient_matches(true);
    test_gradient_matches(false);
    test_training_matches();
    test_step_is_bitwise();
    test_fused_step();
    test_nonfinite();
    test_summed_overflow();
    test_callback_stops();
    test_hook();
    test_auto();
    free(data.inputs);
    free(data.labels);
    free(inputs);
    free(targets);
    if (failures > 0) {
        fprintf(stderr, "test_workers: %d checks failed\n", failures);
        return 1;
    }
    printf("test_workers: all checks passed\n");
    return 0;
}
