/* Bad arguments, systematically: every public function is called with NULL
 * pointers, zero, huge and overflowing sizes, mismatched shapes, NaN and Inf,
 * unknown enum values and memory the network owns. Each call must return its
 * documented code with a message naming the function, and leave the network,
 * its optimizer, the caller's memory and the disk as they were. Each case is
 * a test of its own, in a process of its own. Another test reads
 * include/backprop.h and fails when a BP_API function has no case. */
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include <backprop.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>

#include "file_helpers.h"

/* The fixture network is IN-HID-OUT with room for MAX_BATCH examples; its
 * data set has COUNT examples. */
enum { IN = 3, HID = 4, OUT = 2, MAX_BATCH = 4, COUNT = 4 };

/* What a case returns in place of a bp_* code (those are all <= 0), for
 * functions that return no code, or when a call broke a promise of its own. */
enum {
    AS_DOCUMENTED = 1,     /* a getter or void function did what its header says */
    NOT_AS_DOCUMENTED = 2, /* ... it did not */
    OUT_NOT_CLEARED = 3,   /* a failed create or load left its [out] set */
};

/* Memory the caller owns. A failed call must not write any of it, so the
 * whole struct is compared byte for byte before and after. */
typedef struct caller {
    float inputs[MAX_BATCH + 1][IN]; /* one row more than the reserve */
    float targets[MAX_BATCH + 1][OUT];
    float data_inputs[COUNT][IN];
    uint32_t labels[COUNT];
    size_t order[COUNT];
    float batch_inputs[COUNT][IN];
    float batch_targets[COUNT][OUT];
    float one_hot[COUNT][OUT];
    float offset, scale, cost;
    double loss, accuracy;
    const float *outputs;
    float *block;
    size_t count;
    bp_layer layer;
    bp_dataset data; /* COUNT examples over data_inputs and labels */
    bp_dataset test; /* the same examples, as a held-out set */
    bp_train_options options;
    bp_optimizer_config config; /* SGD defaults */
    unsigned char saved[1024];  /* for the *_save_memory cases */
} caller;

typedef struct fixture {
    bp_net *net;        /* IN-HID-OUT, tanh then sigmoid, reserved for MAX_BATCH */
    bp_optimizer *opt;  /* SGD over net */
    const float *alias; /* memory the network owns, set by a prepare step */
    caller c;
} fixture;

typedef struct bad_case {
    const char *function;        /* the public function under test */
    const char *what;            /* the bad argument */
    void (*prepare)(fixture *f); /* may be NULL; runs before the snapshot */
    int (*call)(fixture *f);
    int expect;       /* the documented code, or AS_DOCUMENTED */
    const char *says; /* NULL, or a substring bp_errmsg() must contain */
    /* What the failed call must leave as it was. */
    enum {
        KEEP_ALL = 0,    /* parameters, gradients, reserve, loss, optimizer, caller memory, disk */
        KEEP_PARAMS = 1, /* all but the gradients and the reserve */
        KEEP_NONE = 2,   /* a call that succeeds and may change the network */
    } keep;
} bad_case;

/* ---- files every case may use, made once in a scratch directory ---- */

static char model_path[128], optim_path[128], optim_other_path[128], images_path[128],
    labels_path[128], labels3_path[128], csv_path[128], missing_path[128], out_path[128],
    no_dir_path[128], dir_path[128];
static char long_path[5000]; /* longer than any path the library takes */

/* The same files read into memory, for the *_memory loaders. */
typedef struct blob {
    unsigned char *data;
    size_t size;
} blob;
static blob model_blob, optim_blob, optim_other_blob, images_blob, labels_blob, labels3_blob;
static const char csv_text[] = "label,a,b,c\n0,1,2,3\n1,4,5,6\n";

static const size_t sizes[] = {IN, HID, OUT};
static const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
static const bp_activation softmax_out[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
static const bp_activation identity[9] = {BP_ACT_IDENTITY}; /* all of them: it is 0 */

/* A clean batch for the after-failure check, outside the caller struct. */
static const float good_inputs[MAX_BATCH][IN] = {{1, 2, 3}, {-1, 0, 1}, {0.5f, 0.5f, 0}, {3, 2, 1}};
static const float good_targets[MAX_BATCH][OUT] = {{1, 0}, {0, 1}, {0, 1}, {1, 0}};

static void make_fixture(fixture *f) {
    memset(f, 0, sizeof *f);
    cr_assert_eq(bp_net_create(&f->net, 2, sizes, activations, BP_KERNELS_OPENBLAS, 7), BP_OK);
    cr_assert_eq(bp_net_reserve(f->net, MAX_BATCH), BP_OK);
    bp_optimizer_config_default(&f->c.config, BP_OPT_SGD);
    cr_assert_eq(bp_optimizer_create(&f->opt, f->net, &f->c.config), BP_OK);
    caller *c = &f->c;
    for (size_t i = 0; i <= MAX_BATCH; i++) {
        for (size_t j = 0; j < IN; j++)
            c->inputs[i][j] = (float)(i + j) / 4.0f;
        c->targets[i][i % OUT] = 1.0f;
    }
    for (size_t i = 0; i < COUNT; i++) {
        for (size_t j = 0; j < IN; j++)
            c->data_inputs[i][j] = (float)(3 * i + j);
        c->labels[i] = (uint32_t)(i % OUT);
        c->order[i] = COUNT - 1 - i;
    }
    /* Sentinels in every [out] a failed call must not touch. */
    memset(c->batch_inputs, 0x5a, sizeof c->batch_inputs);
    memset(c->batch_targets, 0x5a, sizeof c->batch_targets);
    memset(c->one_hot, 0x5a, sizeof c->one_hot);
    c->offset = c->scale = c->cost = -7.0f;
    c->loss = c->accuracy = -7.0;
    c->outputs = &c->cost;
    c->block = &c->offset;
    c->count = 12345;
    memset(&c->layer, 0x5a, sizeof c->layer);
    c->data = (bp_dataset){.count = COUNT,
                           .features = IN,
                           .classes = OUT,
                           .inputs = &c->data_inputs[0][0],
                           .labels = c->labels};
    c->test = c->data;
    bp_train_options_default(&c->options);
    c->options.epochs = 1;
    c->options.batch_size = MAX_BATCH; /* one batch per epoch: no reserve, no shuffle effects */
}

static void free_fixture(fixture *f) {
    bp_optimizer_destroy(f->opt);
    bp_net_destroy(f->net);
}

/* ---- helpers for the cases ---- */

static int documented(bool ok) { return ok ? AS_DOCUMENTED : NOT_AS_DOCUMENTED; }

static float *params_of(bp_net *net) {
    float *p = NULL;
    cr_assert_eq(bp_net_params(net, &p, NULL), BP_OK);
    return p;
}

/* rc, or OUT_NOT_CLEARED when a failure left *out set; frees a success. */
static int net_out(int rc, bp_net *out) {
    if (rc != BP_OK)
        return out ? OUT_NOT_CLEARED : rc;
    bp_net_destroy(out);
    return rc;
}

static int opt_out(int rc, bp_optimizer *out) {
    if (rc != BP_OK)
        return out ? OUT_NOT_CLEARED : rc;
    bp_optimizer_destroy(out);
    return rc;
}

/* A data set loader's [out] starts non-empty and must be left empty. */
static bp_dataset loaded;
static void prime_loaded(void) { loaded = (bp_dataset){.count = 9, .features = 9, .classes = 9}; }
static int data_out(int rc) {
    const bp_dataset empty = {0};
    if (rc != BP_OK)
        return memcmp(&loaded, &empty, sizeof empty) != 0 ? OUT_NOT_CLEARED : rc;
    bp_dataset_free(&loaded);
    return rc;
}

static int create(size_t n_layers, const size_t *s, const bp_activation *a, bp_kernels k) {
    bp_net *net = (bp_net *)&loaded; /* not NULL, so a failure must clear it */
    const int rc = bp_net_create(&net, n_layers, s, a, k, 1);
    return net_out(rc, net);
}

static int create_opt(const fixture *f, const bp_optimizer_config *config) {
    bp_optimizer *opt = (bp_optimizer *)&loaded;
    const int rc = bp_optimizer_create(&opt, f->net, config);
    return opt_out(rc, opt);
}

/* ---- version and errors ---- */

/* What Meson says the project's version is (tests/meson.build passes it):
 * the built library must say the same, as a string and as a number. */
static int version_matches(fixture *f) {
    (void)f;
    return documented(strcmp(bp_version(), BP_TEST_PROJECT_VERSION) == 0);
}
static int version_number_matches(fixture *f) {
    (void)f;
    unsigned major, minor, patch;
    if (sscanf(BP_TEST_PROJECT_VERSION, "%u.%u.%u", &major, &minor, &patch) != 3)
        return NOT_AS_DOCUMENTED;
    return documented(bp_version_number() == major * 10000 + minor * 100 + patch &&
                      bp_version_number() == BP_VERSION_NUMBER);
}

/* bp_struct_size: 0 for an id that names no struct, the header's sizeof
 * for one that does (tests/test_abi.c checks every struct). */
static int struct_size_unknown(fixture *f) {
    (void)f;
    return documented(bp_struct_size((bp_struct_id)0) == 0 &&
                      bp_struct_size((bp_struct_id)-1) == 0 &&
                      bp_struct_size((bp_struct_id)INT_MAX) == 0);
}
static int struct_size_known(fixture *f) {
    (void)f;
    return documented(bp_struct_size(BP_STRUCT_TRAIN_OPTIONS) == sizeof(bp_train_options));
}

static int strerror_unknown_positive(fixture *f) {
    (void)f;
    return documented(strcmp(bp_strerror(1), "unknown error") == 0);
}
static int strerror_unknown_int_min(fixture *f) {
    (void)f;
    return documented(strcmp(bp_strerror(INT_MIN), "unknown error") == 0);
}
/* The first negative code past the list, whatever its length. */
static int first_unknown(void) {
    int code = -1;
    while (strcmp(bp_err_name(code), "BP_UNKNOWN") != 0)
        code--;
    return code;
}
static int strerror_past_last(fixture *f) {
    (void)f;
    const int code = first_unknown();
    return documented(strcmp(bp_strerror(code), "unknown error") == 0 &&
                      strcmp(bp_strerror(code + 1), "unknown error") != 0);
}
static int err_name_unknown_positive(fixture *f) {
    (void)f;
    return documented(strcmp(bp_err_name(INT_MAX), "BP_UNKNOWN") == 0);
}
static int err_name_unknown_int_min(fixture *f) {
    (void)f;
    return documented(strcmp(bp_err_name(INT_MIN), "BP_UNKNOWN") == 0);
}
static int err_name_past_last(fixture *f) {
    (void)f;
    /* Every code before the first unknown one has a BP_E* name. */
    const int code = first_unknown();
    bool named = code < -1;
    for (int c = -1; c > code; c--)
        named = named && strncmp(bp_err_name(c), "BP_E", 4) == 0;
    return documented(named);
}

/* bp_T_name and bp_T_from_name for each BP_T_MAP: no name for a value past
 * the list or below 0, and the three refusals of bp_T_from_name. */
#define NAME_COUNT_(value, name, alias) +1
#define NAME_CASES_(T, type, MAP)                                                                  \
    static int T##_name_past_last(fixture *f) {                                                    \
        (void)f;                                                                                   \
        return documented(bp_##T##_name((type)(0 MAP(NAME_COUNT_))) == NULL &&                     \
                          bp_##T##_name((type)((0 MAP(NAME_COUNT_)) - 1)) != NULL);                \
    }                                                                                              \
    static int T##_name_negative(fixture *f) {                                                     \
        (void)f;                                                                                   \
        return documented(bp_##T##_name((type)-1) == NULL);                                        \
    }                                                                                              \
    static int T##_from_null_name(fixture *f) {                                                    \
        (void)f;                                                                                   \
        type out;                                                                                  \
        return bp_##T##_from_name(NULL, &out);                                                     \
    }                                                                                              \
    static int T##_from_name_null_out(fixture *f) {                                                \
        (void)f;                                                                                   \
        return bp_##T##_from_name(bp_##T##_name((type)0), NULL);                                   \
    }                                                                                              \
    static int T##_from_unknown_name(fixture *f) {                                                 \
        (void)f;                                                                                   \
        type out = (type)77;                                                                       \
        const int rc = bp_##T##_from_name("no such name", &out);                                   \
        return (int)out == 77 ? rc : NOT_AS_DOCUMENTED;                                            \
    }
NAME_CASES_(activation, bp_activation, BP_ACTIVATION_MAP)
NAME_CASES_(loss, bp_loss, BP_LOSS_MAP)
NAME_CASES_(init, bp_init, BP_INIT_MAP)
NAME_CASES_(optimizer_kind, bp_optimizer_kind, BP_OPTIMIZER_KIND_MAP)
NAME_CASES_(schedule, bp_schedule, BP_SCHEDULE_MAP)
NAME_CASES_(kernels, bp_kernels, BP_KERNELS_MAP)
NAME_CASES_(inference, bp_inference, BP_INFERENCE_MAP)
NAME_CASES_(output, bp_output, BP_OUTPUT_MAP)
#undef NAME_CASES_

static int errmsg_names_failed_call(fixture *f) {
    (void)f;
    bp_net_reserve(NULL, 1);
    return documented(strncmp(bp_errmsg(), "bp_net_reserve: ", 16) == 0);
}
static int fresh_thread_message(void *arg) {
    (void)arg;
    return bp_errmsg() != NULL && bp_errmsg()[0] == '\0';
}
static int errmsg_empty_in_new_thread(fixture *f) {
    (void)f;
    thrd_t thread;
    int empty = 0;
    if (thrd_create(&thread, fresh_thread_message, NULL) != thrd_success)
        return NOT_AS_DOCUMENTED;
    thrd_join(thread, &empty);
    return documented(empty == 1);
}

/* ---- bp_net_create ---- */

static int create_null_out(fixture *f) {
    (void)f;
    return bp_net_create(NULL, 2, sizes, activations, BP_KERNELS_OPENBLAS, 1);
}
static int create_null_sizes(fixture *f) {
    (void)f;
    return create(2, NULL, activations, BP_KERNELS_OPENBLAS);
}
static int create_null_activations(fixture *f) {
    (void)f;
    return create(2, sizes, NULL, BP_KERNELS_OPENBLAS);
}
static int create_zero_layers(fixture *f) {
    (void)f;
    return create(0, sizes, activations, BP_KERNELS_OPENBLAS);
}
static int create_size_max_layers(fixture *f) {
    (void)f;
    /* The size check stops at the 0 before reading past the array. */
    const size_t s[] = {IN, HID, OUT, 0};
    return create(SIZE_MAX, s, identity, BP_KERNELS_OPENBLAS);
}
static int create_zero_inputs(fixture *f) {
    (void)f;
    const size_t s[] = {0, HID, OUT};
    return create(2, s, activations, BP_KERNELS_OPENBLAS);
}
static int create_zero_hidden(fixture *f) {
    (void)f;
    const size_t s[] = {IN, 0, OUT};
    return create(2, s, activations, BP_KERNELS_NAIVE);
}
static int create_zero_outputs(fixture *f) {
    (void)f;
    const size_t s[] = {IN, HID, 0};
    return create(2, s, activations, BP_KERNELS_NAIVE);
}
static int create_size_over_int_max(fixture *f) {
    (void)f;
    const size_t s[] = {IN, (size_t)INT_MAX + 1, OUT};
    return create(2, s, activations, BP_KERNELS_NAIVE);
}
static int create_size_max_size(fixture *f) {
    (void)f;
    const size_t s[] = {SIZE_MAX, HID, OUT};
    return create(2, s, activations, BP_KERNELS_NAIVE);
}
static int create_kernels_3(fixture *f) {
    (void)f;
    return create(2, sizes, activations, (bp_kernels)3);
}
static int create_kernels_negative(fixture *f) {
    (void)f;
    return create(2, sizes, activations, (bp_kernels)-1);
}
static int create_activation_6(fixture *f) {
    (void)f;
    const bp_activation a[] = {BP_ACT_TANH, (bp_activation)6};
    return create(2, sizes, a, BP_KERNELS_OPENBLAS);
}
static int create_activation_negative(fixture *f) {
    (void)f;
    const bp_activation a[] = {(bp_activation)-1, BP_ACT_TANH};
    return create(2, sizes, a, BP_KERNELS_OPENBLAS);
}
static int create_activation_99_naive(fixture *f) {
    (void)f;
    const bp_activation a[] = {BP_ACT_TANH, (bp_activation)99};
    return create(2, sizes, a, BP_KERNELS_NAIVE);
}
static int create_zero_inputs_naive(fixture *f) {
    (void)f;
    const size_t s[] = {0, HID, OUT};
    return create(2, s, activations, BP_KERNELS_NAIVE);
}
static int create_hidden_softmax(fixture *f) {
    (void)f;
    const bp_activation a[] = {BP_ACT_SOFTMAX, BP_ACT_SOFTMAX};
    return create(2, sizes, a, BP_KERNELS_OPENBLAS);
}
static int create_count_overflow(fixture *f) {
    (void)f;
    /* 2^62 weights per layer, 8 layers: the count passes SIZE_MAX. */
    const size_t big = (size_t)INT_MAX;
    const size_t s[] = {big, big, big, big, big, big, big, big, big};
    return create(8, s, identity, BP_KERNELS_NAIVE);
}
static int create_bytes_overflow(fixture *f) {
    (void)f;
    /* One layer of about 2^62 weights: the count fits, its bytes do not. */
    const size_t s[] = {(size_t)INT_MAX, (size_t)INT_MAX};
    return create(1, s, identity, BP_KERNELS_NAIVE);
}

static int create_rounded_bytes_overflow(fixture *f) {
    (void)f;
    /* 2^61 - 2 parameters: their bytes fit size_t, but rounding the block
     * up to whole cache lines makes 2^61, whose 2 x 4 bytes wrap to 0. */
    const size_t s[] = {1, (size_t)INT_MAX, ((size_t)1 << 30) - 2};
    return create(2, s, identity, BP_KERNELS_NAIVE);
}
static int create_out_of_memory(fixture *f) {
    (void)f;
    /* 2^31 x 2^20 weights: 8 PiB per block, beyond any address space, so
     * the allocation fails whatever the kernel's overcommit policy. */
    const size_t s[] = {(size_t)INT_MAX, (size_t)1 << 20};
    return create(1, s, identity, BP_KERNELS_NAIVE);
}

/* ---- bp_net_destroy, bp_net_reserve ---- */

static int destroy_null(fixture *f) {
    (void)f;
    bp_net_destroy(NULL);
    return AS_DOCUMENTED;
}

static int reserve_null(fixture *f) {
    (void)f;
    return bp_net_reserve(NULL, 2);
}
static int reserve_zero(fixture *f) { return bp_net_reserve(f->net, 0); }
static int reserve_over_int_max(fixture *f) { return bp_net_reserve(f->net, (size_t)INT_MAX + 1); }
static int reserve_size_max(fixture *f) { return bp_net_reserve(f->net, SIZE_MAX); }
static int reserve_out_of_memory(fixture *f) {
    (void)f;
    /* 3 x 2^53 bytes for a 2^20-wide layer: beyond any address space. */
    const size_t wide[] = {1, (size_t)1 << 20};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, wide, identity, BP_KERNELS_OPENBLAS, 1), BP_OK);
    const int rc = bp_net_reserve(net, (size_t)INT_MAX);
    const float x = 0.5f;
    const bool kept = bp_net_max_batch(net) == 1 && bp_net_forward(net, &x, 1, NULL) == BP_OK;
    bp_net_destroy(net);
    return kept ? rc : NOT_AS_DOCUMENTED;
}

