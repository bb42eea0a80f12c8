/* Types and functions shared by the files of bp-bench. */
#ifndef BP_BENCH_H
#define BP_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "backprop.h"
#include "core/phase_timer.h"
#include "samples.h"

/* What a case times. The first three are one layer's products (through the
 * internal kernel table), the last a whole training step (the public API). */
typedef enum bench_case_kind {
    BENCH_FORWARD = 0,     /* Z = A_prev W^T, then A = sigma(Z + 1 b^T) */
    BENCH_WEIGHT_GRAD = 1, /* dW = Delta^T A_prev */
    BENCH_INPUT_GRAD = 2,  /* dA_prev = Delta W, then sigma'(Z_prev) (*) dA_prev */
    BENCH_TRAIN_STEP = 3,  /* forward, quadratic cost, backward, descent step */
    BENCH_CASE_KINDS = 4
} bench_case_kind;

/* Bit i set: kind i selected. */
#define BENCH_ALL_CASES ((1u << BENCH_CASE_KINDS) - 1u)

/* The most layer sizes a network may have on the command line. */
#define BENCH_MAX_SIZES 16
/* The most --sizes and --batch values. */
#define BENCH_MAX_LIST 16

/* A network shape: sizes[0] inputs, then each layer's width. */
typedef struct bench_shape {
    size_t count; /* at least 2 */
    size_t sizes[BENCH_MAX_SIZES];
} bench_shape;

/* The command line, parsed. */
typedef struct bench_options {
    unsigned cases;             /* bit set of bench_case_kind */
    bool openblas, naive, blis; /* kernel sets to run */
    const char *plan;           /* --plan auto|SPEC: train_step also under it; NULL: not */
    int threads;                /* BLAS threads; 0 leaves OpenBLAS's default */
    size_t workers;             /* train_step on OpenBLAS: > 1 steps through a bp_workers pool */
    bool loop_step;             /* --step loop: one worker's step as bp_train takes it */
    double seconds;             /* timing budget per case (OpenBLAS, and the naive target) */
    double naive_seconds;       /* the naive loops' cap per case */
    double peak_seconds;        /* timing budget of the sgemm peak */
    bool quick;
    size_t n_shapes; /* 0: the built-in suite */
    bench_shape shapes[BENCH_MAX_LIST];
    size_t n_batches; /* 0: the built-in batches */
    size_t batches[BENCH_MAX_LIST];
    const char *json_path; /* NULL: none */
    const char *csv_path;  /* NULL: none */
    unsigned long long seed;
} bench_options;

/* Parses argv into *options with the shared command-line parser
 * (cmdline/cmdline.h). Returns EXIT_OK to go on, HELP_SHOWN when --help was
 * printed (exit 0), or EXIT_USAGE after printing a usage error. */
int bench_parse_options(int argc, char **argv, bench_options *options);

/* The name of a case kind as on the command line ("forward", ...). */
const char *bench_case_name(bench_case_kind kind);

/* ------------------------------------------------------------------------ */
/* Timing                                                                    */
/* ------------------------------------------------------------------------ */

/* One step of a case on n examples; returns 0 or a BP_E* code. */
typedef int (*bench_step_fn)(void *context, size_t n);

/* How to time a case. */
typedef struct bench_plan {
    double seconds;     /* stop once this much is measured and target_reps reached */
    double cap_seconds; /* past min_reps, start no sample that would end after this */
    size_t min_reps;    /* at least this many samples, whatever the time */
    size_t target_reps; /* this many samples unless the cap stops them first */
    bool warm_up;       /* run untimed steps first: one, then up to 10% of `seconds` */
} bench_plan;

/* Median and spread of the repetitions, in seconds per step. */
typedef struct bench_stats {
    double median, p25, p75, min, max;
    size_t reps;       /* timed samples */
    size_t steps_each; /* steps per sample (short steps are grouped) */
} bench_stats;

/* Times `step` on n examples as planned: warm-up, then samples until the
 * budget is spent. Returns 0 or the first failing step's code. */
int bench_measure(bench_step_fn step, void *context, size_t n, const bench_plan *plan,
                  bench_stats *stats);

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

/* Makes freed large blocks go back to the system (call once, first), so
 * that each configuration's resident growth is its own. */
void bench_memory_setup(void);

/* Resident anonymous bytes now (the process's own memory, not the code of
 * its libraries), counted page by page; 0 if unknown. */
double bench_memory_resident(void);

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */

