/* CSV data for the commands: options, task and labels, per-feature scaling kept in the model,
 * validation split. */
#include "csv_preprocessing.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "errors.h"

void csv_settings_default(csv_settings *s) {
    *s = (csv_settings){.task = -1, .max_classes = DEFAULT_MAX_CLASSES, .delimiter = ','};
}

static const name_value task_names[] = {
    {"classification", BP_TASK_CLASSIFICATION, NULL},
    {"regression", BP_TASK_REGRESSION, NULL},
    {NULL, 0, NULL},
};

int take_csv_option(const char *command, csv_settings *s, int option, const char *value) {
    switch (option) {
    case OPT_TASK:
        if (!parse_name(task_names, value, &s->task))
            return bad_name(command, "--task", value, task_names);
        return EXIT_OK; /* for IDX data too: classification */
    case OPT_TARGET_COLUMNS:
        if (!*value)
            return usage_error(command, "--target-columns is empty");
        s->targets = value;
        s->given = s->given ? s->given : "--target-columns";
        return EXIT_OK;
    case OPT_MAX_CLASSES:
        s->max_classes_given = true;
        if (!parse_size(value, 2, 65536, &s->max_classes))
            return bad_range(command, "--max-classes", value, 2, 65536);
        s->given = s->given ? s->given : "--max-classes";
        return EXIT_OK;
    case OPT_HEADER:
    case OPT_NO_HEADER:
        s->header = option == OPT_HEADER ? BP_CSV_HEADER_PRESENT : BP_CSV_HEADER_ABSENT;
        s->given = s->given ? s->given : option == OPT_HEADER ? "--header" : "--no-header";
        return EXIT_OK;
    case OPT_SKIP_COLUMNS:
        if (!parse_size(value, 0, 1000000, &s->skip_columns))
            return bad_range(command, "--skip-columns", value, 0, 1000000);
        s->skip_given = true;
        s->given = s->given ? s->given : "--skip-columns";
        return EXIT_OK;
    case OPT_DELIMITER:
        /* One byte; "tab" and "\t" for the one that is hard to type. */
        if (strcmp(value, "tab") == 0 || strcmp(value, "\\t") == 0)
            s->delimiter = '\t';
        else if (strlen(value) == 1 && !strchr("0123456789.-+\" \r\n", value[0]))
            s->delimiter = value[0];
        else
            return usage_error(command,
                               "invalid --delimiter '%s' (expected one character that cannot "
                               "be part of a number, such as ';', or 'tab')",
                               value);
        s->given = s->given ? s->given : "--delimiter";
        return EXIT_OK;
    case OPT_IMPUTE:
        if (strcmp(value, "mean") != 0)
            return usage_error(command, "invalid --impute '%s' (expected mean)", value);
        s->impute = true;
        s->given = s->given ? s->given : "--impute";
        return EXIT_OK;
    case OPT_DROP_MISSING:
        s->drop_missing = true;
        s->given = s->given ? s->given : "--drop-missing-labels";
        return EXIT_OK;
    default:
        return usage_error(command, "unhandled option"); /* not reached */
    }
}

int check_csv_settings(const char *command, const csv_settings *s, bool csv) {
    if (!csv && s->given)
        return usage_error(command, "%s is for CSV data", s->given);
    if (!csv && s->task == BP_TASK_REGRESSION)
        return usage_error(command, "--task regression is for CSV data (IDX labels are classes)");
    if (s->targets && s->task == BP_TASK_CLASSIFICATION)
        return usage_error(command, "--target-columns is for --task regression; a classification "
                                    "takes one --label-column");
    if (s->targets && s->label)
        return usage_error(command, "--target-columns and --label-column name the same thing; "
                                    "give one");
    return EXIT_OK;
}

/* The loader's options from the settings, for `task`. */
static bp_csv_options options_for(const csv_settings *s, bp_task task) {
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.delimiter = s->delimiter;
    o.header = s->header;
    o.skip_columns = s->skip_columns;
    o.task = task;
    o.impute_mean = s->impute;
    o.label = s->targets ? s->targets : s->label ? s->label : "0";
    o.max_classes = s->max_classes;
    o.max_input_bytes = s->max_input_bytes;
    o.drop_missing_labels = s->drop_missing;
    return o;
}

