/* bp-bench: the suite of cases, the sgemm peak, and the run that reports them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmdline.h"
#include "core/rng.h"
#include "support/alloc.h"

/* The standard training-step configurations of the issue. */
static const struct {
    bench_shape shape;
    size_t batch;
} standard_steps[] = {
    {{3, {784, 128, 10}}, 1},          {{3, {784, 128, 10}}, 32},      {{3, {784, 128, 10}}, 256},
    {{4, {784, 1024, 1024, 10}}, 256}, {{3, {4096, 4096, 4096}}, 512},
};
#define N_STANDARD_STEPS (sizeof standard_steps / sizeof standard_steps[0])

/* Per-operation layers: square, width x width, so that GFLOP/s can be
 * plotted against the width; batch 256 runs sgemm, batch 1 sgemv/sger. */
static const size_t widths_batched[] = {32, 64, 128, 256, 512, 1024, 2048};
static const size_t widths_single[] = {128, 512, 2048};
static const size_t quick_widths_batched[] = {256, 1024};
static const size_t quick_widths_single[] = {1024};

/* A growing list of cases. */
typedef struct suite {
    bench_case *cases;
    size_t count, capacity;
} suite;

static bool same_case(const bench_case *a, const bench_case *b) {
    if (a->kind != b->kind || a->batch != b->batch || a->shape.count != b->shape.count)
        return false;
    for (size_t i = 0; i < a->shape.count; i++)
        if (a->shape.sizes[i] != b->shape.sizes[i])
            return false;
    return true;
}

/* Appends a case unless it is there already; false when out of memory. */
static bool add_case(suite *s, bench_case_kind kind, const bench_shape *shape, size_t batch) {
    const bench_case c = {kind, *shape, batch};
    for (size_t i = 0; i < s->count; i++)
        if (same_case(&s->cases[i], &c))
            return true;
    if (s->count == s->capacity) {
        const size_t capacity = s->capacity ? 2 * s->capacity : 64;
        bench_case *grown = realloc(s->cases, capacity * sizeof *grown);
        if (!grown)
            return false;
        s->cases = grown;
        s->capacity = capacity;
    }
    s->cases[s->count++] = c;
    return true;
}

/* The three operations on a layer of in -> out, if selected. */
static bool add_ops(suite *s, const bench_options *o, size_t in, size_t out, size_t batch) {
    const bench_shape layer = {2, {in, out}};
    for (unsigned kind = BENCH_FORWARD; kind <= BENCH_INPUT_GRAD; kind++)
        if ((o->cases & (1u << kind)) && !add_case(s, (bench_case_kind)kind, &layer, batch))
            return false;
    return true;
}

static bool add_width_list(suite *s, const bench_options *o, const size_t *widths, size_t n,
                           size_t batch) {
    for (size_t i = 0; i < n; i++)
        if (!add_ops(s, o, widths[i], widths[i], batch))
            return false;
    return true;
}

/* The cases the options ask for: --sizes and --batch, or the standard suite. */
static bool build_suite(suite *s, const bench_options *o) {
    const bool steps = (o->cases & (1u << BENCH_TRAIN_STEP)) != 0;
    if (o->n_shapes > 0) {
        static const size_t default_batches[] = {1, 256};
        const size_t *batches = o->n_batches ? o->batches : default_batches;
        const size_t n_batches = o->n_batches ? o->n_batches : 2;
        for (size_t b = 0; b < n_batches; b++)
            for (size_t i = 0; i < o->n_shapes; i++) {
                const bench_shape *shape = &o->shapes[i];
                for (size_t l = 1; l < shape->count; l++)
                    if (!add_ops(s, o, shape->sizes[l - 1], shape->sizes[l], batches[b]))
                        return false;
            }
        for (size_t i = 0; i < o->n_shapes; i++)
            for (size_t b = 0; steps && b < n_batches; b++)
                if (!add_case(s, BENCH_TRAIN_STEP, &o->shapes[i], batches[b]))
                    return false;
        return true;
    }
    const size_t *batched = o->quick ? quick_widths_batched : widths_batched;
    const size_t n_batched = o->quick ? sizeof quick_widths_batched / sizeof(size_t)
                                      : sizeof widths_batched / sizeof(size_t);
    if (o->n_batches > 0) {
        /* The standard layers and networks at the batches asked for. */
        for (size_t b = 0; b < o->n_batches; b++)
            if (!add_width_list(s, o, batched, n_batched, o->batches[b]))
                return false;
        for (size_t i = 0; i < N_STANDARD_STEPS; i++)
            for (size_t b = 0; steps && b < o->n_batches; b++)
                if (!add_case(s, BENCH_TRAIN_STEP, &standard_steps[i].shape, o->batches[b]))
                    return false;
        return true;
    }
    const size_t *single = o->quick ? quick_widths_single : widths_single;
    const size_t n_single = o->quick ? sizeof quick_widths_single / sizeof(size_t)
                                     : sizeof widths_single / sizeof(size_t);
    if (!add_width_list(s, o, batched, n_batched, 256) ||
        !add_width_list(s, o, single, n_single, 1))
        return false;
    for (size_t i = 0; steps && i < N_STANDARD_STEPS; i++)
        if (!add_case(s, BENCH_TRAIN_STEP, &standard_steps[i].shape, standard_steps[i].batch))
            return false;
    return true;
}

