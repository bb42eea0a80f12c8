/* How the examples of an epoch are cut into batches and the batches into
 * the participants' shares, the same on every participant (train_loop.c). */
#ifndef BP_SHARES_H
#define BP_SHARES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bp__shares {
    size_t rank, size; /* this participant of `size` (0 of 1 alone) */
    bool sharded;      /* each participant holds its own shard */
    size_t batch;      /* B, the global batch */
    size_t count;      /* this participant's examples: its shard, or the whole set */
    /* Sharded: every participant's count (size entries), and each one's
     * share of a full batch. Not owned. */
    const size_t *counts;
    size_t batches; /* per epoch, the same on every participant */
} bp__shares;

/* The `index`-th of `parts` contiguous shares of `total` items: the first
 * total % parts shares hold one item more. */
void bp__share_of(size_t total, size_t parts, size_t index, size_t *first, size_t *n);

/* Fills in s->batches from the other fields: ceil(count / B) for a shared
 * data set; for shards, the fewest batches any shard gives, each shard
 * contributing its share of B per batch (B >= size, checked by the caller). */
void bp__shares_plan(bp__shares *s);

/* Batch k (0-based) of the epoch: this participant's examples are
 * positions first .. first + n - 1 of its shuffled order (n may be 0), and
 * the batch holds `global` examples over all participants (its gradient is
 * the mean over them). */
void bp__shares_batch(const bp__shares *s, size_t k, size_t *first, size_t *n, size_t *global);

#endif
