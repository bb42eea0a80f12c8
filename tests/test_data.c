/*
 * test_data.c - data sets: IDX files (plain and gzip) written by the test and
 * every malformed variant; CSV files with and without a header and every bad
 * field; input scaling against sums done here in double; one-hot rows;
 * shuffles (permutations, determinism, uniformity); batch gathering.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <backprop.h>

/* ---- a scratch directory per test ---------------------------------------- */

static char dir[64];

static void make_dir(void) {
    strcpy(dir, "/tmp/bp_test_data_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[512];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

TestSuite(data, .init = make_dir, .fini = remove_dir);

/* A path in the scratch directory; a ring of buffers so a few can be alive. */
static const char *tmp(const char *name) {
    static char ring[8][512];
    static int next;
    char *path = ring[next++ % 8];
    snprintf(path, sizeof ring[0], "%s/%s", dir, name);
    return path;
}

static void write_plain(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_gzip(const char *path, const void *bytes, size_t n) {
    gzFile f = gzopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(gzwrite(f, bytes, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(f), Z_OK);
}

static void write_file(const char *path, const void *bytes, size_t n, int gzip) {
    if (gzip)
        write_gzip(path, bytes, n);
    else
        write_plain(path, bytes, n);
}

static size_t read_plain(const char *path, unsigned char *buffer, size_t capacity) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    const size_t n = fread(buffer, 1, capacity, f);
    fclose(f);
    return n;
}

static void write_text(const char *path, const char *text) {
    write_plain(path, text, strlen(text));
}

/* ---- IDX files built here ------------------------------------------------- */

/* An IDX file in memory: magic (type, n_dims), big-endian dims, then data. */
static size_t idx_bytes(unsigned char *out, unsigned char type, int n_dims, const uint32_t *dims,
                        const unsigned char *data, size_t n) {
    size_t at = 0;
    out[at++] = 0;
    out[at++] = 0;
    out[at++] = type;
    out[at++] = (unsigned char)n_dims;
    for (int d = 0; d < n_dims; d++)
        for (int shift = 24; shift >= 0; shift -= 8)
            out[at++] = (unsigned char)(dims[d] >> shift);
    memcpy(out + at, data, n);
    return at + n;
}

/* The fixture: 5 images of 3 x 4 pixels spanning 0 .. 255, and their labels. */
#define N_IMAGES 5
#define ROWS 3
#define COLS 4
#define PIXELS (N_IMAGES * ROWS * COLS)
static const uint32_t image_dims[] = {N_IMAGES, ROWS, COLS};
static const unsigned char label_values[N_IMAGES] = {3, 0, 2, 1, 3};

static void pixels(unsigned char *p) {
    for (int i = 0; i < PIXELS; i++)
        p[i] = (unsigned char)((i * 37 + 11) % 256);
    p[0] = 0;
    p[PIXELS - 1] = 255;
}

/* Writes the fixture pair as images.idx(.gz) and labels.idx(.gz). */
static void write_pair(const char *images, const char *labels, int gzip_images, int gzip_labels) {
    unsigned char p[PIXELS], file[256];
    pixels(p);
    write_file(images, file, idx_bytes(file, 0x08, 3, image_dims, p, PIXELS), gzip_images);
    const uint32_t count = N_IMAGES;
    write_file(labels, file, idx_bytes(file, 0x08, 1, &count, label_values, N_IMAGES), gzip_labels);
}

static void assert_fixture(const bp_dataset *d) {
    unsigned char p[PIXELS];
    pixels(p);
    cr_assert_eq(d->count, N_IMAGES);
    cr_assert_eq(d->features, ROWS * COLS);
    cr_assert_eq(d->classes, 4);
    for (int i = 0; i < PIXELS; i++)
        cr_assert_eq(d->inputs[i], (float)p[i], "pixel %d: %g, want %d", i, (double)d->inputs[i],
                     p[i]);
    for (int i = 0; i < N_IMAGES; i++)
        cr_assert_eq(d->labels[i], label_values[i]);
}

/* One assertion for a whole array (Criterion reports every assertion made). */
static void assert_pixels(const float *got, const unsigned char *want, size_t n) {
    size_t i = 0;
    while (i < n && got[i] == (float)want[i])
        i++;
    cr_assert_eq(i, n, "pixel %zu: %g, want %d", i, i < n ? (double)got[i] : 0.0,
                 i < n ? want[i] : 0);
}

static void assert_empty(const bp_dataset *d) {
    cr_assert(d->count == 0 && d->features == 0 && d->classes == 0 && !d->inputs && !d->labels,
              "the data set must be left empty after a failure");
}

/* A non-empty-looking struct, so the tests see the loaders empty it. */
static bp_dataset garbage(void) { return (bp_dataset){.count = 7, .features = 7, .classes = 7}; }

static void assert_message_has(const char *needle) {
    cr_assert(strstr(bp_errmsg(), needle) != NULL, "message \"%s\" lacks \"%s\"", bp_errmsg(),
              needle);
}

/* Loading fails with `code`, a message naming `file` and containing `needle`. */
static void expect_idx_failure(const char *images, const char *labels, int code, const char *file,
                               const char *needle) {
    bp_dataset d = garbage();
    const int rc = bp_dataset_load_idx(&d, images, labels);
    cr_assert_eq(rc, code, "got %s, want %s: %s", bp_err_name(rc), bp_err_name(code), bp_errmsg());
    assert_message_has("bp_dataset_load_idx");
    assert_message_has(file);
    assert_message_has(needle);
    assert_empty(&d);
}

/* Writes an images file from a header (type, dims) and `n` fixture pixels. */
static void write_images(const char *path, unsigned char type, int n_dims, const uint32_t *dims,
                         size_t n, int gzip) {
    unsigned char p[PIXELS + 8] = {0}, file[256];
    pixels(p);
    write_file(path, file, idx_bytes(file, type, n_dims, dims, p, n), gzip);
}

Test(data, idx_round_trip_plain) {
    const char *images = tmp("images.idx"), *labels = tmp("labels.idx");
    write_pair(images, labels, 0, 0);
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_idx(&d, images, labels), BP_OK, "%s", bp_errmsg());
    assert_fixture(&d);
    bp_dataset_free(&d);
    assert_empty(&d);
}

Test(data, idx_round_trip_gzip_and_mixed) {
    const int modes[][2] = {{1, 1}, {1, 0}, {0, 1}};
    for (int m = 0; m < 3; m++) {
        const char *images = tmp("images.gz"), *labels = tmp("labels.gz");
        write_pair(images, labels, modes[m][0], modes[m][1]);
        bp_dataset d = {0};
        cr_assert_eq(bp_dataset_load_idx(&d, images, labels), BP_OK, "%s", bp_errmsg());
        assert_fixture(&d);
        bp_dataset_free(&d);
    }
}

Test(data, idx_larger_than_first_buffer_gzip) {
    /* 3 MB of pixels: the gzip path grows its buffer several times. */
    const uint32_t dims[] = {3000, 1000};
    const size_t n = 3000u * 1000u;
    unsigned char *file = malloc(n + 16);
    cr_assert_not_null(file);
    unsigned char *p = file + 12;
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 2654435761u >> 13);
    idx_bytes(file, 0x08, 2, dims, p, 0); /* the header in front of the pixels */
    write_gzip(tmp("big.gz"), file, n + 12);
    unsigned char labels[3000 + 8];
    for (int i = 0; i < 3000; i++)
        labels[8 + i] = (unsigned char)(i % 7);
    const uint32_t count = 3000;
    idx_bytes(labels, 0x08, 1, &count, labels + 8, 0);
    write_plain(tmp("big-labels"), labels, sizeof labels);

    bp_dataset d = {0};
    cr_assert_eq(bp_dataset_load_idx(&d, tmp("big.gz"), tmp("big-labels")), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(d.count, 3000);
    cr_assert_eq(d.features, 1000);
    cr_assert_eq(d.classes, 7);
    assert_pixels(d.inputs, p, n);
    bp_dataset_free(&d);
    free(file);
}

Test(data, idx_one_dimensional_images_have_one_feature) {
    const uint32_t count = N_IMAGES;
    write_images(tmp("flat"), 0x08, 1, &count, N_IMAGES, 0);
    unsigned char file[64];
    write_plain(tmp("labels"), file, idx_bytes(file, 0x08, 1, &count, label_values, N_IMAGES));
    bp_dataset d = {0};
    cr_assert_eq(bp_dataset_load_idx(&d, tmp("flat"), tmp("labels")), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(d.count, N_IMAGES);
    cr_assert_eq(d.features, 1);
    unsigned char p[PIXELS];
    pixels(p);
    for (int i = 0; i < N_IMAGES; i++)
        cr_assert_eq(d.inputs[i], (float)p[i]);
    bp_dataset_free(&d);
}

Test(data, idx_rejects_null_arguments) {
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_idx(NULL, "a", "b"), BP_EINVAL);
    assert_message_has("bp_dataset_load_idx");
    cr_assert_eq(bp_dataset_load_idx(&d, NULL, "b"), BP_EINVAL);
    cr_assert_eq(bp_dataset_load_idx(&d, "a", NULL), BP_EINVAL);
}

Test(data, idx_cannot_open) {
    const char *labels = tmp("labels"), *images = tmp("images");
    write_pair(images, labels, 0, 0);
    const char *missing = tmp("no-such-file");
    expect_idx_failure(missing, labels, BP_EIO, missing, "No such file");
    expect_idx_failure(images, missing, BP_EIO, missing, "No such file");
    expect_idx_failure(dir, labels, BP_EIO, dir, "directory");
}

Test(data, idx_rejects_bad_headers) {
    const char *labels = tmp("labels"), *bad = tmp("bad");
    write_pair(tmp("images"), labels, 0, 0);
    for (int gzip = 0; gzip <= 1; gzip++) {
        unsigned char file[256];
        size_t n = idx_bytes(file, 0x08, 3, image_dims, file + 100, 0);
        file[1] = 1; /* bad magic */
        write_file(bad, file, n, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "magic");

        write_images(bad, 0x0D, 3, image_dims, PIXELS, gzip); /* float data */
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "0x0d");

        const uint32_t five[] = {N_IMAGES, 1, 1, 3, 4};
        write_images(bad, 0x08, 5, five, PIXELS, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "5 dimensions");
        write_images(bad, 0x08, 0, five, 0, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "0 dimensions");

        const uint32_t zero[] = {N_IMAGES, 0, 4};
        write_images(bad, 0x08, 3, zero, 0, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "dimension 2 of 3 is 0");

        const uint32_t huge[] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
        write_images(bad, 0x08, 4, huge, 0, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "overflow");

        /* A header cut short: empty, inside the magic, inside the sizes. */
        idx_bytes(file, 0x08, 3, image_dims, file + 100, 0);
        write_file(bad, file, 0, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "magic");
        write_file(bad, file, 3, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "magic");
        write_file(bad, file, 9, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "header");
    }
}

Test(data, idx_labels_need_one_dimension_and_the_same_count) {
    const char *images = tmp("images"), *labels = tmp("labels");
    write_pair(images, labels, 0, 1);
    const uint32_t two[] = {N_IMAGES, 1};
    unsigned char file[64];
    write_plain(labels, file, idx_bytes(file, 0x08, 2, two, label_values, N_IMAGES));
    expect_idx_failure(images, labels, BP_EFORMAT, labels, "exactly 1");

    const uint32_t four = N_IMAGES - 1;
    write_gzip(labels, file, idx_bytes(file, 0x08, 1, &four, label_values, N_IMAGES - 1));
    expect_idx_failure(images, labels, BP_EFORMAT, labels, "holds 4 labels");
    assert_message_has(images);
}

Test(data, idx_rejects_truncated_and_overlong_data) {
    const char *labels = tmp("labels"), *bad = tmp("bad");
    write_pair(tmp("images"), labels, 0, 0);
    for (int gzip = 0; gzip <= 1; gzip++) {
        write_images(bad, 0x08, 3, image_dims, PIXELS - 1, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad,
                           "expected 60 bytes of data, file ends after 59");
        write_images(bad, 0x08, 3, image_dims, PIXELS + 3, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "after the 60 bytes of data");
    }
}

Test(data, idx_header_claiming_terabytes_does_not_allocate_them) {
    /* 2^32 x 2^16 x 64 bytes claimed, 60 present: must be BP_EFORMAT, never
     * an attempt at allocating the claim (BP_ENOMEM); refused at the header,
     * being over any memory limit. */
    const char *labels = tmp("labels"), *bad = tmp("bad");
    write_pair(tmp("images"), labels, 0, 0);
    const uint32_t liar[] = {0xFFFFFFFFu, 0xFFFFu, 64};
    for (int gzip = 0; gzip <= 1; gzip++) {
        write_images(bad, 0x08, 3, liar, PIXELS, gzip);
        expect_idx_failure(bad, labels, BP_EFORMAT, bad, "over the limit");
    }
}

Test(data, idx_limit_counts_the_loaded_set) {
    const char *images = tmp("images.gz"), *labels = tmp("labels");
    write_pair(images, labels, 1, 0);
    /* 4 bytes per pixel and per label: exactly that much loads, a byte
     * less does not, the message naming the cap and the option. */
    const uint64_t set = 4 * (uint64_t)PIXELS + 4 * (uint64_t)N_IMAGES;
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_idx_limit(&d, images, labels, set), BP_OK, "%s", bp_errmsg());
    assert_fixture(&d);
    bp_dataset_free(&d);
    d = garbage();
    cr_assert_eq(bp_dataset_load_idx_limit(&d, images, labels, set - 1), BP_EFORMAT);
    assert_message_has("bp_dataset_load_idx_limit");
    assert_message_has("labels");
    assert_message_has("over the limit of 259 bytes");
    assert_message_has("--max-input-bytes");
    assert_empty(&d);
    cr_assert_eq(bp_dataset_load_idx_limit(&d, images, labels, 4 * PIXELS - 1), BP_EFORMAT);
    assert_message_has("values of images");
}

