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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <floatfann.h>

#include "cmdline.h"
#include "random.h"
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

static void usage(void) {
    printf("usage: fann-bench [options]\n"
           "Times FANN's per-example training (fann_train, FANN_TRAIN_INCREMENTAL) on a\n"
           "network of sigmoid layers, as bp-bench's batch-1 training step.\n"
           "\n"
           "  --sizes N,N,...   the inputs, then each layer's width (default 784,128,10)\n"
           "  --seconds S       timing budget (default 1)\n"
           "  --seed N          seed of the weights and the data (default 42)\n"
           "  --examples N      distinct training examples, cycled (default 16)\n"
           "  --json FILE       write the result as a JSON object\n"
           "  --verbose         the configuration and the MSE before and after\n"
           "  -h, --help        this text\n"
           "\n"
           "Exit status: 0 success, 1 a failure (memory, the JSON file), 2 usage error.\n");
}

enum { OPT_SIZES = 256, OPT_SECONDS, OPT_SEED, OPT_EXAMPLES, OPT_JSON, OPT_VERBOSE };

static const struct option long_options[] = {
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"examples", required_argument, NULL, OPT_EXAMPLES},
    {"json", required_argument, NULL, OPT_JSON},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The most neurons in a layer, and distinct examples. */
#define MAX_COUNT (1u << 20)

static int take_sizes(options *o, const char *value) {
    size_t sizes[MAX_SIZES], count;
    if (!parse_size_list(value, 1, MAX_COUNT, sizes, MAX_SIZES, &count) || count < 2)
        return usage_error(NULL,
                           "invalid --sizes '%s' (expected 2 to %d comma-separated sizes from 1 "
                           "to %u: the inputs, then each layer)",
                           value, MAX_SIZES, MAX_COUNT);
    for (size_t i = 0; i < count; i++)
        o->sizes[i] = (unsigned)sizes[i];
    o->count = (unsigned)count;
    return EXIT_OK;
}

static int take_option(void *settings, int option, const char *value) {
    options *o = settings;
    uint64_t seed;
    size_t examples;
    switch (option) {
    case OPT_SIZES:
        return take_sizes(o, value);
    case OPT_SECONDS:
        if (!parse_double(value, &o->seconds) || !(o->seconds > 0.0) || o->seconds > 1e6)
            return usage_error(NULL,
                               "invalid --seconds '%s' (expected a number of seconds above 0, at "
                               "most 1000000)",
                               value);
        return EXIT_OK;
    case OPT_SEED:
        if (!parse_u64(value, &seed))
            return bad_range(NULL, "--seed", value, 0, UINT64_MAX);
        o->seed = seed;
        return EXIT_OK;
    case OPT_EXAMPLES:
        if (!parse_size(value, 1, MAX_COUNT, &examples))
            return bad_range(NULL, "--examples", value, 1, MAX_COUNT);
        o->examples = (unsigned)examples;
        return EXIT_OK;
    case OPT_JSON:
        o->json = value;
        return EXIT_OK;
    default: /* OPT_VERBOSE */
        o->verbose = 1;
        return EXIT_OK;
    }
}

static const command_line fann_line = {
    .options = long_options,
    .help = usage,
    .take = take_option,
};

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
                ann->weights[c] = bound * (2.0f * bench_random_uniform(state) - 1.0f);
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
        inputs[i] = bench_random_uniform(&state);
    for (unsigned e = 0; e < o->examples; e++)
        targets[(size_t)e * n_out + bench_random_next(&state) % n_out] = 1.0f;

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
    options o = {.sizes = {784, 128, 10}, .count = 3, .seconds = 1.0, .seed = 42, .examples = 16};
    set_program_name("fann-bench");
    const int status = parse_command_line(&fann_line, argc, argv, &o, NULL);
    if (status != EXIT_OK)
        return status == HELP_SHOWN ? EXIT_OK : status;
    return run(&o);
}
