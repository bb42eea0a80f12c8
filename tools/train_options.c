/* The train command's options: the default recipe, the help, the parse and its checks. */
#include "train_options.h"

#include <backprop.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cmdline.h"
#include "commands.h"
#include "data_files.h"
#include "names.h"
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

void train_help(void) {
    printf("usage: backprop train [options]\n"
           "\n"
           "Trains a multilayer perceptron by backpropagation. With no options: Fashion-MNIST\n"
           "from %s (Debian package dataset-fashion-mnist),\n"
           "hidden layers of %zu and %zu ReLU neurons, a softmax output with the\n"
           "cross-entropy cost, Adam with a cosine schedule (see the defaults below).\n"
           "\n"
           "Data (IDX, gzip-compressed or plain; or CSV):\n"
           "  --data-dir DIR         where the four default IDX files are (default above):\n"
           "                         %s, %s,\n"
           "                         %s, %s\n"
           "  --train-images FILE    --train-labels FILE   IDX training set\n"
           "  --test-images FILE     --test-labels FILE    IDX test set\n"
           "                         IDX inputs are bytes and are always scaled by 1/255 (train\n"
           "                         and eval alike)\n",
           DEFAULT_DATA_DIR, default_recipe.hidden[0], default_recipe.hidden[1], TRAIN_IMAGES_FILE,
           TRAIN_LABELS_FILE, TEST_IMAGES_FILE, TEST_LABELS_FILE);
    printf("  --train-csv FILE       --test-csv FILE       CSV sets instead (--test-csv\n"
           "                         optional): one example per line, a label column, every\n"
           "                         other a feature. The first line is a header when every\n"
           "                         field is a word or the fields are 0,1,..,k\n"
           "  --label-column COL     the label's CSV column: N (0-based), last, or a header\n"
           "                         name (default 0). Labels are any text or numbers, mapped\n"
           "                         to classes in sorted order; the model keeps their names\n"
           "  --task NAME            classification or regression. Without it, a label column\n"
           "                         of words or of at most %d integers is classes; anything\n"
           "                         else is an error that asks which\n"
           "  --target-columns COLS  regression targets, comma-separated columns (implies\n"
           "                         --task regression); targets are standardized for\n"
           "                         training and restored on output\n"
           "  --max-classes N        classification: at most N distinct labels (default %d)\n"
           "  --header, --no-header  the CSV's first line is, or is not, a header (without\n"
           "                         either: all words is a header, numbers are data, and\n"
           "                         a first line 0,1,..,k is an error asking which)\n"
           "  --drop-missing-labels  leave out rows whose label is empty, NA, N/A, NaN or ?\n"
           "                         (without it, such a label is an error naming the line)\n"
           "  --skip-columns N       ignore the first N columns (a row index)\n"
           "  --delimiter C          field separator (default ','; 'tab' for a tab)\n"
           "  --impute mean          an empty (or NA, NaN, ?) feature gets its column's mean;\n"
           "                         without it, a missing value is an error naming the line\n"
           "  --scale KIND           CSV scaling per feature, fitted on the training set and\n"
           "                         stored in the model (eval and predict apply it):\n"
           "                         standardize (mean 0, deviation 1; default), minmax (to\n"
           "                         [0, 1]) or none\n"
           "  --val-split F          hold out a seeded fraction F in (0, 1) of the training\n"
           "                         set, evaluated after every epoch instead of the test set\n"
           "                         (which is then evaluated once, at the end)\n"
           "  --early-stopping N     with --val-split: stop after N epochs without a lower\n"
           "                         validation loss, and keep the best epoch's model\n"
           "",
           AUTO_CLASS_LIMIT, DEFAULT_MAX_CLASSES);
    printf(
        "\n"
        "Network:\n"
        "  --layers N0,N1,...,NL  layer sizes, inputs first (default: the data's features,\n"
        "                         %zu, %zu, the data's classes: 784,%zu,%zu,10 on Fashion-MNIST)\n"
        "  --activation NAME      hidden layers: relu (default), leaky-relu, sigmoid, tanh,\n"
        "                         identity\n"
        "  --loss NAME            cross-entropy (default; softmax output) or quadratic\n"
        "                         (sigmoid output)\n"
        "  --init NAME            uniform, xavier, he or orthogonal (default: he for relu\n"
        "                         and leaky-relu, xavier otherwise and for a regression)\n"
        "  --kernels NAME         openblas (default), blis or naive\n"
        "  --inference MODE       how the test set is evaluated after each epoch: invariant\n"
        "                         (default; what eval and predict give) or batch (training\n"
        "                         itself always runs on the batch products)\n"
        "  --resume MODEL         start from a saved model instead (its layers, activations\n"
        "                         and loss; not with --layers, --activation, --loss or\n"
        "                         --init)\n"
        "  --resume DIR           continue a --checkpoint directory's run: its newest model\n"
        "                         and optimizer state, from the epoch after it, up to\n"
        "                         --epochs in all (on any number of MPI ranks); the data\n"
        "                         and options must be the run's own (its manifest), and\n"
        "                         --layers, --lr, ... if given\n"
        "\n"
        "Optimizer:\n"
        "  --optimizer NAME       sgd, momentum, nesterov or adam (default)\n"
        "  --lr RATE              learning rate > 0 (default %g for adam, %g otherwise)\n"
        "  --momentum MU          in [0, 1) for momentum and nesterov (default %g)\n"
        "  --weight-decay LAMBDA  >= 0 (default %g)\n"
        "  --schedule NAME        constant, step or cosine (default; to 0 over all steps)\n"
        "  --step-epochs N        step: epochs between decays (default %zu)\n"
        "  --gamma G              step: decay factor in (0, 1] (default %g)\n"
        "  --resume-optimizer FILE  load the optimizer's state (its settings, schedule\n"
        "                         and step count replace the options above)\n"
        "  --save-optimizer FILE  save the optimizer's state after training\n"
        "\n",
        default_recipe.hidden[0], default_recipe.hidden[1], default_recipe.hidden[0],
        default_recipe.hidden[1], (double)default_recipe.adam_rate, (double)default_recipe.rate,
        (double)default_recipe.momentum, (double)default_recipe.weight_decay,
        default_recipe.step_epochs, (double)default_recipe.gamma);
    printf("Run:\n"
           "  --epochs N             1 to 100000 (default %zu)\n"
           "  --batch N              examples per step (default %zu)\n"
           "  --seed N               initialization and shuffling (default %llu)\n"
           "  --plan auto|SPEC       kernels, workers and BLAS threads. auto (the default\n"
           "                         without --kernels, --workers and --threads) times the\n"
           "                         candidates on this network and batch for up to 0.3 s\n"
           "                         and takes the fastest: it depends on the machine and\n"
           "                         its load, and so may the last bits of the weights.\n"
           "                         SPEC fixes it: KERNELS[:WxT], e.g. blis:2x1 (2 workers\n"
           "                         x 1 thread), openblas:1x2; bitwise repeatable\n"
           "  --workers N|auto       worker threads, each on its share of every batch with\n"
           "                         1 BLAS thread (auto: the library's rule)\n"
           "  --threads N            BLAS threads of one worker (default: the rule's)\n"
           "  --save FILE            save the trained model\n"
           "  --metrics FILE         every epoch's losses, accuracies and seconds as JSON,\n"
           "                         appended after each epoch (valid JSON after each)\n"
           "  --checkpoint DIR       after every epoch, the model and optimizer state in\n"
           "                         DIR/epoch-NNNNNN/ (written whole, then renamed into place;\n"
           "                         older ones removed), and the run's manifest; a new run\n"
           "                         needs an empty DIR, and one run at a time holds it\n"
           "  --max-input-bytes N    the most bytes a data set may take in memory (4 per\n"
           "                         value; K, M, G suffixes), checked against each IDX\n"
           "                         file's header before reading it (default: a quarter of\n"
           "                         the physical memory, at least 64M); for CSV, a line's\n"
           "                         bytes and the parsed data's; and the network's memory\n"
           "  --quiet                print only the last line\n"
           "  -h, --help             this help\n"
           "\n",
           default_recipe.epochs, default_recipe.batch, (unsigned long long)default_recipe.seed);
    printf("Under mpirun (mpirun -np N backprop train ...), the N processes train one model:\n"
           "--batch is the global batch, each rank takes its share of every batch, rank 0\n"
           "prints and writes the files. A data path with {rank} in it (--train-csv\n"
           "part-{rank}.csv) is a shard per rank. Each rank runs 1 worker on 1 BLAS\n"
           "thread unless --plan SPEC, --workers or --threads says otherwise (ranks x\n"
           "workers x threads at most the cores; --plan auto is 1 x 1 there).\n"
           "\n"
           "Prints the network, then a line per epoch (and a progress bar on stderr when it is\n"
           "a terminal); the last line is \"test accuracy: A\".\n"
           "Exit status: 0 success, 1 runtime error (files, formats, sizes, training),\n"
           "2 usage error.\n");
}

