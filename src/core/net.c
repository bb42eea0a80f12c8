/* The network object: creation (its first weights drawn by init.c), workspace, views and sizes. */
#include "core/net.h"

#include <limits.h>

#include "core/activation.h"
#include "core/init.h"
#include "support/alloc.h"
#include "support/error.h"

/* Checks the arguments of bp_net_create, counts the parameters, and sizes
 * each of the two blocks: the count rounded up to whole cache lines, so that
 * the gradient block starts aligned right after the parameter block. */
static int check_shape(size_t n_layers, const size_t *sizes, const bp_activation *activations,
                       bp_kernels kernels, size_t *n_params, size_t *block_floats) {
    static const char *const fn = "bp_net_create";
    if (!sizes || !activations)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !sizes ? "sizes" : "activations");
    if (n_layers == 0)
        return bp__fail(BP_EINVAL, fn, "a network needs at least one layer");
    const int rc = bp__check_kernels(kernels, fn);
    if (rc != BP_OK)
        return rc;
    size_t total = 0;
    for (size_t l = 0; l <= n_layers; l++) {
        if (sizes[l] == 0 || sizes[l] > (size_t)INT_MAX)
            return bp__fail(BP_EINVAL, fn, "sizes[%zu] is %zu; each size must be 1 to %d", l,
                            sizes[l], INT_MAX);
    }
    for (size_t l = 1; l <= n_layers; l++) {
        if (!bp__activation_valid(activations[l - 1]))
            return bp__fail(BP_EINVAL, fn, "activations[%zu] is %d, not a bp_activation", l - 1,
                            (int)activations[l - 1]);
        if (activations[l - 1] == BP_ACT_SOFTMAX && l != n_layers)
            return bp__fail(BP_EINVAL, fn,
                            "activations[%zu] is softmax, which only the output layer may use",
                            l - 1);
        size_t weights, layer_params;
        /* Layer l holds n_l * n_(l-1) weights and n_l biases. */
        if (!bp__mul_size(sizes[l], sizes[l - 1], &weights) ||
            !bp__add_size(weights, sizes[l], &layer_params) ||
            !bp__add_size(total, layer_params, &total))
            return bp__fail(BP_EOVERFLOW, fn, "the parameter count overflows size_t at layer %zu",
                            l);
    }
    size_t rounded, bytes;
    if (!bp__round_up_floats(total, &rounded) || !bp__mul_size(rounded, 2 * sizeof(float), &bytes))
        return bp__fail(BP_EOVERFLOW, fn, "%zu parameters and their gradients overflow size_t",
                        total);
    *n_params = total;
    *block_floats = rounded;
    return BP_OK;
}

/* Floats of workspace for one layer's outputs (or one delta) of `width`
 * over max_batch examples, rounded up to whole cache lines so that buffers
 * carved one after another all start aligned; false on overflow. */
static bool buffer_floats(size_t max_batch, size_t width, size_t *floats) {
    return bp__mul_size(max_batch, width, floats) && bp__round_up_floats(*floats, floats);
}

/* Replaces the workspace with one for max_batch examples: each layer's
 * outputs, then two deltas of the widest layer. Keeps the old workspace on
 * failure. `function` names the public entry point in error messages. */
static int reserve_workspace(bp_net *net, size_t max_batch, const char *function) {
    size_t total = 0, floats, delta_floats = 0, bytes = 0;
    bool ok = true;
    for (size_t l = 0; l < net->n_layers && ok; l++)
        ok = buffer_floats(max_batch, net->layers[l].outputs, &floats) &&
             bp__add_size(total, floats, &total);
    ok = ok && buffer_floats(max_batch, net->max_width, &delta_floats) &&
         bp__add_size(total, delta_floats, &total) && bp__add_size(total, delta_floats, &total) &&
         bp__mul_size(total, sizeof(float), &bytes);
    if (!ok)
        return bp__fail(BP_EOVERFLOW, function, "the workspace for a batch of %zu overflows size_t",
                        max_batch);

    /* Not zeroed: every buffer is written before it is read. */
    float *workspace = bp__alloc(bytes);
    if (!workspace)
        return bp__fail(BP_ENOMEM, function, "no memory for %zu bytes of workspace", bytes);
    bp__free(net->workspace);
    net->workspace = workspace;
    net->workspace_bytes = bytes;
    net->max_batch = max_batch;

    float *next = workspace;
    for (size_t l = 0; l < net->n_layers; l++) {
        net->layers[l].output = next;
        buffer_floats(max_batch, net->layers[l].outputs, &floats); /* fits: checked above */
        next += floats;
    }
    net->delta = next;
    net->next_delta = next + delta_floats;
    return BP_OK;
}

