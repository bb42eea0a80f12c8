/* A network's preprocessing: input and target scalers, task and class names, kept and saved with
 * it. */
#include "data/preprocessing.h"

#include <math.h>
#include <string.h>

#include "core/net.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

/* The section's own version, first in it, so that it can grow. */
#define SECTION_VERSION 1
#define FLAG_INPUTS 1u
#define FLAG_TARGETS 2u
#define FLAG_CLASSES 4u
#define MAX_NAME 255

void bp__preprocessing_free(bp_preprocessing *p) {
    if (!p)
        return;
    bp_scaler_free(&p->inputs);
    bp_scaler_free(&p->targets);
    bp__free(p->class_names); /* one block: pointers and texts */
    bp__free(p);
}

/* Checks a scaler's kind and values; `which` names it. */
static int check_scaler(const bp_scaler *s, size_t width, const char *which, const char *fn) {
    if (s->columns == 0)
        return BP_OK;
    if (s->columns != width || !s->offset || !s->scale)
        return bp__fail(BP_EINVAL, fn, "the %s scaler has %zu columns; the network %zu", which,
                        s->columns, width);
    if (s->kind != BP_SCALE_MINMAX && s->kind != BP_SCALE_STANDARDIZE)
        return bp__fail(BP_EINVAL, fn, "the %s scaler's kind %d is unknown", which, (int)s->kind);
    for (size_t j = 0; j < width; j++)
        if (!isfinite(s->offset[j]) || !isfinite(s->scale[j]) || s->scale[j] == 0.0f)
            return bp__fail(BP_EINVAL, fn, "the %s scaler's column %zu has offset %g, scale %g",
                            which, j, (double)s->offset[j], (double)s->scale[j]);
    return BP_OK;
}

