/* The cases bp-bench times: one layer's products through the internal kernel
 * table, or a whole training step through the public API, on both kernel sets
 * with the same data, and the naive loops capped by time. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "core/activation.h"
#include "core/kernels.h"
#include "core/rng.h"
#include "support/alloc.h"

/* The step size of the timed training steps. Speed does not depend on it;
 * small, so that many steps leave the sigmoids far from saturation. */
#define LEARNING_RATE 0.01f

double bench_flops(bench_case_kind kind, const bench_shape *shape, size_t batch) {
    const double n = (double)batch;
    if (kind != BENCH_TRAIN_STEP) /* one product: 2 in out n */
        return 2.0 * (double)shape->sizes[0] * (double)shape->sizes[1] * n;
    /* Per layer: the forward product and the weight gradient; every layer but
     * the first also the input gradient (the backward pass does not compute
     * dC/dx, which nothing learns from). Elementwise work is not counted. */
    double flops = 0.0;
    for (size_t l = 1; l < shape->count; l++)
        flops +=
            (l == 1 ? 2.0 : 3.0) * 2.0 * (double)shape->sizes[l - 1] * (double)shape->sizes[l] * n;
    return flops;
}

/* A block of rows x cols floats; NULL after printing why. */
static float *alloc_matrix(size_t rows, size_t cols, const char *what) {
    size_t bytes;
    if (!bp__mul_size(rows, cols, &bytes) || !bp__mul_size(bytes, sizeof(float), &bytes)) {
        fprintf(stderr, "bp-bench: %s of %zu x %zu floats overflows size_t\n", what, rows, cols);
        return NULL;
    }
    float *block = bp__alloc(bytes);
    if (!block)
        fprintf(stderr, "bp-bench: out of memory for %s (%zu bytes)\n", what, bytes);
    return block;
}

static void fill_uniform(bp__rng *rng, float *x, size_t count, float low, float high) {
    for (size_t i = 0; i < count; i++)
        x[i] = bp__rng_uniform(rng, low, high);
}

/* ------------------------------------------------------------------------ */
/* One layer's products                                                      */
/* ------------------------------------------------------------------------ */

typedef struct op_context {
    const bp__kernels *kernels;
    bench_case_kind kind;
    size_t in, out;
    float *a_prev; /* n x in, sigmoid outputs in [0, 1) */
    float *w;      /* out x in */
    float *bias;   /* out */
    float *z;      /* n x out */
    float *delta;  /* n x out */
    float *dw;     /* out x in */
    float *da;     /* n x in */
} op_context;

static int op_step(void *context, size_t n) {
    const op_context *c = context;
    switch (c->kind) {
    case BENCH_FORWARD:
        /* Z = A_prev W^T, then A = sigma(Z + 1 b^T): the forward pass of a layer. */
        c->kernels->dense_forward(n, c->in, c->out, c->a_prev, c->w, c->z);
        bp__activation_forward(BP_ACT_SIGMOID, n, c->out, c->bias, c->z);
        break;
    case BENCH_WEIGHT_GRAD:
        /* dW = Delta^T A_prev */
        c->kernels->weight_grad(n, c->in, c->out, 1.0f, c->delta, c->a_prev, false, c->dw);
        break;
    case BENCH_INPUT_GRAD:
        /* dA_prev = Delta W, then Delta_prev = sigma'(Z_prev) (*) dA_prev with
         * sigma' from A_prev: the sensitivity as the backward pass forms it. */
        c->kernels->input_grad(n, c->in, c->out, c->delta, c->w, c->da);
        bp__activation_backward(BP_ACT_SIGMOID, n * c->in, c->a_prev, c->da);
        break;
    case BENCH_TRAIN_STEP:
    case BENCH_CASE_KINDS:
    default:
        break;
    }
    return 0;
}

static void op_free(op_context *c) {
    bp__free(c->a_prev);
    bp__free(c->w);
    bp__free(c->bias);
    bp__free(c->z);
    bp__free(c->delta);
    bp__free(c->dw);
    bp__free(c->da);
}

