/* The optimizer object's layout, for the library's files that work inside
 * an optimizer: the update rules (optimizer.c), saving and loading its state
 * (io/optimizer_file.c), and training (train_loop.c, agreement.c). */
#ifndef BP_OPTIM_H
#define BP_OPTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backprop.h"

struct bp_optimizer {
    bp_optimizer_config config;
    size_t n_params; /* the parameter count of the networks it steps */
    uint64_t steps;  /* t: steps taken */
    /* MOMENTUM, NESTEROV: the velocity v (n_params floats).
     * ADAM: the first moment m, then the second moment v (2 n_params floats).
     * SGD: none (NULL, 0). One 64-byte aligned allocation from bp__alloc. */
    float *state;
    size_t state_floats;
};

/* The number of state floats `kind` keeps for n_params parameters (0 on
 * overflow for a kind that keeps some, with *ok set false). */
size_t bp__optimizer_state_floats(bp_optimizer_kind kind, size_t n_params, bool *ok);

/* Checks every field of a configuration against the ranges in backprop.h;
 * on failure records "<context>: <problem>" as the message (context is the
 * function's name, or more) and returns BP_EINVAL. */
int bp__optimizer_check_config(const bp_optimizer_config *config, const char *context);

/* The update rule of step t = opt->steps over the parameters [lo, hi) of
 * net (made for opt's parameter count, checked by the caller), without
 * advancing t: bp_optimizer_step over the whole block, and the workers
 * (workers.c) over one slice each, at the same time, before advancing t
 * once. Elementwise, so any cut into slices gives bitwise the same result. */
void bp__optimizer_step_range(const bp_optimizer *opt, bp_net *net, size_t lo, size_t hi);

#endif
