/* bp-bench's reports: the machine header, the table on stdout, JSON and CSV. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Meson passes the build's settings; defaults keep a hand compile working. */
#ifndef BP_BENCH_CC
#define BP_BENCH_CC "cc"
#endif
#ifndef BP_BENCH_BUILD
#define BP_BENCH_BUILD "unknown"
#endif

void bench_header_collect(bench_header *header) {
    memset(header, 0, sizeof *header);
    bench_cpu_model(header->cpu_model, sizeof header->cpu_model);
    header->cores = sysconf(_SC_NPROCESSORS_ONLN);
    header->blas_config = openblas_get_config();
    header->core = openblas_get_corename();
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    header->coretype_env = coretype && *coretype ? coretype : "unset";
    header->threads = openblas_get_num_threads();
    header->compiler = BP_BENCH_CC " " __VERSION__;
    header->build = BP_BENCH_BUILD;
    header->version = bp_version();
    const time_t now = time(NULL);
    const struct tm *utc = gmtime(&now);
    if (!utc || !strftime(header->date, sizeof header->date, "%Y-%m-%dT%H:%M:%SZ", utc))
        snprintf(header->date, sizeof header->date, "unknown");
    header->peak_gflops = NAN;
}

void bench_shape_string(const bench_shape *shape, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < shape->count && used < size; i++) {
        const int wrote = snprintf(buf + used, size - used, "%s%zu", i ? "-" : "", shape->sizes[i]);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
}

/* The unit in which `seconds` reads best, and its scale. */
static const char *time_unit(double seconds, double *scale) {
    if (seconds >= 1.0) {
        *scale = 1.0;
        return "s";
    }
    if (seconds >= 1e-3) {
        *scale = 1e3;
        return "ms";
    }
    *scale = 1e6;
    return "us";
}

void bench_print_header(const bench_header *h) {
    printf("bp-bench (backprop %s), %s\n", h->version, h->date);
    printf("  cpu       %s, %ld cores online\n", h->cpu_model, h->cores);
    printf("  openblas  %s\n", h->blas_config);
    printf("  core      %s   <- OpenBLAS kernels in use (OPENBLAS_CORETYPE=%s)\n", h->core,
           h->coretype_env);
    printf("  threads   %d OpenBLAS threads; the naive loops run on 1\n", h->threads);
    printf("  blis      %s   <- BLIS sub-configuration of the blis kernels (BLIS_ARCH_TYPE=%s)\n",
           bp_kernels_core(BP_KERNELS_BLIS),
           getenv("BLIS_ARCH_TYPE") ? getenv("BLIS_ARCH_TYPE") : "unset");
    printf("  compiler  %s; %s\n", h->compiler, h->build);
    printf("  peak      cblas_sgemm 2048x2048x2048: %.1f GFLOP/s (median of %zu calls; fastest "
           "%.1f) on %s, %d threads\n",
           h->peak_gflops, h->peak.reps, PEAK_FLOPS / h->peak.min / 1e9, h->core, h->threads);
    printf("  timing    median seconds per step after warm-up; spread = interquartile range "
           "(p25..p75); %%peak = median step against the median sgemm call (for a "
           "training step, those right before and after it)\n");
    printf("  GFLOP/s   2*in*out*batch per product: forward 1, weight_grad 1, input_grad 1, "
           "train_step 3 per layer (2 for the first)\n\n");
    fflush(stdout);
}

void bench_print_table_head(void) {
    printf("%-11s %-16s %6s %-8s %11s %21s %12s %9s %6s %8s %6s\n", "case", "sizes", "batch",
           "kernels", "time/step", "spread (p25..p75)", "examples/s", "GFLOP/s", "%peak", "speedup",
           "reps");
    fflush(stdout);
}

/* The training step's phases and memory, under its row. */
static void print_profile(const bench_result *r) {
    if (!isfinite(r->phase_seconds[0]))
        return;
    double total = 0.0;
    for (size_t p = 0; p < BP_PHASES; p++)
        total += r->phase_seconds[p];
    double scale;
    const char *unit = time_unit(r->seconds_per_step, &scale);
    printf("%12s phases:", "");
    for (size_t p = 0; p < BP_PHASES; p++)
        if (r->phase_seconds[p] > 0.0)
            printf(" %s %.3g %s (%.1f%%);", bp__phase_name((bp__phase)p),
                   r->phase_seconds[p] * scale, unit, 100.0 * r->phase_seconds[p] / total);
    printf(" together %.4g %s\n", total * scale, unit);
    printf("%12s peak: cblas_sgemm 2048^3 measured right before and after this case, %.1f "
           "GFLOP/s (the %%peak of its row)\n",
           "", r->peak_gflops);
    if (isfinite(r->resident_growth_bytes) && r->needed_bytes > 0.0)
        printf(
            "%12s memory: peak resident +%.2f MiB from creating the network to its last "
            "step; it needs %.2f MiB (bp_net_memory_bytes, and bp_workers_memory_bytes): %.2fx\n",
            "", r->resident_growth_bytes / 1048576.0, r->needed_bytes / 1048576.0,
            r->resident_growth_bytes / r->needed_bytes);
    fflush(stdout);
}