/* Allocates and fills the buffers of one layer's products on n examples. */
static int op_prepare(op_context *c, bench_case_kind kind, size_t in, size_t out, size_t n,
                      unsigned long long seed) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->in = in;
    c->out = out;
    if (!(c->a_prev = alloc_matrix(n, in, "the layer's inputs")) ||
        !(c->w = alloc_matrix(out, in, "the weights")) ||
        !(c->bias = alloc_matrix(1, out, "the biases")) ||
        !(c->z = alloc_matrix(n, out, "the outputs")) ||
        !(c->delta = alloc_matrix(n, out, "the deltas")) ||
        !(c->dw = alloc_matrix(out, in, "the weight gradient")) ||
        !(c->da = alloc_matrix(n, in, "the input gradient"))) {
        op_free(c);
        return -1;
    }
    bp__rng rng;
    bp__rng_seed(&rng, seed);
    const float bound = 1.0f / sqrtf((float)in);
    fill_uniform(&rng, c->a_prev, n * in, 0.0f, 1.0f);
    fill_uniform(&rng, c->w, out * in, -bound, bound);
    fill_uniform(&rng, c->bias, out, -bound, bound);
    fill_uniform(&rng, c->delta, n * out, -0.01f, 0.01f);
    /* The outputs are written before they are read; touch them now so that
     * page faults do not land in the timings. */
    memset(c->z, 0, n * out * sizeof(float));
    memset(c->dw, 0, out * in * sizeof(float));
    memset(c->da, 0, n * in * sizeof(float));
    return 0;
}

/* ------------------------------------------------------------------------ */
/* A training step                                                           */
/* ------------------------------------------------------------------------ */

typedef struct train_context {
    bp_net *net;
    bp_workers *workers;  /* --workers N > 1: the pool, and plain SGD to step with */
    bp_optimizer *opt;    /* the SGD of the pool, or of --step loop on one worker */
    const float *inputs;  /* batch x n_0 in [0, 1) */
    const float *targets; /* batch x n_L, one-hot */
} train_context;

/* What a training step on OpenBLAS reports besides its time. */
typedef struct train_profile {
    double phase_seconds[BP_PHASES]; /* per step */
    double resident_growth_bytes, needed_bytes;
} train_profile;

static void profile_unknown(train_profile *profile) {
    for (size_t p = 0; p < BP_PHASES; p++)
        profile->phase_seconds[p] = NAN;
    profile->resident_growth_bytes = profile->needed_bytes = NAN;
}

static int train_step(void *context, size_t n) {
    const train_context *c = context;
    if (c->workers) {
        /* The workers' gradient and their sum, then theta <- theta - eta g
         * over slices, in one wake-up: what bp_train does with workers. */
        return bp_workers_train_step(c->workers, c->opt, c->inputs, c->targets, n, NULL);
    }
    if (c->opt) {
        /* --step loop: dC/dtheta, then theta <- theta - eta g in a pass of
         * its own, as bp_train (and the planner) take one worker's step. */
        const int rc = bp_net_gradient(c->net, c->inputs, c->targets, n, NULL);
        return rc == BP_OK ? bp_optimizer_step(c->opt, c->net) : rc;
    }
    /* Forward, quadratic cost, backward, theta <- theta - eta dC/dtheta. */
    return bp_net_train_step(c->net, c->inputs, c->targets, n, LEARNING_RATE, NULL);
}

static void train_free(train_context *c) {
    bp_workers_destroy(c->workers);
    bp_optimizer_destroy(c->opt);
    bp_net_destroy(c->net);
    c->workers = NULL;
    c->opt = NULL;
    c->net = NULL;
}

/* A network of sigmoid layers on `kernels`, with room for `batch`, and with
 * workers > 1 (BLAS sets only) a pool of them and an SGD optimizer. */
