/*
 * test_threads.c - the threading contract of backprop.h: different networks
 * trained in different threads at once end bitwise where training them one
 * after another ends; bp_errmsg() is per thread; the BLAS thread count.
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers */

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

#include "reference.h"

#define JOBS 6
#define EPOCHS 12
#define ROUNDS 3 /* concurrent runs, each against the sequential one */

/* One network's training run: its own data, network and optimizer. */
typedef struct job {
    bp_kernels kernels;
    uint64_t seed;
    bp_dataset data;          /* made in the test's thread (make_data asserts) */
    pthread_barrier_t *start; /* NULL when run sequentially */
    int rc;
    float *params; /* copy of the trained parameters, from malloc */
    size_t count;
    double losses[EPOCHS]; /* the epoch reports' training losses */
    size_t epochs;
    char errmsg[256];
} job;

/* Three classes by the sign pattern of the first two of 8 features. */
static bp_dataset make_data(size_t count, uint64_t seed) {
    bp_dataset d = {.count = count, .features = 8, .classes = 3};
    d.inputs = ref_alloc(count * 8, sizeof(float));
    d.labels = ref_alloc(count, sizeof(uint32_t));
    ref_rng rng = {seed};
    for (size_t i = 0; i < count; i++) {
        for (size_t f = 0; f < 8; f++)
            d.inputs[8 * i + f] = (float)ref_rng_uniform(&rng, -1.0, 1.0);
        const float x = d.inputs[8 * i], y = d.inputs[8 * i + 1];
        d.labels[i] = x > 0 && y > 0 ? 0u : x > 0 ? 1u : 2u;
    }
    return d;
}

static int record_epoch(const bp_epoch_report *r, void *user) {
    job *j = user;
    if (j->epochs < EPOCHS)
        j->losses[j->epochs] = r->train_loss;
    j->epochs++;
    return 0;
}

/* Runs in a thread (or not): no Criterion asserts here, they are only valid
 * in the test's own thread; failures are recorded for it to check. */
static void *train_job(void *arg) {
    job *j = arg;
    const size_t sizes[] = {8, 48, 32, 3};
    const bp_activation acts[] = {BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    bp_optimizer *opt = NULL;
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_train_options options = {
        .epochs = EPOCHS, .batch_size = 16, .seed = j->seed, .on_epoch = record_epoch, .user = j};
    if (j->start)
        pthread_barrier_wait(j->start); /* all threads train at the same time */
    j->rc = bp_net_create(&net, 3, sizes, acts, j->kernels, j->seed);
    if (j->rc == BP_OK)
        j->rc = bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY);
    if (j->rc == BP_OK)
        j->rc = bp_optimizer_create(&opt, net, &config);
    if (j->rc == BP_OK)
        j->rc = bp_train(net, opt, &j->data, NULL, &options);
    float *params = NULL;
    if (j->rc == BP_OK)
        j->rc = bp_net_params(net, &params, &j->count);
    if (j->rc == BP_OK) {
        j->params = malloc(j->count * sizeof(float));
        if (j->params)
            memcpy(j->params, params, j->count * sizeof(float));
    }
    snprintf(j->errmsg, sizeof j->errmsg, "%s", bp_errmsg());
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    return NULL;
}

static void init_jobs(job *jobs, pthread_barrier_t *start) {
    for (int i = 0; i < JOBS; i++)
        jobs[i] = (job){.kernels = i % 2 ? BP_KERNELS_NAIVE : BP_KERNELS_OPENBLAS,
                        .seed = 100 + (uint64_t)i,
                        .data = make_data(400, 100 + (uint64_t)i),
                        .start = start};
}

static void free_jobs(job *jobs) {
    for (int i = 0; i < JOBS; i++) {
        free(jobs[i].params);
        free(jobs[i].data.inputs);
        free(jobs[i].data.labels);
    }
}

