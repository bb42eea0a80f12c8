/* Text descriptions of a network, shared by the train and info commands. */
#ifndef BACKPROP_TOOL_DESCRIBE_H
#define BACKPROP_TOOL_DESCRIBE_H

#include <backprop.h>
#include <stdio.h>

/* "784-256-128-10": the inputs and each layer's neurons. */
void print_shape(FILE *out, bp_net *net);

/* The activation of the hidden layers when they all share one, and
 * "mixed" otherwise, or "none" for a network without hidden layers. */
const char *hidden_activation(bp_net *net);

/* The output layer's activation. */
const char *output_activation(bp_net *net);

#endif
