/* Per-feature scaling, label mapping, regression training and metrics,
 * batch prediction, evaluation of a loaded model in full batches, and the
 * preprocessing saved in model files (format version 2). */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <backprop.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Columns of very different ranges, one of them constant. */
static const float table[4][3] = {
    {1.0f, 1000.0f, 7.0f},
    {2.0f, 3000.0f, 7.0f},
    {3.0f, 2000.0f, 7.0f},
    {6.0f, 6000.0f, 7.0f},
};

Test(scaler, standardize_per_column) {
    bp_scaler s;
    cr_assert_eq(bp_scaler_fit(&s, BP_SCALE_STANDARDIZE, &table[0][0], 4, 3), BP_OK);
    cr_assert_eq(s.columns, 3);
    float x[4][3];
    memcpy(x, table, sizeof x);
    cr_assert_eq(bp_scaler_transform(&s, &x[0][0], 4), BP_OK);
    for (int j = 0; j < 3; j++) {
        /* mean and population deviation, computed here in double */
        double mean = 0, var = 0;
        for (int i = 0; i < 4; i++)
            mean += table[i][j] / 4.0;
        for (int i = 0; i < 4; i++)
            var += (table[i][j] - mean) * (table[i][j] - mean) / 4.0;
        for (int i = 0; i < 4; i++) {
            const double want = var > 0 ? (table[i][j] - mean) / sqrt(var) : 0.0;
            cr_assert_float_eq(x[i][j], want, 1e-5, "row %d column %d: %g, want %g", i, j, x[i][j],
                               want);
        }
    }
    cr_assert_eq(s.scale[2], 1.0f, "a constant column keeps scale 1");
    cr_assert_eq(bp_scaler_inverse(&s, &x[0][0], 4), BP_OK);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            cr_assert_float_eq(x[i][j], table[i][j], 1e-3 * fabsf(table[i][j]));
    bp_scaler_free(&s);
    bp_scaler_free(&s); /* freeing empties it */
    cr_assert_eq(s.columns, 0);
}

Test(scaler, minmax_per_column) {
    bp_scaler s;
    cr_assert_eq(bp_scaler_fit(&s, BP_SCALE_MINMAX, &table[0][0], 4, 3), BP_OK);
    float x[4][3];
    memcpy(x, table, sizeof x);
    cr_assert_eq(bp_scaler_transform(&s, &x[0][0], 4), BP_OK);
    cr_assert_float_eq(x[0][0], 0.0f, 1e-6);
    cr_assert_float_eq(x[3][0], 1.0f, 1e-6);
    cr_assert_float_eq(x[2][0], 0.4f, 1e-6);
    cr_assert_float_eq(x[1][1], 0.4f, 1e-6);
    cr_assert_float_eq(x[3][1], 1.0f, 1e-6);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(x[i][2], 0.0f, "a constant column maps to 0");
    bp_scaler_free(&s);
}

Test(scaler, refuses_nan_and_empty) {
    bp_scaler s;
    float x[2][2] = {{1, NAN}, {2, 3}};
    cr_assert_eq(bp_scaler_fit(&s, BP_SCALE_STANDARDIZE, &x[0][0], 2, 2), BP_ENONFINITE);
    cr_assert(strstr(bp_errmsg(), "column 1"), "%s", bp_errmsg());
    cr_assert_eq(s.columns, 0);
    bp_scaler empty = {0};
    cr_assert_eq(bp_scaler_transform(&empty, &x[0][0], 2), BP_EINVAL);
    float zero_scale[1] = {0}, offset[1] = {0};
    bp_scaler bad = {.columns = 1, .offset = offset, .scale = zero_scale};
    cr_assert_eq(bp_scaler_inverse(&bad, &x[0][0], 1), BP_EINVAL);
}

