/* Agreeing before distributed training: one gathered row of facts per participant, compared. */
#include "train/agreement.h"

#include <stdint.h>

#include "core/net.h"
#include "support/alloc.h"
#include "support/error.h"
#include "support/file_io.h"
#include "train/optimizer.h"

/* The facts each participant contributes; all must agree but the counts of
 * sharded data. Every value is an integer below 2^53, exact in a double. */
enum fact {
    FACT_FAILED,
    FACT_LAYERS,
    FACT_PARAMS,
    FACT_SHAPE_CRC, /* sizes, activations and cost */
    FACT_PARAMS_CRC,
    FACT_OPTIMIZER_CRC, /* configuration, step count and state */
    FACT_BATCH,
    FACT_EPOCHS,
    FACT_FIRST_EPOCH,
    FACT_SEED_LOW,
    FACT_SEED_HIGH,
    FACT_SHARDED,
    FACT_HAS_TEST,
    FACT_TRAIN_COUNT,
    FACT_TEST_COUNT,
    FACT_COUNT
};

static const char *const fact_names[FACT_COUNT] = {
    [FACT_LAYERS] = "layer count",
    [FACT_PARAMS] = "parameter count",
    [FACT_SHAPE_CRC] = "layer sizes, activations or cost",
    [FACT_PARAMS_CRC] = "starting parameters (CRC-32)",
    [FACT_OPTIMIZER_CRC] = "optimizer configuration, step count or state (CRC-32)",
    [FACT_BATCH] = "batch size",
    [FACT_EPOCHS] = "epochs",
    [FACT_FIRST_EPOCH] = "first epoch",
    [FACT_SEED_LOW] = "seed",
    [FACT_SEED_HIGH] = "seed",
    [FACT_SHARDED] = "data mode (sharded or not)",
    [FACT_HAS_TEST] = "presence of a test set",
    [FACT_TRAIN_COUNT] = "training-set size",
    [FACT_TEST_COUNT] = "test-set size",
};

static uint32_t crc_of(uint32_t crc, const void *value, size_t bytes) {
    return bp__crc32(crc, value, bytes);
}

static uint32_t shape_crc(const bp_net *net) {
    uint32_t crc = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const uint64_t sizes[2] = {net->layers[l].inputs, net->layers[l].outputs};
        const int32_t activation = (int32_t)net->layers[l].activation;
        crc = crc_of(crc, sizes, sizeof sizes);
        crc = crc_of(crc, &activation, sizeof activation);
    }
    const int32_t loss = (int32_t)net->loss;
    return crc_of(crc, &loss, sizeof loss);
}

/* Field by field: the struct's padding bytes are not part of it. */
static uint32_t optimizer_crc(const bp_optimizer *opt) {
    const bp_optimizer_config *c = &opt->config;
    const int32_t kind = (int32_t)c->kind, schedule = (int32_t)c->schedule;
    const float rates[7] = {c->learning_rate, c->momentum,     c->beta1, c->beta2,
                            c->epsilon,       c->weight_decay, c->gamma};
    const uint64_t counts[3] = {c->step_size, c->total_steps, opt->steps};
    uint32_t crc = crc_of(0, &kind, sizeof kind);
    crc = crc_of(crc, &schedule, sizeof schedule);
    crc = crc_of(crc, rates, sizeof rates);
    crc = crc_of(crc, counts, sizeof counts);
    return opt->state ? crc_of(crc, opt->state, opt->state_floats * sizeof(float)) : crc;
}

