/* Command-line parsing shared by the backprop program and the bench programs: getopt_long, numbers,
 * lists, names, usage errors. Needs nothing from the library. */
#ifndef BACKPROP_CMDLINE_H
#define BACKPROP_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define TOOL_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TOOL_PRINTF_LIKE(fmt, args)
#endif

/* The program's exit statuses (documented in every --help). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* One spelling of an enum value on the command line; tables end with {NULL, 0}. */
typedef struct name_value {
    const char *name;
    int value;
    const char *alias; /* an older spelling parse_name also takes, or NULL */
} name_value;

/* Names the program in usage errors: "backprop" unless set (the string
 * must stay valid). */
void set_program_name(const char *name);

/* From now on usage errors print nothing (an MPI rank other than 0, whose
 * command line rank 0 has already judged aloud); they still return
 * EXIT_USAGE. */
void silence_usage_errors(void);

/* Prints "PROGRAM COMMAND: message" (or "PROGRAM: message" for COMMAND
 * NULL) and the line pointing at its --help to stderr; returns EXIT_USAGE. */
int usage_error(const char *command, const char *format, ...) TOOL_PRINTF_LIKE(2, 3);

/* The usage error for a number outside its range or no number at all:
 * "invalid --epochs 'x' (expected 1 to 100000)". */
int bad_range(const char *command, const char *option, const char *value, unsigned long long min,
              unsigned long long max);

struct option;

/* The usage error for what getopt_long returned as `c` ('?' or ':') with the
 * table `options`, naming the offending element of argv: an unknown option,
 * an ambiguous abbreviation, a missing value, a value for a flag. */
int option_error(const char *command, int c, char *const argv[], const struct option *options);

/* What parse_command_line returns after printing --help: the command stops
 * there, with EXIT_OK. */
enum { HELP_SHOWN = -1 };

/* A command's command line: its options and at most one operand. */
typedef struct command_line {
    const char *command;          /* its name in messages: "train" */
    const struct option *options; /* getopt_long's table; 'h' is --help */
    void (*help)(void);
    /* Parses one option's value into the settings: EXIT_OK or a usage
     * error's status. NULL for a command with no option but --help. */
    int (*take)(void *settings, int option, const char *value);
    const char *operand; /* the one file operand's name ("MODEL"), or NULL for none */
} command_line;

/* Parses argv (argv[0] is the command's name) with getopt_long: each option
 * goes to line->take with `settings`, and the operand, if line->operand
 * names one, to *operand. Returns EXIT_OK, HELP_SHOWN, or the status of the
 * usage error it printed. */
int parse_command_line(const command_line *line, int argc, char *argv[], void *settings,
                       const char **operand);

/* Whole-string parses with range checks; false for anything else. */
bool parse_size(const char *text, size_t min, size_t max, size_t *out);
bool parse_u64(const char *text, uint64_t *out);
bool parse_int(const char *text, int min, int max, int *out);
/* A finite number (an underflow to 0 is refused too). */
bool parse_double(const char *text, double *out);
/* A finite number that is also finite as a float. */
bool parse_float(const char *text, float *out);

/* "784,256,10": 1 to `capacity` comma-separated sizes from min to max, into
 * values[0 .. *count - 1]; false for anything else. */
bool parse_size_list(const char *text, size_t min, size_t max, size_t *values, size_t capacity,
                     size_t *count);

/* "784,256,128,10": at least 2 comma-separated sizes from 1 to INT_MAX.
 * On success *sizes is a new array (the caller frees it) of *count sizes;
 * false for a malformed list or no memory. */
bool parse_layers(const char *text, size_t **sizes, size_t *count);

/* Looks text up in a name table. */
bool parse_name(const name_value *table, const char *text, int *out);

/* The name of `value` in the table, or "?" when it has none. */
const char *name_of(const name_value *table, int value);

/* The usage error for a value that is not one of the table's names:
 * "invalid --loss 'x' (expected cross-entropy or quadratic)". */
int bad_name(const char *command, const char *option, const char *value, const name_value *table);

/* The same for an option that takes every name in the table but except's,
 * which the message leaves out. */
int bad_name_except(const char *command, const char *option, const char *value,
                    const name_value *table, int except);

#endif
