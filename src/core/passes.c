/* The forward and backward passes and the descent step, written once over
 * the kernel table of kernels.h (OpenBLAS or naive loops). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/activation.h"
#include "core/finite.h"
#include "core/invariant_product.h"
#include "core/loss.h"
#include "core/net.h"
#include "core/phase_timer.h"
#include "support/alloc.h"
#include "support/error.h"

/* Caller data of rows x width floats must not lie in the network's own
 * memory: the passes overwrite the workspace (where bp_net_forward's outputs
 * live) while reading the inputs and targets. */
static int check_caller_array(const bp_net *net, const float *data, const char *name, size_t rows,
                              size_t width, const char *function) {
    size_t bytes;
    const int rc = bp__caller_floats(data, name, rows, width, function, &bytes);
    if (rc != BP_OK)
        return rc;
    if (bp__overlaps(data, bytes, net->workspace, net->workspace_bytes) ||
        bp__overlaps(data, bytes, net->params, net->blocks_bytes))
        return bp__fail(BP_EINVAL, function,
                        "%s overlap the network's own outputs or parameters; pass a copy", name);
    return BP_OK;
}

/* Checks the arguments shared by forward and gradient. */
static int check_batch(const bp_net *net, const float *inputs, size_t n, const char *function) {
    if (!net)
        return bp__fail(BP_EINVAL, function, "net is NULL");
    if (n == 0)
        return bp__fail(BP_EINVAL, function, "the batch has no examples (n is 0)");
    if (n > net->max_batch)
        return bp__fail(BP_EBATCH, function,
                        "batch of %zu examples exceeds the %zu reserved (see bp_net_reserve)", n,
                        net->max_batch);
    return check_caller_array(net, inputs, "inputs", n, net->layers[0].inputs, function);
}

/* check_batch, and targets of n x n_L floats outside the network's memory. */
static int check_batch_and_targets(const bp_net *net, const float *inputs, const float *targets,
                                   size_t n, const char *function) {
    const int rc = check_batch(net, inputs, n, function);
    if (rc != BP_OK)
        return rc;
    return check_caller_array(net, targets, "targets", n, net->layers[net->n_layers - 1].outputs,
                              function);
}

static int check_learning_rate(float learning_rate, const char *function) {
    if (!isfinite(learning_rate) || learning_rate < 0.0f)
        return bp__fail(BP_EINVAL, function, "learning rate %g must be finite and not negative",
                        (double)learning_rate);
    return BP_OK;
}

/* How forward_pass computes each layer's product. */
typedef enum products {
    KERNEL_PRODUCTS,   /* the kernel set's (sgemm, sgemv or loops): training's passes */
    INFERENCE_PRODUCTS /* as bp_net_set_inference asked: the forward-only calls */
} products;

/* a^(l) = sigma(W a^(l-1) + b) for every layer, into each layer's output
 * buffer. With keep_logits, the output layer gets z = W a + b only, for a
 * cost that works from the logits (cross-entropy) and applies softmax itself.
 * The activations work row by row, each element by the same function at the
 * same position in its row (vector_math.c pads a row's tail), so a row's
 * outputs are batch-invariant exactly when the products are. */
static void forward_pass(bp_net *net, const float *inputs, size_t n, bool keep_logits,
                         products which) {
    const bool invariant = which == INFERENCE_PRODUCTS && net->inference == BP_INFERENCE_INVARIANT;
    const float *a_prev = inputs;
    for (size_t l = 0; l < net->n_layers; l++) {
        const bp__layer *layer = &net->layers[l];
        const bool last = l + 1 == net->n_layers;
        const float *w = bp__layer_weights(net, layer);
        /* Z = A_prev W^T, then A = sigma(Z + 1 b^T) in one pass over Z. */
        if (invariant)
            BP_TIMED(net, BP_PHASE_FORWARD_PRODUCTS,
                     bp__invariant_dense_forward(n, layer->inputs, layer->outputs, a_prev, w,
                                                 layer->output));
        else
            BP_TIMED(net, BP_PHASE_FORWARD_PRODUCTS,
                     net->kernels->dense_forward(n, layer->inputs, layer->outputs, a_prev, w,
                                                 layer->output));
        BP_TIMED(net, BP_PHASE_FORWARD_ACTIVATION,
                 bp__activation_forward(last && keep_logits ? BP_ACT_IDENTITY : layer->activation,
                                        n, layer->outputs, bp__layer_bias(net, layer),
                                        layer->output));
        a_prev = layer->output;
    }
}

