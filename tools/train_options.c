/* The train command's options: the default recipe, and one table of them from which the help, the
 * getopt_long table, the parse and its range checks all follow; then the checks of combinations. */
#include "train_options.h"

#include <backprop.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "commands.h"
#include "data_files.h"
#include "names.h"
#include "option_table.h"
#include "paths.h"
#include "rank_paths.h"

const train_recipe default_recipe = {
    .hidden = {256, 128},
    .activation = BP_ACT_RELU,
    .loss = BP_LOSS_CROSS_ENTROPY,
    .optimizer = BP_OPT_ADAM,
    .adam_rate = 0.001f,
    .rate = 0.05f,
    .momentum = 0.9f,
    .weight_decay = 0.0f,
    .schedule = BP_SCHEDULE_COSINE,
    .step_epochs = 5,
    .gamma = 0.1f,
    .epochs = 15,
    .batch = DEFAULT_BATCH,
    .seed = 1,
};

static const name_value scale_names[] = {
    {"minmax", SCALE_MINMAX, NULL},
    {"standardize", SCALE_STANDARDIZE, NULL},
    {"none", SCALE_NONE, NULL},
    {NULL, 0, NULL},
};

static const char *const COMMAND = "train";

/* The kinds of row, each with the train_config member it sets (which must be
 * of the kind's type). */
#define MEMBER(m, type) OPTION_MEMBER(train_config, m, type)

#define STRING(m) .kind = ROW_STRING, .member = MEMBER(m, const char *)
#define FLAG(m) .kind = ROW_FLAG, .member = MEMBER(m, bool)
#define SIZE(m, lo, hi) .kind = ROW_SIZE, .member = MEMBER(m, size_t), .min = (lo), .max = (hi)
#define U64(m, lo, hi) .kind = ROW_U64, .member = MEMBER(m, uint64_t), .min = (lo), .max = (hi)
#define FLOAT(m, r, lo, hi)                                                                        \
    .kind = ROW_FLOAT, .member = MEMBER(m, float), .range = (r), .low = (lo), .high = (hi)
#define NAME(m, table) .kind = ROW_NAME, .member = MEMBER(m, int), .names = (table)
#define SHARED(v) .kind = ROW_SHARED, .value = (v)

/* --layers N0,N1,...,NL */
static int take_layers(void *settings, const char *value) {
    train_config *c = settings;
    free(c->layers);
    c->layers = NULL;
    if (!parse_layers(value, &c->layers, &c->n_layers))
        return usage_error(COMMAND,
                           "invalid --layers '%s' (expected at least 2 comma-separated "
                           "sizes from 1 to %d, inputs first, e.g. 784,256,128,10)",
                           value, INT_MAX);
    return EXIT_OK;
}

/* --activation: softmax is for the output layer only, which --loss decides. */
static const int output_only = BP_ACT_SOFTMAX;

