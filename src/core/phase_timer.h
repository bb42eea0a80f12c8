/* Wall-clock totals per phase of the forward and backward passes, for
 * bp-bench's breakdown of a training step. Off (a NULL pointer on the
 * network) unless bp-bench turns them on; the library never does. */
#ifndef BP_PHASE_TIMER_H
#define BP_PHASE_TIMER_H

#include "backprop.h"

typedef enum bp__phase {
    BP_PHASE_CHECKS,              /* finiteness of a fused step's inputs and targets */
    BP_PHASE_FORWARD_PRODUCTS,    /* Z = A_prev W^T */
    BP_PHASE_FORWARD_ACTIVATION,  /* A = sigma(Z + 1 b^T) */
    BP_PHASE_OUTPUT_DELTA,        /* the cost and Delta^(L) */
    BP_PHASE_BIAS_GRADIENTS,      /* column sums of Delta (and a fused step on b) */
    BP_PHASE_INPUT_GRADIENTS,     /* Delta W */
    BP_PHASE_WEIGHT_GRADIENTS,    /* Delta^T A_prev (and a fused step on W) */
    BP_PHASE_ACTIVATION_BACKWARD, /* sigma'(Z_prev) (*) dC/dA_prev */
    BP_PHASE_GRADIENT_CHECK,      /* finiteness of bp_net_gradient's gradient */
    BP_PHASES
} bp__phase;

typedef struct bp__phase_times {
    double seconds[BP_PHASES]; /* summed over every call since zeroed */
} bp__phase_times;

/* Adds each phase's time on `net` to *times from now on; NULL stops it. */
void bp__net_time_phases(bp_net *net, bp__phase_times *times);

/* "forward products", ... */
const char *bp__phase_name(bp__phase phase);

/* Seconds on the monotonic clock. */
double bp__phase_clock(void);

/* Runs `statement`, adding its time to phase `phase` when net times phases. */
#define BP_TIMED(net, phase, statement)                                                            \
    do {                                                                                           \
        if (!(net)->phase_times) {                                                                 \
            statement;                                                                             \
        } else {                                                                                   \
            const double bp__started = bp__phase_clock();                                          \
            statement;                                                                             \
            (net)->phase_times->seconds[phase] += bp__phase_clock() - bp__started;                 \
        }                                                                                          \
    } while (0)

#endif
