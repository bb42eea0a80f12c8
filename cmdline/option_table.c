/* A command's options as one table of rows, from which its --help, its getopt_long table and the
 * parse of every value with its range check follow. */
#include "option_table.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The help's columns: an option's synopsis from 2, its help from 25; a pair
 * of options' second synopsis from 25, their help from 47. */
enum { SYNOPSIS_WIDTH = 21, PAIR_WIDTH = 20, HELP_COLUMN = 25 };
enum { MAX_ARGS = sizeof((option_row *)0)->args / sizeof(help_arg) };

/* Whether the row is an option of the getopt_long table (its first help entry). */
static bool is_option(const option_row *row) {
    return row->kind != ROW_PROSE && row->kind != ROW_AGAIN;
}

/* The kind of help_arg a printf conversion takes ("zu", "llu", "g", "d",
 * "s"); ARG_NONE for any other; *length: the conversion's length after '%'. */
static int conversion_kind(const char *spec, size_t *length) {
    const size_t modifiers = strspn(spec, "zl");
    *length = modifiers + 1;
    switch (spec[modifiers]) {
    case 'u':
        return modifiers == 1 && spec[0] == 'z'                ? ARG_SIZE
               : modifiers == 2 && strncmp(spec, "ll", 2) == 0 ? ARG_U64
                                                               : ARG_NONE;
    case 'g':
        return modifiers == 0 ? ARG_FLOAT : ARG_NONE;
    case 'd':
        return modifiers == 0 ? ARG_INT : ARG_NONE;
    case 's':
        return modifiers == 0 ? ARG_STRING : ARG_NONE;
    default:
        return ARG_NONE;
    }
}

/* Prints text, each printf conversion in it replaced by the next of args
 * (which must be of its kind: a mismatch prints "<bad help format>"), and
 * `indent` spaces after each '\n' inside it. */
static void print_text(FILE *out, const char *text, const help_arg *args, int indent) {
    size_t next = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            fprintf(out, "\n%*s", p[1] ? indent : 0, "");
            continue;
        }
        if (*p != '%' || p[1] == '%') {
            fputc(*p, out);
            p += *p == '%';
            continue;
        }
        size_t length;
        const int kind = conversion_kind(p + 1, &length);
        const help_arg *arg = next < MAX_ARGS ? &args[next++] : NULL;
        if (!arg || kind == ARG_NONE || (int)arg->kind != kind)
            fputs("<bad help format>", out);
        else if (kind == ARG_SIZE)
            fprintf(out, "%zu", *arg->size);
        else if (kind == ARG_U64)
            fprintf(out, "%llu", (unsigned long long)*arg->u64);
        else if (kind == ARG_FLOAT)
            fprintf(out, "%g", (double)*arg->real);
        else if (kind == ARG_INT)
            fprintf(out, "%d", arg->integer);
        else
            fputs(arg->string, out);
        p += length;
    }
}

/* "--name METAVAR", or the row's own synopsis. */
static const char *synopsis(const option_row *row, char *buf, size_t size) {
    if (row->synopsis)
        return row->synopsis;
    snprintf(buf, size, "--%s%s%s", row->name, row->metavar ? " " : "",
             row->metavar ? row->metavar : "");
    return buf;
}

void print_option_help(FILE *out, const option_table *t) {
    for (size_t i = 0; i < t->n_rows; i++) {
        const option_row *row = &t->rows[i];
        if (row->kind == ROW_PROSE) {
            print_text(out, row->help, row->args, 0);
            continue;
        }
        if (!row->help)
            continue; /* in another row's line */
        char left[64], pair[64];
        fprintf(out, "  %-*s  ", SYNOPSIS_WIDTH, synopsis(row, left, sizeof left));
        if (i + 1 < t->n_rows && t->rows[i + 1].beside)
            fprintf(out, "%-*s  ", PAIR_WIDTH, synopsis(&t->rows[i + 1], pair, sizeof pair));
        print_text(out, row->help, row->args, HELP_COLUMN);
        fputc('\n', out);
    }
}

static int option_value(const option_table *t, size_t i) {
    return t->rows[i].kind == ROW_SHARED ? t->rows[i].value
           : t->rows[i].kind == ROW_HELP ? 'h'
                                         : OPTION_ROW_VALUES + (int)i;
}

