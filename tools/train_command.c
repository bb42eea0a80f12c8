/* The train command: data, network and optimizer from the options, then bp_train with progress. */
#define _POSIX_C_SOURCE 200809L

#include <backprop.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cmdline.h"
#include "commands.h"
#include "common_options.h"
#include "csv_preprocessing.h"
#include "data_files.h"
#include "describe.h"
#include "distributed.h"
#include "errors.h"
#include "metrics.h"
#include "names.h"
#include "paths.h"
#include "progress.h"
#include "run_manifest.h"
#include "signals.h"
#include "train_options.h"
#include "train_sets.h"

static const char *const COMMAND = "train";

/* --resume DIR: the newest checkpoint's model and optimizer state, and the
 * epoch to go on from. */
static int resume_checkpoint(train_config *c, char **model, char **optimizer) {
    *model = *optimizer = NULL;
    if (!c->resume || !is_directory(c->resume))
        return EXIT_OK;
    const char *dir = c->resume;
    int status = checkpoint_find(dir, &c->first_epoch, model, optimizer);
    if (status == EXIT_OK && c->first_epoch >= c->epochs)
        status = runtime_error("--resume %s: its checkpoint is of epoch %zu; --epochs %zu leaves "
                               "nothing to train (--epochs counts all epochs, those done too)",
                               dir, c->first_epoch, c->epochs);
    c->resume = *model;
    c->resume_optimizer = *optimizer;
    return status;
}

/* Before any work: the outputs can be written, none is an input or another
 * output, and a network to be saved fits the model file. Under mpirun only
 * rank 0 writes, so only it checks the outputs. */
static int check_train_paths(const train_config *c) {
    const bool writes = distributed_speaks();
    const size_t layers = c->layers ? c->n_layers - 1 : 0;
    if (writes && (c->save || c->checkpoint) && layers > BP_MODEL_MAX_LAYERS)
        return usage_error(COMMAND,
                           "--layers gives %zu layers; a model file holds at most %d, "
                           "so the trained network could not be saved",
                           layers, BP_MODEL_MAX_LAYERS);
    /* The default IDX files are inputs too. */
    const char *dir = c->data_dir ? c->data_dir : DEFAULT_DATA_DIR;
    char defaults_[4][PATH_MAX];
    const char *names[4] = {TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE, TEST_IMAGES_FILE,
                            TEST_LABELS_FILE};
    const char *given[4] = {c->train_images, c->train_labels, c->test_images, c->test_labels};
    const char *options[4] = {"--train-images", "--train-labels", "--test-images", "--test-labels"};
    path_list list = {0};
    for (int i = 0; i < 4; i++) {
        const char *path = given[i];
        if (!path && !c->train_csv) {
            snprintf(defaults_[i], sizeof defaults_[i], "%s/%s", dir, names[i]);
            path = defaults_[i];
        }
        paths_add(&list, PATH_INPUT, options[i], path);
    }
    paths_add(&list, PATH_INPUT, "--train-csv", c->train_csv);
    paths_add(&list, PATH_INPUT, "--test-csv", c->test_csv);
    paths_add(&list, PATH_INPUT, "--resume", c->resume);
    paths_add(&list, PATH_INPUT, "--resume-optimizer", c->resume_optimizer);
    if (writes) {
        paths_add(&list, PATH_OUTPUT, "--save", c->save);
        paths_add(&list, PATH_OUTPUT, "--save-optimizer", c->save_optimizer);
        paths_add(&list, PATH_OUTPUT, "--metrics", c->metrics);
        paths_add(&list, PATH_OUTPUT_DIR, "--checkpoint", c->checkpoint);
    }
    return paths_check(COMMAND, &list);
}

/* Rank 0 takes the checkpoint directories for this run (a lock each) and
 * checks them: --checkpoint DIR new and empty unless the run resumes from
 * it; --resume DIR of this very run by its manifest, whose text *manifest
 * then holds for the checkpoints to come. */
