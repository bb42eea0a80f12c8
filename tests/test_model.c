/*
 * test_model.c - model files: save/load round trips (bitwise parameters,
 * equal outputs) on both kernel sets; files written here from the format
 * description in docs/model-format.md, with an independent CRC-32, loaded
 * and compared; every truncation and every byte flip rejected; each crafted
 * malformation rejected with its documented code; atomic saving.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <backprop.h>

#include "file_helpers.h"
#include "reference.h"

/* Each test's scratch directory is /tmp/bp_test_model_XXXXXX. */
static void make_model_scratch(void) { make_scratch("bp_test_model"); }

/* Every test gets its scratch directory, removed even when the test fails. */
TestSuite(model, .init = make_model_scratch, .fini = remove_scratch);

Test(model, crc_reference_is_the_standard_crc32) {
    /* The check value every CRC-32 catalogue lists. */
    cr_assert_eq(crc32_bitwise((const unsigned char *)"123456789", 9), 0xCBF43926u);
}

/* ---- round trips ---- */

typedef struct shape {
    size_t n_layers;
    size_t sizes[6];
    bp_activation acts[5];
    bp_loss loss;
} shape;

static const shape shapes[] = {
    {2, {3, 4, 2}, {BP_ACT_TANH, BP_ACT_SIGMOID}, BP_LOSS_QUADRATIC},
    {3, {5, 8, 7, 3}, {BP_ACT_RELU, BP_ACT_LEAKY_RELU, BP_ACT_SOFTMAX}, BP_LOSS_CROSS_ENTROPY},
    {1, {1, 1}, {BP_ACT_IDENTITY}, BP_LOSS_QUADRATIC},
    {2, {4, 6, 3}, {BP_ACT_SIGMOID, BP_ACT_SOFTMAX}, BP_LOSS_QUADRATIC},
    {4,
     {6, 5, 4, 3, 2},
     {BP_ACT_IDENTITY, BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SIGMOID},
     BP_LOSS_QUADRATIC},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static bp_net *make_net(const shape *s, bp_kernels kernels, uint64_t seed) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, s->n_layers, s->sizes, s->acts, kernels, seed), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, s->loss), BP_OK, "%s", bp_errmsg());
    return net;
}

/* A 2-2 tanh network: enough for a test of the file, not of the network. */
static bp_net *tiny_net(void) {
    static const shape tiny = {1, {2, 2}, {BP_ACT_TANH}, BP_LOSS_QUADRATIC};
    return make_net(&tiny, BP_KERNELS_NAIVE, 1);
}

static void assert_same_network(bp_net *a, bp_net *b, const char *what) {
    cr_assert_eq(bp_net_num_layers(a), bp_net_num_layers(b), "%s: layers", what);
    cr_assert_eq(bp_net_loss(a), bp_net_loss(b), "%s: loss", what);
    for (size_t l = 0; l < bp_net_num_layers(a); l++) {
        bp_layer la, lb;
        cr_assert_eq(bp_net_layer(a, l, &la), BP_OK);
        cr_assert_eq(bp_net_layer(b, l, &lb), BP_OK);
        cr_assert_eq(la.inputs, lb.inputs, "%s: layer %zu inputs", what, l);
        cr_assert_eq(la.outputs, lb.outputs, "%s: layer %zu outputs", what, l);
        cr_assert_eq(la.activation, lb.activation, "%s: layer %zu activation", what, l);
    }
    float *pa, *pb;
    size_t na, nb;
    cr_assert_eq(bp_net_params(a, &pa, &na), BP_OK);
    cr_assert_eq(bp_net_params(b, &pb, &nb), BP_OK);
    cr_assert_eq(na, nb, "%s: parameter count", what);
    cr_assert(memcmp(pa, pb, na * sizeof(float)) == 0, "%s: parameters differ", what);
}

