/* bp-bench's command line, parsed with the shared command-line library (cmdline/). */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"
#include "cmdline.h"

static const name_value case_names[] = {
    {"forward", BENCH_FORWARD, NULL},
    {"weight_grad", BENCH_WEIGHT_GRAD, NULL},
    {"input_grad", BENCH_INPUT_GRAD, NULL},
    {"train_step", BENCH_TRAIN_STEP, NULL},
    {NULL, 0, NULL},
};

/* --kernels: the bit set of kernel sets to run. */
enum { KERNELS_OPENBLAS = 1, KERNELS_NAIVE = 2, KERNELS_BLIS = 4 };
static const name_value kernel_sets[] = {
    {"openblas", KERNELS_OPENBLAS, NULL},
    {"naive", KERNELS_NAIVE, NULL},
    {"blis", KERNELS_BLIS, NULL},
    {"both", KERNELS_OPENBLAS | KERNELS_NAIVE, NULL},
    {"blas", KERNELS_OPENBLAS | KERNELS_BLIS, NULL},
    {"all", KERNELS_OPENBLAS | KERNELS_BLIS | KERNELS_NAIVE, NULL},
    {"none", 0, NULL},
    {NULL, 0, NULL},
};

/* --step: one worker's training step, fused (0) or as bp_train's loop (1). */
static const name_value step_names[] = {
    {"fused", 0, NULL},
    {"loop", 1, NULL},
    {NULL, 0, NULL},
};

const char *bench_case_name(bench_case_kind kind) { return name_of(case_names, (int)kind); }

static void usage(void) {
    printf("usage: bp-bench [options]\n"
           "Times backprop's products and training steps on OpenBLAS and on the naive loops,\n"
           "with the cblas_sgemm 2048^3 peak and the OpenBLAS core in the report.\n"
           "\n"
           "  --case NAME       forward | weight_grad | input_grad | train_step; repeatable\n"
           "                    (default: all)\n"
           "  --sizes N,N,...   a network of at least 2 sizes (inputs, then each layer);\n"
           "                    repeatable. Per-operation cases time each of its layers.\n"
           "                    Default: the standard suite (see bench/README.md)\n"
           "  --batch N[,N...]  batch sizes (default: the standard suite's; with --sizes: 1,256)\n"
           "  --kernels SET     openblas | blis | naive | both (openblas and naive) | blas\n"
           "                    (openblas and blis) | all | none (default: both)\n"
           "  --plan auto|SPEC  also time train_step under a plan: auto times the candidates\n"
           "                    (bp_plan_measure, 0.3 s) and runs the fastest; SPEC fixes it\n"
           "                    (KERNELS:WxT, e.g. blis:2x1). With --kernels none, the plan\n"
           "                    alone\n"
           "  --threads N       BLAS threads (default: OpenBLAS's own, one per core)\n"
           "  --workers N       train_step on N worker threads (bp_workers_train_step: the\n"
           "                    gradient, then SGD over slices), one OpenBLAS thread each;\n"
           "                    default 1: the fused bp_net_train_step in one thread\n"
           "  --step fused|loop one worker's train_step: the fused bp_net_train_step\n"
           "                    (default), or as bp_train and bp_plan_measure take it,\n"
           "                    bp_net_gradient then an SGD bp_optimizer_step (loop)\n"
           "  --seconds S       timing budget per case and kernel set (default 1; quick 0.2)\n"
           "  --naive-seconds S cap on the naive loops per case (default 3 x --seconds;\n"
           "                    quick 1). Beyond it the naive step is timed on a smaller\n"
           "                    batch and scaled per example (marked as an estimate)\n"
           "  --quick           the standard training steps and a few operations, small budgets\n"
           "  --json FILE       write one JSON record per case and kernel set\n"
           "  --csv FILE        the same records as CSV\n"
           "  --seed N          seed of the networks and the data (default 42)\n"
           "  -h, --help        this text\n"
           "\n"
           "Exit status: 0 success, 1 a failure (a file, memory, a step), 2 usage error.\n");
}

enum {
    OPT_CASE = 256,
    OPT_SIZES,
    OPT_BATCH,
    OPT_KERNELS,
    OPT_THREADS,
    OPT_WORKERS,
    OPT_SECONDS,
    OPT_NAIVE_SECONDS,
    OPT_QUICK,
    OPT_JSON,
    OPT_CSV,
    OPT_SEED,
    OPT_PLAN,
    OPT_STEP,
};

static const struct option long_options[] = {
    {"case", required_argument, NULL, OPT_CASE},
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"kernels", required_argument, NULL, OPT_KERNELS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"naive-seconds", required_argument, NULL, OPT_NAIVE_SECONDS},
    {"quick", no_argument, NULL, OPT_QUICK},
    {"json", required_argument, NULL, OPT_JSON},
    {"csv", required_argument, NULL, OPT_CSV},
    {"seed", required_argument, NULL, OPT_SEED},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"step", required_argument, NULL, OPT_STEP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The options while they are parsed: the budgets are settled at the end,
 * from what was given (0: not given) and --quick. */
typedef struct parse_state {
    bench_options *options;
    double seconds, naive_seconds;
} parse_state;

/* --case NAME, once per case. */
static int take_case(bench_options *o, const char *value) {
    int kind;
    if (!parse_name(case_names, value, &kind))
        return bad_name(NULL, "--case", value, case_names);
    o->cases |= 1u << kind;
    return EXIT_OK;
}