static int claim_directories(train_config *c, char **manifest) {
    *manifest = NULL;
    if (!distributed_speaks())
        return EXIT_OK;
    const bool resume_dir = c->resume && is_directory(c->resume);
    struct stat a, b;
    const bool same = resume_dir && c->checkpoint && stat(c->resume, &a) == 0 &&
                      stat(c->checkpoint, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    int status = EXIT_OK;
    if (c->checkpoint)
        status = checkpoint_claim(c->checkpoint, true, !same, &c->checkpoint_lock);
    if (status == EXIT_OK && resume_dir && !same)
        status = checkpoint_claim(c->resume, false, false, &c->resume_lock);
    if (status == EXIT_OK && resume_dir)
        status = manifest_check(c->resume, c, manifest);
    return status;
}

/* Before the network is made: the memory it and its optimizer will hold,
 * at least (parameters, gradient, the optimizer's moments, the gradient
 * buffers of --workers, the workspace of a batch), against --max-input-bytes
 * or, without it, the same default the loaders take (a quarter of the
 * physical memory, at least 64 MiB): a CSV of a million columns would
 * otherwise have the default network ask for gigabytes. */
static int check_network_memory(const train_config *c, const size_t *sizes, size_t n_sizes,
                                size_t count) {
    double params = 0.0, neurons = 0.0, widest = 0.0;
    for (size_t l = 1; l < n_sizes; l++) {
        params += ((double)sizes[l - 1] + 1.0) * (double)sizes[l];
        neurons += (double)sizes[l];
        widest = (double)sizes[l] > widest ? (double)sizes[l] : widest;
    }
    const int moments = c->optimizer == BP_OPT_ADAM ? 2 : c->optimizer == BP_OPT_SGD ? 0 : 1;
    const size_t workers = c->workers > 1 ? c->workers : 1;
    const size_t batch = c->common.batch < count ? c->common.batch : count;
    const size_t ranks = (size_t)distributed_size();
    const double share = (double)((batch + ranks - 1) / ranks);
    const double need = 4.0 * params * (double)(2 + moments + (workers - 1)) +
                        4.0 * share * (neurons + 2.0 * widest);
    double limit = (double)c->common.max_input_bytes;
    if (limit == 0.0) {
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        limit = pages > 0 && page > 0 ? (double)pages * (double)page / 4.0 : 0.0;
        limit = limit > 64.0 * 1024 * 1024 ? limit : 64.0 * 1024 * 1024;
    }
    if (need <= limit)
        return EXIT_OK;
    char shape[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < n_sizes && used < sizeof shape; i++)
        used +=
            (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu", i ? "-" : "", sizes[i]);
    return runtime_error("the network %s would need at least %.1f MiB (its parameters, gradient "
                         "and optimizer state), over the %.1f MiB %s; give a smaller network "
                         "(--layers) or a larger --max-input-bytes",
                         shape, need / (1024.0 * 1024.0), limit / (1024.0 * 1024.0),
                         c->common.max_input_bytes
                             ? "that --max-input-bytes allows"
                             : "allowed by default (a quarter of the physical memory)");
}

static int make_net(const train_config *c, const bp_dataset *train, const bp_dataset *test,
                    bp_net **net) {
    *net = NULL;
    /* IDX: the test set may have classes the training set lacks (load_sets
     * has checked that the features agree). CSV: the training set's classes
     * are all there are (a test label outside them was an error); a
     * regression has one output per target. */
    const bool regression = c->task == BP_TASK_REGRESSION;
    const size_t classes = regression                       ? train->outputs
                           : c->has_prep                    ? train->classes
                           : train->classes > test->classes ? train->classes
                                                            : test->classes;
    if (regression && train_option_given(c, "loss") && c->loss != BP_LOSS_QUADRATIC)
        return runtime_error("--task regression trains the quadratic cost; --loss %s is for "
                             "classes",
                             name_of(loss_names, c->loss));
    const bp_kernels kernels = (bp_kernels)c->common.kernels;
    if (c->resume) {
        int rc = bp_net_load(net, c->resume, kernels);
        if (rc == BP_OK && c->has_prep)
            rc = bp_net_set_preprocessing(*net, &c->prep);
        if (rc == BP_OK && c->has_prep)
            rc = bp_net_set_schema(*net, &c->schema);
        if (rc != BP_OK)
            return library_error(rc);
        return check_fit(bp_net_num_inputs(*net), bp_net_num_outputs(*net), train->features,
                         classes, "the model has");
    }
    size_t default_sizes[4] = {train->features, default_recipe.hidden[0], default_recipe.hidden[1],
                               classes};
    const size_t *sizes = c->layers ? c->layers : default_sizes;
    const size_t n_sizes = c->layers ? c->n_layers : 4;
    int status = check_fit(sizes[0], sizes[n_sizes - 1], train->features, classes,
                           c->layers ? "--layers has" : "the network has");
    if (status == EXIT_OK)
        status = check_network_memory(c, sizes, n_sizes, train->count);
    if (status != EXIT_OK)
        return status;

    const size_t layers = n_sizes - 1;
    bp_activation *activations = malloc(layers * sizeof *activations);
    if (!activations)
        return runtime_error("out of memory");
    for (size_t l = 0; l + 1 < layers; l++)
        activations[l] = (bp_activation)c->activation;
    activations[layers - 1] = regression                         ? BP_ACT_IDENTITY
                              : c->loss == BP_LOSS_CROSS_ENTROPY ? BP_ACT_SOFTMAX
                                                                 : BP_ACT_SIGMOID;
    int rc = bp_net_create(net, layers, sizes, activations, kernels, c->seed);
    free(activations);
    if (rc == BP_OK)
        rc = bp_net_set_loss(*net, regression ? BP_LOSS_QUADRATIC : (bp_loss)c->loss);
    if (rc == BP_OK && c->has_prep)
        rc = bp_net_set_preprocessing(*net, &c->prep);
    if (rc == BP_OK && c->has_prep)
        rc = bp_net_set_schema(*net, &c->schema);
    if (rc == BP_OK)
        rc = bp_net_initialize(*net, (bp_init)c->init, c->seed);
    return rc == BP_OK ? EXIT_OK : library_error(rc);
}

static int make_optimizer(const train_config *c, const bp_net *net, size_t batches,
                          bp_optimizer **opt) {
    *opt = NULL;
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, (bp_optimizer_kind)c->optimizer);
    config.learning_rate = c->rate;
    config.momentum = c->momentum;
    config.weight_decay = c->weight_decay;
    config.schedule = (bp_schedule)c->schedule;
    /* epochs <= 100000, so these overflow only for absurd batch counts. */
    if (batches > UINT64_MAX / c->epochs)
        return runtime_error("%zu epochs of %zu batches are too many steps", c->epochs, batches);
    config.total_steps = (uint64_t)c->epochs * batches;
    config.step_size = (uint64_t)c->step_epochs * batches;
    config.gamma = c->gamma;
    int rc = bp_optimizer_create(opt, net, &config);
    if (rc == BP_OK && c->resume_optimizer)
        rc = bp_optimizer_load(*opt, c->resume_optimizer);
    if (rc != BP_OK)
        return library_error(rc);
    /* A loaded optimizer keeps its own schedule and step count: one whose
     * schedule has run out would train at rate 0 and change nothing. */
    if (bp_optimizer_learning_rate(*opt) <= 0.0f)
        return runtime_error("%s: the optimizer's learning rate has reached 0 (step %llu of "
                             "its schedule); nothing would be learned",
                             c->resume_optimizer, (unsigned long long)bp_optimizer_steps(*opt));
    return EXIT_OK;
}

static void print_header(const train_config *c, bp_net *net, const bp_optimizer *opt,
                         const bp_dataset *train, const bp_dataset *test, size_t batches) {
    const size_t bytes = bp_net_memory_bytes(net) + bp_optimizer_memory_bytes(opt);
    const bp_optimizer_config *config = bp_optimizer_get_config(opt);
    printf("network ");
    print_shape(stdout, net);
    printf(" (%s, %s output, %s loss", hidden_activation(net), output_activation(net),
           name_of(loss_names, (int)bp_net_loss(net)));
    if (c->resume)
        printf(", from %s", c->resume);
    else
        printf(", %s init", name_of(init_names, c->init));
    if (bytes >= 1024 * 1024)
        printf("): %zu parameters, %.1f MiB", bp_net_num_params(net),
               (double)bytes / (1024.0 * 1024.0));
    else
        printf("): %zu parameters, %.1f KiB", bp_net_num_params(net), (double)bytes / 1024.0);
    printf(" of memory with the optimizer\n");
    printf("optimizer %s, lr %g, %s schedule; %zu epoch%s of %zu batch%s of %zu, seed %llu\n",
           name_of(optimizer_names, (int)config->kind), (double)config->learning_rate,
           name_of(schedule_names, (int)config->schedule), c->epochs, c->epochs == 1 ? "" : "s",
           batches, batches == 1 ? "" : "es",
           c->common.batch < train->count || c->sharded ? c->common.batch : train->count,
           (unsigned long long)c->seed);
    if (distributed_size() > 1)
        printf(
            "ranks: %d training as one, each on its share of every batch (up to %zu examples)%s\n",
            distributed_size(), bp_net_max_batch(net),
            c->sharded ? "; sharded data: each rank its own files, an epoch as long as the "
                         "smallest shard gives"
                       : "");
    printf("data: %zu training", train->count);
    if (c->val.count)
        printf(", %zu validation", c->val.count);
    if (c->task == BP_TASK_REGRESSION)
        printf(" and %zu test examples, %zu features, %zu targets (regression)\n", test->count,
               train->features, train->outputs);
    else
        printf(" and %zu test examples, %zu features, %zu classes\n", test->count, train->features,
               train->classes);
    const bp_plan *p = &c->plan;
    char spec[32] = "";
    bp_plan_format(p, spec, sizeof spec);
    static const char *const library[] = {"OpenBLAS", "naive loops", "BLIS"};
    if (p->kernels == BP_KERNELS_NAIVE)
        printf("kernels: naive loops");
    else
        printf("kernels: %s, core %s; %zu worker%s x %d BLAS thread%s", library[p->kernels],
               bp_kernels_core(p->kernels), p->workers, p->workers == 1 ? "" : "s", p->blas_threads,
               p->blas_threads == 1 ? "" : "s");
    if (p->measured > 0 && c->plan_budget > 0.0)
        printf("\nplan: %s, auto: the fastest of %d timed on this batch and machine for %.1f s, "
               "2%% of the run (%.0f us a step)\n",
               spec, (int)p->measured, c->plan_budget, 1e6 * p->step_seconds);
    else if (p->measured > 0)
        printf("\nplan: %s, auto: the fastest of %d timed on this batch and machine (%.0f us a "
               "step)\n",
               spec, (int)p->measured, 1e6 * p->step_seconds);
    else
        printf("\nplan: %s, %s\n", spec, c->plan_origin);
    fflush(stdout);
}

/* What the callbacks share. Under mpirun only rank 0 has callbacks. */
typedef struct run_state {
    progress bar;
    metrics metrics;
    bool quiet;
    size_t train_count;   /* examples per epoch, over all ranks */
    bool reported;        /* a callback printed an error and stopped training */
    double test_accuracy; /* after the last epoch */
    const char *checkpoint;
    const char *manifest; /* the run's, for the checkpoint directory */
    bp_net *net;
    const bp_optimizer *opt;
    double wait_at_epoch_start; /* distributed_wait_seconds() then */
    size_t epoch, batch;        /* the last batch trained */
    bool regression;            /* no accuracy to check or print */
    bool metrics_failed;        /* a metrics write failed: reported, no more are tried */
    const char *eval_name;      /* "test" or "val": the set evaluated after each epoch */
    /* --early-stopping: the best epoch so far, its parameters, and whether
     * the callback stopped training for it */
    /* a regression's metrics file: the sets scored after each epoch, and
     * the target scaling that gives their units */
    const bp_dataset *sets[3]; /* train, val, test; NULL when absent */
    const bp_scaler *targets;
    size_t patience, best_epoch;
    double best_loss;
    float *best_params, *params;
    size_t n_params;
    /* with --save-optimizer, the optimizer's state at the best epoch (as
     * bp_optimizer_save_memory writes it), to save beside its model */
    unsigned char *best_optimizer;
    size_t best_optimizer_size;
    bool early_stopped;
} run_state;

static int on_batch(const bp_batch_report *report, void *user) {
    run_state *run = user;
    if (report->batch == 1)
        run->wait_at_epoch_start = distributed_wait_seconds();
    run->epoch = report->epoch;
    run->batch = report->batch;
    progress_update(&run->bar, report);
    /* SIGINT or SIGTERM: stop after this batch; run saves what was trained. */
    return signals_received() != 0;
}

static int on_epoch(const bp_epoch_report *report, void *user) {
    run_state *run = user;
    progress_clear(&run->bar);
    run->test_accuracy = report->test_accuracy;
    if (!run->quiet) {
        const double rate = report->seconds > 0 ? (double)run->train_count / report->seconds : 0.0;
        if (!run->eval_name && run->regression)
            printf("epoch %zu/%zu  train loss %.4f  %.1f s  %.0f ex/s", report->epoch,
                   report->epochs, report->train_loss, report->seconds, rate);
        else if (!run->eval_name)
            printf("epoch %zu/%zu  train loss %.4f acc %.4f  %.1f s  %.0f ex/s", report->epoch,
                   report->epochs, report->train_loss, report->train_accuracy, report->seconds,
                   rate);
        else if (run->regression)
            printf("epoch %zu/%zu  train loss %.4f  %s loss %.4f  %.1f s  %.0f ex/s", report->epoch,
                   report->epochs, report->train_loss, run->eval_name, report->test_loss,
                   report->seconds, rate);
        else
            printf("epoch %zu/%zu  train loss %.4f acc %.4f  %s loss %.4f acc %.4f  %.1f s  %.0f "
                   "ex/s",
                   report->epoch, report->epochs, report->train_loss, report->train_accuracy,
                   run->eval_name, report->test_loss, report->test_accuracy, report->seconds, rate);
        /* With ranks: the share of this rank's step time spent waiting for
         * the gradient's allreduce. */
        if (distributed_size() > 1 && report->seconds > 0)
            printf("  comm wait %.0f%%",
                   100.0 * (distributed_wait_seconds() - run->wait_at_epoch_start) /
                       report->seconds);
        printf("\n");
        fflush(stdout);
    }
    /* A failed metrics write loses only the metrics: it is reported, the
     * file keeps the epochs written before, and training goes on to save
     * the model (the run then exits with 1). */
    if (!run->metrics_failed) {
        /* A regression's MSE, MAE and R^2 in the targets' units, each set's
         * (null when an output is not finite). */
        regression_scores scores = {.has_val = run->sets[1], .has_test = run->sets[2]};
        bp_regression_metrics *each[3] = {&scores.train, &scores.val, &scores.test};
        for (int i = 0; i < 3 && run->regression && run->metrics.path; i++)
            if (run->sets[i] &&
                bp_evaluate_regression(run->net, run->sets[i], run->targets, each[i]) != BP_OK)
                each[i]->mse = each[i]->mae = each[i]->r2 = NAN;
        signals_save_begin();
        run->metrics_failed =
            metrics_add(&run->metrics, report, run->regression ? &scores : NULL) != EXIT_OK;
        signals_save_end();
        if (run->metrics_failed)
            fprintf(stderr, "backprop: no more metrics are written; training goes on\n");
    }
    /* A test result that is not finite (inputs that overflow) is no result;
     * without a test or validation set there is none. */
    if (run->eval_name &&
        (!isfinite(report->test_loss) || (!isfinite(report->test_accuracy) && !run->regression))) {
        runtime_error("epoch %zu: the %s loss is %g and the accuracy %g: the %s inputs (or "
                      "the network's outputs on them) are not finite numbers",
                      report->epoch, run->eval_name, report->test_loss, report->test_accuracy,
                      run->eval_name);
        run->reported = true;
        return 1;
    }
    if (run->checkpoint) {
        signals_save_begin();
        const int status =
            checkpoint_save(run->checkpoint, report->epoch, run->net, run->opt, run->manifest);
        signals_save_end();
        if (status != EXIT_OK) {
            run->reported = true;
            return 1;
        }
    }
    /* Early stopping: keep the parameters of the lowest validation loss. */
    if (run->patience && report->test_loss < run->best_loss) {
        run->best_loss = report->test_loss;
        run->best_epoch = report->epoch;
        memcpy(run->best_params, run->params, run->n_params * sizeof(float));
        size_t size;
        const int rc = run->best_optimizer
                           ? bp_optimizer_save_memory(run->opt, run->best_optimizer,
                                                      run->best_optimizer_size, &size)
                           : BP_OK;
        if (rc != BP_OK) {
            library_error(rc);
            run->reported = true;
            return 1;
        }
    } else if (run->patience && report->epoch - run->best_epoch >= run->patience) {
        run->early_stopped = true;
        return 1;
    }
    return 0;
}

/* Saves the model and the optimizer state where the options ask, each
 * whole or not at all (a second signal waits for the file being written). */
static int save_outputs(const train_config *c, const bp_net *net, const bp_optimizer *opt) {
    int rc = BP_OK;
    signals_save_begin();
    if (c->save)
        rc = bp_net_save(net, c->save);
    signals_save_end();
    if (rc != BP_OK)
        return library_error(rc);
    signals_save_begin();
    if (c->save_optimizer)
        rc = bp_optimizer_save(opt, c->save_optimizer);
    signals_save_end();
    return rc == BP_OK ? EXIT_OK : library_error(rc);
}

/* After training: the scores on the test set (or, without one, on the
 * validation or training set), the last line "<set> accuracy: A" or, for a
 * regression, "<set> r2: R". */
static int final_scores(const train_config *c, bp_net *net, const bp_dataset *train,
                        const bp_dataset *test, double last_accuracy) {
    const bp_dataset *set = test->count ? test : c->val.count ? &c->val : train;
    const char *name = test->count ? "test" : c->val.count ? "validation" : "training";
    if (c->task == BP_TASK_REGRESSION) {
        bp_regression_metrics m;
        const int rc = bp_evaluate_regression(net, set, c->has_prep ? &c->prep.targets : NULL, &m);
        if (rc != BP_OK)
            return library_error(rc);
        printf("%s mse %.6g mae %.6g (in the targets' units)\n%s r2: %.4f\n", name, m.mse, m.mae,
               name, m.r2);
        return EXIT_OK;
    }
    double accuracy = last_accuracy;
    /* The last epoch scored the test set itself unless a validation set
     * took its place, or early stopping went back to an earlier epoch. */
    if (set != test || c->val.count || !test->count) {
        const int rc = bp_evaluate(net, set, NULL, &accuracy);
        if (rc != BP_OK)
            return library_error(rc);
    }
    printf("%s accuracy: %.4f\n", name, accuracy);
    return EXIT_OK;
}

/* Trains the network and saves what the options ask for; under mpirun,
 * every rank trains and rank 0 alone prints and writes. */
static int run(const train_config *c, bp_net *net, bp_optimizer *opt, const bp_dataset *train,
               const bp_dataset *test, const char *manifest) {
    const bool speaks = distributed_speaks();
    run_state state = {
        .quiet = c->quiet,
        .train_count = distributed_epoch_examples(train->count, c->common.batch, c->sharded),
        .test_accuracy = NAN,
        .checkpoint = c->checkpoint,
        .manifest = manifest,
        .net = net,
        .opt = opt,
        .eval_name = c->val.count  ? "val"
                     : test->count ? "test"
                                   : NULL,
        .regression = c->task == BP_TASK_REGRESSION,
        .sets = {train, c->val.count ? &c->val : NULL, test->count ? test : NULL},
        .targets = c->has_prep ? &c->prep.targets : NULL,
        .patience = c->patience,
        .best_loss = INFINITY,
    };
    if (c->patience) {
        bp_net_params(net, &state.params, &state.n_params);
        state.best_params = malloc(state.n_params * sizeof(float));
        if (!state.best_params)
            return runtime_error("out of memory");
        memcpy(state.best_params, state.params, state.n_params * sizeof(float));
        /* The optimizer state's size is fixed for the run: room for it now. */
        if (c->save_optimizer &&
            (bp_optimizer_save_memory(opt, NULL, 0, &state.best_optimizer_size) != BP_OK ||
             !(state.best_optimizer = malloc(state.best_optimizer_size)))) {
            free(state.best_params);
            return runtime_error("out of memory");
        }
    }
    /* The regression scores of each epoch evaluate in batches of up to
     * BP_EVAL_BATCH: room for them now, not in the middle of training. */
    size_t most = train->count > c->val.count ? train->count : c->val.count;
    most = most > test->count ? most : test->count;
    most = most < BP_EVAL_BATCH ? most : BP_EVAL_BATCH;
    if (state.regression && c->metrics && speaks && bp_net_max_batch(net) < most &&
        bp_net_reserve(net, most) != BP_OK) {
        free(state.best_params);
        free(state.best_optimizer);
        return library_error(BP_ENOMEM);
    }
    progress_init(&state.bar, stderr, c->epochs, c->quiet || !speaks);
    int status = metrics_init(&state.metrics, speaks ? c->metrics : NULL);
    metrics_set_plan(&state.metrics, &c->plan);
    status = distributed_agree(status);
    if (status != EXIT_OK) {
        metrics_free(&state.metrics);
        free(state.best_params);
        free(state.best_optimizer);
        return status;
    }
    bp_train_options options;
    bp_train_options_default(&options);
    options.epochs = c->epochs;
    options.first_epoch = c->first_epoch;
    options.batch_size = c->common.batch;
    options.seed = c->seed;
    options.on_batch = speaks ? on_batch : NULL;
    options.on_epoch = speaks ? on_epoch : NULL;
    options.user = &state;
    options.workers = c->plan.workers;
    const bp_dataset *each_epoch = c->val.count ? &c->val : test->count ? test : NULL;
    int rc = distributed_train(net, opt, train, each_epoch, &options, c->sharded);
    progress_clear(&state.bar);
    metrics_free(&state.metrics);
    const bool interrupted = signals_received() != 0;
    if (c->patience) {
        if (rc == BP_ECANCELED && state.early_stopped)
            rc = BP_OK;
        if (rc == BP_OK && speaks)
            printf("early stopping: the model of epoch %zu (val loss %.4f)%s\n", state.best_epoch,
                   state.best_loss, state.early_stopped ? "" : "; all epochs trained");
        /* Stopped by a signal or a failed output, too, what is saved is the
         * best epoch's model, not the last parameters. */
        if ((rc == BP_OK || rc == BP_ECANCELED) && state.best_epoch > 0) {
            memcpy(state.params, state.best_params, state.n_params * sizeof(float));
            /* and the optimizer as it was then: resuming from the pair
             * continues the best epoch's run, not the last one's */
            if (state.best_optimizer) {
                const int loaded =
                    bp_optimizer_load_memory(opt, state.best_optimizer, state.best_optimizer_size);
                if (loaded != BP_OK)
                    rc = loaded;
            }
        }
        free(state.best_params);
        free(state.best_optimizer);
    }
    /* Which model a stop saves, under early stopping: the best epoch's. */
    char which[128] = " the model";
    if (c->patience && state.best_epoch > 0)
        snprintf(which, sizeof which, " the model of epoch %zu (the lowest val loss, %.4f)",
                 state.best_epoch, state.best_loss);
    else if (c->patience)
        snprintf(which, sizeof which, " the model trained so far (no epoch was validated)");
    /* Rank 0's callback stopped every rank (early stopping, a failed output)
     * and its own exit status says how that went: mpirun reports the job
     * failed if any rank fails, so the others succeed unless a signal came. */
    if (rc == BP_ECANCELED && !speaks)
        return interrupted ? signals_exit_status() : EXIT_OK;
    /* Stopped by a signal or by a failed output: what was trained is sound
     * and is still saved. A failure of training itself (a diverged step)
     * saves nothing over the old files. */
    if (rc != BP_OK && rc != BP_ECANCELED)
        return runtime_error("%s", distributed_errmsg());
    if (!speaks)
        return EXIT_OK;
    const int saved = save_outputs(c, net, opt);
    if (!interrupted && rc == BP_ECANCELED && c->patience && c->save && saved == EXIT_OK)
        fprintf(stderr, "backprop: saved%s to %s\n", which, c->save);
    if (interrupted) {
        fprintf(stderr, "backprop: interrupted by %s after epoch %zu, batch %zu", signals_name(),
                state.epoch, state.batch);
        if (saved != EXIT_OK)
            fprintf(stderr, "; saving failed (see above)\n");
        else if (c->save || c->save_optimizer)
            fprintf(stderr, "; saved%s%s%s%s%s\n", c->save ? which : "", c->save ? " to " : "",
                    c->save ? c->save : "",
                    c->save_optimizer
                        ? (c->save ? " and the optimizer state to " : " the optimizer state to ")
                        : "",
                    c->save_optimizer ? c->save_optimizer : "");
        else
            fprintf(stderr, "; nothing to save (no --save)\n");
        return saved != EXIT_OK ? saved : signals_exit_status();
    }
    if (saved != EXIT_OK || rc != BP_OK || state.metrics_failed)
        return EXIT_RUNTIME;
    return final_scores(c, net, train, test, state.test_accuracy);
}

/* The plan: --plan SPEC as written; timed (bp_plan_measure) for --plan
 * auto, or when no --kernels, --workers or --threads is given, for 0.3 s
 * or, in a run of `run_steps` long enough, 2% of it; else what
 * those say, with the library's rule for --workers auto. Under mpirun the
 * ranks take the cores, so auto is 1 x 1 there. Applies the kernel set and
 * the BLAS threads to the network (a pool sets 1 itself while it runs). */
static int choose_plan(train_config *c, bp_net *net, const bp_optimizer_config *config,
                       size_t share, size_t run_steps) {
    bp_plan *p = &c->plan;
    const bool alone = distributed_size() == 1;
    const bool auto_plan = c->plan_spec ? strcmp(c->plan_spec, "auto") == 0
                                        : !train_option_given(c, "workers") &&
                                              c->common.threads == 0 && !c->common.kernels_given;
    int rc = BP_OK;
    if (c->plan_spec && !auto_plan) {
        c->plan_origin = "as --plan said";
        rc = bp_plan_parse(c->plan_spec, net, share, 0, p);
        if (rc == BP_EINVAL)
            return usage_error(COMMAND, "invalid --plan: %s", bp_errmsg());
    } else if (auto_plan && alone) {
        c->plan_origin = "auto: the library's rule (a step is too long to time them all in 0.3 s)";
        rc = bp_plan_measure(net, config, share, 0, 0.0, p);
        /* A long run affords a longer look, as the library's budget allows:
         * 2% of the run's time as first timed, when that is more than
         * twice the default 0.3 s (at most 30 s). Large steps then get
         * more than one timed step per candidate and round. */
        const double two_percent = 0.02 * p->step_seconds * (double)run_steps;
        if (rc == BP_OK && p->measured > 0 && two_percent > 0.6) {
            c->plan_budget = two_percent < 30.0 ? two_percent : 30.0;
            rc = bp_plan_measure(net, config, share, 0, c->plan_budget, p);
        }
    } else {
        c->plan_origin = auto_plan ? "auto under mpirun: 1 x 1 per rank"
                         : c->workers == 0 && c->common.threads == 0 && alone
                             ? "from --kernels, with the library's rule for workers and threads"
                             : "from --kernels, --workers and --threads";
        bp_parallelism rule = {.workers = 1, .blas_threads = 1};
        if (c->workers == 0 && c->common.threads == 0 && alone)
            rc = bp_parallelism_auto(net, share, 0, &rule);
        *p = (bp_plan){
            .kernels = (bp_kernels)c->common.kernels,
            .workers = c->workers > 0 ? c->workers : rule.workers,
            .blas_threads = c->common.threads > 0 ? c->common.threads : rule.blas_threads,
        };
    }
    if (rc == BP_OK)
        rc = bp_plan_apply(net, p);
    return rc == BP_OK ? EXIT_OK : library_error(rc);
}

int train_command(int argc, char *argv[]) {
    train_config c;
    int status = parse_train_options(&c, argc, argv);
    if (status != EXIT_OK) {
        free(c.layers);
        return status == HELP_SHOWN ? EXIT_OK : status;
    }
    bp_dataset train = {0}, test = {0};
    bp_net *net = NULL;
    bp_optimizer *opt = NULL;
    char *checkpoint_model = NULL, *checkpoint_optimizer = NULL, *manifest = NULL;
    if (status == EXIT_OK)
        status = substitute_ranks(&c);
    /* The same verdict on every rank: the arguments are the same. */
    if (status == EXIT_OK && c.sharded && c.common.batch < (size_t)distributed_size())
        status = usage_error(COMMAND,
                             "--batch %zu is smaller than the %d ranks: with shards ({rank} in a "
                             "data path) every rank takes its share of every batch",
                             c.common.batch, distributed_size());
    if (status == EXIT_OK)
        status = distributed_agree(check_train_paths(&c));
    if (status == EXIT_OK)
        status = distributed_agree(claim_directories(&c, &manifest));
    /* From now on SIGINT and SIGTERM stop training after a batch and save. */
    signals_install();
    /* Under mpirun, every step that can fail on one rank alone (a missing
     * shard, a damaged checkpoint) is agreed on before the next, so every
     * rank stops, saying which rank failed and why, and none waits. */
    /* The checkpoint first: a resumed run reads its CSV data with the
     * model's preprocessing, classes and columns. */
    if (status == EXIT_OK)
        status = distributed_agree(resume_checkpoint(&c, &checkpoint_model, &checkpoint_optimizer));
    if (status == EXIT_OK)
        status = distributed_agree(load_train_sets(&c, &train, &test));
    if (status == EXIT_OK)
        status = distributed_agree(make_net(&c, &train, &test, &net));
    if (status == EXIT_OK && bp_net_set_inference(net, (bp_inference)c.common.inference) != BP_OK)
        status = library_error(BP_EINVAL);
    /* The workspace for the whole batch (this rank's share of it) now, so
     * that the header's memory figure includes it. */
    const size_t size = (size_t)distributed_size();
    const size_t global_batch =
        c.sharded || c.common.batch < train.count ? c.common.batch : train.count;
    const size_t share = (global_batch + size - 1) / size;
    const size_t batches =
        status == EXIT_OK ? distributed_batches(train.count, c.common.batch, c.sharded) : 0;
    if (status == EXIT_OK) {
        const int rc = bp_net_reserve(net, share > 0 ? share : 1);
        status = distributed_agree(rc == BP_OK ? EXIT_OK : library_error(rc));
    }
    if (status == EXIT_OK)
        status = distributed_agree(make_optimizer(&c, net, batches, &opt));
    /* After the optimizer: a timed plan times its kind of step. */
    if (status == EXIT_OK)
        status = choose_plan(&c, net, bp_optimizer_get_config(opt), share > 0 ? share : 1,
                             (c.epochs - c.first_epoch) * batches);
    /* A new run's manifest, for its checkpoint directory. */
    if (status == EXIT_OK && c.checkpoint && !manifest && distributed_speaks() &&
        !(manifest = manifest_of_run(&c, net, opt)))
        status = runtime_error("out of memory");
    status = distributed_agree(status);
    if (status == EXIT_OK && !c.quiet && distributed_speaks())
        print_header(&c, net, opt, &train, &test, batches);
    /* A signal before the first step: nothing trained, nothing to save. */
    if (status == EXIT_OK) {
        if (signals_received()) {
            fprintf(stderr, "backprop: interrupted by %s before training; nothing saved\n",
                    signals_name());
            status = signals_exit_status();
        }
        status = distributed_agree(status);
    }
    if (status == EXIT_OK)
        status = run(&c, net, opt, &train, &test, manifest);

    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    bp_dataset_free(&train);
    bp_dataset_free(&test);
    free_preprocessing(&c.prep);
    bp_net_destroy(c.resumed);
    free(c.layers);
    free(checkpoint_model);
    free(checkpoint_optimizer);
    free(manifest);
    checkpoint_release(c.checkpoint_lock);
    checkpoint_release(c.resume_lock);
    for (size_t i = 0; i < sizeof c.owned / sizeof c.owned[0]; i++)
        free(c.owned[i]);
    return status;
}
