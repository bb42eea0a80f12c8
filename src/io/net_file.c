/* Model files: a network's shape, cost and parameters, saved atomically and loaded with every field
 * checked. */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/activation.h"
#include "core/finite.h"
#include "core/net.h"
#include "data/preprocessing.h"
#include "io/preprocessing_section.h"
#include "support/alloc.h"
#include "support/error.h"
#include "support/file_io.h"

/* The layout is documented byte by byte in docs/model-format.md. */
static const unsigned char model_magic[8] = {'B', 'P', 'M', 'O', 'D', 'E', 'L', '\0'};

/* magic, version, byte-order mark, layer count, loss */
#define FIXED_HEADER_BYTES 24
/* A cap far above any real network that keeps the layer table (12 L + 16
 * bytes, read twice) small whatever a file claims. */
#define MAX_LAYERS BP_MODEL_MAX_LAYERS

/* The bytes of a model file of n_layers layers and n_params parameters:
 * the fixed header, L + 1 uint64 sizes, L uint32 activations, the uint64
 * parameter count, the parameters, the CRC. False when it overflows. */
static bool model_file_bytes(uint64_t n_layers, uint64_t n_params, uint64_t *bytes) {
    const uint64_t framing = FIXED_HEADER_BYTES + 8 * (n_layers + 1) + 4 * n_layers + 8 + 4;
    if (n_params > (UINT64_MAX - framing) / 4)
        return false;
    *bytes = framing + 4 * n_params;
    return true;
}

/* What the header says, as far as it has been read and checked. */
typedef struct model_header {
    uint32_t version; /* 1, or 2 with a preprocessing section */
    uint32_t n_layers;
    uint32_t loss;
    uint64_t n_params; /* implied by the sizes, and equal to the stored count */
    char shape[64];    /* the sizes as "784-256-10", for messages */
} model_header;

/* Appends one size to the "784-256-10" description, ending it with "..."
 * when the next one no longer fits. */
static void describe_size(char *shape, size_t capacity, uint64_t size) {
    size_t used = strlen(shape);
    if (used >= 3 && strcmp(shape + used - 3, "...") == 0)
        return;
    char piece[24];
    snprintf(piece, sizeof piece, "%s%llu", used ? "-" : "", (unsigned long long)size);
    if (used + strlen(piece) + 4 < capacity)
        memcpy(shape + used, piece, strlen(piece) + 1);
    else
        memcpy(shape + used, "-...", 5);
}

/* Reads and checks the fixed header: magic, version, byte order, layer
 * count, loss; and that the file is long enough for the layer table. */
static int read_fixed_header(bp__reader *r, model_header *h) {
    const char *const fn = r->function;
    const char *path = r->path;
    unsigned char bytes[FIXED_HEADER_BYTES];
    if (r->size < FIXED_HEADER_BYTES)
        return bp__fail(BP_EFORMAT, fn, "%s: file is %llu bytes, shorter than the %d-byte header",
                        path, (unsigned long long)r->size, FIXED_HEADER_BYTES);
    int rc = bp__reader_bytes(r, bytes, sizeof bytes);
    if (rc != BP_OK)
        return rc;
    /* Versions 1 and 2 share everything up to the parameters. */
    h->version = bp__get_u32(bytes + 8) == 1 ? 1 : BP_MODEL_FORMAT_VERSION;
    rc = bp__check_preamble(r, bytes, model_magic, "model", h->version);
    if (rc != BP_OK)
        return rc;
    h->n_layers = bp__get_u32(bytes + 16);
    if (h->n_layers == 0 || h->n_layers > MAX_LAYERS)
        return bp__fail(BP_EFORMAT, fn, "%s: %u layers; a model file holds 1 to %d", path,
                        (unsigned)h->n_layers, MAX_LAYERS);
    h->loss = bp__get_u32(bytes + 20);
    if (h->loss != BP_LOSS_QUADRATIC && h->loss != BP_LOSS_CROSS_ENTROPY)
        return bp__fail(BP_EFORMAT, fn, "%s: unknown loss %u", path, (unsigned)h->loss);
    /* The table and the CRC with no parameters at all: any shorter file is
     * truncated, and the table reads below never reach its end. */
    uint64_t least;
    model_file_bytes(h->n_layers, 0, &least); /* small: cannot overflow */
    if (r->size < least)
        return bp__fail(
            BP_EFORMAT, fn, "%s: file is %llu bytes, too short for the table of %u layers (%llu)",
            path, (unsigned long long)r->size, (unsigned)h->n_layers, (unsigned long long)least);
    return BP_OK;
}