Test(model, round_trip_keeps_shape_loss_and_every_bit_on_both_kernel_sets) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    const bp_kernels kernel_sets[] = {BP_KERNELS_OPENBLAS, BP_KERNELS_NAIVE};
    for (size_t c = 0; c < N_SHAPES; c++) {
        for (size_t k = 0; k < 2; k++) {
            const shape *s = &shapes[c];
            bp_net *net = make_net(s, kernel_sets[k], 100 + c);
            /* Train a little, so the parameters are not just the seed's. */
            const size_t n = 4, n_in = s->sizes[0], n_out = s->sizes[s->n_layers];
            float x[4 * 8], y[4 * 8];
            ref_fill_uniform(x, n * n_in, c, -1.0f, 1.0f);
            ref_fill_uniform(y, n * n_out, c + 50, -1.0f, 1.0f);
            for (size_t i = 0; i < n * n_out; i++)
                y[i] = fabsf(y[i]); /* cross-entropy targets: non-negative */
            cr_assert_eq(bp_net_reserve(net, n), BP_OK);
            cr_assert_eq(bp_net_train_step(net, x, y, n, 0.1f, NULL), BP_OK, "%s", bp_errmsg());

            cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
            for (size_t j = 0; j < 2; j++) {
                bp_net *loaded = (bp_net *)&loaded; /* must be overwritten */
                cr_assert_eq(bp_net_load(&loaded, path, kernel_sets[j]), BP_OK, "%s", bp_errmsg());
                char what[96];
                snprintf(what, sizeof what, "shape %zu, saved on set %zu, loaded on set %zu", c, k,
                         j);
                assert_same_network(net, loaded, what);
                cr_assert_eq(bp_net_max_batch(loaded), 1, "%s: workspace for one example", what);
                if (j == k) {
                    /* Same parameters, same kernels: the same outputs, bit for bit. */
                    const float *out_a, *out_b;
                    cr_assert_eq(bp_net_reserve(loaded, n), BP_OK);
                    cr_assert_eq(bp_net_forward(net, x, n, &out_a), BP_OK);
                    cr_assert_eq(bp_net_forward(loaded, x, n, &out_b), BP_OK);
                    cr_assert(memcmp(out_a, out_b, n * n_out * sizeof(float)) == 0,
                              "%s: outputs differ", what);
                    float cost_a, cost_b;
                    cr_assert_eq(bp_net_cost(net, x, y, n, &cost_a, NULL), BP_OK);
                    cr_assert_eq(bp_net_cost(loaded, x, y, n, &cost_b, NULL), BP_OK);
                    cr_assert_eq(cost_a, cost_b, "%s: costs differ", what);
                }
                bp_net_destroy(loaded);
            }
            bp_net_destroy(net);
        }
    }
}

Test(model, extreme_floats_round_trip_bitwise) {
    char path[160];
    path_in_scratch(path, sizeof path, "extreme.bin");
    const shape s = {1, {3, 3}, {BP_ACT_IDENTITY}, BP_LOSS_QUADRATIC};
    bp_net *net = make_net(&s, BP_KERNELS_NAIVE, 1);
    float *p;
    size_t n;
    cr_assert_eq(bp_net_params(net, &p, &n), BP_OK);
    cr_assert_eq(n, 12);
    const float special[12] = {-0.0f,  0.0f,    FLT_MAX,     -FLT_MAX,    FLT_MIN, -FLT_MIN,
                               1e-45f, -1e-45f, FLT_EPSILON, 1.0f / 3.0f, -2.5f,   123456789.0f};
    memcpy(p, special, sizeof special);
    cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
    bp_net *loaded = NULL;
    cr_assert_eq(bp_net_load(&loaded, path, BP_KERNELS_OPENBLAS), BP_OK, "%s", bp_errmsg());
    assert_same_network(net, loaded, "extreme values");
    bp_net_destroy(loaded);
    bp_net_destroy(net);
}

/* ---- the layout, from the documentation ---- */

/* A model file as docs/model-format.md describes it, each field settable so
 * that a test can break exactly one thing and keep the CRC right. */
typedef struct spec {
    char magic[8];
    uint32_t version, mark, n_layers, loss;
    size_t n_sizes; /* sizes written (normally n_layers + 1) */
    uint64_t sizes[8];
    size_t n_acts; /* activations written (normally n_layers) */
    uint32_t acts[8];
    uint64_t count;
    size_t n_values; /* parameters written */
    float values[64];
    size_t extra_before_crc, extra_after_crc; /* stray zero bytes */
    uint32_t crc_xor;                         /* nonzero: a wrong CRC */
} spec;

/* 2-3-1, tanh then sigmoid, quadratic: 3*2+3 + 1*3+1 = 13 parameters. */
static spec valid_spec(void) {
    spec s = {.magic = {'B', 'P', 'M', 'O', 'D', 'E', 'L', '\0'},
              .version = 1,
              .mark = 0x01020304u,
              .n_layers = 2,
              .loss = BP_LOSS_QUADRATIC,
              .n_sizes = 3,
              .sizes = {2, 3, 1},
              .n_acts = 2,
              .acts = {BP_ACT_TANH, BP_ACT_SIGMOID},
              .count = 13,
              .n_values = 13};
    for (size_t i = 0; i < 13; i++)
        s.values[i] = 0.25f * (float)i - 1.5f;
    return s;
}

static void build(const spec *s, bytes *b) {
    b->len = 0;
    memcpy(b->data, s->magic, 8);
    b->len = 8;
    put_u32(b, s->version);
    put_u32(b, s->mark);
    put_u32(b, s->n_layers);
    put_u32(b, s->loss);
    for (size_t i = 0; i < s->n_sizes; i++)
        put_u64(b, s->sizes[i]);
    for (size_t i = 0; i < s->n_acts; i++)
        put_u32(b, s->acts[i]);
    put_u64(b, s->count);
    for (size_t i = 0; i < s->n_values; i++)
        put_f32(b, s->values[i]);
    for (size_t i = 0; i < s->extra_before_crc; i++)
        b->data[b->len++] = 0;
    put_u32(b, crc32_bitwise(b->data, b->len) ^ s->crc_xor);
    for (size_t i = 0; i < s->extra_after_crc; i++)
        b->data[b->len++] = 0;
}