int bp__net_view_init(bp_net *view, const bp_net *net, bp__layer *layers, float *grads,
                      size_t max_batch, const char *function) {
    *view = (bp_net){
        .kernels = net->kernels,
        .kernel_set = net->kernel_set,
        .loss = net->loss,
        .n_layers = net->n_layers,
        .layers = layers,
        .n_params = net->n_params,
        .params = net->params,
        .grads = grads,
        .blocks_bytes = net->blocks_bytes,
        .max_width = net->max_width,
    };
    for (size_t l = 0; l < net->n_layers; l++)
        layers[l] = net->layers[l]; /* output is set by reserve_workspace */
    return reserve_workspace(view, max_batch, function);
}

void bp__net_view_release(bp_net *view) {
    bp__free(view->workspace);
    view->workspace = NULL;
}

int bp_net_create(bp_net **out, size_t n_layers, const size_t *sizes,
                  const bp_activation *activations, bp_kernels kernels, uint64_t seed) {
    if (!out)
        return bp__fail(BP_EINVAL, __func__, "out is NULL");
    *out = NULL;
    size_t n_params = 0, block_floats = 0, layer_bytes;
    int rc = check_shape(n_layers, sizes, activations, kernels, &n_params, &block_floats);
    if (rc != BP_OK)
        return rc;
    if (!bp__mul_size(n_layers, sizeof(bp__layer), &layer_bytes))
        return bp__fail(BP_EOVERFLOW, __func__, "%zu layers overflow size_t", n_layers);

    bp_net *net = bp__alloc_zeroed(sizeof *net);
    if (!net)
        return bp__fail(BP_ENOMEM, __func__, "no memory for the network");
    net->layers = bp__alloc_zeroed(layer_bytes);
    net->blocks_bytes = block_floats * 2 * sizeof(float); /* check_shape made sure it fits */
    net->params = bp__alloc_zeroed(net->blocks_bytes);
    if (!net->layers || !net->params) {
        bp_net_destroy(net);
        return bp__fail(BP_ENOMEM, __func__, "no memory for %zu parameters", n_params);
    }
    net->grads = net->params + block_floats;
    net->n_params = n_params;
    net->n_layers = n_layers;
    net->kernels = bp__kernels_table(kernels); /* available: check_shape made sure */
    net->kernel_set = kernels;
    net->loss = BP_LOSS_QUADRATIC;
    net->inference = BP_INFERENCE_BATCH;

    size_t offset = 0;
    for (size_t l = 0; l < n_layers; l++) {
        bp__layer *layer = &net->layers[l];
        layer->inputs = sizes[l];
        layer->outputs = sizes[l + 1];
        layer->activation = activations[l];
        layer->offset = offset;
        offset += layer->outputs * layer->inputs + layer->outputs;
        if (layer->outputs > net->max_width)
            net->max_width = layer->outputs;
    }

    bp__initialize_uniform(net, seed);

    rc = reserve_workspace(net, 1, __func__);
    if (rc != BP_OK) {
        bp_net_destroy(net);
        return rc;
    }
    *out = net;
    return BP_OK;
}

void bp_net_destroy(bp_net *net) {
    if (!net)
        return;
    bp__net_set_extension(net, NULL, NULL);
    bp__free(net->workspace);
    bp__free(net->params); /* the grads share this allocation */
    bp__free(net->layers);
    bp__free(net);
}

void bp__net_set_extension(bp_net *net, void *extension, void (*free_extension)(void *extension)) {
    if (net->extension && net->free_extension)
        net->free_extension(net->extension);
    net->extension = extension;
    net->free_extension = free_extension;
}

