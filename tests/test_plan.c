/*
 * test_plan.c - plans: the measured choice (bp_plan_measure) leaves
 * the network as it was and picks one of its candidates; plans as text
 * ("blis:2x1") read and write back; a fixed plan reproduces bitwise.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <backprop.h>

static const size_t sizes[] = {30, 24, 5};
static const bp_activation acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};

static bp_net *make_net(bp_kernels kernels, uint64_t seed) {
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(&net, 2, sizes, acts, kernels, seed), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_set_loss(net, BP_LOSS_CROSS_ENTROPY), BP_OK, "%s", bp_errmsg());
    return net;
}

static bool reserved_zero(const bp_plan *p) {
    for (size_t i = 0; i < sizeof p->reserved / sizeof p->reserved[0]; i++)
        if (p->reserved[i] != 0)
            return false;
    return true;
}

Test(plan, measure_leaves_the_network_and_picks_a_candidate) {
    bp_net *net = make_net(BP_KERNELS_NAIVE, 7);
    float *params = NULL;
    size_t count = 0;
    cr_assert_eq(bp_net_params(net, &params, &count), BP_OK);
    float *before = malloc(count * sizeof *before);
    cr_assert_not_null(before);
    memcpy(before, params, count * sizeof *before);
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);

    bp_plan p;
    memset(&p, 0xA5, sizeof p);
    cr_assert_eq(bp_plan_measure(net, NULL, 16, 2, 0.05, &p), BP_OK, "%s", bp_errmsg());
    /* Two cores: 1x1, 1x2 and 2x1 for each BLAS set there is. */
    const int sets = 1 + bp_kernels_available(BP_KERNELS_BLIS);
    cr_assert_eq(p.measured, 3 * sets, "timed %d candidates, want %d", (int)p.measured, 3 * sets);
    cr_assert(p.kernels == BP_KERNELS_OPENBLAS || p.kernels == BP_KERNELS_BLIS,
              "chose kernel set %d", (int)p.kernels);
    cr_assert(p.workers * (size_t)p.blas_threads <= 2 && p.workers >= 1 && p.blas_threads >= 1,
              "chose %zu x %d on 2 cores", p.workers, p.blas_threads);
    cr_assert_eq(p.cores, 2);
    cr_assert(p.step_seconds > 0.0 && p.step_seconds < 0.05, "step of %g s", p.step_seconds);
    cr_assert(reserved_zero(&p), "the plan's reserved space is not zeroed");

    /* The network as it was: parameters bitwise, kernel set, threads. */
    cr_assert_eq(memcmp(before, params, count * sizeof *before), 0,
                 "planning changed the parameters");
    cr_assert_eq(bp_net_kernels(net), BP_KERNELS_NAIVE);
    cr_assert_eq(bp_blas_threads(), 1);
    free(before);
    bp_net_destroy(net);
}

/* A budget too small for two steps of every candidate: the rule's plan, on
 * the network's own kernel set, nothing timed. */
Test(plan, measure_over_budget_falls_back_to_the_rule) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, 3);
    bp_plan p;
    bp_parallelism rule;
    cr_assert_eq(bp_plan_measure(net, NULL, 64, 2, 1e-9, &p), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_parallelism_auto(net, 64, 2, &rule), BP_OK);
    cr_assert_eq(p.measured, 0);
    cr_assert_eq(p.step_seconds, 0.0);
    cr_assert_eq(p.workers, rule.workers);
    cr_assert_eq(p.blas_threads, rule.blas_threads);
    cr_assert_eq(p.kernels, BP_KERNELS_OPENBLAS);
    bp_net_destroy(net);
}

Test(plan, measure_refuses_bad_arguments) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, 3);
    bp_plan p;
    cr_assert_eq(bp_plan_measure(NULL, NULL, 8, 2, 0.0, &p), BP_EINVAL);
    cr_assert_eq(bp_plan_measure(net, NULL, 8, 2, 0.0, NULL), BP_EINVAL);
    cr_assert_eq(bp_plan_measure(net, NULL, 0, 2, 0.0, &p), BP_EINVAL);
    cr_assert_eq(bp_plan_measure(net, NULL, 8, 2, -1.0, &p), BP_EINVAL);
    cr_assert_eq(bp_plan_measure(net, NULL, 8, 2, NAN, &p), BP_EINVAL);
    bp_net_destroy(net);
}

