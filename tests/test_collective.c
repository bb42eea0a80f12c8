/*
 * test_collective.c - the gradient hook and bp_train with a bp_collective,
 * without MPI: N participants are N threads of this process, each with its
 * own network, optimizer and data, joined by a barrier-based allreduce (the
 * collective's sum, and the gradient hook's before_step over the gradient
 * block). Checks that 1, 2 and 3 participants train the same model, that a
 * fixed N is bitwise repeatable, sharded data, resuming at first_epoch, and
 * that every failure is agreed on by all participants without a hang.
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers */

#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "file_helpers.h"
#include "reference.h"

#define MAX_PARTICIPANTS 3
#define MAX_EPOCHS 8
#define SCRATCH_DOUBLES 4096 /* enough for every sum bp_train asks of 3 participants */
#define FEATURES 20
#define HIDDEN 16
#define CLASSES 5

static void one_blas_thread(void) { bp_blas_set_threads(1); }

TestSuite(collective, .init = one_blas_thread, .timeout = 30);

/* ------------------------------------------------------------------------ */
/* Data and networks                                                         */
/* ------------------------------------------------------------------------ */

/* FEATURES inputs uniform in [-1, 1), labelled by the argmax of a fixed
 * random linear map (the same teacher for every seed), so a network learns
 * it. From malloc; free with free_set. */
static bp_dataset make_set(size_t count, uint64_t seed) {
    static float teacher[CLASSES * FEATURES];
    ref_fill_uniform(teacher, CLASSES * FEATURES, 99, -1.0f, 1.0f);
    bp_dataset d = {.count = count, .features = FEATURES, .classes = CLASSES};
    d.inputs = ref_alloc(count * FEATURES, sizeof(float));
    d.labels = ref_alloc(count, sizeof(uint32_t));
    ref_fill_uniform(d.inputs, count * FEATURES, seed, -1.0f, 1.0f);
    for (size_t i = 0; i < count; i++) {
        uint32_t best = 0;
        double best_score = -INFINITY;
        for (uint32_t c = 0; c < CLASSES; c++) {
            double score = 0.0;
            for (size_t j = 0; j < FEATURES; j++)
                score += (double)teacher[c * FEATURES + j] * d.inputs[i * FEATURES + j];
            if (score > best_score) {
                best_score = score;
                best = c;
            }
        }
        d.labels[i] = best;
    }
    return d;
}

/* A private copy of a set (the NaN tests spoil one participant's). */
static bp_dataset copy_set(const bp_dataset *s) {
    bp_dataset d = *s;
    d.inputs = ref_alloc(s->count * s->features, sizeof(float));
    d.labels = ref_alloc(s->count, sizeof(uint32_t));
    memcpy(d.inputs, s->inputs, s->count * s->features * sizeof(float));
    memcpy(d.labels, s->labels, s->count * sizeof(uint32_t));
    return d;
}

/* Examples first .. first + count - 1 of s, borrowed. */
static bp_dataset slice(const bp_dataset *s, size_t first, size_t count) {
    bp_dataset d = *s;
    d.count = count;
    d.inputs = s->inputs + first * s->features;
    d.labels = s->labels + first;
    return d;
}

static void free_set(bp_dataset *d) {
    free(d->inputs);
    free(d->labels);
    *d = (bp_dataset){0};
}

/* 20-16-5, tanh then softmax with cross-entropy. */
static bp_net *make_net(uint64_t seed) {
    const size_t sizes[] = {FEATURES, HIDDEN, CLASSES};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_OPENBLAS, seed), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_OK);
    return net;
}

static bp_optimizer *make_momentum(const bp_net *net, float rate) {
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    config.learning_rate = rate;
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK, "%s", bp_errmsg());
    return opt;
}

static float *params_of(bp_net *net) {
    float *p = NULL;
    cr_assert_eq(bp_net_params(net, &p, NULL), BP_OK);
    return p;
}

static float *grads_of(bp_net *net) {
    float *g = NULL;
    cr_assert_eq(bp_net_grads(net, &g, NULL), BP_OK);
    return g;
}

/* Fails unless max |got - want| <= 1e-4 max |want| over the parameters.
 * The participants sum the gradient in another order than one process:
 * about 1e-7 of it per step, applied over the run's few dozen steps (with a
 * momentum or Adam gain of at most 10) to parameters trained well beyond
 * 1e-2 (checked below): 1e-4 is ten times that growth, and a share lost or
 * counted twice moves them by the learning rate times the gradient. */
static void assert_close_params(bp_net *got, bp_net *want, const char *what) {
    const size_t n = bp_net_num_params(want);
    cr_assert_eq(bp_net_num_params(got), n);
    const float *g = params_of(got), *w = params_of(want);
    double worst = 0.0, scale = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)g[i] - (double)w[i]);
        cr_assert(isfinite(g[i]), "%s: parameter %zu is %g", what, i, (double)g[i]);
        if (d > worst) {
            worst = d;
            at = i;
        }
        scale = fmax(scale, fabs((double)w[i]));
    }
    cr_assert_leq(worst, 1e-4 * scale,
                  "%s: parameter %zu differs by %.3g (got %.9g, want %.9g; max |theta| %.3g)", what,
                  at, worst, (double)g[at], (double)w[at], scale);
}

static void assert_bitwise_params(bp_net *got, bp_net *want, const char *what) {
    const size_t n = bp_net_num_params(want);
    cr_assert_eq(bp_net_num_params(got), n);
    cr_assert(memcmp(params_of(got), params_of(want), n * sizeof(float)) == 0,
              "%s: the parameters are not bitwise equal", what);
}

/* ------------------------------------------------------------------------ */
/* Participants: threads joined by a barrier-based allreduce                 */
/* ------------------------------------------------------------------------ */

/* What the participants of one run share. */
typedef struct group {
    size_t size;
    pthread_barrier_t barrier;
    const double *doubles[MAX_PARTICIPANTS]; /* posted by each for a sum */
    const float *floats[MAX_PARTICIPANTS];   /* posted by each for the gradient */
    size_t fail_sum_at; /* every participant's sum fails at its call number this (0: never) */
} group;

typedef struct participant {
    group *group;
    size_t rank;
    bp_net *net;
    bp_optimizer *opt;
    const bp_dataset *train, *test;
    bp_train_options options;
    bp_collective collective;
    bp_dataset own; /* a private set (freed with the participant), or empty */
    bool no_hook;   /* train without the gradient hook (a bad-argument case) */

    /* Scratch of the sums, allocated before training. */
    double *double_scratch;
    float *float_scratch;
    size_t sums;

    /* The gradient hook's record. */
    size_t layer_calls, before_calls;
    bool layer_order_bad; /* a layer handed out out of order, or twice, or with a bad span */
    size_t next_layer;    /* the layer expected next */
    int before_result;    /* what before_step returns after summing (0) */

    /* Callbacks: stop after batch stop_at (counted over the run; 0: never),
     * or after epoch stop_at_epoch. */
    size_t stop_at, stop_at_epoch;
    size_t batch_calls, batches_per_epoch, last_examples;
    size_t epoch_calls;
    bp_epoch_report reports[MAX_EPOCHS];

    int rc;
    char errmsg[512];
} participant;

/* Sums every participant's doubles in rank order into this one's scratch,
 * then copies them back: bitwise the same result everywhere. */
