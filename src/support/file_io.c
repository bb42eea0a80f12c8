/* Atomic writes, checked reads, little-endian floats and CRC-32 for the library's files. */
#define _POSIX_C_SOURCE 200809L

#include "support/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include "backprop.h"
#include "support/error.h"

/* The most one read or write asks for: Linux moves at most about 2 GiB per
 * call, and a bounded request keeps ssize_t results in range everywhere. */
#define MAX_TRANSFER ((size_t)1 << 30)

/* strerror is not thread-safe; this is the XSI strerror_r (no _GNU_SOURCE). */
const char *bp__strerror(int error, char *text, size_t capacity) {
    if (strerror_r(error, text, capacity) != 0)
        snprintf(text, capacity, "error %d", error);
    return text;
}

uint32_t bp__crc32(uint32_t crc, const void *data, size_t n) {
    const unsigned char *bytes = data;
    uLong value = crc;
    while (n > 0) {
        size_t part = n < MAX_TRANSFER ? n : MAX_TRANSFER;
        value = crc32(value, bytes, (uInt)part);
        bytes += part;
        n -= part;
    }
    return (uint32_t)value;
}

void bp__decode_floats(float *floats, size_t n) {
    const unsigned char *bytes = (const unsigned char *)floats;
    for (size_t i = 0; i < n; i++)
        floats[i] = bp__bits_float(bp__get_u32(bytes + 4 * i));
}

/* ---- writer ---- */

static void writer_failed(bp__writer *w, const char *what, int error) {
    if (w->error == 0) {
        w->error = error != 0 ? error : EIO;
        w->failed = what;
    }
}

/* Writes the buffer out, folding it into the CRC first. Handles short
 * writes and EINTR. */
static void writer_flush(bp__writer *w) {
    if (w->to_memory) {
        if (w->memory) {
            w->crc = bp__crc32(w->crc, w->buffer, w->used);
            memcpy(w->memory + w->total, w->buffer, w->used);
        }
        w->total += w->used;
        w->used = 0;
        return;
    }
    w->crc = bp__crc32(w->crc, w->buffer, w->used);
    const unsigned char *next = w->buffer;
    size_t left = w->used;
    w->used = 0;
    while (left > 0 && w->error == 0) {
        ssize_t wrote = write(w->fd, next, left);
        if (wrote < 0) {
            if (errno != EINTR)
                writer_failed(w, "write the temporary file", errno);
            continue;
        }
        if (wrote == 0) { /* not expected from a regular file; do not spin */
            writer_failed(w, "write the temporary file", EIO);
            break;
        }
        next += wrote;
        left -= (size_t)wrote;
    }
}

static void writer_init(bp__writer *w, const char *path, const char *function) {
    w->function = function;
    w->path = path;
    w->fd = -1;
    w->error = 0;
    w->failed = NULL;
    w->crc = 0;
    w->used = 0;
    w->to_memory = false;
    w->memory = NULL;
    w->total = 0;
    w->tmp_path[0] = '\0';
}

int bp__writer_open(bp__writer *w, const char *path, const char *function) {
    writer_init(w, path, function);
    size_t length = strlen(path);
    if (length >= BP__PATH_CAPACITY)
        return bp__fail(BP_EIO, function, "path of %zu bytes is longer than the %d allowed", length,
                        BP__PATH_CAPACITY - 1);
    snprintf(w->tmp_path, sizeof w->tmp_path, "%s.tmp.XXXXXX", path);

    int fd = mkstemp(w->tmp_path);
    if (fd < 0) {
        char text[128];
        return bp__fail(BP_EIO, function, "%s: cannot create a temporary file beside it: %s", path,
                        bp__strerror(errno, text, sizeof text));
    }
    w->fd = fd;
    /* mkstemp makes the file 0600. A replaced file keeps its mode; a new one
     * gets 0644, what the usual umask gives, so that a saved model can be
     * shared like any other file. Best effort: the contents matter more. */
    struct stat old;
    mode_t mode = stat(path, &old) == 0 && S_ISREG(old.st_mode) ? (old.st_mode & 07777) : 0644;
    (void)fchmod(fd, mode);
    return BP_OK;
}

