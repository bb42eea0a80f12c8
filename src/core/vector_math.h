/* The sigmoid and tanh of a biased row, eight lanes at a time where the CPU
 * and the C library allow: the transcendental functions are what bounds the
 * forward pass's elementwise work, not the adds. */
#ifndef BP_VECTOR_MATH_H
#define BP_VECTOR_MATH_H

#include <stddef.h>

/* row[j] <- 1 / (1 + e^-(row[j] + bias[j])) for j < width. */
void bp__sigmoid_row(size_t width, const float *restrict bias, float *restrict row);

/* row[j] <- tanh(row[j] + bias[j]) for j < width. */
void bp__tanh_row(size_t width, const float *restrict bias, float *restrict row);

#endif