Test(plan, text_reads_and_writes_back) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, 1);
    static const char *const good[] = {"openblas:1x2", "openblas:2x1", "naive:1x1", "blis:2x1",
                                       "blis:1x2"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        bp_plan p;
        memset(&p, 0xA5, sizeof p);
        const int rc = bp_plan_parse(good[i], net, 32, 2, &p);
        if (strncmp(good[i], "blis", 4) == 0 && !bp_kernels_available(BP_KERNELS_BLIS)) {
            cr_assert_eq(rc, BP_ENOTSUP, "%s: %d", good[i], rc);
            continue;
        }
        cr_assert_eq(rc, BP_OK, "%s: %s", good[i], bp_errmsg());
        cr_assert_eq(p.measured, 0);
        cr_assert(reserved_zero(&p));
        char text[32];
        cr_assert_eq(bp_plan_format(&p, text, sizeof text), BP_OK, "%s", bp_errmsg());
        cr_assert_str_eq(text, good[i]);
    }
    /* Kernels alone: the rule's workers and threads. */
    bp_plan p;
    bp_parallelism rule;
    cr_assert_eq(bp_plan_parse("naive", net, 32, 2, &p), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_parallelism_auto(net, 32, 2, &rule), BP_OK);
    cr_assert_eq(p.kernels, BP_KERNELS_NAIVE);
    cr_assert_eq(p.workers, rule.workers);
    cr_assert_eq(p.blas_threads, rule.blas_threads);

    static const char *const bad[] = {"",
                                      "cuda:1x1",
                                      "openblas:",
                                      "openblas:0x1",
                                      "openblas:2",
                                      "openblas:2x",
                                      "openblas:2x2",
                                      "openblas:1x1x",
                                      "OpenBLAS",
                                      "openblas:x1",
                                      "openblas:-1x1",
                                      "openblas 1x1",
                                      "openblas:1x1 ",
                                      "openblas:1025x1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(bp_plan_parse(bad[i], net, 32, 2, &p), BP_EINVAL, "'%s' was accepted", bad[i]);
    char small[8];
    p = (bp_plan){.kernels = BP_KERNELS_OPENBLAS, .workers = 2, .blas_threads = 1};
    cr_assert_eq(bp_plan_format(&p, small, sizeof small), BP_ERANGE);
    p.kernels = (bp_kernels)9;
    char text[32];
    cr_assert_eq(bp_plan_format(&p, text, sizeof text), BP_EINVAL);
    bp_net_destroy(net);
}

/* bp_plan_apply sets the kernel set and the BLAS threads. */
Test(plan, apply_sets_kernels_and_threads) {
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, 1);
    bp_plan p;
    cr_assert_eq(bp_plan_parse("naive:1x2", net, 32, 2, &p), BP_OK);
    cr_assert_eq(bp_plan_apply(net, &p), BP_OK, "%s", bp_errmsg());
    cr_assert_eq(bp_net_kernels(net), BP_KERNELS_NAIVE);
    cr_assert_eq(bp_blas_threads(), 2);
    p.blas_threads = 0;
    cr_assert_eq(bp_plan_apply(net, &p), BP_EINVAL);
    cr_assert_eq(bp_plan_apply(NULL, &p), BP_EINVAL);
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);
    bp_net_destroy(net);
}

/* Training under a fixed plan: the weights of `epochs` epochs. */
static float *train_with(const char *spec, size_t *count) {
    enum { N = 96 };
    static float x[N * 30];
    static uint32_t labels[N];
    for (size_t i = 0; i < N * 30; i++)
        x[i] = (float)((i * 7919u) % 101u) / 101.0f - 0.5f;
    for (size_t i = 0; i < N; i++)
        labels[i] = (uint32_t)(i % 5);
    bp_dataset data = {.count = N, .features = 30, .classes = 5, .inputs = x, .labels = labels};
    bp_net *net = make_net(BP_KERNELS_OPENBLAS, 11);
    bp_plan p;
    cr_assert_eq(bp_plan_parse(spec, net, 16, 2, &p), BP_OK, "%s: %s", spec, bp_errmsg());
    cr_assert_eq(bp_plan_apply(net, &p), BP_OK, "%s", bp_errmsg());
    bp_optimizer_config config;
    bp_optimizer_config_default(&config, BP_OPT_ADAM);
    bp_optimizer *opt = NULL;
    cr_assert_eq(bp_optimizer_create(&opt, net, &config), BP_OK);
    bp_train_options options;
    bp_train_options_default(&options);
    options.epochs = 3;
    options.batch_size = 16;
    options.seed = 5;
    options.workers = p.workers;
    cr_assert_eq(bp_train(net, opt, &data, NULL, &options), BP_OK, "%s", bp_errmsg());
    float *params = NULL;
    cr_assert_eq(bp_net_params(net, &params, count), BP_OK);
    float *copy = malloc(*count * sizeof *copy);
    cr_assert_not_null(copy);
    memcpy(copy, params, *count * sizeof *copy);
    bp_optimizer_destroy(opt);
    bp_net_destroy(net);
    cr_assert_eq(bp_blas_set_threads(1), BP_OK);
    return copy;
}

/* The determinism promise of a fixed plan: the same plan, the same bits,
 * for every plan and kernel set. (Different plans are not compared
 * bitwise: they round differently.) */
Test(plan, fixed_plan_reproduces_bitwise) {
    static const char *const plans[] = {"openblas:1x1", "openblas:2x1", "openblas:1x2",
                                        "blis:1x1",     "blis:2x1",     "blis:1x2"};
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        if (strncmp(plans[i], "blis", 4) == 0 && !bp_kernels_available(BP_KERNELS_BLIS))
            continue;
        size_t n1 = 0, n2 = 0;
        float *first = train_with(plans[i], &n1);
        float *second = train_with(plans[i], &n2);
        cr_assert_eq(n1, n2);
        cr_assert_eq(memcmp(first, second, n1 * sizeof *first), 0,
                     "%s: two runs ended with different weights", plans[i]);
        free(first);
        free(second);
    }
}