/* One record: a case on one kernel set. */
typedef struct bench_result {
    bench_case_kind kind;
    bench_shape shape; /* train step: the network; per operation: {in, out} */
    size_t batch;
    bool naive;
    bp_kernels kernels;         /* the kernel set timed */
    char plan[48];              /* under --plan: "auto openblas:2x1" or the SPEC; else "" */
    int threads;                /* the BLAS's count; 1 for the naive loops */
    size_t workers;             /* worker threads of a training step (1: the calling thread) */
    size_t measured_batch;      /* the batch actually timed (< batch: naive estimate) */
    double flops;               /* per step at `batch` */
    bench_stats stats;          /* per step at measured_batch */
    double seconds_per_step;    /* at `batch`; scaled per example when estimated */
    double examples_per_second; /* measured */
    double gflops;              /* measured */
    double speedup;             /* naive / OpenBLAS seconds per step; NAN when unknown */
    double percent_of_peak;
    double peak_gflops;          /* the sgemm median that percent_of_peak is taken against */
    size_t naive_measured_batch; /* the naive batch of this case; 0 when not run */
    /* Training step on OpenBLAS only, else NAN: */
    double phase_seconds[BP_PHASES]; /* per step, from the library's phase timers */
    double resident_growth_bytes;    /* resident after create + steps, less before */
    double needed_bytes;             /* bp_net_memory_bytes: blocks, workspace, tables */
} bench_result;

/* The peak's product: C = A B, all PEAK_ORDER x PEAK_ORDER. */
#define PEAK_ORDER 2048
#define PEAK_FLOPS (2.0 * PEAK_ORDER * PEAK_ORDER * PEAK_ORDER)

/* Times cblas_sgemm on PEAK_ORDER^3 for about `seconds`. 0, or -1 after
 * printing why. */
int bench_measure_peak(double seconds, unsigned long long seed, bench_stats *stats);

/* The machine and build, printed on every report. */
typedef struct bench_header {
    char cpu_model[256];
    long cores;
    const char *blas_config;
    const char *core;
    const char *coretype_env; /* OPENBLAS_CORETYPE or "unset" */
    int threads;
    const char *compiler;
    const char *build;
    const char *version;
    char date[40];
    double seconds, naive_seconds; /* the run's budgets per case */
    bool quick;
    double peak_gflops; /* of the median call: what %peak is taken against */
    bench_stats peak;   /* seconds per call */
} bench_header;

/* Fills everything but the peak. */
void bench_header_collect(bench_header *header);

void bench_print_header(const bench_header *header);

/* The table, printed a row at a time as the cases finish, and the notes on
 * estimated rows under it. */
void bench_print_table_head(void);
void bench_print_row(const bench_result *result);
void bench_print_footnotes(const bench_result *results, size_t count);

/* Writes the results as JSON or CSV; 0 or -1 (after printing why). */
int bench_write_json(const char *path, const bench_header *header, const bench_result *results,
                     size_t count);
int bench_write_csv(const char *path, const bench_header *header, const bench_result *results,
                    size_t count);

/* "784-128-10" into buf. */
void bench_shape_string(const bench_shape *shape, char *buf, size_t size);

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */
/* ------------------------------------------------------------------------ */

/* One case of the suite: a kind, a shape ({in, out} for one operation) and
 * a batch, run on each selected kernel set. */
typedef struct bench_case {
    bench_case_kind kind;
    bench_shape shape;
    size_t batch;
} bench_case;

/* The naive loops' speed measured so far in the run, in FLOP/s (0: none
 * yet), from which the time of the next naive step is predicted. */
typedef struct bench_naive_speed {
    double lowest;                      /* over every case */
    double lowest_of[BENCH_CASE_KINDS]; /* per kind */
} bench_naive_speed;

/* Times the naive forward product on a small layer, so that the first naive
 * case of the run has a prediction too. 0, or -1 after printing why. */
int bench_naive_calibrate(bench_naive_speed *speed, unsigned long long seed);

/* The flops of one step of the case on `batch` examples (products only). */
double bench_flops(bench_case_kind kind, const bench_shape *shape, size_t batch);

/* Runs one case on the selected kernel sets, OpenBLAS first, into
 * results[0..*count-1], and updates the naive speed. 0, or -1 after
 * printing why. */
int bench_run_case(const bench_case *c, const bench_options *options, double peak_gflops,
                   bench_naive_speed *speed, bench_result *results, size_t *count);

#endif
