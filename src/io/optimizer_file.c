/* Optimizer files: configuration, step count and state, so that training resumes exactly. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/finite.h"
#include "support/alloc.h"
#include "support/error.h"
#include "support/file_io.h"
#include "train/optimizer.h"

/* The layout is documented byte by byte in docs/model-format.md. */
static const unsigned char optim_magic[8] = {'B', 'P', 'O', 'P', 'T', 'I', 'M', '\0'};
#define OPTIM_FORMAT_VERSION 1

/* Everything before the state: magic, version, byte-order mark, kind,
 * schedule, seven floats, step_size, total_steps, t, n_params, state count. */
#define HEADER_BYTES 92
#define CRC_BYTES 4

/* The fields of the header, decoded but not yet trusted. */
typedef struct optim_header {
    bp_optimizer_config config;
    uint64_t steps;
    uint64_t n_params;
    uint64_t state_floats;
} optim_header;

/* A state gone non-finite cannot resume anything, and must not replace a
 * good file: both savers refuse it before writing. */
static int check_savable(const void *object, const char *function, const char *where) {
    const bp_optimizer *opt = object;
    size_t bad = bp__first_nonfinite(opt->state, opt->state_floats);
    if (bad < opt->state_floats)
        return bp__fail(BP_ENONFINITE, function, "%s: state value %zu is %s; not saving it", where,
                        bad, isnan(opt->state[bad]) ? "NaN" : "infinite");
    return BP_OK;
}

/* Every field of the optimizer file, to a file or to memory. */
static int write_optimizer(bp__writer *w, const void *object) {
    const bp_optimizer *opt = object;
    const bp_optimizer_config *c = &opt->config;
    bp__writer_preamble(w, optim_magic, OPTIM_FORMAT_VERSION);
    bp__writer_u32(w, (uint32_t)c->kind);
    bp__writer_u32(w, (uint32_t)c->schedule);
    const float floats[7] = {c->learning_rate, c->momentum,     c->beta1, c->beta2,
                             c->epsilon,       c->weight_decay, c->gamma};
    bp__writer_floats(w, floats, 7);
    bp__writer_u64(w, c->step_size);
    bp__writer_u64(w, c->total_steps);
    bp__writer_u64(w, opt->steps);
    bp__writer_u64(w, opt->n_params);
    bp__writer_u64(w, opt->state_floats);
    bp__writer_floats(w, opt->state, opt->state_floats);
    return bp__writer_commit(w);
}

static const bp__file_format optimizer_format = {
    .object = "opt", .what = "optimizer", .check = check_savable, .write = write_optimizer};

int bp_optimizer_save(const bp_optimizer *opt, const char *path) {
    return bp__save_file(&optimizer_format, opt, path, __func__);
}

int bp_optimizer_save_memory(const bp_optimizer *opt, void *buffer, size_t capacity, size_t *size) {
    return bp__save_memory(&optimizer_format, opt, buffer, capacity, size, __func__);
}

/* Reads the header and checks what the file's length depends on: magic,
 * version, byte order, kind, schedule, a state count that fits the kind and
 * parameter count, and the exact length. The configuration's values are
 * checked later, once the CRC vouches for them. */
