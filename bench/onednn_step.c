/* The ceiling: bp-bench's training step (sigmoid layers, quadratic cost, SGD) on oneDNN's JIT
 * primitives. */

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "cmdline.h"
#include "samples.h"

#define MAX_LAYERS 15
#define LEARNING_RATE 0.01f

/* Any failing oneDNN call ends the program: a benchmark has no way on. */
#define CHECK(call)                                                                                \
    do {                                                                                           \
        dnnl_status_t status_ = (call);                                                            \
        if (status_ != dnnl_success) {                                                             \
            fprintf(stderr, "onednn-step: %s failed (status %d)\n", #call, (int)status_);          \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

typedef struct layer {
    dnnl_dim_t in, out;
    dnnl_primitive_t forward;     /* A = sigma(A_prev W^T + b): inner product, logistic post-op */
    dnnl_primitive_t act_back;    /* Delta = sigma'(A) (*) dC/dA, from A */
    dnnl_primitive_t input_grad;  /* dC/dA_prev = Delta W */
    dnnl_primitive_t weight_grad; /* dW = Delta^T A_prev, db = column sums of Delta */
    dnnl_memory_t w, b, a, dw, db, grad_a, delta, grad_prev;
    size_t w_floats;
} layer;

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static dnnl_memory_desc_t plain(dnnl_dim_t rows, dnnl_dim_t cols) {
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims = {rows, cols};
    CHECK(dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab));
    return md;
}

static dnnl_memory_t make_memory(const dnnl_memory_desc_t *md) {
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
    return m;
}

static float *data_of(dnnl_memory_t m) {
    void *p;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    return p;
}

static dnnl_primitive_t make_primitive(const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr,
                                       const_dnnl_primitive_desc_t hint,
                                       dnnl_primitive_desc_t *pd) {
    dnnl_primitive_t p;
    CHECK(dnnl_primitive_desc_create(pd, desc, attr, engine, hint));
    CHECK(dnnl_primitive_create(&p, *pd));
    return p;
}

/* Builds layer l for batch n; `any` lets oneDNN choose the weights' layout. */
static void build(layer *L, dnnl_dim_t n, int any, unsigned seed) {
    dnnl_memory_desc_t src = plain(n, L->in), dst = plain(n, L->out), bias, w_any;
    const dnnl_dims_t b_dims = {L->out}, w_dims = {L->out, L->in};
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, b_dims, dnnl_f32, dnnl_a));
    CHECK(dnnl_memory_desc_init_by_tag(&w_any, 2, w_dims, dnnl_f32,
                                       any ? dnnl_format_tag_any : dnnl_ab));

    dnnl_post_ops_t ops;
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_post_ops_create(&ops));
    CHECK(
        dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_logistic_use_dst_for_bwd, 0.0f, 0.0f));
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
    dnnl_inner_product_desc_t fd;
    CHECK(dnnl_inner_product_forward_desc_init(&fd, dnnl_forward_training, &src, &w_any, &bias,
                                               &dst));
    dnnl_primitive_desc_t fpd;
    L->forward = make_primitive(&fd, attr, NULL, &fpd);
    const dnnl_memory_desc_t w = *dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0);

    /* The activation's derivative from its output, as backprop takes it. */
    dnnl_eltwise_desc_t ef, eb;
    dnnl_primitive_desc_t efpd, ebpd;
    CHECK(dnnl_eltwise_forward_desc_init(&ef, dnnl_forward_training,
                                         dnnl_eltwise_logistic_use_dst_for_bwd, &dst, 0.0f, 0.0f));
    CHECK(dnnl_primitive_desc_create(&efpd, &ef, NULL, engine, NULL));
    CHECK(dnnl_eltwise_backward_desc_init(&eb, dnnl_eltwise_logistic_use_dst_for_bwd, &dst, &dst,
                                          0.0f, 0.0f));
    L->act_back = make_primitive(&eb, NULL, efpd, &ebpd);

    dnnl_inner_product_desc_t dd, wd;
    dnnl_primitive_desc_t dpd, wpd;
    CHECK(dnnl_inner_product_backward_data_desc_init(&dd, &src, &w, &dst));
    L->input_grad = make_primitive(&dd, NULL, fpd, &dpd);
    /* The gradient in the weights' own layout, so that SGD is one pass. */
    CHECK(dnnl_inner_product_backward_weights_desc_init(&wd, &src, &w, &bias, &dst));
    L->weight_grad = make_primitive(&wd, NULL, fpd, &wpd);

    L->w = make_memory(&w);
    L->dw = make_memory(&w);
    L->b = make_memory(&bias);
    L->db = make_memory(&bias);
    L->a = make_memory(&dst);
    L->grad_a = make_memory(&dst);
    L->delta = make_memory(&dst);
    L->grad_prev = make_memory(&src);
    L->w_floats = dnnl_memory_desc_get_size(&w) / sizeof(float);
    float *wp = data_of(L->w), *bp = data_of(L->b);
    for (size_t i = 0; i < L->w_floats; i++)
        wp[i] = ((float)((seed = seed * 1103515245u + 12345u) >> 16 & 0x7fff) / 32768.0f - 0.5f) /
                16.0f;
    memset(bp, 0, (size_t)L->out * sizeof(float));
}