Test(model, a_file_written_from_the_documentation_loads_and_saves_identically) {
    char path[160], again[160];
    path_in_scratch(path, sizeof path, "doc.bin");
    path_in_scratch(again, sizeof again, "again.bin");
    spec s = valid_spec();
    bytes b;
    build(&s, &b);
    cr_assert_eq(b.len, 12 * 2 + 44 + 4 * 13, "the documented length formula");
    write_file(path, b.data, b.len);

    bp_net *net = NULL;
    cr_assert_eq(bp_net_load(&net, path, BP_KERNELS_NAIVE), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_num_layers(net), 2);
    cr_assert_eq(bp_net_num_inputs(net), 2);
    cr_assert_eq(bp_net_num_outputs(net), 1);
    bp_layer layer;
    cr_assert_eq(bp_net_layer(net, 0, &layer), BP_OK);
    cr_assert_eq(layer.outputs, 3);
    cr_assert_eq(layer.activation, BP_ACT_TANH);
    /* Block order: W1 (3 x 2, row-major), b1, W2 (1 x 3), b2. */
    cr_assert_eq(layer.weights[1 * 2 + 0], s.values[2], "w_10 of layer 1");
    cr_assert_eq(layer.bias[2], s.values[8], "b_2 of layer 1");
    cr_assert_eq(bp_net_layer(net, 1, &layer), BP_OK);
    cr_assert_eq(layer.activation, BP_ACT_SIGMOID);
    cr_assert_eq(layer.weights[2], s.values[11]);
    cr_assert_eq(layer.bias[0], s.values[12]);

    /* Saving the loaded network reproduces the documented bytes exactly. */
    cr_assert_eq(bp_net_save(net, again), BP_OK, "%s", bp_errmsg());
    size_t n;
    unsigned char *saved = read_file(again, &n);
    cr_assert_eq(n, b.len);
    cr_assert(memcmp(saved, b.data, n) == 0, "bp_net_save differs from the documented layout");
    free(saved);
    bp_net_destroy(net);
}

Test(model, saved_header_fields_decode_as_documented) {
    char path[160];
    path_in_scratch(path, sizeof path, "fields.bin");
    const shape *s = &shapes[1]; /* 5-8-7-3, softmax, cross-entropy */
    bp_net *net = make_net(s, BP_KERNELS_OPENBLAS, 9);
    cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
    size_t n;
    unsigned char *f = read_file(path, &n);
    const size_t L = 3, P = bp_net_num_params(net);
    cr_assert_eq(n, 12 * L + 44 + 4 * P);
    cr_assert(memcmp(f, "BPMODEL", 8) == 0);
    cr_assert_eq(get_u32(f + 8), 1);
    cr_assert_eq(f[12], 0x04); /* 0x01020304 little-endian */
    cr_assert_eq(f[15], 0x01);
    cr_assert_eq(get_u32(f + 16), L);
    cr_assert_eq(get_u32(f + 20), BP_LOSS_CROSS_ENTROPY);
    for (size_t l = 0; l <= L; l++)
        cr_assert_eq(get_u64(f + 24 + 8 * l), s->sizes[l]);
    for (size_t l = 0; l < L; l++)
        cr_assert_eq(get_u32(f + 24 + 8 * (L + 1) + 4 * l), (uint32_t)s->acts[l]);
    cr_assert_eq(get_u64(f + 24 + 12 * L + 8), P);
    float *p;
    cr_assert_eq(bp_net_params(net, &p, NULL), BP_OK);
    for (size_t i = 0; i < P; i++) {
        uint32_t bits;
        memcpy(&bits, &p[i], 4);
        cr_assert_eq(get_u32(f + 12 * L + 40 + 4 * i), bits, "parameter %zu", i);
    }
    cr_assert_eq(get_u32(f + n - 4), crc32_bitwise(f, n - 4), "CRC-32 of everything before it");
    free(f);
    bp_net_destroy(net);
}

/* ---- damaged files ---- */

static bool is_file_error(int rc) {
    return rc == BP_EFORMAT || rc == BP_EIO || rc == BP_ECHECKSUM || rc == BP_EOVERFLOW;
}

/* From memory there is no file to fail reading. */
static bool is_memory_error(int rc) { return is_file_error(rc) && rc != BP_EIO; }

/* The loaders under test: into a network the load must overwrite, from a
 * file or from memory, on either kernel set. */
typedef struct loading {
    bp_net *net;
    bp_kernels kernels;
} loading;

