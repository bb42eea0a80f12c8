/* Loading CSV files into data sets: header rule, label and target columns, imputation, limits,
 * streaming. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backprop.h"
#include "data/dataset.h"
#include "data/input_limit.h"
#include "data/labels.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"
#include "support/file_io.h"

/* Labels above this are rejected by bp_dataset_load_csv, whose labels are
 * the classes themselves: a typo such as 1e9 would make a billion classes. */
#define MAX_LABEL 65535.0

/* bp_csv_options.max_classes when it is 0. */
#define DEFAULT_MAX_CLASSES 65536

/* The widest part of a bad field quoted in a message. */
#define QUOTED_CHARS 40

/* What a column of the file is. */
enum { ROLE_FEATURE, ROLE_SKIP, ROLE_LABEL };

typedef struct csv {
    const char *function; /* the entry point, for bp_errmsg() */
    const char *path;
    FILE *file;
    bp_csv_options o;
    bool legacy;    /* bp_dataset_load_csv: labels are integer classes 0..65535 */
    uint64_t limit; /* bytes of a line, and of the parsed data */
    size_t line;    /* 1-based number of the line last read */
    char *text;     /* that line */
    size_t text_capacity;
    size_t first_empty; /* an empty line seen since the last row, 0 if none */
    bool had_header;
    bool rows_seen;
    size_t columns;      /* of every row; 0 before the first line */
    size_t columns_line; /* the line that set columns */
    unsigned char *role; /* columns entries */
    size_t *target_of;   /* regression: the target index of each target column */
    size_t *feature_of;  /* the input index of each feature column */
    char **names[3];     /* with a header: feature, output and skipped names */
    bool drop_row;       /* the row being parsed has a missing label, to drop */
    size_t features, outputs;
    float *row;         /* features values of the row being parsed */
    float *row_targets; /* outputs values */
    uint32_t row_label;
    bp__labels labels;
    size_t missing; /* feature fields left to impute */
} csv;

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static void trim(const char **start, const char **end) {
    while (*start < *end && is_blank(**start))
        (*start)++;
    while (*end > *start && is_blank((*end)[-1]))
        (*end)--;
}

/* A message naming the line and column of the field [start, end). */
static int field_error(const csv *c, size_t column, const char *start, const char *end,
                       const char *problem) {
    const size_t length = (size_t)(end - start);
    return bp__fail(BP_EFORMAT, c->function, "%s, line %zu, column %zu: %s: \"%.*s%s\"", c->path,
                    c->line, column + 1, problem,
                    (int)(length < QUOTED_CHARS ? length : QUOTED_CHARS), start,
                    length > QUOTED_CHARS ? "..." : "");
}

/* Reads the next line into c->text without its line end. Returns 1, 0 at
 * the end of the file, or a negative code with its message: a line longer
 * than the limit, a CR that ends no CRLF, a NUL byte, a read error. */
static int read_line(csv *c, size_t *length) {
    char why[128]; /* an errno's description */
    size_t n = 0;
    int ch = EOF, rc = 1;
    bool cr = false, any = false;
    flockfile(c->file);
    while ((ch = getc_unlocked(c->file)) != EOF) {
        any = true;
        if (ch == '\n')
            break;
        if (cr) {
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s, line %zu: a CR byte inside the line: the file has CR line endings "
                          "(old Mac style); convert them to LF",
                          c->path, c->line + 1);
            break;
        }
        if (ch == '\r') {
            cr = true;
            continue;
        }
        if (ch == '\0') {
            rc =
                bp__fail(BP_EFORMAT, c->function, "%s, line %zu: a NUL byte", c->path, c->line + 1);
            break;
        }
        if ((uint64_t)n >= c->limit) {
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s, line %zu is longer than the limit of %llu bytes (max_input_bytes; "
                          "the command line's --max-input-bytes)",
                          c->path, c->line + 1, (unsigned long long)c->limit);
            break;
        }
        if (n + 2 > c->text_capacity) {
            size_t grown = c->text_capacity ? 2 * c->text_capacity : 256;
            char *moved = grown > c->text_capacity ? bp__realloc(c->text, grown) : NULL;
            if (!moved) {
                rc = bp__fail(BP_ENOMEM, c->function, "no memory for line %zu of %s", c->line + 1,
                              c->path);
                break;
            }
            c->text = moved;
            c->text_capacity = grown;
        }
        c->text[n++] = (char)ch;
    }
    const bool read_error = ch == EOF && ferror(c->file);
    funlockfile(c->file);
    if (rc != 1)
        return rc;
    if (read_error)
        return bp__fail(BP_EIO, c->function, "cannot read %s: %s", c->path,
                        bp__strerror(errno ? errno : EIO, why, sizeof why));
    if (!any)
        return 0;
    if (!c->text) {
        c->text = bp__realloc(NULL, 256);
        if (!c->text)
            return bp__fail(BP_ENOMEM, c->function, "no memory for line %zu of %s", c->line + 1,
                            c->path);
        c->text_capacity = 256;
    }
    c->text[n] = '\0';
    c->line++;
    *length = n;
    return 1;
}

