/* File plumbing shared by the model and optimizer files: little-endian
 * encoding, CRC-32, an atomic buffered writer and a length-checked reader. */
#ifndef BP_FILE_IO_H
#define BP_FILE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes buffered by the writer and the reader: small enough for the stack
 * of the public call that owns them, large enough that a big parameter
 * block costs few system calls. */
#define BP__IO_CHUNK 8192

/* The longest path accepted, with room for the ".tmp.XXXXXX" suffix of the
 * temporary file (Linux's PATH_MAX; longer ones fail in the kernel anyway). */
#define BP__PATH_CAPACITY 4096

/* Every file starts with an 8-byte magic, then the uint32 format version,
 * then this uint32 byte-order mark, all little-endian. A reader that decodes
 * 0x04030201 is looking at a big-endian writer's file. */
#define BP__BYTE_ORDER_MARK 0x01020304u

/* Little-endian encoding, independent of the host's byte order. */
static inline void bp__put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline void bp__put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint32_t bp__get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static inline uint64_t bp__get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* A float's IEEE-754 binary32 bits and back (memcpy: no aliasing games). */
static inline uint32_t bp__float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float bp__bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* zlib's CRC-32 of n bytes continued from crc (0 to start), for any n
 * (zlib takes 32-bit lengths). */
uint32_t bp__crc32(uint32_t crc, const void *data, size_t n);

/* Decodes n little-endian binary32 values stored at `floats` in place:
 * after it, floats[i] is the host float. A no-op on little-endian hosts
 * apart from the copy the compiler removes. */
void bp__decode_floats(float *floats, size_t n);

/* Writes a file atomically: everything goes to "<path>.tmp.XXXXXX" (made by
 * mkstemp in the same directory), and only bp__writer_commit, after fsync,
 * renames it over path. The put functions buffer, keep the CRC-32 of every
 * byte, and remember the first failure, which commit reports; so a caller
 * writes all fields, then checks once. */
typedef struct bp__writer {
    const char *function; /* the public entry point, for messages */
    const char *path;
    int fd;             /* the temporary file; -1 once closed */
    int error;          /* errno of the first failure, 0 while none */
    const char *failed; /* what failed ("write", "fsync"...) */
    uint32_t crc;
    size_t used; /* bytes in buffer */
    /* Writing to memory (bp__writer_open_memory) instead of a file. */
    bool to_memory;
    unsigned char *memory; /* NULL: only count the bytes */
    size_t total;          /* bytes flushed so far */
    char tmp_path[BP__PATH_CAPACITY + 16];
    unsigned char buffer[BP__IO_CHUNK];
} bp__writer;

/* Creates the temporary file. Returns BP_OK, or BP_EIO (message naming the
 * path and the reason) with nothing left on disk. */
int bp__writer_open(bp__writer *w, const char *path, const char *function);

/* The same writer over memory: the bytes go to `memory`, which the caller
 * has sized (from a counting pass) to hold them all, or, with memory NULL,
 * are only counted into w->total (no CRC). bp__writer_commit then appends
 * the CRC and returns BP_OK. Cannot fail. */
void bp__writer_open_memory(bp__writer *w, unsigned char *memory, const char *function);

/* Writes every field of `object` through w, ending with bp__writer_commit. */
typedef int (*bp__write_fn)(bp__writer *w, const void *object);

/* What the model and the optimizer file formats tell the save entry points
 * they share. */
typedef struct bp__file_format {
    const char *object; /* the entry point's object parameter, for messages: "net" */
    const char *what;   /* the file's content, for messages: "model" */
    /* BP_OK when the object may be saved, else the failure's code (message
     * from `function`, naming `where`: the path or "<memory>"). */
    int (*check)(const void *object, const char *function, const char *where);
    bp__write_fn write;
} bp__file_format;

/* The *_save entry points: BP_EINVAL for a NULL object or path or an empty
 * path, then format->check, then the object written atomically to path.
 * function is the public entry point, for messages. */
int bp__save_file(const bp__file_format *format, const void *object, const char *path,
                  const char *function);

/* The *_save_memory entry points: BP_EINVAL for a NULL object or size, or
 * a NULL buffer with capacity, then format->check, then a counting pass,
 * which sets *size, then, when buffer has room for all of it, the writing
 * pass; a buffer too small is left untouched (BP_EINVAL naming what and
 * the size). buffer NULL (capacity 0) asks for the size alone. */
