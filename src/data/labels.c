/* Labels as text mapped to dense classes: numbers sorted numerically, words as text. */
#include "data/labels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backprop.h"
#include "support/alloc.h"
#include "support/error.h"

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

void bp__labels_free(bp__labels *set) {
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        bp__free(set->names[i]);
    bp__free(set->names);
    bp__free(set->values);
    bp__free(set->sorted);
    *set = (bp__labels){0};
}

/* A label is its text, as written: "01" and "1", "-0" and "0", "1.0" and
 * "1" are two labels, and "007" stays "007". *value is the number the text
 * reads as when it is a finite decimal number (for the order of the
 * classes), NaN for a word. Writes at most capacity bytes; false when it
 * does not fit. */
static bool label_text(const char *start, size_t length, char *text, size_t capacity,
                       double *value) {
    *value = NAN;
    if (length + 1 > capacity)
        return false;
    memcpy(text, start, length);
    text[length] = '\0';
    char *stop;
    const double v = strtod(text, &stop);
    /* Decimal only: "0x10" and "inf" are words. */
    if (stop == text + length && isfinite(v) && !strpbrk(text, "xXnN"))
        *value = v;
    return true;
}

bool bp__label_is_missing(const char *start, size_t length) {
    static const char *const words[] = {"", "NA", "N/A", "NaN", "nan", "?"};
    while (length > 0 && is_blank(*start)) {
        start++;
        length--;
    }
    while (length > 0 && is_blank(start[length - 1]))
        length--;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == length && memcmp(words[i], start, length) == 0)
            return true;
    return false;
}

/* Position of text in the sorted index (where it is, or would go). */
static size_t find(const bp__labels *set, const char *text, bool *found) {
    size_t low = 0, high = set->count;
    while (low < high) {
        const size_t mid = low + (high - low) / 2;
        const int order = strcmp(set->names[set->sorted[mid]], text);
        if (order == 0) {
            *found = true;
            return mid;
        }
        if (order < 0)
            low = mid + 1;
        else
            high = mid;
    }
    *found = false;
    return low;
}

static int grow(bp__labels *set, const char *function) {
    if (set->count < set->capacity)
        return BP_OK;
    const size_t capacity = set->capacity ? 2 * set->capacity : 16;
    char **names = bp__alloc(capacity * sizeof *names);
    double *values = bp__alloc(capacity * sizeof *values);
    size_t *sorted = bp__alloc(capacity * sizeof *sorted);
    if (!names || !values || !sorted) {
        bp__free(names);
        bp__free(values);
        bp__free(sorted);
        return bp__fail(BP_ENOMEM, function, "no memory for %zu labels", capacity);
    }
    if (set->count) {
        memcpy(names, set->names, set->count * sizeof *names);
        memcpy(values, set->values, set->count * sizeof *values);
        memcpy(sorted, set->sorted, set->count * sizeof *sorted);
    }
    bp__free(set->names);
    bp__free(set->values);
    bp__free(set->sorted);
    set->names = names;
    set->values = values;
    set->sorted = sorted;
    set->capacity = capacity;
    return BP_OK;
}

/* Inserts a new label (known not to be in the set) at sorted position at. */
static int insert(bp__labels *set, const char *text, double value, size_t at, uint32_t *id,
                  const char *function) {
    int rc = grow(set, function);
    if (rc != BP_OK)
        return rc;
    const size_t length = strlen(text);
    char *copy = bp__alloc(length + 1);
    if (!copy)
        return bp__fail(BP_ENOMEM, function, "no memory for a label");
    memcpy(copy, text, length + 1);
    const size_t new_id = set->count;
    memmove(set->sorted + at + 1, set->sorted + at, (set->count - at) * sizeof *set->sorted);
    set->sorted[at] = new_id;
    set->names[new_id] = copy;
    set->values[new_id] = value;
    set->all_numeric = (set->count == 0 || set->all_numeric) && !isnan(value);
    set->count++;
    *id = (uint32_t)new_id;
    return BP_OK;
}

int bp__labels_add(bp__labels *set, const char *start, size_t length, size_t max_classes,
                   uint32_t *id, const char *function) {
    while (length > 0 && is_blank(*start)) {
        start++;
        length--;
    }
    while (length > 0 && is_blank(start[length - 1]))
        length--;
    if (bp__label_is_missing(start, length))
        return bp__fail(BP_EINVAL, function,
                        "the label is missing (\"%.*s\"): give every row a label, or drop "
                        "such rows (the command line's --drop-missing-labels)",
                        (int)length, start);
    char text[256];
    double value;
    if (!label_text(start, length, text, sizeof text, &value))
        return bp__fail(BP_EINVAL, function, "a label of %zu characters; at most %zu", length,
                        sizeof text - 1);
    bool found;
    const size_t at = find(set, text, &found);
    if (found) {
        *id = (uint32_t)set->sorted[at];
        return BP_OK;
    }
    if (set->frozen)
        return bp__fail(BP_EINVAL, function,
                        "label \"%s\" is not one of the %zu classes of the training set", text,
                        set->count);
    if (max_classes && set->count >= max_classes)
        return bp__fail(BP_EINVAL, function,
                        "label \"%s\" would be class %zu, past the limit of %zu", text,
                        set->count + 1, max_classes);
    if (set->count >= UINT32_MAX)
        return bp__fail(BP_EINVAL, function, "more than %u labels", (unsigned)UINT32_MAX);
    return insert(set, text, value, at, id, function);
}

