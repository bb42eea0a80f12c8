/* The header and the library built from it agree at run time (version, the
 * size of every public struct), and the library keeps the ABI policy of
 * include/backprop.h: the structs keep their size, their reserved space is
 * last, the library refuses a caller's struct whose reserved space is not
 * zero, and writes zeros into the reserved space of the structs it fills. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <backprop.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- version ---- */

Test(version, number_is_the_headers) {
    cr_assert_eq(bp_version_number(), BP_VERSION_NUMBER, "library %u, header %u",
                 bp_version_number(), (unsigned)BP_VERSION_NUMBER);
}

Test(version, string_is_the_headers_three_numbers) {
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", BP_VERSION_MAJOR, BP_VERSION_MINOR,
             BP_VERSION_PATCH);
    cr_assert_str_eq(bp_version(), expected);
}

/* ---- layouts ---- */

/* One public struct as this test sees it through the header. lp64 is its
 * size on LP64 Linux (x86-64, AArch64) since 0.2.0, which the policy
 * forbids to change within SONAME 0. */
typedef struct layout {
    bp_struct_id id;
    const char *name;
    size_t size;
    size_t reserved_offset, reserved_bytes; /* 0, 0 for a struct without */
    size_t lp64;
} layout;

#define RESERVED(id, type, lp64)                                                                   \
    { id, #type, sizeof(type), offsetof(type, reserved), sizeof(((type *)0)->reserved), lp64 }
#define NO_RESERVED(id, type, lp64)                                                                \
    { id, #type, sizeof(type), 0, 0, lp64 }

static const layout layouts[] = {
    RESERVED(BP_STRUCT_LAYER, bp_layer, 88),
    NO_RESERVED(BP_STRUCT_GRADIENT_HOOK, bp_gradient_hook, 24),
    RESERVED(BP_STRUCT_OPTIMIZER_CONFIG, bp_optimizer_config, 120),
    RESERVED(BP_STRUCT_DATASET, bp_dataset, 128),
    RESERVED(BP_STRUCT_CSV_OPTIONS, bp_csv_options, 136),
    RESERVED(BP_STRUCT_SCALER, bp_scaler, 64),
    NO_RESERVED(BP_STRUCT_BATCH_REPORT, bp_batch_report, 56),
    NO_RESERVED(BP_STRUCT_EPOCH_REPORT, bp_epoch_report, 56),
    RESERVED(BP_STRUCT_COLLECTIVE, bp_collective, 72),
    RESERVED(BP_STRUCT_TRAIN_OPTIONS, bp_train_options, 136),
    RESERVED(BP_STRUCT_REGRESSION_METRICS, bp_regression_metrics, 56),
    RESERVED(BP_STRUCT_PARALLELISM, bp_parallelism, 56),
    RESERVED(BP_STRUCT_PREPROCESSING, bp_preprocessing, 184),
    RESERVED(BP_STRUCT_SCHEMA, bp_schema, 64),
    RESERVED(BP_STRUCT_PLAN, bp_plan, 72),
};
enum { STRUCTS = sizeof layouts / sizeof layouts[0] };

Test(layout, every_struct_has_the_size_the_library_reports) {
    for (size_t i = 0; i < STRUCTS; i++)
        cr_expect_eq(bp_struct_size(layouts[i].id), layouts[i].size,
                     "%s: the library says %zu bytes, this header %zu", layouts[i].name,
                     bp_struct_size(layouts[i].id), layouts[i].size);
}

/* The ids run 1 .. STRUCTS with none missing here, so a struct added to
 * the library without a line above fails. */
Test(layout, the_table_names_every_struct_the_library_knows) {
    for (size_t i = 0; i < STRUCTS; i++)
        cr_expect_eq((size_t)layouts[i].id, i + 1, "%s", layouts[i].name);
    cr_expect_eq(bp_struct_size((bp_struct_id)(STRUCTS + 1)), 0,
                 "the library knows a struct id %d this test lacks", STRUCTS + 1);
}

/* Reserved space ends the struct, so that a field taken from it keeps every
 * other offset and the size. */
Test(layout, reserved_space_is_last_and_whole_words) {
    for (size_t i = 0; i < STRUCTS; i++) {
        const layout *l = &layouts[i];
        if (l->reserved_bytes == 0)
            continue;
        cr_expect_eq(l->reserved_offset + l->reserved_bytes, l->size,
                     "%s: reserved ends at %zu of %zu bytes", l->name,
                     l->reserved_offset + l->reserved_bytes, l->size);
        cr_expect_eq(l->reserved_bytes % sizeof(uint64_t), 0, "%s", l->name);
        cr_expect_geq(l->reserved_bytes, 4 * sizeof(uint64_t), "%s", l->name);
    }
}

Test(layout, sizes_are_those_of_soname_0) {
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
    for (size_t i = 0; i < STRUCTS; i++)
        cr_expect_eq(layouts[i].size, layouts[i].lp64,
                     "%s is %zu bytes; libbackprop.so.0 made it %zu: a change of size needs the "
                     "next SOVERSION (include/backprop.h, ABI policy)",
                     layouts[i].name, layouts[i].size, layouts[i].lp64);
#else
    cr_skip_test("the pinned sizes are those of LP64 Linux");
#endif
}

/* ---- the reserved space of a caller's struct must be zero ---- */

enum { IN = 3, OUT = 2, COUNT = 4 };

/* Everything the calls below need, valid: each case spoils one word. */
typedef struct fixture {
    bp_net *net;
    bp_optimizer *opt;
    float inputs[COUNT][IN];
    uint32_t labels[COUNT];
    float targets[COUNT][OUT];
    float batch_inputs[COUNT][IN], batch_targets[COUNT][OUT];
    float offset[IN], scale[IN];
    bp_optimizer_config config;
    bp_train_options options;
    bp_collective collective;
    bp_dataset data, test, regression;
    bp_scaler scaler, target_scaler;
    bp_preprocessing preprocessing;
    bp_schema schema;
    bp_csv_options csv;
} fixture;

static void make(fixture *f) {
    memset(f, 0, sizeof *f);
    const size_t sizes[] = {IN, 4, OUT};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_IDENTITY};
    cr_assert_eq(bp_net_create(&f->net, 2, sizes, acts, BP_KERNELS_NAIVE, 1), BP_OK);
    bp_optimizer_config_default(&f->config, BP_OPT_SGD);
    cr_assert_eq(bp_optimizer_create(&f->opt, f->net, &f->config), BP_OK);
    for (size_t i = 0; i < COUNT; i++) {
        for (size_t j = 0; j < IN; j++)
            f->inputs[i][j] = (float)(i + j) / 4.0f;
        f->labels[i] = (uint32_t)(i % OUT);
        f->targets[i][0] = (float)i;
        f->targets[i][1] = -(float)i;
    }
    for (size_t j = 0; j < IN; j++) {
        f->offset[j] = 0.5f;
        f->scale[j] = 2.0f;
    }
    bp_train_options_default(&f->options);
    f->options.epochs = 1;
    f->options.batch_size = 2;
    f->collective = (bp_collective){.rank = 0, .size = 1, .sum = NULL};
    f->data = (bp_dataset){.count = COUNT,
                           .features = IN,
                           .classes = OUT,
                           .inputs = &f->inputs[0][0],
                           .labels = f->labels};
    f->test = f->data;
    f->regression = (bp_dataset){.count = COUNT,
                                 .features = IN,
                                 .outputs = OUT,
                                 .inputs = &f->inputs[0][0],
                                 .targets = &f->targets[0][0]};
    f->scaler = (bp_scaler){
        .kind = BP_SCALE_STANDARDIZE, .columns = IN, .offset = f->offset, .scale = f->scale};
    f->target_scaler = (bp_scaler){
        .kind = BP_SCALE_STANDARDIZE, .columns = OUT, .offset = f->offset, .scale = f->scale};
    f->preprocessing = (bp_preprocessing){.task = BP_TASK_CLASSIFICATION, .inputs = f->scaler};
    bp_csv_options_default(&f->csv);
}

static void unmake(fixture *f) {
    bp_optimizer_destroy(f->opt);
    bp_net_destroy(f->net);
}

static int sum_alone(double *values, size_t count, void *user) {
    (void)values, (void)count, (void)user;
    return 0;
}

static const char csv_text[] = "label,x\n0,1\n1,2\n";

static int call_optimizer_create(fixture *f) {
    bp_optimizer *opt = NULL;
    const int rc = bp_optimizer_create(&opt, f->net, &f->config);
    bp_optimizer_destroy(opt);
    return rc;
}
static int call_train(fixture *f) { return bp_train(f->net, f->opt, &f->data, NULL, &f->options); }
static int call_train_collective(fixture *f) {
    f->collective.sum = sum_alone;
    f->options.collective = &f->collective;
    return bp_train(f->net, f->opt, &f->data, NULL, &f->options);
}
static int call_train_test_set(fixture *f) {
    return bp_train(f->net, f->opt, &f->data, &f->test, &f->options);
}
static int call_evaluate(fixture *f) { return bp_evaluate(f->net, &f->data, NULL, NULL); }
static int call_evaluate_regression(fixture *f) {
    bp_regression_metrics m;
    return bp_evaluate_regression(f->net, &f->regression, NULL, &m);
}
static int call_evaluate_regression_scaler(fixture *f) {
    bp_regression_metrics m;
    return bp_evaluate_regression(f->net, &f->regression, &f->target_scaler, &m);
}
static int call_batch(fixture *f) {
    return bp_dataset_batch(&f->data, NULL, 0, 2, &f->batch_inputs[0][0], &f->batch_targets[0][0]);
}
static int call_fit_scaling(fixture *f) {
    float offset, scale;
    return bp_dataset_fit_scaling(&f->data, BP_SCALE_MINMAX, &offset, &scale);
}
static int call_scale(fixture *f) {
    /* A copy of the inputs, so that a wrongly accepted call harms nothing. */
    float copy[COUNT][IN];
    memcpy(copy, f->inputs, sizeof copy);
    bp_dataset d = f->data;
    d.inputs = &copy[0][0];
    return bp_dataset_scale(&d, 0.0f, 1.0f);
}
static int call_scaler_transform(fixture *f) {
    return bp_scaler_transform(&f->scaler, &f->batch_inputs[0][0], COUNT);
}
static int call_scaler_inverse(fixture *f) {
    return bp_scaler_inverse(&f->scaler, &f->batch_inputs[0][0], COUNT);
}
static int call_set_preprocessing(fixture *f) {
    return bp_net_set_preprocessing(f->net, &f->preprocessing);
}
static int call_set_schema(fixture *f) {
    cr_assert_eq(bp_net_set_preprocessing(f->net, &f->preprocessing), BP_OK);
    return bp_net_set_schema(f->net, &f->schema);
}
static int call_load_csv(fixture *f) {
    bp_dataset d;
    const int rc = bp_dataset_load_csv_memory_with(&d, csv_text, sizeof csv_text - 1, &f->csv);
    bp_dataset_free(&d);
    return rc;
}
static int call_csv_reader(fixture *f) {
    char path[] = "/tmp/bp_test_abi_XXXXXX";
    const int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, csv_text, sizeof csv_text - 1), (ssize_t)(sizeof csv_text - 1));
    close(fd);
    bp_csv_reader *reader = NULL;
    f->csv.features_only = 1;
    const int rc = bp_csv_reader_open(&reader, path, &f->csv);
    bp_csv_reader_close(reader);
    unlink(path);
    return rc;
}

