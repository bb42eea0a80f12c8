/* The training loop: epochs of shuffled mini-batches, an optimizer step per
 * batch, callbacks, evaluation on held-out data, and the NaN/Inf guard. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <math.h>
#include <stdbool.h>
#include <time.h>

#include "alloc.h"
#include "error.h"
#include "net.h"
#include "optim.h"

/* Buffers of one mini-batch, allocated once before the first step. */
typedef struct batch_buffers {
    size_t capacity; /* examples they hold */
    float *inputs;   /* capacity x n_0 */
    float *targets;  /* capacity x n_L, one-hot */
} batch_buffers;

static void free_buffers(batch_buffers *b) {
    bp__free(b->inputs);
    bp__free(b->targets);
    *b = (batch_buffers){0};
}

static int alloc_buffers(batch_buffers *b, const bp_net *net, size_t capacity,
                         const char *function) {
    *b = (batch_buffers){.capacity = capacity};
    size_t input_bytes, target_bytes;
    if (!bp__mul_size(capacity, bp_net_num_inputs(net) * sizeof(float), &input_bytes) ||
        !bp__mul_size(capacity, bp_net_num_outputs(net) * sizeof(float), &target_bytes))
        return bp__fail(BP_EOVERFLOW, function, "batch buffers for %zu examples overflow size_t",
                        capacity);
    b->inputs = bp__alloc(input_bytes);
    b->targets = bp__alloc(target_bytes);
    if (!b->inputs || !b->targets) {
        free_buffers(b);
        return bp__fail(BP_ENOMEM, function, "no memory for batch buffers of %zu examples",
                        capacity);
    }
    return BP_OK;
}

/* A data set must fit the network: one input per feature, and every label
 * an output neuron (a test set may lack the last classes). */