/* Whether every class name is a number, and whether all are integers. */
static bool numeric_names(const bp_dataset *d, bool *integers) {
    *integers = true;
    for (size_t c = 0; c < d->classes; c++) {
        char *end;
        const double v = strtod(d->class_names[c], &end);
        if (*end)
            return false;
        *integers = *integers && v == (double)(long long)v;
    }
    return true;
}

int load_training_csv(const csv_settings *s, const char *path, bp_dataset *out, bp_task *task) {
    *task = s->task == BP_TASK_REGRESSION ? BP_TASK_REGRESSION : BP_TASK_CLASSIFICATION;
    const bp_csv_options o = options_for(s, *task);
    const int rc = bp_dataset_load_csv_with(out, path, &o);
    if (rc != BP_OK && strstr(bp_errmsg(), "past the limit")) {
        if (s->task == BP_TASK_CLASSIFICATION)
            return runtime_error("%s (--max-classes %zu)", bp_errmsg(), s->max_classes);
        return runtime_error("%s: more than %zu distinct labels; is it a regression target? Give "
                             "--task regression, or --task classification --max-classes N",
                             bp_errmsg(), s->max_classes);
    }
    if (rc != BP_OK)
        return library_error(rc);
    /* Numbers with a word among them: most likely a typo, not a class. */
    const char *number = NULL, *word = NULL;
    for (size_t c = 0; c < out->classes; c++) {
        char *end;
        (void)strtod(out->class_names[c], &end);
        *(*end ? &word : &number) = out->class_names[c];
    }
    if (s->task == -1 && number && word) {
        const int status = runtime_error("%s: the label column mixes numbers (%s) and words (%s): "
                                         "a typo? Give --task classification to train them all "
                                         "as classes",
                                         path, number, word);
        bp_dataset_free(out);
        return status;
    }
    bool integers;
    if (s->task == -1 && numeric_names(out, &integers) &&
        (!integers || out->classes > AUTO_CLASS_LIMIT)) {
        const size_t classes = out->classes;
        bp_dataset_free(out);
        return runtime_error("%s: the label column holds %zu distinct %s; is it a regression "
                             "target? Give --task regression, or --task classification to train "
                             "%zu classes",
                             path, classes, integers ? "integers" : "numbers, not all integers",
                             classes);
    }
    return EXIT_OK;
}

/* One block of the names "0" .. "count - 1" (NULL-terminated), or NULL. */
static char **number_names(size_t count) {
    char **block = malloc((count + 1) * sizeof(char *) + count * 8);
    if (!block)
        return NULL;
    char *text = (char *)(block + count + 1);
    for (size_t c = 0; c < count; c++) {
        block[c] = text;
        text += sprintf(text, "%zu", c) + 1;
    }
    block[count] = NULL;
    return block;
}

/* Whether a regular file's first line is a header, as the loader decides
 * with these options, holding the model's inputs and the columns `label`
 * names: that line and a made-up row of zeros as wide, loaded as the
 * model's features only (the data rows may hold labels that are words;
 * the reader leaves out the columns `label` names, and any other column
 * not an input fails). False when it cannot tell (no line end in the first
 * MiB, say): the load then keeps the default label column and says what is
 * wrong, if anything. */
static bool header_has_label(const bp_csv_options *options, const char *path,
                             const bp_schema *schema, const char *label) {
    enum { MOST = 1 << 20 };
    /* Only a regular file is read twice: from a pipe, the probe would take
     * the lines the load needs. */
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    FILE *f = fopen(path, "rb");
    char *text = f ? malloc(3 * (size_t)MOST + 3) : NULL; /* the line, then its row of zeros */
    size_t length = text ? fread(text, 1, MOST, f) : 0;
    if (f)
        fclose(f);
    char *end = text ? memchr(text, '\n', length) : NULL;
    bool header = false;
    if (end) {
        /* As many fields as the first line has (a delimiter inside quotes
         * miscounts: the probe then fails, and the default stands). */
        size_t fields = 1;
        bool quoted = false;
        for (const char *c = text; c < end; c++) {
            quoted ^= *c == '"';
            fields += !quoted && *c == options->delimiter;
        }
        char *row = end + 1;
        for (size_t k = 0; k < fields; k++) {
            *row++ = '0';
            *row++ = k + 1 < fields ? options->delimiter : '\n';
        }
        bp_csv_options probe = *options;
        probe.features_only = 1;
        probe.label = label;
        probe.feature_names = schema->input_names;
        probe.feature_count = 0;
        while (schema->input_names[probe.feature_count])
            probe.feature_count++;
        probe.class_names = NULL;
        probe.classes = 0;
        bp_dataset set = {0};
        header =
            bp_dataset_load_csv_memory_with(&set, text, (size_t)(row - text), &probe) == BP_OK &&
            set.header;
        bp_dataset_free(&set);
    }
    free(text);
    return header;
}

