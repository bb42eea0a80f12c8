/* CSV data for the commands: the CSV options, the task, labels, per-feature
 * scaling fitted on the training set and stored in the model, validation split. */
#ifndef BACKPROP_TOOL_CSV_PREPROCESSING_H
#define BACKPROP_TOOL_CSV_PREPROCESSING_H

#include <backprop.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* getopt_long values of the CSV options, above every command's own. */
enum {
    OPT_TASK = 400,
    OPT_TARGET_COLUMNS,
    OPT_MAX_CLASSES,
    OPT_HEADER,
    OPT_NO_HEADER,
    OPT_SKIP_COLUMNS,
    OPT_DELIMITER,
    OPT_IMPUTE,
    OPT_DROP_MISSING,
};

/* The long options above, for a command's table (label-column is common). */
#define CSV_LONG_OPTIONS                                                                           \
    {"task", required_argument, NULL, OPT_TASK},                                                   \
        {"target-columns", required_argument, NULL, OPT_TARGET_COLUMNS},                           \
        {"max-classes", required_argument, NULL, OPT_MAX_CLASSES},                                 \
        {"header", no_argument, NULL, OPT_HEADER},                                                 \
        {"no-header", no_argument, NULL, OPT_NO_HEADER},                                           \
        {"skip-columns", required_argument, NULL, OPT_SKIP_COLUMNS},                               \
        {"delimiter", required_argument, NULL, OPT_DELIMITER},                                     \
        {"impute", required_argument, NULL, OPT_IMPUTE}, {                                         \
        "drop-missing-labels", no_argument, NULL, OPT_DROP_MISSING                                 \
    }

/* --max-classes without the option: more distinct labels than this is
 * taken for a regression target unless --task classification says so. */
#define DEFAULT_MAX_CLASSES 1000
/* Without --task: a numeric label column with more distinct values than
 * this (or any fraction) is asked about rather than trained as classes. */
#define AUTO_CLASS_LIMIT 50

typedef struct csv_settings {
    int task;            /* bp_task, or -1 for "decide from the data, or ask" */
    const char *label;   /* --label-column: index, last or a header name */
    const char *targets; /* --target-columns: regression targets */
    size_t max_classes;
    bool max_classes_given;
    bp_csv_header header;
    char delimiter;
    size_t skip_columns;
    bool skip_given;   /* --skip-columns given (else a model's own count applies) */
    bool drop_missing; /* --drop-missing-labels */
    bool impute;
    uint64_t max_input_bytes; /* --max-input-bytes; 0: the library's default */
    const char *given;        /* the first CSV-only option given, for "is for CSV data" */
} csv_settings;

void csv_settings_default(csv_settings *s);

/* Whether a getopt_long value is one of the CSV options above. */
static inline bool is_csv_option(int option) {
    return option >= OPT_TASK && option <= OPT_DROP_MISSING;
}

/* Parses one CSV option; EXIT_OK, or the usage error's status. */
int take_csv_option(const char *command, csv_settings *s, int option, const char *value);

/* EXIT_OK, or a usage error: CSV options without CSV data, --target-columns
 * with classification. */
int check_csv_settings(const char *command, const csv_settings *s, bool csv);

/* The training set: the task from --task, or decided from the label column
 * when it is plainly classes (words, or few integers), else a runtime error
 * that suggests --task regression or --task classification. */
int load_training_csv(const csv_settings *s, const char *path, bp_dataset *out, bp_task *task);

/* The names of a model's label or regression targets, comma-separated
 * (malloc'd, the caller's), as the label option spells them; NULL when the
 * model keeps none, a name holds a comma, or memory runs out. */
char *stored_output_names(const bp_schema *schema);

/* A set for a model: its task and class names from the model's
 * preprocessing (a label unseen in training is an error naming its line),
 * its input columns matched by name when the model has a schema with names
 * and the file a header (else by count), and the preprocessing applied.
 * A model without class names (version 1: p NULL, and nothing applied)
 * has `outputs` classes named "0" .. "outputs - 1". schema may be NULL. */
int load_csv_for_model(const csv_settings *s, const char *path, const bp_preprocessing *p,
                       const bp_schema *schema, size_t outputs, bp_dataset *out);

/* The schema of a training set: its header's names (borrowed from train)
 * when every one can be stored (else none, with a warning on stderr), and
 * the count of skipped columns. */
void training_schema(const bp_dataset *train, size_t skipped, bp_schema *schema);

/* Says on stderr how `command` read path's first line, and warns when the
 * model has names but the file no header (its columns taken in order). */
void say_header(const char *command, const char *path, bool header, const bp_schema *schema);

/* Prints the schema's lines ("columns ...", "label ...") to out. */
void print_schema(FILE *out, const bp_schema *schema, bp_task task);

/* Writes text as one field of RFC 4180 CSV: quoted (quotes doubled) when
 * it holds the delimiter, a double quote, a line end, or blanks at an end. */
void write_csv_field(FILE *out, const char *text);

/* Fits per-feature input scaling of `scale` (a bp_scaling_kind, or -1 for
 * none) and, for regression, standardized targets, on train; fills *p,
 * whose class names are borrowed from train. */
int fit_preprocessing(const bp_dataset *train, bp_task task, int scale, bp_preprocessing *p);

/* Applies p's input scaling and (regression) target scaling to the set. */
int apply_preprocessing(const bp_preprocessing *p, bp_dataset *set);

/* Frees what fit_preprocessing allocated. */
void free_preprocessing(bp_preprocessing *p);

/* Holds out a seeded `fraction` of train's examples (at least one, leaving
 * at least one): reorders train's arrays so that they come last, and makes
 * *val a view of them (not to be freed; valid while train is). */
int split_validation(bp_dataset *train, double fraction, uint64_t seed, bp_dataset *val);

/* Prints the preprocessing's lines ("scaling: ...", "classes: ...") to out. */
void print_preprocessing(FILE *out, const bp_preprocessing *p);

#endif