static int train_create(train_context *c, const bench_shape *shape, size_t batch,
                        bp_kernels kernels, size_t workers, bool loop, unsigned long long seed) {
    const bool naive = kernels == BP_KERNELS_NAIVE;
    bp_activation activations[BENCH_MAX_SIZES];
    for (size_t l = 0; l + 1 < shape->count; l++)
        activations[l] = BP_ACT_SIGMOID; /* as in the derivation */
    int rc = bp_net_create(&c->net, shape->count - 1, shape->sizes, activations, kernels, seed);
    if (rc == BP_OK)
        rc = bp_net_reserve(c->net, batch);
    if (rc == BP_OK && (workers > 1 || loop) && !naive) {
        bp_optimizer_config config;
        bp_optimizer_config_default(&config, BP_OPT_SGD);
        config.learning_rate = LEARNING_RATE;
        rc = bp_optimizer_create(&c->opt, c->net, &config);
        if (rc == BP_OK && workers > 1)
            rc = bp_workers_create(&c->workers, c->net, workers, batch);
    }
    if (rc != BP_OK) {
        fprintf(stderr, "bp-bench: cannot create the network: %s (%s)\n", bp_errmsg(),
                bp_err_name(rc));
        train_free(c);
        return -1;
    }
    return 0;
}

