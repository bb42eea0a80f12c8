/* The options train, eval and predict share, parsed, checked and applied in one place. */
#ifndef BACKPROP_TOOL_COMMON_OPTIONS_H
#define BACKPROP_TOOL_COMMON_OPTIONS_H

#include <backprop.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv_preprocessing.h"

/* Their getopt_long values. A command numbers its own options from
 * COMMON_OPTIONS_END, so that its switch can hand these on. */
enum {
    OPT_LABEL_COLUMN = 256,
    OPT_BATCH,
    OPT_KERNELS,
    OPT_THREADS,
    OPT_MAX_INPUT_BYTES,
    OPT_INFERENCE,
    COMMON_OPTIONS_END
};

/* --kernels, --threads, --max-input-bytes and --inference, which every
 * command that runs a network takes, for its getopt_long table. */
#define RUN_LONG_OPTIONS                                                                           \
    {"kernels", required_argument, NULL, OPT_KERNELS},                                             \
        {"threads", required_argument, NULL, OPT_THREADS},                                         \
        {"max-input-bytes", required_argument, NULL, OPT_MAX_INPUT_BYTES}, {                       \
        "inference", required_argument, NULL, OPT_INFERENCE                                        \
    }

/* The commands' default --inference: every output and metric the program
 * prints is the same for a row whatever rows are computed beside it (see
 * docs/library.md, "Predictions that do not depend on the batch"). */
#define DEFAULT_INFERENCE BP_INFERENCE_INVARIANT

/* --inference's line of each command's --help. */
#define INFERENCE_HELP                                                                             \
    "  --inference MODE       how predictions and evaluations multiply: invariant\n"               \
    "                         (default: a row's outputs are the same bits in any batch,\n"         \
    "                         order or OpenBLAS core type) or batch (sgemm: faster,\n"             \
    "                         a row's last bits depend on its batch)\n"

typedef struct common_options {
    const char *label_column; /* CSV: the label's column: N (0-based), last or a header name */
    bool label_column_given;
    size_t batch;
    int kernels; /* bp_kernels */
    bool kernels_given;
    int threads;   /* 0: OpenBLAS's own choice */
    int inference; /* bp_inference of predictions and evaluations */
    /* --max-input-bytes: the cap on a loaded set's bytes; 0: the library's
     * default (a quarter of physical memory) */
    uint64_t max_input_bytes;
} common_options;

/* Parses one of the options above into *o; returns EXIT_OK or the usage
 * error's status. */
int take_common_option(const char *command, common_options *o, int option, const char *value);

/* What the parse of one option cannot see: --label-column without CSV data.
 * EXIT_OK or the usage error's status. */
int check_common_options(const char *command, const common_options *o, bool csv);

/* For a command that reads data as train does (train, eval): a CSV option
 * into *csv (take_csv_option), any other into *common. */
int take_data_option(const char *command, common_options *common, csv_settings *csv, int option,
                     const char *value);

/* check_common_options, then check_csv_settings, for CSV data or not.
 * EXIT_OK or the usage error's status. */
int check_data_options(const char *command, const common_options *common, const csv_settings *csv,
                       bool csv_data);

/* IDX images and labels name a set only together: images from one place and
 * labels from another would pair wrongly. EXIT_OK or the usage error's
 * status, naming the two options. */
int check_idx_pair(const char *command, const char *images, const char *labels,
                   const char *images_option, const char *labels_option);

/* Applies --threads (when given), then loads the model at path on --kernels
 * into *net, with --inference. EXIT_OK, or the runtime error's status. */
int load_model(const common_options *o, const char *path, bp_net **net);

#endif