/* The end of the field starting at p: the next delimiter or the line's end. */
static const char *field_end(const csv *c, const char *p, const char *line_end) {
    const char *d = memchr(p, c->o.delimiter, (size_t)(line_end - p));
    return d ? d : line_end;
}

static size_t count_fields(const csv *c, const char *p, const char *end) {
    size_t n = 1;
    for (; (p = memchr(p, c->o.delimiter, (size_t)(end - p))) != NULL; p++)
        n++;
    return n;
}

/* Whether [start, end) (trimmed) is a decimal number as a whole. */
static bool is_number(const char *start, const char *end, double *value) {
    trim(&start, &end);
    if (start == end || memchr(start, 'x', (size_t)(end - start)) ||
        memchr(start, 'X', (size_t)(end - start)))
        return false;
    char buffer[64];
    if ((size_t)(end - start) >= sizeof buffer)
        return false; /* no number is written that long */
    memcpy(buffer, start, (size_t)(end - start));
    buffer[end - start] = '\0';
    char *stop;
    *value = strtod(buffer, &stop);
    return *stop == '\0' && isfinite(*value);
}

/* BP_CSV_HEADER_AUTO's verdict on a first line. */
enum { LINE_DATA, LINE_HEADER, LINE_AMBIGUOUS };

/* BP_CSV_HEADER_AUTO's rule: every non-empty field a word is a header; the
 * fields exactly 0, 1, .., k (empty fields aside) could be a header of
 * column numbers or a row, and is not guessed. */
static int header_verdict(const csv *c, const char *line, const char *line_end) {
    bool all_words = true, indices = true;
    size_t next_index = 0, non_empty = 0;
    for (const char *p = line;; p++) {
        const char *end = field_end(c, p, line_end), *s = p, *e = end;
        trim(&s, &e);
        if (s < e) {
            double v;
            const bool number = is_number(s, e, &v);
            all_words = all_words && !number;
            indices = indices && number && v == (double)next_index;
            next_index++;
            non_empty++;
        }
        if (end == line_end)
            break;
        p = end;
    }
    if (non_empty > 0 && all_words)
        return LINE_HEADER;
    return non_empty >= 2 && indices ? LINE_AMBIGUOUS : LINE_DATA;
}

/* Field [start, end) as a header name: trimmed, and without surrounding quotes. */
static void unquote_field(const char **start, const char **end) {
    trim(start, end);
    if (*end - *start >= 2 && **start == '"' && (*end)[-1] == '"') {
        (*start)++;
        (*end)--;
    }
}

/* The column a token of options->label names: "last", an index, or a
 * header name. */
static int resolve_column(const csv *c, const char *token, size_t length, const char *header,
                          const char *header_end, size_t *column) {
    if (length == 4 && memcmp(token, "last", 4) == 0) {
        *column = c->columns - 1;
        return BP_OK;
    }
    size_t digits = 0;
    while (digits < length && token[digits] >= '0' && token[digits] <= '9')
        digits++;
    if (digits == length && length > 0) {
        char number[32];
        snprintf(number, sizeof number, "%.*s", (int)(length < 31 ? length : 31), token);
        errno = 0;
        const unsigned long long value = strtoull(number, NULL, 10);
        *column = errno == ERANGE || length > 30 || value > SIZE_MAX ? SIZE_MAX : (size_t)value;
        if (*column >= c->columns)
            return bp__fail(BP_EINVAL, c->function,
                            c->legacy ? "label_column %zu (0-based) is past the %zu columns of %s"
                                      : "column %zu (0-based) is past the %zu columns of %s",
                            *column, c->columns, c->path);
        return BP_OK;
    }
    if (!header)
        return bp__fail(BP_EINVAL, c->function,
                        "the label column \"%.*s\" is a name, but %s has no header line",
                        (int)length, token, c->path);
    size_t index = 0, found = 0;
    for (const char *p = header;; p++, index++) {
        const char *end = field_end(c, p, header_end), *s = p, *e = end;
        unquote_field(&s, &e);
        if ((size_t)(e - s) == length && memcmp(s, token, length) == 0) {
            if (found++)
                return bp__fail(BP_EINVAL, c->function,
                                "%s: columns %zu and %zu of the header are both named \"%.*s\"; "
                                "a name cannot pick one of them",
                                c->path, *column + 1, index + 1, (int)length, token);
            *column = index;
        }
        if (end == header_end)
            break;
        p = end;
    }
    if (found)
        return BP_OK;
    return bp__fail(BP_EINVAL, c->function, "%s: no column of the header is named \"%.*s\"",
                    c->path, (int)length, token);
}

/* One block of n + 1 pointers (the last NULL) and the names of the columns
 * listed in pick, as the header has them. */
