/* Loading MNIST's IDX files, gzip-compressed or plain, into a data set. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "backprop.h"
#include "dataset.h"
#include "error.h"
#include "file_io.h"

/* The one IDX element type a data set of pixels and labels needs. */
#define IDX_UNSIGNED_BYTE 0x08
#define IDX_MAX_DIMS 4

/* First buffer for data whose length only the header claims (gzip, pipes);
 * doubled as data arrives, so a lying header costs at most twice the data. */
#define FIRST_CAPACITY ((size_t)1 << 20)

/* gzread takes an unsigned length and returns an int. */
#define MAX_READ ((size_t)1 << 30)

static const char *const fn = "bp_dataset_load_idx";

/* One IDX file being read. */
typedef struct idx_file {
    const char *path;
    const char *what; /* "images" or "labels", for messages */
    gzFile gz;
    struct stat st;
    int n_dims;
    uint32_t dims[IDX_MAX_DIMS];
    size_t header_bytes;
    size_t bytes; /* of data: the product of the dimensions */
    unsigned char *data;
} idx_file;

/* The code and message for the error zlib has recorded on f->gz. */
static int gz_failure(const idx_file *f) {
    int errnum = Z_OK;
    const char *message = gzerror(f->gz, &errnum);
    /* zlib prefixes its message with the stream's name, "<fd:N>: " for a
     * stream opened by gzdopen; the file's own path reads better. */
    const char *named = strstr(message, ">: ");
    const char *detail = named ? named + 3 : message;
    if (errnum == Z_ERRNO)
        return bp__fail(BP_EIO, fn, "cannot read %s: %s", f->path, detail);
    if (errnum == Z_MEM_ERROR)
        return bp__fail(BP_ENOMEM, fn, "no memory to decompress %s", f->path);
    return bp__fail(BP_EFORMAT, fn, "%s: corrupt or truncated gzip stream: %s", f->path, detail);
}

/* Reads up to n bytes; *got < n only at the end of the data. A short read
 * is also where zlib reports a truncated or corrupt gzip stream. */
static int read_some(const idx_file *f, unsigned char *dst, size_t n, size_t *got) {
    *got = 0;
    while (*got < n) {
        const size_t ask = n - *got < MAX_READ ? n - *got : MAX_READ;
        const int r = gzread(f->gz, dst + *got, (unsigned)ask);
        if (r < 0)
            return gz_failure(f);
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    int errnum = Z_OK;
    if (*got < n && (gzerror(f->gz, &errnum), errnum != Z_OK))
        return gz_failure(f);
    return BP_OK;
}

static int open_idx(idx_file *f) {
    char why[128]; /* an errno's description */
    const int fd = open(f->path, O_RDONLY);
    if (fd < 0)
        return bp__fail(BP_EIO, fn, "cannot open %s: %s", f->path,
                        bp__strerror(errno, why, sizeof why));
    /* The size of the file actually opened, not of whatever the path names later. */
    if (fstat(fd, &f->st) != 0) {
        const int saved = errno;
        close(fd);
        return bp__fail(BP_EIO, fn, "cannot stat %s: %s", f->path,
                        bp__strerror(saved, why, sizeof why));
    }
    if (S_ISDIR(f->st.st_mode)) {
        close(fd);
        return bp__fail(BP_EIO, fn, "cannot read %s: %s", f->path,
                        bp__strerror(EISDIR, why, sizeof why));
    }
    /* gzread passes plain files through unchanged (gzdirect), so one reader
     * serves the compressed and uncompressed MNIST files alike. */
    f->gz = gzdopen(fd, "rb");
    if (!f->gz) {
        close(fd);
        return bp__fail(BP_ENOMEM, fn, "no memory to open %s", f->path);
    }
    return BP_OK;
}

static uint32_t big_endian_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads and checks the magic and the dimensions; sets n_dims, dims and bytes. */
static int read_header(idx_file *f, int min_dims, int max_dims) {
    unsigned char magic[4];
    size_t got;
    int rc = read_some(f, magic, sizeof magic, &got);
    if (rc != BP_OK)
        return rc;
    if (got < sizeof magic)
        return bp__fail(BP_EFORMAT, fn, "%s: file ends after %zu bytes, inside the IDX magic",
                        f->path, got);
    if (magic[0] != 0 || magic[1] != 0)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: bad magic %02x %02x %02x %02x: IDX files start with two zero bytes",
                        f->path, magic[0], magic[1], magic[2], magic[3]);
    if (magic[2] != IDX_UNSIGNED_BYTE)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: unsupported data type 0x%02x: only 0x08 (unsigned byte) is supported",
                        f->path, magic[2]);
    f->n_dims = magic[3];
    if (f->n_dims < min_dims || f->n_dims > max_dims) {
        if (min_dims == max_dims)
            return bp__fail(BP_EFORMAT, fn, "%s: %d dimensions; %s need exactly %d", f->path,
                            f->n_dims, f->what, min_dims);
        return bp__fail(BP_EFORMAT, fn, "%s: %d dimensions; %s need %d to %d", f->path, f->n_dims,
                        f->what, min_dims, max_dims);
    }

    unsigned char sizes[4 * IDX_MAX_DIMS];
    const size_t size_bytes = 4 * (size_t)f->n_dims;
    f->header_bytes = sizeof magic + size_bytes;
    rc = read_some(f, sizes, size_bytes, &got);
    if (rc != BP_OK)
        return rc;
    if (got < size_bytes)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: file ends inside the header, after %zu of its %zu bytes", f->path,
                        sizeof magic + got, f->header_bytes);
    f->bytes = 1;
    for (int d = 0; d < f->n_dims; d++) {
        f->dims[d] = big_endian_u32(sizes + 4 * d);
        if (f->dims[d] == 0)
            return bp__fail(BP_EFORMAT, fn, "%s: dimension %d of %d is 0", f->path, d + 1,
                            f->n_dims);
        if (!bp__mul_size(f->bytes, f->dims[d], &f->bytes))
            return bp__fail(BP_EFORMAT, fn, "%s: the product of the %d dimensions overflows size_t",
                            f->path, f->n_dims);
    }
    return BP_OK;
}