static void fill_row(double *row, const bp_net *net, const bp_optimizer *opt,
                     const bp_dataset *train, const bp_dataset *test,
                     const bp_train_options *options, int local_rc) {
    row[FACT_FAILED] = local_rc != BP_OK;
    if (local_rc != BP_OK)
        return; /* the arguments may be anything */
    row[FACT_LAYERS] = (double)net->n_layers;
    row[FACT_PARAMS] = (double)net->n_params;
    row[FACT_SHAPE_CRC] = shape_crc(net);
    row[FACT_PARAMS_CRC] = bp__crc32(0, net->params, net->n_params * sizeof(float));
    row[FACT_OPTIMIZER_CRC] = optimizer_crc(opt);
    row[FACT_BATCH] = (double)options->batch_size;
    row[FACT_EPOCHS] = (double)options->epochs;
    row[FACT_FIRST_EPOCH] = (double)options->first_epoch;
    row[FACT_SEED_LOW] = (double)(options->seed & 0xFFFFFFFFu);
    row[FACT_SEED_HIGH] = (double)(options->seed >> 32);
    row[FACT_SHARDED] = options->collective->sharded != 0;
    row[FACT_HAS_TEST] = test != NULL;
    row[FACT_TRAIN_COUNT] = (double)train->count;
    row[FACT_TEST_COUNT] = test ? (double)test->count : 0.0;
}

/* BP_OK when every row agrees with `mine` on every fact that must agree. */
static int compare_rows(const double *rows, size_t size, size_t rank, const char *function) {
    const double *mine = rows + rank * FACT_COUNT;
    const bool sharded = mine[FACT_SHARDED] != 0.0;
    for (size_t r = 0; r < size; r++) {
        const double *theirs = rows + r * FACT_COUNT;
        for (int f = FACT_LAYERS; f < FACT_COUNT; f++) {
            if (sharded && (f == FACT_TRAIN_COUNT || f == FACT_TEST_COUNT))
                continue;
            if (theirs[f] != mine[f])
                return bp__fail(BP_EINVAL, function,
                                "participants %zu and %zu differ in their %s (%.17g against "
                                "%.17g); every participant must train the same network from the "
                                "same state with the same options",
                                rank, r, fact_names[f], mine[f], theirs[f]);
        }
    }
    return BP_OK;
}

int bp__agree_to_start(const bp_collective *c, const bp_net *net, const bp_optimizer *opt,
                       const bp_dataset *train, const bp_dataset *test,
                       const bp_train_options *options, int local_rc, size_t *counts,
                       const char *function) {
    size_t floats;
    double *rows = NULL;
    if (bp__mul_size(c->size, FACT_COUNT, &floats) && floats <= SIZE_MAX / sizeof(double))
        rows = bp__alloc_zeroed(floats * sizeof(double));
    /* Without the rows this participant cannot take part: the others are
     * then left waiting, which only memory exhaustion can cause. */
    if (!rows)
        return bp__fail(BP_ENOMEM, function, "no memory to agree with %zu participants", c->size);
    fill_row(rows + c->rank * FACT_COUNT, net, opt, train, test, options, local_rc);
    /* Sum of rows that are zero but each participant's own: all rows, everywhere. */
    int rc =
        c->sum(rows, floats, c->user) == 0
            ? BP_OK
            : bp__fail(BP_ECOMM, function, "the collective's sum failed while agreeing to start");
    size_t failed = c->size;
    for (size_t r = 0; rc == BP_OK && r < c->size && failed == c->size; r++)
        if (rows[r * FACT_COUNT + FACT_FAILED] != 0.0)
            failed = r;
    if (rc == BP_OK && local_rc != BP_OK)
        rc = local_rc; /* its own message stands */
    else if (rc == BP_OK && failed < c->size)
        rc = bp__fail(BP_EPEER, function,
                      "participant %zu failed its checks before training (its own message says "
                      "why); participant %zu stops too",
                      failed, c->rank);
    if (rc == BP_OK)
        rc = compare_rows(rows, c->size, c->rank, function);
    for (size_t r = 0; rc == BP_OK && r < c->size; r++)
        counts[r] = (size_t)rows[r * FACT_COUNT + FACT_TRAIN_COUNT];
    bp__free(rows);
    return rc;
}

int bp__sum_over_participants(const bp_collective *c, double *values, size_t count,
                              const char *what) {
    if (!c || c->size == 1)
        return BP_OK;
    if (c->sum(values, count, c->user) != 0)
        return bp__fail(BP_ECOMM, "bp_train", "the collective's sum failed (%s)", what);
    return BP_OK;
}