Test(data, idx_gzip_inflating_past_its_claim_stops_there) {
    /* A gzip stream of 1 MiB of zeros behind a header claiming the
     * fixture's 60 pixels: refused after reading 61 bytes of data. */
    const char *bad = tmp("bomb.gz"), *labels = tmp("labels");
    write_pair(tmp("images"), labels, 0, 0);
    enum { BOMB = 1 << 20 };
    unsigned char *file = calloc(BOMB, 1);
    cr_assert_not_null(file);
    const size_t header = idx_bytes(file, 0x08, 3, image_dims, file + 64, 0);
    write_file(bad, file, header + BOMB - 64, 1);
    free(file);
    expect_idx_failure(bad, labels, BP_EFORMAT, bad, "data continues after the 60 bytes");
}

Test(data, idx_rejects_corrupt_gzip) {
    const char *images = tmp("images.gz"), *labels = tmp("labels"), *bad = tmp("bad.gz");
    write_pair(images, labels, 1, 0);
    unsigned char file[512];
    const size_t n = read_plain(images, file, sizeof file);
    cr_assert_gt(n, 20);

    /* The CRC-32 of the trailer no longer matches the data. */
    unsigned char copy[512];
    memcpy(copy, file, n);
    copy[n - 8] ^= 0x55;
    write_plain(bad, copy, n);
    expect_idx_failure(bad, labels, BP_EFORMAT, bad, "gzip");

    /* The stream cut off before its end. */
    write_plain(bad, file, n - 6);
    expect_idx_failure(bad, labels, BP_EFORMAT, bad, "gzip");

    /* Garbage in the compressed data: some error about the file, whichever. */
    memcpy(copy, file, n);
    memset(copy + 12, 0xFF, n - 20 > 8 ? 8 : n - 20);
    write_plain(bad, copy, n);
    expect_idx_failure(bad, labels, BP_EFORMAT, bad, bad);
}