/* A class name: 1 to 255 bytes, none of them a control character. */
static bool good_name(const char *name, size_t length) {
    if (length == 0 || length > MAX_NAME)
        return false;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

static int check(const bp_net *net, const bp_preprocessing *p, const char *fn) {
    if (p->task != BP_TASK_CLASSIFICATION && p->task != BP_TASK_REGRESSION)
        return bp__fail(BP_EINVAL, fn, "unknown task %d", (int)p->task);
    int rc = BP__CHECK_RESERVED(p, "preprocessing->reserved", fn);
    if (rc == BP_OK)
        rc = BP__CHECK_RESERVED(&p->inputs, "preprocessing->inputs.reserved", fn);
    if (rc == BP_OK)
        rc = BP__CHECK_RESERVED(&p->targets, "preprocessing->targets.reserved", fn);
    if (rc == BP_OK)
        rc = check_scaler(&p->inputs, bp_net_num_inputs(net), "input", fn);
    if (rc == BP_OK)
        rc = check_scaler(&p->targets, bp_net_num_outputs(net), "target", fn);
    if (rc != BP_OK)
        return rc;
    if (p->task == BP_TASK_CLASSIFICATION && p->targets.columns)
        return bp__fail(BP_EINVAL, fn, "target scaling on a classification");
    if (p->task == BP_TASK_REGRESSION && p->classes)
        return bp__fail(BP_EINVAL, fn, "class names on a regression");
    if (p->classes > bp_net_num_outputs(net) || (p->classes && !p->class_names))
        return bp__fail(BP_EINVAL, fn, "%zu class names for %zu outputs%s", p->classes,
                        bp_net_num_outputs(net), p->class_names ? "" : ", and class_names NULL");
    for (size_t c = 0; c < p->classes; c++)
        if (!p->class_names[c] || !good_name(p->class_names[c], strlen(p->class_names[c])))
            return bp__fail(BP_EINVAL, fn,
                            "class name %zu is %s: each must be 1 to %d bytes, no control "
                            "characters",
                            c, p->class_names[c] ? "not" : "NULL", MAX_NAME);
    return BP_OK;
}

static bool copy_scaler(bp_scaler *to, const bp_scaler *from) {
    *to = (bp_scaler){.kind = from->kind, .columns = from->columns};
    if (from->columns == 0)
        return true;
    const size_t bytes = from->columns * sizeof(float);
    to->offset = bp__alloc(bytes);
    to->scale = bp__alloc(bytes);
    if (!to->offset || !to->scale)
        return false;
    memcpy(to->offset, from->offset, bytes);
    memcpy(to->scale, from->scale, bytes);
    return true;
}

/* One block holding `classes` + 1 pointers (the last NULL) and the names. */
static char **names_block(size_t classes, const char *const *names, const size_t *lengths) {
    size_t text = 0;
    for (size_t c = 0; c < classes; c++)
        text += lengths[c] + 1;
    char **block = bp__alloc((classes + 1) * sizeof(char *) + text);
    if (!block)
        return NULL;
    char *at = (char *)(block + classes + 1);
    for (size_t c = 0; c < classes; c++) {
        memcpy(at, names[c], lengths[c]);
        at[lengths[c]] = '\0';
        block[c] = at;
        at += lengths[c] + 1;
    }
    block[classes] = NULL;
    return block;
}

int bp_net_set_preprocessing(bp_net *net, const bp_preprocessing *preprocessing) {
    const char *fn = __func__;
    if (!net)
        return bp__fail(BP_EINVAL, fn, "net is NULL");
    if (!preprocessing) {
        bp__preprocessing_free(net->preprocessing);
        net->preprocessing = NULL;
        return BP_OK;
    }
    int rc = check(net, preprocessing, fn);
    if (rc != BP_OK)
        return rc;
    bp_preprocessing *copy = bp__alloc_zeroed(sizeof *copy);
    size_t *lengths = bp__alloc((preprocessing->classes + 1) * sizeof(size_t));
    bool ok = copy && lengths;
    if (ok) {
        copy->task = preprocessing->task;
        copy->classes = preprocessing->classes;
        ok = copy_scaler(&copy->inputs, &preprocessing->inputs) &&
             copy_scaler(&copy->targets, &preprocessing->targets);
    }
    if (ok && preprocessing->classes) {
        for (size_t c = 0; c < preprocessing->classes; c++)
            lengths[c] = strlen(preprocessing->class_names[c]);
        copy->class_names = names_block(preprocessing->classes,
                                        (const char *const *)preprocessing->class_names, lengths);
        ok = copy->class_names != NULL;
    }
    bp__free(lengths);
    if (!ok) {
        bp__preprocessing_free(copy);
        return bp__fail(BP_ENOMEM, fn, "no memory for the preprocessing");
    }
    bp__preprocessing_free(net->preprocessing);
    net->preprocessing = copy;
    return BP_OK;
}

const bp_preprocessing *bp_net_preprocessing(const bp_net *net) {
    return net ? net->preprocessing : NULL;
}

/* ---- the section ---- */

static uint32_t flags_of(const bp_preprocessing *p) {
    return (p->inputs.columns ? FLAG_INPUTS : 0) | (p->targets.columns ? FLAG_TARGETS : 0) |
           (p->classes ? FLAG_CLASSES : 0);
}

uint64_t bp__preprocessing_bytes(const bp_preprocessing *p) {
    uint64_t bytes = 12; /* section version, task, flags */
    if (p->inputs.columns)
        bytes += 12 + 8 * (uint64_t)p->inputs.columns;
    if (p->targets.columns)
        bytes += 12 + 8 * (uint64_t)p->targets.columns;
    if (p->classes) {
        bytes += 8;
        for (size_t c = 0; c < p->classes; c++)
            bytes += 4 + strlen(p->class_names[c]);
    }
    return bytes;
}

static void write_scaler(bp__writer *w, const bp_scaler *s) {
    bp__writer_u32(w, (uint32_t)s->kind);
    bp__writer_u64(w, s->columns);
    bp__writer_floats(w, s->offset, s->columns);
    bp__writer_floats(w, s->scale, s->columns);
}

void bp__preprocessing_write(bp__writer *w, const bp_preprocessing *p) {
    bp__writer_u32(w, SECTION_VERSION);
    bp__writer_u32(w, (uint32_t)p->task);
    bp__writer_u32(w, flags_of(p));
    if (p->inputs.columns)
        write_scaler(w, &p->inputs);
    if (p->targets.columns)
        write_scaler(w, &p->targets);
    if (p->classes) {
        bp__writer_u64(w, p->classes);
        for (size_t c = 0; c < p->classes; c++) {
            const size_t length = strlen(p->class_names[c]);
            bp__writer_u32(w, (uint32_t)length);
            bp__writer_bytes(w, p->class_names[c], length);
        }
    }
}

/* A cursor over the section's bytes. */
typedef struct cursor {
    const unsigned char *at;
    uint64_t left;
    const char *function, *path;
} cursor;

static int need(cursor *c, uint64_t n, const char *what) {
    if (c->left < n)
        return bp__fail(BP_EFORMAT, c->function, "%s: the preprocessing section ends inside the %s",
                        c->path, what);
    return BP_OK;
}

static uint32_t take_u32(cursor *c) {
    const uint32_t v = bp__get_u32(c->at);
    c->at += 4;
    c->left -= 4;
    return v;
}

static uint64_t take_u64(cursor *c) {
    const uint64_t v = bp__get_u64(c->at);
    c->at += 8;
    c->left -= 8;
    return v;
}

static int read_scaler(cursor *c, size_t width, const char *which, bp_scaler *s) {
    int rc = need(c, 12, which);
    if (rc != BP_OK)
        return rc;
    const uint32_t kind = take_u32(c);
    const uint64_t columns = take_u64(c);
    if (columns != width)
        return bp__fail(BP_EFORMAT, c->function,
                        "%s: the %s scaler has %llu columns; the network %zu", c->path, which,
                        (unsigned long long)columns, width);
    if (kind != BP_SCALE_MINMAX && kind != BP_SCALE_STANDARDIZE)
        return bp__fail(BP_EFORMAT, c->function, "%s: the %s scaler's kind %u is unknown", c->path,
                        which, (unsigned)kind);
    if ((rc = need(c, 8 * columns, which)) != BP_OK)
        return rc;
    *s = (bp_scaler){.kind = (bp_scaling_kind)kind, .columns = width};
    s->offset = bp__alloc(width * sizeof(float));
    s->scale = bp__alloc(width * sizeof(float));
    if (!s->offset || !s->scale)
        return bp__fail(BP_ENOMEM, c->function, "%s: no memory for the %s scaler", c->path, which);
    memcpy(s->offset, c->at, 4 * width);
    memcpy(s->scale, c->at + 4 * width, 4 * width);
    bp__decode_floats(s->offset, width);
    bp__decode_floats(s->scale, width);
    c->at += 8 * width;
    c->left -= 8 * width;
    for (size_t j = 0; j < width; j++)
        if (!isfinite(s->offset[j]) || !isfinite(s->scale[j]) || s->scale[j] == 0.0f)
            return bp__fail(BP_EFORMAT, c->function,
                            "%s: the %s scaler's column %zu has offset %g, scale %g", c->path,
                            which, j, (double)s->offset[j], (double)s->scale[j]);
    return BP_OK;
}

static int read_names(cursor *c, size_t n_outputs, bp_preprocessing *p) {
    int rc = need(c, 8, "class count");
    if (rc != BP_OK)
        return rc;
    const uint64_t classes = take_u64(c);
    if (classes == 0 || classes > n_outputs)
        return bp__fail(BP_EFORMAT, c->function, "%s: %llu class names for %zu outputs", c->path,
                        (unsigned long long)classes, n_outputs);
    const char **names = bp__alloc((size_t)classes * sizeof(char *));
    size_t *lengths = bp__alloc((size_t)classes * sizeof(size_t));
    if (!names || !lengths) {
        bp__free(names);
        bp__free(lengths);
        return bp__fail(BP_ENOMEM, c->function, "%s: no memory for %llu class names", c->path,
                        (unsigned long long)classes);
    }
    for (size_t k = 0; rc == BP_OK && k < classes; k++) {
        rc = need(c, 4, "class names");
        if (rc != BP_OK)
            break;
        lengths[k] = take_u32(c);
        rc = need(c, lengths[k], "class names");
        if (rc == BP_OK && !good_name((const char *)c->at, lengths[k]))
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s: class name %zu is not 1 to %d bytes without control characters",
                          c->path, k, MAX_NAME);
        if (rc == BP_OK) {
            names[k] = (const char *)c->at;
            c->at += lengths[k];
            c->left -= lengths[k];
        }
    }
    if (rc == BP_OK) {
        p->class_names = names_block((size_t)classes, names, lengths);
        p->classes = (size_t)classes;
        if (!p->class_names)
            rc = bp__fail(BP_ENOMEM, c->function, "%s: no memory for the class names", c->path);
    }
    bp__free(names);
    bp__free(lengths);
    return rc;
}

