/* A data set's rows in mini-batch buffers, shared by training (train_loop.c)
 * and evaluation (evaluate.c). */
#ifndef BP_BATCHES_H
#define BP_BATCHES_H

#include <stddef.h>

#include "backprop.h"

/* Buffers of one mini-batch, allocated once before the first step. */
typedef struct bp__batch_buffers {
    size_t capacity; /* examples they hold */
    float *inputs;   /* capacity x n_0 */
    float *targets;  /* capacity x n_L, one-hot */
} bp__batch_buffers;

/* Frees the buffers (zeroed after; safe on zeroed ones). */
void bp__batch_buffers_free(bp__batch_buffers *b);

/* Buffers for capacity examples of net. BP_OK, BP_EOVERFLOW or BP_ENOMEM
 * (message from function), nothing left allocated on failure. */
int bp__batch_buffers_alloc(bp__batch_buffers *b, const bp_net *net, size_t capacity,
                            const char *function);

/* A data set must fit the network: one input per feature, and every label
 * an output neuron (a test set may lack the last classes). name ("training",
 * "test", "data") names it in messages. BP_OK or BP_EINVAL. */
int bp__check_data(const bp_net *net, const bp_dataset *data, const char *name,
                   const char *function);

/* Copies examples order[first .. first + n) (first .. first + n - 1
 * without an order) into the buffers, with one-hot targets as wide as the
 * network's output (bp__check_data made sure every label fits). */
void bp__gather(const bp_dataset *data, const size_t *order, size_t first, size_t n, size_t outputs,
                bp__batch_buffers *b);

/* How many of the n output rows of examples order[first ..] (first ..
 * without an order) have their largest value at the example's label; 0 for
 * a regression set. */
size_t bp__count_correct(const float *outputs, const bp_dataset *data, const size_t *order,
                         size_t first, size_t n, size_t width);

#endif