/* ---- the passes ---- */

/* Memory the network owns, for the aliasing cases. */
static void alias_outputs(fixture *f) {
    cr_assert_eq(bp_net_forward(f->net, good_inputs[0], MAX_BATCH, &f->alias), BP_OK);
}
static void alias_bias(fixture *f) {
    bp_layer layer;
    cr_assert_eq(bp_net_layer(f->net, 0, &layer), BP_OK);
    f->alias = layer.bias; /* inside the parameter block */
}
static void alias_grads(fixture *f) {
    float *g;
    cr_assert_eq(bp_net_grads(f->net, &g, NULL), BP_OK);
    f->alias = g + 1;
}

/* A gradient first, so that a step that went ahead would move the parameters. */
static void compute_gradient(fixture *f) {
    cr_assert_eq(bp_net_gradient(f->net, good_inputs[0], good_targets[0], MAX_BATCH, NULL), BP_OK);
}

static int forward_null_net(fixture *f) {
    return bp_net_forward(NULL, f->c.inputs[0], 1, &f->c.outputs);
}
static int forward_null_inputs(fixture *f) {
    return bp_net_forward(f->net, NULL, 1, &f->c.outputs);
}
static int forward_zero(fixture *f) {
    return bp_net_forward(f->net, f->c.inputs[0], 0, &f->c.outputs);
}
static int forward_over_reserve(fixture *f) {
    return bp_net_forward(f->net, f->c.inputs[0], MAX_BATCH + 1, &f->c.outputs);
}
static int forward_size_max(fixture *f) {
    return bp_net_forward(f->net, f->c.inputs[0], SIZE_MAX, &f->c.outputs);
}
static int forward_alias(fixture *f) { return bp_net_forward(f->net, f->alias, 1, &f->c.outputs); }
/* A copy of a network's outputs is an input like any other. */
static int forward_copy_of_outputs(fixture *f) {
    (void)f;
    const size_t square[] = {4, 4};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 1, square, identity, BP_KERNELS_OPENBLAS, 2), BP_OK);
    const float x[4] = {1, 2, 3, 4};
    const float *out;
    cr_assert_eq(bp_net_forward(net, x, 1, &out), BP_OK);
    float copy[4];
    memcpy(copy, out, sizeof copy);
    const int rc = bp_net_forward(net, copy, 1, NULL);
    bp_net_destroy(net);
    return rc;
}
static int forward_null_outputs(fixture *f) {
    return bp_net_forward(f->net, f->c.inputs[0], MAX_BATCH, NULL);
}

static int gradient_null_net(fixture *f) {
    return bp_net_gradient(NULL, f->c.inputs[0], f->c.targets[0], 1, &f->c.cost);
}
static int gradient_null_inputs(fixture *f) {
    return bp_net_gradient(f->net, NULL, f->c.targets[0], 1, &f->c.cost);
}
static int gradient_null_targets(fixture *f) {
    return bp_net_gradient(f->net, f->c.inputs[0], NULL, 1, &f->c.cost);
}
static int gradient_zero(fixture *f) {
    return bp_net_gradient(f->net, f->c.inputs[0], f->c.targets[0], 0, &f->c.cost);
}
static int gradient_over_reserve(fixture *f) {
    return bp_net_gradient(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH + 1, &f->c.cost);
}
static int gradient_size_max(fixture *f) {
    return bp_net_gradient(f->net, f->c.inputs[0], f->c.targets[0], SIZE_MAX, &f->c.cost);
}
static int gradient_alias_inputs(fixture *f) {
    return bp_net_gradient(f->net, f->alias, f->c.targets[0], 1, &f->c.cost);
}
static int gradient_alias_targets(fixture *f) {
    return bp_net_gradient(f->net, f->c.inputs[0], f->alias, 1, &f->c.cost);
}
/* The cost of a non-finite batch is stored: in a local, not the caller struct. */
static int gradient_full(fixture *f) {
    float cost;
    return bp_net_gradient(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH, &cost);
}
static void input_nan(fixture *f) {
    compute_gradient(f); /* a gradient block that must survive */
    f->c.inputs[2][1] = NAN;
}
static void target_inf(fixture *f) {
    compute_gradient(f);
    f->c.targets[3][0] = INFINITY;
}
static int gradient_null_cost(fixture *f) {
    return bp_net_gradient(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH, NULL);
}

static int step_null(fixture *f) {
    (void)f;
    return bp_net_step(NULL, 0.1f);
}
static int step_nan(fixture *f) { return bp_net_step(f->net, NAN); }
static int step_inf(fixture *f) { return bp_net_step(f->net, INFINITY); }
static int step_minus_inf(fixture *f) { return bp_net_step(f->net, -INFINITY); }
static int step_negative(fixture *f) { return bp_net_step(f->net, -1e-3f); }
static int step_negative_subnormal(fixture *f) { return bp_net_step(f->net, -1e-45f); }

static int train_step_null_net(fixture *f) {
    return bp_net_train_step(NULL, f->c.inputs[0], f->c.targets[0], 1, 0.1f, &f->c.cost);
}
static int train_step_null_inputs(fixture *f) {
    return bp_net_train_step(f->net, NULL, f->c.targets[0], 1, 0.1f, &f->c.cost);
}
static int train_step_null_targets(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], NULL, 1, 0.1f, &f->c.cost);
}
static int train_step_zero(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], 0, 0.1f, &f->c.cost);
}
static int train_step_over_reserve(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH + 1, 0.1f,
                             &f->c.cost);
}
static int train_step_size_max(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], SIZE_MAX, 0.1f, &f->c.cost);
}
static int train_step_nan_rate(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], 1, NAN, &f->c.cost);
}
static int train_step_inf_rate(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], 1, INFINITY, &f->c.cost);
}
static int train_step_negative_rate(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], 1, -0.5f, &f->c.cost);
}
static int train_step_alias_inputs(fixture *f) {
    return bp_net_train_step(f->net, f->alias, f->c.targets[0], 1, 0.1f, &f->c.cost);
}
static int train_step_alias_targets(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->alias, 1, 0.1f, &f->c.cost);
}
static int train_step_full(fixture *f) {
    float cost;
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH, 0.1f, &cost);
}
static int train_step_null_cost(fixture *f) {
    return bp_net_train_step(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH, 0.1f, NULL);
}

/* ---- gradient hook ---- */

static int hook_null_net(fixture *f) {
    (void)f;
    const bp_gradient_hook hook = {0};
    return bp_net_set_gradient_hook(NULL, &hook);
}
static int hook_clear(fixture *f) { return bp_net_set_gradient_hook(f->net, NULL); }
static int before_step_ok(void *user) {
    (void)user;
    return 0;
}
static void set_hook(fixture *f) {
    const bp_gradient_hook hook = {.before_step = before_step_ok};
    cr_assert_eq(bp_net_set_gradient_hook(f->net, &hook), BP_OK);
}

/* ---- costs ---- */

static int set_loss_null(fixture *f) {
    (void)f;
    return bp_net_set_loss(NULL, BP_LOSS_QUADRATIC);
}
static int set_loss_2(fixture *f) { return bp_net_set_loss(f->net, (bp_loss)2); }
static int set_loss_negative(fixture *f) { return bp_net_set_loss(f->net, (bp_loss)-1); }
static int set_loss_without_softmax(fixture *f) {
    return bp_net_set_loss(f->net, BP_LOSS_CROSS_ENTROPY);
}
static int set_loss_unknown_on_softmax(fixture *f) {
    (void)f;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, softmax_out, BP_KERNELS_NAIVE, 1), BP_OK);
    int rc = bp_net_set_loss(net, (bp_loss)7);
    if (bp_net_loss(net) != BP_LOSS_QUADRATIC)
        rc = NOT_AS_DOCUMENTED;
    bp_net_destroy(net);
    return rc;
}
static int loss_null(fixture *f) {
    (void)f;
    return documented(bp_net_loss(NULL) == BP_LOSS_QUADRATIC);
}

static int set_inference_null(fixture *f) {
    (void)f;
    return bp_net_set_inference(NULL, BP_INFERENCE_INVARIANT);
}
static int set_inference_2(fixture *f) { return bp_net_set_inference(f->net, (bp_inference)2); }
static int set_inference_negative(fixture *f) {
    return bp_net_set_inference(f->net, (bp_inference)-1);
}
static int inference_null(fixture *f) {
    (void)f;
    return documented(bp_net_inference(NULL) == BP_INFERENCE_BATCH);
}

static int cost_null_net(fixture *f) {
    return bp_net_cost(NULL, f->c.inputs[0], f->c.targets[0], 1, &f->c.cost, &f->c.outputs);
}
static int cost_null_inputs(fixture *f) {
    return bp_net_cost(f->net, NULL, f->c.targets[0], 1, &f->c.cost, &f->c.outputs);
}
static int cost_null_targets(fixture *f) {
    return bp_net_cost(f->net, f->c.inputs[0], NULL, 1, &f->c.cost, &f->c.outputs);
}
static int cost_null_cost(fixture *f) {
    return bp_net_cost(f->net, f->c.inputs[0], f->c.targets[0], 1, NULL, &f->c.outputs);
}
static int cost_zero(fixture *f) {
    return bp_net_cost(f->net, f->c.inputs[0], f->c.targets[0], 0, &f->c.cost, &f->c.outputs);
}
static int cost_over_reserve(fixture *f) {
    return bp_net_cost(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH + 1, &f->c.cost,
                       &f->c.outputs);
}
static int cost_size_max(fixture *f) {
    return bp_net_cost(f->net, f->c.inputs[0], f->c.targets[0], SIZE_MAX, &f->c.cost,
                       &f->c.outputs);
}
static int cost_alias_inputs(fixture *f) {
    return bp_net_cost(f->net, f->alias, f->c.targets[0], 1, &f->c.cost, &f->c.outputs);
}
static int cost_alias_targets(fixture *f) {
    return bp_net_cost(f->net, f->c.inputs[0], f->alias, 1, &f->c.cost, &f->c.outputs);
}
static int cost_null_outputs(fixture *f) {
    float cost = NAN;
    const int rc = bp_net_cost(f->net, f->c.inputs[0], f->c.targets[0], MAX_BATCH, &cost, NULL);
    return rc == BP_OK && !isfinite(cost) ? NOT_AS_DOCUMENTED : rc;
}

/* ---- parameters, gradients and sizes ---- */

static int params_null_net(fixture *f) { return bp_net_params(NULL, &f->c.block, &f->c.count); }
static int params_null_params(fixture *f) { return bp_net_params(f->net, NULL, &f->c.count); }
static int params_null_count(fixture *f) {
    float *p = NULL;
    const int rc = bp_net_params(f->net, &p, NULL);
    return rc == BP_OK && !p ? NOT_AS_DOCUMENTED : rc;
}
static int grads_null_net(fixture *f) { return bp_net_grads(NULL, &f->c.block, &f->c.count); }
static int grads_null_grads(fixture *f) { return bp_net_grads(f->net, NULL, &f->c.count); }
static int grads_null_count(fixture *f) {
    float *g = NULL;
    const int rc = bp_net_grads(f->net, &g, NULL);
    return rc == BP_OK && !g ? NOT_AS_DOCUMENTED : rc;
}
static int layer_null_net(fixture *f) { return bp_net_layer(NULL, 0, &f->c.layer); }
static int layer_null_layer(fixture *f) { return bp_net_layer(f->net, 0, NULL); }
static int layer_past_last(fixture *f) { return bp_net_layer(f->net, 2, &f->c.layer); }
static int layer_size_max(fixture *f) { return bp_net_layer(f->net, SIZE_MAX, &f->c.layer); }
static int num_layers_null(fixture *f) {
    (void)f;
    return documented(bp_net_num_layers(NULL) == 0);
}
static int num_inputs_null(fixture *f) {
    (void)f;
    return documented(bp_net_num_inputs(NULL) == 0);
}
static int num_outputs_null(fixture *f) {
    (void)f;
    return documented(bp_net_num_outputs(NULL) == 0);
}
static int num_params_null(fixture *f) {
    (void)f;
    return documented(bp_net_num_params(NULL) == 0);
}
static int max_batch_null(fixture *f) {
    (void)f;
    return documented(bp_net_max_batch(NULL) == 0);
}
static int memory_bytes_null(fixture *f) {
    (void)f;
    return documented(bp_net_memory_bytes(NULL) == 0);
}

/* ---- initializers ---- */

static int initialize_null(fixture *f) {
    (void)f;
    return bp_net_initialize(NULL, BP_INIT_XAVIER, 1);
}
static int initialize_4(fixture *f) { return bp_net_initialize(f->net, (bp_init)4, 1); }
static int initialize_negative(fixture *f) { return bp_net_initialize(f->net, (bp_init)-1, 1); }

/* ---- optimizers ---- */

static int config_default_null(fixture *f) {
    (void)f;
    bp_optimizer_config_default(NULL, BP_OPT_ADAM);
    return AS_DOCUMENTED;
}
static int config_default_unknown_kind(fixture *f) {
    /* Whatever it fills in, create must then reject the kind. */
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, (bp_optimizer_kind)9);
    return documented(create_opt(f, &config) == BP_EINVAL);
}

static int opt_create_null_out(fixture *f) {
    return bp_optimizer_create(NULL, f->net, &f->c.config);
}
static int opt_create_null_net(fixture *f) {
    bp_optimizer *opt = (bp_optimizer *)&loaded;
    const int rc = bp_optimizer_create(&opt, NULL, &f->c.config);
    return opt_out(rc, opt);
}
static int opt_create_null_config(fixture *f) { return create_opt(f, NULL); }

/* A config from the defaults of `kind` with one field spoiled by `statement`. */
#define BAD_CONFIG(name, kind, statement)                                                          \
    static int name(fixture *f) {                                                                  \
        bp_optimizer_config c;                                                                     \
        bp_optimizer_config_default(&c, kind);                                                     \
        statement;                                                                                 \
        return create_opt(f, &c);                                                                  \
    }
BAD_CONFIG(config_kind_4, BP_OPT_SGD, c.kind = (bp_optimizer_kind)4)
BAD_CONFIG(config_kind_negative, BP_OPT_SGD, c.kind = (bp_optimizer_kind)-1)
BAD_CONFIG(config_rate_zero, BP_OPT_SGD, c.learning_rate = 0.0f)
BAD_CONFIG(config_rate_negative, BP_OPT_MOMENTUM, c.learning_rate = -0.1f)
BAD_CONFIG(config_rate_nan, BP_OPT_ADAM, c.learning_rate = NAN)
BAD_CONFIG(config_rate_inf, BP_OPT_SGD, c.learning_rate = INFINITY)
BAD_CONFIG(config_decay_negative, BP_OPT_SGD, c.weight_decay = -1e-4f)
BAD_CONFIG(config_decay_nan, BP_OPT_ADAM, c.weight_decay = NAN)
BAD_CONFIG(config_decay_inf, BP_OPT_NESTEROV, c.weight_decay = INFINITY)
BAD_CONFIG(config_momentum_one, BP_OPT_MOMENTUM, c.momentum = 1.0f)
BAD_CONFIG(config_momentum_negative, BP_OPT_MOMENTUM, c.momentum = -0.1f)
BAD_CONFIG(config_momentum_nan, BP_OPT_NESTEROV, c.momentum = NAN)
BAD_CONFIG(config_beta1_one, BP_OPT_ADAM, c.beta1 = 1.0f)
BAD_CONFIG(config_beta1_negative, BP_OPT_ADAM, c.beta1 = -0.5f)
BAD_CONFIG(config_beta2_nan, BP_OPT_ADAM, c.beta2 = NAN)
BAD_CONFIG(config_beta2_inf, BP_OPT_ADAM, c.beta2 = INFINITY)
BAD_CONFIG(config_epsilon_zero, BP_OPT_ADAM, c.epsilon = 0.0f)
BAD_CONFIG(config_epsilon_nan, BP_OPT_ADAM, c.epsilon = NAN)
BAD_CONFIG(config_epsilon_inf, BP_OPT_ADAM, c.epsilon = INFINITY)
BAD_CONFIG(config_schedule_3, BP_OPT_SGD, c.schedule = (bp_schedule)3)
BAD_CONFIG(config_schedule_negative, BP_OPT_SGD, c.schedule = (bp_schedule)-1)
BAD_CONFIG(config_step_size_zero, BP_OPT_SGD, (c.schedule = BP_SCHEDULE_STEP, c.step_size = 0))
BAD_CONFIG(config_gamma_zero, BP_OPT_SGD, (c.schedule = BP_SCHEDULE_STEP, c.gamma = 0.0f))
BAD_CONFIG(config_gamma_above_one, BP_OPT_SGD, (c.schedule = BP_SCHEDULE_STEP, c.gamma = 1.5f))
BAD_CONFIG(config_gamma_nan, BP_OPT_SGD, (c.schedule = BP_SCHEDULE_STEP, c.gamma = NAN))
BAD_CONFIG(config_total_steps_zero, BP_OPT_SGD,
           (c.schedule = BP_SCHEDULE_COSINE, c.total_steps = 0))

static int opt_destroy_null(fixture *f) {
    (void)f;
    bp_optimizer_destroy(NULL);
    return AS_DOCUMENTED;
}
static int opt_step_null_opt(fixture *f) { return bp_optimizer_step(NULL, f->net); }
static int opt_step_null_net(fixture *f) { return bp_optimizer_step(f->opt, NULL); }
static int opt_step_other_net(fixture *f) {
    const size_t s[] = {IN, OUT};
    bp_net *other = NULL;
    cr_assert_eq(bp_net_create(&other, 1, s, identity, BP_KERNELS_NAIVE, 1), BP_OK);
    const int rc = bp_optimizer_step(f->opt, other);
    bp_net_destroy(other);
    return rc;
}
static int opt_rate_null(fixture *f) {
    (void)f;
    return documented(bp_optimizer_learning_rate(NULL) == 0.0f);
}
static int opt_steps_null(fixture *f) {
    (void)f;
    return documented(bp_optimizer_steps(NULL) == 0);
}
static int opt_config_null(fixture *f) {
    (void)f;
    return documented(bp_optimizer_get_config(NULL) == NULL);
}
static int opt_memory_null(fixture *f) {
    (void)f;
    return documented(bp_optimizer_memory_bytes(NULL) == 0);
}