enum {
    OPT_DATA_DIR = COMMON_OPTIONS_END,
    OPT_TRAIN_IMAGES,
    OPT_TRAIN_LABELS,
    OPT_TEST_IMAGES,
    OPT_TEST_LABELS,
    OPT_TRAIN_CSV,
    OPT_TEST_CSV,
    OPT_SCALE,
    OPT_LAYERS,
    OPT_ACTIVATION,
    OPT_LOSS,
    OPT_INIT,
    OPT_RESUME,
    OPT_OPTIMIZER,
    OPT_LR,
    OPT_MOMENTUM,
    OPT_WEIGHT_DECAY,
    OPT_SCHEDULE,
    OPT_STEP_EPOCHS,
    OPT_GAMMA,
    OPT_RESUME_OPTIMIZER,
    OPT_SAVE_OPTIMIZER,
    OPT_EPOCHS,
    OPT_SEED,
    OPT_SAVE,
    OPT_METRICS,
    OPT_QUIET,
    OPT_CHECKPOINT,
    OPT_VAL_SPLIT,
    OPT_EARLY_STOPPING,
    OPT_WORKERS,
    OPT_PLAN,
};

static const struct option long_options[] = {
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"train-images", required_argument, NULL, OPT_TRAIN_IMAGES},
    {"train-labels", required_argument, NULL, OPT_TRAIN_LABELS},
    {"test-images", required_argument, NULL, OPT_TEST_IMAGES},
    {"test-labels", required_argument, NULL, OPT_TEST_LABELS},
    {"train-csv", required_argument, NULL, OPT_TRAIN_CSV},
    {"test-csv", required_argument, NULL, OPT_TEST_CSV},
    {"label-column", required_argument, NULL, OPT_LABEL_COLUMN},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"init", required_argument, NULL, OPT_INIT},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"lr", required_argument, NULL, OPT_LR},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY},
    {"schedule", required_argument, NULL, OPT_SCHEDULE},
    {"step-epochs", required_argument, NULL, OPT_STEP_EPOCHS},
    {"gamma", required_argument, NULL, OPT_GAMMA},
    {"resume-optimizer", required_argument, NULL, OPT_RESUME_OPTIMIZER},
    {"save-optimizer", required_argument, NULL, OPT_SAVE_OPTIMIZER},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"seed", required_argument, NULL, OPT_SEED},
    RUN_LONG_OPTIONS,
    {"save", required_argument, NULL, OPT_SAVE},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"val-split", required_argument, NULL, OPT_VAL_SPLIT},
    {"early-stopping", required_argument, NULL, OPT_EARLY_STOPPING},
    CSV_LONG_OPTIONS,
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const COMMAND = "train";

