/*
 * test_alloc_failure.c - every allocation of a whole session failed in turn:
 * create, reserve, load (IDX and CSV data, a model, an optimizer's state),
 * train one epoch with Adam, save over an existing model. Each failure must
 * come back as BP_ENOMEM, free everything (the allocation hook's live count
 * returns to where it was), and leave the target files as they were, with no
 * temporary file behind.
 *
 * Uses the library's internal hook (src/support/alloc.h), so it links the static
 * library. libc's own allocations (the CSV loader's FILE), OpenBLAS's and
 * LAPACKE's are out of the hook's reach; zlib's are within it where the
 * library hands zlib its allocator (inflate on a z_stream), not where zlib
 * allocates alone (gzdopen).
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <backprop.h>

#include "file_helpers.h"
#include "support/alloc.h"

#define EXAMPLES 40  /* in the IDX training set */
#define TEST_ROWS 12 /* in the CSV test set: enough to grow its arrays 3 times */
#define FEATURES 4   /* 2 x 2 "images" */
#define CLASSES 3
#define BATCH 8

/* The phases of the session, in order. */
enum { CREATE, RESERVE, LOAD, TRAIN, SAVE, PHASES };
static const char *const phase_names[PHASES] = {"create", "reserve", "load", "train", "save"};

static const size_t sizes[] = {FEATURES, 6, CLASSES};
static const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};

/* Paths in the scratch directory. */
static char images_path[160], labels_path[160], csv_path[160], start_model[160], start_opt[160],
    target_model[160], target_opt[160];

static void path(char *out, const char *name) { path_in_scratch(out, 160, name); }