static char **name_block(const char *const *starts, const size_t *lengths, const size_t *pick,
                         size_t n) {
    size_t bytes = (n + 1) * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        bytes += lengths[pick[i]] + 1;
    char **block = bp__alloc(bytes);
    if (!block)
        return NULL;
    char *text = (char *)(block + n + 1);
    for (size_t i = 0; i < n; i++) {
        memcpy(text, starts[pick[i]], lengths[pick[i]]);
        text[lengths[pick[i]]] = '\0';
        block[i] = text;
        text += lengths[pick[i]] + 1;
    }
    block[n] = NULL;
    return block;
}

/* Whether column j's name is name. */
static bool named(const char *const *starts, const size_t *lengths, size_t j, const char *name) {
    return strlen(name) == lengths[j] && memcmp(starts[j], name, lengths[j]) == 0;
}

/* With options->feature_names and a header: feature_of[j] is the index of
 * column j's name among them. */
static int match_features(csv *c, const char *const *starts, const size_t *lengths) {
    const size_t want = c->o.feature_count;
    bool *used = bp__alloc_zeroed(want ? want : 1);
    if (!used)
        return bp__fail(BP_ENOMEM, c->function, "no memory for %zu names", want);
    int rc = BP_OK;
    for (size_t j = 0; rc == BP_OK && j < c->columns; j++) {
        if (c->role[j] != ROLE_FEATURE)
            continue;
        size_t k = 0;
        while (k < want && !named(starts, lengths, j, c->o.feature_names[k]))
            k++;
        if (k == want)
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s: column %zu of the header, \"%.*s\", is not one of the model's %zu "
                          "inputs",
                          c->path, j + 1, (int)lengths[j], starts[j], want);
        else if (used[k])
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s: two columns of the header are named \"%s\"; a name cannot pick one "
                          "of them",
                          c->path, c->o.feature_names[k]);
        else {
            used[k] = true;
            c->feature_of[j] = k;
        }
    }
    for (size_t k = 0; rc == BP_OK && k < want; k++)
        if (!used[k])
            rc = bp__fail(BP_EFORMAT, c->function,
                          "%s: no column of the header is named \"%s\", input %zu of the model",
                          c->path, c->o.feature_names[k], k + 1);
    bp__free(used);
    return rc;
}

/* The header's names: of the features (in input order), of the label or
 * targets, and of the skipped columns. */
static int keep_names(csv *c, const char *line, const char *line_end) {
    const size_t columns = c->columns;
    const char **starts = bp__alloc(columns * sizeof *starts);
    size_t *lengths = bp__alloc(columns * sizeof *lengths);
    size_t *pick = bp__alloc(3 * columns * sizeof *pick);
    int rc = starts && lengths && pick
                 ? BP_OK
                 : bp__fail(BP_ENOMEM, c->function, "no memory for %zu names", columns);
    if (rc == BP_OK) {
        size_t j = 0;
        for (const char *p = line;; p++, j++) {
            const char *end = field_end(c, p, line_end), *s = p, *e = end;
            unquote_field(&s, &e);
            starts[j] = s;
            lengths[j] = (size_t)(e - s);
            if (end == line_end)
                break;
            p = end;
        }
    }
    if (rc == BP_OK && c->o.feature_names)
        rc = match_features(c, (const char *const *)starts, lengths);
    if (rc == BP_OK) {
        size_t *feature = pick, *output = pick + columns, *skipped = pick + 2 * columns;
        size_t n_feature = 0, n_output = 0, n_skipped = 0;
        for (size_t j = 0; j < columns; j++) {
            if (c->role[j] == ROLE_FEATURE)
                feature[c->feature_of[j]] = j, n_feature++;
            else if (c->role[j] == ROLE_LABEL)
                output[c->target_of[j]] = j, n_output++;
            else
                skipped[n_skipped++] = j;
        }
        c->names[0] = name_block(starts, lengths, feature, n_feature);
        c->names[1] = name_block(starts, lengths, output, n_output);
        c->names[2] = name_block(starts, lengths, skipped, n_skipped);
        if (!c->names[0] || !c->names[1] || !c->names[2])
            rc = bp__fail(BP_ENOMEM, c->function, "no memory for %zu names", columns);
    }
    bp__free(starts);
    bp__free(lengths);
    bp__free(pick);
    return rc;
}

/* Features only, by name, with a header: the columns whose header names
 * are among options->label's (comma-separated) are left out when the file
 * has them, as a file laid out for training still holds its label. A name
 * the header lacks is no error: that file has no label. */
