/* Costs and their output deltas: quadratic sum_j (a_j - y_j)^2, and
 * cross-entropy -sum_j y_j log softmax(z)_j from the logits. */
#include "loss.h"

#include <math.h>

#include "activation.h"

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

double bp__quadratic_output_delta(bp_activation activation, size_t n, size_t width, const float *a,
                                  const float *y, float *delta) {
    const size_t count = n * width;
    const float two_over_n = 2.0f / (float)n;
    double sum_of_squares = 0.0;
    if (!delta) {
        for (size_t i = 0; i < count; i++) {
            const double error = (double)a[i] - (double)y[i];
            sum_of_squares += error * error;
        }
        return sum_of_squares / (double)n;
    }
    const bool softmax = activation == BP_ACT_SOFTMAX;
    for (size_t i = 0; i < count; i++) {
        const float error = a[i] - y[i];
        sum_of_squares += (double)error * (double)error;
        delta[i] =
            (softmax ? 1.0f : bp__activation_derivative(activation, a[i])) * two_over_n * error;
    }
    if (softmax)
        softmax_jacobian_rows(n, width, a, delta);
    return sum_of_squares / (double)n;
}

double bp__cross_entropy_output_delta(size_t n, size_t width, float *z, const float *y,
                                      float *delta) {
    const float inverse_n = 1.0f / (float)n;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        float *row = z + i * width;
        const float *y_row = y + i * width;
        /* lse(z) = m + log sum_j e^(z_j - m) with m = max z: no exponent
         * exceeds 0, and the sum is at least 1, so its log is finite. */
        float largest = -INFINITY;
        for (size_t j = 0; j < width; j++)
            largest = row[j] > largest ? row[j] : largest;
        double sum = 0.0;
        for (size_t j = 0; j < width; j++)
            sum += exp((double)row[j] - (double)largest);
        const double lse = (double)largest + log(sum);
        double cost = 0.0, target_mass = 0.0;
        for (size_t j = 0; j < width; j++) {
            /* -y_j log a_j = y_j (lse - z_j), with no log of an underflowed a_j. */
            cost += (double)y_row[j] * (lse - (double)row[j]);
            target_mass += (double)y_row[j];
        }
        total += cost;
        for (size_t j = 0; j < width; j++) {
            const float probability = (float)exp((double)row[j] - lse);
            if (delta)
                delta[i * width + j] = (probability * (float)target_mass - y_row[j]) * inverse_n;
            row[j] = probability;
        }
    }
    return total / (double)n;
}