static int load_net(const char *path, const unsigned char *data, size_t n, void *context) {
    loading *l = context;
    l->net = (bp_net *)&l->net; /* must be overwritten */
    return path ? bp_net_load(&l->net, path, l->kernels)
                : bp_net_load_memory(&l->net, data, n, l->kernels);
}

/* A failure clears the output; the one valid crafted case, the control,
 * is cross-entropy with softmax. */
static void after_net_load(int rc, const char *name, void *context) {
    loading *l = context;
    if (rc != BP_OK) {
        cr_assert_null(l->net, "%s: out not cleared", name);
        return;
    }
    cr_assert_eq(bp_net_loss(l->net), BP_LOSS_CROSS_ENTROPY, "%s: loss", name);
    bp_net_destroy(l->net);
}

static crafted_loader file_loader(loading *l, bp_kernels kernels) {
    l->kernels = kernels;
    return (crafted_loader){load_net, false, "bp_net_load: ", after_net_load, l};
}

static crafted_loader memory_loader(loading *l, bp_kernels kernels) {
    l->kernels = kernels;
    return (crafted_loader){load_net, true, "bp_net_load_memory: <memory>: ", after_net_load, l};
}

/* The bytes bp_net_save writes for shape s. */
static unsigned char *saved_bytes(const shape *s, uint64_t seed, size_t *n) {
    char path[160];
    path_in_scratch(path, sizeof path, "whole.bin");
    bp_net *net = make_net(s, BP_KERNELS_NAIVE, seed);
    cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
    bp_net_destroy(net);
    return read_file(path, n);
}

Test(model, every_truncation_is_rejected) {
    const shape s = {2, {2, 3, 1}, {BP_ACT_TANH, BP_ACT_SIGMOID}, BP_LOSS_QUADRATIC};
    size_t n;
    unsigned char *whole = saved_bytes(&s, 5, &n);
    loading l;
    const crafted_loader loader = file_loader(&l, BP_KERNELS_NAIVE);
    check_truncated_loads(&loader, whole, n, is_file_error);
    free(whole);
}

Test(model, every_byte_flip_is_rejected) {
    const shape s = {2, {2, 3, 2}, {BP_ACT_RELU, BP_ACT_SOFTMAX}, BP_LOSS_CROSS_ENTROPY};
    size_t n;
    unsigned char *whole = saved_bytes(&s, 6, &n);
    loading l;
    const crafted_loader loader = file_loader(&l, BP_KERNELS_OPENBLAS);
    check_flipped_loads(&loader, whole, n, 0xFF, is_file_error);
    free(whole);
}

typedef struct crafted {
    const char *name;
    void (*change)(spec *s);
    int code;
    const char *message; /* a phrase the message must contain, or NULL */
} crafted;

static void wrong_magic(spec *s) { s->magic[2] = 'X'; }
static void version_2(spec *s) { s->version = 2; } /* no preprocessing section */
static void version_3(spec *s) { s->version = 3; }
static void big_endian_mark(spec *s) { s->mark = 0x04030201u; }
static void zero_layers(spec *s) {
    s->n_layers = 0;
    s->n_sizes = 1;
    s->n_acts = 0;
    s->count = 0;
    s->n_values = 0;
}
static void layers_5000(spec *s) { s->n_layers = 5000; }
static void layers_max(spec *s) { s->n_layers = UINT32_MAX; }
static void size_zero(spec *s) { s->sizes[1] = 0; }
static void size_over_int_max(spec *s) { s->sizes[0] = (uint64_t)INT_MAX + 1; }
static void size_huge(spec *s) { s->sizes[2] = UINT64_MAX; }
/* Five layers of INT_MAX x INT_MAX: each has (2^31 - 1) 2^31 = 2^62 - 2^31
 * parameters, so the count passes 2^64 at the fifth. */
static void count_overflows(spec *s) {
    s->n_layers = 5;
    s->n_sizes = 6;
    s->n_acts = 5;
    for (size_t i = 0; i < 6; i++)
        s->sizes[i] = INT_MAX;
    for (size_t i = 0; i < 5; i++)
        s->acts[i] = BP_ACT_IDENTITY;
    s->count = 0;
}
/* Four such layers: 2^64 - 2^33 parameters fit in 64 bits, their bytes do not. */
static void bytes_overflow(spec *s) {
    count_overflows(s);
    s->n_layers = 4;
    s->n_sizes = 5;
    s->n_acts = 4;
    s->count = 4 * (((uint64_t)1 << 62) - ((uint64_t)1 << 31));
}
/* One layer of INT_MAX x INT_MAX: a 16 EiB model in a file of a few bytes,
 * which must be turned down by its length, not by a failed allocation. */