static void skip_named_labels(csv *c, const char *line, const char *line_end) {
    for (const char *p = c->o.label;; p++) {
        const char *end = p + strcspn(p, ","), *s = p, *e = end;
        unquote_field(&s, &e);
        size_t index = 0;
        for (const char *f = line;; f++, index++) {
            const char *f_end = field_end(c, f, line_end), *fs = f, *fe = f_end;
            unquote_field(&fs, &fe);
            if (fe - fs == e - s && e > s && memcmp(fs, s, (size_t)(e - s)) == 0 &&
                c->role[index] == ROLE_FEATURE)
                c->role[index] = ROLE_SKIP;
            if (f_end == line_end)
                break;
            f = f_end;
        }
        if (!*end)
            break;
        p = end;
    }
}

/* Sets the columns' roles from the first line (a header or a row). */
static int setup_columns(csv *c, const char *line, const char *line_end, bool header) {
    c->columns = count_fields(c, line, line_end);
    c->columns_line = c->line;
    const size_t columns = c->columns;
    c->role = bp__alloc_zeroed(columns);
    c->target_of = bp__alloc_zeroed(columns * sizeof(size_t));
    c->feature_of = bp__alloc_zeroed(columns * sizeof(size_t));
    if (!c->role || !c->target_of || !c->feature_of)
        return bp__fail(BP_ENOMEM, c->function, "no memory for %zu columns", columns);
    if (c->o.skip_columns >= columns)
        return bp__fail(BP_EINVAL, c->function, "skipping %zu columns leaves none of the %zu of %s",
                        c->o.skip_columns, columns, c->path);
    for (size_t j = 0; j < c->o.skip_columns; j++)
        c->role[j] = ROLE_SKIP;
    if (!c->o.features_only) {
        const char *spec = c->o.label ? c->o.label : "0";
        for (const char *p = spec;; p++) {
            const char *end = p + strcspn(p, ","), *s = p, *e = end;
            unquote_field(&s, &e);
            size_t column = 0;
            int rc = resolve_column(c, s, (size_t)(e - s), header ? line : NULL, line_end, &column);
            if (rc != BP_OK)
                return rc;
            if (c->role[column] != ROLE_FEATURE)
                return bp__fail(BP_EINVAL, c->function, "column %zu is %s", column,
                                c->role[column] == ROLE_SKIP ? "skipped" : "named twice");
            c->role[column] = ROLE_LABEL;
            c->target_of[column] = c->outputs++;
            if (!*end)
                break;
            p = end;
        }
        if (c->o.task == BP_TASK_CLASSIFICATION && c->outputs != 1)
            return bp__fail(BP_EINVAL, c->function,
                            "classification takes one label column; \"%s\" names %zu", spec,
                            c->outputs);
    } else if (header && c->o.feature_names && c->o.label)
        skip_named_labels(c, line, line_end);
    for (size_t j = 0; j < columns; j++)
        if (c->role[j] == ROLE_FEATURE)
            c->feature_of[j] = c->features++;
    if (c->features == 0)
        return bp__fail(BP_EFORMAT, c->function,
                        c->legacy ? "%s, line %zu: 1 column; need a label and at least one feature"
                                  : "%s, line %zu: no feature column left",
                        c->path, c->line);
    if (c->o.feature_names && !header && c->features != c->o.feature_count)
        return bp__fail(BP_EFORMAT, c->function,
                        "%s, line %zu: %zu feature columns; the model takes %zu", c->path, c->line,
                        c->features, c->o.feature_count);
    if (header) {
        int rc = keep_names(c, line, line_end);
        if (rc != BP_OK)
            return rc;
    }
    if (c->o.task == BP_TASK_CLASSIFICATION)
        c->outputs = 0;
    c->row = bp__alloc(c->features * sizeof(float));
    c->row_targets = bp__alloc((c->outputs ? c->outputs : 1) * sizeof(float));
    if (!c->row || !c->row_targets)
        return bp__fail(BP_ENOMEM, c->function, "no memory for a row of %zu columns", columns);
    return BP_OK;
}

/* A missing value, when imputation is on: empty, NA, N/A, NaN or ?. */
static bool is_missing(const char *start, size_t length) {
    static const char *const words[] = {"", "NA", "N/A", "NaN", "nan", "?"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == length && memcmp(words[i], start, length) == 0)
            return true;
    return false;
}

/* Parses a feature or target field into *value. */
static int parse_number_field(csv *c, size_t column, const char *p, const char *end,
                              bool may_impute, float *value) {
    const char *s = p, *e = end;
    trim(&s, &e);
    if (may_impute && c->o.impute_mean && is_missing(s, (size_t)(e - s))) {
        *value = NAN;
        c->missing++;
        return BP_OK;
    }
    if (s == e)
        return field_error(c, column, p, end, "empty field");
    char *stop;
    errno = 0;
    /* strtof stops at the delimiter or the line's end: no copy needed. */
    const float v = strtof(s, &stop);
    if (stop != e)
        return field_error(c, column, p, end, "not a number");
    if (memchr(s, 'x', (size_t)(e - s)) || memchr(s, 'X', (size_t)(e - s)))
        return field_error(c, column, p, end, "not a decimal number (hexadecimal is not read)");
    if (!isfinite(v))
        return field_error(c, column, p, end, "not a finite number (or out of a float's range)");
    if (errno == ERANGE && v == 0.0f)
        return field_error(c, column, p, end, "too small for a float (out of range)");
    *value = v;
    return BP_OK;
}

