/* Text descriptions of a network, shared by the train and info commands. */
#include "describe.h"

#include "names.h"

void print_shape(FILE *out, bp_net *net) {
    fprintf(out, "%zu", bp_net_num_inputs(net));
    const size_t layers = bp_net_num_layers(net);
    for (size_t l = 0; l < layers; l++) {
        bp_layer layer;
        if (bp_net_layer(net, l, &layer) == BP_OK)
            fprintf(out, "-%zu", layer.outputs);
    }
}

const char *hidden_activation(bp_net *net) {
    const size_t layers = bp_net_num_layers(net);
    const char *name = "none";
    for (size_t l = 0; l + 1 < layers; l++) {
        bp_layer layer;
        if (bp_net_layer(net, l, &layer) != BP_OK)
            return "?";
        const char *this_one = name_of(activation_names, (int)layer.activation);
        if (l > 0 && this_one != name)
            return "mixed";
        name = this_one;
    }
    return name;
}

const char *output_activation(bp_net *net) {
    bp_layer layer;
    const size_t layers = bp_net_num_layers(net);
    if (layers == 0 || bp_net_layer(net, layers - 1, &layer) != BP_OK)
        return "?";
    return name_of(activation_names, (int)layer.activation);
}
