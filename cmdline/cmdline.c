/* Command-line parsing shared by the backprop program and the bench programs: getopt_long, numbers,
 * lists, names, usage errors. */
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program = "backprop";
static bool quiet;

void set_program_name(const char *name) { program = name; }

void silence_usage_errors(void) { quiet = true; }

int usage_error(const char *command, const char *format, ...) {
    if (quiet)
        return EXIT_USAGE;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s%s%s: ", program, command ? " " : "", command ? command : "");
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\ntry '%s%s%s --help'\n", program, command ? " " : "", command ? command : "");
    return EXIT_USAGE;
}

int bad_range(const char *command, const char *option, const char *value, unsigned long long min,
              unsigned long long max) {
    return usage_error(command, "invalid %s '%s' (expected %llu to %llu)", option, value, min, max);
}

int option_error(const char *command, int c, char *const argv[], const struct option *options) {
    /* getopt_long has moved optind past the element it failed on, unless
     * the failure was a short option inside a cluster ("-xy") with letters
     * left: then optind still points at the cluster. */
    const char *element = optind > 0 ? argv[optind - 1] : "";
    const char *next = argv[optind];
    const bool in_cluster = optopt > 0 && optopt < 128 && next && next[0] == '-' &&
                            next[1] != '-' && strchr(next + 1, optopt);
    if (optopt != 0 && (in_cluster || strncmp(element, "--", 2) != 0)) {
        if (c == ':')
            return usage_error(command, "option '-%c' needs a value", optopt);
        return usage_error(command, "unknown option '-%c'", optopt);
    }
    if (c == ':')
        return usage_error(command, "option '%s' needs a value", element);
    /* getopt_long says only '?': find out which of its failures this is. */
    const char *name = element + (strncmp(element, "--", 2) == 0 ? 2 : 0);
    const size_t length = strcspn(name, "=");
    size_t matches = 0;
    const struct option *match = NULL;
    for (const struct option *o = options; o->name; o++)
        if (strncmp(o->name, name, length) == 0) {
            if (strlen(o->name) == length) { /* an exact match wins */
                matches = 1;
                match = o;
                break;
            }
            /* Aliases of one option are one match. */
            matches += !match || match->val != o->val;
            match = o;
        }
    if (matches == 1 && name[length] == '=' && match->has_arg == no_argument)
        return usage_error(command, "option '--%s' takes no value", match->name);
    if (matches > 1)
        return usage_error(command, "ambiguous option '%s' (abbreviates several)", element);
    return usage_error(command, "unknown option '%s'", element);
}

int parse_command_line(const command_line *line, int argc, char *argv[], void *settings,
                       const char **operand) {
    /* Silent, since option_error words the messages; from the start, since
     * getopt_long keeps its place between calls. */
    opterr = 0;
    optind = 1;
    int option;
    /* The leading ':' tells a missing value (':') from an unknown option. */
    while ((option = getopt_long(argc, argv, ":h", line->options, NULL)) != -1) {
        if (option == 'h') {
            line->help();
            return HELP_SHOWN;
        }
        if (option == '?' || option == ':' || !line->take)
            return option_error(line->command, option, argv, line->options);
        const int status = line->take(settings, option, optarg);
        if (status != EXIT_OK)
            return status;
    }
    if (line->operand) {
        if (optind == argc)
            return usage_error(line->command, "missing the %s file", line->operand);
        *operand = argv[optind++];
    }
    if (optind < argc)
        return usage_error(line->command, "unexpected argument '%s'", argv[optind]);
    return EXIT_OK;
}

/* strtoull accepts leading blanks and a minus sign (negating the value);
 * a size on the command line has neither. */
static bool parse_unsigned(const char *text, unsigned long long *out) {
    if (!text || !isdigit((unsigned char)text[0]))
        return false;
    char *end;
    errno = 0;
    const unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = value;
    return true;
}

bool parse_size(const char *text, size_t min, size_t max, size_t *out) {
    unsigned long long value;
    if (!parse_unsigned(text, &value) || value < min || value > max)
        return false;
    *out = (size_t)value;
    return true;
}

bool parse_u64(const char *text, uint64_t *out) {
    unsigned long long value;
    if (!parse_unsigned(text, &value) || value > UINT64_MAX)
        return false;
    *out = (uint64_t)value;
    return true;
}

bool parse_int(const char *text, int min, int max, int *out) {
    if (!text || text[0] == '\0' || isspace((unsigned char)text[0]))
        return false;
    char *end;
    errno = 0;
    const long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    *out = (int)value;
    return true;
}

bool parse_double(const char *text, double *out) {
    if (!text || text[0] == '\0' || isspace((unsigned char)text[0]))
        return false;
    char *end;
    errno = 0;
    const double value = strtod(text, &end);
    /* ERANGE on underflow too: 1e-400 is not a value anyone means. */
    if (errno != 0 || *end != '\0' || !isfinite(value))
        return false;
    *out = value;
    return true;
}

bool parse_float(const char *text, float *out) {
    double value;
    if (!parse_double(text, &value) || fabs(value) > FLT_MAX)
        return false;
    *out = (float)value;
    return true;
}

bool parse_size_list(const char *text, size_t min, size_t max, size_t *values, size_t capacity,
                     size_t *count) {
    if (!text)
        return false;
    size_t n = 0;
    for (const char *field = text;; n++) {
        const size_t length = strcspn(field, ",");
        char digits[32];
        if (n == capacity || length == 0 || length >= sizeof digits)
            return false;
        memcpy(digits, field, length);
        digits[length] = '\0';
        if (!parse_size(digits, min, max, &values[n]))
            return false;
        if (field[length] == '\0')
            break;
        field += length + 1;
    }
    *count = n + 1;
    return true;
}

bool parse_layers(const char *text, size_t **sizes, size_t *count) {
    if (!text)
        return false;
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    if (n < 2)
        return false;
    size_t *list = malloc(n * sizeof *list);
    if (!list || !parse_size_list(text, 1, INT_MAX, list, n, count)) {
        free(list);
        return false;
    }
    *sizes = list;
    return true;
}

bool parse_name(const name_value *table, const char *text, int *out) {
    for (; text && table->name; table++)
        if (strcmp(table->name, text) == 0 || (table->alias && strcmp(table->alias, text) == 0)) {
            *out = table->value;
            return true;
        }
    return false;
}

const char *name_of(const name_value *table, int value) {
    for (; table->name; table++)
        if (table->value == value)
            return table->name;
    return "?";
}

/* The table's names but *except's (with except not NULL) as "a, b or c", in
 * buf (truncated to size). */
static const char *name_list(const name_value *table, const int *except, char *buf, size_t size) {
    size_t count = 0;
    for (const name_value *entry = table; entry->name; entry++)
        count += !except || entry->value != *except;
    size_t used = 0, listed = 0;
    buf[0] = '\0';
    for (; table->name; table++) {
        if (except && table->value == *except)
            continue;
        const char *separator = listed == 0 ? "" : listed + 1 < count ? ", " : " or ";
        const int n = snprintf(buf + used, size - used, "%s%s", separator, table->name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
        listed++;
    }
    return buf;
}

static int name_error(const char *command, const char *option, const char *value,
                      const name_value *table, const int *except) {
    char list[160];
    return usage_error(command, "invalid %s '%s' (expected %s)", option, value,
                       name_list(table, except, list, sizeof list));
}

int bad_name(const char *command, const char *option, const char *value, const name_value *table) {
    return name_error(command, option, value, table, NULL);
}

int bad_name_except(const char *command, const char *option, const char *value,
                    const name_value *table, int except) {
    return name_error(command, option, value, table, &except);
}
