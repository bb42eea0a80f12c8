/* The training loop: epochs of shuffled mini-batches, an optimizer step per
 * batch, callbacks, evaluation on held-out data, and the NaN/Inf guard. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <math.h>
#include <stdbool.h>
#include <time.h>

#include "core/finite.h"
#include "core/net.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"
#include "train/agreement.h"
#include "train/batches.h"
#include "train/evaluate.h"
#include "train/optimizer.h"
#include "train/shares.h"
#include "train/workers.h"

static const float *output_buffer(const bp_net *net) {
    return net->layers[net->n_layers - 1].output;
}

/* The participants' collective; NULL alone. */
static const bp_collective *collective_of(const bp_train_options *options) {
    return options ? options->collective : NULL;
}

void bp_train_options_default(bp_train_options *options) {
    if (options)
        *options = (bp_train_options){.epochs = 10, .batch_size = 32, .seed = 1};
    /* first_epoch 0 and no collective: the zeros of the initializer. */
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

/* Everything bp_train allocates, in one place to free, and how the epoch is
 * shared among the participants. */
typedef struct train_state {
    bp__batch_buffers batch;
    size_t *order;  /* this epoch's shuffle */
    size_t *counts; /* with a collective: every participant's training count */
    bp__shares shares;
    const bp_collective *collective; /* NULL alone */
    bool stop_asked;                 /* this participant's callback asked to stop */
    bp_workers *workers;             /* options->workers > 1: the pool; else NULL */
} train_state;

static void free_state(train_state *s) {
    bp__batch_buffers_free(&s->batch);
    bp__free(s->order);
    bp__free(s->counts);
    bp_workers_destroy(s->workers);
}

static int check_collective(const bp_collective *c, const char *fn) {
    if (!c)
        return BP_OK;
    int rc = BP__CHECK_RESERVED(c, "options->collective->reserved", fn);
    if (rc != BP_OK)
        return rc;
    if (c->size == 0 || c->rank >= c->size || !c->sum)
        return bp__fail(BP_EINVAL, fn,
                        "the collective is not valid (rank %zu of %zu participants, sum %s)",
                        c->rank, c->size, c->sum ? "set" : "NULL");
    return BP_OK;
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
    int rc = BP__CHECK_RESERVED(options, "options->reserved", fn);
    if (rc != BP_OK)
        return rc;
    if (options->workers > BP_WORKERS_MAX)
        return bp__fail(BP_EINVAL, fn, "workers is %zu; it must be at most %d", options->workers,
                        BP_WORKERS_MAX);
    if (options->epochs == 0 || options->batch_size == 0)
        return bp__fail(BP_EINVAL, fn, "%s is 0; it must be at least 1",
                        options->epochs == 0 ? "epochs" : "batch_size");
    if (options->first_epoch >= options->epochs)
        return bp__fail(BP_EINVAL, fn,
                        "first_epoch is %zu; with %zu epochs it must be below %zu (epochs is the "
                        "last epoch to train)",
                        options->first_epoch, options->epochs, options->epochs);
    const bp_collective *c = options->collective;
    if (c && c->sharded && options->batch_size < c->size)
        return bp__fail(BP_EINVAL, fn,
                        "a batch of %zu cannot give each of %zu shards a share; it must be at "
                        "least the number of participants",
                        options->batch_size, c->size);
    /* Without a hook nothing sums the shares' gradients: each participant
     * would step on its own share and the models would drift apart. */
    if (c && c->size > 1 && !net->hook.layer_ready && !net->hook.before_step)
        return bp__fail(BP_EINVAL, fn,
                        "the network has no gradient hook; with %zu participants nothing would "
                        "sum their gradients (the transport sets it: bp_net_set_gradient_hook)",
                        c->size);
    rc = bp__check_data(net, train, "training", fn);
    if (rc == BP_OK && test)
        rc = bp__check_data(net, test, "test", fn);
    return rc;
}

/* What every participant learns after each step, summed over them. */
enum step_total {
    TOTAL_COST,      /* sum of the examples' costs */
    TOTAL_CORRECT,   /* examples classified right */
    TOTAL_NONFINITE, /* participants whose cost or gradient is not finite */
    TOTAL_FAILED,    /* participants that failed otherwise */
    TOTAL_STOP,      /* participants whose callback asked to stop */
    STEP_TOTALS
};

/* After this participant's part of a step, with its outcome rc: learns
 * everyone's, and returns the code every participant stops with, or BP_OK
 * to take the step. A participant that failed keeps its own code. */
static int agree_on_step(train_state *s, double totals[STEP_TOTALS], int rc, size_t epoch,
                         size_t k) {
    static const char *const fn = "bp_train";
    totals[TOTAL_NONFINITE] = rc == BP_ENONFINITE;
    totals[TOTAL_FAILED] = rc != BP_OK && rc != BP_ENONFINITE;
    totals[TOTAL_STOP] = s->stop_asked;
    const int sum_rc = bp__sum_over_participants(s->collective, totals, STEP_TOTALS, "a step");
    if (rc != BP_OK || sum_rc != BP_OK)
        return rc != BP_OK ? rc : sum_rc;
    if (totals[TOTAL_FAILED] != 0.0)
        return bp__fail(BP_EPEER, fn, "epoch %zu, batch %zu: another participant failed", epoch,
                        k + 1);
    if (totals[TOTAL_NONFINITE] != 0.0)
        return bp__fail(BP_ENONFINITE, fn,
                        "epoch %zu, batch %zu: another participant's cost or gradient is not "
                        "finite; training stopped with the parameters of the last step before it",
                        epoch, k + 1);
    if (totals[TOTAL_STOP] != 0.0)
        return bp__fail(BP_ECANCELED, fn,
                        "the batch callback stopped training after epoch %zu, batch %zu", epoch, k);
    return BP_OK;
}

/* This participant's part of batch k: the gradient of its share, complete
 * once the hook's before_step has returned, then checked. Returns BP_OK or
 * the failure, with its message; *cost and *correct describe the share. */
static int batch_gradient(bp_net *net, const bp_dataset *train, train_state *s, size_t k,
                          size_t epoch, size_t *n, size_t *global, float *cost, size_t *correct,
                          bp_optimizer *fused_step) {
    static const char *const fn = "bp_train";
    size_t first;
    bp__shares_batch(&s->shares, k, &first, n, global);
    const size_t outputs = bp_net_num_outputs(net);
    if (*n > 0)
        bp__gather(train, s->order, first, *n, outputs, &s->batch);
    int rc;
    if (fused_step)
        rc = bp__workers_train_step_share(s->workers, fused_step, s->batch.inputs, s->batch.targets,
                                          *n, *global, cost, fn);
    else if (s->workers)
        rc = bp__workers_gradient_share(s->workers, s->batch.inputs, s->batch.targets, *n, *global,
                                        cost, fn);
    else
        rc = bp__net_gradient_share(net, s->batch.inputs, s->batch.targets, *n, *global, cost, fn);
    /* Completed even after a failure: the hook's reductions are under way. */
    const int complete_rc = bp__net_complete_gradient(net, fn);
    if (rc == BP_OK)
        rc = complete_rc;
    /* A batch with no finite cost or gradient (diverged parameters, or NaN
     * or Inf in its inputs) must not reach the optimizer: stop with the
     * parameters the last good step left, and the optimizer's state that
     * goes with them. */
    if (rc == BP_OK && !s->workers && !bp__all_finite(net->grads, net->n_params))
        rc = BP_ENONFINITE; /* the workers check their slices of the sum themselves */
    if (rc == BP_ENONFINITE)
        rc = bp__fail(BP_ENONFINITE, fn,
                      "epoch %zu, batch %zu: the %s is not finite (cost %g); training stopped "
                      "with the parameters of the last step before it",
                      epoch, k + 1, isfinite(*cost) ? "gradient" : "cost", (double)*cost);
    *correct = 0;
    if (rc != BP_OK || *n == 0)
        return rc;
    if (!s->workers) {
        *correct = bp__count_correct(output_buffer(net), train, s->order, first, *n, outputs);
        return rc;
    }
    for (size_t w = 0; w < bp_workers_count(s->workers); w++) {
        size_t share_first, share_n;
        const float *out = bp__workers_outputs(s->workers, w, &share_first, &share_n);
        if (share_n > 0)
            *correct +=
                bp__count_correct(out, train, s->order, first + share_first, share_n, outputs);
    }
    return rc;
}

/* One epoch of steps. Fills the training half of *report. */
static int train_epoch(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                       const bp_train_options *options, train_state *s, bp_epoch_report *report) {
    static const char *const fn = "bp_train";
    const size_t batches = s->shares.batches;
    /* A different shuffle each epoch, all from the one seed: the same on
     * every participant of a shared set, so that they cut the same batches. */
    bp_shuffle(s->order, s->shares.count, options->seed + 0x9E3779B97F4A7C15u * report->epoch);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double cost_sum = 0.0, correct = 0.0;
    size_t done = 0;
    for (size_t k = 0; k < batches; k++) {
        size_t n, global, share_correct;
        float cost = 0.0f;
        /* Alone with workers and no hook, the workers step their slices in
         * the same wake-up as the gradient (nothing to agree on between). */
        const bool fused =
            s->workers && !s->collective && !net->hook.layer_ready && !net->hook.before_step;
        const float rate = options->on_batch ? bp_optimizer_learning_rate(opt) : 0.0f;
        int rc = batch_gradient(net, train, s, k, report->epoch, &n, &global, &cost, &share_correct,
                                fused ? opt : NULL);
        double totals[STEP_TOTALS] = {
            [TOTAL_COST] = (double)cost * (double)n,
            [TOTAL_CORRECT] = (double)share_correct,
        };
        rc = agree_on_step(s, totals, rc, report->epoch, k);
        if (rc != BP_OK)
            return rc;
        if (!fused)
            rc = s->workers ? bp__workers_step(s->workers, opt, fn) : bp_optimizer_step(opt, net);
        if (rc != BP_OK)
            return rc;
        cost_sum += totals[TOTAL_COST];
        correct += totals[TOTAL_CORRECT];
        done += global;
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
            /* Alone, stop now; with others, at the next agreement, so that
             * every participant stops after the same step. */
            if (options->on_batch(&progress, options->user) != 0) {
                if (!s->collective)
                    return bp__fail(BP_ECANCELED, fn,
                                    "the batch callback stopped training at "
                                    "epoch %zu, batch %zu",
                                    report->epoch, k + 1);
                s->stop_asked = true;
            }
        }
    }
    report->seconds = seconds_since(&start);
    report->train_loss = cost_sum / (double)done;
    report->train_accuracy = train->targets ? NAN : correct / (double)done;
    return BP_OK;
}