/* Every line of train --help, in order, and every option train takes. */
static const option_row rows[] = {
    {ROW_PROSE,
     .help = "usage: backprop train [options]\n"
             "\n"
             "Trains a multilayer perceptron by backpropagation. With no options: Fashion-MNIST\n"
             "from %s (Debian package dataset-fashion-mnist),\n"
             "hidden layers of %zu and %zu ReLU neurons, a softmax output with the\n"
             "cross-entropy cost, Adam with a cosine schedule (see the defaults below).\n"
             "\n"
             "Data (IDX, gzip-compressed or plain; or CSV):\n",
     .args = {STRING_ARG(DEFAULT_DATA_DIR), SIZE_ARG(default_recipe.hidden[0]),
              SIZE_ARG(default_recipe.hidden[1])}},
    {.name = "data-dir",
     .metavar = "DIR",
     STRING(data_dir),
     .help = "where the four default IDX files are (default above):\n"
             "%s, %s,\n"
             "%s, %s",
     .args = {STRING_ARG(TRAIN_IMAGES_FILE), STRING_ARG(TRAIN_LABELS_FILE),
              STRING_ARG(TEST_IMAGES_FILE), STRING_ARG(TEST_LABELS_FILE)}},
    {.name = "train-images", .metavar = "FILE", STRING(train_images), .help = "IDX training set"},
    {.name = "train-labels", .metavar = "FILE", STRING(train_labels), .beside = true},
    {.name = "test-images",
     .metavar = "FILE",
     STRING(test_images),
     .help = "IDX test set\n"
             "IDX inputs are bytes and are always scaled by 1/255 (train\n"
             "and eval alike)"},
    {.name = "test-labels", .metavar = "FILE", STRING(test_labels), .beside = true},
    {.name = "train-csv",
     .metavar = "FILE",
     STRING(train_csv),
     .help = "CSV sets instead (--test-csv\n"
             "optional): one example per line, a label column, every\n"
             "other a feature. The first line is a header when every\n"
             "field is a word or the fields are 0,1,..,k"},
    {.name = "test-csv", .metavar = "FILE", STRING(test_csv), .beside = true},
    {.name = "label-column",
     .metavar = "COL",
     SHARED(OPT_LABEL_COLUMN),
     .help = "the label's CSV column: N (0-based), last, or a header\n"
             "name (default 0). Labels are any text or numbers, mapped\n"
             "to classes in sorted order; the model keeps their names"},
    {.name = "task",
     .metavar = "NAME",
     SHARED(OPT_TASK),
     .help = "classification or regression. Without it, a label column\n"
             "of words or of at most %d integers is classes; anything\n"
             "else is an error that asks which",
     .args = {INT_ARG(AUTO_CLASS_LIMIT)}},
    {.name = "target-columns",
     .metavar = "COLS",
     SHARED(OPT_TARGET_COLUMNS),
     .help = "regression targets, comma-separated columns (implies\n"
             "--task regression); targets are standardized for\n"
             "training and restored on output"},
    {.name = "max-classes",
     .metavar = "N",
     SHARED(OPT_MAX_CLASSES),
     .help = "classification: at most N distinct labels (default %d)",
     .args = {INT_ARG(DEFAULT_MAX_CLASSES)}},
    {.name = "header",
     SHARED(OPT_HEADER),
     .synopsis = "--header, --no-header",
     .help = "the CSV's first line is, or is not, a header (without\n"
             "either: all words is a header, numbers are data, and\n"
             "a first line 0,1,..,k is an error asking which)"},
    {.name = "no-header", SHARED(OPT_NO_HEADER)},
    {.name = "drop-missing-labels",
     SHARED(OPT_DROP_MISSING),
     .help = "leave out rows whose label is empty, NA, N/A, NaN or ?\n"
             "(without it, such a label is an error naming the line)"},
    {.name = "skip-columns",
     .metavar = "N",
     SHARED(OPT_SKIP_COLUMNS),
     .help = "ignore the first N columns (a row index)"},
    {.name = "delimiter",
     .metavar = "C",
     SHARED(OPT_DELIMITER),
     .help = "field separator (default ','; 'tab' for a tab)"},
    {.name = "impute",
     .metavar = "mean",
     SHARED(OPT_IMPUTE),
     .help = "an empty (or NA, NaN, ?) feature gets its column's mean;\n"
             "without it, a missing value is an error naming the line"},
    {.name = "scale",
     .metavar = "KIND",
     NAME(scale, scale_names),
     .help = "CSV scaling per feature, fitted on the training set and\n"
             "stored in the model (eval and predict apply it):\n"
             "standardize (mean 0, deviation 1; default), minmax (to\n"
             "[0, 1]) or none"},
    {.name = "val-split",
     .metavar = "F",
     FLOAT(val_split, OPEN, 0.0f, 1.0f),
     .noun = "fraction",
     .help = "hold out a seeded fraction F in (0, 1) of the training\n"
             "set, evaluated after every epoch instead of the test set\n"
             "(which is then evaluated once, at the end)"},
    {.name = "early-stopping",
     .metavar = "N",
     SIZE(patience, 1, 100000),
     .unit = "epochs",
     .help = "with --val-split: stop after N epochs without a lower\n"
             "validation loss, and keep the best epoch's model"},
    {ROW_PROSE, .help = "\nNetwork:\n"},
    {.name = "layers",
     .metavar = "N0,N1,...,NL",
     .kind = ROW_CUSTOM,
     .take = take_layers,
     .help = "layer sizes, inputs first (default: the data's features,\n"
             "%zu, %zu, the data's classes: 784,%zu,%zu,10 on Fashion-MNIST)",
     .args = {SIZE_ARG(default_recipe.hidden[0]), SIZE_ARG(default_recipe.hidden[1]),
              SIZE_ARG(default_recipe.hidden[0]), SIZE_ARG(default_recipe.hidden[1])}},
    {.name = "activation",
     .metavar = "NAME",
     NAME(activation, activation_names),
     .except = &output_only,
     .help = "hidden layers: relu (default), leaky-relu, sigmoid, tanh,\n"
             "identity"},
    {.name = "loss",
     .metavar = "NAME",
     NAME(loss, loss_names),
     .help = "cross-entropy (default; softmax output) or quadratic\n"
             "(sigmoid output)"},
    {.name = "init",
     .metavar = "NAME",
     NAME(init, init_names),
     .help = "uniform, xavier, he or orthogonal (default: he for relu\n"
             "and leaky-relu, xavier otherwise and for a regression)"},
    {.name = "kernels",
     .metavar = "NAME",
     SHARED(OPT_KERNELS),
     .help = "openblas (default), blis or naive"},
    {.name = "inference",
     .metavar = "MODE",
     SHARED(OPT_INFERENCE),
     .help = "how the test set is evaluated after each epoch: invariant\n"
             "(default; what eval and predict give) or batch (training\n"
             "itself always runs on the batch products)"},
    {.name = "resume",
     .metavar = "MODEL",
     STRING(resume),
     .help = "start from a saved model instead (its layers, activations\n"
             "and loss; not with --layers, --activation, --loss or\n"
             "--init)"},
    {ROW_AGAIN, .name = "resume", .metavar = "DIR",
     .help = "continue a --checkpoint directory's run: its newest model\n"
             "and optimizer state, from the epoch after it, up to\n"
             "--epochs in all (on any number of MPI ranks); the data\n"
             "and options must be the run's own (its manifest), and\n"
             "--layers, --lr, ... if given"},
    {ROW_PROSE, .help = "\nOptimizer:\n"},
    {.name = "optimizer",
     .metavar = "NAME",
     NAME(optimizer, optimizer_names),
     .help = "sgd, momentum, nesterov or adam (default)"},
    {.name = "lr",
     .metavar = "RATE",
     FLOAT(rate, ABOVE, 0.0f, 0.0f),
     .help = "learning rate > 0 (default %g for adam, %g otherwise)",
     .args = {FLOAT_ARG(default_recipe.adam_rate), FLOAT_ARG(default_recipe.rate)}},
    {.name = "momentum",
     .metavar = "MU",
     FLOAT(momentum, CLOSED_OPEN, 0.0f, 1.0f),
     .help = "in [0, 1) for momentum and nesterov (default %g)",
     .args = {FLOAT_ARG(default_recipe.momentum)}},
    {.name = "weight-decay",
     .metavar = "LAMBDA",
     FLOAT(weight_decay, AT_LEAST, 0.0f, 0.0f),
     .help = ">= 0 (default %g)",
     .args = {FLOAT_ARG(default_recipe.weight_decay)}},
    {.name = "schedule",
     .metavar = "NAME",
     NAME(schedule, schedule_names),
     .help = "constant, step or cosine (default; to 0 over all steps)"},
    {.name = "step-epochs",
     .metavar = "N",
     SIZE(step_epochs, 1, 100000),
     .help = "step: epochs between decays (default %zu)",
     .args = {SIZE_ARG(default_recipe.step_epochs)}},
    {.name = "gamma",
     .metavar = "G",
     FLOAT(gamma, OPEN_CLOSED, 0.0f, 1.0f),
     .help = "step: decay factor in (0, 1] (default %g)",
     .args = {FLOAT_ARG(default_recipe.gamma)}},
    {.name = "resume-optimizer",
     .metavar = "FILE",
     STRING(resume_optimizer),
     .help = "load the optimizer's state (its settings, schedule\n"
             "and step count replace the options above)"},
    {.name = "save-optimizer",
     .metavar = "FILE",
     STRING(save_optimizer),
     .help = "save the optimizer's state after training (with\n"
             "--early-stopping, its state at the saved model's epoch)"},
    {ROW_PROSE, .help = "\nRun:\n"},
    {.name = "epochs",
     .metavar = "N",
     SIZE(epochs, 1, 100000),
     .help = "1 to 100000 (default %zu)",
     .args = {SIZE_ARG(default_recipe.epochs)}},
    {.name = "batch",
     .metavar = "N",
     SHARED(OPT_BATCH),
     .help = "examples per step (default %zu)",
     .args = {SIZE_ARG(default_recipe.batch)}},
    {.name = "seed",
     .metavar = "N",
     U64(seed, 0, UINT64_MAX),
     .help = "initialization and shuffling (default %llu)",
     .args = {U64_ARG(default_recipe.seed)}},
    {.name = "plan",
     .metavar = "auto|SPEC",
     STRING(plan_spec), /* checked: choose_plan */
     .help = "kernels, workers and BLAS threads. auto (the default\n"
             "without --kernels, --workers and --threads) times the\n"
             "candidates on this network and batch for up to 0.3 s\n"
             "(a long run: 2%% of it, up to 30 s) and takes the\n"
             "fastest: it depends on the machine and its load, and\n"
             "so may the last bits of the weights.\n"
             "SPEC fixes it: KERNELS[:WxT], e.g. blis:2x1 (2 workers\n"
             "x 1 thread), openblas:1x2; bitwise repeatable"},
    {.name = "workers",
     .metavar = "N|auto",
     SIZE(workers, 1, BP_WORKERS_MAX),
     .zero_word = "auto",
     .help = "worker threads, each on its share of every batch with\n"
             "1 BLAS thread (auto: the library's rule)"},
    {.name = "threads",
     .metavar = "N",
     SHARED(OPT_THREADS),
     .help = "BLAS threads of one worker (default: the rule's)"},
    {.name = "save", .metavar = "FILE", STRING(save), .help = "save the trained model"},
    {.name = "metrics",
     .metavar = "FILE",
     STRING(metrics),
     .help = "every epoch's losses, accuracies and seconds as JSON,\n"
             "appended after each epoch (valid JSON after each)"},
    {.name = "checkpoint",
     .metavar = "DIR",
     STRING(checkpoint),
     .help = "after every epoch, the model and optimizer state in\n"
             "DIR/epoch-NNNNNN/ (written whole, then renamed into place;\n"
             "older ones removed), and the run's manifest; a new run\n"
             "needs an empty DIR, and one run at a time holds it"},
    {.name = "max-input-bytes",
     .metavar = "N",
     SHARED(OPT_MAX_INPUT_BYTES),
     .help = "the most bytes a data set may take in memory (4 per\n"
             "value; K, M, G suffixes), checked against each IDX\n"
             "file's header before reading it (default: a quarter of\n"
             "the physical memory, at least 64M); for CSV, a line's\n"
             "bytes and the parsed data's; and the network's memory"},
    {.name = "quiet", FLAG(quiet), .help = "print only the last line"},
    {ROW_HELP, .name = "help", .synopsis = "-h, --help", .help = "this help"},
    {ROW_PROSE,
     .help = "\n"
             "Under mpirun (mpirun -np N backprop train ...), the N processes train one model:\n"
             "--batch is the global batch, each rank takes its share of every batch, rank 0\n"
             "prints and writes the files. A data path with {rank} in it (--train-csv\n"
             "part-{rank}.csv) is a shard per rank. Each rank runs 1 worker on 1 BLAS\n"
             "thread unless --plan SPEC, --workers or --threads says otherwise (ranks x\n"
             "workers x threads at most the cores; --plan auto is 1 x 1 there).\n"
             "\n"
             "Prints the network, then a line per epoch (and a progress bar on stderr when it is\n"
             "a terminal); the last line is \"test accuracy: A\".\n"
             "Exit status: 0 success, 1 runtime error (files, formats, sizes, training),\n"
             "2 usage error.\n"},
};