Test(labels, numbers_sort_numerically) {
    const char *labels[] = {"10", "2", " 1 ", "2", "10", "1"};
    bp_dataset d;
    cr_assert_eq(bp_labels_map(&d, labels, 6, 0), BP_OK);
    cr_assert_eq(d.classes, 3, "no phantom class 0 from labels 1..10");
    cr_assert_str_eq(d.class_names[0], "1");
    cr_assert_str_eq(d.class_names[1], "2");
    cr_assert_str_eq(d.class_names[2], "10");
    const uint32_t want[] = {2, 1, 0, 1, 2, 0};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(d.labels[i], want[i], "label %d", i);
    bp_dataset_free(&d);
}

/* A label is its text: two spellings of one number are two classes, and a
 * class is named as it is written (issue 22: "01" and "1" became one class,
 * and "007" came back as "7"). */
Test(labels, two_spellings_are_two_classes) {
    const char *labels[] = {
        "01", "1", "-0", "0", "1.0", "007", "12345678901234567", "12345678901234568"};
    bp_dataset d;
    cr_assert_eq(bp_labels_map(&d, labels, 8, 0), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(d.classes, 8, "every spelling its own class");
    /* Numeric order; one number's spellings in text order ("-0" < "0",
     * "01" < "1" < "1.0"); the two long IDs round to one double. */
    const char *names[] = {
        "-0", "0", "01", "1", "1.0", "007", "12345678901234567", "12345678901234568"};
    for (int c = 0; c < 8; c++)
        cr_assert_str_eq(d.class_names[c], names[c], "class %d", c);
    cr_assert_eq(d.labels[5], 5, "007 is class \"007\"");
    bp_dataset_free(&d);
}

Test(labels, one_class_is_an_error) {
    const char *labels[] = {"01", "01", " 01"};
    bp_dataset d;
    cr_assert_eq(bp_labels_map(&d, labels, 3, 0), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "one class"), "%s", bp_errmsg());
    cr_assert_null(d.labels);
}

Test(labels, missing_labels_are_errors) {
    const char *words[] = {"NA", "?", "", "N/A", "NaN"};
    for (int i = 0; i < 5; i++) {
        const char *labels[] = {"a", "b", words[i]};
        bp_dataset d;
        cr_assert_eq(bp_labels_map(&d, labels, 3, 0), BP_EINVAL, "\"%s\"", words[i]);
        cr_assert(strstr(bp_errmsg(), "labels[2]") && strstr(bp_errmsg(), "missing"), "%s",
                  bp_errmsg());
    }
}

Test(labels, words_sort_as_text) {
    const char *labels[] = {"setosa", "virginica", "class_1", "setosa", "10", "9"};
    bp_dataset d;
    cr_assert_eq(bp_labels_map(&d, labels, 6, 0), BP_OK);
    cr_assert_eq(d.classes, 5);
    const char *names[] = {"10", "9", "class_1", "setosa", "virginica"};
    for (int c = 0; c < 5; c++)
        cr_assert_str_eq(d.class_names[c], names[c]);
    cr_assert_eq(d.labels[0], 3);
    cr_assert_eq(d.labels[2], 2);
    bp_dataset_free(&d);
}

Test(labels, limit_and_empty) {
    const char *labels[] = {"a", "b", "c"};
    bp_dataset d;
    cr_assert_eq(bp_labels_map(&d, labels, 3, 2), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "labels[2]"), "%s", bp_errmsg());
    const char *blank[] = {"a", "  "};
    cr_assert_eq(bp_labels_map(&d, blank, 2, 0), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "labels[1]") && strstr(bp_errmsg(), "missing"), "%s",
              bp_errmsg());
    cr_assert_null(d.labels);
}

/* y = 3 x0 - 2 x1 + 0.5 and y2 = x0 + x1: a linear regression with two
 * outputs that a 2-2 identity network fits exactly. */
