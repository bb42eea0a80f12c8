/* Outputs for any number of examples: activations, logits or log-probabilities. */
#include <math.h>
#include <string.h>

#include "backprop.h"
#include "core/net.h"
#include "support/alloc.h"
#include "support/error.h"
#include "train/evaluate.h"

/* log softmax(z) of one row in place, in double: z_j - (max + log sum_k
 * exp(z_k - max)). Every exponent is <= 0 and the sum is >= 1, so the
 * result is finite for finite logits, however small the probability. */
static void log_softmax_row(float *row, size_t width) {
    double largest = -INFINITY;
    for (size_t j = 0; j < width; j++)
        largest = row[j] > largest ? row[j] : largest;
    double sum = 0.0;
    for (size_t j = 0; j < width; j++)
        sum += exp((double)row[j] - largest);
    const double log_sum = largest + log(sum);
    for (size_t j = 0; j < width; j++)
        row[j] = (float)((double)row[j] - log_sum);
}

/* bp_net_predict and bp_net_predict_output: `function` names the caller. */
static int predict(bp_net *net, const float *inputs, size_t n, bp_output output, float *outputs,
                   const char *fn) {
    if (!net || !inputs || !outputs)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !net ? "net" : !inputs ? "inputs" : "outputs");
    if (n == 0)
        return bp__fail(BP_EINVAL, fn, "n is 0");
    if (output != BP_OUTPUT_ACTIVATIONS && output != BP_OUTPUT_LOGITS &&
        output != BP_OUTPUT_LOG_PROBA)
        return bp__fail(BP_EINVAL, fn, "unknown output kind %d", (int)output);
    const size_t in = bp_net_num_inputs(net), out = bp_net_num_outputs(net);
    if (output == BP_OUTPUT_LOG_PROBA) {
        bp_layer last;
        int rc = bp_net_layer(net, bp_net_num_layers(net) - 1, &last);
        if (rc != BP_OK)
            return rc;
        if (last.activation != BP_ACT_SOFTMAX)
            return bp__fail(BP_EINVAL, fn,
                            "log-probabilities need a softmax output layer; this one's "
                            "activation is %d",
                            (int)last.activation);
    }
    size_t floats, bytes;
    if (!bp__mul_size(n, in > out ? in : out, &floats) ||
        !bp__mul_size(floats, sizeof(float), &bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu examples overflow size_t", n);
    int rc = bp__reserve_for_evaluation(net, n);
    if (rc != BP_OK)
        return rc;
    const size_t batch = bp_net_max_batch(net);
    const bool logits = output != BP_OUTPUT_ACTIVATIONS;
    for (size_t first = 0; first < n; first += batch) {
        const size_t count = n - first < batch ? n - first : batch;
        const float *result;
        rc = bp__net_forward(net, inputs + first * in, count, logits, &result, fn);
        if (rc != BP_OK)
            return rc; /* bp__net_forward's message stands */
        float *rows = outputs + first * out;
        memcpy(rows, result, count * out * sizeof(float));
        if (output == BP_OUTPUT_LOG_PROBA)
            for (size_t i = 0; i < count; i++)
                log_softmax_row(rows + i * out, out);
    }
    return BP_OK;
}

int bp_net_predict(bp_net *net, const float *inputs, size_t n, float *outputs) {
    return predict(net, inputs, n, BP_OUTPUT_ACTIVATIONS, outputs, __func__);
}

int bp_net_predict_output(bp_net *net, const float *inputs, size_t n, bp_output output,
                          float *outputs) {
    return predict(net, inputs, n, output, outputs, __func__);
}