/* Reads and checks the layer table (sizes, activations, parameter count)
 * into sizes and activations, computing the parameter count the sizes
 * imply with overflow checks. */
static int read_layer_table(bp__reader *r, model_header *h, size_t *sizes,
                            bp_activation *activations) {
    const char *const fn = r->function;
    const char *path = r->path;
    const uint32_t n_layers = h->n_layers;
    unsigned char bytes[8];
    uint64_t total = 0, previous = 0;
    h->shape[0] = '\0';
    for (uint32_t l = 0; l <= n_layers; l++) {
        int rc = bp__reader_bytes(r, bytes, 8);
        if (rc != BP_OK)
            return rc;
        uint64_t size = bp__get_u64(bytes);
        if (size == 0 || size > (uint64_t)INT_MAX)
            return bp__fail(BP_EFORMAT, fn, "%s: sizes[%u] is %llu; each size must be 1 to %d",
                            path, (unsigned)l, (unsigned long long)size, INT_MAX);
        describe_size(h->shape, sizeof h->shape, size);
        if (l > 0) {
            /* n_l n_(l-1) + n_l <= 2^62: only the running sum can overflow. */
            uint64_t layer = size * previous + size;
            if (total > UINT64_MAX - layer)
                return bp__fail(BP_EOVERFLOW, fn,
                                "%s: the parameter count overflows 64 bits at layer %u", path,
                                (unsigned)l);
            total += layer;
        }
        sizes[l] = (size_t)size;
        previous = size;
    }
    uint32_t last = 0;
    for (uint32_t l = 0; l < n_layers; l++) {
        int rc = bp__reader_bytes(r, bytes, 4);
        if (rc != BP_OK)
            return rc;
        uint32_t activation = bp__get_u32(bytes);
        if (activation > (uint32_t)INT_MAX || !bp__activation_valid((bp_activation)activation))
            return bp__fail(BP_EFORMAT, fn, "%s: activations[%u] is %u, not a bp_activation", path,
                            (unsigned)l, (unsigned)activation);
        if (activation == BP_ACT_SOFTMAX && l + 1 != n_layers)
            return bp__fail(BP_EFORMAT, fn,
                            "%s: activations[%u] is softmax, which only the output layer may use",
                            path, (unsigned)l);
        activations[l] = (bp_activation)activation;
        last = activation;
    }
    if (h->loss == BP_LOSS_CROSS_ENTROPY && last != BP_ACT_SOFTMAX)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: cross-entropy loss with output activation %u; it needs softmax", path,
                        (unsigned)last);
    int rc = bp__reader_bytes(r, bytes, 8);
    if (rc != BP_OK)
        return rc;
    uint64_t stored = bp__get_u64(bytes);
    if (stored != total)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: the header counts %llu parameters; layers %s have %llu", path,
                        (unsigned long long)stored, h->shape, (unsigned long long)total);
    h->n_params = total;
    return BP_OK;
}

/* The layer holding parameter `index`, for messages. */
static size_t layer_of_param(const bp_net *net, size_t index) {
    size_t l = 0;
    while (l + 1 < net->n_layers && net->layers[l + 1].offset <= index)
        l++;
    return l;
}

/* What both savers refuse before writing anything: too many layers for the
 * format, and a non-finite parameter (a diverged network is not worth
 * keeping, and must not replace a good file). `where` is the path or
 * "<memory>", for the message. */
