/* bp-bench's command line: getopt_long, with every number checked in full. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *const case_names[BENCH_CASE_KINDS] = {"forward", "weight_grad", "input_grad",
                                                         "train_step"};

const char *bench_case_name(bench_case_kind kind) {
    return (unsigned)kind < BENCH_CASE_KINDS ? case_names[kind] : "?";
}

static void usage(FILE *to) {
    fprintf(to,
            "usage: bp-bench [options]\n"
            "Times backprop's products and training steps on OpenBLAS and on the naive loops,\n"
            "with the cblas_sgemm 2048^3 peak and the OpenBLAS core in the report.\n"
            "\n"
            "  --case NAME       forward | weight_grad | input_grad | train_step; repeatable\n"
            "                    (default: all)\n"
            "  --sizes N,N,...   a network of at least 2 sizes (inputs, then each layer);\n"
            "                    repeatable. Per-operation cases time each of its layers.\n"
            "                    Default: the standard suite (see bench/README.md)\n"
            "  --batch N[,N...]  batch sizes (default: the standard suite's; with --sizes: 1,256)\n"
            "  --kernels SET     openblas | naive | both (default: both)\n"
            "  --threads N       OpenBLAS threads (default: OpenBLAS's own, one per core)\n"
            "  --workers N       train_step on N worker threads (bp_workers_train_step: the\n"
            "                    gradient, then SGD over slices), one OpenBLAS thread each;\n"
            "                    default 1: the fused bp_net_train_step in one thread\n"
            "  --seconds S       timing budget per case and kernel set (default 1; quick 0.2)\n"
            "  --naive-seconds S cap on the naive loops per case (default 3 x --seconds;\n"
            "                    quick 1). Beyond it the naive step is timed on a smaller\n"
            "                    batch and scaled per example (marked as an estimate)\n"
            "  --quick           the standard training steps and a few operations, small budgets\n"
            "  --json FILE       write one JSON record per case and kernel set\n"
            "  --csv FILE        the same records as CSV\n"
            "  --seed N          seed of the networks and the data (default 42)\n"
            "  --help            this text\n");
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
/* Prints "bp-bench: <message>" and the hint; returns 2 (bad usage). */
static int
bad(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("bp-bench: ", stderr);
    vfprintf(stderr, format, args);
    fputs("\n(bp-bench --help lists the options)\n", stderr);
    va_end(args);
    return 2;
}

/* A whole-string integer in [low, high]. */
static bool parse_long(const char *text, long low, long high, long *out) {
    char *end;
    errno = 0;
    const long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || value < low || value > high)
        return false;
    *out = value;
    return true;
}

/* A whole-string finite number in (0, high]. */
static bool parse_seconds(const char *text, double high, double *out) {
    char *end;
    errno = 0;
    const double value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value) || value <= 0.0 ||
        value > high)
        return false;
    *out = value;
    return true;
}

/* "784,128,10" into values; false when a field is not an integer in
 * [1, INT_MAX] or there are more than max. */
static bool parse_list(const char *text, size_t max, size_t *values, size_t *count) {
    char field[32];
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const size_t length = strcspn(p, ",");
        if (length == 0 || length >= sizeof field || n == max)
            return false;
        memcpy(field, p, length);
        field[length] = '\0';
        long value;
        if (!parse_long(field, 1, INT_MAX, &value))
            return false;
        values[n++] = (size_t)value;
        if (p[length] == '\0')
            break;
        p += length + 1;
    }
    *count = n;
    return true;
}

enum { OPT_NAIVE_SECONDS = 256, OPT_SEED, OPT_WORKERS };