static void make_regression(bp_dataset *d, size_t n, float *inputs, float *targets) {
    for (size_t i = 0; i < n; i++) {
        const float x0 = (float)(i % 7) / 7.0f - 0.5f, x1 = (float)(i % 5) / 5.0f - 0.3f;
        inputs[2 * i] = x0;
        inputs[2 * i + 1] = x1;
        targets[2 * i] = 3.0f * x0 - 2.0f * x1 + 0.5f;
        targets[2 * i + 1] = x0 + x1;
    }
    *d =
        (bp_dataset){.count = n, .features = 2, .inputs = inputs, .outputs = 2, .targets = targets};
}

Test(regression, trains_and_scores) {
    enum { N = 70 };
    float inputs[N * 2], targets[N * 2];
    bp_dataset d;
    make_regression(&d, N, inputs, targets);
    const size_t sizes[] = {2, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_OPENBLAS, 3), BP_OK);
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    config.learning_rate = 0.05f;
    bp_optimizer *opt;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK);
    bp_train_options options;
    bp_train_options_default(&options);
    options.epochs = 300;
    options.batch_size = 10;
    cr_assert_eq(bp_train(net, opt, &d, &d, &options), BP_OK);
    double loss, accuracy;
    cr_assert_eq(bp_evaluate(net, &d, &loss, &accuracy), BP_OK);
    cr_assert(isnan(accuracy), "no accuracy for a regression set");
    bp_regression_metrics m;
    cr_assert_eq(bp_evaluate_regression(net, &d, NULL, &m), BP_OK);
    cr_assert_lt(m.mse, 1e-4, "mse %g", m.mse);
    cr_assert_gt(m.r2, 0.999, "r2 %g", m.r2);
    /* The quadratic cost sums over the outputs: the loss is outputs x MSE. */
    cr_assert_float_eq(loss, 2.0 * m.mse, 1e-6 + 1e-3 * loss);

    /* Metrics against their definitions, computed here from the outputs. */
    float out[N * 2];
    cr_assert_eq(bp_net_predict(net, inputs, N, out), BP_OK);
    double se = 0, ae = 0, r2 = 0;
    for (int j = 0; j < 2; j++) {
        double mean = 0, res = 0, tot = 0;
        for (int i = 0; i < N; i++)
            mean += targets[2 * i + j] / (double)N;
        for (int i = 0; i < N; i++) {
            const double e = out[2 * i + j] - (double)targets[2 * i + j];
            se += e * e;
            ae += fabs(e);
            res += e * e;
            tot += (targets[2 * i + j] - mean) * (targets[2 * i + j] - mean);
        }
        r2 += (1 - res / tot) / 2;
    }
    cr_assert_float_eq(m.mse, se / (2 * N), 1e-9);
    cr_assert_float_eq(m.mae, ae / (2 * N), 1e-9);
    cr_assert_float_eq(m.r2, r2, 1e-9);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

Test(regression, metrics_in_target_units) {
    enum { N = 20 };
    float inputs[N * 2], targets[N * 2];
    bp_dataset d;
    make_regression(&d, N, inputs, targets);
    bp_scaler ts;
    cr_assert_eq(bp_scaler_fit(&ts, BP_SCALE_STANDARDIZE, targets, N, 2), BP_OK);
    cr_assert_eq(bp_scaler_transform(&ts, targets, N), BP_OK);
    const size_t sizes[] = {2, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_NAIVE, 5), BP_OK);
    bp_regression_metrics scaled, raw;
    cr_assert_eq(bp_evaluate_regression(net, &d, NULL, &scaled), BP_OK);
    cr_assert_eq(bp_evaluate_regression(net, &d, &ts, &raw), BP_OK);
    /* R^2 does not depend on an affine map of each output; MSE does. */
    cr_assert_float_eq(scaled.r2, raw.r2, 1e-4);
    cr_assert(fabs(scaled.mse - raw.mse) > 1e-3, "%g %g", scaled.mse, raw.mse);
    bp_scaler_free(&ts);
    bp_net_destroy(net);
}