Test(threads, concurrent_training_matches_sequential) {
    /* Our threads call OpenBLAS concurrently; its pthreads build serializes
     * them with a lock, and a pool of 2 BLAS threads per call would fight ours
     * for the 2 cores. One BLAS thread is also what the header advises. The
     * same count in both runs is what makes bitwise equality a fair demand. */
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);

    job alone[JOBS], together[JOBS];
    init_jobs(alone, NULL);
    for (int i = 0; i < JOBS; i++) {
        train_job(&alone[i]);
        cr_assert_eq(alone[i].rc, BP_OK, "job %d alone: %s", i, alone[i].errmsg);
        cr_assert_not_null(alone[i].params);
        cr_assert_eq(alone[i].epochs, EPOCHS);
        /* They learn (equal runs that did not would prove nothing), and
         * differ from each other, so a mix-up would show. */
        cr_assert_lt(alone[i].losses[EPOCHS - 1], 0.5 * alone[i].losses[0],
                     "job %d: training loss %g after %g", i, alone[i].losses[EPOCHS - 1],
                     alone[i].losses[0]);
        if (i > 0)
            cr_assert_neq(
                memcmp(alone[i].params, alone[i - 1].params, alone[i].count * sizeof(float)), 0);
    }

    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_t start;
        cr_assert_eq(pthread_barrier_init(&start, NULL, JOBS), 0);
        init_jobs(together, &start);
        pthread_t threads[JOBS];
        for (int i = 0; i < JOBS; i++)
            cr_assert_eq(pthread_create(&threads[i], NULL, train_job, &together[i]), 0);
        for (int i = 0; i < JOBS; i++)
            cr_assert_eq(pthread_join(threads[i], NULL), 0);
        pthread_barrier_destroy(&start);

        for (int i = 0; i < JOBS; i++) {
            cr_assert_eq(together[i].rc, BP_OK, "round %d, job %d: %s", round, i,
                         together[i].errmsg);
            cr_assert_not_null(together[i].params);
            cr_assert_eq(together[i].epochs, EPOCHS);
            cr_assert_eq(alone[i].count, together[i].count);
            cr_assert_eq(
                memcmp(alone[i].params, together[i].params, alone[i].count * sizeof(float)), 0,
                "round %d, job %d (%s kernels): weights differ after concurrent training", round, i,
                i % 2 ? "naive" : "OpenBLAS");
            cr_assert_eq(memcmp(alone[i].losses, together[i].losses, sizeof alone[i].losses), 0,
                         "round %d, job %d: epoch losses differ", round, i);
        }
        free_jobs(together);
    }
    free_jobs(alone);
}

/* bp_shuffle's generator must be the call's own: long shuffles in several
 * threads at once give the orders they give alone. (A generator shared
 * between calls races in every draw here, where training's short shuffles
 * would rarely overlap.) */
#define SHUFFLE_N ((size_t)1 << 18)

typedef struct shuffle_job {
    uint64_t seed;
    size_t *order;
} shuffle_job;

static void *shuffle_in_thread(void *arg) {
    shuffle_job *s = arg;
    bp_shuffle(s->order, SHUFFLE_N, s->seed);
    return NULL;
}

Test(threads, concurrent_shuffles_match_sequential) {
    size_t *alone = ref_alloc(SHUFFLE_N, sizeof(size_t));
    shuffle_job jobs[4];
    for (int i = 0; i < 4; i++)
        jobs[i] =
            (shuffle_job){.seed = 7 + (uint64_t)i, .order = ref_alloc(SHUFFLE_N, sizeof(size_t))};
    for (int round = 0; round < 4; round++) {
        pthread_t threads[4];
        for (int i = 0; i < 4; i++)
            cr_assert_eq(pthread_create(&threads[i], NULL, shuffle_in_thread, &jobs[i]), 0);
        for (int i = 0; i < 4; i++)
            cr_assert_eq(pthread_join(threads[i], NULL), 0);
        for (int i = 0; i < 4; i++) {
            cr_assert_eq(bp_shuffle(alone, SHUFFLE_N, jobs[i].seed), BP_OK);
            cr_assert_eq(memcmp(alone, jobs[i].order, SHUFFLE_N * sizeof(size_t)), 0,
                         "round %d: the shuffle from seed %d differs in a thread", round,
                         (int)jobs[i].seed);
        }
    }
    for (int i = 0; i < 4; i++)
        free(jobs[i].order);
    free(alone);
}

/* Each thread fails its own way and then reads its own message. */
typedef struct failing {
    pthread_barrier_t *meet;
    size_t batch; /* the batch size that fails */
    int rc;
    char seen[256];
} failing;

static void *fail_in_thread(void *arg) {
    failing *f = arg;
    const size_t sizes[] = {2, 3};
    const bp_activation acts[] = {BP_ACT_SIGMOID};
    bp_net *net = NULL;
    float x[2] = {0};
    if (bp_net_create(&net, 1, sizes, acts, BP_KERNELS_NAIVE, 1) == BP_OK) {
        f->rc = bp_net_forward(net, x, f->batch, NULL);
        /* Both threads have failed before either reads its message. */
        pthread_barrier_wait(f->meet);
        snprintf(f->seen, sizeof f->seen, "%s", bp_errmsg());
        pthread_barrier_wait(f->meet);
    } else {
        pthread_barrier_wait(f->meet);
        pthread_barrier_wait(f->meet);
    }
    bp_net_destroy(net);
    return NULL;
}

