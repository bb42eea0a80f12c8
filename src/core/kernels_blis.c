/* The kernels on BLIS's own typed API (bli_sgemm_ex, bli_sgemv_ex, bli_sger_ex, bli_saxpyv_ex),
 * each call with its own thread count, BLIS loaded at run time with its symbols kept local. */
#define _POSIX_C_SOURCE 200809L /* blis.h's pthread barriers; before any header */

#include "core/kernels.h"

#include "backprop.h"
#include "support/error.h"

#ifdef BP_HAVE_BLIS

#include <blis.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Why dlopen and not a link: libblis also defines cblas_sgemm, sgemm_ and
 * the rest of the BLAS. Linked, the dynamic linker would bind the openblas
 * set's cblas_* calls to whichever of the two libraries comes first in the
 * process's search order, which a program linking BLIS itself decides.
 * Loaded with RTLD_LOCAL, none of BLIS's symbols enter the global scope:
 * cblas_* stays OpenBLAS's, and this file reaches BLIS only through the
 * pointers below (tests/test_kernel_routing.c checks both with dladdr). It
 * also makes BLIS optional at run time: without it the set is unavailable
 * (BP_ENOTSUP), and the library loads all the same.
 *
 * Two builds of BLIS 0.9: calls on one thread go to the serial one
 * (Debian's libblis4-serial, BP_BLIS_SERIAL_PATH), calls on more to the
 * system's libblis.so.4 (OpenMP in Debian's default). The OpenMP build runs
 * every call in an OpenMP parallel region, and libgomp allocates a team for
 * a region of one thread each time (it keeps only larger teams): a worker's
 * step would allocate. When only one of the two loads, it takes every call. */
#define BLIS_SONAME "libblis.so.4"
#ifndef BP_BLIS_SERIAL_PATH
#define BP_BLIS_SERIAL_PATH "/usr/lib/x86_64-linux-gnu/blis-serial/libblis.so.4"
#endif

typedef struct blis_library {
    __typeof__(&bli_init) init;
    __typeof__(&bli_sgemm_ex) gemm;
    __typeof__(&bli_sgemv_ex) gemv;
    __typeof__(&bli_sger_ex) ger;
    __typeof__(&bli_saxpyv_ex) axpyv;
    __typeof__(&bli_arch_query_id) arch_id;
    __typeof__(&bli_arch_string) arch_string;
    __typeof__(&bli_info_get_enable_threading) threading;
    const char *arch; /* BLIS's sub-configuration ("zen3", "skx", "generic") */
    bool loaded;
    bool threaded; /* built with OpenMP or pthreads */
} blis_library;

static blis_library serial, threaded;
/* What runs a call on one thread, and one on more: NULL until loaded. */
static const blis_library *one_thread, *more_threads;

static pthread_once_t blis_once = PTHREAD_ONCE_INIT;

static void load_library(blis_library *lib, const char *path) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return;
        /* POSIX's way to turn dlsym's object pointer into a function pointer. */
#define BIND(field, symbol) *(void **)&lib->field = dlsym(handle, symbol)
    BIND(init, "bli_init");
    BIND(gemm, "bli_sgemm_ex");
    BIND(gemv, "bli_sgemv_ex");
    BIND(ger, "bli_sger_ex");
    BIND(axpyv, "bli_saxpyv_ex");
    BIND(arch_id, "bli_arch_query_id");
    BIND(arch_string, "bli_arch_string");
    BIND(threading, "bli_info_get_enable_threading");
#undef BIND
    if (!lib->init || !lib->gemm || !lib->gemv || !lib->ger || !lib->axpyv || !lib->arch_id ||
        !lib->arch_string || !lib->threading) {
        dlclose(handle);
        *lib = (blis_library){0};
        return;
    }
    /* BLIS reads BLIS_ARCH_TYPE and chooses its sub-configuration here, once:
     * not inside the first training step. The handle is never closed. */
    lib->init();
    lib->arch = lib->arch_string(lib->arch_id());
    lib->threaded = lib->threading();
    lib->loaded = true;
}

