/*
 * test_optim_file.c - optimizer files: training that stops, saves, loads
 * into a fresh optimizer and goes on ends bit for bit where uninterrupted
 * training ends, for SGD, momentum, Nesterov and Adam; a file written here
 * from docs/model-format.md restores the state it holds; damaged, crafted
 * or mismatched files are rejected and leave the optimizer as it was.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "file_helpers.h"
#include "reference.h"

/* Each test's scratch directory is /tmp/bp_test_optim_XXXXXX. */
static void make_optim_scratch(void) { make_scratch("bp_test_optim"); }

/* Every test gets its scratch directory, removed even when the test fails. */
TestSuite(optim_file, .init = make_optim_scratch, .fini = remove_scratch);

/* ---- training ---- */

/* 4-6-3, tanh then sigmoid: 4*6+6 + 6*3+3 = 51 parameters. */
static const size_t sizes[] = {4, 6, 3};
static const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
#define N_PARAMS 51
#define BATCH 5

/* The naive kernels: the same operations in the same order every run. */
static bp_net *make_net(void) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_NAIVE, 11), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_reserve(net, BATCH), BP_OK);
    return net;
}

static bp_optimizer *make_opt(const bp_net *net, const bp_optimizer_config *config) {
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, config), BP_OK, "%s", bp_errmsg());
    return opt;
}

/* Batch number `step`: its own deterministic inputs and targets. */
static void batch(uint32_t step, float *x, float *y) {
    ref_fill_uniform(x, BATCH * 4, 2 * (uint64_t)step, -1.0f, 1.0f);
    ref_fill_uniform(y, BATCH * 3, 2 * (uint64_t)step + 1, 0.0f, 1.0f);
}

