/* The eval command: a saved model's cost and accuracy on a data set. */
#include <backprop.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmdline.h"
#include "commands.h"
#include "common_options.h"
#include "csv_preprocessing.h"
#include "data_files.h"
#include "errors.h"
#include "paths.h"

void eval_help(void) {
    printf(
        "usage: backprop eval MODEL [options]\n"
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
        "  --csv FILE             a CSV set instead (also --test-csv). The model's stored\n"
        "                         preprocessing (per-feature scaling, class names, target\n"
        "                         scaling) is applied; a label the model was not trained\n"
        "                         on is an error naming its line. A file with a header\n"
        "                         is matched to the model's columns by name (reordered\n"
        "                         columns are reordered; a missing or unknown one is an\n"
        "                         error); one without is taken by position\n"
        "  --label-column COL     the label's CSV column: N, last or a header name\n"
        "                         (default: the model's label column by its name in a\n"
        "                         file with a header, else 0); --target-columns COLS\n"
        "                         for a regression (default likewise)\n"
        "  --header, --no-header, --skip-columns N, --delimiter C, --impute mean,\n"
        "  --drop-missing-labels\n"
        "                         read the CSV as train does (see train --help)\n"
        "  --scale-offset O       for a model saved without preprocessing (format\n"
        "  --scale-factor F       version 1): CSV scaling x <- (x - O) * F\n"
        "\n"
        "Run:\n"
        "  --batch N              examples per forward pass (default %d, as train)\n" INFERENCE_HELP
        "  --kernels NAME         openblas (default) or naive\n"
        "  --threads N            OpenBLAS threads (default: OpenBLAS's choice)\n"
        "  --max-input-bytes N    the most bytes the data set may take in memory, as\n"
        "                         train's (default: a quarter of the physical memory)\n"
        "  -h, --help             this help\n"
        "\n"
        "The model's inputs must equal the data's features, and it needs an output for\n"
        "every class.\n"
        "Exit status: 0 success, 1 runtime error (files, formats, sizes), 2 usage error.\n",
        DEFAULT_DATA_DIR, TEST_IMAGES_FILE, TEST_LABELS_FILE, DEFAULT_BATCH);
}

enum {
    OPT_DATA_DIR = COMMON_OPTIONS_END,
    OPT_IMAGES,
    OPT_LABELS,
    OPT_CSV,
    OPT_SCALE_OFFSET,
    OPT_SCALE_FACTOR,
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
    RUN_LONG_OPTIONS,
    CSV_LONG_OPTIONS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const COMMAND = "eval";

typedef struct eval_config {
    const char *model;
    data_source data;
    common_options common;
    bool scaling_given;
    float offset, factor;
    csv_settings csv;
} eval_config;

static int take_option(void *settings, int option, const char *value) {
    eval_config *c = settings;
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
    default:
        return take_data_option(COMMAND, &c->common, &c->csv, option, value);
    }
    return EXIT_OK;
}

static const command_line eval_line = {
    .command = COMMAND,
    .options = long_options,
    .help = eval_help,
    .take = take_option,
    .operand = "MODEL",
};

/* EXIT_OK, a usage error's status, or HELP_SHOWN. */
static int parse_options(eval_config *c, int argc, char *argv[]) {
    *c = (eval_config){
        .data = {.default_images = TEST_IMAGES_FILE, .default_labels = TEST_LABELS_FILE},
        .common = {.batch = DEFAULT_BATCH,
                   .kernels = BP_KERNELS_OPENBLAS,
                   .inference = DEFAULT_INFERENCE},
        .factor = 1.0f,
    };
    csv_settings_default(&c->csv);
    int status = parse_command_line(&eval_line, argc, argv, c, &c->model);
    c->csv.label = c->common.label_column;
    c->csv.max_input_bytes = c->common.max_input_bytes;
    if (status != EXIT_OK)
        return status;
    c->data.label_column = c->common.label_column; /* where load_data looks */
    c->data.max_input_bytes = c->common.max_input_bytes;
    const bool idx = c->data.data_dir || c->data.images || c->data.labels;
    if (c->data.csv && idx)
        return usage_error(COMMAND, "--csv does not go with --data-dir, --images or --labels");
    status = check_idx_pair(COMMAND, c->data.images, c->data.labels, "--images", "--labels");
    if (status == EXIT_OK)
        status = check_data_options(COMMAND, &c->common, &c->csv, c->data.csv != NULL);
    if (status == EXIT_OK && c->csv.task != -1)
        status = usage_error(COMMAND, "--task comes from the model");
    if (status != EXIT_OK)
        return status;
    if (!c->data.csv && c->scaling_given)
        return usage_error(COMMAND, "--scale-offset and --scale-factor are for CSV data; IDX "
                                    "inputs are always scaled by 1/255");
    return EXIT_OK;
}

