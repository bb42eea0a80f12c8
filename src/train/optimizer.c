/* Optimizers: SGD, momentum, Nesterov and Adam over the flat parameter block, with a rate schedule.
 */
#include "train/optimizer.h"

#include <math.h>
#include <string.h>

#include "core/net.h"
#include "support/abi.h"
#include "support/alloc.h"
#include "support/error.h"

/* The element loops run over [0, body) and then [body, n), where body is n
 * rounded down to a multiple of BODY_MULTIPLE: gcc 12 at -O2 vectorizes a
 * loop only when no scalar remainder is needed, which a count that is a
 * multiple of 16 floats (any SSE, AVX or AVX-512 width) guarantees. */
#define BODY_MULTIPLE 16

/* M_PI is POSIX, not C11. */
#define PI 3.14159265358979323846

void bp_optimizer_config_default(bp_optimizer_config *config, bp_optimizer_kind kind) {
    if (!config)
        return;
    *config = (bp_optimizer_config){
        .kind = kind,
        .learning_rate = kind == BP_OPT_ADAM ? 0.001f : 0.01f,
        .momentum = 0.9f,
        .beta1 = 0.9f,
        .beta2 = 0.999f,
        .epsilon = 1e-8f,
        .weight_decay = 0.0f,
        .schedule = BP_SCHEDULE_CONSTANT,
        .step_size = 1,
        .gamma = 1.0f,
        .total_steps = 1,
    };
}

size_t bp__optimizer_state_floats(bp_optimizer_kind kind, size_t n_params, bool *ok) {
    size_t floats = 0;
    bool fits = true;
    switch (kind) {
    case BP_OPT_MOMENTUM:
    case BP_OPT_NESTEROV:
        floats = n_params; /* v */
        break;
    case BP_OPT_ADAM:
        fits = bp__mul_size(n_params, 2, &floats); /* m, then v */
        if (!fits)
            floats = 0;
        break;
    default: /* SGD keeps none; an unknown kind is the config check's to reject */
        break;
    }
    *ok = fits;
    return floats;
}

/* A field in [0, 1), NaN excluded. */
static bool unit_interval(float x) { return x >= 0.0f && x < 1.0f; }

/* Only the fields the kind and the schedule use are checked, so that a
 * config written as {.kind = BP_OPT_SGD, .learning_rate = 0.1f}, with the
 * others zero, is valid. */
int bp__optimizer_check_config(const bp_optimizer_config *config, const char *function) {
    const bp_optimizer_config *c = config;
    int rc = BP__CHECK_RESERVED(c, "config->reserved", function);
    if (rc != BP_OK)
        return rc;
    if (c->kind != BP_OPT_SGD && c->kind != BP_OPT_MOMENTUM && c->kind != BP_OPT_NESTEROV &&
        c->kind != BP_OPT_ADAM)
        return bp__fail(BP_EINVAL, function, "kind is %d, not a bp_optimizer_kind", (int)c->kind);
    if (!(c->learning_rate > 0.0f) || !isfinite(c->learning_rate))
        return bp__fail(BP_EINVAL, function, "learning_rate is %g; it must be finite and > 0",
                        (double)c->learning_rate);
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return bp__fail(BP_EINVAL, function, "weight_decay is %g; it must be finite and >= 0",
                        (double)c->weight_decay);
    if ((c->kind == BP_OPT_MOMENTUM || c->kind == BP_OPT_NESTEROV) && !unit_interval(c->momentum))
        return bp__fail(BP_EINVAL, function, "momentum is %g; it must be in [0, 1)",
                        (double)c->momentum);
    if (c->kind == BP_OPT_ADAM) {
        if (!unit_interval(c->beta1))
            return bp__fail(BP_EINVAL, function, "beta1 is %g; it must be in [0, 1)",
                            (double)c->beta1);
        if (!unit_interval(c->beta2))
            return bp__fail(BP_EINVAL, function, "beta2 is %g; it must be in [0, 1)",
                            (double)c->beta2);
        if (!(c->epsilon > 0.0f) || !isfinite(c->epsilon))
            return bp__fail(BP_EINVAL, function, "epsilon is %g; it must be finite and > 0",
                            (double)c->epsilon);
    }
    switch (c->schedule) {
    case BP_SCHEDULE_CONSTANT:
        break;
    case BP_SCHEDULE_STEP:
        if (c->step_size < 1)
            return bp__fail(BP_EINVAL, function, "step_size is 0; the STEP schedule needs >= 1");
        if (!(c->gamma > 0.0f && c->gamma <= 1.0f))
            return bp__fail(BP_EINVAL, function, "gamma is %g; it must be in (0, 1]",
                            (double)c->gamma);
        break;
    case BP_SCHEDULE_COSINE:
        if (c->total_steps < 1)
            return bp__fail(BP_EINVAL, function,
                            "total_steps is 0; the COSINE schedule needs >= 1");
        break;
    default:
        return bp__fail(BP_EINVAL, function, "schedule is %d, not a bp_schedule", (int)c->schedule);
    }
    return BP_OK;
}

