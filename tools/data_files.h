/* Loading the program's data sets: IDX or CSV files, the Fashion-MNIST default, IDX scaling;
 * whether a network fits them. */
#ifndef BACKPROP_TOOL_DATA_FILES_H
#define BACKPROP_TOOL_DATA_FILES_H

#include <backprop.h>
#include <stdbool.h>

/* Where Debian's package dataset-fashion-mnist installs the data. */
#define DEFAULT_DATA_DIR "/usr/share/datasets/fashion-mnist"

/* The Fashion-MNIST file names in the data directory. */
#define TRAIN_IMAGES_FILE "train-images-idx3-ubyte.gz"
#define TRAIN_LABELS_FILE "train-labels-idx1-ubyte.gz"
#define TEST_IMAGES_FILE "t10k-images-idx3-ubyte.gz"
#define TEST_LABELS_FILE "t10k-labels-idx1-ubyte.gz"

/* The files one data set comes from. */
typedef struct data_source {
    const char *csv;          /* a CSV file, or NULL for IDX */
    const char *label_column; /* CSV: the label's 0-based column; NULL for 0 */
    /* The cap on the loaded set's bytes (--max-input-bytes); 0: the
     * library's default */
    uint64_t max_input_bytes;
    const char *images;   /* IDX images, or NULL for default_images in data_dir */
    const char *labels;   /* IDX labels, or NULL for default_labels in data_dir */
    const char *data_dir; /* --data-dir, or NULL for DEFAULT_DATA_DIR */
    const char *default_images, *default_labels;
} data_source;

/* Loads the set. IDX inputs (bytes) are scaled by 1/255 to [0, 1], here,
 * for train and eval alike, since the model file does not store a scaling;
 * CSV inputs are left as read, for the caller to scale. A default file
 * missing from the default directory gets a message saying which Debian
 * package provides it. On failure prints the error and returns
 * EXIT_RUNTIME, with *out empty; EXIT_OK on success. */
int load_data(const data_source *source, bp_dataset *out);

/* The network's sizes must fit the data: one input per feature and an
 * output for every class (a model may have more outputs than a set has
 * classes, since a set need not contain the last ones). `what` begins the
 * message ("the model has"). Prints the error and returns EXIT_RUNTIME, or
 * returns EXIT_OK. */
int check_fit(size_t inputs, size_t outputs, size_t features, size_t classes, const char *what);

#endif