Test(data, idx_fashion_mnist_test_set) {
    const char *images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(images, R_OK) != 0 || access(labels, R_OK) != 0)
        cr_skip_test("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    bp_dataset d = {0};
    cr_assert_eq(bp_dataset_load_idx(&d, images, labels), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(d.count, 10000);
    cr_assert_eq(d.features, 784);
    cr_assert_eq(d.classes, 10);

    /* Every byte against zlib read directly, past the 16- and 8-byte headers. */
    unsigned char *raw = malloc(784 * 10000);
    cr_assert_not_null(raw);
    gzFile f = gzopen(images, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(gzread(f, raw, 16), 16);
    cr_assert_eq(gzread(f, raw, 784 * 10000), 784 * 10000);
    gzclose(f);
    assert_pixels(d.inputs, raw, 784 * 10000);
    f = gzopen(labels, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(gzread(f, raw, 8), 8);
    cr_assert_eq(gzread(f, raw, 10000), 10000);
    gzclose(f);
    size_t wrong = 0;
    while (wrong < 10000 && d.labels[wrong] == raw[wrong])
        wrong++;
    cr_assert_eq(wrong, 10000, "label %zu differs", wrong);
    free(raw);
    bp_dataset_free(&d);
}

/* ---- CSV ------------------------------------------------------------------ */

static bp_dataset load_csv(const char *text, size_t label_column) {
    const char *path = tmp("data.csv");
    write_text(path, text);
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_csv(&d, path, label_column), BP_OK, "%s", bp_errmsg());
    return d;
}

static void assert_floats(const float *got, const float *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "element %zu: %.9g, want %.9g", i, (double)got[i],
                     (double)want[i]);
}

/* Loading `text` fails with `code` and a message with the path and `needle`. */
static void expect_csv_failure(const char *text, size_t label_column, int code,
                               const char *needle) {
    const char *path = tmp("bad.csv");
    write_text(path, text);
    bp_dataset d = garbage();
    const int rc = bp_dataset_load_csv(&d, path, label_column);
    cr_assert_eq(rc, code, "\"%s\": got %s, want %s: %s", text, bp_err_name(rc), bp_err_name(code),
                 bp_errmsg());
    assert_message_has("bp_dataset_load_csv");
    assert_message_has(path);
    assert_message_has(needle);
    assert_empty(&d);
}

Test(data, csv_without_header) {
    bp_dataset d = load_csv("1.5,2,0\n-3,0.25,2\n4e-1, 7 ,1\n", 2);
    cr_assert_eq(d.count, 3);
    cr_assert_eq(d.features, 2);
    cr_assert_eq(d.classes, 3);
    const float want[] = {1.5f, 2.0f, -3.0f, 0.25f, 0.4f, 7.0f};
    assert_floats(d.inputs, want, 6);
    cr_assert(d.labels[0] == 0 && d.labels[1] == 2 && d.labels[2] == 1);
    bp_dataset_free(&d);
    assert_empty(&d);
}

Test(data, csv_with_header_crlf_and_trailing_empty_lines) {
    bp_dataset d = load_csv("label,a,b\r\n1,0.5,-0.5\r\n0,1e3,2\r\n\r\n\n", 0);
    cr_assert_eq(d.count, 2);
    cr_assert_eq(d.features, 2);
    cr_assert_eq(d.classes, 2);
    const float want[] = {0.5f, -0.5f, 1000.0f, 2.0f};
    assert_floats(d.inputs, want, 4);
    cr_assert(d.labels[0] == 1 && d.labels[1] == 0);
    bp_dataset_free(&d);
}

Test(data, csv_label_in_a_middle_column_and_no_final_newline) {
    bp_dataset d = load_csv("x,y,class,z\n1,2,4,3\n5,6,0.0,7", 2);
    cr_assert_eq(d.count, 2);
    cr_assert_eq(d.features, 3);
    cr_assert_eq(d.classes, 5);
    const float want[] = {1, 2, 3, 5, 6, 7};
    assert_floats(d.inputs, want, 6);
    cr_assert(d.labels[0] == 4 && d.labels[1] == 0);
    bp_dataset_free(&d);

    d = load_csv("0.1,65535\n", 1); /* the largest label allowed */
    cr_assert_eq(d.classes, 65536);
    cr_assert_eq(d.inputs[0], 0.1f);
    bp_dataset_free(&d);
}

Test(data, csv_rejects_bad_fields_naming_line_and_column) {
    expect_csv_failure("1,2,0\n3,x4,1\n", 2, BP_EFORMAT, "line 2, column 2: not a number");
    expect_csv_failure("a,b,c\n1,2,0\n3,4,1\n1.5x,2,0\n", 2, BP_EFORMAT, "line 4, column 1");
    expect_csv_failure("1,2,0\n1,,0\n", 2, BP_EFORMAT, "line 2, column 2: empty field");
    expect_csv_failure("1,2,0\n1,2,\n", 2, BP_EFORMAT, "line 2, column 3: empty field");
    expect_csv_failure("1,2,0\nnan,2,0\n", 2, BP_EFORMAT, "line 2, column 1: not a finite");
    expect_csv_failure("1,2,0\n1,-inf,0\n", 2, BP_EFORMAT, "line 2, column 2: not a finite");
    expect_csv_failure("1,2,0\n1,1e999,0\n", 2, BP_EFORMAT, "line 2, column 2: not a finite");
    expect_csv_failure("1,2,0\n1,2 3,0\n", 2, BP_EFORMAT, "line 2, column 2");
}

Test(data, csv_rejects_ragged_rows) {
    expect_csv_failure("1,2,0\n3,4,1\n3,1\n", 2, BP_EFORMAT, "line 3: 2 columns, but line 1 has 3");
    expect_csv_failure("h1,h2,h3\n1,2,0\n3,4,1,5\n", 2, BP_EFORMAT,
                       "line 3: 4 columns, but line 2 has 3");
}

Test(data, csv_rejects_labels_that_are_not_small_non_negative_integers) {
    const char *bad[] = {"1,-1\n", "1,0.5\n", "1,65536\n", "1,1e9\n", "1,2.000001\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "1,0\n%s", bad[i]);
        expect_csv_failure(text, 1, BP_EFORMAT, "line 2, column 2");
        assert_message_has("label");
    }
}

Test(data, csv_rejects_bad_shapes) {
    expect_csv_failure("1,2,0\n", 3, BP_EINVAL, "label_column 3");
    expect_csv_failure("1\n2\n", 0, BP_EFORMAT, "line 1: 1 column");
    expect_csv_failure("", 0, BP_EFORMAT, "no rows");
    expect_csv_failure("\n\n  \n", 0, BP_EFORMAT, "no rows");
    expect_csv_failure("label,x\n", 0, BP_EFORMAT, "header but no rows");
    expect_csv_failure("label,x\r\n\r\n", 0, BP_EFORMAT, "header but no rows");
    expect_csv_failure("1,2\n\n3,4\n", 0, BP_EFORMAT, "line 2: empty line");
}

/* A first row that starts out as numbers but has a bad field is data with
 * a mistake, not a header: it is reported, not skipped. */
Test(data, csv_bad_first_row_is_an_error_not_a_header) {
    expect_csv_failure("1,,2\n3,4,5\n", 0, BP_EFORMAT, "line 1, column 2");
    expect_csv_failure("0,nan\n1,2\n", 0, BP_EFORMAT, "line 1, column 2");
    expect_csv_failure("0,3a\n1,2\n", 0, BP_EFORMAT, "line 1, column 2");
    expect_csv_failure("0,1e99\n1,2\n", 0, BP_EFORMAT, "line 1, column 2");
}

Test(data, csv_rejects_null_and_missing_files) {
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_csv(NULL, "x.csv", 0), BP_EINVAL);
    cr_assert_eq(bp_dataset_load_csv(&d, NULL, 0), BP_EINVAL);
    const char *missing = tmp("missing.csv");
    cr_assert_eq(bp_dataset_load_csv(&d, missing, 0), BP_EIO);
    assert_message_has(missing);
    assert_message_has("No such file");
    assert_empty(&d);
    d = garbage();
    cr_assert_eq(bp_dataset_load_csv(&d, dir, 0), BP_EIO);
    assert_message_has(dir);
    assert_empty(&d);
}

