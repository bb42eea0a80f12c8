/* fann-bench: FANN 2.2's per-example training, to set beside bp-bench's
 * batch-1 training step (backprop's sgemv/sger path).
 *
 * The network bp-bench times: sigmoid layers (FANN_SIGMOID at steepness 0.5,
 * which is FANN's 1/(1 + exp(-2 s x)), so exactly the logistic function),
 * the quadratic cost's gradient (FANN_ERRORFUNC_LINEAR: a - y), plain
 * gradient descent one example at a time (FANN_TRAIN_INCREMENTAL,
 * fann_train, no momentum), float32 (libfloatfann). The inputs are uniform
 * in [0, 1), the targets one-hot, both from --seed. FANN runs on one
 * thread and calls no BLAS.
 *
 * Timing: CLOCK_MONOTONIC (bench/samples.c, shared with bp-bench); warm-up for a tenth of the
 * budget, then timed blocks of examples (each at least a millisecond) until the budget is spent;
 * the figure is the median of the blocks' examples per second. compare_pytorch.py --fann runs it;
 * see bench/README.md. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <floatfann.h>

#include "samples.h"

#ifndef FANN_BENCH_VERSION
#define FANN_BENCH_VERSION "unknown"
#endif

#define MAX_SIZES 16
#define MAX_BLOCKS 8192
/* A block is timed as one sample: long against the clock's own cost. */
#define MIN_BLOCK_SECONDS 1e-3
/* FANN's update is w += eta (y - a) sigma'(z) x; bp-bench's step on
 * C = sum_j (a_j - y_j)^2 is w -= 0.01 * 2 (a - y) sigma'(z) x: the same
 * step at eta = 0.02. The speed does not depend on it. */
#define LEARNING_RATE 0.02f

typedef struct options {
    unsigned sizes[MAX_SIZES];
    unsigned count;
    double seconds;
    unsigned long long seed;
    unsigned examples;
    const char *json;
    int verbose;
} options;

