/*
 * reference.h - test-only double-precision reference for backprop.
 *
 * Written straight from the per-example formulas of include/backprop.h, one
 * example and one neuron at a time, sharing no code with the library:
 *
 *   z^(l) = W^(l) a^(l-1) + b^(l),  a^(l) = sigma(z^(l)),  C_0 = sum_j (a_j - y_j)^2
 *   (or C_0 = -sum_j y_j log a_j, and softmax outputs, through their Jacobian)
 *   delta^(L) = sigma'(z^(L)) 2 (a^(L) - y),  delta^(l-1) = sigma'(z^(l-1)) W^(l)T delta^(l)
 *   dC/dW^(l) = delta^(l) a^(l-1)T,  dC/db^(l) = delta^(l)
 *
 * Batch cost and gradient are the means over the examples. sigma' is computed
 * from z (the library computes it from a), so the two stay independent.
 *
 * Parameters and gradients use the library's layout: per layer W (n_l x n_(l-1),
 * row-major) then b (n_l). Inputs and targets are the float arrays fed to the
 * library; all arithmetic is in double.
 *
 * Also: a seeded PRNG (splitmix64) to fill arrays, and comparisons of arrays
 * relative to the expected array's scale, reporting the worst element.
 */
#ifndef BP_TEST_REFERENCE_H
#define BP_TEST_REFERENCE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <backprop.h>

/* The architecture of a network: n_layers dense layers, sizes[0..n_layers],
 * acts[0..n_layers-1] (acts[l-1] is layer l's). Borrowed arrays. */
typedef struct ref_arch {
    size_t n_layers;
    const size_t *sizes;
    const bp_activation *acts;
} ref_arch;

/* A network shape with its own storage, for tables of test cases;
 * REF_CASE_ARCH(c) views one as a ref_arch. */
#define REF_MAX_LAYERS 5
typedef struct ref_case {
    size_t n_layers;
    size_t sizes[REF_MAX_LAYERS + 1];
    bp_activation acts[REF_MAX_LAYERS];
} ref_case;
#define REF_CASE_ARCH(c) ((ref_arch){(c)->n_layers, (c)->sizes, (c)->acts})

/* Floats in the parameter (and gradient) block. */
size_t ref_num_params(const ref_arch *arch);

/* sigma(z) and sigma'(z) in double; leaky ReLU uses BP_LEAKY_RELU_SLOPE. */
double ref_act(bp_activation act, double z);
double ref_act_deriv(bp_activation act, double z);

/* outputs [out]: n x n_L doubles, row-major. */
void ref_forward(const ref_arch *arch, const double *params, const float *inputs, size_t n,
                 double *outputs);

/* The batch cost (1/n) sum_examples sum_j (a_j - y_j)^2, and nothing else:
 * the function central finite differences are taken of. */
double ref_cost(const ref_arch *arch, const double *params, const float *inputs,
                const float *targets, size_t n);

/* The same for a given cost: BP_LOSS_QUADRATIC as above, or
 * BP_LOSS_CROSS_ENTROPY, -sum_j y_j log a_j (log-sum-exp of z for a softmax
 * output). */
double ref_cost_loss(const ref_arch *arch, bp_loss loss, const double *params, const float *inputs,
                     const float *targets, size_t n);

/* Backpropagation: grads [out] (ref_num_params doubles) is the mean of the
 * per-example gradients. Returns the batch cost. */
double ref_gradient(const ref_arch *arch, const double *params, const float *inputs,
                    const float *targets, size_t n, double *grads);

/* The same for a given cost. A softmax output layer's delta goes through its
 * full Jacobian: delta_j = sum_k dC_0/da_k a_k (kronecker_kj - a_j). */
double ref_gradient_loss(const ref_arch *arch, bp_loss loss, const double *params,
                         const float *inputs, const float *targets, size_t n, double *grads);

/* The smallest |z| over every neuron of every ReLU or leaky ReLU layer and
 * every example, or INFINITY when there is no such layer. Used to keep the
 * inputs away from the kink, where float and double may disagree on sigma'. */
double ref_min_abs_z_at_kinks(const ref_arch *arch, const double *params, const float *inputs,
                              size_t n);

/* Copy the library's parameters or gradients, read through bp_net_layer, into
 * the reference layout as doubles (ref_num_params of them). Assert (Criterion)
 * that the library's layers have the shapes and activations of arch. */
void ref_params_from_net(bp_net *net, const ref_arch *arch, double *params);
void ref_grads_from_net(bp_net *net, const ref_arch *arch, double *grads);

/* Writes "layer l w[j][k]" or "layer l b[j]" for index i of the block. */
void ref_param_name(const ref_arch *arch, size_t i, char *buf, size_t len);

/* calloc that fails the test when out of memory. Free with free(). */
void *ref_alloc(size_t count, size_t size);

/* splitmix64: a tiny seeded generator for the test data. */
typedef struct ref_rng {
    uint64_t state;
} ref_rng;

uint64_t ref_rng_next(ref_rng *rng);
/* Uniform in [lo, hi). */
double ref_rng_uniform(ref_rng *rng, double lo, double hi);
void ref_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi);
void ref_fill_uniform_d(double *dst, size_t n, uint64_t seed, double lo, double hi);

/* The result of comparing got with want, element by element. */
typedef struct ref_diff {
    size_t worst;   /* index of the largest |got - want| */
    double max_abs; /* that difference */
    double scale;   /* max(max |want|, REF_TINY) */
    double got;     /* got[worst] */
    double want;    /* want[worst] */
    char where[96]; /* names the worst element ("element 3", "layer 2 w[1][0]") */
} ref_diff;

#define REF_TINY 1e-30

ref_diff ref_diff_dd(const double *got, const double *want, size_t n);
ref_diff ref_diff_fd(const float *got, const double *want, size_t n);
ref_diff ref_diff_ff(const float *got, const float *want, size_t n);
/* Renames d.where after the parameter the worst index is in. */
void ref_diff_name(ref_diff *d, const ref_arch *arch);

/* Compares two parameter or gradient blocks layer by layer, each layer
 * against its own scale (max |want| over its W and b), so that a layer whose
 * gradients are small next to another's is checked as closely. Returns the
 * layer whose max |got - want| / scale is worst, its element named. */
ref_diff ref_diff_layers_dd(const double *got, const double *want, const ref_arch *arch);
ref_diff ref_diff_layers_fd(const float *got, const double *want, const ref_arch *arch);
ref_diff ref_diff_layers_ff(const float *got, const float *want, const ref_arch *arch);

/* Fails the test unless max |got - want| <= tol * scale. what: a string. */
#define REF_ASSERT_CLOSE(d, tol, what)                                                             \
    cr_assert((d).max_abs <= (tol) * (d).scale,                                                    \
              "%s: worst |got - want| = %.3g at %s (got %.9g, want %.9g) exceeds %.1g x the "      \
              "scale %.3g",                                                                        \
              (what), (d).max_abs, (d).where, (d).got, (d).want, (double)(tol), (d).scale)

/* Fails the test unless |got - want| <= tol * |want| for two scalars. */
#define REF_ASSERT_REL(got, want, tol, what)                                                       \
    cr_assert(fabs((double)(got) - (double)(want)) <= (tol)*fabs((double)(want)),                  \
              "%s: got %.9g, want %.9g (relative tolerance %.1g)", (what), (double)(got),          \
              (double)(want), (double)(tol))

#endif /* BP_TEST_REFERENCE_H */