Test(data, csv_many_rows_grow_the_arrays) {
    /* More rows than the first allocation, each row's values known here. */
    const size_t n = 2000;
    char *text = malloc(n * 32);
    cr_assert_not_null(text);
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += (size_t)sprintf(text + at, "%zu,%zu.5,%zu\n", i % 10, i, i * 3);
    bp_dataset d = load_csv(text, 0);
    free(text);
    cr_assert_eq(d.count, n);
    cr_assert_eq(d.features, 2);
    cr_assert_eq(d.classes, 10);
    size_t i = 0;
    while (i < n && d.labels[i] == i % 10 && d.inputs[2 * i] == (float)i + 0.5f &&
           d.inputs[2 * i + 1] == (float)(i * 3))
        i++;
    cr_assert_eq(i, n, "row %zu differs", i);
    bp_dataset_free(&d);
}

/* ---- scaling ---------------------------------------------------------------- */

static float sample[] = {-2.0f, 0.5f, 3.0f, 1.0f, 7.0f, -1.25f, 0.0f, 4.5f};
#define N_SAMPLE (sizeof sample / sizeof sample[0])

static bp_dataset sample_set(float *inputs) {
    memcpy(inputs, sample, sizeof sample);
    return (bp_dataset){.count = 4, .features = 2, .classes = 1, .inputs = inputs};
}

static void assert_close(double got, double want, double tolerance, const char *what) {
    cr_assert(fabs(got - want) <= tolerance * fmax(1.0, fabs(want)), "%s: %.9g, want %.9g", what,
              got, want);
}

Test(data, minmax_maps_to_zero_one) {
    float x[N_SAMPLE];
    bp_dataset d = sample_set(x);
    float offset = NAN, scale = NAN;
    cr_assert_eq(bp_dataset_fit_scaling(&d, BP_SCALE_MINMAX, &offset, &scale), BP_OK, "%s",
                 bp_errmsg());
    cr_assert_eq(offset, -2.0f);
    assert_close(scale, 1.0 / 9.0, 1e-7, "scale");
    cr_assert_eq(bp_dataset_scale(&d, offset, scale), BP_OK);
    for (size_t i = 0; i < N_SAMPLE; i++)
        assert_close(x[i], (sample[i] + 2.0) / 9.0, 1e-6, "scaled input");
    cr_assert_eq(x[0], 0.0f);
    assert_close(x[4], 1.0, 1e-7, "the largest input");
}

