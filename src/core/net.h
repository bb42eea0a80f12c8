/* The network object's layout, for the library's files that work inside a
 * network: its life cycle (net.c), the passes (passes.c), training,
 * saving, initializers and the phase timers. */
#ifndef BP_NET_H
#define BP_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "backprop.h"
#include "core/kernels.h"

typedef struct bp__layer {
    size_t inputs;  /* n_(l-1) */
    size_t outputs; /* n_l */
    bp_activation activation;
    size_t offset; /* W at params + offset (outputs x inputs), b right after it */
    float *output; /* this layer's activations a in the workspace: max_batch x outputs */
} bp__layer;

struct bp_net {
    const bp__kernels *kernels;
    bp_kernels kernel_set; /* which one kernels points to */
    bp_loss loss;
    bp_inference inference; /* the products of the forward-only calls */
    size_t n_layers;
    bp__layer *layers;

    /* One allocation holds both blocks, each starting on a cache line. */
    size_t n_params;
    float *params;       /* all W and b, layer by layer */
    float *grads;        /* dC/dW and dC/db, same layout */
    size_t blocks_bytes; /* the allocation holding both */

    /* Reserved once for the largest batch; forward and backward only reuse it. */
    size_t max_batch;
    size_t max_width; /* max(n_1 .. n_L): the widest delta */
    float *workspace; /* every layer's output, then the two delta buffers */
    size_t workspace_bytes;
    float *delta;      /* the delta of the layer being differentiated */
    float *next_delta; /* where the previous layer's delta is built */

    struct bp__phase_times *phase_times; /* NULL unless bp-bench times the phases */

    /* The caller's gradient hook (all NULL without one), and whether a
     * gradient has been handed out that before_step has not yet completed. */
    bp_gradient_hook hook;
    bool hook_pending;

    /* What a layer above core/ keeps with the network (data/preprocessing.c:
     * the preprocessing saved with the model), and the destructor that layer
     * installed with it; NULL without. core/ knows neither: it only calls
     * free_extension(extension) when the network goes. */
    void *extension;
    void (*free_extension)(void *extension);
};

/* Frees net's extension (through the destructor installed with it), then
 * makes `extension`, freed by free_extension, the one it owns. Either may be
 * NULL; an extension without a destructor is not freed. */
void bp__net_set_extension(bp_net *net, void *extension, void (*free_extension)(void *extension));

/* The gradient of n examples' part of a mean over mean_over examples
 * (n <= mean_over): their summed per-example gradients / mean_over, into
 * the gradient block, each layer handed to the gradient hook as it is
 * final. n == 0 gives a zero gradient (an empty share of a distributed
 * batch), still handed out. Unlike bp_net_gradient it never checks the
 * gradient itself: the caller does, after bp__net_complete_gradient.
 * cost [out] is the mean cost over the n examples (0 for none). */
int bp__net_gradient_share(bp_net *net, const float *inputs, const float *targets, size_t n,
                           size_t mean_over, float *cost, const char *function);

/* bp_net_forward, leaving the output layer's z = W a + b before its
 * activation when `logits` (bp_net_predict_output); `function` names the
 * public entry point in error messages. */
int bp__net_forward(bp_net *net, const float *inputs, size_t n, bool logits, const float **outputs,
                    const char *function);

/* Calls the hook's before_step once for the gradient last handed out, if it
 * has not been; returns BP_OK or the code it maps the hook's result to. */
int bp__net_complete_gradient(bp_net *net, const char *function);

/* Makes *view a network that computes with net's parameters (the same
 * block, read only) into its own gradient block `grads` (n_params floats)
 * and its own workspace for max_batch examples, with `layers` (n_layers
 * entries) as its layer table and no hook: one worker of workers.c.
 * Returns BP_OK, or BP_EOVERFLOW or BP_ENOMEM with nothing to release. */
int bp__net_view_init(bp_net *view, const bp_net *net, bp__layer *layers, float *grads,
                      size_t max_batch, const char *function);

/* Frees what bp__net_view_init allocated (the workspace). */
void bp__net_view_release(bp_net *view);

/* Pointers to layer l's W, b and their gradients. */
static inline float *bp__layer_weights(const bp_net *net, const bp__layer *layer) {
    return net->params + layer->offset;
}
static inline float *bp__layer_bias(const bp_net *net, const bp__layer *layer) {
    return net->params + layer->offset + layer->inputs * layer->outputs;
}
static inline float *bp__layer_weight_grads(const bp_net *net, const bp__layer *layer) {
    return net->grads + layer->offset;
}
static inline float *bp__layer_bias_grads(const bp_net *net, const bp__layer *layer) {
    return net->grads + layer->offset + layer->inputs * layer->outputs;
}

#endif