char *stored_output_names(const bp_schema *schema) {
    if (!schema || !schema->output_names || !schema->output_names[0])
        return NULL;
    size_t length = 0;
    for (size_t i = 0; schema->output_names[i]; i++) {
        if (strchr(schema->output_names[i], ','))
            return NULL;
        length += strlen(schema->output_names[i]) + 1;
    }
    char *names = malloc(length);
    if (names) {
        names[0] = '\0';
        for (size_t i = 0; schema->output_names[i]; i++) {
            if (i)
                strcat(names, ",");
            strcat(names, schema->output_names[i]);
        }
    }
    return names;
}

/* Without --label-column and --target-columns, a file with a header has
 * its label where the model's training file had it: by the names the
 * schema keeps, when the header has them (a renamed label column keeps the
 * default, column 0, as before). NULL when that does not apply; else
 * malloc'd, the caller's. */
static char *stored_label(const csv_settings *s, const bp_csv_options *o, const char *path,
                          const bp_schema *schema, bp_task task) {
    if (s->label || s->targets || !schema || !schema->input_names || !schema->output_names ||
        o->header == BP_CSV_HEADER_ABSENT)
        return NULL;
    size_t count = 0;
    while (schema->output_names[count])
        count++;
    if (task == BP_TASK_CLASSIFICATION && count != 1)
        return NULL;
    char *names = stored_output_names(schema);
    if (names && !header_has_label(o, path, schema, names)) {
        free(names);
        names = NULL;
    }
    return names;
}

int load_csv_for_model(const csv_settings *s, const char *path, const bp_preprocessing *p,
                       const bp_schema *schema, size_t outputs, bp_dataset *out) {
    bp_csv_options o = options_for(s, p ? p->task : BP_TASK_CLASSIFICATION);
    if (schema && !s->skip_given)
        o.skip_columns = schema->skipped_columns;
    /* A model without class names (version 1, or preprocessing without
     * them): class c is the label "c", as written, read with the same
     * options (--header, --label-column NAME) as any other. */
    char **numbers = NULL;
    if (!p || (p->task == BP_TASK_CLASSIFICATION && p->classes == 0)) {
        if (outputs == 0 || outputs > 9999999)
            return runtime_error("%s: the model has %zu outputs", path, outputs);
        numbers = number_names(outputs);
        if (!numbers)
            return runtime_error("out of memory");
        o.class_names = numbers;
        o.classes = outputs;
    } else {
        o.class_names = p->class_names;
        o.classes = p->classes;
    }
    o.max_classes = 0;
    int rc;
    if (schema && schema->input_names) {
        o.feature_names = schema->input_names;
        o.feature_count = 0;
        while (schema->input_names[o.feature_count])
            o.feature_count++;
    }
    char *label = stored_label(s, &o, path, schema, o.task);
    if (label)
        o.label = label;
    rc = bp_dataset_load_csv_with(out, path, &o);
    free(numbers);
    free(label);
    if (!p)
        return rc == BP_OK ? EXIT_OK : library_error(rc);
    /* The scaling is per column: a file of another width is not this model's. */
    if (rc == BP_OK && p->inputs.columns && out->features != p->inputs.columns) {
        const size_t features = out->features;
        bp_dataset_free(out);
        return runtime_error("%s has %zu features per row; the model's scaling takes %zu", path,
                             features, p->inputs.columns);
    }
    if (rc == BP_OK)
        rc = apply_preprocessing(p, out);
    if (rc != BP_OK) {
        bp_dataset_free(out);
        return library_error(rc);
    }
    return EXIT_OK;
}

