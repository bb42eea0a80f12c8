/* A checkpoint directory's manifest: the run its checkpoints belong to, so that --resume refuses
 * another run's. */
#define _XOPEN_SOURCE 700 /* realpath, mkstemp, fsync */

#include "run_manifest.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "data_files.h"
#include "describe.h"
#include "directory_sync.h"
#include "errors.h"
#include "names.h"

#define FIRST_LINE "backprop run 1"

/* A growing string; `failed` once out of memory. */
typedef struct text {
    char *s;
    size_t length, capacity;
    bool failed;
} text;

static void add(text *t, const char *key, const char *format, ...) TOOL_PRINTF_LIKE(3, 4);
static void add(text *t, const char *key, const char *format, ...) {
    char value[PATH_MAX + 64];
    va_list args;
    va_start(args, format);
    vsnprintf(value, sizeof value, format, args);
    va_end(args);
    const size_t need = strlen(key) + strlen(value) + 3;
    if (t->failed)
        return;
    if (t->length + need > t->capacity) {
        const size_t capacity = (t->length + need) * 2;
        char *grown = realloc(t->s, capacity);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->s = grown;
        t->capacity = capacity;
    }
    t->length += (size_t)snprintf(t->s + t->length, t->capacity - t->length, "%s %s\n", key, value);
}

/* A data file: its absolute path and size, "none" when not used. */
static void add_file(text *t, const char *key, const char *path) {
    char resolved[PATH_MAX];
    struct stat st;
    if (!path)
        add(t, key, "none");
    else if (realpath(path, resolved) && stat(resolved, &st) == 0)
        add(t, key, "%s (%lld bytes)", resolved, (long long)st.st_size);
    else
        add(t, key, "%s (missing)", path);
}

/* The settings that decide the examples and their order: always compared. */
static void add_data(text *t, const train_config *c) {
    const char *idx[4] = {c->train_images, c->train_labels, c->test_images, c->test_labels};
    const char *names[4] = {TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE, TEST_IMAGES_FILE,
                            TEST_LABELS_FILE};
    const char *keys[4] = {"train-images", "train-labels", "test-images", "test-labels"};
    for (int i = 0; i < 4; i++) {
        char fallback[PATH_MAX];
        const char *path = idx[i];
        if (!path && !c->train_csv) {
            snprintf(fallback, sizeof fallback, "%s/%s",
                     c->data_dir ? c->data_dir : DEFAULT_DATA_DIR, names[i]);
            path = fallback;
        }
        add_file(t, keys[i], path);
    }
    add_file(t, "train-csv", c->train_csv);
    add_file(t, "test-csv", c->test_csv);
    const csv_settings *s = &c->csv;
    add(t, "label-column", "%s", s->label ? s->label : "0");
    add(t, "task", "%s",
        s->task < 0                     ? "auto"
        : s->task == BP_TASK_REGRESSION ? "regression"
                                        : "classification");
    add(t, "target-columns", "%s", s->targets ? s->targets : "none");
    add(t, "max-classes", "%zu", s->max_classes);
    add(t, "header", "%s",
        s->header == BP_CSV_HEADER_PRESENT  ? "yes"
        : s->header == BP_CSV_HEADER_ABSENT ? "no"
                                            : "auto");
    add(t, "skip-columns", "%zu", s->skip_columns);
    add(t, "delimiter", "0x%02x", (unsigned)(unsigned char)s->delimiter);
    add(t, "impute", "%s", s->impute ? "mean" : "none");
    add(t, "drop-missing-labels", "%s", s->drop_missing ? "yes" : "no");
    add(t, "scale", "%s", scale_name(c->scale));
    add(t, "val-split", "%.9g", (double)c->val_split);
    add(t, "early-stopping", "%zu", c->patience);
    add(t, "batch", "%zu", c->common.batch);
    add(t, "seed", "%llu", (unsigned long long)c->seed);
}

