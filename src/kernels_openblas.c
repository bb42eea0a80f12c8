/* The kernels on OpenBLAS: sgemv/sger for one example, sgemm for a batch,
 * saxpy for the step. The only file that includes <cblas.h>, so it also holds
 * the library's OpenBLAS runtime controls (thread count, core name). */
#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "backprop.h"
#include "error.h"
#include "kernels.h"

static void blas_dense_forward(size_t n, size_t in, size_t out, const float *a_prev, const float *w,
                               float *z) {
    const blasint N = (blasint)n, IN = (blasint)in, OUT = (blasint)out;
    if (n == 1) {
        /* z = W a_prev */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, OUT, IN, 1.0f, w, IN, a_prev, 1, 0.0f, z, 1);
    } else {
        /* Z = A_prev W^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, a_prev, IN, w, IN,
                    0.0f, z, OUT);
    }
}

static void blas_weight_grad(size_t n, size_t in, size_t out, float alpha, const float *delta,
                             const float *a_prev, bool accumulate, float *m) {
    const blasint N = (blasint)n, IN = (blasint)in, OUT = (blasint)out;
    if (n == 1) {
        /* sger only accumulates (A += alpha x y^T): start from zero to overwrite. */
        if (!accumulate)
            memset(m, 0, in * out * sizeof *m);
        /* M += alpha delta a_prev^T */
        cblas_sger(CblasRowMajor, OUT, IN, alpha, delta, 1, a_prev, 1, m, IN);
    } else {
        /* M = alpha Delta^T A_prev + beta M */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, N, alpha, delta, OUT, a_prev,
                    IN, accumulate ? 1.0f : 0.0f, m, IN);
    }
}

static void blas_input_grad(size_t n, size_t in, size_t out, const float *delta, const float *w,
                            float *da_prev) {
    const blasint N = (blasint)n, IN = (blasint)in, OUT = (blasint)out;
    if (n == 1) {
        /* da_prev = W^T delta */
        cblas_sgemv(CblasRowMajor, CblasTrans, OUT, IN, 1.0f, w, IN, delta, 1, 0.0f, da_prev, 1);
    } else {
        /* dA_prev = Delta W */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IN, OUT, 1.0f, delta, OUT, w, IN,
                    0.0f, da_prev, IN);
    }
}

static void blas_descend(size_t count, float rate, const float *g, float *theta) {
    /* The flat block may hold more than INT_MAX floats: step it in chunks. */
    while (count > 0) {
        const size_t chunk = count < (size_t)INT_MAX ? count : (size_t)INT_MAX;
        /* theta = theta - rate * g */
        cblas_saxpy((blasint)chunk, -rate, g, 1, theta, 1);
        g += chunk;
        theta += chunk;
        count -= chunk;
    }
}

const bp__kernels bp__kernels_openblas = {
    .dense_forward = blas_dense_forward,
    .weight_grad = blas_weight_grad,
    .input_grad = blas_input_grad,
    .descend = blas_descend,
};

int bp_blas_set_threads(int threads) {
    if (threads < 1)
        return bp__fail(BP_EINVAL, __func__, "thread count %d is less than 1", threads);
    openblas_set_num_threads(threads);
    return BP_OK;
}

int bp_blas_threads(void) { return openblas_get_num_threads(); }

const char *bp_blas_core(void) { return openblas_get_corename(); }
