/* The preprocessing section of a model file (format version 2): its bytes, writing and parsing. */
#include "io/preprocessing_section.h"

#include <math.h>
#include <string.h>

#include "data/preprocessing.h"
#include "support/alloc.h"
#include "support/error.h"

/* The section's own version, first in it, so that it can grow: 1 without
 * a schema (byte for byte as before version 2 existed), 2 with one. */
#define SECTION_VERSION 2
#define FLAG_INPUTS 1u
#define FLAG_TARGETS 2u
#define FLAG_CLASSES 4u
#define FLAG_INPUT_NAMES 8u   /* version 2: the input columns' names */
#define FLAG_OUTPUT_NAMES 16u /* version 2: the label or target columns' names */
#define FLAG_SKIPPED 32u      /* version 2: the count of leading columns skipped */
#define SCHEMA_FLAGS (FLAG_INPUT_NAMES | FLAG_OUTPUT_NAMES | FLAG_SKIPPED)
#define MAX_NAME BP__MAX_NAME
#define MAX_SKIPPED BP__MAX_SKIPPED

static bp_schema *schema_of(const bp_preprocessing *p) { return bp__preprocessing_schema(p); }
static uint32_t flags_of(const bp_preprocessing *p) {
    const bp_schema *s = schema_of(p);
    return (p->inputs.columns ? FLAG_INPUTS : 0) | (p->targets.columns ? FLAG_TARGETS : 0) |
           (p->classes ? FLAG_CLASSES : 0) | (s->input_names ? FLAG_INPUT_NAMES : 0) |
           (s->output_names ? FLAG_OUTPUT_NAMES : 0) | (s->skipped_columns ? FLAG_SKIPPED : 0);
}

/* Bytes of a names list as the section holds it: per name a uint32
 * length and its bytes (the count is the network's). */
static uint64_t names_bytes(char *const *names) {
    uint64_t bytes = 0;
    for (size_t i = 0; names && names[i]; i++)
        bytes += 4 + strlen(names[i]);
    return bytes;
}

static void write_names(bp__writer *w, char *const *names) {
    for (size_t i = 0; names && names[i]; i++) {
        const size_t length = strlen(names[i]);
        bp__writer_u32(w, (uint32_t)length);
        bp__writer_bytes(w, names[i], length);
    }
}

uint64_t bp__preprocessing_bytes(const bp_preprocessing *p) {
    uint64_t bytes = 12; /* section version, task, flags */
    const bp_schema *s = schema_of(p);
    bytes += names_bytes(s->input_names) + names_bytes(s->output_names);
    if (s->skipped_columns)
        bytes += 8;
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
    /* Version 1 when there is no schema: such files stay as they were. */
    bp__writer_u32(w, flags_of(p) & SCHEMA_FLAGS ? SECTION_VERSION : 1);
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
    const bp_schema *s = schema_of(p);
    write_names(w, s->input_names);
    write_names(w, s->output_names);
    if (s->skipped_columns)
        bp__writer_u64(w, s->skipped_columns);
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
        if (rc == BP_OK && !bp__name_is_good((const char *)c->at, lengths[k]))
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
        p->class_names = bp__names_block((size_t)classes, names, lengths);
        p->classes = (size_t)classes;
        if (!p->class_names)
            rc = bp__fail(BP_ENOMEM, c->function, "%s: no memory for the class names", c->path);
    }
    bp__free(names);
    bp__free(lengths);
    return rc;
}

/* n column names (each 1 to 255 bytes, no control character, no blank at an
 * end, distinct) into *out, one block; `which` names them. */