/* The fixture's structs a case may spoil. */
enum spoiled {
    CONFIG,
    OPTIONS,
    COLLECTIVE,
    DATA,
    TEST,
    REGRESSION,
    SCALER,
    TARGET_SCALER,
    PREPROCESSING,
    PREPROCESSING_INPUTS,
    PREPROCESSING_TARGETS,
    SCHEMA,
    CSV
};

/* A reserved word of the struct `which`: the first or the last (every word
 * is checked). */
static uint64_t *word(fixture *f, enum spoiled which, int last) {
    uint64_t *w = NULL;
    size_t n = 0;
#define WORDS(s) (w = (s).reserved, n = sizeof(s).reserved / sizeof(s).reserved[0])
    switch (which) {
    case CONFIG:
        WORDS(f->config);
        break;
    case OPTIONS:
        WORDS(f->options);
        break;
    case COLLECTIVE:
        WORDS(f->collective);
        break;
    case DATA:
        WORDS(f->data);
        break;
    case TEST:
        WORDS(f->test);
        break;
    case REGRESSION:
        WORDS(f->regression);
        break;
    case SCALER:
        WORDS(f->scaler);
        break;
    case TARGET_SCALER:
        WORDS(f->target_scaler);
        break;
    case PREPROCESSING:
        WORDS(f->preprocessing);
        break;
    case PREPROCESSING_INPUTS:
        WORDS(f->preprocessing.inputs);
        break;
    case PREPROCESSING_TARGETS:
        WORDS(f->preprocessing.targets);
        break;
    case SCHEMA:
        WORDS(f->schema);
        break;
    case CSV:
        WORDS(f->csv);
        break;
    }
#undef WORDS
    cr_assert_not_null(w);
    return last ? &w[n - 1] : &w[0];
}

