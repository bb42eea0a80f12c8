/* The cost functions and their output deltas, each in one fused pass. */
#ifndef BP_LOSS_H
#define BP_LOSS_H

#include <stddef.h>

#include "backprop.h"

/* mean_over is the number of examples the gradient is a mean over: n for
 * this batch alone; the whole global batch when these n examples are one
 * participant's share of it (train_loop.c), so that the participants' gradients
 * add up to the global mean.
 *
 * For a batch of n examples with outputs a and targets y (n x width each):
 *   delta = sigma'(z) (*) 2 (a - y) / mean_over
 * and returns the batch cost (1/n) sum_i sum_j (a_ij - y_ij)^2, summed in
 * double. sigma' is taken from a, for the output layer's activation; for
 * softmax the Jacobian is applied row by row. delta may be NULL: cost only. */
double bp__quadratic_output_delta(bp_activation activation, size_t n, size_t mean_over,
                                  size_t width, const float *a, const float *y, float *delta);

/* For a batch of n rows of logits z (n x width) and targets y: returns the
 * batch cross-entropy (1/n) sum_i sum_j y_ij (lse(z_i) - z_ij), computed
 * from the logits with log-sum-exp, writes delta = (softmax(z) sum_j y_ij -
 * y) / mean_over (may be NULL: cost only), and replaces z with softmax(z),
 * the layer's output. */
double bp__cross_entropy_output_delta(size_t n, size_t mean_over, size_t width, float *z,
                                      const float *y, float *delta);

#endif