void bench_print_row(const bench_result *r) {
    char sizes[160], batch[32], speedup[32], spread[64];
    bench_shape_string(&r->shape, sizes, sizeof sizes);
    const bool estimated = r->measured_batch != r->batch;
    snprintf(batch, sizeof batch, "%zu%s", r->batch, estimated ? "*" : "");
    if (isnan(r->speedup))
        snprintf(speedup, sizeof speedup, "-");
    else
        snprintf(speedup, sizeof speedup, "%.1fx", r->speedup);
    double scale;
    const char *unit = time_unit(r->seconds_per_step, &scale);
    /* The spread of the measured steps, scaled like the median to `batch`. */
    const double to_batch = (double)r->batch / (double)r->measured_batch;
    snprintf(spread, sizeof spread, "%.4g..%.4g %s", r->stats.p25 * to_batch * scale,
             r->stats.p75 * to_batch * scale, unit);
    printf("%-11s %-16s %6s %-8s %8.4g %-2s %21s %12.1f %9.2f %5.1f%% %8s %6zu",
           bench_case_name(r->kind), sizes, batch, bp_kernels_name(r->kernels),
           r->seconds_per_step * scale, unit, spread, r->examples_per_second, r->gflops,
           r->percent_of_peak, speedup, r->stats.reps);
    if (r->kind == BENCH_TRAIN_STEP && !r->naive)
        printf("  %zu worker%s x %d thread%s", r->workers, r->workers == 1 ? "" : "s", r->threads,
               r->threads == 1 ? "" : "s");
    if (r->plan[0])
        printf("  plan %s", r->plan);
    printf("\n");
    print_profile(r);
    fflush(stdout);
}

void bench_print_footnotes(const bench_result *results, size_t count) {
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        const bench_result *r = &results[i];
        if (r->measured_batch == r->batch)
            continue;
        if (!any)
            printf("\n");
        any = true;
        char sizes[160];
        bench_shape_string(&r->shape, sizes, sizeof sizes);
        printf("* naive %s %s batch %zu: timed on batch %zu (a full step would pass the naive "
               "cap) and scaled per example to %zu: an estimate\n",
               bench_case_name(r->kind), sizes, r->batch, r->measured_batch, r->batch);
    }
}

/* ------------------------------------------------------------------------ */
/* JSON and CSV                                                              */
/* ------------------------------------------------------------------------ */

static void json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* JSON has no NaN or infinity: an unknown number is null. */
static void json_number(FILE *out, double x) {
    if (isfinite(x))
        fprintf(out, "%.9g", x);
    else
        fputs("null", out);
}

/* Opens path for writing; NULL after saying why. */
static FILE *open_report(const char *path) {
    FILE *out = fopen(path, "w");
    if (!out)
        fprintf(stderr, "bp-bench: cannot open %s for writing\n", path);
    return out;
}