Test(regression, shape_mismatch_refused) {
    float inputs[4] = {0}, targets[2] = {0};
    bp_dataset d = {.count = 2, .features = 2, .inputs = inputs, .outputs = 1, .targets = targets};
    const size_t sizes[] = {2, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_NAIVE, 5), BP_OK);
    double loss;
    cr_assert_eq(bp_evaluate(net, &d, &loss, NULL), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "targets"), "%s", bp_errmsg());
    bp_regression_metrics m;
    cr_assert_eq(bp_evaluate_regression(net, &d, NULL, &m), BP_EINVAL);
    bp_net_destroy(net);
}

Test(predict, matches_forward_in_any_batch) {
    enum { N = 600 };
    const size_t sizes[] = {3, 5, 2};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_NAIVE, 9), BP_OK);
    static float inputs[N * 3], outputs[N * 2];
    for (int i = 0; i < N * 3; i++)
        inputs[i] = sinf((float)i);
    cr_assert_eq(bp_net_predict(net, inputs, N, outputs), BP_OK);
    cr_assert_eq(bp_net_max_batch(net), BP_EVAL_BATCH, "reserves for a full batch");
    for (int i = 0; i < N; i += 97) {
        const float *one;
        cr_assert_eq(bp_net_forward(net, inputs + 3 * i, 1, &one), BP_OK);
        cr_assert_float_eq(outputs[2 * i], one[0], 1e-6);
        cr_assert_float_eq(outputs[2 * i + 1], one[1], 1e-6);
    }
    bp_net_destroy(net);
}

Test(evaluate, loaded_model_reserves_a_full_batch) {
    const size_t sizes[] = {2, 3, 2};
    const bp_activation acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_OPENBLAS, 1), BP_OK);
    char path[] = "/tmp/bp_test_preprocess_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bp_net_save(net, path), BP_OK);
    bp_net *loaded;
    cr_assert_eq(bp_net_load(&loaded, path, BP_KERNELS_OPENBLAS), BP_OK);
    remove(path);
    enum { N = 1000 };
    static float inputs[N * 2];
    static uint32_t labels[N];
    for (int i = 0; i < N; i++) {
        inputs[2 * i] = (float)(i % 3);
        labels[i] = i % 2;
    }
    bp_dataset d = {.count = N, .features = 2, .classes = 2, .inputs = inputs, .labels = labels};
    double a, b;
    cr_assert_eq(bp_evaluate(loaded, &d, &a, NULL), BP_OK);
    cr_assert_eq(bp_net_max_batch(loaded), BP_EVAL_BATCH);
    cr_assert_eq(bp_evaluate(net, &d, &b, NULL), BP_OK);
    cr_assert_float_eq(a, b, 1e-6);
    bp_net_destroy(loaded);
    bp_net_destroy(net);
}

/* ---- model files, version 2 ---- */

static bp_net *classifier_with_preprocessing(void) {
    const size_t sizes[] = {3, 4, 3};
    const bp_activation acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_NAIVE, 4), BP_OK);
    bp_scaler s;
    cr_assert_eq(bp_scaler_fit(&s, BP_SCALE_STANDARDIZE, &table[0][0], 4, 3), BP_OK);
    char *names[] = {"setosa", "versicolor", "virginica"};
    const bp_preprocessing p = {
        .task = BP_TASK_CLASSIFICATION, .inputs = s, .classes = 3, .class_names = names};
    cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_OK, "%s", bp_errmsg());
    bp_scaler_free(&s);
    return net;
}

/* The bytes of net's model file, from bp_net_save_memory. */
static unsigned char *saved_bytes(const bp_net *net, size_t *size) {
    cr_assert_eq(bp_net_save_memory(net, NULL, 0, size), BP_OK);
    unsigned char *bytes = malloc(*size);
    cr_assert_eq(bp_net_save_memory(net, bytes, *size, size), BP_OK);
    return bytes;
}