void bp__writer_open_memory(bp__writer *w, unsigned char *memory, const char *function) {
    writer_init(w, "<memory>", function);
    w->to_memory = true;
    w->memory = memory;
}

int bp__save_file(const bp__file_format *format, const void *object, const char *path,
                  const char *function) {
    if (!object || !path)
        return bp__fail(BP_EINVAL, function, "%s is NULL", !object ? format->object : "path");
    if (!*path)
        return bp__fail(BP_EINVAL, function, "path is empty");
    int rc = format->check(object, function, path);
    if (rc != BP_OK)
        return rc;
    bp__writer w;
    rc = bp__writer_open(&w, path, function);
    if (rc != BP_OK)
        return rc;
    return format->write(&w, object);
}

int bp__save_memory(const bp__file_format *format, const void *object, void *buffer,
                    size_t capacity, size_t *size, const char *function) {
    if (!object || !size || (!buffer && capacity > 0))
        return bp__fail(BP_EINVAL, function, "%s is NULL",
                        !object ? format->object
                        : !size ? "size"
                                : "buffer");
    const int rc = format->check(object, function, "<memory>");
    if (rc != BP_OK)
        return rc;
    bp__writer w;
    bp__writer_open_memory(&w, NULL, function);
    format->write(&w, object);
    *size = w.total;
    if (!buffer)
        return BP_OK;
    if (capacity < w.total)
        return bp__fail(BP_EINVAL, function,
                        "buffer of %zu bytes; the %s takes %zu (stored in *size)", capacity,
                        format->what, w.total);
    bp__writer_open_memory(&w, buffer, function);
    return format->write(&w, object);
}

void bp__writer_bytes(bp__writer *w, const void *data, size_t n) {
    const unsigned char *bytes = data;
    while (n > 0 && w->error == 0) {
        size_t room = sizeof w->buffer - w->used;
        size_t part = n < room ? n : room;
        memcpy(w->buffer + w->used, bytes, part);
        w->used += part;
        bytes += part;
        n -= part;
        if (w->used == sizeof w->buffer)
            writer_flush(w);
    }
}

void bp__writer_u32(bp__writer *w, uint32_t v) {
    unsigned char bytes[4];
    bp__put_u32(bytes, v);
    bp__writer_bytes(w, bytes, sizeof bytes);
}

void bp__writer_u64(bp__writer *w, uint64_t v) {
    unsigned char bytes[8];
    bp__put_u64(bytes, v);
    bp__writer_bytes(w, bytes, sizeof bytes);
}

void bp__writer_floats(bp__writer *w, const float *v, size_t n) {
    for (size_t i = 0; i < n && w->error == 0; i++) {
        if (sizeof w->buffer - w->used < 4)
            writer_flush(w);
        bp__put_u32(w->buffer + w->used, bp__float_bits(v[i]));
        w->used += 4;
    }
}

/* The test-only observer of the commit's steps (see file_io.h). */
static void (*commit_observer)(const char *step);

void bp__file_io_observe_commit(void (*observer)(const char *step)) { commit_observer = observer; }

static void observed(const char *step) {
    if (commit_observer)
        commit_observer(step);
}

/* fsync, retried when a signal interrupts it. */
static int sync_fd(int fd) {
    int rc;
    do
        rc = fsync(fd);
    while (rc != 0 && errno == EINTR);
    return rc;
}

/* Makes the rename itself durable by syncing the directory holding path.
 * Best effort: some file systems refuse to fsync a directory, and by now the
 * new contents are complete under the new name whatever happens. */
static void sync_parent_directory(const char *path, char *scratch, size_t capacity) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(scratch, capacity, ".");
    } else {
        size_t length = slash == path ? 1 : (size_t)(slash - path); /* "/x" lives in "/" */
        snprintf(scratch, capacity, "%.*s", (int)length, path);
    }
    int fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)sync_fd(fd);
    observed("fsync directory");
    close(fd);
}

