/* Loading MNIST's IDX files, gzip-compressed or plain, into a data set. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* zlib's next_in is then a pointer to const, as the caller's memory is. */
#define ZLIB_CONST
#include <zlib.h>

#include "backprop.h"
#include "data/dataset.h"
#include "data/input_limit.h"
#include "support/alloc.h"
#include "support/error.h"
#include "support/file_io.h"

/* The one IDX element type a data set of pixels and labels needs. */
#define IDX_UNSIGNED_BYTE 0x08
#define IDX_MAX_DIMS 4

/* First buffer for data whose length only the header claims (gzip, pipes);
 * doubled as data arrives, so a lying header costs at most twice the data. */
#define FIRST_CAPACITY ((size_t)1 << 20)

/* zlib's lengths are 32 bits, and Linux moves at most about 2 GiB per read. */
#define MAX_READ ((size_t)1 << 30)

/* One IDX file being read from an open file or from memory, plain or gzip:
 * the same code serves both sources, which differ only in where the next
 * raw bytes come from (fetch). The raw bytes not yet used are always
 * z.next_in and z.avail_in, whether inflate or a plain copy takes them. */
typedef struct idx_file {
    const char *path;     /* or "<memory: images>", for messages */
    const char *what;     /* "images" or "labels", for messages */
    const char *function; /* the public entry point, for messages */
    int fd;               /* a file; -1 for memory */
    struct stat st;       /* a file's */
    const unsigned char *memory;
    size_t memory_size;
    size_t memory_read; /* bytes of memory handed to z.next_in */
    bool gzip;          /* the source starts with the gzip magic: inflate it */
    bool inflating;     /* z is set up for inflate (and needs inflateEnd) */
    bool member_end;    /* inflate finished a gzip member */
    z_stream z;
    int n_dims;
    uint32_t dims[IDX_MAX_DIMS];
    size_t header_bytes;
    size_t bytes; /* of data: the product of the dimensions */
    /* The cap on the loaded set's bytes (4 per value, as floats or uint32
     * labels), and what the files read before this one take of it. */
    uint64_t limit, claimed;
    unsigned char *data;
    unsigned char buffer[BP__IO_CHUNK]; /* a file's raw bytes */
} idx_file;

/* zlib's allocator: bp__alloc, so that the library's allocation count and
 * fault injection see inflate's memory too. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    size_t bytes;
    return bp__mul_size(items, size, &bytes) ? bp__alloc(bytes) : NULL;
}
static void z_free(voidpf opaque, voidpf block) {
    (void)opaque;
    bp__free(block);
}

/* One read(2) into dst, retried on EINTR: bytes read (0 at the end), or -1
 * with BP_EIO recorded. */
static ssize_t read_file(const idx_file *f, unsigned char *dst, size_t n) {
    for (;;) {
        const ssize_t got = read(f->fd, dst, n < MAX_READ ? n : MAX_READ);
        if (got >= 0 || errno != EINTR) {
            if (got < 0) {
                char why[128]; /* an errno's description */
                bp__fail(BP_EIO, f->function, "cannot read %s: %s", f->path,
                         bp__strerror(errno, why, sizeof why));
            }
            return got;
        }
    }
}

/* Makes z.avail_in > 0 unless the source is exhausted. */
static int fetch(idx_file *f) {
    if (f->z.avail_in > 0)
        return BP_OK;
    if (f->fd < 0) {
        const size_t left = f->memory_size - f->memory_read;
        f->z.next_in = f->memory + f->memory_read;
        f->z.avail_in = (uInt)(left < MAX_READ ? left : MAX_READ);
        f->memory_read += f->z.avail_in;
        return BP_OK;
    }
    const ssize_t got = read_file(f, f->buffer, sizeof f->buffer);
    if (got < 0)
        return BP_EIO;
    f->z.next_in = f->buffer;
    f->z.avail_in = (uInt)got;
    return BP_OK;
}

/* Inflates up to n bytes into dst; *got < n only at the end of the data. A
 * gzip member may be followed by another (as `cat a.gz b.gz` makes);
 * anything else after one is an error, as is a stream that stops early. */
