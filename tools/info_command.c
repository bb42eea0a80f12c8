/* The info command: what a saved model holds. */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <backprop.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "commands.h"
#include "csv_preprocessing.h"
#include "describe.h"
#include "errors.h"
#include "names.h"
#include "paths.h"

void info_help(void) {
    printf("usage: backprop info MODEL\n"
           "\n"
           "Describes the model saved in MODEL: file format version, size, inputs, each\n"
           "layer's neurons and activation, the cost it was trained on, the parameter\n"
           "count and bytes, and the preprocessing stored with it (task, per-feature input\n"
           "scaling, target scaling, class names), which eval and predict apply. The whole\n"
           "file is checked as for eval.\n"
           "\n"
           "  -h, --help   this help\n"
           "\n"
           "Exit status: 0 success, 1 runtime error (missing or damaged file), 2 usage error.\n");
}

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const COMMAND = "info";

static void describe(const char *path, bp_net *net) {
    printf("model       %s\n", path);
    /* bp_net_save writes version 2 exactly when there is preprocessing. */
    printf("format      version %d\n", bp_net_preprocessing(net) ? 2 : 1);
    struct stat st;
    if (stat(path, &st) == 0)
        printf("file        %lld bytes\n", (long long)st.st_size);
    printf("inputs      %zu\n", bp_net_num_inputs(net));
    const size_t layers = bp_net_num_layers(net);
    printf("layers      %zu: ", layers);
    print_shape(stdout, net);
    printf("\n");
    for (size_t l = 0; l < layers; l++) {
        bp_layer layer;
        if (bp_net_layer(net, l, &layer) != BP_OK)
            continue;
        printf("  layer %-3zu %zu -> %zu, %s, %zu parameters\n", l + 1, layer.inputs, layer.outputs,
               name_of(activation_names, (int)layer.activation),
               layer.outputs * layer.inputs + layer.outputs);
    }
    printf("loss        %s\n", name_of(loss_names, (int)bp_net_loss(net)));
    const size_t params = bp_net_num_params(net);
    printf("parameters  %zu (%zu bytes as float)\n", params, params * sizeof(float));
    const bp_preprocessing *p = bp_net_preprocessing(net);
    if (p) {
        print_preprocessing(stdout, p);
        print_schema(stdout, bp_net_schema(net), p->task);
    } else
        printf("preprocessing none stored: inputs go to the network as given (IDX data is "
               "scaled by 1/255 by train, eval and predict)\n");
}

static const command_line info_line = {
    .command = COMMAND,
    .options = long_options,
    .help = info_help,
    .operand = "MODEL",
};

int info_command(int argc, char *argv[]) {
    const char *path = NULL;
    int status = parse_command_line(&info_line, argc, argv, NULL, &path);
    if (status != EXIT_OK)
        return status == HELP_SHOWN ? EXIT_OK : status;
    path_list paths = {0};
    paths_add(&paths, PATH_INPUT, "MODEL", path);
    status = paths_check(COMMAND, &paths);
    if (status != EXIT_OK)
        return status;
    bp_net *net = NULL;
    const int rc = bp_net_load(&net, path, BP_KERNELS_OPENBLAS);
    if (rc != BP_OK)
        return library_error(rc);
    describe(path, net);
    bp_net_destroy(net);
    return EXIT_OK;
}
