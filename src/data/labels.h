/* Internal: a set of label texts mapped to dense classes in sorted order. */
#ifndef BP_LABELS_H
#define BP_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Distinct labels in the order first seen (ids), and a sorted index over
 * them for look-ups. A label is its text: "1" and "1.0" are two labels. */
typedef struct bp__labels {
    size_t count, capacity;
    char **names;   /* count texts, by id; each from bp__alloc */
    double *values; /* count numeric values (NaN for a word) */
    size_t *sorted; /* count ids, sorted by name (strcmp) for look-ups */
    bool all_numeric;
    bool frozen; /* made from known classes: no label may be added */
} bp__labels;

/* Whether the text (blanks around it ignored) is a missing label: empty,
 * NA, N/A, NaN, nan or ?. */
bool bp__label_is_missing(const char *start, size_t length);

/* The label text [start, start + length) (blanks around it ignored) as an
 * id, added when new. Returns BP_OK; BP_EINVAL for a missing label, a new
 * label past max_classes (0: no limit) or in a frozen set (the message,
 * from `function`, says which, without the place: the caller adds it);
 * BP_ENOMEM. */
int bp__labels_add(bp__labels *set, const char *start, size_t length, size_t max_classes,
                   uint32_t *id, const char *function);

/* A frozen set of the given classes (names[c] is class c; ids are classes). */
int bp__labels_from_names(bp__labels *set, char *const *names, size_t count, const char *function);

/* Sorts the labels (numerically when all are numbers, two spellings of one
 * number in text order; else as text): fills
 * class_of[id] (count entries) and *names, one block from bp__alloc holding
 * count + 1 pointers (the last NULL) and the texts, names[c] of class c.
 * BP_EINVAL for one class in a set not frozen (nothing to classify). */
int bp__labels_finish(bp__labels *set, uint32_t *class_of, char ***names, const char *function);

void bp__labels_free(bp__labels *set);

#endif
