/* The eval command: a saved model's cost and accuracy on a data set. */
#include <backprop.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "commands.h"
#include "datasets.h"
#include "names.h"
#include "options.h"

void eval_help(void) {
    printf("usage: backprop eval MODEL [options]\n"
           "\n"
           "Prints the cost (\"loss L\") and the accuracy (\"accuracy A\") of the model saved\n"
           "in MODEL on a data set, by default the Fashion-MNIST test set in\n"
           "%s.\n"
           "\n"
           "Data (IDX, gzip-compressed or plain; or CSV):\n"
           "  --data-dir DIR         where the default IDX files %s\n"
           "                         and %s are\n"
           "  --images FILE          IDX images (also --test-images)\n"
           "  --labels FILE          IDX labels (also --test-labels)\n"
           "                         IDX inputs are bytes and are always scaled by 1/255, as\n"
           "                         train does\n"
           "  --csv FILE             a CSV set instead (also --test-csv)\n"
           "  --label-column N       the label's 0-based CSV column (default 0)\n"
           "  --scale-offset O       CSV scaling x <- (x - O) * F: the values train printed\n"
           "  --scale-factor F       as \"scaling: offset O factor F\" (default 0 and 1: none)\n"
           "\n"
           "Run:\n"
           "  --batch N              examples per forward pass (default %d, as train)\n"
           "  --kernels NAME         openblas (default) or naive\n"
           "  --threads N            OpenBLAS threads (default: OpenBLAS's choice)\n"
           "  -h, --help             this help\n"
           "\n"
           "The model's inputs must equal the data's features, and it needs an output for\n"
           "every class.\n"
           "Exit status: 0 success, 1 runtime error (files, formats, sizes), 2 usage error.\n",
           DEFAULT_DATA_DIR, TEST_IMAGES_FILE, TEST_LABELS_FILE, DEFAULT_BATCH);
}

enum {
    OPT_DATA_DIR = 256,
    OPT_IMAGES,
    OPT_LABELS,
    OPT_CSV,
    OPT_LABEL_COLUMN,
    OPT_SCALE_OFFSET,
    OPT_SCALE_FACTOR,
    OPT_BATCH,
    OPT_KERNELS,
    OPT_THREADS,
};

static const struct option long_options[] = {
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"images", required_argument, NULL, OPT_IMAGES},
    {"test-images", required_argument, NULL, OPT_IMAGES},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"test-labels", required_argument, NULL, OPT_LABELS},
    {"csv", required_argument, NULL, OPT_CSV},
    {"test-csv", required_argument, NULL, OPT_CSV},
    {"label-column", required_argument, NULL, OPT_LABEL_COLUMN},
    {"scale-offset", required_argument, NULL, OPT_SCALE_OFFSET},
    {"scale-factor", required_argument, NULL, OPT_SCALE_FACTOR},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"kernels", required_argument, NULL, OPT_KERNELS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const COMMAND = "eval";

typedef struct eval_config {
    const char *model;
    data_source data;
    bool label_column_given, scaling_given;
    float offset, factor;
    size_t batch;
    int kernels, threads;
} eval_config;

static int take_option(eval_config *c, int option, const char *value) {
    switch (option) {
    case OPT_DATA_DIR:
        c->data.data_dir = value;
        break;
    case OPT_IMAGES:
        c->data.images = value;
        break;
    case OPT_LABELS:
        c->data.labels = value;
        break;
    case OPT_CSV:
        c->data.csv = value;
        break;
    case OPT_LABEL_COLUMN:
        c->label_column_given = true;
        if (!parse_size(value, 0, SIZE_MAX, &c->data.label_column))
            return usage_error(
                COMMAND, "invalid --label-column '%s' (expected a column number from 0)", value);
        break;
    case OPT_SCALE_OFFSET:
        c->scaling_given = true;
        if (!parse_float(value, &c->offset))
            return usage_error(COMMAND, "invalid --scale-offset '%s' (expected a finite number)",
                               value);
        break;
    case OPT_SCALE_FACTOR:
        c->scaling_given = true;
        if (!parse_float(value, &c->factor))
            return usage_error(COMMAND, "invalid --scale-factor '%s' (expected a finite number)",
                               value);
        break;
    case OPT_BATCH:
        if (!parse_size(value, 1, INT_MAX, &c->batch))
            return usage_error(COMMAND, "invalid --batch '%s' (expected 1 to %d)", value, INT_MAX);
        break;
    case OPT_KERNELS:
        if (!parse_name(kernels_names, value, &c->kernels)) {
            char list[64];
            return usage_error(COMMAND, "invalid --kernels '%s' (expected %s)", value,
                               name_list(kernels_names, list, sizeof list));
        }
        break;
    case OPT_THREADS:
        if (!parse_int(value, 1, 1024, &c->threads))
            return usage_error(COMMAND, "invalid --threads '%s' (expected 1 to 1024)", value);
        break;
    default:
        return usage_error(COMMAND, "unhandled option"); /* not reached */
    }
    return EXIT_OK;
}