static int opt_save_null_opt(fixture *f) {
    (void)f;
    return bp_optimizer_save(NULL, out_path);
}
static int opt_save_null_path(fixture *f) { return bp_optimizer_save(f->opt, NULL); }
static int opt_save_empty_path(fixture *f) { return bp_optimizer_save(f->opt, ""); }
static int opt_save_no_dir(fixture *f) { return bp_optimizer_save(f->opt, no_dir_path); }
static int opt_save_long_path(fixture *f) { return bp_optimizer_save(f->opt, long_path); }
static int opt_save_over_dir(fixture *f) { return bp_optimizer_save(f->opt, dir_path); }
/* A momentum optimizer whose velocity took a NaN gradient, over *net. */
static bp_optimizer *nan_momentum_optimizer(bp_net **net) {
    bp_optimizer *opt = NULL;
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    cr_assert_eq(bp_net_create(net, 2, sizes, activations, BP_KERNELS_NAIVE, 1), BP_OK);
    cr_assert_eq(bp_optimizer_create(&opt, *net, &config), BP_OK);
    float *g;
    cr_assert_eq(bp_net_grads(*net, &g, NULL), BP_OK);
    g[3] = NAN;
    cr_assert_eq(bp_optimizer_step(opt, *net), BP_OK);
    return opt;
}
static int opt_save_nan_state(fixture *f) {
    (void)f;
    bp_net *net = NULL;
    bp_optimizer *opt = nan_momentum_optimizer(&net);
    const int rc = bp_optimizer_save(opt, out_path);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    return rc;
}

/* The size a *_save_memory call reports: outside the caller struct, since
 * a call refused for a small buffer still sets it. */
static size_t saved_size;
static int opt_save_memory_null_opt(fixture *f) {
    return bp_optimizer_save_memory(NULL, f->c.saved, sizeof f->c.saved, &saved_size);
}
static int opt_save_memory_null_size(fixture *f) {
    return bp_optimizer_save_memory(f->opt, f->c.saved, sizeof f->c.saved, NULL);
}
static int opt_save_memory_null_buffer(fixture *f) {
    return bp_optimizer_save_memory(f->opt, NULL, 1, &saved_size);
}
static int opt_save_memory_one_byte_short(fixture *f) {
    cr_assert_eq(bp_optimizer_save_memory(f->opt, NULL, 0, &saved_size), BP_OK);
    const size_t needed = saved_size;
    const int rc = bp_optimizer_save_memory(f->opt, f->c.saved, needed - 1, &saved_size);
    cr_assert_eq(saved_size, needed, "a refused call still reports the size");
    return rc;
}
static int opt_save_memory_nan_state(fixture *f) {
    bp_net *net = NULL;
    bp_optimizer *opt = nan_momentum_optimizer(&net);
    const int rc = bp_optimizer_save_memory(opt, f->c.saved, sizeof f->c.saved, &saved_size);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    return rc;
}

static int opt_load_null_opt(fixture *f) {
    (void)f;
    return bp_optimizer_load(NULL, optim_path);
}
static int opt_load_null_path(fixture *f) { return bp_optimizer_load(f->opt, NULL); }
static int opt_load_empty_path(fixture *f) { return bp_optimizer_load(f->opt, ""); }
static int opt_load_missing(fixture *f) { return bp_optimizer_load(f->opt, missing_path); }
static int opt_load_dir(fixture *f) { return bp_optimizer_load(f->opt, dir_path); }
static int opt_load_other_count(fixture *f) { return bp_optimizer_load(f->opt, optim_other_path); }
static int opt_load_model_file(fixture *f) { return bp_optimizer_load(f->opt, model_path); }

/* ---- data sets ---- */

static int idx_null_out(fixture *f) {
    (void)f;
    return bp_dataset_load_idx(NULL, images_path, labels_path);
}
static int idx_null_images(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, NULL, labels_path));
}
static int idx_null_labels(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, images_path, NULL));
}
static int idx_missing_images(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, missing_path, labels_path));
}
static int idx_missing_labels(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, images_path, missing_path));
}
static int idx_dir(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, dir_path, labels_path));
}
static int idx_counts_differ(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, images_path, labels3_path));
}
static int idx_swapped(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx(&loaded, labels_path, images_path));
}
static int idx_limit_null_out(fixture *f) {
    (void)f;
    return bp_dataset_load_idx_limit(NULL, images_path, labels_path, 0);
}
static int idx_limit_null_images(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx_limit(&loaded, NULL, labels_path, 0));
}
static int idx_limit_null_labels(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx_limit(&loaded, images_path, NULL, 0));
}
static int idx_limit_missing(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx_limit(&loaded, missing_path, labels_path, 0));
}
/* A cap of 1 byte: the images' header alone is over it. */
static int idx_limit_images_over(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx_limit(&loaded, images_path, labels_path, 1));
}
/* Room for the images as floats, none for the labels. */
static int idx_limit_labels_over(fixture *f) {
    (void)f;
    prime_loaded();
    bp_dataset probe;
    if (bp_dataset_load_idx(&probe, images_path, labels_path) != BP_OK)
        return BP_OK; /* fails the case: the fixture's files must load */
    const uint64_t images_bytes = 4 * (uint64_t)probe.count * probe.features;
    bp_dataset_free(&probe);
    return data_out(bp_dataset_load_idx_limit(&loaded, images_path, labels_path, images_bytes));
}

static int csv_null_out(fixture *f) {
    (void)f;
    return bp_dataset_load_csv(NULL, csv_path, 0);
}
static int csv_null_path(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv(&loaded, NULL, 0));
}
static int csv_missing(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv(&loaded, missing_path, 0));
}
static int csv_empty_path(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv(&loaded, "", 0));
}
static int csv_dir(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv(&loaded, dir_path, 0));
}
static int csv_column_past_last(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv(&loaded, csv_path, 4));
}
static int csv_column_size_max(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv(&loaded, csv_path, SIZE_MAX));
}

static int csv_options_default_null(fixture *f) {
    (void)f;
    bp_csv_options_default(NULL);
    bp_csv_options o;
    bp_csv_options_default(&o);
    return documented(o.delimiter == ',' && o.header == BP_CSV_HEADER_AUTO && !o.label &&
                      o.max_input_bytes == 0);
}
static int input_limit(fixture *f) {
    (void)f;
    return documented(bp_input_limit_default() >= ((uint64_t)64 << 20));
}
static int csv_with_null_out(fixture *f) {
    (void)f;
    return bp_dataset_load_csv_with(NULL, csv_path, NULL);
}
static int csv_with_null_path(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv_with(&loaded, NULL, NULL));
}
static int csv_with_bad_delimiter(fixture *f) {
    (void)f;
    prime_loaded();
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.delimiter = '\n';
    return data_out(bp_dataset_load_csv_with(&loaded, csv_path, &o));
}
static int csv_with_unknown_name(fixture *f) {
    (void)f;
    prime_loaded();
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.label = "species";
    return data_out(bp_dataset_load_csv_with(&loaded, csv_path, &o));
}
static int csv_with_two_labels(fixture *f) {
    (void)f;
    prime_loaded();
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.label = "a,b";
    return data_out(bp_dataset_load_csv_with(&loaded, csv_path, &o));
}
static int csv_with_ok(fixture *f) {
    (void)f;
    prime_loaded();
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.label = "label";
    return data_out(bp_dataset_load_csv_with(&loaded, csv_path, &o));
}
static int csv_memory_with_null_data(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv_memory_with(&loaded, NULL, 3, NULL));
}
static int csv_memory_with_unknown_task(fixture *f) {
    (void)f;
    prime_loaded();
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.task = (bp_task)9;
    return data_out(bp_dataset_load_csv_memory_with(&loaded, csv_text, sizeof csv_text - 1, &o));
}
static int csv_memory_with_ok(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_csv_memory_with(&loaded, csv_text, sizeof csv_text - 1, NULL));
}
static int reader_null_out(fixture *f) {
    (void)f;
    return bp_csv_reader_open(NULL, csv_path, NULL);
}
static int reader_missing(fixture *f) {
    (void)f;
    bp_csv_reader *r = (bp_csv_reader *)&loaded;
    const int rc = bp_csv_reader_open(&r, missing_path, NULL);
    return r ? OUT_NOT_CLEARED : rc;
}
static int reader_impute(fixture *f) {
    (void)f;
    bp_csv_reader *r;
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.impute_mean = 1;
    return bp_csv_reader_open(&r, csv_path, &o);
}
static int reader_features_null(fixture *f) {
    (void)f;
    return documented(bp_csv_reader_features(NULL) == 0);
}
static int reader_header_null(fixture *f) {
    (void)f;
    return documented(bp_csv_reader_header(NULL) == 0);
}
static int reader_read_null(fixture *f) {
    size_t rows;
    return bp_csv_reader_read(NULL, &f->c.batch_inputs[0][0], 1, &rows, NULL);
}
static int reader_read_zero_rows(fixture *f) {
    bp_csv_reader *r;
    cr_assert_eq(bp_csv_reader_open(&r, csv_path, NULL), BP_OK);
    size_t rows;
    float buffer[8];
    (void)f;
    const int rc = bp_csv_reader_read(r, buffer, 0, &rows, NULL);
    bp_csv_reader_close(r);
    return rc;
}
static int reader_read_all(fixture *f) {
    (void)f;
    bp_csv_reader *r;
    cr_assert_eq(bp_csv_reader_open(&r, csv_path, NULL), BP_OK);
    float buffer[3][4];
    size_t rows, line = 0, more;
    int rc = bp_csv_reader_read(r, &buffer[0][0], 3, &rows, &line);
    const bool ok = rc == BP_OK && rows == 2 && line == 2 && bp_csv_reader_features(r) == 4 &&
                    buffer[1][0] == 1.0f && buffer[1][3] == 6.0f &&
                    bp_csv_reader_read(r, &buffer[0][0], 3, &more, NULL) == BP_OK && more == 0;
    bp_csv_reader_close(r);
    return rc != BP_OK ? rc : ok ? BP_OK : NOT_AS_DOCUMENTED;
}
static int reader_close_null(fixture *f) {
    (void)f;
    bp_csv_reader_close(NULL);
    return AS_DOCUMENTED;
}

static int free_null(fixture *f) {
    (void)f;
    bp_dataset_free(NULL);
    return AS_DOCUMENTED;
}
static int free_empty(fixture *f) {
    (void)f;
    bp_dataset empty = {0};
    bp_dataset_free(&empty);
    bp_dataset_free(&empty); /* twice: freeing empties it */
    const bp_dataset zero = {0};
    return documented(memcmp(&empty, &zero, sizeof zero) == 0);
}

static int fit_null_data(fixture *f) {
    return bp_dataset_fit_scaling(NULL, BP_SCALE_MINMAX, &f->c.offset, &f->c.scale);
}
static int fit_null_offset(fixture *f) {
    return bp_dataset_fit_scaling(&f->c.data, BP_SCALE_MINMAX, NULL, &f->c.scale);
}
static int fit_null_scale(fixture *f) {
    return bp_dataset_fit_scaling(&f->c.data, BP_SCALE_STANDARDIZE, &f->c.offset, NULL);
}
static int fit_kind_2(fixture *f) {
    return bp_dataset_fit_scaling(&f->c.data, (bp_scaling_kind)2, &f->c.offset, &f->c.scale);
}
static int fit_kind_negative(fixture *f) {
    return bp_dataset_fit_scaling(&f->c.data, (bp_scaling_kind)-1, &f->c.offset, &f->c.scale);
}
static int fit(fixture *f) {
    return bp_dataset_fit_scaling(&f->c.data, BP_SCALE_STANDARDIZE, &f->c.offset, &f->c.scale);
}
static int fit_minmax(fixture *f) {
    return bp_dataset_fit_scaling(&f->c.data, BP_SCALE_MINMAX, &f->c.offset, &f->c.scale);
}

/* Spoil the fixture's data set (the caller struct is snapshotted after). */
static void data_empty(fixture *f) { f->c.data.count = 0; }
static void data_no_features(fixture *f) { f->c.data.features = 0; }
static void data_null_inputs(fixture *f) { f->c.data.inputs = NULL; }
static void data_null_labels(fixture *f) { f->c.data.labels = NULL; }
static void data_overflow(fixture *f) { f->c.data.count = SIZE_MAX / 2; }
static void data_nan(fixture *f) { f->c.data_inputs[2][1] = NAN; }
static void data_inf(fixture *f) { f->c.data_inputs[3][2] = INFINITY; }
static void data_minus_inf(fixture *f) { f->c.data_inputs[0][0] = -INFINITY; }
static void data_subnormal_spread(fixture *f) {
    /* max - min is one subnormal step, whose reciprocal passes FLT_MAX. */
    for (size_t i = 0; i < COUNT; i++)
        for (size_t j = 0; j < IN; j++)
            f->c.data_inputs[i][j] = (i + j) % 2 ? 1e-45f : 0.0f;
}
static void data_wrong_features(fixture *f) { f->c.data.features = IN - 1; }
static void data_too_many_classes(fixture *f) { f->c.data.classes = OUT + 1; }
static void data_label_past_outputs(fixture *f) { f->c.labels[2] = OUT; }
static void data_label_past_classes(fixture *f) { f->c.data.classes = 1; }
static void data_no_classes(fixture *f) { f->c.data.classes = 0; }
static void test_wrong_features(fixture *f) { f->c.test.features = IN + 1; }
static void test_empty(fixture *f) { f->c.test.count = 0; }
static void order_past_count(fixture *f) { f->c.order[1] = COUNT; }
static void order_size_max(fixture *f) { f->c.order[3] = SIZE_MAX; }

static int scale_null(fixture *f) {
    (void)f;
    return bp_dataset_scale(NULL, 0.0f, 1.0f);
}
static int scale_nan_offset(fixture *f) { return bp_dataset_scale(&f->c.data, NAN, 1.0f); }
static int scale_inf_offset(fixture *f) { return bp_dataset_scale(&f->c.data, -INFINITY, 1.0f); }
static int scale_nan_scale(fixture *f) { return bp_dataset_scale(&f->c.data, 0.0f, NAN); }
static int scale_inf_scale(fixture *f) { return bp_dataset_scale(&f->c.data, 0.0f, INFINITY); }
static int scale_fine(fixture *f) { return bp_dataset_scale(&f->c.data, 1.0f, 0.5f); }

static int one_hot_null_labels(fixture *f) { return bp_one_hot(NULL, COUNT, OUT, f->c.one_hot[0]); }
static int one_hot_null_out(fixture *f) { return bp_one_hot(f->c.labels, COUNT, OUT, NULL); }
static int one_hot_zero_classes(fixture *f) {
    return bp_one_hot(f->c.labels, COUNT, 0, f->c.one_hot[0]);
}
static int one_hot_label_past_classes(fixture *f) {
    return bp_one_hot(f->c.labels, COUNT, 1, f->c.one_hot[0]);
}
static int one_hot_label_max(fixture *f) {
    const uint32_t labels[COUNT] = {0, 1, UINT32_MAX, 0};
    return bp_one_hot(labels, COUNT, OUT, f->c.one_hot[0]);
}
static int one_hot_count_overflow(fixture *f) {
    return bp_one_hot(f->c.labels, SIZE_MAX / 2, 3, f->c.one_hot[0]);
}
static int one_hot_bytes_overflow(fixture *f) {
    /* n x classes = 2^63 fits; as floats it does not. */
    return bp_one_hot(f->c.labels, (size_t)1 << 62, 2, f->c.one_hot[0]);
}
static int one_hot_zero_rows(fixture *f) {
    return bp_one_hot(f->c.labels, 0, OUT, f->c.one_hot[0]);
}

static int shuffle_null(fixture *f) {
    (void)f;
    return bp_shuffle(NULL, COUNT, 1);
}
static int shuffle_null_empty(fixture *f) {
    (void)f;
    return bp_shuffle(NULL, 0, 1);
}
static int shuffle_zero(fixture *f) { return bp_shuffle(f->c.order, 0, 1); }

static int batch(fixture *f, size_t first, size_t n) {
    return bp_dataset_batch(&f->c.data, f->c.order, first, n, f->c.batch_inputs[0],
                            f->c.batch_targets[0]);
}
static int batch_null_data(fixture *f) {
    return bp_dataset_batch(NULL, f->c.order, 0, 1, f->c.batch_inputs[0], f->c.batch_targets[0]);
}
static int batch_null_inputs(fixture *f) {
    return bp_dataset_batch(&f->c.data, f->c.order, 0, 1, NULL, f->c.batch_targets[0]);
}
static int batch_all(fixture *f) { return batch(f, 0, COUNT); }
static int batch_past_count(fixture *f) { return batch(f, 1, COUNT); }
static int batch_first_past_count(fixture *f) { return batch(f, COUNT + 1, 0); }
static int batch_wraps(fixture *f) { return batch(f, SIZE_MAX, 2); }
static int batch_size_max(fixture *f) { return batch(f, 0, SIZE_MAX); }
static int batch_zero(fixture *f) { return batch(f, COUNT, 0); }
static int batch_no_targets(fixture *f) {
    return bp_dataset_batch(&f->c.data, NULL, 0, COUNT, f->c.batch_inputs[0], NULL);
}

/* ---- training ---- */

static int train_options_default_null(fixture *f) {
    (void)f;
    bp_train_options_default(NULL);
    return AS_DOCUMENTED;
}

static int train_null_net(fixture *f) {
    return bp_train(NULL, f->opt, &f->c.data, NULL, &f->c.options);
}
static int train_null_opt(fixture *f) {
    return bp_train(f->net, NULL, &f->c.data, NULL, &f->c.options);
}
static int train_null_train(fixture *f) {
    return bp_train(f->net, f->opt, NULL, &f->c.test, &f->c.options);
}
static int train_null_options(fixture *f) {
    return bp_train(f->net, f->opt, &f->c.data, &f->c.test, NULL);
}
/* ---- worker threads ---- */