Test(model_v2, preprocessing_round_trips) {
    bp_net *net = classifier_with_preprocessing();
    size_t size;
    unsigned char *bytes = saved_bytes(net, &size);
    cr_assert_eq(bytes[8], 2, "a model with preprocessing is format version 2");
    bp_net *loaded;
    cr_assert_eq(bp_net_load_memory(&loaded, bytes, size, BP_KERNELS_NAIVE), BP_OK, "%s",
                 bp_errmsg());
    const bp_preprocessing *a = bp_net_preprocessing(net), *b = bp_net_preprocessing(loaded);
    cr_assert_not_null(b);
    cr_assert_eq(b->task, BP_TASK_CLASSIFICATION);
    cr_assert_eq(b->inputs.columns, 3);
    cr_assert_eq(b->inputs.kind, BP_SCALE_STANDARDIZE);
    cr_assert_eq(memcmp(a->inputs.offset, b->inputs.offset, 3 * sizeof(float)), 0);
    cr_assert_eq(memcmp(a->inputs.scale, b->inputs.scale, 3 * sizeof(float)), 0);
    cr_assert_eq(b->targets.columns, 0);
    cr_assert_eq(b->classes, 3);
    cr_assert_str_eq(b->class_names[2], "virginica");
    size_t again_size;
    unsigned char *again = saved_bytes(loaded, &again_size);
    cr_assert_eq(again_size, size);
    cr_assert_eq(memcmp(again, bytes, size), 0, "saved again, the same bytes");
    /* Removed, the model is version 1 again, and loads without any. */
    cr_assert_eq(bp_net_set_preprocessing(loaded, NULL), BP_OK);
    free(again);
    again = saved_bytes(loaded, &again_size);
    cr_assert_eq(again[8], 1);
    bp_net *plain;
    cr_assert_eq(bp_net_load_memory(&plain, again, again_size, BP_KERNELS_NAIVE), BP_OK);
    cr_assert_null(bp_net_preprocessing(plain));
    bp_net_destroy(plain);
    free(again);
    free(bytes);
    bp_net_destroy(loaded);
    bp_net_destroy(net);
}

Test(model_v2, regression_target_scaling_round_trips) {
    const size_t sizes[] = {2, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 1, sizes, acts, BP_KERNELS_NAIVE, 4), BP_OK);
    float offset[2] = {100, -3}, scale[2] = {0.01f, 2};
    const bp_preprocessing p = {
        .task = BP_TASK_REGRESSION,
        .targets = {.kind = BP_SCALE_STANDARDIZE, .columns = 2, .offset = offset, .scale = scale}};
    cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_OK);
    size_t size;
    unsigned char *bytes = saved_bytes(net, &size);
    bp_net *loaded;
    cr_assert_eq(bp_net_load_memory(&loaded, bytes, size, BP_KERNELS_NAIVE), BP_OK);
    const bp_preprocessing *b = bp_net_preprocessing(loaded);
    cr_assert_eq(b->task, BP_TASK_REGRESSION);
    cr_assert_eq(b->targets.offset[0], 100.0f);
    cr_assert_eq(b->targets.scale[1], 2.0f);
    free(bytes);
    bp_net_destroy(loaded);
    bp_net_destroy(net);
}

Test(model_v2, bad_preprocessing_is_refused) {
    bp_net *net = classifier_with_preprocessing();
    float offset[3] = {0}, scale[3] = {1, 0, 1};
    bp_preprocessing p = {.task = BP_TASK_CLASSIFICATION,
                          .inputs = {.columns = 3, .offset = offset, .scale = scale}};
    cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "column 1"), "%s", bp_errmsg());
    p.inputs.columns = 2;
    cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_EINVAL);
    p = (bp_preprocessing){.task = BP_TASK_REGRESSION, .classes = 1};
    char *names[] = {"a\tb"};
    p.class_names = names;
    cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_EINVAL);
    p.task = BP_TASK_CLASSIFICATION;
    cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_EINVAL, "a control character");
    cr_assert_eq(bp_net_preprocessing(net)->classes, 3, "a refused call keeps the old one");
    bp_net_destroy(net);
}