enum { N_ROWS = sizeof rows / sizeof rows[0] };
_Static_assert(N_ROWS <= 64 * sizeof((train_config *)0)->given / sizeof(uint64_t),
               "train_config.given has a bit for every row");

static struct option long_options[N_ROWS + 1];

/* The table's take_shared: an option eval shares with train. */
static int take_shared(void *settings, int option, const char *value) {
    train_config *c = settings;
    return take_data_option(COMMAND, &c->common, &c->csv, option, value);
}

static const option_table table = {
    .command = COMMAND,
    .rows = rows,
    .n_rows = N_ROWS,
    .long_options = long_options,
    .given = offsetof(train_config, given),
    .given_words = sizeof((train_config *)0)->given / sizeof(uint64_t),
    .take_shared = take_shared,
};

void print_train_help(FILE *out) { print_option_help(out, &table); }

void train_help(void) { print_train_help(stdout); }

const struct option *train_long_options(void) { return option_table_long_options(&table); }

static int take_option(void *settings, int option, const char *value) {
    return take_table_option(&table, settings, option, value);
}

/* Combinations no single option's parse can see. */
static int check_combinations(const train_config *c) {
    if (c->plan_spec &&
        (train_option_given(c, "workers") || c->common.threads > 0 || c->common.kernels_given))
        return usage_error(COMMAND,
                           "--plan %s does not go with --kernels, --workers or "
                           "--threads: a plan says all three",
                           c->plan_spec);
    if (c->workers > 1 && c->common.threads > 1)
        return usage_error(COMMAND,
                           "--threads %d does not go with --workers %zu: each worker "
                           "runs one OpenBLAS thread",
                           c->common.threads, c->workers);
    const bool idx =
        c->data_dir || c->train_images || c->train_labels || c->test_images || c->test_labels;
    const bool csv = c->train_csv || c->test_csv;
    if (idx && csv)
        return usage_error(COMMAND, "--train-csv and --test-csv do not go with the IDX data "
                                    "options (--data-dir, --train-images, ...)");
    int status = check_idx_pair(COMMAND, c->train_images, c->train_labels, "--train-images",
                                "--train-labels");
    if (status == EXIT_OK)
        status = check_idx_pair(COMMAND, c->test_images, c->test_labels, "--test-images",
                                "--test-labels");
    if (status != EXIT_OK)
        return status;
    if (csv && !c->train_csv)
        return usage_error(COMMAND, "--test-csv needs --train-csv");
    if (c->patience && c->val_split == 0.0f)
        return usage_error(COMMAND, "--early-stopping needs --val-split: it watches the "
                                    "validation loss, never the test set's");
    if (!csv && train_option_given(c, "scale"))
        return usage_error(COMMAND,
                           "--scale is for CSV data; IDX inputs are always scaled by 1/255");
    status = check_data_options(COMMAND, &c->common, &c->csv, csv);
    if (status != EXIT_OK)
        return status;
    /* A checkpoint directory's manifest says which network its run has:
     * these options, given, are checked against it (run_manifest.c). */
    if (c->resume && !is_directory(c->resume) &&
        (c->layers || train_option_given(c, "activation") || train_option_given(c, "loss") ||
         train_option_given(c, "init")))
        return usage_error(COMMAND, "--resume takes the network from the model; it does not go "
                                    "with --layers, --activation, --loss or --init");
    if (c->resume && c->resume_optimizer && is_directory(c->resume))
        return usage_error(COMMAND,
                           "--resume %s is a checkpoint directory, which holds the "
                           "optimizer state too; it does not go with --resume-optimizer",
                           c->resume);
    const bool train_sharded = path_names_rank(c->train_csv) || path_names_rank(c->train_images) ||
                               path_names_rank(c->train_labels) || path_names_rank(c->data_dir);
    const bool test_sharded = path_names_rank(c->test_csv) || path_names_rank(c->test_images) ||
                              path_names_rank(c->test_labels);
    if (test_sharded && !train_sharded)
        return usage_error(COMMAND, "a test path names {rank} but the training paths do not: "
                                    "test shards go with training shards");
    return EXIT_OK;
}