int bp__preprocessing_read(const unsigned char *bytes, uint64_t size, size_t n_inputs,
                           size_t n_outputs, bp_preprocessing **out, const char *function,
                           const char *path) {
    cursor c = {.at = bytes, .left = size, .function = function, .path = path};
    int rc = need(&c, 12, "header");
    if (rc != BP_OK)
        return rc;
    const uint32_t version = take_u32(&c), task = take_u32(&c), flags = take_u32(&c);
    if (version != SECTION_VERSION)
        return bp__fail(BP_EFORMAT, function,
                        "%s: preprocessing section version %u; this library reads version %d", path,
                        (unsigned)version, SECTION_VERSION);
    if (task != BP_TASK_CLASSIFICATION && task != BP_TASK_REGRESSION)
        return bp__fail(BP_EFORMAT, function, "%s: unknown task %u", path, (unsigned)task);
    if ((flags & ~(FLAG_INPUTS | FLAG_TARGETS | FLAG_CLASSES)) ||
        (task == BP_TASK_CLASSIFICATION && (flags & FLAG_TARGETS)) ||
        (task == BP_TASK_REGRESSION && (flags & FLAG_CLASSES)))
        return bp__fail(BP_EFORMAT, function, "%s: preprocessing flags 0x%x do not fit task %u",
                        path, (unsigned)flags, (unsigned)task);
    bp_preprocessing *p = bp__alloc_zeroed(sizeof *p);
    if (!p)
        return bp__fail(BP_ENOMEM, function, "%s: no memory for the preprocessing", path);
    p->task = (bp_task)task;
    if (flags & FLAG_INPUTS)
        rc = read_scaler(&c, n_inputs, "input", &p->inputs);
    if (rc == BP_OK && (flags & FLAG_TARGETS))
        rc = read_scaler(&c, n_outputs, "target", &p->targets);
    if (rc == BP_OK && (flags & FLAG_CLASSES))
        rc = read_names(&c, n_outputs, p);
    if (rc == BP_OK && c.left != 0)
        rc = bp__fail(BP_EFORMAT, function,
                      "%s: %llu bytes after the preprocessing section's fields", path,
                      (unsigned long long)c.left);
    if (rc != BP_OK) {
        bp__preprocessing_free(p);
        return rc;
    }
    *out = p;
    return BP_OK;
}
