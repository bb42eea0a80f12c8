/* Activation functions sigma and their derivatives, as fused elementwise passes. */
#ifndef BP_ACTIVATION_H
#define BP_ACTIVATION_H

#include <stdbool.h>
#include <stddef.h>

#include "backprop.h"

/* True for the activations the library knows. */
bool bp__activation_valid(bp_activation activation);

/* The bias add and the activation in one pass over a batch of weighted sums:
 * z[i][j] <- sigma(z[i][j] + bias[j]) for n rows of `width` (for softmax,
 * row i <- softmax(z[i] + bias)). */
void bp__activation_forward(bp_activation activation, size_t n, size_t width,
                            const float *restrict bias, float *restrict z);

/* row <- softmax(row) over `width` logits; returns log-sum-exp of the
 * logits, lse(z) = log sum_j e^z_j, computed without overflow. The one
 * softmax of the library: the forward pass and cross-entropy both use it. */
double bp__softmax_row(float *row, size_t width);

/* sigma'(z) from the layer's output a = sigma(z): every elementwise
 * activation here has one, so the forward pass keeps a and never z.
 * Softmax is not elementwise (its derivative is a Jacobian); loss.c handles
 * it in the output delta, the only place it can occur. */
static inline float bp__activation_derivative(bp_activation activation, float a) {
    switch (activation) {
    case BP_ACT_SIGMOID:
        return a * (1.0f - a);
    case BP_ACT_TANH:
        return 1.0f - a * a;
    case BP_ACT_RELU:
        return a > 0.0f ? 1.0f : 0.0f;
    case BP_ACT_LEAKY_RELU:
        /* a > 0 exactly when z > 0, since the slope is positive. */
        return a > 0.0f ? 1.0f : BP_LEAKY_RELU_SLOPE;
    case BP_ACT_IDENTITY:
    case BP_ACT_SOFTMAX: /* never asked: see above */
    default:
        return 1.0f;
    }
}

/* The hidden delta: g[i] <- sigma'(z_i) * g[i], with sigma' taken from the
 * outputs a, for `count` elements. */
void bp__activation_backward(bp_activation activation, size_t count, const float *restrict a,
                             float *restrict g);

#endif