bool train_option_given(const train_config *c, const char *name) {
    return option_table_given(&table, c, name);
}

const char *scale_name(int scale) { return name_of(scale_names, scale); }

int parse_train_options(train_config *c, int argc, char *argv[]) {
    *c = (train_config){
        .scale = SCALE_STANDARDIZE,
        .activation = (int)default_recipe.activation,
        .loss = (int)default_recipe.loss,
        .optimizer = (int)default_recipe.optimizer,
        .schedule = (int)default_recipe.schedule,
        .momentum = default_recipe.momentum,
        .weight_decay = default_recipe.weight_decay,
        .gamma = default_recipe.gamma,
        .step_epochs = default_recipe.step_epochs,
        .epochs = default_recipe.epochs,
        .seed = default_recipe.seed,
        .common = {.batch = default_recipe.batch,
                   .kernels = BP_KERNELS_OPENBLAS,
                   .inference = DEFAULT_INFERENCE},
        .checkpoint_lock = -1,
        .resume_lock = -1,
    };
    csv_settings_default(&c->csv);
    const command_line line = {
        .command = COMMAND,
        .options = train_long_options(),
        .help = train_help,
        .take = take_option,
    };
    const int status = parse_command_line(&line, argc, argv, c, NULL);
    if (status != EXIT_OK)
        return status;
    c->csv.label = c->common.label_column;
    c->csv.max_input_bytes = c->common.max_input_bytes;
    if (c->csv.targets && c->csv.task == -1)
        c->csv.task = BP_TASK_REGRESSION; /* --target-columns says so */
    if (!train_option_given(c, "lr"))
        c->rate = c->optimizer == BP_OPT_ADAM ? default_recipe.adam_rate : default_recipe.rate;
    if (!train_option_given(c, "init"))
        c->init = c->activation == BP_ACT_RELU || c->activation == BP_ACT_LEAKY_RELU
                      ? BP_INIT_HE
                      : BP_INIT_XAVIER;
    return check_combinations(c);
}