/* True when the network's cost is computed from the output layer's logits. */
static bool uses_logits(const bp_net *net) { return net->loss == BP_LOSS_CROSS_ENTROPY; }

/* The batch cost after forward_pass(net, ..., uses_logits(net)), and the
 * output delta into `delta` unless it is NULL, carrying 1/mean_over (see
 * loss.h). Leaves the output layer's buffer holding its activations a
 * (softmax probabilities for a logits cost). */
static double output_cost(bp_net *net, const float *targets, size_t n, size_t mean_over,
                          float *delta) {
    const bp__layer *last = &net->layers[net->n_layers - 1];
    if (uses_logits(net))
        return bp__cross_entropy_output_delta(n, mean_over, last->outputs, last->output, targets,
                                              delta);
    return bp__quadratic_output_delta(last->activation, n, mean_over, last->outputs, last->output,
                                      targets, delta);
}

/* sums = the column sums of Delta (n x width): dC/db, which per example is
 * delta itself. */
static void column_sums(size_t n, size_t width, const float *delta, float *sums) {
    for (size_t j = 0; j < width; j++)
        sums[j] = delta[j];
    for (size_t i = 1; i < n; i++) {
        const float *row = delta + i * width;
        for (size_t j = 0; j < width; j++)
            sums[j] += row[j];
    }
}

/* Where a backward pass puts each layer's gradient. */
typedef enum pass_mode {
    GRADIENT_TO_BLOCK, /* into the gradient block, handed to the hook layer by layer */
    FUSED_STEP         /* applied to the parameters at once: theta <- theta - eta dC/dtheta */
} pass_mode;

/* Floats of layer l's W and b together: its span of the flat blocks. */
static size_t layer_span(const bp__layer *layer) {
    return layer->outputs * layer->inputs + layer->outputs;
}

static bool has_hook(const bp_net *net) { return net->hook.layer_ready || net->hook.before_step; }

/* Hands layer l's final gradient to the caller's hook, if there is one. */
static void hand_out_layer(bp_net *net, size_t l) {
    if (net->hook.layer_ready)
        net->hook.layer_ready(net->hook.user, l, net->layers[l].offset,
                              layer_span(&net->layers[l]));
}

/* A gradient block of `value` everywhere, every layer handed out (output
 * first): what a hook gets when no gradient could be computed (NaN) or the
 * share was empty (0), so that it sees the same calls as on every other
 * participant. */
static void hand_out_constant_gradient(bp_net *net, float value) {
    for (size_t i = 0; i < net->n_params; i++)
        net->grads[i] = value;
    net->hook_pending = true;
    for (size_t l = net->n_layers; l-- > 0;)
        hand_out_layer(net, l);
}

/* The chain rule from the output layer back to the first, after forward_pass
 * on the same inputs and output_cost into net->delta. GRADIENT_TO_BLOCK
 * leaves the gradients in the gradient block, each layer handed to the hook
 * as soon as it is final; FUSED_STEP applies each layer's gradient as it is
 * found, theta <- theta - step_rate dC/dtheta, by the product itself (BLAS
 * beta = 1 on W), and leaves the gradient block alone: one pass fewer over
 * the parameters and none over the gradients. */