static int sum_doubles(double *values, size_t count, void *user) {
    participant *p = user;
    group *g = p->group;
    p->sums++;
    if (g->fail_sum_at && p->sums == g->fail_sum_at)
        return -1; /* every participant fails this same call */
    if (count > SCRATCH_DOUBLES)
        return 1; /* the same count everywhere: every participant fails alike */
    g->doubles[p->rank] = values;
    pthread_barrier_wait(&g->barrier);
    for (size_t i = 0; i < count; i++) {
        double s = 0.0;
        for (size_t r = 0; r < g->size; r++)
            s += g->doubles[r][i];
        p->double_scratch[i] = s;
    }
    pthread_barrier_wait(&g->barrier);
    memcpy(values, p->double_scratch, count * sizeof(double));
    return 0;
}

static void record_layer(void *user, size_t layer, size_t offset, size_t count) {
    participant *p = user;
    bp_layer view;
    float *grads;
    if (layer != p->next_layer || bp_net_layer(p->net, layer, &view) != BP_OK ||
        bp_net_grads(p->net, &grads, NULL) != BP_OK || grads + offset != view.weight_grads ||
        count != view.inputs * view.outputs + view.outputs)
        p->layer_order_bad = true;
    p->layer_calls++;
    p->next_layer = layer == 0 ? bp_net_num_layers(p->net) - 1 : layer - 1;
}

/* The gradient block summed over the participants, in rank order. */
static int sum_gradient(void *user) {
    participant *p = user;
    group *g = p->group;
    p->before_calls++;
    if (p->next_layer != bp_net_num_layers(p->net) - 1)
        p->layer_order_bad = true; /* not every layer was handed out */
    float *grads;
    size_t n;
    bp_net_grads(p->net, &grads, &n);
    g->floats[p->rank] = grads;
    pthread_barrier_wait(&g->barrier);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t r = 0; r < g->size; r++)
            s += g->floats[r][i];
        p->float_scratch[i] = (float)s;
    }
    pthread_barrier_wait(&g->barrier);
    memcpy(grads, p->float_scratch, n * sizeof(float));
    return p->before_result;
}

static int count_batch(const bp_batch_report *r, void *user) {
    participant *p = user;
    p->batch_calls++;
    p->batches_per_epoch = r->batches;
    p->last_examples = r->examples;
    return p->stop_at && p->batch_calls == p->stop_at;
}

static int keep_epoch(const bp_epoch_report *r, void *user) {
    participant *p = user;
    if (p->epoch_calls < MAX_EPOCHS)
        p->reports[p->epoch_calls] = *r;
    p->epoch_calls++;
    return p->stop_at_epoch && r->epoch == p->stop_at_epoch;
}

static void *run_participant(void *arg) {
    participant *p = arg;
    p->options.collective = &p->collective;
    p->rc = bp_train(p->net, p->opt, p->train, p->test, &p->options);
    snprintf(p->errmsg, sizeof p->errmsg, "%s", bp_errmsg());
    return NULL;
}

/* Options every participant starts from (callbacks recording into it). */
static bp_train_options base_options(size_t epochs, size_t batch, uint64_t seed) {
    bp_train_options o;
    bp_train_options_default(&o);
    o.epochs = epochs;
    o.batch_size = batch;
    o.seed = seed;
    o.on_batch = count_batch;
    o.on_epoch = keep_epoch;
    return o;
}

/* Participants 0 .. n-1 each with a network and optimizer made from the
 * same seeds, the same data, and the same options. */
static void make_participants(participant *p, size_t n, const bp_dataset *train,
                              const bp_dataset *test, const bp_train_options *options,
                              uint64_t net_seed) {
    for (size_t r = 0; r < n; r++) {
        p[r] = (participant){.rank = r, .train = train, .test = test, .options = *options};
        p[r].net = make_net(net_seed);
        p[r].opt = make_momentum(p[r].net, 0.1f);
        p[r].options.user = &p[r];
    }
}

/* Runs bp_train on every participant at once, each in its thread, with a
 * collective of n over `g` (sharded or not) and the gradient hook set. */
static void run_group(participant *p, size_t n, int sharded, size_t fail_sum_at) {
    group g = {.size = n, .fail_sum_at = fail_sum_at};
    cr_assert_eq(pthread_barrier_init(&g.barrier, NULL, (unsigned)n), 0);
    pthread_t threads[MAX_PARTICIPANTS];
    for (size_t r = 0; r < n; r++) {
        p[r].group = &g;
        p[r].collective = (bp_collective){
            .rank = r, .size = n, .sum = sum_doubles, .user = &p[r], .sharded = sharded};
        p[r].double_scratch = ref_alloc(SCRATCH_DOUBLES, sizeof(double));
        p[r].float_scratch = ref_alloc(bp_net_num_params(p[r].net), sizeof(float));
        p[r].next_layer = bp_net_num_layers(p[r].net) - 1;
        const bp_gradient_hook hook = {record_layer, sum_gradient, &p[r]};
        cr_assert_eq(bp_net_set_gradient_hook(p[r].net, p[r].no_hook ? NULL : &hook), BP_OK);
    }
    for (size_t r = 0; r < n; r++)
        cr_assert_eq(pthread_create(&threads[r], NULL, run_participant, &p[r]), 0);
    for (size_t r = 0; r < n; r++)
        pthread_join(threads[r], NULL);
    pthread_barrier_destroy(&g.barrier);
    for (size_t r = 0; r < n; r++) {
        free(p[r].double_scratch);
        free(p[r].float_scratch);
        p[r].double_scratch = NULL;
        p[r].float_scratch = NULL;
        p[r].group = NULL;
        cr_assert_not(p[r].layer_order_bad,
                      "participant %zu: a layer was handed out out of order or with a wrong span",
                      r);
        cr_assert_eq(p[r].layer_calls, p[r].before_calls * bp_net_num_layers(p[r].net),
                     "participant %zu: %zu layers handed out, %zu before_step calls", r,
                     p[r].layer_calls, p[r].before_calls);
    }
}

/* The single-process run: no collective, no hook. */
static void run_alone(participant *p) {
    p->options.collective = NULL;
    p->rc = bp_train(p->net, p->opt, p->train, p->test, &p->options);
    snprintf(p->errmsg, sizeof p->errmsg, "%s", bp_errmsg());
}

static void free_participants(participant *p, size_t n) {
    for (size_t r = 0; r < n; r++) {
        bp_optimizer_destroy(p[r].opt);
        bp_net_destroy(p[r].net);
        free_set(&p[r].own);
    }
}

static void assert_all_ok(const participant *p, size_t n) {
    for (size_t r = 0; r < n; r++)
        cr_assert_eq(p[r].rc, BP_OK, "participant %zu of %zu: %s (%s)", r, n, bp_err_name(p[r].rc),
                     p[r].errmsg);
}

/* Every participant's parameters and optimizer step count equal rank 0's. */
static void assert_in_step(participant *p, size_t n) {
    for (size_t r = 1; r < n; r++) {
        assert_bitwise_params(p[r].net, p[0].net, "participants");
        cr_assert_eq(bp_optimizer_steps(p[r].opt), bp_optimizer_steps(p[0].opt));
    }
}

