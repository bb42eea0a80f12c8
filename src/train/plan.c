/* Plans by measurement (FFTW's planner): kernel set x workers x BLAS threads, each timed on the
 * network's own training step for a bounded time; and plans written as "blis:2x1". */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/net.h"
#include "support/alloc.h"
#include "support/error.h"

/* The default budget: long enough for a few steps of every candidate at
 * the batches people train with, short against any real run. */
#define DEFAULT_BUDGET 0.3
/* Enough timed steps per candidate and round to trust a median: a
 * candidate stops there even when its share of the budget is not spent
 * (small networks plan in a fraction of the budget). */
#define STEPS_ENOUGH 200
/* Rounds: each candidate is timed in each, in turns, so that a change of
 * the machine's load during planning hits all of them alike. */
#define ROUNDS 3
#define MAX_CANDIDATES 64

typedef struct candidate {
    bp_kernels kernels;
    size_t workers;
    int threads;
    double *times; /* every timed step, every round */
    size_t count;
    double best; /* the lowest of its rounds' median step times */
} candidate;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, size_t n) {
    qsort(x, n, sizeof *x, compare_doubles);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The candidates on `cores` cores: each kernel set that is available, on
 * 1 worker x 1 thread and on W workers x (cores / W) threads for every W
 * up to the cores and the batch. */
static size_t list_candidates(candidate *list, size_t cores, size_t batch) {
    static const bp_kernels sets[] = {BP_KERNELS_OPENBLAS, BP_KERNELS_BLIS};
    size_t n = 0;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        if (!bp_kernels_available(sets[s]))
            continue;
        if (n < MAX_CANDIDATES && cores > 1)
            list[n++] = (candidate){.kernels = sets[s], .workers = 1, .threads = 1};
        for (size_t w = 1; w <= cores && w <= batch && n < MAX_CANDIDATES; w++)
            list[n++] = (candidate){.kernels = sets[s], .workers = w, .threads = (int)(cores / w)};
    }
    return n;
}

/* Whether a candidate leaves threads spinning after its calls: OpenBLAS on
 * more than one thread (its pool waits busily before it sleeps). */
static bool leaves_threads_spinning(const candidate *c) {
    return c->kernels == BP_KERNELS_OPENBLAS && c->threads > 1;
}

/* What a run of one candidate needs: its pool, and the optimizer it steps. */
typedef struct trial {
    bp_net *net;
    bp_workers *pool; /* NULL for one worker */
    bp_optimizer *opt;
    const float *x, *y;
    size_t batch;
} trial;

/* One training step as bp_train takes it: gradient and optimizer step. */
static int step(trial *t) {
    if (t->pool)
        return bp_workers_train_step(t->pool, t->opt, t->x, t->y, t->batch, NULL);
    int rc = bp_net_gradient(t->net, t->x, t->y, t->batch, NULL);
    return rc == BP_OK ? bp_optimizer_step(t->opt, t->net) : rc;
}

/* Runs candidate c for up to `slice` seconds, its set-up and untimed
 * steps included, then timed ones (at least one), and not past `deadline`,
 * appending its step times. */
static int run_candidate(trial *t, candidate *c, double slice, double deadline, size_t capacity) {
    const double start = now();
    int rc = bp_net_set_kernels(t->net, c->kernels);
    if (rc == BP_OK)
        rc = bp_blas_set_threads(c->threads);
    t->pool = NULL;
    if (rc == BP_OK && c->workers > 1)
        rc = bp_workers_create(&t->pool, t->net, c->workers, t->batch);
    /* Untimed steps for a quarter of the slice (at least one): BLAS's lazy
     * set-up, and the threads of the pool or of BLAS brought from sleep to
     * the pace of a run (a virtual CPU woken from idle runs its first
     * milliseconds slow). */
    if (rc == BP_OK)
        rc = step(t);
    while (rc == BP_OK && now() - start < 0.25 * slice && now() < deadline)
        rc = step(t);
    for (size_t k = 0; rc == BP_OK && k < STEPS_ENOUGH && c->count < capacity; k++) {
        const double before = now();
        rc = step(t);
        const double after = now();
        c->times[c->count++] = after - before;
        if (after - start >= slice || after >= deadline)
            break;
    }
    bp_workers_destroy(t->pool);
    t->pool = NULL;
    return rc;
}

