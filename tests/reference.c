/*
 * reference.c - test-only double-precision reference; see reference.h.
 *
 * Deliberately plain: one example at a time, one neuron at a time, every
 * sum an explicit loop, so that it can be checked by eye against the formulas
 * and shares no structure with the library's matrix form.
 */
#include "reference.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ref_num_params(const ref_arch *arch) {
    size_t count = 0;
    for (size_t l = 1; l <= arch->n_layers; l++) {
        count += arch->sizes[l] * arch->sizes[l - 1] + arch->sizes[l];
    }
    return count;
}

/* n_1 + ... + n_L: room for one example's z (or a, or delta) in every layer. */
static size_t num_neurons(const ref_arch *arch) {
    size_t count = 0;
    for (size_t l = 1; l <= arch->n_layers; l++) {
        count += arch->sizes[l];
    }
    return count;
}

double ref_act(bp_activation act, double z) {
    switch (act) {
    case BP_ACT_IDENTITY:
        return z;
    case BP_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    case BP_ACT_TANH:
        return tanh(z);
    case BP_ACT_RELU:
        return z > 0.0 ? z : 0.0;
    case BP_ACT_LEAKY_RELU:
        return z > 0.0 ? z : (double)BP_LEAKY_RELU_SLOPE * z;
    case BP_ACT_SOFTMAX: /* not elementwise: see forward_example */
        return NAN;
    }
    return NAN;
}

double ref_act_deriv(bp_activation act, double z) {
    switch (act) {
    case BP_ACT_IDENTITY:
        return 1.0;
    case BP_ACT_SIGMOID: {
        double s = 1.0 / (1.0 + exp(-z));
        return s * (1.0 - s);
    }
    case BP_ACT_TANH: {
        double t = tanh(z);
        return 1.0 - t * t;
    }
    case BP_ACT_RELU:
        return z > 0.0 ? 1.0 : 0.0;
    case BP_ACT_LEAKY_RELU:
        return z > 0.0 ? 1.0 : (double)BP_LEAKY_RELU_SLOPE;
    case BP_ACT_SOFTMAX: /* a Jacobian, not a number: see output_delta */
        return NAN;
    }
    return NAN;
}

/* One example forward. z and a [out] get layer 1's n_1 values, then layer 2's,
 * and so on (num_neurons each). */
static void forward_example(const ref_arch *arch, const double *params, const float *x, double *z,
                            double *a) {
    const double *w = params;
    size_t off = 0;      /* this layer's first neuron in z and a */
    size_t prev_off = 0; /* the previous layer's */
    for (size_t l = 1; l <= arch->n_layers; l++) {
        size_t n_in = arch->sizes[l - 1];
        size_t n_out = arch->sizes[l];
        const double *b = w + n_out * n_in;
        for (size_t j = 0; j < n_out; j++) {
            double s = b[j];
            for (size_t k = 0; k < n_in; k++) {
                double a_prev = l == 1 ? (double)x[k] : a[prev_off + k];
                s += w[j * n_in + k] * a_prev;
            }
            z[off + j] = s;
            a[off + j] = ref_act(arch->acts[l - 1], s);
        }
        if (arch->acts[l - 1] == BP_ACT_SOFTMAX) {
            /* a_j = e^(z_j - m) / sum_k e^(z_k - m), m = max z, in double. */
            double m = -INFINITY, sum = 0.0;
            for (size_t j = 0; j < n_out; j++) {
                m = fmax(m, z[off + j]);
            }
            for (size_t j = 0; j < n_out; j++) {
                sum += exp(z[off + j] - m);
            }
            for (size_t j = 0; j < n_out; j++) {
                a[off + j] = exp(z[off + j] - m) / sum;
            }
        }
        w = b + n_out;
        prev_off = off;
        off += n_out;
    }
}

void ref_forward(const ref_arch *arch, const double *params, const float *inputs, size_t n,
                 double *outputs) {
    size_t total = num_neurons(arch);
    size_t n_in = arch->sizes[0];
    size_t n_out = arch->sizes[arch->n_layers];
    double *z = ref_alloc(total, sizeof *z);
    double *a = ref_alloc(total, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        forward_example(arch, params, inputs + i * n_in, z, a);
        for (size_t j = 0; j < n_out; j++) {
            outputs[i * n_out + j] = a[total - n_out + j];
        }
    }
    free(z);
    free(a);
}

