/*
 * file_helpers.h - test-only helpers for the tests of the file formats
 * (test_model.c, test_optim_file.c): a scratch directory per test, whole
 * files written and read, an independent CRC-32, little-endian bytes
 * built and decoded by hand from docs/model-format.md, and the runner that
 * loads crafted or damaged bytes and checks the code and message.
 *
 * The functions that can fail assert (Criterion), failing the test.
 */
#ifndef BP_TEST_FILE_HELPERS_H
#define BP_TEST_FILE_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- scratch directory ---- */

/* The current test's scratch directory, set by make_scratch. */
extern char scratch[64];

/* Creates a fresh directory /tmp/<prefix>_XXXXXX (mkdtemp) as scratch. */
void make_scratch(const char *prefix);
/* Writes scratch/name into out (capacity bytes). */
void path_in_scratch(char *out, size_t capacity, const char *name);
/* Names in scratch, "." and ".." excluded, into names (at most capacity); returns all counted. */
size_t list_scratch(char names[][64], size_t capacity);
/* Removes the files and empty directories in scratch, then scratch itself. */
void remove_scratch(void);

/* ---- whole files ---- */

/* Writes n bytes of data to path, replacing it. */
void write_file(const char *path, const unsigned char *data, size_t n);
/* The whole file, from malloc (free it); *n its length. */
unsigned char *read_file(const char *path, size_t *n);

/* ---- checksum and little-endian bytes ---- */

/* CRC-32 (zlib/PNG: reflected 0xEDB88320, init and final xor ~0), bit by bit, without zlib. */
uint32_t crc32_bitwise(const unsigned char *p, size_t n);

/* A file under construction, little-endian by definition. */
typedef struct bytes {
    unsigned char data[4096];
    size_t len;
} bytes;

/* Appends v as 4 little-endian bytes. */
void put_u32(bytes *b, uint32_t v);
/* Appends v as 8 little-endian bytes. */
void put_u64(bytes *b, uint64_t v);
/* Appends the bits of f as a little-endian u32. */
void put_f32(bytes *b, float f);
/* The little-endian u32 at p. */
uint32_t get_u32(const unsigned char *p);
/* The little-endian u64 at p. */
uint64_t get_u64(const unsigned char *p);

/* ---- loading crafted and damaged bytes ---- */

/* A loader under test, and what each of its loads must show. */
typedef struct crafted_loader {
    /* Loads the file at path or, when path is NULL, the n bytes at data;
     * returns the loader's code. */
    int (*load)(const char *path, const unsigned char *data, size_t n, void *context);
    bool from_memory;   /* hand load the bytes, not a file holding them */
    const char *prefix; /* how its messages start: "bp_net_load: " */
    /* Checks after the load of case `name` returned rc (an output cleared,
     * a state kept, a success freed), or NULL. */
    void (*after)(int rc, const char *name, void *context);
    void *context;
} crafted_loader;

/* Loads the n bytes at data with loader: from the file scratch/crafted.bin,
 * or from an exact-size copy (a read past its end is a sanitizer report).
 * Asserts that the code is `code`, and on a failure that the message starts
 * with the loader's prefix, names the file (when from one) and contains
 * phrase (unless NULL); then calls loader->after. */
void check_crafted_load(const crafted_loader *loader, const char *name, const unsigned char *data,
                        size_t n, int code, const char *phrase);
/* Loads every truncation of the n bytes at data (0 to n - 1 bytes) as
 * check_crafted_load does, asserting each is refused with a code that
 * refused() accepts and a message giving its length ("file is 17 bytes"). */
void check_truncated_loads(const crafted_loader *loader, const unsigned char *data, size_t n,
                           bool (*refused)(int rc));
/* The same for the n bytes with each byte in turn xored with flip. */
void check_flipped_loads(const crafted_loader *loader, const unsigned char *data, size_t n,
                         unsigned char flip, bool (*refused)(int rc));

#endif /* BP_TEST_FILE_HELPERS_H */