Test(data, standardize_gives_mean_zero_deviation_one) {
    float x[N_SAMPLE];
    bp_dataset d = sample_set(x);
    double mean = 0, var = 0;
    for (size_t i = 0; i < N_SAMPLE; i++)
        mean += sample[i];
    mean /= N_SAMPLE;
    for (size_t i = 0; i < N_SAMPLE; i++)
        var += (sample[i] - mean) * (sample[i] - mean);
    var /= N_SAMPLE;

    float offset, scale;
    cr_assert_eq(bp_dataset_fit_scaling(&d, BP_SCALE_STANDARDIZE, &offset, &scale), BP_OK);
    assert_close(offset, mean, 1e-7, "offset");
    assert_close(scale, 1.0 / sqrt(var), 1e-7, "scale");
    cr_assert_eq(bp_dataset_scale(&d, offset, scale), BP_OK);
    double m = 0, v = 0;
    for (size_t i = 0; i < N_SAMPLE; i++)
        m += x[i];
    m /= N_SAMPLE;
    for (size_t i = 0; i < N_SAMPLE; i++)
        v += (x[i] - m) * (x[i] - m);
    assert_close(m, 0.0, 1e-6, "mean after scaling");
    assert_close(sqrt(v / N_SAMPLE), 1.0, 1e-6, "deviation after scaling");
}

Test(data, scaling_equal_inputs_has_scale_one) {
    float x[6] = {3.5f, 3.5f, 3.5f, 3.5f, 3.5f, 3.5f};
    bp_dataset d = {.count = 3, .features = 2, .inputs = x};
    const bp_scaling_kind kinds[] = {BP_SCALE_MINMAX, BP_SCALE_STANDARDIZE};
    for (int k = 0; k < 2; k++) {
        float offset, scale;
        cr_assert_eq(bp_dataset_fit_scaling(&d, kinds[k], &offset, &scale), BP_OK);
        cr_assert_eq(offset, 3.5f);
        cr_assert_eq(scale, 1.0f);
    }
}

Test(data, scaling_rejects_bad_arguments_and_nonfinite_inputs) {
    float x[N_SAMPLE];
    bp_dataset d = sample_set(x);
    float offset = 42.0f, scale = 43.0f;
    cr_assert_eq(bp_dataset_fit_scaling(NULL, BP_SCALE_MINMAX, &offset, &scale), BP_EINVAL);
    assert_message_has("bp_dataset_fit_scaling");
    cr_assert_eq(bp_dataset_fit_scaling(&d, BP_SCALE_MINMAX, NULL, &scale), BP_EINVAL);
    cr_assert_eq(bp_dataset_fit_scaling(&d, BP_SCALE_MINMAX, &offset, NULL), BP_EINVAL);
    cr_assert_eq(bp_dataset_fit_scaling(&d, (bp_scaling_kind)7, &offset, &scale), BP_EINVAL);
    bp_dataset empty = {0};
    cr_assert_eq(bp_dataset_fit_scaling(&empty, BP_SCALE_MINMAX, &offset, &scale), BP_EINVAL);
    assert_message_has("empty");

    x[5] = NAN;
    cr_assert_eq(bp_dataset_fit_scaling(&d, BP_SCALE_STANDARDIZE, &offset, &scale), BP_ENONFINITE);
    assert_message_has("NaN");
    x[5] = -INFINITY;
    cr_assert_eq(bp_dataset_fit_scaling(&d, BP_SCALE_MINMAX, &offset, &scale), BP_ENONFINITE);
    cr_assert(offset == 42.0f && scale == 43.0f, "outputs must be untouched on failure");

    /* A spread of one subnormal: its reciprocal is past FLT_MAX. */
    float tiny[2] = {0.0f, 0x1p-149f};
    bp_dataset t = {.count = 2, .features = 1, .inputs = tiny};
    cr_assert_eq(bp_dataset_fit_scaling(&t, BP_SCALE_MINMAX, &offset, &scale), BP_ENONFINITE);

    memcpy(x, sample, sizeof sample);
    cr_assert_eq(bp_dataset_scale(NULL, 0.0f, 1.0f), BP_EINVAL);
    assert_message_has("bp_dataset_scale");
    cr_assert_eq(bp_dataset_scale(&d, NAN, 1.0f), BP_EINVAL);
    cr_assert_eq(bp_dataset_scale(&d, 0.0f, INFINITY), BP_EINVAL);
    assert_floats(x, sample, N_SAMPLE); /* untouched */
    cr_assert_eq(bp_dataset_scale(&empty, 1.0f, 2.0f), BP_OK);
}

/* ---- one-hot ------------------------------------------------------------------ */

Test(data, one_hot_rows) {
    const uint32_t labels[] = {2, 0, 3, 2};
    float out[4 * 4];
    cr_assert_eq(bp_one_hot(labels, 4, 4, out), BP_OK);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            cr_assert_eq(out[i * 4 + j], j == labels[i] ? 1.0f : 0.0f, "(%zu, %zu)", i, j);
    /* No rows: nothing written. */
    out[0] = 9.0f;
    cr_assert_eq(bp_one_hot(labels, 0, 4, out), BP_OK);
    cr_assert_eq(out[0], 9.0f, "no rows, yet out was written");
}

Test(data, one_hot_rejects_bad_arguments) {
    const uint32_t labels[] = {2, 0, 4};
    float out[3 * 4];
    for (size_t i = 0; i < 12; i++)
        out[i] = 9.0f;
    cr_assert_eq(bp_one_hot(labels, 3, 4, out), BP_EINVAL);
    assert_message_has("bp_one_hot");
    assert_message_has("labels[2]");
    for (size_t i = 0; i < 12; i++)
        cr_assert_eq(out[i], 9.0f, "out must be untouched on failure");
    cr_assert_eq(bp_one_hot(NULL, 3, 4, out), BP_EINVAL);
    cr_assert_eq(bp_one_hot(labels, 3, 4, NULL), BP_EINVAL);
    cr_assert_eq(bp_one_hot(labels, 2, 0, out), BP_EINVAL);
    cr_assert_eq(bp_one_hot(labels, SIZE_MAX / 2, 4, out), BP_EOVERFLOW);
}

/* ---- shuffle ------------------------------------------------------------------ */

