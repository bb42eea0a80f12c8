/* The train command's options: the default recipe, the settings the options make, their parse and
 * help (from one table of them), and the checks of their combinations. */
#ifndef BACKPROP_TOOL_TRAIN_OPTIONS_H
#define BACKPROP_TOOL_TRAIN_OPTIONS_H

#include <backprop.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common_options.h"
#include "csv_preprocessing.h"

/* The default recipe, all in one place: with no options, a 784-256-128-10
 * ReLU network with a softmax output and the cross-entropy cost, He
 * initialization, Adam at 0.001 decayed to 0 along a cosine over all steps,
 * 15 epochs of batches of 32 (DEFAULT_BATCH). */
typedef struct train_recipe {
    size_t hidden[2]; /* between the data's features and its classes */
    bp_activation activation;
    bp_loss loss;
    bp_optimizer_kind optimizer;
    float adam_rate, rate; /* Adam; every other optimizer */
    float momentum, weight_decay;
    bp_schedule schedule;
    size_t step_epochs; /* step schedule: epochs between decays */
    float gamma;        /* step schedule: decay factor */
    size_t epochs, batch;
    uint64_t seed;
} train_recipe;

extern const train_recipe default_recipe;

enum { SCALE_MINMAX = BP_SCALE_MINMAX, SCALE_STANDARDIZE = BP_SCALE_STANDARDIZE, SCALE_NONE = 100 };

/* Everything the options say (train_option_given: whether one was present). */
typedef struct train_config {
    /* data */
    const char *data_dir, *train_images, *train_labels, *test_images, *test_labels;
    const char *train_csv, *test_csv;
    int scale;
    /* CSV: --task, --target-columns, --header, ...; --label-column is in common */
    csv_settings csv;
    float val_split; /* 0: none */
    size_t patience; /* --early-stopping; 0: none */
    /* what loading found: the task, the preprocessing fitted on the training
     * set (CSV), and the validation set (a view of the training set's tail) */
    bp_task task;
    bp_preprocessing prep;
    bool has_prep;
    /* the training file's columns (names borrowed from the training set, or
     * from resumed), kept in the model beside prep */
    bp_schema schema;
    /* --resume MODEL with CSV data: the model, whose preprocessing, classes
     * and schema the run keeps (prep's class names are borrowed from it) */
    bp_net *resumed;
    bp_dataset val;
    /* network */
    size_t *layers, n_layers;
    int activation, loss, init;
    const char *resume;
    /* optimizer */
    int optimizer, schedule;
    float rate, momentum, weight_decay, gamma;
    size_t step_epochs;
    const char *resume_optimizer, *save_optimizer;
    /* run */
    size_t epochs;
    uint64_t seed;
    const char *save, *metrics;
    /* --checkpoint DIR; --resume DIR sets first_epoch, the epochs it holds */
    const char *checkpoint;
    size_t first_epoch;
    /* {rank} in the data paths: each rank loads its own shard */
    bool sharded;
    char *owned[7]; /* paths with the rank substituted, to free */
    /* --label-column, --batch, --kernels, --threads */
    common_options common;
    /* --workers N (0: auto), --plan (NULL: none given), and what was
     * chosen (choose_plan) */
    size_t workers;
    const char *plan_spec;
    bp_plan plan;
    const char *plan_origin; /* how the plan was chosen, for the set-up lines */
    double plan_budget;      /* seconds a timed plan was given; 0: the library's default */
    bool quiet;
    /* the options given, a bit per row of train_options.c's table (train_option_given) */
    uint64_t given[8];
    /* flock'd lock files of the --checkpoint and --resume directories; -1: none */
    int checkpoint_lock, resume_lock;
} train_config;

/* Parses train's argv (argv[0] is "train") into *c, the default recipe
 * where an option is absent, and checks the combinations. c->layers is
 * the caller's to free, whatever the result. EXIT_OK, a usage error's
 * status, or HELP_SHOWN. */
int parse_train_options(train_config *c, int argc, char *argv[]);

/* Whether the option of this long name ("layers") was on the command line. */
bool train_option_given(const train_config *c, const char *name);

struct option;

/* train's getopt_long table, made from its table of options. */
const struct option *train_long_options(void);

/* Prints train --help, made from the same table, to out. */
void print_train_help(FILE *out);

/* The name of a --scale value: standardize, minmax or none. */
const char *scale_name(int scale);

#endif