/* rc, or OUT_NOT_CLEARED when a failed bp_workers_create left *out set. */
static int workers_out(int rc, bp_workers *out) {
    if (rc != BP_OK)
        return out ? OUT_NOT_CLEARED : rc;
    bp_workers_destroy(out);
    return rc;
}
static int workers_create(fixture *f, bp_net *net, size_t workers, size_t max_batch) {
    (void)f;
    bp_workers *w = (bp_workers *)&loaded;
    const int rc = bp_workers_create(&w, net, workers, max_batch);
    return workers_out(rc, w);
}
static int workers_null_out(fixture *f) { return bp_workers_create(NULL, f->net, 2, MAX_BATCH); }
static int workers_null_net(fixture *f) { return workers_create(f, NULL, 2, MAX_BATCH); }
static int workers_zero(fixture *f) { return workers_create(f, f->net, 0, MAX_BATCH); }
static int workers_too_many(fixture *f) {
    return workers_create(f, f->net, BP_WORKERS_MAX + 1, MAX_BATCH);
}
static int workers_zero_batch(fixture *f) { return workers_create(f, f->net, 2, 0); }
static int workers_huge_batch(fixture *f) {
    return workers_create(f, f->net, 2, (size_t)INT_MAX + 1);
}
static int workers_destroy_null(fixture *f) {
    (void)f;
    bp_workers_destroy(NULL);
    return AS_DOCUMENTED;
}
static int workers_count_null(fixture *f) {
    (void)f;
    return documented(bp_workers_count(NULL) == 0);
}
static int workers_memory_null(fixture *f) {
    (void)f;
    return documented(bp_workers_memory_bytes(NULL) == 0);
}
/* Calls fn on a pool of 2 workers made for the fixture's network. */
static int with_workers(fixture *f, int (*fn)(fixture *, bp_workers *)) {
    bp_workers *w = NULL;
    cr_assert_eq(bp_workers_create(&w, f->net, 2, MAX_BATCH), BP_OK, "%s", bp_errmsg());
    const int rc = fn(f, w);
    bp_workers_destroy(w);
    return rc;
}
static int wg_null_inputs(fixture *f, bp_workers *w) {
    return bp_workers_gradient(w, NULL, &f->c.targets[0][0], 2, &f->c.cost);
}
static int wg_null_targets(fixture *f, bp_workers *w) {
    return bp_workers_gradient(w, &f->c.inputs[0][0], NULL, 2, &f->c.cost);
}
static int wg_zero(fixture *f, bp_workers *w) {
    return bp_workers_gradient(w, &f->c.inputs[0][0], &f->c.targets[0][0], 0, &f->c.cost);
}
static int wg_over_max(fixture *f, bp_workers *w) {
    return bp_workers_gradient(w, &f->c.inputs[0][0], &f->c.targets[0][0], MAX_BATCH + 1,
                               &f->c.cost);
}
static int wg_alias(fixture *f, bp_workers *w) {
    return bp_workers_gradient(w, f->alias, &f->c.targets[0][0], 1, &f->c.cost);
}
static int wg_null_cost(fixture *f, bp_workers *w) {
    return bp_workers_gradient(w, &f->c.inputs[0][0], &f->c.targets[0][0], 2, NULL);
}
static int workers_gradient_null(fixture *f) {
    return bp_workers_gradient(NULL, &f->c.inputs[0][0], &f->c.targets[0][0], 2, &f->c.cost);
}
static int workers_gradient_null_inputs(fixture *f) { return with_workers(f, wg_null_inputs); }
static int workers_gradient_null_targets(fixture *f) { return with_workers(f, wg_null_targets); }
static int workers_gradient_zero(fixture *f) { return with_workers(f, wg_zero); }
static int workers_gradient_over_max(fixture *f) { return with_workers(f, wg_over_max); }
static int workers_gradient_alias(fixture *f) { return with_workers(f, wg_alias); }
static int workers_gradient_null_cost(fixture *f) { return with_workers(f, wg_null_cost); }
static int ws_null_opt(fixture *f, bp_workers *w) {
    (void)f;
    return bp_workers_step(w, NULL);
}
static int ws_other_opt(fixture *f, bp_workers *w) {
    const size_t s[] = {IN, OUT};
    bp_net *other = NULL;
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_net_create(&other, 1, s, identity, BP_KERNELS_NAIVE, 1), BP_OK);
    cr_assert_eq(bp_optimizer_create(&opt, other, &f->c.config), BP_OK);
    const int rc = bp_workers_step(w, opt);
    bp_optimizer_destroy(opt);
    bp_net_destroy(other);
    return rc;
}
static int workers_step_null(fixture *f) { return bp_workers_step(NULL, f->opt); }
static int workers_step_null_opt(fixture *f) { return with_workers(f, ws_null_opt); }
static int workers_step_other_opt(fixture *f) { return with_workers(f, ws_other_opt); }
static int parallelism_null_net(fixture *f) {
    (void)f;
    bp_parallelism p;
    return bp_parallelism_auto(NULL, 32, 2, &p);
}
static int parallelism_null_out(fixture *f) { return bp_parallelism_auto(f->net, 32, 2, NULL); }
static int parallelism_zero_batch(fixture *f) {
    bp_parallelism p;
    return bp_parallelism_auto(f->net, 0, 2, &p);
}
static int wt_null_opt(fixture *f, bp_workers *w) {
    return bp_workers_train_step(w, NULL, &f->c.inputs[0][0], &f->c.targets[0][0], 2, &f->c.cost);
}
static int wt_null_inputs(fixture *f, bp_workers *w) {
    return bp_workers_train_step(w, f->opt, NULL, &f->c.targets[0][0], 2, &f->c.cost);
}
static int wt_over_max(fixture *f, bp_workers *w) {
    return bp_workers_train_step(w, f->opt, &f->c.inputs[0][0], &f->c.targets[0][0], MAX_BATCH + 1,
                                 &f->c.cost);
}
static int workers_train_step_null(fixture *f) {
    return bp_workers_train_step(NULL, f->opt, &f->c.inputs[0][0], &f->c.targets[0][0], 2,
                                 &f->c.cost);
}
static int workers_train_step_null_opt(fixture *f) { return with_workers(f, wt_null_opt); }
static int workers_train_step_null_inputs(fixture *f) { return with_workers(f, wt_null_inputs); }
static int workers_train_step_over_max(fixture *f) { return with_workers(f, wt_over_max); }
static int wt_ok(fixture *f, bp_workers *w) {
    return bp_workers_train_step(w, f->opt, &f->c.inputs[0][0], &f->c.targets[0][0], 2, &f->c.cost);
}
static int workers_train_step_ok(fixture *f) { return with_workers(f, wt_ok); }
static void options_too_many_workers(fixture *f) { f->c.options.workers = BP_WORKERS_MAX + 1; }

static int train(fixture *f) {
    return bp_train(f->net, f->opt, &f->c.data, &f->c.test, &f->c.options);
}
static int train_no_test(fixture *f) {
    return bp_train(f->net, f->opt, &f->c.data, NULL, &f->c.options);
}
static void options_no_epochs(fixture *f) { f->c.options.epochs = 0; }
static void options_no_batch(fixture *f) { f->c.options.batch_size = 0; }
static void options_huge_batch(fixture *f) { f->c.options.batch_size = SIZE_MAX; }
static void options_first_epoch_at_end(fixture *f) {
    f->c.options.first_epoch = f->c.options.epochs;
}
static int sum_nothing(double *values, size_t count, void *user) {
    (void)values;
    (void)count;
    (void)user;
    return 0;
}
static bp_collective bad_collective;
static void options_rank_past_size(fixture *f) {
    bad_collective = (bp_collective){.rank = 2, .size = 2, .sum = sum_nothing};
    f->c.options.collective = &bad_collective;
}
static void options_no_sum(fixture *f) {
    bad_collective = (bp_collective){.rank = 0, .size = 2};
    f->c.options.collective = &bad_collective;
}
static void options_alone_collective(fixture *f) {
    bad_collective = (bp_collective){.rank = 0, .size = 1, .sum = sum_nothing};
    f->c.options.collective = &bad_collective;
}
static int stop(const bp_batch_report *report, void *user) {
    (void)report;
    (void)user;
    return 1;
}
static void options_stop(fixture *f) { f->c.options.on_batch = stop; }
static int train_other_opt(fixture *f) {
    const size_t s[] = {IN, OUT};
    bp_net *other = NULL;
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_net_create(&other, 1, s, identity, BP_KERNELS_NAIVE, 1), BP_OK);
    cr_assert_eq(bp_optimizer_create(&opt, other, &f->c.config), BP_OK);
    const int rc = bp_train(f->net, opt, &f->c.data, NULL, &f->c.options);
    bp_optimizer_destroy(opt);
    bp_net_destroy(other);
    return rc;
}

static int evaluate_null_net(fixture *f) {
    return bp_evaluate(NULL, &f->c.data, &f->c.loss, &f->c.accuracy);
}
static int evaluate_null_data(fixture *f) {
    return bp_evaluate(f->net, NULL, &f->c.loss, &f->c.accuracy);
}
static int evaluate(fixture *f) {
    return bp_evaluate(f->net, &f->c.data, &f->c.loss, &f->c.accuracy);
}
static int evaluate_null_outs(fixture *f) { return bp_evaluate(f->net, &f->c.data, NULL, NULL); }

/* ---- model files ---- */

static int save_null_net(fixture *f) {
    (void)f;
    return bp_net_save(NULL, out_path);
}
static int save_null_path(fixture *f) { return bp_net_save(f->net, NULL); }
static int save_empty_path(fixture *f) { return bp_net_save(f->net, ""); }
static int save(fixture *f) { return bp_net_save(f->net, out_path); }
static int save_no_dir(fixture *f) { return bp_net_save(f->net, no_dir_path); }
static int save_long_path(fixture *f) { return bp_net_save(f->net, long_path); }
static int save_over_dir(fixture *f) { return bp_net_save(f->net, dir_path); }
static void param_nan(fixture *f) { params_of(f->net)[5] = NAN; }
static void param_inf(fixture *f) { params_of(f->net)[0] = -INFINITY; }
static int save_too_many_layers(fixture *f) {
    (void)f;
    /* 4097 layers of one identity neuron: cheap to create, too many to save. */
    enum { LAYERS = 4097 };
    static size_t s[LAYERS + 1];
    static bp_activation a[LAYERS];
    for (size_t l = 0; l <= LAYERS; l++)
        s[l] = 1;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, LAYERS, s, a, BP_KERNELS_NAIVE, 1), BP_OK);
    const int rc = bp_net_save(net, out_path);
    bp_net_destroy(net);
    return rc;
}

static int save_memory_null_net(fixture *f) {
    return bp_net_save_memory(NULL, f->c.saved, sizeof f->c.saved, &saved_size);
}
static int save_memory_null_size(fixture *f) {
    return bp_net_save_memory(f->net, f->c.saved, sizeof f->c.saved, NULL);
}
static int save_memory_null_buffer(fixture *f) {
    return bp_net_save_memory(f->net, NULL, sizeof f->c.saved, &saved_size);
}
static int save_memory(fixture *f) {
    return bp_net_save_memory(f->net, f->c.saved, sizeof f->c.saved, &saved_size);
}
static int save_memory_one_byte_short(fixture *f) {
    cr_assert_eq(bp_net_save_memory(f->net, NULL, 0, &saved_size), BP_OK);
    const size_t needed = saved_size;
    const int rc = bp_net_save_memory(f->net, f->c.saved, needed - 1, &saved_size);
    cr_assert_eq(saved_size, needed, "a refused call still reports the size");
    return rc;
}
static int save_memory_too_many_layers(fixture *f) {
    enum { LAYERS = 4097 };
    static size_t s[LAYERS + 1];
    static bp_activation a[LAYERS];
    for (size_t l = 0; l <= LAYERS; l++)
        s[l] = 1;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, LAYERS, s, a, BP_KERNELS_NAIVE, 1), BP_OK);
    const int rc = bp_net_save_memory(net, f->c.saved, sizeof f->c.saved, &saved_size);
    bp_net_destroy(net);
    return rc;
}

static int load(const char *path, bp_kernels kernels) {
    bp_net *net = (bp_net *)&loaded;
    const int rc = bp_net_load(&net, path, kernels);
    return net_out(rc, net);
}
static int load_null_out(fixture *f) {
    (void)f;
    return bp_net_load(NULL, model_path, BP_KERNELS_OPENBLAS);
}
static int load_null_path(fixture *f) {
    (void)f;
    return load(NULL, BP_KERNELS_OPENBLAS);
}
static int load_kernels_3(fixture *f) {
    (void)f;
    return load(model_path, (bp_kernels)3);
}
static int load_kernels_negative(fixture *f) {
    (void)f;
    return load(model_path, (bp_kernels)-1);
}
static int load_empty_path(fixture *f) {
    (void)f;
    return load("", BP_KERNELS_NAIVE);
}
static int load_missing(fixture *f) {
    (void)f;
    return load(missing_path, BP_KERNELS_NAIVE);
}
static int load_dir(fixture *f) {
    (void)f;
    return load(dir_path, BP_KERNELS_NAIVE);
}
static int load_optimizer_file(fixture *f) {
    (void)f;
    return load(optim_path, BP_KERNELS_NAIVE);
}

static int load_memory(const void *data, size_t size, bp_kernels kernels) {
    bp_net *net = (bp_net *)&loaded;
    const int rc = bp_net_load_memory(&net, data, size, kernels);
    return net_out(rc, net);
}
static int load_memory_null_out(fixture *f) {
    (void)f;
    return bp_net_load_memory(NULL, model_blob.data, model_blob.size, BP_KERNELS_NAIVE);
}
static int load_memory_null_data(fixture *f) {
    (void)f;
    return load_memory(NULL, model_blob.size, BP_KERNELS_NAIVE);
}
static int load_memory_null_data_size_max(fixture *f) {
    (void)f;
    return load_memory(NULL, SIZE_MAX, BP_KERNELS_NAIVE);
}
static int load_memory_nothing(fixture *f) {
    (void)f;
    return load_memory(NULL, 0, BP_KERNELS_NAIVE);
}
static int load_memory_empty(fixture *f) {
    (void)f;
    return load_memory(model_blob.data, 0, BP_KERNELS_NAIVE);
}
static int load_memory_truncated(fixture *f) {
    (void)f;
    return load_memory(model_blob.data, model_blob.size - 1, BP_KERNELS_NAIVE);
}
static int load_memory_kernels_3(fixture *f) {
    (void)f;
    return load_memory(model_blob.data, model_blob.size, (bp_kernels)3);
}
static int load_memory_optimizer_file(fixture *f) {
    (void)f;
    return load_memory(optim_blob.data, optim_blob.size, BP_KERNELS_OPENBLAS);
}

static int opt_load_memory_null_opt(fixture *f) {
    (void)f;
    return bp_optimizer_load_memory(NULL, optim_blob.data, optim_blob.size);
}
static int opt_load_memory_null_data(fixture *f) {
    return bp_optimizer_load_memory(f->opt, NULL, optim_blob.size);
}
static int opt_load_memory_nothing(fixture *f) { return bp_optimizer_load_memory(f->opt, NULL, 0); }
static int opt_load_memory_truncated(fixture *f) {
    return bp_optimizer_load_memory(f->opt, optim_blob.data, optim_blob.size - 1);
}
static int opt_load_memory_other_count(fixture *f) {
    return bp_optimizer_load_memory(f->opt, optim_other_blob.data, optim_other_blob.size);
}
static int opt_load_memory_model_file(fixture *f) {
    return bp_optimizer_load_memory(f->opt, model_blob.data, model_blob.size);
}

static int idx_memory(const blob *images, const blob *labels) {
    prime_loaded();
    return data_out(
        bp_dataset_load_idx_memory(&loaded, images ? images->data : NULL, images ? images->size : 0,
                                   labels ? labels->data : NULL, labels ? labels->size : 0));
}
static int idx_memory_null_out(fixture *f) {
    (void)f;
    return bp_dataset_load_idx_memory(NULL, images_blob.data, images_blob.size, labels_blob.data,
                                      labels_blob.size);
}
static int idx_memory_null_images(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx_memory(&loaded, NULL, images_blob.size, labels_blob.data,
                                               labels_blob.size));
}
static int idx_memory_null_labels(fixture *f) {
    (void)f;
    prime_loaded();
    return data_out(bp_dataset_load_idx_memory(&loaded, images_blob.data, images_blob.size, NULL,
                                               labels_blob.size));
}
static int idx_memory_only_labels_null(fixture *f) {
    (void)f;
    /* images NULL with size 0 is allowed; the NULL at fault is labels. */
    prime_loaded();
    return data_out(bp_dataset_load_idx_memory(&loaded, NULL, 0, NULL, labels_blob.size));
}
static int idx_memory_nothing(fixture *f) {
    (void)f;
    return idx_memory(NULL, NULL);
}
static int idx_memory_counts_differ(fixture *f) {
    (void)f;
    return idx_memory(&images_blob, &labels3_blob);
}
static int idx_memory_swapped(fixture *f) {
    (void)f;
    return idx_memory(&labels_blob, &images_blob);
}
static int idx_memory_truncated(fixture *f) {
    (void)f;
    const blob cut = {images_blob.data, images_blob.size - 1};
    return idx_memory(&cut, &labels_blob);
}

static int csv_memory(const void *data, size_t size, size_t label_column) {
    prime_loaded();
    return data_out(bp_dataset_load_csv_memory(&loaded, data, size, label_column));
}
static int csv_memory_null_out(fixture *f) {
    (void)f;
    return bp_dataset_load_csv_memory(NULL, csv_text, sizeof csv_text - 1, 0);
}
static int csv_memory_null_data(fixture *f) {
    (void)f;
    return csv_memory(NULL, sizeof csv_text - 1, 0);
}
static int csv_memory_nothing(fixture *f) {
    (void)f;
    return csv_memory(NULL, 0, 0);
}
static int csv_memory_column_past_last(fixture *f) {
    (void)f;
    return csv_memory(csv_text, sizeof csv_text - 1, 4);
}
static int csv_memory_column_size_max(fixture *f) {
    (void)f;
    return csv_memory(csv_text, sizeof csv_text - 1, SIZE_MAX);
}
static int csv_memory_nul_inside(fixture *f) {
    (void)f;
    return csv_memory(csv_text, sizeof csv_text, 0); /* the terminating NUL, counted in */
}

/* ---- OpenBLAS ---- */

/* rc, or NOT_AS_DOCUMENTED when a rejected count changed the setting. */
static int set_threads(int threads) {
    const int before = bp_blas_threads();
    const int rc = bp_blas_set_threads(threads);
    return rc != BP_OK && bp_blas_threads() != before ? NOT_AS_DOCUMENTED : rc;
}
static int threads_zero(fixture *f) {
    (void)f;
    return set_threads(0);
}
static int threads_negative(fixture *f) {
    (void)f;
    return set_threads(-1);
}
static int threads_int_min(fixture *f) {
    (void)f;
    return set_threads(INT_MIN);
}
static int threads_minus_3(fixture *f) {
    (void)f;
    return set_threads(-3);
}
/* A count that is taken, and then reported. */
static int threads_one(fixture *f) {
    (void)f;
    const int rc = bp_blas_set_threads(1);
    return rc != BP_OK ? rc : bp_blas_threads() == 1 ? BP_OK : NOT_AS_DOCUMENTED;
}
static int threads_positive(fixture *f) {
    (void)f;
    return documented(bp_blas_threads() >= 1);
}
static int core_named(fixture *f) {
    (void)f;
    const char *core = bp_blas_core();
    return documented(core != NULL && core[0] != '\0');
}

/* ---- kernel sets and plans ---- */

static int kernels_3_unavailable(fixture *f) {
    (void)f;
    return documented(bp_kernels_available((bp_kernels)3) == 0 &&
                      bp_kernels_available((bp_kernels)-1) == 0 &&
                      bp_kernels_available(BP_KERNELS_OPENBLAS) == 1);
}
static int kernels_3_unnamed(fixture *f) {
    (void)f;
    return documented(bp_kernels_name((bp_kernels)3) == NULL &&
                      strcmp(bp_kernels_name(BP_KERNELS_BLIS), "blis") == 0);
}
static int kernels_3_core_unknown(fixture *f) {
    (void)f;
    return documented(strcmp(bp_kernels_core((bp_kernels)3), "unknown") == 0);
}
static int set_kernels_null(fixture *f) {
    (void)f;
    return bp_net_set_kernels(NULL, BP_KERNELS_NAIVE);
}
static int set_kernels_3(fixture *f) {
    const int rc = bp_net_set_kernels(f->net, (bp_kernels)3);
    return rc != BP_OK && bp_net_kernels(f->net) != BP_KERNELS_OPENBLAS ? NOT_AS_DOCUMENTED : rc;
}
static int net_kernels_null(fixture *f) {
    (void)f;
    return documented(bp_net_kernels(NULL) == BP_KERNELS_OPENBLAS);
}
static int plan_measure_null_net(fixture *f) {
    (void)f;
    bp_plan p;
    return bp_plan_measure(NULL, NULL, 8, 2, 0.01, &p);
}
static int plan_measure_null_out(fixture *f) {
    return bp_plan_measure(f->net, NULL, 8, 2, 0.01, NULL);
}
static int plan_measure_batch_0(fixture *f) {
    bp_plan p;
    return bp_plan_measure(f->net, NULL, 0, 2, 0.01, &p);
}
static int plan_measure_budget_negative(fixture *f) {
    bp_plan p;
    return bp_plan_measure(f->net, NULL, 8, 2, -0.5, &p);
}
static int plan_parse_null_spec(fixture *f) {
    bp_plan p;
    return bp_plan_parse(NULL, f->net, 8, 2, &p);
}
static int plan_parse_unknown_set(fixture *f) {
    bp_plan p;
    return bp_plan_parse("mkl:1x1", f->net, 8, 2, &p);
}
static int plan_parse_two_by_two(fixture *f) {
    bp_plan p;
    return bp_plan_parse("openblas:2x2", f->net, 8, 2, &p);
}
static int plan_format_null_plan(fixture *f) {
    (void)f;
    char text[32];
    return bp_plan_format(NULL, text, sizeof text);
}
static int plan_format_small(fixture *f) {
    (void)f;
    char text[4];
    const bp_plan p = {.kernels = BP_KERNELS_OPENBLAS, .workers = 1, .blas_threads = 1};
    return bp_plan_format(&p, text, sizeof text);
}
static int plan_apply_null_net(fixture *f) {
    (void)f;
    const bp_plan p = {.kernels = BP_KERNELS_OPENBLAS, .workers = 1, .blas_threads = 1};
    return bp_plan_apply(NULL, &p);
}
static int plan_apply_zero_workers(fixture *f) {
    const bp_plan p = {.kernels = BP_KERNELS_OPENBLAS, .workers = 0, .blas_threads = 1};
    return bp_plan_apply(f->net, &p);
}

