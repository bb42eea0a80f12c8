/* A data set's rows in mini-batch buffers: the buffers, the check of a set against a network,
 * the gather of rows and the count of right answers. */
#include "train/batches.h"

#include <stdio.h>

#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

void bp__batch_buffers_free(bp__batch_buffers *b) {
    bp__free(b->inputs);
    bp__free(b->targets);
    *b = (bp__batch_buffers){0};
}

int bp__batch_buffers_alloc(bp__batch_buffers *b, const bp_net *net, size_t capacity,
                            const char *function) {
    *b = (bp__batch_buffers){.capacity = capacity};
    size_t input_bytes, target_bytes;
    if (!bp__mul_size(capacity, bp_net_num_inputs(net) * sizeof(float), &input_bytes) ||
        !bp__mul_size(capacity, bp_net_num_outputs(net) * sizeof(float), &target_bytes))
        return bp__fail(BP_EOVERFLOW, function, "batch buffers for %zu examples overflow size_t",
                        capacity);
    b->inputs = bp__alloc(input_bytes);
    b->targets = bp__alloc(target_bytes);
    if (!b->inputs || !b->targets) {
        bp__batch_buffers_free(b);
        return bp__fail(BP_ENOMEM, function, "no memory for batch buffers of %zu examples",
                        capacity);
    }
    return BP_OK;
}

/* A data set must fit the network: one input per feature, and every label
 * an output neuron (a test set may lack the last classes). */
int bp__check_data(const bp_net *net, const bp_dataset *data, const char *name,
                   const char *function) {
    if (!data)
        return bp__fail(BP_EINVAL, function, "%s is NULL", name);
    char what[32];
    snprintf(what, sizeof what, "the %s set's reserved", name);
    int rc = BP__CHECK_RESERVED(data, what, function);
    if (rc != BP_OK)
        return rc;
    if (data->count == 0 || !data->inputs || (!data->labels && !data->targets))
        return bp__fail(BP_EINVAL, function, "the %s set is empty", name);
    if (data->features != bp_net_num_inputs(net))
        return bp__fail(BP_EINVAL, function,
                        "the %s set has %zu features per example; the network has %zu inputs", name,
                        data->features, bp_net_num_inputs(net));
    /* A regression set: one target per output. */
    if (data->targets) {
        if (data->outputs != bp_net_num_outputs(net))
            return bp__fail(BP_EINVAL, function,
                            "the %s set has %zu targets per example; the network has %zu outputs",
                            name, data->outputs, bp_net_num_outputs(net));
        return BP_OK;
    }
    if (data->classes > bp_net_num_outputs(net))
        return bp__fail(BP_EINVAL, function,
                        "the %s set has %zu classes; the network has only %zu outputs", name,
                        data->classes, bp_net_num_outputs(net));
    /* The struct is the caller's: its labels need not agree with classes. */
    for (size_t i = 0; i < data->count; i++)
        if (data->labels[i] >= bp_net_num_outputs(net))
            return bp__fail(BP_EINVAL, function,
                            "example %zu of the %s set has label %u; the network has %zu outputs",
                            i, name, (unsigned)data->labels[i], bp_net_num_outputs(net));
    return BP_OK;
}

/* Copies examples order[first .. first + n) (first .. first + n - 1
 * without an order) into the buffers, with one-hot targets as wide as the
 * network's output: bp_dataset_batch on a view of the set with that many
 * classes (bp__check_data made sure every label fits). */
void bp__gather(const bp_dataset *data, const size_t *order, size_t first, size_t n, size_t outputs,
                bp__batch_buffers *b) {
    bp_dataset view = *data;
    view.classes = outputs;
    bp_dataset_batch(&view, order, first, n, b->inputs, b->targets);
}

/* How many of the n output rows of examples order[first ..] (first ..
 * without an order) have their largest value at the example's label. */
size_t bp__count_correct(const float *outputs, const bp_dataset *data, const size_t *order,
                         size_t first, size_t n, size_t width) {
    size_t correct = 0;
    if (data->targets)
        return 0; /* a regression set: no accuracy */
    for (size_t i = 0; i < n; i++) {
        const size_t example = order ? order[first + i] : first + i;
        const float *row = outputs + i * width;
        size_t best = 0;
        for (size_t j = 1; j < width; j++)
            best = row[j] > row[best] ? j : best;
        correct += best == data->labels[example];
    }
    return correct;
}
