/* Whether an array holds only finite floats: the guard that keeps a NaN or
 * an infinity out of the parameters. */
#ifndef BP_FINITE_H
#define BP_FINITE_H

#include <stdbool.h>
#include <stddef.h>

/* True when none of the n floats is NaN or infinite. */
bool bp__all_finite(const float *x, size_t n);

/* Index of the first NaN or infinity among n floats, or n if all are
 * finite: for messages that name it (saving, loading). */
size_t bp__first_nonfinite(const float *x, size_t n);

#endif
