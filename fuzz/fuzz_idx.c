/* Fuzz target: bp_dataset_load_idx_memory on two IDX files cut from one input.
 *
 * Input layout: a 4-byte little-endian split point s, then the images file
 * and the labels file back to back; the images file is the first
 * s mod (size - 3) bytes after the split point, the labels file the rest.
 * make_corpus.py writes seeds in this layout. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <backprop.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4)
        return 0;
    const uint32_t split = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                           (uint32_t)data[3] << 24;
    const uint8_t *images = data + 4;
    const size_t rest = size - 4;
    const size_t images_size = split % (rest + 1);
    const uint8_t *labels = images + images_size;
    const size_t labels_size = rest - images_size;

    bp_dataset d;
    memset(&d, 0x5a, sizeof d); /* garbage: the load must reset it */
    int rc = bp_dataset_load_idx_memory(&d, images, images_size, labels, labels_size);
#ifdef FUZZ_REPLAY
    /* bp_dataset_load_idx on the same bytes gives the same result. */
    char images_path[64], labels_path[64];
    replay_temp_file(images, images_size, images_path);
    replay_temp_file(labels, labels_size, labels_path);
    bp_dataset f = {0};
    const int file_rc = bp_dataset_load_idx(&f, images_path, labels_path);
    unlink(images_path);
    unlink(labels_path);
    fuzz_check_same_dataset(rc, &d, file_rc, &f);
#endif
    if (rc != BP_OK) {
        FUZZ_CHECK_ERROR(rc, BP_EFORMAT, BP_ENOMEM);
        FUZZ_CHECK(d.count == 0 && d.inputs == NULL && d.labels == NULL);
        return 0;
    }
    /* Bytes become floats 0..255 and labels below classes <= 256. */
    FUZZ_CHECK(d.count > 0 && d.features > 0 && d.classes > 0 && d.classes <= 256);
    for (size_t i = 0; i < d.count * d.features; i++)
        FUZZ_CHECK(d.inputs[i] >= 0.0f && d.inputs[i] <= 255.0f);
    for (size_t i = 0; i < d.count; i++)
        FUZZ_CHECK(d.labels[i] < d.classes);
    bp_dataset_free(&d);
    return 0;
}