static void assert_permutation(const size_t *order, size_t n) {
    char *seen = calloc(n ? n : 1, 1);
    cr_assert_not_null(seen);
    size_t i = 0;
    for (; i < n && order[i] < n && !seen[order[i]]; i++)
        seen[order[i]] = 1;
    free(seen);
    cr_assert_eq(i, n, "order[%zu] = %zu is out of range or repeated", i, i < n ? order[i] : 0);
}

Test(data, shuffle_is_a_deterministic_permutation) {
    size_t a[1000], b[1000];
    cr_assert_eq(bp_shuffle(a, 1000, 17), BP_OK);
    assert_permutation(a, 1000);
    cr_assert_eq(bp_shuffle(b, 1000, 17), BP_OK);
    cr_assert_arr_eq(a, b, sizeof a, "the same seed must give the same order");
    cr_assert_eq(bp_shuffle(b, 1000, 18), BP_OK);
    assert_permutation(b, 1000);
    cr_assert(memcmp(a, b, sizeof a) != 0, "another seed must give another order");
    size_t fixed = 0;
    for (size_t i = 0; i < 1000; i++)
        fixed += a[i] == i;
    cr_assert_lt(fixed, 20, "%zu of 1000 left in place: not shuffled", fixed);

    size_t one = 99;
    cr_assert_eq(bp_shuffle(&one, 1, 5), BP_OK);
    cr_assert_eq(one, 0);
    cr_assert_eq(bp_shuffle(&one, 0, 5), BP_OK);
    cr_assert_eq(bp_shuffle(NULL, 3, 5), BP_EINVAL);
    assert_message_has("bp_shuffle");
}

Test(data, shuffle_orders_are_roughly_uniform) {
    /* 24000 seeds of n = 4: each of the 24 orders about 1000 times
     * (standard deviation about 31), over the seeds 0, 1, 2... */
    enum { N = 4, ORDERS = 24, SEEDS = 24000 };
    int counts[ORDERS] = {0};
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        size_t o[N];
        cr_assert_eq(bp_shuffle(o, N, seed), BP_OK);
        assert_permutation(o, N);
        /* Lehmer code: the rank of the permutation among the 24. */
        size_t rank = 0;
        for (size_t i = 0; i < N; i++) {
            size_t smaller_after = 0;
            for (size_t j = i + 1; j < N; j++)
                smaller_after += o[j] < o[i];
            rank = rank * (N - i) + smaller_after;
        }
        counts[rank]++;
    }
    for (int r = 0; r < ORDERS; r++)
        cr_assert(counts[r] > 800 && counts[r] < 1200, "order %d drawn %d times of %d", r,
                  counts[r], SEEDS);

    /* And n = 3 from one consecutive seed range far from 0. */
    int three[6] = {0};
    for (uint64_t seed = 1000000; seed < 1006000; seed++) {
        size_t o[3];
        bp_shuffle(o, 3, seed);
        three[o[0] * 2 + (o[1] > o[2])]++;
    }
    for (int r = 0; r < 6; r++)
        cr_assert(three[r] > 800 && three[r] < 1200, "order %d drawn %d times of 6000", r,
                  three[r]);
}

/* ---- batches -------------------------------------------------------------------- */

#define B_COUNT 5
#define B_FEATURES 3
#define B_CLASSES 4

static float b_inputs[B_COUNT * B_FEATURES];
static uint32_t b_labels[B_COUNT] = {1, 3, 0, 2, 1};

static bp_dataset batch_set(void) {
    for (int i = 0; i < B_COUNT * B_FEATURES; i++)
        b_inputs[i] = (float)(10 * (i / B_FEATURES) + i % B_FEATURES);
    return (bp_dataset){.count = B_COUNT,
                        .features = B_FEATURES,
                        .classes = B_CLASSES,
                        .inputs = b_inputs,
                        .labels = b_labels};
}

static void assert_batch(const float *x, const float *y, const size_t *examples, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < B_FEATURES; f++)
            cr_assert_eq(x[i * B_FEATURES + f], (float)(10 * examples[i] + f), "row %zu", i);
        if (y)
            for (size_t c = 0; c < B_CLASSES; c++)
                cr_assert_eq(y[i * B_CLASSES + c], c == b_labels[examples[i]] ? 1.0f : 0.0f,
                             "target (%zu, %zu)", i, c);
    }
}

Test(data, batch_gathers_in_order_or_by_identity) {
    bp_dataset d = batch_set();
    float x[3 * B_FEATURES], y[3 * B_CLASSES];
    for (size_t i = 0; i < 3 * B_CLASSES; i++)
        y[i] = 7.0f; /* every target must be written, zeros included */
    cr_assert_eq(bp_dataset_batch(&d, NULL, 1, 3, x, y), BP_OK, "%s", bp_errmsg());
    assert_batch(x, y, (const size_t[]){1, 2, 3}, 3);

    const size_t order[B_COUNT] = {4, 2, 0, 1, 3};
    cr_assert_eq(bp_dataset_batch(&d, order, 1, 3, x, y), BP_OK);
    assert_batch(x, y, (const size_t[]){2, 0, 1}, 3);
    cr_assert_eq(bp_dataset_batch(&d, order, 3, 2, x, NULL), BP_OK);
    assert_batch(x, NULL, (const size_t[]){1, 3}, 2);
    /* An empty batch at the end writes nothing. */
    x[0] = y[0] = 7.0f;
    cr_assert_eq(bp_dataset_batch(&d, order, 5, 0, x, y), BP_OK);
    cr_assert(x[0] == 7.0f && y[0] == 7.0f, "an empty batch wrote a row");
}

Test(data, batch_checks_ranges) {
    bp_dataset d = batch_set();
    float x[6 * B_FEATURES], y[6 * B_CLASSES];
    for (size_t i = 0; i < 6 * B_FEATURES; i++)
        x[i] = -1.0f;
    cr_assert_eq(bp_dataset_batch(&d, NULL, 3, 3, x, y), BP_ERANGE);
    assert_message_has("bp_dataset_batch");
    cr_assert_eq(bp_dataset_batch(&d, NULL, 0, 6, x, y), BP_ERANGE);
    cr_assert_eq(bp_dataset_batch(&d, NULL, SIZE_MAX, 2, x, y), BP_ERANGE);
    const size_t bad_order[B_COUNT] = {0, 1, 5, 2, 3};
    cr_assert_eq(bp_dataset_batch(&d, bad_order, 0, 3, x, y), BP_ERANGE);
    assert_message_has("order[2]");
    for (size_t i = 0; i < 6 * B_FEATURES; i++)
        cr_assert_eq(x[i], -1.0f, "inputs must be untouched on failure");

    cr_assert_eq(bp_dataset_batch(NULL, NULL, 0, 1, x, y), BP_EINVAL);
    cr_assert_eq(bp_dataset_batch(&d, NULL, 0, 1, NULL, y), BP_EINVAL);
    b_labels[1] = B_CLASSES; /* a caller's struct whose labels disagree with classes */
    cr_assert_eq(bp_dataset_batch(&d, NULL, 0, 2, x, y), BP_EINVAL);
    cr_assert_eq(bp_dataset_batch(&d, NULL, 0, 2, x, NULL), BP_OK); /* no targets, no check */
    assert_batch(x, NULL, (const size_t[]){0, 1}, 2);
    b_labels[1] = 3;
}

