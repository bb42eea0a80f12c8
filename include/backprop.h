/*
 * backprop.h - train multilayer perceptrons on the CPU by backpropagation in
 * matrix form, with every matrix product dispatched to OpenBLAS.
 *
 * This header is the reference manual. Every function says what it does,
 * what each parameter means (outputs are marked [out]), which codes it
 * returns, who owns memory, and what may run concurrently.
 *
 * Contents: the sections below, in this order, each under a banner with its name
 *   The mathematics, Conventions, Threads, Determinism: in this comment
 *   Version   with the ABI policy (docs/abi.md)
 *   Errors
 *   Network
 *   Cost functions
 *   Inference: batch products or row-invariant ones
 *   Parameters, gradients and sizes
 *   Gradient hook
 *   Initializers
 *   Optimizers
 *   Data sets: loading
 *   Data sets: preprocessing
 *   Training
 *   Worker threads
 *   Model files
 *   OpenBLAS
 *
 * The mathematics (3Blue1Brown, "Backpropagation calculus"), for a network of
 * L dense layers, layer l having n_l neurons and n_0 inputs:
 *
 *   z^(l) = W^(l) a^(l-1) + b^(l),   a^(l) = sigma_l(z^(l)),   a^(0) = x
 *   C_0   = sum_j (a^(L)_j - y_j)^2                (quadratic cost, no 1/2)
 *   delta^(L)   = sigma'(z^(L)) (*) 2 (a^(L) - y)
 *   delta^(l-1) = sigma'(z^(l-1)) (*) W^(l)T delta^(l)
 *   dC/dW^(l)   = delta^(l) a^(l-1)T,   dC/db^(l) = delta^(l)
 *
 * For a batch of n examples the cost is the mean of the per-example costs
 * and every gradient is the mean of the per-example gradients.
 *
 * Conventions
 * - W^(l) is n_l x n_(l-1), row-major: element (j, k) is w_jk, the weight from
 *   neuron k of layer l-1 to neuron j of layer l.
 * - A batch is row-major with one example per row: inputs are n x n_0 floats,
 *   targets and outputs are n x n_L floats.
 * - Every fallible function returns BP_OK (0) or a negative BP_E* code, and
 *   then bp_errmsg() describes the failure. The library never prints, never
 *   exits and never aborts on bad input.
 * - Caller-owned memory passed in is only read during the call; the library
 *   never keeps or frees it. Pointers the library hands out are borrowed:
 *   each function says until when they stay valid.
 *
 * Threads
 * - The library's one process-wide setting is the BLAS thread count; apart
 *   from it (and allocation counters kept for its tests), every call works
 *   only on the objects passed to it. The
 *   count is OpenBLAS's (openblas_set_num_threads) and, beside it, the
 *   count the blis kernels give each BLIS call (set together; BLIS itself
 *   is loaded once, on first use). It is written only here:
 *   bp_blas_set_threads and bp_plan_apply set it; bp_plan_measure sets each
 *   candidate's and puts back the count it found; bp_workers_create (so
 *   bp_train with workers > 1) sets it to 1 when it is not, and
 *   bp_workers_destroy (the end of that bp_train) puts back the count it
 *   found; and with the openblas kernels and more than one OpenBLAS thread,
 *   each sgemm of fewer than 2^20 multiply-adds sets OpenBLAS's to 1 for
 *   that one call and back after. With one thread (the advice below for
 *   callers running threads of their own) only those explicit calls
 *   change it.
 *   Calls on different networks, optimizers and data
 *   sets may run in different threads at the same time, including bp_train
 *   (tests/test_threads.c trains six networks at once and gets, bitwise, the
 *   weights of training them one after another, with OpenBLAS on one thread;
 *   on more, one call's count of 1 for a small sgemm may reach a product of
 *   another thread's call, which then differs in the last bits only).
 * - On one network, calls that take a const bp_net * (the size getters,
 *   bp_net_memory_bytes, bp_net_save, bp_optimizer_create) may run
 *   concurrently with each other. Every call that takes a bp_net * needs the
 *   network to itself, bp_net_forward included (it writes the network's
 *   workspace): to predict in several threads, give each its own network
 *   (bp_net_load it once per thread). The same holds for an optimizer.
 * - Memory that calls only read (inputs, targets, a const bp_dataset) may be
 *   shared by calls running at the same time.
 * - bp_errmsg() is per thread. Callbacks run in the thread that called
 *   bp_train.
 * - OpenBLAS runs its own pool of threads inside each product (by default one
 *   per core). A caller that runs threads of its own should give OpenBLAS one
 *   thread (bp_blas_set_threads(1)), or the two pools fight for the cores.
 *   Calls into OpenBLAS from several threads are serialized by a lock inside
 *   OpenBLAS's pthreads build. bp_blas_set_threads is process-wide and must
 *   not run while another thread is inside the library. The blis kernel set
 *   asks BLIS for the same count in each call (BLIS's OpenMP threads, or its
 *   serial build on one thread).
 *
 * Determinism
 * Float sums in another order give other bits, and OpenBLAS orders a
 * product's sums by its kernel (chosen by core type: bp_blas_core(),
 * OPENBLAS_CORETYPE), its thread count, the product's shape and a row's
 * place in it. So every bitwise claim below names what must stay fixed;
 * across anything else results agree to float rounding only, and the tests
 * compare them with tolerances derived from the computation.
 * - Training (bp_train, bp_net_gradient, bp_net_train_step, the workers):
 *   the same seeds, data, options, kernel set, core type, OpenBLAS thread
 *   count, worker count W and participant (rank) count give bitwise the same
 *   weights, run after run; with one OpenBLAS thread, also while other
 *   threads train other networks. Another core type, OpenBLAS thread count
 *   or OpenBLAS version may change the last bits of every product; another
 *   W or rank count sums the gradient in another order. The naive kernels
 *   depend on neither core type nor OpenBLAS threads (but still on W and the
 *   rank count). So may another kernel set or BLIS_ARCH_TYPE (the blis set).
 * - So a plan (bp_plan: kernel set x workers x BLAS threads) fixes the
 *   rounding, and a plan chosen by measurement (bp_plan_measure) depends on
 *   the machine and its load: fix the plan for bitwise-repeatable runs.
 * - Prediction with BP_INFERENCE_BATCH (the default of the library): a
 *   row's outputs depend, in the last bits, on the batch it is computed in
 *   (its size and the row's position), on the core type and on the OpenBLAS
 *   thread count; repeatable only for a fixed one of each.
 * - Prediction with BP_INFERENCE_INVARIANT (bp_net_set_inference): a row's
 *   outputs are the same bits alone, in any batch, at any position, under
 *   any core type, OpenBLAS thread count, worker or rank count and kernel
 *   set: the products use no OpenBLAS kernel and one fixed order of float
 *   operations. Between two CPUs they agree bitwise when both have AVX2 or
 *   both lack it (the sigmoid and tanh use glibc's AVX2 vector functions
 *   where the CPU has them, its scalar ones elsewhere) and the C library's
 *   expf and tanhf are the same version.
 * - Evaluation (bp_evaluate, bp_evaluate_regression) with
 *   BP_INFERENCE_INVARIANT: the accuracy counts argmaxes of invariant
 *   outputs, so it is the same at any batch size; the loss and metrics are
 *   sums of per-batch means, equal across batch sizes to rounding only.
 * - Files (bp_net_save, bp_optimizer_save) store the floats' bits: a model
 *   loaded on any machine has bitwise the parameters that were saved.
 */
#ifndef BACKPROP_H
#define BACKPROP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols marked BP_API are the library's exported interface. */
#if defined(BP_BUILDING_LIBRARY) && defined(__GNUC__)
#define BP_API __attribute__((visibility("default")))
#else
#define BP_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define BP_VERSION_MAJOR 0
#define BP_VERSION_MINOR 2
#define BP_VERSION_PATCH 0

/* The version as one number, MAJOR * 10000 + MINOR * 100 + PATCH (0.2.0 is
 * 200), for comparisons in the preprocessor: #if BP_VERSION_NUMBER >= 200. */
#define BP_VERSION_NUMBER (BP_VERSION_MAJOR * 10000 + BP_VERSION_MINOR * 100 + BP_VERSION_PATCH)

/* ABI policy. Within one SOVERSION (now libbackprop.so.0, and
 * libbackprop-mpi.so.0) a release only adds: functions, enum values, error
 * codes, and fields in the reserved space at the end of the public structs,
 * which must be zero in a struct the caller fills (start from its _default
 * function or {0}). The policy in full, struct by struct: docs/abi.md. */

/* The library's version as "MAJOR.MINOR.PATCH", of the library actually
 * linked (which may differ from the BP_VERSION_* of this header).
 * Returns a static string. Thread-safe. */
BP_API const char *bp_version(void);

/* The linked library's BP_VERSION_NUMBER, to compare with the header's: a
 * program that needs what a release added can refuse an older library of
 * the same SONAME (bp_version_number() < BP_VERSION_NUMBER). Thread-safe. */
BP_API unsigned bp_version_number(void);

/* The public structs, for bp_struct_size. Each value names one struct for
 * the life of the SOVERSION; a new struct gets a new value. */
typedef enum bp_struct_id {
    BP_STRUCT_LAYER = 1,
    BP_STRUCT_GRADIENT_HOOK = 2,
    BP_STRUCT_OPTIMIZER_CONFIG = 3,
    BP_STRUCT_DATASET = 4,
    BP_STRUCT_CSV_OPTIONS = 5,
    BP_STRUCT_SCALER = 6,
    BP_STRUCT_BATCH_REPORT = 7,
    BP_STRUCT_EPOCH_REPORT = 8,
    BP_STRUCT_COLLECTIVE = 9,
    BP_STRUCT_TRAIN_OPTIONS = 10,
    BP_STRUCT_REGRESSION_METRICS = 11,
    BP_STRUCT_PARALLELISM = 12,
    BP_STRUCT_PREPROCESSING = 13,
    BP_STRUCT_SCHEMA = 14,
    BP_STRUCT_PLAN = 15
} bp_struct_id;

/* The size in bytes of the struct `which` in the library actually linked:
 * what sizeof gives in a program built against the same release's header.
 * A program or a binding (python/backprop compares its ctypes mirrors with
 * it at import) can check the two agree before trusting the layout; only
 * the two reports may be larger than an older header's (see the policy).
 * Returns 0 for a value that names no struct. Thread-safe. */
BP_API size_t bp_struct_size(bp_struct_id which);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* X(NAME, value, description): the one list the enum, bp_strerror and
 * bp_err_name are generated from. */
#define BP_ERRNO_MAP(X)                                                                            \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(EOVERFLOW, -3, "size arithmetic overflows")                                                  \
    X(EBATCH, -4, "batch larger than the reserved workspace")                                      \
    X(ERANGE, -5, "index out of range")                                                            \
    X(EIO, -6, "file could not be opened, read or written")                                        \
    X(EFORMAT, -7, "malformed or unsupported file")                                                \
    X(ECHECKSUM, -8, "file checksum does not match its contents")                                  \
    X(ENONFINITE, -9, "a cost or a value is NaN or infinite")                                      \
    X(ECANCELED, -10, "stopped by the caller's callback")                                          \
    X(EPEER, -11, "another participant of a distributed run failed")                               \
    X(ECOMM, -12, "communication between the participants of a run failed")                        \
    X(ENOTSUP, -13, "not available in this build or on this machine")

typedef enum bp_error {
#define BP_ERROR_ENUM_(name, value, text) BP_##name = value,
    BP_ERRNO_MAP(BP_ERROR_ENUM_)
#undef BP_ERROR_ENUM_
} bp_error;

/* A one-line description of an error code ("invalid argument"), or
 * "unknown error" for a code not in the list. Returns a static string.
 * Thread-safe. */
BP_API const char *bp_strerror(int code);

/* The code's name ("BP_EINVAL"), or "BP_UNKNOWN" for a code not in the list.
 * Returns a static string. Thread-safe. */
BP_API const char *bp_err_name(int code);