/* Measures the sgemm peak with the run's thread count into the header. */
static int measure_peak(const bench_options *o, bench_header *header) {
    if (bench_measure_peak(o->peak_seconds, o->seed, &header->peak) != 0)
        return -1;
    header->peak_gflops = PEAK_FLOPS / header->peak.median / 1e9;
    return 0;
}

/* True when `path` can be opened for writing; false after printing why.
 * Checked before minutes of timing, by opening for appending, so a run
 * that fails later leaves the previous results as they were. */
static bool writable(const char *path) {
    FILE *file = fopen(path, "a");
    if (!file) {
        fprintf(stderr, "bp-bench: cannot open %s for writing\n", path);
        return false;
    }
    fclose(file);
    return true;
}

int main(int argc, char **argv) {
    bench_memory_setup();
    bench_options options;
    const int parsed = bench_parse_options(argc, argv, &options);
    if (parsed != EXIT_OK)
        return parsed == HELP_SHOWN ? EXIT_OK : parsed;
    if (options.threads > 0 && bp_blas_set_threads(options.threads) != BP_OK) {
        fprintf(stderr, "bp-bench: %s\n", bp_errmsg());
        return 2;
    }

    /* Find out now, not after minutes of timing, that a file cannot be written. */
    if ((options.json_path && !writable(options.json_path)) ||
        (options.csv_path && !writable(options.csv_path)))
        return 1;

    suite s = {NULL, 0, 0};
    if (!build_suite(&s, &options)) {
        fprintf(stderr, "bp-bench: out of memory for the list of cases\n");
        free(s.cases);
        return 1;
    }
    /* Per case: up to openblas, blis, the plan and naive. */
    bench_result *results = calloc(4 * s.count + 1, sizeof *results);
    if (!results) {
        fprintf(stderr, "bp-bench: out of memory for the results\n");
        free(s.cases);
        return 1;
    }

    bench_header header;
    bench_header_collect(&header);
    header.seconds = options.seconds;
    header.naive_seconds = options.naive_seconds;
    header.quick = options.quick;
    int status = measure_peak(&options, &header) == 0 ? 0 : 1;
    bench_naive_speed speed;
    memset(&speed, 0, sizeof speed);
    if (status == 0 && options.naive && bench_naive_calibrate(&speed, options.seed) != 0)
        status = 1;

    size_t n_results = 0;
    if (status == 0) {
        bench_print_header(&header);
        bench_print_table_head();
    }
    for (size_t i = 0; status == 0 && i < s.count; i++) {
        size_t added;
        if (bench_run_case(&s.cases[i], &options, header.peak_gflops, &speed, results + n_results,
                           &added) != 0) {
            status = 1;
            break;
        }
        for (size_t j = 0; j < added; j++)
            bench_print_row(&results[n_results + j]);
        n_results += added;
    }
    if (status == 0) {
        bench_print_footnotes(results, n_results);
        if (options.json_path &&
            bench_write_json(options.json_path, &header, results, n_results) != 0)
            status = 1;
        if (options.csv_path && bench_write_csv(options.csv_path, &header, results, n_results) != 0)
            status = 1;
    }
    free(results);
    free(s.cases);
    return status;
}
