/*
 * file_helpers.c - test-only file helpers; see file_helpers.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "file_helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <backprop.h>

char scratch[64];

/* A fresh directory per test; removed with its files by remove_scratch. */
void make_scratch(const char *prefix) {
    snprintf(scratch, sizeof scratch, "/tmp/%s_XXXXXX", prefix);
    cr_assert_not_null(mkdtemp(scratch), "mkdtemp failed");
}

/* scratch/name, truncated to capacity. */
void path_in_scratch(char *out, size_t capacity, const char *name) {
    snprintf(out, capacity, "%s/%s", scratch, name);
}

/* The names in the scratch directory, "." and ".." excluded. */
size_t list_scratch(char names[][64], size_t capacity) {
    DIR *dir = opendir(scratch);
    cr_assert_not_null(dir);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (count < capacity)
            snprintf(names[count], 64, "%.63s", entry->d_name);
        count++;
    }
    closedir(dir);
    return count;
}

/* Up to 16 entries (files, or empty directories via rmdir), then the directory. */
void remove_scratch(void) {
    char names[16][64], path[160];
    size_t count = list_scratch(names, 16);
    for (size_t i = 0; i < count && i < 16; i++) {
        path_in_scratch(path, sizeof path, names[i]);
        if (remove(path) != 0)
            rmdir(path);
    }
    rmdir(scratch);
}

/* Writes the n bytes, asserting that open, write and close succeed. */
void write_file(const char *path, const unsigned char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

/* The whole file, from malloc; *n its length. */
unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    size_t capacity = 1 << 16, used = 0, got;
    unsigned char *data = malloc(capacity);
    while ((got = fread(data + used, 1, capacity - used, f)) > 0) {
        used += got;
        if (used == capacity)
            data = realloc(data, capacity *= 2);
    }
    fclose(f);
    *n = used;
    return data;
}

/* Bit by bit: reflected polynomial 0xEDB88320, initial and final xor 0xFFFFFFFF. */
uint32_t crc32_bitwise(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Least significant byte first. */
void put_u32(bytes *b, uint32_t v) {
    for (int i = 0; i < 4; i++)
        b->data[b->len++] = (unsigned char)(v >> (8 * i));
}

/* Least significant byte first. */
void put_u64(bytes *b, uint64_t v) {
    for (int i = 0; i < 8; i++)
        b->data[b->len++] = (unsigned char)(v >> (8 * i));
}

/* The float's IEEE-754 bits, as a u32. */
void put_f32(bytes *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

/* Four bytes, least significant first. */
uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Eight bytes, least significant first. */
uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Loads the bytes from scratch/crafted.bin or an exact-size heap copy;
 * returns the code, with *path the file's name ("" from memory). */
static int load_bytes(const crafted_loader *loader, const unsigned char *data, size_t n, char *path,
                      size_t capacity) {
    if (!loader->from_memory) {
        path_in_scratch(path, capacity, "crafted.bin");
        write_file(path, data, n);
        return loader->load(path, NULL, 0, loader->context);
    }
    path[0] = '\0';
    unsigned char *copy = malloc(n ? n : 1);
    cr_assert_not_null(copy);
    if (n)
        memcpy(copy, data, n);
    int rc = loader->load(NULL, copy, n, loader->context);
    free(copy);
    return rc;
}

/* The failure's message: the loader's prefix, the file, the phrase. */
static void check_message(const crafted_loader *loader, const char *name, const char *path,
                          const char *phrase) {
    const char *message = bp_errmsg();
    cr_assert(strncmp(message, loader->prefix, strlen(loader->prefix)) == 0,
              "%s: message \"%s\" does not start with \"%s\"", name, message, loader->prefix);
    cr_assert(strstr(message, path) != NULL, "%s: message \"%s\" lacks the path", name, message);
    if (phrase)
        cr_assert(strstr(message, phrase) != NULL, "%s: message \"%s\" lacks \"%s\"", name, message,
                  phrase);
}

void check_crafted_load(const crafted_loader *loader, const char *name, const unsigned char *data,
                        size_t n, int code, const char *phrase) {
    char path[160];
    int rc = load_bytes(loader, data, n, path, sizeof path);
    cr_assert_eq(rc, code, "%s: %s (%s), expected %s", name, bp_err_name(rc), bp_errmsg(),
                 bp_err_name(code));
    if (rc != BP_OK)
        check_message(loader, name, path, phrase);
    if (loader->after)
        loader->after(rc, name, loader->context);
}

/* A refused load: a code refused() accepts, the message (with phrase,
 * unless NULL), the after-checks. */
static void check_refused(const crafted_loader *loader, const char *name, const unsigned char *data,
                          size_t n, bool (*refused)(int rc), const char *phrase) {
    char path[160];
    int rc = load_bytes(loader, data, n, path, sizeof path);
    cr_assert(refused(rc), "%s: %s (%s)", name, bp_err_name(rc), bp_errmsg());
    check_message(loader, name, path, phrase);
    if (loader->after)
        loader->after(rc, name, loader->context);
}

void check_truncated_loads(const crafted_loader *loader, const unsigned char *data, size_t n,
                           bool (*refused)(int rc)) {
    for (size_t len = 0; len < n; len++) {
        char name[64], length[64];
        snprintf(name, sizeof name, "%zu of %zu bytes", len, n);
        snprintf(length, sizeof length, "file is %zu bytes", len);
        check_refused(loader, name, data, len, refused, length);
    }
}

void check_flipped_loads(const crafted_loader *loader, const unsigned char *data, size_t n,
                         unsigned char flip, bool (*refused)(int rc)) {
    unsigned char *flipped = malloc(n ? n : 1);
    cr_assert_not_null(flipped);
    memcpy(flipped, data, n);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "byte %zu of %zu flipped", i, n);
        flipped[i] ^= flip;
        check_refused(loader, name, flipped, n, refused, NULL);
        flipped[i] ^= flip;
    }
    free(flipped);
}