/* C_0 of one example from its output layer's z and a (n_out each). */
static double example_cost(bp_loss loss, const double *z, const double *a, const float *y,
                           size_t n_out) {
    double c = 0.0;
    if (loss == BP_LOSS_CROSS_ENTROPY) {
        /* -sum_j y_j log a_j, with log a_j = z_j - log sum_k e^z_k. */
        double m = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < n_out; j++) {
            m = fmax(m, z[j]);
        }
        for (size_t j = 0; j < n_out; j++) {
            sum += exp(z[j] - m);
        }
        for (size_t j = 0; j < n_out; j++) {
            c -= (double)y[j] * (z[j] - m - log(sum));
        }
        return c;
    }
    for (size_t j = 0; j < n_out; j++) {
        double e = a[j] - (double)y[j];
        c += e * e;
    }
    return c;
}

double ref_cost_loss(const ref_arch *arch, bp_loss loss, const double *params, const float *inputs,
                     const float *targets, size_t n) {
    size_t total = num_neurons(arch);
    size_t n_in = arch->sizes[0];
    size_t n_out = arch->sizes[arch->n_layers];
    double *z = ref_alloc(total, sizeof *z);
    double *a = ref_alloc(total, sizeof *a);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        forward_example(arch, params, inputs + i * n_in, z, a);
        sum += example_cost(loss, z + total - n_out, a + total - n_out, targets + i * n_out, n_out);
    }
    free(z);
    free(a);
    return sum / (double)n;
}

double ref_cost(const ref_arch *arch, const double *params, const float *inputs,
                const float *targets, size_t n) {
    return ref_cost_loss(arch, BP_LOSS_QUADRATIC, params, inputs, targets, n);
}

/* delta^(L) of one example: dC_0/da by the chain rule through the output
 * activation. For softmax, through its full Jacobian da_k/dz_j =
 * a_k (kronecker_kj - a_j); otherwise sigma'(z_j). */
static void output_delta(bp_loss loss, bp_activation act, const double *z, const double *a,
                         const float *y, size_t n_out, double *delta) {
    for (size_t j = 0; j < n_out; j++) {
        if (act != BP_ACT_SOFTMAX) {
            double dc_da =
                loss == BP_LOSS_CROSS_ENTROPY ? -(double)y[j] / a[j] : 2.0 * (a[j] - (double)y[j]);
            delta[j] = ref_act_deriv(act, z[j]) * dc_da;
            continue;
        }
        double d = 0.0;
        for (size_t k = 0; k < n_out; k++) {
            double dc_da =
                loss == BP_LOSS_CROSS_ENTROPY ? -(double)y[k] / a[k] : 2.0 * (a[k] - (double)y[k]);
            double da_dz = a[k] * ((k == j ? 1.0 : 0.0) - a[j]);
            d += dc_da * da_dz;
        }
        delta[j] = d;
    }
}

double ref_gradient(const ref_arch *arch, const double *params, const float *inputs,
                    const float *targets, size_t n, double *grads) {
    return ref_gradient_loss(arch, BP_LOSS_QUADRATIC, params, inputs, targets, n, grads);
}

double ref_gradient_loss(const ref_arch *arch, bp_loss loss, const double *params,
                         const float *inputs, const float *targets, size_t n, double *grads) {
    size_t L = arch->n_layers;
    size_t total = num_neurons(arch);
    size_t n_params = ref_num_params(arch);
    double *z = ref_alloc(total, sizeof *z);
    double *a = ref_alloc(total, sizeof *a);
    double *delta = ref_alloc(total, sizeof *delta);
    /* Where each layer starts in the blocks (poff) and in z, a, delta (noff). */
    size_t *poff = ref_alloc(L + 1, sizeof *poff);
    size_t *noff = ref_alloc(L + 1, sizeof *noff);
    for (size_t l = 1; l <= L; l++) {
        if (l > 1) {
            size_t prev = arch->sizes[l - 1] * arch->sizes[l - 2] + arch->sizes[l - 1];
            poff[l] = poff[l - 1] + prev;
            noff[l] = noff[l - 1] + arch->sizes[l - 1];
        }
    }

    memset(grads, 0, n_params * sizeof *grads);
    double cost = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *x = inputs + i * arch->sizes[0];
        const float *y = targets + i * arch->sizes[L];
        forward_example(arch, params, x, z, a);

        /* C_0 and delta^(L) = dC_0/dz^(L), e.g. sigma'(z^(L)) 2 (a^(L) - y). */
        cost += example_cost(loss, z + noff[L], a + noff[L], y, arch->sizes[L]);
        output_delta(loss, arch->acts[L - 1], z + noff[L], a + noff[L], y, arch->sizes[L],
                     delta + noff[L]);

        for (size_t l = L; l >= 1; l--) {
            size_t n_in = arch->sizes[l - 1];
            size_t n_out = arch->sizes[l];
            const double *w = params + poff[l];
            double *gw = grads + poff[l];
            double *gb = gw + n_out * n_in;
            /* dC_0/dw_jk = delta_j a_k^(l-1), dC_0/db_j = delta_j, summed over examples. */
            for (size_t j = 0; j < n_out; j++) {
                double d = delta[noff[l] + j];
                gb[j] += d;
                for (size_t k = 0; k < n_in; k++) {
                    double a_prev = l == 1 ? (double)x[k] : a[noff[l - 1] + k];
                    gw[j * n_in + k] += d * a_prev;
                }
            }
            if (l == 1) {
                break;
            }
            /* delta^(l-1)_k = sigma'(z^(l-1)_k) sum_j w_jk delta^(l)_j */
            for (size_t k = 0; k < n_in; k++) {
                double s = 0.0;
                for (size_t j = 0; j < n_out; j++) {
                    s += w[j * n_in + k] * delta[noff[l] + j];
                }
                size_t u = noff[l - 1] + k;
                delta[u] = ref_act_deriv(arch->acts[l - 2], z[u]) * s;
            }
        }
    }

    /* Means over the batch. */
    for (size_t p = 0; p < n_params; p++) {
        grads[p] /= (double)n;
    }
    free(z);
    free(a);
    free(delta);
    free(poff);
    free(noff);
    return cost / (double)n;
}