/* EXIT_OK, a usage error's status, or -1 after --help. */
static int parse_options(eval_config *c, int argc, char *argv[]) {
    *c = (eval_config){
        .data = {.default_images = TEST_IMAGES_FILE, .default_labels = TEST_LABELS_FILE},
        .factor = 1.0f,
        .batch = DEFAULT_BATCH,
        .kernels = BP_KERNELS_OPENBLAS,
    };
    opterr = 0;
    optind = 1;
    int option;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        if (option == 'h') {
            eval_help();
            return -1;
        }
        if (option == '?' || option == ':')
            return option_error(COMMAND, option, argv, long_options);
        const int status = take_option(c, option, optarg);
        if (status != EXIT_OK)
            return status;
    }
    if (optind == argc)
        return usage_error(COMMAND, "missing the MODEL file");
    c->model = argv[optind++];
    if (optind < argc)
        return usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
    const bool idx = c->data.data_dir || c->data.images || c->data.labels;
    if (c->data.csv && idx)
        return usage_error(COMMAND, "--csv does not go with --data-dir, --images or --labels");
    /* Images from one place and labels from another would pair wrongly. */
    if (!c->data.images != !c->data.labels)
        return usage_error(COMMAND, "--images and --labels go together");
    if (!c->data.csv && c->label_column_given)
        return usage_error(COMMAND, "--label-column is for CSV data");
    if (!c->data.csv && c->scaling_given)
        return usage_error(COMMAND, "--scale-offset and --scale-factor are for CSV data; IDX "
                                    "inputs are always scaled by 1/255");
    return EXIT_OK;
}

static int evaluate(const eval_config *c, bp_net *net, bp_dataset *data) {
    if (data->features != bp_net_num_inputs(net))
        return runtime_error("the model has %zu inputs; the data has %zu features per example",
                             bp_net_num_inputs(net), data->features);
    if (data->classes > bp_net_num_outputs(net))
        return runtime_error("the model has %zu outputs; the data has %zu classes (labels 0 to "
                             "%zu)",
                             bp_net_num_outputs(net), data->classes, data->classes - 1);
    int rc = BP_OK;
    if (c->data.csv)
        rc = bp_dataset_scale(data, c->offset, c->factor);
    /* bp_evaluate works in batches of the reserved size. */
    if (rc == BP_OK)
        rc = bp_net_reserve(net, c->batch < data->count ? c->batch : data->count);
    double loss, accuracy;
    if (rc == BP_OK)
        rc = bp_evaluate(net, data, &loss, &accuracy);
    if (rc != BP_OK)
        return library_error(rc);
    printf("loss %.4f\naccuracy %.4f\n", loss, accuracy);
    return EXIT_OK;
}

int eval_command(int argc, char *argv[]) {
    eval_config c;
    int status = parse_options(&c, argc, argv);
    if (status != EXIT_OK)
        return status < 0 ? EXIT_OK : status;
    if (c.threads > 0 && bp_blas_set_threads(c.threads) != BP_OK)
        return library_error(BP_EINVAL);
    bp_net *net = NULL;
    const int rc = bp_net_load(&net, c.model, (bp_kernels)c.kernels);
    if (rc != BP_OK)
        return library_error(rc);
    bp_dataset data = {0};
    status = load_data(&c.data, &data);
    if (status == EXIT_OK)
        status = evaluate(&c, net, &data);
    bp_dataset_free(&data);
    bp_net_destroy(net);
    return status;
}