/* Parses one option's value into the config; returns EXIT_OK or the usage
 * error's status. */
static int take_option(void *settings, int option, const char *value) {
    train_config *c = settings;
    if (option >= 0 && (size_t)option < 64 * sizeof c->given / sizeof c->given[0])
        c->given[option / 64] |= (uint64_t)1 << (option % 64);
    switch (option) {
    case OPT_DATA_DIR:
        c->data_dir = value;
        break;
    case OPT_TRAIN_IMAGES:
        c->train_images = value;
        break;
    case OPT_TRAIN_LABELS:
        c->train_labels = value;
        break;
    case OPT_TEST_IMAGES:
        c->test_images = value;
        break;
    case OPT_TEST_LABELS:
        c->test_labels = value;
        break;
    case OPT_TRAIN_CSV:
        c->train_csv = value;
        break;
    case OPT_TEST_CSV:
        c->test_csv = value;
        break;
    case OPT_SCALE:
        c->scale_given = true;
        if (!parse_name(scale_names, value, &c->scale))
            return bad_name(COMMAND, "--scale", value, scale_names);
        break;
    case OPT_LAYERS:
        free(c->layers);
        c->layers = NULL;
        if (!parse_layers(value, &c->layers, &c->n_layers))
            return usage_error(COMMAND,
                               "invalid --layers '%s' (expected at least 2 comma-separated "
                               "sizes from 1 to %d, inputs first, e.g. 784,256,128,10)",
                               value, INT_MAX);
        break;
    case OPT_ACTIVATION:
        c->activation_given = true;
        /* Softmax is for the output layer only, which --loss decides. */
        if (!parse_name(activation_names, value, &c->activation) || c->activation == BP_ACT_SOFTMAX)
            return bad_name_except(COMMAND, "--activation", value, activation_names,
                                   BP_ACT_SOFTMAX);
        break;
    case OPT_LOSS:
        c->loss_given = true;
        if (!parse_name(loss_names, value, &c->loss))
            return bad_name(COMMAND, "--loss", value, loss_names);
        break;
    case OPT_INIT:
        c->init_given = true;
        if (!parse_name(init_names, value, &c->init))
            return bad_name(COMMAND, "--init", value, init_names);
        break;
    case OPT_RESUME:
        c->resume = value;
        break;
    case OPT_OPTIMIZER:
        if (!parse_name(optimizer_names, value, &c->optimizer))
            return bad_name(COMMAND, "--optimizer", value, optimizer_names);
        break;
    case OPT_LR:
        c->rate_given = true;
        if (!parse_float(value, &c->rate) || !(c->rate > 0.0f))
            return usage_error(COMMAND, "invalid --lr '%s' (expected a finite number > 0)", value);
        break;
    case OPT_MOMENTUM:
        if (!parse_float(value, &c->momentum) || c->momentum < 0.0f || c->momentum >= 1.0f)
            return usage_error(COMMAND, "invalid --momentum '%s' (expected a number in [0, 1))",
                               value);
        break;
    case OPT_WEIGHT_DECAY:
        if (!parse_float(value, &c->weight_decay) || c->weight_decay < 0.0f)
            return usage_error(
                COMMAND, "invalid --weight-decay '%s' (expected a finite number >= 0)", value);
        break;
    case OPT_SCHEDULE:
        if (!parse_name(schedule_names, value, &c->schedule))
            return bad_name(COMMAND, "--schedule", value, schedule_names);
        break;
    case OPT_STEP_EPOCHS:
        if (!parse_size(value, 1, 100000, &c->step_epochs))
            return bad_range(COMMAND, "--step-epochs", value, 1, 100000);
        break;
    case OPT_GAMMA:
        if (!parse_float(value, &c->gamma) || !(c->gamma > 0.0f) || c->gamma > 1.0f)
            return usage_error(COMMAND, "invalid --gamma '%s' (expected a number in (0, 1])",
                               value);
        break;
    case OPT_RESUME_OPTIMIZER:
        c->resume_optimizer = value;
        break;
    case OPT_SAVE_OPTIMIZER:
        c->save_optimizer = value;
        break;
    case OPT_EPOCHS:
        if (!parse_size(value, 1, 100000, &c->epochs))
            return bad_range(COMMAND, "--epochs", value, 1, 100000);
        break;
    case OPT_SEED:
        if (!parse_u64(value, &c->seed))
            return bad_range(COMMAND, "--seed", value, 0, UINT64_MAX);
        break;
    case OPT_SAVE:
        c->save = value;
        break;
    case OPT_METRICS:
        c->metrics = value;
        break;
    case OPT_QUIET:
        c->quiet = true;
        break;
    case OPT_CHECKPOINT:
        c->checkpoint = value;
        break;
    case OPT_VAL_SPLIT: {
        float f;
        if (!parse_float(value, &f) || !(f > 0.0f && f < 1.0f))
            return usage_error(COMMAND, "invalid --val-split '%s' (expected a fraction in (0, 1))",
                               value);
        c->val_split = f;
        break;
    }
    case OPT_EARLY_STOPPING:
        if (!parse_size(value, 1, 100000, &c->patience))
            return usage_error(
                COMMAND, "invalid --early-stopping '%s' (expected 1 to 100000 epochs)", value);
        break;
    case OPT_PLAN:
        c->plan_spec = value; /* checked against the network: choose_plan */
        break;
    case OPT_WORKERS:
        c->workers_given = true;
        if (strcmp(value, "auto") == 0)
            c->workers = 0;
        else if (!parse_size(value, 1, BP_WORKERS_MAX, &c->workers))
            return usage_error(COMMAND, "invalid --workers '%s' (expected auto or 1 to %d)", value,
                               BP_WORKERS_MAX);
        break;
    default:
        return take_data_option(COMMAND, &c->common, &c->csv, option, value);
    }
    return EXIT_OK;
}

