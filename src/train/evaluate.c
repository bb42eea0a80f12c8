/* Evaluation: the mean cost and accuracy of a data set (alone or over participants), and the
 * regression metrics (MSE, MAE, R^2). */
#include "train/evaluate.h"

#include <math.h>
#include <string.h>

#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"
#include "train/agreement.h"
#include "train/shares.h"

int bp__reserve_for_evaluation(bp_net *net, size_t n) {
    const size_t want = n < BP_EVAL_BATCH ? n : BP_EVAL_BATCH;
    if (bp_net_max_batch(net) >= want)
        return BP_OK;
    return bp_net_reserve(net, want);
}

int bp__evaluate_with(bp_net *net, const bp_dataset *data, const bp_collective *c,
                      bp__batch_buffers *b, double *loss, double *accuracy) {
    const size_t outputs = bp_net_num_outputs(net);
    size_t begin = 0, count = data->count;
    if (c && !c->sharded)
        bp__share_of(data->count, c->size, c->rank, &begin, &count);
    double cost_sum = 0.0;
    size_t correct = 0;
    int rc = BP_OK;
    for (size_t first = begin; rc == BP_OK && first < begin + count; first += b->capacity) {
        const size_t left = begin + count - first;
        const size_t n = left < b->capacity ? left : b->capacity;
        bp__gather(data, NULL, first, n, outputs, b);
        float cost;
        const float *out;
        rc = bp_net_cost(net, b->inputs, b->targets, n, &cost, &out);
        cost_sum += (double)cost * (double)n;
        correct += rc == BP_OK ? bp__count_correct(out, data, NULL, first, n, outputs) : 0;
    }
    /* A participant that failed still takes part in the sum, and says so. */
    double totals[4] = {cost_sum, (double)correct, (double)count, rc != BP_OK};
    const int sum_rc = bp__sum_over_participants(c, totals, 4, "evaluation");
    if (rc != BP_OK)
        return rc; /* bp_net_cost's message stands */
    if (sum_rc != BP_OK)
        return sum_rc;
    if (totals[3] != 0.0)
        return bp__fail(BP_EPEER, "bp_train", "another participant failed its evaluation");
    if (loss)
        *loss = totals[0] / totals[2];
    if (accuracy)
        *accuracy = data->targets ? NAN : totals[1] / totals[2];
    return BP_OK;
}

int bp_evaluate(bp_net *net, const bp_dataset *data, double *loss, double *accuracy) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    int rc = bp__check_data(net, data, "data", __func__);
    if (rc != BP_OK)
        return rc;
    /* A loaded network has room for one example: evaluate in full batches. */
    if ((rc = bp__reserve_for_evaluation(net, data->count)) != BP_OK)
        return rc;
    bp__batch_buffers b;
    rc = bp__batch_buffers_alloc(&b, net, bp_net_max_batch(net), __func__);
    if (rc == BP_OK)
        rc = bp__evaluate_with(net, data, NULL, &b, loss, accuracy);
    bp__batch_buffers_free(&b);
    return rc;
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
    rc = bp__reserve_for_evaluation(net, data->count);
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