int bp__labels_from_names(bp__labels *set, char *const *names, size_t count, const char *function) {
    *set = (bp__labels){0};
    for (size_t c = 0; c < count; c++) {
        uint32_t id;
        const size_t before = set->count;
        int rc = names[c] ? bp__labels_add(set, names[c], strlen(names[c]), 0, &id, function)
                          : bp__fail(BP_EINVAL, function, "class name %zu is NULL", c);
        if (rc == BP_OK && set->count == before)
            rc = bp__fail(BP_EINVAL, function, "class names %u and %zu are both \"%s\"",
                          (unsigned)id, c, names[c]);
        if (rc != BP_OK) {
            bp__labels_free(set);
            return rc;
        }
    }
    set->frozen = true;
    return BP_OK;
}

/* qsort over ids needs the set: sort (key, id) pairs instead. */
typedef struct sort_entry {
    const char *name;
    double value;
    size_t id;
} sort_entry;

/* Two spellings of one number ("1" and "01") stay two classes, in text order. */
static int by_value(const void *a, const void *b) {
    const sort_entry *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value ? 1 : strcmp(x->name, y->name);
}

static int by_text(const void *a, const void *b) {
    return strcmp(((const sort_entry *)a)->name, ((const sort_entry *)b)->name);
}

int bp__labels_finish(bp__labels *set, uint32_t *class_of, char ***names, const char *function) {
    const size_t count = set->count;
    if (!set->frozen && count == 1)
        return bp__fail(BP_EINVAL, function,
                        "every label is \"%s\": one class; a classifier needs two or more",
                        set->names[0]);
    size_t text_bytes = 0;
    for (size_t i = 0; i < count; i++)
        text_bytes += strlen(set->names[i]) + 1;
    sort_entry *entries = bp__alloc((count ? count : 1) * sizeof *entries);
    char **block = bp__alloc((count + 1) * sizeof(char *) + text_bytes);
    if (!entries || !block) {
        bp__free(entries);
        bp__free(block);
        return bp__fail(BP_ENOMEM, function, "no memory for the names of %zu classes", count);
    }
    for (size_t i = 0; i < count; i++)
        entries[i] = (sort_entry){set->names[i], set->values[i], i};
    if (!set->frozen)
        qsort(entries, count, sizeof *entries, set->all_numeric ? by_value : by_text);
    char *text = (char *)(block + count + 1);
    for (size_t c = 0; c < count; c++) {
        class_of[entries[c].id] = (uint32_t)c;
        const size_t length = strlen(entries[c].name) + 1;
        memcpy(text, entries[c].name, length);
        block[c] = text;
        text += length;
    }
    block[count] = NULL;
    bp__free(entries);
    *names = block;
    return BP_OK;
}

int bp_labels_map(bp_dataset *out, const char *const *labels, size_t n, size_t max_classes) {
    const char *fn = __func__;
    if (out)
        *out = (bp_dataset){0};
    if (!out || !labels)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "labels");
    if (n == 0)
        return bp__fail(BP_EINVAL, fn, "n is 0");
    size_t bytes;
    if (!bp__mul_size(n, sizeof(uint32_t), &bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu labels overflow size_t", n);
    uint32_t *ids = bp__alloc(bytes);
    if (!ids)
        return bp__fail(BP_ENOMEM, fn, "no memory for %zu labels", n);
    bp__labels set = {0};
    int rc = BP_OK;
    for (size_t i = 0; rc == BP_OK && i < n; i++) {
        rc = labels[i]
                 ? bp__labels_add(&set, labels[i], strlen(labels[i]), max_classes, &ids[i], fn)
                 : bp__fail(BP_EINVAL, fn, "labels[%zu] is NULL", i);
        if (rc != BP_OK && labels[i]) {
            char why[256]; /* the message names no place: add the index */
            snprintf(why, sizeof why, "%s", bp_errmsg() + strlen(fn) + 2);
            rc = bp__fail(rc, fn, "labels[%zu]: %s", i, why);
        }
    }
    uint32_t *class_of = NULL;
    char **names = NULL;
    if (rc == BP_OK) {
        class_of = bp__alloc(set.count * sizeof *class_of);
        rc = class_of ? bp__labels_finish(&set, class_of, &names, fn)
                      : bp__fail(BP_ENOMEM, fn, "no memory for %zu classes", set.count);
    }
    if (rc == BP_OK) {
        for (size_t i = 0; i < n; i++)
            ids[i] = class_of[ids[i]];
        *out = (bp_dataset){.count = n, .classes = set.count, .labels = ids, .class_names = names};
    } else {
        bp__free(ids);
    }
    bp__free(class_of);
    bp__labels_free(&set);
    return rc;
}
