/* Repeated timings on the monotonic clock: warm-up, samples, median and quartiles. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>

#include "bench.h"

/* Samples kept per case. Short steps are grouped (below), so this many
 * samples cover far more time than any budget the options allow. */
#define MAX_SAMPLES 8192

/* Steps shorter than this are timed in groups, so that one sample is long
 * against the clock's own cost and resolution. */
#define MIN_SAMPLE_SECONDS 1e-3

int bench_measure(bench_step_fn step, void *context, size_t n, const bench_plan *plan,
                  bench_stats *stats) {
    /* One case at a time, so one buffer; static so timing allocates nothing. */
    static double samples[MAX_SAMPLES];
    int rc;
    size_t each = 1;
    if (plan->warm_up) {
        /* The first calls pay for page faults, cold caches and waking
         * OpenBLAS's threads: run them untimed. */
        const double start = bench_now();
        /* A tenth of the budget, and of the cap when there is a smaller one
         * (the naive loops'), so warming up never outlasts the cap. */
        const bool capped = plan->cap_seconds > 0.0 && plan->cap_seconds < plan->seconds;
        const double warm_up_seconds = 0.1 * (capped ? plan->cap_seconds : plan->seconds);
        size_t count = 0;
        double elapsed;
        do {
            if ((rc = step(context, n)) != 0)
                return rc;
            count++;
            elapsed = bench_now() - start;
        } while (elapsed < warm_up_seconds);
        const double one = elapsed / (double)count;
        if (one < MIN_SAMPLE_SECONDS)
            each = (size_t)ceil(MIN_SAMPLE_SECONDS / (one > 1e-9 ? one : 1e-9));
    }

    const double start = bench_now();
    size_t reps = 0;
    for (;;) {
        const double t0 = bench_now();
        for (size_t i = 0; i < each; i++)
            if ((rc = step(context, n)) != 0)
                return rc;
        const double t1 = bench_now(), last = t1 - t0, spent = t1 - start;
        samples[reps++] = last / (double)each;
        if (reps == MAX_SAMPLES)
            break;
        if (reps < plan->min_reps)
            continue;
        if (spent + last > plan->cap_seconds)
            break; /* the next sample would end past the cap */
        if (spent >= plan->seconds && reps >= plan->target_reps)
            break;
    }

    bench_sort(samples, reps);
    stats->median = bench_quantile(samples, reps, 0.5);
    stats->p25 = bench_quantile(samples, reps, 0.25);
    stats->p75 = bench_quantile(samples, reps, 0.75);
    stats->min = samples[0];
    stats->max = samples[reps - 1];
    stats->reps = reps;
    stats->steps_each = each;
    return 0;
}
