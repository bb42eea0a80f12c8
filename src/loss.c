/* Quadratic cost C_0 = sum_j (a_j - y_j)^2 and its output delta. */
#include "loss.h"

#include "activation.h"

double bp__quadratic_output_delta(bp_activation activation, size_t n, size_t width, const float *a,
                                  const float *y, float *delta) {
    const size_t count = n * width;
    const float two_over_n = 2.0f / (float)n;
    double sum_of_squares = 0.0;
    for (size_t i = 0; i < count; i++) {
        const float error = a[i] - y[i];
        sum_of_squares += (double)error * (double)error;
        delta[i] = bp__activation_derivative(activation, a[i]) * two_over_n * error;
    }
    return sum_of_squares / (double)n;
}