static int check_data(const bp_net *net, const bp_dataset *data, const char *name,
                      const char *function) {
    if (!data)
        return bp__fail(BP_EINVAL, function, "%s is NULL", name);
    if (data->count == 0 || !data->inputs || !data->labels)
        return bp__fail(BP_EINVAL, function, "the %s set is empty", name);
    if (data->features != bp_net_num_inputs(net))
        return bp__fail(BP_EINVAL, function,
                        "the %s set has %zu features per example; the network has %zu inputs", name,
                        data->features, bp_net_num_inputs(net));
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
 * classes (check_data made sure every label fits). */
static void gather(const bp_dataset *data, const size_t *order, size_t first, size_t n,
                   size_t outputs, batch_buffers *b) {
    bp_dataset view = *data;
    view.classes = outputs;
    bp_dataset_batch(&view, order, first, n, b->inputs, b->targets);
}

/* How many of the n output rows of examples order[first ..] (first ..
 * without an order) have their largest value at the example's label. */
static size_t count_correct(const float *outputs, const bp_dataset *data, const size_t *order,
                            size_t first, size_t n, size_t width) {
    size_t correct = 0;
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

static const float *output_buffer(const bp_net *net) {
    return net->layers[net->n_layers - 1].output;
}

/* Mean cost and accuracy of the whole set, in batches of b->capacity. */
static int evaluate_with(bp_net *net, const bp_dataset *data, batch_buffers *b, double *loss,
                         double *accuracy) {
    const size_t outputs = bp_net_num_outputs(net);
    double cost_sum = 0.0;
    size_t correct = 0;
    for (size_t first = 0; first < data->count; first += b->capacity) {
        const size_t n = data->count - first < b->capacity ? data->count - first : b->capacity;
        gather(data, NULL, first, n, outputs, b);
        float cost;
        const float *out;
        int rc = bp_net_cost(net, b->inputs, b->targets, n, &cost, &out);
        if (rc != BP_OK)
            return rc; /* bp_net_cost's message stands */
        cost_sum += (double)cost * (double)n;
        correct += count_correct(out, data, NULL, first, n, outputs);
    }
    if (loss)
        *loss = cost_sum / (double)data->count;
    if (accuracy)
        *accuracy = (double)correct / (double)data->count;
    return BP_OK;
}

int bp_evaluate(bp_net *net, const bp_dataset *data, double *loss, double *accuracy) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    int rc = check_data(net, data, "data", __func__);
    if (rc != BP_OK)
        return rc;
    batch_buffers b;
    rc = alloc_buffers(&b, net, bp_net_max_batch(net), __func__);
    if (rc == BP_OK)
        rc = evaluate_with(net, data, &b, loss, accuracy);
    free_buffers(&b);
    return rc;
}

void bp_train_options_default(bp_train_options *options) {
    if (options)
        *options = (bp_train_options){.epochs = 10, .batch_size = 32, .seed = 1};
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

/* Everything bp_train allocates, in one place to free. */
typedef struct train_state {
    batch_buffers batch;
    size_t *order; /* this epoch's shuffle */
} train_state;

static void free_state(train_state *s) {
    free_buffers(&s->batch);
    bp__free(s->order);
}

static int check_train_arguments(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                                 const bp_dataset *test, const bp_train_options *options) {
    static const char *const fn = "bp_train";
    if (!net || !opt || !options)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !net ? "net" : !opt ? "opt" : "options");
    if (opt->n_params != net->n_params)
        return bp__fail(BP_EINVAL, fn,
                        "the optimizer was made for %zu parameters; the network has %zu",
                        opt->n_params, net->n_params);
    if (options->epochs == 0 || options->batch_size == 0)
        return bp__fail(BP_EINVAL, fn, "%s is 0; it must be at least 1",
                        options->epochs == 0 ? "epochs" : "batch_size");
    int rc = check_data(net, train, "training", fn);
    if (rc == BP_OK && test)
        rc = check_data(net, test, "test", fn);
    return rc;
}

/* One epoch of steps. Fills the training half of *report. */
static int train_epoch(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                       const bp_train_options *options, train_state *s, bp_epoch_report *report) {
    static const char *const fn = "bp_train";
    const size_t outputs = bp_net_num_outputs(net), batch = s->batch.capacity;
    const size_t batches = (train->count + batch - 1) / batch;
    /* A different shuffle each epoch, all from the one seed. */
    bp_shuffle(s->order, train->count, options->seed + 0x9E3779B97F4A7C15u * report->epoch);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double cost_sum = 0.0;
    size_t correct = 0, done = 0;
    for (size_t k = 0; k < batches; k++) {
        const size_t first = k * batch;
        const size_t n = train->count - first < batch ? train->count - first : batch;
        gather(train, s->order, first, n, outputs, &s->batch);
        float cost;
        int rc = bp_net_gradient(net, s->batch.inputs, s->batch.targets, n, &cost);
        /* A batch with no finite cost or gradient (diverged parameters, or
         * NaN or Inf in its inputs) must not reach the optimizer: stop with
         * the parameters the last good step left, and the optimizer's state
         * that goes with them. */
        if (rc == BP_ENONFINITE)
            return bp__fail(BP_ENONFINITE, fn,
                            "epoch %zu, batch %zu: the %s is not finite (cost %g); training "
                            "stopped with the parameters of the last step before it",
                            report->epoch, k + 1, isfinite(cost) ? "gradient" : "cost",
                            (double)cost);
        if (rc != BP_OK)
            return rc; /* bp_net_gradient's message stands */
        correct += count_correct(output_buffer(net), train, s->order, first, n, outputs);
        const float rate = options->on_batch ? bp_optimizer_learning_rate(opt) : 0.0f;
        rc = bp_optimizer_step(opt, net);
        if (rc != BP_OK)
            return rc;
        cost_sum += (double)cost * (double)n;
        done += n;
        if (options->on_batch) {
            const bp_batch_report progress = {
                .epoch = report->epoch,
                .batch = k + 1,
                .batches = batches,
                .examples = done,
                .loss = cost_sum / (double)done,
                .seconds = seconds_since(&start),
                .learning_rate = rate,
            };
            if (options->on_batch(&progress, options->user) != 0)
                return bp__fail(BP_ECANCELED, fn,
                                "the batch callback stopped training at "
                                "epoch %zu, batch %zu",
                                report->epoch, k + 1);
        }
    }
    report->seconds = seconds_since(&start);
    report->train_loss = cost_sum / (double)done;
    report->train_accuracy = (double)correct / (double)done;
    return BP_OK;
}

int bp_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train, const bp_dataset *test,
             const bp_train_options *options) {
    static const char *const fn = "bp_train";
    int rc = check_train_arguments(net, opt, train, test, options);
    if (rc != BP_OK)
        return rc;
    const size_t batch = options->batch_size < train->count ? options->batch_size : train->count;
    if (bp_net_max_batch(net) < batch && (rc = bp_net_reserve(net, batch)) != BP_OK)
        return rc;

    train_state s = {0};
    size_t order_bytes;
    if (!bp__mul_size(train->count, sizeof(size_t), &order_bytes))
        return bp__fail(BP_EOVERFLOW, fn, "the training set's index overflows size_t");
    rc = alloc_buffers(&s.batch, net, batch, fn);
    s.order = bp__alloc(order_bytes);
    if (rc == BP_OK && !s.order)
        rc = bp__fail(BP_ENOMEM, fn, "no memory for the shuffle of %zu examples", train->count);

    for (size_t epoch = 1; rc == BP_OK && epoch <= options->epochs; epoch++) {
        bp_epoch_report report = {
            .epoch = epoch, .epochs = options->epochs, .test_loss = NAN, .test_accuracy = NAN};
        rc = train_epoch(net, opt, train, options, &s, &report);
        if (rc == BP_OK && test)
            rc = evaluate_with(net, test, &s.batch, &report.test_loss, &report.test_accuracy);
        if (rc == BP_OK && options->on_epoch && options->on_epoch(&report, options->user) != 0)
            rc = bp__fail(BP_ECANCELED, fn, "the epoch callback stopped training after epoch %zu",
                          epoch);
    }
    free_state(&s);
    return rc;
}