/* A detailed message about the most recent failure of a bp_* call in the
 * calling thread, naming the function and the offending value, e.g.
 * "bp_net_gradient: batch of 300 examples exceeds the 256 reserved".
 * Returns "" if no call has failed in this thread. The string is owned by
 * the library and stays valid, in this thread, until the next failing call
 * in this thread. A successful call does not clear it. It holds up to 9215
 * bytes, room for two paths of PATH_MAX and the reason after them; a longer
 * message (a path longer than any the kernel accepts) is cut to that and
 * ends in "...". */
BP_API const char *bp_errmsg(void);

/* ------------------------------------------------------------------------ */
/* Network                                                                   */
/* ------------------------------------------------------------------------ */

/* Activation function sigma of a layer. Derivatives are computed from the
 * layer's output a, which is why the pre-activation z is never stored. */
typedef enum bp_activation {
    BP_ACT_IDENTITY = 0,   /* a = z;                  sigma' = 1 */
    BP_ACT_SIGMOID = 1,    /* a = 1 / (1 + e^-z);     sigma' = a (1 - a) */
    BP_ACT_TANH = 2,       /* a = tanh z;             sigma' = 1 - a^2 */
    BP_ACT_RELU = 3,       /* a = max(0, z);          sigma' = (z > 0) */
    BP_ACT_LEAKY_RELU = 4, /* a = z > 0 ? z : s z;    sigma' = z > 0 ? 1 : s */
    BP_ACT_SOFTMAX = 5     /* a_j = e^z_j / sum_k e^z_k, over the layer; output layer only */
} bp_activation;

/* The slope s of BP_ACT_LEAKY_RELU for negative inputs (PyTorch's default). */
#define BP_LEAKY_RELU_SLOPE 0.01f

/* Which implementation computes the three matrix products of each layer.
 * All compute the same function, to float rounding; the naive loops are the
 * reference the BLAS kernels are tested and benchmarked against. */
typedef enum bp_kernels {
    BP_KERNELS_OPENBLAS = 0, /* cblas_sgemv/sger for one example, sgemm for a batch */
    BP_KERNELS_NAIVE = 1,    /* plain loops, no BLAS */
    /* BLIS's typed API (bli_sgemv/sger/sgemm), whose "sup" kernels multiply
     * small and skinny matrices without packing them: faster than OpenBLAS
     * at batches of about 32 to 128 on some CPUs. Optional: the library
     * loads libblis.so.4 (Debian's libblis4) when a network first asks for
     * it, with its symbols kept to itself, so the openblas set's cblas_*
     * stay OpenBLAS's. Unavailable in a build without BLIS (meson
     * -Dblis=disabled) or where libblis.so.4 cannot be loaded:
     * bp_kernels_available says, and the functions taking a kernel set
     * return BP_ENOTSUP. BLIS chooses its kernels from the CPU, or from the
     * environment variable BLIS_ARCH_TYPE (an id: 0 skx, 3 haswell, 6 zen3,
     * ...); BLIS 0.9 runs its slow "generic" kernels on CPUs newer than it
     * knows (bp_kernels_core names the choice). */
    BP_KERNELS_BLIS = 2
} bp_kernels;

/* 1 when the kernel set can be used in this process (openblas and naive
 * always; blis when the library was built with it and libblis.so.4
 * loads), else 0, also for a value that names no kernel set. The first call
 * for BP_KERNELS_BLIS loads BLIS. Thread-safe. */
BP_API int bp_kernels_available(bp_kernels kernels);

/* The CPU kernels the set runs: OpenBLAS's core (bp_blas_core()), BLIS's
 * sub-configuration ("zen3", "skx", "haswell", "generic"...), "loops" for
 * the naive set; "unavailable" for blis when it is not, "unknown" for a
 * value that names no kernel set. A static string. Thread-safe. */
BP_API const char *bp_kernels_core(bp_kernels kernels);

/* A network of dense layers: parameters, gradients and the workspace of the
 * forward and backward passes. Opaque. */
typedef struct bp_net bp_net;

/* Creates a network of n_layers dense layers.
 *
 *   out          [out] the new network; set to NULL on failure.
 *   n_layers     L, the number of dense layers, at least 1.
 *   sizes        L + 1 sizes: sizes[0] is the number of inputs, sizes[l] the
 *                number of neurons of layer l. Each at least 1 and at most
 *                INT_MAX (the BLAS index type).
 *   activations  L activations: activations[l - 1] is layer l's.
 *   kernels      BP_KERNELS_OPENBLAS, BP_KERNELS_NAIVE or BP_KERNELS_BLIS.
 *   seed         seeds the network's own random generator. Weights and biases
 *                are drawn uniformly from [-1/sqrt(n_(l-1)), 1/sqrt(n_(l-1))]
 *                (PyTorch's default for a dense layer). The same seed and
 *                sizes always give the same parameters.
 *
 * The network starts with workspace for one example; bp_net_reserve() makes
 * room for larger batches. The library copies sizes and activations.
 *
 * The network starts with the quadratic cost; see bp_net_set_loss.
 *
 * Returns BP_OK; BP_EINVAL for a NULL pointer, n_layers == 0, a size of 0 or
 * over INT_MAX, an unknown activation or kernel set, or BP_ACT_SOFTMAX in a
 * layer other than the last; BP_ENOTSUP for a kernel set that is not
 * available (bp_kernels_available); BP_EOVERFLOW when the
 * parameter count in bytes overflows size_t; BP_ENOMEM. */
BP_API int bp_net_create(bp_net **out, size_t n_layers, const size_t *sizes,
                         const bp_activation *activations, bp_kernels kernels, uint64_t seed);

/* Frees the network and everything it owns. Accepts NULL. Pointers borrowed
 * from the network become invalid. */
BP_API void bp_net_destroy(bp_net *net);

/* Reserves workspace for batches of up to max_batch examples, so that
 * forward, gradient and step never allocate. Replaces the current workspace
 * (shrinking it too). The parameters and gradients are kept.
 * Memory reserved: 4 * max_batch * (n_1 + ... + n_L + 2 * max(n_1..n_L))
 * bytes, plus alignment padding.
 *
 * Returns BP_OK; BP_EINVAL for a NULL net or max_batch == 0 or over INT_MAX;
 * BP_EOVERFLOW; BP_ENOMEM, in which case the previous workspace is kept. */
BP_API int bp_net_reserve(bp_net *net, size_t max_batch);

/* Computes the network's outputs for a batch.
 *
 *   inputs   n x n_0 floats, row-major, one example per row. Must not lie in
 *            memory the network owns (its outputs or its blocks): copy a
 *            previous call's outputs before feeding them back.
 *   n        the number of examples, 1 <= n <= bp_net_max_batch(net).
 *            n == 1 runs cblas_sgemv per layer, n > 1 cblas_sgemm (with
 *            BP_INFERENCE_BATCH; see bp_inference for the other mode).
 *   outputs  [out] set to the n x n_L outputs, row-major. Borrowed from the
 *            network: valid until the next call of bp_net_forward,
 *            bp_net_gradient, bp_net_train_step, bp_net_cost, bp_train,
 *            bp_evaluate, bp_net_reserve or bp_net_destroy on this network.
 *            May be NULL.
 *
 * Allocates nothing. Returns BP_OK; BP_EINVAL for a NULL net or inputs,
 * n == 0, or inputs overlapping the network's memory; BP_EBATCH when n
 * exceeds the reserved batch; BP_EOVERFLOW when n x n_0 floats do not fit
 * in size_t (possible only where size_t has 32 bits). */
BP_API int bp_net_forward(bp_net *net, const float *inputs, size_t n, const float **outputs);

/* Runs the forward and the backward pass on a batch and stores the gradient
 * of the batch cost C = (1/n) sum_examples C_0 with respect to every weight
 * and bias in the network's gradient block (overwriting it). C_0 is the
 * network's cost (bp_net_set_loss): sum_j (a_j - y_j)^2 unless set otherwise.
 *
 *   inputs   n x n_0 floats, row-major.
 *   targets  n x n_L floats, row-major: the desired outputs y.
 *            Neither may lie in memory the network owns (see bp_net_forward).
 *   n        1 <= n <= bp_net_max_batch(net).
 *   cost     [out] the batch cost C, before any step. May be NULL.
 *
 * Allocates nothing. Returns BP_OK; BP_EINVAL for a NULL net, inputs or
 * targets, n == 0, or inputs or targets overlapping the network's memory;
 * BP_EBATCH when n exceeds the reserved batch; BP_EOVERFLOW as for
 * bp_net_forward; BP_ENONFINITE when the cost (as a float) is NaN or
 * infinite, with the gradient block left as it was, or when the gradient
 * is, with the gradient block holding it. The cost is stored either way. */
BP_API int bp_net_gradient(bp_net *net, const float *inputs, const float *targets, size_t n,
                           float *cost);

/* Takes one step of gradient descent over every parameter:
 * theta <- theta - learning_rate * dC/dtheta, with the gradient block as last
 * computed by bp_net_gradient (zero before the first one).
 *
 * Allocates nothing. Returns BP_OK; BP_EINVAL for a NULL net or a
 * learning_rate that is negative or not finite. */
BP_API int bp_net_step(bp_net *net, float learning_rate);

/* One step of gradient descent on a batch: the result of bp_net_gradient
 * followed by bp_net_step, up to rounding, in fewer passes over memory. Each
 * layer's gradient is applied as soon as it is known, by the product itself
 * (cblas_sgemm with alpha = -learning_rate and beta = 1 on W; cblas_sger for
 * one example), so the gradient block is neither written nor read: it keeps
 * what it held. Use bp_net_gradient for the gradient itself (an optimizer
 * other than plain descent, a check of the gradient before stepping).
 * cost [out] is the batch cost before the step; may be NULL.
 * Allocates nothing. Returns what those two return; a rejected call changes
 * nothing. BP_ENONFINITE, with no step taken, when an input or a target is
 * NaN or infinite or the cost is not finite. (A gradient that overflows
 * while the cost stays finite cannot be caught before the fused step;
 * divergence shows in the cost first. Nor can a step that itself overflows,
 * a learning rate near FLT_MAX times a finite gradient: the next call
 * refuses. bp_train checks the gradient too.) */
BP_API int bp_net_train_step(bp_net *net, const float *inputs, const float *targets, size_t n,
                             float learning_rate, float *cost);

/* ------------------------------------------------------------------------ */
/* Cost functions                                                            */
/* ------------------------------------------------------------------------ */

/* The per-example cost C_0 that bp_net_gradient differentiates. */
typedef enum bp_loss {
    /* C_0 = sum_j (a_j - y_j)^2, any output activation. With BP_ACT_SOFTMAX
     * the output delta goes through the softmax Jacobian:
     * delta_j = a_j (g_j - sum_k a_k g_k), g = 2 (a - y). */
    BP_LOSS_QUADRATIC = 0,
    /* C_0 = -sum_j y_j log a_j with a = softmax(z): needs BP_ACT_SOFTMAX in the
     * output layer. Computed from the logits z with log-sum-exp, so it stays
     * finite however large z grows: C_0 = sum_j y_j (lse(z) - z_j), and the
     * output delta is a (sum_j y_j) - y, which is a - y for one-hot targets. */
    BP_LOSS_CROSS_ENTROPY = 1
} bp_loss;

/* Sets the cost the network's gradient is taken of.
 * Returns BP_OK; BP_EINVAL for a NULL net, an unknown loss, or
 * BP_LOSS_CROSS_ENTROPY on a network whose output layer is not
 * BP_ACT_SOFTMAX. */
BP_API int bp_net_set_loss(bp_net *net, bp_loss loss);

/* The network's cost function; BP_LOSS_QUADRATIC for a NULL net. */
BP_API bp_loss bp_net_loss(const bp_net *net);

/* Switches the kernel set that computes the network's products from now on
 * (a plan does: bp_plan_measure). The parameters are kept; results
 * change in the last bits (see Determinism). A worker pool of the network
 * follows at its next call. Not while another call uses the network.
 * Returns BP_OK; BP_EINVAL (NULL net, unknown set); BP_ENOTSUP (a set that
 * is not available). */
BP_API int bp_net_set_kernels(bp_net *net, bp_kernels kernels);

/* The network's kernel set; BP_KERNELS_OPENBLAS for a NULL net. */
BP_API bp_kernels bp_net_kernels(const bp_net *net);