static void huge_model_tiny_file(spec *s) {
    s->n_layers = 1;
    s->n_sizes = 2;
    s->n_acts = 1;
    s->sizes[0] = s->sizes[1] = INT_MAX;
    s->acts[0] = BP_ACT_IDENTITY;
    s->count = ((uint64_t)1 << 62) - ((uint64_t)1 << 31);
}
static void activation_99(spec *s) { s->acts[1] = 99; }
static void activation_huge(spec *s) { s->acts[0] = 0x80000000u; }
static void softmax_hidden(spec *s) { s->acts[0] = BP_ACT_SOFTMAX; }
static void cross_entropy_without_softmax(spec *s) { s->loss = BP_LOSS_CROSS_ENTROPY; }
static void loss_7(spec *s) { s->loss = 7; }
static void count_disagrees(spec *s) { s->count = 14; }
static void count_and_values_disagree(spec *s) {
    s->count = 14;
    s->n_values = 14;
}
static void missing_parameter(spec *s) { s->n_values = 12; }
static void nan_parameter(spec *s) { s->values[4] = NAN; }
static void inf_parameter(spec *s) { s->values[12] = -INFINITY; }
static void trailing_byte(spec *s) { s->extra_after_crc = 1; }
static void extra_byte_under_crc(spec *s) { s->extra_before_crc = 1; }
static void wrong_crc(spec *s) { s->crc_xor = 1; }
static void cross_entropy_with_softmax(spec *s) { /* a valid variant, as a control */
    s->acts[1] = BP_ACT_SOFTMAX;
    s->loss = BP_LOSS_CROSS_ENTROPY;
}

static const crafted crafted_cases[] = {
    {"wrong magic", wrong_magic, BP_EFORMAT, "not a backprop model"},
    {"version 2 without its section", version_2, BP_EFORMAT, "expected more than"},
    {"version 3", version_3, BP_EFORMAT, "version 3"},
    {"big-endian byte-order mark", big_endian_mark, BP_EFORMAT, "byte-order"},
    {"zero layers", zero_layers, BP_EFORMAT, "0 layers"},
    {"5000 layers", layers_5000, BP_EFORMAT, "5000 layers"},
    {"2^32 - 1 layers", layers_max, BP_EFORMAT, "layers"},
    {"a size of 0", size_zero, BP_EFORMAT, "sizes[1] is 0"},
    {"a size of INT_MAX + 1", size_over_int_max, BP_EFORMAT, "sizes[0]"},
    {"a size of 2^64 - 1", size_huge, BP_EFORMAT, "sizes[2]"},
    {"parameter count over 64 bits", count_overflows, BP_EOVERFLOW, "overflows 64 bits"},
    {"parameter bytes over 64 bits", bytes_overflow, BP_EOVERFLOW, "parameters"},
    {"huge model in a tiny file", huge_model_tiny_file, BP_EFORMAT, "expected"},
    {"activation 99", activation_99, BP_EFORMAT, "activations[1] is 99"},
    {"activation 2^31", activation_huge, BP_EFORMAT, "activations[0]"},
    {"softmax in a hidden layer", softmax_hidden, BP_EFORMAT, "softmax"},
    {"cross-entropy without softmax", cross_entropy_without_softmax, BP_EFORMAT, "softmax"},
    {"loss 7", loss_7, BP_EFORMAT, "loss 7"},
    {"parameter count disagrees", count_disagrees, BP_EFORMAT, "13"},
    {"count and values disagree with the sizes", count_and_values_disagree, BP_EFORMAT, NULL},
    {"a parameter missing", missing_parameter, BP_EFORMAT, "expected"},
    {"NaN parameter", nan_parameter, BP_EFORMAT, "parameter 4 (layer 0) is NaN"},
    {"infinite parameter", inf_parameter, BP_EFORMAT, "parameter 12 (layer 1) is infinite"},
    {"one trailing byte", trailing_byte, BP_EFORMAT, "expected"},
    {"one extra byte under the CRC", extra_byte_under_crc, BP_EFORMAT, "expected"},
    {"wrong CRC", wrong_crc, BP_ECHECKSUM, "CRC-32"},
    {"control: cross-entropy with softmax", cross_entropy_with_softmax, BP_OK, NULL},
};

/* Every crafted case, built with a correct CRC, through loader. */
static void check_crafted_cases(const crafted_loader *loader) {
    for (size_t c = 0; c < sizeof crafted_cases / sizeof crafted_cases[0]; c++) {
        const crafted *k = &crafted_cases[c];
        spec s = valid_spec();
        k->change(&s);
        bytes b;
        build(&s, &b);
        check_crafted_load(loader, k->name, b.data, b.len, k->code, k->message);
    }
}

Test(model, crafted_files_with_a_correct_crc_get_their_documented_codes) {
    loading l;
    const crafted_loader loader = file_loader(&l, BP_KERNELS_NAIVE);
    check_crafted_cases(&loader);
}

