/* Drawing a network's initial parameters, shared by net.c (bp_net_create)
 * and init.c (bp_net_initialize). */
#ifndef BP_INIT_H
#define BP_INIT_H

#include <stdint.h>

#include "core/net.h"

/* Draws every W and b uniformly from [-1/sqrt(n_(l-1)), 1/sqrt(n_(l-1))],
 * layer by layer in block order, from a generator seeded with `seed`: the
 * same seed and sizes give the same parameters. Leaves the gradients alone. */
void bp__initialize_uniform(bp_net *net, uint64_t seed);

#endif