typedef struct reserved_case {
    const char *function;
    int (*call)(fixture *f);
    enum spoiled which;
    const char *names; /* what the message must name, with the word's index after it */
} reserved_case;

static const reserved_case reserved_cases[] = {
    {"bp_optimizer_create", call_optimizer_create, CONFIG, "config->reserved"},
    {"bp_train", call_train, OPTIONS, "options->reserved"},
    {"bp_train", call_train_collective, COLLECTIVE, "options->collective->reserved"},
    {"bp_train", call_train, DATA, "the training set's reserved"},
    {"bp_train", call_train_test_set, TEST, "the test set's reserved"},
    {"bp_evaluate", call_evaluate, DATA, "the data set's reserved"},
    {"bp_evaluate_regression", call_evaluate_regression, REGRESSION, "data->reserved"},
    {"bp_evaluate_regression", call_evaluate_regression_scaler, TARGET_SCALER,
     "target_scaler->reserved"},
    {"bp_dataset_batch", call_batch, DATA, "data->reserved"},
    {"bp_dataset_fit_scaling", call_fit_scaling, DATA, "data->reserved"},
    {"bp_dataset_scale", call_scale, DATA, "data->reserved"},
    {"bp_scaler_transform", call_scaler_transform, SCALER, "s->reserved"},
    {"bp_scaler_inverse", call_scaler_inverse, SCALER, "s->reserved"},
    {"bp_net_set_preprocessing", call_set_preprocessing, PREPROCESSING, "preprocessing->reserved"},
    {"bp_net_set_preprocessing", call_set_preprocessing, PREPROCESSING_INPUTS,
     "preprocessing->inputs.reserved"},
    {"bp_net_set_preprocessing", call_set_preprocessing, PREPROCESSING_TARGETS,
     "preprocessing->targets.reserved"},
    {"bp_net_set_schema", call_set_schema, SCHEMA, "schema->reserved"},
    {"bp_dataset_load_csv_memory_with", call_load_csv, CSV, "options->reserved"},
    {"bp_csv_reader_open", call_csv_reader, CSV, "options->reserved"},
};
enum { RESERVED_CASES = sizeof reserved_cases / sizeof reserved_cases[0] };

