/* A network's preprocessing: input and target scalers, task and class names, kept with it (the
 * model file's section: io/preprocessing_section.c). */
#include "data/preprocessing.h"

#include <math.h>
#include <string.h>

#include "core/net.h"
#include "data/labels.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

/* What a network holds: its preprocessing and, beside it, its schema (the
 * network's extension points to the first member). */
typedef struct held {
    bp_preprocessing p;
    bp_schema schema;
} held;

static bp_schema *schema_of(const bp_preprocessing *p) { return &((held *)p)->schema; }

bp_schema *bp__preprocessing_schema(const bp_preprocessing *p) { return schema_of(p); }

bp_preprocessing *bp__preprocessing_alloc(void) { return bp__alloc_zeroed(sizeof(held)); }

static void free_schema(bp_schema *s) {
    bp__free(s->input_names);
    bp__free(s->output_names);
    *s = (bp_schema){0};
}

void bp__preprocessing_free(bp_preprocessing *p) {
    if (!p)
        return;
    bp_scaler_free(&p->inputs);
    bp_scaler_free(&p->targets);
    bp__free(p->class_names); /* one block: pointers and texts */
    free_schema(schema_of(p));
    bp__free(p);
}

/* The network's destructor for its extension. */
static void free_extension(void *extension) { bp__preprocessing_free(extension); }

void bp__preprocessing_adopt(bp_net *net, bp_preprocessing *p) {
    bp__net_set_extension(net, p, p ? free_extension : NULL);
}

/* The preprocessing net holds, or NULL. */
static bp_preprocessing *held_by(const bp_net *net) { return net->extension; }

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

bool bp__name_is_good(const char *name, size_t length) {
    if (length == 0 || length > BP__MAX_NAME)
        return false;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

const char *bp__name_problem(const char *name, bool class_name) {
    const size_t length = strlen(name);
    if (!bp__name_is_good(name, length))
        return length == 0             ? "is empty"
               : length > BP__MAX_NAME ? "is longer than 255 bytes"
                                       : "holds a control character";
    if (name[0] == ' ' || name[0] == '\t' || name[length - 1] == ' ' || name[length - 1] == '\t')
        return "has a blank at an end, which a CSV field loses";
    if (length >= 2 && name[0] == '"' && name[length - 1] == '"')
        return "is wrapped in double quotes, which a CSV field loses";
    if (class_name && bp__label_is_missing(name, length))
        return "is a missing label (NA, N/A, NaN, nan, ?)";
    return NULL;
}

/* Checks n names (each readable from a CSV file, all distinct); `which`
 * names the list ("class", "input"). */
static int check_names(char *const *names, size_t n, const char *which, bool class_name,
                       const char *fn) {
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return bp__fail(BP_EINVAL, fn, "%s name %zu is NULL", which, i);
        const char *problem = bp__name_problem(names[i], class_name);
        if (problem)
            return bp__fail(BP_EINVAL, fn, "%s name %zu (\"%.40s\") %s", which, i, names[i],
                            problem);
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0)
                return bp__fail(BP_EINVAL, fn, "%s names %zu and %zu are both \"%s\"", which, k, i,
                                names[i]);
    }
    return BP_OK;
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
    return check_names(p->class_names, p->classes, "class", true, fn);
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

char **bp__names_block(size_t classes, const char *const *names, const size_t *lengths) {
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

/* A names block of n names (NULL when out of memory). */
static char **copy_names(char *const *names, size_t n) {
    size_t *lengths = bp__alloc((n + 1) * sizeof(size_t));
    if (!lengths)
        return NULL;
    for (size_t i = 0; i < n; i++)
        lengths[i] = strlen(names[i]);
    char **block = bp__names_block(n, (const char *const *)names, lengths);
    bp__free(lengths);
    return block;
}

/* How many output names a task has: the label column, or each target. */
static size_t output_name_count(const bp_net *net, bp_task task) {
    return task == BP_TASK_CLASSIFICATION ? 1 : bp_net_num_outputs(net);
}

int bp_net_set_preprocessing(bp_net *net, const bp_preprocessing *preprocessing) {
    const char *fn = __func__;
    if (!net)
        return bp__fail(BP_EINVAL, fn, "net is NULL");
    if (!preprocessing) {
        bp__preprocessing_adopt(net, NULL);
        return BP_OK;
    }
    int rc = check(net, preprocessing, fn);
    if (rc != BP_OK)
        return rc;
    bp_preprocessing *copy = bp__preprocessing_alloc();
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
        copy->class_names = bp__names_block(
            preprocessing->classes, (const char *const *)preprocessing->class_names, lengths);
        ok = copy->class_names != NULL;
    }
    bp__free(lengths);

    if (!ok) {
        bp__preprocessing_free(copy);
        return bp__fail(BP_ENOMEM, fn, "no memory for the preprocessing");
    }
    bp__preprocessing_adopt(net, copy);
    return BP_OK;
}

const bp_preprocessing *bp_net_preprocessing(const bp_net *net) {
    return net ? held_by(net) : NULL;
}

int bp_net_set_schema(bp_net *net, const bp_schema *schema) {
    const char *fn = __func__;
    if (!net)
        return bp__fail(BP_EINVAL, fn, "net is NULL");
    bp_preprocessing *held_p = held_by(net);
    if (!held_p)
        return bp__fail(BP_EINVAL, fn,
                        "the network has no preprocessing to keep a schema with "
                        "(bp_net_set_preprocessing first)");
    bp_schema *held_schema = schema_of(held_p);
    if (!schema) {
        free_schema(held_schema);
        return BP_OK;
    }
    const bp_task task = held_p->task;
    const size_t n_inputs = bp_net_num_inputs(net), n_outputs = output_name_count(net, task);
    const char *outputs = task == BP_TASK_CLASSIFICATION ? "label" : "target";
    int rc = BP__CHECK_RESERVED(schema, "schema->reserved", fn);
    if (rc == BP_OK && schema->input_names)
        rc = check_names(schema->input_names, n_inputs, "input", false, fn);
    if (rc == BP_OK && schema->output_names)
        rc = check_names(schema->output_names, n_outputs, outputs, false, fn);
    if (rc == BP_OK && schema->skipped_columns > BP__MAX_SKIPPED)
        rc = bp__fail(BP_EINVAL, fn, "skipped_columns %zu; at most %u", schema->skipped_columns,
                      BP__MAX_SKIPPED);
    if (rc != BP_OK)
        return rc;
    bp_schema copy = {.skipped_columns = schema->skipped_columns};
    bool ok = true;
    if (schema->input_names)
        ok = (copy.input_names = copy_names(schema->input_names, n_inputs)) != NULL;
    if (ok && schema->output_names)
        ok = (copy.output_names = copy_names(schema->output_names, n_outputs)) != NULL;
    if (!ok) {
        free_schema(&copy);
        return bp__fail(BP_ENOMEM, fn, "no memory for the schema");
    }
    free_schema(held_schema);
    *held_schema = copy;
    return BP_OK;
}

const bp_schema *bp_net_schema(const bp_net *net) {
    if (!net || !held_by(net))
        return NULL;
    const bp_schema *s = schema_of(held_by(net));
    return s->input_names || s->output_names || s->skipped_columns ? s : NULL;
}
