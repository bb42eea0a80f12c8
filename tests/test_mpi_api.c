/* libbackprop-mpi's API under mpirun -np 2: bad arguments, bp_mpi_agree,
 * and bp_mpi_train against bp_train alone. A plain MPI program (Criterion
 * forks each test, which MPI does not survive): every rank runs every check
 * and the job fails when any rank's check fails. */
#include <backprop_mpi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, failures;

#define CHECK(condition)                                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "rank %d: %s:%d: check failed: %s (%s)\n", rank, __FILE__, __LINE__,   \
                    #condition, bp_mpi_errmsg());                                                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

enum { FEATURES = 6, CLASSES = 3, COUNT = 101 };

/* The same small data set on every rank. */
static void make_data(bp_dataset *data) {
    static float inputs[COUNT * FEATURES];
    static uint32_t labels[COUNT];
    uint64_t state = 12345;
    for (size_t i = 0; i < COUNT * FEATURES; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        inputs[i] = (float)((state >> 40) % 2000) / 1000.0f - 1.0f;
    }
    for (size_t i = 0; i < COUNT; i++)
        labels[i] = (inputs[i * FEATURES] + inputs[i * FEATURES + 1] > 0) +
                    (inputs[i * FEATURES + 2] > 0.5f);
    *data = (bp_dataset){.count = COUNT,
                         .features = FEATURES,
                         .classes = CLASSES,
                         .inputs = inputs,
                         .labels = labels};
}

static bp_net *make_net(size_t hidden, uint64_t seed) {
    const size_t sizes[] = {FEATURES, hidden, CLASSES};
    const bp_activation activations[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    /* Each rank its own seed: bp_mpi_train must broadcast rank 0's parameters. */
    if (bp_net_create(&net, 2, sizes, activations, BP_KERNELS_NAIVE, seed) != BP_OK ||
        bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY) != BP_OK)
        exit(2);
    return net;
}

static bp_optimizer *make_optimizer(const bp_net *net) {
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_MOMENTUM);
    config.learning_rate = 0.1f;
    bp_optimizer *opt = NULL;
    if (bp_optimizer_create(&opt, net, &config) != BP_OK)
        exit(2);
    return opt;
}

static void bad_arguments(const bp_dataset *data) {
    bp_net *net = make_net(8, 1);
    bp_optimizer *opt = make_optimizer(net);
    bp_mpi_options options;
    bp_mpi_options_default(&options);
    bp_mpi_options_default(NULL); /* does nothing */
    CHECK(options.bucket_bytes == BP_MPI_DEFAULT_BUCKET_BYTES && options.sharded == 0);
    CHECK(bp_mpi_train(NULL, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "bp_mpi_train: net is NULL") != NULL);
    CHECK(bp_mpi_train(net, NULL, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(bp_mpi_train(net, opt, NULL, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(bp_mpi_train(net, opt, data, NULL, NULL, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    options.bucket_bytes = 3;
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "bucket_bytes") != NULL);
    bp_mpi_options_default(&options);
    const bp_collective collective = {.rank = 0, .size = 1};
    options.train.collective = &collective;
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "collective") != NULL);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

/* The header and the library agree on the structs' sizes; the options'
 * reserved space must be zero (backprop.h, ABI policy); the stats' is
 * written. */
static void abi(const bp_dataset *data) {
    CHECK(bp_mpi_struct_size(BP_MPI_STRUCT_OPTIONS) == sizeof(bp_mpi_options));
    CHECK(bp_mpi_struct_size(BP_MPI_STRUCT_STATS) == sizeof(bp_mpi_stats));
    CHECK(bp_mpi_struct_size((bp_mpi_struct_id)0) == 0);
    CHECK(bp_mpi_struct_size((bp_mpi_struct_id)3) == 0);
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
    /* Their sizes in SONAME 0 on LP64 Linux, as tests/test_abi.c pins
     * backprop.h's: a change of size needs the next SOVERSION. */
    CHECK(sizeof(bp_mpi_options) == 184);
    CHECK(sizeof(bp_mpi_stats) == 80);
#endif
    bp_net *net = make_net(8, 1);
    bp_optimizer *opt = make_optimizer(net);
    bp_mpi_options options;
    memset(&options, 0xA5, sizeof options);
    bp_mpi_options_default(&options);
    for (size_t i = 0; i < sizeof options.reserved / sizeof options.reserved[0]; i++)
        CHECK(options.reserved[i] == 0 && options.train.reserved[i] == 0);
    options.reserved[3] = 1;
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "bp_mpi_train: options->reserved[3] is 0x1, not 0") != NULL);
    bp_mpi_options_default(&options);
    options.train.epochs = 1;
    bp_mpi_stats stats;
    memset(&stats, 0xA5, sizeof stats);
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, &stats) == BP_OK);
    for (size_t i = 0; i < sizeof stats.reserved / sizeof stats.reserved[0]; i++)
        CHECK(stats.reserved[i] == 0);
    /* bp_train's own check of the options it is passed, on every rank. */
    options.train.reserved[7] = 2;
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "options->reserved[7] is 0x2, not 0") != NULL);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
}

