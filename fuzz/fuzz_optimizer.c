/* Fuzz target: bp_optimizer_load_memory on any bytes, as given and with the CRC-32 repaired. */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <backprop.h>

#include "fuzz.h"

/* The network every input is loaded for: 2-3-2, 17 parameters, the size
 * the seed corpus (make_corpus.py) was written for. */
static const size_t sizes[] = {2, 3, 2};
static const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};

/* Field by field: memcmp would also compare the struct's padding, which
 * nobody initializes (valgrind reports it). */
static bool same_config(const bp_optimizer_config *a, const bp_optimizer_config *b) {
    return a->kind == b->kind && a->learning_rate == b->learning_rate &&
           a->momentum == b->momentum && a->beta1 == b->beta1 && a->beta2 == b->beta2 &&
           a->epsilon == b->epsilon && a->weight_decay == b->weight_decay &&
           a->schedule == b->schedule && a->step_size == b->step_size && a->gamma == b->gamma &&
           a->total_steps == b->total_steps;
}

#ifdef FUZZ_REPLAY
/* bp_optimizer_load on the same bytes gives the same result. */
static void check_path_agrees(bp_net *net, const uint8_t *data, size_t size, int rc,
                              const bp_optimizer *loaded) {
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    bp_optimizer *opt = NULL;
    FUZZ_CHECK(bp_optimizer_create(&opt, net, &config) == BP_OK);
    char path[64];
    replay_temp_file(data, size, path);
    const int file_rc = bp_optimizer_load(opt, path);
    unlink(path);
    FUZZ_CHECK(file_rc == rc);
    if (rc == BP_OK) {
        FUZZ_CHECK(same_config(bp_optimizer_get_config(opt), bp_optimizer_get_config(loaded)));
        FUZZ_CHECK(bp_optimizer_steps(opt) == bp_optimizer_steps(loaded));
    }
    bp_optimizer_destroy(opt);
}
#endif

static void load(bp_net *net, const uint8_t *data, size_t size) {
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    bp_optimizer *opt = NULL;
    FUZZ_CHECK(bp_optimizer_create(&opt, net, &config) == BP_OK);
    int rc = bp_optimizer_load_memory(opt, data, size);
#ifdef FUZZ_REPLAY
    check_path_agrees(net, data, size, rc, opt);
#endif
    if (rc != BP_OK) {
        /* BP_EINVAL: a file for another parameter count. */
        FUZZ_CHECK_ERROR(rc, BP_EFORMAT, BP_ECHECKSUM, BP_EINVAL, BP_ENOMEM);
        /* On failure opt is left as it was. */
        FUZZ_CHECK(same_config(bp_optimizer_get_config(opt), &config));
        FUZZ_CHECK(bp_optimizer_steps(opt) == 0);
    } else {
        /* A loaded state must be usable: one step on zero gradients. */
        rc = bp_optimizer_step(opt, net);
        FUZZ_CHECK(rc == BP_OK || rc == BP_ENONFINITE);
    }
    bp_optimizer_destroy(opt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bp_net *net = NULL;
    FUZZ_CHECK(bp_net_create(&net, 2, sizes, activations, BP_KERNELS_NAIVE, 1) == BP_OK);
    load(net, data, size);
    /* As in fuzz_model.c: repair the CRC-32 to reach the checks behind it. */
    uint8_t *repaired = fuzz_crc_repaired(data, size);
    if (repaired) {
        load(net, repaired, size);
        free(repaired);
    }
    bp_net_destroy(net);
    return 0;
}