static int inflate_some(idx_file *f, unsigned char *dst, size_t n, size_t *got) {
    z_stream *z = &f->z;
    while (*got < n) {
        int rc = fetch(f);
        if (rc != BP_OK)
            return rc;
        if (f->member_end) {
            if (z->avail_in == 0)
                break;
            if (z->next_in[0] != 0x1f)
                return bp__fail(BP_EFORMAT, f->function,
                                "%s: bytes follow the end of the gzip stream", f->path);
            /* Another member: inflate detects its header (and rejects a bad one). */
            if (inflateReset(z) != Z_OK)
                return bp__fail(BP_EFORMAT, f->function, "%s: cannot restart inflate", f->path);
            f->member_end = false;
        }
        const size_t ask = n - *got < MAX_READ ? n - *got : MAX_READ;
        z->next_out = dst + *got;
        z->avail_out = (uInt)ask;
        const int zrc = inflate(z, Z_NO_FLUSH);
        *got += ask - z->avail_out;
        if (zrc == Z_STREAM_END)
            f->member_end = true;
        else if (zrc == Z_MEM_ERROR)
            return bp__fail(BP_ENOMEM, f->function, "no memory to decompress %s", f->path);
        else if (zrc == Z_BUF_ERROR) /* no progress: the input ended inside the stream */
            return bp__fail(BP_EFORMAT, f->function,
                            "%s: corrupt or truncated gzip stream: unexpected end of file",
                            f->path);
        else if (zrc != Z_OK)
            return bp__fail(BP_EFORMAT, f->function, "%s: corrupt or truncated gzip stream: %s",
                            f->path, z->msg ? z->msg : "inflate failed");
    }
    return BP_OK;
}

/* Reads up to n bytes of the (decompressed) contents; *got < n only at the
 * end of the data. */
static int read_some(idx_file *f, unsigned char *dst, size_t n, size_t *got) {
    *got = 0;
    if (f->gzip)
        return inflate_some(f, dst, n, got);
    while (*got < n) {
        if (f->z.avail_in == 0 && f->fd >= 0 && n - *got >= sizeof f->buffer) {
            /* A large block of a plain file goes straight to its destination. */
            const ssize_t direct = read_file(f, dst + *got, n - *got);
            if (direct < 0)
                return BP_EIO;
            if (direct == 0)
                break;
            *got += (size_t)direct;
            continue;
        }
        const int rc = fetch(f);
        if (rc != BP_OK)
            return rc;
        if (f->z.avail_in == 0)
            break;
        const size_t part = n - *got < f->z.avail_in ? n - *got : f->z.avail_in;
        memcpy(dst + *got, f->z.next_in, part);
        f->z.next_in += part;
        f->z.avail_in -= (uInt)part;
        *got += part;
    }
    return BP_OK;
}

static int open_file(idx_file *f) {
    char why[128]; /* an errno's description */
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return bp__fail(BP_EIO, f->function, "cannot open %s: %s", f->path,
                        bp__strerror(errno, why, sizeof why));
    /* The size of the file actually opened, not of whatever the path names later. */
    if (fstat(f->fd, &f->st) != 0)
        return bp__fail(BP_EIO, f->function, "cannot stat %s: %s", f->path,
                        bp__strerror(errno, why, sizeof why));
    if (S_ISDIR(f->st.st_mode))
        return bp__fail(BP_EIO, f->function, "cannot read %s: %s", f->path,
                        bp__strerror(EISDIR, why, sizeof why));
    return BP_OK;
}

/* Opens the source and looks at its first two bytes: the gzip magic 1f 8b
 * means inflate (as gzip and zlib's gzread decide), anything else is read
 * as it is. */
