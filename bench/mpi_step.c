/* bp-bench-mpi: bp_mpi_train's training steps timed under mpirun, beside a blocking allreduce. */
#define _POSIX_C_SOURCE 200809L /* sysconf */

#include <backprop_mpi.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "random.h"
#include "samples.h"

#define MAX_SIZES 16
#define MAX_BATCHES 16
/* The allreduce sweep: messages of 4 bytes to 4^13 bytes (64 MiB). */
#define SWEEP_SIZES 13

typedef struct options {
    size_t sizes[MAX_SIZES];
    size_t n_sizes;
    size_t batches[MAX_BATCHES]; /* global batches */
    size_t n_batches;
    size_t steps;  /* timed steps per round */
    size_t rounds; /* rounds of (bp_mpi_train, then the allreduce alone) */
    int threads;   /* OpenBLAS threads per rank */
    size_t bucket_bytes;
    unsigned long long seed;
    const char *json_path;
    bool sweep; /* --allreduce-sweep: time MPI_Allreduce alone at several sizes */
} options;

/* What one configuration measured, on rank 0 after the reductions. */
typedef struct result {
    size_t batch;
    size_t timed_steps;
    double step, step_p25, step_p75; /* seconds per step: median and quartiles */
    double wait;                     /* median exposed wait per step, mean over ranks */
    double allreduce;                /* median blocking allreduce of the whole gradient */
    double round_rates[64];          /* examples/s of each round (median step) */
    size_t buckets, bytes;
} result;

/* The per-step figures bp_train's callback collects on every rank. */
typedef struct recorder {
    double *step, *wait; /* capacity: steps */
    size_t n, capacity;
    double last; /* the report's seconds at the previous step */
    const bp_mpi_stats *stats;
} recorder;

static int rank, ranks;

/* The p-quantile of n values (sorted in place); NaN for none. */
static double quantile(double *values, size_t n, double p) {
    if (n == 0)
        return NAN;
    bench_sort(values, n);
    return bench_quantile(values, n, p);
}

static void usage(void) {
    if (rank != 0)
        return;
    printf("usage: mpirun -np N bp-bench-mpi [options]\n"
           "Times bp_mpi_train's training steps (sigmoid hidden layers, softmax output,\n"
           "cross-entropy, SGD) on random data, and a blocking MPI_Allreduce of the whole\n"
           "gradient, in alternating rounds.\n"
           "\n"
           "  --sizes N,N,...      the network: inputs, then each layer (default 784,128,10)\n"
           "  --batch N[,N...]     global batches, each a configuration (default 256)\n"
           "  --steps N            timed steps per round (default 20)\n"
           "  --rounds N           rounds, 1 to 64 (default 5)\n"
           "  --threads N          OpenBLAS threads per rank (default 1)\n"
           "  --bucket-bytes N     gradient bytes per allreduce (default %zu)\n"
           "  --seed N             seed of the network and the data (default 42)\n"
           "  --json FILE          write the figures as JSON (rank 0)\n"
           "  --allreduce-sweep    instead: MPI_Allreduce alone, 4 B to 64 MiB\n"
           "  -h, --help           this text\n"
           "\n"
           "Exit status: 0 success, 1 a failure (the library, MPI, the JSON file), 2 usage "
           "error.\n",
           (size_t)BP_MPI_DEFAULT_BUCKET_BYTES);
}

enum {
    OPT_SIZES = 256,
    OPT_BATCH,
    OPT_STEPS,
    OPT_ROUNDS,
    OPT_THREADS,
    OPT_BUCKET_BYTES,
    OPT_SEED,
    OPT_JSON,
    OPT_SWEEP,
};