static void backward_pass(bp_net *net, const float *inputs, size_t n, pass_mode mode,
                          float step_rate) {
    const bool fused_step = mode == FUSED_STEP;
    if (!fused_step)
        net->hook_pending = true;
    float *delta = net->delta, *next_delta = net->next_delta;
    for (size_t l = net->n_layers; l-- > 0;) {
        const bp__layer *layer = &net->layers[l];
        const float *a_prev = l > 0 ? net->layers[l - 1].output : inputs;
        /* A fused step sums db in next_delta, free until Delta W fills it
         * below; the gradient block must be left as it was. */
        float *bias_grad = fused_step ? next_delta : bp__layer_bias_grads(net, layer);
        BP_TIMED(net, BP_PHASE_BIAS_GRADIENTS, {
            column_sums(n, layer->outputs, delta, bias_grad);
            if (fused_step) {
                float *bias = bp__layer_bias(net, layer);
                for (size_t j = 0; j < layer->outputs; j++)
                    bias[j] -= step_rate * bias_grad[j];
            }
        });
        /* dC/dA_prev = Delta W, before a fused step changes W. */
        if (l > 0)
            BP_TIMED(net, BP_PHASE_INPUT_GRADIENTS,
                     net->kernels->input_grad(n, layer->inputs, layer->outputs, delta,
                                              bp__layer_weights(net, layer), next_delta));
        /* dC/dW = Delta^T A_prev, the mean of the outer products delta
         * a_prev^T (delta holds the 1/n), into the gradient block, or
         * W <- W - eta Delta^T A_prev. */
        float *weight_target =
            fused_step ? bp__layer_weights(net, layer) : bp__layer_weight_grads(net, layer);
        BP_TIMED(net, BP_PHASE_WEIGHT_GRADIENTS,
                 net->kernels->weight_grad(n, layer->inputs, layer->outputs,
                                           fused_step ? -step_rate : 1.0f, delta, a_prev,
                                           fused_step, weight_target));
        /* dW and db of this layer are final: the hook may start sending
         * them while the layers below are differentiated. */
        if (!fused_step)
            hand_out_layer(net, l);
        if (l == 0)
            break; /* nothing learns from dC/dx */
        /* Delta_prev = sigma'(Z_prev) (*) dC/dA_prev. */
        BP_TIMED(net, BP_PHASE_ACTIVATION_BACKWARD,
                 bp__activation_backward(net->layers[l - 1].activation, n * layer->inputs, a_prev,
                                         next_delta));
        float *swap = delta;
        delta = next_delta;
        next_delta = swap;
    }
}

int bp__net_forward(bp_net *net, const float *inputs, size_t n, bool logits, const float **outputs,
                    const char *function) {
    int rc = check_batch(net, inputs, n, function);
    if (rc != BP_OK)
        return rc;
    forward_pass(net, inputs, n, logits, INFERENCE_PRODUCTS);
    if (outputs)
        *outputs = net->layers[net->n_layers - 1].output;
    return BP_OK;
}

int bp_net_forward(bp_net *net, const float *inputs, size_t n, const float **outputs) {
    return bp__net_forward(net, inputs, n, false, outputs, __func__);
}

/* Forward and backward on a batch of n examples whose gradient is part of a
 * mean over mean_over (n itself but for a share of a distributed batch),
 * with a fused step in FUSED_STEP mode (see backward_pass); `function` names
 * the public entry point in error messages. With check_gradient, a
 * non-finite gradient is reported (unless a hook owns the block). Nothing
 * non-finite reaches the parameters: a fused step needs finite inputs and
 * targets (an infinite input can leave the cost finite and still make the
 * first layer's gradient infinite) and a finite cost before it starts. In
 * GRADIENT_TO_BLOCK mode every layer is handed out even on failure. */
static int forward_and_backward(bp_net *net, const float *inputs, const float *targets, size_t n,
                                size_t mean_over, pass_mode mode, float step_rate,
                                bool check_gradient, float *cost, const char *function) {
    const bool fused_step = mode == FUSED_STEP;
    int rc = check_batch_and_targets(net, inputs, targets, n, function);
    if (rc == BP_OK && fused_step && has_hook(net))
        rc = bp__fail(BP_EINVAL, function,
                      "a gradient hook is set; the fused step has no gradient to hand to it "
                      "(use bp_net_gradient and an optimizer step)");
    /* A gradient still with the hook (no step since): complete it before
     * this pass writes the block again. */
    if (net && !fused_step && net->hook_pending) {
        const int previous = bp__net_complete_gradient(net, function);
        if (rc == BP_OK)
            rc = previous;
    }
    if (rc != BP_OK) {
        if (net && !fused_step && has_hook(net))
            hand_out_constant_gradient(net, NAN);
        return rc;
    }
    const size_t n_outputs = net->layers[net->n_layers - 1].outputs;
    bool inputs_finite = true, targets_finite = true;
    if (fused_step)
        BP_TIMED(net, BP_PHASE_CHECKS, {
            inputs_finite = bp__all_finite(inputs, n * net->layers[0].inputs);
            targets_finite = bp__all_finite(targets, n * n_outputs);
        });
    if (!inputs_finite || !targets_finite)
        return bp__fail(BP_ENONFINITE, function,
                        "the %s hold a NaN or an infinity, so the %s would not be finite; no step "
                        "taken",
                        inputs_finite ? "targets" : "inputs", inputs_finite ? "cost" : "gradient");
    forward_pass(net, inputs, n, uses_logits(net), KERNEL_PRODUCTS);
    /* The cost, and Delta^(L) = sigma'(Z) (*) 2 (A - Y) / n (quadratic) or
     * softmax(Z) - Y over n (cross-entropy), in one pass. Judged as the
     * float the caller gets: a cost past FLT_MAX is infinite. */
    float batch_cost;
    BP_TIMED(net, BP_PHASE_OUTPUT_DELTA,
             batch_cost = (float)output_cost(net, targets, n, mean_over, net->delta));
    if (cost)
        *cost = batch_cost;
    if (!isfinite(batch_cost)) {
        const bool hooked = !fused_step && has_hook(net);
        if (hooked)
            hand_out_constant_gradient(net, NAN);
        return bp__fail(BP_ENONFINITE, function, "the cost is not finite (%g); %s",
                        (double)batch_cost,
                        fused_step ? "no step taken"
                        : hooked   ? "no gradient computed (the gradient block holds NaN)"
                                   : "the gradient block is left as it was");
    }
    backward_pass(net, inputs, n, mode, step_rate);
    bool gradient_finite = true;
    if (check_gradient && !fused_step && !has_hook(net))
        BP_TIMED(net, BP_PHASE_GRADIENT_CHECK,
                 gradient_finite = bp__all_finite(net->grads, net->n_params));
    if (!gradient_finite)
        return bp__fail(BP_ENONFINITE, function,
                        "the gradient is not finite (the cost is %g); the gradient block holds it",
                        (double)batch_cost);
    return BP_OK;
}

