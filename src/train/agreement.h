/* The participants of a distributed bp_train agree before the first step:
 * on errors, shapes, options and starting state (train_loop.c). */
#ifndef BP_AGREEMENT_H
#define BP_AGREEMENT_H

#include <stddef.h>

#include "backprop.h"

/* Every participant calls this once, with its own arguments and the code its
 * own checks gave (local_rc). One sum over the collective gathers a row of
 * facts from each participant; each then compares every row with its own.
 * Returns BP_OK on every participant when all are well and agree, and
 * fills counts (c->size entries) with each participant's training-set
 * count. Otherwise every participant fails: one whose own checks failed
 * with local_rc (its message kept), the others with BP_EPEER; differing
 * shapes, options, parameters or optimizer states with BP_EINVAL naming the
 * field; a failed sum with BP_ECOMM. */
int bp__agree_to_start(const bp_collective *c, const bp_net *net, const bp_optimizer *opt,
                       const bp_dataset *train, const bp_dataset *test,
                       const bp_train_options *options, int local_rc, size_t *counts,
                       const char *function);

/* Sums `count` doubles over the participants (nothing alone or with one).
 * BP_OK, or BP_ECOMM naming `what` when the collective's sum fails. */
int bp__sum_over_participants(const bp_collective *c, double *values, size_t count,
                              const char *what);

#endif
