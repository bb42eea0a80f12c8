/* The phase timers' switch, names and clock; see phase_timer.h. */
#define _POSIX_C_SOURCE 200809L
#include "core/phase_timer.h"

#include <time.h>

#include "core/net.h"

void bp__net_time_phases(bp_net *net, bp__phase_times *times) { net->phase_times = times; }

const char *bp__phase_name(bp__phase phase) {
    static const char *const names[BP_PHASES] = {
        [BP_PHASE_CHECKS] = "input checks",
        [BP_PHASE_FORWARD_PRODUCTS] = "forward products",
        [BP_PHASE_FORWARD_ACTIVATION] = "bias + activation",
        [BP_PHASE_OUTPUT_DELTA] = "cost + output delta",
        [BP_PHASE_BIAS_GRADIENTS] = "bias gradients",
        [BP_PHASE_INPUT_GRADIENTS] = "input-gradient products",
        [BP_PHASE_WEIGHT_GRADIENTS] = "weight-gradient products",
        [BP_PHASE_ACTIVATION_BACKWARD] = "activation derivative",
        [BP_PHASE_GRADIENT_CHECK] = "gradient check",
    };
    return (unsigned)phase < BP_PHASES ? names[phase] : "unknown";
}

double bp__phase_clock(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
