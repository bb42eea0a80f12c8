/* Worker threads: a persistent pool that splits each batch among views of one network. */
#define _POSIX_C_SOURCE 200809L /* sched_yield */

#include "train/workers.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/finite.h"
#include "support/alloc.h"
#include "support/error.h"
#include "train/optimizer.h"
#include "train/shares.h"

/* What the pool runs on its next dispatch. */
typedef enum task_kind {
    TASK_GRADIENT,   /* each worker its share, then (after all) its slice of the sum */
    TASK_TRAIN_STEP, /* TASK_GRADIENT, then (all slices finite) the step of its slice */
    TASK_STEP,       /* each worker the optimizer's update of its slice */
    TASK_ZERO,       /* each worker zeroes its slice of the gradient block */
    TASK_STOP        /* the threads return */
} task_kind;

/* One worker's part, on cache lines of its own (workers write their own
 * slot while others write theirs). */
typedef struct worker_slot {
    _Alignas(BP_ALIGNMENT) struct bp_workers *owner;
    size_t index;      /* k */
    size_t first, n;   /* its share of the current batch */
    size_t lo, hi;     /* its slice of the flat blocks */
    float cost;        /* mean cost over its share */
    int rc;            /* its share's outcome */
    bool slice_finite; /* its slice of the sum is finite */
    char message[256]; /* bp_errmsg() of its failure */
} worker_slot;

struct bp_workers {
    bp_net *net;
    size_t count;     /* W */
    size_t max_batch; /* the largest batch a call may give */
    bp_net *views;    /* W views of net */
    bp__layer *layers;
    float *buffers; /* W - 1 gradient blocks (worker 0 computes into net's own) */
    size_t buffer_floats;
    worker_slot *slots;
    pthread_t *threads; /* W - 1: worker 0 is the calling thread */
    size_t started;     /* threads running */
    int saved_blas_threads;
    size_t bytes; /* what bp_workers_memory_bytes reports */

    /* The current task, written by the calling thread before it publishes
     * a new generation (release), read by the workers after they see it
     * (acquire). */
    task_kind kind;
    const float *inputs, *targets;
    size_t mean_over;
    const char *function; /* the public entry point, for messages */
    const bp_optimizer *opt;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* a new generation */
    pthread_cond_t done; /* remaining reached 0 */
    atomic_ulong generation;
    atomic_size_t remaining; /* helper threads still on the current task */
    atomic_size_t arrived;   /* workers past their share of a gradient task */
    atomic_size_t summed;    /* workers past their slice of the sum (TASK_TRAIN_STEP) */
};

/* Rounds of polling before a thread waiting for work, for the others or
 * for the calling thread sleeps on a condition variable: a step of a small
 * network is tens of microseconds, so a worker that slept between steps
 * would spend as long waking up. */
#define SPIN_ROUNDS 4000

/* One round of a busy wait: a pause, and every 64 rounds the processor to
 * another thread (more workers than cores must not starve the busy one). */
static void relax(unsigned *rounds) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if (++*rounds % 64 == 0)
        sched_yield();
}

/* Worker k's slice of n_params: boundaries on multiples of 16 floats (a
 * cache line), so no two workers write the same line. */
static void slice_of(size_t n_params, size_t workers, size_t k, size_t *lo, size_t *hi) {
    const size_t lines = (n_params + 15) / 16;
    size_t first, n;
    bp__share_of(lines, workers, k, &first, &n);
    *lo = first * 16 < n_params ? first * 16 : n_params;
    *hi = (first + n) * 16 < n_params ? (first + n) * 16 : n_params;
}

/* Worker k's gradient buffer: net's own block for worker 0. */
static float *buffer_of(const bp_workers *w, size_t k) {
    return k == 0 ? w->net->grads : w->buffers + (k - 1) * w->buffer_floats;
}

