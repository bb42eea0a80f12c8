/* bp-bench-predict: rows per second of bp_net_predict with batch products
 * (BP_INFERENCE_BATCH) against row-invariant ones (BP_INFERENCE_INVARIANT), on
 * Fashion-MNIST's test set with the default network and on a small tabular
 * model, in batches of BP_EVAL_BATCH and one row per call. Public API only.
 *   usage: bp-bench-predict [DATA_DIR] [ROUNDS] */
#define _POSIX_C_SOURCE 200809L
#include <backprop.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void check(int rc, const char *what) {
    if (rc != BP_OK) {
        fprintf(stderr, "bp-bench-predict: %s: %s\n", what, bp_errmsg());
        exit(1);
    }
}

/* The best of `rounds` timings of predicting all n rows, `per_call` rows per
 * bp_net_predict, in rows per second. */
static double rows_per_second(bp_net *net, const float *x, size_t n, size_t per_call, float *y,
                              int rounds) {
    const size_t in = bp_net_num_inputs(net), out = bp_net_num_outputs(net);
    double best = INFINITY;
    for (int r = 0; r < rounds; r++) {
        const double start = now();
        for (size_t first = 0; first < n; first += per_call) {
            const size_t count = n - first < per_call ? n - first : per_call;
            check(bp_net_predict(net, x + first * in, count, y + first * out), "predict");
        }
        const double seconds = now() - start;
        best = seconds < best ? seconds : best;
    }
    return (double)n / best;
}

static void measure(const char *name, bp_net *net, const float *x, size_t n, int rounds) {
    const size_t out = bp_net_num_outputs(net);
    float *batch = malloc(n * out * sizeof *batch), *invariant = malloc(n * out * sizeof *batch);
    if (!batch || !invariant)
        exit(1);
    check(bp_net_reserve(net, BP_EVAL_BATCH), "reserve");
    double r[2][2]; /* [mode][per call: BP_EVAL_BATCH, 1] */
    for (int mode = 0; mode < 2; mode++) {
        check(bp_net_set_inference(net, mode ? BP_INFERENCE_INVARIANT : BP_INFERENCE_BATCH),
              "set_inference");
        float *y = mode ? invariant : batch;
        rows_per_second(net, x, n, BP_EVAL_BATCH, y, 1); /* warm up */
        r[mode][0] = rows_per_second(net, x, n, BP_EVAL_BATCH, y, rounds);
        r[mode][1] = rows_per_second(net, x, n < 2000 ? n : 2000, 1, y, rounds);
    }
    double worst = 0.0;
    for (size_t i = 0; i < n * out; i++)
        worst = fmax(worst, fabs((double)batch[i] - (double)invariant[i]));
    printf("%s, %zu rows, core %s, %d OpenBLAS threads:\n"
           "  batches of %d: batch %.0f rows/s, invariant %.0f rows/s (%.2fx)\n"
           "  one row per call: batch (sgemv) %.0f rows/s, invariant %.0f rows/s (%.2fx)\n"
           "  largest |batch - invariant| output difference %.3g\n",
           name, n, bp_blas_core(), bp_blas_threads(), BP_EVAL_BATCH, r[0][0], r[1][0],
           r[1][0] / r[0][0], r[0][1], r[1][1], r[1][1] / r[0][1], worst);
    free(batch);
    free(invariant);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    const int rounds = argc > 2 ? atoi(argv[2]) : 5;
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(labels, sizeof labels, "%s/t10k-labels-idx1-ubyte.gz", dir);
    bp_dataset test;
    check(bp_dataset_load_idx(&test, images, labels), images);
    check(bp_dataset_scale(&test, 0.0f, 1.0f / 255.0f), "scale");

    /* The CLI's default network on Fashion-MNIST: 784-256-128-10, ReLU, softmax. */
    const size_t mnist_sizes[] = {784, 256, 128, 10};
    const bp_activation mnist_acts[] = {BP_ACT_RELU, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net;
    check(bp_net_create(&net, 3, mnist_sizes, mnist_acts, BP_KERNELS_OPENBLAS, 1), "create");
    check(bp_net_initialize(net, BP_INIT_HE, 1), "initialize");
    measure("Fashion-MNIST test set, 784-256-128-10", net, test.inputs, test.count, rounds);
    bp_net_destroy(net);
    bp_dataset_free(&test);

    /* A small tabular model: the CLI's default hidden layers on wine's 13
     * features and 3 classes, on 10 000 rows of standard normal features. */
    const size_t rows = 10000, tab_sizes[] = {13, 256, 128, 3};
    float *x = malloc(rows * 13 * sizeof *x);
    if (!x)
        return 1;
    unsigned long long s = 42;
    for (size_t i = 0; i < rows * 13; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    check(bp_net_create(&net, 3, tab_sizes, mnist_acts, BP_KERNELS_OPENBLAS, 1), "create");
    check(bp_net_initialize(net, BP_INIT_HE, 1), "initialize");
    measure("tabular 13-256-128-3", net, x, rows, rounds);
    bp_net_destroy(net);
    free(x);
    return 0;
}