/* Combinations no single option's parse can see. */
static int check_combinations(const train_config *c) {
    if (c->plan_spec && (c->workers_given || c->common.threads > 0 || c->common.kernels_given))
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
    if (c->patience && c->val_split == 0.0)
        return usage_error(COMMAND, "--early-stopping needs --val-split: it watches the "
                                    "validation loss, never the test set's");
    if (!csv && c->scale_given)
        return usage_error(COMMAND,
                           "--scale is for CSV data; IDX inputs are always scaled by 1/255");
    status = check_data_options(COMMAND, &c->common, &c->csv, csv);
    if (status != EXIT_OK)
        return status;
    /* A checkpoint directory's manifest says which network its run has:
     * these options, given, are checked against it (run_manifest.c). */
    if (c->resume && !checkpoint_is_directory(c->resume) &&
        (c->layers || c->activation_given || c->loss_given || c->init_given))
        return usage_error(COMMAND, "--resume takes the network from the model; it does not go "
                                    "with --layers, --activation, --loss or --init");
    if (c->resume && c->resume_optimizer && checkpoint_is_directory(c->resume))
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
    for (const struct option *o = long_options; o->name; o++)
        if (strcmp(o->name, name) == 0 && o->val >= 0 &&
            (size_t)o->val < 64 * sizeof c->given / sizeof c->given[0])
            return (c->given[o->val / 64] >> (o->val % 64)) & 1;
    return false;
}

const char *scale_name(int scale) { return name_of(scale_names, scale); }

static const command_line train_line = {
    .command = COMMAND,
    .options = long_options,
    .help = train_help,
    .take = take_option,
};

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
    const int status = parse_command_line(&train_line, argc, argv, c, NULL);
    if (status != EXIT_OK)
        return status;
    c->csv.label = c->common.label_column;
    c->csv.max_input_bytes = c->common.max_input_bytes;
    if (c->csv.targets && c->csv.task == -1)
        c->csv.task = BP_TASK_REGRESSION; /* --target-columns says so */
    if (!c->rate_given)
        c->rate = c->optimizer == BP_OPT_ADAM ? default_recipe.adam_rate : default_recipe.rate;
    if (!c->init_given)
        c->init = c->activation == BP_ACT_RELU || c->activation == BP_ACT_LEAKY_RELU
                      ? BP_INIT_HE
                      : BP_INIT_XAVIER;
    return check_combinations(c);
}