/* Parses the label field of a classification row into c->row_label. */
static int parse_label(csv *c, size_t column, const char *p, const char *end) {
    if (c->legacy) {
        float unused;
        const char *s = p, *e = end;
        trim(&s, &e);
        char *stop;
        const double v = s < e ? strtod(s, &stop) : 0.0;
        if (s == e || stop != e || memchr(s, 'x', (size_t)(e - s)))
            return parse_number_field(c, column, p, end, false, &unused);
        if (!isfinite(v))
            return field_error(c, column, p, end, "not a finite number");
        if (v < 0 || v > MAX_LABEL || v != floor(v))
            return field_error(c, column, p, end, "the label is not an integer from 0 to 65535");
        c->row_label = (uint32_t)v;
        return BP_OK;
    }
    const char *s = p, *e = end;
    unquote_field(&s, &e);
    if (c->o.drop_missing_labels && bp__label_is_missing(s, (size_t)(e - s))) {
        c->drop_row = true;
        return BP_OK;
    }
    const size_t max = c->o.max_classes ? c->o.max_classes : DEFAULT_MAX_CLASSES;
    int rc = bp__labels_add(&c->labels, s, (size_t)(e - s), max, &c->row_label, c->function);
    if (rc != BP_OK) {
        char why[256]; /* the message names no place: add it */
        snprintf(why, sizeof why, "%s", bp_errmsg() + strlen(c->function) + 2);
        return bp__fail(rc, c->function, "%s, line %zu, column %zu: %s", c->path, c->line,
                        column + 1, why);
    }
    return BP_OK;
}

/* Parses one data row into c->row, c->row_targets and c->row_label. */
static int parse_row(csv *c, const char *line, const char *line_end) {
    const size_t columns = count_fields(c, line, line_end);
    if (columns != c->columns)
        return bp__fail(BP_EFORMAT, c->function, "%s, line %zu: %zu columns, but line %zu has %zu",
                        c->path, c->line, columns, c->columns_line, c->columns);
    if (c->had_header && !c->rows_seen)
        c->columns_line = c->line; /* name a data row in later messages */
    c->rows_seen = true;
    c->drop_row = false;
    const char *p = line;
    for (size_t column = 0; column < columns; column++, p++) {
        const char *end = field_end(c, p, line_end);
        int rc = BP_OK;
        if (c->role[column] == ROLE_FEATURE)
            rc = parse_number_field(c, column, p, end, true, &c->row[c->feature_of[column]]);
        else if (c->role[column] == ROLE_LABEL && c->o.task == BP_TASK_REGRESSION)
            rc =
                parse_number_field(c, column, p, end, false, &c->row_targets[c->target_of[column]]);
        else if (c->role[column] == ROLE_LABEL)
            rc = parse_label(c, column, p, end);
        if (rc != BP_OK)
            return rc;
        p = end;
    }
    return BP_OK;
}

/* Reads lines up to the next data row and parses it. Returns 1 for a row,
 * 0 at the end of the file, or a negative code. */
