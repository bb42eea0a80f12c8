/* The kernels on OpenBLAS: sgemv/sger for one example, sgemm for a batch,
 * saxpy for the step; and OpenBLAS's core name (the thread count is
 * blas_threads.c's). */
#include <cblas.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "backprop.h"
#include "core/kernels.h"
#include "support/error.h"

/* OpenBLAS splits a gemm over its threads from 2^18 multiply-adds on. Up to
 * 2^20 the second thread costs more to wake and join than it saves: Delta W
 * of the second layer of 784-128-10 at batch 256 (256 x 10 x 128, 0.65
 * MFLOP) took 117-128 us on two threads and 26-69 us on one, and the whole
 * step 1.28-1.45 ms against 1.52-1.60 (bp-bench's phases, run in turns).
 * Such products run on one thread. (gemv and ger are left to OpenBLAS: at
 * one example two threads read a large W faster than one.) */
#define GEMM_ONE_THREAD_BELOW (1.0 * (1 << 20))

/* C = alpha op(A) op(B) + beta C (row-major), on one OpenBLAS thread when
 * the product is small. The count is put back as it was read, so a caller
 * that ignores the advice to give OpenBLAS one thread when it runs threads
 * of its own still keeps its setting; and with one thread nothing changes. */
static void sgemm(enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, blasint m, blasint n,
                  blasint k, float alpha, const float *a, blasint lda, const float *b, blasint ldb,
                  float beta, float *c, blasint ldc) {
    const int threads = openblas_get_num_threads();
    const bool one_thread =
        threads > 1 && (double)m * (double)n * (double)k < GEMM_ONE_THREAD_BELOW;
    if (one_thread)
        openblas_set_num_threads(1);
    cblas_sgemm(CblasRowMajor, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (one_thread)
        openblas_set_num_threads(threads);
}

static void blas_dense_forward(size_t n, size_t in, size_t out, const float *a_prev, const float *w,
                               float *z) {
    const blasint N = (blasint)n, IN = (blasint)in, OUT = (blasint)out;
    if (n == 1) {
        /* z = W a_prev */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, OUT, IN, 1.0f, w, IN, a_prev, 1, 0.0f, z, 1);
    } else {
        /* Z = A_prev W^T */
        sgemm(CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, a_prev, IN, w, IN, 0.0f, z, OUT);
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
        sgemm(CblasTrans, CblasNoTrans, OUT, IN, N, alpha, delta, OUT, a_prev, IN,
              accumulate ? 1.0f : 0.0f, m, IN);
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
        sgemm(CblasNoTrans, CblasNoTrans, N, IN, OUT, 1.0f, delta, OUT, w, IN, 0.0f, da_prev, IN);
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

const char *bp_blas_core(void) { return openblas_get_corename(); }