/* The section starts after the parameters' 4 P bytes and its uint64 length. */
static size_t section_start(const bp_net *net) {
    return 40 + 12 * bp_net_num_layers(net) + 4 * bp_net_num_params(net) + 8;
}

static void repair_crc(unsigned char *bytes, size_t size) {
    const uint32_t crc = (uint32_t)crc32(0, bytes, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        bytes[size - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
}

Test(model_v2, damaged_sections_with_a_good_crc_are_format_errors) {
    bp_net *net = classifier_with_preprocessing();
    size_t size;
    unsigned char *good = saved_bytes(net, &size);
    const size_t at = section_start(net);
    /* offset within the section, new byte, words the message holds */
    const struct {
        size_t offset;
        unsigned char value;
        const char *says;
    } damages[] = {
        {0, 9, "section version 9"},
        {4, 7, "unknown task 7"},
        {4, 1, "do not fit task"},
        {8, 0x10, "flags"},
        {12, 5, "kind 5"},
        {16, 4, "has 4 columns"},
        {12 + 12 + 12 + 3, 0, "column 0"}, /* the first scale's high byte: 0 */
        {12 + 12 + 24, 4, "4 class names"},
        {12 + 12 + 24 + 8 + 4, '\n', "class name 0"},
    };
    for (size_t i = 0; i < sizeof damages / sizeof *damages; i++) {
        unsigned char *bytes = malloc(size);
        memcpy(bytes, good, size);
        bytes[at + damages[i].offset] = damages[i].value;
        if (damages[i].offset == 12 + 12 + 12 + 3) /* make the scale exactly 0.0f */
            memset(bytes + at + 12 + 12 + 12, 0, 4);
        repair_crc(bytes, size);
        bp_net *loaded = (bp_net *)&loaded;
        const int rc = bp_net_load_memory(&loaded, bytes, size, BP_KERNELS_NAIVE);
        cr_assert_eq(rc, BP_EFORMAT, "damage %zu: %s: %s", i, bp_err_name(rc), bp_errmsg());
        cr_assert_null(loaded);
        cr_assert(strstr(bp_errmsg(), damages[i].says), "damage %zu: \"%s\" lacks \"%s\"", i,
                  bp_errmsg(), damages[i].says);
        free(bytes);
    }
    /* A section length that does not account for the file, and a file cut
     * inside the section. */
    unsigned char *bytes = malloc(size);
    memcpy(bytes, good, size);
    bytes[at - 8] += 1;
    repair_crc(bytes, size);
    bp_net *loaded;
    cr_assert_eq(bp_net_load_memory(&loaded, bytes, size, BP_KERNELS_NAIVE), BP_EFORMAT);
    cr_assert(strstr(bp_errmsg(), "section claims"), "%s", bp_errmsg());
    memcpy(bytes, good, size);
    cr_assert_eq(bp_net_load_memory(&loaded, bytes, at + 2, BP_KERNELS_NAIVE), BP_EFORMAT);
    free(bytes);
    free(good);
    bp_net_destroy(net);
}

/* ---- the schema: preprocessing section version 2 ---- */

/* Where the section of classifier_with_preprocessing's 3-4-3 file starts:
 * 48 + 12 L + 4 P with L = 2, P = 31 (docs/model-format.md). */
enum { SECTION_AT = 48 + 12 * 2 + 4 * 31 };

Test(schema, round_trips_in_section_version_2) {
    bp_net *net = classifier_with_preprocessing();
    size_t size;
    unsigned char *bytes = saved_bytes(net, &size);
    cr_assert_eq(bytes[SECTION_AT], 1, "without a schema the section stays version 1");
    free(bytes);
    cr_assert_null(bp_net_schema(net));
    char *inputs[] = {"height", "weight", "age"}, *label[] = {"species"};
    const bp_schema schema = {.input_names = inputs, .output_names = label, .skipped_columns = 1};
    cr_assert_eq(bp_net_set_schema(net, &schema), BP_OK, "%s", bp_errmsg());
    bytes = saved_bytes(net, &size);
    cr_assert_eq(bytes[SECTION_AT], 2, "a schema makes the section version 2");
    bp_net *loaded;
    cr_assert_eq(bp_net_load_memory(&loaded, bytes, size, BP_KERNELS_NAIVE), BP_OK, "%s",
                 bp_errmsg());
    const bp_schema *s = bp_net_schema(loaded);
    cr_assert_not_null(s);
    for (int j = 0; j < 3; j++)
        cr_assert_str_eq(s->input_names[j], inputs[j]);
    cr_assert_null(s->input_names[3]);
    cr_assert_str_eq(s->output_names[0], "species");
    cr_assert_eq(s->skipped_columns, 1);
    cr_assert_eq(bp_net_preprocessing(loaded)->classes, 3, "the rest is still there");
    size_t again_size;
    unsigned char *again = saved_bytes(loaded, &again_size);
    cr_assert(again_size == size && memcmp(again, bytes, size) == 0, "saved again, the same bytes");
    free(again);
    free(bytes);
    bp_net_destroy(loaded);
    bp_net_destroy(net);
}

Test(schema, bad_schemas_are_refused) {
    bp_net *net = classifier_with_preprocessing();
    char *dup[] = {"a", "b", "a"}, *blank[] = {"a", "b ", "c"}, *good[] = {"a", "b", "c"};
    char *two_labels[] = {"y", "z"};
    bp_schema s = {.input_names = dup};
    cr_assert_eq(bp_net_set_schema(net, &s), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "input names 0 and 2 are both \"a\""), "%s", bp_errmsg());
    s.input_names = blank;
    cr_assert_eq(bp_net_set_schema(net, &s), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "blank at an end"), "%s", bp_errmsg());
    s = (bp_schema){.input_names = good, .output_names = two_labels};
    cr_assert_eq(bp_net_set_schema(net, &s), BP_OK, "a classifier reads the first label name");
    s = (bp_schema){.skipped_columns = 2000000};
    cr_assert_eq(bp_net_set_schema(net, &s), BP_EINVAL);
    bp_net *plain;
    const size_t sizes[] = {3, 2};
    const bp_activation acts[] = {BP_ACT_IDENTITY};
    cr_assert_eq(bp_net_create(&plain, 1, sizes, acts, BP_KERNELS_NAIVE, 1), BP_OK);
    s = (bp_schema){.input_names = good};
    cr_assert_eq(bp_net_set_schema(plain, &s), BP_EINVAL, "no preprocessing to keep it with");
    bp_net_destroy(plain);
    bp_net_destroy(net);
}

/* A class name the CLI could not read back as itself is refused, in the
 * words Python's save_model passes on (issue 22). */
Test(schema, class_names_a_csv_cannot_spell_are_refused) {
    bp_net *net = classifier_with_preprocessing();
    const char *cases[][2] = {{" yes", "blank at an end"},
                              {"NA", "a missing label"},
                              {"\"q\"", "wrapped in double quotes"},
                              {"b", "class names 1 and 2 are both \"b\""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *names[] = {"a", "b", (char *)cases[i][0]};
        const bp_preprocessing p = {
            .task = BP_TASK_CLASSIFICATION, .classes = 3, .class_names = names};
        cr_assert_eq(bp_net_set_preprocessing(net, &p), BP_EINVAL, "\"%s\"", cases[i][0]);
        cr_assert(strstr(bp_errmsg(), cases[i][1]), "%s", bp_errmsg());
    }
    bp_net_destroy(net);
}