/* The rule's plan (bp_parallelism_auto), on the network's kernel set. */
static int rule(const bp_net *net, size_t batch, size_t cores, bp_plan *out) {
    bp_parallelism p;
    const int rc = bp_parallelism_auto(net, batch, cores, &p);
    if (rc == BP_OK)
        *out = (bp_plan){.kernels = net->kernel_set,
                         .workers = p.workers,
                         .blas_threads = p.blas_threads,
                         .cores = p.cores};
    return rc;
}

/* Inputs in [0, 1) and one-hot targets: a fair step for any loss. */
static void fill_batch(float *x, float *y, size_t batch, size_t inputs, size_t outputs) {
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < batch * inputs; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        x[i] = (float)(state >> 40) / (float)(1u << 24);
    }
    memset(y, 0, batch * outputs * sizeof *y);
    for (size_t i = 0; i < batch; i++)
        y[i * outputs + i % outputs] = 1.0f;
}

/* The measurement, once the network's state is saved (bp_plan_measure). */
static int measure(bp_net *net, const bp_optimizer_config *given, size_t batch, size_t cores,
                   double budget, candidate *list, size_t n, size_t capacity, bp_plan *out) {
    const size_t inputs = net->layers[0].inputs, outputs = net->layers[net->n_layers - 1].outputs;
    float *x = bp__alloc(batch * inputs * sizeof *x);
    float *y = bp__alloc(batch * outputs * sizeof *y);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    if (given)
        config = *given;
    trial t = {.net = net, .x = x, .y = y, .batch = batch};
    int rc = x && y ? bp_optimizer_create(&t.opt, net, &config)
                    : bp__fail(BP_ENOMEM, "bp_plan_measure", "no memory for a batch");
    if (rc == BP_OK) {
        fill_batch(x, y, batch, inputs, outputs);
        const double start = now();
        /* Timing stops a little short of the budget: room for the last step
         * and the last pool's teardown. */
        const double deadline = start + 0.95 * budget;
        /* One step of the first candidate tells whether every candidate
         * fits at least twice (an untimed and a timed step) in the budget. */
        rc = run_candidate(&t, &list[0], 0.0, deadline, capacity);
        const double first = now() - start;
        list[0].count = 0;
        if (rc == BP_OK && first * 2.0 * (double)n > budget) {
            rc = rule(net, batch, cores, out);
        } else {
            const double slice = (budget - (now() - start)) / (double)(ROUNDS * n);
            for (size_t c = 0; c < n; c++)
                list[c].best = HUGE_VAL;
            /* OpenBLAS's threads spin for about 0.1 s after a call on more
             * than one of them, and whatever runs on those cores meanwhile
             * runs slower (BLIS on 2 threads: 15 times, measured): so the
             * candidates that leave them spinning are timed last, all their
             * rounds after everyone else's. Each group in rounds; past the
             * budget, no later round starts a candidate (every candidate
             * has its first round; the check above sized it). */
            size_t order[MAX_CANDIDATES], quiet = 0;
            for (size_t c = 0; c < n; c++)
                if (!leaves_threads_spinning(&list[c]))
                    order[quiet++] = c;
            for (size_t c = 0, k = quiet; c < n; c++)
                if (leaves_threads_spinning(&list[c]))
                    order[k++] = c;
            const size_t groups[3] = {0, quiet, n};
            for (int g = 0; g < 2; g++)
                for (size_t round = 0; round < ROUNDS && rc == BP_OK; round++)
                    for (size_t i = groups[g]; i < groups[g + 1] && rc == BP_OK; i++) {
                        if (round > 0 && now() >= deadline)
                            break;
                        candidate *c = &list[order[i]];
                        const size_t from = c->count;
                        rc = run_candidate(&t, c, slice, deadline, capacity);
                        if (rc == BP_OK && c->count > from) {
                            const double m = median(c->times + from, c->count - from);
                            c->best = m < c->best ? m : c->best;
                        }
                    }
            /* A candidate's time: the lowest of its rounds' medians. Load
             * from elsewhere only ever adds time, so one round spoiled by
             * another process, or by the last candidate's spinning threads,
             * does not decide. */
            size_t best = 0;
            for (size_t c = 1; c < n && rc == BP_OK; c++)
                if (list[c].best < list[best].best)
                    best = c;
            const double best_time = list[best].best;
            if (rc == BP_OK)
                *out = (bp_plan){.workers = list[best].workers,
                                 .blas_threads = list[best].threads,
                                 .cores = cores,
                                 .kernels = list[best].kernels,
                                 .measured = (int32_t)n,
                                 .step_seconds = best_time};
        }
    }
    bp_optimizer_destroy(t.opt);
    bp__free(x);
    bp__free(y);
    return rc;
}