static int evaluate(const eval_config *c, bp_net *net, bp_dataset *data) {
    const bp_preprocessing *p = bp_net_preprocessing(net);
    const bool regression = p && p->task == BP_TASK_REGRESSION;
    const int status = check_fit(bp_net_num_inputs(net), bp_net_num_outputs(net), data->features,
                                 regression ? data->outputs : data->classes, "the model has");
    if (status != EXIT_OK)
        return status;
    int rc = BP_OK;
    if (c->data.csv && !p)
        rc = bp_dataset_scale(data, c->offset, c->factor);
    /* Refused before evaluating: a scaling that overflows a float. */
    const size_t values = data->count * data->features;
    for (size_t i = 0; rc == BP_OK && i < values; i++)
        if (!isfinite(data->inputs[i]))
            return runtime_error("example %zu, feature %zu is %g after the scaling x <- (x - %g) "
                                 "* %g: not a finite float",
                                 i / data->features + 1, i % data->features + 1,
                                 (double)data->inputs[i], (double)c->offset, (double)c->factor);
    if (rc == BP_OK && regression) {
        bp_regression_metrics m;
        double loss;
        rc = bp_evaluate(net, data, &loss, NULL);
        if (rc == BP_OK)
            rc = bp_evaluate_regression(net, data, p->targets.columns ? &p->targets : NULL, &m);
        if (rc != BP_OK)
            return library_error(rc);
        printf("loss %.4f\nmse %.6g\nmae %.6g\nr2 %.4f\n", loss, m.mse, m.mae, m.r2);
        return EXIT_OK;
    }
    /* bp_evaluate works in batches of the reserved size. */
    if (rc == BP_OK)
        rc = bp_net_reserve(net, c->common.batch < data->count ? c->common.batch : data->count);
    double loss, accuracy;
    if (rc == BP_OK)
        rc = bp_evaluate(net, data, &loss, &accuracy);
    if (rc != BP_OK)
        return library_error(rc);
    /* A loss or accuracy that is not a number is no result (inputs that
     * overflow, say --scale-factor 3e38). A regression set has no accuracy. */
    if (!isfinite(loss) || (!isfinite(accuracy) && data->labels))
        return runtime_error("the loss is %g and the accuracy %g: the inputs%s or the model's "
                             "outputs on them are not finite numbers",
                             loss, accuracy, c->data.csv ? " (after scaling)" : "");
    printf("loss %.4f\naccuracy %.4f\n", loss, accuracy);
    return EXIT_OK;
}

int eval_command(int argc, char *argv[]) {
    eval_config c;
    int status = parse_options(&c, argc, argv);
    if (status != EXIT_OK)
        return status == HELP_SHOWN ? EXIT_OK : status;
    /* Eval writes nothing yet; an output option added here is checked
     * against these inputs before any work. */
    path_list paths = {0};
    paths_add(&paths, PATH_INPUT, "MODEL", c.model);
    paths_add(&paths, PATH_INPUT, "--csv", c.data.csv);
    paths_add(&paths, PATH_INPUT, "--images", c.data.images);
    paths_add(&paths, PATH_INPUT, "--labels", c.data.labels);
    status = paths_check(COMMAND, &paths);
    if (status != EXIT_OK)
        return status;
    bp_net *net = NULL;
    status = load_model(&c.common, c.model, &net);
    if (status != EXIT_OK)
        return status;
    bp_dataset data = {0};
    const bp_preprocessing *p = bp_net_preprocessing(net);
    if (p && c.scaling_given)
        status = runtime_error("%s stores its preprocessing; --scale-offset and --scale-factor "
                               "are for models saved without it",
                               c.model);
    else if (c.data.csv) {
        status = load_csv_for_model(&c.csv, c.data.csv, p, bp_net_schema(net),
                                    bp_net_num_outputs(net), &data);
        if (status == EXIT_OK)
            say_header(COMMAND, c.data.csv, data.header != 0, bp_net_schema(net));
    } else
        status = load_data(&c.data, &data);
    if (status == EXIT_OK)
        status = evaluate(&c, net, &data);
    bp_dataset_free(&data);
    bp_net_destroy(net);
    return status;
}