/* ---- per-feature scaler, labels, regression, prediction ---- */

static int scaler_fit_null_out(fixture *f) {
    return bp_scaler_fit(NULL, BP_SCALE_STANDARDIZE, &f->c.data_inputs[0][0], COUNT, IN);
}
static int scaler_fit_null_x(fixture *f) {
    (void)f;
    bp_scaler s;
    return bp_scaler_fit(&s, BP_SCALE_STANDARDIZE, NULL, COUNT, IN);
}
static int scaler_fit_kind(fixture *f) {
    bp_scaler s;
    return bp_scaler_fit(&s, (bp_scaling_kind)7, &f->c.data_inputs[0][0], COUNT, IN);
}
static int scaler_fit_zero_rows(fixture *f) {
    bp_scaler s;
    return bp_scaler_fit(&s, BP_SCALE_MINMAX, &f->c.data_inputs[0][0], 0, IN);
}
static int scaler_fit_overflow(fixture *f) {
    bp_scaler s;
    return bp_scaler_fit(&s, BP_SCALE_MINMAX, &f->c.data_inputs[0][0], SIZE_MAX / 2, IN);
}
static int scaler_fit_ok(fixture *f) {
    bp_scaler s;
    const int rc = bp_scaler_fit(&s, BP_SCALE_STANDARDIZE, &f->c.data_inputs[0][0], COUNT, IN);
    const bool ok = rc == BP_OK && s.columns == IN;
    bp_scaler_free(&s);
    return rc != BP_OK ? rc : documented(ok) == AS_DOCUMENTED ? BP_OK : NOT_AS_DOCUMENTED;
}
static int scaler_transform_null(fixture *f) {
    return bp_scaler_transform(NULL, &f->c.data_inputs[0][0], COUNT);
}
static int scaler_transform_empty(fixture *f) {
    const bp_scaler empty = {0};
    return bp_scaler_transform(&empty, &f->c.data_inputs[0][0], COUNT);
}
static int scaler_transform_zero_scale(fixture *f) {
    float offset[IN] = {0}, scale[IN] = {1, 0, 1};
    const bp_scaler s = {.columns = IN, .offset = offset, .scale = scale};
    return bp_scaler_transform(&s, &f->c.data_inputs[0][0], COUNT);
}
static int scaler_inverse_null_x(fixture *f) {
    (void)f;
    float offset[IN] = {0}, scale[IN] = {1, 1, 1};
    const bp_scaler s = {.columns = IN, .offset = offset, .scale = scale};
    return bp_scaler_inverse(&s, NULL, COUNT);
}
static int scaler_inverse_overflow(fixture *f) {
    float offset[IN] = {0}, scale[IN] = {1, 1, 1};
    const bp_scaler s = {.columns = IN, .offset = offset, .scale = scale};
    return bp_scaler_inverse(&s, &f->c.data_inputs[0][0], SIZE_MAX / 2);
}
static int scaler_free_null(fixture *f) {
    (void)f;
    bp_scaler_free(NULL);
    bp_scaler empty = {0};
    bp_scaler_free(&empty);
    return documented(empty.columns == 0 && !empty.offset);
}
static int labels_null_out(fixture *f) {
    (void)f;
    const char *labels[] = {"a"};
    return bp_labels_map(NULL, labels, 1, 0);
}
static int labels_null_entry(fixture *f) {
    (void)f;
    const char *labels[] = {"a", NULL};
    bp_dataset d;
    return bp_labels_map(&d, labels, 2, 0);
}
static int labels_zero(fixture *f) {
    (void)f;
    const char *labels[] = {"a"};
    bp_dataset d;
    return bp_labels_map(&d, labels, 0, 0);
}
static int labels_past_limit(fixture *f) {
    (void)f;
    const char *labels[] = {"a", "b", "c"};
    bp_dataset d;
    return bp_labels_map(&d, labels, 3, 2);
}
static int labels_ok(fixture *f) {
    (void)f;
    const char *labels[] = {"3", "1", "3"};
    bp_dataset d;
    const int rc = bp_labels_map(&d, labels, 3, 0);
    const bool ok = rc == BP_OK && d.classes == 2 && d.labels[0] == 1 && d.labels[1] == 0;
    bp_dataset_free(&d);
    return rc != BP_OK ? rc : ok ? BP_OK : NOT_AS_DOCUMENTED;
}
static int regression_metrics_null(fixture *f) {
    return bp_evaluate_regression(f->net, &f->c.data, NULL, NULL);
}
static int regression_on_classes(fixture *f) {
    bp_regression_metrics m;
    return bp_evaluate_regression(f->net, &f->c.data, NULL, &m);
}
static int regression_wrong_outputs(fixture *f) {
    bp_dataset d = f->c.data;
    d.targets = &f->c.batch_targets[0][0];
    d.outputs = OUT + 1;
    bp_regression_metrics m;
    return bp_evaluate_regression(f->net, &d, NULL, &m);
}
static int regression_ok(fixture *f) {
    bp_dataset d = f->c.data;
    d.targets = &f->c.one_hot[0][0];
    d.outputs = OUT;
    bp_regression_metrics m;
    return bp_evaluate_regression(f->net, &d, NULL, &m);
}
static int predict_null_net(fixture *f) {
    return bp_net_predict(NULL, &f->c.data_inputs[0][0], COUNT, &f->c.one_hot[0][0]);
}
static int predict_null_outputs(fixture *f) {
    return bp_net_predict(f->net, &f->c.data_inputs[0][0], COUNT, NULL);
}
static int predict_zero(fixture *f) {
    return bp_net_predict(f->net, &f->c.data_inputs[0][0], 0, &f->c.one_hot[0][0]);
}
static int predict_overflow(fixture *f) {
    return bp_net_predict(f->net, &f->c.data_inputs[0][0], SIZE_MAX / 2, &f->c.one_hot[0][0]);
}
static int predict_output_null_net(fixture *f) {
    return bp_net_predict_output(NULL, &f->c.data_inputs[0][0], COUNT, BP_OUTPUT_LOGITS,
                                 &f->c.one_hot[0][0]);
}
static int predict_output_unknown(fixture *f) {
    return bp_net_predict_output(f->net, &f->c.data_inputs[0][0], COUNT, (bp_output)99,
                                 &f->c.one_hot[0][0]);
}
static int predict_output_overflow(fixture *f) {
    return bp_net_predict_output(f->net, &f->c.data_inputs[0][0], SIZE_MAX / 2, BP_OUTPUT_LOGITS,
                                 &f->c.one_hot[0][0]);
}

static int prep_null_net(fixture *f) {
    (void)f;
    const bp_preprocessing p = {0};
    return bp_net_set_preprocessing(NULL, &p);
}
static int prep_unknown_task(fixture *f) {
    const bp_preprocessing p = {.task = (bp_task)5};
    return bp_net_set_preprocessing(f->net, &p);
}
static int prep_wrong_width(fixture *f) {
    float offset[IN + 1] = {0}, scale[IN + 1] = {1, 1, 1, 1};
    const bp_preprocessing p = {.inputs = {.columns = IN + 1, .offset = offset, .scale = scale}};
    return bp_net_set_preprocessing(f->net, &p);
}
static int prep_too_many_classes(fixture *f) {
    char *names[] = {"a", "b", "c"};
    const bp_preprocessing p = {.classes = 3, .class_names = names};
    return bp_net_set_preprocessing(f->net, &p);
}
static int prep_set_and_clear(fixture *f) {
    char *names[] = {"no", "yes"};
    const bp_preprocessing p = {.classes = 2, .class_names = names};
    int rc = bp_net_set_preprocessing(f->net, &p);
    const bool set = rc == BP_OK && bp_net_preprocessing(f->net) &&
                     strcmp(bp_net_preprocessing(f->net)->class_names[1], "yes") == 0;
    if (rc == BP_OK)
        rc = bp_net_set_preprocessing(f->net, NULL);
    return rc != BP_OK ? rc : set && !bp_net_preprocessing(f->net) ? BP_OK : NOT_AS_DOCUMENTED;
}
static int prep_get_null(fixture *f) {
    return documented(!bp_net_preprocessing(NULL) && !bp_net_preprocessing(f->net));
}

static int schema_null_net(fixture *f) {
    (void)f;
    const bp_schema s = {0};
    return bp_net_set_schema(NULL, &s);
}
static int schema_without_preprocessing(fixture *f) {
    const bp_schema s = {.skipped_columns = 1};
    return bp_net_set_schema(f->net, &s);
}
static int schema_repeated_name(fixture *f) {
    const bp_preprocessing p = {0};
    int rc = bp_net_set_preprocessing(f->net, &p);
    char *names[IN] = {"a", "b", "a"};
    const bp_schema s = {.input_names = names};
    return rc != BP_OK ? rc : bp_net_set_schema(f->net, &s);
}
static int schema_get_null(fixture *f) {
    return documented(!bp_net_schema(NULL) && !bp_net_schema(f->net));
}

/* ---- the table ---- */