int bp_net_gradient(bp_net *net, const float *inputs, const float *targets, size_t n, float *cost) {
    return forward_and_backward(net, inputs, targets, n, n, GRADIENT_TO_BLOCK, 0.0f, true, cost,
                                __func__);
}

int bp__net_gradient_share(bp_net *net, const float *inputs, const float *targets, size_t n,
                           size_t mean_over, float *cost, const char *function) {
    if (n == 0) {
        *cost = 0.0f;
        hand_out_constant_gradient(net, 0.0f);
        return BP_OK;
    }
    return forward_and_backward(net, inputs, targets, n, mean_over, GRADIENT_TO_BLOCK, 0.0f, false,
                                cost, function);
}

int bp__net_complete_gradient(bp_net *net, const char *function) {
    if (!net->hook_pending)
        return BP_OK;
    net->hook_pending = false;
    if (!net->hook.before_step)
        return BP_OK;
    const int result = net->hook.before_step(net->hook.user);
    if (result == 0)
        return BP_OK;
    const int code = result < 0 && bp__is_error_code(result) ? result : BP_ECOMM;
    return bp__fail(code, function, "the gradient hook's before_step returned %d", result);
}

int bp_net_cost(bp_net *net, const float *inputs, const float *targets, size_t n, float *cost,
                const float **outputs) {
    int rc = check_batch_and_targets(net, inputs, targets, n, __func__);
    if (rc == BP_OK && !cost)
        rc = bp__fail(BP_EINVAL, __func__, "cost is NULL");
    if (rc != BP_OK)
        return rc;
    forward_pass(net, inputs, n, uses_logits(net), INFERENCE_PRODUCTS);
    *cost = (float)output_cost(net, targets, n, n, NULL);
    if (outputs)
        *outputs = net->layers[net->n_layers - 1].output;
    return BP_OK;
}

int bp_net_step(bp_net *net, float learning_rate) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    /* Completed even when the step is refused: no reduction left unfinished. */
    const int complete_rc = bp__net_complete_gradient(net, __func__);
    int rc = check_learning_rate(learning_rate, __func__);
    if (rc == BP_OK)
        rc = complete_rc;
    if (rc != BP_OK)
        return rc;
    /* theta <- theta - eta dC/dtheta, one pass over the flat block. */
    net->kernels->descend(net->n_params, learning_rate, net->grads, net->params);
    return BP_OK;
}

int bp_net_train_step(bp_net *net, const float *inputs, const float *targets, size_t n,
                      float learning_rate, float *cost) {
    const int rc = check_learning_rate(learning_rate, __func__);
    if (rc != BP_OK)
        return rc;
    return forward_and_backward(net, inputs, targets, n, n, FUSED_STEP, learning_rate, false, cost,
                                __func__);
}
