/* Which library serves which kernel set: cblas_* (the openblas set) from
 * OpenBLAS, the blis set's calls from BLIS, and none of BLIS's symbols
 * (it defines cblas_* too) in the process's global scope, where they could
 * take over the openblas set's calls. Proved with dladdr on the addresses
 * the dynamic linker hands out. Built twice (tests/meson.build): against
 * the shared library, as programs use it, and against the static one with
 * BP_TEST_STATIC, which can also ask the blis set where its functions are. */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT, RTLD_NOLOAD */
#include <backprop.h>
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

#ifdef BP_TEST_STATIC
const void *bp__blis_gemm_address(bool threads); /* src/core/kernels.h */
#endif

/* The file name of the object that holds address, or "" when none does. */
static const char *object_of(const void *address) {
    Dl_info info;
    if (!address || !dladdr(address, &info) || !info.dli_fname)
        return "";
    return info.dli_fname;
}

/* A network on the set, one training step: the set is loaded and has run. */
static void train_once(bp_kernels kernels) {
    const size_t sizes[] = {40, 30, 3};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_IDENTITY};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, kernels, 5), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_reserve(net, 16), BP_OK, "%s", bp_errmsg());
    float x[16 * 40], y[16 * 3], cost = 0.0f;
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        x[i] = (float)(i % 7) / 7.0f;
    for (size_t i = 0; i < sizeof y / sizeof *y; i++)
        y[i] = (float)(i % 3) / 3.0f;
    cr_assert_eq(bp_net_train_step(net, x, y, 16, 0.1f, &cost), BP_OK, "%s", bp_errmsg());
    bp_net_destroy(net);
}

/* The cblas_sgemm every caller in the process gets (libbackprop's call
 * included: it defines none of its own) is OpenBLAS's, before and after
 * the blis set has loaded BLIS. */
Test(routing, cblas_is_openblas) {
    train_once(BP_KERNELS_OPENBLAS);
    const char *before = object_of(dlsym(RTLD_DEFAULT, "cblas_sgemm"));
    cr_assert(strstr(before, "openblas"), "cblas_sgemm comes from '%s'", before);
#ifdef BP_TEST_HAVE_BLIS
    train_once(BP_KERNELS_BLIS);
    /* BLIS is loaded now ... */
    void *blis = dlopen("libblis.so.4", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(blis, "the blis set ran, yet libblis.so.4 is not loaded");
    dlclose(blis);
    /* ... yet adds nothing to the global scope. */
    const char *after = object_of(dlsym(RTLD_DEFAULT, "cblas_sgemm"));
    cr_assert(strstr(after, "openblas"), "after BLIS loaded, cblas_sgemm comes from '%s'", after);
    cr_assert_null(dlsym(RTLD_DEFAULT, "bli_sgemm_ex"), "BLIS's symbols are global");
    cr_assert_null(dlsym(RTLD_DEFAULT, "bli_init"), "BLIS's symbols are global");
#endif
}

#if defined BP_TEST_STATIC && defined BP_TEST_HAVE_BLIS
/* The blis set's products run in BLIS: its serial build on one thread, the
 * threaded (OpenMP) build on more. */
Test(routing, blis_set_is_blis) {
    train_once(BP_KERNELS_BLIS);
    const char *one = object_of(bp__blis_gemm_address(false));
    const char *more = object_of(bp__blis_gemm_address(true));
    cr_assert(strstr(one, "libblis"), "the blis set's sgemm on one thread is in '%s'", one);
    cr_assert(strstr(one, "blis-serial"), "one thread: '%s', not BLIS's serial build", one);
    cr_assert(strstr(more, "libblis"), "the blis set's sgemm on threads is in '%s'", more);
    cr_assert(!strstr(more, "blis-serial"), "threads: '%s', BLIS's serial build", more);
    cr_assert(!strstr(one, "openblas") && !strstr(more, "openblas"));
}
#endif
