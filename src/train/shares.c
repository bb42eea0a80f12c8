/* Cutting an epoch into global batches and each batch into the participants' shares. */
#include "train/shares.h"

void bp__share_of(size_t total, size_t parts, size_t index, size_t *first, size_t *n) {
    const size_t base = total / parts, extra = total % parts;
    *n = base + (index < extra);
    *first = index * base + (index < extra ? index : extra);
}

/* Participant r's share of a full batch, in sharded mode. */
static size_t full_share(const bp__shares *s, size_t r) {
    size_t first, n;
    bp__share_of(s->batch, s->size, r, &first, &n);
    return n;
}

/* Examples participant r contributes to batch k in sharded mode. */
static size_t sharded_part(const bp__shares *s, size_t r, size_t k) {
    const size_t share = full_share(s, r), used = k * share;
    const size_t left = s->counts[r] > used ? s->counts[r] - used : 0;
    return left < share ? left : share;
}

void bp__shares_plan(bp__shares *s) {
    if (!s->sharded) {
        s->batches = (s->count + s->batch - 1) / s->batch;
        return;
    }
    size_t fewest = (size_t)-1;
    for (size_t r = 0; r < s->size; r++) {
        const size_t share = full_share(s, r);
        const size_t batches = (s->counts[r] + share - 1) / share;
        fewest = batches < fewest ? batches : fewest;
    }
    s->batches = fewest;
}

void bp__shares_batch(const bp__shares *s, size_t k, size_t *first, size_t *n, size_t *global) {
    if (!s->sharded) {
        /* Global positions k B .. k B + b - 1 of the one shuffle, cut in size parts. */
        const size_t start = k * s->batch, left = s->count - start;
        const size_t b = left < s->batch ? left : s->batch;
        size_t offset;
        bp__share_of(b, s->size, s->rank, &offset, n);
        *first = start + offset;
        *global = b;
        return;
    }
    /* Each shard gives its share of B, from its own shuffle. */
    *first = k * full_share(s, s->rank);
    *n = sharded_part(s, s->rank, k);
    size_t total = 0;
    for (size_t r = 0; r < s->size; r++)
        total += sharded_part(s, r, k);
    *global = total;
}