static int next_row(csv *c) {
    for (;;) {
        size_t length = 0;
        int rc = read_line(c, &length);
        if (rc <= 0)
            return rc;
        char *text = c->text, *text_end = c->text + length;
        /* A byte-order mark from a Windows editor would make row 1 a "header". */
        if (c->line == 1 && length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        const char *s = text, *e = text_end;
        trim(&s, &e);
        if (s == e) {
            c->first_empty = c->first_empty ? c->first_empty : c->line;
            continue;
        }
        if (c->first_empty)
            return bp__fail(BP_EFORMAT, c->function,
                            "%s, line %zu: empty line before more data (line %zu)", c->path,
                            c->first_empty, c->line);
        if (c->columns == 0) {
            const int verdict = c->o.header == BP_CSV_HEADER_PRESENT ? LINE_HEADER
                                : c->o.header == BP_CSV_HEADER_ABSENT
                                    ? LINE_DATA
                                    : header_verdict(c, text, text_end);
            if (verdict == LINE_AMBIGUOUS)
                return bp__fail(BP_EFORMAT, c->function,
                                "%s, line %zu: \"%.*s%s\" could be a header of column numbers or "
                                "a row of data; say which (the command line's --header or "
                                "--no-header; bp_csv_options.header)",
                                c->path, c->line,
                                (int)(length < QUOTED_CHARS ? length : QUOTED_CHARS), text,
                                length > QUOTED_CHARS ? "..." : "");
            const bool header = verdict == LINE_HEADER;
            rc = setup_columns(c, text, text_end, header);
            if (rc != BP_OK)
                return rc;
            if (header) {
                c->had_header = true;
                continue;
            }
        }
        rc = parse_row(c, text, text_end);
        if (rc == BP_OK && c->drop_row)
            continue;
        return rc == BP_OK ? 1 : rc;
    }
}

static int check_options(const bp_csv_options *o, const char *function) {
    int rc = BP__CHECK_RESERVED(o, "options->reserved", function);
    if (rc != BP_OK)
        return rc;
    const char d = o->delimiter;
    if (d == '\n' || d == '\r' || d == '"' || d == '\0' || d == ' ' || d == '.' || d == '-' ||
        d == '+' || (d >= '0' && d <= '9'))
        return bp__fail(BP_EINVAL, function, "the delimiter 0x%02x cannot separate numbers",
                        (unsigned char)d);
    if (o->header != BP_CSV_HEADER_AUTO && o->header != BP_CSV_HEADER_PRESENT &&
        o->header != BP_CSV_HEADER_ABSENT)
        return bp__fail(BP_EINVAL, function, "unknown header choice %d", (int)o->header);
    if (o->task != BP_TASK_CLASSIFICATION && o->task != BP_TASK_REGRESSION)
        return bp__fail(BP_EINVAL, function, "unknown task %d", (int)o->task);
    if (o->class_names && o->classes == 0)
        return bp__fail(BP_EINVAL, function, "class_names with 0 classes");
    if (o->feature_names && o->feature_count == 0)
        return bp__fail(BP_EINVAL, function, "feature_names with 0 features");
    for (size_t k = 0; o->feature_names && k < o->feature_count; k++)
        if (!o->feature_names[k])
            return bp__fail(BP_EINVAL, function, "feature_names[%zu] is NULL", k);
    return BP_OK;
}

static void close_csv(csv *c) {
    if (c->file)
        fclose(c->file); /* read-only: nothing left to report */
    bp__free(c->text);
    bp__free(c->role);
    bp__free(c->target_of);
    bp__free(c->feature_of);
    for (size_t i = 0; i < 3; i++)
        bp__free(c->names[i]);
    bp__free(c->row);
    bp__free(c->row_targets);
    bp__labels_free(&c->labels);
    *c = (csv){0};
}

/* Sets up c over file (which it then owns) with the options. */
static int open_csv(csv *c, FILE *file, const char *path, const bp_csv_options *options,
                    const char *function) {
    *c = (csv){.function = function, .path = path, .file = file};
    bp_csv_options_default(&c->o);
    if (options)
        c->o = *options;
    int rc = check_options(&c->o, function);
    if (rc != BP_OK)
        return rc;
    c->limit = c->o.max_input_bytes ? c->o.max_input_bytes : bp_input_limit_default();
    if (c->o.class_names && c->o.task == BP_TASK_CLASSIFICATION && !c->o.features_only)
        return bp__labels_from_names(&c->labels, c->o.class_names, c->o.classes, function);
    return BP_OK;
}

/* The growing arrays of a load. */
typedef struct arrays {
    size_t rows, capacity;
    float *inputs, *targets;
    uint32_t *labels;
} arrays;

static void free_arrays(arrays *a) {
    bp__free(a->inputs);
    bp__free(a->targets);
    bp__free(a->labels);
}

/* Room for one more row: a quarter more each time, within the limit. */
static int reserve_row(csv *c, arrays *a) {
    const size_t row_bytes =
        (c->features + c->outputs) * sizeof(float) + (c->outputs ? 0 : sizeof(uint32_t));
    if ((uint64_t)a->rows * row_bytes + row_bytes > c->limit)
        return bp__fail(BP_EFORMAT, c->function,
                        "%s, line %zu: the data passes the limit of %llu bytes (max_input_bytes; "
                        "the command line's --max-input-bytes)",
                        c->path, c->line, (unsigned long long)c->limit);
    if (a->rows < a->capacity)
        return BP_OK;
    const size_t grown = a->capacity + a->capacity / 4 + 16;
    size_t input_bytes, target_bytes;
    if (!bp__mul_size(grown, c->features * sizeof(float), &input_bytes) ||
        !bp__mul_size(grown, (c->outputs ? c->outputs : 1) * sizeof(float), &target_bytes))
        return bp__fail(BP_ENOMEM, c->function, "%s: more rows than memory can hold", c->path);
    float *inputs = bp__realloc(a->inputs, input_bytes);
    if (inputs)
        a->inputs = inputs;
    void *second = NULL;
    if (inputs && c->outputs) {
        second = bp__realloc(a->targets, target_bytes);
        if (second)
            a->targets = second;
    } else if (inputs && !c->o.features_only) {
        second = bp__realloc(a->labels, grown * sizeof(uint32_t));
        if (second)
            a->labels = second;
    } else if (inputs) {
        second = inputs;
    }
    if (!inputs || !second)
        return bp__fail(BP_ENOMEM, c->function, "no memory for %zu rows of %s", grown, c->path);
    a->capacity = grown;
    return BP_OK;
}

/* Replaces the NaN of missing features by their column's mean. */
static int impute(csv *c, arrays *a) {
    const size_t f = c->features;
    for (size_t j = 0; j < f; j++) {
        double sum = 0.0;
        size_t present = 0;
        for (size_t i = 0; i < a->rows; i++)
            if (!isnan(a->inputs[i * f + j])) {
                sum += a->inputs[i * f + j];
                present++;
            }
        if (present == 0)
            return bp__fail(BP_EFORMAT, c->function,
                            "%s: feature %zu has no value in any row to impute from", c->path, j);
        const float mean = (float)(sum / (double)present);
        for (size_t i = 0; i < a->rows; i++)
            if (isnan(a->inputs[i * f + j]))
                a->inputs[i * f + j] = mean;
    }
    return BP_OK;
}

/* Makes the classes dense and sorted, and names them. */
static int finish_labels(csv *c, arrays *a, bp_dataset *out) {
    if (c->legacy) {
        out->classes = bp__dataset_classes(a->labels, a->rows);
        return BP_OK;
    }
    const size_t count = c->labels.count;
    uint32_t *class_of = bp__alloc(count * sizeof(uint32_t));
    if (!class_of)
        return bp__fail(BP_ENOMEM, c->function, "no memory for %zu classes", count);
    int rc = bp__labels_finish(&c->labels, class_of, &out->class_names, c->function);
    if (rc == BP_OK)
        for (size_t i = 0; i < a->rows; i++)
            a->labels[i] = class_of[a->labels[i]];
    bp__free(class_of);
    out->classes = count;
    return rc;
}

/* Reads every row of the open c into *out. */
static int load_all(csv *c, bp_dataset *out) {
    arrays a = {0};
    int rc;
    while ((rc = next_row(c)) == 1) {
        if ((rc = reserve_row(c, &a)) != BP_OK)
            break;
        memcpy(a.inputs + a.rows * c->features, c->row, c->features * sizeof(float));
        if (c->outputs)
            memcpy(a.targets + a.rows * c->outputs, c->row_targets, c->outputs * sizeof(float));
        else if (!c->o.features_only)
            a.labels[a.rows] = c->row_label;
        a.rows++;
    }
    if (rc == BP_OK && a.rows == 0)
        rc = bp__fail(BP_EFORMAT, c->function, "%s: %s", c->path,
                      c->had_header ? "a header but no rows of data" : "no rows of data");
    if (rc == BP_OK && c->missing)
        rc = impute(c, &a);
    bp_dataset set = {.count = a.rows, .features = c->features, .header = c->had_header};
    if (rc == BP_OK && a.labels)
        rc = finish_labels(c, &a, &set);
    if (rc != BP_OK) {
        bp__free(set.class_names);
        free_arrays(&a);
        return rc;
    }
    /* Give back the growth's slack (in place for large blocks). */
    float *shrunk = bp__realloc(a.inputs, a.rows * c->features * sizeof(float));
    set.inputs = shrunk ? shrunk : a.inputs;
    set.labels = a.labels;
    set.targets = a.targets;
    set.outputs = c->outputs;
    set.feature_names = c->names[0];
    set.output_names = c->names[1];
    set.skipped_names = c->names[2];
    c->names[0] = c->names[1] = c->names[2] = NULL;
    *out = set;
    return BP_OK;
}

/* Opens path for reading, or fails naming it. */
static int open_file(FILE **file, const char *path, const char *function) {
    char why[128]; /* an errno's description */
    *file = fopen(path, "r");
    if (!*file)
        return bp__fail(BP_EIO, function, "cannot open %s: %s", path,
                        bp__strerror(errno, why, sizeof why));
    return BP_OK;
}

static int open_memory(FILE **file, const void *data, size_t size, const char *function) {
    char why[128]; /* an errno's description */
    /* Mode "r" never writes to the buffer. */
    *file = fmemopen(data ? (void *)data : (void *)"", size, "r");
    if (!*file)
        return bp__fail(errno == ENOMEM ? BP_ENOMEM : BP_EIO, function,
                        "cannot read <memory> as a stream: %s",
                        bp__strerror(errno, why, sizeof why));
    return BP_OK;
}

/* The load shared by every entry point, over an opened file. */
static int load(bp_dataset *out, FILE *file, const char *path, const bp_csv_options *options,
                bool legacy, const char *function) {
    csv c;
    int rc = open_csv(&c, file, path, options, function);
    c.legacy = legacy;
    if (rc == BP_OK)
        rc = load_all(&c, out);
    close_csv(&c);
    return rc;
}

void bp_csv_options_default(bp_csv_options *options) {
    if (options)
        *options = (bp_csv_options){.delimiter = ','};
}

uint64_t bp_input_limit_default(void) { return bp__input_limit_default(); }

/* The options bp_dataset_load_csv reads with: the label in column
 * label_column (written into spec), the rest the defaults. */
static bp_csv_options legacy_options(char *spec, size_t capacity, size_t label_column) {
    snprintf(spec, capacity, "%zu", label_column);
    bp_csv_options o;
    bp_csv_options_default(&o);
    o.label = spec;
    return o;
}

int bp_dataset_load_csv(bp_dataset *out, const char *path, size_t label_column) {
    static const char *const fn = "bp_dataset_load_csv";
    if (out)
        *out = (bp_dataset){0}; /* left empty on every failure */
    if (!out || !path)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "path");
    char spec[24];
    const bp_csv_options o = legacy_options(spec, sizeof spec, label_column);
    FILE *file;
    int rc = open_file(&file, path, fn);
    return rc == BP_OK ? load(out, file, path, &o, true, fn) : rc;
}