/* After an epoch's evaluation and callback: whether any participant asked
 * to stop (this one's request in s->stop_asked). */
static int agree_on_epoch_end(train_state *s, size_t epoch) {
    double stop = s->stop_asked;
    const int rc = bp__sum_over_participants(s->collective, &stop, 1, "the end of an epoch");
    if (rc != BP_OK)
        return rc;
    if (stop != 0.0)
        return bp__fail(BP_ECANCELED, "bp_train", "a callback stopped training after epoch %zu",
                        epoch);
    return BP_OK;
}

/* Allocates the buffers and plans the shares; with a collective, first
 * agrees with the others (local_rc is this participant's own checks). */
static int prepare(train_state *s, bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                   const bp_dataset *test, const bp_train_options *options, int rc) {
    static const char *const fn = "bp_train";
    const bp_collective *c = s->collective;
    const size_t size = c ? c->size : 1, rank = c ? c->rank : 0;
    if (c) {
        size_t count_bytes;
        if (!bp__mul_size(size, sizeof(size_t), &count_bytes))
            return bp__fail(BP_EOVERFLOW, fn, "%zu participants overflow size_t", size);
        s->counts = bp__alloc(count_bytes);
        if (!s->counts)
            return bp__fail(BP_ENOMEM, fn, "no memory for %zu participants' counts", size);
        rc = bp__agree_to_start(c, net, opt, train, test, options, rc, s->counts, fn);
    }
    if (rc != BP_OK)
        return rc;
    s->shares = (bp__shares){
        .rank = rank,
        .size = size,
        .sharded = c && c->sharded,
        .batch = options->batch_size,
        .count = train->count,
        .counts = s->counts,
    };
    bp__shares_plan(&s->shares);
    /* The largest share this participant may get; at least one example for
     * the evaluation's batches. */
    size_t first, most;
    bp__share_of(options->batch_size < train->count || s->shares.sharded ? options->batch_size
                                                                         : train->count,
                 size, 0, &first, &most);
    most = most > 0 ? most : 1;
    if (bp_net_max_batch(net) < most)
        rc = bp_net_reserve(net, most);
    size_t order_bytes = 0;
    if (rc == BP_OK && !bp__mul_size(train->count, sizeof(size_t), &order_bytes))
        rc = bp__fail(BP_EOVERFLOW, fn, "the training set's index overflows size_t");
    if (rc == BP_OK)
        rc = bp__batch_buffers_alloc(&s->batch, net, most, fn);
    if (rc == BP_OK && options->workers > 1)
        rc = bp_workers_create(&s->workers, net, options->workers, most);
    if (rc == BP_OK && !(s->order = bp__alloc(order_bytes)))
        rc = bp__fail(BP_ENOMEM, fn, "no memory for the shuffle of %zu examples", train->count);
    /* One more agreement: a participant out of memory here must not leave
     * the others waiting at the first step. */
    double failed = rc != BP_OK;
    const int sum_rc = bp__sum_over_participants(c, &failed, 1, "agreeing to start");
    if (rc == BP_OK && sum_rc != BP_OK)
        rc = sum_rc;
    if (rc == BP_OK && failed != 0.0)
        rc = bp__fail(BP_EPEER, fn, "another participant could not allocate its buffers");
    return rc;
}