/* Worker k's share of the current batch: its gradient into its buffer. */
static void compute_share(bp_workers *w, size_t k) {
    worker_slot *slot = &w->slots[k];
    bp_net *view = &w->views[k];
    slot->cost = 0.0f;
    slot->rc = BP_OK;
    if (slot->n == 0)
        return;
    view->loss = w->net->loss;       /* bp_net_set_loss may have changed it */
    view->kernels = w->net->kernels; /* and bp_net_set_kernels these */
    view->kernel_set = w->net->kernel_set;
    const size_t in = w->net->layers[0].inputs, out = w->net->layers[w->net->n_layers - 1].outputs;
    slot->rc =
        bp__net_gradient_share(view, w->inputs + slot->first * in, w->targets + slot->first * out,
                               slot->n, w->mean_over, &slot->cost, w->function);
    if (slot->rc != BP_OK)
        snprintf(slot->message, sizeof slot->message, "%s", bp_errmsg());
}

/* sum[i] += part[i] over n floats; returns whether every new sum is finite
 * (on the float's bits: NaN and the infinities have every exponent bit
 * set), in the same pass. The body is a multiple of 16 floats, so gcc
 * vectorizes it at -O2 too (see optimizer.c). */
static bool add_into(float *restrict sum, const float *restrict part, size_t n) {
    const uint32_t exponent = 0x7f800000u;
    const size_t body = n - n % 16;
    uint32_t any = 0;
    for (size_t i = 0; i < body; i++) {
        const float x = sum[i] + part[i];
        uint32_t bits;
        memcpy(&bits, &x, sizeof bits);
        any |= (bits & exponent) == exponent;
        sum[i] = x;
    }
    for (size_t i = body; i < n; i++) {
        const float x = sum[i] + part[i];
        uint32_t bits;
        memcpy(&bits, &x, sizeof bits);
        any |= (bits & exponent) == exponent;
        sum[i] = x;
    }
    return any == 0;
}

/* Worker k's slice of the sum over the workers' buffers, in worker order
 * (bitwise the same for a given worker count), into net's gradient block,
 * which already holds worker 0's part, and whether it is finite. Only
 * workers that had examples add. */
static void reduce_slice(bp_workers *w, size_t k) {
    worker_slot *slot = &w->slots[k];
    const size_t lo = slot->lo, n = slot->hi - slot->lo;
    float *sum = w->net->grads + lo;
    size_t last = 0;
    for (size_t j = 1; j < w->count; j++)
        last = w->slots[j].n > 0 ? j : last;
    if (last == 0) {
        slot->slice_finite = bp__all_finite(sum, n);
        return;
    }
    /* The finiteness of the sums before the last is not needed: the last
     * pass sees every element's final value. */
    for (size_t j = 1; j <= last; j++)
        if (w->slots[j].n > 0)
            slot->slice_finite = add_into(sum, buffer_of(w, j) + lo, n);
}

/* Arrives at a barrier of all workers and waits for the others. Every
 * worker arrives, whatever its outcome, so none waits forever. */
static void barrier(bp_workers *w, atomic_size_t *count) {
    atomic_fetch_add_explicit(count, 1, memory_order_acq_rel);
    unsigned rounds = 0;
    while (atomic_load_explicit(count, memory_order_acquire) < w->count)
        relax(&rounds);
}

/* After the barrier of a gradient task: every share computed. */
static bool all_shares_ok(const bp_workers *w) {
    bool ok = true;
    for (size_t j = 0; j < w->count; j++)
        ok = ok && w->slots[j].rc == BP_OK;
    return ok;
}

static void run_task(bp_workers *w, size_t k) {
    worker_slot *slot = &w->slots[k];
    switch (w->kind) {
    case TASK_GRADIENT:
    case TASK_TRAIN_STEP: {
        compute_share(w, k);
        barrier(w, &w->arrived);
        const bool all_ok = all_shares_ok(w);
        slot->slice_finite = true;
        if (all_ok)
            reduce_slice(w, k);
        if (w->kind == TASK_GRADIENT)
            break;
        /* A step only when every slice of the sum is finite: nothing
         * non-finite reaches the parameters. The slice is still in cache. */
        barrier(w, &w->summed);
        bool finite = all_ok;
        for (size_t j = 0; j < w->count; j++)
            finite = finite && w->slots[j].slice_finite;
        if (finite)
            bp__optimizer_step_range(w->opt, w->net, slot->lo, slot->hi);
        break;
    }
    case TASK_STEP:
        bp__optimizer_step_range(w->opt, w->net, slot->lo, slot->hi);
        break;
    case TASK_ZERO:
        memset(w->net->grads + slot->lo, 0, (slot->hi - slot->lo) * sizeof(float));
        break;
    case TASK_STOP:
        break;
    }
}

