/* The finiteness tests over whole arrays. bp__all_finite, on the hot path
 * (gradients, batches), works on the float's bits: NaN and the infinities
 * are exactly the floats with every exponent bit set. Integer compares and
 * ORs vectorize, where a float sum would be held to one addition at a time
 * by its rounding order. */
#include "core/finite.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

bool bp__all_finite(const float *x, size_t n) {
    const uint32_t exponent = 0x7f800000u;
    uint32_t any = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        any |= (bits & exponent) == exponent;
    }
    return any == 0;
}

size_t bp__first_nonfinite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}
