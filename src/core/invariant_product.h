/* Z = A_prev W^T in a fixed order of float operations per element, so that a
 * row's result does not depend on the rows computed beside it, nor on the CPU's
 * vector width, nor on OpenBLAS (its kernels are not row-invariant). */
#ifndef BP_INVARIANT_PRODUCT_H
#define BP_INVARIANT_PRODUCT_H

#include <stdbool.h>
#include <stddef.h>

/* Z = A_prev W^T (n x out) from A_prev (n x in) and W (out x in), row-major.
 * Every element z_ij is computed as: eight partial sums s_0..s_7, s_l the sum
 * over chunks c = 0, 1, ... in order of the float product x_i[8c+l] w_j[8c+l]
 * (each product rounded, then added: no fused multiply-add; the last chunk
 * padded with zeros), then z_ij = ((s_0 + s_4) + (s_2 + s_6)) + ((s_1 + s_5) +
 * (s_3 + s_7)). Only x_i and w_j enter it: the same bits for a row alone or
 * in any batch, at any position, on any x86-64 (AVX2 or not). */
void bp__invariant_dense_forward(size_t n, size_t in, size_t out, const float *a_prev,
                                 const float *w, float *z);

/* The same, always on the portable loops (no AVX2): for the tests, which
 * require the two to agree bitwise. */
void bp__invariant_dense_forward_portable(size_t n, size_t in, size_t out, const float *a_prev,
                                          const float *w, float *z);

#endif