Test(data, free_accepts_null_and_empty) {
    bp_dataset_free(NULL);
    bp_dataset empty = {0};
    bp_dataset_free(&empty);
    assert_empty(&empty);
}

/* ---- IDX and CSV from memory ---------------------------------------------- */

/* n bytes gzip-compressed into out (capacity bytes); returns the length. */
static size_t gzip_bytes(unsigned char *out, size_t capacity, const void *in, size_t n) {
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)capacity;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    const size_t length = capacity - z.avail_out;
    deflateEnd(&z);
    return length;
}

/* The fixture's two files in memory, each plain or gzip. */
typedef struct idx_pair {
    unsigned char images[512], labels[256];
    size_t images_size, labels_size;
} idx_pair;

static idx_pair fixture_pair(int gzip_images, int gzip_labels) {
    idx_pair pair;
    unsigned char p[PIXELS], file[256];
    pixels(p);
    size_t n = idx_bytes(file, 0x08, 3, image_dims, p, PIXELS);
    pair.images_size = gzip_images ? gzip_bytes(pair.images, sizeof pair.images, file, n) : n;
    if (!gzip_images)
        memcpy(pair.images, file, n);
    const uint32_t count = N_IMAGES;
    n = idx_bytes(file, 0x08, 1, &count, label_values, N_IMAGES);
    pair.labels_size = gzip_labels ? gzip_bytes(pair.labels, sizeof pair.labels, file, n) : n;
    if (!gzip_labels)
        memcpy(pair.labels, file, n);
    return pair;
}

/* Loads images (exactly `size` bytes on the heap, so that a sanitizer sees
 * any read past them) with the fixture's labels. */
static int load_idx_memory(bp_dataset *d, const unsigned char *images, size_t size) {
    const idx_pair pair = fixture_pair(0, 0);
    unsigned char *copy = malloc(size ? size : 1);
    cr_assert_not_null(copy);
    memcpy(copy, images, size);
    *d = garbage();
    const int rc = bp_dataset_load_idx_memory(d, copy, size, pair.labels, pair.labels_size);
    free(copy);
    return rc;
}

Test(data, idx_memory_plain_gzip_and_mixed) {
    for (int mix = 0; mix < 4; mix++) {
        const idx_pair pair = fixture_pair(mix & 1, mix & 2);
        bp_dataset d = garbage();
        cr_assert_eq(bp_dataset_load_idx_memory(&d, pair.images, pair.images_size, pair.labels,
                                                pair.labels_size),
                     BP_OK, "mix %d: %s", mix, bp_errmsg());
        assert_fixture(&d);
        bp_dataset_free(&d);
    }
}

Test(data, idx_memory_accepts_gzip_members_and_rejects_what_follows) {
    unsigned char p[PIXELS], file[256], two[600];
    pixels(p);
    const size_t n = idx_bytes(file, 0x08, 3, image_dims, p, PIXELS);
    /* Two members, as `cat a.gz b.gz` makes, hold the file cut in two. */
    size_t len = gzip_bytes(two, sizeof two, file, 20);
    len += gzip_bytes(two + len, sizeof two - len, file + 20, n - 20);
    bp_dataset d;
    cr_assert_eq(load_idx_memory(&d, two, len), BP_OK, "%s", bp_errmsg());
    assert_fixture(&d);
    bp_dataset_free(&d);
    /* Anything else after the stream is an error, not ignored. */
    two[len] = 0;
    cr_assert_eq(load_idx_memory(&d, two, len + 1), BP_EFORMAT);
    assert_message_has("bp_dataset_load_idx_memory: <memory: images>");
    assert_message_has("follow the end of the gzip stream");
    assert_empty(&d);
}

Test(data, idx_memory_rejects_every_truncation_and_flip) {
    for (int gzip = 0; gzip <= 1; gzip++) {
        idx_pair pair = fixture_pair(gzip, 0);
        bp_dataset d;
        for (size_t len = 0; len < pair.images_size; len++) {
            const int rc = load_idx_memory(&d, pair.images, len);
            cr_assert_eq(rc, BP_EFORMAT, "gzip %d, %zu of %zu bytes: %s (%s)", gzip, len,
                         pair.images_size, bp_err_name(rc), bp_errmsg());
            assert_message_has("<memory: images>");
            assert_empty(&d);
        }
        /* A flipped byte may still be a valid file (a pixel changed); it must
         * never be anything but a clean result. */
        for (size_t i = 0; i < pair.images_size; i++) {
            pair.images[i] ^= 0x01;
            const int rc = load_idx_memory(&d, pair.images, pair.images_size);
            pair.images[i] ^= 0x01;
            cr_assert(rc == BP_OK || rc == BP_EFORMAT, "gzip %d, byte %zu: %s", gzip, i,
                      bp_err_name(rc));
            /* Past the 10-byte gzip header (flags, time, OS: harmless), the CRC-32 catches it. */
            if (gzip && i >= 10 && rc == BP_OK)
                cr_assert_fail("byte %zu: a flip passed the gzip CRC", i);
            bp_dataset_free(&d);
        }
    }
}

Test(data, idx_memory_header_claiming_terabytes_does_not_allocate_them) {
    const uint32_t liar[] = {0xFFFFFFFFu, 0xFFFFu, 64};
    unsigned char p[PIXELS] = {0}, file[256], packed[512];
    const size_t n = idx_bytes(file, 0x08, 3, liar, p, PIXELS);
    bp_dataset d;
    cr_assert_eq(load_idx_memory(&d, file, n), BP_EFORMAT);
    assert_message_has("over the limit");
    cr_assert_eq(load_idx_memory(&d, packed, gzip_bytes(packed, sizeof packed, file, n)),
                 BP_EFORMAT);
    assert_message_has("over the limit");
}