int fit_preprocessing(const bp_dataset *train, bp_task task, int scale, bp_preprocessing *p) {
    *p = (bp_preprocessing){.task = task,
                            .classes = task == BP_TASK_CLASSIFICATION ? train->classes : 0,
                            .class_names =
                                task == BP_TASK_CLASSIFICATION ? train->class_names : NULL};
    if (!p->class_names)
        p->classes = 0;
    int rc = BP_OK;
    if (scale >= 0)
        rc = bp_scaler_fit(&p->inputs, (bp_scaling_kind)scale, train->inputs, train->count,
                           train->features);
    if (rc == BP_OK && task == BP_TASK_REGRESSION)
        rc = bp_scaler_fit(&p->targets, BP_SCALE_STANDARDIZE, train->targets, train->count,
                           train->outputs);
    if (rc != BP_OK) {
        free_preprocessing(p);
        return library_error(rc);
    }
    return EXIT_OK;
}

int apply_preprocessing(const bp_preprocessing *p, bp_dataset *set) {
    int rc = BP_OK;
    if (p->inputs.columns)
        rc = bp_scaler_transform(&p->inputs, set->inputs, set->count);
    if (rc == BP_OK && p->targets.columns && set->targets)
        rc = bp_scaler_transform(&p->targets, set->targets, set->count);
    return rc;
}

void free_preprocessing(bp_preprocessing *p) {
    bp_scaler_free(&p->inputs);
    bp_scaler_free(&p->targets);
    p->class_names = NULL; /* borrowed */
}

int split_validation(bp_dataset *train, double fraction, uint64_t seed, bp_dataset *val) {
    *val = (bp_dataset){0};
    const size_t count = train->count;
    size_t n_val = (size_t)(fraction * (double)count + 0.5);
    n_val = n_val < 1 ? 1 : n_val;
    if (count < 2 || n_val >= count)
        return runtime_error("--val-split %g leaves no training examples of the %zu", fraction,
                             count);
    const size_t in = train->features, out = train->targets ? train->outputs : 0;
    size_t *order = malloc(count * sizeof *order);
    float *inputs = malloc(count * in * sizeof(float));
    float *targets = out ? malloc(count * out * sizeof(float)) : NULL;
    uint32_t *labels = out ? NULL : malloc(count * sizeof(uint32_t));
    const bool ok = order && inputs && (out ? targets != NULL : labels != NULL);
    if (ok) {
        /* Another stream than the epochs' shuffles, from the same seed. The
         * arrays are reordered in place, the validation examples last, so
         * that *val is a view of their tail: never freed on its own. */
        bp_shuffle(order, count, seed ^ 0x5eed5eed5eed5eedu);
        for (size_t i = 0; i < count; i++) {
            const size_t from = order[(i + n_val) % count]; /* kept first, then held out */
            memcpy(inputs + i * in, train->inputs + from * in, in * sizeof(float));
            if (out)
                memcpy(targets + i * out, train->targets + from * out, out * sizeof(float));
            else
                labels[i] = train->labels[from];
        }
        memcpy(train->inputs, inputs, count * in * sizeof(float));
        if (out)
            memcpy(train->targets, targets, count * out * sizeof(float));
        else
            memcpy(train->labels, labels, count * sizeof(uint32_t));
        train->count = count - n_val;
        *val = *train;
        val->count = n_val;
        val->class_names = NULL;
        val->feature_names = val->output_names = val->skipped_names = NULL;
        val->inputs = train->inputs + train->count * in;
        val->targets = out ? train->targets + train->count * out : NULL;
        val->labels = out ? NULL : train->labels + train->count;
    }
    free(order);
    free(inputs);
    free(targets);
    free(labels);
    return ok ? EXIT_OK : runtime_error("out of memory");
}

