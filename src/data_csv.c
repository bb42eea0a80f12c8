/* Loading a CSV file of numbers, one labeled example per line, into a data set. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backprop.h"
#include "dataset.h"
#include "error.h"
#include "file_io.h"

/* Labels above this are rejected: a typo such as 1e9 in the label column
 * would otherwise make a billion classes, and one-hot rows that wide. */
#define MAX_LABEL 65535.0

/* Rows the arrays first have room for; doubled as rows arrive. Small, so
 * that memory grows with the rows actually read: one hostile line of a
 * million commas must not reserve room for hundreds of such rows. */
#define FIRST_ROWS 2

/* The widest part of a bad field quoted in a message. */
#define QUOTED_CHARS 40

static const char *const fn = "bp_dataset_load_csv";

typedef struct csv_reader {
    const char *function; /* the entry point, for bp_errmsg() */
    const char *path;
    size_t label_column;
    size_t line;         /* 1-based number of the line being read */
    size_t columns;      /* of every row; 0 before the first */
    size_t columns_line; /* the line that set columns */
    size_t rows;         /* stored */
    size_t capacity;     /* rows the arrays have room for */
    float *inputs;
    uint32_t *labels;
} csv_reader;

typedef enum field_status {
    FIELD_OK,
    FIELD_EMPTY,
    FIELD_NOT_NUMBER,
    FIELD_NOT_FINITE
} field_status;

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Parses the field [start, end) (end is at a ',' or the line's end) as a
 * number, in float precision for a feature and double for a label, with
 * blanks allowed around it. NaN, infinities and values past the type's range
 * are not finite, and rejected: they would poison every sum of training. */
static field_status parse_field(const char *start, const char *end, bool as_float, double *value) {
    while (start < end && is_blank(*start))
        start++;
    while (end > start && is_blank(end[-1]))
        end--;
    if (start == end)
        return FIELD_EMPTY;
    char *stop;
    /* strtof/strtod stop at the ',' that ends the field, so the line need
     * not be cut into strings. */
    *value = as_float ? (double)strtof(start, &stop) : strtod(start, &stop);
    if (stop != end)
        return FIELD_NOT_NUMBER;
    if (!isfinite(*value))
        return FIELD_NOT_FINITE;
    return FIELD_OK;
}

static const char *field_end(const char *p) { return p + strcspn(p, ","); }

static size_t count_columns(const char *line) {
    size_t n = 1;
    for (; *line; line++)
        n += *line == ',';
    return n;
}

/* Whether the first line is a header: some field of it is a word, text
 * where no number even begins ("label", "pixel1"). A field that starts as a
 * number but is not one ("3a", "nan", "1e99", an empty field) is a mistake
 * in a data row, and left to the row's own checks to report. */
static bool is_header(const char *line) {
    for (const char *p = line;; p++) {
        const char *end = field_end(p);
        const char *start = p;
        while (start < end && is_blank(*start))
            start++;
        char *after;
        (void)strtod(start, &after); /* stops at the comma or the end */
        if (start < end && after == start)
            return true;
        if (!*end)
            return false;
        p = end;
    }
}

static bool is_blank_line(const char *line) {
    while (is_blank(*line))
        line++;
    return *line == '\0';
}

static int field_error(const csv_reader *r, size_t column, const char *start, const char *end,
                       const char *problem) {
    const size_t length = (size_t)(end - start);
    return bp__fail(BP_EFORMAT, r->function, "%s, line %zu, column %zu: %s: \"%.*s%s\"", r->path,
                    r->line, column + 1, problem,
                    (int)(length < QUOTED_CHARS ? length : QUOTED_CHARS), start,
                    length > QUOTED_CHARS ? "..." : "");
}

/* Makes room for one more row, doubling the arrays. */
static int reserve_row(csv_reader *r) {
    if (r->rows < r->capacity)
        return BP_OK;
    const size_t features = r->columns - 1;
    size_t grown, floats, input_bytes, label_bytes;
    if (!bp__mul_size(r->capacity ? r->capacity : FIRST_ROWS / 2, 2, &grown) ||
        !bp__mul_size(grown, features, &floats) ||
        !bp__mul_size(floats, sizeof(float), &input_bytes) ||
        !bp__mul_size(grown, sizeof(uint32_t), &label_bytes))
        return bp__fail(BP_ENOMEM, r->function, "%s: more rows than memory can hold", r->path);
    if (!bp__dataset_resize((void **)&r->inputs, r->rows * features * sizeof(float), input_bytes) ||
        !bp__dataset_resize((void **)&r->labels, r->rows * sizeof(uint32_t), label_bytes))
        return bp__fail(BP_ENOMEM, r->function, "no memory for %zu rows of %s", grown, r->path);
    r->capacity = grown;
    return BP_OK;
}

/* Parses one row of data into the arrays. */
static int store_row(csv_reader *r, const char *line) {
    const size_t columns = count_columns(line);
    if (r->columns == 0) {
        if (columns < 2)
            return bp__fail(BP_EFORMAT, r->function,
                            "%s, line %zu: 1 column; need a label and at least one feature",
                            r->path, r->line);
        if (r->label_column >= columns)
            return bp__fail(BP_EINVAL, r->function,
                            "label_column %zu (0-based) is past the %zu columns of %s",
                            r->label_column, columns, r->path);
        r->columns = columns;
        r->columns_line = r->line;
    } else if (columns != r->columns) {
        return bp__fail(BP_EFORMAT, r->function, "%s, line %zu: %zu columns, but line %zu has %zu",
                        r->path, r->line, columns, r->columns_line, r->columns);
    }
    const int rc = reserve_row(r);
    if (rc != BP_OK)
        return rc;

    float *row = r->inputs + r->rows * (r->columns - 1);
    const char *p = line;
    for (size_t column = 0; column < columns; column++, p++) {
        const char *end = field_end(p);
        const bool is_label = column == r->label_column;
        double value;
        switch (parse_field(p, end, !is_label, &value)) {
        case FIELD_OK:
            break;
        case FIELD_EMPTY:
            return field_error(r, column, p, end, "empty field");
        case FIELD_NOT_NUMBER:
            return field_error(r, column, p, end, "not a number");
        case FIELD_NOT_FINITE:
            return field_error(r, column, p, end, "not a finite number");
        }
        if (is_label) {
            if (value < 0 || value > MAX_LABEL || value != floor(value))
                return field_error(r, column, p, end,
                                   "the label is not an integer from 0 to 65535");
            r->labels[r->rows] = (uint32_t)value;
        } else {
            *row++ = (float)value; /* exact: the value came from strtof */
        }
        p = end;
    }
    r->rows++;
    return BP_OK;
}

/* Reads every line; the caller frees the arrays whatever the result. */
static int read_rows(csv_reader *r, FILE *file) {
    char why[128]; /* an errno's description */
    char *line = NULL;
    size_t line_capacity = 0;
    size_t first_empty = 0; /* an empty line seen since the last row, 0 if none */
    bool had_header = false;
    int rc = BP_OK;
    for (;;) {
        errno = 0;
        ssize_t length = bp__getline(&line, &line_capacity, file);
        if (length < 0) {
            if (!ferror(file) && errno == ENOMEM)
                rc = bp__fail(BP_ENOMEM, r->function, "no memory for line %zu of %s", r->line + 1,
                              r->path);
            else if (ferror(file))
                rc = bp__fail(BP_EIO, r->function, "cannot read %s: %s", r->path,
                              bp__strerror(errno ? errno : EIO, why, sizeof why));
            break;
        }
        r->line++;
        if (length > 0 && line[length - 1] == '\n')
            line[--length] = '\0';
        if (length > 0 && line[length - 1] == '\r')
            line[--length] = '\0';
        if (strlen(line) != (size_t)length) {
            rc = bp__fail(BP_EFORMAT, r->function, "%s, line %zu: a NUL byte", r->path, r->line);
            break;
        }
        char *text = line;
        /* A byte-order mark from a Windows editor would make row 1 a "header". */
        if (r->line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        if (is_blank_line(text)) {
            first_empty = first_empty ? first_empty : r->line;
            continue;
        }
        if (first_empty) {
            rc = bp__fail(BP_EFORMAT, r->function,
                          "%s, line %zu: empty line before more data (line %zu)", r->path,
                          first_empty, r->line);
            break;
        }
        if (r->line == 1 && is_header(text)) {
            had_header = true;
            continue;
        }
        rc = store_row(r, text);
        if (rc != BP_OK)
            break;
    }
    bp__free(line);
    if (rc == BP_OK && r->rows == 0)
        rc = bp__fail(BP_EFORMAT, r->function, "%s: %s", r->path,
                      had_header ? "a header but no rows of data" : "no rows of data");
    return rc;
}

static int load(bp_dataset *out, FILE *file, const char *path, size_t label_column,
                const char *function);

int bp_dataset_load_csv(bp_dataset *out, const char *path, size_t label_column) {
    char why[128]; /* an errno's description */
    if (out)
        *out = (bp_dataset){0}; /* left empty on every failure */
    if (!out || !path)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : "path");
    FILE *file = fopen(path, "r");
    if (!file)
        return bp__fail(BP_EIO, fn, "cannot open %s: %s", path,
                        bp__strerror(errno, why, sizeof why));
    return load(out, file, path, label_column, fn);
}

int bp_dataset_load_csv_memory(bp_dataset *out, const void *data, size_t size,
                               size_t label_column) {
    char why[128]; /* an errno's description */
    if (out)
        *out = (bp_dataset){0}; /* left empty on every failure */
    if (!out || (!data && size > 0))
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !out ? "out" : "data");
    /* A stream over the caller's bytes, so that one reader serves both entry
     * points. Mode "r" never writes to the buffer. */
    FILE *file = fmemopen(data ? (void *)data : (void *)"", size, "r");
    if (!file)
        return bp__fail(errno == ENOMEM ? BP_ENOMEM : BP_EIO, __func__,
                        "cannot read <memory> as a stream: %s",
                        bp__strerror(errno, why, sizeof why));
    return load(out, file, "<memory>", label_column, __func__);
}

/* Reads the rows of file, which it closes, into *out. Shared by the path
 * and the memory entry points. */
static int load(bp_dataset *out, FILE *file, const char *path, size_t label_column,
                const char *function) {
    csv_reader r = {.function = function, .path = path, .label_column = label_column};
    int rc = read_rows(&r, file);
    fclose(file); /* read-only: nothing left to report */
    if (rc != BP_OK) {
        bp__free(r.inputs);
        bp__free(r.labels);
        return rc;
    }
    const size_t features = r.columns - 1;
    if (r.capacity > r.rows) {
        /* Give back the doubling's slack; keeping it, if memory is short, is harmless. */
        bp__dataset_resize((void **)&r.inputs, r.rows * features * sizeof(float),
                           r.rows * features * sizeof(float));
        bp__dataset_resize((void **)&r.labels, r.rows * sizeof(uint32_t),
                           r.rows * sizeof(uint32_t));
    }
    *out = (bp_dataset){
        .count = r.rows,
        .features = features,
        .classes = bp__dataset_classes(r.labels, r.rows),
        .inputs = r.inputs,
        .labels = r.labels,
    };
    return BP_OK;
}
