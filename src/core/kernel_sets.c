/* The kernel sets by their public number: which table runs, whether it is available, its names. */
#include "backprop.h"
#include "core/kernels.h"
#include "support/error.h"

const bp__kernels *bp__kernels_table(bp_kernels kernels) {
    switch (kernels) {
    case BP_KERNELS_OPENBLAS:
        return &bp__kernels_openblas;
    case BP_KERNELS_NAIVE:
        return &bp__kernels_naive;
    case BP_KERNELS_BLIS:
        return bp__blis_load() ? &bp__kernels_blis : NULL;
    }
    return NULL;
}

int bp__check_kernels(bp_kernels kernels, const char *function) {
    if (!bp_kernels_name(kernels))
        return bp__fail(BP_EINVAL, function, "unknown kernel set %d", (int)kernels);
    if (!bp_kernels_available(kernels))
        return bp__fail(BP_ENOTSUP, function, "the %s kernels are not available (%s)",
                        bp_kernels_name(kernels),
#ifdef BP_HAVE_BLIS
                        "libblis.so.4 could not be loaded"
#else
                        "this libbackprop was built without BLIS"
#endif
        );
    return BP_OK;
}

int bp_kernels_available(bp_kernels kernels) {
    switch (kernels) {
    case BP_KERNELS_OPENBLAS:
    case BP_KERNELS_NAIVE:
        return 1;
    case BP_KERNELS_BLIS:
        return bp__blis_load() ? 1 : 0;
    }
    return 0;
}

const char *bp_kernels_core(bp_kernels kernels) {
    switch (kernels) {
    case BP_KERNELS_OPENBLAS:
        return bp_blas_core();
    case BP_KERNELS_NAIVE:
        return "loops";
    case BP_KERNELS_BLIS: {
        const char *arch = bp__blis_arch();
        return arch ? arch : "unavailable";
    }
    }
    return "unknown";
}