/* Each case twice: its first word spoiled, then its last. */
ParameterizedTestParameters(reserved, nonzero_is_refused) {
    static int index[2 * RESERVED_CASES];
    for (int i = 0; i < 2 * RESERVED_CASES; i++)
        index[i] = i;
    return cr_make_param_array(int, index, 2 * RESERVED_CASES);
}

ParameterizedTest(int *index, reserved, nonzero_is_refused) {
    const reserved_case *c = &reserved_cases[*index / 2];
    const int last = *index % 2;
    static fixture f;
    make(&f);
    /* The valid call succeeds; the same with one word set fails. */
    cr_assert_eq(c->call(&f), BP_OK, "%s (%s zero): %s", c->function, c->names, bp_errmsg());
    unmake(&f);
    make(&f);
    uint64_t *w = word(&f, c->which, last);
    *w = 1;
    cr_assert_eq(c->call(&f), BP_EINVAL, "%s accepted %s set", c->function, c->names);
    char expected[256];
    snprintf(expected, sizeof expected, "%s: %s[%td] is 0x1, not 0", c->function, c->names,
             w - word(&f, c->which, 0));
    cr_expect(strstr(bp_errmsg(), expected), "expected \"%s\" in \"%s\"", expected, bp_errmsg());
    unmake(&f);
}

