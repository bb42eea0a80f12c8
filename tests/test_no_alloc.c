/* The no-allocation guarantee: once a network has reserved its workspace,
 * forward, gradient, step and train_step allocate nothing, and neither does an
 * optimizer's step.
 *
 * This program replaces malloc and its relatives (the dynamic linker binds
 * the library's, and OpenBLAS's, calls to these), forwards them to glibc's
 * own, and counts those made by the calling thread while counting is armed.
 * OpenBLAS's worker threads are not counted: OpenBLAS allocates its buffers
 * once, when it loads, not per call. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Thread_local int counting;
static _Thread_local long allocations;

/* Armed, every thread's allocations count here: the worker threads'. */
static atomic_int counting_all;
static atomic_long allocations_all;

static void count_one(void) {
    if (counting)
        allocations++;
    if (atomic_load(&counting_all))
        atomic_fetch_add(&allocations_all, 1);
}

void *malloc(size_t size) {
    count_one();
    return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
    count_one();
    return __libc_calloc(count, size);
}
void *realloc(void *block, size_t size) {
    count_one();
    return __libc_realloc(block, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}
void *memalign(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
    count_one();
    *out = __libc_memalign(alignment, size);
    return *out ? 0 : 12; /* ENOMEM */
}
void free(void *block) { __libc_free(block); }

/* Fills a batch with a repeatable, non-trivial pattern. */
static void fill(float *x, size_t count, float scale) {
    for (size_t i = 0; i < count; i++)
        x[i] = scale * (float)((i * 7919u) % 23u) / 23.0f - 0.5f * scale;
}

static void check_no_allocation(bp_kernels kernels, size_t batch) {
    const size_t sizes[] = {20, 33, 17, 5};
    const bp_activation activations[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 3, sizes, activations, kernels, 3), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_reserve(net, 64), BP_OK, "%s", bp_errmsg());
    float x[64 * 20], y[64 * 5];
    fill(x, 64 * 20, 2.0f);
    fill(y, 64 * 5, 1.0f);
    float cost;
    const float *out;
    /* Let OpenBLAS finish any lazy set-up before counting. */
    cr_assert_eq(bp_net_train_step(net, x, y, batch, 0.01f, &cost), BP_OK);

    allocations = 0;
    counting = 1;
    int rc = BP_OK;
    for (int repeat = 0; repeat < 5 && rc == BP_OK; repeat++) {
        rc = bp_net_forward(net, x, batch, &out);
        if (rc == BP_OK)
            rc = bp_net_gradient(net, x, y, batch, &cost);
        if (rc == BP_OK)
            rc = bp_net_step(net, 0.01f);
        if (rc == BP_OK)
            rc = bp_net_train_step(net, x, y, batch, 0.01f, &cost);
    }
    counting = 0;
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(allocations, 0, "%ld allocations in training steps at batch %zu", allocations,
                 batch);
    bp_net_destroy(net);
}

/* The interposer itself must see allocations, or the tests below prove nothing. */
Test(no_alloc, counter_sees_allocations) {
    allocations = 0;
    counting = 1;
    bp_net *net;
    const size_t sizes[] = {4, 2};
    const bp_activation activations[] = {BP_ACT_SIGMOID};
    int rc = bp_net_create(&net, 1, sizes, activations, BP_KERNELS_OPENBLAS, 1);
    counting = 0;
    cr_assert_eq(rc, BP_OK);
    cr_assert_gt(allocations, 0, "creating a network must have been counted");
    bp_net_destroy(net);
}

/* Row-invariant inference reuses the workspace: forward, cost and predict
 * (n within the reserve) allocate nothing either. */
static void check_invariant_no_allocation(size_t batch) {
    const size_t sizes[] = {20, 33, 17, 5};
    const bp_activation activations[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 3, sizes, activations, BP_KERNELS_OPENBLAS, 3), BP_OK);
    cr_assert_eq(bp_net_reserve(net, 64), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_inference(net, BP_INFERENCE_INVARIANT), BP_OK);
    float x[64 * 20], y[64 * 5], predicted[64 * 5];
    fill(x, 64 * 20, 2.0f);
    fill(y, 64 * 5, 1.0f);
    float cost;
    const float *out;
    cr_assert_eq(bp_net_predict(net, x, batch, predicted), BP_OK); /* any lazy set-up first */

    allocations = 0;
    counting = 1;
    int rc = BP_OK;
    for (int repeat = 0; repeat < 5 && rc == BP_OK; repeat++) {
        rc = bp_net_forward(net, x, batch, &out);
        if (rc == BP_OK)
            rc = bp_net_cost(net, x, y, batch, &cost, &out);
        if (rc == BP_OK)
            rc = bp_net_predict(net, x, batch, predicted);
    }
    counting = 0;
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(allocations, 0, "%ld allocations in invariant inference at batch %zu", allocations,
                 batch);
    bp_net_destroy(net);
}

Test(no_alloc, invariant_one_example) { check_invariant_no_allocation(1); }
Test(no_alloc, invariant_batch) { check_invariant_no_allocation(61); }

Test(no_alloc, openblas_one_example) { check_no_allocation(BP_KERNELS_OPENBLAS, 1); }
Test(no_alloc, openblas_batch) { check_no_allocation(BP_KERNELS_OPENBLAS, 64); }
Test(no_alloc, naive_one_example) { check_no_allocation(BP_KERNELS_NAIVE, 1); }
Test(no_alloc, naive_batch) { check_no_allocation(BP_KERNELS_NAIVE, 37); }

/* An optimizer's state is allocated when it is created; its steps, of every
 * kind and with a schedule and weight decay, allocate nothing. */