int bp_dataset_load_csv_memory(bp_dataset *out, const void *data, size_t size,
                               size_t label_column) {
    const char *fn = __func__;
    if (out)
        *out = (bp_dataset){0};
    if (!out || (!data && size > 0))
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "data");
    char spec[24];
    const bp_csv_options o = legacy_options(spec, sizeof spec, label_column);
    FILE *file;
    int rc = open_memory(&file, data, size, fn);
    return rc == BP_OK ? load(out, file, "<memory>", &o, true, fn) : rc;
}

int bp_dataset_load_csv_with(bp_dataset *out, const char *path, const bp_csv_options *options) {
    const char *fn = __func__;
    if (out)
        *out = (bp_dataset){0};
    if (!out || !path)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "path");
    FILE *file;
    int rc = open_file(&file, path, fn);
    return rc == BP_OK ? load(out, file, path, options, false, fn) : rc;
}

int bp_dataset_load_csv_memory_with(bp_dataset *out, const void *data, size_t size,
                                    const bp_csv_options *options) {
    const char *fn = __func__;
    if (out)
        *out = (bp_dataset){0};
    if (!out || (!data && size > 0))
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "data");
    FILE *file;
    int rc = open_memory(&file, data, size, fn);
    return rc == BP_OK ? load(out, file, "<memory>", options, false, fn) : rc;
}