/* Every participant failed with `code` after `steps` steps, in step. */
static void assert_all_stopped(participant *p, size_t n, int code, size_t steps) {
    for (size_t r = 0; r < n; r++) {
        cr_assert_eq(p[r].rc, code, "participant %zu: %s (%s), want %s", r, bp_err_name(p[r].rc),
                     p[r].errmsg, bp_err_name(code));
        cr_assert_eq(bp_optimizer_steps(p[r].opt), steps, "participant %zu: %zu steps, want %zu", r,
                     (size_t)bp_optimizer_steps(p[r].opt), steps);
    }
    assert_in_step(p, n);
}

/* ------------------------------------------------------------------------ */
/* 1. The gradient hook alone                                                */
/* ------------------------------------------------------------------------ */

#define SENTINEL 12345.0f

/* What a test hook saw. */
typedef struct hook_log {
    bp_net *net;
    size_t calls;
    size_t layers[16];
    size_t offsets[16], counts[16];
    bool lower_layers_untouched; /* at each call, layers below still held SENTINEL */
    float *snapshot;             /* each layer's floats as handed out */
    size_t before_calls;
    int before_result;
} hook_log;

static void log_layer(void *user, size_t layer, size_t offset, size_t count) {
    hook_log *h = user;
    if (h->calls < 16) {
        h->layers[h->calls] = layer;
        h->offsets[h->calls] = offset;
        h->counts[h->calls] = count;
    }
    h->calls++;
    float *grads;
    bp_net_grads(h->net, &grads, NULL);
    if (h->snapshot)
        memcpy(h->snapshot + offset, grads + offset, count * sizeof(float));
    for (size_t i = 0; i < offset; i++)
        if (grads[i] != SENTINEL)
            h->lower_layers_untouched = false;
}

static int log_before(void *user) {
    hook_log *h = user;
    h->before_calls++;
    return h->before_result;
}

/* 6-5-4-3: three layers. */
static bp_net *three_layers(void) {
    const size_t sizes[] = {6, 5, 4, 3};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID, BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 3, sizes, acts, BP_KERNELS_OPENBLAS, 7), BP_OK);
    cr_assert_eq(bp_net_reserve(net, 8), BP_OK);
    return net;
}

static void set_log_hook(bp_net *net, hook_log *h) {
    const bp_gradient_hook hook = {log_layer, log_before, h};
    h->net = net;
    cr_assert_eq(bp_net_set_gradient_hook(net, &hook), BP_OK);
}

/* Kind k of 3 hooks: both halves, layer_ready only, before_step only
 * (either half of a hook is a hook), logging into *h. Returns it as set. */
static bp_gradient_hook set_hook_kind(bp_net *net, size_t k, hook_log *h) {
    const bp_gradient_hook kinds[] = {
        {log_layer, log_before, h}, {log_layer, NULL, h}, {NULL, log_before, h}};
    h->net = net;
    cr_assert_eq(bp_net_set_gradient_hook(net, &kinds[k]), BP_OK);
    return kinds[k];
}

/* Eight examples for three_layers: inputs in [-1, 1), targets in [0, 1). */
static void batch_of_eight(float *inputs, float *targets) {
    ref_fill_uniform(inputs, 8 * 6, 1, -1.0f, 1.0f);
    ref_fill_uniform(targets, 8 * 3, 2, 0.0f, 1.0f);
}