Test(no_alloc, optimizer_step) {
    const size_t sizes[] = {20, 33, 5};
    const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    float x[8 * 20], y[8 * 5];
    fill(x, 8 * 20, 2.0f);
    fill(y, 8 * 5, 1.0f);
    for (int kind = BP_OPT_SGD; kind <= BP_OPT_ADAM; kind++) {
        bp_net *net;
        cr_assert_eq(bp_net_create(&net, 2, sizes, activations, BP_KERNELS_OPENBLAS, 3), BP_OK);
        cr_assert_eq(bp_net_reserve(net, 8), BP_OK, "%s", bp_errmsg());
        bp_optimizer_config config;
        bp_optimizer_config_default(&config, (bp_optimizer_kind)kind);
        config.weight_decay = 0.01f;
        config.schedule = BP_SCHEDULE_COSINE;
        config.total_steps = 10;
        bp_optimizer *opt;
        cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK, "%s", bp_errmsg());
        float cost;
        cr_assert_eq(bp_net_gradient(net, x, y, 8, &cost), BP_OK);

        allocations = 0;
        counting = 1;
        int rc = BP_OK;
        for (int repeat = 0; repeat < 5 && rc == BP_OK; repeat++) {
            rc = bp_optimizer_step(opt, net);
            if (rc == BP_OK)
                rc = bp_net_gradient(net, x, y, 8, &cost);
        }
        counting = 0;
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cr_assert_eq(allocations, 0, "%ld allocations in optimizer steps of kind %d", allocations,
                     kind);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
}

/* With worker threads, a step (the workers' gradient, their sum and the
 * optimizer's step over slices) allocates nothing in any thread: counted
 * process-wide, from before the pool is woken until after it is done.
 * bp_train's steps go through the same calls. */
static void check_workers(bp_kernels kernels, size_t workers, size_t batch) {
    const size_t sizes[] = {20, 33, 17, 5};
    const bp_activation activations[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net;
    cr_assert_eq(bp_net_create(&net, 3, sizes, activations, kernels, 3), BP_OK, "%s", bp_errmsg());
    bp_workers *pool;
    cr_assert_eq(bp_workers_create(&pool, net, workers, 64), BP_OK, "%s", bp_errmsg());
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_optimizer *opt;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK, "%s", bp_errmsg());
    float x[64 * 20], y[64 * 5], cost;
    fill(x, 64 * 20, 2.0f);
    fill(y, 64 * 5, 1.0f);
    /* Let OpenBLAS finish any lazy set-up in each worker thread first, and
     * BLIS fill its pools of blocks, which grow to the most its threads
     * have asked for at once: the workers' calls overlap differently from
     * step to step, so a few steps. */
    for (int warm = 0; warm < 10; warm++) {
        cr_assert_eq(bp_workers_gradient(pool, x, y, batch, &cost), BP_OK, "%s", bp_errmsg());
        cr_assert_eq(bp_workers_step(pool, opt), BP_OK, "%s", bp_errmsg());
    }
    atomic_store(&allocations_all, 0);
    atomic_store(&counting_all, 1);
    int rc = BP_OK;
    for (int repeat = 0; repeat < 5 && rc == BP_OK; repeat++) {
        rc = bp_workers_gradient(pool, x, y, batch, &cost);
        if (rc == BP_OK)
            rc = bp_workers_step(pool, opt);
        if (rc == BP_OK)
            rc = bp_workers_train_step(pool, opt, x, y, batch, &cost);
    }
    atomic_store(&counting_all, 0);
    cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
    cr_assert_eq(atomic_load(&allocations_all), 0,
                 "%ld allocations in steps of %zu workers at batch %zu",
                 atomic_load(&allocations_all), workers, batch);
    bp_optimizer_destroy(opt);
    bp_workers_destroy(pool);
    bp_net_destroy(net);
}

/* The process-wide counter must see another thread's allocation. */
static void *allocate_one(void *arg) {
    (void)arg;
    free(malloc(16));
    return NULL;
}

Test(no_alloc, counter_sees_other_threads) {
    atomic_store(&allocations_all, 0);
    atomic_store(&counting_all, 1);
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, allocate_one, NULL), 0);
    pthread_join(thread, NULL);
    atomic_store(&counting_all, 0);
    cr_assert_geq(atomic_load(&allocations_all), 1, "another thread's malloc was not counted");
}

Test(no_alloc, workers_two) { check_workers(BP_KERNELS_OPENBLAS, 2, 64); }
Test(no_alloc, workers_three_uneven) { check_workers(BP_KERNELS_OPENBLAS, 3, 37); }
Test(no_alloc, workers_fewer_examples) { check_workers(BP_KERNELS_OPENBLAS, 3, 2); }

#ifdef BP_TEST_HAVE_BLIS
/* BLIS takes its packing buffers from pools it fills on first use: after the
 * first step, steps draw on them, in every thread BLIS runs. */
Test(no_alloc, blis_one_example) { check_no_allocation(BP_KERNELS_BLIS, 1); }
Test(no_alloc, blis_batch) { check_no_allocation(BP_KERNELS_BLIS, 64); }
Test(no_alloc, blis_workers_two) { check_workers(BP_KERNELS_BLIS, 2, 64); }
/* One worker, BLIS on two threads of its own (OpenMP's): counted in every
 * thread. */
Test(no_alloc, blis_two_threads) {
    cr_assert_eq(bp_blas_set_threads(2), BP_OK);
    check_workers(BP_KERNELS_BLIS, 1, 64);
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);
}
#endif