/* Steps first .. last - 1. */
static void train(bp_net *net, bp_optimizer *opt, uint32_t first, uint32_t last) {
    float x[BATCH * 4], y[BATCH * 3];
    for (uint32_t s = first; s < last; s++) {
        batch(s, x, y);
        cr_assert_eq(bp_net_gradient(net, x, y, BATCH, NULL), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(bp_optimizer_step(opt, net), BP_OK, "%s", bp_errmsg());
    }
}

static void copy_params(bp_net *net, float *out) {
    float *p;
    size_t n;
    cr_assert_eq(bp_net_params(net, &p, &n), BP_OK);
    cr_assert_eq(n, N_PARAMS);
    memcpy(out, p, sizeof(float) * N_PARAMS);
}

static void set_params(bp_net *net, const float *in) {
    float *p;
    cr_assert_eq(bp_net_params(net, &p, NULL), BP_OK);
    memcpy(p, in, sizeof(float) * N_PARAMS);
}

static void assert_config_eq(const bp_optimizer_config *a, const bp_optimizer_config *b,
                             const char *what) {
    cr_assert_eq(a->kind, b->kind, "%s: kind", what);
    cr_assert_eq(a->schedule, b->schedule, "%s: schedule", what);
    const float fa[] = {a->learning_rate, a->momentum, a->beta1,       a->beta2,
                        a->epsilon,       a->gamma,    a->weight_decay};
    const float fb[] = {b->learning_rate, b->momentum, b->beta1,       b->beta2,
                        b->epsilon,       b->gamma,    b->weight_decay};
    cr_assert(memcmp(fa, fb, sizeof fa) == 0, "%s: a float field differs", what);
    cr_assert_eq(a->step_size, b->step_size, "%s: step_size", what);
    cr_assert_eq(a->total_steps, b->total_steps, "%s: total_steps", what);
}

/* One configuration per kind, each with a schedule, so that the restored t
 * matters for the rate as well as for Adam's bias corrections. */
static bp_optimizer_config config_for(bp_optimizer_kind kind) {
    bp_optimizer_config c;
    bp_optimizer_config_default(&c, kind);
    switch (kind) {
    case BP_OPT_SGD:
        c.learning_rate = 0.5f;
        c.schedule = BP_SCHEDULE_STEP;
        c.step_size = 3;
        c.gamma = 0.5f;
        c.weight_decay = 0.01f;
        break;
    case BP_OPT_MOMENTUM:
        c.learning_rate = 0.2f;
        c.momentum = 0.8f;
        break;
    case BP_OPT_NESTEROV:
        c.learning_rate = 0.2f;
        c.schedule = BP_SCHEDULE_COSINE;
        c.total_steps = 12;
        break;
    case BP_OPT_ADAM:
        c.learning_rate = 0.01f;
        c.weight_decay = 0.001f;
        c.schedule = BP_SCHEDULE_STEP;
        c.step_size = 4;
        c.gamma = 0.9f;
        break;
    }
    return c;
}

#define STOP 5
#define END 12

/* The parameters after END uninterrupted steps. */
static void uninterrupted(const bp_optimizer_config *c, float *out) {
    bp_net *net = make_net();
    bp_optimizer *opt = make_opt(net, c);
    train(net, opt, 0, END);
    copy_params(net, out);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

static const bp_optimizer_kind kinds[] = {BP_OPT_SGD, BP_OPT_MOMENTUM, BP_OPT_NESTEROV,
                                          BP_OPT_ADAM};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Trains a fresh network with c to STOP, saves the optimizer to path, and
 * throws both away; at_stop gets the parameters, to resume from. */
static void save_at_stop(const bp_optimizer_config *c, const char *path, float *at_stop) {
    bp_net *net = make_net();
    bp_optimizer *opt = make_opt(net, c);
    train(net, opt, 0, STOP);
    cr_assert_eq(bp_optimizer_save(opt, path), BP_OK, "%s", bp_errmsg());
    copy_params(net, at_stop);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* opt, just loaded from what an optimizer of config c saved at STOP, is
 * that optimizer (config and t), and going on from STOP to END on net (at
 * STOP's parameters) ends bit for bit where uninterrupted training ends. */
static void assert_resumes(bp_net *net, bp_optimizer *opt, const bp_optimizer_config *c,
                           const char *what) {
    assert_config_eq(bp_optimizer_get_config(opt), c, what);
    cr_assert_eq(bp_optimizer_steps(opt), STOP, "%s: t", what);
    float reference[N_PARAMS], resumed[N_PARAMS];
    uninterrupted(c, reference);
    train(net, opt, STOP, END);
    copy_params(net, resumed);
    cr_assert(memcmp(resumed, reference, sizeof reference) == 0,
              "%s: resumed training differs from uninterrupted training", what);
}

Test(optim_file, resuming_from_a_file_matches_uninterrupted_training_bitwise) {
    char path[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    for (size_t k = 0; k < N_KINDS; k++) {
        const bp_optimizer_config c = config_for(kinds[k]);
        float at_stop[N_PARAMS];
        save_at_stop(&c, path, at_stop);

        /* A fresh network and optimizers of every kind (so of every state
         * size) with default settings: loading makes each the saved one. */
        for (size_t fresh = 0; fresh < N_KINDS; fresh++) {
            bp_net *net = make_net();
            set_params(net, at_stop);
            bp_optimizer_config other;
            bp_optimizer_config_default(&other, kinds[fresh]);
            bp_optimizer *opt = make_opt(net, &other);
            cr_assert_eq(bp_optimizer_load(opt, path), BP_OK, "%s", bp_errmsg());
            char what[64];
            snprintf(what, sizeof what, "kind %zu loaded into kind %zu", k, fresh);
            size_t state_floats = kinds[k] == BP_OPT_ADAM  ? 2 * N_PARAMS
                                  : kinds[k] == BP_OPT_SGD ? 0
                                                           : N_PARAMS;
            cr_assert_geq(bp_optimizer_memory_bytes(opt), state_floats * sizeof(float), "%s", what);
            assert_resumes(net, opt, &c, what);
            bp_optimizer_destroy(opt);
            bp_net_destroy(net);
        }
    }
}

/* ---- the layout, from the documentation ---- */

typedef struct ospec {
    char magic[8];
    uint32_t version, mark, kind, schedule;
    float floats[7]; /* learning_rate, momentum, beta1, beta2, epsilon, weight_decay, gamma */
    uint64_t step_size, total_steps, steps, n_params, state_count;
    size_t n_state;
    float state[2 * N_PARAMS];
    size_t extra;     /* stray bytes after the CRC */
    uint32_t crc_xor; /* nonzero: a wrong CRC */
} ospec;

/* Momentum over N_PARAMS parameters, t = 7, v_i = 0.01 (i - 25). */
static ospec valid_ospec(void) {
    ospec s = {.magic = {'B', 'P', 'O', 'P', 'T', 'I', 'M', '\0'},
               .version = 1,
               .mark = 0x01020304u,
               .kind = BP_OPT_MOMENTUM,
               .schedule = BP_SCHEDULE_CONSTANT,
               .floats = {0.125f, 0.5f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f},
               .step_size = 1,
               .total_steps = 1,
               .steps = 7,
               .n_params = N_PARAMS,
               .state_count = N_PARAMS,
               .n_state = N_PARAMS};
    for (size_t i = 0; i < N_PARAMS; i++)
        s.state[i] = 0.01f * ((float)i - 25.0f);
    return s;
}

static void obuild(const ospec *s, bytes *b) {
    memcpy(b->data, s->magic, 8);
    b->len = 8;
    put_u32(b, s->version);
    put_u32(b, s->mark);
    put_u32(b, s->kind);
    put_u32(b, s->schedule);
    for (size_t i = 0; i < 7; i++)
        put_f32(b, s->floats[i]);
    put_u64(b, s->step_size);
    put_u64(b, s->total_steps);
    put_u64(b, s->steps);
    put_u64(b, s->n_params);
    put_u64(b, s->state_count);
    for (size_t i = 0; i < s->n_state; i++)
        put_f32(b, s->state[i]);
    put_u32(b, crc32_bitwise(b->data, b->len) ^ s->crc_xor);
    for (size_t i = 0; i < s->extra; i++)
        b->data[b->len++] = 0;
}

Test(optim_file, a_file_written_from_the_documentation_restores_its_state) {
    char path[160], again[160];
    path_in_scratch(path, sizeof path, "doc.bin");
    path_in_scratch(again, sizeof again, "again.bin");
    const ospec s = valid_ospec();
    bytes b;
    obuild(&s, &b);
    cr_assert_eq(b.len, 96 + 4 * N_PARAMS, "the documented length formula");
    write_file(path, b.data, b.len);

    bp_net *net = make_net();
    bp_optimizer_config adam;
    bp_optimizer_config_default(&adam, BP_OPT_ADAM);
    bp_optimizer *opt = make_opt(net, &adam);
    cr_assert_eq(bp_optimizer_load(opt, path), BP_OK, "%s", bp_errmsg());
    const bp_optimizer_config *c = bp_optimizer_get_config(opt);
    cr_assert_eq(c->kind, BP_OPT_MOMENTUM);
    cr_assert_eq(c->learning_rate, 0.125f);
    cr_assert_eq(c->momentum, 0.5f);
    cr_assert_eq(bp_optimizer_steps(opt), 7);

    /* One step with a known gradient: theta' = theta - eta (mu v + g),
     * computed here from the file's v (exact in binary: 0.125, 0.5). */
    float *theta, *g, before[N_PARAMS];
    cr_assert_eq(bp_net_params(net, &theta, NULL), BP_OK);
    cr_assert_eq(bp_net_grads(net, &g, NULL), BP_OK);
    memcpy(before, theta, sizeof before);
    for (size_t i = 0; i < N_PARAMS; i++)
        g[i] = 0.03f * (float)i - 0.7f;
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK, "%s", bp_errmsg());
    for (size_t i = 0; i < N_PARAMS; i++) {
        double v = 0.5 * (double)s.state[i] + (double)g[i];
        double expected = (double)before[i] - 0.125 * v;
        cr_assert(fabs((double)theta[i] - expected) <= 1e-6 * (1.0 + fabs(expected)),
                  "parameter %zu: %.9g, expected %.9g", i, (double)theta[i], expected);
    }

    /* Saved again before that step, it would be the same bytes: check by
     * loading into a second optimizer and saving that one. */
    bp_optimizer *copy = make_opt(net, &adam);
    cr_assert_eq(bp_optimizer_load(copy, path), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_save(copy, again), BP_OK, "%s", bp_errmsg());
    size_t n;
    unsigned char *saved = read_file(again, &n);
    cr_assert_eq(n, b.len);
    cr_assert(memcmp(saved, b.data, n) == 0,
              "bp_optimizer_save differs from the documented layout");
    free(saved);
    bp_optimizer_destroy(copy);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* ---- failures leave the optimizer as it was ---- */

/* An Adam optimizer after STOP steps, and the parameters those steps gave. */
typedef struct fixture {
    bp_net *net;
    bp_optimizer *opt;
    bp_optimizer_config config;
    float at_stop[N_PARAMS];
} fixture;

static fixture trained_adam(void) {
    fixture f;
    f.config = config_for(BP_OPT_ADAM);
    f.net = make_net();
    f.opt = make_opt(f.net, &f.config);
    train(f.net, f.opt, 0, STOP);
    copy_params(f.net, f.at_stop);
    return f;
}

/* The optimizer is still the one of trained_adam: same config and t, and
 * going on gives the uninterrupted result bit for bit (so its state too). */
static void assert_untouched(fixture *f, const char *what) {
    assert_config_eq(bp_optimizer_get_config(f->opt), &f->config, what);
    cr_assert_eq(bp_optimizer_steps(f->opt), STOP, "%s: t changed", what);
    float reference[N_PARAMS], now[N_PARAMS];
    uninterrupted(&f->config, reference);
    set_params(f->net, f->at_stop);
    train(f->net, f->opt, STOP, END);
    copy_params(f->net, now);
    cr_assert(memcmp(now, reference, sizeof now) == 0, "%s: the state changed", what);
}

static bool is_file_error(int rc) { return rc == BP_EFORMAT || rc == BP_EIO || rc == BP_ECHECKSUM; }

/* Bytes in memory too short for an optimizer file. */
static bool is_format_error(int rc) { return rc == BP_EFORMAT; }

/* The loaders under test, into the fixture's optimizer, which a refused
 * load leaves at its STOP steps. */
static int load_opt(const char *path, const unsigned char *data, size_t n, void *context) {
    fixture *f = context;
    return path ? bp_optimizer_load(f->opt, path) : bp_optimizer_load_memory(f->opt, data, n);
}

static void after_opt_load(int rc, const char *name, void *context) {
    (void)rc;
    fixture *f = context;
    cr_assert_eq(bp_optimizer_steps(f->opt), STOP, "%s: t changed", name);
}

static crafted_loader file_loader(fixture *f) {
    return (crafted_loader){load_opt, false, "bp_optimizer_load: ", after_opt_load, f};
}

static crafted_loader memory_loader(fixture *f) {
    return (crafted_loader){load_opt, true, "bp_optimizer_load_memory: <memory>: ", after_opt_load,
                            f};
}

Test(optim_file, every_truncation_and_byte_flip_is_rejected_without_changes) {
    char path[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    fixture f = trained_adam();
    cr_assert_eq(bp_optimizer_save(f.opt, path), BP_OK, "%s", bp_errmsg());
    size_t n;
    unsigned char *whole = read_file(path, &n);
    cr_assert_eq(n, 96 + 4 * 2 * N_PARAMS);
    const crafted_loader loader = file_loader(&f);
    check_truncated_loads(&loader, whole, n, is_file_error);
    check_flipped_loads(&loader, whole, n, 0xFF, is_file_error);
    free(whole);
    assert_untouched(&f, "after damaged files");
    bp_optimizer_destroy(f.opt);
    bp_net_destroy(f.net);
}

typedef struct ocrafted {
    const char *name;
    void (*change)(ospec *s);
    int code;
    const char *message;
} ocrafted;

static void wrong_magic(ospec *s) { s->magic[0] = 'X'; }
static void version_2(ospec *s) { s->version = 2; }
static void big_endian_mark(ospec *s) { s->mark = 0x04030201u; }
static void kind_9(ospec *s) { s->kind = 9; }
static void schedule_9(ospec *s) { s->schedule = 9; }
static void negative_rate(ospec *s) { s->floats[0] = -1.0f; }
static void nan_rate(ospec *s) { s->floats[0] = NAN; }
static void momentum_1(ospec *s) { s->floats[1] = 1.0f; }
static void step_schedule_without_steps(ospec *s) {
    s->schedule = BP_SCHEDULE_STEP;
    s->step_size = 0;
}
static void state_count_wrong(ospec *s) {
    s->state_count = N_PARAMS - 1;
    s->n_state = N_PARAMS - 1;
}
static void state_for_adam(ospec *s) { s->kind = BP_OPT_ADAM; } /* Adam needs 2 n_params */
static void state_short(ospec *s) { s->n_state = N_PARAMS - 1; }
static void other_param_count(ospec *s) {
    s->n_params = N_PARAMS + 1;
    s->state_count = N_PARAMS + 1;
    s->n_state = N_PARAMS + 1;
    s->state[N_PARAMS] = 0.0f;
}
static void sgd_for_other_count(ospec *s) {
    s->kind = BP_OPT_SGD;
    s->n_params = 1000;
    s->state_count = 0;
    s->n_state = 0;
}
static void huge_param_count(ospec *s) {
    s->n_params = UINT64_MAX;
    s->state_count = UINT64_MAX;
}
static void nan_state(ospec *s) { s->state[3] = NAN; }
static void inf_state(ospec *s) { s->state[50] = INFINITY; }
static void trailing_byte(ospec *s) { s->extra = 1; }
static void wrong_crc(ospec *s) { s->crc_xor = 0x80000000u; }

static const ocrafted ocrafted_cases[] = {
    {"wrong magic", wrong_magic, BP_EFORMAT, "not a backprop optimizer"},
    {"version 2", version_2, BP_EFORMAT, "version 2"},
    {"big-endian byte-order mark", big_endian_mark, BP_EFORMAT, "byte-order"},
    {"kind 9", kind_9, BP_EFORMAT, "kind is 9"},
    {"schedule 9", schedule_9, BP_EFORMAT, "schedule is 9"},
    {"negative learning rate", negative_rate, BP_EFORMAT, "learning_rate"},
    {"NaN learning rate", nan_rate, BP_EFORMAT, "learning_rate"},
    {"momentum 1", momentum_1, BP_EFORMAT, "momentum"},
    {"STEP schedule with step_size 0", step_schedule_without_steps, BP_EFORMAT, "step_size"},
    {"state count wrong for the kind", state_count_wrong, BP_EFORMAT, "state values"},
    {"Adam with a momentum-sized state", state_for_adam, BP_EFORMAT, "state values"},
    {"state shorter than its count", state_short, BP_EFORMAT, "expected"},
    {"another parameter count", other_param_count, BP_EINVAL, "52 parameters"},
    {"SGD for another parameter count", sgd_for_other_count, BP_EINVAL, "1000 parameters"},
    {"parameter count 2^64 - 1", huge_param_count, BP_EFORMAT, NULL},
    {"NaN in the state", nan_state, BP_EFORMAT, "state value 3 is NaN"},
    {"infinity in the state", inf_state, BP_EFORMAT, "state value 50 is infinite"},
    {"one trailing byte", trailing_byte, BP_EFORMAT, "expected"},
    {"wrong CRC", wrong_crc, BP_ECHECKSUM, "CRC-32"},
};

/* Every crafted case, all refused, through loader. */
static void check_crafted_cases(const crafted_loader *loader) {
    for (size_t c = 0; c < sizeof ocrafted_cases / sizeof ocrafted_cases[0]; c++) {
        const ocrafted *k = &ocrafted_cases[c];
        ospec s = valid_ospec();
        k->change(&s);
        bytes b;
        obuild(&s, &b);
        check_crafted_load(loader, k->name, b.data, b.len, k->code, k->message);
    }
}

Test(optim_file, crafted_files_get_their_documented_codes_without_changes) {
    char path[160];
    path_in_scratch(path, sizeof path, "crafted.bin");
    fixture f = trained_adam();
    const crafted_loader loader = file_loader(&f);
    check_crafted_cases(&loader);
    /* The control: the unchanged spec loads. */
    assert_untouched(&f, "after crafted files");
    ospec s = valid_ospec();
    bytes b;
    obuild(&s, &b);
    write_file(path, b.data, b.len);
    cr_assert_eq(bp_optimizer_load(f.opt, path), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_steps(f.opt), 7, "the control's t");
    cr_assert_eq(bp_optimizer_get_config(f.opt)->kind, BP_OPT_MOMENTUM, "the control's kind");
    bp_optimizer_destroy(f.opt);
    bp_net_destroy(f.net);
}

Test(optim_file, a_model_file_is_not_an_optimizer_file) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    fixture f = trained_adam();
    cr_assert_eq(bp_net_save(f.net, path), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_load(f.opt, path), BP_EFORMAT);
    cr_assert(strstr(bp_errmsg(), "not a backprop optimizer") != NULL, "%s", bp_errmsg());
    bp_net *net = NULL;
    cr_assert_eq(bp_optimizer_save(f.opt, path), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_load(&net, path, BP_KERNELS_NAIVE), BP_EFORMAT);
    assert_untouched(&f, "after a model file");
    bp_optimizer_destroy(f.opt);
    bp_net_destroy(f.net);
}

/* ---- arguments and saving ---- */

Test(optim_file, bad_arguments_and_paths) {
    char path[160], missing[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    path_in_scratch(missing, sizeof missing, "no-such-dir/opt.bin");
    fixture f = trained_adam();
    cr_assert_eq(bp_optimizer_save(NULL, path), BP_EINVAL);
    cr_assert_eq(bp_optimizer_save(f.opt, NULL), BP_EINVAL);
    cr_assert_eq(bp_optimizer_save(f.opt, ""), BP_EINVAL);
    cr_assert_eq(bp_optimizer_load(NULL, path), BP_EINVAL);
    cr_assert_eq(bp_optimizer_load(f.opt, NULL), BP_EINVAL);
    cr_assert_eq(bp_optimizer_load(f.opt, path), BP_EIO, "the file does not exist yet");
    cr_assert(strstr(bp_errmsg(), path) != NULL, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_load(f.opt, scratch), BP_EIO);
    cr_assert(strstr(bp_errmsg(), "directory") != NULL, "%s", bp_errmsg());
    cr_assert_eq(bp_optimizer_save(f.opt, missing), BP_EIO);
    char names[4][64];
    cr_assert_eq(list_scratch(names, 4), 0, "stray file %s", names[0]);
    assert_untouched(&f, "after bad arguments");
    bp_optimizer_destroy(f.opt);
    bp_net_destroy(f.net);
}

Test(optim_file, a_non_finite_state_is_not_saved) {
    char path[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    const unsigned char old[] = "previous";
    write_file(path, old, sizeof old);
    bp_net *net = make_net();
    bp_optimizer_config c = config_for(BP_OPT_MOMENTUM);
    bp_optimizer *opt = make_opt(net, &c);
    float *g;
    cr_assert_eq(bp_net_grads(net, &g, NULL), BP_OK);
    g[7] = NAN; /* v_7 <- mu v_7 + NaN */
    cr_assert_eq(bp_optimizer_step(opt, net), BP_OK);
    cr_assert_eq(bp_optimizer_save(opt, path), BP_ENONFINITE);
    cr_assert(strstr(bp_errmsg(), "state value 7 is NaN") != NULL, "%s", bp_errmsg());
    size_t n;
    unsigned char *now = read_file(path, &n);
    cr_assert(n == sizeof old && memcmp(now, old, n) == 0, "the old file was touched");
    free(now);
    char names[4][64];
    cr_assert_eq(list_scratch(names, 4), 1, "a temporary file is left");
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

Test(optim_file, saving_over_a_file_replaces_it_and_leaves_nothing_else) {
    char path[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    const unsigned char junk[] = "junk";
    write_file(path, junk, sizeof junk);
    fixture f = trained_adam();
    cr_assert_eq(bp_optimizer_save(f.opt, path), BP_OK, "%s", bp_errmsg());
    char names[4][64];
    cr_assert_eq(list_scratch(names, 4), 1);
    cr_assert_str_eq(names[0], "opt.bin");
    cr_assert_eq(bp_optimizer_load(f.opt, path), BP_OK, "%s", bp_errmsg());
    assert_untouched(&f, "after loading its own file");
    bp_optimizer_destroy(f.opt);
    bp_net_destroy(f.net);
}

/* ---- bp_optimizer_load_memory: the same checks, from bytes in memory ---- */

Test(optim_file, memory_load_resumes_like_the_file_it_was_read_from) {
    char path[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    for (size_t k = 0; k < N_KINDS; k++) {
        const bp_optimizer_config c = config_for(kinds[k]);
        float at_stop[N_PARAMS];
        save_at_stop(&c, path, at_stop);
        size_t n;
        unsigned char *contents = read_file(path, &n);
        bp_net *net = make_net();
        set_params(net, at_stop);
        bp_optimizer_config other;
        bp_optimizer_config_default(&other, BP_OPT_SGD);
        bp_optimizer *opt = make_opt(net, &other);
        cr_assert_eq(bp_optimizer_load_memory(opt, contents, n), BP_OK, "%s", bp_errmsg());
        free(contents);
        char what[64];
        snprintf(what, sizeof what, "kind %zu from memory", k);
        assert_resumes(net, opt, &c, what);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
}

Test(optim_file, memory_load_rejects_crafted_damaged_and_missing_bytes_without_changes) {
    fixture f = trained_adam();
    const crafted_loader loader = memory_loader(&f);
    check_crafted_cases(&loader);
    ospec s = valid_ospec();
    bytes b;
    obuild(&s, &b);
    check_truncated_loads(&loader, b.data, b.len, is_format_error);
    cr_assert_eq(bp_optimizer_load_memory(NULL, b.data, b.len), BP_EINVAL);
    cr_assert_eq(bp_optimizer_load_memory(f.opt, NULL, b.len), BP_EINVAL);
    cr_assert_eq(bp_optimizer_load_memory(f.opt, NULL, 0), BP_EFORMAT);
    assert_untouched(&f, "after bad memory");
    bp_optimizer_destroy(f.opt);
    bp_net_destroy(f.net);
}

/* ---- bp_optimizer_save_memory: the file's bytes, in memory ---- */

Test(optim_file, memory_save_writes_the_bytes_of_the_file_and_resumes_bitwise) {
    char path[160];
    path_in_scratch(path, sizeof path, "opt.bin");
    for (size_t k = 0; k < N_KINDS; k++) {
        const bp_optimizer_config c = config_for(kinds[k]);
        bp_net *net = make_net();
        bp_optimizer *opt = make_opt(net, &c);
        train(net, opt, 0, STOP);
        cr_assert_eq(bp_optimizer_save(opt, path), BP_OK, "%s", bp_errmsg());
        size_t n;
        unsigned char *file = read_file(path, &n);
        size_t size = 0;
        cr_assert_eq(bp_optimizer_save_memory(opt, NULL, 0, &size), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(size, n, "kind %d: asked size %zu, file %zu bytes", (int)kinds[k], size, n);
        unsigned char *memory = malloc(n);
        cr_assert_not_null(memory);
        cr_assert_eq(bp_optimizer_save_memory(opt, memory, n - 1, &size), BP_EINVAL);
        cr_assert_eq(bp_optimizer_save_memory(opt, memory, n, &size), BP_OK, "%s", bp_errmsg());
        cr_assert(memcmp(memory, file, n) == 0, "kind %d: bytes differ from the file",
                  (int)kinds[k]);

        /* A fresh optimizer loaded from the bytes resumes as if never stopped. */
        bp_optimizer *fresh = make_opt(net, &c);
        cr_assert_eq(bp_optimizer_load_memory(fresh, memory, size), BP_OK, "%s", bp_errmsg());
        char what[64];
        snprintf(what, sizeof what, "kind %d saved to memory", (int)kinds[k]);
        assert_resumes(net, fresh, &c, what);
        bp_optimizer_destroy(fresh);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
        free(memory);
        free(file);
    }
}
