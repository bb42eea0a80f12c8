/* Loading the program's data sets: IDX or CSV files, the Fashion-MNIST default, IDX scaling;
 * whether a network fits them. */
#define _POSIX_C_SOURCE 200809L /* access */

#include "data_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "errors.h"

/* dir/name in a new string, or NULL when out of memory. */
static char *join_path(const char *dir, const char *name) {
    const size_t dir_length = strlen(dir), name_length = strlen(name);
    char *path = malloc(dir_length + name_length + 2);
    if (path) {
        memcpy(path, dir, dir_length);
        path[dir_length] = '/';
        memcpy(path + dir_length + 1, name, name_length + 1);
    }
    return path;
}

/* The path of an IDX file: as given, or the default name in the data
 * directory. *owned is what the caller frees. */
static int resolve(const data_source *source, const char *given, const char *default_name,
                   const char **path, char **owned) {
    *owned = NULL;
    if (given) {
        *path = given;
        return EXIT_OK;
    }
    const char *dir = source->data_dir ? source->data_dir : DEFAULT_DATA_DIR;
    *owned = join_path(dir, default_name);
    if (!*owned)
        return runtime_error("out of memory");
    /* Without --data-dir the user may not know where the data should come
     * from: say so, rather than only that a file is missing. */
    if (!source->data_dir && access(*owned, F_OK) != 0) {
        runtime_error("no Fashion-MNIST data: %s is missing; install the Debian package "
                      "dataset-fashion-mnist (or run ./run.sh demo), or name the data files "
                      "(see --help)",
                      *owned);
        free(*owned);
        *owned = NULL;
        return EXIT_RUNTIME;
    }
    *path = *owned;
    return EXIT_OK;
}

int load_data(const data_source *source, bp_dataset *out) {
    *out = (bp_dataset){0};
    /* max_input_bytes is for IDX alone until the CSV loader takes a cap. */
    if (source->csv) {
        size_t column = 0;
        if (source->label_column && !parse_size(source->label_column, 0, SIZE_MAX, &column))
            return runtime_error("--label-column %s: this data takes a column number",
                                 source->label_column);
        const int rc = bp_dataset_load_csv(out, source->csv, column);
        return rc == BP_OK ? EXIT_OK : library_error(rc);
    }
    const char *images, *labels;
    char *owned_images = NULL, *owned_labels = NULL;
    int status = resolve(source, source->images, source->default_images, &images, &owned_images);
    if (status == EXIT_OK)
        status = resolve(source, source->labels, source->default_labels, &labels, &owned_labels);
    if (status == EXIT_OK) {
        int rc = bp_dataset_load_idx_limit(out, images, labels, source->max_input_bytes);
        /* IDX images are bytes 0..255: always x / 255, in train and eval. */
        if (rc == BP_OK)
            rc = bp_dataset_scale(out, 0.0f, 1.0f / 255.0f);
        if (rc != BP_OK) {
            status = library_error(rc);
            bp_dataset_free(out);
        }
    }
    free(owned_images);
    free(owned_labels);
    return status;
}

int check_fit(size_t inputs, size_t outputs, size_t features, size_t classes, const char *what) {
    if (inputs != features)
        return runtime_error("%s %zu inputs; the data has %zu features per example", what, inputs,
                             features);
    if (outputs < classes)
        return runtime_error("%s %zu outputs; the data has %zu classes (labels 0 to %zu)", what,
                             outputs, classes, classes - 1);
    return EXIT_OK;
}