/* --layers as given: "3,8,2". */
static void add_layers(text *t, const size_t *sizes, size_t n) {
    char value[PATH_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof value; i++)
        used +=
            (size_t)snprintf(value + used, sizeof value - used, "%s%zu", i ? "," : "", sizes[i]);
    add(t, "layers", "%s", value);
}

char *manifest_of_run(const train_config *c, bp_net *net, const bp_optimizer *opt) {
    text t = {0};
    add(&t, "backprop", "run 1");
    add_data(&t, c);
    const size_t layers = bp_net_num_layers(net);
    size_t *sizes = malloc((layers + 1) * sizeof *sizes);
    if (!sizes) {
        free(t.s);
        return NULL;
    }
    sizes[0] = bp_net_num_inputs(net);
    for (size_t l = 0; l < layers; l++) {
        bp_layer layer;
        sizes[l + 1] = bp_net_layer(net, l, &layer) == BP_OK ? layer.outputs : 0;
    }
    add_layers(&t, sizes, layers + 1);
    free(sizes);
    add(&t, "activation", "%s", hidden_activation(net));
    add(&t, "loss", "%s", name_of(loss_names, (int)bp_net_loss(net)));
    add(&t, "init", "%s", c->resume ? "none (a saved model)" : name_of(init_names, c->init));
    const bp_optimizer_config *o = bp_optimizer_get_config(opt);
    add(&t, "optimizer", "%s", name_of(optimizer_names, (int)o->kind));
    add(&t, "lr", "%.9g", (double)o->learning_rate);
    add(&t, "momentum", "%.9g", (double)o->momentum);
    add(&t, "weight-decay", "%.9g", (double)o->weight_decay);
    add(&t, "schedule", "%s", name_of(schedule_names, (int)o->schedule));
    add(&t, "step-epochs", "%zu", c->step_epochs);
    add(&t, "gamma", "%.9g", (double)o->gamma);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* What this command says of the run: the data always; the network and the
 * optimizer where an option gives them (the checkpoint holds them). */
static void describe_command(text *t, const train_config *c) {
    add_data(t, c);
    if (c->layers)
        add_layers(t, c->layers, c->n_layers);
    if (train_option_given(c, "activation"))
        add(t, "activation", "%s", name_of(activation_names, c->activation));
    if (train_option_given(c, "loss"))
        add(t, "loss", "%s", name_of(loss_names, c->loss));
    if (train_option_given(c, "init"))
        add(t, "init", "%s", name_of(init_names, c->init));
    if (train_option_given(c, "optimizer"))
        add(t, "optimizer", "%s", name_of(optimizer_names, c->optimizer));
    if (train_option_given(c, "lr"))
        add(t, "lr", "%.9g", (double)c->rate);
    if (train_option_given(c, "momentum"))
        add(t, "momentum", "%.9g", (double)c->momentum);
    if (train_option_given(c, "weight-decay"))
        add(t, "weight-decay", "%.9g", (double)c->weight_decay);
    if (train_option_given(c, "schedule"))
        add(t, "schedule", "%s", name_of(schedule_names, c->schedule));
    if (train_option_given(c, "step-epochs"))
        add(t, "step-epochs", "%zu", c->step_epochs);
    if (train_option_given(c, "gamma"))
        add(t, "gamma", "%.9g", (double)c->gamma);
}

/* The value of `key` in a manifest's text, its length in *length; NULL
 * when the key is not there. */
static const char *find(const char *manifest, const char *key, size_t *length) {
    const size_t key_length = strlen(key);
    for (const char *line = manifest; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if ((size_t)(end - line) > key_length && strncmp(line, key, key_length) == 0 &&
            line[key_length] == ' ') {
            *length = (size_t)(end - line) - key_length - 1;
            return line + key_length + 1;
        }
        line = *end ? end + 1 : end;
    }
    return NULL;
}

/* The whole of a small file, NUL-terminated, malloc'd; NULL with errno. */
static char *read_all(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *s = malloc(65536);
    size_t n = s ? fread(s, 1, 65535, f) : 0;
    const bool bad = !s || ferror(f) || !feof(f) || memchr(s, '\0', n);
    fclose(f);
    if (bad) {
        free(s);
        errno = EINVAL;
        return NULL;
    }
    s[n] = '\0';
    return s;
}

int manifest_check(const char *dir, const train_config *c, char **stored) {
    *stored = NULL;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_NAME);
    char *theirs = read_all(path);
    if (!theirs)
        return runtime_error(
            "--resume %s: %s: %s, so nothing says which run its checkpoints are of (a "
            "directory of an older backprop has none); to go on from one anyway, give its "
            "files: --resume %s/epoch-NNNNNN/model.bin --resume-optimizer "
            "%s/epoch-NNNNNN/optimizer.bin",
            dir, path, errno == EINVAL ? "too long or not text" : strerror(errno), dir, dir);
    if (strncmp(theirs, FIRST_LINE "\n", sizeof FIRST_LINE) != 0) {
        free(theirs);
        return runtime_error("--resume %s: %s does not start with \"" FIRST_LINE
                             "\": not a manifest this version reads",
                             dir, path);
    }
    text mine = {0};
    describe_command(&mine, c);
    if (mine.failed) {
        free(mine.s);
        free(theirs);
        return runtime_error("out of memory");
    }
    /* Every line of this command's that the manifest lacks or holds
     * otherwise, as "--key VALUE here, VALUE there". */
    text differ = {0};
    for (const char *line = mine.s; *line;) {
        const char *end = strchr(line, '\n');
        const char *space = strchr(line, ' ');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(space - line), line);
        const char *value = space + 1;
        const size_t length = (size_t)(end - value);
        size_t their_length = 0;
        const char *their = find(theirs, key, &their_length);
        if (!their || their_length != length || memcmp(their, value, length) != 0) {
            char here[PATH_MAX + 64];
            snprintf(here, sizeof here, "%.*s", (int)length, value);
            add(&differ, "", "--%s %s here, %.*s there", key, here, their ? (int)their_length : 4,
                their ? their : "none");
        }
        line = end + 1;
    }
    free(mine.s);
    if (differ.failed) {
        free(differ.s);
        free(theirs);
        return runtime_error("out of memory");
    }
    if (differ.length) {
        differ.s[differ.length - 1] = '\0'; /* the last newline */
        for (char *n = differ.s; (n = strchr(n, '\n')) != NULL;)
            *n = ';';
        runtime_error("--resume %s: its checkpoints are another run's (%s differs from this "
                      "command):%s; resume with the run's own data and options, or start "
                      "anew in another directory",
                      dir, path, differ.s);
        free(differ.s);
        free(theirs);
        return EXIT_USAGE;
    }
    *stored = theirs;
    return EXIT_OK;
}