double ref_min_abs_z_at_kinks(const ref_arch *arch, const double *params, const float *inputs,
                              size_t n) {
    size_t total = num_neurons(arch);
    double *z = ref_alloc(total, sizeof *z);
    double *a = ref_alloc(total, sizeof *a);
    double min = INFINITY;
    for (size_t i = 0; i < n; i++) {
        forward_example(arch, params, inputs + i * arch->sizes[0], z, a);
        size_t off = 0;
        for (size_t l = 1; l <= arch->n_layers; l++) {
            bp_activation act = arch->acts[l - 1];
            if (act == BP_ACT_RELU || act == BP_ACT_LEAKY_RELU) {
                for (size_t j = 0; j < arch->sizes[l]; j++) {
                    min = fmin(min, fabs(z[off + j]));
                }
            }
            off += arch->sizes[l];
        }
    }
    free(z);
    free(a);
    return min;
}

/* Reads every layer through bp_net_layer into the reference layout. */
static void copy_from_net(bp_net *net, const ref_arch *arch, double *dst, int grads) {
    cr_assert_eq(bp_net_num_layers(net), arch->n_layers, "the network has %zu layers, want %zu",
                 bp_net_num_layers(net), arch->n_layers);
    size_t off = 0;
    for (size_t l = 0; l < arch->n_layers; l++) {
        bp_layer layer;
        int rc = bp_net_layer(net, l, &layer);
        cr_assert_eq(rc, BP_OK, "%s", bp_errmsg());
        cr_assert_eq(layer.inputs, arch->sizes[l], "layer %zu has %zu inputs, want %zu", l,
                     layer.inputs, arch->sizes[l]);
        cr_assert_eq(layer.outputs, arch->sizes[l + 1], "layer %zu has %zu outputs, want %zu", l,
                     layer.outputs, arch->sizes[l + 1]);
        cr_assert_eq(layer.activation, arch->acts[l], "layer %zu has activation %d, want %d", l,
                     (int)layer.activation, (int)arch->acts[l]);
        const float *w = grads ? layer.weight_grads : layer.weights;
        const float *b = grads ? layer.bias_grads : layer.bias;
        cr_assert_not_null(w, "layer %zu: NULL weights", l);
        cr_assert_not_null(b, "layer %zu: NULL bias", l);
        for (size_t i = 0; i < layer.outputs * layer.inputs; i++) {
            dst[off++] = (double)w[i];
        }
        for (size_t j = 0; j < layer.outputs; j++) {
            dst[off++] = (double)b[j];
        }
    }
}

void ref_params_from_net(bp_net *net, const ref_arch *arch, double *params) {
    copy_from_net(net, arch, params, 0);
}

void ref_grads_from_net(bp_net *net, const ref_arch *arch, double *grads) {
    copy_from_net(net, arch, grads, 1);
}

void ref_param_name(const ref_arch *arch, size_t i, char *buf, size_t len) {
    for (size_t l = 1; l <= arch->n_layers; l++) {
        size_t n_in = arch->sizes[l - 1];
        size_t n_out = arch->sizes[l];
        if (i < n_out * n_in) {
            snprintf(buf, len, "layer %zu w[%zu][%zu]", l, i / n_in, i % n_in);
            return;
        }
        i -= n_out * n_in;
        if (i < n_out) {
            snprintf(buf, len, "layer %zu b[%zu]", l, i);
            return;
        }
        i -= n_out;
    }
    snprintf(buf, len, "beyond the last parameter");
}