static void run(dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args) {
    CHECK(dnnl_primitive_execute(p, stream, n, args));
}

/* One training step on inputs X (n x n_0, plain) and one-hot targets Y. */
static void step(layer *layers, size_t count, dnnl_memory_t x, const float *y, dnnl_dim_t n) {
    for (size_t l = 0; l < count; l++) {
        layer *L = &layers[l];
        const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, l ? layers[l - 1].a : x},
                                        {DNNL_ARG_WEIGHTS, L->w},
                                        {DNNL_ARG_BIAS, L->b},
                                        {DNNL_ARG_DST, L->a}};
        run(L->forward, 4, args);
    }
    /* dC/dA = 2 (A - Y) / n for the quadratic cost. */
    layer *top = &layers[count - 1];
    const float *a = data_of(top->a);
    float *g = data_of(top->grad_a);
    const size_t outputs = (size_t)(n * top->out);
    for (size_t i = 0; i < outputs; i++)
        g[i] = 2.0f * (a[i] - y[i]) / (float)n;
    for (size_t l = count; l-- > 0;) {
        layer *L = &layers[l];
        const dnnl_exec_arg_t act[] = {
            {DNNL_ARG_DST, L->a}, {DNNL_ARG_DIFF_DST, L->grad_a}, {DNNL_ARG_DIFF_SRC, L->delta}};
        run(L->act_back, 3, act);
        const dnnl_exec_arg_t wg[] = {{DNNL_ARG_SRC, l ? layers[l - 1].a : x},
                                      {DNNL_ARG_DIFF_DST, L->delta},
                                      {DNNL_ARG_DIFF_WEIGHTS, L->dw},
                                      {DNNL_ARG_DIFF_BIAS, L->db}};
        run(L->weight_grad, 4, wg);
        if (l > 0) {
            const dnnl_exec_arg_t ig[] = {{DNNL_ARG_DIFF_DST, L->delta},
                                          {DNNL_ARG_WEIGHTS, L->w},
                                          {DNNL_ARG_DIFF_SRC, layers[l - 1].grad_a}};
            run(L->input_grad, 3, ig);
        }
        /* theta <- theta - eta dC/dtheta, in the weights' layout. */
        float *w = data_of(L->w), *b = data_of(L->b);
        const float *dw = data_of(L->dw), *db = data_of(L->db);
        for (size_t i = 0; i < L->w_floats; i++)
            w[i] -= LEARNING_RATE * dw[i];
        for (dnnl_dim_t j = 0; j < L->out; j++)
            b[j] -= LEARNING_RATE * db[j];
    }
    CHECK(dnnl_stream_wait(stream));
}

static void usage(void) {
    printf("usage: onednn-step --sizes N,N,... [options]\n"
           "Times bp-bench's training step (sigmoid layers, quadratic cost, SGD) on oneDNN's\n"
           "inner-product primitives.\n"
           "\n"
           "  --sizes N,N,...   the network: inputs, then each layer (2 to %d sizes; required)\n"
           "  --batch N         examples per step (default 32)\n"
           "  --threads N       OpenMP threads (default 1)\n"
           "  --format F        plain (row-major weights) or any (oneDNN's choice of\n"
           "                    layout; default plain)\n"
           "  --seconds S       timing budget (default 1)\n"
           "  --isa ISA         the widest instructions oneDNN may use: avx2, avx512 or\n"
           "                    all (default all: the CPU's best; avx2 matches OpenBLAS\n"
           "                    on the Haswell and Zen cores)\n"
           "  -h, --help        this text\n"
           "\n"
           "Exit status: 0 success, 1 a oneDNN failure, 2 usage error.\n",
           MAX_LAYERS + 1);
}

/* The command line, parsed. */
typedef struct options {
    size_t sizes[MAX_LAYERS + 1], count, batch;
    int threads, any; /* any: oneDNN chooses the weights' layout */
    int isa;          /* a dnnl_cpu_isa_t cap; dnnl_cpu_isa_all: none */
    double seconds;
} options;

enum { OPT_SIZES = 256, OPT_BATCH, OPT_THREADS, OPT_FORMAT, OPT_SECONDS, OPT_ISA };

static const struct option long_options[] = {
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"isa", required_argument, NULL, OPT_ISA},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const name_value formats[] = {{"plain", 0, NULL}, {"any", 1, NULL}, {NULL, 0, NULL}};

/* ISA caps (dnnl_set_max_cpu_isa): a like-for-like comparison with an
 * OpenBLAS core of the same width, e.g. Haswell's AVX2 against oneDNN's. */
static const name_value isas[] = {{"all", dnnl_cpu_isa_all, NULL},
                                  {"avx2", dnnl_cpu_isa_avx2, NULL},
                                  {"avx512", dnnl_cpu_isa_avx512_core, NULL},
                                  {NULL, 0, NULL}};