#define CASE(fn, what, prepare, call, expect, says, keep)                                          \
    { #fn, what, prepare, call, expect, says, keep }
#define BAD(fn, what, call, expect, says) CASE(fn, what, NULL, call, expect, says, KEEP_ALL)
#define BAD_AFTER(fn, what, prepare, call, expect, says)                                           \
    CASE(fn, what, prepare, call, expect, says, KEEP_ALL)
#define DOC(fn, what, call) CASE(fn, what, NULL, call, AS_DOCUMENTED, NULL, KEEP_ALL)

static const bad_case cases[] = {
    DOC(bp_version, "is the project's version", version_matches),
    DOC(bp_version_number, "is the project's version and the header's", version_number_matches),
    DOC(bp_struct_size, "0 for an unknown id", struct_size_unknown),
    DOC(bp_struct_size, "the header's size for a known id", struct_size_known),
    DOC(bp_strerror, "a positive code", strerror_unknown_positive),
    DOC(bp_strerror, "INT_MIN", strerror_unknown_int_min),
    DOC(bp_strerror, "one past the last code", strerror_past_last),
    DOC(bp_err_name, "INT_MAX", err_name_unknown_positive),
    DOC(bp_err_name, "INT_MIN", err_name_unknown_int_min),
    DOC(bp_err_name, "one past the last code", err_name_past_last),
    DOC(bp_activation_name, "one past the last", activation_name_past_last),
    DOC(bp_activation_name, "-1", activation_name_negative),
    BAD(bp_activation_from_name, "NULL name", activation_from_null_name, BP_EINVAL, "name"),
    BAD(bp_activation_from_name, "NULL out", activation_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_activation_from_name, "an unknown name", activation_from_unknown_name, BP_EINVAL,
        "expected"),
    DOC(bp_loss_name, "one past the last", loss_name_past_last),
    DOC(bp_loss_name, "-1", loss_name_negative),
    BAD(bp_loss_from_name, "NULL name", loss_from_null_name, BP_EINVAL, "name"),
    BAD(bp_loss_from_name, "NULL out", loss_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_loss_from_name, "an unknown name", loss_from_unknown_name, BP_EINVAL, "expected"),
    DOC(bp_init_name, "one past the last", init_name_past_last),
    DOC(bp_init_name, "-1", init_name_negative),
    BAD(bp_init_from_name, "NULL name", init_from_null_name, BP_EINVAL, "name"),
    BAD(bp_init_from_name, "NULL out", init_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_init_from_name, "an unknown name", init_from_unknown_name, BP_EINVAL, "expected"),
    DOC(bp_optimizer_kind_name, "one past the last", optimizer_kind_name_past_last),
    DOC(bp_optimizer_kind_name, "-1", optimizer_kind_name_negative),
    BAD(bp_optimizer_kind_from_name, "NULL name", optimizer_kind_from_null_name, BP_EINVAL, "name"),
    BAD(bp_optimizer_kind_from_name, "NULL out", optimizer_kind_from_name_null_out, BP_EINVAL,
        "out"),
    BAD(bp_optimizer_kind_from_name, "an unknown name", optimizer_kind_from_unknown_name, BP_EINVAL,
        "expected"),
    DOC(bp_schedule_name, "one past the last", schedule_name_past_last),
    DOC(bp_schedule_name, "-1", schedule_name_negative),
    BAD(bp_schedule_from_name, "NULL name", schedule_from_null_name, BP_EINVAL, "name"),
    BAD(bp_schedule_from_name, "NULL out", schedule_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_schedule_from_name, "an unknown name", schedule_from_unknown_name, BP_EINVAL,
        "expected"),
    DOC(bp_kernels_name, "one past the last", kernels_name_past_last),
    DOC(bp_kernels_name, "-1", kernels_name_negative),
    BAD(bp_kernels_from_name, "NULL name", kernels_from_null_name, BP_EINVAL, "name"),
    BAD(bp_kernels_from_name, "NULL out", kernels_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_kernels_from_name, "an unknown name", kernels_from_unknown_name, BP_EINVAL, "expected"),
    DOC(bp_inference_name, "one past the last", inference_name_past_last),
    DOC(bp_inference_name, "-1", inference_name_negative),
    BAD(bp_inference_from_name, "NULL name", inference_from_null_name, BP_EINVAL, "name"),
    BAD(bp_inference_from_name, "NULL out", inference_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_inference_from_name, "an unknown name", inference_from_unknown_name, BP_EINVAL,
        "expected"),
    DOC(bp_output_name, "one past the last", output_name_past_last),
    DOC(bp_output_name, "-1", output_name_negative),
    BAD(bp_output_from_name, "NULL name", output_from_null_name, BP_EINVAL, "name"),
    BAD(bp_output_from_name, "NULL out", output_from_name_null_out, BP_EINVAL, "out"),
    BAD(bp_output_from_name, "an unknown name", output_from_unknown_name, BP_EINVAL, "expected"),
    DOC(bp_errmsg, "after a failure, names the function", errmsg_names_failed_call),
    DOC(bp_errmsg, "empty in a thread where nothing failed", errmsg_empty_in_new_thread),

    BAD(bp_net_create, "NULL out", create_null_out, BP_EINVAL, "out"),
    BAD(bp_net_create, "NULL sizes", create_null_sizes, BP_EINVAL, "sizes"),
    BAD(bp_net_create, "NULL activations", create_null_activations, BP_EINVAL, "activations"),
    BAD(bp_net_create, "no layers", create_zero_layers, BP_EINVAL, NULL),
    BAD(bp_net_create, "SIZE_MAX layers", create_size_max_layers, BP_EINVAL, "sizes[3]"),
    BAD(bp_net_create, "no inputs", create_zero_inputs, BP_EINVAL, "sizes[0]"),
    BAD(bp_net_create, "no inputs, naive kernels", create_zero_inputs_naive, BP_EINVAL, NULL),
    BAD(bp_net_create, "empty hidden layer", create_zero_hidden, BP_EINVAL, "sizes[1]"),
    BAD(bp_net_create, "no outputs", create_zero_outputs, BP_EINVAL, "sizes[2]"),
    BAD(bp_net_create, "size INT_MAX + 1", create_size_over_int_max, BP_EINVAL, "sizes[1]"),
    BAD(bp_net_create, "size SIZE_MAX", create_size_max_size, BP_EINVAL, "sizes[0]"),
    BAD(bp_net_create, "kernels 3", create_kernels_3, BP_EINVAL, "kernel"),
    BAD(bp_net_create, "kernels -1", create_kernels_negative, BP_EINVAL, "kernel"),
    BAD(bp_net_create, "activation 6", create_activation_6, BP_EINVAL, "activations[1]"),
    BAD(bp_net_create, "activation -1", create_activation_negative, BP_EINVAL, "activations[0]"),
    BAD(bp_net_create, "activation 99, naive kernels", create_activation_99_naive, BP_EINVAL,
        "activations[1]"),
    BAD(bp_net_create, "softmax in a hidden layer", create_hidden_softmax, BP_EINVAL, "softmax"),
    BAD(bp_net_create, "parameter count overflows", create_count_overflow, BP_EOVERFLOW, NULL),
    BAD(bp_net_create, "parameter bytes overflow", create_bytes_overflow, BP_EOVERFLOW, NULL),
    BAD(bp_net_create, "bytes rounded to cache lines overflow", create_rounded_bytes_overflow,
        BP_EOVERFLOW, NULL),
    BAD(bp_net_create, "more than memory", create_out_of_memory, BP_ENOMEM, NULL),

    DOC(bp_net_destroy, "NULL", destroy_null),

    BAD(bp_net_reserve, "NULL net", reserve_null, BP_EINVAL, "net"),
    BAD(bp_net_reserve, "0", reserve_zero, BP_EINVAL, "max_batch"),
    BAD(bp_net_reserve, "INT_MAX + 1", reserve_over_int_max, BP_EINVAL, "max_batch"),
    BAD(bp_net_reserve, "SIZE_MAX", reserve_size_max, BP_EINVAL, "max_batch"),
    BAD(bp_net_reserve, "more than memory, keeps the old", reserve_out_of_memory, BP_ENOMEM, NULL),

    BAD(bp_net_forward, "NULL net", forward_null_net, BP_EINVAL, "net"),
    BAD(bp_net_forward, "NULL inputs", forward_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_net_forward, "n 0", forward_zero, BP_EINVAL, NULL),
    BAD(bp_net_forward, "n over the reserve", forward_over_reserve, BP_EBATCH, "bp_net_reserve"),
    BAD(bp_net_forward, "n SIZE_MAX", forward_size_max, BP_EBATCH, NULL),
    BAD_AFTER(bp_net_forward, "inputs are its outputs", alias_outputs, forward_alias, BP_EINVAL,
              "overlap the network's own outputs or parameters; pass a copy"),
    BAD_AFTER(bp_net_forward, "inputs in its parameters", alias_bias, forward_alias, BP_EINVAL,
              "overlap"),
    BAD_AFTER(bp_net_forward, "inputs in its gradients", alias_grads, forward_alias, BP_EINVAL,
              "overlap"),
    CASE(bp_net_forward, "NULL outputs", NULL, forward_null_outputs, BP_OK, NULL, KEEP_ALL),
    CASE(bp_net_forward, "a copy of its outputs", NULL, forward_copy_of_outputs, BP_OK, NULL,
         KEEP_ALL),

    BAD(bp_net_gradient, "NULL net", gradient_null_net, BP_EINVAL, "net"),
    BAD(bp_net_gradient, "NULL inputs", gradient_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_net_gradient, "NULL targets", gradient_null_targets, BP_EINVAL, "targets"),
    BAD(bp_net_gradient, "n 0", gradient_zero, BP_EINVAL, NULL),
    BAD(bp_net_gradient, "n over the reserve", gradient_over_reserve, BP_EBATCH, NULL),
    BAD(bp_net_gradient, "n SIZE_MAX", gradient_size_max, BP_EBATCH, NULL),
    BAD_AFTER(bp_net_gradient, "inputs are its outputs", alias_outputs, gradient_alias_inputs,
              BP_EINVAL, "inputs"),
    BAD_AFTER(bp_net_gradient, "targets are its outputs", alias_outputs, gradient_alias_targets,
              BP_EINVAL, "targets"),
    BAD_AFTER(bp_net_gradient, "targets in its parameters", alias_bias, gradient_alias_targets,
              BP_EINVAL, "targets"),
    BAD_AFTER(bp_net_gradient, "targets in its gradients", alias_grads, gradient_alias_targets,
              BP_EINVAL, "targets"),
    BAD_AFTER(bp_net_gradient, "a NaN input", input_nan, gradient_full, BP_ENONFINITE,
              "not finite"),
    BAD_AFTER(bp_net_gradient, "an Inf target", target_inf, gradient_full, BP_ENONFINITE,
              "not finite"),
    CASE(bp_net_gradient, "NULL cost", NULL, gradient_null_cost, BP_OK, NULL, KEEP_PARAMS),

    BAD(bp_net_step, "NULL net", step_null, BP_EINVAL, "net"),
    BAD_AFTER(bp_net_step, "NaN rate", compute_gradient, step_nan, BP_EINVAL, "learning rate"),
    BAD_AFTER(bp_net_step, "Inf rate", compute_gradient, step_inf, BP_EINVAL, NULL),
    BAD_AFTER(bp_net_step, "-Inf rate", compute_gradient, step_minus_inf, BP_EINVAL, NULL),
    BAD_AFTER(bp_net_step, "negative rate", compute_gradient, step_negative, BP_EINVAL, NULL),
    BAD_AFTER(bp_net_step, "negative subnormal rate", compute_gradient, step_negative_subnormal,
              BP_EINVAL, NULL),

    BAD(bp_net_train_step, "NULL net", train_step_null_net, BP_EINVAL, "net"),
    BAD(bp_net_train_step, "NULL inputs", train_step_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_net_train_step, "NULL targets", train_step_null_targets, BP_EINVAL, "targets"),
    BAD(bp_net_train_step, "n 0", train_step_zero, BP_EINVAL, NULL),
    BAD(bp_net_train_step, "n over the reserve", train_step_over_reserve, BP_EBATCH, NULL),
    BAD(bp_net_train_step, "n SIZE_MAX", train_step_size_max, BP_EBATCH, NULL),
    BAD(bp_net_train_step, "NaN rate", train_step_nan_rate, BP_EINVAL, "learning rate"),
    BAD(bp_net_train_step, "Inf rate", train_step_inf_rate, BP_EINVAL, NULL),
    BAD(bp_net_train_step, "negative rate", train_step_negative_rate, BP_EINVAL, NULL),
    BAD_AFTER(bp_net_train_step, "inputs are its outputs", alias_outputs, train_step_alias_inputs,
              BP_EINVAL, "inputs"),
    BAD_AFTER(bp_net_train_step, "targets in its gradients", alias_grads, train_step_alias_targets,
              BP_EINVAL, "targets"),
    BAD_AFTER(bp_net_train_step, "a NaN input", input_nan, train_step_full, BP_ENONFINITE,
              "finite"),
    BAD_AFTER(bp_net_train_step, "an Inf target", target_inf, train_step_full, BP_ENONFINITE,
              "finite"),
    CASE(bp_net_train_step, "NULL cost", NULL, train_step_null_cost, BP_OK, NULL, KEEP_NONE),

    BAD(bp_net_set_loss, "NULL net", set_loss_null, BP_EINVAL, "net"),
    BAD(bp_net_set_loss, "loss 2", set_loss_2, BP_EINVAL, "loss"),
    BAD(bp_net_set_loss, "loss -1", set_loss_negative, BP_EINVAL, "loss"),
    BAD(bp_net_set_loss, "cross-entropy without softmax", set_loss_without_softmax, BP_EINVAL,
        "softmax"),
    BAD(bp_net_set_loss, "loss 7 on a softmax net", set_loss_unknown_on_softmax, BP_EINVAL, NULL),
    DOC(bp_net_loss, "NULL", loss_null),
    BAD(bp_net_set_inference, "NULL net", set_inference_null, BP_EINVAL, "net"),
    BAD(bp_net_set_inference, "mode 2", set_inference_2, BP_EINVAL, "mode"),
    BAD(bp_net_set_inference, "mode -1", set_inference_negative, BP_EINVAL, "mode"),
    DOC(bp_net_inference, "NULL", inference_null),

    BAD(bp_net_cost, "NULL net", cost_null_net, BP_EINVAL, "net"),
    BAD(bp_net_cost, "NULL inputs", cost_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_net_cost, "NULL targets", cost_null_targets, BP_EINVAL, "targets"),
    BAD(bp_net_cost, "NULL cost", cost_null_cost, BP_EINVAL, "cost"),
    BAD(bp_net_cost, "n 0", cost_zero, BP_EINVAL, NULL),
    BAD(bp_net_cost, "n over the reserve", cost_over_reserve, BP_EBATCH, NULL),
    BAD(bp_net_cost, "n SIZE_MAX", cost_size_max, BP_EBATCH, NULL),
    BAD_AFTER(bp_net_cost, "inputs are its outputs", alias_outputs, cost_alias_inputs, BP_EINVAL,
              "inputs"),
    BAD_AFTER(bp_net_cost, "targets in its parameters", alias_bias, cost_alias_targets, BP_EINVAL,
              "targets"),
    CASE(bp_net_cost, "NULL outputs", NULL, cost_null_outputs, BP_OK, NULL, KEEP_ALL),

    BAD(bp_net_set_gradient_hook, "NULL net", hook_null_net, BP_EINVAL, "net"),
    CASE(bp_net_set_gradient_hook, "NULL hook clears it", NULL, hook_clear, BP_OK, NULL, KEEP_ALL),
    BAD_AFTER(bp_net_train_step, "a gradient hook is set", set_hook, train_step_full, BP_EINVAL,
              "hook"),

    BAD(bp_net_params, "NULL net", params_null_net, BP_EINVAL, "net"),
    BAD(bp_net_params, "NULL params", params_null_params, BP_EINVAL, "params"),
    CASE(bp_net_params, "NULL count", NULL, params_null_count, BP_OK, NULL, KEEP_ALL),
    BAD(bp_net_grads, "NULL net", grads_null_net, BP_EINVAL, "net"),
    BAD(bp_net_grads, "NULL grads", grads_null_grads, BP_EINVAL, "grads"),
    CASE(bp_net_grads, "NULL count", NULL, grads_null_count, BP_OK, NULL, KEEP_ALL),
    BAD(bp_net_layer, "NULL net", layer_null_net, BP_EINVAL, "net"),
    BAD(bp_net_layer, "NULL layer", layer_null_layer, BP_EINVAL, "layer"),
    BAD(bp_net_layer, "index L", layer_past_last, BP_ERANGE, "layer 2"),
    BAD(bp_net_layer, "index SIZE_MAX", layer_size_max, BP_ERANGE, NULL),
    DOC(bp_net_num_layers, "NULL", num_layers_null),
    DOC(bp_net_num_inputs, "NULL", num_inputs_null),
    DOC(bp_net_num_outputs, "NULL", num_outputs_null),
    DOC(bp_net_num_params, "NULL", num_params_null),
    DOC(bp_net_max_batch, "NULL", max_batch_null),
    DOC(bp_net_memory_bytes, "NULL", memory_bytes_null),

    BAD(bp_net_initialize, "NULL net", initialize_null, BP_EINVAL, "net"),
    BAD(bp_net_initialize, "init 4", initialize_4, BP_EINVAL, "init"),
    BAD(bp_net_initialize, "init -1", initialize_negative, BP_EINVAL, "init"),

    DOC(bp_optimizer_config_default, "NULL config", config_default_null),
    DOC(bp_optimizer_config_default, "unknown kind, then create", config_default_unknown_kind),

    BAD(bp_optimizer_create, "NULL out", opt_create_null_out, BP_EINVAL, "out"),
    BAD(bp_optimizer_create, "NULL net", opt_create_null_net, BP_EINVAL, "net"),
    BAD(bp_optimizer_create, "NULL config", opt_create_null_config, BP_EINVAL, "config"),
    BAD(bp_optimizer_create, "kind 4", config_kind_4, BP_EINVAL, "kind"),
    BAD(bp_optimizer_create, "kind -1", config_kind_negative, BP_EINVAL, "kind"),
    BAD(bp_optimizer_create, "rate 0", config_rate_zero, BP_EINVAL, "learning_rate"),
    BAD(bp_optimizer_create, "rate negative", config_rate_negative, BP_EINVAL, "learning_rate"),
    BAD(bp_optimizer_create, "rate NaN", config_rate_nan, BP_EINVAL, "learning_rate"),
    BAD(bp_optimizer_create, "rate Inf", config_rate_inf, BP_EINVAL, "learning_rate"),
    BAD(bp_optimizer_create, "decay negative", config_decay_negative, BP_EINVAL, "weight_decay"),
    BAD(bp_optimizer_create, "decay NaN", config_decay_nan, BP_EINVAL, "weight_decay"),
    BAD(bp_optimizer_create, "decay Inf", config_decay_inf, BP_EINVAL, "weight_decay"),
    BAD(bp_optimizer_create, "momentum 1", config_momentum_one, BP_EINVAL, "momentum"),
    BAD(bp_optimizer_create, "momentum negative", config_momentum_negative, BP_EINVAL, "momentum"),
    BAD(bp_optimizer_create, "momentum NaN", config_momentum_nan, BP_EINVAL, "momentum"),
    BAD(bp_optimizer_create, "beta1 1", config_beta1_one, BP_EINVAL, "beta1"),
    BAD(bp_optimizer_create, "beta1 negative", config_beta1_negative, BP_EINVAL, "beta1"),
    BAD(bp_optimizer_create, "beta2 NaN", config_beta2_nan, BP_EINVAL, "beta2"),
    BAD(bp_optimizer_create, "beta2 Inf", config_beta2_inf, BP_EINVAL, "beta2"),
    BAD(bp_optimizer_create, "epsilon 0", config_epsilon_zero, BP_EINVAL, "epsilon"),
    BAD(bp_optimizer_create, "epsilon NaN", config_epsilon_nan, BP_EINVAL, "epsilon"),
    BAD(bp_optimizer_create, "epsilon Inf", config_epsilon_inf, BP_EINVAL, "epsilon"),
    BAD(bp_optimizer_create, "schedule 3", config_schedule_3, BP_EINVAL, "schedule"),
    BAD(bp_optimizer_create, "schedule -1", config_schedule_negative, BP_EINVAL, "schedule"),
    BAD(bp_optimizer_create, "step_size 0", config_step_size_zero, BP_EINVAL, "step_size"),
    BAD(bp_optimizer_create, "gamma 0", config_gamma_zero, BP_EINVAL, "gamma"),
    BAD(bp_optimizer_create, "gamma 1.5", config_gamma_above_one, BP_EINVAL, "gamma"),
    BAD(bp_optimizer_create, "gamma NaN", config_gamma_nan, BP_EINVAL, "gamma"),
    BAD(bp_optimizer_create, "total_steps 0", config_total_steps_zero, BP_EINVAL, "total_steps"),

    DOC(bp_optimizer_destroy, "NULL", opt_destroy_null),
    BAD(bp_optimizer_step, "NULL opt", opt_step_null_opt, BP_EINVAL, "opt"),
    BAD(bp_optimizer_step, "NULL net", opt_step_null_net, BP_EINVAL, "net"),
    BAD_AFTER(bp_optimizer_step, "net of another size", compute_gradient, opt_step_other_net,
              BP_EINVAL, "parameters"),
    DOC(bp_optimizer_learning_rate, "NULL", opt_rate_null),
    DOC(bp_optimizer_steps, "NULL", opt_steps_null),
    DOC(bp_optimizer_get_config, "NULL", opt_config_null),
    DOC(bp_optimizer_memory_bytes, "NULL", opt_memory_null),

    BAD(bp_optimizer_save, "NULL opt", opt_save_null_opt, BP_EINVAL, "opt"),
    BAD(bp_optimizer_save, "NULL path", opt_save_null_path, BP_EINVAL, "path"),
    BAD(bp_optimizer_save, "empty path", opt_save_empty_path, BP_EINVAL, "path"),
    BAD(bp_optimizer_save, "NaN state", opt_save_nan_state, BP_ENONFINITE, "NaN"),
    BAD(bp_optimizer_save, "missing directory", opt_save_no_dir, BP_EIO, "no_such_dir"),
    BAD(bp_optimizer_save, "path too long", opt_save_long_path, BP_EIO, NULL),
    BAD(bp_optimizer_save, "path is a directory", opt_save_over_dir, BP_EIO, NULL),
    BAD(bp_optimizer_save_memory, "NULL opt", opt_save_memory_null_opt, BP_EINVAL, "opt"),
    BAD(bp_optimizer_save_memory, "NULL size", opt_save_memory_null_size, BP_EINVAL, "size"),
    BAD(bp_optimizer_save_memory, "NULL buffer of 1 byte", opt_save_memory_null_buffer, BP_EINVAL,
        "buffer"),
    BAD(bp_optimizer_save_memory, "buffer one byte short", opt_save_memory_one_byte_short,
        BP_EINVAL, "takes"),
    BAD(bp_optimizer_save_memory, "NaN state", opt_save_memory_nan_state, BP_ENONFINITE, "NaN"),

    BAD(bp_optimizer_load, "NULL opt", opt_load_null_opt, BP_EINVAL, "opt"),
    BAD(bp_optimizer_load, "NULL path", opt_load_null_path, BP_EINVAL, "path"),
    BAD(bp_optimizer_load, "empty path", opt_load_empty_path, BP_EIO, NULL),
    BAD(bp_optimizer_load, "missing file", opt_load_missing, BP_EIO, "missing"),
    BAD(bp_optimizer_load, "a directory", opt_load_dir, BP_EIO, NULL),
    BAD(bp_optimizer_load, "another parameter count", opt_load_other_count, BP_EINVAL,
        "parameters"),
    BAD(bp_optimizer_load, "a model file", opt_load_model_file, BP_EFORMAT, NULL),

    BAD(bp_optimizer_load_memory, "NULL opt", opt_load_memory_null_opt, BP_EINVAL, "opt"),
    BAD(bp_optimizer_load_memory, "NULL data", opt_load_memory_null_data, BP_EINVAL, "data"),
    BAD(bp_optimizer_load_memory, "0 bytes", opt_load_memory_nothing, BP_EFORMAT, NULL),
    BAD(bp_optimizer_load_memory, "one byte short", opt_load_memory_truncated, BP_EFORMAT, NULL),
    BAD(bp_optimizer_load_memory, "another parameter count", opt_load_memory_other_count, BP_EINVAL,
        "parameters"),
    BAD(bp_optimizer_load_memory, "a model file", opt_load_memory_model_file, BP_EFORMAT, NULL),

    BAD(bp_dataset_load_idx, "NULL out", idx_null_out, BP_EINVAL, "out"),
    BAD(bp_dataset_load_idx, "NULL images", idx_null_images, BP_EINVAL, "images"),
    BAD(bp_dataset_load_idx, "NULL labels", idx_null_labels, BP_EINVAL, "labels"),
    BAD(bp_dataset_load_idx, "missing images", idx_missing_images, BP_EIO, "missing"),
    BAD(bp_dataset_load_idx, "missing labels", idx_missing_labels, BP_EIO, "missing"),
    BAD(bp_dataset_load_idx, "images a directory", idx_dir, BP_EIO, NULL),
    BAD(bp_dataset_load_idx, "counts differ", idx_counts_differ, BP_EFORMAT, "labels3"),
    BAD(bp_dataset_load_idx, "files swapped", idx_swapped, BP_EFORMAT, NULL),

    BAD(bp_dataset_load_idx_limit, "NULL out", idx_limit_null_out, BP_EINVAL, "out"),
    BAD(bp_dataset_load_idx_limit, "NULL images", idx_limit_null_images, BP_EINVAL, "images"),
    BAD(bp_dataset_load_idx_limit, "NULL labels", idx_limit_null_labels, BP_EINVAL, "labels"),
    BAD(bp_dataset_load_idx_limit, "missing images", idx_limit_missing, BP_EIO, "missing"),
    BAD(bp_dataset_load_idx_limit, "images over the cap", idx_limit_images_over, BP_EFORMAT,
        "over the limit of 1 bytes"),
    BAD(bp_dataset_load_idx_limit, "labels over the cap", idx_limit_labels_over, BP_EFORMAT,
        "values of labels"),

    BAD(bp_dataset_load_idx_memory, "NULL out", idx_memory_null_out, BP_EINVAL, "out"),
    BAD(bp_dataset_load_idx_memory, "NULL images", idx_memory_null_images, BP_EINVAL, "images"),
    BAD(bp_dataset_load_idx_memory, "NULL labels", idx_memory_null_labels, BP_EINVAL, "labels"),
    BAD(bp_dataset_load_idx_memory, "no images, NULL labels", idx_memory_only_labels_null,
        BP_EINVAL, "labels"),
    BAD(bp_dataset_load_idx_memory, "0 bytes of each", idx_memory_nothing, BP_EFORMAT, NULL),
    BAD(bp_dataset_load_idx_memory, "counts differ", idx_memory_counts_differ, BP_EFORMAT, NULL),
    BAD(bp_dataset_load_idx_memory, "blocks swapped", idx_memory_swapped, BP_EFORMAT, NULL),
    BAD(bp_dataset_load_idx_memory, "images one byte short", idx_memory_truncated, BP_EFORMAT,
        NULL),

    BAD(bp_dataset_load_csv, "NULL out", csv_null_out, BP_EINVAL, "out"),
    BAD(bp_dataset_load_csv, "NULL path", csv_null_path, BP_EINVAL, "path"),
    BAD(bp_dataset_load_csv, "empty path", csv_empty_path, BP_EIO, NULL),
    BAD(bp_dataset_load_csv, "missing file", csv_missing, BP_EIO, "missing"),
    BAD(bp_dataset_load_csv, "a directory", csv_dir, BP_EIO, NULL),
    BAD(bp_dataset_load_csv, "label column = columns", csv_column_past_last, BP_EINVAL,
        "label_column"),
    BAD(bp_dataset_load_csv, "label column SIZE_MAX", csv_column_size_max, BP_EINVAL,
        "label_column"),

    DOC(bp_csv_options_default, "NULL and the defaults", csv_options_default_null),
    DOC(bp_input_limit_default, "at least 64 MiB", input_limit),
    BAD(bp_dataset_load_csv_with, "NULL out", csv_with_null_out, BP_EINVAL, "out"),
    BAD(bp_dataset_load_csv_with, "NULL path", csv_with_null_path, BP_EINVAL, "path"),
    BAD(bp_dataset_load_csv_with, "newline delimiter", csv_with_bad_delimiter, BP_EINVAL,
        "delimiter"),
    BAD(bp_dataset_load_csv_with, "an unknown column name", csv_with_unknown_name, BP_EINVAL,
        "species"),
    BAD(bp_dataset_load_csv_with, "two label columns", csv_with_two_labels, BP_EINVAL,
        "one label column"),
    CASE(bp_dataset_load_csv_with, "label by name", NULL, csv_with_ok, BP_OK, NULL, KEEP_ALL),
    BAD(bp_dataset_load_csv_memory_with, "NULL data", csv_memory_with_null_data, BP_EINVAL, "data"),
    BAD(bp_dataset_load_csv_memory_with, "unknown task", csv_memory_with_unknown_task, BP_EINVAL,
        "task"),
    CASE(bp_dataset_load_csv_memory_with, "the defaults", NULL, csv_memory_with_ok, BP_OK, NULL,
         KEEP_ALL),
    BAD(bp_csv_reader_open, "NULL out", reader_null_out, BP_EINVAL, "out"),
    BAD(bp_csv_reader_open, "missing file", reader_missing, BP_EIO, "missing"),
    BAD(bp_csv_reader_open, "impute_mean", reader_impute, BP_EINVAL, "impute_mean"),
    DOC(bp_csv_reader_features, "NULL", reader_features_null),
    DOC(bp_csv_reader_header, "NULL", reader_header_null),
    BAD(bp_csv_reader_read, "NULL reader", reader_read_null, BP_EINVAL, "reader"),
    BAD(bp_csv_reader_read, "max_rows 0", reader_read_zero_rows, BP_EINVAL, "max_rows"),
    CASE(bp_csv_reader_read, "every row, then none", NULL, reader_read_all, BP_OK, NULL, KEEP_ALL),
    DOC(bp_csv_reader_close, "NULL", reader_close_null),
    BAD(bp_dataset_load_csv_memory, "NULL out", csv_memory_null_out, BP_EINVAL, "out"),
    BAD(bp_dataset_load_csv_memory, "NULL data", csv_memory_null_data, BP_EINVAL, "data"),
    BAD(bp_dataset_load_csv_memory, "0 bytes", csv_memory_nothing, BP_EFORMAT, "no rows"),
    BAD(bp_dataset_load_csv_memory, "label column = columns", csv_memory_column_past_last,
        BP_EINVAL, "label_column"),
    BAD(bp_dataset_load_csv_memory, "label column SIZE_MAX", csv_memory_column_size_max, BP_EINVAL,
        "label_column"),
    BAD(bp_dataset_load_csv_memory, "a NUL byte", csv_memory_nul_inside, BP_EFORMAT, "NUL"),

    DOC(bp_dataset_free, "NULL", free_null),
    DOC(bp_dataset_free, "an empty set, twice", free_empty),

    BAD(bp_dataset_fit_scaling, "NULL data", fit_null_data, BP_EINVAL, "data"),
    BAD(bp_dataset_fit_scaling, "NULL offset", fit_null_offset, BP_EINVAL, "offset"),
    BAD(bp_dataset_fit_scaling, "NULL scale", fit_null_scale, BP_EINVAL, "scale"),
    BAD(bp_dataset_fit_scaling, "kind 2", fit_kind_2, BP_EINVAL, "kind"),
    BAD(bp_dataset_fit_scaling, "kind -1", fit_kind_negative, BP_EINVAL, "kind"),
    BAD_AFTER(bp_dataset_fit_scaling, "no examples", data_empty, fit, BP_EINVAL, "empty"),
    BAD_AFTER(bp_dataset_fit_scaling, "no features", data_no_features, fit, BP_EINVAL, "empty"),
    BAD_AFTER(bp_dataset_fit_scaling, "NULL inputs", data_null_inputs, fit, BP_EINVAL, NULL),
    BAD_AFTER(bp_dataset_fit_scaling, "count x features overflow", data_overflow, fit, BP_EINVAL,
              "overflow"),
    BAD_AFTER(bp_dataset_fit_scaling, "a NaN input", data_nan, fit, BP_ENONFINITE, "NaN"),
    BAD_AFTER(bp_dataset_fit_scaling, "an Inf input", data_inf, fit_minmax, BP_ENONFINITE,
              "infinite"),
    BAD_AFTER(bp_dataset_fit_scaling, "a -Inf input", data_minus_inf, fit, BP_ENONFINITE,
              "infinite"),
    BAD_AFTER(bp_dataset_fit_scaling, "a subnormal spread", data_subnormal_spread, fit_minmax,
              BP_ENONFINITE, "overflows"),

    BAD(bp_dataset_scale, "NULL data", scale_null, BP_EINVAL, "data"),
    BAD(bp_dataset_scale, "NaN offset", scale_nan_offset, BP_EINVAL, "finite"),
    BAD(bp_dataset_scale, "-Inf offset", scale_inf_offset, BP_EINVAL, "finite"),
    BAD(bp_dataset_scale, "NaN scale", scale_nan_scale, BP_EINVAL, "finite"),
    BAD(bp_dataset_scale, "Inf scale", scale_inf_scale, BP_EINVAL, "finite"),
    BAD_AFTER(bp_dataset_scale, "count x features overflow", data_overflow, scale_fine, BP_EINVAL,
              "overflow"),
    BAD_AFTER(bp_dataset_scale, "NULL inputs", data_null_inputs, scale_fine, BP_EINVAL, "inputs"),

    BAD(bp_one_hot, "NULL labels", one_hot_null_labels, BP_EINVAL, "labels"),
    BAD(bp_one_hot, "NULL out", one_hot_null_out, BP_EINVAL, "out"),
    BAD(bp_one_hot, "0 classes", one_hot_zero_classes, BP_EINVAL, "classes"),
    BAD(bp_one_hot, "a label >= classes", one_hot_label_past_classes, BP_EINVAL, "labels[1]"),
    BAD(bp_one_hot, "label UINT32_MAX", one_hot_label_max, BP_EINVAL, "labels[2]"),
    BAD(bp_one_hot, "n x classes overflows", one_hot_count_overflow, BP_EOVERFLOW, NULL),
    BAD(bp_one_hot, "their bytes overflow", one_hot_bytes_overflow, BP_EOVERFLOW, NULL),
    CASE(bp_one_hot, "n 0", NULL, one_hot_zero_rows, BP_OK, NULL, KEEP_ALL),

    BAD(bp_shuffle, "NULL order", shuffle_null, BP_EINVAL, "order"),
    BAD(bp_shuffle, "NULL order, n 0", shuffle_null_empty, BP_EINVAL, "order"),
    CASE(bp_shuffle, "n 0", NULL, shuffle_zero, BP_OK, NULL, KEEP_ALL),

    BAD(bp_dataset_batch, "NULL data", batch_null_data, BP_EINVAL, "data"),
    BAD(bp_dataset_batch, "NULL inputs", batch_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_dataset_batch, "first + n past the count", batch_past_count, BP_ERANGE, NULL),
    BAD(bp_dataset_batch, "first past the count", batch_first_past_count, BP_ERANGE, NULL),
    BAD(bp_dataset_batch, "first + n wraps", batch_wraps, BP_ERANGE, NULL),
    BAD(bp_dataset_batch, "n SIZE_MAX", batch_size_max, BP_ERANGE, NULL),
    BAD_AFTER(bp_dataset_batch, "order entry = count", order_past_count, batch_all, BP_ERANGE,
              "order[1]"),
    BAD_AFTER(bp_dataset_batch, "order entry SIZE_MAX", order_size_max, batch_all, BP_ERANGE,
              "order[3]"),
    BAD_AFTER(bp_dataset_batch, "a label >= classes", data_label_past_classes, batch_all, BP_EINVAL,
              "label"),
    BAD_AFTER(bp_dataset_batch, "0 classes", data_no_classes, batch_all, BP_EINVAL, "classes"),
    BAD_AFTER(bp_dataset_batch, "NULL data inputs", data_null_inputs, batch_all, BP_EINVAL,
              "inputs"),
    BAD_AFTER(bp_dataset_batch, "NULL data labels", data_null_labels, batch_all, BP_EINVAL,
              "labels"),
    BAD_AFTER(bp_dataset_batch, "count x features overflow", data_overflow, batch_all, BP_EINVAL,
              "overflow"),
    CASE(bp_dataset_batch, "n 0 at the end", NULL, batch_zero, BP_OK, NULL, KEEP_ALL),
    CASE(bp_dataset_batch, "NULL order and targets", data_label_past_classes, batch_no_targets,
         BP_OK, NULL, KEEP_NONE),

    DOC(bp_train_options_default, "NULL", train_options_default_null),

    BAD(bp_workers_create, "NULL out", workers_null_out, BP_EINVAL, "out"),
    BAD(bp_workers_create, "NULL net", workers_null_net, BP_EINVAL, "net"),
    BAD(bp_workers_create, "0 workers", workers_zero, BP_EINVAL, "workers"),
    BAD(bp_workers_create, "BP_WORKERS_MAX + 1 workers", workers_too_many, BP_EINVAL, "workers"),
    BAD(bp_workers_create, "max_batch 0", workers_zero_batch, BP_EINVAL, "max_batch"),
    BAD(bp_workers_create, "max_batch INT_MAX + 1", workers_huge_batch, BP_EINVAL, "max_batch"),
    DOC(bp_workers_destroy, "NULL", workers_destroy_null),
    DOC(bp_workers_count, "NULL", workers_count_null),
    DOC(bp_workers_memory_bytes, "NULL", workers_memory_null),
    BAD(bp_workers_gradient, "NULL workers", workers_gradient_null, BP_EINVAL, "workers"),
    BAD(bp_workers_gradient, "NULL inputs", workers_gradient_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_workers_gradient, "NULL targets", workers_gradient_null_targets, BP_EINVAL, "targets"),
    BAD(bp_workers_gradient, "n 0", workers_gradient_zero, BP_EINVAL, "n is 0"),
    BAD(bp_workers_gradient, "n over max_batch", workers_gradient_over_max, BP_EBATCH, "exceeds"),
    BAD_AFTER(bp_workers_gradient, "inputs in the parameter block", alias_bias,
              workers_gradient_alias, BP_EINVAL, "overlap"),
    CASE(bp_workers_gradient, "NULL cost", NULL, workers_gradient_null_cost, BP_OK, NULL,
         KEEP_PARAMS),
    BAD(bp_workers_step, "NULL workers", workers_step_null, BP_EINVAL, "workers"),
    BAD(bp_workers_step, "NULL opt", workers_step_null_opt, BP_EINVAL, "opt"),
    BAD(bp_workers_step, "an optimizer for another size", workers_step_other_opt, BP_EINVAL,
        "parameters"),
    BAD(bp_workers_train_step, "NULL workers", workers_train_step_null, BP_EINVAL, "workers"),
    BAD(bp_workers_train_step, "NULL opt", workers_train_step_null_opt, BP_EINVAL, "opt"),
    BAD(bp_workers_train_step, "NULL inputs", workers_train_step_null_inputs, BP_EINVAL, "inputs"),
    BAD(bp_workers_train_step, "n over max_batch", workers_train_step_over_max, BP_EBATCH,
        "exceeds"),
    BAD_AFTER(bp_workers_train_step, "a gradient hook is set", set_hook, workers_train_step_ok,
              BP_EINVAL, "hook"),
    BAD(bp_parallelism_auto, "NULL net", parallelism_null_net, BP_EINVAL, "net"),
    BAD(bp_parallelism_auto, "NULL out", parallelism_null_out, BP_EINVAL, "out"),
    BAD(bp_parallelism_auto, "batch 0", parallelism_zero_batch, BP_EINVAL, "batch"),
    BAD_AFTER(bp_train, "more than BP_WORKERS_MAX workers", options_too_many_workers, train,
              BP_EINVAL, "workers"),

    BAD(bp_train, "NULL net", train_null_net, BP_EINVAL, "net"),
    BAD(bp_train, "NULL opt", train_null_opt, BP_EINVAL, "opt"),
    BAD(bp_train, "NULL train", train_null_train, BP_EINVAL, "training"),
    BAD(bp_train, "NULL options", train_null_options, BP_EINVAL, "options"),
    BAD_AFTER(bp_train, "0 epochs", options_no_epochs, train, BP_EINVAL, "epochs"),
    BAD_AFTER(bp_train, "batch_size 0", options_no_batch, train, BP_EINVAL, "batch_size"),
    BAD(bp_train, "an optimizer for another size", train_other_opt, BP_EINVAL, "parameters"),
    BAD_AFTER(bp_train, "features != inputs", data_wrong_features, train, BP_EINVAL, "features"),
    BAD_AFTER(bp_train, "classes > outputs", data_too_many_classes, train, BP_EINVAL, "classes"),
    BAD_AFTER(bp_train, "a label >= outputs", data_label_past_outputs, train, BP_EINVAL, "label"),
    BAD_AFTER(bp_train, "no examples", data_empty, train, BP_EINVAL, "empty"),
    BAD_AFTER(bp_train, "NULL inputs", data_null_inputs, train, BP_EINVAL, NULL),
    BAD_AFTER(bp_train, "NULL labels", data_null_labels, train, BP_EINVAL, NULL),
    BAD_AFTER(bp_train, "test features != inputs", test_wrong_features, train, BP_EINVAL, "test"),
    BAD_AFTER(bp_train, "empty test set", test_empty, train, BP_EINVAL, "test"),
    CASE(bp_train, "a NaN input", data_nan, train, BP_ENONFINITE, "not finite", KEEP_PARAMS),
    CASE(bp_train, "an Inf input", data_inf, train_no_test, BP_ENONFINITE, NULL, KEEP_PARAMS),
    CASE(bp_train, "a callback stops it", options_stop, train, BP_ECANCELED, "callback", KEEP_NONE),
    CASE(bp_train, "NULL test", NULL, train_no_test, BP_OK, NULL, KEEP_NONE),
    BAD_AFTER(bp_train, "first_epoch == epochs", options_first_epoch_at_end, train, BP_EINVAL,
              "first_epoch"),
    BAD_AFTER(bp_train, "collective rank >= size", options_rank_past_size, train, BP_EINVAL,
              "collective"),
    BAD_AFTER(bp_train, "collective without sum", options_no_sum, train, BP_EINVAL, "collective"),
    CASE(bp_train, "a collective of one", options_alone_collective, train, BP_OK, NULL, KEEP_NONE),
    CASE(bp_train, "batch_size SIZE_MAX", options_huge_batch, train, BP_OK, NULL, KEEP_NONE),

    BAD(bp_evaluate, "NULL net", evaluate_null_net, BP_EINVAL, "net"),
    BAD(bp_evaluate, "NULL data", evaluate_null_data, BP_EINVAL, "data"),
    BAD_AFTER(bp_evaluate, "features != inputs", data_wrong_features, evaluate, BP_EINVAL,
              "features"),
    BAD_AFTER(bp_evaluate, "classes > outputs", data_too_many_classes, evaluate, BP_EINVAL,
              "classes"),
    BAD_AFTER(bp_evaluate, "a label >= outputs", data_label_past_outputs, evaluate, BP_EINVAL,
              "label"),
    BAD_AFTER(bp_evaluate, "no examples", data_empty, evaluate, BP_EINVAL, "empty"),
    BAD_AFTER(bp_evaluate, "NULL labels", data_null_labels, evaluate, BP_EINVAL, NULL),
    CASE(bp_evaluate, "NULL loss and accuracy", NULL, evaluate_null_outs, BP_OK, NULL, KEEP_ALL),

    BAD(bp_scaler_fit, "NULL out", scaler_fit_null_out, BP_EINVAL, "out"),
    BAD(bp_scaler_fit, "NULL x", scaler_fit_null_x, BP_EINVAL, "x"),
    BAD(bp_scaler_fit, "unknown kind", scaler_fit_kind, BP_EINVAL, "kind"),
    BAD(bp_scaler_fit, "rows 0", scaler_fit_zero_rows, BP_EINVAL, "rows"),
    BAD(bp_scaler_fit, "rows x columns overflow", scaler_fit_overflow, BP_EOVERFLOW, "overflow"),
    CASE(bp_scaler_fit, "a small table", NULL, scaler_fit_ok, BP_OK, NULL, KEEP_ALL),
    BAD(bp_scaler_transform, "NULL scaler", scaler_transform_null, BP_EINVAL, "NULL"),
    BAD(bp_scaler_transform, "empty scaler", scaler_transform_empty, BP_EINVAL, "empty"),
    BAD(bp_scaler_transform, "a zero scale", scaler_transform_zero_scale, BP_EINVAL, "scale 0"),
    BAD(bp_scaler_inverse, "NULL x", scaler_inverse_null_x, BP_EINVAL, "x"),
    BAD(bp_scaler_inverse, "rows overflow", scaler_inverse_overflow, BP_EOVERFLOW, "overflow"),
    DOC(bp_scaler_free, "NULL and empty", scaler_free_null),
    BAD(bp_labels_map, "NULL out", labels_null_out, BP_EINVAL, "out"),
    BAD(bp_labels_map, "a NULL label", labels_null_entry, BP_EINVAL, "labels[1]"),
    BAD(bp_labels_map, "n 0", labels_zero, BP_EINVAL, "n is 0"),
    BAD(bp_labels_map, "past max_classes", labels_past_limit, BP_EINVAL, "limit"),
    CASE(bp_labels_map, "sorted numbers", NULL, labels_ok, BP_OK, NULL, KEEP_ALL),
    BAD(bp_evaluate_regression, "NULL metrics", regression_metrics_null, BP_EINVAL, "metrics"),
    BAD(bp_evaluate_regression, "a classification set", regression_on_classes, BP_EINVAL,
        "classification"),
    BAD(bp_evaluate_regression, "targets != outputs", regression_wrong_outputs, BP_EINVAL,
        "targets"),
    CASE(bp_evaluate_regression, "one-hot rows as targets", NULL, regression_ok, BP_OK, NULL,
         KEEP_ALL),
    BAD(bp_net_predict, "NULL net", predict_null_net, BP_EINVAL, "net"),
    BAD(bp_net_predict, "NULL outputs", predict_null_outputs, BP_EINVAL, "outputs"),
    BAD(bp_net_predict, "n 0", predict_zero, BP_EINVAL, "n is 0"),
    BAD(bp_net_predict, "n overflows", predict_overflow, BP_EOVERFLOW, "overflow"),
    BAD(bp_net_predict_output, "NULL net", predict_output_null_net, BP_EINVAL, "net"),
    BAD(bp_net_predict_output, "unknown output", predict_output_unknown, BP_EINVAL, "output kind"),
    BAD(bp_net_predict_output, "n overflows", predict_output_overflow, BP_EOVERFLOW, "overflow"),

    BAD(bp_net_set_preprocessing, "NULL net", prep_null_net, BP_EINVAL, "net"),
    BAD(bp_net_set_preprocessing, "unknown task", prep_unknown_task, BP_EINVAL, "task"),
    BAD(bp_net_set_preprocessing, "scaler wider than the inputs", prep_wrong_width, BP_EINVAL,
        "columns"),
    BAD(bp_net_set_preprocessing, "more classes than outputs", prep_too_many_classes, BP_EINVAL,
        "3 class names"),
    CASE(bp_net_set_preprocessing, "set, then removed", NULL, prep_set_and_clear, BP_OK, NULL,
         KEEP_ALL),
    DOC(bp_net_preprocessing, "NULL net, and none set", prep_get_null),
    BAD(bp_net_set_schema, "NULL net", schema_null_net, BP_EINVAL, "net"),
    BAD(bp_net_set_schema, "no preprocessing", schema_without_preprocessing, BP_EINVAL,
        "no preprocessing"),
    BAD(bp_net_set_schema, "a repeated input name", schema_repeated_name, BP_EINVAL, "both \"a\""),
    DOC(bp_net_schema, "NULL net, and none set", schema_get_null),

    BAD(bp_net_save, "NULL net", save_null_net, BP_EINVAL, "net"),
    BAD(bp_net_save, "NULL path", save_null_path, BP_EINVAL, "path"),
    BAD(bp_net_save, "empty path", save_empty_path, BP_EINVAL, "path"),
    BAD(bp_net_save, "4097 layers", save_too_many_layers, BP_EINVAL, "layers"),
    BAD_AFTER(bp_net_save, "a NaN parameter", param_nan, save, BP_ENONFINITE, "NaN"),
    BAD_AFTER(bp_net_save, "a -Inf parameter", param_inf, save, BP_ENONFINITE, "infinite"),
    BAD(bp_net_save_memory, "NULL net", save_memory_null_net, BP_EINVAL, "net"),
    BAD(bp_net_save_memory, "NULL size", save_memory_null_size, BP_EINVAL, "size"),
    BAD(bp_net_save_memory, "NULL buffer with a capacity", save_memory_null_buffer, BP_EINVAL,
        "buffer"),
    BAD(bp_net_save_memory, "buffer one byte short", save_memory_one_byte_short, BP_EINVAL,
        "takes"),
    BAD(bp_net_save_memory, "4097 layers", save_memory_too_many_layers, BP_EINVAL, "layers"),
    BAD_AFTER(bp_net_save_memory, "a NaN parameter", param_nan, save_memory, BP_ENONFINITE, "NaN"),
    BAD(bp_net_save, "missing directory", save_no_dir, BP_EIO, "no_such_dir"),
    BAD(bp_net_save, "path too long", save_long_path, BP_EIO, NULL),
    BAD(bp_net_save, "path is a directory", save_over_dir, BP_EIO, NULL),

    BAD(bp_net_load, "NULL out", load_null_out, BP_EINVAL, "out"),
    BAD(bp_net_load, "NULL path", load_null_path, BP_EINVAL, "path"),
    BAD(bp_net_load, "kernels 3", load_kernels_3, BP_EINVAL, "kernel"),
    BAD(bp_net_load, "kernels -1", load_kernels_negative, BP_EINVAL, "kernel"),
    BAD(bp_net_load, "empty path", load_empty_path, BP_EIO, NULL),
    BAD(bp_net_load, "missing file", load_missing, BP_EIO, "missing"),
    BAD(bp_net_load, "a directory", load_dir, BP_EIO, NULL),
    BAD(bp_net_load, "an optimizer file", load_optimizer_file, BP_EFORMAT, NULL),

    BAD(bp_net_load_memory, "NULL out", load_memory_null_out, BP_EINVAL, "out"),
    BAD(bp_net_load_memory, "NULL data", load_memory_null_data, BP_EINVAL, "data"),
    BAD(bp_net_load_memory, "NULL data of SIZE_MAX bytes", load_memory_null_data_size_max,
        BP_EINVAL, "data"),
    BAD(bp_net_load_memory, "NULL data of 0 bytes", load_memory_nothing, BP_EFORMAT, "<memory>"),
    BAD(bp_net_load_memory, "0 bytes", load_memory_empty, BP_EFORMAT, "<memory>"),
    BAD(bp_net_load_memory, "one byte short", load_memory_truncated, BP_EFORMAT, NULL),
    BAD(bp_net_load_memory, "kernels 3", load_memory_kernels_3, BP_EINVAL, "kernel"),
    BAD(bp_net_load_memory, "an optimizer file", load_memory_optimizer_file, BP_EFORMAT, NULL),

    BAD(bp_blas_set_threads, "0", threads_zero, BP_EINVAL, "0"),
    BAD(bp_blas_set_threads, "-1", threads_negative, BP_EINVAL, "-1"),
    BAD(bp_blas_set_threads, "-3", threads_minus_3, BP_EINVAL, "-3"),
    BAD(bp_blas_set_threads, "INT_MIN", threads_int_min, BP_EINVAL, NULL),
    CASE(bp_blas_set_threads, "1, then reported", NULL, threads_one, BP_OK, NULL, KEEP_ALL),
    DOC(bp_blas_threads, "at least 1", threads_positive),
    DOC(bp_blas_core, "a name", core_named),

    DOC(bp_kernels_available, "0 for kernels 3", kernels_3_unavailable),
    DOC(bp_kernels_name, "NULL for kernels 3", kernels_3_unnamed),
    DOC(bp_kernels_core, "unknown for kernels 3", kernels_3_core_unknown),
    BAD(bp_net_set_kernels, "NULL net", set_kernels_null, BP_EINVAL, "net"),
    BAD(bp_net_set_kernels, "kernels 3", set_kernels_3, BP_EINVAL, "kernel"),
    DOC(bp_net_kernels, "openblas for NULL", net_kernels_null),
    BAD(bp_plan_measure, "NULL net", plan_measure_null_net, BP_EINVAL, "net"),
    BAD(bp_plan_measure, "NULL out", plan_measure_null_out, BP_EINVAL, "out"),
    BAD(bp_plan_measure, "batch 0", plan_measure_batch_0, BP_EINVAL, "batch"),
    BAD(bp_plan_measure, "budget -0.5", plan_measure_budget_negative, BP_EINVAL, "budget"),
    BAD(bp_plan_parse, "NULL spec", plan_parse_null_spec, BP_EINVAL, "spec"),
    BAD(bp_plan_parse, "mkl:1x1", plan_parse_unknown_set, BP_EINVAL, "kernel set"),
    BAD(bp_plan_parse, "openblas:2x2", plan_parse_two_by_two, BP_EINVAL, "one BLAS thread"),
    BAD(bp_plan_format, "NULL plan", plan_format_null_plan, BP_EINVAL, "plan"),
    BAD(bp_plan_format, "4 bytes", plan_format_small, BP_ERANGE, "buffer"),
    BAD(bp_plan_apply, "NULL net", plan_apply_null_net, BP_EINVAL, "net"),
    BAD(bp_plan_apply, "0 workers", plan_apply_zero_workers, BP_EINVAL, "0 workers"),
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

/* ---- the runner ---- */

/* The state a failed call must leave as it was. */
typedef struct snapshot {
    float *params, *grads;
    size_t count, max_batch, files, opt_bytes;
    bp_loss loss;
    bp_inference inference;
    uint64_t steps;
    bp_optimizer_config config;
    caller c;
} snapshot;

static size_t files_in_scratch(void) {
    char names[16][64];
    return list_scratch(names, 16);
}

static void take(const fixture *f, snapshot *s) {
    float *p, *g;
    cr_assert_eq(bp_net_params(f->net, &p, &s->count), BP_OK);
    cr_assert_eq(bp_net_grads(f->net, &g, NULL), BP_OK);
    s->params = malloc(s->count * sizeof *p);
    s->grads = malloc(s->count * sizeof *g);
    cr_assert(s->params && s->grads);
    memcpy(s->params, p, s->count * sizeof *p);
    memcpy(s->grads, g, s->count * sizeof *g);
    s->max_batch = bp_net_max_batch(f->net);
    s->loss = bp_net_loss(f->net);
    s->inference = bp_net_inference(f->net);
    s->steps = bp_optimizer_steps(f->opt);
    s->opt_bytes = bp_optimizer_memory_bytes(f->opt);
    memcpy(&s->config, bp_optimizer_get_config(f->opt), sizeof s->config);
    s->files = files_in_scratch();
    memcpy(&s->c, &f->c, sizeof s->c);
}

/* Expects what k->keep promises, naming the case in every failure. */
static void expect_kept(const bad_case *k, const fixture *f, const snapshot *s) {
    float *p, *g;
    cr_assert_eq(bp_net_params(f->net, &p, NULL), BP_OK);
    cr_assert_eq(bp_net_grads(f->net, &g, NULL), BP_OK);
    const char *fn = k->function, *what = k->what;
    cr_expect(memcmp(p, s->params, s->count * sizeof *p) == 0, "%s (%s): parameters changed", fn,
              what);
    cr_expect_eq(bp_optimizer_steps(f->opt), s->steps, "%s (%s): the optimizer stepped", fn, what);
    cr_expect(memcmp(bp_optimizer_get_config(f->opt), &s->config, sizeof s->config) == 0 &&
                  bp_optimizer_memory_bytes(f->opt) == s->opt_bytes,
              "%s (%s): the optimizer's config or state changed", fn, what);
    cr_expect_eq(bp_net_loss(f->net), s->loss, "%s (%s): the loss changed", fn, what);
    cr_expect_eq(bp_net_inference(f->net), s->inference, "%s (%s): the inference mode changed", fn,
                 what);
    cr_expect(memcmp(&f->c, &s->c, sizeof s->c) == 0, "%s (%s): the caller's memory was written",
              fn, what);
    cr_expect_eq(files_in_scratch(), s->files, "%s (%s): a file was left behind", fn, what);
    if (k->keep == KEEP_ALL) {
        cr_expect(memcmp(g, s->grads, s->count * sizeof *g) == 0, "%s (%s): gradients changed", fn,
                  what);
        cr_expect_eq(bp_net_max_batch(f->net), s->max_batch, "%s (%s): the reserve changed", fn,
                     what);
    }
}

/* The network still trains on a full batch after the failed call (unless
 * the case itself put a NaN or Inf into its parameters). */
static void expect_usable(const bad_case *k, fixture *f) {
    float cost = NAN, *p;
    size_t count;
    cr_assert_eq(bp_net_params(f->net, &p, &count), BP_OK);
    bool finite_params = true;
    for (size_t i = 0; i < count; i++)
        finite_params = finite_params && isfinite(p[i]);
    const int rc = bp_net_gradient(f->net, good_inputs[0], good_targets[0], MAX_BATCH, &cost);
    if (!finite_params)
        return;
    cr_expect(rc == BP_OK && isfinite(cost), "%s (%s): the network is unusable: %s", k->function,
              k->what, bp_errmsg());
    cr_expect_eq(bp_optimizer_step(f->opt, f->net), BP_OK, "%s (%s): %s", k->function, k->what,
                 bp_errmsg());
}

/* A failure message from another function, so that a case whose call sets
 * no message of its own is caught. */
static void prime_errmsg(const char *function) {
    if (strcmp(function, "bp_net_step") != 0)
        bp_net_step(NULL, 1.0f);
    else
        bp_blas_set_threads(0);
}

static void run_case(const bad_case *k) {
    fixture f;
    make_fixture(&f);
    if (k->prepare)
        k->prepare(&f);
    snapshot s;
    take(&f, &s);
    prime_errmsg(k->function);
    char primed[512];
    snprintf(primed, sizeof primed, "%s", bp_errmsg());

    const int got = k->call(&f);
    const char *msg = bp_errmsg();
    cr_expect_eq(got, k->expect, "%s (%s): returned %s (%d), documented %s (%d); bp_errmsg: \"%s\"",
                 k->function, k->what, bp_err_name(got), got, bp_err_name(k->expect), k->expect,
                 msg);
    if (k->expect < 0) {
        const size_t len = strlen(k->function);
        cr_expect(strncmp(msg, k->function, len) == 0 && msg[len] == ':',
                  "%s (%s): message \"%s\" does not name the function", k->function, k->what, msg);
        if (k->says)
            cr_expect(strstr(msg, k->says) != NULL, "%s (%s): message \"%s\" lacks \"%s\"",
                      k->function, k->what, msg, k->says);
    } else if (k->expect == BP_OK) {
        cr_expect_str_eq(msg, primed, "%s (%s): a successful call changed bp_errmsg()", k->function,
                         k->what);
    }
    if (k->keep != KEEP_NONE) {
        expect_kept(k, &f, &s);
        expect_usable(k, &f);
    }
    free(s.params);
    free(s.grads);
    free_fixture(&f);
}

/* Writes the files the cases read, and names the ones they must not find. */
static void make_files(void) {
    make_scratch("bp_bad_args");
    path_in_scratch(model_path, sizeof model_path, "model.bp");
    path_in_scratch(optim_path, sizeof optim_path, "optim.bp");
    path_in_scratch(optim_other_path, sizeof optim_other_path, "optim_other.bp");
    path_in_scratch(images_path, sizeof images_path, "images.idx");
    path_in_scratch(labels_path, sizeof labels_path, "labels.idx");
    path_in_scratch(labels3_path, sizeof labels3_path, "labels3.idx");
    path_in_scratch(csv_path, sizeof csv_path, "data.csv");
    path_in_scratch(missing_path, sizeof missing_path, "missing");
    path_in_scratch(out_path, sizeof out_path, "out.bp");
    path_in_scratch(no_dir_path, sizeof no_dir_path, "no_such_dir/out.bp");
    path_in_scratch(dir_path, sizeof dir_path, "dir");
    cr_assert_eq(mkdir(dir_path, 0755), 0);
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';

    fixture f;
    make_fixture(&f);
    cr_assert_eq(bp_net_save(f.net, model_path), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_save(f.opt, optim_path), BP_OK, "%s", bp_errmsg());
    free_fixture(&f);
    const size_t other_sizes[] = {2, 2};
    bp_net *other = NULL;
    bp_optimizer *opt = NULL;
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    cr_assert_eq(bp_net_create(&other, 1, other_sizes, identity, BP_KERNELS_NAIVE, 1), BP_OK);
    cr_assert_eq(bp_optimizer_create(&opt, other, &config), BP_OK);
    cr_assert_eq(bp_optimizer_save(opt, optim_other_path), BP_OK, "%s", bp_errmsg());
    bp_optimizer_destroy(opt);
    bp_net_destroy(other);

    /* IDX: big-endian magic 0x0000080d (unsigned bytes, d dimensions), then
     * the dimensions, then the bytes. 4 images of 3 pixels; 4 and 3 labels. */
    const unsigned char images[] = {0, 0, 8, 2, 0, 0, 0, 4, 0, 0,  0,  3,
                                    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const unsigned char labels[] = {0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 1, 0};
    const unsigned char labels3[] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 1};
    write_file(images_path, images, sizeof images);
    write_file(labels_path, labels, sizeof labels);
    write_file(labels3_path, labels3, sizeof labels3);
    write_file(csv_path, (const unsigned char *)csv_text, sizeof csv_text - 1);
    model_blob.data = read_file(model_path, &model_blob.size);
    optim_blob.data = read_file(optim_path, &optim_blob.size);
    optim_other_blob.data = read_file(optim_other_path, &optim_other_blob.size);
    images_blob.data = read_file(images_path, &images_blob.size);
    labels_blob.data = read_file(labels_path, &labels_blob.size);
    labels3_blob.data = read_file(labels3_path, &labels3_blob.size);

    /* The files made are valid: a failing case fails for its argument alone. */
    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(&net, model_path, BP_KERNELS_NAIVE), BP_OK, "%s", bp_errmsg());
    bp_net_destroy(net);
    bp_dataset d;
    cr_assert_eq(bp_dataset_load_idx(&d, images_path, labels_path), BP_OK, "%s", bp_errmsg());
    bp_dataset_free(&d);
    cr_assert_eq(bp_dataset_load_csv(&d, csv_path, 3), BP_OK, "%s", bp_errmsg());
    bp_dataset_free(&d);
}

/* Frees what make_files made, in the worker that made it. */
static void remove_files(void) {
    remove_scratch();
    blob *blobs[] = {&model_blob,  &optim_blob,  &optim_other_blob,
                     &images_blob, &labels_blob, &labels3_blob};
    for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++)
        free(blobs[i]->data);
}