static int read_header(bp__reader *r, optim_header *h) {
    const char *const fn = r->function;
    const char *path = r->path;
    unsigned char b[HEADER_BYTES];
    if (r->size < HEADER_BYTES + CRC_BYTES)
        return bp__fail(BP_EFORMAT, fn, "%s: file is %llu bytes, shorter than the %d-byte header",
                        path, (unsigned long long)r->size, HEADER_BYTES + CRC_BYTES);
    int rc = bp__reader_bytes(r, b, sizeof b);
    if (rc != BP_OK)
        return rc;
    rc = bp__check_preamble(r, b, optim_magic, "optimizer", OPTIM_FORMAT_VERSION);
    if (rc != BP_OK)
        return rc;
    uint32_t kind = bp__get_u32(b + 16), schedule = bp__get_u32(b + 20);
    if (kind > BP_OPT_ADAM)
        return bp__fail(BP_EFORMAT, fn, "%s: kind is %u, not a bp_optimizer_kind", path,
                        (unsigned)kind);
    if (schedule > BP_SCHEDULE_COSINE)
        return bp__fail(BP_EFORMAT, fn, "%s: schedule is %u, not a bp_schedule", path,
                        (unsigned)schedule);
    bp_optimizer_config *c = &h->config;
    memset(c, 0, sizeof *c);
    c->kind = (bp_optimizer_kind)kind;
    c->schedule = (bp_schedule)schedule;
    c->learning_rate = bp__bits_float(bp__get_u32(b + 24));
    c->momentum = bp__bits_float(bp__get_u32(b + 28));
    c->beta1 = bp__bits_float(bp__get_u32(b + 32));
    c->beta2 = bp__bits_float(bp__get_u32(b + 36));
    c->epsilon = bp__bits_float(bp__get_u32(b + 40));
    c->weight_decay = bp__bits_float(bp__get_u32(b + 44));
    c->gamma = bp__bits_float(bp__get_u32(b + 48));
    c->step_size = bp__get_u64(b + 52);
    c->total_steps = bp__get_u64(b + 60);
    h->steps = bp__get_u64(b + 68);
    h->n_params = bp__get_u64(b + 76);
    h->state_floats = bp__get_u64(b + 84);

    bool fits = h->n_params <= SIZE_MAX;
    size_t expected_floats =
        fits ? bp__optimizer_state_floats(c->kind, (size_t)h->n_params, &fits) : 0;
    if (!fits || h->state_floats != expected_floats)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: %llu state values; kind %u over %llu parameters keeps %s%llu", path,
                        (unsigned long long)h->state_floats, (unsigned)kind,
                        (unsigned long long)h->n_params, fits ? "" : "more than ",
                        (unsigned long long)expected_floats);
    /* Bounds first, so that the length computed from them cannot wrap. */
    if (h->state_floats > (UINT64_MAX - HEADER_BYTES - CRC_BYTES) / 4 ||
        h->state_floats > SIZE_MAX / 4 || HEADER_BYTES + CRC_BYTES + 4 * h->state_floats != r->size)
        return bp__fail(BP_EFORMAT, fn, "%s: file is %llu bytes, expected %llu state values", path,
                        (unsigned long long)r->size, (unsigned long long)h->state_floats);
    return BP_OK;
}

/* Everything is decoded into temporaries and checked (the state into a new
 * block, as large as the file has shown it to be) before opt changes; then
 * the new state block replaces the old one, which also handles a file for
 * another kind, whose state has another size. Shared by the file and the
 * memory entry points; closes r. */
static int load(bp__reader *r, bp_optimizer *opt) {
    const char *const fn = r->function;
    const char *const path = r->path;
    optim_header h;
    float *state = NULL;
    int rc = read_header(r, &h);
    if (rc != BP_OK)
        goto done;
    const size_t floats = (size_t)h.state_floats; /* read_header: fits */
    if (floats > 0) {
        state = bp__alloc(floats * sizeof *state);
        if (!state) {
            rc = bp__fail(BP_ENOMEM, fn, "%s: no memory for %zu state values", path, floats);
            goto done;
        }
    }
    rc = bp__reader_bytes(r, state, floats * sizeof *state);
    if (rc != BP_OK)
        goto done;
    rc = bp__reader_finish(r);
    if (rc != BP_OK)
        goto done;

    /* The contents are what was saved; now whether they fit this optimizer. */
    if (h.n_params != opt->n_params) {
        rc = bp__fail(BP_EINVAL, fn, "%s: saved for %llu parameters; this optimizer steps %zu",
                      path, (unsigned long long)h.n_params, opt->n_params);
        goto done;
    }
    /* The check's message, prefixed with the path, as a file error. */
    char context[320];
    snprintf(context, sizeof context, "%s: %s: invalid configuration", fn, path);
    if (bp__optimizer_check_config(&h.config, context) != BP_OK) {
        rc = BP_EFORMAT;
        goto done;
    }
    bp__decode_floats(state, floats);
    size_t bad = bp__first_nonfinite(state, floats);
    if (bad < floats) {
        rc = bp__fail(BP_EFORMAT, fn, "%s: state value %zu is %s", path, bad,
                      isnan(state[bad]) ? "NaN" : "infinite");
        goto done;
    }

    bp__free(opt->state);
    opt->state = state;
    opt->state_floats = floats;
    opt->config = h.config;
    opt->steps = h.steps;
    state = NULL;

done:
    bp__reader_close(r);
    bp__free(state);
    return rc;
}

int bp_optimizer_load(bp_optimizer *opt, const char *path) {
    if (!opt || !path)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !opt ? "opt" : "path");
    bp__reader r;
    int rc = bp__reader_open(&r, path, __func__);
    if (rc != BP_OK)
        return rc;
    return load(&r, opt);
}

int bp_optimizer_load_memory(bp_optimizer *opt, const void *data, size_t size) {
    if (!opt || (!data && size > 0))
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !opt ? "opt" : "data");
    bp__reader r;
    bp__reader_open_memory(&r, data, size, __func__);
    return load(&r, opt);
}
