/* The quadratic cost and the output delta, in one fused pass. */
#ifndef BP_LOSS_H
#define BP_LOSS_H

#include <stddef.h>

#include "backprop.h"

/* For a batch of n examples with outputs a and targets y (n x width each):
 *   delta = sigma'(z) (*) 2 (a - y) / n   (the 1/n makes every gradient a mean)
 * and returns the batch cost (1/n) sum_i sum_j (a_ij - y_ij)^2, summed in
 * double. sigma' is taken from a, for the output layer's activation. */
double bp__quadratic_output_delta(bp_activation activation, size_t n, size_t width, const float *a,
                                  const float *y, float *delta);

#endif
