/* The train command's data: each rank's paths, the training, validation and test sets, and the
 * CSV preprocessing fitted on the training set. */
#include "train_sets.h"

#include <backprop.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "csv_preprocessing.h"
#include "data_files.h"
#include "distributed.h"
#include "errors.h"
#include "rank_paths.h"

int substitute_ranks(train_config *c) {
    const char **paths[] = {&c->train_csv,   &c->test_csv,    &c->train_images, &c->train_labels,
                            &c->test_images, &c->test_labels, &c->data_dir};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        c->sharded = c->sharded || path_names_rank(*paths[i]);
        if (!substitute_rank(paths[i], distributed_rank(), &c->owned[i]))
            return runtime_error("out of memory");
    }
    return EXIT_OK;
}

/* *to = a scaler of its own with from's numbers: bp_scaler_fit on one row
 * allocates its arrays the library's way (bp_scaler_free releases them),
 * then they take from's values. */
static int copy_scaler(const bp_scaler *from, bp_scaler *to) {
    *to = (bp_scaler){0};
    if (from->columns == 0)
        return BP_OK;
    const int rc = bp_scaler_fit(to, from->kind, from->offset, 1, from->columns);
    if (rc == BP_OK) {
        memcpy(to->offset, from->offset, from->columns * sizeof *to->offset);
        memcpy(to->scale, from->scale, from->columns * sizeof *to->scale);
    }
    return rc;
}

/* c->prep's own copy of rank 0's preprocessing; the class names stay
 * borrowed, as fit_preprocessing's do (from the carrier, which lives until
 * distributed_finish). */
static int copy_preprocessing(const bp_preprocessing *from, bp_preprocessing *to) {
    *to = (bp_preprocessing){
        .task = from->task, .classes = from->classes, .class_names = from->class_names};
    int rc = copy_scaler(&from->inputs, &to->inputs);
    if (rc == BP_OK)
        rc = copy_scaler(&from->targets, &to->targets);
    if (rc != BP_OK) {
        free_preprocessing(to);
        return library_error(rc);
    }
    return EXIT_OK;
}

/* A sharded run's CSV sets on more than one rank: rank 0 has loaded its
 * shard and fitted the preprocessing (status says how that went on this
 * rank); it is shared with every rank, and the others load their shards
 * again with it (a label rank 0's shard lacks is an error naming the
 * line). The validation split, if any, is taken after. */
static int load_shard_as_rank_0(train_config *c, int status, bp_dataset *train, bp_dataset *test) {
    status = distributed_agree(status);
    if (status != EXIT_OK)
        return status;
    const size_t width = c->task == BP_TASK_REGRESSION ? train->outputs : train->classes;
    const bp_preprocessing *shared = &c->prep;
    const bp_schema *shared_schema = &c->schema;
    status = distributed_share_preprocessing(&shared, &shared_schema, train->features, width);
    if (status != EXIT_OK)
        return status;
    if (distributed_rank() != 0) {
        free_preprocessing(&c->prep);
        status = copy_preprocessing(shared, &c->prep);
        c->task = c->prep.task;
        /* Rank 0's schema: this rank's shard is matched to its columns by
         * name (reordered, or an error naming a column). */
        c->schema = shared_schema ? *shared_schema : (bp_schema){0};
        bp_dataset_free(train);
        c->val = (bp_dataset){0}; /* a view of train's tail (split_validation): gone with it */
        if (status == EXIT_OK)
            status = load_csv_for_model(&c->csv, c->train_csv, &c->prep, &c->schema,
                                        c->prep.classes, train);
        if (status == EXIT_OK && c->val_split > 0)
            status = split_validation(train, c->val_split, c->seed, &c->val);
    } else {
        int rc = apply_preprocessing(&c->prep, train);
        if (rc == BP_OK && c->val.count)
            rc = apply_preprocessing(&c->prep, &c->val);
        if (rc != BP_OK)
            status = library_error(rc);
    }
    c->has_prep = status == EXIT_OK;
    if (status == EXIT_OK && c->test_csv)
        status =
            load_csv_for_model(&c->csv, c->test_csv, &c->prep, &c->schema, c->prep.classes, test);
    if (status == EXIT_OK && !c->quiet && distributed_speaks()) {
        printf("preprocessing (fitted on rank 0's shard, used by every rank, stored in the "
               "model):\n");
        print_preprocessing(stdout, &c->prep);
        fflush(stdout);
    }
    return status;
}

/* --resume MODEL with CSV data: the model's preprocessing, classes and
 * schema are the run's. The sets are read as eval reads them: labels mapped
 * onto the model's classes (one it does not know is an error naming its
 * line), columns matched by name, the model's scaling applied (not
 * refitted). Then the validation split. A model without preprocessing
 * (version 1) keeps the fresh run's way. */