/* The forward pass and the batch cost C (the mean over the n examples of
 * C_0), without the backward pass: for evaluation. Leaves the gradient block
 * as it was.
 *
 *   inputs, targets, n  as for bp_net_gradient.
 *   cost     [out] the batch cost. Required.
 *   outputs  [out] the n x n_L outputs (probabilities for a softmax output),
 *            borrowed as for bp_net_forward. May be NULL.
 *
 * Allocates nothing. Returns what bp_net_gradient returns, and BP_EINVAL
 * for a NULL cost. */
BP_API int bp_net_cost(bp_net *net, const float *inputs, const float *targets, size_t n,
                       float *cost, const float **outputs);

/* ------------------------------------------------------------------------ */
/* Inference: batch products or row-invariant ones                           */
/* ------------------------------------------------------------------------ */

/* How the forward-only calls (bp_net_forward, bp_net_cost, bp_net_predict,
 * bp_net_predict_output, bp_evaluate, bp_evaluate_regression, and
 * bp_train's evaluation of its test set) compute each layer's product
 * Z = A_prev W^T. Training's own passes (bp_net_gradient, bp_net_train_step,
 * bp_train's steps, the workers) always use the network's kernel set.
 *
 * OpenBLAS's products are not row-invariant: a row's sums are split and
 * ordered by the product's shape, the row's position in it, the kernel
 * (OPENBLAS_CORETYPE) and the thread count, so the same example gets
 * outputs a few float ulps apart alone, in a batch of 100, or in another
 * order. BP_INFERENCE_INVARIANT computes every element in one fixed order
 * of float operations that involves only that example's row and the
 * weights (8 interleaved partial sums, no fused multiply-add, a fixed tree
 * to add them): each example's outputs are the same bits alone, in any
 * batch, at any position, under any OPENBLAS_CORETYPE or thread count, with
 * either kernel set. It runs on one thread, with AVX2 where the CPU has it
 * (portable loops elsewhere, the same bits); the README gives its speed
 * against the batch path. It needs no memory beyond the workspace. */
typedef enum bp_inference {
    /* The kernel set's products: cblas_sgemm for a batch, cblas_sgemv for
     * one example (or the naive loops). Fastest; a row's outputs may differ
     * in the last bits with the batch around it. The default. */
    BP_INFERENCE_BATCH = 0,
    /* The fixed-order product above: batch- and order-invariant. */
    BP_INFERENCE_INVARIANT = 1
} bp_inference;

/* Sets how the network's forward-only calls compute (see bp_inference).
 * Not saved with the model: bp_net_create and bp_net_load give
 * BP_INFERENCE_BATCH. Returns BP_OK; BP_EINVAL for a NULL net or an
 * unknown mode (the network keeps its mode). */
BP_API int bp_net_set_inference(bp_net *net, bp_inference mode);

/* The network's inference mode; BP_INFERENCE_BATCH for a NULL net. */
BP_API bp_inference bp_net_inference(const bp_net *net);

/* ------------------------------------------------------------------------ */
/* Parameters, gradients and sizes                                           */
/* ------------------------------------------------------------------------ */

/* The parameter block: all weights and biases in one contiguous array,
 * layer by layer, each layer's W (n_l x n_(l-1), row-major) followed by its
 * b (n_l). The gradient block has the same layout.
 *
 *   params  [out] the block, borrowed: the caller may read and write it
 *           until bp_net_destroy. Writing changes the network.
 *   count   [out] the number of floats in it. May be NULL.
 *
 * Returns BP_OK; BP_EINVAL for a NULL net or params. */
BP_API int bp_net_params(bp_net *net, float **params, size_t *count);

/* The gradient block, laid out as the parameter block; see bp_net_params.
 * Holds the gradient of the last bp_net_gradient call, zero before it
 * (bp_net_train_step leaves it alone). */
BP_API int bp_net_grads(bp_net *net, float **grads, size_t *count);

/* One layer's view into the parameter and gradient blocks. */
typedef struct bp_layer {
    size_t inputs;  /* n_(l-1): columns of W */
    size_t outputs; /* n_l: rows of W, length of b */
    bp_activation activation;
    float *weights;      /* W, outputs x inputs, row-major: w_jk at [j * inputs + k] */
    float *bias;         /* b, outputs */
    float *weight_grads; /* dC/dW, same shape as W */
    float *bias_grads;   /* dC/db, outputs */
    /* Reserved for fields of later versions; bp_net_layer writes it (zeros).
     * See the ABI policy (docs/abi.md). */
    uint64_t reserved[4];
} bp_layer;

/* Describes layer `index` (0 for the first layer after the inputs, up to
 * bp_net_num_layers(net) - 1).
 *
 *   layer  [out] sizes, activation and pointers into the blocks, borrowed
 *          until bp_net_destroy.
 *
 * Returns BP_OK; BP_EINVAL for a NULL net or layer; BP_ERANGE for an index
 * out of range. */
BP_API int bp_net_layer(bp_net *net, size_t index, bp_layer *layer);

/* Sizes of the network. Each returns 0 for a NULL net. */
BP_API size_t bp_net_num_layers(const bp_net *net);  /* L */
BP_API size_t bp_net_num_inputs(const bp_net *net);  /* n_0 */
BP_API size_t bp_net_num_outputs(const bp_net *net); /* n_L */
BP_API size_t bp_net_num_params(const bp_net *net);  /* floats in the parameter block */
BP_API size_t bp_net_max_batch(const bp_net *net);   /* as last reserved */

/* Bytes of memory the network holds: parameters, gradients, workspace and
 * its own bookkeeping. Returns 0 for a NULL net. */
BP_API size_t bp_net_memory_bytes(const bp_net *net);

/* ------------------------------------------------------------------------ */
/* Gradient hook                                                             */
/* ------------------------------------------------------------------------ */

/* Hands each layer's gradient to the caller as soon as it is final, so that
 * communication (an allreduce per bucket of layers, as libbackprop-mpi
 * does) overlaps the rest of the backward pass.
 *
 * layer_ready(user, layer, offset, count) is called by bp_net_gradient (and
 * bp_train) once per layer, output layer first, as soon as that layer's dW
 * and db are final: they are the `count` floats at grads + offset of the
 * gradient block (W's gradient, then b's; bp_net_layer's index `layer`).
 * Nothing of the library reads or writes those floats again until
 * before_step has returned. Every call of bp_net_gradient on a valid net
 * hands out every layer exactly once, even when it fails: a layer it could
 * not compute holds NaN (zero for an empty share in bp_train). So a hook
 * that starts a collective per layer stays matched across processes.
 *
 * before_step(user) is called once after each such gradient, before the
 * gradient block is next used: by bp_optimizer_step and bp_net_step at
 * their start (even when they then refuse to step), by bp_train before it
 * checks the gradient, and by the next bp_net_gradient if no step came
 * between. It completes
 * whatever layer_ready started (waits for the reductions); the gradient
 * block then holds the gradient to step with. It returns 0, or a negative
 * BP_E* code that the step then returns (any other value: BP_ECOMM).
 *
 * With a hook set, bp_net_gradient does not check the gradient block for
 * NaN or infinity (it may be in flight); bp_train checks it after
 * before_step. bp_net_train_step has no gradient to hand out and returns
 * BP_EINVAL while a hook is set.
 *
 * This table keeps its three fields for the life of the SOVERSION, with no
 * reserved space (see the ABI policy): it may be written by position. */
typedef struct bp_gradient_hook {
    void (*layer_ready)(void *user, size_t layer, size_t offset, size_t count); /* may be NULL */
    int (*before_step)(void *user);                                             /* may be NULL */
    void *user;
} bp_gradient_hook;

/* Sets the network's gradient hook (the library copies *hook), or removes
 * it when hook is NULL. Returns BP_OK; BP_EINVAL for a NULL net. */
BP_API int bp_net_set_gradient_hook(bp_net *net, const bp_gradient_hook *hook);

/* ------------------------------------------------------------------------ */
/* Initializers                                                              */
/* ------------------------------------------------------------------------ */

/* How bp_net_initialize draws a layer's weights W (n_l x n_(l-1)); fan_in is
 * n_(l-1), fan_out n_l. */
typedef enum bp_init {
    /* W and b uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)]: what
     * bp_net_create does, and the same numbers for the same seed. */
    BP_INIT_UNIFORM = 0,
    /* Xavier/Glorot: W uniform in [-sqrt(6/(fan_in+fan_out)), +sqrt(...)], b = 0.
     * For sigmoid and tanh layers. */
    BP_INIT_XAVIER = 1,
    /* He/Kaiming: W normal with mean 0 and variance 2/fan_in, b = 0.
     * For ReLU layers. */
    BP_INIT_HE = 2,
    /* Orthogonal (Saxe et al.): W has orthonormal rows (fan_out <= fan_in) or
     * columns (otherwise), from the QR factorization of a matrix of standard
     * normal draws, signs fixed by diag(R) (LAPACKE_sgeqrf + LAPACKE_sorgqr);
     * b = 0. */
    BP_INIT_ORTHOGONAL = 3
} bp_init;

/* Draws every layer's weights and biases anew with `init`, from `seed`
 * (the same seed, sizes and init give the same parameters). Zeroes the
 * gradient block. Allocates a temporary matrix for BP_INIT_ORTHOGONAL.
 * Returns BP_OK; BP_EINVAL for a NULL net or an unknown init; BP_ENOMEM;
 * BP_EOVERFLOW. On failure the parameters may be partly redrawn. */
BP_API int bp_net_initialize(bp_net *net, bp_init init, uint64_t seed);

/* ------------------------------------------------------------------------ */
/* Optimizers                                                                */
/* ------------------------------------------------------------------------ */

/* The update rule, applied to the flat parameter block theta with the
 * gradient block g (after weight decay: g <- g + lambda theta). */
typedef enum bp_optimizer_kind {
    BP_OPT_SGD = 0,      /* theta <- theta - eta g */
    BP_OPT_MOMENTUM = 1, /* v <- mu v + g;  theta <- theta - eta v */
    BP_OPT_NESTEROV = 2, /* v <- mu v + g;  theta <- theta - eta (g + mu v) */
    /* m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
     * theta <- theta - eta (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
     * where the bias corrections count steps from t = 1 */
    BP_OPT_ADAM = 3
} bp_optimizer_kind;

/* The learning rate eta_t of step t (t = 0 for the first step). */
typedef enum bp_schedule {
    BP_SCHEDULE_CONSTANT = 0, /* eta_t = eta */
    BP_SCHEDULE_STEP = 1,     /* eta_t = eta * gamma^floor(t / step_size) */
    BP_SCHEDULE_COSINE = 2    /* eta_t = eta (1 + cos(pi min(t, T) / T)) / 2, T = total_steps */
} bp_schedule;

typedef struct bp_optimizer_config {
    bp_optimizer_kind kind;
    float learning_rate; /* eta > 0 */
    float momentum;      /* mu in [0, 1), MOMENTUM and NESTEROV */
    float beta1, beta2;  /* in [0, 1), ADAM */
    float epsilon;       /* > 0, ADAM */
    float weight_decay;  /* lambda >= 0; 0 for none */
    bp_schedule schedule;
    uint64_t step_size;   /* STEP: steps between decays, >= 1 */
    float gamma;          /* STEP: decay factor in (0, 1] */
    uint64_t total_steps; /* COSINE: T >= 1 */
    /* Reserved for fields of later versions: must be zero (bp_optimizer_create
     * checks; bp_optimizer_config_default zeroes it). See the ABI policy. */
    uint64_t reserved[8];
} bp_optimizer_config;

/* An optimizer: its configuration, its step count t and its state
 * (velocity, or Adam's two moments) over one network's parameter block. */
typedef struct bp_optimizer bp_optimizer;

/* Fills *config with the usual defaults for `kind`: eta 0.01 (Adam 0.001),
 * mu 0.9, beta1 0.9, beta2 0.999, epsilon 1e-8, no weight decay, constant
 * rate, step_size 1, gamma 1, total_steps 1. Does nothing for a NULL config. */
BP_API void bp_optimizer_config_default(bp_optimizer_config *config, bp_optimizer_kind kind);

