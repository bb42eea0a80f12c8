/* Activation functions: the fused bias-add-and-activate pass and the sigma' pass. */
#include "core/activation.h"

#include <math.h>

#include "core/vector_math.h"

bool bp__activation_valid(bp_activation activation) {
    switch (activation) {
    case BP_ACT_IDENTITY:
    case BP_ACT_SIGMOID:
    case BP_ACT_TANH:
    case BP_ACT_RELU:
    case BP_ACT_LEAKY_RELU:
    case BP_ACT_SOFTMAX:
        return true;
    }
    return false;
}

double bp__softmax_row(float *row, size_t width) {
    /* Subtracting the largest z first keeps every exponent <= 0, so expf
     * never overflows; the largest term is 1, so the sum is at least 1, and
     * both the division and the log are safe. */
    float largest = -INFINITY;
    for (size_t j = 0; j < width; j++)
        largest = row[j] > largest ? row[j] : largest;
    float sum = 0.0f;
    for (size_t j = 0; j < width; j++) {
        row[j] = expf(row[j] - largest);
        sum += row[j];
    }
    const float inverse = 1.0f / sum;
    for (size_t j = 0; j < width; j++)
        row[j] *= inverse;
    return (double)largest + log((double)sum);
}

/* a = softmax(z + b) row by row. */
static void softmax_rows(size_t n, size_t width, const float *bias, float *z) {
    for (size_t i = 0; i < n; i++) {
        float *row = z + i * width;
        for (size_t j = 0; j < width; j++)
            row[j] += bias[j];
        bp__softmax_row(row, width);
    }
}

/* Runs `expr` (of v, the biased sum) over every element, with the switch on
 * the activation outside the loops so that each loop is a plain elementwise
 * pass the compiler can vectorize. */
#define BIASED_ROWS(expr)                                                                          \
    for (size_t i = 0; i < n; i++) {                                                               \
        float *restrict row = z + i * width;                                                       \
        for (size_t j = 0; j < width; j++) {                                                       \
            const float v = row[j] + bias[j];                                                      \
            row[j] = (expr);                                                                       \
        }                                                                                          \
    }

void bp__activation_forward(bp_activation activation, size_t n, size_t width,
                            const float *restrict bias, float *restrict z) {
    switch (activation) {
    case BP_ACT_SOFTMAX:
        softmax_rows(n, width, bias, z);
        return;
    case BP_ACT_RELU:
        /* NaN compares false and passes through, as a diverged network should show. */
        BIASED_ROWS(v < 0.0f ? 0.0f : v);
        return;
    case BP_ACT_LEAKY_RELU:
        BIASED_ROWS(v > 0.0f ? v : BP_LEAKY_RELU_SLOPE * v);
        return;
    case BP_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            bp__sigmoid_row(width, bias, z + i * width);
        return;
    case BP_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            bp__tanh_row(width, bias, z + i * width);
        return;
    case BP_ACT_IDENTITY:
    default:
        BIASED_ROWS(v);
        return;
    }
}

/* g <- sigma'(a) g with the derivative for one activation, per element. */
#define SCALE_BY_DERIVATIVE(act)                                                                   \
    for (size_t i = 0; i < count; i++)                                                             \
        g[i] *= bp__activation_derivative((act), a[i]);

void bp__activation_backward(bp_activation activation, size_t count, const float *restrict a,
                             float *restrict g) {
    switch (activation) {
    case BP_ACT_RELU:
        SCALE_BY_DERIVATIVE(BP_ACT_RELU);
        return;
    case BP_ACT_LEAKY_RELU:
        SCALE_BY_DERIVATIVE(BP_ACT_LEAKY_RELU);
        return;
    case BP_ACT_SIGMOID:
        SCALE_BY_DERIVATIVE(BP_ACT_SIGMOID);
        return;
    case BP_ACT_TANH:
        SCALE_BY_DERIVATIVE(BP_ACT_TANH);
        return;
    case BP_ACT_IDENTITY:
    case BP_ACT_SOFTMAX: /* never a hidden layer's */
    default:
        return; /* sigma' = 1 */
    }
}