int bp__writer_commit(bp__writer *w) {
    /* The last field: the CRC-32 of every byte before it. */
    if (w->error == 0)
        writer_flush(w);
    unsigned char crc[4];
    bp__put_u32(crc, w->crc);
    bp__writer_bytes(w, crc, sizeof crc);
    if (w->error == 0)
        writer_flush(w);
    if (w->to_memory)
        return BP_OK;
    /* The data reaches the disk before the name does: renamed first, a
     * power cut could leave the new name on an empty or partial file. */
    if (w->error == 0 && sync_fd(w->fd) != 0)
        writer_failed(w, "flush the temporary file to disk", errno);
    observed("fsync temporary file");
    /* After a successful fsync a failing close cannot lose data; EINTR from
     * close leaves the descriptor closed on Linux, so it is never retried. */
    if (close(w->fd) != 0 && errno != EINTR)
        writer_failed(w, "close the temporary file", errno);
    observed("close temporary file");
    w->fd = -1;
    if (w->error == 0 && rename(w->tmp_path, w->path) != 0)
        writer_failed(w, "rename the temporary file over it", errno);
    if (w->error == 0)
        observed("rename");
    if (w->error != 0) {
        (void)unlink(w->tmp_path);
        char text[128];
        return bp__fail(BP_EIO, w->function, "%s: cannot %s: %s; the file is unchanged", w->path,
                        w->failed, bp__strerror(w->error, text, sizeof text));
    }
    sync_parent_directory(w->path, w->tmp_path, sizeof w->tmp_path);
    return BP_OK;
}

/* ---- reader ---- */

static void reader_init(bp__reader *r, const char *path, const char *function) {
    r->function = function;
    r->path = path;
    r->fd = -1;
    r->memory = NULL;
    r->memory_read = 0;
    r->size = 0;
    r->offset = 0;
    r->crc = 0;
    r->start = r->end = 0;
}

void bp__reader_open_memory(bp__reader *r, const void *data, size_t size, const char *function) {
    reader_init(r, "<memory>", function);
    r->memory = data ? data : (const unsigned char *)""; /* NULL marks a file */
    r->size = size;
}

int bp__reader_open(bp__reader *r, const char *path, const char *function) {
    reader_init(r, path, function);
    char text[128];
    /* O_NONBLOCK: opening a FIFO by mistake must fail below, not hang here;
     * it changes nothing for regular files. */
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    r->fd = fd;
    if (fd < 0)
        return bp__fail(BP_EIO, function, "%s: cannot open: %s", path,
                        bp__strerror(errno, text, sizeof text));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int error = errno;
        bp__reader_close(r);
        return bp__fail(BP_EIO, function, "%s: cannot stat: %s", path,
                        bp__strerror(error, text, sizeof text));
    }
    if (!S_ISREG(st.st_mode)) {
        bp__reader_close(r);
        return bp__fail(BP_EIO, function, "%s: %s", path,
                        S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
    }
    r->size = (uint64_t)st.st_size;
    return BP_OK;
}

/* One read into dst of at most n bytes, retried on EINTR: > 0 bytes, 0 at
 * the end of the file, or BP_EIO. */
static ssize_t read_some(bp__reader *r, unsigned char *dst, size_t n) {
    if (n > MAX_TRANSFER)
        n = MAX_TRANSFER;
    if (r->memory) {
        const size_t left = (size_t)r->size - r->memory_read;
        n = n < left ? n : left;
        if (n > 0) /* memcpy from a NULL block of size 0 is undefined */
            memcpy(dst, r->memory + r->memory_read, n);
        r->memory_read += n;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t got = read(r->fd, dst, n);
        if (got >= 0)
            return got;
        if (errno != EINTR) {
            char text[128];
            return bp__fail(BP_EIO, r->function, "%s: read failed at byte %llu: %s", r->path,
                            (unsigned long long)r->offset, bp__strerror(errno, text, sizeof text));
        }
    }
}