static void agreement(void) {
    char message[64];
    int failed = 7;
    CHECK(bp_mpi_agree(MPI_COMM_WORLD, BP_OK, "fine", message, sizeof message, &failed) == BP_OK);
    CHECK(failed == -1 && message[0] == '\0');
    /* Rank 1 fails: it keeps its code, rank 0 gets BP_EPEER and rank 1's words. */
    const int mine = rank == 1 ? BP_EIO : BP_OK;
    const int rc = bp_mpi_agree(MPI_COMM_WORLD, mine, rank == 1 ? "part-1.csv is missing" : "",
                                message, sizeof message, &failed);
    CHECK(rc == (rank == 1 ? BP_EIO : BP_EPEER));
    CHECK(failed == 1 && strcmp(message, "part-1.csv is missing") == 0);
    if (rank == 0)
        CHECK(strstr(bp_mpi_errmsg(), "rank 1 failed: part-1.csv is missing") != NULL);
    /* A message longer than the buffer is cut, still terminated. */
    char tiny[5];
    bp_mpi_agree(MPI_COMM_WORLD, BP_EIO, "abcdefgh", tiny, sizeof tiny, NULL);
    CHECK(strcmp(tiny, "abcd") == 0);
}

static float max_relative_difference(bp_net *a, bp_net *b) {
    float *pa, *pb;
    size_t n;
    bp_net_params(a, &pa, &n);
    bp_net_params(b, &pb, NULL);
    double largest = 0.0, diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        largest = fmax(largest, fabs((double)pa[i]));
        diff = fmax(diff, fabs((double)pa[i] - (double)pb[i]));
    }
    return (float)(diff / largest);
}

/* bp_mpi_train on every rank equals bp_train alone, for any bucket size. */
static void equivalence(const bp_dataset *data) {
    bp_net *alone = make_net(16, 1);
    bp_optimizer *alone_opt = make_optimizer(alone);
    bp_train_options train_options;
    bp_train_options_default(&train_options);
    train_options.epochs = 2;
    train_options.batch_size = 10;
    CHECK(bp_train(alone, alone_opt, data, data, &train_options) == BP_OK);
    const size_t buckets[] = {4, 100, BP_MPI_DEFAULT_BUCKET_BYTES};
    for (size_t b = 0; b < sizeof buckets / sizeof buckets[0]; b++) {
        bp_net *net = make_net(16, 1 + (uint64_t)rank);
        bp_optimizer *opt = make_optimizer(net);
        bp_mpi_options options;
        bp_mpi_options_default(&options);
        options.train = train_options;
        options.bucket_bytes = buckets[b];
        bp_mpi_stats stats;
        CHECK(bp_mpi_train(net, opt, data, data, &options, MPI_COMM_WORLD, &stats) == BP_OK);
        CHECK(stats.ranks == 2 && stats.steps == 2 * 11);
        CHECK(stats.buckets == (buckets[b] == BP_MPI_DEFAULT_BUCKET_BYTES ? 1u : 2u));
        CHECK(stats.bytes_per_step == bp_net_num_params(net) * sizeof(float));
        CHECK(max_relative_difference(alone, net) <= 1e-4f);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
    bp_optimizer_destroy(alone_opt);
    bp_net_destroy(alone);
}

/* Networks of different shapes: BP_EINVAL on every rank, no hang. */
static void shape_mismatch(const bp_dataset *data) {
    bp_net *net = make_net(rank == 0 ? 8 : 9, 1);
    bp_optimizer *opt = make_optimizer(net);
    bp_mpi_options options;
    bp_mpi_options_default(&options);
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "parameters") != NULL);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    /* Options that differ: bp_train's agreement names them. */
    net = make_net(8, 1);
    opt = make_optimizer(net);
    options.train.batch_size = rank == 0 ? 10 : 11;
    CHECK(bp_mpi_train(net, opt, data, NULL, &options, MPI_COMM_WORLD, NULL) == BP_EINVAL);
    CHECK(strstr(bp_mpi_errmsg(), "batch size") != NULL);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    /* The shared data set one row shorter on rank 1, as a training set and
     * as a test set: the agreement names the size. (101 and 100 rows cut
     * the same 7 batches of 16: without the check, no hang would tell.) */
    bp_dataset shorter = *data;
    shorter.count -= (size_t)rank;
    options.train.batch_size = 16;
    for (int as_test = 0; as_test <= 1; as_test++) {
        net = make_net(8, 1);
        opt = make_optimizer(net);
        CHECK(bp_mpi_train(net, opt, as_test ? data : &shorter, as_test ? &shorter : data, &options,
                           MPI_COMM_WORLD, NULL) == BP_EINVAL);
        CHECK(strstr(bp_mpi_errmsg(), as_test ? "test-set size" : "training-set size") != NULL);
        CHECK(bp_optimizer_steps(opt) == 0);
        bp_optimizer_destroy(opt);
        bp_net_destroy(net);
    }
}

int main(int argc, char *argv[]) {
    MPI_Init(&argc, &argv);
    int size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2) {
        fprintf(stderr, "run under mpirun -np 2\n");
        MPI_Finalize();
        return 2;
    }
    bp_dataset data;
    make_data(&data);
    bad_arguments(&data);
    abi(&data);
    agreement();
    equivalence(&data);
    shape_mismatch(&data);
    int total = failures;
    MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: %d failed checks over both ranks\n", total ? "FAIL" : "ok", total);
    MPI_Finalize();
    return total ? 1 : 0;
}