/* Creates an optimizer for networks of net's parameter count; state starts
 * at zero and t at 0. The library copies the config.
 *   out  [out] the optimizer; NULL on failure.
 * Returns BP_OK; BP_EINVAL for a NULL pointer or a value out of the ranges
 * above; BP_EOVERFLOW; BP_ENOMEM. */
BP_API int bp_optimizer_create(bp_optimizer **out, const bp_net *net,
                               const bp_optimizer_config *config);

/* Frees the optimizer. Accepts NULL. */
BP_API void bp_optimizer_destroy(bp_optimizer *opt);

/* Takes one step on net's parameters with its gradient block (as last
 * computed by bp_net_gradient), then t <- t + 1. Allocates nothing.
 * Returns BP_OK; BP_EINVAL for a NULL pointer or a net whose parameter count
 * differs from the one the optimizer was created for. */
BP_API int bp_optimizer_step(bp_optimizer *opt, bp_net *net);

/* The learning rate the next step will use (eta_t); 0 for NULL. */
BP_API float bp_optimizer_learning_rate(const bp_optimizer *opt);

/* The number of steps taken, t; 0 for NULL. */
BP_API uint64_t bp_optimizer_steps(const bp_optimizer *opt);

/* The optimizer's configuration; NULL for NULL. Borrowed until destroy. */
BP_API const bp_optimizer_config *bp_optimizer_get_config(const bp_optimizer *opt);

/* Bytes the optimizer holds (state and bookkeeping); 0 for NULL. */
BP_API size_t bp_optimizer_memory_bytes(const bp_optimizer *opt);

/* Saves the configuration, t and the state to `path`, atomically (see
 * bp_net_save), so that training can resume exactly where it stopped.
 * Returns BP_OK; BP_EINVAL; BP_ENONFINITE (a state value is NaN or
 * infinite: nothing is written); BP_EIO. */
BP_API int bp_optimizer_save(const bp_optimizer *opt, const char *path);

/* Writes the bytes bp_optimizer_save would write to a file into the
 * caller's memory, with the same arguments, size query and guarantees as
 * bp_net_save_memory. Allocates nothing. Returns BP_OK; BP_EINVAL (NULL opt
 * or size, NULL buffer with capacity > 0, or capacity below *size);
 * BP_ENONFINITE (a state value is NaN or infinite: nothing written). */
BP_API int bp_optimizer_save_memory(const bp_optimizer *opt, void *buffer, size_t capacity,
                                    size_t *size);

/* Replaces opt's configuration, t and state with those saved in `path`.
 * The file must be for the same parameter count; it may be for another kind
 * (opt becomes that kind, its state reallocated). On any failure opt is left
 * as it was. Returns BP_OK; BP_EINVAL (NULL pointer, or a file for another
 * parameter count); BP_EIO; BP_EFORMAT (also an invalid configuration or a
 * non-finite state value); BP_ECHECKSUM; BP_ENOMEM. */
BP_API int bp_optimizer_load(bp_optimizer *opt, const char *path);

/* The same as bp_optimizer_load, from the `size` bytes of an optimizer file
 * at `data` (only read, not kept; NULL allowed when size is 0). Returns as
 * bp_optimizer_load, without BP_EIO. */
BP_API int bp_optimizer_load_memory(bp_optimizer *opt, const void *data, size_t size);

/* ------------------------------------------------------------------------ */
/* Data sets: loading                                                        */
/* ------------------------------------------------------------------------ */

/* Examples held in memory: labeled for classification, or with float
 * targets for regression. Filled by the loaders below, which allocate the
 * arrays; release with bp_dataset_free. A zero-initialized bp_dataset is
 * empty and may be freed.
 *
 * A classification set has labels (and targets NULL, outputs 0); a
 * regression set has targets (and labels NULL, classes 0): bp_train,
 * bp_evaluate and bp_dataset_batch tell them apart by `targets`. A caller
 * may fill the struct with its own arrays (and then not call
 * bp_dataset_free on it). */
typedef struct bp_dataset {
    size_t count;     /* examples */
    size_t features;  /* inputs per example */
    size_t classes;   /* labels are 0 .. classes - 1 */
    float *inputs;    /* count x features, row-major */
    uint32_t *labels; /* count; NULL in a regression set */
    /* Regression: `outputs` target values per example, count x outputs
     * floats, row-major, trained against the network's outputs with its
     * cost (use BP_LOSS_QUADRATIC and an identity output layer). */
    size_t outputs;
    float *targets;
    /* Classification sets made by bp_dataset_load_csv_with or
     * bp_labels_map: class c stands for the label text class_names[c]
     * (classes entries, in the order of the classes). NULL otherwise. */
    char **class_names;
    /* Sets made by bp_dataset_load_csv_with: header is 1 when the file's
     * first line was a header, 0 when it was data. With a header, the
     * names of the feature columns (features entries, in the order of the
     * inputs), of the label column or the target columns (1 or outputs
     * entries, in the order of the targets) and of the skipped leading
     * columns (bp_csv_options.skip_columns entries), each as the header
     * has it (blanks and surrounding quotes removed; maybe empty); NULL
     * without a header. Each array is one block freed by bp_dataset_free. */
    size_t header;
    char **feature_names;
    char **output_names;
    char **skipped_names;
    /* Reserved for fields of later versions: must be zero. The loaders
     * zero it; the functions that read a set check it. See the ABI policy. */
    uint64_t reserved[4];
} bp_dataset;

/* Loads IDX files (the MNIST format): `images` of unsigned bytes with 1 to
 * 4 dimensions (count, then the dimensions of one example, whose product is
 * `features`), and `labels` of unsigned bytes with one dimension, the same
 * count. Either may be gzip-compressed (read through zlib; several gzip
 * members one after another are one file, as `cat a.gz b.gz` makes; other
 * bytes after the last one are BP_EFORMAT) or plain.
 * classes is the largest label + 1. Inputs are the raw bytes 0..255 as
 * floats; see bp_dataset_fit_scaling.
 *   out  [out] the data set; left empty on failure.
 * Returns BP_OK; BP_EINVAL (NULL pointer); BP_EIO (cannot open or read);
 * BP_EFORMAT (bad magic, unsupported type, wrong number of dimensions, a
 * zero dimension, sizes that overflow, truncated or overlong data, counts
 * that differ between the two files); BP_ENOMEM. bp_errmsg() names the file
 * and the problem. */
BP_API int bp_dataset_load_idx(bp_dataset *out, const char *images, const char *labels);

/* The same as bp_dataset_load_idx under a cap on memory: the set it would
 * load (4 bytes per input value and per label) may take at most
 * max_input_bytes bytes, 0 meaning the default, a quarter of the machine's
 * physical memory and at least 64 MiB (bp_dataset_load_idx's cap too).
 * Each file's header is checked against the cap before any of its data is
 * read, inflated or allocated, so a header's claim or a gzip bomb costs
 * nothing; the data, decompressed, may not exceed what the header claims.
 * The loader's peak memory is about 1.25 times the loaded set (the raw
 * bytes beside the floats), so at most 1.25 max_input_bytes.
 * Returns as bp_dataset_load_idx; a set over the cap is BP_EFORMAT, the
 * message naming the claim and the cap. */
BP_API int bp_dataset_load_idx_limit(bp_dataset *out, const char *images, const char *labels,
                                     uint64_t max_input_bytes);

/* The same as bp_dataset_load_idx, from two IDX files in memory: the
 * `images_size` bytes at `images` and the `labels_size` bytes at `labels`,
 * each plain or gzip-compressed (by its first bytes, 1f 8b), read by the
 * same code as files. The blocks are only read, not kept; either may be
 * NULL when its size is 0. bp_errmsg() names them "<memory: images>" and
 * "<memory: labels>". Returns as bp_dataset_load_idx, without BP_EIO. */
BP_API int bp_dataset_load_idx_memory(bp_dataset *out, const void *images, size_t images_size,
                                      const void *labels, size_t labels_size);

/* Loads a CSV file of numbers, one example per line, comma-separated, with
 * the label (an integer >= 0) in column `label_column` (0-based) and every
 * other column a feature. The first line is a header, and skipped, by
 * BP_CSV_HEADER_AUTO's rule: every field a word ("label,x,y"); the column
 * indices "0,1,2" are an error (a header or data? use
 * bp_dataset_load_csv_with to say); numbers and words mixed ("1,2,x7") are
 * a data row with a mistake. Fields are read as by bp_dataset_load_csv_with, under
 * bp_input_limit_default(). Empty lines at the end are ignored. classes is
 * the largest label + 1 (bp_dataset_load_csv_with maps labels instead). Labels above 65535 are
 * rejected, so a typo cannot make millions of classes. Returns as bp_dataset_load_idx, and
 * BP_EINVAL for a label_column past the last column; BP_EFORMAT names the line and (1-based) column
 * of a field that is not a finite number, a row with another column count, or a label that is not
 * an integer 0..65535. */
BP_API int bp_dataset_load_csv(bp_dataset *out, const char *path, size_t label_column);

/* The same as bp_dataset_load_csv, from the `size` bytes of CSV text at
 * `data` (no terminating NUL needed; a NUL byte inside is BP_EFORMAT). data
 * is only read, not kept; it may be NULL when size is 0. bp_errmsg() names
 * it "<memory>". Returns as bp_dataset_load_csv; BP_EIO only if the C
 * library cannot make a stream of the memory. */
BP_API int bp_dataset_load_csv_memory(bp_dataset *out, const void *data, size_t size,
                                      size_t label_column);

/* What a model predicts, and what a CSV loader reads from the label
 * column(s). */
typedef enum bp_task {
    BP_TASK_CLASSIFICATION = 0, /* one label column: text mapped to classes */
    BP_TASK_REGRESSION = 1      /* one or more columns of float targets */
} bp_task;

/* Whether the first line of a CSV file is a header. */
typedef enum bp_csv_header {
    /* A header when every field of the first line is a word (not a
     * number; empty fields aside); data when it holds numbers. A first
     * line whose fields are exactly the column indices 0, 1, .., k (empty
     * fields aside), as dataframe writers emit them, could be either: it
     * is an error (BP_EFORMAT) asking for BP_CSV_HEADER_PRESENT or
     * BP_CSV_HEADER_ABSENT, never a guess. A first line with numbers and
     * words is a data row, and its words are errors naming the line and
     * column. */
    BP_CSV_HEADER_AUTO = 0,
    BP_CSV_HEADER_PRESENT = 1, /* the first line is a header, whatever it holds */
    BP_CSV_HEADER_ABSENT = 2   /* the first line is data */
} bp_csv_header;

/* How bp_dataset_load_csv_with reads a file. Fill with
 * bp_csv_options_default, then change what differs. */
typedef struct bp_csv_options {
    char delimiter;       /* ',' by default; any byte but '\n', '\r', '"' and NUL */
    bp_csv_header header; /* BP_CSV_HEADER_AUTO */
    size_t skip_columns;  /* leading columns ignored (a row index); 0 */
    bp_task task;         /* BP_TASK_CLASSIFICATION */
    /* The label column (classification) or the target columns
     * (regression), comma-separated: 0-based indices counting every column
     * of the file, header names, or "last". NULL: "0". */
    const char *label;
    /* No label at all: every column but the skipped ones is a feature
     * (data to predict). With feature_names and a header, the columns the
     * label field names by header name (a trained model's label or
     * targets) are left out when the file has them, so that a file laid
     * out like the training file predicts as it is. 0 (false). */
    int features_only;
    /* An empty feature field (or NA, NaN, ?) gets its column's mean over
     * the file. false: it is an error naming the line and column. Labels
     * and targets are never imputed. 0 (false). */
    int impute_mean;
    /* Classification: at most this many distinct labels; 0: 65536. */
    size_t max_classes;
    /* Caps a line's bytes and the parsed data's bytes (the arrays the set
     * holds); 0: bp_input_limit_default(). */
    uint64_t max_input_bytes;
    /* Classification with known classes (a test set of a trained model):
     * class c is class_names[c], `classes` of them; a label not among them
     * is an error naming its line. NULL: classes from this file. */
    char *const *class_names;
    size_t classes;
    /* Inputs by name (a trained model's input columns, feature_count of
     * them). When the file has a header, feature j is the column named
     * feature_names[j], wherever it stands; a column that is none of
     * them, nor the label or a target, nor skipped, is an error naming
     * it, and so is a name no column has or two columns of one name.
     * Without a header the columns are taken in order and there must be
     * feature_count of them. NULL: every other column is a feature, in
     * order. */
    char *const *feature_names;
    size_t feature_count;
    /* Classification: a row whose label is missing (empty, NA, N/A, NaN
     * or ?) is left out. 0 (false): it is an error naming its line. */
    int drop_missing_labels;
    /* Reserved for fields of later versions: must be zero (the loaders
     * check; bp_csv_options_default zeroes it). See the ABI policy. */
    uint64_t reserved[5];
} bp_csv_options;