void *ref_alloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    cr_assert_not_null(p, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

uint64_t ref_rng_next(ref_rng *rng) {
    uint64_t z = (rng->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

double ref_rng_uniform(ref_rng *rng, double lo, double hi) {
    /* The top 53 bits, as a double in [0, 1). */
    double u = (double)(ref_rng_next(rng) >> 11) / 9007199254740992.0;
    return lo + (hi - lo) * u;
}

void ref_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi) {
    ref_rng rng = {seed};
    for (size_t i = 0; i < n; i++) {
        dst[i] = (float)ref_rng_uniform(&rng, lo, hi);
    }
}

void ref_fill_uniform_d(double *dst, size_t n, uint64_t seed, double lo, double hi) {
    ref_rng rng = {seed};
    for (size_t i = 0; i < n; i++) {
        dst[i] = ref_rng_uniform(&rng, lo, hi);
    }
}

static ref_diff diff_start(void) {
    ref_diff d;
    memset(&d, 0, sizeof d);
    d.max_abs = -1.0;
    return d;
}

static void diff_add(ref_diff *d, size_t i, double got, double want) {
    double e = fabs(got - want);
    if (isnan(e)) {
        e = INFINITY; /* a NaN is the worst possible difference */
    }
    if (e > d->max_abs) {
        d->max_abs = e;
        d->worst = i;
        d->got = got;
        d->want = want;
    }
    /* fmax would drop a NaN want; keep it so that the check fails. */
    double w = fabs(want);
    if (isnan(w) || w > d->scale) {
        d->scale = w;
    }
}

static ref_diff diff_finish(ref_diff d) {
    if (d.max_abs < 0.0) {
        d.max_abs = 0.0;
    }
    if (!(d.scale >= REF_TINY) && !isnan(d.scale)) {
        d.scale = REF_TINY;
    }
    snprintf(d.where, sizeof d.where, "element %zu", d.worst);
    return d;
}

ref_diff ref_diff_dd(const double *got, const double *want, size_t n) {
    ref_diff d = diff_start();
    for (size_t i = 0; i < n; i++) {
        diff_add(&d, i, got[i], want[i]);
    }
    return diff_finish(d);
}

ref_diff ref_diff_fd(const float *got, const double *want, size_t n) {
    ref_diff d = diff_start();
    for (size_t i = 0; i < n; i++) {
        diff_add(&d, i, (double)got[i], want[i]);
    }
    return diff_finish(d);
}

ref_diff ref_diff_ff(const float *got, const float *want, size_t n) {
    ref_diff d = diff_start();
    for (size_t i = 0; i < n; i++) {
        diff_add(&d, i, (double)got[i], (double)want[i]);
    }
    return diff_finish(d);
}

void ref_diff_name(ref_diff *d, const ref_arch *arch) {
    ref_param_name(arch, d->worst, d->where, sizeof d->where);
}

ref_diff ref_diff_layers_dd(const double *got, const double *want, const ref_arch *arch) {
    ref_diff worst = diff_finish(diff_start());
    double worst_ratio = -1.0;
    size_t offset = 0;
    for (size_t l = 1; l <= arch->n_layers; l++) {
        size_t count = arch->sizes[l] * arch->sizes[l - 1] + arch->sizes[l];
        ref_diff d = ref_diff_dd(got + offset, want + offset, count);
        double ratio = d.max_abs / d.scale;
        if (isnan(ratio)) {
            ratio = INFINITY; /* a NaN anywhere is the worst layer */
        }
        if (ratio > worst_ratio) {
            worst = d;
            worst.worst += offset;
            worst_ratio = ratio;
        }
        offset += count;
    }
    ref_diff_name(&worst, arch);
    return worst;
}

/* The float blocks widened to double, then compared as above. */
static double *widen(const float *x, size_t n) {
    double *wide = ref_alloc(n, sizeof *wide);
    for (size_t i = 0; i < n; i++) {
        wide[i] = (double)x[i];
    }
    return wide;
}

ref_diff ref_diff_layers_fd(const float *got, const double *want, const ref_arch *arch) {
    double *wide = widen(got, ref_num_params(arch));
    ref_diff d = ref_diff_layers_dd(wide, want, arch);
    free(wide);
    return d;
}

ref_diff ref_diff_layers_ff(const float *got, const float *want, const ref_arch *arch) {
    double *wide = widen(want, ref_num_params(arch));
    ref_diff d = ref_diff_layers_fd(got, wide, arch);
    free(wide);
    return d;
}
