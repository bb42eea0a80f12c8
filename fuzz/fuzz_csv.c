/* Fuzz target: the CSV loaders on any bytes: label first and last, labels mapped, regression,
 * imputed. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <backprop.h>

#include "fuzz.h"

/* Loads with the label in `column`; returns the columns of a loaded set, 0 on failure. */
static size_t load(const uint8_t *data, size_t size, size_t column) {
    bp_dataset d;
    memset(&d, 0x5a, sizeof d); /* garbage: the load must reset it */
    int rc = bp_dataset_load_csv_memory(&d, data, size, column);
#ifdef FUZZ_REPLAY
    /* bp_dataset_load_csv on the same bytes gives the same result. */
    char path[64];
    replay_temp_file(data, size, path);
    bp_dataset f = {0};
    const int file_rc = bp_dataset_load_csv(&f, path, column);
    unlink(path);
    fuzz_check_same_dataset(rc, &d, file_rc, &f);
#endif
    if (rc != BP_OK) {
        /* BP_EINVAL: a label column past the last one. */
        FUZZ_CHECK_ERROR(rc, BP_EFORMAT, BP_EINVAL, BP_ENOMEM);
        FUZZ_CHECK(d.count == 0 && d.inputs == NULL && d.labels == NULL);
        return 0;
    }
    FUZZ_CHECK(d.count > 0 && d.features > 0 && d.classes > 0 && d.classes <= 65536);
    for (size_t i = 0; i < d.count * d.features; i++)
        FUZZ_CHECK(isfinite(d.inputs[i]));
    for (size_t i = 0; i < d.count; i++)
        FUZZ_CHECK(d.labels[i] < d.classes);
    const size_t columns = d.features + 1;
    bp_dataset_free(&d);
    return columns;
}

/* The set d again with its feature columns asked for by name, in reverse
 * (a model's columns in another order): the same rows, each reversed; or,
 * when two feature columns share a name, an error. */
static void reload_by_name(const uint8_t *data, size_t size, const bp_csv_options *first,
                           const bp_dataset *d) {
    const size_t n = d->features;
    char **reversed = malloc(n * sizeof *reversed);
    FUZZ_CHECK(reversed != NULL);
    bool repeated = false;
    for (size_t j = 0; j < n; j++) {
        reversed[j] = d->feature_names[n - 1 - j];
        for (size_t k = 0; k < j; k++)
            repeated = repeated || strcmp(d->feature_names[k], d->feature_names[j]) == 0;
    }
    bp_csv_options o = *first;
    o.feature_names = reversed;
    o.feature_count = n;
    o.class_names = d->class_names;
    o.classes = d->classes;
    bp_dataset again;
    const int rc = bp_dataset_load_csv_memory_with(&again, data, size, &o);
    FUZZ_CHECK(rc == (repeated ? BP_EFORMAT : BP_OK));
    if (rc == BP_OK) {
        FUZZ_CHECK(again.count == d->count && again.features == n && again.header == 1);
        for (size_t i = 0; i < d->count; i++) {
            FUZZ_CHECK(again.labels[i] == d->labels[i]);
            for (size_t j = 0; j < n; j++)
                FUZZ_CHECK(again.inputs[i * n + j] == d->inputs[i * n + n - 1 - j]);
        }
        for (size_t j = 0; j < n; j++)
            FUZZ_CHECK(strcmp(again.feature_names[j], reversed[j]) == 0);
    }
    bp_dataset_free(&again);
    free(reversed);
}

/* bp_dataset_load_csv_memory_with: labels mapped to named classes, or the
 * last column as a regression target with missing features imputed. */
static void load_with(const uint8_t *data, size_t size, bool regression) {
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.label = "last";
    o.task = regression ? BP_TASK_REGRESSION : BP_TASK_CLASSIFICATION;
    o.impute_mean = regression;
    o.max_input_bytes = 1 << 20;
    bp_dataset d;
    memset(&d, 0x5a, sizeof d);
    const int rc = bp_dataset_load_csv_memory_with(&d, data, size, &o);
    if (rc != BP_OK) {
        FUZZ_CHECK_ERROR(rc, BP_EFORMAT, BP_EINVAL, BP_ENOMEM);
        FUZZ_CHECK(d.count == 0 && d.inputs == NULL && d.labels == NULL && d.targets == NULL);
        return;
    }
    FUZZ_CHECK(d.count > 0 && d.features > 0);
    for (size_t i = 0; i < d.count * d.features; i++)
        FUZZ_CHECK(isfinite(d.inputs[i]));
    if (regression) {
        FUZZ_CHECK(d.outputs == 1 && d.targets && !d.labels);
        for (size_t i = 0; i < d.count; i++)
            FUZZ_CHECK(isfinite(d.targets[i]));
    } else {
        FUZZ_CHECK(d.classes > 0 && d.class_names && !d.class_names[d.classes]);
        for (size_t i = 0; i < d.count; i++)
            FUZZ_CHECK(d.labels[i] < d.classes);
        for (size_t c = 1; c < d.classes; c++)
            FUZZ_CHECK(strcmp(d.class_names[c - 1], d.class_names[c]) != 0);
        FUZZ_CHECK(d.classes >= 2); /* one class is an error */
        FUZZ_CHECK((d.header != 0) == (d.feature_names != NULL));
        if (d.header) {
            FUZZ_CHECK(d.output_names && d.output_names[0] && !d.output_names[1]);
            FUZZ_CHECK(!d.feature_names[d.features]);
            reload_by_name(data, size, &o, &d);
        }
    }
    bp_dataset_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const size_t columns = load(data, size, 0);
    if (columns > 1)
        load(data, size, columns - 1);
    load_with(data, size, false);
    load_with(data, size, true);
    return 0;
}