/* Fills *options with the defaults above. Does nothing for NULL. */
BP_API void bp_csv_options_default(bp_csv_options *options);

/* The default cap on the bytes a loader reads into memory: a quarter of
 * the machine's physical memory, at least 64 MiB. Thread-safe. */
BP_API uint64_t bp_input_limit_default(void);

/* Loads a CSV file as `options` say (NULL: the defaults). Fields are
 * decimal numbers (blanks around them allowed); hexadecimal numbers,
 * NaN, infinities and values out of a float's range are errors, as are a
 * NUL byte, a CR inside a line (a file with CR-only line ends: the message
 * says "CR line endings"), a line or data past max_input_bytes (the
 * message names the limit), rows of different widths and empty lines
 * before more data. A UTF-8 byte-order mark is skipped; CRLF line ends
 * are read. The arrays grow by a quarter as rows arrive (moved, not
 * copied, by the C library's realloc for large blocks), so that memory
 * stays within about 1.25 times the parsed data plus one line.
 *
 * Classification: the labels are mapped to classes as bp_labels_map does
 * (so labels 1..3 make 3 classes, and strings are labels), names in
 * out->class_names; with options->class_names, to those classes.
 * Regression: out->targets holds the target columns, in the order
 * options->label names them, out->outputs of them.
 *   out  [out] the data set; left empty on failure.
 * Returns BP_OK; BP_EINVAL (NULL pointer, bad options, a label column
 * past the last column or naming no header field, too many classes, an
 * unknown label); BP_EIO; BP_EFORMAT, naming the line and (1-based)
 * column; BP_ENOMEM. Thread-safe on distinct outputs. */
BP_API int bp_dataset_load_csv_with(bp_dataset *out, const char *path,
                                    const bp_csv_options *options);

/* The same from the `size` bytes at `data` (named "<memory>"). */
BP_API int bp_dataset_load_csv_memory_with(bp_dataset *out, const void *data, size_t size,
                                           const bp_csv_options *options);

/* A CSV file read a block of rows at a time, for files larger than memory:
 * features only (options->features_only is implied; impute_mean is not
 * allowed, the means being unknown until the end). Opaque. */
typedef struct bp_csv_reader bp_csv_reader;

/* Opens `path` with `options` (NULL: the defaults) and reads up to its
 * first data row, so that bp_csv_reader_features is known.
 *   out  [out] the reader; NULL on failure. Close with bp_csv_reader_close.
 * Returns as bp_dataset_load_csv_with. */
BP_API int bp_csv_reader_open(bp_csv_reader **out, const char *path, const bp_csv_options *options);

/* Features per row (0 for NULL). */
BP_API size_t bp_csv_reader_features(const bp_csv_reader *reader);

/* 1 when the file's first line was read as a header, 0 when it was data
 * (and for NULL), so that a program can say which. */
BP_API int bp_csv_reader_header(const bp_csv_reader *reader);

/* Reads up to max_rows rows into inputs (max_rows x features floats).
 *   rows  [out] the rows read; 0 at the end of the file.
 *   line  [out] may be NULL: the file line of the first row read.
 * Returns BP_OK; BP_EINVAL for a NULL pointer or max_rows 0; BP_EFORMAT,
 * BP_EIO as bp_dataset_load_csv_with (the rows before the bad one are not
 * returned). */
BP_API int bp_csv_reader_read(bp_csv_reader *reader, float *inputs, size_t max_rows, size_t *rows,
                              size_t *line);

/* Closes the file and frees the reader. Accepts NULL. */
BP_API void bp_csv_reader_close(bp_csv_reader *reader);

/* Frees the arrays and empties the data set. Accepts NULL. */
BP_API void bp_dataset_free(bp_dataset *data);

/* ------------------------------------------------------------------------ */
/* Data sets: preprocessing                                                  */
/* ------------------------------------------------------------------------ */

/* How to scale inputs: x <- (x - offset) * scale, the same for every
 * feature, fitted on the training set and applied to every set. */
typedef enum bp_scaling_kind {
    BP_SCALE_MINMAX = 0,     /* to [0, 1]: offset = min, scale = 1 / (max - min) */
    BP_SCALE_STANDARDIZE = 1 /* to mean 0, deviation 1 over all inputs */
} bp_scaling_kind;

/* Computes offset and scale for `kind` over all of data's inputs (scale 1
 * when every input is equal; the deviation divides by the count). Returns
 * BP_OK; BP_EINVAL for a NULL pointer, an empty set, an unknown kind or
 * count x features overflowing size_t (not a data set the loaders make);
 * BP_ENONFINITE when an input is NaN or infinite, or the scale overflows a
 * float. */
BP_API int bp_dataset_fit_scaling(const bp_dataset *data, bp_scaling_kind kind, float *offset,
                                  float *scale);

/* x <- (x - offset) * scale for every input. Returns BP_OK; BP_EINVAL for a
 * NULL data set, a non-finite offset or scale, or count x features
 * overflowing size_t. */
BP_API int bp_dataset_scale(bp_dataset *data, float offset, float scale);

/* Per-feature scaling, fitted on a training set and applied to every set
 * (and stored in a model file, see bp_net_set_preprocessing): column j is
 * mapped x <- (x - offset[j]) * scale[j], and back by
 * x <- x / scale[j] + offset[j]. A column whose values are all equal (zero
 * variance, or max == min) gets offset = that value and scale 1: it maps to
 * 0 rather than to a division by zero. A zero-initialized bp_scaler
 * (columns 0) is empty and may be freed. */
typedef struct bp_scaler {
    bp_scaling_kind kind; /* what it was fitted for */
    size_t columns;       /* features it scales; 0 for none */
    float *offset;        /* columns: the mean (STANDARDIZE) or the minimum (MINMAX) */
    float *scale;         /* columns: 1 / deviation, or 1 / (max - min); never 0 */
    /* Reserved for fields of later versions: must be zero. bp_scaler_fit
     * zeroes it; the functions that read a scaler check it. See the ABI
     * policy. */
    uint64_t reserved[4];
} bp_scaler;

/* Fits a scaler of `kind` on the rows x columns floats at x (row-major),
 * column by column: STANDARDIZE to mean 0 and deviation 1 (the deviation
 * divides by rows, as scikit-learn's StandardScaler), MINMAX to [0, 1].
 * Sums in double.
 *   out  [out] the scaler, its arrays allocated; release with
 *        bp_scaler_free. Left empty on failure.
 * Returns BP_OK; BP_EINVAL for a NULL pointer, rows or columns 0, or an
 * unknown kind; BP_EOVERFLOW when rows x columns floats overflow size_t;
 * BP_ENONFINITE when a value is NaN or infinite, or a column's scale
 * overflows a float (a spread of a few subnormals), naming the column;
 * BP_ENOMEM. Thread-safe on distinct outputs. */
BP_API int bp_scaler_fit(bp_scaler *out, bp_scaling_kind kind, const float *x, size_t rows,
                         size_t columns);

/* x <- (x - offset) * scale, column by column, over rows x s->columns
 * floats in place (in double, rounding once). Returns BP_OK; BP_EINVAL for
 * a NULL pointer or an empty scaler; BP_EOVERFLOW. */
BP_API int bp_scaler_transform(const bp_scaler *s, float *x, size_t rows);

/* The inverse: x <- x / scale + offset, column by column, in place.
 * Returns as bp_scaler_transform. */
BP_API int bp_scaler_inverse(const bp_scaler *s, float *x, size_t rows);

/* Frees the arrays and empties the scaler. Accepts NULL. */
BP_API void bp_scaler_free(bp_scaler *s);

/* Maps n label texts to dense classes 0 .. k-1, k the number of distinct
 * labels. A label is its text: two spellings are two classes ("01" and
 * "1", "-0" and "0", "1.0" and "1"), and a class is named as its labels
 * are written ("007" stays "007"). The classes are in numeric order when
 * every label is a decimal number ("2" < "10"; two spellings of one
 * number in text order), in text order (strcmp) otherwise ("class_1" <
 * "setosa"). Blanks around a label are ignored.
 *   out  [out] a classification set of n examples and 0 features: labels
 *        and classes set, class_names[c] the text of class c, inputs
 *        NULL. Left empty on failure. Release with bp_dataset_free.
 * Returns BP_OK; BP_EINVAL for a NULL pointer (out, labels, or one of the
 * n labels), a missing label (empty, NA, N/A, NaN, nan or ?; naming its
 * index), n == 0, one class only, or more than max_classes distinct labels
 * (0: no limit); BP_ENOMEM. */
BP_API int bp_labels_map(bp_dataset *out, const char *const *labels, size_t n, size_t max_classes);

/* Writes the one-hot rows of n labels: out is n x classes, row i all zero
 * but a 1 at labels[i]. Returns BP_OK; BP_EINVAL for a NULL pointer,
 * classes == 0 or a label >= classes (out untouched); BP_EOVERFLOW when
 * n x classes floats overflow size_t. */
BP_API int bp_one_hot(const uint32_t *labels, size_t n, size_t classes, float *out);

/* Fills order with a permutation of 0 .. n-1 drawn from seed (Fisher-Yates
 * on the library's generator): the same seed, the same order.
 * Returns BP_OK; BP_EINVAL for a NULL order. */
BP_API int bp_shuffle(size_t *order, size_t n, uint64_t seed);

/* Gathers a mini-batch: examples order[first] .. order[first + n - 1] of
 * data, their inputs into `inputs` (n x features) and their one-hot labels
 * into `targets` (n x classes; may be NULL); for a regression set, their
 * target rows (n x outputs). order may be NULL for the
 * identity. Allocates nothing. Returns BP_OK; BP_EINVAL for a NULL pointer,
 * or, with targets, a label >= data->classes; BP_ERANGE when first + n
 * exceeds data->count or an order entry is >= data->count. On failure
 * nothing is written. */
BP_API int bp_dataset_batch(const bp_dataset *data, const size_t *order, size_t first, size_t n,
                            float *inputs, float *targets);

/* ------------------------------------------------------------------------ */
/* Training                                                                  */
/* ------------------------------------------------------------------------ */

/* Passed to the per-batch callback after every step. The library's memory,
 * lent for the call: it may grow at its end in a later version (see the ABI
 * policy), so read it through the pointer and never make one. */
typedef struct bp_batch_report {
    size_t epoch;        /* 1-based */
    size_t batch;        /* 1-based, within the epoch */
    size_t batches;      /* per epoch */
    size_t examples;     /* examples trained on so far in this epoch */
    double loss;         /* mean cost over this epoch's examples so far */
    double seconds;      /* since the epoch began */
    float learning_rate; /* the rate this step used */
} bp_batch_report;

/* Passed to the per-epoch callback at the end of every epoch; lent as the
 * per-batch report is, and may grow at its end as it may. */
typedef struct bp_epoch_report {
    size_t epoch;          /* 1-based */
    size_t epochs;         /* planned */
    double train_loss;     /* mean cost over the epoch, each example before its step */
    double train_accuracy; /* fraction classified right, each before its step */
    double test_loss;      /* on the held-out set after the epoch; NaN without one */
    double test_accuracy;  /* likewise */
    double seconds;        /* the epoch's training time, evaluation excluded */
} bp_epoch_report;

/* Callbacks return 0 to go on, anything else to stop training (which then
 * returns BP_ECANCELED). */
typedef int (*bp_batch_callback)(const bp_batch_report *report, void *user);
typedef int (*bp_epoch_callback)(const bp_epoch_report *report, void *user);

