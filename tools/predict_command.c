/* The predict command: a saved model's outputs for a features-only CSV file, streamed in blocks. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fileno, fsync, fchmod */

#include <backprop.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "commands.h"
#include "common_options.h"
#include "csv_preprocessing.h"
#include "errors.h"
#include "paths.h"
#include "signal_cleanup.h"

/* Rows read, scaled and predicted at a time: memory stays bounded whatever
 * the file's length. */
#define BLOCK_ROWS 256

void predict_help(void) {
    printf(
        "usage: backprop predict MODEL --csv FILE [--out FILE] [--proba]\n"
        "\n"
        "Writes the predictions of the model saved in MODEL for every row of a CSV file\n"
        "of features, one line per row, after a header line: the class (its label as\n"
        "in the training file, e.g. setosa or 3) or, for a regression, the target\n"
        "values in their own units. The model's stored preprocessing is applied;\n"
        "nothing has to be retyped. A file with a header is matched to the model's\n"
        "columns by name (reordered columns are reordered; a missing or unknown one is\n"
        "an error; the model's label or target columns, if there, are left out, so the\n"
        "training file itself can be given); one without has features only, taken by\n"
        "position, with a warning when the model knows names. stderr says which. The\n"
        "output is RFC 4180 CSV (a class name holding a comma or a quote is quoted).\n"
        "The file is read %d rows at a time, so memory stays bounded for files larger\n"
        "than memory.\n"
        "\n"
        "  --csv FILE             the rows to predict (also --test-csv)\n"
        "  --out FILE             write there (atomically: a temporary file renamed into\n"
        "                         place) instead of to standard output\n"
        "  --proba                classification: each class's probability too\n"
        "  --header, --no-header, --skip-columns N, --delimiter C\n"
        "                         read the CSV as train does (see train --help)\n"
        "  --batch N              rows read and predicted at a time (default %d)\n" INFERENCE_HELP
        "  --kernels NAME         openblas (default) or naive\n"
        "  --threads N            OpenBLAS threads (default: OpenBLAS's choice)\n"
        "  --max-input-bytes N    the longest line read (K, M, G suffixes; default: a\n"
        "                         quarter of the physical memory)\n"
        "  -h, --help             this help\n"
        "\n"
        "Exit status: 0 success, 1 runtime error (files, formats, sizes), 2 usage error.\n",
        BLOCK_ROWS, BLOCK_ROWS);
}

enum { OPT_CSV = COMMON_OPTIONS_END, OPT_OUT, OPT_PROBA };