/* The name of the ISA oneDNN's kernels use (dnnl_get_effective_cpu_isa). */
static const char *isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41:
        return "sse41";
    case dnnl_cpu_isa_avx:
        return "avx";
    case dnnl_cpu_isa_avx2:
        return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
        return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core:
        return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
        return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
        return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
        return "avx512_core_amx";
    default:
        return "other";
    }
}

/* The most neurons in a layer, and the largest batch. */
#define MAX_COUNT (1u << 20)

static int take_option(void *settings, int option, const char *value) {
    options *o = settings;
    switch (option) {
    case OPT_SIZES:
        if (!parse_size_list(value, 1, MAX_COUNT, o->sizes, MAX_LAYERS + 1, &o->count) ||
            o->count < 2)
            return usage_error(NULL,
                               "invalid --sizes '%s' (expected 2 to %d comma-separated sizes "
                               "from 1 to %u)",
                               value, MAX_LAYERS + 1, MAX_COUNT);
        return EXIT_OK;
    case OPT_BATCH:
        return parse_size(value, 1, MAX_COUNT, &o->batch)
                   ? EXIT_OK
                   : bad_range(NULL, "--batch", value, 1, MAX_COUNT);
    case OPT_THREADS:
        return parse_int(value, 1, 1024, &o->threads)
                   ? EXIT_OK
                   : bad_range(NULL, "--threads", value, 1, 1024);
    case OPT_FORMAT:
        return parse_name(formats, value, &o->any) ? EXIT_OK
                                                   : bad_name(NULL, "--format", value, formats);
    case OPT_ISA:
        return parse_name(isas, value, &o->isa) ? EXIT_OK : bad_name(NULL, "--isa", value, isas);
    default: /* OPT_SECONDS */
        if (!parse_double(value, &o->seconds) || !(o->seconds > 0.0) || o->seconds > 3600.0)
            return usage_error(NULL,
                               "invalid --seconds '%s' (expected a number of seconds above 0, at "
                               "most 3600)",
                               value);
        return EXIT_OK;
    }
}

int main(int argc, char **argv) {
    static const command_line line = {
        .options = long_options,
        .help = usage,
        .take = take_option,
    };
    options o = {.batch = 32, .threads = 1, .seconds = 1.0};
    set_program_name("onednn-step");
    int status = parse_command_line(&line, argc, argv, &o, NULL);
    if (status == EXIT_OK && o.count == 0)
        status = usage_error(NULL, "--sizes is required (the inputs, then each layer)");
    if (status != EXIT_OK)
        return status == HELP_SHOWN ? EXIT_OK : status;
    const size_t *sizes = o.sizes, count = o.count, batch = o.batch;
    const int threads = o.threads, any = o.any;
    const double seconds = o.seconds;
    omp_set_num_threads(threads);
    if (o.isa != dnnl_cpu_isa_all)
        CHECK(dnnl_set_max_cpu_isa((dnnl_cpu_isa_t)o.isa)); /* before the first primitive */
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    layer layers[MAX_LAYERS];
    const dnnl_dim_t n = (dnnl_dim_t)batch;
    for (size_t l = 0; l + 1 < count; l++) {
        layers[l] = (layer){.in = (dnnl_dim_t)sizes[l], .out = (dnnl_dim_t)sizes[l + 1]};
        build(&layers[l], n, any, 7u + (unsigned)l);
    }
    dnnl_memory_desc_t xmd = plain(n, (dnnl_dim_t)sizes[0]);
    dnnl_memory_t x = make_memory(&xmd);
    float *xp = data_of(x), *y = calloc(batch * sizes[count - 1], sizeof *y);
    for (size_t i = 0; i < batch * sizes[0]; i++)
        xp[i] = (float)(i * 7919u % 1000u) / 1000.0f;
    for (size_t i = 0; i < batch; i++)
        y[i * sizes[count - 1] + i % sizes[count - 1]] = 1.0f;
    /* Warm-up, then samples of enough steps to last a few milliseconds. */
    size_t per = 1;
    double start = bench_now();
    step(layers, count - 1, x, y, n);
    const double first = bench_now() - start;
    while (per * first < 0.002)
        per *= 2;
    for (start = bench_now(); bench_now() - start < 0.1 * seconds;)
        step(layers, count - 1, x, y, n);
    double samples[1000];
    size_t taken = 0;
    for (start = bench_now(); taken < 1000 && (taken < 5 || bench_now() - start < seconds);
         taken++) {
        const double t0 = bench_now();
        for (size_t i = 0; i < per; i++)
            step(layers, count - 1, x, y, n);
        samples[taken] = (bench_now() - t0) / (double)per;
    }
    bench_sort(samples, taken);
    const double median = samples[taken / 2];
    printf("onednn_step ");
    for (size_t i = 0; i < count; i++)
        printf("%s%zu", i ? "-" : "", sizes[i]);
    printf(" batch %zu format %s threads %d isa %s: %.4g us per step, %.1f examples/s (median of "
           "%zu)\n",
           batch, any ? "any" : "plain", threads, isa_name(dnnl_get_effective_cpu_isa()),
           median * 1e6, (double)batch / median, taken);
    free(y);
    return 0;
}