Test(data, idx_memory_rejects_bad_arguments) {
    const idx_pair pair = fixture_pair(0, 0);
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_idx_memory(NULL, pair.images, 1, pair.labels, 1), BP_EINVAL);
    cr_assert_eq(bp_dataset_load_idx_memory(&d, NULL, 1, pair.labels, 1), BP_EINVAL);
    cr_assert_eq(bp_dataset_load_idx_memory(&d, pair.images, 1, NULL, 1), BP_EINVAL);
    assert_message_has("bp_dataset_load_idx_memory");
    /* No bytes at all is an empty file, not a bad argument. */
    d = garbage();
    cr_assert_eq(bp_dataset_load_idx_memory(&d, NULL, 0, pair.labels, pair.labels_size),
                 BP_EFORMAT);
    assert_message_has("<memory: images>: file ends after 0 bytes");
    assert_empty(&d);
    cr_assert_eq(bp_dataset_load_idx_memory(&d, pair.images, pair.images_size, NULL, 0),
                 BP_EFORMAT);
    assert_message_has("<memory: labels>");
}

/* The whole file at path, from malloc. */
static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    const long size = ftell(f);
    cr_assert_geq(size, 0);
    rewind(f);
    unsigned char *bytes = malloc((size_t)size + 1);
    cr_assert_not_null(bytes);
    cr_assert_eq(fread(bytes, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return bytes;
}

Test(data, idx_memory_fashion_mnist_matches_the_files) {
    const char *images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(images, R_OK) != 0 || access(labels, R_OK) != 0)
        cr_skip_test("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    bp_dataset from_files = {0}, from_memory = {0};
    cr_assert_eq(bp_dataset_load_idx(&from_files, images, labels), BP_OK, "%s", bp_errmsg());
    size_t ni, nl;
    unsigned char *bi = slurp(images, &ni), *bl = slurp(labels, &nl);
    cr_assert_eq(bp_dataset_load_idx_memory(&from_memory, bi, ni, bl, nl), BP_OK, "%s",
                 bp_errmsg());
    free(bi);
    free(bl);
    cr_assert_eq(from_memory.count, 10000);
    cr_assert_eq(from_memory.features, 784);
    cr_assert_eq(from_memory.classes, 10);
    cr_assert(memcmp(from_files.inputs, from_memory.inputs, 784 * 10000 * sizeof(float)) == 0);
    cr_assert(memcmp(from_files.labels, from_memory.labels, 10000 * sizeof(uint32_t)) == 0);
    bp_dataset_free(&from_files);
    bp_dataset_free(&from_memory);
}

/* Loads `text` from an exact-size heap copy: no terminating NUL to lean on. */
static int load_csv_memory(bp_dataset *d, const char *text, size_t size, size_t label_column) {
    char *copy = malloc(size ? size : 1);
    cr_assert_not_null(copy);
    memcpy(copy, text, size);
    *d = garbage();
    const int rc = bp_dataset_load_csv_memory(d, copy, size, label_column);
    free(copy);
    return rc;
}

Test(data, csv_memory_equals_the_file) {
    const char *text = "label,a,b\r\n1.5,2,0\r\n-3,0.25,2\r\n4e-1, 7 ,1";
    bp_dataset from_file = load_csv(text, 2), from_memory;
    cr_assert_eq(load_csv_memory(&from_memory, text, strlen(text), 2), BP_OK, "%s", bp_errmsg());
    /* Both what the text holds, not only alike. */
    const float want[] = {1.5f, 2.0f, -3.0f, 0.25f, 0.4f, 7.0f};
    const uint32_t labels[] = {0, 2, 1};
    const bp_dataset *sets[] = {&from_file, &from_memory};
    for (size_t s = 0; s < 2; s++) {
        cr_assert_eq(sets[s]->count, 3);
        cr_assert_eq(sets[s]->features, 2);
        cr_assert_eq(sets[s]->classes, 3);
        assert_floats(sets[s]->inputs, want, 6);
        for (size_t i = 0; i < 3; i++)
            cr_assert_eq(sets[s]->labels[i], labels[i], "%s: label %zu", s ? "memory" : "file", i);
    }
    bp_dataset_free(&from_file);
    bp_dataset_free(&from_memory);
}

Test(data, csv_memory_errors_name_memory_line_and_column) {
    bp_dataset d;
    const char *ragged = "1,2,3\n4,5\n";
    cr_assert_eq(load_csv_memory(&d, ragged, strlen(ragged), 0), BP_EFORMAT);
    assert_message_has("<memory>, line 2");
    assert_empty(&d);
    const char *nul = "1,2\n3,\0"
                      "4\n";
    cr_assert_eq(load_csv_memory(&d, nul, 8, 0), BP_EFORMAT);
    assert_message_has("NUL");
    /* The size is what counts: a row cut off mid-number loads as the prefix. */
    cr_assert_eq(load_csv_memory(&d, "1,25\n", 3, 0), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(d.inputs[0], 2.0f);
    bp_dataset_free(&d);
    cr_assert_eq(load_csv_memory(&d, "1,2", 0, 0), BP_EFORMAT);
    assert_message_has("no rows of data");
    cr_assert_eq(bp_dataset_load_csv_memory(&d, NULL, 0, 0), BP_EFORMAT);
    cr_assert_eq(bp_dataset_load_csv_memory(&d, NULL, 3, 0), BP_EINVAL);
    cr_assert_eq(bp_dataset_load_csv_memory(NULL, "1,2", 3, 0), BP_EINVAL);
    cr_assert_eq(load_csv_memory(&d, "1,2", 3, 5), BP_EINVAL);
    assert_message_has("label_column 5");
}

Test(data, idx_files_and_memory_agree_on_gzip_members_and_trailing_bytes) {
    unsigned char p[PIXELS], file[256], two[600];
    pixels(p);
    const size_t n = idx_bytes(file, 0x08, 3, image_dims, p, PIXELS);
    size_t len = gzip_bytes(two, sizeof two, file, 30);
    len += gzip_bytes(two + len, sizeof two - len, file + 30, n - 30);
    const char *images = tmp("images.gz"), *labels = tmp("labels");
    write_pair(tmp("unused"), labels, 0, 0);
    write_plain(images, two, len);
    bp_dataset d = garbage();
    cr_assert_eq(bp_dataset_load_idx(&d, images, labels), BP_OK, "%s", bp_errmsg());
    assert_fixture(&d);
    bp_dataset_free(&d);
    /* One stray byte after the last member: the file is damaged, as the
     * same bytes in memory are. */
    two[len] = 0x42;
    write_plain(images, two, len + 1);
    expect_idx_failure(images, labels, BP_EFORMAT, images, "follow the end of the gzip stream");
}