int bench_parse_options(int argc, char **argv, bench_options *options) {
    static const struct option long_options[] = {
        {"case", required_argument, NULL, 'c'},
        {"sizes", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},
        {"kernels", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 'S'},
        {"naive-seconds", required_argument, NULL, OPT_NAIVE_SECONDS},
        {"quick", no_argument, NULL, 'q'},
        {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'C'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(options, 0, sizeof *options);
    options->openblas = options->naive = true;
    options->seed = 42;
    double seconds = 0.0, naive_seconds = 0.0; /* 0: not given */

    opterr = 0; /* our own messages, which name the valid values; ':' in the
                 * option string tells a missing value from an unknown option */
    optind = 1;
    int option;
    while ((option = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        long number;
        size_t count;
        switch (option) {
        case 'c': {
            unsigned kind = 0;
            while (kind < BENCH_CASE_KINDS && strcmp(optarg, case_names[kind]) != 0)
                kind++;
            if (kind == BENCH_CASE_KINDS)
                return bad("unknown case '%s'; valid cases: forward, weight_grad, input_grad, "
                           "train_step",
                           optarg);
            options->cases |= 1u << kind;
            break;
        }
        case 's': {
            if (options->n_shapes == BENCH_MAX_LIST)
                return bad("too many --sizes (at most 16)");
            bench_shape *shape = &options->shapes[options->n_shapes];
            if (!parse_list(optarg, BENCH_MAX_SIZES, shape->sizes, &count) || count < 2)
                return bad("--sizes '%s': need 2 to 16 comma-separated integers from 1 to "
                           "2147483647, e.g. 784,128,10",
                           optarg);
            shape->count = count;
            options->n_shapes++;
            break;
        }
        case 'b':
            if (!parse_list(optarg, BENCH_MAX_LIST - options->n_batches,
                            options->batches + options->n_batches, &count))
                return bad("--batch '%s': need comma-separated integers from 1 to 2147483647 "
                           "(at most 16 in all)",
                           optarg);
            options->n_batches += count;
            break;
        case 'k':
            if (strcmp(optarg, "openblas") == 0) {
                options->openblas = true;
                options->naive = false;
            } else if (strcmp(optarg, "naive") == 0) {
                options->openblas = false;
                options->naive = true;
            } else if (strcmp(optarg, "both") == 0) {
                options->openblas = options->naive = true;
            } else {
                return bad("unknown kernel set '%s'; valid: openblas, naive, both", optarg);
            }
            break;
        case 't':
            if (!parse_long(optarg, 1, 1024, &number))
                return bad("--threads '%s': need an integer from 1 to 1024", optarg);
            options->threads = (int)number;
            break;
        case OPT_WORKERS:
            if (!parse_long(optarg, 1, BP_WORKERS_MAX, &number))
                return bad("--workers '%s': need an integer from 1 to %d", optarg, BP_WORKERS_MAX);
            options->workers = (size_t)number;
            break;
        case 'S':
            if (!parse_seconds(optarg, 3600.0, &seconds))
                return bad("--seconds '%s': need a number of seconds above 0, at most 3600",
                           optarg);
            break;
        case OPT_NAIVE_SECONDS:
            if (!parse_seconds(optarg, 3600.0, &naive_seconds))
                return bad("--naive-seconds '%s': need a number of seconds above 0, at most "
                           "3600",
                           optarg);
            break;
        case 'q':
            options->quick = true;
            break;
        case 'j':
            options->json_path = optarg;
            break;
        case 'C':
            options->csv_path = optarg;
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            const unsigned long long value = strtoull(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno == ERANGE ||
                !isdigit((unsigned char)optarg[0]))
                return bad("--seed '%s': need a non-negative integer", optarg);
            options->seed = value;
            break;
        }
        case 'h':
            usage(stdout);
            return 1;
        case ':':
            return bad("option %s needs a value", argv[optind - 1]);
        default:
            /* getopt_long leaves the unknown option at argv[optind - 1]. */
            return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);

    if (options->cases == 0)
        options->cases = BENCH_ALL_CASES;
    options->seconds = seconds > 0.0 ? seconds : options->quick ? 0.2 : 1.0;
    options->naive_seconds = naive_seconds > 0.0 ? naive_seconds
                             : seconds > 0.0     ? 3.0 * seconds
                             : options->quick    ? 1.0
                                                 : 3.0;
    options->peak_seconds = options->quick ? 0.3 : 1.0;
    return 0;
}