int bp_net_reserve(bp_net *net, size_t max_batch) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    if (max_batch == 0 || max_batch > (size_t)INT_MAX)
        return bp__fail(BP_EINVAL, __func__, "max_batch is %zu; it must be 1 to %d", max_batch,
                        INT_MAX);
    return reserve_workspace(net, max_batch, __func__);
}

int bp_net_set_loss(bp_net *net, bp_loss loss) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    if (loss != BP_LOSS_QUADRATIC && loss != BP_LOSS_CROSS_ENTROPY)
        return bp__fail(BP_EINVAL, __func__, "unknown loss %d", (int)loss);
    if (loss == BP_LOSS_CROSS_ENTROPY &&
        net->layers[net->n_layers - 1].activation != BP_ACT_SOFTMAX)
        return bp__fail(BP_EINVAL, __func__,
                        "cross-entropy needs a softmax output layer; the output layer's "
                        "activation is %d",
                        (int)net->layers[net->n_layers - 1].activation);
    net->loss = loss;
    return BP_OK;
}

int bp_net_set_gradient_hook(bp_net *net, const bp_gradient_hook *hook) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    net->hook = hook ? *hook : (bp_gradient_hook){0};
    net->hook_pending = false;
    return BP_OK;
}

int bp_net_set_kernels(bp_net *net, bp_kernels kernels) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    const int rc = bp__check_kernels(kernels, __func__);
    if (rc != BP_OK)
        return rc;
    net->kernels = bp__kernels_table(kernels);
    net->kernel_set = kernels;
    return BP_OK;
}

bp_kernels bp_net_kernels(const bp_net *net) { return net ? net->kernel_set : BP_KERNELS_OPENBLAS; }

bp_loss bp_net_loss(const bp_net *net) { return net ? net->loss : BP_LOSS_QUADRATIC; }

int bp_net_set_inference(bp_net *net, bp_inference mode) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    if (mode != BP_INFERENCE_BATCH && mode != BP_INFERENCE_INVARIANT)
        return bp__fail(BP_EINVAL, __func__, "unknown inference mode %d", (int)mode);
    net->inference = mode;
    return BP_OK;
}

bp_inference bp_net_inference(const bp_net *net) {
    return net ? net->inference : BP_INFERENCE_BATCH;
}

int bp_net_params(bp_net *net, float **params, size_t *count) {
    if (!net || !params)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !net ? "net" : "params");
    *params = net->params;
    if (count)
        *count = net->n_params;
    return BP_OK;
}

int bp_net_grads(bp_net *net, float **grads, size_t *count) {
    if (!net || !grads)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !net ? "net" : "grads");
    *grads = net->grads;
    if (count)
        *count = net->n_params;
    return BP_OK;
}

int bp_net_layer(bp_net *net, size_t index, bp_layer *layer) {
    if (!net || !layer)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !net ? "net" : "layer");
    if (index >= net->n_layers)
        return bp__fail(BP_ERANGE, __func__, "layer %zu of a network of %zu layers", index,
                        net->n_layers);
    const bp__layer *inner = &net->layers[index];
    *layer = (bp_layer){
        .inputs = inner->inputs,
        .outputs = inner->outputs,
        .activation = inner->activation,
        .weights = bp__layer_weights(net, inner),
        .bias = bp__layer_bias(net, inner),
        .weight_grads = bp__layer_weight_grads(net, inner),
        .bias_grads = bp__layer_bias_grads(net, inner),
    };
    return BP_OK;
}

size_t bp_net_num_layers(const bp_net *net) { return net ? net->n_layers : 0; }

size_t bp_net_num_inputs(const bp_net *net) { return net ? net->layers[0].inputs : 0; }

size_t bp_net_num_outputs(const bp_net *net) {
    return net ? net->layers[net->n_layers - 1].outputs : 0;
}

size_t bp_net_num_params(const bp_net *net) { return net ? net->n_params : 0; }

size_t bp_net_max_batch(const bp_net *net) { return net ? net->max_batch : 0; }

size_t bp_net_memory_bytes(const bp_net *net) {
    if (!net)
        return 0;
    return sizeof *net + net->n_layers * sizeof(bp__layer) + net->blocks_bytes +
           net->workspace_bytes;
}
