/* What several fuzz targets do alike: an input again with its CRC-32 repaired, and a data set
 * loaded from a path checked against the same bytes loaded from memory. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <backprop.h>

#include "fuzz.h"

uint8_t *fuzz_crc_repaired(const uint8_t *data, size_t size) {
    if (size < 4)
        return NULL;
    uint8_t *copy = malloc(size);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    const uint32_t crc = (uint32_t)crc32(0, copy, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        copy[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    return copy;
}

void fuzz_check_same_dataset(int memory_rc, const bp_dataset *memory, int file_rc,
                             bp_dataset *file) {
    FUZZ_CHECK(file_rc == memory_rc);
    FUZZ_CHECK(file->count == memory->count && file->features == memory->features &&
               file->classes == memory->classes);
    FUZZ_CHECK(memory_rc != BP_OK ||
               memcmp(file->inputs, memory->inputs, memory->count * memory->features * 4) == 0);
    FUZZ_CHECK(memory_rc != BP_OK || memcmp(file->labels, memory->labels, memory->count * 4) == 0);
    bp_dataset_free(file);
}