Test(model, length_message_names_sizes_and_both_lengths) {
    char path[160];
    path_in_scratch(path, sizeof path, "short.bin");
    spec s = valid_spec();
    s.n_values = 10;
    bytes b;
    build(&s, &b);
    write_file(path, b.data, b.len);
    bp_net *net;
    cr_assert_eq(bp_net_load(&net, path, BP_KERNELS_NAIVE), BP_EFORMAT);
    char expected[256];
    snprintf(expected, sizeof expected, "%s: file is %zu bytes, expected %zu for layers 2-3-1",
             path, b.len, b.len + 12);
    cr_assert(strstr(bp_errmsg(), expected) != NULL, "\"%s\" lacks \"%s\"", bp_errmsg(), expected);
}

/* ---- arguments, missing files, directories ---- */

Test(model, load_rejects_bad_arguments_and_unreadable_paths) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    bp_net *net = tiny_net();
    cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
    bp_net_destroy(net);

    cr_assert_eq(bp_net_load(NULL, path, BP_KERNELS_NAIVE), BP_EINVAL);
    net = (bp_net *)&net;
    cr_assert_eq(bp_net_load(&net, NULL, BP_KERNELS_NAIVE), BP_EINVAL);
    cr_assert_null(net);
    net = (bp_net *)&net;
    cr_assert_eq(bp_net_load(&net, path, (bp_kernels)7), BP_EINVAL);
    cr_assert_null(net);
    cr_assert(strstr(bp_errmsg(), "kernel") != NULL, "%s", bp_errmsg());

    char missing[160];
    path_in_scratch(missing, sizeof missing, "no-such-file.bin");
    net = (bp_net *)&net;
    cr_assert_eq(bp_net_load(&net, missing, BP_KERNELS_NAIVE), BP_EIO);
    cr_assert_null(net);
    cr_assert(strstr(bp_errmsg(), missing) != NULL, "%s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), "No such file") != NULL, "%s", bp_errmsg());

    cr_assert_eq(bp_net_load(&net, scratch, BP_KERNELS_NAIVE), BP_EIO);
    cr_assert(strstr(bp_errmsg(), "directory") != NULL, "%s", bp_errmsg());
    cr_assert_eq(bp_net_load(&net, "", BP_KERNELS_NAIVE), BP_EIO);
}

Test(model, save_rejects_bad_arguments) {
    bp_net *net = tiny_net();
    cr_assert_eq(bp_net_save(NULL, "/tmp/x.bin"), BP_EINVAL);
    cr_assert_eq(bp_net_save(net, NULL), BP_EINVAL);
    cr_assert_eq(bp_net_save(net, ""), BP_EINVAL);
    bp_net_destroy(net);
}

/* 4096 layers is the most a file holds: that many round-trip, one more is
 * refused at saving rather than written into a file no loader accepts. */
Test(model, the_layer_cap_is_inclusive_and_enforced_when_saving) {
    enum { CAP = 4096 };
    static size_t sizes[CAP + 2];
    static bp_activation acts[CAP + 1];
    for (size_t i = 0; i < CAP + 2; i++)
        sizes[i] = 1 + i % 2;
    for (size_t i = 0; i < CAP + 1; i++)
        acts[i] = (bp_activation)(i % 5); /* identity .. leaky ReLU, no softmax */
    char path[160];
    path_in_scratch(path, sizeof path, "deep.bin");
    bp_net *net = NULL, *loaded = NULL;
    cr_assert_eq(bp_net_create(&net, CAP, sizes, acts, BP_KERNELS_NAIVE, 3), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_load(&loaded, path, BP_KERNELS_NAIVE), BP_OK, "%s", bp_errmsg());
    assert_same_network(net, loaded, "4096 layers");
    bp_net_destroy(loaded);
    bp_net_destroy(net);

    cr_assert_eq(bp_net_create(&net, CAP + 1, sizes, acts, BP_KERNELS_NAIVE, 3), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(bp_net_save(net, path), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "4097 layers") != NULL, "%s", bp_errmsg());
    bp_net_destroy(net);
}

/* ---- atomic saving ---- */

Test(model, non_finite_parameters_are_not_saved_and_leave_the_old_file) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    const unsigned char old[] = "the previous contents";
    write_file(path, old, sizeof old);
    const shape s = {2, {2, 3, 1}, {BP_ACT_TANH, BP_ACT_SIGMOID}, BP_LOSS_QUADRATIC};
    bp_net *net = make_net(&s, BP_KERNELS_NAIVE, 1);
    float *p;
    cr_assert_eq(bp_net_params(net, &p, NULL), BP_OK);
    const float bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        float saved = p[10];
        p[10] = bad[i];
        cr_assert_eq(bp_net_save(net, path), BP_ENONFINITE, "value %zu", i);
        cr_assert(strstr(bp_errmsg(), "parameter 10 (layer 1)") != NULL, "%s", bp_errmsg());
        p[10] = saved;
    }
    size_t n;
    unsigned char *now = read_file(path, &n);
    cr_assert_eq(n, sizeof old);
    cr_assert(memcmp(now, old, n) == 0, "the old file was touched");
    free(now);
    char names[4][64];
    cr_assert_eq(list_scratch(names, 4), 1, "no temporary file is left");
    bp_net_destroy(net);
}

