/* Internal: evaluation (evaluate.c), for bp_train's evaluation of its test
 * set each epoch and for bp_net_predict's batches. */
#ifndef BP_EVALUATE_H
#define BP_EVALUATE_H

#include <stddef.h>

#include "backprop.h"
#include "train/batches.h"

/* Reserves min(n, BP_EVAL_BATCH) examples if the network has room for
 * fewer: a loaded network has room for one. BP_OK or bp_net_reserve's code. */
int bp__reserve_for_evaluation(bp_net *net, size_t n);

/* Mean cost and accuracy of the whole set, in batches of b->capacity; with
 * a collective, of this participant's part of it (contiguous parts of a
 * shared set, or the whole shard), summed over the participants. loss and
 * accuracy may be NULL; accuracy is NaN for a regression set. */
int bp__evaluate_with(bp_net *net, const bp_dataset *data, const bp_collective *c,
                      bp__batch_buffers *b, double *loss, double *accuracy);

#endif
