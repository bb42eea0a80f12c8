/* The cblas_sgemm peak: C = A B on 2048 x 2048 matrices, what OpenBLAS does
 * best, with the run's thread count. */
#include <cblas.h>
#include <stdio.h>

#include "bench.h"
#include "core/rng.h"
#include "support/alloc.h"

typedef struct peak_context {
    const float *a, *b;
    float *c;
} peak_context;

static int peak_step(void *context, size_t n) {
    (void)n;
    const peak_context *p = context;
    /* C = A B, all PEAK_ORDER x PEAK_ORDER. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, PEAK_ORDER, PEAK_ORDER, PEAK_ORDER, 1.0f,
                p->a, PEAK_ORDER, p->b, PEAK_ORDER, 0.0f, p->c, PEAK_ORDER);
    return 0;
}

int bench_measure_peak(double seconds, unsigned long long seed, bench_stats *stats) {
    const size_t count = (size_t)PEAK_ORDER * PEAK_ORDER;
    float *a = bp__alloc(count * sizeof(float)), *b = bp__alloc(count * sizeof(float)),
          *c = bp__alloc(count * sizeof(float));
    int rc = -1;
    if (a && b && c) {
        bp__rng rng;
        bp__rng_seed(&rng, seed);
        for (size_t i = 0; i < count; i++) {
            a[i] = bp__rng_uniform(&rng, -1.0f, 1.0f);
            b[i] = bp__rng_uniform(&rng, -1.0f, 1.0f);
            c[i] = 0.0f;
        }
        peak_context context = {a, b, c};
        const bench_plan plan = {.seconds = seconds,
                                 .cap_seconds = seconds,
                                 .min_reps = 3,
                                 .target_reps = 3,
                                 .warm_up = true};
        rc = bench_measure(peak_step, &context, 1, &plan, stats);
    } else {
        fprintf(stderr, "bp-bench: out of memory for the sgemm peak\n");
    }
    bp__free(a);
    bp__free(b);
    bp__free(c);
    return rc;
}
