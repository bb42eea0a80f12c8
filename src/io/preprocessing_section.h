/* Internal: the preprocessing section of a model file (format version 2). */
#ifndef BP_PREPROCESSING_SECTION_H
#define BP_PREPROCESSING_SECTION_H

#include <stdint.h>

#include "backprop.h"
#include "support/file_io.h"

/* Writes the section (without its length) for p. */
void bp__preprocessing_write(bp__writer *w, const bp_preprocessing *p);

/* The section's bytes for p, for the length that precedes it. */
uint64_t bp__preprocessing_bytes(const bp_preprocessing *p);

/* Parses the `size` bytes of a section (already checked by the file's CRC)
 * for a network of n_inputs and n_outputs, into a new preprocessing.
 * Returns BP_OK; BP_EFORMAT naming path and the field; BP_ENOMEM. */
int bp__preprocessing_read(const unsigned char *bytes, uint64_t size, size_t n_inputs,
                           size_t n_outputs, bp_preprocessing **out, const char *function,
                           const char *path);

#endif
