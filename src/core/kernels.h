/* The three matrix products of a dense layer and the descent step: the only
 * computations that differ between the OpenBLAS kernels and the naive loops.
 * passes.c calls them through this table and never knows which set runs. */
#ifndef BP_KERNELS_H
#define BP_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/* Shapes: n examples, a layer of `out` neurons fed by `in` inputs.
 * All matrices row-major and dense (leading dimension = column count).
 * The callers guarantee n, in, out <= INT_MAX, the BLAS index range. */
typedef struct bp__kernels {
    /* Z = A_prev W^T  (n x out), from A_prev (n x in) and W (out x in).
     * Per example: z = W a_prev. Overwrites z. */
    void (*dense_forward)(size_t n, size_t in, size_t out, const float *a_prev, const float *w,
                          float *z);

    /* M = alpha Delta^T A_prev  (out x in), alpha times the sum over
     * examples of the outer products delta a_prev^T, written over m, or added
     * to it when `accumulate` (BLAS beta 0 or 1). alpha 1 into the gradient
     * block gives dW; alpha -eta added to W itself is the descent step, with
     * no gradient written and no separate pass over it. */
    void (*weight_grad)(size_t n, size_t in, size_t out, float alpha, const float *delta,
                        const float *a_prev, bool accumulate, float *m);

    /* dA_prev = Delta W  (n x in): per example, W^T delta. Overwrites da_prev. */
    void (*input_grad)(size_t n, size_t in, size_t out, const float *delta, const float *w,
                       float *da_prev);

    /* theta <- theta - rate * g over `count` floats. */
    void (*descend)(size_t count, float rate, const float *g, float *theta);
} bp__kernels;

extern const bp__kernels bp__kernels_openblas;
extern const bp__kernels bp__kernels_naive;

#endif
