/* Internal: fitting one column's scaling, shared by bp_scaler_fit and bp_dataset_fit_scaling. */
#ifndef BP_SCALER_H
#define BP_SCALER_H

#include <stddef.h>

#include "backprop.h"

/* Fits offset and scale of `kind` over rows values x[0], x[stride], ...:
 * equal values get offset = the value and scale 1. Writes no message.
 * Returns BP_OK, or BP_ENONFINITE with *bad the row of a NaN or infinite
 * value, or *bad == rows and *spread = max - min when the scale overflows
 * a float. */
int bp__fit_column(const float *x, size_t rows, size_t stride, bp_scaling_kind kind, float *offset,
                   float *scale, size_t *bad, double *spread);

#endif
