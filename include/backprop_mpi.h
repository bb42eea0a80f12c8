/*
 * backprop_mpi.h - data-parallel training of one model by many processes and
 * machines, over MPI. Library libbackprop-mpi (pkg-config backprop-mpi),
 * on top of libbackprop (backprop.h), which itself knows nothing of MPI.
 *
 * How it works
 * - Every rank of a communicator calls bp_mpi_train with its own network,
 *   optimizer and data. Rank 0's parameters are broadcast first, so all
 *   ranks start equal.
 * - options->train.batch_size is the global batch B. Each epoch's one
 *   shuffle (the same seed on every rank) is cut into batches of B, and
 *   rank r takes its contiguous share of each (shares differ by at most one
 *   example). Each rank's gradient is its share's part of the mean over the
 *   B examples, and the ranks' parts are summed: so 1 or N ranks train the
 *   same model, up to the order of float sums; the same N and seed give
 *   bitwise the same model.
 * - The sum overlaps the backward pass: layers are grouped, output layer
 *   first, into buckets of about options->bucket_bytes, and each bucket's
 *   MPI_Iallreduce starts as soon as its lowest layer's gradient is final
 *   (backprop.h's gradient hook); all complete before the optimizer step.
 * - Before the first step the ranks agree on shapes, options and state, and
 *   after each step on failures and stops (bp_train's collective), so a bad
 *   input on one rank is an error on every rank, never a hang.
 * - Sharded data (options->sharded): each rank holds only its own part and
 *   shuffles within it; see bp_collective in backprop.h.
 *
 * Threads and MPI
 * - MPI must be initialized (MPI_Init or MPI_Init_thread, any thread level:
 *   only the calling thread uses MPI) before any bp_mpi_* call. The library
 *   works on a duplicate of the caller's communicator, so its messages never
 *   mix with the caller's, and sets MPI_ERRORS_RETURN on that duplicate: an
 *   MPI error is a BP_ECOMM, not an abort. A rank that dies is another
 *   matter: MPI offers no recovery; mpirun ends the job.
 * - bp_mpi_errmsg() is per thread, like bp_errmsg().
 *
 * Memory: per call of bp_mpi_train, one MPI request per bucket and the
 * bucket table (a few words per layer); the gradient is reduced in place in
 * the network's gradient block. MPI itself may allocate inside its calls.
 */
#ifndef BACKPROP_MPI_H
#define BACKPROP_MPI_H

#include <backprop.h>
#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The default size of a gradient bucket: small enough that the first
 * allreduce starts early in the backward pass, large enough that each
 * message is long compared to MPI's per-message latency. */
#define BP_MPI_DEFAULT_BUCKET_BYTES ((size_t)1 << 20)

typedef struct bp_mpi_options {
    /* Epochs, the global batch, the seed, callbacks and first_epoch, as for
     * bp_train; its `collective` must be NULL (bp_mpi_train makes one).
     * The callbacks run on every rank where they are set: a program that
     * prints sets them on rank 0 only. A stop asked by any rank's callback
     * stops every rank after the same step. */
    bp_train_options train;
    size_t bucket_bytes; /* >= 4: gradient bytes per allreduce (a bucket holds whole layers) */
    int sharded;         /* 0: every rank holds the whole data set; 1: its own shard */
    /* Reserved for fields of later versions: must be zero (bp_mpi_train
     * checks; bp_mpi_options_default zeroes it). See backprop.h's ABI
     * policy, which this library follows. */
    uint64_t reserved[4];
} bp_mpi_options;

/* Fills *options with bp_train_options_default's, BP_MPI_DEFAULT_BUCKET_BYTES
 * and the whole data set on every rank. Does nothing for NULL. */
BP_API void bp_mpi_options_default(bp_mpi_options *options);

/* Communication figures of a run, updated after every step (so a callback
 * may read them) and final when bp_mpi_train returns. */
typedef struct bp_mpi_stats {
    int ranks;                /* the communicator's size */
    size_t buckets;           /* allreduces per step */
    size_t bytes_per_step;    /* gradient bytes each rank contributes per step */
    uint64_t steps;           /* steps taken */
    double wait_seconds;      /* in total, waiting for the buckets before the steps */
    double last_wait_seconds; /* that wait, for the last step */
    /* Reserved for fields of later versions; bp_mpi_train writes it
     * (zeros). See backprop.h's ABI policy. */
    uint64_t reserved[4];
} bp_mpi_stats;

/* Trains `net` with `opt` on this rank's `train` (and `test`, which may be
 * NULL on every rank, not on some) together with every other rank of
 * `comm`, which all call it with the same options and networks of the same
 * shape. See "How it works" above. Collective over comm.
 *
 *   stats [out] may be NULL; see bp_mpi_stats.
 *
 * Returns BP_OK on every rank, or fails on every rank: with what bp_train
 * returns (a rank whose own arguments are bad gets its code, the others
 * BP_EPEER; differing shapes or options are BP_EINVAL everywhere);
 * BP_EINVAL for a NULL pointer, bucket_bytes < 4, options->train.collective
 * set, or MPI not initialized (these before any communication: call it
 * with valid arguments on every rank); BP_ECOMM for a failed MPI call.
 * bp_mpi_errmsg() says what went wrong and where. */
BP_API int bp_mpi_train(bp_net *net, bp_optimizer *opt, const bp_dataset *train,
                        const bp_dataset *test, const bp_mpi_options *options, MPI_Comm comm,
                        bp_mpi_stats *stats);

/* Agrees on errors: every rank of comm calls it with its own code rc.
 * Returns BP_OK on every rank when every rc is BP_OK. Otherwise returns rc
 * on a rank that failed and BP_EPEER on the others, and every rank gets, in
 * `message` (may be NULL; message_size bytes, always NUL-terminated), the
 * message `what` passed by the lowest failing rank, and its rank in
 * *failed_rank (may be NULL; -1 when none failed). For a program that loads
 * files rank by rank: one rank's missing file stops all of them, each
 * saying which rank and which file. Collective over comm.
 * Also returns BP_ECOMM when MPI fails. */
BP_API int bp_mpi_agree(MPI_Comm comm, int rc, const char *what, char *message, size_t message_size,
                        int *failed_rank);

/* The structs of this header, for bp_mpi_struct_size; as bp_struct_id. */
typedef enum bp_mpi_struct_id {
    BP_MPI_STRUCT_OPTIONS = 1,
    BP_MPI_STRUCT_STATS = 2
} bp_mpi_struct_id;

/* The size in bytes of the struct `which` in the libbackprop-mpi actually
 * linked, as bp_struct_size is for backprop.h's; 0 for a value that names
 * no struct. Needs no MPI initialization. Thread-safe. */
BP_API size_t bp_mpi_struct_size(bp_mpi_struct_id which);

/* A detailed message about the last failure of a bp_mpi_* call in this
 * thread (including the failures of libbackprop it passes on), or "" if
 * none failed. Valid until the next failing bp_mpi_* call in this thread. */
BP_API const char *bp_mpi_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif /* BACKPROP_MPI_H */