/* Reads the f->bytes bytes of data and checks that nothing follows them. */
static int read_data(idx_file *f) {
    size_t capacity;
    /* gzdirect is valid now that the header has been read through zlib. */
    if (gzdirect(f->gz) && S_ISREG(f->st.st_mode)) {
        /* A plain file's length is known: reject a lying header before allocating. */
        const uint64_t size = (uint64_t)f->st.st_size;
        const uint64_t present = size > f->header_bytes ? size - f->header_bytes : 0;
        if (present < f->bytes)
            return bp__fail(BP_EFORMAT, fn,
                            "%s: truncated: expected %zu bytes of data, file ends after %llu",
                            f->path, f->bytes, (unsigned long long)present);
        if (present > f->bytes)
            return bp__fail(BP_EFORMAT, fn, "%s: %llu trailing bytes after the %zu bytes of data",
                            f->path, (unsigned long long)(present - f->bytes), f->bytes);
        capacity = f->bytes;
    } else {
        capacity = f->bytes < FIRST_CAPACITY ? f->bytes : FIRST_CAPACITY;
    }
    f->data = bp__alloc(capacity);
    if (!f->data)
        return bp__fail(BP_ENOMEM, fn, "no memory for %zu bytes of %s", capacity, f->path);

    size_t have = 0;
    for (;;) {
        size_t got;
        const int rc = read_some(f, f->data + have, capacity - have, &got);
        if (rc != BP_OK)
            return rc;
        have += got;
        if (have < capacity || have == f->bytes)
            break;
        const size_t grown = capacity < f->bytes / 2 ? capacity * 2 : f->bytes;
        if (!bp__dataset_resize((void **)&f->data, have, grown))
            return bp__fail(BP_ENOMEM, fn, "no memory for %zu bytes of %s", grown, f->path);
        capacity = grown;
    }
    if (have < f->bytes)
        return bp__fail(BP_EFORMAT, fn,
                        "%s: truncated: expected %zu bytes of data, file ends after %zu", f->path,
                        f->bytes, have);

    /* One byte more must be the end (for gzip, this read also checks the CRC). */
    unsigned char extra;
    size_t got;
    const int rc = read_some(f, &extra, 1, &got);
    if (rc != BP_OK)
        return rc;
    if (got != 0)
        return bp__fail(BP_EFORMAT, fn, "%s: data continues after the %zu bytes of data", f->path,
                        f->bytes);
    return BP_OK;
}

/* Opens, reads and closes one file; on failure f->data is freed. */
static int read_idx(idx_file *f, int min_dims, int max_dims) {
    int rc = open_idx(f);
    if (rc != BP_OK)
        return rc;
    rc = read_header(f, min_dims, max_dims);
    if (rc == BP_OK)
        rc = read_data(f);
    gzclose(f->gz); /* a read-only close has nothing left to report */
    f->gz = NULL;
    if (rc != BP_OK) {
        bp__free(f->data);
        f->data = NULL;
    }
    return rc;
}

int bp_dataset_load_idx(bp_dataset *out, const char *images, const char *labels) {
    if (!out || !images || !labels)
        return bp__fail(BP_EINVAL, fn, "%s is NULL", !out ? "out" : !images ? "images" : "labels");
    *out = (bp_dataset){0};

    idx_file im = {.path = images, .what = "images"};
    idx_file lb = {.path = labels, .what = "labels"};
    int rc = read_idx(&im, 1, IDX_MAX_DIMS);
    if (rc == BP_OK)
        rc = read_idx(&lb, 1, 1);
    if (rc == BP_OK && im.dims[0] != lb.dims[0])
        rc = bp__fail(BP_EFORMAT, fn, "%s holds %u examples but %s holds %u labels", images,
                      (unsigned)im.dims[0], labels, (unsigned)lb.dims[0]);

    bp_dataset d = {0};
    size_t input_bytes = 0, label_bytes = 0;
    if (rc == BP_OK && (!bp__mul_size(im.bytes, sizeof(float), &input_bytes) ||
                        !bp__mul_size(lb.bytes, sizeof(uint32_t), &label_bytes)))
        rc = bp__fail(BP_EFORMAT, fn, "%s: %zu inputs as floats overflow size_t", images, im.bytes);
    if (rc == BP_OK) {
        d.inputs = bp__alloc(input_bytes);
        d.labels = bp__alloc(label_bytes);
        if (!d.inputs || !d.labels)
            rc = bp__fail(BP_ENOMEM, fn, "no memory for the %zu inputs of %s", im.bytes, images);
    }
    if (rc == BP_OK) {
        d.count = im.dims[0];
        d.features = im.bytes / d.count; /* 1 for a one-dimensional file */
        for (size_t i = 0; i < im.bytes; i++)
            d.inputs[i] = (float)im.data[i];
        for (size_t i = 0; i < d.count; i++)
            d.labels[i] = lb.data[i];
        d.classes = bp__dataset_classes(d.labels, d.count);
        *out = d;
    } else {
        bp_dataset_free(&d);
    }
    bp__free(im.data);
    bp__free(lb.data);
    return rc;
}
