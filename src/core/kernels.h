/* The three matrix products of a dense layer and the descent step: the only
 * computations that differ between the OpenBLAS, BLIS and naive kernels.
 * passes.c calls them through this table and never knows which set runs. */
#ifndef BP_KERNELS_H
#define BP_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "backprop.h"

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
extern const bp__kernels bp__kernels_blis; /* only once bp__blis_load() is true */

/* Loads BLIS (kernels_blis.c) once; true when the blis set can run. */
bool bp__blis_load(void);
/* BLIS's sub-configuration ("zen3"), or NULL when it is not loaded. */
const char *bp__blis_arch(void);
/* Threads for each BLIS call (blas_threads.c): bp_blas_set_threads's last
 * count, or OpenBLAS's before it is first called. */
int bp__blis_threads(void);
/* Where the BLIS function behind the set's sgemm on one thread (false) or
 * on more (true) is: for tests/test_kernel_routing.c's dladdr. NULL when
 * BLIS is not loaded. */
const void *bp__blis_gemm_address(bool threads);

/* The table of a public kernel set (kernel_sets.c): NULL for a value that
 * names none, or for a set that is not available. */
const bp__kernels *bp__kernels_table(bp_kernels kernels);
/* BP_OK for a kernel set that can run; else fails for `function` with
 * BP_EINVAL (no such set) or BP_ENOTSUP (not available). */
int bp__check_kernels(bp_kernels kernels, const char *function);

#endif