static int check_savable(const void *object, const char *function, const char *where) {
    const bp_net *net = object;
    if (net->n_layers > MAX_LAYERS)
        return bp__fail(BP_EINVAL, function, "%zu layers; a model file holds at most %d",
                        net->n_layers, MAX_LAYERS);
    size_t bad = bp__first_nonfinite(net->params, net->n_params);
    if (bad < net->n_params)
        return bp__fail(BP_ENONFINITE, function,
                        "%s: parameter %zu (layer %zu) is %s; not saving a diverged network", where,
                        bad, layer_of_param(net, bad),
                        isnan(net->params[bad]) ? "NaN" : "infinite");
    return BP_OK;
}

/* Every field of the model file, to a file or to memory. */
static int write_model(bp__writer *w, const void *object) {
    const bp_net *net = object;
    /* Version 1 without preprocessing: such files stay as they always were. */
    const bp_preprocessing *prep = bp_net_preprocessing(net);
    bp__writer_preamble(w, model_magic, prep ? 2 : 1);
    bp__writer_u32(w, (uint32_t)net->n_layers);
    bp__writer_u32(w, (uint32_t)net->loss);
    bp__writer_u64(w, net->layers[0].inputs);
    for (size_t l = 0; l < net->n_layers; l++)
        bp__writer_u64(w, net->layers[l].outputs);
    for (size_t l = 0; l < net->n_layers; l++)
        bp__writer_u32(w, (uint32_t)net->layers[l].activation);
    bp__writer_u64(w, net->n_params);
    bp__writer_floats(w, net->params, net->n_params);
    if (prep) {
        bp__writer_u64(w, bp__preprocessing_bytes(prep));
        bp__preprocessing_write(w, prep);
    }
    return bp__writer_commit(w);
}

static const bp__file_format model_format = {
    .object = "net", .what = "model", .check = check_savable, .write = write_model};

int bp_net_save(const bp_net *net, const char *path) {
    return bp__save_file(&model_format, net, path, __func__);
}

int bp_net_save_memory(const bp_net *net, void *buffer, size_t capacity, size_t *size) {
    return bp__save_memory(&model_format, net, buffer, capacity, size, __func__);
}

/* Reads version 2's section length, which must account for the rest of
 * the file exactly (`before` bytes precede it, 4 of CRC follow), and the
 * section into a new block: its bytes exist, so the block is no larger
 * than the file. */
static int read_section(bp__reader *r, unsigned char **section, uint64_t *bytes, uint64_t before) {
    unsigned char length[8];
    int rc = bp__reader_bytes(r, length, sizeof length);
    if (rc != BP_OK)
        return rc;
    *bytes = bp__get_u64(length);
    /* before counts the CRC too: the section sits between the length and it. */
    if (*bytes != r->size - before - 8)
        return bp__fail(BP_EFORMAT, r->function,
                        "%s: the preprocessing section claims %llu bytes; the file holds %llu",
                        r->path, (unsigned long long)*bytes,
                        (unsigned long long)(r->size - before - 8));
    *section = bp__alloc(*bytes ? (size_t)*bytes : 1);
    if (!*section)
        return bp__fail(BP_ENOMEM, r->function, "%s: no memory for the preprocessing section",
                        r->path);
    return bp__reader_bytes(r, *section, (size_t)*bytes);
}

/* Loading checks the fixed header, reads the layer table (at most
 * MAX_LAYERS entries, so its arrays are small whatever the file says),
 * compares the exact file length the table implies with the real one before
 * anything the file sizes is allocated, then reads the parameters straight
 * into the new network's block, so a large model is never held twice; a
 * network whose CRC then fails is destroyed. Shared by the file and the
 * memory entry points; closes r. */