/* One test per case: Criterion runs each in a worker process of its own, so
 * that a case that crashes, hangs (it times out after 30 s) or fails an
 * assertion hides none of the others. A worker gets a copy of its
 * parameter's bytes in a process whose addresses differ from the runner's
 * (Criterion starts the program anew), so the parameter is the case's
 * index, not a pointer. Each worker makes its own files, fixture and
 * scratch directory. */
static size_t case_index[N_CASES];

ParameterizedTestParameters(bad_args, each_gets_its_documented_code) {
    for (size_t i = 0; i < N_CASES; i++)
        case_index[i] = i;
    return cr_make_param_array(size_t, case_index, N_CASES);
}

ParameterizedTest(const size_t *index, bad_args, each_gets_its_documented_code, .init = make_files,
                  .fini = remove_files, .timeout = 30) {
    cr_assert_lt(*index, N_CASES);
    const bad_case *k = &cases[*index];
    /* Names the case before anything can crash (shown with --verbose, which
     * tests/meson.build passes), for the report of a crash. */
    cr_log_info("case %zu: %s (%s)", *index, k->function, k->what);
    run_case(k);
}

/* ---- completeness ---- */

/* The names of the BP_API functions declared in the header at `path`: for
 * each line that begins with BP_API, the identifier before the next '('. */
