/* Costs and their output deltas: quadratic sum_j (a_j - y_j)^2, and
 * cross-entropy -sum_j y_j log softmax(z)_j from the logits. */
#include "core/loss.h"

#include <math.h>

#include "core/activation.h"

/* delta = J^T g for a = softmax(z), whose Jacobian is diag(a) - a a^T:
 * delta_j = a_j (g_j - sum_k a_k g_k). g holds 2 (a - y) / n on entry. */
static void softmax_jacobian_rows(size_t n, size_t width, const float *a, float *g) {
    for (size_t i = 0; i < n; i++) {
        const float *a_row = a + i * width;
        float *g_row = g + i * width;
        float dot = 0.0f;
        for (size_t j = 0; j < width; j++)
            dot += a_row[j] * g_row[j];
        for (size_t j = 0; j < width; j++)
            g_row[j] = a_row[j] * (g_row[j] - dot);
    }
}

double bp__quadratic_output_delta(bp_activation activation, size_t n, size_t mean_over,
                                  size_t width, const float *a, const float *y, float *delta) {
    const size_t count = n * width;
    const float two_over_n = 2.0f / (float)mean_over;
    const bool softmax = activation == BP_ACT_SOFTMAX;
    double sum_of_squares = 0.0;
    for (size_t i = 0; i < count; i++) {
        const float error = a[i] - y[i];
        sum_of_squares += (double)error * (double)error;
        if (delta)
            delta[i] =
                (softmax ? 1.0f : bp__activation_derivative(activation, a[i])) * two_over_n * error;
    }
    if (delta && softmax)
        softmax_jacobian_rows(n, width, a, delta);
    return sum_of_squares / (double)n;
}

double bp__cross_entropy_output_delta(size_t n, size_t mean_over, size_t width, float *z,
                                      const float *y, float *delta) {
    const float inverse_n = 1.0f / (float)mean_over;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *row = z + i * width;
        const float *y_row = y + i * width;
        /* -sum_j y_j log a_j = sum_j y_j (lse(z) - z_j): from the logits,
         * with no log of a probability that may have underflowed to 0. */
        double weighted_logits = 0.0, target_mass = 0.0;
        for (size_t j = 0; j < width; j++) {
            weighted_logits += (double)y_row[j] * (double)row[j];
            target_mass += (double)y_row[j];
        }
        const double lse = bp__softmax_row(row, width); /* row now holds a */
        total += target_mass * lse - weighted_logits;
        if (delta)
            for (size_t j = 0; j < width; j++)
                delta[i * width + j] = (row[j] * (float)target_mass - y_row[j]) * inverse_n;
    }
    return total / (double)n;
}