static void load_blis(void) {
    /* By name first: the dynamic linker would hand the serial build, once
     * loaded, to a dlopen of its SONAME (the same); by path it loads a
     * second library only if that is another file. */
    load_library(&threaded, BLIS_SONAME);
    load_library(&serial, BP_BLIS_SERIAL_PATH);
    if (serial.loaded && serial.threaded)
        serial = (blis_library){0}; /* not the serial build after all; never closed */
    one_thread = serial.loaded ? &serial : threaded.loaded ? &threaded : NULL;
    more_threads = threaded.loaded && threaded.threaded ? &threaded : one_thread;
}

bool bp__blis_load(void) {
    pthread_once(&blis_once, load_blis);
    return one_thread != NULL;
}

const char *bp__blis_arch(void) { return bp__blis_load() ? one_thread->arch : NULL; }

const void *bp__blis_gemm_address(bool threads) {
    if (!bp__blis_load())
        return NULL;
    const blis_library *lib = threads ? more_threads : one_thread;
    return *(void **)&lib->gemm;
}

/* The library for one call and its runtime: its thread count, and BLIS's
 * choice of how to split the loops among them. */
static const blis_library *runtime(rntm_t *rntm) {
    const int threads = bp__blis_threads();
    *rntm = (rntm_t)BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(threads, rntm);
    return threads == 1 ? one_thread : more_threads;
}

/* Row-major operands: row stride the column count, column stride 1. BLIS
 * takes strides, so a transposed operand is the same memory with them
 * swapped; BLIS itself chooses between its unpacked "sup" kernels for
 * small or skinny products and its packed ones. */
static void gemm(trans_t ta, trans_t tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                 size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    rntm_t rntm;
    const blis_library *blis = runtime(&rntm);
    blis->gemm(ta, tb, (dim_t)m, (dim_t)n, (dim_t)k, &alpha, (float *)a, (inc_t)lda, 1, (float *)b,
               (inc_t)ldb, 1, &beta, c, (inc_t)ldc, 1, NULL, &rntm);
}

/* BLIS 0.9's sgemm (its sup kernels, zen3 and haswell sub-configurations)
 * reads past the last row of A in Z = A W^T: measured, one row of A_prev
 * beyond the n-th (bp-bench at 777-333-17, batch 100, faulted on the page
 * after the inputs; valgrind flags the read on test_kernels' widths). The
 * rows it reads are not used, but they must be readable, and the first
 * layer's A_prev is the caller's memory. So the last TAIL rows go through a
 * copy with TAIL rows of zeros after it, and the rows before them are
 * computed in place: their over-read falls on the tail, still the
 * caller's. */
#define TAIL 8

/* Each thread's copy of the tail: 2 x TAIL rows, grown when a wider layer
 * comes; freed when the thread ends. The one allocation of the blis set,
 * on a thread's first forward product at a width (not in later steps). */
static pthread_key_t tail_key;
static pthread_once_t tail_once = PTHREAD_ONCE_INIT;
static void make_tail_key(void) { (void)pthread_key_create(&tail_key, free); }

typedef struct tail_copy {
    size_t width;
    float rows[]; /* 2 * TAIL * width */
} tail_copy;

static float *tail_rows(size_t width) {
    pthread_once(&tail_once, make_tail_key);
    tail_copy *t = pthread_getspecific(tail_key);
    if (!t || t->width < width) {
        tail_copy *grown = calloc(1, sizeof *grown + 2 * TAIL * width * sizeof(float));
        if (!grown)
            return NULL;
        grown->width = width;
        free(t);
        t = grown;
        (void)pthread_setspecific(tail_key, t);
    }
    return t->rows;
}