static int load_csv_sets_resumed(train_config *c, bp_dataset *train, bp_dataset *test, bool *done) {
    *done = false;
    int rc = bp_net_load(&c->resumed, c->resume, BP_KERNELS_NAIVE);
    if (rc != BP_OK)
        return library_error(rc);
    const bp_preprocessing *p = bp_net_preprocessing(c->resumed);
    if (!p)
        return EXIT_OK;
    *done = true;
    if (c->csv.task != -1 && c->csv.task != (int)p->task)
        return runtime_error("--resume %s: the model is a %s; --task says otherwise", c->resume,
                             p->task == BP_TASK_REGRESSION ? "regression" : "classification");
    if (train_option_given(c, "scale"))
        return runtime_error("--resume %s: the model keeps its own scaling; --scale does not go "
                             "with it",
                             c->resume);
    const bp_schema *schema = bp_net_schema(c->resumed);
    c->schema = schema ? *schema : (bp_schema){0};
    c->task = p->task;
    c->prep =
        (bp_preprocessing){.task = p->task, .classes = p->classes, .class_names = p->class_names};
    rc = copy_scaler(&p->inputs, &c->prep.inputs);
    if (rc == BP_OK)
        rc = copy_scaler(&p->targets, &c->prep.targets);
    if (rc != BP_OK)
        return library_error(rc);
    c->has_prep = true;
    int status = load_csv_for_model(&c->csv, c->train_csv, &c->prep, &c->schema,
                                    bp_net_num_outputs(c->resumed), train);
    if (status == EXIT_OK && c->val_split > 0)
        status = split_validation(train, c->val_split, c->seed, &c->val);
    if (status == EXIT_OK && c->test_csv)
        status = load_csv_for_model(&c->csv, c->test_csv, &c->prep, &c->schema,
                                    bp_net_num_outputs(c->resumed), test);
    if (status == EXIT_OK && !c->quiet && distributed_speaks()) {
        printf("preprocessing (kept from %s: its scaling, classes and columns):\n", c->resume);
        print_preprocessing(stdout, &c->prep);
        fflush(stdout);
    }
    return status;
}

/* CSV: the training set (task and labels decided), the validation split,
 * per-feature scaling fitted on what remains and stored for the model,
 * then the test set (optional) read with the training set's classes. */
static int load_csv_sets(train_config *c, bp_dataset *train, bp_dataset *test) {
    if (c->resume && !c->sharded) {
        bool done;
        const int resumed = load_csv_sets_resumed(c, train, test, &done);
        if (resumed != EXIT_OK || done)
            return resumed;
    }
    int status = load_training_csv(&c->csv, c->train_csv, train, &c->task);
    if (status == EXIT_OK)
        training_schema(train, c->csv.skip_columns, &c->schema);
    /* A regression's small tabular sets overfit sooner from He's larger
     * first weights (diabetes, 15 epochs: test R^2 0.16 against 0.31 with
     * Xavier, the Glorot draw scikit-learn's MLPs use): Xavier unless asked. */
    if (c->task == BP_TASK_REGRESSION && !train_option_given(c, "init"))
        c->init = BP_INIT_XAVIER;
    if (status == EXIT_OK && c->val_split > 0)
        status = split_validation(train, c->val_split, c->seed, &c->val);
    if (status == EXIT_OK)
        status =
            fit_preprocessing(train, c->task, c->scale == SCALE_NONE ? -1 : c->scale, &c->prep);
    /* Shards: every rank scales and names classes as rank 0 fitted on its
     * shard, or the same label could be another class on another rank. */
    if (c->sharded && distributed_size() > 1)
        return load_shard_as_rank_0(c, status, train, test);
    if (status != EXIT_OK)
        return status;
    c->has_prep = true;
    int rc = apply_preprocessing(&c->prep, train);
    if (rc == BP_OK && c->val.count)
        rc = apply_preprocessing(&c->prep, &c->val);
    if (rc != BP_OK)
        return library_error(rc);
    if (c->test_csv)
        status =
            load_csv_for_model(&c->csv, c->test_csv, &c->prep, &c->schema, c->prep.classes, test);
    if (status == EXIT_OK && c->test_csv && test->features != train->features)
        status = runtime_error("the test set has %zu features per example; the training set has "
                               "%zu",
                               test->features, train->features);
    if (status == EXIT_OK && !c->quiet && distributed_speaks()) {
        printf("preprocessing (stored in the model; eval and predict apply it):\n");
        print_preprocessing(stdout, &c->prep);
        fflush(stdout);
    }
    return status;
}

/* Where the options put one IDX set: the images and labels given, else the
 * default files in --data-dir. */
static data_source idx_source(const train_config *c, const char *images, const char *labels,
                              const char *default_images, const char *default_labels) {
    return (data_source){
        .max_input_bytes = c->common.max_input_bytes,
        .images = images,
        .labels = labels,
        .data_dir = c->data_dir,
        .default_images = default_images,
        .default_labels = default_labels,
    };
}

int load_train_sets(train_config *c, bp_dataset *train, bp_dataset *test) {
    if (c->train_csv)
        return load_csv_sets(c, train, test);
    const data_source train_source =
        idx_source(c, c->train_images, c->train_labels, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE);
    const data_source test_source =
        idx_source(c, c->test_images, c->test_labels, TEST_IMAGES_FILE, TEST_LABELS_FILE);
    int status = load_data(&train_source, train);
    if (status == EXIT_OK)
        status = load_data(&test_source, test);
    if (status == EXIT_OK && c->val_split > 0)
        status = split_validation(train, c->val_split, c->seed, &c->val);
    if (status != EXIT_OK)
        return status;
    if (test->features != train->features)
        return runtime_error("the test set has %zu features per example; the training set has "
                             "%zu",
                             test->features, train->features);
    return EXIT_OK;
}