/* Several processes (or machines) training one model, data-parallel: what
 * bp_train needs to know of the others. libbackprop-mpi (backprop_mpi.h)
 * makes one from an MPI communicator; any other transport can too.
 *
 * Every participant calls bp_train with its own network, optimizer and data
 * and the same options. Each batch of the global batch size is split among
 * them: each takes a contiguous share (shares differ by at most one
 * example), computes its share's part of the mean gradient, and the network's
 * gradient hook (bp_net_set_gradient_hook, which the transport sets) sums
 * the parts. So 1 or N participants train the same model, up to the order
 * of float sums. The participants must start from equal parameters and
 * optimizer states: bp_train checks this (by CRC-32) with the shapes and
 * options, and fails on every participant alike when they differ. */
typedef struct bp_collective {
    size_t rank; /* this participant, 0 .. size - 1 */
    size_t size; /* participants, >= 1 */
    /* Sums `count` doubles elementwise over all participants, in place, and
     * returns 0 (any other value stops training with BP_ECOMM). Every
     * participant calls it at the same points with the same count: it is a
     * blocking allreduce. */
    int (*sum)(double *values, size_t count, void *user);
    void *user;
    /* 0: every participant holds the whole training (and test) set, and the
     * one global shuffle of each epoch is cut into batches.
     * 1: each holds its own shard and shuffles within it; each batch takes
     * a share of the global batch from every shard, and an epoch is as many
     * batches as the smallest shard gives (every example of it is used once;
     * larger shards leave some out). The test sets are shards too. */
    int sharded;
    /* Reserved for fields of later versions: must be zero (bp_train
     * checks). See the ABI policy. */
    uint64_t reserved[4];
} bp_collective;

typedef struct bp_train_options {
    size_t epochs;              /* >= 1: the last epoch to train (see first_epoch) */
    size_t batch_size;          /* >= 1; the last batch of an epoch may be smaller */
    uint64_t seed;              /* shuffles the training set anew each epoch */
    bp_batch_callback on_batch; /* may be NULL */
    bp_epoch_callback on_epoch; /* may be NULL */
    void *user;                 /* passed to the callbacks */
    /* Epochs already trained (resuming a checkpoint): training runs epochs
     * first_epoch + 1 .. epochs, each shuffled as it would have been in one
     * run. 0 by default; must be < epochs. */
    size_t first_epoch;
    /* NULL: this process trains alone. Otherwise see bp_collective; the
     * callbacks run on every participant, and a stop asked by any of them
     * stops all of them at the same step. */
    const bp_collective *collective;
    /* Worker threads (see bp_workers): 0 or 1 trains in the calling thread
     * alone; W > 1 splits each batch (each participant's share, with a
     * collective) among a pool of W workers made for this call, with
     * OpenBLAS on one thread meanwhile. At most BP_WORKERS_MAX;
     * bp_parallelism_auto chooses it. */
    size_t workers;
    /* Reserved for fields of later versions: must be zero (bp_train checks;
     * bp_train_options_default zeroes it). See the ABI policy. */
    uint64_t reserved[8];
} bp_train_options;

/* Fills *options with 10 epochs, batches of 32, seed 1, no callbacks,
 * first_epoch 0, no collective. Does nothing for a NULL options.
 * (`backprop train` agrees on the batch and the seed but trains 15 epochs
 * with Adam on a cosine schedule and per-feature standardized CSV inputs:
 * a complete recipe, where these defaults and bp_optimizer_config_default's
 * constant rate are the plainest settings to build one from.) */
BP_API void bp_train_options_default(bp_train_options *options);

/* Trains net on `train` with `opt`: per epoch, a fresh seeded shuffle, then
 * one optimizer step per mini-batch on the gradient of the network's cost
 * with one-hot targets, then the loss and accuracy on `test` (may be NULL).
 * Allocates its batch buffers once at the start and reserves the network's
 * workspace for min(batch_size, train->count) examples if it has less; the
 * steps allocate nothing. The epoch report's seconds include the time spent
 * in on_batch.
 *
 * If a batch cost or its gradient is NaN or infinite (diverging training,
 * or NaN or Inf in the inputs), training stops before the optimizer step
 * and returns BP_ENONFINITE: the non-finite gradient never reaches the
 * parameters or the optimizer's state, and the network keeps the
 * parameters of the last good step, in step with the optimizer.
 *
 * With options->collective, the participants first agree: a participant
 * whose arguments are bad fails with its own code and the others with
 * BP_EPEER; shapes, options, parameters or optimizer states that differ
 * between participants are BP_EINVAL on every participant, naming the
 * field. Every later failure (a non-finite gradient anywhere, a stop asked
 * by any participant's callback) is agreed on at the same step, so that no
 * participant is left waiting in a collective. The losses and accuracies
 * reported are over all participants' examples; the test set is split
 * among them (contiguous parts) and its results summed. Training uses the
 * network's gradient hook to sum the gradient: the transport sets it.
 *
 * Returns BP_OK; BP_EINVAL for a NULL pointer, bad options, an optimizer
 * made for another parameter count, or a data set whose features do not
 * match the network's inputs, whose classes exceed the network's outputs,
 * or with a label >= the network's outputs, or a collective of more than
 * one participant on a network without a gradient hook;
 * BP_ENONFINITE; BP_ECANCELED when a callback asked to stop; BP_ENOMEM;
 * with a collective, BP_EPEER (another participant failed) and BP_ECOMM
 * (the collective's sum or the hook's before_step failed). */
BP_API int bp_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train, const bp_dataset *test,
                    const bp_train_options *options);

/* The network's mean cost and its accuracy (fraction of examples whose
 * largest output is at the label; NaN for a regression set) over a data
 * set, in batches of up to bp_net_max_batch(net). A network with room for
 * fewer than min(data->count, BP_EVAL_BATCH) examples (one that
 * bp_net_load made) first reserves that many, so that a loaded model is
 * evaluated in full batches. loss and accuracy [out] may each be NULL.
 * Allocates its batch buffers. Returns BP_OK; BP_EINVAL as for bp_train;
 * BP_ENOMEM. */
BP_API int bp_evaluate(bp_net *net, const bp_dataset *data, double *loss, double *accuracy);

/* The batch bp_evaluate, bp_evaluate_regression and bp_net_predict reserve
 * at least, when the network has room for fewer examples. */
#define BP_EVAL_BATCH 256

/* The errors of a regression, averaged over examples and outputs as
 * scikit-learn's metrics do ("uniform_average"). */
typedef struct bp_regression_metrics {
    double mse; /* mean of (output - target)^2 */
    double mae; /* mean of |output - target| */
    /* mean over outputs of 1 - SS_res / SS_tot, SS_tot the sum of squared
     * deviations of the targets from their mean (an output whose targets
     * are all equal counts 1 when predicted exactly, else 0) */
    double r2;
    /* Reserved for fields of later versions; bp_evaluate_regression writes
     * it (zeros). See the ABI policy. */
    uint64_t reserved[4];
} bp_regression_metrics;

/* Scores the network on a regression set (data->targets set, outputs equal
 * to the network's), in batches as bp_evaluate. With target_scaler (may
 * be NULL; columns must equal the outputs), both the outputs and the
 * targets are first mapped back with bp_scaler_inverse, so that MSE and
 * MAE are in the targets' own units.
 *   metrics  [out] the three metrics.
 * Returns BP_OK; BP_EINVAL for a NULL pointer, a classification set, a set
 * that does not fit the network (as bp_train) or a scaler of another
 * width; BP_ENONFINITE when an output is NaN or infinite; BP_ENOMEM. */
BP_API int bp_evaluate_regression(bp_net *net, const bp_dataset *data,
                                  const bp_scaler *target_scaler, bp_regression_metrics *metrics);

/* The network's outputs for n examples (any n >= 1), computed in batches of
 * bp_net_max_batch(net) (first reserving min(n, BP_EVAL_BATCH) if the
 * network has room for fewer) and copied into the caller's buffer. With
 * BP_INFERENCE_INVARIANT (bp_net_set_inference) each row's outputs are the
 * same bits whatever n and whatever rows are beside it.
 *   inputs   n x n_0 floats, row-major (not the network's own memory).
 *   outputs  [out] n x n_L floats, row-major, caller-owned (probabilities
 *            for a softmax output).
 * Allocates nothing unless it reserves. Returns BP_OK; BP_EINVAL for a
 * NULL pointer or n == 0; BP_EOVERFLOW; BP_ENOMEM (reserving), and what
 * bp_net_forward returns. */
BP_API int bp_net_predict(bp_net *net, const float *inputs, size_t n, float *outputs);

/* What bp_net_predict_output writes for each example (a value this
 * library does not know is refused with BP_EINVAL). */
typedef enum bp_output {
    /* a = sigma(z) of the output layer: bp_net_predict's outputs
     * (probabilities for a softmax output, rounded to float) */
    BP_OUTPUT_ACTIVATIONS = 0,
    /* z = W a_prev + b of the output layer, before its activation: the
     * logits of a softmax output, from which a caller computes
     * probabilities or log-probabilities in its own precision */
    BP_OUTPUT_LOGITS = 1,
    /* log softmax(z), computed in double from the logits as z_j - (max_k z_k
     * + log sum_k exp(z_k - max)) and rounded to float: finite for finite
     * logits, where the log of a float probability would be -inf once the
     * probability underflows (below about 1e-45). Softmax output only. */
    BP_OUTPUT_LOG_PROBA = 2
} bp_output;

/* bp_net_predict with a choice of what is written: the activations, the
 * output layer's logits, or its log-probabilities (see bp_output). The
 * outputs are computed in batches as bp_net_predict's, with the network's
 * inference mode (bp_net_set_inference: BP_INFERENCE_INVARIANT makes each
 * row's outputs the same bits whatever n), and the logits are those
 * bp_net_predict's activations are computed from.
 *   output   [in] one of bp_output.
 *   outputs  [out] n x n_L floats, row-major, caller-owned.
 * Allocates nothing unless it reserves. Returns BP_OK; BP_EINVAL as for
 * bp_net_predict, for an unknown output, or for BP_OUTPUT_LOG_PROBA on a
 * network whose output layer is not softmax; BP_EOVERFLOW; BP_ENOMEM
 * (reserving), and what bp_net_forward returns. Threads: as bp_net_predict
 * (it writes the network's workspace). */
BP_API int bp_net_predict_output(bp_net *net, const float *inputs, size_t n, bp_output output,
                                 float *outputs);

/* ------------------------------------------------------------------------ */
/* Worker threads                                                            */
/* ------------------------------------------------------------------------ */

/* The most workers a pool may have. */
#define BP_WORKERS_MAX 1024

/* A persistent pool of W worker threads that computes one network's batch
 * gradient in parallel and steps its optimizer in parallel: data
 * parallelism inside one process, for batches too small for OpenBLAS's own
 * threads to pay. Opaque.
 *
 * Each batch of n examples is cut into W contiguous shares (sizes differ by
 * at most one; a worker whose share is empty sits the batch out). Each
 * worker is a view of the network: it reads the network's one parameter
 * block and computes, in its own workspace, its share's part of the mean
 * gradient (its summed per-example gradients / n) into its own gradient
 * buffer. Then each worker sums one slice of the flat gradient block across
 * the W buffers, always in worker order, into the network's gradient block.
 * An optimizer step is cut in the same slices. So:
 * - the result is the network's batch gradient, as bp_net_gradient computes
 *   it up to the order of float sums (any W agrees with W = 1 to float
 *   rounding), and a given W gives bitwise the same gradient every time;
 * - no pass over the parameters or gradients is serial, and a step
 *   allocates nothing and creates no thread: the W - 1 threads (the calling
 *   thread is worker 0) start in bp_workers_create and wait, polling
 *   briefly and then asleep, between calls.
 *
 * Memory: W workspaces for ceil(max_batch / W) examples each (see
 * bp_net_reserve for one workspace's size) and W - 1 gradient buffers of
 * bp_net_num_params floats (worker 0 computes into the network's own
 * block), plus bookkeeping: bp_workers_memory_bytes. Plus the C library's
 * stack for each of the W - 1 threads, which it reserves, not commits.
 *
 * Threads: a pool belongs to one network and is driven from one thread at
 * a time; while a call on the pool runs, nothing else may use the network
 * or the optimizer. The network's gradient hook (bp_net_set_gradient_hook)
 * is called in the calling thread: layer_ready for every layer, output
 * layer first, once the workers' sum is complete (so a hybrid of processes
 * and threads reduces the workers' sum), and before_step when the step
 * starts. With W > 1 each worker runs OpenBLAS on one thread: OpenBLAS's
 * pthreads build serializes calls from several threads unless its thread
 * count is 1, so bp_workers_create sets the process's OpenBLAS count to 1
 * (as bp_blas_set_threads(1) would, with its caveats) and bp_workers_destroy
 * puts back the count it found. The network must outlive the pool and keep
 * its shape; bp_net_set_loss between calls is seen by the workers. */
