/* The library's one BLAS thread setting, for both BLAS libraries: OpenBLAS's
 * own count, and the count each BLIS call is given. */
#include <cblas.h>
#include <stdatomic.h>

#include "backprop.h"
#include "core/kernels.h"
#include "support/error.h"

/* The count bp_blas_set_threads last set; 0 until it is first called. */
static atomic_int blas_threads;

int bp_blas_set_threads(int threads) {
    if (threads < 1)
        return bp__fail(BP_EINVAL, __func__, "thread count %d is less than 1", threads);
    openblas_set_num_threads(threads);
    atomic_store(&blas_threads, threads);
    return BP_OK;
}

int bp_blas_threads(void) { return openblas_get_num_threads(); }

/* BLIS has no process-wide count of its own here: each call is given this
 * one, and before any setting OpenBLAS's default (one per core). */
int bp__blis_threads(void) {
    const int threads = atomic_load(&blas_threads);
    return threads > 0 ? threads : openblas_get_num_threads();
}
