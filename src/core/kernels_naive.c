/* The reference kernels: the products written as plain loops, no BLAS.
 * Deliberately straightforward; they are what the OpenBLAS kernels are
 * tested and benchmarked against, not a competitor. */
#include "core/kernels.h"

static void naive_dense_forward(size_t n, size_t in, size_t out, const float *a_prev,
                                const float *w, float *z) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) {
            float sum = 0.0f; /* z_ij = sum_k w_jk a_ik */
            for (size_t k = 0; k < in; k++)
                sum += w[j * in + k] * a_prev[i * in + k];
            z[i * out + j] = sum;
        }
}

static void naive_weight_grad(size_t n, size_t in, size_t out, float alpha, const float *delta,
                              const float *a_prev, bool accumulate, float *m) {
    for (size_t j = 0; j < out; j++)
        for (size_t k = 0; k < in; k++) {
            float sum = 0.0f; /* dw_jk = sum_i delta_ij a_ik */
            for (size_t i = 0; i < n; i++)
                sum += delta[i * out + j] * a_prev[i * in + k];
            m[j * in + k] = (accumulate ? m[j * in + k] : 0.0f) + alpha * sum;
        }
}

static void naive_input_grad(size_t n, size_t in, size_t out, const float *delta, const float *w,
                             float *da_prev) {
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++) {
            float sum = 0.0f; /* da_ik = sum_j delta_ij w_jk */
            for (size_t j = 0; j < out; j++)
                sum += delta[i * out + j] * w[j * in + k];
            da_prev[i * in + k] = sum;
        }
}

static void naive_descend(size_t count, float rate, const float *g, float *theta) {
    for (size_t i = 0; i < count; i++)
        theta[i] -= rate * g[i];
}

const bp__kernels bp__kernels_naive = {
    .dense_forward = naive_dense_forward,
    .weight_grad = naive_weight_grad,
    .input_grad = naive_input_grad,
    .descend = naive_descend,
};
