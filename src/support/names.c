/* The names of the public enums, from the header's BP_*_MAP lists: value to name and back. */
#include "error.h"

#include <backprop.h>
#include <stddef.h>
#include <string.h>

typedef struct name_row {
    int value;
    const char *name;
    const char *alias; /* an older spelling still accepted, or NULL */
} name_row;

typedef struct name_list {
    const char *what; /* "activation", in messages */
    const name_row *rows;
    size_t count;
} name_list;

#define ROW_(value, name, alias) {(int)(value), name, alias},
#define LIST_(variable, what, MAP)                                                                 \
    static const name_row variable##_rows[] = {MAP(ROW_)};                                         \
    static const name_list variable = {what, variable##_rows,                                      \
                                       sizeof variable##_rows / sizeof variable##_rows[0]};

LIST_(activations, "activation", BP_ACTIVATION_MAP)
LIST_(losses, "loss", BP_LOSS_MAP)
LIST_(inits, "initializer", BP_INIT_MAP)
LIST_(optimizer_kinds, "optimizer", BP_OPTIMIZER_KIND_MAP)
LIST_(schedules, "schedule", BP_SCHEDULE_MAP)
LIST_(kernel_sets, "kernel set", BP_KERNELS_MAP)
LIST_(inferences, "inference mode", BP_INFERENCE_MAP)
LIST_(outputs, "output", BP_OUTPUT_MAP)
#undef LIST_
#undef ROW_

static const char *name_of(const name_list *list, int value) {
    for (size_t i = 0; i < list->count; i++)
        if (list->rows[i].value == value)
            return list->rows[i].name;
    return NULL;
}

/* The value named `name` (or by its alias) in *value; BP_EINVAL naming the
 * list's names otherwise. */
static int value_of(const name_list *list, const char *name, int *value, const char *function) {
    if (!name)
        return bp__fail(BP_EINVAL, function, "name is NULL");
    for (size_t i = 0; i < list->count; i++) {
        const name_row *row = &list->rows[i];
        if (strcmp(row->name, name) == 0 || (row->alias && strcmp(row->alias, name) == 0)) {
            *value = row->value;
            return BP_OK;
        }
    }
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < list->count && used < sizeof names; i++) {
        const size_t n = strlen(list->rows[i].name);
        if (used + n + 3 > sizeof names)
            break;
        if (i > 0)
            memcpy(names + used, ", ", 2), used += 2;
        memcpy(names + used, list->rows[i].name, n + 1);
        used += n;
    }
    return bp__fail(BP_EINVAL, function, "unknown %s '%s' (expected %s)", list->what, name, names);
}

/* bp_T_name and bp_T_from_name over one list. */
#define NAME_FUNCTIONS_(T, type, list)                                                             \
    const char *bp_##T##_name(type value) { return name_of(&list, (int)value); }                   \
    int bp_##T##_from_name(const char *name, type *out) {                                          \
        if (!out)                                                                                  \
            return bp__fail(BP_EINVAL, __func__, "out is NULL");                                   \
        int value = 0;                                                                             \
        const int rc = value_of(&list, name, &value, __func__);                                    \
        if (rc == BP_OK)                                                                           \
            *out = (type)value;                                                                    \
        return rc;                                                                                 \
    }

NAME_FUNCTIONS_(activation, bp_activation, activations)
NAME_FUNCTIONS_(loss, bp_loss, losses)
NAME_FUNCTIONS_(init, bp_init, inits)
NAME_FUNCTIONS_(optimizer_kind, bp_optimizer_kind, optimizer_kinds)
NAME_FUNCTIONS_(schedule, bp_schedule, schedules)
NAME_FUNCTIONS_(kernels, bp_kernels, kernel_sets)
NAME_FUNCTIONS_(inference, bp_inference, inferences)
NAME_FUNCTIONS_(output, bp_output, outputs)
#undef NAME_FUNCTIONS_