/* Closes `out` and reports a write error; 0 or -1. */
static int finish(FILE *out, const char *path) {
    const int failed = ferror(out);
    if (fclose(out) != 0 || failed) {
        fprintf(stderr, "bp-bench: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* One member of a JSON object, "key": value. */
typedef struct json_member {
    const char *key;
    enum { JSON_TEXT, JSON_NUMBER, JSON_COUNT, JSON_LITERAL } type;
    const char *text; /* JSON_TEXT: a string; JSON_LITERAL: written as is (true, null) */
    double number;    /* JSON_NUMBER: null when not finite */
    long long count;  /* JSON_COUNT */
} json_member;

/* Writes n members, `first` before the first and `separator` before each
 * other. */
static void json_members(FILE *out, const char *first, const char *separator,
                         const json_member *members, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const json_member *m = &members[i];
        fprintf(out, "%s\"%s\": ", i ? separator : first, m->key);
        if (m->type == JSON_TEXT)
            json_string(out, m->text);
        else if (m->type == JSON_NUMBER)
            json_number(out, m->number);
        else if (m->type == JSON_COUNT)
            fprintf(out, "%lld", m->count);
        else
            fputs(m->text, out);
    }
}

#define JSON_MEMBERS(out, first, separator, ...)                                                   \
    do {                                                                                           \
        const json_member members_[] = {__VA_ARGS__};                                              \
        json_members(out, first, separator, members_, sizeof members_ / sizeof members_[0]);       \
    } while (0)

/* The run's machine, build, budgets and peak, up to the results' array. */
static void json_header(FILE *out, const bench_header *h) {
    fprintf(out, "{\n  \"program\": \"bp-bench\"");
    JSON_MEMBERS(
        out, ",\n  ", ",\n  ", {"library_version", JSON_TEXT, .text = h->version},
        {"date", JSON_TEXT, .text = h->date}, {"cpu_model", JSON_TEXT, .text = h->cpu_model},
        {"cores", JSON_COUNT, .count = h->cores},
        {"openblas_config", JSON_TEXT, .text = h->blas_config},
        {"core", JSON_TEXT, .text = h->core},
        {"openblas_coretype_env", JSON_TEXT, .text = h->coretype_env},
        {"blis_arch", JSON_TEXT, .text = bp_kernels_core(BP_KERNELS_BLIS)},
        {"threads", JSON_COUNT, .count = h->threads}, {"compiler", JSON_TEXT, .text = h->compiler},
        {"build", JSON_TEXT, .text = h->build}, {"seconds", JSON_NUMBER, .number = h->seconds},
        {"naive_seconds", JSON_NUMBER, .number = h->naive_seconds},
        {"quick", JSON_LITERAL, .text = h->quick ? "true" : "false"},
        {"timing", JSON_TEXT,
         .text = "median seconds per step after warm-up; spread p25..p75 of the "
                 "measured steps"});
    fprintf(out, ",\n  \"peak\": {");
    JSON_MEMBERS(out, "", ", ", {"routine", JSON_TEXT, .text = "cblas_sgemm"},
                 {"m", JSON_COUNT, .count = PEAK_ORDER}, {"n", JSON_COUNT, .count = PEAK_ORDER},
                 {"k", JSON_COUNT, .count = PEAK_ORDER},
                 {"gflops", JSON_NUMBER, .number = h->peak_gflops},
                 {"gflops_fastest", JSON_NUMBER, .number = PEAK_FLOPS / h->peak.min / 1e9},
                 {"seconds_fastest", JSON_NUMBER, .number = h->peak.min},
                 {"seconds_median", JSON_NUMBER, .number = h->peak.median},
                 {"repetitions", JSON_COUNT, .count = h->peak.reps},
                 {"threads", JSON_COUNT, .count = h->threads});
    fprintf(out, "},\n  \"results\": [");
}

/* A training step's phases and memory, when it has them. */
static void json_profile(FILE *out, const bench_result *r) {
    if (!isfinite(r->phase_seconds[0]))
        return;
    fprintf(out, ",\n     \"phase_seconds\": {");
    for (size_t p = 0; p < BP_PHASES; p++)
        JSON_MEMBERS(out, p ? ", " : "", "",
                     {bp__phase_name((bp__phase)p), JSON_NUMBER, .number = r->phase_seconds[p]});
    fprintf(out, "}");
    JSON_MEMBERS(out, ",\n     ", ", ",
                 {"resident_growth_bytes", JSON_NUMBER, .number = r->resident_growth_bytes},
                 {"needed_bytes", JSON_NUMBER, .number = r->needed_bytes});
}

/* One record of the results' array, in four lines (five with a profile). */
static void json_result(FILE *out, const bench_header *h, const bench_result *r) {
    JSON_MEMBERS(out, "{", "", {"case", JSON_TEXT, .text = bench_case_name(r->kind)});
    fprintf(out, ", \"sizes\": [");
    for (size_t j = 0; j < r->shape.count; j++)
        fprintf(out, "%s%zu", j ? ", " : "", r->shape.sizes[j]);
    fprintf(out, "]");
    JSON_MEMBERS(out, ", ", ", ", {"batch", JSON_COUNT, .count = r->batch},
                 {"kernels", JSON_TEXT, .text = bp_kernels_name(r->kernels)},
                 {"kernels_core", JSON_TEXT, .text = bp_kernels_core(r->kernels)},
                 {"plan", JSON_TEXT, .text = r->plan}, {"threads", JSON_COUNT, .count = r->threads},
                 {"workers", JSON_COUNT, .count = r->workers},
                 {"core", JSON_TEXT, .text = h->core});
    JSON_MEMBERS(out, ",\n     ", ", ",
                 {"seconds_per_step", JSON_NUMBER, .number = r->seconds_per_step},
                 {"examples_per_second", JSON_NUMBER, .number = r->examples_per_second},
                 {"gflops", JSON_NUMBER, .number = r->gflops},
                 {"flops_per_step", JSON_NUMBER, .number = r->flops});
    JSON_MEMBERS(
        out, ",\n     ", ", ", {"speedup_vs_naive", JSON_NUMBER, .number = r->speedup},
        {"percent_of_peak", JSON_NUMBER, .number = r->percent_of_peak},
        {"peak_gflops", JSON_NUMBER, .number = r->peak_gflops},
        {"measured_batch", JSON_COUNT, .count = r->measured_batch},
        {"estimated", JSON_LITERAL, .text = r->measured_batch != r->batch ? "true" : "false"},
        r->naive_measured_batch
            ? (json_member){"naive_measured_batch", JSON_COUNT, .count = r->naive_measured_batch}
            : (json_member){"naive_measured_batch", JSON_LITERAL, .text = "null"});
    JSON_MEMBERS(out, ",\n     ", ", ",
                 {"measured_seconds_median", JSON_NUMBER, .number = r->stats.median},
                 {"measured_seconds_p25", JSON_NUMBER, .number = r->stats.p25},
                 {"measured_seconds_p75", JSON_NUMBER, .number = r->stats.p75},
                 {"measured_seconds_min", JSON_NUMBER, .number = r->stats.min},
                 {"measured_seconds_max", JSON_NUMBER, .number = r->stats.max},
                 {"repetitions", JSON_COUNT, .count = r->stats.reps},
                 {"steps_per_repetition", JSON_COUNT, .count = r->stats.steps_each});
    json_profile(out, r);
    fputc('}', out);
}

int bench_write_json(const char *path, const bench_header *h, const bench_result *results,
                     size_t count) {
    FILE *out = open_report(path);
    if (!out)
        return -1;
    json_header(out, h);
    for (size_t i = 0; i < count; i++) {
        fprintf(out, "%s\n    ", i ? "," : "");
        json_result(out, h, &results[i]);
    }
    fprintf(out, "\n  ]\n}\n");
    return finish(out, path);
}

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_string(FILE *out, const char *s) {
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* An unknown number is an empty field. */
static void csv_number(FILE *out, double x) {
    if (isfinite(x))
        fprintf(out, "%.9g", x);
}

int bench_write_csv(const char *path, const bench_header *h, const bench_result *results,
                    size_t count) {
    FILE *out = open_report(path);
    if (!out)
        return -1;
    fputs("case,sizes,batch,kernels,threads,core,seconds_per_step,examples_per_second,gflops,"
          "flops_per_step,speedup_vs_naive,percent_of_peak,measured_batch,estimated,"
          "naive_measured_batch,measured_seconds_median,measured_seconds_p25,"
          "measured_seconds_p75,measured_seconds_min,measured_seconds_max,repetitions,"
          "steps_per_repetition,peak_gflops,resident_growth_bytes,needed_bytes,workers,plan,"
          "kernels_core\n",
          out);
    for (size_t i = 0; i < count; i++) {
        const bench_result *r = &results[i];
        char sizes[160];
        bench_shape_string(&r->shape, sizes, sizeof sizes);
        fprintf(out, "%s,%s,%zu,%s,%d,", bench_case_name(r->kind), sizes, r->batch,
                bp_kernels_name(r->kernels), r->threads);
        csv_string(out, h->core);
        const double numbers[] = {r->seconds_per_step, r->examples_per_second, r->gflops, r->flops,
                                  r->speedup,          r->percent_of_peak};
        for (size_t j = 0; j < sizeof numbers / sizeof numbers[0]; j++) {
            fputc(',', out);
            csv_number(out, numbers[j]);
        }
        fprintf(out, ",%zu,%s,", r->measured_batch,
                r->measured_batch != r->batch ? "true" : "false");
        if (r->naive_measured_batch)
            fprintf(out, "%zu", r->naive_measured_batch);
        const double spread[] = {r->stats.median, r->stats.p25, r->stats.p75, r->stats.min,
                                 r->stats.max};
        for (size_t j = 0; j < sizeof spread / sizeof spread[0]; j++) {
            fputc(',', out);
            csv_number(out, spread[j]);
        }
        fprintf(out, ",%zu,%zu,", r->stats.reps, r->stats.steps_each);
        csv_number(out, r->peak_gflops);
        fputc(',', out);
        csv_number(out, r->resident_growth_bytes);
        fputc(',', out);
        csv_number(out, r->needed_bytes);
        fprintf(out, ",%zu,%s,%s\n", r->workers, r->plan, bp_kernels_core(r->kernels));
    }
    return finish(out, path);
}
