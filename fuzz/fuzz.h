/* What the fuzz targets share: libFuzzer's entry point, a check that stops
 * the run, so that a broken promise of the API counts as a crash, and the
 * steps of fuzz_helpers.c. */
#ifndef BP_FUZZ_H
#define BP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <backprop.h>

/* Called by libFuzzer, or by replay_main.c, once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replay builds (replay_main.c) also load every input through the path
 * entry points, which must agree with the memory ones: writes size bytes
 * to a new temporary file, whose name goes to path (capacity >= 64), to be
 * removed by the caller. */
#ifdef FUZZ_REPLAY
void replay_temp_file(const void *data, size_t size, char *path);
#endif

/* fuzz_helpers.c. A new copy of the size bytes at data with the last 4
 * replaced by the CRC-32 of the others, as the model and optimizer files
 * end, so that mutations reach the checks behind the CRC; NULL when size < 4.
 * The caller frees it. */
uint8_t *fuzz_crc_repaired(const uint8_t *data, size_t size);

/* fuzz_helpers.c. Checks that a data set loaded through a path entry point
 * (file_rc, *file) is what the memory entry point gave for the same bytes
 * (memory_rc, *memory): the same code, sizes, inputs and labels. Frees
 * *file. */
void fuzz_check_same_dataset(int memory_rc, const bp_dataset *memory, int file_rc,
                             bp_dataset *file);

/* abort(), not a return code: libFuzzer saves the input that did it. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A failed load must say why: a documented code and a message. */
#define FUZZ_CHECK_ERROR(rc, ...)                                                                  \
    do {                                                                                           \
        const int codes_[] = {__VA_ARGS__};                                                        \
        int known_ = 0;                                                                            \
        for (size_t i_ = 0; i_ < sizeof codes_ / sizeof codes_[0]; i_++)                           \
            known_ |= (rc) == codes_[i_];                                                          \
        if (!known_)                                                                               \
            fprintf(stderr, "unexpected %s: %s\n", bp_err_name(rc), bp_errmsg());                  \
        FUZZ_CHECK(known_);                                                                        \
        FUZZ_CHECK(bp_errmsg()[0] != '\0');                                                        \
    } while (0)

#endif