static const struct option long_options[] = {
    {"csv", required_argument, NULL, OPT_CSV},
    {"test-csv", required_argument, NULL, OPT_CSV},
    {"out", required_argument, NULL, OPT_OUT},
    {"proba", no_argument, NULL, OPT_PROBA},
    {"batch", required_argument, NULL, OPT_BATCH},
    RUN_LONG_OPTIONS,
    CSV_LONG_OPTIONS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const COMMAND = "predict";

typedef struct predict_config {
    const char *model, *csv, *out;
    bool proba;
    common_options common;
    csv_settings settings;
} predict_config;

static int take_option(void *settings, int option, const char *value) {
    predict_config *c = settings;
    switch (option) {
    case OPT_CSV:
        c->csv = value;
        return EXIT_OK;
    case OPT_OUT:
        c->out = value;
        return EXIT_OK;
    case OPT_PROBA:
        c->proba = true;
        return EXIT_OK;
    case OPT_HEADER:
    case OPT_NO_HEADER:
    case OPT_SKIP_COLUMNS:
    case OPT_DELIMITER:
        return take_csv_option(COMMAND, &c->settings, option, value);
    case OPT_TASK:
    case OPT_TARGET_COLUMNS:
    case OPT_MAX_CLASSES:
        return usage_error(COMMAND, "the task and classes come from the model; predict reads "
                                    "features only");
    case OPT_DROP_MISSING:
        return usage_error(COMMAND, "predict reads features only: no labels to drop");
    case OPT_IMPUTE:
        return usage_error(COMMAND, "--impute needs the whole file's means; predict streams "
                                    "it (fill the gaps first)");
    default:
        return take_common_option(COMMAND, &c->common, option, value);
    }
}

static const command_line predict_line = {
    .command = COMMAND,
    .options = long_options,
    .help = predict_help,
    .take = take_option,
    .operand = "MODEL",
};

static int parse_options(predict_config *c, int argc, char *argv[]) {
    *c = (predict_config){.common = {.batch = BLOCK_ROWS,
                                     .kernels = BP_KERNELS_OPENBLAS,
                                     .inference = DEFAULT_INFERENCE}};
    csv_settings_default(&c->settings);
    const int status = parse_command_line(&predict_line, argc, argv, c, &c->model);
    if (status != EXIT_OK)
        return status;
    if (!c->csv)
        return usage_error(COMMAND, "--csv FILE names the rows to predict");
    if (c->common.label_column_given)
        return usage_error(COMMAND, "predict reads features only: no --label-column");
    /* --out writable, and neither the model nor the CSV, before any work. */
    path_list paths = {0};
    paths_add(&paths, PATH_INPUT, "MODEL", c->model);
    paths_add(&paths, PATH_INPUT, "--csv", c->csv);
    paths_add(&paths, PATH_OUTPUT, "--out", c->out);
    return paths_check(COMMAND, &paths);
}

/* The output: standard output, or a temporary file renamed over --out. */
typedef struct output {
    FILE *file;
    char *tmp;
} output;

static int open_output(const char *path, output *o) {
    *o = (output){.file = stdout};
    if (!path)
        return EXIT_OK;
    o->tmp = malloc(strlen(path) + 16);
    if (!o->tmp)
        return runtime_error("out of memory");
    sprintf(o->tmp, "%s.tmp.XXXXXX", path);
    /* Removed if a signal ends predict before the rename; set before
     * mkstemp, which fills in the name before the file exists, so that no
     * moment has the file and not the handler. */
    signal_cleanup(o->tmp);
    const int fd = mkstemp(o->tmp);
    if (fd >= 0) {
        /* mkstemp's file is 0600: a replaced file keeps its mode, a new one
         * is 0644, as the library's saves do. */
        struct stat old;
        (void)fchmod(fd,
                     stat(path, &old) == 0 && S_ISREG(old.st_mode) ? old.st_mode & 07777 : 0644);
    }
    if (fd < 0 || !(o->file = fdopen(fd, "w"))) {
        const int error = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        signal_cleanup(NULL);
        free(o->tmp);
        o->tmp = NULL;
        o->file = NULL;
        return runtime_error("cannot write next to %s: %s", path, strerror(error));
    }
    return EXIT_OK;
}

/* Flushes and, for --out, renames into place (status EXIT_OK) or removes. */
static int close_output(const char *path, output *o, int status) {
    if (!o->tmp)
        return status == EXIT_OK && fflush(stdout) != 0
                   ? runtime_error("cannot write the predictions: %s", strerror(errno))
                   : status;
    bool ok = status == EXIT_OK && fflush(o->file) == 0 && fsync(fileno(o->file)) == 0;
    const int error = errno;
    ok = fclose(o->file) == 0 && ok;
    if (ok && rename(o->tmp, path) != 0) {
        ok = false;
        status = runtime_error("cannot rename the predictions into %s: %s", path, strerror(errno));
    } else if (!ok && status == EXIT_OK) {
        status = runtime_error("cannot write %s: %s", path, strerror(error));
    }
    if (!ok)
        unlink(o->tmp);
    signal_cleanup(NULL);
    free(o->tmp);
    return status;
}

/* The header line, RFC 4180: a name that needs quoting is quoted. */
static void write_header(FILE *out, const bp_preprocessing *p, const bp_schema *schema,
                         size_t outputs, bool proba) {
    char name[300];
    if (p && p->task == BP_TASK_REGRESSION) {
        for (size_t j = 0; j < outputs; j++) {
            if (schema && schema->output_names)
                snprintf(name, sizeof name, "%s", schema->output_names[j]);
            else
                snprintf(name, sizeof name, "target_%zu", j);
            fprintf(out, "%s", j ? "," : "");
            write_csv_field(out, name);
        }
    } else {
        fprintf(out, "label");
        for (size_t j = 0; proba && j < outputs; j++) {
            if (p && j < p->classes)
                snprintf(name, sizeof name, "p_%s", p->class_names[j]);
            else
                snprintf(name, sizeof name, "p_%zu", j);
            fputc(',', out);
            write_csv_field(out, name);
        }
    }
    fprintf(out, "\n");
}

/* One row's line. */
static void write_row(FILE *out, const bp_preprocessing *p, const float *y, size_t outputs,
                      bool proba) {
    if (p && p->task == BP_TASK_REGRESSION) {
        for (size_t j = 0; j < outputs; j++)
            fprintf(out, "%s%.9g", j ? "," : "", (double)y[j]);
    } else {
        size_t best = 0;
        for (size_t j = 1; j < outputs; j++)
            best = y[j] > y[best] ? j : best;
        if (p && best < p->classes)
            write_csv_field(out, p->class_names[best]);
        else
            fprintf(out, "%zu", best);
        for (size_t j = 0; proba && j < outputs; j++)
            fprintf(out, ",%.6g", (double)y[j]);
    }
    fprintf(out, "\n");
}

static int predict_all(const predict_config *c, bp_net *net, bp_csv_reader *reader, FILE *out) {
    const bp_preprocessing *p = bp_net_preprocessing(net);
    const size_t in = bp_net_num_inputs(net), outputs = bp_net_num_outputs(net);
    if (bp_csv_reader_features(reader) != in)
        return runtime_error("%s has %zu features per row; the model takes %zu (predict reads "
                             "features only: no label column)",
                             c->csv, bp_csv_reader_features(reader), in);
    if (c->proba && p && p->task == BP_TASK_REGRESSION)
        return runtime_error("--proba is for classification; %s is a regression", c->model);
    const size_t block = c->common.batch;
    float *x = block <= SIZE_MAX / sizeof(float) / in ? malloc(block * in * sizeof(float)) : NULL;
    float *y = block <= SIZE_MAX / sizeof(float) / outputs ? malloc(block * outputs * sizeof(float))
                                                           : NULL;
    int status = x && y ? EXIT_OK : runtime_error("out of memory for --batch %zu", block);
    if (status == EXIT_OK)
        write_header(out, p, bp_net_schema(net), outputs, c->proba);
    for (size_t rows = 1, line = 0; status == EXIT_OK && rows > 0;) {
        int rc = bp_csv_reader_read(reader, x, block, &rows, &line);
        if (rc == BP_OK && rows > 0 && p && p->inputs.columns)
            rc = bp_scaler_transform(&p->inputs, x, rows);
        if (rc == BP_OK && rows > 0)
            rc = bp_net_predict(net, x, rows, y);
        if (rc == BP_OK && rows > 0 && p && p->targets.columns)
            rc = bp_scaler_inverse(&p->targets, y, rows);
        if (rc != BP_OK) {
            status = library_error(rc);
            break;
        }
        for (size_t i = 0; i < rows * outputs; i++)
            if (!isfinite(y[i])) {
                status = runtime_error("%s, line %zu: the model's output is not finite", c->csv,
                                       line + i / outputs);
                break;
            }
        for (size_t i = 0; status == EXIT_OK && i < rows; i++)
            write_row(out, p, y + i * outputs, outputs, c->proba);
        if (status == EXIT_OK && ferror(out))
            status = runtime_error("cannot write the predictions");
    }
    free(x);
    free(y);
    return status;
}

int predict_command(int argc, char *argv[]) {
    predict_config c;
    int status = parse_options(&c, argc, argv);
    if (status != EXIT_OK)
        return status == HELP_SHOWN ? EXIT_OK : status;
    bp_net *net = NULL;
    status = load_model(&c.common, c.model, &net);
    if (status != EXIT_OK)
        return status;
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.delimiter = c.settings.delimiter;
    o.header = c.settings.header;
    o.skip_columns = c.settings.skip_columns;
    o.max_input_bytes = c.common.max_input_bytes;
    /* A model that knows its columns: a header is matched by name. */
    const bp_schema *schema = bp_net_schema(net);
    if (schema && !c.settings.skip_given)
        o.skip_columns = schema->skipped_columns;
    /* A file laid out like the training file may still hold the label (or
     * targets): by their stored names, those columns are left out. */
    char *label = NULL;
    if (schema && schema->input_names) {
        o.feature_names = schema->input_names;
        o.feature_count = bp_net_num_inputs(net);
        o.label = label = stored_output_names(schema);
    }
    bp_csv_reader *reader = NULL;
    const int rc = bp_csv_reader_open(&reader, c.csv, &o);
    status = rc == BP_OK ? EXIT_OK : library_error(rc);
    if (status == EXIT_OK)
        say_header(COMMAND, c.csv, bp_csv_reader_header(reader) != 0, schema);
    output out = {0};
    if (status == EXIT_OK)
        status = open_output(c.out, &out);
    if (status == EXIT_OK) {
        status = predict_all(&c, net, reader, out.file);
        status = close_output(c.out, &out, status);
    }
    bp_csv_reader_close(reader);
    free(label);
    bp_net_destroy(net);
    return status;
}