int bp_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train, const bp_dataset *test,
             const bp_train_options *options) {
    static const char *const fn = "bp_train";
    const bp_collective *c = collective_of(options);
    int rc = check_collective(c, fn);
    if (rc != BP_OK)
        return rc; /* no way to tell the others */
    train_state s = {.collective = c && c->size > 1 ? c : NULL};
    rc = check_train_arguments(net, opt, train, test, options);
    rc = prepare(&s, net, opt, train, test, options, rc);

    for (size_t epoch = options ? options->first_epoch + 1 : 1;
         rc == BP_OK && epoch <= options->epochs; epoch++) {
        bp_epoch_report report = {
            .epoch = epoch, .epochs = options->epochs, .test_loss = NAN, .test_accuracy = NAN};
        rc = train_epoch(net, opt, train, options, &s, &report);
        if (rc == BP_OK && test)
            rc = bp__evaluate_with(net, test, s.collective, &s.batch, &report.test_loss,
                                   &report.test_accuracy);
        if (rc == BP_OK && options->on_epoch && options->on_epoch(&report, options->user) != 0) {
            s.stop_asked = true;
            if (!s.collective)
                rc = bp__fail(BP_ECANCELED, fn,
                              "the epoch callback stopped training after epoch %zu", epoch);
        }
        if (rc == BP_OK && s.collective)
            rc = agree_on_epoch_end(&s, epoch);
    }
    free_state(&s);
    return rc;
}