struct bp_csv_reader {
    csv c;
    bool pending; /* c.row holds a row not yet handed out */
    bool done;
};

int bp_csv_reader_open(bp_csv_reader **out, const char *path, const bp_csv_options *options) {
    const char *fn = __func__;
    if (out)
        *out = NULL;
    if (!out || !path)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "path");
    if (options && options->impute_mean)
        return bp__fail(BP_EINVAL, fn, "impute_mean needs the whole file; load it instead");
    bp_csv_reader *r = bp__alloc_zeroed(sizeof *r);
    if (!r)
        return bp__fail(BP_ENOMEM, fn, "no memory for a reader");
    FILE *file;
    int rc = open_file(&file, path, fn);
    if (rc == BP_OK) {
        rc = open_csv(&r->c, file, path, options, fn);
        r->c.o.features_only = true;
        r->c.o.impute_mean = false;
    }
    if (rc == BP_OK) {
        rc = next_row(&r->c);
        if (rc == 0)
            rc = bp__fail(BP_EFORMAT, fn, "%s: %s", path,
                          r->c.had_header ? "a header but no rows of data" : "no rows of data");
        if (rc == 1) {
            r->pending = true;
            rc = BP_OK;
        }
    }
    if (rc != BP_OK) {
        close_csv(&r->c);
        bp__free(r);
        return rc;
    }
    *out = r;
    return BP_OK;
}

size_t bp_csv_reader_features(const bp_csv_reader *reader) {
    return reader ? reader->c.features : 0;
}

int bp_csv_reader_header(const bp_csv_reader *reader) { return reader && reader->c.had_header; }

int bp_csv_reader_read(bp_csv_reader *reader, float *inputs, size_t max_rows, size_t *rows,
                       size_t *line) {
    const char *fn = __func__;
    if (!reader || !inputs || !rows)
        return bp__fail(BP_EINVAL, fn, "%s is NULL",
                        !reader   ? "reader"
                        : !inputs ? "inputs"
                                  : "rows");
    if (max_rows == 0)
        return bp__fail(BP_EINVAL, fn, "max_rows is 0");
    *rows = 0;
    csv *c = &reader->c;
    c->function = fn;
    size_t n = 0;
    while (n < max_rows && !reader->done) {
        if (!reader->pending) {
            const int rc = next_row(c);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                reader->done = true;
                break;
            }
        }
        reader->pending = false;
        if (n == 0 && line)
            *line = c->line;
        memcpy(inputs + n * c->features, c->row, c->features * sizeof(float));
        n++;
    }
    *rows = n;
    return BP_OK;
}

void bp_csv_reader_close(bp_csv_reader *reader) {
    if (!reader)
        return;
    close_csv(&reader->c);
    bp__free(reader);
}
