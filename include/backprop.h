/*
 * backprop.h - train multilayer perceptrons on the CPU by backpropagation in
 * matrix form, with every matrix product dispatched to OpenBLAS.
 *
 * This header is the reference manual. Every function says what it does,
 * what each parameter means (outputs are marked [out]), which codes it
 * returns, who owns memory, and what may run concurrently.
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
 * - The library has no global mutable state. Different networks may be used
 *   from different threads at the same time.
 * - One network must not be used by two threads at the same time, except for
 *   the read-only getters (const bp_net *), which may run concurrently with
 *   each other.
 * - bp_errmsg() is per thread.
 * - OpenBLAS runs its own pool of threads inside each product (by default one
 *   per core). A caller that runs threads of its own should give OpenBLAS one
 *   thread (bp_blas_set_threads(1)), or the two pools fight for the cores.
 *   Calls into OpenBLAS from several threads are serialized by a lock inside
 *   OpenBLAS's pthreads build.
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
#define BP_VERSION_MINOR 1
#define BP_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH", of the library actually
 * linked (which may differ from the BP_VERSION_* of this header).
 * Returns a static string. Thread-safe. */
BP_API const char *bp_version(void);

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
    X(ERANGE, -5, "index out of range")

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
 * in this thread. A successful call does not clear it. */
BP_API const char *bp_errmsg(void);

/* ------------------------------------------------------------------------ */
/* Network                                                                   */
/* ------------------------------------------------------------------------ */

/* Activation function sigma of a layer. Derivatives are computed from the
 * layer's output a, which is why the pre-activation z is never stored. */
typedef enum bp_activation {
    BP_ACT_IDENTITY = 0,  /* a = z;                  sigma' = 1 */
    BP_ACT_SIGMOID = 1,   /* a = 1 / (1 + e^-z);     sigma' = a (1 - a) */
    BP_ACT_TANH = 2,      /* a = tanh z;             sigma' = 1 - a^2 */
    BP_ACT_RELU = 3,      /* a = max(0, z);          sigma' = (z > 0) */
    BP_ACT_LEAKY_RELU = 4 /* a = z > 0 ? z : s z;    sigma' = z > 0 ? 1 : s */
} bp_activation;

/* The slope s of BP_ACT_LEAKY_RELU for negative inputs (PyTorch's default). */
#define BP_LEAKY_RELU_SLOPE 0.01f

/* Which implementation computes the three matrix products of each layer.
 * Both compute the same function; the naive loops are the reference the
 * OpenBLAS kernels are tested and benchmarked against. */
typedef enum bp_kernels {
    BP_KERNELS_OPENBLAS = 0, /* cblas_sgemv/sger for one example, sgemm for a batch */
    BP_KERNELS_NAIVE = 1     /* plain loops, no BLAS */
} bp_kernels;

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
 *   kernels      BP_KERNELS_OPENBLAS or BP_KERNELS_NAIVE.
 *   seed         seeds the network's own random generator. Weights and biases
 *                are drawn uniformly from [-1/sqrt(n_(l-1)), 1/sqrt(n_(l-1))]
 *                (PyTorch's default for a dense layer). The same seed and
 *                sizes always give the same parameters.
 *
 * The network starts with workspace for one example; bp_net_reserve() makes
 * room for larger batches. The library copies sizes and activations.
 *
 * Returns BP_OK; BP_EINVAL for a NULL pointer, n_layers == 0, a size of 0 or
 * over INT_MAX, or an unknown activation or kernel set; BP_EOVERFLOW when the
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
 *            n == 1 runs cblas_sgemv per layer, n > 1 cblas_sgemm.
 *   outputs  [out] set to the n x n_L outputs, row-major. Borrowed from the
 *            network: valid until the next call of bp_net_forward,
 *            bp_net_gradient, bp_net_train_step, bp_net_reserve or
 *            bp_net_destroy on this network. May be NULL.
 *
 * Allocates nothing. Returns BP_OK; BP_EINVAL for a NULL net or inputs,
 * n == 0, or inputs overlapping the network's memory; BP_EBATCH when n
 * exceeds the reserved batch; BP_EOVERFLOW when n x n_0 floats do not fit
 * in size_t (possible only where size_t has 32 bits). */
BP_API int bp_net_forward(bp_net *net, const float *inputs, size_t n, const float **outputs);

/* Runs the forward and the backward pass on a batch and stores the gradient
 * of the batch cost C = (1/n) sum_examples sum_j (a_j - y_j)^2 with respect
 * to every weight and bias in the network's gradient block (overwriting it).
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
 * bp_net_forward. */
BP_API int bp_net_gradient(bp_net *net, const float *inputs, const float *targets, size_t n,
                           float *cost);

/* Takes one step of gradient descent over every parameter:
 * theta <- theta - learning_rate * dC/dtheta, with the gradient block as last
 * computed by bp_net_gradient (zero before the first one).
 *
 * Allocates nothing. Returns BP_OK; BP_EINVAL for a NULL net or a
 * learning_rate that is negative or not finite. */
BP_API int bp_net_step(bp_net *net, float learning_rate);

/* bp_net_gradient followed by bp_net_step: one training step on a batch.
 * cost [out] is the batch cost before the step; may be NULL.
 * Allocates nothing. Returns what those two return. */
BP_API int bp_net_train_step(bp_net *net, const float *inputs, const float *targets, size_t n,
                             float learning_rate, float *cost);

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
 * Holds the gradient of the last bp_net_gradient call, zero before it. */
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
/* OpenBLAS                                                                  */
/* ------------------------------------------------------------------------ */

/* Sets the number of threads OpenBLAS uses inside each product, for the
 * whole process (OpenBLAS's setting is global). Use 1 when the caller runs
 * several threads of its own. OpenBLAS caps the number at the maximum it was
 * built for (64 in Debian's build), not at the number of cores: more threads
 * than cores only slow it down. Not thread-safe: call it before starting
 * threads that use the library.
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