static int read_column_names(cursor *c, size_t n, const char *which, char ***out) {
    const char **names = bp__alloc((n ? n : 1) * sizeof(char *));
    size_t *lengths = bp__alloc((n ? n : 1) * sizeof(size_t));
    int rc = names && lengths ? BP_OK
                              : bp__fail(BP_ENOMEM, c->function, "%s: no memory for %zu %s names",
                                         c->path, n, which);
    for (size_t k = 0; rc == BP_OK && k < n; k++) {
        rc = need(c, 4, "column names");
        if (rc != BP_OK)
            break;
        lengths[k] = take_u32(c);
        rc = need(c, lengths[k], "column names");
        if (rc == BP_OK && !bp__name_is_good((const char *)c->at, lengths[k]))
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s: %s name %zu is not 1 to %d bytes without control characters",
                          c->path, which, k, MAX_NAME);
        if (rc == BP_OK) {
            names[k] = (const char *)c->at;
            c->at += lengths[k];
            c->left -= lengths[k];
        }
    }
    if (rc == BP_OK) {
        *out = bp__names_block(n, names, lengths);
        if (!*out)
            rc = bp__fail(BP_ENOMEM, c->function, "%s: no memory for the %s names", c->path, which);
    }
    if (rc == BP_OK)
        for (size_t k = 0; rc == BP_OK && k < n; k++) {
            const char *problem = bp__name_problem((*out)[k], false);
            for (size_t i = 0; !problem && i < k; i++)
                problem = strcmp((*out)[i], (*out)[k]) == 0 ? "repeats an earlier name" : NULL;
            if (problem)
                rc = bp__fail(BP_EFORMAT, c->function, "%s: %s name %zu (\"%.40s\") %s", c->path,
                              which, k, (*out)[k], problem);
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
    if (version != 1 && version != SECTION_VERSION)
        return bp__fail(BP_EFORMAT, function,
                        "%s: preprocessing section version %u; this library reads versions 1 to %d",
                        path, (unsigned)version, SECTION_VERSION);
    if (task != BP_TASK_CLASSIFICATION && task != BP_TASK_REGRESSION)
        return bp__fail(BP_EFORMAT, function, "%s: unknown task %u", path, (unsigned)task);
    const uint32_t known = FLAG_INPUTS | FLAG_TARGETS | FLAG_CLASSES | SCHEMA_FLAGS;
    if ((version == 1) != !(flags & SCHEMA_FLAGS))
        return bp__fail(BP_EFORMAT, function,
                        "%s: preprocessing section version %u with flags 0x%x: the schema's "
                        "flags (8, 16, 32) come with version 2, and only with it",
                        path, (unsigned)version, (unsigned)flags);
    if ((flags & ~known) || (task == BP_TASK_CLASSIFICATION && (flags & FLAG_TARGETS)) ||
        (task == BP_TASK_REGRESSION && (flags & FLAG_CLASSES)))
        return bp__fail(BP_EFORMAT, function, "%s: preprocessing flags 0x%x do not fit task %u",
                        path, (unsigned)flags, (unsigned)task);
    bp_preprocessing *p = bp__preprocessing_alloc();
    if (!p)
        return bp__fail(BP_ENOMEM, function, "%s: no memory for the preprocessing", path);
    bp_schema *schema = schema_of(p);
    p->task = (bp_task)task;
    if (flags & FLAG_INPUTS)
        rc = read_scaler(&c, n_inputs, "input", &p->inputs);
    if (rc == BP_OK && (flags & FLAG_TARGETS))
        rc = read_scaler(&c, n_outputs, "target", &p->targets);
    if (rc == BP_OK && (flags & FLAG_CLASSES))
        rc = read_names(&c, n_outputs, p);
    if (rc == BP_OK && (flags & FLAG_INPUT_NAMES))
        rc = read_column_names(&c, n_inputs, "input", &schema->input_names);
    if (rc == BP_OK && (flags & FLAG_OUTPUT_NAMES))
        rc = read_column_names(&c, task == BP_TASK_CLASSIFICATION ? 1 : n_outputs,
                               task == BP_TASK_CLASSIFICATION ? "label" : "target",
                               &schema->output_names);
    if (rc == BP_OK && (flags & FLAG_SKIPPED)) {
        rc = need(&c, 8, "skipped column count");
        const uint64_t skipped = rc == BP_OK ? take_u64(&c) : 0;
        if (rc == BP_OK && (skipped == 0 || skipped > MAX_SKIPPED))
            rc = bp__fail(BP_EFORMAT, function, "%s: %llu skipped columns; 1 to %u", path,
                          (unsigned long long)skipped, MAX_SKIPPED);
        schema->skipped_columns = (size_t)skipped;
    }
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