typedef struct bp_workers bp_workers;

/* Creates a pool of `workers` workers for net, for batches of up to
 * max_batch examples.
 *   out        [out] the pool; NULL on failure.
 *   workers    W, 1 to BP_WORKERS_MAX. More workers than cores is allowed
 *              (and slower).
 *   max_batch  1 to INT_MAX.
 * Returns BP_OK; BP_EINVAL (NULL pointer, a count out of range); BP_EOVERFLOW;
 * BP_ENOMEM (also when a thread cannot be started). */
BP_API int bp_workers_create(bp_workers **out, bp_net *net, size_t workers, size_t max_batch);

/* Stops and joins the threads and frees the pool. Accepts NULL. Leaves the
 * network as it is. */
BP_API void bp_workers_destroy(bp_workers *workers);

/* bp_net_gradient on the pool's network, computed by the workers: the
 * gradient of the batch cost into the network's gradient block (the
 * network's own workspace is not used, so bp_net_forward's outputs stay).
 *   inputs, targets  n x n_0 and n x n_L floats, row-major; only read.
 *   n        1 <= n <= the pool's max_batch; fewer examples than workers is
 *            allowed.
 *   cost     [out] the batch cost C. May be NULL.
 * Allocates nothing. Returns BP_OK; BP_EINVAL (NULL workers, inputs or
 * targets, n == 0, data overlapping the network's parameter block or the
 * pool's memory: nothing is computed); BP_EBATCH (n over max_batch);
 * BP_ENONFINITE when a share's cost or the summed gradient is NaN or
 * infinite: the message names the worker, and the gradient block then
 * holds NaN (or the non-finite sum). Every layer of a computed gradient is
 * handed to the hook, even then. */
BP_API int bp_workers_gradient(bp_workers *workers, const float *inputs, const float *targets,
                               size_t n, float *cost);

/* bp_optimizer_step on the pool's network, each worker updating its slice
 * of the parameters (and of the optimizer's state) at once; the step count
 * advances once. Bitwise the same as bp_optimizer_step. Allocates nothing.
 * Returns BP_OK; BP_EINVAL (NULL pointer, an optimizer made for another
 * parameter count); what the hook's before_step is mapped to (see
 * bp_net_set_gradient_hook). */
BP_API int bp_workers_step(bp_workers *workers, bp_optimizer *opt);

/* How to use the cores for one network's training steps: W workers, each
 * running OpenBLAS on blas_threads threads (W x blas_threads <= cores). */
typedef struct bp_parallelism {
    size_t workers;   /* for bp_train_options.workers */
    int blas_threads; /* for bp_blas_set_threads; 1 when workers > 1 */
    size_t cores;     /* the cores the choice was made for */
    /* Reserved for fields of later versions; bp_parallelism_auto writes it
     * (zeros). See the ABI policy. */
    uint64_t reserved[4];
} bp_parallelism;

/* Chooses workers against OpenBLAS threads for steps on batches of `batch`
 * examples (with several processes, this one's share) of net, on `cores`
 * cores (0: the CPUs this process may run on). The rule, measured with
 * bp-bench --workers (docs/scaling.md): W = cores workers of one OpenBLAS
 * thread each, unless a share would hold fewer than 4 examples (fewer
 * workers then) or the largest product of a share, share x n_(l-1) x n_l
 * multiply-adds, reaches 2^26: there OpenBLAS's threads split each product
 * as well as workers split the batch, so 1 worker runs `cores` threads.
 *   out  [out] the choice.
 * Returns BP_OK; BP_EINVAL for a NULL pointer or batch == 0. Thread-safe. */
BP_API int bp_parallelism_auto(const bp_net *net, size_t batch, size_t cores, bp_parallelism *out);

/* A plan: how to run one network's training steps. A kernel set, and W
 * workers each running its BLAS on blas_threads threads (W x blas_threads
 * <= cores). Written "KERNELS:WxT", as in "blis:2x1" (bp_plan_format,
 * bp_plan_parse). */
typedef struct bp_plan {
    bp_kernels kernels;  /* for bp_net_set_kernels */
    int32_t measured;    /* candidates bp_plan_measure timed; 0 for a rule's or a text's plan */
    size_t workers;      /* for bp_train_options.workers */
    int blas_threads;    /* for bp_blas_set_threads; 1 when workers > 1 */
    size_t cores;        /* the cores the plan was made for */
    double step_seconds; /* seconds per training step as bp_plan_measure timed it; 0 if not */
    /* Reserved for fields of later versions; the functions that write a
     * plan write it (zeros). See the ABI policy. */
    uint64_t reserved[4];
} bp_plan;

/* Chooses a plan by measurement, as FFTW's planner does: times net's own
 * training step as bp_train takes it (one worker: bp_net_gradient then
 * bp_optimizer_step; more: bp_workers_train_step), with the optimizer
 * `config` describes, on a made-up batch of `batch` examples, under each
 * candidate and returns the fastest. The candidates: each available kernel
 * set (openblas, blis; see bp_kernels_available) on 1 worker x 1 thread,
 * and on W workers x (cores / W) threads for W = 1 .. cores. Each is timed
 * in three rounds taken in turns: in each, untimed steps for a quarter of
 * its share of the budget (its threads brought up to pace), then timed
 * steps for the rest of it or 200 steps, whichever comes first; its time
 * is the lowest of its rounds' median step times (load from elsewhere only
 * adds time). OpenBLAS on more
 * than one thread is timed after all the others: its threads spin for
 * about 0.1 s after a call and slow whatever runs meanwhile. When one
 * step of the first candidate shows that every candidate cannot run twice
 * within the budget, no more is timed and the plan is
 * bp_parallelism_auto's (measured = 0).
 *   net             the network; left as it was found: its parameters are
 *                   restored bitwise, its kernel set, gradient hook and the
 *                   BLAS thread count put back, its gradient block zeroed.
 *                   Its workspace grows to `batch` if it is smaller.
 *   config          the optimizer training will step with (its kind decides
 *                   how long a step over the parameters takes, in one
 *                   thread or in the workers' slices); NULL: Adam's
 *                   defaults (bp_optimizer_config_default). Only read.
 *   batch           1 to INT_MAX: the batch (this process's share of it)
 *                   the plan is for.
 *   cores           the cores to plan for; 0: the CPUs this process may run on.
 *   budget_seconds  about the most the timing takes; 0 for 0.3 s. A caller
 *                   who knows the run's length may give more (2% of it),
 *                   which helps large networks. At most 3600.
 *   out             [out] the plan: apply it with bp_plan_apply and
 *                   bp_train_options.workers.
 * The choice depends on the machine and on its load while timing: two
 * runs may choose differently, and a different plan changes float rounding
 * (see Determinism). For bitwise-reproducible runs, fix the plan
 * (bp_plan_parse). Allocates (a batch, an optimizer, pools) and
 * starts threads while it runs; frees and joins them before returning.
 * Not while another thread uses the library (it sets the BLAS threads).
 * Returns BP_OK; BP_EINVAL (NULL pointer, batch out of range, a budget
 * out of range, a config bp_optimizer_create refuses); BP_ENOMEM; BP_ENONFINITE when a timed step
 * is not finite (parameters that are already NaN). */
BP_API int bp_plan_measure(bp_net *net, const bp_optimizer_config *config, size_t batch,
                           size_t cores, double budget_seconds, bp_plan *out);

/* Reads a plan from text: "KERNELS" or "KERNELS:WxT", where KERNELS is
 * openblas, blis or naive and W x T workers x BLAS threads ("blis:2x1",
 * "openblas:1x2"); one of W and T must be 1. Without ":WxT" the workers
 * and threads are bp_parallelism_auto's for net, batch and cores.
 *   out  [out] the plan (measured and step_seconds 0).
 * Returns BP_OK; BP_EINVAL (NULL pointer, text that is not a plan, batch
 * 0); BP_ENOTSUP (a kernel set that is not available). Thread-safe. */
BP_API int bp_plan_parse(const char *spec, const bp_net *net, size_t batch, size_t cores,
                         bp_plan *out);

/* Writes plan as "KERNELS:WxT" ("openblas:2x1") into buffer of `size`
 * bytes, NUL-terminated; 32 bytes always suffice.
 * Returns BP_OK; BP_EINVAL (NULL pointer, unknown kernel set); BP_ERANGE
 * when the text does not fit. Thread-safe. */
BP_API int bp_plan_format(const bp_plan *plan, char *buffer, size_t size);

/* Applies a plan to net: its kernel set (bp_net_set_kernels) and the BLAS
 * threads (bp_blas_set_threads, process-wide). The workers are the
 * caller's to pass on (bp_train_options.workers, bp_workers_create).
 * Returns BP_OK; BP_EINVAL (NULL pointer, 0 workers or threads);
 * BP_ENOTSUP (a kernel set that is not available). */
BP_API int bp_plan_apply(bp_net *net, const bp_plan *plan);

/* bp_workers_gradient then bp_workers_step, in one wake-up of the workers:
 * each worker steps its slice of the parameters right after summing it
 * (while it is in its cache), once every slice of the sum is known to be
 * finite. The parameters and the optimizer's state are bitwise those of the
 * two calls; the gradient block holds the gradient. Allocates nothing.
 *   cost  [out] the batch cost before the step. May be NULL.
 * Returns what the two return, and BP_EINVAL when the network has a
 * gradient hook (which this call would bypass). No step is taken on any
 * failure: with BP_ENONFINITE the parameters and the optimizer's state are
 * as they were. */
BP_API int bp_workers_train_step(bp_workers *workers, bp_optimizer *opt, const float *inputs,
                                 const float *targets, size_t n, float *cost);

/* W; 0 for NULL. */
BP_API size_t bp_workers_count(const bp_workers *workers);

/* Bytes the pool holds: workspaces, gradient buffers and bookkeeping (not
 * the network's own memory, not the threads' stacks). 0 for NULL. */
BP_API size_t bp_workers_memory_bytes(const bp_workers *workers);

/* ------------------------------------------------------------------------ */
/* Model files                                                               */
/* ------------------------------------------------------------------------ */

/* The newest format version bp_net_save writes and bp_net_load reads. The
 * format is described in docs/model-format.md. A network without
 * preprocessing is saved as version 1 (byte for byte as before version 2
 * existed); one with preprocessing as version 2, which adds a versioned
 * section after the parameters. bp_net_load reads both. */
#define BP_MODEL_FORMAT_VERSION 2

/* What a model does to data before and after the network, saved in the
 * model file (version 2) so that evaluation and prediction apply it
 * themselves. */
typedef struct bp_preprocessing {
    bp_task task;
    /* Applied to every input row before the network; columns 0 (none) or
     * the network's inputs. */
    bp_scaler inputs;
    /* Regression: the network's outputs are mapped back with
     * bp_scaler_inverse; columns 0 (none) or the network's outputs. */
    bp_scaler targets;
    /* Classification: class c's label text is class_names[c] (each 1 to
     * 255 bytes, no control characters, no blanks at either end, not
     * wrapped in double quotes, not a missing label (NA, N/A, NaN, nan,
     * ?), all distinct: what a CSV file can spell back); classes 0 (none,
     * the classes are their numbers) or at most the network's outputs. */
    size_t classes;
    char **class_names;
    /* Reserved for fields of later versions: must be zero, here and in the
     * two scalers (bp_net_set_preprocessing checks). See the ABI policy. */
    uint64_t reserved[4];
} bp_preprocessing;