/* Waits, busy at first, until `done(w)` holds; then on `cond`. */
static void await(bp_workers *w, bool (*ready)(bp_workers *, unsigned long), unsigned long arg,
                  pthread_cond_t *cond) {
    unsigned rounds = 0;
    while (rounds < SPIN_ROUNDS && !ready(w, arg))
        relax(&rounds);
    if (ready(w, arg))
        return;
    pthread_mutex_lock(&w->lock);
    while (!ready(w, arg))
        pthread_cond_wait(cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

static bool new_generation(bp_workers *w, unsigned long seen) {
    return atomic_load_explicit(&w->generation, memory_order_acquire) != seen;
}

static bool all_done(bp_workers *w, unsigned long unused) {
    (void)unused;
    return atomic_load_explicit(&w->remaining, memory_order_acquire) == 0;
}

/* A helper thread: worker k >= 1, until TASK_STOP. */
static void *worker_main(void *arg) {
    bp_workers *w = ((worker_slot *)arg)->owner;
    const size_t k = ((worker_slot *)arg)->index;
    unsigned long seen = 0;
    for (;;) {
        await(w, new_generation, seen, &w->wake);
        seen = atomic_load_explicit(&w->generation, memory_order_acquire);
        const bool stop = w->kind == TASK_STOP;
        run_task(w, k);
        if (atomic_fetch_sub_explicit(&w->remaining, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&w->lock);
            pthread_cond_signal(&w->done);
            pthread_mutex_unlock(&w->lock);
        }
        if (stop)
            return NULL;
    }
}

/* Runs the task set in w on every worker, the calling thread as worker 0,
 * and returns when all have finished it. */
static void dispatch(bp_workers *w, task_kind kind) {
    w->kind = kind;
    atomic_store_explicit(&w->arrived, 0, memory_order_relaxed);
    atomic_store_explicit(&w->summed, 0, memory_order_relaxed);
    atomic_store_explicit(&w->remaining, w->started, memory_order_relaxed);
    pthread_mutex_lock(&w->lock);
    atomic_fetch_add_explicit(&w->generation, 1, memory_order_release);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    run_task(w, 0);
    await(w, all_done, 0, &w->done);
}

/* Stops and joins the threads started so far. */
static void stop_threads(bp_workers *w) {
    if (w->started == 0)
        return;
    dispatch(w, TASK_STOP);
    for (size_t k = 0; k < w->started; k++)
        pthread_join(w->threads[k], NULL);
    w->started = 0;
}

/* Frees everything but w itself; the threads must be stopped. */
static void free_parts(bp_workers *w) {
    if (w->views)
        for (size_t k = 0; k < w->count; k++)
            bp__net_view_release(&w->views[k]);
    bp__free(w->views);
    bp__free(w->layers);
    bp__free(w->buffers);
    bp__free(w->slots);
    bp__free(w->threads);
}

/* Allocates the views, buffers, slots and thread handles; returns the bytes. */
static int allocate_parts(bp_workers *w, const char *fn) {
    const bp_net *net = w->net;
    const size_t count = w->count;
    size_t share = (w->max_batch + count - 1) / count, layer_bytes, view_bytes, slot_bytes,
           buffer_bytes = 0, thread_bytes;
    share = share > 0 ? share : 1;
    if (!bp__round_up_floats(net->n_params, &w->buffer_floats) ||
        !bp__mul_size(count, net->n_layers * sizeof(bp__layer), &layer_bytes) ||
        !bp__mul_size(count, sizeof(bp_net), &view_bytes) ||
        !bp__mul_size(count, sizeof(worker_slot), &slot_bytes) ||
        !bp__mul_size(count, sizeof(pthread_t), &thread_bytes) ||
        !bp__mul_size(w->buffer_floats, (count - 1) * sizeof(float), &buffer_bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu workers' buffers overflow size_t", count);
    w->views = bp__alloc_zeroed(view_bytes);
    w->layers = bp__alloc(layer_bytes);
    w->slots = bp__alloc_zeroed(slot_bytes);
    w->threads = bp__alloc(thread_bytes);
    w->buffers = count > 1 ? bp__alloc(buffer_bytes) : NULL;
    if (!w->views || !w->layers || !w->slots || !w->threads || (count > 1 && !w->buffers))
        return bp__fail(BP_ENOMEM, fn, "no memory for %zu workers", count);
    size_t bytes = sizeof *w + view_bytes + layer_bytes + slot_bytes + thread_bytes + buffer_bytes;
    for (size_t k = 0; k < count; k++) {
        const int rc = bp__net_view_init(&w->views[k], net, w->layers + k * net->n_layers,
                                         buffer_of(w, k), share, fn);
        if (rc != BP_OK)
            return rc;
        bytes += w->views[k].workspace_bytes;
        w->slots[k].owner = w;
        w->slots[k].index = k;
        slice_of(net->n_params, count, k, &w->slots[k].lo, &w->slots[k].hi);
    }
    w->bytes = bytes;
    return BP_OK;
}

int bp_workers_create(bp_workers **out, bp_net *net, size_t workers, size_t max_batch) {
    if (!out)
        return bp__fail(BP_EINVAL, __func__, "out is NULL");
    *out = NULL;
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    if (workers < 1 || workers > BP_WORKERS_MAX)
        return bp__fail(BP_EINVAL, __func__, "workers is %zu; it must be 1 to %d", workers,
                        BP_WORKERS_MAX);
    if (max_batch < 1 || max_batch > (size_t)INT_MAX)
        return bp__fail(BP_EINVAL, __func__, "max_batch is %zu; it must be 1 to %d", max_batch,
                        INT_MAX);
    bp_workers *w = bp__alloc_zeroed(sizeof *w);
    if (!w)
        return bp__fail(BP_ENOMEM, __func__, "no memory for the workers");
    w->net = net;
    w->count = workers;
    w->max_batch = max_batch;
    int rc = allocate_parts(w, __func__);
    if (rc != BP_OK) {
        free_parts(w);
        bp__free(w);
        return rc;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    atomic_init(&w->generation, 0);
    atomic_init(&w->remaining, 0);
    atomic_init(&w->arrived, 0);
    atomic_init(&w->summed, 0);
    /* Each worker on one OpenBLAS thread: then OpenBLAS runs their calls at
     * the same time (with more, its pthreads build serializes calls from
     * several threads), and no product changes the process's count. */
    w->saved_blas_threads = bp_blas_threads();
    if (workers > 1 && w->saved_blas_threads != 1)
        bp_blas_set_threads(1);
    for (size_t k = 1; k < workers; k++) {
        const int err = pthread_create(&w->threads[k - 1], NULL, worker_main, &w->slots[k]);
        if (err != 0) {
            bp_workers_destroy(w);
            return bp__fail(BP_ENOMEM, __func__, "could not start worker thread %zu of %zu: %s", k,
                            workers, strerror(err));
        }
        w->started++;
    }
    *out = w;
    return BP_OK;
}

void bp_workers_destroy(bp_workers *workers) {
    if (!workers)
        return;
    stop_threads(workers);
    if (workers->count > 1 && workers->saved_blas_threads != 1)
        bp_blas_set_threads(workers->saved_blas_threads);
    pthread_cond_destroy(&workers->done);
    pthread_cond_destroy(&workers->wake);
    pthread_mutex_destroy(&workers->lock);
    free_parts(workers);
    bp__free(workers);
}

size_t bp_workers_count(const bp_workers *workers) { return workers ? workers->count : 0; }

size_t bp_workers_memory_bytes(const bp_workers *workers) { return workers ? workers->bytes : 0; }

/* Floats of layer l's W and b together: its span of the flat blocks. */
static size_t layer_span(const bp__layer *layer) {
    return layer->outputs * layer->inputs + layer->outputs;
}

/* Hands every layer of net's gradient block to its hook, output layer
 * first, as bp_net_gradient does during its backward pass. */
static void hand_out(bp_net *net) {
    net->hook_pending = true;
    if (!net->hook.layer_ready)
        return;
    for (size_t l = net->n_layers; l-- > 0;)
        net->hook.layer_ready(net->hook.user, l, net->layers[l].offset,
                              layer_span(&net->layers[l]));
}

/* The gradient of a batch on the workers, and with opt (no hook on the
 * network) the step too, in the same dispatch; see workers.h. */
static int run_batch(bp_workers *w, bp_optimizer *opt, const float *inputs, const float *targets,
                     size_t n, size_t mean_over, float *cost, const char *function) {
    bp_net *net = w->net;
    if (n == 0) {
        /* An empty share of a distributed batch: a zero gradient. */
        dispatch(w, TASK_ZERO);
        *cost = 0.0f;
        hand_out(net);
        return BP_OK;
    }
    w->inputs = inputs;
    w->targets = targets;
    w->mean_over = mean_over;
    w->function = function;
    w->opt = opt;
    for (size_t k = 0; k < w->count; k++)
        bp__share_of(n, w->count, k, &w->slots[k].first, &w->slots[k].n);
    if (w->count == 1) {
        /* No thread to wake: the share, the check and the step in this one. */
        compute_share(w, 0);
        w->slots[0].slice_finite =
            w->slots[0].rc != BP_OK || bp__all_finite(net->grads, net->n_params);
        if (opt && w->slots[0].rc == BP_OK && w->slots[0].slice_finite)
            bp__optimizer_step_range(opt, net, 0, net->n_params);
    } else {
        dispatch(w, opt ? TASK_TRAIN_STEP : TASK_GRADIENT);
    }
    /* The batch cost: the shares' mean costs weighted by their counts. */
    double total = 0.0;
    int rc = BP_OK;
    size_t failed = 0;
    bool finite = true;
    for (size_t k = 0; k < w->count; k++) {
        total += (double)w->slots[k].cost * (double)w->slots[k].n;
        if (rc == BP_OK && w->slots[k].rc != BP_OK) {
            rc = w->slots[k].rc;
            failed = k;
        }
        finite = finite && w->slots[k].slice_finite;
    }
    *cost = (float)(total / (double)n);
    if (rc != BP_OK) {
        /* A share without a gradient: no sum was taken, and a hook still
         * sees every layer, as NaN, so that it makes the same calls as on
         * every other participant. */
        const char *message = w->slots[failed].message;
        const size_t prefix = strlen(function);
        if (strncmp(message, function, prefix) == 0 && strncmp(message + prefix, ": ", 2) == 0)
            message += prefix + 2;
        rc = bp__fail(rc, function, "worker %zu of %zu: %s%s", failed, w->count, message,
                      opt ? "; no step taken" : "");
        for (size_t i = 0; i < net->n_params; i++)
            net->grads[i] = NAN;
    } else if (!finite) {
        rc = bp__fail(BP_ENONFINITE, function,
                      "the gradient is not finite (the cost is %g); the gradient block holds "
                      "it%s",
                      (double)*cost, opt ? "; no step taken" : "");
    }
    if (!opt)
        hand_out(net);
    else if (rc == BP_OK)
        opt->steps++;
    return rc;
}

int bp__workers_gradient_share(bp_workers *w, const float *inputs, const float *targets, size_t n,
                               size_t mean_over, float *cost, const char *function) {
    return run_batch(w, NULL, inputs, targets, n, mean_over, cost, function);
}

int bp__workers_train_step_share(bp_workers *w, bp_optimizer *opt, const float *inputs,
                                 const float *targets, size_t n, size_t mean_over, float *cost,
                                 const char *function) {
    return run_batch(w, opt, inputs, targets, n, mean_over, cost, function);
}

const float *bp__workers_outputs(const bp_workers *w, size_t k, size_t *first, size_t *n) {
    const bp_net *view = &w->views[k];
    *first = w->slots[k].first;
    *n = w->slots[k].n;
    return view->layers[view->n_layers - 1].output;
}

int bp__workers_step(bp_workers *w, bp_optimizer *opt, const char *function) {
    /* A gradient handed to a hook is complete only after its before_step. */
    const int rc = bp__net_complete_gradient(w->net, function);
    if (rc != BP_OK)
        return rc;
    if (w->count == 1) {
        bp__optimizer_step_range(opt, w->net, 0, w->net->n_params);
    } else {
        w->opt = opt;
        dispatch(w, TASK_STEP);
    }
    opt->steps++;
    return BP_OK;
}

/* Caller data of rows x width floats must not lie in memory the workers
 * write: the network's blocks, the workspaces, the gradient buffers. */
static int check_caller_array(const bp_workers *w, const float *data, const char *name, size_t rows,
                              size_t width, const char *function) {
    size_t bytes;
    const int rc = bp__caller_floats(data, name, rows, width, function, &bytes);
    if (rc != BP_OK)
        return rc;
    bool inside = bp__overlaps(data, bytes, w->net->params, w->net->blocks_bytes) ||
                  (w->buffers && bp__overlaps(data, bytes, w->buffers,
                                              (w->count - 1) * w->buffer_floats * sizeof(float)));
    for (size_t k = 0; k < w->count && !inside; k++)
        inside = bp__overlaps(data, bytes, w->views[k].workspace, w->views[k].workspace_bytes);
    if (inside)
        return bp__fail(BP_EINVAL, function,
                        "%s overlap the network's parameters or the workers' memory; pass a copy",
                        name);
    return BP_OK;
}

/* Checks the arguments of bp_workers_gradient. */
static int check_batch(const bp_workers *w, const float *inputs, const float *targets, size_t n,
                       const char *function) {
    if (!w)
        return bp__fail(BP_EINVAL, function, "workers is NULL");
    if (n == 0)
        return bp__fail(BP_EINVAL, function, "the batch has no examples (n is 0)");
    if (n > w->max_batch)
        return bp__fail(BP_EBATCH, function,
                        "batch of %zu examples exceeds the %zu the workers were made for", n,
                        w->max_batch);
    const bp_net *net = w->net;
    const int rc = check_caller_array(w, inputs, "inputs", n, net->layers[0].inputs, function);
    if (rc != BP_OK)
        return rc;
    return check_caller_array(w, targets, "targets", n, net->layers[net->n_layers - 1].outputs,
                              function);
}

int bp_workers_gradient(bp_workers *workers, const float *inputs, const float *targets, size_t n,
                        float *cost) {
    const int rc = check_batch(workers, inputs, targets, n, __func__);
    if (rc != BP_OK)
        return rc;
    float batch_cost;
    const int result =
        bp__workers_gradient_share(workers, inputs, targets, n, n, &batch_cost, __func__);
    if (cost)
        *cost = batch_cost;
    return result;
}

int bp_workers_step(bp_workers *workers, bp_optimizer *opt) {
    if (!workers || !opt)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !workers ? "workers" : "opt");
    if (opt->n_params != workers->net->n_params)
        return bp__fail(BP_EINVAL, __func__,
                        "the network has %zu parameters; the optimizer was made for %zu",
                        workers->net->n_params, opt->n_params);
    return bp__workers_step(workers, opt, __func__);
}

int bp_workers_train_step(bp_workers *workers, bp_optimizer *opt, const float *inputs,
                          const float *targets, size_t n, float *cost) {
    int rc = check_batch(workers, inputs, targets, n, __func__);
    if (rc == BP_OK && !opt)
        rc = bp__fail(BP_EINVAL, __func__, "opt is NULL");
    if (rc == BP_OK && opt->n_params != workers->net->n_params)
        rc = bp__fail(BP_EINVAL, __func__,
                      "the network has %zu parameters; the optimizer was made for %zu",
                      workers->net->n_params, opt->n_params);
    const bp_gradient_hook *hook = rc == BP_OK ? &workers->net->hook : NULL;
    if (hook && (hook->layer_ready || hook->before_step))
        rc = bp__fail(BP_EINVAL, __func__,
                      "a gradient hook is set; the fused step has no gradient to hand to it "
                      "(use bp_workers_gradient and bp_workers_step)");
    if (rc != BP_OK)
        return rc;
    float batch_cost;
    rc = run_batch(workers, opt, inputs, targets, n, n, &batch_cost, __func__);
    if (cost)
        *cost = batch_cost;
    return rc;
}