Test(model, saving_into_a_missing_directory_fails_without_leftovers) {
    char path[160];
    path_in_scratch(path, sizeof path, "no-such-dir/model.bin");
    bp_net *net = tiny_net();
    cr_assert_eq(bp_net_save(net, path), BP_EIO);
    cr_assert(strncmp(bp_errmsg(), "bp_net_save: ", 13) == 0, "%s", bp_errmsg());
    cr_assert(strstr(bp_errmsg(), path) != NULL, "%s", bp_errmsg());
    char names[4][64];
    cr_assert_eq(list_scratch(names, 4), 0, "stray file %s", names[0]);
    bp_net_destroy(net);
}

Test(model, saving_over_a_directory_fails_and_removes_the_temporary_file) {
    char path[160];
    path_in_scratch(path, sizeof path, "a-directory");
    cr_assert_eq(mkdir(path, 0755), 0);
    bp_net *net = tiny_net();
    cr_assert_eq(bp_net_save(net, path), BP_EIO);
    cr_assert(strstr(bp_errmsg(), "rename") != NULL, "%s", bp_errmsg());
    char names[4][64];
    cr_assert_eq(list_scratch(names, 4), 1, "only the directory remains");
    cr_assert_str_eq(names[0], "a-directory");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    bp_net_destroy(net);
}

Test(model, saving_over_a_file_replaces_it_and_leaves_nothing_else) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    const unsigned char junk[] = "not a model";
    write_file(path, junk, sizeof junk);
    cr_assert_eq(chmod(path, 0640), 0);
    const shape s = {2, {3, 4, 2}, {BP_ACT_TANH, BP_ACT_SIGMOID}, BP_LOSS_QUADRATIC};
    bp_net *net = make_net(&s, BP_KERNELS_NAIVE, 1);
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
        char names[4][64];
        cr_assert_eq(list_scratch(names, 4), 1, "round %d: a temporary file is left", round);
        cr_assert_str_eq(names[0], "model.bin");
        bp_net *loaded = NULL;
        cr_assert_eq(bp_net_load(&loaded, path, BP_KERNELS_NAIVE), BP_OK, "%s", bp_errmsg());
        assert_same_network(net, loaded, "after replacing");
        bp_net_destroy(loaded);
        float *p;
        cr_assert_eq(bp_net_params(net, &p, NULL), BP_OK);
        p[0] += 1.0f; /* the next round saves something else */
    }
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640, "a replaced file keeps its mode");
    bp_net_destroy(net);
}

Test(model, a_new_file_is_readable_by_others) {
    char path[160];
    path_in_scratch(path, sizeof path, "new.bin");
    bp_net *net = tiny_net();
    cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644, "mode %o, not mkstemp's 0600", st.st_mode & 0777);
    bp_net_destroy(net);
}

Test(model, saving_in_the_current_directory_works) {
    char cwd[512];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(scratch), 0);
    bp_net *net = tiny_net();
    cr_assert_eq(bp_net_save(net, "plain.bin"), BP_OK, "%s", bp_errmsg());
    bp_net *loaded = NULL;
    cr_assert_eq(bp_net_load(&loaded, "plain.bin", BP_KERNELS_NAIVE), BP_OK, "%s", bp_errmsg());
    assert_same_network(net, loaded, "relative path");
    bp_net_destroy(loaded);
    bp_net_destroy(net);
    cr_assert_eq(chdir(cwd), 0);
}

/* ---- bp_net_load_memory: the same checks, from bytes in memory ---- */

/* The example of docs/model-format.md, as a program would embed a model. */
static const unsigned char documented_model[64] = {
    0x42, 0x50, 0x4d, 0x4f, 0x44, 0x45, 0x4c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0xbf, 0xe2, 0x9f, 0xfe, 0x41};

Test(model, memory_load_of_an_embedded_model) {
    bp_net *net = NULL;
    cr_assert_eq(
        bp_net_load_memory(&net, documented_model, sizeof documented_model, BP_KERNELS_OPENBLAS),
        BP_OK, "%s", bp_errmsg());
    float *p;
    size_t n;
    cr_assert_eq(bp_net_params(net, &p, &n), BP_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0], 0.5f);
    cr_assert_eq(p[1], -1.0f);
    const float x = 4.0f, *y;
    cr_assert_eq(bp_net_forward(net, &x, 1, &y), BP_OK);
    cr_assert_eq(y[0], 1.0f, "0.5 * 4 - 1");
    bp_net_destroy(net);
}