void print_preprocessing(FILE *out, const bp_preprocessing *p) {
    fprintf(out, "task        %s\n", name_of(task_names, (int)p->task));
    if (p->inputs.columns)
        fprintf(out,
                "inputs      scaled per feature (%s), %zu features: x <- (x - offset) * scale\n",
                p->inputs.kind == BP_SCALE_STANDARDIZE ? "standardize: mean 0, deviation 1"
                                                       : "minmax: to [0, 1]",
                p->inputs.columns);
    else
        fprintf(out, "inputs      not scaled\n");
    for (size_t j = 0; j < p->targets.columns; j++)
        fprintf(out, "target %-4zu standardized: offset %.9g scale %.9g (restored on output)\n", j,
                (double)p->targets.offset[j], (double)p->targets.scale[j]);
    if (p->classes) {
        fprintf(out, "classes     %zu:", p->classes);
        for (size_t c = 0; c < p->classes && c < 20; c++)
            fprintf(out, " %s", p->class_names[c]);
        fprintf(out, "%s\n", p->classes > 20 ? " ..." : "");
    }
}

/* Whether a header name can be kept in a model (bp_net_set_schema's rule). */
static bool storable(const char *name) {
    const size_t n = strlen(name);
    if (n == 0 || n > 255 || name[0] == ' ' || name[n - 1] == ' ' || name[0] == '\t' ||
        name[n - 1] == '\t' || (n >= 2 && name[0] == '"' && name[n - 1] == '"'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

/* Whether every name of a NULL-terminated list is storable and distinct. */
static bool storable_names(char *const *names) {
    for (size_t i = 0; names && names[i]; i++) {
        if (!storable(names[i]))
            return false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0)
                return false;
    }
    return true;
}

void training_schema(const bp_dataset *train, size_t skipped, bp_schema *schema) {
    *schema = (bp_schema){.skipped_columns = skipped};
    if (!train->feature_names)
        return;
    if (storable_names(train->feature_names) && storable_names(train->output_names)) {
        schema->input_names = train->feature_names;
        schema->output_names = train->output_names;
    } else {
        fprintf(stderr, "backprop: warning: the header's column names are not all distinct "
                        "and 1 to 255 printable bytes; the model keeps no names, and eval and "
                        "predict will take columns by position\n");
    }
}

void say_header(const char *command, const char *path, bool header, const bp_schema *schema) {
    const bool names = schema && schema->input_names;
    if (header)
        fprintf(stderr, "backprop %s: %s: line 1 read as a header%s\n", command, path,
                names ? "; columns matched to the model's by name" : "");
    else
        fprintf(stderr, "backprop %s: %s: no header line; line 1 read as data%s\n", command, path,
                names ? "" : "; columns taken in order");
    if (!header && names)
        fprintf(stderr,
                "backprop %s: warning: %s has no header, but the model knows its columns' "
                "names (%s, ...): they are taken by position, in the model's order\n",
                command, path, schema->input_names[0]);
}

void print_schema(FILE *out, const bp_schema *schema, bp_task task) {
    if (!schema) {
        fprintf(out, "columns     not recorded (columns are taken by position)\n");
        return;
    }
    if (schema->skipped_columns)
        fprintf(out, "skipped     the first %zu column%s\n", schema->skipped_columns,
                schema->skipped_columns == 1 ? "" : "s");
    if (schema->input_names) {
        size_t n = 0;
        while (schema->input_names[n])
            n++;
        fprintf(out, "columns     %zu inputs by name:", n);
        for (size_t j = 0; j < n && j < 20; j++)
            fprintf(out, " %s", schema->input_names[j]);
        fprintf(out, "%s\n", n > 20 ? " ..." : "");
    } else {
        fprintf(out, "columns     no names (the training file had no header)\n");
    }
    if (schema->output_names) {
        fprintf(out, "%s", task == BP_TASK_CLASSIFICATION ? "label      " : "targets    ");
        for (size_t j = 0; schema->output_names[j]; j++)
            fprintf(out, " %s", schema->output_names[j]);
        fprintf(out, "\n");
    }
}

void write_csv_field(FILE *out, const char *text) {
    const size_t n = strlen(text);
    const bool quote =
        strpbrk(text, ",;\t\"\r\n") != NULL || (n > 0 && (text[0] == ' ' || text[n - 1] == ' '));
    if (!quote) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}
