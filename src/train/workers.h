/* The worker pool's internal entry points, for the training loop (train_loop.c). */
#ifndef BP_WORKERS_H
#define BP_WORKERS_H

#include <stddef.h>

#include "backprop.h"
#include "core/net.h"

/* The gradient of n examples' part of a mean over mean_over examples
 * (n <= mean_over, n <= the workers' max_batch), each worker computing its
 * contiguous share; the workers' sum lands in the network's gradient block
 * and every layer is handed to the network's hook (output layer first),
 * also on failure (as NaN). n == 0 gives a zero gradient. cost [out] is the
 * mean cost over the n examples. `function` names the entry point in
 * messages. Checks the summed gradient's finiteness. */
int bp__workers_gradient_share(bp_workers *w, const float *inputs, const float *targets, size_t n,
                               size_t mean_over, float *cost, const char *function);

/* bp__workers_gradient_share and, when the gradient is finite, the
 * optimizer step over slices in the same dispatch (t advances once); the
 * network must have no hook (nothing is handed out). No step on failure. */
int bp__workers_train_step_share(bp_workers *w, bp_optimizer *opt, const float *inputs,
                                 const float *targets, size_t n, size_t mean_over, float *cost,
                                 const char *function);

/* Worker k's outputs (n x n_L, its share's rows first .. first + n - 1 of
 * the last batch), valid until its next gradient. */
const float *bp__workers_outputs(const bp_workers *w, size_t k, size_t *first, size_t *n);

/* The optimizer step (opt made for the network's parameter count), each
 * worker its slice, after the hook's before_step; t advances once. */
int bp__workers_step(bp_workers *w, bp_optimizer *opt, const char *function);

#endif