Test(model, memory_load_equals_file_load_for_every_shape) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    for (size_t c = 0; c < N_SHAPES; c++) {
        bp_net *net = make_net(&shapes[c], BP_KERNELS_NAIVE, 300 + c);
        cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
        size_t n;
        unsigned char *contents = read_file(path, &n);
        bp_net *loaded = (bp_net *)&loaded; /* must be overwritten */
        cr_assert_eq(bp_net_load_memory(&loaded, contents, n, BP_KERNELS_OPENBLAS), BP_OK, "%s",
                     bp_errmsg());
        assert_same_network(net, loaded, "from memory");
        cr_assert_eq(bp_net_max_batch(loaded), 1);
        bp_net_destroy(loaded);
        bp_net_destroy(net);
        free(contents);
    }
}

Test(model, memory_load_gives_the_documented_codes_for_crafted_files) {
    loading l;
    const crafted_loader loader = memory_loader(&l, BP_KERNELS_NAIVE);
    check_crafted_cases(&loader);
}

Test(model, memory_load_rejects_every_truncation_and_byte_flip) {
    spec s = valid_spec();
    bytes b;
    build(&s, &b);
    loading l;
    const crafted_loader loader = memory_loader(&l, BP_KERNELS_NAIVE);
    check_truncated_loads(&loader, b.data, b.len, is_memory_error);
    check_flipped_loads(&loader, b.data, b.len, 0x10, is_memory_error);
}

Test(model, memory_load_rejects_bad_arguments) {
    bp_net *net = (bp_net *)&net;
    cr_assert_eq(bp_net_load_memory(NULL, documented_model, 64, BP_KERNELS_NAIVE), BP_EINVAL);
    cr_assert_eq(bp_net_load_memory(&net, NULL, 64, BP_KERNELS_NAIVE), BP_EINVAL);
    cr_assert_null(net);
    net = (bp_net *)&net;
    cr_assert_eq(bp_net_load_memory(&net, documented_model, 64, (bp_kernels)7), BP_EINVAL);
    cr_assert_null(net);
    /* No bytes is a file too short, not a bad argument. */
    net = (bp_net *)&net;
    cr_assert_eq(bp_net_load_memory(&net, NULL, 0, BP_KERNELS_NAIVE), BP_EFORMAT);
    cr_assert_null(net);
    cr_assert(strstr(bp_errmsg(), "0 bytes") != NULL, "%s", bp_errmsg());
}

/* ---- bp_net_save_memory: the file's bytes, in memory ---- */

Test(model, memory_save_writes_the_bytes_of_the_file_and_loads_back) {
    char path[160];
    path_in_scratch(path, sizeof path, "model.bin");
    for (size_t c = 0; c < N_SHAPES; c++) {
        bp_net *net = make_net(&shapes[c], BP_KERNELS_NAIVE, 500 + c);
        cr_assert_eq(bp_net_save(net, path), BP_OK, "%s", bp_errmsg());
        size_t n;
        unsigned char *file = read_file(path, &n);
        size_t size = 0;
        cr_assert_eq(bp_net_save_memory(net, NULL, 0, &size), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(size, n, "shape %zu: asked size %zu, file %zu bytes", c, size, n);
        /* One byte more than needed, marked, to see that nothing lands past the end. */
        unsigned char *memory = malloc(n + 1);
        cr_assert_not_null(memory);
        memset(memory, 0xa5, n + 1);
        size = 0;
        cr_assert_eq(bp_net_save_memory(net, memory, n + 1, &size), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(size, n);
        cr_assert(memcmp(memory, file, n) == 0, "shape %zu: bytes differ from the file", c);
        cr_assert_eq(memory[n], 0xa5, "wrote past the model");
        bp_net *loaded = NULL;
        cr_assert_eq(bp_net_load_memory(&loaded, memory, size, BP_KERNELS_OPENBLAS), BP_OK, "%s",
                     bp_errmsg());
        assert_same_network(net, loaded, "saved to and loaded from memory");
        bp_net_destroy(loaded);
        bp_net_destroy(net);
        free(memory);
        free(file);
    }
}

Test(model, memory_save_leaves_a_small_buffer_untouched) {
    const shape s = {1, {2, 3}, {BP_ACT_TANH}, BP_LOSS_QUADRATIC};
    bp_net *net = make_net(&s, BP_KERNELS_NAIVE, 1);
    size_t size = 0;
    cr_assert_eq(bp_net_save_memory(net, NULL, 0, &size), BP_OK);
    unsigned char small[256];
    cr_assert(size <= sizeof small);
    memset(small, 0x3c, sizeof small);
    size_t reported = 0;
    cr_assert_eq(bp_net_save_memory(net, small, size - 1, &reported), BP_EINVAL);
    cr_assert_eq(reported, size);
    for (size_t i = 0; i < sizeof small; i++)
        cr_assert_eq(small[i], 0x3c, "byte %zu written", i);
    bp_net_destroy(net);
}
