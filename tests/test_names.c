/* Every name of the header's BP_*_MAP lists round-trips through bp_T_name and bp_T_from_name, its
 * alias too (a name with '-' has the Python package's '_' spelling as alias), and the values of
 * each list are 0 to n-1, each named once. */
#include <backprop.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define ROUND_TRIP_(value, name, alias)                                                            \
    {                                                                                              \
        cr_assert_str_eq(name_of(value), name);                                                    \
        type out = (type)-1;                                                                       \
        cr_assert_eq(from_name(name, &out), BP_OK, "%s: %s", name, bp_errmsg());                   \
        cr_assert_eq((int)out, (int)(value), "%s", name);                                          \
        const char *old = alias;                                                                   \
        char python[32];                                                                           \
        snprintf(python, sizeof python, "%s", name);                                               \
        for (char *dash = strchr(python, '-'); dash; dash = strchr(dash, '-'))                     \
            *dash = '_';                                                                           \
        if (strcmp(python, name) != 0)                                                             \
            cr_assert(old &&strcmp(old, python) == 0, "%s: its alias is not %s", name, python);    \
        if (old) {                                                                                 \
            out = (type)-1;                                                                        \
            cr_assert_eq(from_name(old, &out), BP_OK, "%s: %s", old, bp_errmsg());                 \
            cr_assert_eq((int)out, (int)(value), "%s", old);                                       \
            cr_assert_str_neq(old, name);                                                          \
        }                                                                                          \
        cr_assert_lt((unsigned)(value), sizeof seen, "%s", name);                                  \
        cr_assert(!seen[value], "%s: its value is named twice", name);                             \
        seen[value] = true;                                                                        \
        count++;                                                                                   \
    }

/* Each list's rows, then: the values are exactly 0..count-1, and the name of
 * count is NULL. */
#define CHECK_LIST_(MAP)                                                                           \
    do {                                                                                           \
        bool seen[64] = {false};                                                                   \
        size_t count = 0;                                                                          \
        MAP(ROUND_TRIP_)                                                                           \
        for (size_t v = 0; v < count; v++)                                                         \
            cr_assert(seen[v], "value %zu has no name", v);                                        \
        cr_assert_null(name_of((type)count));                                                      \
    } while (0)

Test(names, activations) {
#define type bp_activation
#define name_of bp_activation_name
#define from_name bp_activation_from_name
    CHECK_LIST_(BP_ACTIVATION_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, losses) {
#define type bp_loss
#define name_of bp_loss_name
#define from_name bp_loss_from_name
    CHECK_LIST_(BP_LOSS_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, inits) {
#define type bp_init
#define name_of bp_init_name
#define from_name bp_init_from_name
    CHECK_LIST_(BP_INIT_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, optimizer_kinds) {
#define type bp_optimizer_kind
#define name_of bp_optimizer_kind_name
#define from_name bp_optimizer_kind_from_name
    CHECK_LIST_(BP_OPTIMIZER_KIND_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, schedules) {
#define type bp_schedule
#define name_of bp_schedule_name
#define from_name bp_schedule_from_name
    CHECK_LIST_(BP_SCHEDULE_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, kernel_sets) {
#define type bp_kernels
#define name_of bp_kernels_name
#define from_name bp_kernels_from_name
    CHECK_LIST_(BP_KERNELS_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, inference_modes) {
#define type bp_inference
#define name_of bp_inference_name
#define from_name bp_inference_from_name
    CHECK_LIST_(BP_INFERENCE_MAP);
#undef type
#undef name_of
#undef from_name
}

Test(names, outputs) {
#define type bp_output
#define name_of bp_output_name
#define from_name bp_output_from_name
    CHECK_LIST_(BP_OUTPUT_MAP);
#undef type
#undef name_of
#undef from_name
}

/* The spellings the CLI and the Python package took before the lists. */
Test(names, both_old_spellings) {
    bp_activation a = BP_ACT_RELU;
    cr_assert_eq(bp_activation_from_name("leaky-relu", &a), BP_OK);
    cr_assert_eq(a, BP_ACT_LEAKY_RELU);
    a = BP_ACT_RELU;
    cr_assert_eq(bp_activation_from_name("leaky_relu", &a), BP_OK);
    cr_assert_eq(a, BP_ACT_LEAKY_RELU);
    cr_assert_eq(bp_activation_from_name("logistic", &a), BP_OK);
    cr_assert_eq(a, BP_ACT_SIGMOID);
    bp_loss l = BP_LOSS_QUADRATIC;
    cr_assert_eq(bp_loss_from_name("cross_entropy", &l), BP_OK);
    cr_assert_eq(l, BP_LOSS_CROSS_ENTROPY);
    cr_assert_str_eq(bp_activation_name(BP_ACT_LEAKY_RELU), "leaky-relu");
    cr_assert_str_eq(bp_loss_name(BP_LOSS_CROSS_ENTROPY), "cross-entropy");
}

Test(names, unknown_name_lists_the_names) {
    bp_loss l = BP_LOSS_QUADRATIC;
    cr_assert_eq(bp_loss_from_name("hinge", &l), BP_EINVAL);
    cr_assert_eq(l, BP_LOSS_QUADRATIC);
    cr_assert_str_eq(bp_errmsg(),
                     "bp_loss_from_name: unknown loss 'hinge' (expected cross-entropy, quadratic)");
}