static void usage(FILE *to) {
    fprintf(to, "usage: fann-bench [options]\n"
                "Times FANN's per-example training (fann_train, FANN_TRAIN_INCREMENTAL) on a\n"
                "network of sigmoid layers, as bp-bench's batch-1 training step.\n"
                "\n"
                "  --sizes N,N,...   the inputs, then each layer's width (default 784,128,10)\n"
                "  --seconds S       timing budget (default 1)\n"
                "  --seed N          seed of the weights and the data (default 42)\n"
                "  --examples N      distinct training examples, cycled (default 16)\n"
                "  --json FILE       write the result as a JSON object\n"
                "  --verbose         the configuration and the MSE before and after\n"
                "  --help            this text\n");
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
/* Prints "fann-bench: <message>" and the hint; returns 2 (bad usage). */
static int
bad(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("fann-bench: ", stderr);
    vfprintf(stderr, format, args);
    fputs("\n(fann-bench --help lists the options)\n", stderr);
    va_end(args);
    return 2;
}

/* A whole decimal number in [1, max], or 0. */
static unsigned long long parse_count(const char *text, unsigned long long max) {
    if (text[0] < '0' || text[0] > '9')
        return 0;
    char *end;
    errno = 0;
    const unsigned long long value = strtoull(text, &end, 10);
    return errno == 0 && *end == '\0' && value <= max ? value : 0;
}

static int parse_sizes(const char *text, options *o) {
    o->count = 0;
    const char *p = text;
    for (;;) {
        if (o->count == MAX_SIZES)
            return bad("--sizes '%s': at most %d sizes", text, MAX_SIZES);
        const size_t length = strcspn(p, ",");
        char word[32];
        if (length == 0 || length >= sizeof word)
            return bad("--sizes '%s': need positive integers separated by commas", text);
        memcpy(word, p, length);
        word[length] = '\0';
        const unsigned long long size = parse_count(word, 1u << 20);
        if (size == 0)
            return bad("--sizes '%s': '%s' is not a size from 1 to %u", text, word, 1u << 20);
        o->sizes[o->count++] = (unsigned)size;
        if (p[length] == '\0')
            break;
        p += length + 1;
    }
    if (o->count < 2)
        return bad("--sizes '%s': need at least 2 sizes (the inputs and a layer)", text);
    return 0;
}

/* 0 to go on, 1 after --help, 2 after a bad option. */
static int parse_options(int argc, char **argv, options *o) {
    enum { OPT_SIZES = 256, OPT_SECONDS, OPT_SEED, OPT_EXAMPLES, OPT_JSON, OPT_VERBOSE, OPT_HELP };
    static const struct option long_options[] = {
        {"sizes", required_argument, NULL, OPT_SIZES},
        {"seconds", required_argument, NULL, OPT_SECONDS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"examples", required_argument, NULL, OPT_EXAMPLES},
        {"json", required_argument, NULL, OPT_JSON},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    *o = (options){.sizes = {784, 128, 10}, .count = 3, .seconds = 1.0, .seed = 42, .examples = 16};
    opterr = 0;
    int option;
    while ((option = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        switch (option) {
        case OPT_SIZES: {
            const int rc = parse_sizes(optarg, o);
            if (rc != 0)
                return rc;
            break;
        }
        case OPT_SECONDS: {
            char *end;
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || errno != 0 || !(o->seconds > 0.0) ||
                o->seconds > 1e6)
                return bad("--seconds '%s': need a number of seconds above 0", optarg);
            break;
        }
        case OPT_SEED: {
            char *end;
            errno = 0;
            o->seed = strtoull(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0)
                return bad("--seed '%s': need a non-negative integer", optarg);
            break;
        }
        case OPT_EXAMPLES:
            o->examples = (unsigned)parse_count(optarg, 1u << 20);
            if (o->examples == 0)
                return bad("--examples '%s': need an integer from 1 to %u", optarg, 1u << 20);
            break;
        case OPT_JSON:
            o->json = optarg;
            break;
        case OPT_VERBOSE:
            o->verbose = 1;
            break;
        case OPT_HELP:
            usage(stdout);
            return 1;
        case ':':
            return bad("%s needs a value", argv[optind - 1]);
        default:
            return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    return 0;
}

/* splitmix64: the data do not depend on the C library's rand(). */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), 24 bits: every value is a float. */
static float uniform(uint64_t *state) { return (float)(next_random(state) >> 40) * 0x1p-24f; }

/* Each weight (biases included) uniform in +-1/sqrt(inputs of its neuron),
 * as bp_net_create and PyTorch's nn.Linear draw them. FANN keeps each
 * neuron's incoming weights, its bias last, in weights[first_con ..
 * last_con); the bias neurons have none. */
static void init_weights(struct fann *ann, uint64_t *state) {
    for (struct fann_layer *layer = ann->first_layer + 1; layer != ann->last_layer; layer++) {
        for (struct fann_neuron *neuron = layer->first_neuron; neuron != layer->last_neuron;
             neuron++) {
            const unsigned first = neuron->first_con, last = neuron->last_con;
            if (last - first < 2)
                continue;
            const float bound = 1.0f / sqrtf((float)(last - first - 1));
            for (unsigned c = first; c < last; c++)
                ann->weights[c] = bound * (2.0f * uniform(state) - 1.0f);
        }
    }
}

/* Mean over the examples and the outputs of (a - y)^2, without training. */
static double mse(struct fann *ann, float *inputs, const float *targets, unsigned examples,
                  unsigned n_in, unsigned n_out) {
    double sum = 0.0;
    for (unsigned e = 0; e < examples; e++) {
        const fann_type *out = fann_run(ann, inputs + (size_t)e * n_in);
        for (unsigned j = 0; j < n_out; j++) {
            const double d = (double)out[j] - (double)targets[(size_t)e * n_out + j];
            sum += d * d;
        }
    }
    return sum / ((double)examples * n_out);
}

typedef struct result {
    double rate, p25, p75; /* examples per second: median and quartiles over the blocks */
    size_t blocks, per_block;
    unsigned long long trained; /* examples trained, warm-up included */
    double mse_initial, mse_final;
} result;

static void print_sizes(FILE *to, const options *o, const char *separator) {
    for (unsigned i = 0; i < o->count; i++)
        fprintf(to, "%s%u", i ? separator : "", o->sizes[i]);
}

static int write_json(const char *path, const options *o, const result *r) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fann-bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "{\n  \"program\": \"fann-bench\",\n  \"library\": \"FANN\",\n"
            "  \"fann_version\": \"%s\",\n  \"sizes\": [",
            FANN_BENCH_VERSION);
    print_sizes(f, o, ", ");
    fprintf(f,
            "],\n  \"threads\": 1,\n  \"fann_type\": \"float\",\n"
            "  \"activation\": \"FANN_SIGMOID\",\n  \"steepness\": 0.5,\n"
            "  \"training_algorithm\": \"FANN_TRAIN_INCREMENTAL\",\n"
            "  \"error_function\": \"FANN_ERRORFUNC_LINEAR\",\n"
            "  \"learning_rate\": %g,\n  \"momentum\": 0,\n  \"examples\": %u,\n"
            "  \"seed\": %llu,\n  \"seconds\": %g,\n  \"examples_per_second\": %.6g,\n"
            "  \"examples_per_second_p25\": %.6g,\n  \"examples_per_second_p75\": %.6g,\n"
            "  \"blocks\": %zu,\n  \"examples_per_block\": %zu,\n  \"examples_trained\": %llu,\n"
            "  \"mse_initial\": %.6g,\n  \"mse_final\": %.6g\n}\n",
            (double)LEARNING_RATE, o->examples, o->seed, o->seconds, r->rate, r->p25, r->p75,
            r->blocks, r->per_block, r->trained, r->mse_initial, r->mse_final);
    if (fclose(f) != 0) {
        fprintf(stderr, "fann-bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int run(const options *o) {
    const unsigned n_in = o->sizes[0], n_out = o->sizes[o->count - 1];
    struct fann *ann = fann_create_standard_array(o->count, o->sizes);
    float *inputs = malloc((size_t)o->examples * n_in * sizeof *inputs);
    float *targets = calloc((size_t)o->examples * n_out, sizeof *targets);
    static double samples[MAX_BLOCKS];
    if (!ann || !inputs || !targets) {
        fprintf(stderr, "fann-bench: out of memory\n");
        free(inputs);
        free(targets);
        if (ann)
            fann_destroy(ann);
        return 1;
    }
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    /* FANN_SIGMOID is 1/(1 + exp(-2 s x)): steepness 0.5 is the logistic. */
    fann_set_activation_steepness_hidden(ann, 0.5f);
    fann_set_activation_steepness_output(ann, 0.5f);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, LEARNING_RATE);
    fann_set_learning_momentum(ann, 0.0f);

    uint64_t state = o->seed;
    init_weights(ann, &state);
    state = o->seed ^ 0x5eedda7aull;
    for (size_t i = 0; i < (size_t)o->examples * n_in; i++)
        inputs[i] = uniform(&state);
    for (unsigned e = 0; e < o->examples; e++)
        targets[(size_t)e * n_out + next_random(&state) % n_out] = 1.0f;

    result r = {0};
    r.mse_initial = mse(ann, inputs, targets, o->examples, n_in, n_out);
    unsigned next = 0;
#define TRAIN_ONE()                                                                                \
    do {                                                                                           \
        fann_train(ann, inputs + (size_t)next * n_in, targets + (size_t)next * n_out);             \
        next = next + 1 == o->examples ? 0 : next + 1;                                             \
        r.trained++;                                                                               \
    } while (0)

    /* Warm-up: page faults, cold caches. Its fastest example sizes the
     * blocks (the first call is slow: FANN allocates its training buffers). */
    double start = bench_now(), elapsed, one = INFINITY;
    do {
        const double t0 = bench_now();
        TRAIN_ONE();
        const double t1 = bench_now();
        if (t1 - t0 < one)
            one = t1 - t0;
        elapsed = t1 - start;
    } while (elapsed < 0.1 * o->seconds);
    double block_seconds = o->seconds / (MAX_BLOCKS / 2);
    if (block_seconds < MIN_BLOCK_SECONDS)
        block_seconds = MIN_BLOCK_SECONDS;
    r.per_block = one < block_seconds ? (size_t)ceil(block_seconds / (one > 1e-9 ? one : 1e-9)) : 1;

    start = bench_now();
    for (;;) {
        const double t0 = bench_now();
        for (size_t i = 0; i < r.per_block; i++)
            TRAIN_ONE();
        const double t1 = bench_now();
        samples[r.blocks++] = (double)r.per_block / (t1 - t0);
        if (r.blocks == MAX_BLOCKS || (r.blocks >= 3 && t1 - start >= o->seconds))
            break;
    }
#undef TRAIN_ONE
    r.mse_final = mse(ann, inputs, targets, o->examples, n_in, n_out);
    bench_sort(samples, r.blocks);
    r.rate = bench_quantile(samples, r.blocks, 0.5);
    r.p25 = bench_quantile(samples, r.blocks, 0.25);
    r.p75 = bench_quantile(samples, r.blocks, 0.75);
    fann_destroy(ann);
    free(inputs);
    free(targets);

    if (o->verbose) {
        printf("FANN %s, float; sizes ", FANN_BENCH_VERSION);
        print_sizes(stdout, o, "-");
        printf("; FANN_SIGMOID steepness 0.5 (logistic) on every layer; "
               "FANN_TRAIN_INCREMENTAL, FANN_ERRORFUNC_LINEAR, learning rate %g, no momentum; "
               "%u examples (seed %llu), 1 thread\n",
               (double)LEARNING_RATE, o->examples, o->seed);
        printf("MSE on the examples: %.6f before, %.6f after %llu examples trained\n",
               r.mse_initial, r.mse_final, r.trained);
    }
    printf("fann ");
    print_sizes(stdout, o, "-");
    printf(": %.1f examples/s (median of %zu blocks of %zu examples, p25 %.1f, p75 %.1f, "
           "1 thread)\n",
           r.rate, r.blocks, r.per_block, r.p25, r.p75);
    if (o->json && write_json(o->json, o, &r) != 0)
        return 1;
    return 0;
}

int main(int argc, char **argv) {
    options o;
    const int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    return run(&o);
}