static size_t public_functions(const char *path, char names[][64], size_t capacity) {
    FILE *file = fopen(path, "r");
    cr_assert_not_null(file, "cannot open the header %s", path);
    static char text[1 << 17];
    const size_t n = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    cr_assert(n < sizeof text - 1, "the header outgrew the buffer");
    text[n] = '\0';
    size_t count = 0;
    for (const char *p = text; (p = strstr(p, "BP_API")) != NULL; p += 6) {
        if (p != text && p[-1] != '\n')
            continue; /* "#define BP_API" and mentions in comments */
        const char *paren = strchr(p, '(');
        cr_assert_not_null(paren);
        const char *end = paren;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        const char *start = end;
        while (start > p && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
            start--;
        cr_assert(end > start && count < capacity);
        snprintf(names[count++], 64, "%.*s", (int)(end - start), start);
    }
    return count;
}

Test(bad_args, table_covers_every_public_function) {
    const char *header = getenv("BP_HEADER");
    cr_assert_not_null(header, "BP_HEADER must name include/backprop.h (set by meson)");
    static char names[256][64];
    const size_t n = public_functions(header, names, 256);
    cr_assert_geq(n, 50, "found only %zu BP_API functions in %s", n, header);
    for (size_t i = 0; i < n; i++) {
        size_t found = 0;
        for (size_t j = 0; j < N_CASES; j++)
            found += strcmp(cases[j].function, names[i]) == 0;
        cr_expect(found > 0, "%s has no bad-argument case in tests/test_bad_args.c", names[i]);
    }
    /* And no case names a function the header lacks (a typo, or one removed). */
    for (size_t j = 0; j < N_CASES; j++) {
        bool declared = false;
        for (size_t i = 0; i < n && !declared; i++)
            declared = strcmp(cases[j].function, names[i]) == 0;
        cr_expect(declared, "case \"%s (%s)\" names no BP_API function", cases[j].function,
                  cases[j].what);
    }
}