/* The same inputs and one-hot targets for both kernel sets. */
static int train_data(float **inputs, float **targets, const bench_shape *shape, size_t batch,
                      unsigned long long seed) {
    const size_t n_in = shape->sizes[0], n_out = shape->sizes[shape->count - 1];
    *inputs = alloc_matrix(batch, n_in, "the inputs");
    *targets = *inputs ? alloc_matrix(batch, n_out, "the targets") : NULL;
    if (!*targets) {
        bp__free(*inputs);
        *inputs = NULL;
        return -1;
    }
    bp__rng rng;
    bp__rng_seed(&rng, seed ^ 0x5eedda7aull);
    fill_uniform(&rng, *inputs, batch * n_in, 0.0f, 1.0f);
    memset(*targets, 0, batch * n_out * sizeof(float));
    for (size_t i = 0; i < batch; i++)
        (*targets)[i * n_out + bp__rng_next(&rng) % n_out] = 1.0f;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Running a case                                                            */
/* ------------------------------------------------------------------------ */

int bench_naive_calibrate(bench_naive_speed *speed, unsigned long long seed) {
    /* A layer small enough to take milliseconds on any machine. */
    const size_t in = 256, out = 256, n = 16;
    op_context c;
    if (op_prepare(&c, BENCH_FORWARD, in, out, n, seed) != 0)
        return -1;
    c.kernels = &bp__kernels_naive;
    const bench_plan plan = {
        .seconds = 0.02, .cap_seconds = 0.05, .min_reps = 3, .target_reps = 3, .warm_up = true};
    bench_stats stats;
    bench_measure(op_step, &c, n, &plan, &stats);
    op_free(&c);
    const bench_shape shape = {2, {in, out}};
    speed->lowest = bench_flops(BENCH_FORWARD, &shape, n) / stats.median;
    return 0;
}

/* The naive FLOP/s to predict this case's time from: the lowest measured on
 * a case of this kind, else the lowest of any. */
static double predicted_speed(const bench_naive_speed *speed, bench_case_kind kind) {
    return speed->lowest_of[kind] > 0.0 ? speed->lowest_of[kind] : speed->lowest;
}

static void record_speed(bench_naive_speed *speed, bench_case_kind kind, double flops_per_second) {
    if (!(flops_per_second > 0.0) || !isfinite(flops_per_second))
        return;
    if (speed->lowest_of[kind] == 0.0 || flops_per_second < speed->lowest_of[kind])
        speed->lowest_of[kind] = flops_per_second;
    if (speed->lowest == 0.0 || flops_per_second < speed->lowest)
        speed->lowest = flops_per_second;
}

static void fill_result(bench_result *r, const bench_case *c, bool naive, size_t measured,
                        size_t workers, const bench_stats *stats, double peak_gflops,
                        const train_profile *profile) {
    memset(r, 0, sizeof *r);
    r->kind = c->kind;
    r->shape = c->shape;
    r->batch = c->batch;
    r->naive = naive;
    r->threads = naive || workers > 1 ? 1 : bp_blas_threads();
    r->workers = workers;
    r->measured_batch = measured;
    r->flops = bench_flops(c->kind, &c->shape, c->batch);
    r->stats = *stats;
    /* Per example for an estimate: the naive loops are linear in the batch. */
    r->seconds_per_step = stats->median * (double)c->batch / (double)measured;
    r->examples_per_second = (double)measured / stats->median;
    r->gflops = bench_flops(c->kind, &c->shape, measured) / stats->median / 1e9;
    r->percent_of_peak = 100.0 * r->gflops / peak_gflops;
    r->peak_gflops = peak_gflops;
    r->speedup = NAN;
    memcpy(r->phase_seconds, profile->phase_seconds, sizeof r->phase_seconds);
    r->resident_growth_bytes = profile->resident_growth_bytes;
    r->needed_bytes = profile->needed_bytes;
}

/* The largest batch, 1 to c->batch, whose step the naive speed `rate`
 * (FLOP/s) predicts to take at most `seconds`. */
static size_t batch_within(const bench_case *c, double rate, double seconds) {
    const double per_example = bench_flops(c->kind, &c->shape, 1);
    if (!(rate > 0.0))
        return 1;
    const double fit = floor(seconds * rate / per_example);
    return fit < 1.0 ? 1 : fit < (double)c->batch ? (size_t)fit : c->batch;
}

/* Times the naive loops within their cap: predict the full-batch step from
 * the naive speed seen so far; where that is costly, first time one step on
 * a small batch to learn this case's own speed (the naive loops' speed
 * varies with the shape and the operation: their strided accesses miss the
 * cache); then time the largest batch that the lower of the two speeds fits
 * in the cap, at least 1. */
static int measure_naive(bench_step_fn step, void *context, const bench_case *c,
                         const bench_options *o, const bench_naive_speed *speed, size_t *measured,
                         bench_stats *stats) {
    const double cap = o->naive_seconds;
    double rate = predicted_speed(speed, c->kind);
    const size_t probe = batch_within(c, rate, 0.1 * cap);
    if (probe < c->batch) {
        const double start = bench_now();
        const int rc = step(context, probe);
        if (rc != 0)
            return rc;
        const double seconds = bench_now() - start;
        const double probed =
            seconds > 0.0 ? bench_flops(c->kind, &c->shape, probe) / seconds : 0.0;
        /* The lower of the two: a small batch can run faster per example than
         * a large one (weight_grad's strided loop fits the cache better). */
        if (probed > 0.0 && (!(rate > 0.0) || probed < rate))
            rate = probed;
    }
    *measured = batch_within(c, rate, cap);
    const double predicted = rate > 0.0 ? bench_flops(c->kind, &c->shape, *measured) / rate : 0.0;
    /* At least one step; up to 5 within --seconds; none that would end past
     * the cap. A warm-up only where a step is cheap against the cap. */
    const bench_plan plan = {.seconds = o->seconds,
                             .cap_seconds = cap,
                             .min_reps = 1,
                             .target_reps = 5,
                             .warm_up = predicted < 0.1 * cap};
    return bench_measure(step, context, *measured, &plan, stats);
}

/* The phases of a training step, averaged over more steps after the timed
 * ones: at least 3, and about a fifth of the budget. Apart from the timing,
 * which the clock calls around every phase would disturb on small steps. */
static int time_phases(train_context *train, size_t n, double seconds, train_profile *profile) {
    bp__phase_times times;
    memset(&times, 0, sizeof times);
    bp__net_time_phases(train->net, &times);
    const double start = bench_now();
    size_t steps = 0;
    int rc = 0;
    while (rc == 0 && (steps < 3 || bench_now() - start < 0.2 * seconds)) {
        rc = train_step(train, n);
        steps++;
    }
    bp__net_time_phases(train->net, NULL);
    for (size_t p = 0; p < BP_PHASES; p++)
        profile->phase_seconds[p] = times.seconds[p] / (double)steps;
    return rc;
}

/* Times the case on one kernel set, or for a training step under a plan
 * (its kernels, workers and threads; NULL: --workers on `set`); *measured
 * is the batch timed. A training step on a BLAS set also fills *profile:
 * its memory and phases. */
static int time_on(const bench_case *c, bp_kernels set, const bp_plan *under,
                   const bench_options *o, const bench_naive_speed *speed, op_context *op,
                   const train_context *data, size_t *measured, size_t *workers, bench_stats *stats,
                   train_profile *profile) {
    const bool naive = set == BP_KERNELS_NAIVE;
    bench_step_fn step = op_step;
    void *context = op;
    train_context train = *data;
    profile_unknown(profile);
    const bool profiled = c->kind == BENCH_TRAIN_STEP && !naive;
    /* The data are allocated already: the growth from here is the network's.
     * Nothing is freed until it is destroyed (the library frees nothing in
     * create, reserve and the steps), so the resident size after the steps
     * is the peak of the configuration. */
    const double resident_before = profiled ? bench_memory_resident() : 0.0;
    if (c->kind != BENCH_TRAIN_STEP) {
        op->kernels = bp__kernels_table(set);
    } else {
        /* One network at a time: two of the largest would double the memory. */
        if (train_create(&train, &c->shape, c->batch, under ? under->kernels : set,
                         under ? under->workers : o->workers, o->loop_step, o->seed) != 0)
            return -1;
        step = train_step;
        context = &train;
    }
    int rc;
    if (naive) {
        rc = measure_naive(step, context, c, o, speed, measured, stats);
    } else {
        /* At least 3 samples, then until the budget is spent. */
        const bench_plan plan = {.seconds = o->seconds,
                                 .cap_seconds = o->seconds,
                                 .min_reps = 3,
                                 .target_reps = 3,
                                 .warm_up = true};
        *measured = c->batch;
        rc = bench_measure(step, context, c->batch, &plan, stats);
    }
    if (rc == 0 && profiled) {
        const double resident_after = bench_memory_resident();
        if (resident_before > 0.0 && resident_after > 0.0)
            profile->resident_growth_bytes = resident_after - resident_before;
        profile->needed_bytes =
            (double)bp_net_memory_bytes(train.net) + (double)bp_workers_memory_bytes(train.workers);
        /* The workers' views are not timed by phase. */
        if (!train.workers)
            rc = time_phases(&train, c->batch, o->seconds, profile);
    }
    *workers = train.workers ? bp_workers_count(train.workers) : 1;
    train_free(&train);
    if (rc != 0) {
        fprintf(stderr, "bp-bench: %s step failed: %s (%s)\n", bench_case_name(c->kind),
                bp_errmsg(), bp_err_name(rc));
        return -1;
    }
    return 0;
}

/* --plan for this training step: timed on a network of the case (auto) or
 * read (SPEC), and printed. 0, or -1 after printing why. */
static int choose_plan(const bench_case *c, const bench_options *o, bp_plan *plan) {
    /* The step it times is bp_train's, with the bench's SGD. */
    bp_optimizer_config sgd;
    bp_optimizer_config_default(&sgd, BP_OPT_SGD);
    sgd.learning_rate = LEARNING_RATE;
    train_context probe = {0};
    if (train_create(&probe, &c->shape, c->batch, BP_KERNELS_OPENBLAS, 1, false, o->seed) != 0)
        return -1;
    const int rc = strcmp(o->plan, "auto") == 0
                       ? bp_plan_measure(probe.net, &sgd, c->batch, 0, 0.0, plan)
                       : bp_plan_parse(o->plan, probe.net, c->batch, 0, plan);
    train_free(&probe);
    if (rc != BP_OK) {
        fprintf(stderr, "bp-bench: --plan %s: %s (%s)\n", o->plan, bp_errmsg(), bp_err_name(rc));
        return -1;
    }
    return 0;
}

int bench_run_case(const bench_case *c, const bench_options *options, double peak_gflops,
                   bench_naive_speed *speed, bench_result *results, size_t *count) {
    *count = 0;
    op_context op;
    memset(&op, 0, sizeof op);
    train_context data = {0};
    float *inputs = NULL, *targets = NULL;
    if (c->kind == BENCH_TRAIN_STEP) {
        if (train_data(&inputs, &targets, &c->shape, c->batch, options->seed) != 0)
            return -1;
        data.inputs = inputs;
        data.targets = targets;
    } else if (op_prepare(&op, c->kind, c->shape.sizes[0], c->shape.sizes[1], c->batch,
                          options->seed) != 0) {
        return -1;
    }

    int rc = 0;
    size_t measured, workers = 1;
    bench_stats stats;
    train_profile profile;
    /* The BLAS sets asked for, then the plan (a training step under
     * --plan), each a record compared with the naive loops. */
    bench_result *fast[3] = {NULL, NULL, NULL}, *naive = NULL;
    size_t n_fast = 0;
    bp_kernels sets[3];
    size_t n_sets = 0;
    if (options->openblas)
        sets[n_sets++] = BP_KERNELS_OPENBLAS;
    if (options->blis)
        sets[n_sets++] = BP_KERNELS_BLIS;
    const bool planned = options->plan && c->kind == BENCH_TRAIN_STEP;
    for (size_t k = 0; rc == 0 && k < n_sets + planned; k++) {
        const bool is_plan = k == n_sets;
        bp_plan plan = {0};
        if (is_plan && choose_plan(c, options, &plan) != 0)
            rc = -1;
        const int threads_before = bp_blas_threads();
        if (rc == 0 && is_plan)
            bp_blas_set_threads(plan.blas_threads);
        /* A training step is set against the sgemm peak measured right
         * before and right after it (the mean of the two medians): this
         * machine's speed drifts with its neighbours' load, and the peak of
         * the start of the run would carry that drift into %peak. */
        const bool bracketed = c->kind == BENCH_TRAIN_STEP;
        double case_peak = peak_gflops;
        bench_stats before, after;
        if (rc == 0 && bracketed &&
            bench_measure_peak(0.5 * options->peak_seconds, options->seed, &before) != 0)
            rc = -1;
        const bp_kernels set = is_plan ? plan.kernels : sets[k];
        if (rc == 0)
            rc = time_on(c, set, is_plan ? &plan : NULL, options, speed, &op, &data, &measured,
                         &workers, &stats, &profile);
        const int threads = bp_blas_threads();
        if (is_plan)
            bp_blas_set_threads(threads_before);
        if (rc == 0 && bracketed) {
            rc = bench_measure_peak(0.5 * options->peak_seconds, options->seed, &after);
            case_peak = 0.5 * (PEAK_FLOPS / before.median + PEAK_FLOPS / after.median) / 1e9;
        }
        if (rc == 0) {
            bench_result *r = fast[n_fast++] = &results[(*count)++];
            fill_result(r, c, false, measured, workers, &stats, case_peak, &profile);
            r->kernels = set;
            r->threads = workers > 1 ? 1 : threads;
            if (is_plan) {
                char spec[32] = "";
                bp_plan_format(&plan, spec, sizeof spec);
                snprintf(r->plan, sizeof r->plan, "%s%s", plan.measured > 0 ? "auto " : "", spec);
            }
        }
    }
    if (rc == 0 && options->naive) {
        rc = time_on(c, BP_KERNELS_NAIVE, NULL, options, speed, &op, &data, &measured, &workers,
                     &stats, &profile);
        if (rc == 0) {
            naive = &results[(*count)++];
            fill_result(naive, c, true, measured, 1, &stats, peak_gflops, &profile);
            naive->kernels = BP_KERNELS_NAIVE;
            naive->naive_measured_batch = measured;
            naive->speedup = 1.0;
            record_speed(speed, c->kind, bench_flops(c->kind, &c->shape, measured) / stats.median);
        }
    }
    for (size_t k = 0; naive && k < n_fast; k++) {
        fast[k]->speedup = naive->seconds_per_step / fast[k]->seconds_per_step;
        fast[k]->naive_measured_batch = naive->measured_batch;
    }
    op_free(&op);
    bp__free(inputs);
    bp__free(targets);
    return rc;
}
