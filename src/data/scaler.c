/* Per-feature scaling: fitting a mean and deviation (or a range) per column, applying and undoing
 * it. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "backprop.h"
#include "data/scaler.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

void bp_scaler_free(bp_scaler *s) {
    if (!s)
        return;
    bp__free(s->offset);
    bp__free(s->scale);
    *s = (bp_scaler){0};
}

/* See scaler.h. */
int bp__fit_column(const float *x, size_t rows, size_t stride, bp_scaling_kind kind, float *offset,
                   float *scale, size_t *bad, double *spread) {
    double low = x[0], high = x[0], sum = 0.0;
    for (size_t i = 0; i < rows; i++) {
        const float v = x[i * stride];
        if (!isfinite(v)) {
            *bad = i;
            return BP_ENONFINITE;
        }
        low = v < low ? v : low;
        high = v > high ? v : high;
        sum += v;
    }
    double fitted_offset, fitted_scale;
    if (low == high) {
        /* Zero variance: nothing to divide by; x - offset is already 0. */
        fitted_offset = low;
        fitted_scale = 1.0;
    } else if (kind == BP_SCALE_MINMAX) {
        fitted_offset = low;
        fitted_scale = 1.0 / (high - low);
    } else {
        /* Two passes: squared deviations from the mean do not cancel as
         * E[x^2] - E[x]^2 would. */
        const double mean = sum / (double)rows;
        double squares = 0.0;
        for (size_t i = 0; i < rows; i++) {
            const double d = x[i * stride] - mean;
            squares += d * d;
        }
        fitted_offset = mean;
        fitted_scale = squares > 0.0 ? 1.0 / sqrt(squares / (double)rows) : 1.0;
    }
    /* A spread of a few subnormals has a reciprocal past FLT_MAX. */
    if (!isfinite((float)fitted_scale)) {
        *bad = rows;
        *spread = high - low;
        return BP_ENONFINITE;
    }
    *offset = (float)fitted_offset;
    *scale = (float)fitted_scale;
    return BP_OK;
}

int bp_scaler_fit(bp_scaler *out, bp_scaling_kind kind, const float *x, size_t rows,
                  size_t columns) {
    const char *fn = __func__;
    if (out)
        *out = (bp_scaler){0};
    if (!out || !x)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "x");
    if (kind != BP_SCALE_MINMAX && kind != BP_SCALE_STANDARDIZE)
        return bp__fail(BP_EINVAL, fn, "unknown scaling kind %d", (int)kind);
    if (rows == 0 || columns == 0)
        return bp__fail(BP_EINVAL, fn, "%s is 0", rows == 0 ? "rows" : "columns");
    size_t total, bytes, column_bytes;
    if (!bp__mul_size(rows, columns, &total) || !bp__mul_size(total, sizeof(float), &bytes) ||
        !bp__mul_size(columns, sizeof(float), &column_bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu rows x %zu columns overflow size_t", rows, columns);
    bp_scaler s = {.kind = kind, .columns = columns};
    s.offset = bp__alloc(column_bytes);
    s.scale = bp__alloc(column_bytes);
    if (!s.offset || !s.scale) {
        bp_scaler_free(&s);
        return bp__fail(BP_ENOMEM, fn, "no memory for a scaler of %zu columns", columns);
    }
    for (size_t j = 0; j < columns; j++) {
        size_t bad;
        double spread;
        if (bp__fit_column(x + j, rows, columns, kind, &s.offset[j], &s.scale[j], &bad, &spread) !=
            BP_OK) {
            const float v = bad < rows ? x[bad * columns + j] : 0.0f;
            bp_scaler_free(&s);
            if (bad < rows)
                return bp__fail(BP_ENONFINITE, fn, "row %zu, column %zu is %s", bad, j,
                                isnan(v) ? "NaN" : "infinite");
            return bp__fail(BP_ENONFINITE, fn,
                            "column %zu spans only %g: its scale overflows a float", j, spread);
        }
    }
    *out = s;
    return BP_OK;
}

/* Checks a scaler and the size of rows of it; the function name for messages. */
static int check_apply(const bp_scaler *s, const float *x, size_t rows, const char *fn) {
    if (!s || !x)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !s ? "the scaler" : "x");
    int rc = BP__CHECK_RESERVED(s, "s->reserved", fn);
    if (rc != BP_OK)
        return rc;
    if (s->columns == 0 || !s->offset || !s->scale)
        return bp__fail(BP_EINVAL, fn, "the scaler is empty");
    /* A caller-made scaler: a zero or non-finite scale would make NaN. */
    for (size_t j = 0; j < s->columns; j++)
        if (!isfinite(s->offset[j]) || !isfinite(s->scale[j]) || s->scale[j] == 0.0f)
            return bp__fail(BP_EINVAL, fn, "column %zu has offset %g and scale %g", j,
                            (double)s->offset[j], (double)s->scale[j]);
    size_t total, bytes;
    if (!bp__mul_size(rows, s->columns, &total) || !bp__mul_size(total, sizeof(float), &bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu rows x %zu columns overflow size_t", rows,
                        s->columns);
    return BP_OK;
}

/* x <- (x - offset) * scale, or its inverse, column by column in double. */
static int apply(const bp_scaler *s, float *x, size_t rows, bool inverse, const char *fn) {
    int rc = check_apply(s, x, rows, fn);
    if (rc != BP_OK)
        return rc;
    const size_t columns = s->columns;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < columns; j++) {
            float *v = x + i * columns + j;
            *v = inverse ? (float)((double)*v / s->scale[j] + s->offset[j])
                         : (float)(((double)*v - s->offset[j]) * s->scale[j]);
        }
    return BP_OK;
}

int bp_scaler_transform(const bp_scaler *s, float *x, size_t rows) {
    return apply(s, x, rows, false, __func__);
}

int bp_scaler_inverse(const bp_scaler *s, float *x, size_t rows) {
    return apply(s, x, rows, true, __func__);
}
