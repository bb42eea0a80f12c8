/* Data sets in memory: freeing, input scaling, one-hot targets, shuffles, batches. */
#include "data/dataset.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backprop.h"
#include "core/rng.h"
#include "data/scaler.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

bool bp__dataset_resize(void **block, size_t old_bytes, size_t new_bytes) {
    void *moved = bp__alloc(new_bytes);
    if (!moved)
        return false;
    if (*block)
        memcpy(moved, *block, old_bytes < new_bytes ? old_bytes : new_bytes);
    bp__free(*block);
    *block = moved;
    return true;
}

size_t bp__dataset_classes(const uint32_t *labels, size_t n) {
    if (n == 0)
        return 0;
    uint32_t largest = 0;
    for (size_t i = 0; i < n; i++)
        largest = labels[i] > largest ? labels[i] : largest;
    return (size_t)largest + 1;
}

void bp_dataset_free(bp_dataset *data) {
    if (!data)
        return;
    bp__free(data->inputs);
    bp__free(data->labels);
    bp__free(data->targets);
    bp__free(data->class_names); /* one block: pointers and texts */
    bp__free(data->feature_names);
    bp__free(data->output_names);
    bp__free(data->skipped_names);
    *data = (bp_dataset){0};
}

/* count x features, or false when a caller-made struct claims more floats
 * than an address space holds. */
static bool input_count(const bp_dataset *data, size_t *total) {
    size_t bytes;
    return bp__mul_size(data->count, data->features, total) &&
           bp__mul_size(*total, sizeof(float), &bytes);
}

int bp_dataset_fit_scaling(const bp_dataset *data, bp_scaling_kind kind, float *offset,
                           float *scale) {
    const char *fn = __func__;
    if (!data || !offset || !scale)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !data ? "data" : !offset ? "offset" : "scale");
    int rc = BP__CHECK_RESERVED(data, "data->reserved", fn);
    if (rc != BP_OK)
        return rc;
    if (kind != BP_SCALE_MINMAX && kind != BP_SCALE_STANDARDIZE)
        return bp__fail(BP_EINVAL, fn, "unknown scaling kind %d", (int)kind);
    size_t total;
    if (!input_count(data, &total))
        return bp__fail(BP_EINVAL, fn, "%zu examples x %zu features overflow size_t", data->count,
                        data->features);
    if (total == 0 || !data->inputs)
        return bp__fail(BP_EINVAL, fn, "the data set is empty");

    /* All inputs as one column: one offset and scale for every feature. */
    size_t bad;
    double spread;
    if (bp__fit_column(data->inputs, total, 1, kind, offset, scale, &bad, &spread) == BP_OK)
        return BP_OK;
    if (bad < total)
        return bp__fail(BP_ENONFINITE, fn, "input %zu of example %zu is %s", bad % data->features,
                        bad / data->features, isnan(data->inputs[bad]) ? "NaN" : "infinite");
    return bp__fail(BP_ENONFINITE, fn, "the inputs span only %g: the scale overflows a float",
                    spread);
}

int bp_dataset_scale(bp_dataset *data, float offset, float scale) {
    const char *fn = __func__;
    if (!data)
        return bp__fail(BP_EINVAL, fn, "data is NULL");
    int rc = BP__CHECK_RESERVED(data, "data->reserved", fn);
    if (rc != BP_OK)
        return rc;
    if (!isfinite(offset) || !isfinite(scale))
        return bp__fail(BP_EINVAL, fn, "offset %g and scale %g must be finite", (double)offset,
                        (double)scale);
    size_t total;
    if (!input_count(data, &total))
        return bp__fail(BP_EINVAL, fn, "%zu examples x %zu features overflow size_t", data->count,
                        data->features);
    if (total > 0 && !data->inputs)
        return bp__fail(BP_EINVAL, fn, "data->inputs is NULL for %zu inputs", total);
    /* In double, so that x - offset loses nothing before the product rounds once. */
    for (size_t i = 0; i < total; i++)
        data->inputs[i] = (float)(((double)data->inputs[i] - offset) * scale);
    return BP_OK;
}

