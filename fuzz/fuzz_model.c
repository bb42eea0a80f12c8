/* Fuzz target: bp_net_load_memory on any bytes, as given and with the CRC-32 repaired. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <backprop.h>

#include "fuzz.h"

#ifdef FUZZ_REPLAY
/* bp_net_load on the same bytes: the same code, and a network with the same parameters. */
static void check_path_agrees(const uint8_t *data, size_t size, int rc, bp_net *net) {
    char path[64];
    replay_temp_file(data, size, path);
    bp_net *from_file = NULL;
    const int file_rc = bp_net_load(&from_file, path, BP_KERNELS_NAIVE);
    unlink(path);
    FUZZ_CHECK(file_rc == rc);
    if (rc != BP_OK)
        return;
    float *a, *b;
    size_t na, nb;
    FUZZ_CHECK(bp_net_params(net, &a, &na) == BP_OK && bp_net_params(from_file, &b, &nb) == BP_OK);
    FUZZ_CHECK(na == nb && memcmp(a, b, na * sizeof *a) == 0);
    bp_net_destroy(from_file);
}
#endif

/* Loads one model; a network must work, a failure must be a clean error. */
static void load(const uint8_t *data, size_t size) {
    bp_net *net = (bp_net *)&net; /* any non-NULL value: the load must reset it */
    int rc = bp_net_load_memory(&net, data, size, BP_KERNELS_NAIVE);
#ifdef FUZZ_REPLAY
    check_path_agrees(data, size, rc, net);
#endif
    if (rc != BP_OK) {
        FUZZ_CHECK(net == NULL);
        FUZZ_CHECK_ERROR(rc, BP_EFORMAT, BP_ECHECKSUM, BP_EOVERFLOW, BP_ENOMEM);
        return;
    }
    FUZZ_CHECK(net != NULL);
    /* The loaded shape is what create made: one forward pass over zeros. */
    const size_t inputs = bp_net_num_inputs(net);
    float *x = calloc(inputs, sizeof *x);
    FUZZ_CHECK(x != NULL);
    const float *y = NULL;
    FUZZ_CHECK(bp_net_forward(net, x, 1, &y) == BP_OK && y != NULL);
    FUZZ_CHECK(bp_net_num_params(net) <= size / 4);
    free(x);
    /* A preprocessing section that loaded fits the network. */
    const bp_preprocessing *p = bp_net_preprocessing(net);
    if (p) {
        FUZZ_CHECK(p->inputs.columns == 0 || p->inputs.columns == inputs);
        FUZZ_CHECK(p->targets.columns == 0 || p->targets.columns == bp_net_num_outputs(net));
        FUZZ_CHECK(p->classes <= bp_net_num_outputs(net));
        for (size_t j = 0; j < p->inputs.columns; j++)
            FUZZ_CHECK(p->inputs.scale[j] != 0.0f && isfinite(p->inputs.scale[j]));
    }
    /* A schema that loaded has one name per input and per label or target,
     * and bp_net_set_schema takes it back (the same rules both ways). */
    const bp_schema *schema = bp_net_schema(net);
    if (schema) {
        FUZZ_CHECK(p != NULL);
        size_t n = 0;
        while (schema->input_names && schema->input_names[n])
            n++;
        FUZZ_CHECK(!schema->input_names || n == inputs);
        n = 0;
        while (schema->output_names && schema->output_names[n])
            n++;
        FUZZ_CHECK(!schema->output_names ||
                   n == (p->task == BP_TASK_CLASSIFICATION ? 1 : bp_net_num_outputs(net)));
        bp_schema copy = *schema;
        FUZZ_CHECK(bp_net_set_schema(net, &copy) == BP_OK);
    }
    /* Saved again, a loaded model is the same bytes (versions 1 and 2). */
    size_t saved = 0;
    FUZZ_CHECK(bp_net_save_memory(net, NULL, 0, &saved) == BP_OK && saved == size);
    uint8_t *again = malloc(saved);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(bp_net_save_memory(net, again, saved, &saved) == BP_OK);
    FUZZ_CHECK(memcmp(again, data, size) == 0);
    free(again);
    bp_net_destroy(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    load(data, size);
    /* Most mutations break the CRC-32 and stop there; with it repaired the
     * checks behind it (parameters, layer table) are reached too. */
    uint8_t *repaired = fuzz_crc_repaired(data, size);
    if (repaired) {
        load(repaired, size);
        free(repaired);
    }
    return 0;
}