int manifest_write(const char *dir, const char *manifest) {
    char path[PATH_MAX], temporary[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_NAME);
    if (access(path, F_OK) == 0)
        return EXIT_OK;
    snprintf(temporary, sizeof temporary, "%s.tmp.XXXXXX", path);
    const int fd = mkstemp(temporary);
    if (fd < 0)
        return runtime_error("--checkpoint %s: cannot write %s: %s", dir, path, strerror(errno));
    (void)fchmod(fd, 0644); /* mkstemp's is 0600; the checkpoints are 0644 */
    const size_t length = strlen(manifest);
    size_t done = 0;
    int error = 0;
    while (done < length && error == 0) {
        const ssize_t wrote = write(fd, manifest + done, length - done);
        if (wrote < 0 && errno != EINTR)
            error = errno;
        else if (wrote > 0)
            done += (size_t)wrote;
    }
    if (error == 0 && fsync(fd) != 0)
        error = errno;
    if (close(fd) != 0 && error == 0)
        error = errno;
    if (error == 0 && rename(temporary, path) != 0)
        error = errno;
    if (error != 0) {
        unlink(temporary);
        return runtime_error("--checkpoint %s: cannot write %s: %s", dir, path, strerror(error));
    }
    (void)sync_directory(dir); /* the epoch's rename, next, syncs it again */
    return EXIT_OK;
}