static const struct option long_options[] = {
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"rounds", required_argument, NULL, OPT_ROUNDS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"bucket-bytes", required_argument, NULL, OPT_BUCKET_BYTES},
    {"seed", required_argument, NULL, OPT_SEED},
    {"json", required_argument, NULL, OPT_JSON},
    {"allreduce-sweep", no_argument, NULL, OPT_SWEEP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The most neurons in a layer, and the largest global batch. */
#define MAX_COUNT (1u << 20)

/* --sizes and --batch: 1 to `capacity` sizes from 1 to MAX_COUNT, at least
 * `least` of them. */
static int take_list(const char *option, const char *value, size_t least, size_t *values,
                     size_t capacity, size_t *count) {
    if (!parse_size_list(value, 1, MAX_COUNT, values, capacity, count) || *count < least)
        return usage_error(NULL,
                           "invalid %s '%s' (expected %zu to %zu comma-separated sizes from 1 "
                           "to %u)",
                           option, value, least, capacity, MAX_COUNT);
    return EXIT_OK;
}

/* A count option from min to max. */
static int take_size(const char *option, const char *value, size_t min, size_t max, size_t *out) {
    return parse_size(value, min, max, out) ? EXIT_OK : bad_range(NULL, option, value, min, max);
}

static int take_option(void *settings, int option, const char *value) {
    options *o = settings;
    uint64_t seed;
    switch (option) {
    case OPT_SIZES:
        return take_list("--sizes", value, 2, o->sizes, MAX_SIZES, &o->n_sizes);
    case OPT_BATCH:
        return take_list("--batch", value, 1, o->batches, MAX_BATCHES, &o->n_batches);
    case OPT_STEPS:
        return take_size("--steps", value, 1, 100000, &o->steps);
    case OPT_ROUNDS:
        return take_size("--rounds", value, 1, 64, &o->rounds);
    case OPT_THREADS:
        return parse_int(value, 1, 1024, &o->threads)
                   ? EXIT_OK
                   : bad_range(NULL, "--threads", value, 1, 1024);
    case OPT_BUCKET_BYTES:
        return take_size("--bucket-bytes", value, 4, (size_t)INT_MAX * 4, &o->bucket_bytes);
    case OPT_SEED:
        if (!parse_u64(value, &seed))
            return bad_range(NULL, "--seed", value, 0, UINT64_MAX);
        o->seed = seed;
        return EXIT_OK;
    case OPT_JSON:
        o->json_path = value;
        return EXIT_OK;
    default: /* OPT_SWEEP */
        o->sweep = true;
        return EXIT_OK;
    }
}

/* Every rank parses the same command line; rank 0 alone prints. Returns
 * EXIT_OK, HELP_SHOWN or EXIT_USAGE. */
static int parse_options(int argc, char **argv, options *o) {
    static const command_line line = {
        .options = long_options,
        .help = usage,
        .take = take_option,
    };
    *o = (options){.sizes = {784, 128, 10},
                   .n_sizes = 3,
                   .batches = {256},
                   .n_batches = 1,
                   .steps = 20,
                   .rounds = 5,
                   .threads = 1,
                   .bucket_bytes = BP_MPI_DEFAULT_BUCKET_BYTES,
                   .seed = 42};
    set_program_name("bp-bench-mpi");
    if (rank != 0)
        silence_usage_errors();
    return parse_command_line(&line, argc, argv, o, NULL);
}

/* count examples: inputs uniform in [0, 1), labels uniform over min(10, outputs) classes. */
static int make_data(bp_dataset *data, size_t count, size_t features, size_t outputs,
                     uint64_t seed) {
    const size_t classes = outputs < 10 ? outputs : 10;
    *data = (bp_dataset){.count = count, .features = features, .classes = classes};
    data->inputs = malloc(count * features * sizeof *data->inputs);
    data->labels = malloc(count * sizeof *data->labels);
    if (!data->inputs || !data->labels)
        return BP_ENOMEM;
    uint64_t state = seed;
    for (size_t i = 0; i < count * features; i++)
        data->inputs[i] = bench_random_uniform(&state);
    for (size_t i = 0; i < count; i++)
        data->labels[i] = (uint32_t)(bench_random_next(&state) % classes);
    return BP_OK;
}

static int on_batch(const bp_batch_report *report, void *user) {
    recorder *r = user;
    /* The first step of a round also holds the epoch's shuffle: untimed. */
    if (report->batch > 1 && r->n < r->capacity) {
        r->step[r->n] = report->seconds - r->last;
        r->wait[r->n] = r->stats->last_wait_seconds;
        r->n++;
    }
    r->last = report->seconds;
    return 0;
}

/* One configuration: `rounds` times, `steps` + 1 steps of bp_mpi_train
 * (one epoch of a data set of that many global batches), then `steps`
 * blocking allreduces of the gradient block. */
static int run_configuration(const options *o, size_t batch, result *out) {
    const size_t layers = o->n_sizes - 1;
    bp_activation activations[MAX_SIZES];
    for (size_t l = 0; l < layers; l++)
        activations[l] = l + 1 == layers ? BP_ACT_SOFTMAX : BP_ACT_SIGMOID;
    bp_net *net = NULL;
    bp_optimizer *opt = NULL;
    bp_dataset data = {0};
    const size_t per_round = o->steps * o->rounds;
    double *all = calloc(5 * per_round, sizeof *all);
    int rc = all ? BP_OK : BP_ENOMEM;
    if (rc == BP_OK)
        rc = bp_net_create(&net, layers, o->sizes, activations, BP_KERNELS_OPENBLAS, o->seed);
    if (rc == BP_OK)
        rc = bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_SGD);
    if (rc == BP_OK)
        rc = bp_optimizer_create(&opt, net, &config);
    if (rc == BP_OK)
        rc = make_data(&data, (o->steps + 1) * batch, o->sizes[0], o->sizes[layers], o->seed + 1);
    /* Every rank must reach the same collectives: agree before the first. */
    char message[512];
    if (bp_mpi_agree(MPI_COMM_WORLD, rc, "setting up the network and data", message, sizeof message,
                     NULL) != BP_OK) {
        if (rank == 0)
            fprintf(stderr, "bp-bench-mpi: %s (%s)\n", message, bp_strerror(rc));
        rc = rc == BP_OK ? BP_EPEER : rc;
        goto done;
    }
    double *steps = all, *waits = all + per_round, *alone = all + 2 * per_round;
    double *reduced = all + 3 * per_round; /* scratch for a round's median */
    bp_mpi_stats stats = {0};
    recorder rec = {.step = steps, .wait = waits, .capacity = per_round, .stats = &stats};
    bp_mpi_options mo;
    bp_mpi_options_default(&mo);
    mo.train.epochs = 1;
    mo.train.batch_size = batch;
    mo.train.seed = o->seed;
    mo.train.on_batch = on_batch;
    mo.train.user = &rec;
    mo.bucket_bytes = o->bucket_bytes;
    float *grads;
    bp_net_grads(net, &grads, NULL);
    const size_t n_params = bp_net_num_params(net);
    *out = (result){.batch = batch};
    for (size_t round = 0; round < o->rounds && rc == BP_OK; round++) {
        const size_t first = rec.n;
        rc = bp_mpi_train(net, opt, &data, NULL, &mo, MPI_COMM_WORLD, &stats);
        if (rc != BP_OK) {
            if (rank == 0)
                fprintf(stderr, "bp-bench-mpi: bp_mpi_train: %s (%s)\n", bp_strerror(rc),
                        bp_mpi_errmsg());
            break;
        }
        double *mine = steps + first;
        /* this round's step times <- max over ranks (a step ends on the slowest) */
        MPI_Allreduce(MPI_IN_PLACE, mine, (int)(rec.n - first), MPI_DOUBLE, MPI_MAX,
                      MPI_COMM_WORLD);
        /* This round's median, on a copy: the steps stay in order. */
        memcpy(reduced, mine, (rec.n - first) * sizeof *reduced);
        out->round_rates[round] = (double)batch / quantile(reduced, rec.n - first, 0.5);
        /* The whole gradient alone, blocking, each time after a barrier. */
        for (size_t i = 0; i < o->steps; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            const double t0 = bench_now();
            /* g <- sum over ranks of each rank's g (the gradient block, P floats) */
            MPI_Allreduce(MPI_IN_PLACE, grads, (int)n_params, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            alone[round * o->steps + i] = bench_now() - t0;
        }
    }
    if (rc == BP_OK) {
        const size_t n = rec.n;
        /* waits <- mean over ranks of each step's exposed wait */
        MPI_Allreduce(MPI_IN_PLACE, waits, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        /* alone <- max over ranks of each allreduce's time */
        MPI_Allreduce(MPI_IN_PLACE, alone, (int)(o->steps * o->rounds), MPI_DOUBLE, MPI_MAX,
                      MPI_COMM_WORLD);
        for (size_t i = 0; i < n; i++)
            waits[i] /= ranks;
        out->timed_steps = n;
        out->step = quantile(steps, n, 0.5);
        out->step_p25 = quantile(steps, n, 0.25);
        out->step_p75 = quantile(steps, n, 0.75);
        out->wait = quantile(waits, n, 0.5);
        out->allreduce = quantile(alone, o->steps * o->rounds, 0.5);
        out->buckets = stats.buckets;
        out->bytes = stats.bytes_per_step;
    }
done:
    bp_dataset_free(&data);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    free(all);
    return rc;
}

/* MPI_Allreduce alone on messages of 4 B to 64 MiB: the points α and β are
 * fitted from (bench/scaling_model.py). Each time is the slowest rank's,
 * after a barrier; the median over repetitions. */
static int run_sweep(double seconds[SWEEP_SIZES], size_t bytes[SWEEP_SIZES]) {
    const size_t largest = (size_t)4 << (2 * (SWEEP_SIZES - 1));
    float *buffer = calloc(largest / sizeof(float), sizeof(float));
    double *times = malloc(1000 * sizeof *times);
    const int rc = buffer && times ? BP_OK : BP_ENOMEM;
    char message[256];
    if (bp_mpi_agree(MPI_COMM_WORLD, rc, "allocating the sweep's buffer", message, sizeof message,
                     NULL) != BP_OK) {
        if (rank == 0)
            fprintf(stderr, "bp-bench-mpi: %s\n", message);
        free(buffer);
        free(times);
        return rc == BP_OK ? BP_EPEER : rc;
    }
    for (size_t k = 0; k < SWEEP_SIZES; k++) {
        bytes[k] = (size_t)4 << (2 * k);
        const int count = (int)(bytes[k] / sizeof(float));
        /* About 0.2 s of traffic at 1 GB/s, 20 to 1000 repetitions, after 3 untimed. */
        size_t reps = ((size_t)200 << 20) / bytes[k];
        reps = reps < 20 ? 20 : reps > 1000 ? 1000 : reps;
        for (size_t i = 0; i < reps + 3; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            const double t0 = bench_now();
            /* buffer[0 .. count) <- sum over ranks of each rank's buffer there */
            MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            if (i >= 3)
                times[i - 3] = bench_now() - t0;
        }
        /* times <- max over ranks of each repetition's time */
        MPI_Allreduce(MPI_IN_PLACE, times, (int)reps, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        seconds[k] = quantile(times, reps, 0.5);
    }
    free(buffer);
    free(times);
    return BP_OK;
}

static void shape_string(const options *o, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < o->n_sizes && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", i ? "-" : "", o->sizes[i]);
}

/* The first line of MPI_Get_library_version. */
static void mpi_library(char *out, size_t size) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    version[strcspn(version, "\n,")] = '\0';
    snprintf(out, size, "%s", version);
}

static void print_header(const options *o, const char *cpu, const char *library) {
    printf("bp-bench-mpi: backprop %s, %s, %d rank%s\n", bp_version(), library, ranks,
           ranks == 1 ? "" : "s");
    printf("CPU: %s, %ld cores online\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    printf("OpenBLAS core %s, %d thread%s per rank; buckets of %zu bytes\n", bp_blas_core(),
           bp_blas_threads(), bp_blas_threads() == 1 ? "" : "s", o->bucket_bytes);
}

/* The share of the allreduce that did not show as waiting: 1 - wait /
 * allreduce, in [0, 1]; NaN alone (nothing to hide). */
static double hidden_fraction(const result *r) {
    if (ranks == 1 || !(r->allreduce > 0))
        return NAN;
    const double hidden = 1.0 - r->wait / r->allreduce;
    return hidden < 0 ? 0 : hidden > 1 ? 1 : hidden;
}

static void print_row(const char *shape, const result *r) {
    const double hidden = hidden_fraction(r);
    char hidden_text[16] = "-";
    if (!isnan(hidden))
        snprintf(hidden_text, sizeof hidden_text, "%.2f", hidden);
    char step_text[48];
    snprintf(step_text, sizeof step_text, "%.3f (%.3f..%.3f)", 1e3 * r->step, 1e3 * r->step_p25,
             1e3 * r->step_p75);
    printf("%-22s %6zu %6zu %11.0f %26s %10.3f %8.3f %7s %6.1f%% %8zu %8.2f\n", shape, r->batch,
           (r->batch + (size_t)ranks - 1) / (size_t)ranks, (double)r->batch / r->step, step_text,
           1e3 * r->allreduce, 1e3 * r->wait, hidden_text, 100.0 * r->wait / r->step, r->buckets,
           (double)r->bytes / 1e6);
}

static void json_number(FILE *f, double x) {
    if (isfinite(x))
        fprintf(f, "%.9g", x);
    else
        fputs("null", f);
}

/* Writes `path` through a temporary file renamed over it. */
static int write_json(const options *o, const char *cpu, const char *library, const result *results,
                      size_t n_results, const double *sweep_seconds, const size_t *sweep_bytes) {
    char temp[4096];
    if (snprintf(temp, sizeof temp, "%s.tmp", o->json_path) >= (int)sizeof temp)
        return BP_EINVAL;
    FILE *f = fopen(temp, "w");
    if (!f)
        return BP_EIO;
    char shape[256];
    shape_string(o, shape, sizeof shape);
    fprintf(f, "{\"program\": \"bp-bench-mpi\", \"backprop\": \"%s\", \"mpi\": \"%s\", ",
            bp_version(), library);
    fprintf(f, "\"cpu\": \"%s\", \"openblas_core\": \"%s\", \"threads_per_rank\": %d, ", cpu,
            bp_blas_core(), bp_blas_threads());
    fprintf(f, "\"ranks\": %d, \"bucket_bytes\": %zu,\n", ranks, o->bucket_bytes);
    if (sweep_seconds) {
        fputs(" \"allreduce_sweep\": [", f);
        for (size_t k = 0; k < SWEEP_SIZES; k++) {
            fprintf(f, "%s\n  {\"bytes\": %zu, \"seconds\": ", k ? "," : "", sweep_bytes[k]);
            json_number(f, sweep_seconds[k]);
            fputs("}", f);
        }
    } else {
        fprintf(f, " \"network\": \"%s\", \"steps_per_round\": %zu, \"rounds\": %zu,\n", shape,
                o->steps, o->rounds);
        fputs(" \"results\": [", f);
        for (size_t i = 0; i < n_results; i++) {
            const result *r = &results[i];
            fprintf(f, "%s\n  {\"batch\": %zu, \"timed_steps\": %zu, \"examples_per_second\": ",
                    i ? "," : "", r->batch, r->timed_steps);
            json_number(f, (double)r->batch / r->step);
            fputs(", \"seconds_per_step\": ", f);
            json_number(f, r->step);
            fputs(", \"step_p25\": ", f);
            json_number(f, r->step_p25);
            fputs(", \"step_p75\": ", f);
            json_number(f, r->step_p75);
            fputs(", \"allreduce_seconds\": ", f);
            json_number(f, r->allreduce);
            fputs(", \"wait_seconds\": ", f);
            json_number(f, r->wait);
            fputs(", \"hidden_fraction\": ", f);
            json_number(f, hidden_fraction(r));
            fprintf(f,
                    ", \"buckets\": %zu, \"bytes_per_step\": %zu, \"round_examples_per_second\": [",
                    r->buckets, r->bytes);
            for (size_t k = 0; k < o->rounds; k++) {
                fputs(k ? ", " : "", f);
                json_number(f, r->round_rates[k]);
            }
            fputs("]}", f);
        }
    }
    fputs("\n]}\n", f);
    const bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed || rename(temp, o->json_path) != 0) {
        remove(temp);
        return BP_EIO;
    }
    return BP_OK;
}

int main(int argc, char **argv) {
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "bp-bench-mpi: MPI_Init failed\n");
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    options o;
    const int parsed = parse_options(argc, argv, &o);
    if (parsed != EXIT_OK) {
        MPI_Finalize();
        return parsed == HELP_SHOWN ? EXIT_OK : parsed;
    }
    bp_blas_set_threads(o.threads);
    char cpu[256], library[256], shape[256];
    bench_cpu_model(cpu, sizeof cpu);
    mpi_library(library, sizeof library);
    shape_string(&o, shape, sizeof shape);
    if (rank == 0)
        print_header(&o, cpu, library);

    result results[MAX_BATCHES];
    double sweep_seconds[SWEEP_SIZES];
    size_t sweep_bytes[SWEEP_SIZES];
    size_t n_results = 0;
    int rc = BP_OK;
    if (o.sweep) {
        rc = run_sweep(sweep_seconds, sweep_bytes);
        if (rc == BP_OK && rank == 0) {
            printf("MPI_Allreduce of floats alone, median of the slowest rank\n");
            printf("%12s %12s %10s\n", "bytes", "us", "GB/s");
            for (size_t k = 0; k < SWEEP_SIZES; k++)
                printf("%12zu %12.2f %10.3f\n", sweep_bytes[k], 1e6 * sweep_seconds[k],
                       (double)sweep_bytes[k] / sweep_seconds[k] / 1e9);
        }
    } else {
        if (rank == 0) {
            printf("%zu rounds of %zu timed steps (bp_mpi_train), each followed by as many "
                   "blocking MPI_Allreduce of the whole gradient; medians; times in ms\n",
                   o.rounds, o.steps);
            printf("%-22s %6s %6s %11s %26s %10s %8s %7s %7s %8s %8s\n", "network", "batch",
                   "share", "examples/s", "step (p25..p75)", "allreduce", "wait", "hidden", "wait%",
                   "buckets", "MB/step");
        }
        for (size_t i = 0; i < o.n_batches && rc == BP_OK; i++) {
            rc = run_configuration(&o, o.batches[i], &results[n_results]);
            if (rc == BP_OK && rank == 0) {
                print_row(shape, &results[n_results]);
                fflush(stdout);
            }
            n_results += rc == BP_OK;
        }
    }
    if (rc == BP_OK && rank == 0 && o.json_path &&
        write_json(&o, cpu, library, results, n_results, o.sweep ? sweep_seconds : NULL,
                   sweep_bytes) != BP_OK) {
        fprintf(stderr, "bp-bench-mpi: cannot write %s\n", o.json_path);
        rc = BP_EIO;
    }
    MPI_Finalize();
    return rc == BP_OK ? 0 : 1;
}