int bp_optimizer_create(bp_optimizer **out, const bp_net *net, const bp_optimizer_config *config) {
    if (!out)
        return bp__fail(BP_EINVAL, __func__, "out is NULL");
    *out = NULL;
    if (!net || !config)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !net ? "net" : "config");
    int rc = bp__optimizer_check_config(config, __func__);
    if (rc != BP_OK)
        return rc;
    bool fits;
    size_t bytes = 0;
    const size_t floats = bp__optimizer_state_floats(config->kind, net->n_params, &fits);
    if (!fits || !bp__mul_size(floats, sizeof(float), &bytes))
        return bp__fail(BP_EOVERFLOW, __func__, "the state for %zu parameters overflows size_t",
                        net->n_params);

    bp_optimizer *opt = bp__alloc_zeroed(sizeof *opt);
    if (!opt)
        return bp__fail(BP_ENOMEM, __func__, "no memory for the optimizer");
    if (floats > 0) {
        opt->state = bp__alloc_zeroed(bytes); /* v (and m) start at zero */
        if (!opt->state) {
            bp__free(opt);
            return bp__fail(BP_ENOMEM, __func__, "no memory for %zu bytes of optimizer state",
                            bytes);
        }
    }
    opt->config = *config;
    opt->n_params = net->n_params;
    opt->steps = 0;
    opt->state_floats = floats;
    *out = opt;
    return BP_OK;
}

void bp_optimizer_destroy(bp_optimizer *opt) {
    if (!opt)
        return;
    bp__free(opt->state);
    bp__free(opt);
}

/* eta_t of the schedule, in double. */
static double rate_at(const bp_optimizer_config *c, uint64_t t) {
    const double eta = c->learning_rate;
    switch (c->schedule) {
    case BP_SCHEDULE_STEP:
        return eta * pow(c->gamma, (double)(t / c->step_size));
    case BP_SCHEDULE_COSINE: {
        const double progress = (double)(t < c->total_steps ? t : c->total_steps);
        return eta * 0.5 * (1.0 + cos(PI * progress / (double)c->total_steps));
    }
    default:
        return eta;
    }
}

/* The update rules over the elements [lo, hi). Each is called twice, on the
 * vectorizable body and on the remainder; inlined, with restrict pointers,
 * and calling nothing but sqrtf, so the compiler can vectorize the body.
 * Weight decay is coupled: g = dC/dtheta + lambda theta, for every parameter
 * (biases included), as PyTorch's SGD and Adam do it. */
static inline void sgd_range(size_t lo, size_t hi, float *restrict theta,
                             const float *restrict grad, float eta, float decay) {
    for (size_t i = lo; i < hi; i++) {
        const float g = grad[i] + decay * theta[i];
        theta[i] -= eta * g;
    }
}

/* v <- mu v + g;  theta <- theta - eta v. */
static inline void momentum_range(size_t lo, size_t hi, float *restrict theta,
                                  const float *restrict grad, float *restrict v, float eta,
                                  float decay, float mu) {
    for (size_t i = lo; i < hi; i++) {
        const float g = grad[i] + decay * theta[i];
        const float velocity = mu * v[i] + g;
        v[i] = velocity;
        theta[i] -= eta * velocity;
    }
}

/* v <- mu v + g;  theta <- theta - eta (g + mu v), with the new v: the
 * gradient looked ahead along the velocity, in PyTorch's formulation. */
static inline void nesterov_range(size_t lo, size_t hi, float *restrict theta,
                                  const float *restrict grad, float *restrict v, float eta,
                                  float decay, float mu) {
    for (size_t i = lo; i < hi; i++) {
        const float g = grad[i] + decay * theta[i];
        const float velocity = mu * v[i] + g;
        v[i] = velocity;
        theta[i] -= eta * (g + mu * velocity);
    }
}

/* m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 * theta <- theta - (eta / c1) m / (sqrt(v) / sqrt(c2) + eps), with
 * c1 = 1 - b1^t and c2 = 1 - b2^t: the header's formula rearranged as
 * PyTorch computes it, so the per-element work is one sqrtf and one division.
 * step = eta / c1 and inv_root_c2 = 1 / sqrt(c2) come precomputed. */
static inline void adam_range(size_t lo, size_t hi, float *restrict theta,
                              const float *restrict grad, float *restrict m, float *restrict v,
                              float step, float decay, float b1, float b2, float inv_root_c2,
                              float eps) {
    for (size_t i = lo; i < hi; i++) {
        const float g = grad[i] + decay * theta[i];
        const float first = b1 * m[i] + (1.0f - b1) * g;
        const float second = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = first;
        v[i] = second;
        theta[i] -= step * first / (sqrtf(second) * inv_root_c2 + eps);
    }
}