static int open_source(idx_file *f) {
    f->z = (z_stream){.zalloc = z_alloc, .zfree = z_free};
    f->memory_read = 0;
    f->fd = -1;
    int rc = f->memory ? BP_OK : open_file(f);
    /* Two bytes, even from a pipe that hands them over one at a time. */
    while (rc == BP_OK && f->z.avail_in < 2) {
        if (f->fd < 0) {
            rc = fetch(f);
            break;
        }
        const ssize_t got =
            read_file(f, f->buffer + f->z.avail_in, sizeof f->buffer - f->z.avail_in);
        if (got < 0)
            return BP_EIO;
        f->z.next_in = f->buffer;
        f->z.avail_in += (uInt)got;
        if (got == 0)
            break;
    }
    if (rc != BP_OK || f->z.avail_in < 2 || f->z.next_in[0] != 0x1f || f->z.next_in[1] != 0x8b)
        return rc;
    f->gzip = true;
    /* 15 + 32: a 32 KiB window, and the gzip header detected and checked. */
    const int zrc = inflateInit2(&f->z, 15 + 32);
    if (zrc != Z_OK)
        return zrc == Z_MEM_ERROR
                   ? bp__fail(BP_ENOMEM, f->function, "no memory to decompress %s", f->path)
                   : bp__fail(BP_EFORMAT, f->function, "%s: cannot start inflate", f->path);
    f->inflating = true;
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
        return bp__fail(BP_EFORMAT, f->function,
                        "%s: file ends after %zu bytes, inside the IDX magic", f->path, got);
    if (magic[0] != 0 || magic[1] != 0)
        return bp__fail(BP_EFORMAT, f->function,
                        "%s: bad magic %02x %02x %02x %02x: IDX files start with two zero bytes",
                        f->path, magic[0], magic[1], magic[2], magic[3]);
    if (magic[2] != IDX_UNSIGNED_BYTE)
        return bp__fail(BP_EFORMAT, f->function,
                        "%s: unsupported data type 0x%02x: only 0x08 (unsigned byte) is supported",
                        f->path, magic[2]);
    f->n_dims = magic[3];
    if (f->n_dims < min_dims || f->n_dims > max_dims) {
        if (min_dims == max_dims)
            return bp__fail(BP_EFORMAT, f->function, "%s: %d dimensions; %s need exactly %d",
                            f->path, f->n_dims, f->what, min_dims);
        return bp__fail(BP_EFORMAT, f->function, "%s: %d dimensions; %s need %d to %d", f->path,
                        f->n_dims, f->what, min_dims, max_dims);
    }

    unsigned char sizes[4 * IDX_MAX_DIMS];
    const size_t size_bytes = 4 * (size_t)f->n_dims;
    f->header_bytes = sizeof magic + size_bytes;
    rc = read_some(f, sizes, size_bytes, &got);
    if (rc != BP_OK)
        return rc;
    if (got < size_bytes)
        return bp__fail(BP_EFORMAT, f->function,
                        "%s: file ends inside the header, after %zu of its %zu bytes", f->path,
                        sizeof magic + got, f->header_bytes);
    f->bytes = 1;
    for (int d = 0; d < f->n_dims; d++) {
        f->dims[d] = big_endian_u32(sizes + 4 * d);
        if (f->dims[d] == 0)
            return bp__fail(BP_EFORMAT, f->function, "%s: dimension %d of %d is 0", f->path, d + 1,
                            f->n_dims);
        if (!bp__mul_size(f->bytes, f->dims[d], &f->bytes))
            return bp__fail(BP_EFORMAT, f->function,
                            "%s: the product of the %d dimensions overflows size_t", f->path,
                            f->n_dims);
    }
    /* Refused before a byte of data is read or inflated, or memory taken:
     * a header may claim anything, and a small gzip file inflate to
     * gigabytes. The decompressed data may then not exceed the claim
     * (read_data). */
    const uint64_t loaded = (uint64_t)f->bytes; /* 4 bytes per value once loaded */
    if (loaded > (f->limit - f->claimed) / 4)
        return bp__fail(BP_EFORMAT, f->function,
                        "%s: the header claims %zu values of %s, %llu bytes loaded%s, over the "
                        "limit of %llu bytes (max_input_bytes; the command line's "
                        "--max-input-bytes)",
                        f->path, f->bytes, f->what,
                        loaded > UINT64_MAX / 4 ? 0ULL : (unsigned long long)(4 * loaded),
                        f->claimed ? " with the images" : "", (unsigned long long)f->limit);
    f->claimed += 4 * loaded;
    return BP_OK;
}

/* Reads the f->bytes bytes of data and checks that nothing follows them. */
static int read_data(idx_file *f) {
    size_t capacity;
    const bool memory = f->fd < 0;
    if (!f->gzip && (memory || S_ISREG(f->st.st_mode))) {
        /* Plain data's length is known: reject a lying header before allocating. */
        const uint64_t size = memory ? (uint64_t)f->memory_size : (uint64_t)f->st.st_size;
        const uint64_t present = size > f->header_bytes ? size - f->header_bytes : 0;
        if (present < f->bytes)
            return bp__fail(BP_EFORMAT, f->function,
                            "%s: truncated: expected %zu bytes of data, file ends after %llu",
                            f->path, f->bytes, (unsigned long long)present);
        if (present > f->bytes)
            return bp__fail(BP_EFORMAT, f->function,
                            "%s: %llu trailing bytes after the %zu bytes of data", f->path,
                            (unsigned long long)(present - f->bytes), f->bytes);
        capacity = f->bytes;
    } else {
        capacity = f->bytes < FIRST_CAPACITY ? f->bytes : FIRST_CAPACITY;
    }
    f->data = bp__alloc(capacity);
    if (!f->data)
        return bp__fail(BP_ENOMEM, f->function, "no memory for %zu bytes of %s", capacity, f->path);

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
            return bp__fail(BP_ENOMEM, f->function, "no memory for %zu bytes of %s", grown,
                            f->path);
        capacity = grown;
    }
    if (have < f->bytes)
        return bp__fail(BP_EFORMAT, f->function,
                        "%s: truncated: expected %zu bytes of data, file ends after %zu", f->path,
                        f->bytes, have);

    /* One byte more must be the end (for gzip, this read also checks the CRC). */
    unsigned char extra;
    size_t got;
    const int rc = read_some(f, &extra, 1, &got);
    if (rc != BP_OK)
        return rc;
    if (got != 0)
        return bp__fail(BP_EFORMAT, f->function, "%s: data continues after the %zu bytes of data",
                        f->path, f->bytes);
    return BP_OK;
}