static void blis_dense_forward(size_t n, size_t in, size_t out, const float *a_prev, const float *w,
                               float *z) {
    float one = 1.0f, zero = 0.0f;
    if (n == 1) {
        rntm_t rntm;
        const blis_library *blis = runtime(&rntm);
        /* z = W a_prev */
        blis->gemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, (dim_t)out, (dim_t)in, &one, (float *)w,
                   (inc_t)in, 1, (float *)a_prev, 1, &zero, z, 1, NULL, &rntm);
        return;
    }
    const size_t tail = n < TAIL ? n : TAIL, head = n - tail;
    float *copy = tail_rows(in);
    if (!copy) { /* no memory for the copy: the product in place, as BLIS reads it */
        gemm(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, n, out, in, 1.0f, a_prev, in, w, in, 0.0f, z, out);
        return;
    }
    /* Z[0:head] = A_prev[0:head] W^T, then the same for the tail's copy
     * (the rows after it are readable: zeros, or an earlier tail). */
    if (head > 0)
        gemm(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, head, out, in, 1.0f, a_prev, in, w, in, 0.0f, z,
             out);
    memcpy(copy, a_prev + head * in, tail * in * sizeof *copy);
    gemm(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, tail, out, in, 1.0f, copy, in, w, in, 0.0f,
         z + head * out, out);
}

static void blis_weight_grad(size_t n, size_t in, size_t out, float alpha, const float *delta,
                             const float *a_prev, bool accumulate, float *m) {
    if (n == 1) {
        /* ger only accumulates (A += alpha x y^T): start from zero to overwrite. */
        if (!accumulate)
            memset(m, 0, in * out * sizeof *m);
        rntm_t rntm;
        const blis_library *blis = runtime(&rntm);
        /* M += alpha delta a_prev^T */
        blis->ger(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, (dim_t)out, (dim_t)in, &alpha,
                  (float *)delta, 1, (float *)a_prev, 1, m, (inc_t)in, 1, NULL, &rntm);
    } else {
        /* M = alpha Delta^T A_prev + beta M */
        gemm(BLIS_TRANSPOSE, BLIS_NO_TRANSPOSE, out, in, n, alpha, delta, out, a_prev, in,
             accumulate ? 1.0f : 0.0f, m, in);
    }
}

static void blis_input_grad(size_t n, size_t in, size_t out, const float *delta, const float *w,
                            float *da_prev) {
    float one = 1.0f, zero = 0.0f;
    if (n == 1) {
        rntm_t rntm;
        const blis_library *blis = runtime(&rntm);
        /* da_prev = W^T delta */
        blis->gemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, (dim_t)out, (dim_t)in, &one, (float *)w,
                   (inc_t)in, 1, (float *)delta, 1, &zero, da_prev, 1, NULL, &rntm);
    } else {
        /* dA_prev = Delta W */
        gemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n, in, out, 1.0f, delta, out, w, in, 0.0f,
             da_prev, in);
    }
}

static void blis_descend(size_t count, float rate, const float *g, float *theta) {
    float minus_rate = -rate;
    /* One thread: a level-1 pass is bound by memory, and the workers already
     * step their slices of the block in parallel. */
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(1, &rntm);
    /* theta = theta - rate * g (dim_t is 64 bits: no chunks needed) */
    one_thread->axpyv(BLIS_NO_CONJUGATE, (dim_t)count, &minus_rate, (float *)g, 1, theta, 1, NULL,
                      &rntm);
}

const bp__kernels bp__kernels_blis = {
    .dense_forward = blis_dense_forward,
    .weight_grad = blis_weight_grad,
    .input_grad = blis_input_grad,
    .descend = blis_descend,
};

#else /* !BP_HAVE_BLIS: built without BLIS (-Dblis=disabled, or no blis.h) */

bool bp__blis_load(void) { return false; }

const char *bp__blis_arch(void) { return NULL; }

const void *bp__blis_gemm_address(bool threads) {
    (void)threads;
    return NULL;
}

/* Never used: bp__blis_load() is false, so no network gets this table. */
const bp__kernels bp__kernels_blis = {0};

#endif