Test(threads, errmsg_is_per_thread) {
    cr_assert_eq(bp_blas_set_threads(0), BP_EINVAL); /* this thread's own failure */
    pthread_barrier_t meet;
    cr_assert_eq(pthread_barrier_init(&meet, NULL, 2), 0);
    failing a = {.meet = &meet, .batch = 0}, b = {.meet = &meet, .batch = 7};
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, fail_in_thread, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, fail_in_thread, &b), 0);
    cr_assert_eq(pthread_join(ta, NULL), 0);
    cr_assert_eq(pthread_join(tb, NULL), 0);
    pthread_barrier_destroy(&meet);
    cr_assert_eq(a.rc, BP_EINVAL);
    cr_assert_eq(b.rc, BP_EBATCH);
    cr_assert(strstr(a.seen, "n is 0"), "thread a read: %s", a.seen);
    cr_assert(strstr(b.seen, "batch of 7"), "thread b read: %s", b.seen);
    cr_assert(strstr(bp_errmsg(), "bp_blas_set_threads: thread count 0"), "this thread read: %s",
              bp_errmsg());
}

Test(threads, blas_thread_count) {
    const int before = bp_blas_threads();
    cr_assert_geq(before, 1);
    cr_assert_eq(bp_blas_set_threads(0), BP_EINVAL);
    cr_assert(strstr(bp_errmsg(), "thread count 0"), "message: %s", bp_errmsg());
    cr_assert_eq(bp_blas_set_threads(-3), BP_EINVAL);
    cr_assert_eq(bp_blas_threads(), before, "a refused count changes nothing");
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);
    cr_assert_eq(bp_blas_threads(), 1);
    cr_assert_eq(bp_blas_set_threads(2), BP_OK);
    cr_assert_eq(bp_blas_threads(), 2);
    cr_assert_eq(bp_blas_set_threads(before), BP_OK);
}

/* Small products run on one OpenBLAS thread (the library lowers the count
 * around them): the count the caller set must be there again after every
 * call, whatever the products' sizes, and the small products' results must
 * be those of one thread set by the caller. */
Test(threads, small_products_keep_the_blas_thread_count) {
    const int before = bp_blas_threads();
    const size_t sizes[] = {128, 64, 10}; /* products of 2^13 to 2^19 multiply-adds */
    const bp_activation acts[] = {BP_ACT_SIGMOID, BP_ACT_SIGMOID};
    enum { N = 64 };
    float *x = ref_alloc(N * 128, sizeof(float)), *y = ref_alloc(N * 10, sizeof(float));
    for (size_t i = 0; i < N * 128; i++)
        x[i] = (float)((i * 37) % 101) / 101.0f;
    for (size_t i = 0; i < N * 10; i++)
        y[i] = i % 10 == (i / 10) % 10 ? 1.0f : 0.0f;
    float *params[2];
    size_t count = 0;
    for (int run = 0; run < 2; run++) {
        const int threads = run == 0 ? 2 : 1;
        cr_assert_eq(bp_blas_set_threads(threads), BP_OK);
        bp_net *net = NULL;
        cr_assert_eq(bp_net_create(&net, 2, sizes, acts, BP_KERNELS_OPENBLAS, 11), BP_OK);
        cr_assert_eq(bp_net_reserve(net, N), BP_OK);
        for (int step = 0; step < 5; step++) {
            cr_assert_eq(bp_net_train_step(net, x, y, N, 0.1f, NULL), BP_OK);
            cr_assert_eq(bp_blas_threads(), threads, "the count changed during training");
        }
        float *p;
        cr_assert_eq(bp_net_params(net, &p, &count), BP_OK);
        params[run] = ref_alloc(count, sizeof(float));
        memcpy(params[run], p, count * sizeof(float));
        bp_net_destroy(net);
    }
    cr_assert_eq(memcmp(params[0], params[1], count * sizeof(float)), 0,
                 "small products on 2 threads differ from 1 thread");
    free(params[0]);
    free(params[1]);
    free(x);
    free(y);
    cr_assert_eq(bp_blas_set_threads(before), BP_OK);
}