int bp_plan_measure(bp_net *net, const bp_optimizer_config *config, size_t batch, size_t cores,
                    double budget_seconds, bp_plan *out) {
    static const char *const fn = "bp_plan_measure";
    if (!net || !out)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !net ? "net" : "out");
    if (batch == 0 || batch > (size_t)INT_MAX)
        return bp__fail(BP_EINVAL, fn, "batch is %zu; it must be 1 to %d", batch, INT_MAX);
    if (!(budget_seconds >= 0.0 && budget_seconds <= 3600.0))
        return bp__fail(BP_EINVAL, fn, "budget_seconds is %g; it must be 0 to 3600",
                        budget_seconds);
    bp_parallelism rule_plan;
    int rc = bp_parallelism_auto(net, batch, cores, &rule_plan); /* cores: 0 -> the CPUs */
    if (rc != BP_OK)
        return rc;
    cores = rule_plan.cores;
    const double budget = budget_seconds > 0.0 ? budget_seconds : DEFAULT_BUDGET;

    candidate list[MAX_CANDIDATES];
    const size_t n = list_candidates(list, cores, batch);
    /* Steps a candidate can time: STEPS_ENOUGH in each round. */
    const size_t capacity = ROUNDS * STEPS_ENOUGH;
    double *times = bp__alloc(n * capacity * sizeof *times);
    float *saved = bp__alloc(net->n_params * sizeof *saved);
    if (n > 0 && net->max_batch < batch && (rc = bp_net_reserve(net, batch)) != BP_OK) {
        bp__free(times);
        bp__free(saved);
        return rc;
    }
    if (!times || !saved) {
        bp__free(times);
        bp__free(saved);
        return bp__fail(BP_ENOMEM, fn, "no memory to time %zu candidates", n);
    }
    for (size_t c = 0; c < n; c++)
        list[c].times = times + c * capacity;

    /* What planning changes, put back afterwards: the parameters (the
     * timed steps train), the kernel set, the BLAS threads, the hook. */
    memcpy(saved, net->params, net->n_params * sizeof *saved);
    const bp_kernels kernels = net->kernel_set;
    const int threads = bp_blas_threads();
    const bp_gradient_hook hook = net->hook;
    net->hook = (bp_gradient_hook){0};

    rc = n > 0 ? measure(net, config, batch, cores, budget, list, n, capacity, out)
               : rule(net, batch, cores, out);

    net->hook = hook;
    net->hook_pending = false;
    bp_blas_set_threads(threads);
    bp_net_set_kernels(net, kernels);
    memcpy(net->params, saved, net->n_params * sizeof *saved);
    memset(net->grads, 0, net->n_params * sizeof *net->grads);
    bp__free(saved);
    bp__free(times);
    return rc;
}