int bp_one_hot(const uint32_t *labels, size_t n, size_t classes, float *out) {
    const char *fn = __func__;
    if (!labels || !out)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !labels ? "labels" : "out");
    if (classes == 0)
        return bp__fail(BP_EINVAL, fn, "classes is 0");
    size_t total, bytes;
    if (!bp__mul_size(n, classes, &total) || !bp__mul_size(total, sizeof(float), &bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu rows of %zu classes overflow size_t", n, classes);
    /* Every label checked before anything is written: out is untouched on failure. */
    for (size_t i = 0; i < n; i++)
        if (labels[i] >= classes)
            return bp__fail(BP_EINVAL, fn, "labels[%zu] is %u, not below classes %zu", i,
                            (unsigned)labels[i], classes);
    if (bytes > 0)
        memset(out, 0, bytes);
    for (size_t i = 0; i < n; i++)
        out[i * classes + labels[i]] = 1.0f;
    return BP_OK;
}

/* A draw uniform in [0, bound), bound >= 1, without the bias of a bare
 * r % bound: the lowest 2^64 mod bound values of r are rejected, leaving a
 * multiple of bound equally likely values (fewer than one draw in two is
 * rejected, for any bound). */
static uint64_t bounded(bp__rng *rng, uint64_t bound) {
    const uint64_t threshold = ((uint64_t)0 - bound) % bound; /* 2^64 mod bound */
    for (;;) {
        const uint64_t r = bp__rng_next(rng);
        if (r >= threshold)
            return r % bound;
    }
}

int bp_shuffle(size_t *order, size_t n, uint64_t seed) {
    if (!order)
        return bp__fail(BP_EINVAL, __func__, "order is NULL");
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    bp__rng rng;
    bp__rng_seed(&rng, seed);
    /* Fisher-Yates: position i takes one of the i + 1 entries not yet placed. */
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)bounded(&rng, (uint64_t)i);
        const size_t swap = order[i - 1];
        order[i - 1] = order[j];
        order[j] = swap;
    }
    return BP_OK;
}

int bp_dataset_batch(const bp_dataset *data, const size_t *order, size_t first, size_t n,
                     float *inputs, float *targets) {
    const char *fn = __func__;
    if (!data || !inputs)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !data ? "data" : "inputs");
    int rc = BP__CHECK_RESERVED(data, "data->reserved", fn);
    if (rc != BP_OK)
        return rc;
    size_t end;
    if (!bp__add_size(first, n, &end) || end > data->count)
        return bp__fail(BP_ERANGE, fn, "examples %zu + %zu reach past the %zu of the data set",
                        first, n, data->count);
    if (n == 0)
        return BP_OK;
    size_t total, row_bytes, target_bytes = 0;
    if (!input_count(data, &total) || !bp__mul_size(data->features, sizeof(float), &row_bytes))
        return bp__fail(BP_EINVAL, fn, "%zu examples x %zu features overflow size_t", data->count,
                        data->features);
    const bool regression = data->targets != NULL;
    if (!data->inputs || (targets && !regression && !data->labels))
        return bp__fail(BP_EINVAL, fn, "data->%s is NULL", !data->inputs ? "inputs" : "labels");
    if (targets && regression &&
        (data->outputs == 0 || !bp__mul_size(data->outputs, sizeof(float), &target_bytes) ||
         !bp__mul_size(data->count, target_bytes, &(size_t){0})))
        return bp__fail(BP_EINVAL, fn, "the regression set has %zu outputs", data->outputs);
    if (targets && !regression &&
        (data->classes == 0 || !bp__mul_size(data->classes, sizeof(float), &target_bytes)))
        return bp__fail(BP_EINVAL, fn, "the data set has %zu classes", data->classes);

    /* Indices and labels checked before anything is written, so that a bad
     * order leaves the caller's buffers untouched. */
    for (size_t i = 0; i < n; i++) {
        const size_t example = order ? order[first + i] : first + i;
        if (example >= data->count)
            return bp__fail(BP_ERANGE, fn, "order[%zu] is %zu, past the %zu examples", first + i,
                            example, data->count);
        if (targets && !regression && data->labels[example] >= data->classes)
            return bp__fail(BP_EINVAL, fn, "example %zu has label %u, not below classes %zu",
                            example, (unsigned)data->labels[example], data->classes);
    }
    for (size_t i = 0; i < n; i++) {
        const size_t example = order ? order[first + i] : first + i;
        memcpy(inputs + i * data->features, data->inputs + example * data->features, row_bytes);
        if (targets && regression) {
            memcpy(targets + i * data->outputs, data->targets + example * data->outputs,
                   target_bytes);
        } else if (targets) {
            float *row = targets + i * data->classes;
            memset(row, 0, target_bytes);
            row[data->labels[example]] = 1.0f;
        }
    }
    return BP_OK;
}