/* Big-endian u32, as IDX headers are. */
static void put_be32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void write_gzip(const char *file, const unsigned char *data, size_t n) {
    gzFile gz = gzopen(file, "wb");
    cr_assert_not_null(gz, "cannot write %s", file);
    cr_assert_eq(gzwrite(gz, data, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(gz), Z_OK);
}

/* The inputs: IDX images (plain) and labels (gzip) for training, a CSV file
 * for testing (with a header longer than bp__getline's first buffer, so it
 * grows). */
static void write_data(void) {
    unsigned char images[16 + EXAMPLES * FEATURES], labels[8 + EXAMPLES];
    memcpy(images, "\0\0\x08\x03", 4);
    put_be32(images + 4, EXAMPLES);
    put_be32(images + 8, 2);
    put_be32(images + 12, 2);
    memcpy(labels, "\0\0\x08\x01", 4);
    put_be32(labels + 4, EXAMPLES);
    for (size_t i = 0; i < EXAMPLES; i++) {
        labels[8 + i] = (unsigned char)(i % CLASSES);
        for (size_t j = 0; j < FEATURES; j++)
            images[16 + i * FEATURES + j] =
                (unsigned char)((i * 37 + j * 91 + (i % CLASSES) * 60) % 256);
    }
    write_file(images_path, images, sizeof images);
    write_gzip(labels_path, labels, sizeof labels);

    char csv[2048];
    size_t used = (size_t)snprintf(csv, sizeof csv, "label");
    for (size_t j = 0; j < FEATURES; j++)
        used += (size_t)snprintf(csv + used, sizeof csv - used,
                                 ",a_rather_long_column_name_for_feature_number_%zu", j);
    used += (size_t)snprintf(csv + used, sizeof csv - used, "\n");
    cr_assert_gt(used, 128, "the header must outgrow bp__getline's first buffer (128 bytes)");
    for (size_t i = 0; i < TEST_ROWS; i++) {
        used += (size_t)snprintf(csv + used, sizeof csv - used, "%zu", i % CLASSES);
        for (size_t j = 0; j < FEATURES; j++)
            used += (size_t)snprintf(csv + used, sizeof csv - used, ",%zu",
                                     (i * 53 + j * 17 + (i % CLASSES) * 70) % 256);
        used += (size_t)snprintf(csv + used, sizeof csv - used, "\n");
    }
    cr_assert_lt(used, sizeof csv);
    write_file(csv_path, (const unsigned char *)csv, used);
}

/* A model and an optimizer state saved with the hook off: the starting point
 * the session loads (start_*), and the old files it saves over (target_*). */
static void write_models(unsigned char **old_model, size_t *old_model_bytes,
                         unsigned char **old_opt, size_t *old_opt_bytes) {
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    const char *model_paths[] = {start_model, target_model};
    const char *opt_paths[] = {start_opt, target_opt};
    for (int k = 0; k < 2; k++) {
        bp_net *net;
        bp_optimizer *opt;
        cr_assert_eq(bp_net_create(&net, 2, sizes, activations, BP_KERNELS_NAIVE, 7 + 92u * k),
                     BP_OK);
        cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK);
        cr_assert_eq(bp_net_save(net, model_paths[k]), BP_OK);
        cr_assert_eq(bp_optimizer_save(opt, opt_paths[k]), BP_OK);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
    *old_model = read_file(target_model, old_model_bytes);
    *old_opt = read_file(target_opt, old_opt_bytes);
}

/* Everything one session holds, for cleanup whatever phase it stopped in. */
typedef struct session {
    bp_net *net;
    bp_optimizer *opt;
    bp_dataset train, test;
} session;

static void end_session(session *s) {
    bp_optimizer_destroy(s->opt);
    bp_net_destroy(s->net);
    bp_dataset_free(&s->train);
    bp_dataset_free(&s->test);
}

/* Runs the phases until one fails: returns its code and sets *phase to it
 * (PHASES when all succeeded). allocations[p] += the allocations phase p asked for. */
static int run_session(session *s, int *phase, uint64_t allocations[PHASES]) {
    int rc = BP_OK;
    for (*phase = 0; *phase < PHASES; ++*phase) {
        const uint64_t before = bp__alloc_count();
        switch (*phase) {
        case CREATE: {
            bp_optimizer_config config;
            bp_optimizer_config_default(&config, BP_OPT_ADAM);
            rc = bp_net_create(&s->net, 2, sizes, activations, BP_KERNELS_NAIVE, 3);
            if (rc != BP_OK) {
                cr_assert_null(s->net, "bp_net_create failed but set *out");
                break;
            }
            rc = bp_optimizer_create(&s->opt, s->net, &config);
            if (rc != BP_OK)
                cr_assert_null(s->opt, "bp_optimizer_create failed but set *out");
            break;
        }
        case RESERVE:
            rc = bp_net_reserve(s->net, BATCH);
            break;
        case LOAD: {
            rc = bp_dataset_load_idx(&s->train, images_path, labels_path);
            if (rc != BP_OK) {
                cr_assert(s->train.inputs == NULL && s->train.labels == NULL && s->train.count == 0,
                          "bp_dataset_load_idx failed but left data in *out");
                break;
            }
            rc = bp_dataset_load_csv(&s->test, csv_path, 0);
            if (rc != BP_OK) {
                cr_assert(s->test.inputs == NULL && s->test.labels == NULL && s->test.count == 0,
                          "bp_dataset_load_csv failed but left data in *out");
                break;
            }
            /* Resume: the saved parameters into the reserved network. */
            bp_net *saved = NULL;
            rc = bp_net_load(&saved, start_model, BP_KERNELS_NAIVE);
            if (rc != BP_OK) {
                cr_assert_null(saved, "bp_net_load failed but set *out");
                break;
            }
            float *from, *to;
            size_t n_from, n_to;
            cr_assert_eq(bp_net_params(saved, &from, &n_from), BP_OK);
            cr_assert_eq(bp_net_params(s->net, &to, &n_to), BP_OK);
            cr_assert_eq(n_from, n_to);
            memcpy(to, from, n_to * sizeof *to);
            bp_net_destroy(saved);
            rc = bp_optimizer_load(s->opt, start_opt);
            break;
        }
        case TRAIN: {
            bp_train_options options;
            bp_train_options_default(&options);
            options.epochs = 1;
            options.batch_size = BATCH;
            rc = bp_train(s->net, s->opt, &s->train, &s->test, &options);
            break;
        }
        case SAVE:
            rc = bp_net_save(s->net, target_model);
            if (rc == BP_OK)
                rc = bp_optimizer_save(s->opt, target_opt);
            break;
        }
        allocations[*phase] += bp__alloc_count() - before;
        if (rc != BP_OK)
            break;
    }
    return rc;
}

/* Whether path holds exactly these bytes. */
static bool holds(const char *file, const unsigned char *expected, size_t n) {
    size_t got_bytes;
    unsigned char *got = read_file(file, &got_bytes);
    const bool same = got_bytes == n && memcmp(got, expected, n) == 0;
    free(got);
    return same;
}

/* Only the files the test wrote are in the scratch directory. */
static void assert_no_stray_files(int n) {
    char names[16][64];
    const size_t count = list_scratch(names, 16);
    cr_assert_eq(count, 7, "allocation %d: %zu files in the scratch directory, expected 7", n,
                 count);
    for (size_t i = 0; i < count; i++)
        cr_assert_null(strstr(names[i], ".tmp"), "allocation %d: temporary file %s left behind", n,
                       names[i]);
}

static void make_dir(void) { make_scratch("bp_test_alloc_failure"); }

/* .fini: removed also when an assertion ends the test early. */
Test(alloc_failure, every_allocation_of_a_session_fails_cleanly, .init = make_dir,
     .fini = remove_scratch) {
    path(images_path, "train-images.idx");
    path(labels_path, "train-labels.idx.gz");
    path(csv_path, "test.csv");
    path(start_model, "start.bpm");
    path(start_opt, "start.opt");
    path(target_model, "target.bpm");
    path(target_opt, "target.opt");
    write_data();
    unsigned char *old_model, *old_opt;
    size_t old_model_bytes, old_opt_bytes;
    write_models(&old_model, &old_model_bytes, &old_opt, &old_opt_bytes);

    /* The session once with no failure: how many allocations each phase
     * asks for, and the files it saves, which every later session that
     * succeeds must reproduce exactly. */
    uint64_t expected[PHASES] = {0};
    session s = {0};
    int phase;
    const int64_t live = bp__alloc_live();
    cr_assert_eq(run_session(&s, &phase, expected), BP_OK, "the session without failures: %s",
                 bp_errmsg());
    end_session(&s);
    cr_assert_eq(bp__alloc_live(), live, "the session without failures leaks");
    size_t new_model_bytes, new_opt_bytes;
    unsigned char *new_model = read_file(target_model, &new_model_bytes);
    unsigned char *new_opt = read_file(target_opt, &new_opt_bytes);
    cr_assert(!holds(target_model, old_model, old_model_bytes), "training changed nothing");
    uint64_t total = 0;
    for (int p = 0; p < PHASES; p++)
        total += expected[p];

    uint64_t failed[PHASES] = {0}; /* injected failures that made phase p fail */
    uint64_t absorbed = 0;         /* injected failures the library worked around */
    int n = 1;
    for (;; n++) {
        write_file(target_model, old_model, old_model_bytes);
        write_file(target_opt, old_opt, old_opt_bytes);
        const uint64_t injected = bp__alloc_injected();
        uint64_t asked[PHASES] = {0};
        s = (session){0};

        bp__alloc_fail_nth((uint64_t)n);
        const int rc = run_session(&s, &phase, asked);
        bp__alloc_fail_nth(0);
        const bool hit = bp__alloc_injected() - injected == 1;

        if (rc != BP_OK) {
            cr_assert(hit, "allocation %d: %s failed with %s, but no allocation failed: %s", n,
                      phase_names[phase], bp_err_name(rc), bp_errmsg());
            cr_assert_eq(rc, BP_ENOMEM, "allocation %d: %s returned %s, not BP_ENOMEM: %s", n,
                         phase_names[phase], bp_err_name(rc), bp_errmsg());
            cr_assert_neq(bp_errmsg()[0], '\0');
            failed[phase]++;
        } else if (hit) {
            absorbed++;
        }
        end_session(&s);
        cr_assert_eq(bp__alloc_live(), live, "allocation %d (%s): %lld blocks leaked", n,
                     phase_names[phase], (long long)(bp__alloc_live() - live));

        if (rc == BP_OK) {
            cr_assert(holds(target_model, new_model, new_model_bytes) &&
                          holds(target_opt, new_opt, new_opt_bytes),
                      "allocation %d: the session succeeded but saved other files", n);
        } else {
            cr_assert(holds(target_model, old_model, old_model_bytes) &&
                          holds(target_opt, old_opt, old_opt_bytes),
                      "allocation %d: a failed session changed the saved files", n);
        }
        assert_no_stray_files(n);
        if (!hit)
            break; /* n is past the session's last allocation */
    }

    /* Every allocation was failed once, and each failed its phase or was
     * worked around; so the loop cannot pass having tested nothing. */
    cr_assert_eq((uint64_t)n, total + 1, "%d sessions for %llu allocations", n,
                 (unsigned long long)total);
    uint64_t failures = absorbed;
    for (int p = 0; p < PHASES; p++) {
        cr_log_info("%s: %llu allocations, %llu failed the phase", phase_names[p],
                    (unsigned long long)expected[p], (unsigned long long)failed[p]);
        failures += failed[p];
        /* Saving allocates nothing (bp_net_save says so); the rest must. */
        if (p == SAVE)
            cr_assert_eq(expected[p], 0, "saving allocates now: this test covers it");
        else
            cr_assert_gt(failed[p], 0, "no allocation failure reached %s", phase_names[p]);
    }
    cr_assert_eq(failures, total);
    cr_log_info("%llu allocation failures worked around (the CSV loader's final shrink)",
                (unsigned long long)absorbed);
    cr_assert_leq(absorbed, 2);

    free(old_model);
    free(old_opt);
    free(new_model);
    free(new_opt);
}