/* ---- plans as text: KERNELS[:WxT] ---- */

static bool parse_count(const char *text, const char **end, unsigned long max,
                        unsigned long *value) {
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    char *stop;
    *value = strtoul(text, &stop, 10);
    *end = stop;
    return errno == 0 && *value >= 1 && *value <= max;
}

int bp_plan_parse(const char *spec, const bp_net *net, size_t batch, size_t cores, bp_plan *out) {
    static const char *const fn = "bp_plan_parse";
    if (!spec || !net || !out)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !spec ? "spec" : !net ? "net" : "out");
    const char *colon = strchr(spec, ':');
    const size_t name_length = colon ? (size_t)(colon - spec) : strlen(spec);
    static const bp_kernels sets[] = {BP_KERNELS_OPENBLAS, BP_KERNELS_NAIVE, BP_KERNELS_BLIS};
    bp_kernels kernels = BP_KERNELS_OPENBLAS;
    bool named = false;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0] && !named; s++) {
        const char *name = bp_kernels_name(sets[s]);
        if (strlen(name) == name_length && strncmp(spec, name, name_length) == 0) {
            kernels = sets[s];
            named = true;
        }
    }
    if (!named)
        return bp__fail(BP_EINVAL, fn,
                        "plan '%.64s': the kernel set before ':' must be openblas, blis or naive",
                        spec);
    int rc = rule(net, batch, cores, out);
    if (rc != BP_OK)
        return rc;
    out->kernels = kernels;
    if (colon) {
        unsigned long workers = 0, threads = 0;
        const char *p = colon + 1;
        if (!parse_count(p, &p, BP_WORKERS_MAX, &workers) || *p != 'x' ||
            !parse_count(p + 1, &p, 1024, &threads) || *p != '\0')
            return bp__fail(BP_EINVAL, fn,
                            "plan '%.64s': after ':' comes WORKERSxTHREADS, 1 to %d workers "
                            "of 1 to 1024 threads (as in blis:2x1)",
                            spec, BP_WORKERS_MAX);
        if (workers > 1 && threads > 1)
            return bp__fail(BP_EINVAL, fn,
                            "plan '%.64s': several workers each run one BLAS thread (the "
                            "workers set it); use %lux1 or 1x%lu",
                            spec, workers, threads);
        out->workers = workers;
        out->blas_threads = (int)threads;
    }
    if (!bp_kernels_available(kernels))
        return bp__check_kernels(kernels, fn);
    return BP_OK;
}

int bp_plan_format(const bp_plan *plan, char *buffer, size_t size) {
    static const char *const fn = "bp_plan_format";
    if (!plan || !buffer)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !plan ? "plan" : "buffer");
    const char *name = bp_kernels_name(plan->kernels);
    if (!name)
        return bp__fail(BP_EINVAL, fn, "unknown kernel set %d", (int)plan->kernels);
    const int n = snprintf(buffer, size, "%s:%zux%d", name, plan->workers, plan->blas_threads);
    if (n < 0 || (size_t)n >= size)
        return bp__fail(BP_ERANGE, fn,
                        "the plan needs %d bytes and a terminator; the buffer has %zu", n, size);
    return BP_OK;
}

int bp_plan_apply(bp_net *net, const bp_plan *plan) {
    static const char *const fn = "bp_plan_apply";
    if (!net || !plan)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !net ? "net" : "plan");
    if (plan->workers < 1 || plan->workers > BP_WORKERS_MAX || plan->blas_threads < 1)
        return bp__fail(BP_EINVAL, fn, "the plan has %zu workers x %d threads", plan->workers,
                        plan->blas_threads);
    const int rc = bp_net_set_kernels(net, plan->kernels);
    if (rc != BP_OK)
        return rc;
    return bp_blas_set_threads(plan->blas_threads);
}
