/* Internal: the preprocessing a network keeps, for the model file's section
 * codec (io/preprocessing_section.c). */
#ifndef BP_PREPROCESSING_H
#define BP_PREPROCESSING_H

#include <stdbool.h>
#include <stddef.h>

#include "backprop.h"

/* The longest class or column name, in bytes. */
#define BP__MAX_NAME 255
/* A bound on skipped_columns, so that a forged count means nothing huge. */
#define BP__MAX_SKIPPED 1000000u

/* A new, zeroed preprocessing with room for its schema (NULL when out of
 * memory); freed by bp__preprocessing_free, which accepts NULL. */
bp_preprocessing *bp__preprocessing_alloc(void);
void bp__preprocessing_free(bp_preprocessing *p);

/* The schema kept beside p (made by bp__preprocessing_alloc). */
bp_schema *bp__preprocessing_schema(const bp_preprocessing *p);

/* Makes p (or nothing, for NULL) the preprocessing net owns, freeing the one
 * it had: the network's extension, with this file's destructor. */
void bp__preprocessing_adopt(bp_net *net, bp_preprocessing *p);

/* Whether length bytes at name are a name: 1 to BP__MAX_NAME bytes, none a
 * control character. */
bool bp__name_is_good(const char *name, size_t length);

/* Why a name cannot be read back from a CSV file as itself, or NULL: a CSV
 * field loses blanks at either end and surrounding double quotes. A class
 * name may not be a missing label either. */
const char *bp__name_problem(const char *name, bool class_name);

/* One block holding n + 1 pointers (the last NULL) and the n names (lengths
 * given, not terminated), freed with one bp__free; NULL when out of memory. */
char **bp__names_block(size_t n, const char *const *names, const size_t *lengths);

#endif
