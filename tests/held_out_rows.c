/* Prints which rows of a CSV training file train --val-split holds out: the tool's own split. */
#include <backprop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "csv_preprocessing.h"

/* usage: held_out_rows COUNT FRACTION SEED
 * Runs split_validation, the function behind train --val-split, on COUNT
 * rows labelled with their own index (0-based, in the file's order), and
 * prints the indices it holds out, one a line, in the validation set's
 * order. The split depends on the count, the fraction and the seed only,
 * never on the rows' values, so these are the rows a training file of
 * COUNT rows loses to validation. */
int main(int argc, char *argv[]) {
    if (argc != 4) {
        fprintf(stderr, "usage: held_out_rows COUNT FRACTION SEED\n");
        return 2;
    }
    const size_t count = strtoull(argv[1], NULL, 10);
    const double fraction = strtod(argv[2], NULL);
    const uint64_t seed = strtoull(argv[3], NULL, 10);
    bp_dataset rows = {.count = count, .features = 1, .classes = (size_t)count};
    rows.inputs = calloc(count ? count : 1, sizeof(float));
    rows.labels = malloc((count ? count : 1) * sizeof(uint32_t));
    if (!rows.inputs || !rows.labels)
        return 1;
    for (size_t i = 0; i < count; i++)
        rows.labels[i] = (uint32_t)i;
    bp_dataset val;
    const int status = split_validation(&rows, fraction, seed, &val);
    for (size_t i = 0; status == 0 && i < val.count; i++)
        printf("%u\n", (unsigned)val.labels[i]);
    free(rows.inputs);
    free(rows.labels);
    return status;
}