/* Opens, reads and closes one file or block of memory; on failure f->data
 * is freed. */
static int read_idx(idx_file *f, int min_dims, int max_dims) {
    int rc = open_source(f);
    if (rc == BP_OK)
        rc = read_header(f, min_dims, max_dims);
    if (rc == BP_OK)
        rc = read_data(f);
    if (f->fd >= 0)
        close(f->fd); /* read-only: nothing left to report */
    f->fd = -1;
    if (f->inflating)
        inflateEnd(&f->z);
    f->inflating = false;
    if (rc != BP_OK) {
        bp__free(f->data);
        f->data = NULL;
    }
    return rc;
}

/* Reads both files (set up by the caller, from paths or memory) into *out.
 * Shared by the path and the memory entry points. */
static int load(bp_dataset *out, idx_file *im, idx_file *lb, uint64_t limit) {
    im->limit = lb->limit = limit ? limit : bp__input_limit_default();
    int rc = read_idx(im, 1, IDX_MAX_DIMS);
    lb->claimed = im->claimed;
    if (rc == BP_OK)
        rc = read_idx(lb, 1, 1);
    if (rc == BP_OK && im->dims[0] != lb->dims[0])
        rc = bp__fail(BP_EFORMAT, im->function, "%s holds %u examples but %s holds %u labels",
                      im->path, (unsigned)im->dims[0], lb->path, (unsigned)lb->dims[0]);

    bp_dataset d = {0};
    size_t input_bytes = 0, label_bytes = 0;
    if (rc == BP_OK && (!bp__mul_size(im->bytes, sizeof(float), &input_bytes) ||
                        !bp__mul_size(lb->bytes, sizeof(uint32_t), &label_bytes)))
        rc = bp__fail(BP_EFORMAT, im->function, "%s: %zu inputs as floats overflow size_t",
                      im->path, im->bytes);
    if (rc == BP_OK) {
        d.inputs = bp__alloc(input_bytes);
        d.labels = bp__alloc(label_bytes);
        if (!d.inputs || !d.labels)
            rc = bp__fail(BP_ENOMEM, im->function, "no memory for the %zu inputs of %s", im->bytes,
                          im->path);
    }
    if (rc == BP_OK) {
        d.count = im->dims[0];
        d.features = im->bytes / d.count; /* 1 for a one-dimensional file */
        for (size_t i = 0; i < im->bytes; i++)
            d.inputs[i] = (float)im->data[i];
        for (size_t i = 0; i < d.count; i++)
            d.labels[i] = lb->data[i];
        d.classes = bp__dataset_classes(d.labels, d.count);
        *out = d;
    } else {
        bp_dataset_free(&d);
    }
    bp__free(im->data);
    bp__free(lb->data);
    return rc;
}

/* The path entry points, under the name of the one called. */
static int load_paths(bp_dataset *out, const char *images, const char *labels, uint64_t limit,
                      const char *function) {
    if (out)
        *out = (bp_dataset){0}; /* left empty on every failure */
    if (!out || !images || !labels)
        return bp__fail(BP_EINVAL, function, "%s is NULL",
                        !out      ? "out"
                        : !images ? "images"
                                  : "labels");
    idx_file im = {.path = images, .what = "images", .function = function};
    idx_file lb = {.path = labels, .what = "labels", .function = function};
    return load(out, &im, &lb, limit);
}

int bp_dataset_load_idx(bp_dataset *out, const char *images, const char *labels) {
    return load_paths(out, images, labels, 0, __func__);
}

int bp_dataset_load_idx_limit(bp_dataset *out, const char *images, const char *labels,
                              uint64_t max_input_bytes) {
    return load_paths(out, images, labels, max_input_bytes, __func__);
}

int bp_dataset_load_idx_memory(bp_dataset *out, const void *images, size_t images_size,
                               const void *labels, size_t labels_size) {
    if (out)
        *out = (bp_dataset){0}; /* left empty on every failure */
    if (!out || (!images && images_size > 0) || (!labels && labels_size > 0))
        return bp__fail(BP_EINVAL, __func__, "%s is NULL",
                        !out                         ? "out"
                        : !images && images_size > 0 ? "images"
                                                     : "labels");
    /* A non-NULL memory pointer is what marks a block, even an empty one. */
    idx_file im = {.path = "<memory: images>",
                   .what = "images",
                   .function = __func__,
                   .memory = images ? images : (const void *)"",
                   .memory_size = images_size};
    idx_file lb = {.path = "<memory: labels>",
                   .what = "labels",
                   .function = __func__,
                   .memory = labels ? labels : (const void *)"",
                   .memory_size = labels_size};
    return load(out, &im, &lb, 0);
}