const struct option *option_table_long_options(const option_table *t) {
    if (!t->long_options[0].name) {
        size_t n = 0;
        for (size_t i = 0; i < t->n_rows; i++)
            if (is_option(&t->rows[i]))
                t->long_options[n++] = (struct option){
                    t->rows[i].name, t->rows[i].metavar ? required_argument : no_argument, NULL,
                    option_value(t, i)};
    }
    return t->long_options;
}

/* The usage error for a ROW_SIZE or ROW_U64 value outside its range:
 * "invalid --epochs '0' (expected 1 to 100000)". */
static int range_error(const char *command, const option_row *row, const char *value) {
    return usage_error(command, "invalid --%s '%s' (expected %s%s%llu to %llu%s%s)", row->name,
                       value, row->zero_word ? row->zero_word : "", row->zero_word ? " or " : "",
                       row->min, row->max, row->unit ? " " : "", row->unit ? row->unit : "");
}

static bool in_range(const option_row *row, float x) {
    switch (row->range) {
    case ABOVE:
        return x > row->low;
    case AT_LEAST:
        return x >= row->low;
    case OPEN:
        return x > row->low && x < row->high;
    case CLOSED_OPEN:
        return x >= row->low && x < row->high;
    case OPEN_CLOSED:
        return x > row->low && x <= row->high;
    }
    return false;
}

/* The usage error for a ROW_FLOAT value outside its range: "invalid --lr '0'
 * (expected a finite number > 0)", "... (expected a number in [0, 1))". */
static int float_error(const char *command, const option_row *row, const char *value) {
    const char *noun = row->noun ? row->noun : "number";
    if (row->range == ABOVE || row->range == AT_LEAST)
        return usage_error(command, "invalid --%s '%s' (expected a finite %s %s %g)", row->name,
                           value, noun, row->range == ABOVE ? ">" : ">=", (double)row->low);
    return usage_error(command, "invalid --%s '%s' (expected a %s in %c%g, %g%c)", row->name, value,
                       noun, row->range == CLOSED_OPEN ? '[' : '(', (double)row->low,
                       (double)row->high, row->range == OPEN_CLOSED ? ']' : ')');
}

int take_table_option(const option_table *t, void *settings, int option, const char *value) {
    size_t i = 0;
    while (i < t->n_rows && !(is_option(&t->rows[i]) && option_value(t, i) == option))
        i++;
    if (i == t->n_rows || i / 64 >= t->given_words)
        return usage_error(t->command, "unhandled option"); /* not reached */
    uint64_t *given = (uint64_t *)((char *)settings + t->given);
    given[i / 64] |= (uint64_t)1 << (i % 64);
    const option_row *row = &t->rows[i];
    void *member = (char *)settings + row->member;
    switch (row->kind) {
    case ROW_STRING:
        *(const char **)member = value;
        return EXIT_OK;
    case ROW_FLAG:
        *(bool *)member = true;
        return EXIT_OK;
    case ROW_SIZE:
    case ROW_U64: {
        uint64_t number = 0; /* the zero word's */
        if (!(row->zero_word && strcmp(value, row->zero_word) == 0) &&
            (!parse_u64(value, &number) || number < row->min || number > row->max))
            return range_error(t->command, row, value);
        if (row->kind == ROW_SIZE)
            *(size_t *)member = (size_t)number;
        else
            *(uint64_t *)member = number;
        return EXIT_OK;
    }
    case ROW_FLOAT:
        if (!parse_float(value, (float *)member) || !in_range(row, *(float *)member))
            return float_error(t->command, row, value);
        return EXIT_OK;
    case ROW_NAME:
        if (!parse_name(row->names, value, (int *)member) ||
            (row->except && *(int *)member == *row->except)) {
            char name[64];
            snprintf(name, sizeof name, "--%s", row->name);
            return row->except ? bad_name_except(t->command, name, value, row->names, *row->except)
                               : bad_name(t->command, name, value, row->names);
        }
        return EXIT_OK;
    case ROW_CUSTOM:
        return row->take(settings, value);
    case ROW_SHARED:
        return t->take_shared(settings, option, value);
    default:
        return usage_error(t->command, "unhandled option"); /* not reached: --help */
    }
}

bool option_table_given(const option_table *t, const void *settings, const char *name) {
    const uint64_t *given = (const uint64_t *)((const char *)settings + t->given);
    for (size_t i = 0; i < t->n_rows; i++)
        if (is_option(&t->rows[i]) && strcmp(t->rows[i].name, name) == 0)
            return i / 64 < t->given_words && (given[i / 64] >> (i % 64)) & 1;
    return false;
}