static int load(bp__reader *r, bp_net **out, bp_kernels kernels) {
    const char *const fn = r->function;
    const char *const path = r->path;
    size_t *sizes = NULL;
    bp_activation *activations = NULL;
    bp_net *net = NULL;
    model_header h;
    unsigned char *section = NULL; /* version 2's preprocessing section */
    uint64_t section_bytes = 0;

    int rc = read_fixed_header(r, &h);
    if (rc != BP_OK)
        goto done;
    sizes = bp__alloc(((size_t)h.n_layers + 1) * sizeof *sizes);
    activations = bp__alloc((size_t)h.n_layers * sizeof *activations);
    if (!sizes || !activations) {
        rc = bp__fail(BP_ENOMEM, fn, "%s: no memory for the table of %u layers", path,
                      (unsigned)h.n_layers);
        goto done;
    }
    rc = read_layer_table(r, &h, sizes, activations);
    if (rc != BP_OK)
        goto done;
    uint64_t expected;
    if (!model_file_bytes(h.n_layers, h.n_params, &expected) || h.n_params > SIZE_MAX / 4) {
        rc = bp__fail(BP_EOVERFLOW, fn,
                      "%s: layers %s have %llu parameters, more bytes than this machine counts",
                      path, h.shape, (unsigned long long)h.n_params);
        goto done;
    }
    /* Version 2: the section's length and the section come before the CRC. */
    if (h.version == 1 ? expected != r->size : r->size < expected || r->size - expected < 8) {
        rc = bp__fail(BP_EFORMAT, fn, "%s: file is %llu bytes, expected %s%llu for layers %s", path,
                      (unsigned long long)r->size, h.version == 1 ? "" : "more than ",
                      (unsigned long long)(h.version == 1 ? expected : expected + 7), h.shape);
        goto done;
    }

    rc = bp_net_create(&net, h.n_layers, sizes, activations, kernels, 0);
    if (rc != BP_OK) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", bp_errmsg());
        rc = bp__fail(rc, fn, "%s: cannot create the network (%s)", path, reason);
        goto done;
    }
    net->loss = (bp_loss)h.loss; /* checked against the output layer above */

    rc = bp__reader_bytes(r, net->params, (size_t)h.n_params * 4);
    if (rc != BP_OK)
        goto done;
    if (h.version == 2 && (rc = read_section(r, &section, &section_bytes, expected)) != BP_OK)
        goto done;
    rc = bp__reader_finish(r);
    if (rc != BP_OK)
        goto done;
    if (section) {
        bp_preprocessing *prep = NULL;
        rc = bp__preprocessing_read(section, section_bytes, sizes[0], sizes[h.n_layers], &prep, fn,
                                    path);
        if (rc != BP_OK)
            goto done;
        bp__preprocessing_adopt(net, prep);
    }
    bp__decode_floats(net->params, net->n_params);
    size_t bad = bp__first_nonfinite(net->params, net->n_params);
    if (bad < net->n_params) {
        rc = bp__fail(BP_EFORMAT, fn, "%s: parameter %zu (layer %zu) is %s", path, bad,
                      layer_of_param(net, bad), isnan(net->params[bad]) ? "NaN" : "infinite");
        goto done;
    }

done:
    bp__reader_close(r);
    bp__free(section);
    bp__free(sizes);
    bp__free(activations);
    if (rc != BP_OK) {
        bp_net_destroy(net);
        return rc;
    }
    *out = net;
    return BP_OK;
}

int bp_net_load(bp_net **out, const char *path, bp_kernels kernels) {
    if (!out || !path) {
        if (out)
            *out = NULL;
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !out ? "out" : "path");
    }
    *out = NULL;
    const int kernels_rc = bp__check_kernels(kernels, __func__);
    if (kernels_rc != BP_OK)
        return kernels_rc;
    bp__reader r;
    int rc = bp__reader_open(&r, path, __func__);
    if (rc != BP_OK)
        return rc;
    return load(&r, out, kernels);
}

int bp_net_load_memory(bp_net **out, const void *data, size_t size, bp_kernels kernels) {
    if (!out || (!data && size > 0)) {
        if (out)
            *out = NULL;
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !out ? "out" : "data");
    }
    *out = NULL;
    const int kernels_rc = bp__check_kernels(kernels, __func__);
    if (kernels_rc != BP_OK)
        return kernels_rc;
    bp__reader r;
    bp__reader_open_memory(&r, data, size, __func__);
    return load(&r, out, kernels);
}
