/* Initializers: drawing every layer's weights and biases anew (uniform, Xavier, He, orthogonal). */
#include "core/init.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "support/alloc.h"
#include "support/error.h"

void bp__initialize_uniform(bp_net *net, uint64_t seed) {
    bp__rng rng;
    bp__rng_seed(&rng, seed);
    for (size_t l = 0; l < net->n_layers; l++) {
        const bp__layer *layer = &net->layers[l];
        const float bound = 1.0f / sqrtf((float)layer->inputs);
        const size_t count = layer->outputs * layer->inputs + layer->outputs;
        float *theta = bp__layer_weights(net, layer);
        for (size_t i = 0; i < count; i++)
            theta[i] = bp__rng_uniform(&rng, -bound, bound);
    }
}

/* Xavier/Glorot: W uniform in [-a, a], a = sqrt(6 / (fan_in + fan_out)), so
 * that the variance a^2 / 3 of each weight keeps the activations' and the
 * deltas' variance alike across a sigmoid or tanh layer; b = 0. */
static void initialize_xavier(bp_net *net, bp__rng *rng) {
    for (size_t l = 0; l < net->n_layers; l++) {
        const bp__layer *layer = &net->layers[l];
        const float bound = (float)sqrt(6.0 / ((double)layer->inputs + (double)layer->outputs));
        float *w = bp__layer_weights(net, layer);
        for (size_t i = 0; i < layer->outputs * layer->inputs; i++)
            w[i] = bp__rng_uniform(rng, -bound, bound);
        memset(bp__layer_bias(net, layer), 0, layer->outputs * sizeof(float));
    }
}

/* He/Kaiming: W normal with standard deviation sqrt(2 / fan_in), which keeps
 * the activations' variance through a ReLU layer (it zeroes half of them); b = 0. */
static void initialize_he(bp_net *net, bp__rng *rng) {
    for (size_t l = 0; l < net->n_layers; l++) {
        const bp__layer *layer = &net->layers[l];
        const double deviation = sqrt(2.0 / (double)layer->inputs);
        float *w = bp__layer_weights(net, layer);
        for (size_t i = 0; i < layer->outputs * layer->inputs; i++)
            w[i] = (float)(deviation * bp__rng_normal(rng));
        memset(bp__layer_bias(net, layer), 0, layer->outputs * sizeof(float));
    }
}

/* Turns a LAPACKE info into a code: its own allocation failing is ENOMEM;
 * anything else (an illegal argument, which our sizes never are) EINVAL. */
static int lapack_failure(const char *routine, lapack_int info, size_t m, size_t n) {
    const int code = info == LAPACK_WORK_MEMORY_ERROR ? BP_ENOMEM : BP_EINVAL;
    return bp__fail(code, "bp_net_initialize", "%s failed with info %ld on a %zu x %zu matrix",
                    routine, (long)info, m, n);
}

/* Orthogonal W for one layer. The fan_out x fan_in matrix of N(0, 1) draws is
 * factored in its taller orientation, m x k with m = max(fan_out, fan_in) and
 * k = min(...), A = QR, so that Q (m x k) has orthonormal columns. Q's
 * columns times sign(R_jj) make R's diagonal positive, which makes the QR
 * factorization unique and Q uniformly (Haar) distributed; without it
 * Householder's sign convention would bias Q.
 *
 * `a` (m * k floats) holds A column-major with leading dimension m: LAPACK's
 * own layout, which LAPACKE passes through as it is, whereas its row-major
 * interface would make a transposed copy. The draws are independent, so
 * filling A in memory order is as good as any other order. */