/* ---- the library zeroes the reserved space of what it fills ---- */

#define SPOILED(s) memset(&(s), 0xA5, sizeof(s))
#define RESERVED_IS_ZERO(s)                                                                        \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < sizeof(s).reserved / sizeof(s).reserved[0]; i_++)                 \
            cr_expect_eq((s).reserved[i_], 0, #s ".reserved[%zu] is 0x%llx", i_,                   \
                         (unsigned long long)(s).reserved[i_]);                                    \
    } while (0)

Test(reserved, defaults_zero_it) {
    bp_optimizer_config config;
    bp_train_options options;
    bp_csv_options csv;
    SPOILED(config);
    SPOILED(options);
    SPOILED(csv);
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_train_options_default(&options);
    bp_csv_options_default(&csv);
    RESERVED_IS_ZERO(config);
    RESERVED_IS_ZERO(options);
    RESERVED_IS_ZERO(csv);
}

Test(reserved, the_library_writes_zeros_into_what_it_fills) {
    static fixture f;
    make(&f);
    bp_layer layer;
    bp_parallelism parallelism;
    bp_regression_metrics metrics;
    bp_dataset loaded, mapped;
    bp_scaler fitted;
    SPOILED(layer);
    SPOILED(parallelism);
    SPOILED(metrics);
    SPOILED(loaded);
    SPOILED(mapped);
    SPOILED(fitted);
    cr_assert_eq(bp_net_layer(f.net, 1, &layer), BP_OK);
    cr_assert_eq(bp_parallelism_auto(f.net, 8, 2, &parallelism), BP_OK);
    bp_plan parsed, measured;
    SPOILED(parsed);
    SPOILED(measured);
    cr_assert_eq(bp_plan_parse("openblas:2x1", f.net, 8, 2, &parsed), BP_OK);
    cr_assert_eq(bp_plan_measure(f.net, NULL, 8, 2, 0.02, &measured), BP_OK);
    RESERVED_IS_ZERO(parsed);
    RESERVED_IS_ZERO(measured);
    cr_assert_eq(bp_evaluate_regression(f.net, &f.regression, NULL, &metrics), BP_OK);
    cr_assert_eq(bp_dataset_load_csv_memory(&loaded, csv_text, sizeof csv_text - 1, 0), BP_OK);
    const char *labels[] = {"b", "a"};
    cr_assert_eq(bp_labels_map(&mapped, labels, 2, 0), BP_OK);
    cr_assert_eq(bp_scaler_fit(&fitted, BP_SCALE_MINMAX, &f.inputs[0][0], COUNT, IN), BP_OK);
    RESERVED_IS_ZERO(layer);
    RESERVED_IS_ZERO(parallelism);
    RESERVED_IS_ZERO(metrics);
    RESERVED_IS_ZERO(loaded);
    RESERVED_IS_ZERO(mapped);
    RESERVED_IS_ZERO(fitted);
    bp_dataset_free(&loaded);
    bp_dataset_free(&mapped);
    bp_scaler_free(&fitted);
    /* The library's own copies, lent by pointer. */
    cr_assert_eq(bp_net_set_preprocessing(f.net, &f.preprocessing), BP_OK);
    RESERVED_IS_ZERO(*bp_net_preprocessing(f.net));
    RESERVED_IS_ZERO(bp_net_preprocessing(f.net)->inputs);
    RESERVED_IS_ZERO(*bp_optimizer_get_config(f.opt));
    unmake(&f);
}