/* Adam over the whole block: the vectorizable body, then the remainder. */
#define ADAM_PASS_BODY                                                                             \
    adam_range(0, body, theta, grad, m, v, step, decay, b1, b2, inv_root_c2, eps);                 \
    adam_range(body, n, theta, grad, m, v, step, decay, b1, b2, inv_root_c2, eps)

/* On x86-64, Adam's sqrt and division per element bound its speed, and SSE
 * (the baseline) does 4 at a time: the pass is compiled a second time for
 * AVX2, 8 at a time, and chosen when the CPU has it. Both do the same IEEE
 * operations in the same order (C11 mode does not contract into FMAs), so
 * the results are bitwise the same on every CPU. (A plain runtime check
 * rather than target_clones, whose ifunc resolver clang 14 exports.) */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_AVX2_PASS 1
__attribute__((target("avx2"))) static void
adam_pass_avx2(size_t n, size_t body, float *restrict theta, const float *restrict grad,
               float *restrict m, float *restrict v, float step, float decay, float b1, float b2,
               float inv_root_c2, float eps) {
    ADAM_PASS_BODY;
}
#endif

static void adam_pass(size_t n, size_t body, float *restrict theta, const float *restrict grad,
                      float *restrict m, float *restrict v, float step, float decay, float b1,
                      float b2, float inv_root_c2, float eps) {
#ifdef HAVE_AVX2_PASS
    if (__builtin_cpu_supports("avx2")) {
        adam_pass_avx2(n, body, theta, grad, m, v, step, decay, b1, b2, inv_root_c2, eps);
        return;
    }
#endif
    ADAM_PASS_BODY;
}

int bp_optimizer_step(bp_optimizer *opt, bp_net *net) {
    /* A gradient handed to a hook is complete only after its before_step;
     * completed even when the step is refused, so that no reduction is
     * left unfinished. */
    const int complete_rc = net ? bp__net_complete_gradient(net, __func__) : BP_OK;
    if (!opt || !net)
        return bp__fail(BP_EINVAL, __func__, "%s is NULL", !opt ? "opt" : "net");
    if (net->n_params != opt->n_params)
        return bp__fail(BP_EINVAL, __func__,
                        "the network has %zu parameters; the optimizer was made for %zu",
                        net->n_params, opt->n_params);
    if (complete_rc != BP_OK)
        return complete_rc;
    bp__optimizer_step_range(opt, net, 0, net->n_params);
    opt->steps++;
    return BP_OK;
}

void bp__optimizer_step_range(const bp_optimizer *opt, bp_net *net, size_t lo, size_t hi) {
    const bp_optimizer_config *c = &opt->config;
    /* The slice as a block of its own: the update is elementwise, so the
     * result does not depend on where the slice starts. */
    const size_t n = hi - lo, body = n - n % BODY_MULTIPLE;
    float *restrict theta = net->params + lo;
    const float *restrict grad = net->grads + lo;
    const float eta = (float)rate_at(c, opt->steps), decay = c->weight_decay;

    /* One switch outside the loops, so each loop is a straight pass. */
    switch (c->kind) {
    case BP_OPT_SGD:
        sgd_range(0, body, theta, grad, eta, decay);
        sgd_range(body, n, theta, grad, eta, decay);
        break;
    case BP_OPT_MOMENTUM:
        momentum_range(0, body, theta, grad, opt->state + lo, eta, decay, c->momentum);
        momentum_range(body, n, theta, grad, opt->state + lo, eta, decay, c->momentum);
        break;
    case BP_OPT_NESTEROV:
        nesterov_range(0, body, theta, grad, opt->state + lo, eta, decay, c->momentum);
        nesterov_range(body, n, theta, grad, opt->state + lo, eta, decay, c->momentum);
        break;
    case BP_OPT_ADAM: {
        /* Bias corrections in double: for beta2 = 0.999, 1 - beta2^t in
         * float loses most of its digits in the first steps. t counts this
         * step from 1, as the corrections need (1 - beta^0 would be 0). */
        const double t = (double)opt->steps + 1.0;
        const double c1 = 1.0 - pow(c->beta1, t), c2 = 1.0 - pow(c->beta2, t);
        const float step = (float)(eta / c1), inv_root_c2 = (float)(1.0 / sqrt(c2));
        float *m = opt->state + lo, *v = opt->state + opt->n_params + lo;
        adam_pass(n, body, theta, grad, m, v, step, decay, c->beta1, c->beta2, inv_root_c2,
                  c->epsilon);
        break;
    }
    }
}

float bp_optimizer_learning_rate(const bp_optimizer *opt) {
    return opt ? (float)rate_at(&opt->config, opt->steps) : 0.0f;
}

uint64_t bp_optimizer_steps(const bp_optimizer *opt) { return opt ? opt->steps : 0; }

const bp_optimizer_config *bp_optimizer_get_config(const bp_optimizer *opt) {
    return opt ? &opt->config : NULL;
}

size_t bp_optimizer_memory_bytes(const bp_optimizer *opt) {
    return opt ? sizeof *opt + opt->state_floats * sizeof(float) : 0;
}