static int orthogonal_layer(bp_net *net, const bp__layer *layer, bp__rng *rng, float *a, float *tau,
                            float *sign) {
    const size_t rows = layer->outputs, cols = layer->inputs;
    const size_t m = rows > cols ? rows : cols, k = rows > cols ? cols : rows;
    for (size_t i = 0; i < m * k; i++)
        a[i] = (float)bp__rng_normal(rng);

    /* m and k are at most INT_MAX (bp_net_create checks every size), so they
     * fit lapack_int. */
    lapack_int info =
        LAPACKE_sgeqrf(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, a, (lapack_int)m, tau);
    if (info != 0)
        return lapack_failure("LAPACKE_sgeqrf", info, m, k);
    /* sgeqrf leaves R on and above A's diagonal; sorgqr overwrites it, so
     * keep the signs of R_jj now. (R_jj == 0 has probability zero.) */
    for (size_t j = 0; j < k; j++)
        sign[j] = a[j * m + j] < 0.0f ? -1.0f : 1.0f;
    info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, (lapack_int)k, a,
                          (lapack_int)m, tau);
    if (info != 0)
        return lapack_failure("LAPACKE_sorgqr", info, m, k);

    float *w = bp__layer_weights(net, layer); /* rows x cols, row-major */
    if (rows <= cols) {
        /* m = cols: column j of Q (cols floats at a + j m) becomes row j of W,
         * so W's rows are orthonormal. */
        for (size_t j = 0; j < rows; j++)
            for (size_t i = 0; i < cols; i++)
                w[j * cols + i] = sign[j] * a[j * m + i];
    } else {
        /* m = rows: W = Q, whose element (j, i) lies at a + i m + j, so W's
         * columns are orthonormal. */
        for (size_t j = 0; j < rows; j++)
            for (size_t i = 0; i < cols; i++)
                w[j * cols + i] = sign[i] * a[i * m + j];
    }
    memset(bp__layer_bias(net, layer), 0, rows * sizeof(float));
    return BP_OK;
}

/* One temporary block, sized for the largest layer, serves every layer: A
 * (m * k floats), then tau and the signs of diag(R) (k floats each). */
static int initialize_orthogonal(bp_net *net, bp__rng *rng) {
    size_t largest = 0, widest = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const bp__layer *layer = &net->layers[l];
        /* Fits: bp_net_create counted it among the parameters. */
        const size_t weights = layer->outputs * layer->inputs;
        const size_t k = layer->outputs < layer->inputs ? layer->outputs : layer->inputs;
        if (weights > largest)
            largest = weights;
        if (k > widest)
            widest = k;
    }
    size_t floats, bytes;
    if (!bp__add_size(largest, widest, &floats) || !bp__add_size(floats, widest, &floats) ||
        !bp__mul_size(floats, sizeof(float), &bytes))
        return bp__fail(BP_EOVERFLOW, "bp_net_initialize",
                        "the orthogonal initializer's %zu x %zu matrix overflows size_t", largest,
                        widest);
    float *a = bp__alloc(bytes); /* every part is written before it is read */
    if (!a)
        return bp__fail(BP_ENOMEM, "bp_net_initialize",
                        "no memory for the orthogonal initializer's %zu bytes", bytes);
    float *tau = a + largest, *sign = tau + widest;
    int rc = BP_OK;
    for (size_t l = 0; l < net->n_layers && rc == BP_OK; l++)
        rc = orthogonal_layer(net, &net->layers[l], rng, a, tau, sign);
    bp__free(a);
    return rc;
}

int bp_net_initialize(bp_net *net, bp_init init, uint64_t seed) {
    if (!net)
        return bp__fail(BP_EINVAL, __func__, "net is NULL");
    bp__rng rng;
    bp__rng_seed(&rng, seed);
    switch (init) {
    case BP_INIT_UNIFORM:
        bp__initialize_uniform(net, seed);
        break;
    case BP_INIT_XAVIER:
        initialize_xavier(net, &rng);
        break;
    case BP_INIT_HE:
        initialize_he(net, &rng);
        break;
    case BP_INIT_ORTHOGONAL: {
        const int rc = initialize_orthogonal(net, &rng);
        if (rc != BP_OK)
            return rc;
        break;
    }
    default:
        return bp__fail(BP_EINVAL, __func__, "unknown init %d", (int)init);
    }
    /* A gradient of the old parameters means nothing for the new ones. */
    memset(net->grads, 0, net->n_params * sizeof(float));
    return BP_OK;
}