int bp__save_memory(const bp__file_format *format, const void *object, void *buffer,
                    size_t capacity, size_t *size, const char *function);

/* Appends bytes, a little-endian integer, or n floats as little-endian
 * binary32. Failures are kept for bp__writer_commit. */
void bp__writer_bytes(bp__writer *w, const void *data, size_t n);
void bp__writer_u32(bp__writer *w, uint32_t v);
void bp__writer_u64(bp__writer *w, uint64_t v);
void bp__writer_floats(bp__writer *w, const float *v, size_t n);

/* Appends the uint32 CRC-32 of everything written, flushes, fsyncs and
 * closes the temporary file, renames it over path, and fsyncs the directory
 * (best effort: the data is safe once the rename is; the directory entry
 * may not be on disk yet after a crash). On any failure removes the
 * temporary file and returns BP_EIO naming the step and the reason; path
 * is then untouched. */
int bp__writer_commit(bp__writer *w);

/* For tests only (not exported; tests link the static library): calls
 * observer(step) after each step of every commit, in order: "fsync
 * temporary file", "close temporary file", "rename", "fsync directory".
 * NULL removes it. Set while no other thread saves. */
void bp__file_io_observe_commit(void (*observer)(const char *step));

/* The 16 bytes both file formats open with: an 8-byte magic, the format
 * version, and the byte-order mark. */
#define BP__PREAMBLE_BYTES 16
void bp__writer_preamble(bp__writer *w, const unsigned char magic[8], uint32_t version);

/* Reads a file, or a block of memory, front to back, keeping the CRC-32 of
 * every byte read. bp__reader_open records the file's length (fstat) so
 * that callers can check the length a header implies before reading or
 * allocating more. */
typedef struct bp__reader {
    const char *function;
    const char *path; /* or "<memory>", for messages */
    int fd;           /* -1 when reading memory */
    const unsigned char *memory;
    size_t memory_read; /* bytes of memory handed out so far */
    uint64_t size;      /* the file's length when opened */
    uint64_t offset;    /* bytes consumed */
    uint32_t crc;       /* of the bytes consumed */
    size_t start, end;  /* unconsumed bytes in buffer[start, end) */
    unsigned char buffer[BP__IO_CHUNK];
} bp__reader;

/* Opens a regular file for reading. Returns BP_OK, or BP_EIO naming the
 * path and the reason (missing, a directory, unreadable). */
int bp__reader_open(bp__reader *r, const char *path, const char *function);

/* Reads size bytes at data instead of a file (the caller keeps them alive
 * until bp__reader_close); messages name it "<memory>". Cannot fail. */
void bp__reader_open_memory(bp__reader *r, const void *data, size_t size, const char *function);

/* Reads exactly n bytes into dst (which may be NULL to skip them, still
 * counted in the CRC). Returns BP_OK; BP_EFORMAT when the file ends first
 * (it shrank after its length was checked); BP_EIO on a read error. */
int bp__reader_bytes(bp__reader *r, void *dst, size_t n);

/* Returns BP_OK when every byte has been consumed, BP_EFORMAT (trailing
 * bytes: the file grew) otherwise, BP_EIO on a read error. */
int bp__reader_expect_end(bp__reader *r);

/* Closes the file. Safe to call twice. */
void bp__reader_close(bp__reader *r);

/* Checks a preamble read into bytes: the magic (else "not a backprop <what>
 * file"), the version and the byte-order mark. BP_OK or BP_EFORMAT, the
 * message naming r's path. */
int bp__check_preamble(const bp__reader *r, const unsigned char *bytes,
                       const unsigned char magic[8], const char *what, uint32_t version);

/* Reads the trailing CRC-32, checks that nothing follows it and that it
 * matches everything read before it. BP_OK, BP_EFORMAT, BP_EIO or
 * BP_ECHECKSUM. */
int bp__reader_finish(bp__reader *r);

/* errno's description, as strerror gives it but thread-safe: written into
 * text (capacity bytes), which it returns. */
const char *bp__strerror(int error, char *text, size_t capacity);

#endif
