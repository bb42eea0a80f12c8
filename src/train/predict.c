/* Outputs for any number of examples, and the regression metrics (MSE, MAE, R^2) of a data set. */
#include <math.h>
#include <string.h>

#include "backprop.h"
#include "core/net.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

/* Reserves min(n, BP_EVAL_BATCH) examples if the network has room for fewer. */
static int reserve_for(bp_net *net, size_t n) {
    const size_t want = n < BP_EVAL_BATCH ? n : BP_EVAL_BATCH;
    if (bp_net_max_batch(net) >= want)
        return BP_OK;
    return bp_net_reserve(net, want);
}

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
    int rc = reserve_for(net, n);
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

/* Per-output sums of the targets, for their means. */
static void target_means(const bp_dataset *data, const bp_scaler *scaler, float *row,
                         double *mean) {
    const size_t width = data->outputs;
    for (size_t j = 0; j < width; j++)
        mean[j] = 0.0;
    for (size_t i = 0; i < data->count; i++) {
        memcpy(row, data->targets + i * width, width * sizeof(float));
        if (scaler)
            bp_scaler_inverse(scaler, row, 1);
        for (size_t j = 0; j < width; j++)
            mean[j] += row[j];
    }
    for (size_t j = 0; j < width; j++)
        mean[j] /= (double)data->count;
}

int bp_evaluate_regression(bp_net *net, const bp_dataset *data, const bp_scaler *target_scaler,
                           bp_regression_metrics *metrics) {
    const char *fn = __func__;
    if (!net || !data || !metrics)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !net ? "net" : !data ? "data" : "metrics");
    int rc = BP__CHECK_RESERVED(data, "data->reserved", fn);
    if (rc == BP_OK && target_scaler)
        rc = BP__CHECK_RESERVED(target_scaler, "target_scaler->reserved", fn);
    if (rc != BP_OK)
        return rc;
    const size_t width = bp_net_num_outputs(net), in = bp_net_num_inputs(net);
    if (!data->targets)
        return bp__fail(BP_EINVAL, fn, "the data set has no targets: a classification set");
    if (data->count == 0 || !data->inputs)
        return bp__fail(BP_EINVAL, fn, "the data set is empty");
    if (data->features != in || data->outputs != width)
        return bp__fail(BP_EINVAL, fn,
                        "the data set has %zu features and %zu targets; the network %zu inputs "
                        "and %zu outputs",
                        data->features, data->outputs, in, width);
    if (target_scaler && target_scaler->columns != width)
        return bp__fail(BP_EINVAL, fn, "the target scaler has %zu columns; the network %zu outputs",
                        target_scaler->columns, width);
    if (target_scaler) {
        float probe = 0.0f; /* checks the scaler's values once */
        bp_scaler one = *target_scaler;
        one.columns = 1;
        rc = bp_scaler_inverse(&one, &probe, 1);
        for (size_t j = 1; rc == BP_OK && j < width; j++) {
            one.offset = target_scaler->offset + j;
            one.scale = target_scaler->scale + j;
            rc = bp_scaler_inverse(&one, &probe, 1);
        }
        if (rc != BP_OK)
            return rc;
    }
    rc = reserve_for(net, data->count);
    if (rc != BP_OK)
        return rc;
    const size_t batch = bp_net_max_batch(net);
    /* mean, residual squares and total squares per output; two target rows */
    double *sums = bp__alloc(3 * width * sizeof(double));
    float *rows = bp__alloc((batch + 1) * width * sizeof(float));
    if (!sums || !rows) {
        bp__free(sums);
        bp__free(rows);
        return bp__fail(BP_ENOMEM, fn, "no memory for the metrics of %zu outputs", width);
    }
    double *mean = sums, *residual = sums + width, *total = sums + 2 * width;
    float *target = rows + batch * width;
    target_means(data, target_scaler, target, mean);
    for (size_t j = 0; j < width; j++)
        residual[j] = total[j] = 0.0;
    double squares = 0.0, absolute = 0.0;
    for (size_t first = 0; rc == BP_OK && first < data->count; first += batch) {
        const size_t n = data->count - first < batch ? data->count - first : batch;
        const float *out;
        rc = bp_net_forward(net, data->inputs + first * in, n, &out);
        if (rc != BP_OK)
            break;
        memcpy(rows, out, n * width * sizeof(float));
        if (target_scaler)
            bp_scaler_inverse(target_scaler, rows, n);
        for (size_t i = 0; rc == BP_OK && i < n; i++) {
            memcpy(target, data->targets + (first + i) * width, width * sizeof(float));
            if (target_scaler)
                bp_scaler_inverse(target_scaler, target, 1);
            for (size_t j = 0; j < width; j++) {
                const double y = target[j], d = (double)rows[i * width + j] - y;
                if (!isfinite(d)) {
                    rc = bp__fail(BP_ENONFINITE, fn, "example %zu, output %zu: %g against %g",
                                  first + i, j, (double)rows[i * width + j], y);
                    break;
                }
                squares += d * d;
                absolute += fabs(d);
                residual[j] += d * d;
                total[j] += (y - mean[j]) * (y - mean[j]);
            }
        }
    }
    if (rc == BP_OK) {
        double r2 = 0.0;
        for (size_t j = 0; j < width; j++)
            r2 += total[j] > 0.0 ? 1.0 - residual[j] / total[j] : residual[j] == 0.0 ? 1.0 : 0.0;
        const double values = (double)data->count * (double)width;
        *metrics = (bp_regression_metrics){
            .mse = squares / values, .mae = absolute / values, .r2 = r2 / (double)width};
    }
    bp__free(sums);
    bp__free(rows);
    return rc;
}