/* Attaches a copy of *preprocessing to the network (replacing any), or
 * with NULL removes it. bp_net_save then writes it; bp_net_load restores
 * it. Returns BP_OK; BP_EINVAL for a NULL net, an unknown task or scaler
 * kind, scaler widths that do not match the network, a zero or non-finite
 * scale or non-finite offset, target scaling on a classification or class
 * names on a regression, more classes than outputs, or a bad class name;
 * BP_ENOMEM (the network keeps what it had). */
BP_API int bp_net_set_preprocessing(bp_net *net, const bp_preprocessing *preprocessing);

/* The network's preprocessing, or NULL when it has none (also for a NULL
 * net). Borrowed until the next bp_net_set_preprocessing or
 * bp_net_destroy on this network. */
BP_API const bp_preprocessing *bp_net_preprocessing(const bp_net *net);

/* The columns of the file a network was trained on, kept with its
 * preprocessing (model format: preprocessing section version 2) so that a
 * program can match another file's columns to the network's by name. */
typedef struct bp_schema {
    /* The names of the network's inputs, in order (n_0 entries), or NULL
     * when the training file had no header line. */
    char **input_names;
    /* The name of the label column (classification: 1 entry) or of the
     * target columns (regression: n_L entries, in output order), or NULL. */
    char **output_names;
    /* How many leading columns training skipped (a row index); at most
     * 1000000. */
    size_t skipped_columns;
    /* Reserved for fields of later versions: must be zero. See the ABI
     * policy. */
    uint64_t reserved[5];
} bp_schema;

/* Attaches a copy of *schema to the network's preprocessing (replacing
 * any), or with NULL removes it. Each name is 1 to 255 bytes without
 * control characters or blanks at either end, not wrapped in double
 * quotes (what a CSV header can spell back); the input names are
 * distinct, and so are the target names. bp_net_set_preprocessing removes
 * the schema: set it after. Returns BP_OK; BP_EINVAL for a NULL net, a
 * network without preprocessing, a bad name (naming it), a skip count past
 * the limit or reserved space not zero; BP_ENOMEM (the network keeps what
 * it had). */
BP_API int bp_net_set_schema(bp_net *net, const bp_schema *schema);

/* The network's schema, or NULL when it has none (also for a NULL net).
 * Borrowed until the next bp_net_set_schema, bp_net_set_preprocessing or
 * bp_net_destroy on this network. */
BP_API const bp_schema *bp_net_schema(const bp_net *net);

/* The most layers a model file holds (bp_net_save refuses more), so that a
 * program can refuse such a network before training it. */
#define BP_MODEL_MAX_LAYERS 4096

/* Saves the network's sizes, activations, cost and parameters to `path`.
 * Atomic: writes a temporary file "<path>.tmp.XXXXXX" in the same directory,
 * flushes it to disk, then renames it over `path`, so `path` holds either
 * its old contents or the complete new file, never a part; on failure the
 * temporary file is removed. A process killed during the save (or a machine
 * that crashes) leaves `path` intact but may leave the temporary file, maybe
 * incomplete: any "<path>.tmp." followed by six characters is such a
 * leftover and may be deleted when no save to `path` is running.
 * A replaced file keeps its permissions; a new
 * one gets 0644. A symbolic link at `path` is itself replaced by the file,
 * not followed. Allocates nothing.
 * Returns BP_OK; BP_EINVAL (NULL pointer, empty path, more than 4096
 * layers); BP_ENONFINITE (a parameter is NaN or infinite: nothing is
 * written); BP_EIO (bp_errmsg() names the path, the step and the reason). */
BP_API int bp_net_save(const bp_net *net, const char *path);

/* Writes the bytes bp_net_save would write to a file (the whole model file,
 * CRC included) into the caller's memory instead: to send a model over a
 * pipe, keep it in a database, or pickle it.
 *
 *   buffer    where to write; may be NULL only when capacity is 0, which
 *             asks for the size alone.
 *   capacity  bytes available at buffer.
 *   size      [out] the model's length in bytes, set whenever the checks
 *             below pass (also when the buffer is too small), so a caller
 *             can ask with (NULL, 0), allocate, and call again.
 *
 * The buffer is written only when the whole model fits; otherwise it is left
 * untouched. Allocates nothing. Returns BP_OK; BP_EINVAL (NULL net or size,
 * NULL buffer with capacity > 0, more than 4096 layers, or capacity below
 * *size); BP_ENONFINITE (a parameter is NaN or infinite: nothing written). */
BP_API int bp_net_save_memory(const bp_net *net, void *buffer, size_t capacity, size_t *size);

/* Creates a network from a file written by bp_net_save, on the given kernel
 * set, with workspace for one example. Every field is checked: magic,
 * version, byte order, layer count and sizes (1 to INT_MAX), activations,
 * cost, products of sizes for overflow, the exact file length, the CRC-32
 * of the contents, and that every parameter is finite.
 *   out  [out] the network; NULL on failure.
 * Returns BP_OK; BP_EINVAL (NULL pointer, unknown kernels); BP_EIO (cannot
 * open or read; a directory); BP_EFORMAT; BP_ECHECKSUM; BP_EOVERFLOW (sizes
 * whose parameter count or byte length exceeds 64 bits or size_t);
 * BP_ENOMEM. bp_errmsg() names the path and the problem. */
BP_API int bp_net_load(bp_net **out, const char *path, bp_kernels kernels);

/* The same as bp_net_load, from the `size` bytes of a model file at `data`
 * (a model embedded in a program, or read by other means), checked in the
 * same way by the same code. data is only read, and not kept after the
 * call; it may be NULL when size is 0. bp_errmsg() names it "<memory>".
 * Returns as bp_net_load, without BP_EIO. */
BP_API int bp_net_load_memory(bp_net **out, const void *data, size_t size, bp_kernels kernels);

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

/* The one spelling of each enum value that the command line, the Python
 * package and the documentation use. X(value, name, alias): the value, its
 * name (printed), and an older spelling still accepted, or NULL. A list's
 * order is the order in which the CLI lists the names. The values of each
 * enum run from 0 without a gap, so a binding lists the names by asking
 * bp_*_name for 0, 1, ... until NULL. The Python package writes '_' for
 * '-' ("cross_entropy"): a name with a '-' has that spelling as its alias. */
#define BP_ACTIVATION_MAP(X)                                                                       \
    X(BP_ACT_RELU, "relu", NULL)                                                                   \
    X(BP_ACT_LEAKY_RELU, "leaky-relu", "leaky_relu")                                               \
    X(BP_ACT_SIGMOID, "sigmoid", "logistic")                                                       \
    X(BP_ACT_TANH, "tanh", NULL)                                                                   \
    X(BP_ACT_IDENTITY, "identity", NULL)                                                           \
    X(BP_ACT_SOFTMAX, "softmax", NULL)

#define BP_LOSS_MAP(X)                                                                             \
    X(BP_LOSS_CROSS_ENTROPY, "cross-entropy", "cross_entropy")                                     \
    X(BP_LOSS_QUADRATIC, "quadratic", NULL)

#define BP_INIT_MAP(X)                                                                             \
    X(BP_INIT_UNIFORM, "uniform", NULL)                                                            \
    X(BP_INIT_XAVIER, "xavier", NULL)                                                              \
    X(BP_INIT_HE, "he", NULL)                                                                      \
    X(BP_INIT_ORTHOGONAL, "orthogonal", NULL)

#define BP_OPTIMIZER_KIND_MAP(X)                                                                   \
    X(BP_OPT_SGD, "sgd", NULL)                                                                     \
    X(BP_OPT_MOMENTUM, "momentum", NULL)                                                           \
    X(BP_OPT_NESTEROV, "nesterov", NULL)                                                           \
    X(BP_OPT_ADAM, "adam", NULL)

#define BP_SCHEDULE_MAP(X)                                                                         \
    X(BP_SCHEDULE_CONSTANT, "constant", NULL)                                                      \
    X(BP_SCHEDULE_STEP, "step", NULL)                                                              \
    X(BP_SCHEDULE_COSINE, "cosine", NULL)

#define BP_KERNELS_MAP(X)                                                                          \
    X(BP_KERNELS_OPENBLAS, "openblas", NULL)                                                       \
    X(BP_KERNELS_NAIVE, "naive", NULL)                                                             \
    X(BP_KERNELS_BLIS, "blis", NULL)

#define BP_INFERENCE_MAP(X)                                                                        \
    X(BP_INFERENCE_INVARIANT, "invariant", NULL)                                                   \
    X(BP_INFERENCE_BATCH, "batch", NULL)

#define BP_OUTPUT_MAP(X)                                                                           \
    X(BP_OUTPUT_ACTIVATIONS, "activations", NULL)                                                  \
    X(BP_OUTPUT_LOGITS, "logits", NULL)                                                            \
    X(BP_OUTPUT_LOG_PROBA, "log-proba", "log_proba")

/* bp_T_name(value): the value's name from BP_T_MAP ("leaky-relu"), or NULL
 * for a value not in the list. Returns a static string. Thread-safe.
 *
 * bp_T_from_name(name, out): stores in *out the value whose name or older
 * spelling (the alias column) is exactly `name`. Returns BP_OK; BP_EINVAL
 * for a NULL name or out, or a name not in the list (the message lists the
 * names), leaving *out unchanged. Thread-safe. */
BP_API const char *bp_activation_name(bp_activation activation);
BP_API int bp_activation_from_name(const char *name, bp_activation *out);
BP_API const char *bp_loss_name(bp_loss loss);
BP_API int bp_loss_from_name(const char *name, bp_loss *out);
BP_API const char *bp_init_name(bp_init init);
BP_API int bp_init_from_name(const char *name, bp_init *out);
BP_API const char *bp_optimizer_kind_name(bp_optimizer_kind kind);
BP_API int bp_optimizer_kind_from_name(const char *name, bp_optimizer_kind *out);
BP_API const char *bp_schedule_name(bp_schedule schedule);
BP_API int bp_schedule_from_name(const char *name, bp_schedule *out);
BP_API const char *bp_kernels_name(bp_kernels kernels);
BP_API int bp_kernels_from_name(const char *name, bp_kernels *out);
BP_API const char *bp_inference_name(bp_inference inference);
BP_API int bp_inference_from_name(const char *name, bp_inference *out);
BP_API const char *bp_output_name(bp_output output);
BP_API int bp_output_from_name(const char *name, bp_output *out);

/* ------------------------------------------------------------------------ */
/* OpenBLAS                                                                  */
/* ------------------------------------------------------------------------ */

/* Sets the number of threads OpenBLAS uses inside each product, for the
 * whole process (OpenBLAS's setting is global), and the number each BLIS
 * call of the blis kernel set asks for (BLIS's own default is not read). Use 1 when the caller runs
 * several threads of its own. OpenBLAS caps the number at the maximum it was
 * built for (64 in Debian's build), not at the number of cores: more threads
 * than cores only slow it down. Matrix products (sgemm) under 2^20
 * multiply-adds run on one thread whatever the setting: there a second
 * thread costs more to wake than it saves. The library lowers OpenBLAS's
 * count around them and puts back the count it read, so with more than one
 * thread, a program calling OpenBLAS itself from another thread at that
 * moment may see one thread too. (OpenBLAS itself keeps products under
 * 2^18 multiply-adds on one thread, and decides for sgemv and sger.) Results are
 * reproducible for a given count, and may differ in the last bits between
 * counts (see Determinism at the top). Not thread-safe: call it before
 * starting threads that use the library.
 * Returns BP_OK; BP_EINVAL when threads < 1. */
BP_API int bp_blas_set_threads(int threads);

/* The number of threads OpenBLAS uses inside each product. Thread-safe. */
BP_API int bp_blas_threads(void);

/* The name of the OpenBLAS kernel set in use ("Haswell", "Cooperlake"...),
 * chosen once when OpenBLAS loads, from the CPU or from the environment
 * variable OPENBLAS_CORETYPE. Returns a string owned by OpenBLAS.
 * Thread-safe. */
BP_API const char *bp_blas_core(void);

#ifdef __cplusplus
}
#endif

#endif /* BACKPROP_H */
