/* A command's options as one table of rows, from which its --help, its getopt_long table and the
 * parse of every value with its range check follow. */
#ifndef BACKPROP_OPTION_TABLE_H
#define BACKPROP_OPTION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmdline.h"

/* What a row is, and for an option what its value sets in the settings. */
typedef enum row_kind {
    ROW_PROSE,  /* help text only: the usage line, the headings, the paragraphs */
    ROW_STRING, /* the value as given (a path, a plan): a const char * member */
    ROW_FLAG,   /* no value: sets a bool member */
    ROW_SIZE,   /* a whole number from min to max: a size_t member */
    ROW_U64,    /* a whole number from min to max: a uint64_t member */
    ROW_FLOAT,  /* a finite number in its range: a float member */
    ROW_NAME,   /* one of a name table's names: an int member */
    ROW_CUSTOM, /* parsed by the row's own function */
    ROW_SHARED, /* an option of several commands, parsed by the table's take_shared */
    ROW_HELP,   /* -h, --help */
    ROW_AGAIN,  /* another help entry of the option above, for another kind of value */
} row_kind;

/* A ROW_FLOAT's range: above low, at least low, or from low to high with
 * each end in or out. */
typedef enum float_range { ABOVE, AT_LEAST, OPEN, CLOSED_OPEN, OPEN_CLOSED } float_range;

/* A value the help prints for a printf conversion of a row's text: %zu,
 * %llu, %g, %d or %s, the row's args in order. */
typedef struct help_arg {
    enum { ARG_NONE, ARG_SIZE, ARG_U64, ARG_FLOAT, ARG_INT, ARG_STRING } kind;
    union {
        const size_t *size;
        const uint64_t *u64;
        const float *real;
        int integer;
        const char *string;
    };
} help_arg;

// clang-format off
#define SIZE_ARG(x) {.kind = ARG_SIZE, .size = &(x)}
#define U64_ARG(x) {.kind = ARG_U64, .u64 = &(x)}
#define FLOAT_ARG(x) {.kind = ARG_FLOAT, .real = &(x)}
#define INT_ARG(x) {.kind = ARG_INT, .integer = (x)}
#define STRING_ARG(x) {.kind = ARG_STRING, .string = (x)}
// clang-format on

typedef struct option_row {
    row_kind kind;
    const char *name;     /* the long option, without "--" */
    const char *metavar;  /* its value in the help; NULL for an option that takes none */
    const char *synopsis; /* the help's left column when it is not "--name METAVAR" */
    /* An option's help right of its synopsis, its lines separated by '\n'
     * (NULL: the option is named in another row's synopsis, or beside);
     * prose as printed. Each printf conversion in it prints the next of args. */
    const char *help;
    bool beside; /* its synopsis is in the line of the row above, as a pair */
    help_arg args[4];
    size_t member; /* offsetof the settings' member the value sets: OPTION_MEMBER */
    /* ROW_SIZE, ROW_U64: the range; a word that means 0 ("auto"), and the
     * range's unit in the usage error */
    unsigned long long min, max;
    const char *zero_word, *unit;
    /* ROW_FLOAT: the range, and what the usage error calls the value
     * (NULL: "number") */
    float_range range;
    float low, high;
    const char *noun;
    /* ROW_NAME: the names, and a value among them the option refuses (NULL: none) */
    const name_value *names;
    const int *except;
    /* ROW_CUSTOM: the parse; EXIT_OK or a usage error's status */
    int (*take)(void *settings, const char *value);
    int value; /* ROW_SHARED: the getopt value that take_shared knows it by */
} option_row;

/* offsetof the member m of the struct `settings`, which must be of `type`:
 * a compile error otherwise. */
#define OPTION_MEMBER(settings, m, type) _Generic(((settings *)0)->m, type : offsetof(settings, m))

typedef struct option_table {
    const char *command; /* its name in usage errors: "train" */
    const option_row *rows;
    size_t n_rows;
    /* The getopt_long table it makes: n_rows + 1 entries, zeroed (filled
     * on the first option_table_long_options). */
    struct option *long_options;
    /* offsetof the settings' uint64_t[given_words]: a bit per row, set for
     * each option on the command line */
    size_t given;
    size_t given_words;
    /* Parses a ROW_SHARED option: EXIT_OK or a usage error's status. */
    int (*take_shared)(void *settings, int option, const char *value);
} option_table;

/* Prints the table's help to out. */
void print_option_help(FILE *out, const option_table *t);

/* The table's getopt_long table: an entry per option (not per ROW_AGAIN or
 * ROW_PROSE), whose value is its row's index from OPTION_ROW_VALUES, or
 * 'h' for ROW_HELP, or a ROW_SHARED's own value (below OPTION_ROW_VALUES). */
enum { OPTION_ROW_VALUES = 1000 };
const struct option *option_table_long_options(const option_table *t);

/* Parses the value of the option getopt_long returned into the settings as
 * its row says, and marks it given: EXIT_OK or the usage error's status. */
int take_table_option(const option_table *t, void *settings, int option, const char *value);

/* Whether the option of this long name was on the command line. */
bool option_table_given(const option_table *t, const void *settings, const char *name);

#endif