Test(collective, hook_hands_out_each_layer_once_output_first) {
    bp_net *net = three_layers(), *plain = three_layers();
    const size_t n = 8, P = bp_net_num_params(net);
    float inputs[8 * 6], targets[8 * 3];
    batch_of_eight(inputs, targets);
    hook_log h = {.lower_layers_untouched = true, .snapshot = ref_alloc(P, sizeof(float))};
    set_log_hook(net, &h);
    float *g = grads_of(net);
    for (size_t i = 0; i < P; i++)
        g[i] = SENTINEL;

    float cost = NAN, plain_cost = NAN;
    cr_assert_eq(bp_net_gradient(net, inputs, targets, n, &cost), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(h.calls, 3);
    cr_assert_eq(h.before_calls, 0, "bp_net_gradient itself must not call before_step");
    size_t covered = 0;
    for (size_t c = 0; c < 3; c++) {
        const size_t l = 2 - c;
        bp_layer view;
        cr_assert_eq(bp_net_layer(net, l, &view), BP_OK);
        cr_assert_eq(h.layers[c], l, "call %zu handed out layer %zu, want %zu", c, h.layers[c], l);
        cr_assert_eq(g + h.offsets[c], view.weight_grads, "layer %zu: offset", l);
        cr_assert_eq(h.counts[c], view.inputs * view.outputs + view.outputs, "layer %zu: count", l);
        cr_assert_eq(view.bias_grads, view.weight_grads + view.inputs * view.outputs);
        covered += h.counts[c];
    }
    /* Contiguous and in order: together exactly the block. */
    cr_assert_eq(h.offsets[2], 0);
    cr_assert_eq(h.offsets[1], h.counts[2]);
    cr_assert_eq(h.offsets[0], h.counts[2] + h.counts[1]);
    cr_assert_eq(covered, P);
    /* Each layer was final when handed out, and the layers below were not yet written. */
    cr_assert(memcmp(h.snapshot, g, P * sizeof(float)) == 0,
              "a layer's gradient changed after it was handed out");
    cr_assert(h.lower_layers_untouched, "a lower layer was written before an upper one was out");
    /* The hook changes nothing of the gradient itself. */
    cr_assert_eq(bp_net_gradient(plain, inputs, targets, n, &plain_cost), BP_OK);
    cr_assert(memcmp(grads_of(plain), g, P * sizeof(float)) == 0);
    cr_assert_eq(cost, plain_cost);

    free(h.snapshot);
    bp_net_destroy(net);
    bp_net_destroy(plain);
}

Test(collective, before_step_once_per_gradient) {
    bp_net *net = three_layers();
    float inputs[8 * 6], targets[8 * 3];
    batch_of_eight(inputs, targets);
    hook_log h = {0};
    set_log_hook(net, &h);
    bp_optimizer *opt = make_momentum(net, 0.1f);

    /* No gradient yet: no before_step. */
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(h.before_calls, 0);
    /* A gradient: before_step at the step, not before. */
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    cr_assert_eq(h.before_calls, 0);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(h.before_calls, 1);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(h.before_calls, 1, "a second step without a new gradient called before_step");
    /* bp_net_step likewise. */
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    cr_assert_eq(bp_net_step(net, 0.1f), BP_OK);
    cr_assert_eq(h.before_calls, 2);
    cr_assert_eq(bp_net_step(net, 0.1f), BP_OK);
    cr_assert_eq(h.before_calls, 2);
    /* A step refused for its arguments does not complete the gradient. */
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    /* A refused step still completes the gradient: no reduction is left
     * unfinished; the next step does not call it again. */
    cr_assert_eq(bp_net_step(net, -1.0f), BP_EINVAL);
    cr_assert_eq(h.before_calls, 3);
    cr_assert_eq(bp_net_step(net, 0.1f), BP_OK);
    cr_assert_eq(h.before_calls, 3);
    /* A second gradient with no step between completes the first first. */
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    cr_assert_eq(h.before_calls, 4);
    cr_assert_eq(bp_net_step(net, 0.1f), BP_OK);
    cr_assert_eq(h.before_calls, 5);
    /* Removing the hook: no more calls. */
    cr_assert_eq(bp_net_set_gradient_hook(net, NULL), BP_OK);
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(h.calls, 5 * 3);
    cr_assert_eq(h.before_calls, 5);

    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* A failing before_step fails the step with its code and changes nothing. */
static void failing_before_step(int result, int want) {
    bp_net *net = three_layers();
    const size_t P = bp_net_num_params(net);
    float inputs[8 * 6], targets[8 * 3];
    batch_of_eight(inputs, targets);
    hook_log h = {.before_result = result};
    set_log_hook(net, &h);
    bp_optimizer *opt = make_momentum(net, 0.1f);
    float *before = ref_alloc(P, sizeof(float));
    memcpy(before, params_of(net), P * sizeof(float));

    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    const int rc = bp_optimizer_step(opt, net);
    cr_assert_eq(rc, want, "before_step returned %d: bp_optimizer_step gave %s, want %s", result,
                 bp_err_name(rc), bp_err_name(want));
    cr_assert_eq(h.before_calls, 1);
    cr_assert_eq(bp_optimizer_steps(opt), 0, "a failed step counted");
    cr_assert(memcmp(before, params_of(net), P * sizeof(float)) == 0,
              "a failed step changed the parameters");

    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, NULL), BP_OK);
    cr_assert_eq(bp_net_step(net, 0.5f), want);
    cr_assert_eq(h.before_calls, 2);
    cr_assert(memcmp(before, params_of(net), P * sizeof(float)) == 0);

    free(before);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

Test(collective, failing_before_step_fails_the_step) {
    failing_before_step(BP_EIO, BP_EIO);
    failing_before_step(5, BP_ECOMM);
    failing_before_step(-1000, BP_ECOMM);
}

Test(collective, bad_gradient_still_hands_out_every_layer) {
    bp_net *net = three_layers();
    const size_t P = bp_net_num_params(net);
    float inputs[8 * 6], targets[8 * 3], big[9 * 6] = {0}, big_targets[9 * 3] = {0};
    batch_of_eight(inputs, targets);
    hook_log h = {0};
    set_log_hook(net, &h);
    float *g = grads_of(net);
    float nan_inputs[8 * 6];
    memcpy(nan_inputs, inputs, sizeof inputs);
    nan_inputs[7] = NAN;

    struct {
        const char *what;
        const float *x, *y;
        size_t n;
        int want;
    } cases[] = {
        {"NULL inputs", NULL, targets, 8, BP_EINVAL},
        {"NULL targets", inputs, NULL, 8, BP_EINVAL},
        {"n = 0", inputs, targets, 0, BP_EINVAL},
        {"n over the reserved batch", big, big_targets, 9, BP_EBATCH},
        {"inputs in the network's memory", g, targets, 1, BP_EINVAL},
        {"a NaN input", nan_inputs, targets, 8, BP_ENONFINITE},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t i = 0; i < P; i++)
            g[i] = 1.0f;
        h.calls = 0;
        const int rc = bp_net_gradient(net, cases[c].x, cases[c].y, cases[c].n, NULL);
        cr_assert_eq(rc, cases[c].want, "%s: %s, want %s", cases[c].what, bp_err_name(rc),
                     bp_err_name(cases[c].want));
        cr_assert_eq(h.calls, 3, "%s: %zu layers handed out, want 3", cases[c].what, h.calls);
        cr_assert(h.layers[0] == 2 && h.layers[1] == 1 && h.layers[2] == 0, "%s: order",
                  cases[c].what);
        for (size_t i = 0; i < P; i++)
            cr_assert(isnan(g[i]), "%s: gradient %zu is %g, want NaN", cases[c].what, i,
                      (double)g[i]);
    }
    /* Each of them left a gradient to complete, which the next completed
     * before writing the block again; a step completes the last one. */
    const size_t n_cases = sizeof cases / sizeof cases[0];
    bp_optimizer *opt = make_momentum(net, 0.1f);
    cr_assert_eq(h.before_calls, n_cases - 1);
    bp_optimizer_step(opt, net);
    cr_assert_eq(h.before_calls, n_cases);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

Test(collective, fused_step_refused_while_a_hook_is_set) {
    bp_net *net = three_layers();
    const size_t P = bp_net_num_params(net);
    float inputs[8 * 6], targets[8 * 3];
    batch_of_eight(inputs, targets);
    float *before = ref_alloc(P, sizeof(float));
    memcpy(before, params_of(net), P * sizeof(float));
    for (size_t k = 0; k < 3; k++) {
        hook_log h = {0};
        set_hook_kind(net, k, &h);
        cr_assert_eq(bp_net_train_step(net, inputs, targets, 8, 0.1f, NULL), BP_EINVAL, "hook %zu",
                     k);
        cr_assert_eq(h.calls + h.before_calls, 0);
        cr_assert(memcmp(before, params_of(net), P * sizeof(float)) == 0);
    }
    cr_assert_eq(bp_net_set_gradient_hook(net, NULL), BP_OK);
    cr_assert_eq(bp_net_train_step(net, inputs, targets, 8, 0.1f, NULL), BP_OK);
    cr_assert(memcmp(before, params_of(net), P * sizeof(float)) != 0);
    cr_assert_eq(bp_net_set_gradient_hook(NULL, NULL), BP_EINVAL);
    free(before);
    bp_net_destroy(net);
}

/* A batch whose cost is finite but whose gradient is not: an infinite
 * input saturates a tanh (a = +-1), and dW of the first layer takes it. */
static void infinite_input(float *inputs) {
    ref_fill_uniform(inputs, 8 * 6, 1, -1.0f, 1.0f);
    inputs[0] = INFINITY;
}

Test(collective, hook_gradient_unchecked_but_bp_train_checks) {
    float inputs[8 * 6], targets[8 * 3];
    infinite_input(inputs);
    ref_fill_uniform(targets, 8 * 3, 2, 0.0f, 1.0f);
    /* Without a hook the non-finite gradient is reported. */
    bp_net *net = three_layers();
    float cost = NAN;
    cr_assert_eq(bp_net_gradient(net, inputs, targets, 8, &cost), BP_ENONFINITE);
    cr_assert(isfinite(cost), "the case needs a finite cost, got %g", (double)cost);
    /* With a hook (either half) it is not: the block may be in flight. */
    for (size_t k = 0; k < 3; k++) {
        hook_log h = {0};
        const bp_gradient_hook hook = set_hook_kind(net, k, &h);
        const int rc = bp_net_gradient(net, inputs, targets, 8, &cost);
        cr_assert_eq(rc, BP_OK, "hook %zu (layer_ready %s, before_step %s): %s", k,
                     hook.layer_ready ? "set" : "NULL", hook.before_step ? "set" : "NULL",
                     bp_err_name(rc));
    }
    bp_net_destroy(net);

    /* bp_train with a hook set (alone) reports it and keeps the parameters. */
    bp_dataset data = make_set(40, 3);
    for (size_t i = 0; i < data.count; i++)
        data.inputs[i * FEATURES] = INFINITY;
    bp_net *big = make_net(4);
    bp_optimizer *opt = make_momentum(big, 0.1f);
    const size_t P = bp_net_num_params(big);
    float *before = ref_alloc(P, sizeof(float));
    memcpy(before, params_of(big), P * sizeof(float));
    hook_log h = {0};
    set_log_hook(big, &h);
    bp_train_options o = base_options(1, 8, 1);
    o.on_batch = NULL;
    o.on_epoch = NULL;
    cr_assert_eq(bp_train(big, opt, &data, NULL, &o), BP_ENONFINITE, "%s", bp_errmsg());
    cr_assert_eq(h.before_calls, 1, "bp_train completes the gradient before checking it");
    cr_assert_eq(h.calls, 2);
    cr_assert_eq(bp_optimizer_steps(opt), 0);
    cr_assert(memcmp(before, params_of(big), P * sizeof(float)) == 0);
    free(before);
    bp_optimizer_destroy(opt);
    bp_net_destroy(big);
    free_set(&data);
}

Test(collective, bp_train_alone_with_a_hook) {
    /* 203 examples in batches of 16: 13 gradients per epoch, each completed once. */
    bp_dataset train = make_set(203, 1);
    bp_net *net = make_net(2), *plain = make_net(2);
    bp_optimizer *opt = make_momentum(net, 0.1f), *plain_opt = make_momentum(plain, 0.1f);
    hook_log h = {0};
    set_log_hook(net, &h);
    bp_train_options o = base_options(2, 16, 5);
    o.on_batch = NULL;
    o.on_epoch = NULL;
    cr_assert_eq(bp_train(net, opt, &train, &train, &o), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_train(plain, plain_opt, &train, &train, &o), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(h.before_calls, 26);
    cr_assert_eq(h.calls, 52);
    /* A hook that changes nothing changes nothing. */
    assert_bitwise_params(net, plain, "with and without a hook");
    bp_optimizer_destroy(opt);
    bp_optimizer_destroy(plain_opt);
    bp_net_destroy(net);
    bp_net_destroy(plain);
    free_set(&train);
}

/* ------------------------------------------------------------------------ */
/* 2, 3. Equivalence of 1, 2 and 3 participants; determinism                 */
/* ------------------------------------------------------------------------ */

static void assert_reports_match(const participant *got, const participant *want, size_t epochs,
                                 size_t train_count, size_t test_count) {
    cr_assert_eq(got->epoch_calls, epochs);
    for (size_t e = 0; e < epochs; e++) {
        const bp_epoch_report *g = &got->reports[e], *w = &want->reports[e];
        cr_assert_eq(g->epoch, w->epoch);
        cr_assert_eq(g->epochs, w->epochs);
        cr_assert_float_eq(g->train_loss, w->train_loss, 1e-5 * fabs(w->train_loss),
                           "epoch %zu train loss %.9g, alone %.9g", e + 1, g->train_loss,
                           w->train_loss);
        cr_assert_float_eq(g->test_loss, w->test_loss, 1e-5 * fabs(w->test_loss),
                           "epoch %zu test loss %.9g, alone %.9g", e + 1, g->test_loss,
                           w->test_loss);
        /* At most one example classified otherwise (rounding at a tie). */
        cr_assert_leq(fabs(g->train_accuracy - w->train_accuracy), 1.01 / (double)train_count,
                      "epoch %zu train accuracy %.9g, alone %.9g", e + 1, g->train_accuracy,
                      w->train_accuracy);
        cr_assert_leq(fabs(g->test_accuracy - w->test_accuracy), 1.01 / (double)test_count,
                      "epoch %zu test accuracy %.9g, alone %.9g", e + 1, g->test_accuracy,
                      w->test_accuracy);
    }
}

/* Every participant saw bitwise the same reports. */
static void assert_reports_equal(const participant *p, size_t n) {
    for (size_t r = 1; r < n; r++) {
        cr_assert_eq(p[r].epoch_calls, p[0].epoch_calls);
        cr_assert_eq(p[r].batch_calls, p[0].batch_calls);
        cr_assert_eq(p[r].last_examples, p[0].last_examples);
        for (size_t e = 0; e < p[0].epoch_calls && e < MAX_EPOCHS; e++) {
            const bp_epoch_report *a = &p[r].reports[e], *b = &p[0].reports[e];
            cr_assert(a->train_loss == b->train_loss && a->train_accuracy == b->train_accuracy &&
                          a->test_loss == b->test_loss && a->test_accuracy == b->test_accuracy,
                      "participant %zu's epoch %zu report differs from participant 0's", r, e + 1);
        }
    }
}

/* Every participant succeeded, in step, having seen the same reports. */
static void assert_agreed_ok(participant *p, size_t n) {
    assert_all_ok(p, n);
    assert_in_step(p, n);
    assert_reports_equal(p, n);
}

/* `epochs` epochs of 203 examples (61 to test) in batches of `batch`, with
 * 1 participant and with n; the same model and reports. */
static void equivalence(size_t n, size_t batch, size_t epochs) {
    bp_dataset train = make_set(203, 11), test = make_set(61, 12);
    const bp_train_options o = base_options(epochs, batch, 21);
    participant alone, p[MAX_PARTICIPANTS];
    make_participants(&alone, 1, &train, &test, &o, 3);
    run_alone(&alone);
    assert_all_ok(&alone, 1);
    make_participants(p, n, &train, &test, &o, 3);
    run_group(p, n, 0, 0);
    assert_agreed_ok(p, n);

    const size_t batches = (203 + batch - 1) / batch;
    for (size_t r = 0; r < n; r++) {
        char what[64];
        snprintf(what, sizeof what, "participant %zu of %zu against 1", r, n);
        assert_close_params(p[r].net, alone.net, what);
        assert_reports_match(&p[r], &alone, epochs, 203, 61);
        cr_assert_eq(bp_optimizer_steps(p[r].opt), epochs * batches);
        cr_assert_eq(p[r].batch_calls, epochs * batches);
        cr_assert_eq(p[r].batches_per_epoch, batches);
        cr_assert_eq(p[r].last_examples, 203, "the batch reports count the global examples");
        cr_assert_eq(p[r].before_calls, epochs * batches);
    }
    cr_assert_eq(alone.last_examples, 203);
    /* The run moved the model: the comparison is not of two starting points. */
    bp_net *start = make_net(3);
    float *a = params_of(alone.net), *s = params_of(start);
    double moved = 0.0;
    for (size_t i = 0; i < bp_net_num_params(start); i++)
        moved = fmax(moved, fabs((double)a[i] - (double)s[i]));
    cr_assert_gt(moved, 1e-2, "training moved the parameters by only %g", moved);
    bp_net_destroy(start);

    free_participants(&alone, 1);
    free_participants(p, n);
    free_set(&train);
    free_set(&test);
}

/* 203 in batches of 16: shares of 16 and of the last 11 are uneven. */
Test(collective, two_participants_train_as_one) { equivalence(2, 16, 1); }
Test(collective, three_participants_train_as_one) { equivalence(3, 16, 1); }
/* 203 in batches of 67: the last batch of 2 leaves participant 2 an empty share. */
Test(collective, last_batch_smaller_than_the_participants) {
    equivalence(3, 67, 2);
    equivalence(2, 101, 2); /* last batch of 1 */
}
Test(collective, several_epochs) { equivalence(3, 16, 3); }

Test(collective, bitwise_repeatable) {
    bp_dataset train = make_set(203, 11), test = make_set(61, 12);
    const bp_train_options o = base_options(2, 16, 8);
    participant a[3], b[3];
    make_participants(a, 3, &train, &test, &o, 5);
    make_participants(b, 3, &train, &test, &o, 5);
    run_group(a, 3, 0, 0);
    run_group(b, 3, 0, 0);
    assert_all_ok(a, 3);
    assert_all_ok(b, 3);
    for (size_t r = 0; r < 3; r++)
        assert_bitwise_params(a[r].net, b[r].net, "two runs of 3");
    cr_assert(memcmp(&a[0].reports[1].train_loss, &b[0].reports[1].train_loss, sizeof(double)) ==
              0);
    /* Another seed, another model: the seed is used. */
    participant c[3];
    bp_train_options other = o;
    other.seed = 9;
    make_participants(c, 3, &train, &test, &other, 5);
    run_group(c, 3, 0, 0);
    assert_all_ok(c, 3);
    cr_assert(memcmp(params_of(c[0].net), params_of(a[0].net),
                     bp_net_num_params(a[0].net) * sizeof(float)) != 0);
    free_participants(a, 3);
    free_participants(b, 3);
    free_participants(c, 3);
    free_set(&train);
    free_set(&test);
}

/* ------------------------------------------------------------------------ */
/* 4. Sharded data                                                           */
/* ------------------------------------------------------------------------ */

/* Participant r trains on shards[r] and tests on tests[r]; all must succeed alike. */
static void run_sharded(participant *p, size_t n, const bp_dataset *shards,
                        const bp_dataset *tests) {
    for (size_t r = 0; r < n; r++) {
        p[r].train = &shards[r];
        p[r].test = &tests[r];
    }
    run_group(p, n, 1, 0);
    assert_agreed_ok(p, n);
}

Test(collective, sharded_epoch_is_the_smallest_shards_batches) {
    /* Shards of 50, 37 and 70, batch 12: a share of 4 from each; the shard
     * of 37 gives 10 batches (the last with 1), so an epoch is 10 batches of
     * 4 + 4 + 4 examples but the last, 4 + 1 + 4: 117 examples. */
    bp_dataset all = make_set(157, 31), test = make_set(60, 32);
    bp_dataset shards[3] = {slice(&all, 0, 50), slice(&all, 50, 37), slice(&all, 87, 70)};
    bp_dataset tests[3] = {slice(&test, 0, 20), slice(&test, 20, 15), slice(&test, 35, 25)};
    const size_t epochs = 4;
    const bp_train_options o = base_options(epochs, 12, 3);
    participant p[3];
    make_participants(p, 3, NULL, NULL, &o, 6);
    run_sharded(p, 3, shards, tests);
    for (size_t r = 0; r < 3; r++) {
        cr_assert_eq(p[r].batches_per_epoch, 10, "participant %zu: %zu batches per epoch", r,
                     p[r].batches_per_epoch);
        cr_assert_eq(p[r].batch_calls, epochs * 10);
        cr_assert_eq(p[r].last_examples, 117);
        cr_assert_eq(bp_optimizer_steps(p[r].opt), epochs * 10);
    }
    /* It learns. */
    cr_assert_lt(p[0].reports[epochs - 1].train_loss, 0.8 * p[0].reports[0].train_loss,
                 "train loss %g after %g", p[0].reports[epochs - 1].train_loss,
                 p[0].reports[0].train_loss);
    /* The test shards together are the test set. */
    double loss = NAN, accuracy = NAN;
    cr_assert_eq(bp_evaluate(p[0].net, &test, &loss, &accuracy), BP_OK);
    cr_assert_float_eq(p[1].reports[epochs - 1].test_loss, loss, 1e-6 * loss);
    cr_assert_float_eq(p[1].reports[epochs - 1].test_accuracy, accuracy, 1e-12);
    free_participants(p, 3);
    free_set(&all);
    free_set(&test);
}

/* When a batch holds every example of every shard, the order within a
 * shard does not matter: sharded training is full-batch training on the
 * union, the gradient a mean over the examples there are (162, not the
 * batch size of 183). */
Test(collective, sharded_full_batch_equals_one_participant) {
    bp_dataset all = make_set(162, 41), test = make_set(45, 42);
    bp_dataset shards[3] = {slice(&all, 0, 40), slice(&all, 40, 61), slice(&all, 101, 61)};
    bp_dataset tests[3] = {slice(&test, 0, 10), slice(&test, 10, 30), slice(&test, 40, 5)};
    const size_t epochs = 5;
    participant alone, p[3];
    const bp_train_options whole = base_options(epochs, 162, 4);
    make_participants(&alone, 1, &all, &test, &whole, 8);
    run_alone(&alone);
    assert_all_ok(&alone, 1);
    const bp_train_options o = base_options(epochs, 183, 4);
    make_participants(p, 3, NULL, NULL, &o, 8);
    run_sharded(p, 3, shards, tests);
    for (size_t r = 0; r < 3; r++) {
        cr_assert_eq(p[r].batches_per_epoch, 1);
        cr_assert_eq(p[r].last_examples, 162);
        assert_close_params(p[r].net, alone.net, "3 shards, one batch, against 1");
        assert_reports_match(&p[r], &alone, epochs, 162, 45);
    }
    free_participants(&alone, 1);
    free_participants(p, 3);
    free_set(&all);
    free_set(&test);
}

/* ------------------------------------------------------------------------ */
/* 5. Resuming at first_epoch with another number of participants            */
/* ------------------------------------------------------------------------ */

Test(collective, resume_two_then_three_equals_one) {
    bp_dataset train = make_set(203, 51), test = make_set(61, 52);
    participant alone, two[2], three[3];
    const bp_train_options all_three = base_options(3, 16, 77);
    make_participants(&alone, 1, &train, &test, &all_three, 9);
    run_alone(&alone);
    assert_all_ok(&alone, 1);

    const bp_train_options first_two = base_options(2, 16, 77);
    make_participants(two, 2, &train, &test, &first_two, 9);
    run_group(two, 2, 0, 0);
    assert_all_ok(two, 2);
    assert_in_step(two, 2);

    /* The checkpoint: participant 0's parameters and optimizer file. */
    make_scratch("bp_collective");
    char path[128];
    path_in_scratch(path, sizeof path, "optimizer.bpo");
    cr_assert_eq(bp_optimizer_save(two[0].opt, path), BP_OK, "%s", bp_errmsg());
    bp_train_options rest = base_options(3, 16, 77);
    rest.first_epoch = 2;
    make_participants(three, 3, &train, &test, &rest, 1234); /* other starting parameters */
    const size_t P = bp_net_num_params(two[0].net);
    for (size_t r = 0; r < 3; r++) {
        memcpy(params_of(three[r].net), params_of(two[0].net), P * sizeof(float));
        cr_assert_eq(bp_optimizer_load(three[r].opt, path), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(bp_optimizer_steps(three[r].opt), 2 * 13);
    }
    remove_scratch();
    run_group(three, 3, 0, 0);
    assert_all_ok(three, 3);
    assert_in_step(three, 3);
    for (size_t r = 0; r < 3; r++) {
        assert_close_params(three[r].net, alone.net, "2 then 3 participants against 1");
        cr_assert_eq(bp_optimizer_steps(three[r].opt), 3 * 13);
        cr_assert_eq(three[r].epoch_calls, 1);
        cr_assert_eq(three[r].reports[0].epoch, 3);
        cr_assert_float_eq(three[r].reports[0].train_loss, alone.reports[2].train_loss,
                           1e-5 * alone.reports[2].train_loss);
        cr_assert_float_eq(three[r].reports[0].test_loss, alone.reports[2].test_loss,
                           1e-5 * alone.reports[2].test_loss);
    }
    free_participants(&alone, 1);
    free_participants(two, 2);
    free_participants(three, 3);
    free_set(&train);
    free_set(&test);
}

/* ------------------------------------------------------------------------ */
/* 6. Agreement: every failure on every participant, no hang                 */
/* ------------------------------------------------------------------------ */

/* Three participants on the shared set (and test set, with `test`),
 * participant 1 changed by `change`; every one must fail with BP_EINVAL
 * naming `field`, untrained. */
static void disagreement_on(void (*change)(participant *), const char *field, bool test) {
    bp_dataset train = make_set(60, 61), tests = make_set(20, 62);
    const bp_train_options o = base_options(2, 16, 1);
    participant p[3];
    make_participants(p, 3, &train, test ? &tests : NULL, &o, 2);
    change(&p[1]);
    run_group(p, 3, 0, 0);
    for (size_t r = 0; r < 3; r++) {
        cr_assert_eq(p[r].rc, BP_EINVAL, "%s: participant %zu: %s (%s)", field, r,
                     bp_err_name(p[r].rc), p[r].errmsg);
        cr_assert(strstr(p[r].errmsg, field) != NULL, "participant %zu: \"%s\" does not name %s", r,
                  p[r].errmsg, field);
        cr_assert_eq(bp_optimizer_steps(p[r].opt), 0);
        cr_assert_eq(p[r].batch_calls, 0);
    }
    free_participants(p, 3);
    free_set(&train);
    free_set(&tests);
}

static void disagreement(void (*change)(participant *), const char *field) {
    disagreement_on(change, field, false);
}

static void other_seed(participant *p) { p->options.seed++; }
static void other_batch(participant *p) { p->options.batch_size = 15; }
static void other_epochs(participant *p) { p->options.epochs = 3; }
static void other_first_epoch(participant *p) { p->options.first_epoch = 1; }
static void other_params(participant *p) { params_of(p->net)[3] += 1e-6f; }
static void other_rate(participant *p) {
    bp_optimizer_destroy(p->opt);
    p->opt = make_momentum(p->net, 0.2f);
}
static void other_shape(participant *p) {
    bp_net_destroy(p->net);
    bp_optimizer_destroy(p->opt);
    const size_t sizes[] = {FEATURES, HIDDEN, CLASSES};
    const bp_activation acts[] = {BP_ACT_SIGMOID, BP_ACT_SOFTMAX};
    cr_assert_eq(bp_net_create(&p->net, 2, sizes, acts, BP_KERNELS_OPENBLAS, 2), BP_OK);
    cr_assert_eq(bp_net_set_loss(p->net, BP_LOSS_CROSS_ENTROPY), BP_OK);
    p->opt = make_momentum(p->net, 0.1f);
}
static void with_test_set(participant *p) { p->test = p->train; }
/* One row fewer of the same data: 59 rows still make the same 4 batches of
 * 16, so without the check the participants would train on different
 * batches without noticing. */
static bp_dataset shorter;
static void shorter_train_set(participant *p) {
    shorter = *p->train;
    shorter.count--;
    p->train = &shorter;
}
static void shorter_test_set(participant *p) {
    shorter = *p->test;
    shorter.count--;
    p->test = &shorter;
}

Test(collective, differing_participants_all_fail_naming_the_field) {
    disagreement(other_seed, "seed");
    disagreement(other_batch, "batch size");
    disagreement(other_epochs, "epochs");
    disagreement(other_first_epoch, "first epoch");
    disagreement(other_params, "starting parameters");
    disagreement(other_rate, "optimizer");
    disagreement(other_shape, "activations");
    disagreement(with_test_set, "test set");
    disagreement(shorter_train_set, "training-set size");
    disagreement_on(shorter_test_set, "test-set size", true);
}

/* Participant `who` failed with `code`, every other with BP_EPEER, before
 * any step. */
static void assert_one_failed(participant *p, size_t n, size_t who, int code) {
    for (size_t r = 0; r < n; r++) {
        const int want = r == who ? code : BP_EPEER;
        cr_assert_eq(p[r].rc, want, "participant %zu: %s (%s), want %s", r, bp_err_name(p[r].rc),
                     p[r].errmsg, bp_err_name(want));
        cr_assert_eq(bp_optimizer_steps(p[r].opt), 0);
    }
    assert_in_step(p, n);
}

/* Participant 1 has a bad argument: it fails with its own code, the others
 * with BP_EPEER, nobody waits forever. */
static void bad_argument(void (*change)(participant *), int want, int sharded) {
    bp_dataset train = make_set(60, 61);
    const bp_train_options o = base_options(2, 16, 1);
    participant p[3];
    make_participants(p, 3, &train, NULL, &o, 2);
    change(&p[1]);
    run_group(p, 3, sharded, 0);
    assert_one_failed(p, 3, 1, want);
    free_participants(p, 3);
    free_set(&train);
}

static void zero_epochs(participant *p) { p->options.epochs = 0; }
static void zero_batch(participant *p) { p->options.batch_size = 0; }
static void no_train(participant *p) { p->train = NULL; }
static void first_epoch_past(participant *p) { p->options.first_epoch = 2; }
static void wrong_optimizer(participant *p) {
    bp_net *other = three_layers();
    bp_optimizer_destroy(p->opt);
    p->opt = make_momentum(other, 0.1f);
    bp_net_destroy(other);
}
static void bad_label(participant *p) {
    p->own = copy_set(p->train);
    p->own.labels[5] = CLASSES;
    p->train = &p->own;
}
static void batch_under_participants(participant *p) { p->options.batch_size = 2; }
/* Nothing would sum its gradient: it would drift from the others. */
static void without_hook(participant *p) { p->no_hook = true; }

Test(collective, bad_argument_on_one_is_peer_failure_on_the_others) {
    bad_argument(zero_epochs, BP_EINVAL, 0);
    bad_argument(zero_batch, BP_EINVAL, 0);
    bad_argument(no_train, BP_EINVAL, 0);
    bad_argument(first_epoch_past, BP_EINVAL, 0);
    bad_argument(wrong_optimizer, BP_EINVAL, 0);
    bad_argument(bad_label, BP_EINVAL, 0);
    bad_argument(without_hook, BP_EINVAL, 0);
    /* Sharded, a batch must give each participant a share. */
    bad_argument(batch_under_participants, BP_EINVAL, 1);
}

/* A collective of one is training alone: no sum, sharded or not. */
Test(collective, collective_of_one_is_alone) {
    bp_dataset train = make_set(203, 11), test = make_set(61, 12);
    const bp_train_options o = base_options(2, 16, 21);
    participant alone, one[2];
    make_participants(&alone, 1, &train, &test, &o, 3);
    run_alone(&alone);
    assert_all_ok(&alone, 1);
    for (int sharded = 0; sharded < 2; sharded++) {
        make_participants(&one[sharded], 1, &train, &test, &o, 3);
        run_group(&one[sharded], 1, sharded, 0);
        assert_all_ok(&one[sharded], 1);
        cr_assert_eq(one[sharded].sums, 0);
        assert_bitwise_params(one[sharded].net, alone.net, "a collective of one");
        cr_assert(one[sharded].reports[1].test_loss == alone.reports[1].test_loss);
    }
    free_participants(&alone, 1);
    free_participants(one, 2);
    free_set(&train);
    free_set(&test);
}

Test(collective, invalid_collective_fails_without_a_sum) {
    bp_dataset train = make_set(20, 1);
    bp_net *net = make_net(1);
    bp_optimizer *opt = make_momentum(net, 0.1f);
    participant p = {0};
    bp_train_options o = base_options(1, 4, 1);
    const bp_collective bad[] = {
        {.rank = 0, .size = 0, .sum = sum_doubles, .user = &p},
        {.rank = 2, .size = 2, .sum = sum_doubles, .user = &p},
        {.rank = 0, .size = 2, .sum = NULL},
    };
    for (size_t k = 0; k < 3; k++) {
        o.collective = &bad[k];
        cr_assert_eq(bp_train(net, opt, &train, NULL, &o), BP_EINVAL, "case %zu", k);
    }
    cr_assert_eq(p.sums, 0);
    cr_assert_eq(bp_optimizer_steps(opt), 0);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free_set(&train);
}

/* Runs 3 participants on 60 examples sharded 20 each (so each sees its own
 * examples), with participant 1's shard `spoiled`; returns through p. */
static void sharded_three(participant *p, bp_dataset *all, bp_dataset shards[3],
                          const bp_train_options *o) {
    make_participants(p, 3, NULL, NULL, o, 2);
    for (size_t r = 0; r < 3; r++) {
        shards[r] = slice(all, 20 * r, 20);
        p[r].train = &shards[r];
    }
}

Test(collective, nan_on_one_stops_all_at_the_last_good_step) {
    /* Shared data, participant 1's copy NaN everywhere: its first share fails. */
    bp_dataset train = make_set(60, 71), spoiled = copy_set(&train);
    for (size_t i = 0; i < spoiled.count * FEATURES; i += 7)
        spoiled.inputs[i] = NAN;
    const bp_train_options o = base_options(2, 12, 1);
    participant p[3];
    make_participants(p, 3, &train, NULL, &o, 2);
    p[1].train = &spoiled;
    bp_net *start = make_net(2);
    run_group(p, 3, 0, 0);
    assert_all_stopped(p, 3, BP_ENONFINITE, 0);
    assert_bitwise_params(p[0].net, start, "a NaN in the first batch");
    free_participants(p, 3);
    bp_net_destroy(start);

    /* Sharded: one NaN example in participant 1's shard of 20, met at some
     * batch of the first epoch (a shard of the smallest size is used whole).
     * All stop there, with the parameters of the step before: what a clean
     * run stopped by a callback after the same number of steps has. */
    bp_dataset clean_shards[3], bad_shards[3];
    bp_dataset dirty = copy_set(&train);
    dirty.inputs[(20 + 13) * FEATURES + 4] = NAN;
    sharded_three(p, &dirty, bad_shards, &o);
    run_group(p, 3, 1, 0);
    for (size_t r = 0; r < 3; r++)
        cr_assert_eq(p[r].rc, BP_ENONFINITE, "participant %zu: %s (%s)", r, bp_err_name(p[r].rc),
                     p[r].errmsg);
    assert_in_step(p, 3);
    const size_t good = (size_t)bp_optimizer_steps(p[0].opt);
    cr_assert_lt(good, 5, "the NaN example must be met in the first epoch's 5 batches");
    for (size_t r = 0; r < 3; r++)
        cr_assert_eq(p[r].batch_calls, good);

    participant q[3];
    sharded_three(q, &train, clean_shards, &o);
    q[2].stop_at = good;
    if (good > 0) {
        run_group(q, 3, 1, 0);
        for (size_t r = 0; r < 3; r++) {
            cr_assert_eq(q[r].rc, BP_ECANCELED, "participant %zu: %s", r, bp_err_name(q[r].rc));
            cr_assert_eq(bp_optimizer_steps(q[r].opt), good);
            assert_bitwise_params(q[r].net, p[0].net, "stopped at the last good step");
        }
    } else {
        bp_net *fresh = make_net(2);
        assert_bitwise_params(p[0].net, fresh, "a NaN in the first batch");
        bp_net_destroy(fresh);
    }
    free_participants(p, 3);
    free_participants(q, 3);
    free_set(&train);
    free_set(&spoiled);
    free_set(&dirty);
}

Test(collective, batch_callback_stop_on_one_stops_all_at_the_same_step) {
    bp_dataset train = make_set(203, 81);
    const bp_train_options o = base_options(3, 16, 2);
    participant alone, p[3];
    /* Stop asked after batch 5 of epoch 2 (step 18) by participant 2 only. */
    make_participants(&alone, 1, &train, NULL, &o, 4);
    alone.stop_at = 18;
    run_alone(&alone);
    cr_assert_eq(alone.rc, BP_ECANCELED);
    cr_assert_eq(bp_optimizer_steps(alone.opt), 18);
    make_participants(p, 3, &train, NULL, &o, 4);
    p[2].stop_at = 18;
    run_group(p, 3, 0, 0);
    assert_all_stopped(p, 3, BP_ECANCELED, 18);
    for (size_t r = 0; r < 3; r++) {
        cr_assert_eq(p[r].batch_calls, 18);
        assert_close_params(p[r].net, alone.net, "stopped by one participant's callback");
    }
    free_participants(&alone, 1);
    free_participants(p, 3);

    /* The last batch of an epoch (13 per epoch), and the epoch callback. */
    make_participants(p, 3, &train, NULL, &o, 4);
    p[0].stop_at = 13;
    run_group(p, 3, 0, 0);
    assert_all_stopped(p, 3, BP_ECANCELED, 13);
    free_participants(p, 3);
    make_participants(p, 3, &train, NULL, &o, 4);
    p[1].stop_at_epoch = 2;
    run_group(p, 3, 0, 0);
    assert_all_stopped(p, 3, BP_ECANCELED, 26);
    for (size_t r = 0; r < 3; r++)
        cr_assert_eq(p[r].epoch_calls, 2);
    free_participants(p, 3);
    free_set(&train);
}

Test(collective, failed_sum_is_ecomm_everywhere) {
    bp_dataset train = make_set(60, 91), test = make_set(20, 92);
    const bp_train_options o = base_options(2, 16, 2);
    /* Find how many sums a whole run makes, then fail each of them in turn
     * (at the start, at a step, in the evaluation, at an epoch's end). */
    participant p[2];
    make_participants(p, 2, &train, &test, &o, 4);
    run_group(p, 2, 0, 0);
    assert_all_ok(p, 2);
    const size_t sums = p[0].sums;
    cr_assert_eq(p[1].sums, sums);
    cr_assert_gt(sums, 8);
    free_participants(p, 2);
    for (size_t k = 1; k <= sums; k++) {
        make_participants(p, 2, &train, &test, &o, 4);
        run_group(p, 2, 0, k);
        for (size_t r = 0; r < 2; r++)
            cr_assert_eq(p[r].rc, BP_ECOMM, "sum %zu of %zu failed: participant %zu gave %s (%s)",
                         k, sums, r, bp_err_name(p[r].rc), p[r].errmsg);
        assert_in_step(p, 2);
        free_participants(p, 2);
    }
    free_set(&train);
    free_set(&test);
}

Test(collective, failed_before_step_on_one_is_peer_failure_on_the_others) {
    bp_dataset train = make_set(60, 93);
    const bp_train_options o = base_options(2, 16, 2);
    participant p[3];
    make_participants(p, 3, &train, NULL, &o, 4);
    p[2].before_result = BP_EIO;
    run_group(p, 3, 0, 0);
    assert_one_failed(p, 3, 2, BP_EIO);
    free_participants(p, 3);
    make_participants(p, 3, &train, NULL, &o, 4);
    p[0].before_result = 7;
    run_group(p, 3, 0, 0);
    assert_one_failed(p, 3, 0, BP_ECOMM);
    free_participants(p, 3);
    free_set(&train);
}