int bp__reader_bytes(bp__reader *r, void *dst, size_t n) {
    unsigned char *out = dst;
    while (n > 0) {
        size_t part;
        if (r->start == r->end) {
            if (out && n >= sizeof r->buffer) {
                /* A large block goes straight to its destination. */
                ssize_t got = read_some(r, out, n);
                if (got < 0)
                    return (int)got;
                if (got == 0)
                    break;
                part = (size_t)got;
                r->crc = bp__crc32(r->crc, out, part);
                out += part;
                n -= part;
                r->offset += part;
                continue;
            }
            ssize_t got = read_some(r, r->buffer, sizeof r->buffer);
            if (got < 0)
                return (int)got;
            if (got == 0)
                break;
            r->start = 0;
            r->end = (size_t)got;
        }
        part = r->end - r->start < n ? r->end - r->start : n;
        r->crc = bp__crc32(r->crc, r->buffer + r->start, part);
        if (out) {
            memcpy(out, r->buffer + r->start, part);
            out += part;
        }
        r->start += part;
        n -= part;
        r->offset += part;
    }
    if (n > 0)
        return bp__fail(BP_EFORMAT, r->function,
                        "%s: file ends at byte %llu, short of the length checked when it was "
                        "opened (did it change?)",
                        r->path, (unsigned long long)r->offset);
    return BP_OK;
}

int bp__reader_expect_end(bp__reader *r) {
    if (r->start == r->end) {
        ssize_t got = read_some(r, r->buffer, 1);
        if (got < 0)
            return (int)got;
        if (got == 0)
            return BP_OK;
    }
    return bp__fail(BP_EFORMAT, r->function,
                    "%s: bytes follow the checksum at byte %llu (did the file change?)", r->path,
                    (unsigned long long)r->offset);
}

void bp__reader_close(bp__reader *r) {
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

void bp__writer_preamble(bp__writer *w, const unsigned char magic[8], uint32_t version) {
    bp__writer_bytes(w, magic, 8);
    bp__writer_u32(w, version);
    bp__writer_u32(w, BP__BYTE_ORDER_MARK);
}

int bp__check_preamble(const bp__reader *r, const unsigned char *bytes,
                       const unsigned char magic[8], const char *what, uint32_t version) {
    if (memcmp(bytes, magic, 8) != 0)
        return bp__fail(BP_EFORMAT, r->function,
                        "%s: not a backprop %s file (it does not start with \"%.7s\\0\")", r->path,
                        what, (const char *)magic);
    const uint32_t found = bp__get_u32(bytes + 8);
    if (found != version)
        return bp__fail(BP_EFORMAT, r->function,
                        "%s: format version %u; this library reads version %u", r->path,
                        (unsigned)found, (unsigned)version);
    const uint32_t mark = bp__get_u32(bytes + 12);
    if (mark != BP__BYTE_ORDER_MARK)
        return bp__fail(BP_EFORMAT, r->function, "%s: byte-order mark reads 0x%08x, not 0x%08x%s",
                        r->path, (unsigned)mark, (unsigned)BP__BYTE_ORDER_MARK,
                        mark == 0x04030201u ? " (written big-endian)" : "");
    return BP_OK;
}

int bp__reader_finish(bp__reader *r) {
    const uint32_t computed = r->crc;
    unsigned char stored[4];
    int rc = bp__reader_bytes(r, stored, sizeof stored);
    if (rc == BP_OK)
        rc = bp__reader_expect_end(r);
    if (rc != BP_OK)
        return rc;
    if (bp__get_u32(stored) != computed)
        return bp__fail(BP_ECHECKSUM, r->function,
                        "%s: stored CRC-32 is 0x%08x but the contents give 0x%08x", r->path,
                        (unsigned)bp__get_u32(stored), (unsigned)computed);
    return BP_OK;
}