/* --sizes N,N,..., once per network. */
static int take_sizes(bench_options *o, const char *value) {
    if (o->n_shapes == BENCH_MAX_LIST)
        return usage_error(NULL, "too many --sizes (at most %d)", BENCH_MAX_LIST);
    bench_shape *shape = &o->shapes[o->n_shapes];
    if (!parse_size_list(value, 1, INT_MAX, shape->sizes, BENCH_MAX_SIZES, &shape->count) ||
        shape->count < 2)
        return usage_error(NULL,
                           "invalid --sizes '%s' (expected 2 to %d comma-separated sizes from 1 "
                           "to %d, e.g. 784,128,10)",
                           value, BENCH_MAX_SIZES, INT_MAX);
    o->n_shapes++;
    return EXIT_OK;
}

/* --batch N[,N...], adding to the batches given before. */
static int take_batches(bench_options *o, const char *value) {
    size_t count;
    if (!parse_size_list(value, 1, INT_MAX, o->batches + o->n_batches,
                         BENCH_MAX_LIST - o->n_batches, &count))
        return usage_error(NULL,
                           "invalid --batch '%s' (expected comma-separated sizes from 1 to %d, at "
                           "most %d in all)",
                           value, INT_MAX, BENCH_MAX_LIST);
    o->n_batches += count;
    return EXIT_OK;
}

/* --seconds and --naive-seconds: a budget above 0, at most an hour. */
static int take_seconds(const char *option, const char *value, double *out) {
    if (!parse_double(value, out) || !(*out > 0.0) || *out > 3600.0)
        return usage_error(NULL,
                           "invalid %s '%s' (expected a number of seconds above 0, at most 3600)",
                           option, value);
    return EXIT_OK;
}

static int take_seed(bench_options *o, const char *value) {
    uint64_t seed;
    if (!parse_u64(value, &seed))
        return bad_range(NULL, "--seed", value, 0, UINT64_MAX);
    o->seed = seed;
    return EXIT_OK;
}

static int take_option(void *settings, int option, const char *value) {
    parse_state *state = settings;
    bench_options *o = state->options;
    int kernels;
    switch (option) {
    case OPT_CASE:
        return take_case(o, value);
    case OPT_SIZES:
        return take_sizes(o, value);
    case OPT_BATCH:
        return take_batches(o, value);
    case OPT_KERNELS:
        if (!parse_name(kernel_sets, value, &kernels))
            return bad_name(NULL, "--kernels", value, kernel_sets);
        o->openblas = kernels & KERNELS_OPENBLAS;
        o->naive = kernels & KERNELS_NAIVE;
        o->blis = kernels & KERNELS_BLIS;
        if (o->blis && !bp_kernels_available(BP_KERNELS_BLIS))
            return usage_error(NULL, "--kernels %s: the blis kernels are not available (%s)", value,
                               "a build without BLIS, or no libblis.so.4");
        return EXIT_OK;
    case OPT_PLAN:
        o->plan = value; /* checked against each network when it runs */
        return EXIT_OK;
    case OPT_STEP: {
        int loop = 0;
        if (!parse_name(step_names, value, &loop))
            return bad_name(NULL, "--step", value, step_names);
        o->loop_step = loop;
        return EXIT_OK;
    }
    case OPT_THREADS:
        return parse_int(value, 1, 1024, &o->threads)
                   ? EXIT_OK
                   : bad_range(NULL, "--threads", value, 1, 1024);
    case OPT_WORKERS:
        return parse_size(value, 1, BP_WORKERS_MAX, &o->workers)
                   ? EXIT_OK
                   : bad_range(NULL, "--workers", value, 1, BP_WORKERS_MAX);
    case OPT_SECONDS:
        return take_seconds("--seconds", value, &state->seconds);
    case OPT_NAIVE_SECONDS:
        return take_seconds("--naive-seconds", value, &state->naive_seconds);
    case OPT_QUICK:
        o->quick = true;
        return EXIT_OK;
    case OPT_JSON:
        o->json_path = value;
        return EXIT_OK;
    case OPT_CSV:
        o->csv_path = value;
        return EXIT_OK;
    default: /* OPT_SEED */
        return take_seed(o, value);
    }
}

/* What the options leave unsaid: every case, and the budgets. */
static void settle(const parse_state *state) {
    bench_options *o = state->options;
    if (o->cases == 0)
        o->cases = BENCH_ALL_CASES;
    o->seconds = state->seconds > 0.0 ? state->seconds : o->quick ? 0.2 : 1.0;
    o->naive_seconds = state->naive_seconds > 0.0 ? state->naive_seconds
                       : state->seconds > 0.0     ? 3.0 * state->seconds
                       : o->quick                 ? 1.0
                                                  : 3.0;
    o->peak_seconds = o->quick ? 0.3 : 1.0;
}

static const command_line bench_line = {
    .options = long_options,
    .help = usage,
    .take = take_option,
};

int bench_parse_options(int argc, char **argv, bench_options *options) {
    *options = (bench_options){.openblas = true, .naive = true, .seed = 42};
    parse_state state = {.options = options};
    set_program_name("bp-bench");
    const int status = parse_command_line(&bench_line, argc, argv, &state, NULL);
    if (status == EXIT_OK)
        settle(&state);
    return status;
}
